#!/usr/bin/env bash
# Writes OUT_DIR/SHA256SUMS for the given archives (which must be in OUT_DIR): sha256sum's format,
# one line per archive, sorted by name, so that `sha256sum -c --ignore-missing SHA256SUMS` checks a
# download. Usage: dist-sums.sh OUT_DIR ARCHIVE...
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 OUT_DIR ARCHIVE..." >&2
  exit 2
fi
out=$1
shift
names=()
for a in "$@"; do
  names+=("$(basename "$a")")
done
cd "$out"
printf '%s\n' "${names[@]}" | LC_ALL=C sort | xargs sha256sum >SHA256SUMS.tmp
mv SHA256SUMS.tmp SHA256SUMS
sha256sum --quiet -c SHA256SUMS
