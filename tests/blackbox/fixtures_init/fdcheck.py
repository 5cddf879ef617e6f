"""Records the fds of this process and of its parent (the init) as JSON in
OUT, plus LISTEN_PID and our pid, then closes fd PASSFD (a pipe the harness
passed through the init) and runs until GOFILE exists.

usage: fdcheck.py OUT PASSFD GOFILE
"""
import json
import os
import sys
import time

out, passfd, gofile = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def fds(pid):
    d = f"/proc/{pid}/fd"
    res = {}
    for name in os.listdir(d):
        try:
            res[name] = os.readlink(f"{d}/{name}")
        except OSError:
            pass
    return res


info = {"self": fds("self"), "parent": fds(os.getppid()), "pid": os.getpid(),
        "listen_pid": os.environ.get("LISTEN_PID"), "cwd": os.getcwd(),
        "parent_cwd": os.readlink(f"/proc/{os.getppid()}/cwd")}
with open(out + ".tmp", "w") as f:
    json.dump(info, f)
os.rename(out + ".tmp", out)
os.close(passfd)
deadline = time.monotonic() + 20
while time.monotonic() < deadline and not os.path.exists(gofile):
    time.sleep(0.02)  # poll interval of a bounded wait for GOFILE
