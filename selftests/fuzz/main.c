// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_test's harness side: the options, the crash report, the one test
 * that starts and joins every thread, and the figures it prints.
 */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "../helpers.h"
#include "fuzz.h"

/* --- the crash report ------------------------------------------------ */

/* Decimal text of @v at @buf + @n, for the signal handler (no stdio). */
static size_t put_u64(char *buf, size_t n, uint64_t v)
{
	char tmp[24];
	int i = 0;

	do {
		tmp[i++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (i)
		buf[n++] = tmp[--i];
	return n;
}

static size_t put_str(char *buf, size_t n, const char *s)
{
	while (*s)
		buf[n++] = *s++;
	return n;
}

/*
 * A signal that would kill the test: say which seed and which call, then
 * die of it, so that the harness reports the signal.
 */
static void crash_handler(int sig, siginfo_t *si, void *uc)
{
	struct fuzzer *f = current_fuzzer;
	char buf[256];
	size_t n = 0;

	(void)si;
	(void)uc;
	n = put_str(buf, n, "# fuzz: FAIL signal ");
	n = put_u64(buf, n, sig);
	n = put_str(buf, n, " seed=");
	n = put_u64(buf, n, cfg.seed);
	if (f) {
		n = put_str(buf, n, " fuzzer ");
		n = put_u64(buf, n, f->id);
		n = put_str(buf, n, " call ");
		n = put_u64(buf, n, f->call.n);
		n = put_str(buf, n, " cmd ");
		n = put_u64(buf, n, f->call.cmd);
		n = put_str(buf, n, " fd ");
		n = put_u64(buf, n, f->call.fd);
	}
	n = put_str(buf, n, "\n");
	if (write(STDERR_FILENO, buf, n) < 0)
		_exit(1);
	raise(sig);
}

static void catch_crashes(void)
{
	struct sigaction sa = {
		.sa_sigaction = crash_handler,
		.sa_flags = SA_SIGINFO | SA_RESETHAND,
	};
	int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE }, i;

	for (i = 0; i < (int)ARRAY_LEN(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* --- the test -------------------------------------------------------- */

/* The figures fuzz.sh reads: ioctls, rate, seed, results, chaos, audit. */
static void report(struct fuzzer *fz, struct chaos *ch, struct audit *au, double secs)
{
	uint64_t calls = 0, lookups = 0, out[S_NR] = { 0 }, ops = 0, netns = 0;
	char line[1024];
	int i, j, n = 0;

	for (i = 0; i < NR_FUZZERS; i++) {
		calls += fz[i].calls;
		lookups += fz[i].lookups;
		for (j = 0; j < S_NR; j++)
			out[j] += fz[i].outcomes[j];
	}
	for (i = 0; i < NR_CHAOS; i++) {
		ops += ch[i].ops;
		netns += ch[i].netns;
	}
	for (j = 0; j < S_NR; j++)
		if (out[j])
			n += snprintf(line + n, sizeof(line) - n, " %s %" PRIu64,
				      outcome_name[j], out[j]);
	ksft_print_msg("fuzz: %" PRIu64 " ioctls in %.1f s (%.0f/s), seed=%" PRIu64 "\n",
		       calls, secs, secs > 0 ? calls / secs : 0.0, cfg.seed);
	ksft_print_msg("fuzz: %" PRIu64 " lookups; ioctl results:%s\n", lookups, line);
	ksft_print_msg("fuzz: chaos %" PRIu64 " operations, %" PRIu64
		       " network namespaces; audit %" PRIu64 " sessions, %" PRIu64
		       " events, %" PRIu64 " overruns, %" PRIu64 " refused\n",
		       ops, netns, au->sessions, au->events, au->lost, au->refused);
	fflush(stdout);
}

TEST(ioctls)
{
	struct fuzzer fz[NR_FUZZERS];
	struct chaos ch[NR_CHAOS];
	struct audit au;
	double secs;
	int i;

	memset(fz, 0, sizeof(fz));
	memset(ch, 0, sizeof(ch));
	memset(&au, 0, sizeof(au));
	ksft_print_msg("seed=%" PRIu64 "\n", cfg.seed);
	ksft_print_msg("fuzz: at most %" PRIu64 " ioctls, %" PRIu64
		       " s (0: no bound); reproduce with WINSOCK_FUZZ_SEED=%" PRIu64 "\n",
		       cfg.iterations, cfg.seconds, cfg.seed);
	fflush(stdout);
	if (access(WINSOCK_DEVICE_PATH, R_OK | W_OK))
		SKIP(return, "%s: %s (module not loaded)", WINSOCK_DEVICE_PATH, strerror(errno));
	ASSERT_EQ(4096, sysconf(_SC_PAGESIZE));
	ASSERT_EQ(0, fd_limit());
	world.root = !geteuid();
	catch_crashes();
	ASSERT_EQ(0, make_world());
	for (i = 0; i < NR_FUZZERS; i++)
		ASSERT_EQ(0, fuzzer_init(&fz[i], i));
	world.genl_family = audit_family();
	if (world.genl_family < 0)
		TH_LOG("no %s netlink family: fuzzing without the audit listener",
		       WINSOCK_GENL_NAME);

	world.start_ns = now_ns();
	for (i = 0; i < NR_FUZZERS; i++)
		ASSERT_EQ(0, pthread_create(&fz[i].thread, NULL, fuzzer_main, &fz[i]));
	for (i = 0; i < NR_CHAOS; i++) {
		ch[i].id = i;
		rng_init(&ch[i].rng, 100 + i);
		ASSERT_EQ(0, pthread_create(&ch[i].thread, NULL, chaos_main, &ch[i]));
	}
	rng_init(&au.rng, 200);
	if (world.genl_family >= 0)
		ASSERT_EQ(0, pthread_create(&au.thread, NULL, audit_main, &au));

	for (i = 0; i < NR_FUZZERS; i++)
		pthread_join(fz[i].thread, NULL);
	secs = (now_ns() - world.start_ns) / 1e9;
	stop_all();
	for (i = 0; i < NR_CHAOS; i++)
		pthread_join(ch[i].thread, NULL);
	if (world.genl_family >= 0)
		pthread_join(au.thread, NULL);
	unmake_world();

	for (i = 0; i < NR_FUZZERS; i++)
		if (!hole_still_unmapped(&fz[i]))
			TH_LOG("fuzzer %d's hole was mapped meanwhile: its failures are void",
			       i);
	report(fz, ch, &au, secs);
	EXPECT_EQ(0, world.failures)
		TH_LOG("seed=%" PRIu64 ": %" PRIu64 " calls broke invariants (reproduce with "
		       "WINSOCK_FUZZ_SEED=%" PRIu64 ")", cfg.seed, world.failures, cfg.seed);
}

/* --- bounds from the environment and the command line ---------------- */

/*
 * No timeout, in effect: 6.1's harness takes 0 for none (alarm()), a
 * current one waits for the test t->timeout * 1000 ms (poll()), so 0
 * would end it at once; this many seconds is 24 days and fits both.
 */
#define FUZZ_NO_TIMEOUT	(INT_MAX / 1000)

struct fuzz_cfg cfg = {
	.iterations = FUZZ_DEFAULT_ITERATIONS,
	.seconds = FUZZ_DEFAULT_SECONDS,
};

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && !*end;
}

static void print_usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--seconds N] [--iterations N] [--seed N] [harness options]\n"
		"  also WINSOCK_FUZZ_SECONDS, WINSOCK_FUZZ_ITERATIONS, WINSOCK_FUZZ_SEED;\n"
		"  0 seconds or 0 iterations: no such bound (not both)\n", argv0);
	exit(KSFT_FAIL);
}

