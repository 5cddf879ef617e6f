#!/bin/bash
# Usage: check-version.sh BUILD_ARM64_DIR
# The first thing make test-arm64-smoke checks: tend and tendctl in BUILD_ARM64_DIR are arm64 ELF
# files (e_machine 183, EM_AARCH64), tend is static (no program interpreter, so it runs in an image
# without a libc), and both start under qemu: tend prints its version, tendctl its usage.
set -euo pipefail
build=$1
fail() { echo "check-version: $*" >&2; exit 1; }
for name in tend tendctl; do
  machine=$(od -An -t u2 -j 18 -N 2 "$build/$name" | tr -d ' ')
  [ "$machine" = 183 ] || fail "unable to accept $build/$name: e_machine $machine, not 183 (aarch64)"
done
if readelf -l "$build/tend" | grep -q 'program interpreter'; then
  fail "unable to accept $build/tend: it names a program interpreter (not static)"
fi
version=$("$build/qemu/tend" --version) || fail "unable to run $build/tend --version under qemu"
[[ "$version" =~ ^[0-9] ]] || fail "unable to read a version from tend --version: '$version'"
"$build/qemu/tendctl" -h | grep -q '^Usage: ' || fail "unable to run $build/tendctl -h under qemu"
echo "arm64 tend $version and tendctl run under qemu-aarch64-static"
