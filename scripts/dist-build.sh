#!/usr/bin/env bash
# Builds one architecture's release binaries: tend and tendctl, both static, Release, no unit tests,
# no compiler cache, stripped (symbols and .comment), into OUT_DIR. Meant to be reproducible: the
# same commit gives the same bytes whatever directory it is built in, so BUILD_DIR must lie inside
# the source tree (every path the compiler records is mapped to one relative to it) and the caller
# exports SOURCE_DATE_EPOCH (scripts/dist.sh does both).
# Usage: dist-build.sh ARCH BUILD_DIR OUT_DIR VERSION [TARGET...]   (ARCH: amd64 or arm64;
#        TARGETs default to "tend tendctl")
set -euo pipefail
if [ $# -lt 4 ]; then
  echo "usage: $0 ARCH BUILD_DIR OUT_DIR VERSION [TARGET...]" >&2
  exit 2
fi
arch=$1 build=$2 out=$3 version=$4
shift 4
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(tend tendctl)
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs=${JOBS:-$(nproc)}

case "$arch" in
  amd64) toolchain=() strip_tool=strip file_arch="x86-64" ;;
  arm64) toolchain=(-DCMAKE_TOOLCHAIN_FILE="$src/cmake/aarch64-linux-gnu.cmake")
         strip_tool=aarch64-linux-gnu-strip file_arch="ARM aarch64" ;;
  *) echo "unable to build for $arch: not amd64 or arm64" >&2; exit 2 ;;
esac
mkdir -p "$build" "$out"
build=$(cd "$build" && pwd)
case "$build/" in
  "$src"/*) ;;
  *) echo "unable to build in $build: a reproducible build directory must be inside $src" >&2; exit 2 ;;
esac
: "${SOURCE_DATE_EPOCH:?unable to build reproducibly: SOURCE_DATE_EPOCH is not set}"
export SOURCE_DATE_EPOCH LC_ALL=C TZ=UTC

# -ffile-prefix-map rewrites __FILE__ (assert messages) and any debug paths to "./...".
map="-ffile-prefix-map=$src=."
cmake -S "$src" -B "$build" "${toolchain[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DTEND_TESTS=OFF -DTEND_STATIC=ON -DTEND_STATIC_TENDCTL=ON -DTEND_SANITIZE=OFF \
  -DTEND_VERSION_STRING="$version" \
  -DCMAKE_C_COMPILER_LAUNCHER= -DCMAKE_CXX_COMPILER_LAUNCHER= \
  -DCMAKE_C_FLAGS="$map" -DCMAKE_CXX_FLAGS="$map" >/dev/null
cmake --build "$build" -j"$jobs" --target "${targets[@]}"

for t in "${targets[@]}"; do
  "$strip_tool" --strip-all -R .comment -o "$out/$t" "$build/$t"
  what=$(file -b "$out/$t")
  for want in "$file_arch" "statically linked" ", stripped"; do
    if [[ "$what" != *"$want"* ]]; then
      echo "unable to release $out/$t: file says \"$what\", expected \"$want\"" >&2
      exit 1
    fi
  done
done
