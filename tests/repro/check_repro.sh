#!/usr/bin/env bash
# Checks that a release build does not depend on where or when it is built: the committed HEAD of
# this checkout (uncommitted changes are not part of it) is cloned into two directories whose paths
# differ in name and length, built in each, and the results are compared byte for byte.
#   check_repro.sh                  make dist in two fresh temporary clones; compares every file of
#                                   dist/ (archives and SHA256SUMS). Four cold release builds.
#   check_repro.sh --quick [--arch ARCH] [--keep DIR]
#                                   only ARCH's (default amd64) stripped tend and tendctl
#                                   (scripts/dist-build.sh: the same flags as make dist), compared.
#                                   With --keep the clones live in DIR and are moved to HEAD on each
#                                   run, so a rerun rebuilds only what changed; without it they go to
#                                   a temporary directory. The binaries stay in
#                                   DIR/a/build-dist-ARCH/release (make test runs the arm64 smoke
#                                   tests on them).
# On a difference it prints hints (cmp offsets, the archives' listings) and exits 1.
set -euo pipefail
quick=0
keep=
arch=amd64
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --keep) keep=$2; shift 2 ;;
    --arch) arch=$2; shift 2 ;;
    *) echo "usage: $0 [--quick [--arch amd64|arm64] [--keep DIR]]" >&2; exit 2 ;;
  esac
done
top=$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)
sha=$(git -C "$top" rev-parse HEAD)
if [ -n "$keep" ]; then
  work=$keep
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/tend-repro.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi
# Two clones whose paths differ in length too, so that a recorded path would shift what follows it.
one="$work/a"
two="$work/second-clone"

# Leaves DIR holding a checkout of $sha, touching only the files that differ from what it held.
checkout() {
  local dir=$1
  if [ ! -d "$dir/.git" ]; then
    rm -rf "$dir"
    git clone -q --no-checkout "$top" "$dir"
  fi
  # By commit id, not by HEAD: a commit made while the check runs must not reach the second clone.
  git -C "$dir" fetch -q "$top" "$sha"
  git -C "$dir" checkout -q --force --detach "$sha"
}

# Prints what may explain why files A and B differ.
hint() {
  local a=$1 b=$2
  echo "check-repro: $a and $b differ:" >&2
  cmp "$a" "$b" >&2 || true
  case "$a" in
    *.tar.gz)
      diff <(tar tvzf "$a" --full-time) <(tar tvzf "$b" --full-time) >&2 || true
      local x y
      x=$(mktemp -d) y=$(mktemp -d)
      tar xzf "$a" -C "$x" && tar xzf "$b" -C "$y"
      (cd "$x" && find . -type f | sort) | while read -r f; do
        cmp -s "$x/$f" "$y/$f" || { echo "  member $f differs:" >&2; cmp -l "$x/$f" "$y/$f" 2>&1 | head -5 >&2; }
      done
      rm -rf "$x" "$y"
      ;;
    *)
      cmp -l "$a" "$b" 2>&1 | head -5 >&2 || true
      echo "  (readelf -S, objdump -s -j <section> on both show where)" >&2
      ;;
  esac
}

failed=0
if [ "$quick" = 1 ]; then
  epoch=$(git -C "$top" log -1 --format=%ct "$sha")
  checkout "$one"
  checkout "$two"
  version=$(bash "$one/scripts/version.sh" "$one")
  for d in "$one" "$two"; do
    # The build's output (static glibc's getaddrinfo warnings included) only when it fails.
    SOURCE_DATE_EPOCH=$epoch bash "$d/scripts/dist-build.sh" "$arch" "$d/build-dist-$arch" \
      "$d/build-dist-$arch/release" "$version" tend tendctl >"$d.log" 2>&1 || { tail -n 30 "$d.log" >&2; exit 1; }
  done
  for t in tend tendctl; do
    a="$one/build-dist-$arch/release/$t" b="$two/build-dist-$arch/release/$t"
    if ! cmp -s "$a" "$b"; then
      hint "$a" "$b"
      failed=1
    else
      echo "check-repro: $arch $t of $sha is the same from $one and $two ($(stat -c %s "$a") bytes)"
    fi
  done
  exit $failed
fi

checkout "$one"
checkout "$two"
for d in "$one" "$two"; do
  echo "check-repro: make dist in $d"
  make -C "$d" --no-print-directory dist >"$d.log" 2>&1 || { tail -n 30 "$d.log" >&2; exit 1; }
done
files=$(cd "$one/dist" && ls)
if [ "$files" != "$(cd "$two/dist" && ls)" ]; then
  echo "check-repro: the two dist/ directories hold different files:" >&2
  diff <(echo "$files") <(cd "$two/dist" && ls) >&2 || true
  exit 1
fi
for f in $files; do
  if ! cmp -s "$one/dist/$f" "$two/dist/$f"; then
    hint "$one/dist/$f" "$two/dist/$f"
    failed=1
  fi
done
if [ $failed = 0 ]; then
  echo "check-repro: dist/ of $sha is byte-identical from $one and $two:"
  cat "$one/dist/SHA256SUMS"
fi
exit $failed
