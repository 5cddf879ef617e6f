#!/usr/bin/env bash
# `make dist`: the release archives of the checkout this script is in, for each ARCH (default amd64
# arm64), built in build-dist-ARCH/ by dist-build.sh and packed by dist-pack.sh into OUT_DIR
# (default dist/), then OUT_DIR/SHA256SUMS over the archives made (dist-sums.sh).
# Earlier tend-*-linux-*.tar.gz archives in OUT_DIR are removed first.
# The version is scripts/version.sh's; SOURCE_DATE_EPOCH, when not set, is the commit time of HEAD.
# Usage: dist.sh --man MAN_DIR [--out OUT_DIR] [ARCH...]
set -euo pipefail
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out="$src/dist"
man=
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --man) man=$2; shift 2 ;;
    -*) echo "usage: $0 --man MAN_DIR [--out OUT_DIR] [ARCH...]" >&2; exit 2 ;;
    *) break ;;
  esac
done
arches=("$@")
[ ${#arches[@]} -gt 0 ] || arches=(amd64 arm64)
if [ -z "$man" ] || [ ! -d "$man" ]; then
  echo "unable to pack the man pages: no directory given with --man (make dist runs make man)" >&2
  exit 2
fi

version=$(bash "$src/scripts/version.sh" "$src")
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git -C "$src" log -1 --format=%ct 2>/dev/null) || {
    echo "unable to date the release: not a git checkout and SOURCE_DATE_EPOCH is not set" >&2
    exit 2
  }
fi
export SOURCE_DATE_EPOCH

mkdir -p "$out"
rm -f "$out"/tend-*-linux-*.tar.gz "$out/SHA256SUMS"
archives=()
for arch in "${arches[@]}"; do
  echo "dist: building $version for linux/$arch in build-dist-$arch"
  bash "$src/scripts/dist-build.sh" "$arch" "$src/build-dist-$arch" "$src/build-dist-$arch/release" "$version"
  archives+=("$(bash "$src/scripts/dist-pack.sh" "$version" "$arch" "$src/build-dist-$arch/release" "$man" "$out")")
done
bash "$src/scripts/dist-sums.sh" "$out" "${archives[@]}"
echo "dist: wrote to $out:"
(cd "$out" && ls -l "${archives[@]##*/}" SHA256SUMS)
