#!/usr/bin/env bash
# Installs tend and tendctl (and their man pages) under a prefix, or removes what it installs.
#   install.sh install   --bin DIR --prefix P [--destdir D] [--man DIR] [--compat] [--gzip-man]
#   install.sh uninstall --prefix P [--destdir D]
# Layout: P/bin/{tend,tendctl}, P/share/man/man8/tend.8, man1/tendctl.1, man5/tend.conf.5 (".gz" with
# --gzip-man: gzip -n, so the bytes do not depend on when they were made). --compat adds the names
# scripts and habits call, as relative symlinks: bin/supervisord -> tend, bin/supervisorctl -> tendctl,
# bin/echo_supervisord_conf -> tend (it prints the sample config when called by that name),
# and the same for their man pages. An existing supervisord or supervisorctl that is not such a link
# (a pip-installed supervisor, say) is never overwritten: install fails instead.
# uninstall removes exactly these files; a compat name only while it still points at tend's file.
# scripts/deb.sh builds the .deb's tree with this script too (--prefix /usr), so both agree.
set -euo pipefail

die() { echo "install.sh: $*" >&2; exit 1; }

# "name section target": the man pages, and which compat link points at which installed name.
readonly k_man_pages=("tend 8" "tendctl 1" "tend.conf 5")
readonly k_compat_bins=("supervisord tend" "supervisorctl tendctl" "echo_supervisord_conf tend")
readonly k_compat_man=("supervisord 8 tend" "supervisorctl 1 tendctl" "echo_supervisord_conf 8 tend")

action=${1:-}
[ $# -gt 0 ] && shift
bin_dir= man_dir= prefix= destdir= compat=0 gzip_man=0
while [ $# -gt 0 ]; do
  case $1 in
    --bin) bin_dir=$2; shift 2 ;;
    --man) man_dir=$2; shift 2 ;;
    --prefix) prefix=$2; shift 2 ;;
    --destdir) destdir=$2; shift 2 ;;
    --compat) compat=1; shift ;;
    --gzip-man) gzip_man=1; shift ;;
    *) die "unknown option $1" ;;
  esac
done
[ -n "$prefix" ] || die "--prefix is required"
root="$destdir$prefix"

# Creates a relative symlink $1 -> $2 unless a file that is not that link is in the way.
link_compat() {
  local path=$1 target=$2
  if [ -e "$path" ] || [ -L "$path" ]; then
    [ -L "$path" ] && [ "$(readlink "$path")" = "$target" ] && return 0
    die "unable to install $path: it exists and is not a link to $target (another supervisor? remove it first)"
  fi
  ln -s "$target" "$path"
}

# Removes $1 if it is a symlink to $2 (a compat name we made); leaves anything else alone.
unlink_compat() {
  local path=$1 target=$2
  if [ -L "$path" ] && [ "$(readlink "$path")" = "$target" ]; then
    rm -f "$path"
  fi
}

do_install() {
  [ -n "$bin_dir" ] || die "--bin is required"
  local b
  for b in tend tendctl; do
    [ -x "$bin_dir/$b" ] || die "unable to install $b: $bin_dir/$b is missing (build it first)"
  done
  install -d -m 0755 "$root/bin"
  install -m 0755 "$bin_dir/tend" "$bin_dir/tendctl" "$root/bin/"
  local ext= entry name sec
  [ "$gzip_man" = 1 ] && ext=.gz
  if [ -n "$man_dir" ]; then
    for entry in "${k_man_pages[@]}"; do
      read -r name sec <<<"$entry"
      [ -f "$man_dir/$name.$sec" ] || die "unable to install $name($sec): $man_dir/$name.$sec is missing (make man)"
      install -d -m 0755 "$root/share/man/man$sec"
      if [ "$gzip_man" = 1 ]; then
        gzip -n -9 -c "$man_dir/$name.$sec" >"$root/share/man/man$sec/$name.$sec.gz"
        chmod 0644 "$root/share/man/man$sec/$name.$sec.gz"
      else
        install -m 0644 "$man_dir/$name.$sec" "$root/share/man/man$sec/"
      fi
    done
  fi
  [ "$compat" = 1 ] || return 0
  local target
  for entry in "${k_compat_bins[@]}"; do
    read -r name target <<<"$entry"
    link_compat "$root/bin/$name" "$target"
  done
  [ -n "$man_dir" ] || return 0
  for entry in "${k_compat_man[@]}"; do
    read -r name sec target <<<"$entry"
    link_compat "$root/share/man/man$sec/$name.$sec$ext" "$target.$sec$ext"
  done
}

do_uninstall() {
  local entry name sec target ext
  for entry in "${k_compat_bins[@]}"; do
    read -r name target <<<"$entry"
    unlink_compat "$root/bin/$name" "$target"
  done
  for entry in "${k_compat_man[@]}"; do
    read -r name sec target <<<"$entry"
    for ext in "" .gz; do
      unlink_compat "$root/share/man/man$sec/$name.$sec$ext" "$target.$sec$ext"
    done
  done
  rm -f "$root/bin/tend" "$root/bin/tendctl"
  for entry in "${k_man_pages[@]}"; do
    read -r name sec <<<"$entry"
    rm -f "$root/share/man/man$sec/$name.$sec" "$root/share/man/man$sec/$name.$sec.gz"
  done
}

case $action in
  install) do_install ;;
  uninstall) do_uninstall ;;
  *) die "usage: install.sh install|uninstall --prefix P [--destdir D] [--bin DIR] [--man DIR] [--compat] [--gzip-man]" ;;
esac
