"""Pipeline member for the group-mode scenario: logs "NAME start" then
"NAME TERM" for every SIGTERM (so a double delivery shows), exiting 0 on the
first after 0.2 s. Reads nothing; the pipe just links the processes.

usage: sig_logger.py NAME LOG
"""
import os
import signal
import sys
import time

name, log = sys.argv[1], sys.argv[2]
got = []


def say(msg):
    with open(log, "a") as f:
        f.write(f"{name} {msg}\n")


def on_term(sig, frame):
    say("TERM")
    got.append(time.monotonic())


signal.signal(signal.SIGTERM, on_term)
say(f"start {os.getpid()}")
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    if got and time.monotonic() - got[0] > 0.2:
        sys.exit(0)
    time.sleep(0.02)  # idle, so that a second TERM within 0.2 s of the first is seen and logged
sys.exit(3)
