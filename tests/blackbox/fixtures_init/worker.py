"""A tree-stop worker: logs its start, and on SIGTERM logs "got TERM", spends
CLEANUP seconds cleaning up, logs "clean exit" and exits 0.

usage: worker.py NAME LOG CLEANUP [--ignore-term] [--exit-when FILE]
--ignore-term: log the TERM but keep running (only SIGKILL ends it).
--exit-when FILE: exit 0 by itself once FILE exists.
A worker never outlives 30 s, so a broken test cannot leak it for long.
"""
import os
import signal
import sys
import time

name, log, cleanup = sys.argv[1], sys.argv[2], float(sys.argv[3])
ignore = "--ignore-term" in sys.argv
exit_when = sys.argv[sys.argv.index("--exit-when") + 1] if "--exit-when" in sys.argv else None


def say(msg):
    with open(log, "a") as f:
        f.write(f"{name} {msg}\n")


def on_term(sig, frame):
    say("got TERM")
    if ignore:
        return
    time.sleep(cleanup)  # the cleanup time the init must allow: the behaviour under test
    say("clean exit")
    os._exit(0)


signal.signal(signal.SIGTERM, on_term)
say(f"start {os.getpid()}")
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    if exit_when and os.path.exists(exit_when):
        say("exit by itself")
        sys.exit(0)
    time.sleep(0.05)  # idle until signalled, or until FILE appears (polled)
say("timeout")
sys.exit(3)
