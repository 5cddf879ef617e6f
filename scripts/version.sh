#!/usr/bin/env bash
# Prints tend's version, derived from git tags:
#   HEAD at tag v1.2.3                  -> 1.2.3
#   N commits after v1.2.3              -> 1.2.3-N-g<sha12>
#   no v* tag reachable                 -> <base>-g<sha12>
#   any of these with tracked changes   -> ...-dirty
#   not a git checkout                  -> <base>
# <base> is the VERSION in CMakeLists.txt's project(). Tags must look like v<digit>...
# Usage: version.sh [REPO_DIR]   (default: the checkout holding this script)
set -euo pipefail
dir=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
base=$(sed -n 's/^project([^)]*VERSION \([0-9][0-9.]*\).*/\1/p' "$dir/CMakeLists.txt" 2>/dev/null | head -n1 || true)
base=${base:-0.0.0}
if ! git -C "$dir" rev-parse --git-dir >/dev/null 2>&1; then
  echo "$base"
  exit 0
fi
# Refresh the index first: a file whose mtime changed but whose content did not is not "dirty".
git -C "$dir" update-index -q --refresh >/dev/null 2>&1 || true
if described=$(git -C "$dir" describe --tags --match 'v[0-9]*' --abbrev=12 --dirty 2>/dev/null); then
  echo "${described#v}"
  exit 0
fi
sha=$(git -C "$dir" rev-parse --short=12 HEAD 2>/dev/null) || { echo "$base"; exit 0; }
dirty=
if ! git -C "$dir" diff-index --quiet HEAD -- 2>/dev/null; then
  dirty=-dirty
fi
echo "$base-g$sha$dirty"
