#!/usr/bin/env bash
# Builds tend's .deb for one architecture from built binaries:
#   deb.sh --bin DIR --arch amd64|arm64 --out DIR [--man DIR] [--version V] [--lintian]
# writes OUT/tend_<debver>_<arch>.deb and prints its path. The package replaces Debian's supervisor
# (Provides, Conflicts, Replaces: dpkg removes supervisor when tend is installed, and tend may take
# over its files) and ships what supervisor's users reach for: /usr/bin/supervisord and supervisorctl
# (links to tend and tendctl), /etc/supervisor/supervisord.conf (a conffile) with conf.d/, and
# supervisor.service (alias tend.service). No maintainer scripts: nothing runs at install time.
#
# Reproducible: the same binaries, man pages and commit give the same bytes in any directory. Every
# time stamp is SOURCE_DATE_EPOCH (default: the commit's time; dpkg-deb uses it for the archive
# members), owners are root (--root-owner-group), modes are set explicitly, gzip runs with -n.
# --version defaults to scripts/version.sh (or git describe); scripts/debversion.sh maps it.
# DEB_MAINTAINER overrides the Maintainer field (default: the commit's author); DEB_COMPRESS the
# compressor (default xz; the tests use gzip where the bytes do not matter, as it is faster).
# --lintian runs lintian on the result and fails on an error or a warning.
set -euo pipefail

die() { echo "deb.sh: $*" >&2; exit 1; }

repo=$(cd "$(dirname "$0")/.." && pwd)
bin_dir= arch= out_dir= man_dir= version= run_lintian=0
while [ $# -gt 0 ]; do
  case $1 in
    --bin) bin_dir=$2; shift 2 ;;
    --arch) arch=$2; shift 2 ;;
    --out) out_dir=$2; shift 2 ;;
    --man) man_dir=$2; shift 2 ;;
    --version) version=$2; shift 2 ;;
    --lintian) run_lintian=1; shift ;;
    *) die "unknown option $1 (usage: deb.sh --bin DIR --arch amd64|arm64 --out DIR [--man DIR] [--version V] [--lintian])" ;;
  esac
done
[ -n "$bin_dir" ] && [ -n "$out_dir" ] || die "--bin and --out are required"
case $arch in
  amd64) strip_tool=strip; elf_machine="X86-64" ;;
  arm64) strip_tool=aarch64-linux-gnu-strip; elf_machine="AArch64" ;;
  *) die "unable to build for architecture '$arch': amd64 or arm64" ;;
esac
for b in tend tendctl; do
  [ -x "$bin_dir/$b" ] || die "unable to package $b: $bin_dir/$b is missing"
  # A binary of the other architecture would install and then fail with "Exec format error".
  readelf -h "$bin_dir/$b" | grep "Machine:.*$elf_machine" >/dev/null ||
    die "unable to package $bin_dir/$b: it is not an $arch ($elf_machine) binary"
done

if [ -z "$version" ]; then
  if [ -f "$repo/scripts/version.sh" ]; then
    version=$(bash "$repo/scripts/version.sh")
  else
    version=$(git -C "$repo" describe --tags --always)
  fi
fi
debver=$(bash "$repo/scripts/debversion.sh" "$version")
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git -C "$repo" log -1 --format=%ct)
fi
export SOURCE_DATE_EPOCH
# The default Maintainer is the commit's author: a real address, and the same in every build of it.
maintainer=${DEB_MAINTAINER:-$(git -C "$repo" log -1 --format='%an <%ae>')}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
umask 022

# Binaries, man pages and the compat names: the same layout as `make install-compat PREFIX=/usr`.
bash "$repo/scripts/install.sh" install --compat --gzip-man --prefix /usr --destdir "$root" \
  --bin "$bin_dir" ${man_dir:+--man "$man_dir"}
for b in tend tendctl; do
  # .comment only names the compilers; without it the file carries nothing the build host chose.
  "$strip_tool" --strip-all -R .comment "$root/usr/bin/$b"
done

