#!/usr/bin/env bash
# Prints debian/copyright in the machine-readable format (DEP-5) for an MIT LICENSE file:
#   deb_copyright.sh LICENSE
# The copyright line comes from LICENSE's "Copyright (c) ..." line; the licence text follows as the
# "License: Expat" paragraph (Debian's name for this MIT text), blank lines written as " .".
set -euo pipefail
license=${1:?usage: deb_copyright.sh LICENSE}
holder=$(sed -n 's/^Copyright (c) //p' "$license" | head -1)
[ -n "$holder" ] || { echo "unable to read the copyright holder from $license: no 'Copyright (c)' line" >&2; exit 1; }
grep -q "^Permission is hereby granted, free of charge" "$license" ||
  { echo "unable to use $license: not the MIT (Expat) text" >&2; exit 1; }
cat <<HEAD
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: tend

Files: *
Copyright: $holder
License: Expat

License: Expat
HEAD
# The text after the copyright line, each line indented by one space, empty lines as " .".
sed -n '/^Permission is hereby granted/,$p' "$license" | sed -e 's/^$/./' -e 's/^/ /'
