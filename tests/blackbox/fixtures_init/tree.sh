#!/bin/sh
# Main child of the tree-stop scenarios. Builds three workers:
#   bgchild  a plain background child of main (main's process group)
#   orphan   double-forked, so it is reparented to the init (main's group)
#   daemon   double-forked and setsid (own session and group)
# Cleanup times 0.3 / 0.6 / 0.9 s. Env: PY (python), IGNORE=<name> makes that
# worker ignore TERM, MAIN=exit makes main exit 0 once all workers started,
# EXIT_WHEN=<file> makes the workers exit by themselves once the file exists.
log=$1
fx=$(dirname "$0")
py=${PY:-python3}
opts() {
  [ "$IGNORE" = "$1" ] && printf '%s ' --ignore-term
  [ -n "$EXIT_WHEN" ] && printf '%s %s' --exit-when "$EXIT_WHEN"
}
"$py" "$fx/worker.py" bgchild "$log" 0.3 $(opts bgchild) &
( "$py" "$fx/worker.py" orphan "$log" 0.6 $(opts orphan) & )
( setsid "$py" "$fx/worker.py" daemon "$log" 0.9 $(opts daemon) & )
started() { n=$(grep -c ' start ' "$log" 2>/dev/null); [ "${n:-0}" -ge 3 ]; }
until started; do sleep 0.02; done
echo "main ready $$" >> "$log"
if [ "$MAIN" = exit ]; then
  echo "main exits" >> "$log"
  exit 0
fi
wait
echo "main wait returned" >> "$log"
