# tend — the two commands a new machine needs: `make run` and `make test`.
# `make` builds build/tend and build/tendctl (release).
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
CCACHE := $(shell command -v ccache 2>/dev/null)
PYTEST ?= /usr/bin/python3 -m pytest
DEMO ?= examples/demo.conf
# The version compiled in (scripts/version.sh: from `git describe`). `configure` re-runs cmake when
# it changes; only util/version.cc recompiles then.
VERSION := $(shell bash scripts/version.sh)
MAN_OUT ?= $(BUILD)/man

.PHONY: all deps configure run test unit asan blackbox bench compare-inits clean format layers unicode-tables \
        fuzz-build fuzz fuzz-smoke soak man install install-compat uninstall deb dist check-repro \
        check-repro-quick repro-arm64-smoke arm64-smoke-tests arm64 test-arm64 test-arm64-smoke hot-symbols

all: configure
	cmake --build $(BUILD) -j$(JOBS) --target tend tendctl

deps:
	@bash scripts/install-deps.sh

configure: deps
	@[ -f $(BUILD)/CMakeCache.txt ] || cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release \
	  -DTEND_VERSION_STRING='$(VERSION)' >/dev/null
	@grep -qxF 'TEND_VERSION_STRING:STRING=$(VERSION)' $(BUILD)/CMakeCache.txt || \
	  cmake -S . -B $(BUILD) -DTEND_VERSION_STRING='$(VERSION)' >/dev/null

run: all
	@bash examples/run-demo.sh $(BUILD)/tend $(DEMO)

