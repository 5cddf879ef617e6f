"""Main child that makes N children exit in the same instant as itself:
all block on one pipe, the main child closes it and exits CODE at once.

usage: sigchld_storm.py N CODE
"""
import os
import sys

n, code = int(sys.argv[1]), int(sys.argv[2])
r, w = os.pipe()
for _ in range(n):
    if os.fork() == 0:
        os.close(w)
        os.read(r, 1)
        os._exit(0)
os._exit(code)  # closes w: every child's read returns EOF now
