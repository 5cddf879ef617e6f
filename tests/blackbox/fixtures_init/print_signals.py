"""Traps every catchable signal except CHLD (and KILL/STOP, which cannot be
caught), plus SIGRTMIN..SIGRTMIN+3, and appends each number to LOG, one per
line. Writes "ready" first. Exits 0 on SIGRTMAX (the harness's quit signal).

usage: print_signals.py LOG
"""
import os
import signal
import sys
import time

log = open(sys.argv[1], "a", buffering=1)


def on_signal(sig, frame):
    if sig == signal.SIGRTMAX:
        log.write("quit\n")
        os._exit(0)
    log.write(f"{sig}\n")


skip = {signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD}
for s in list(range(1, 32)) + [signal.SIGRTMIN + i for i in range(4)] + [signal.SIGRTMAX]:
    if s not in skip:
        signal.signal(s, on_signal)
log.write(f"ready {os.getpid()}\n")
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    time.sleep(0.05)  # idle: the work happens in the signal handler
sys.exit(3)
