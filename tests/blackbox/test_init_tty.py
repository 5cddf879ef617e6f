"""Init mode under a terminal (pid1.md §9.22-24): the main child gets the
terminal's foreground, so input, job control and Ctrl-C behave as in a shell.
Each case runs on a fresh pty, tend as PID 1 (below unshare) and tend itself
as the session leader."""
import os
import pty
import re
import select
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures_init"))
import initlib as il  # noqa: E402


@pytest.fixture
def tend():
    init = il.tend()
    if not init.available():
        pytest.skip(f"{init.binary} not built")
    return init


class PtyRun:
    def __init__(self, argv):
        env = dict(os.environ, TERM="dumb", PS1="$ ")
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                os.execve(argv[0], argv, env)
            finally:
                os._exit(99)
        self.out = b""

    def read_until(self, needle, timeout=5.0):
        deadline = time.monotonic() + timeout
        while needle not in self.out:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {needle!r} in {self.out!r}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # EIO: the other side is gone
                    chunk = b""
                if not chunk:
                    raise TimeoutError(f"EOF before {needle!r} in {self.out!r}")
                self.out += chunk
        return self.out

    def read_until_re(self, pattern, timeout=5.0):
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.out):
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {pattern!r} in {self.out!r}")
            if select.select([self.fd], [], [], left)[0]:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise TimeoutError(f"EOF before {pattern!r} in {self.out!r}")
                self.out += chunk
        return self.out

    def write(self, data):
        os.write(self.fd, data)

    def wait(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            try:  # keep draining so the child never blocks on a full pty
                if select.select([self.fd], [], [], 0.02)[0]:
                    self.out += os.read(self.fd, 4096)
            except OSError:
                time.sleep(0.02)  # pty closed: keep polling for the exit until the deadline
        raise TimeoutError(f"no exit; output so far {self.out!r}")

    def close(self):
        try:
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)


@pytest.fixture
def run_pty():
    runs = []

    def start(argv, pid1):
        r = PtyRun([*(il.UNSHARE if pid1 else []), *argv])
        runs.append(r)
        return r

    yield start
    for r in runs:
        r.close()


@pytest.mark.parametrize("pid1", [True, False], ids=["pid1", "session-leader"])
def test_tac_round_trips_terminal_input(tend, run_pty, pid1):
    r = run_pty([tend.binary, "--", "tac"], pid1)
    r.write(b"1\n2\n3\n")
    r.read_until(b"3\r\n")  # the echo
    r.write(b"\x04")  # EOF
    out = r.read_until(b"3\r\n2\r\n1\r\n")
    assert out.endswith(b"3\r\n2\r\n1\r\n")
    assert r.wait() == 0


@pytest.mark.parametrize("pid1", [True, False], ids=["pid1", "session-leader"])
def test_bash_gets_job_control_and_exit_status(tend, run_pty, pid1):
    r = run_pty([tend.binary, "--", "bash", "--norc", "--noprofile", "-m"], pid1)
    r.write(b'echo "flags are: [[$-]]"\n')
    out = r.read_until_re(rb"flags are: \[\[([a-zA-Z]+)\]\]", 5)
    flags = re.search(rb"flags are: \[\[([a-zA-Z]+)\]\]", out).group(1)
    assert b"m" in flags and b"i" in flags
    assert b"cannot set terminal process group" not in out
    assert b"no job control" not in out
    r.write(b"exit 7\n")
    assert r.wait() == 7


@pytest.mark.parametrize("pid1", [True, False], ids=["pid1", "session-leader"])
def test_ctrl_c_ends_a_shell_loop_with_130(tend, run_pty, pid1):
    r = run_pty([tend.binary, "--", "sh", "-c", "while true; do echo tick; sleep 0.1; done"], pid1)
    r.read_until(b"tick")
    r.write(b"\x03")
    assert r.wait(3) == 130