unit: configure
	cmake --build $(BUILD) -j$(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

asan: deps
	@[ -f $(ASAN_BUILD)/CMakeCache.txt ] || cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTEND_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j$(JOBS) --target unit_tests
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(ASAN_BUILD)/unit_tests --gtest_brief=1

# The black-box modules that share nothing run BLACKBOX_WORKERS at a time (they mostly wait on
# processes), then the ones marked serial (tests/blackbox/conftest.py: SERIAL_MODULES) alone.
BLACKBOX_WORKERS ?= 2
# What blackbox builds first: everything by default; make test builds only the programs the tests run
# (its unit tests run in the ASan/UBSan build, TEND_UNIT_TESTS, so the release build skips them).
BLACKBOX_BUILD_ARGS ?=
blackbox: configure
	cmake --build $(BUILD) -j$(JOBS) $(BLACKBOX_BUILD_ARGS)
	TEND_BUILD=$(abspath $(BUILD)) $(PYTEST) -q -n $(BLACKBOX_WORKERS) --dist loadfile \
	  -m "not serial" tests/blackbox
	TEND_BUILD=$(abspath $(BUILD)) $(PYTEST) -q -m serial tests/blackbox

# libFuzzer targets (fuzz/README.md), built with Debian's clang-14 in $(FUZZ_BUILD). `make fuzz` runs
# each for FUZZ_SECONDS (`make fuzz FUZZ_SECONDS=3600`), two at a time on a 2-core machine; new corpus
# entries and findings go to a scratch directory (kept and printed when something was found), never
# into the repo.
fuzz-build: deps
	@[ -f $(FUZZ_BUILD)/CMakeCache.txt ] || cmake -S . -B $(FUZZ_BUILD) -DTEND_FUZZ=ON -DCMAKE_BUILD_TYPE=Release \
	  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
	  $(if $(CCACHE),-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache,) >/dev/null
	cmake --build $(FUZZ_BUILD) -j$(JOBS) --target fuzzers

fuzz: fuzz-build
	/usr/bin/python3 fuzz/run.py --build $(abspath $(FUZZ_BUILD)) --seconds $(FUZZ_SECONDS) --jobs $(JOBS)

fuzz-smoke: fuzz-build
	/usr/bin/python3 fuzz/run.py --build $(abspath $(FUZZ_BUILD)) --seconds 10 --jobs $(JOBS)

# Regenerates cmake/tend-hot-symbols.txt, the order lld lays out tend's functions in (what keeps a
# running tend under 2 MiB RSS: cmake/release_link.cmake), by tracing one start of $(BUILD)/tend
# with tools/text_trace.c (x86-64). Run `make` again afterwards to relink with the new list.
hot-symbols: all
	cc -O2 -Wall -Wextra -Werror -o $(BUILD)/text_trace tools/text_trace.c
	/usr/bin/python3 tools/hot_symbols.py --tend $(BUILD)/tend --tracer $(BUILD)/text_trace

layers:
	/usr/bin/python3 tools/check_layers.py

# Regenerates src/config/unicode_tables.cc from /usr/bin/python3's str.lower(); the black-box suite
# (test_config.py) fails when the committed file differs from it.
unicode-tables:
	/usr/bin/python3 tools/gen_unicode_tables.py

# Under make test (and so CI) a test may not skip for a missing tool, root or binary: `deps` has
# installed everything, so TEND_STRICT=1 turns such skips into failures in unit, asan and blackbox
# (tests/fakes/missing_tool.h, tests/blackbox/conftest.py). Set it yourself for a single target:
# `make unit TEND_STRICT=1`.
# The unit tests run once, in the ASan/UBSan build (`make unit` runs them in the release build):
# building them a second time at -O2 cost three of make test's 30 minutes on two cores; the release
# binaries are what the black-box suite runs.
test: export TEND_STRICT = 1
test: export BLACKBOX_BUILD_ARGS = --target tend tendctl tend-dynamic tend-ini-dump
test: export TEND_UNIT_TESTS = $(abspath $(ASAN_BUILD))/unit_tests
test: layers asan fuzz-smoke blackbox check-repro-quick repro-arm64-smoke
	$(MAKE) --no-print-directory bench QUICK=1 BENCH_REQUIRE=tend

BENCH_REQUIRE ?=
bench: all
	/usr/bin/python3 bench/run.py --build $(abspath $(BUILD)) $(if $(QUICK),--quick,) $(if $(BENCH_REQUIRE),--require $(BENCH_REQUIRE),)

# tend, tini and dumb-init through the init-mode scenarios: a report (bench/README.md), not a test.
compare-inits: all
	/usr/bin/python3 bench/init_compare.py --build $(abspath $(BUILD))

# The soak (tests/soak/soak.py): 500 programs, 20 clients, updates and log rotation for SOAK_SECONDS
# (default 10 minutes); writes soak.csv, summary.txt and soak.svg to SOAK_OUT. make test runs a
# 60-second one (tests/blackbox/test_soak.py).
SOAK_SECONDS ?= 600
SOAK_OUT ?= $(BUILD)/soak
soak: all
	mkdir -p $(SOAK_OUT)
	/usr/bin/python3 tests/soak/soak.py --build $(abspath $(BUILD)) --seconds $(SOAK_SECONDS) --out $(abspath $(SOAK_OUT))

# Man pages from the docs (scripts/man.sh; pandoc): tend.8 from docs/tend.md, tendctl.1 from
# docs/tendctl.md, tend.conf.5 from docs/config.md. VERSION, when set, goes in the footer (else
# git describe); the date is SOURCE_DATE_EPOCH's or the last commit's, so the pages are reproducible.
man:
	bash scripts/man.sh $(MAN_OUT) $(VERSION)

# Installing (scripts/install.sh): `make install PREFIX=/usr/local DESTDIR=` puts bin/tend, bin/tendctl
# and their man pages (make man) under share/man (GZIP_MAN=1: gzipped).
# install-compat adds bin/supervisord and bin/supervisorctl as links to them (and their man pages); it
# refuses to replace a real supervisord there. uninstall removes exactly what these two install.
PREFIX ?= /usr/local
DESTDIR ?=
GZIP_MAN ?= 0
INSTALL_ARGS = --bin $(BUILD) --prefix $(PREFIX) --destdir "$(DESTDIR)" \
  --man $(MAN_OUT) $(if $(filter 1,$(GZIP_MAN)),--gzip-man,)
install: all man
	bash scripts/install.sh install $(INSTALL_ARGS)

install-compat: all man
	bash scripts/install.sh install --compat $(INSTALL_ARGS)

uninstall:
	bash scripts/install.sh uninstall --prefix $(PREFIX) --destdir "$(DESTDIR)"

# One .deb per architecture of DEB_ARCHES into DIST_OUT (scripts/deb.sh): dist/tend_<debver>_<arch>.deb
# from make dist's static, stripped binaries in DIST_BUILD_<arch> and its man pages (DIST_MAN),
# checked with lintian. Reproducible: the same commit gives the same bytes.
DIST_OUT ?= dist
DIST_BUILD_amd64 ?= build-dist-amd64/release
DIST_BUILD_arm64 ?= build-dist-arm64/release
DEB_ARCHES ?= amd64 arm64
deb: dist
	@for arch in $(DEB_ARCHES); do \
	  case $$arch in amd64) bin=$(DIST_BUILD_amd64) ;; arm64) bin=$(DIST_BUILD_arm64) ;; *) bin= ;; esac; \
	  bash scripts/deb.sh --bin "$$bin" --arch $$arch --out $(DIST_OUT) --man $(abspath $(DIST_MAN)) \
	    --version "$(VERSION)" --lintian || exit 1; \
	done

# linux/arm64, cross-built here and tested under qemu-aarch64-static (tests/arm64/README.md).
# `make arm64` builds the arm64 tend (static) and tendctl in ARM64_BUILD, plus native wrappers in
# ARM64_BUILD/qemu that run them under qemu (the black-box tests' TEND_BUILD and PATH).
# `make test-arm64` also builds the arm64 unit tests (a cold build: about 15 minutes) and runs
# them, less tests/arm64/qemu-unit-exclusions.txt, then the black-box suites that matter for an
# init (6.5 min warm); `make test` runs test-arm64-smoke: --version and four black-box tests (9 s warm).
ARM64_BUILD ?= build-arm64
ARM64_ENV = PATH=$(abspath $(ARM64_BUILD))/qemu:$$PATH TEND_BUILD=$(abspath $(ARM64_BUILD))/qemu \
  TEND_EMULATOR=qemu-aarch64-static
