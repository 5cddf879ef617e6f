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
        fuzz-build fuzz fuzz-smoke soak man dist check-repro check-repro-quick

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

blackbox: configure
	cmake --build $(BUILD) -j$(JOBS)
	TEND_BUILD=$(abspath $(BUILD)) $(PYTEST) -q tests/blackbox

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
test: export TEND_STRICT = 1
test: layers unit asan fuzz-smoke blackbox check-repro-quick
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

# TEMPORARY placeholder until branch i13-man (scripts/man.sh, pages from the docs) is merged: the
# integrator deletes this target. Writes three minimal pages so that make dist has something to pack.
man:
	@mkdir -p $(MAN_OUT)
	@for p in tend.8 tendctl.1 tend.conf.5; do \
	  printf '.TH %s %s "" "tend $(VERSION)"\n.SH NAME\n%s \\- placeholder page (issue 13)\n' \
	    "$${p%.*}" "$${p##*.}" "$${p%.*}" >$(MAN_OUT)/$$p; \
	done

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
# check-repro-quick (in make test): only amd64 tend, in two clones kept under $(BUILD)/repro, so
# that a second run rebuilds only what changed.
check-repro: deps
	bash tests/repro/check_repro.sh
check-repro-quick: deps
	JOBS=$(JOBS) bash tests/repro/check_repro.sh --quick --keep $(abspath $(BUILD))/repro

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) build-dist-* dist
