#!/bin/bash
# Generates the man pages from the docs (the docs are the one source of truth):
#   docs/tend.md    -> OUTDIR/tend.8
#   docs/tendctl.md -> OUTDIR/tendctl.1
#   docs/config.md  -> OUTDIR/tend.conf.5 (behind a short NAME/SYNOPSIS preamble)
#
# usage: scripts/man.sh OUTDIR [VERSION]
#
# VERSION goes in the footer; without it: scripts/version.sh when present, else
# `git describe --tags --always`, else 0.1.0. The date is SOURCE_DATE_EPOCH when
# set, else the last commit's date, so two runs on one commit give the same
# bytes (make dist checks it). Needs pandoc (Debian 12: 2.17).
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 OUTDIR [VERSION]" >&2
  exit 2
fi
out=$1
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

version=${2:-}
if [ -z "$version" ] && [ -x "$root/scripts/version.sh" ]; then
  version=$("$root/scripts/version.sh" 2>/dev/null || true)
fi
if [ -z "$version" ]; then
  version=$(git -C "$root" describe --tags --always 2>/dev/null || true)
fi
version=${version:-0.1.0}

epoch=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || true)}
if [ -z "$epoch" ]; then
  epoch=$(date +%s)  # not a checkout and no SOURCE_DATE_EPOCH: nothing better to go by
fi
date=$(date -u -d "@$epoch" +%Y-%m-%d)

command -v pandoc >/dev/null || {
  echo "$0: unable to run pandoc: not installed (scripts/install-deps.sh installs it)" >&2
  exit 1
}
mkdir -p "$out"

# render NAME SECTION OUTFILE INPUT... [-- PANDOC_ARGS...]
render() {
  local name=$1 section=$2 file=$3
  shift 3
  local inputs=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    inputs+=("$1")
    shift
  done
  [ $# -gt 0 ] && shift
  # gfm: the docs are written for GitHub's renderer. --wrap=preserve keeps the
  # source's line breaks, so a page diff follows a doc diff. hyphenate= (empty)
  # gives .nh: hyphenation would split option names ("--configura-tion"); and
  # without it, justifying a line of long code words fails (groff warns), so
  # lines are left-aligned (.ad l).
  pandoc -f gfm -t man -s --wrap=preserve -V hyphenate= -V adjusting=l \
    --lua-filter="$root/scripts/man.lua" \
    -M title="$name" -M section="$section" -M date="$date" \
    -M footer="tend $version" -M header="tend manual" \
    "$@" -o "$out/$file" "${inputs[@]}"
}

render TEND 8 tend.8 "$root/docs/tend.md"
render TENDCTL 1 tendctl.1 "$root/docs/tendctl.md"

# tend.conf(5): config.md is a web page (a title, then sections); the
# preamble gives it the sections a man page starts with, and the filter
# drops the title and lifts the sections up one level.
preamble=$(mktemp)
trap 'rm -f "$preamble"' EXIT
cat >"$preamble" <<'EOF'
# NAME

tend.conf - configuration file of tend, in supervisord's format

# SYNOPSIS

*/etc/supervisord.conf*, *supervisord.conf*, or the file named by **tend -c** *FILE*

# DESCRIPTION

EOF
render TEND.CONF 5 tend.conf.5 "$preamble" "$root/docs/config.md" -- -M man-shift-headings=true
