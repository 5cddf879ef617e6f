#!/usr/bin/env bash
# Installs the Debian 12 packages tend needs to build, test and benchmark.
# Idempotent: does nothing (and needs no network) when everything is present.
set -euo pipefail
# Under TEND_STRICT=1 (make test) a test fails when something it needs is missing, so everything the
# tests use is here: gcc (`cc` builds the dockerapp fixture), python3-pytest, supervisor
# (supervisord, supervisorctl and the Python module: the differential tests), util-linux (unshare,
# setsid), mount (private mounts in the PID-1 and daemonize tests), valgrind (init-mode leak
# check), procps and psmisc; tini and dumb-init for the benchmarks and the init comparison;
# systemd (systemd-notify) and s6 (s6-notifyoncheck): the real readiness clients in the tests;
# python3-dotenv: the reference reader of environment_file's dotenv format (test_env_file.py
# checks that a program gets the values it reads from the same file); clang-14 and libclang-rt-14-dev:
# libFuzzer and the sanitizer runtimes of the fuzzers (make fuzz, fuzz-smoke in make test).
# The release (make dist, test-arm64, deb, man): g++-aarch64-linux-gnu and the arm64 builds of the
# libraries through multiarch (the :arm64 packages install beside the amd64 ones), qemu-user-static to
# run the arm64 binaries and tests, pandoc for the man pages, lintian to check the .deb, man-db for
# `man --warnings`; file, which the release tests ask whether a binary is static and stripped. lld links
# the static release tend with its hot functions together (--symbol-ordering-file,
# cmake/release_link.cmake): the difference between ~3 and under 2 MiB RSS. chromium: the web
# console's browser tests and benchmark drive a real headless browser (tests/blackbox/cdplib.py).
# prometheus: its promtool checks a /metrics scrape (test_metrics_probes.py). python3-pytest-xdist:
# make test runs the black-box modules that share nothing two at a time (they mostly wait on
# processes: one at a time kept the machine ~20 % busy), the ones that load or change the machine alone.
pkgs=(cmake g++ gcc make pkg-config libpugixml-dev libfmt-dev node-llhttp googletest libgtest-dev libgmock-dev
      python3 python3-pytest supervisor tini dumb-init procps psmisc util-linux mount valgrind
      systemd s6 python3-dotenv clang-14 libclang-rt-14-dev
      g++-aarch64-linux-gnu qemu-user-static libpugixml-dev:arm64 libgtest-dev:arm64 libgmock-dev:arm64
      pandoc lintian man-db lld file prometheus chromium python3-pytest-xdist)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  $SUDO dpkg --add-architecture arm64
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