ARM64_BLACKBOX ?= tests/blackbox/test_init_cli.py tests/blackbox/test_init_exit.py \
  tests/blackbox/test_init_reap.py tests/blackbox/test_init_signals.py tests/blackbox/test_init_treestop.py \
  tests/blackbox/test_init_tty.py tests/blackbox/test_pid1_config.py tests/blackbox/test_demo.py \
  tests/blackbox/test_realconf.py tests/blackbox/test_rpc.py tests/blackbox/test_tendctl.py
# Init mode's graceful stop, the seed config as PID 1, supervisorctl (tail -f, beside supervisord)
# against arm64 tend, arm64 tendctl's status against supervisord.
ARM64_SMOKE ?= tests/blackbox/test_init_treestop.py::test_term_gives_every_worker_its_cleanup_then_exits \
  tests/blackbox/test_pid1_config.py::test_seed_config_as_pid1 \
  tests/blackbox/test_rpc.py::test_tail_follow_streams \
  tests/blackbox/test_tendctl.py::test_status_is_exactly_formatted

arm64: deps
	@[ -f $(ARM64_BUILD)/CMakeCache.txt ] || cmake -S . -B $(ARM64_BUILD) -DCMAKE_BUILD_TYPE=Release \
	  -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DTEND_VERSION_STRING='$(VERSION)' \
	  $(if $(CCACHE),-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache,) >/dev/null
	@grep -qxF 'TEND_VERSION_STRING:STRING=$(VERSION)' $(ARM64_BUILD)/CMakeCache.txt || \
	  cmake -S . -B $(ARM64_BUILD) -DTEND_VERSION_STRING='$(VERSION)' >/dev/null
	cmake --build $(ARM64_BUILD) -j$(JOBS) --target tend tendctl
	bash tests/arm64/qemu-wrappers.sh $(ARM64_BUILD)

test-arm64: arm64
	cmake --build $(ARM64_BUILD) -j$(JOBS) --target unit_tests
	bash tests/arm64/run-unit.sh $(ARM64_BUILD)
	$(ARM64_ENV) $(PYTEST) -q -p no:cacheprovider $(ARM64_BLACKBOX)

test-arm64-smoke: arm64
	bash tests/arm64/check-version.sh $(ARM64_BUILD)
	$(ARM64_ENV) $(PYTEST) -q -p no:cacheprovider $(ARM64_SMOKE)

# What make test runs instead of test-arm64-smoke: the same checks on the arm64 release binaries
# that check-repro-quick has just built (and found reproducible), which saves a third build.
REPRO_ARM64 = $(abspath $(BUILD))/repro/a/build-dist-arm64/release
repro-arm64-smoke: check-repro-quick
	bash tests/arm64/qemu-wrappers.sh $(REPRO_ARM64)
	bash tests/arm64/check-version.sh $(REPRO_ARM64)
	$(MAKE) --no-print-directory ARM64_BUILD=$(REPRO_ARM64) arm64-smoke-tests

arm64-smoke-tests:
	$(ARM64_ENV) $(PYTEST) -q -p no:cacheprovider $(ARM64_SMOKE)

# Release archives (scripts/dist.sh): static, stripped tend and tendctl for each of DIST_ARCHES,
# built in build-dist-<arch>/ from this checkout, packed with the man pages, LICENSE and README into
# dist/tend-<version>-linux-<arch>.tar.gz, plus dist/SHA256SUMS. Reproducible: `make check-repro`.
DIST_ARCHES ?= amd64 arm64
DIST_MAN ?= build-dist-man
dist: deps
	@$(MAKE) --no-print-directory man MAN_OUT=$(abspath $(DIST_MAN))
	JOBS=$(JOBS) bash scripts/dist.sh --man $(abspath $(DIST_MAN)) --out $(abspath dist) $(DIST_ARCHES)

# Clones HEAD twice into two different temporary directories, runs make dist in each and compares
# the results byte for byte (tests/repro/check_repro.sh). Slow: four cold release builds.
# check-repro-quick (in make test): only arm64 tend and tendctl, in two clones kept under
# $(BUILD)/repro, so that a second run rebuilds only what changed (repro-arm64-smoke then tests them).
check-repro: deps
	bash tests/repro/check_repro.sh
check-repro-quick: deps
	JOBS=$(JOBS) bash tests/repro/check_repro.sh --quick --arch arm64 --keep $(abspath $(BUILD))/repro

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(ARM64_BUILD) build-dist-* $(DIST_MAN) dist
