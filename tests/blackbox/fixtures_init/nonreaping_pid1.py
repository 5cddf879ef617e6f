"""A PID 1 that reaps nothing but its one child (like `sleep` as PID 1): runs
ARGV, waits for that pid only, exits with its status. Orphans reparented to it
stay zombies, so an init running below it must be a subreaper to reap them.

usage: nonreaping_pid1.py ARGV...
"""
import os
import sys

pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
_, status = os.waitpid(pid, 0)
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
