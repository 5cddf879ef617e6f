"""Main child of the reaping scenarios. Creates N orphans (sleeps of 0.1-0.5 s
started by an intermediate shell that exits at once), waits until none is
running any more, then gives the init 1 s to reap them. Exits 0 when no
zombie is left in the PID namespace, 1 (printing the count) otherwise.

usage: reaper_check.py N
"""
import os
import subprocess
import sys
import time

n = int(sys.argv[1])
script = "i=0; while [ $i -lt %d ]; do sleep 0.$((i %% 5 + 1)) & i=$((i+1)); done" % n
subprocess.run(["sh", "-c", script], check=True)


def others():
    """(pid, state) of every process but us and our ancestors."""
    keep = set()
    p = os.getpid()
    while p > 0:
        keep.add(p)
        try:
            with open(f"/proc/{p}/stat") as f:
                p = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            break
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit() and int(d) not in keep:
            try:
                with open(f"/proc/{d}/stat") as f:
                    out.append((int(d), f.read().rsplit(")", 1)[1].split()[0]))
            except OSError:
                pass
    return out


deadline = time.monotonic() + 10
while time.monotonic() < deadline and any(s != "Z" for _, s in others()):
    time.sleep(0.02)  # poll interval: until every orphan has exited
deadline = time.monotonic() + 1
while time.monotonic() < deadline and others():
    time.sleep(0.02)  # poll interval: until the init has reaped them all, or 1 s (then zombies count)
zombies = [p for p, s in others() if s == "Z"]
print(f"zombies={len(zombies)}", flush=True)
sys.exit(1 if zombies else 0)
