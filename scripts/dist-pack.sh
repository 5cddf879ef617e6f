#!/usr/bin/env bash
# Packs one release archive, OUT_DIR/tend-VERSION-linux-ARCH.tar.gz, holding the directory
# tend-VERSION-linux-ARCH/ with bin/{tend,tendctl}, share/man/man{1,5,8}/ (tendctl.1, tend.conf.5,
# tend.8), LICENSE and README.md. The bytes depend only on the inputs' contents and on
# SOURCE_DATE_EPOCH: entries sorted by name, owner and group 0, every mtime SOURCE_DATE_EPOCH, fixed
# modes (0755 directories and programs, 0644 the rest), and gzip without a name or time stamp.
# Prints the archive's path.
# Usage: dist-pack.sh VERSION ARCH BIN_DIR MAN_DIR OUT_DIR
set -euo pipefail
if [ $# -ne 5 ]; then
  echo "usage: $0 VERSION ARCH BIN_DIR MAN_DIR OUT_DIR" >&2
  exit 2
fi
version=$1 arch=$2 bin=$3 man=$4 out=$5
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${SOURCE_DATE_EPOCH:?unable to pack reproducibly: SOURCE_DATE_EPOCH is not set}"
name="tend-$version-linux-$arch"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/$name"
install -d -m 0755 "$root/bin" "$root/share/man/man1" "$root/share/man/man5" "$root/share/man/man8"
install -m 0755 "$bin/tend" "$bin/tendctl" "$root/bin/"
install -m 0644 "$man/tendctl.1" "$root/share/man/man1/"
install -m 0644 "$man/tend.conf.5" "$root/share/man/man5/"
install -m 0644 "$man/tend.8" "$root/share/man/man8/"
install -m 0644 "$src/LICENSE" "$src/README.md" "$root/"
chmod 0755 "$root" "$root/share" "$root/share/man"

mkdir -p "$out"
archive="$(cd "$out" && pwd)/$name.tar.gz"
# GNU format: no pax headers, so no atime/ctime or process ids in the archive.
LC_ALL=C tar --create --format=gnu --sort=name --owner=0 --group=0 --numeric-owner \
  --mtime="@$SOURCE_DATE_EPOCH" --directory="$stage" "$name" | gzip -n -9 >"$archive.tmp"
mv "$archive.tmp" "$archive"
echo "$archive"
