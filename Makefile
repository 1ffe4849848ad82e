# SPDX-License-Identifier: GPL-2.0
#
# winsock: top-level build.
#
#   make            module for every configured kernel, library, tools
#   make check      host tests, then every kernel: build, boot, selftests
#   make demo       boot the 6.1 guest (KERNEL=<release>: another) and show what the module does
#   make lint       checkpatch --strict, sparse, W=1, cppcheck, clang-tidy
#   make bench      instructions per lookup of every path, in icount guests
#   make profile    the same, function by function, from qemu's single-step trace
#   make fuzz       the ioctl fuzzer on every kernel, 300 s each (long)
#
# The kernel module alone, the way DKMS and packagers build it:
#   make -C /lib/modules/$(uname -r)/build M=$PWD

-include cache/kernels.mk

TOP := $(CURDIR)
BUILD := $(TOP)/build
KSFT_DIR ?= $(TOP)/cache/linux-tools/tools/testing/selftests
# The current upstream harness (scripts/setup.sh): selftests/ compiles
# against it too (ksft-upstream-check, part of make lint).
KSFT_UPSTREAM_DIR ?= $(TOP)/cache/ksft-upstream

KMOD_SRCS := VERSION Kbuild kmod/Kbuild $(wildcard kmod/*.c kmod/*.h) uapi/linux/winsock.h
LIB_SRCS := $(addprefix lib/,error.c startup.c getpeername.c batch.c version.c)
LIB_HDRS := lib/internal.h lib/syscall.h lib/include/winsock/winsock2.h uapi/linux/winsock.h
# The audit-stream client (libnl), shared by winsock-audit, winsock-bench
# and selftests/audit_test.
AUDIT_CLIENT_SRCS := tools/lib/audit_client.c tools/lib/audit_stats.c
AUDIT_CLIENT_HDRS := tools/lib/audit_client.h tools/lib/audit_request.h tools/lib/wsa_names.h \
		     uapi/linux/winsock.h
SELFTEST_SRCS := $(wildcard selftests/*.c selftests/*.h selftests/*/*.c selftests/*/*.h) selftests/Makefile \
		 $(AUDIT_CLIENT_SRCS) $(AUDIT_CLIENT_HDRS)
SELFTESTS := module_test startup_test getpeername_test getpeername_getname_test \
	     peer_read_test batch_test infoleak_test audit_test \
	     audit_delivery_test audit_netns_test audit_escape_test \
	     abi_test blocking_test addrform_test \
	     race_test fuzz_test
# Tests that need libnl or the winsock-audit tool, which are built for the
# native ABI only.
SELFTESTS_64_ONLY := module_test audit_test audit_delivery_test audit_netns_test \
		     audit_escape_test
# Run after every other program, 64-bit only: it unloads and reloads the
# module and compares memory with a baseline.
SELFTESTS_LAST := leak_test
# auditd_test runs Debian's auditd, auditctl and ausearch in the guest:
# the overlay scripts/setup-auditd.sh builds, merged into the initramfs.
SELFTESTS += auditd_test
SELFTESTS_64_ONLY += auditd_test
GUEST_DIRS = $(wildcard $(TOP)/cache/auditd/root)
AUDIT_SRCS := tools/winsock-audit.c $(AUDIT_CLIENT_SRCS) tools/lib/audit_format.c
BENCH_SRCS := $(wildcard tools/winsock-bench/*.c) $(AUDIT_CLIENT_SRCS)
BENCH_HDRS := $(wildcard tools/winsock-bench/*.h) $(AUDIT_CLIENT_HDRS)
LIBNL_CFLAGS := $(shell pkg-config --cflags libnl-genl-3.0 2>/dev/null)
LIBNL_LIBS := $(shell pkg-config --libs libnl-genl-3.0 2>/dev/null)
LIBNL_STATIC_LIBS := $(shell pkg-config --static --libs libnl-genl-3.0 2>/dev/null)

# One version for the module, the library, the tools and the packages.
VERSION := $(shell cat $(TOP)/VERSION)

# Warnings fail the module's build in this tree's own builds (make, make
# check, make lint), not in DKMS or M= builds: kmod/Kbuild.
export WINSOCK_WERROR := y

CC ?= gcc
USER_CFLAGS := -O2 -g -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
	       -Iuapi -Ilib/include -Ilib -DWINSOCK_VERSION_STRING='"$(VERSION)"'
LIB_SOVERSION := 1

# What the scripts know of the tree comes from here alone: they take these
# from the environment, and neither read cache/kernels.mk nor keep a copy
# of a list or a flag.  USER_CFLAGS holds shell quotes (the version
# string): the scripts split it with xargs, which honours them.
# KERNEL_ROOTS: RELEASE=ROOT for each kernel whose headers are in a build
# root (scripts/buildroot.sh).
KERNEL_ROOTS := $(foreach k,$(KERNELS),$(if $(KERNEL_ROOT_$(k)),$(k)=$(KERNEL_ROOT_$(k))))
export KERNELS KERNEL_DEFAULT KERNEL_ROOTS KSFT_DIR CHECKPATCH KMOD_SRCS LIB_SRCS USER_CFLAGS \
	LIBNL_CFLAGS

.PHONY: all setup modules lib tools selftests check check-run check-host check-kernel \
	demo demo-run bench bench-run profile profile-run fuzz fuzz-run lint lint-run ksft-upstream-check clean
all: modules lib tools

setup:
	@bash scripts/setup.sh

# --- kernel module, one build directory per kernel release ---------------
# A kernel whose headers live in a build root (KERNEL_ROOT_<release>, the
# 7.x headers need a newer toolchain than Debian 12's) is built chrooted
# there, with this tree at the same path: scripts/buildroot.sh.
modules: $(foreach r,$(KERNELS),$(BUILD)/$(r)/winsock.ko)

ws_kmake = $(if $(KERNEL_ROOT_$(1)),bash $(TOP)/scripts/buildroot.sh $(1) )$(MAKE) -C /lib/modules/$(1)/build

$(BUILD)/%/winsock.ko: $(KMOD_SRCS)
	@rm -rf $(BUILD)/$*/src && mkdir -p $(BUILD)/$*/src
	@cp --parents $(KMOD_SRCS) $(BUILD)/$*/src/
	$(call ws_kmake,$*) M=$(BUILD)/$*/src modules
	@cp $(BUILD)/$*/src/winsock.ko $@

# The relative spelling works too: make build/RELEASE/winsock.ko.
build/%/winsock.ko: $(BUILD)/%/winsock.ko ;

# The same without the audit stream, to measure its cost (make bench only).
$(BUILD)/noaudit/%/winsock.ko: $(KMOD_SRCS)
	@rm -rf $(BUILD)/noaudit/$*/src && mkdir -p $(BUILD)/noaudit/$*/src
	@cp --parents $(KMOD_SRCS) $(BUILD)/noaudit/$*/src/
	$(call ws_kmake,$*) M=$(BUILD)/noaudit/$*/src WINSOCK_AUDIT=n modules
	@cp $(BUILD)/noaudit/$*/src/winsock.ko $@

# --- userspace library for the host ---------------------------------------
lib: $(BUILD)/host/libwinsock.a $(BUILD)/host/libwinsock.so.$(LIB_SOVERSION)

$(BUILD)/host/lib/%.o: lib/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<

$(BUILD)/host/libwinsock.a: $(patsubst lib/%.c,$(BUILD)/host/lib/%.o,$(LIB_SRCS))
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/host/libwinsock.so.$(LIB_SOVERSION): $(patsubst lib/%.c,$(BUILD)/host/lib/%.o,$(LIB_SRCS)) lib/libwinsock.map
	$(CC) -shared -Wl,-soname,libwinsock.so.$(LIB_SOVERSION) \
		-Wl,--version-script=lib/libwinsock.map -o $@ $(filter %.o,$^) -lpthread
	@ln -sf libwinsock.so.$(LIB_SOVERSION) $(BUILD)/host/libwinsock.so

# --- selftests: static binaries for the guest, 64- and 32-bit -------------
selftests: $(BUILD)/guest/64/.stamp $(BUILD)/guest/32/.stamp

# Each ABI builds exactly the programs it runs, named as goals.
SELFTESTS_32 := $(filter-out $(SELFTESTS_64_ONLY),$(SELFTESTS))

$(BUILD)/guest/64/.stamp: $(SELFTEST_SRCS) $(LIB_SRCS) $(LIB_HDRS) | selftests-list
	$(MAKE) -C selftests OUTPUT=$(BUILD)/guest/64 KSFT_DIR=$(KSFT_DIR) LDFLAGS=-static \
		AUDIT_CLIENT_SRCS="$(addprefix $(TOP)/,$(AUDIT_CLIENT_SRCS))" \
		$(addprefix $(BUILD)/guest/64/,$(SELFTESTS) $(SELFTESTS_LAST))
	@touch $@

$(BUILD)/guest/32/.stamp: $(SELFTEST_SRCS) $(LIB_SRCS) $(LIB_HDRS) | selftests-list
	$(MAKE) -C selftests OUTPUT=$(BUILD)/guest/32 KSFT_DIR=$(KSFT_DIR) LDFLAGS=-static CC="$(CC) -m32" \
		WINSOCK_AUDIT_TESTS= WINSOCK_LEAK_TESTS= $(addprefix $(BUILD)/guest/32/,$(SELFTESTS_32))
	@touch $@

# Compile only: every selftest against the current upstream kselftest
# harness, so that selftests/ builds in a kernel tree as well.
ksft-upstream-check:
	@$(MAKE) --no-print-directory -s -C selftests compile-check KSFT_DIR=$(KSFT_UPSTREAM_DIR)

# selftests/Makefile's TEST_GEN_PROGS, what kselftest builds and runs in a
# kernel tree, must be the programs run here: a program in one list only
# would be built and never run, or never built.  (A query, not a build:
# without this make's flags, so that make -n still asks it.)
.PHONY: selftests-list
selftests-list:
	@progs=$$(MAKEFLAGS= $(MAKE) -s --no-print-directory -C selftests KSFT_DIR=$(KSFT_DIR) \
		--eval='ws-progs: ; @echo $$(sort $$(notdir $$(TEST_GEN_PROGS)))' ws-progs) && \
	if [ "$$progs" != "$(sort $(SELFTESTS) $(SELFTESTS_LAST))" ]; then \
		echo "selftests/Makefile builds: $$progs" >&2; \
		echo "this Makefile runs:        $(sort $(SELFTESTS) $(SELFTESTS_LAST))" >&2; \
		exit 1; \
	fi

GUEST_PROGS = $(foreach t,$(SELFTESTS),$(BUILD)/guest/64/$(t)) \
	      $(foreach t,$(SELFTESTS_32),$(BUILD)/guest/32/$(t)@$(t)_32) \
	      $(foreach t,$(SELFTESTS_LAST),$(BUILD)/guest/64/$(t))
# Tools the selftests run, on the guest's PATH.
GUEST_TOOLS = $(BUILD)/guest/64/winsock-audit

# --- make check -----------------------------------------------------------
check: setup
	@$(MAKE) --no-print-directory check-run

check-run:
	@bash scripts/check.sh

check-host: lib
	@bash scripts/check-host.sh

# Boot one kernel and run every selftest: make check-kernel RELEASE=...
check-kernel: $(BUILD)/$(RELEASE)/winsock.ko selftests $(GUEST_TOOLS)
	@bash scripts/check-kernel.sh $(RELEASE) $(BUILD)/$(RELEASE)/winsock.ko \
		$(foreach f,$(GUEST_TOOLS),-f $(f)) $(foreach d,$(GUEST_DIRS),-d $(d)) $(GUEST_PROGS)

# --- make demo ------------------------------------------------------------
demo: setup
	@$(MAKE) --no-print-directory demo-run

# make demo KERNEL=<release>: any configured kernel (default: 6.1).
KERNEL ?= $(KERNEL_DEFAULT)
demo-run: $(BUILD)/$(KERNEL)/winsock.ko $(BUILD)/guest/64/winsock-demo \
	  $(BUILD)/guest/64/winsock-audit
	@bash scripts/demo.sh $(KERNEL) $(BUILD)/$(KERNEL)/winsock.ko \
		$(BUILD)/guest/64/winsock-demo $(BUILD)/guest/64/winsock-audit

# --- make bench: instructions per lookup, every path, every kernel ----------
bench: setup
	@$(MAKE) --no-print-directory bench-run

bench-run: $(foreach r,$(KERNELS),$(BUILD)/$(r)/winsock.ko $(BUILD)/noaudit/$(r)/winsock.ko) \
	   $(BUILD)/guest/64/winsock-bench
	@bash bench/bench.sh $(BUILD)/guest/64/winsock-bench \
		$(foreach r,$(KERNELS),$(r):$(BUILD)/$(r)/winsock.ko:$(BUILD)/noaudit/$(r)/winsock.ko)

# --- make profile: where each path's instructions go, every kernel ---------
# RELEASE=<release>: one kernel; PROFILE_FAMILIES=tcp4,tcp6,udp4,unix: more
# families than tcp4.  Writes bench/profile-<release>.txt.
PROFILE_KERNELS = $(or $(RELEASE),$(KERNELS))
PROFILE_FAMILIES ?= tcp4
profile: setup
	@$(MAKE) --no-print-directory profile-run

profile-run: $(foreach r,$(PROFILE_KERNELS),$(BUILD)/$(r)/winsock.ko) $(BUILD)/guest/64/winsock-bench
	@set -e; for r in $(PROFILE_KERNELS); do \
		python3 bench/profile.py $$r $(BUILD)/$$r/winsock.ko $(BUILD)/guest/64/winsock-bench \
			bench/profile-$$r.txt --families $(PROFILE_FAMILIES); \
	done

# --- make audit-throughput: events/s winsock-audit writes as JSON ---------
# One icount guest of the default kernel: winsock-flood's lookups, read by
# winsock-audit monitor --json into a file (scripts/audit-throughput.sh).
.PHONY: audit-throughput audit-throughput-run
audit-throughput: setup
	@$(MAKE) --no-print-directory audit-throughput-run

audit-throughput-run: $(BUILD)/$(KERNEL_DEFAULT)/winsock.ko $(BUILD)/guest/64/winsock-audit \
		      $(BUILD)/guest/64/winsock-flood
	@bash scripts/audit-throughput.sh -r $(KERNEL_DEFAULT) -m $(BUILD)/$(KERNEL_DEFAULT)/winsock.ko \
		-a $(BUILD)/guest/64/winsock-audit -f $(BUILD)/guest/64/winsock-flood

$(BUILD)/guest/64/winsock-flood: tools/winsock-flood.c uapi/linux/winsock.h
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -static -o $@ tools/winsock-flood.c

# --- make fuzz: a long campaign, not part of make check --------------------
# WINSOCK_FUZZ_SECONDS per kernel (default 300, shared by the 64- and 32-bit
# fuzzers), WINSOCK_FUZZ_SEED, WINSOCK_FUZZ_ITERATIONS: see scripts/fuzz.sh.
fuzz: setup
	@$(MAKE) --no-print-directory fuzz-run

fuzz-run: $(foreach r,$(KERNELS),$(BUILD)/$(r)/winsock.ko) selftests
	@bash scripts/fuzz.sh $(BUILD)/guest/64/fuzz_test,$(BUILD)/guest/32/fuzz_test@fuzz_test_32 \
		$(foreach r,$(KERNELS),$(r):$(BUILD)/$(r)/winsock.ko)

# --- make lint ------------------------------------------------------------
lint: setup
	@$(MAKE) --no-print-directory lint-run

lint-run:
	@bash scripts/lint.sh

clean:
	rm -rf $(BUILD)

# --- tools ------------------------------------------------------------------
tools: $(BUILD)/host/winsock-demo $(BUILD)/host/winsock-audit $(BUILD)/host/winsock-bench

$(BUILD)/host/winsock-demo: tools/winsock-demo.c tools/lib/wsa_names.h $(BUILD)/host/libwinsock.a
	$(CC) $(USER_CFLAGS) -Itools/lib -o $@ $< $(BUILD)/host/libwinsock.a -lpthread

$(BUILD)/guest/64/winsock-demo: tools/winsock-demo.c tools/lib/wsa_names.h $(LIB_SRCS) $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -Itools/lib -static -o $@ tools/winsock-demo.c $(LIB_SRCS) -lpthread

$(BUILD)/host/winsock-audit: $(AUDIT_SRCS) $(AUDIT_CLIENT_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -Itools/lib $(LIBNL_CFLAGS) -o $@ $(AUDIT_SRCS) $(LIBNL_LIBS)

$(BUILD)/guest/64/winsock-audit: $(AUDIT_SRCS) $(AUDIT_CLIENT_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -Itools/lib $(LIBNL_CFLAGS) -static -o $@ $(AUDIT_SRCS) $(LIBNL_STATIC_LIBS)

$(BUILD)/host/winsock-bench: $(BENCH_SRCS) $(BENCH_HDRS) $(BUILD)/host/libwinsock.a
	$(CC) $(USER_CFLAGS) -Itools/lib $(LIBNL_CFLAGS) -o $@ $(BENCH_SRCS) $(BUILD)/host/libwinsock.a \
		$(LIBNL_LIBS) -lpthread

$(BUILD)/guest/64/winsock-bench: $(BENCH_SRCS) $(BENCH_HDRS) $(LIB_SRCS) $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -Itools/lib $(LIBNL_CFLAGS) -static -o $@ $(BENCH_SRCS) $(LIB_SRCS) \
		$(LIBNL_STATIC_LIBS) -lpthread

# --- install, DKMS, make load/unload ----------------------------------------
INSTALL_TOOLS := winsock-demo winsock-audit winsock-bench
include mk/install.mk
