#!/bin/bash
# Usage: qemu-wrappers.sh BUILD_ARM64_DIR
# Compiles qemu_exec.c into BUILD_ARM64_DIR/qemu/tend and .../tendctl: native executables that run
# the arm64 tend and tendctl of BUILD_ARM64_DIR under qemu-aarch64-static. Point TEND_BUILD at
# BUILD_ARM64_DIR/qemu and put it first on PATH, and the black-box tests drive the arm64 binaries.
# qemu is called directly: binfmt_misc may not be mounted (containers, CI runners).
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
qemu=$(command -v qemu-aarch64-static) || { echo "unable to find qemu-aarch64-static: run scripts/install-deps.sh" >&2; exit 1; }
mkdir -p "$build/qemu"
for name in tend tendctl; do
  out="$build/qemu/$name"
  if [ "$out" -nt "$here/qemu_exec.c" ] && [ "$out" -nt "$0" ]; then
    continue
  fi
  cc -O1 -Wall -Wextra -Werror -o "$out.tmp" "$here/qemu_exec.c" \
    -DQEMU="\"$qemu\"" -DTARGET="\"$build/$name\""
  mv "$out.tmp" "$out"
done
