#!/usr/bin/python3
"""Where a process's resident memory is: one line per mapping of /proc/<pid>/smaps.

Usage: tools/rss_breakdown.py <pid>
       tools/rss_breakdown.py --run <tend> <config>   (starts tend -n -c <config>, waits, measures, stops it)

Each line gives Rss and the part of it that is private, with the mapping's permissions and name;
the text lines show how much of tend's code the kernel has mapped (fault-around maps up to 64 KiB
around each page touched, so code spread thinly over the binary costs far more than its size).
"""

import os
import signal
import subprocess
import sys
import time


def mappings(pid):
    """[(range, perms, name, {field: kB})] in address order."""
    out = []
    with open(f"/proc/{pid}/smaps") as f:
        cur = None
        for line in f:
            head = line.split()
            if head and "-" in head[0] and ":" not in head[0]:
                name = head[5] if len(head) > 5 else "[anon]"
                cur = (head[0], head[1], name, {})
                out.append(cur)
            elif cur is not None and len(head) >= 2 and head[0].endswith(":") and head[1].isdigit():
                cur[3][head[0][:-1]] = int(head[1])
    return out


def report(pid):
    rows = mappings(pid)
    total = 0
    print(f"{'Rss kB':>7} {'Priv kB':>7} {'Size kB':>8}  perms  mapping")
    for rng, perms, name, f in rows:
        rss = f.get("Rss", 0)
        total += rss
        if rss == 0:
            continue
        priv = f.get("Private_Clean", 0) + f.get("Private_Dirty", 0)
        print(f"{rss:7d} {priv:7d} {f.get('Size', 0):8d}  {perms}   {name} ({rng})")
    print(f"{total:7d} kB total ({total / 1024:.2f} MiB)")
    return total


def run(binary, config):
    p = subprocess.Popen([binary, "-n", "-c", config], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        # Settle like bench/run.py's memory case: the program is running, then half a second.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            kids = [t for t in os.listdir(f"/proc/{p.pid}/task")]
            with open(f"/proc/{p.pid}/task/{kids[0]}/children") as f:
                if f.read().split():
                    break
            time.sleep(0.01)
        time.sleep(0.5)
        return report(p.pid)
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=15)


def main(argv):
    if len(argv) == 2 and argv[1].isdigit():
        report(int(argv[1]))
        return 0
    if len(argv) == 4 and argv[1] == "--run":
        run(argv[2], argv[3])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
