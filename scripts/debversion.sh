#!/usr/bin/env bash
# Prints the Debian package version for a tend version (scripts/version.sh, git describe).
#   1.2.3                 -> 1.2.3-1            a release tag (a leading "v" is dropped)
#   1.2.3-4-g1a2b3c4      -> 1.2.3+4.g1a2b3c4-1 4 commits after the tag: sorts after 1.2.3-1
#   0.1.0-g1a2b3c4        -> 0.1.0+g1a2b3c4-1   no tag yet (version.sh's base version and commit)
#   1a2b3c4 (bare commit) -> 0~g1a2b3c4-1       git describe --always with no tag: before any release
#   1.2.3-rc1             -> 1.2.3~rc1-1        a pre-release sorts before its release
# A "-dirty" suffix becomes "+dirty", any other hyphen a dot (only the revision may follow a hyphen).
# The "-1" is the Debian revision: the first package of that upstream version.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: debversion.sh VERSION" >&2; exit 2; }
v=${1#v}
dirty=
if [[ $v == *-dirty ]]; then v=${v%-dirty}; dirty=+dirty; fi
if [[ $v =~ ^(.+)-([0-9]+)-g([0-9a-f]+)$ ]]; then
  v="${BASH_REMATCH[1]}+${BASH_REMATCH[2]}.g${BASH_REMATCH[3]}"
elif [[ $v =~ ^(.+)-g([0-9a-f]+)$ ]]; then
  v="${BASH_REMATCH[1]}+g${BASH_REMATCH[2]}"
elif [[ $v =~ ^[0-9a-f]{7,40}$ && ! $v =~ ^[0-9.]+$ ]]; then
  v="0~g$v"
fi
while [[ $v =~ ^(.*)-([A-Za-z].*)$ ]]; do v="${BASH_REMATCH[1]}~${BASH_REMATCH[2]}"; done
v="${v//-/.}$dirty"
if ! [[ $v =~ ^[0-9][A-Za-z0-9.+~]*$ ]]; then
  echo "unable to map version '$1' to a Debian version: it must start with a digit" >&2
  exit 1
fi
echo "$v-1"
