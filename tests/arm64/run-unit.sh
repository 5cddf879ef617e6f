#!/bin/bash
# Usage: run-unit.sh BUILD_ARM64_DIR [gtest args...]
# Runs the arm64 unit_tests under qemu-aarch64-static, leaving out the tests named in
# qemu-unit-exclusions.txt (each there with the qemu-user limit that makes it fail; README.md).
set -euo pipefail
build=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
# "Suite.Name  # reason" lines; blank lines and lines starting with # are comments.
excluded=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$here/qemu-unit-exclusions.txt" | paste -sd:)
filter=${excluded:+-$excluded}
# No -L: unit_tests is dynamically linked, and its loader and libraries must be one glibc: the
# multiarch libc6:arm64 in /lib/aarch64-linux-gnu. With -L /usr/aarch64-linux-gnu the loader came
# from the cross toolchain's copy (2.36-8cross1) and libc.so.6 from libc6:arm64 (2.36-9+deb12u14):
# the first test with a second thread spun forever.
exec qemu-aarch64-static "$build/unit_tests" --gtest_brief=1 ${filter:+--gtest_filter="$filter"} "$@"
