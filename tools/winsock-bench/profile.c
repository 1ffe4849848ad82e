// SPDX-License-Identifier: GPL-2.0
/*
 * winsock-bench --profile: instead of timing, run each selected path once
 * between two markers that make profile's host side (bench/profile.py)
 * can find in qemu's single-step trace of the guest.
 *
 * Per path: a line "WSPROFILE: begin FAMILY METHOD LOOKUPS" on the
 * console, a pause while the host turns the trace on, one run, then
 * "WSPROFILE: end" and a pause while the host turns it off.  Every path
 * calls wsb_profile_begin() and wsb_profile_end() where it starts and
 * stops its clock (run_begin(), run_end()), and the host counts only the
 * instructions between the two functions' first instructions: the pauses,
 * a path's set-up (a subscriber, a server thread) and whatever the guest
 * does meanwhile are not in the figures, as they are not in the timed
 * ones.  The lines go to /dev/console directly: the guest's
 * init shows a program's output only when it has exited.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "bench.h"

/* The trace's markers: not inlined, not merged, never empty. */
__attribute__((noinline)) void wsb_profile_begin(void)
{
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void wsb_profile_end(void)
{
	__asm__ volatile("" ::: "memory");
}

static FILE *console(void)
{
	static FILE *con;

	if (!con) {
		con = fopen("/dev/console", "w");
		if (!con)
			die("/dev/console");
		setvbuf(con, NULL, _IOLBF, 0);
	}
	return con;
}

/*
 * Seconds the host has to see a line and switch the trace (it polls the
 * log, and stops the guest while it counts a trace).
 */
#define WSB_PROFILE_PAUSE	2

void profile_path(struct bench *b, struct family *f, const struct method *m)
{
	long lookups = m->batch ?
		(b->iterations + m->batch - 1) / m->batch * m->batch :
		b->iterations;

	/* The same warm-up as a timed run. */
	if (m->run(b, f, m->batch) < 0)
		return;
	fprintf(console(), "WSPROFILE: begin %s %s %ld\n", f->name, m->name, lookups);
	sleep(WSB_PROFILE_PAUSE);
	m->run(b, f, m->batch);
	fprintf(console(), "WSPROFILE: end\n");
	sleep(WSB_PROFILE_PAUSE);
}