install -D -m 0644 "$repo/packaging/deb/supervisord.conf" "$root/etc/supervisor/supervisord.conf"
install -d -m 0755 "$root/etc/supervisor/conf.d" "$root/var/log/supervisor"
install -D -m 0644 "$repo/packaging/deb/supervisor.service" "$root/lib/systemd/system/supervisor.service"

doc=$root/usr/share/doc/tend
install -d -m 0755 "$doc"
bash "$repo/scripts/deb_copyright.sh" "$repo/LICENSE" >"$doc/copyright"
{
  echo "tend ($debver) unstable; urgency=medium"
  echo
  echo "  * Built from tend $version."
  echo
  echo " -- $maintainer  $(LC_ALL=C date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -n -9 >"$doc/changelog.Debian.gz"

# Lintian's warnings stay on except the ones that are the point of the package or do not apply.
overrides=$root/usr/share/lintian/overrides/tend
install -D -m 0644 "$repo/packaging/deb/lintian-overrides" "$overrides"
dynamic=()
for b in tend tendctl; do
  if readelf -l "$root/usr/bin/$b" | grep "Requesting program interpreter" >/dev/null; then
    dynamic+=("$root/usr/bin/$b")
  else
    printf '# Static on purpose: runs in images without a libc (scratch, distroless) and as PID 1.\n' >>"$overrides"
    printf 'tend: statically-linked-binary [usr/bin/%s]\n' "$b" >>"$overrides"
  fi
done

# Dependencies: none for static binaries (make dist's); a dynamic build (a developer's) gets what it
# links, as dpkg-shlibdeps finds it (it wants a debian/control to read: a minimal one).
depends=
if [ ${#dynamic[@]} -gt 0 ]; then
  mkdir -p "$work/shlibs/debian"
  printf 'Source: tend\n\nPackage: tend\nArchitecture: any\n' >"$work/shlibs/debian/control"
  depends=$(cd "$work/shlibs" && DEB_HOST_ARCH="$arch" dpkg-shlibdeps -O "${dynamic[@]}" 2>"$work/shlibdeps.err" |
    sed -n 's/^shlibs:Depends=//p') || true
  [ -n "$depends" ] || die "unable to find the dependencies of ${dynamic[*]##*/}: $(cat "$work/shlibdeps.err")"
fi

# KiB as dpkg-gencontrol counts them: each file rounded up, 1 per directory and symlink. Not du: the
# size it gives a directory depends on the file system the tree was built on.
installed_size() {
  (cd "$root" && find . -path ./DEBIAN -prune -o -printf '%y %s\n') |
    awk '$1 == "f" { kib += int(($2 + 1023) / 1024); next } { kib += 1 } END { print kib }'
}

mkdir -p "$root/DEBIAN"
{
  echo "Package: tend"
  echo "Version: $debver"
  echo "Architecture: $arch"
  echo "Maintainer: $maintainer"
  echo "Installed-Size: $(installed_size)"
  [ -n "$depends" ] && echo "Depends: $depends"
  echo "Provides: supervisor"
  echo "Conflicts: supervisor"
  echo "Replaces: supervisor"
  echo "Section: admin"
  echo "Priority: optional"
  echo "Description: $(cat "$repo/packaging/deb/description")"
} >"$root/DEBIAN/control"
echo /etc/supervisor/supervisord.conf >"$root/DEBIAN/conffiles"
# md5sums of every shipped file except the conffile, /etc's only file (dpkg records its hash itself).
(cd "$root" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -print | LC_ALL=C sort |
  sed 's|^\./||' | xargs md5sum) >"$root/DEBIAN/md5sums"

find "$root" -type d -exec chmod 0755 {} +
find "$root" -type f -exec chmod 0644 {} +
chmod 0755 "$root/usr/bin/tend" "$root/usr/bin/tendctl"
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$out_dir"
deb="$out_dir/tend_${debver}_${arch}.deb"
dpkg-deb --root-owner-group -Z"${DEB_COMPRESS:-xz}" --build "$root" "$deb" >/dev/null
if [ "$run_lintian" = 1 ]; then
  lintian --fail-on error,warning --tag-display-limit 0 "$deb" >&2
fi
echo "$deb"
