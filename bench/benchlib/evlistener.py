#!/usr/bin/python3
"""The event listener of the `events` scenario (standard library only, raw protocol).

Usage: evlistener.py count STATSFILE   acknowledge every event at once; every 50 ms, and at each
                                       of the first events, overwrite STATSFILE with
                                       "<monotonic> <events> <lines>" (lines: newlines in the data
                                       after each payload's header line)
       evlistener.py stamp STAMPFILE   append "<monotonic> <eventname> <payload>" (newlines in the
                                       payload shown as |) for each event, stamped as soon as its
                                       header line is read, then acknowledge it

time.monotonic() is CLOCK_MONOTONIC, one clock for every process of the machine, so the harness
can subtract its own trigger time from the listener's receipt time. The payloads of these
scenarios are ASCII, so `len` characters are `len` bytes.
"""
import os
import sys
import time


def main():
    mode, path = sys.argv[1], sys.argv[2]
    stdin = sys.stdin.buffer
    write = os.write
    mono = time.monotonic
    events = lines = 0
    last = 0.0
    out = None
    if mode == "stamp":
        out = open(path, "a")
    while True:
        write(1, b"READY\n")
        header = stdin.readline()
        t = mono()
        if not header:
            return
        n = int(header.rsplit(b"len:", 1)[1])
        payload = stdin.read(n) if n else b""
        if mode == "count":
            events += 1
            lines += payload.count(b"\n") - 1
            if t - last >= 0.05 or events <= 3:
                with open(path + ".tmp", "w") as f:
                    f.write(f"{t:.6f} {events} {lines}\n")
                os.replace(path + ".tmp", path)
                last = t
        else:
            name = header.split(b"eventname:", 1)[1].split(b" ", 1)[0].decode()
            out.write(f"{t:.6f} {name} {payload.decode(errors='replace').replace(chr(10), '|')}\n")
            out.flush()
        write(1, b"RESULT 2\nOK")


if __name__ == "__main__":
    main()
