"""Writes "ready" to LOG, then "got USR1" when SIGUSR1 arrives and exits 0.

usage: on_usr1.py LOG
"""
import signal
import sys
import time

log = sys.argv[1]


def on_usr1(sig, frame):
    with open(log, "a") as f:
        f.write("got USR1\n")
    sys.exit(0)


signal.signal(signal.SIGUSR1, on_usr1)
with open(log, "a") as f:
    f.write("ready\n")
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    time.sleep(0.05)  # idle: the work happens in the signal handler
sys.exit(3)
