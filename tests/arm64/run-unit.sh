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
exec qemu-aarch64-static -L "${QEMU_SYSROOT:-/usr/aarch64-linux-gnu}" "$build/unit_tests" \
  --gtest_brief=1 ${filter:+--gtest_filter="$filter"} "$@"