static void env_option(const char *name, uint64_t *v, const char *argv0)
{
	const char *s = getenv(name);

	if (s && !parse_u64(s, v)) {
		fprintf(stderr, "%s: bad %s=%s\n", argv0, name, s);
		print_usage(argv0);
	}
}

/*
 * Take --seconds, --iterations and --seed (with their value, or "=value")
 * out of argv, so that the harness sees only its own options.
 */
static int take_options(int argc, char **argv, bool *seeded)
{
	static const char *const names[] = { "--seconds", "--iterations", "--seed" };
	uint64_t *vals[] = { &cfg.seconds, &cfg.iterations, &cfg.seed };
	int i, j, out = 1;
	size_t len;
	const char *v;

	for (i = 1; i < argc; i++) {
		for (j = 0; j < 3; j++) {
			len = strlen(names[j]);
			if (!strncmp(argv[i], names[j], len) &&
			    (argv[i][len] == '=' || !argv[i][len]))
				break;
		}
		if (j == 3) {
			argv[out++] = argv[i];
			continue;
		}
		v = argv[i][len] == '=' ? argv[i] + len + 1 : (i + 1 < argc ? argv[++i] : NULL);
		if (!parse_u64(v, vals[j]))
			print_usage(argv[0]);
		if (j == 2)
			*seeded = true;
	}
	argv[out] = NULL;
	return out;
}

int main(int argc, char **argv)
{
	uint64_t t = 0;
	bool seeded = getenv("WINSOCK_FUZZ_SEED");

	env_option("WINSOCK_FUZZ_SECONDS", &cfg.seconds, argv[0]);
	env_option("WINSOCK_FUZZ_ITERATIONS", &cfg.iterations, argv[0]);
	env_option("WINSOCK_FUZZ_SEED", &cfg.seed, argv[0]);
	argc = take_options(argc, argv, &seeded);
	if (!cfg.seconds && !cfg.iterations)
		print_usage(argv[0]);
	if (!seeded) {
		t = now_ns() ^ ((uint64_t)time(NULL) << 32) ^ getpid();
		cfg.seed = splitmix64(&t) >> 1;
	}
	/*
	 * The harness kills a test after its timeout (TEST() gives 30 s):
	 * allow the time bound plus set-up; for an iteration bound alone,
	 * FUZZ_NO_TIMEOUT.  The harness's own main (TEST_HARNESS_MAIN) is not
	 * used, so neither is its test ordering: there is one test.
	 */
	_ioctls_object.timeout = cfg.seconds && cfg.seconds < FUZZ_NO_TIMEOUT - 60 ?
				 (int)cfg.seconds + 60 : FUZZ_NO_TIMEOUT;
	return test_harness_run(argc, argv);
}
