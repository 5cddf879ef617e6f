#!/usr/bin/env bash
# Runs tend in the foreground on the demo config. Ctrl-C (SIGINT) stops every
# program gracefully and tend exits 0.
set -euo pipefail
tend=${1:-build/tend}
conf=${2:-examples/demo.conf}
export TEND_DEMO_DIR=${TEND_DEMO_DIR:-/tmp/tend-demo}
export TEND_DEMO_HTTP=${TEND_DEMO_HTTP:-127.0.0.1:9001}
mkdir -p "$TEND_DEMO_DIR"
echo "tend demo: logs in $TEND_DEMO_DIR; control with: build/tendctl -c $conf status;" \
  "console: http://$TEND_DEMO_HTTP/; stop with Ctrl-C"
exec "$tend" -c "$conf"
