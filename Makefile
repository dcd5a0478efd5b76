# mmapconf - build and run the mmap conformance suite.
#
#   make            build every test program (-Wall -Wextra -Werror)
#   make check      install missing packages (root), build, run the suite with
#                   kyua on this machine, write reports/$(LABEL)/;
#                   BASELINE=FILE: those known divergences do not fail it
#   make coverage   the same with --coverage builds: reports/coverage/
#   make selftest   the project's own test command (check + invariants)
#   make bench      wall time of the suite (median of 5) and per-case overhead
#   make matrix     the suite under other kernels (qemu) and environments
#   make mutants    mutation testing: which cases catch each injected fault
#   make stress     the suite 10 times under stress-ng load, differences reported

SHELL = /bin/sh
CC ?= cc
BUILD ?= build
OPT ?= -O2 -g
WARN = -Wall -Wextra -Werror
ATF_CFLAGS ?= $(shell pkg-config --cflags atf-c 2>/dev/null)
ATF_LIBS ?= $(shell pkg-config --libs atf-c 2>/dev/null || echo -latf-c)
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -Itests/lib $(ATF_CFLAGS) $(EXTRA_CFLAGS)
LDLIBS_ALL = $(ATF_LIBS) $(EXTRA_LDLIBS)

SRCS := $(sort $(wildcard tests/*/t_*.c))
PROGS := $(patsubst %.c,$(BUILD)/%,$(SRCS))
LIBSRCS := $(sort $(wildcard tests/lib/*.c))
LIBHDRS := $(wildcard tests/lib/*.h)
LIBOBJ := $(patsubst %.c,$(BUILD)/%.o,$(LIBSRCS))
TOOLS := $(BUILD)/harness/envprobe
# The mutation injector (ptrace, x86_64 registers) builds under -Werror too.
ifneq ($(filter x86_64-%,$(shell $(CC) -dumpmachine 2>/dev/null)),)
TOOLS += $(BUILD)/harness/inject
endif

LABEL ?= host-$(shell uname -r)
PARALLELISM ?= 2

all: $(PROGS) $(TOOLS)

# The library objects are real targets, not intermediates to delete.
.SECONDARY: $(LIBOBJ)

$(BUILD)/tests/lib/%.o: tests/lib/%.c $(LIBHDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(LIBOBJ) $(LIBHDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LIBOBJ) $(LDLIBS_ALL)

$(BUILD)/harness/envprobe: harness/envprobe.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(EXTRA_CFLAGS) -o $@ $<

$(BUILD)/harness/inject: harness/mutant/inject.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(EXTRA_CFLAGS) -o $@ $<

deps:
	@harness/deps

# Variables reach recipes through the environment, never pasted into
# recipe text.  BASELINE: a file or folder of known divergences
# (harness/baselines/README.md): those failures do not fail the run.
export LABEL PARALLELISM BUILD BASELINE
check: deps
	@$(MAKE) --no-print-directory all
	@harness/run-suite --label "$$LABEL" --build "$$BUILD" --parallelism "$$PARALLELISM" $${BASELINE:+--baseline "$$BASELINE"}

coverage: deps
	@harness/coverage

selftest: deps
	@harness/selftest

bench: deps all
	@harness/bench

# Across kernels and environments (issue 4/5/8): one run folder per column.
KERNELS ?= 5.10 6.1 6.12 7
export KERNELS ENVS JOBS ACCEL AGAINST CACHE
matrix: deps all
	@harness/matrix

# Mutation testing (issue 6): faults injected one at a time.
export MUTANTS
mutants: deps all
	@harness/mutants --build "$(BUILD)"

# Kernel mm/ coverage with gcov (issue 7): KERNEL=6.12 or 6.1; the gcov
# kernel is built once (about 5 min idle, cached) and boots under qemu.
KERNEL ?= 6.12
kernel-coverage: deps all
	@harness/kernel-coverage --build "$(BUILD)" "$(KERNEL)"

# Fleet scale on LAVA (issue 9): one LAVA job per kernel, run folders in reports/.
export LAVA_URL LAVA_TOKEN LAVA_TOKEN_FILE LAVA_DEVICE_TYPE LAVA_BOOT LAVA_WAIT \
	LAVA_ARTIFACTS_DIR LAVA_ARTIFACTS_URL LAVA_SERVE LAVA_TEST_MINUTES LAVA_BOOT_MINUTES
lava-run: deps all
	@harness/lava-run
lava-submit: deps all
	@harness/lava-submit
lava-server-check: deps all
	@harness/lava-server-check

stress: deps all
	@harness/stress

clean:
	rm -rf build build-cov

.PHONY: all deps check coverage selftest bench matrix mutants kernel-coverage lava-run lava-submit lava-server-check stress clean
