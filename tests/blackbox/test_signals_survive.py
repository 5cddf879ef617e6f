"""Signals tend does not act on never end it, in either mode (src/sys/signal_takeover.h).

tend runs as an ordinary process (not PID 1, where the kernel would shield it). Every signal
1..64 it does not act on is sent to it: the fault signals (SEGV, BUS, ... sent with kill, not
real faults), glibc's reserved 32 and 33, the real-time ones. tend must keep running with its
program, and a TERM afterwards must still stop it cleanly. In init mode the signals it forwards
must also reach the child: fixtures/siglog.c blocks and logs every signal, 32 and 33 included.
"""
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import wait_for

sys.path.insert(0, str(Path(__file__).parent / "fixtures_init"))
sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
import initlib as il  # noqa: E402
import treelib as tl  # noqa: E402


UNCATCHABLE = {signal.SIGKILL, signal.SIGSTOP}
# What each mode acts on (never sent here): init stops on TERM/INT and reaps on CHLD; config
# shuts down on TERM/INT/QUIT, updates on HUP, reopens logs on USR2, reaps on CHLD.
INIT_ACTS = {signal.SIGTERM, signal.SIGINT, signal.SIGCHLD}
CONFIG_ACTS = {signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGHUP, signal.SIGUSR2, signal.SIGCHLD}
# Taken by init mode but never forwarded (init/signals.h).
INIT_DROPS = {signal.SIGTTIN, signal.SIGTTOU}

# `kill -s SPEC` as an operator types it, and the number it means.
# procps-ng 4.0.2's kill refuses "RTMAX" and "RTMAX-1" (Invalid argument): the last one is
# spelled from RTMIN.
KILL_SPECS = {"RTMIN": signal.SIGRTMIN, "RTMIN+3": signal.SIGRTMIN + 3, "RTMIN+30": signal.SIGRTMIN + 30,
              "32": 32, "33": 33}


@pytest.fixture(scope="module")
def siglog(tmp_path_factory):
    if not il.tend().available():
        pytest.skip("tend not built")
    return tl.compile_c("siglog", tmp_path_factory.mktemp("bin"))


def logged(log):
    """The signal numbers siglog logged, in order (its first line is "ready PID")."""
    return [int(x) for x in il.lines(log)[1:]]


class InitUnderTest:
    """`tend -- siglog LOG`, not PID 1."""

    def __init__(self, siglog, tmp_path):
        self.log = tmp_path / "siglog.log"
        self.run = il.Run(il.tend(), [str(siglog), str(self.log)], tmp=tmp_path, pid1=False)
        first = wait_for(lambda: il.lines(self.log)[:1], 5, what="siglog ready")
        self.child = int(first[0].split()[1])

    def send_and_see(self, sig):
        """Sends sig to tend; waits until the child logged it, unless tend drops it."""
        count = logged(self.log).count(sig)
        os.kill(self.run.proc.pid, sig)
        if sig not in INIT_DROPS:
            wait_for(lambda: logged(self.log).count(sig) > count, 5,
                     what=lambda: f"signal {sig} forwarded to the child\n{self.run.stderr()}")


def test_init_mode_survives_every_signal_and_forwards_it(siglog, tmp_path):
    t = InitUnderTest(siglog, tmp_path)
    with t.run:
        sent = [s for s in range(1, 65) if s not in UNCATCHABLE | INIT_ACTS]
        for sig in sent:  # one at a time: SIGCONT and the stop signals cancel each other pending
            t.send_and_see(sig)
        assert t.run.alive() and tl.running(t.child)
        assert logged(t.log) == [s for s in sent if s not in INIT_DROPS]
        os.kill(t.run.proc.pid, signal.SIGTERM)
        assert t.run.wait(10) == 0, t.run.stderr()  # the child's status: it exits 0 on TERM
    assert logged(t.log)[-1] == signal.SIGTERM


def test_config_mode_survives_every_signal_it_does_not_act_on(spawn, tmp_path):
    r = tl.ConfRun(spawn, tmp_path, "[program:sleeper]\ncommand=sleep 1000\n")
    prog = r.wait_running("sleeper")
    for sig in range(1, 65):
        if sig not in UNCATCHABLE | CONFIG_ACTS:
            os.kill(r.p.pid, sig)
    assert r.p.alive(), r.context()
    assert tl.running(prog)
    # A signal that killed tend did so before this TERM could be read: the status tells.
    r.p.send(signal.SIGTERM)
    assert r.p.wait(15) == 0, r.context()
    assert not tl.running(prog)


@pytest.mark.parametrize("mode", ["init", "config"])
def test_kill_command_real_time_and_reserved_signals(mode, siglog, spawn, tmp_path):
    kill = shutil.which("kill", path="/usr/bin:/bin")
    if kill is None:
        pytest.skip("no kill(1)")
    if mode == "init":
        t = InitUnderTest(siglog, tmp_path)
        with t.run:
            for spec, num in KILL_SPECS.items():
                subprocess.run([kill, "-s", spec, str(t.run.proc.pid)], check=True)
                wait_for(lambda: num in logged(t.log), 5, what=f"kill -s {spec} forwarded")
            assert t.run.alive() and tl.running(t.child)
            os.kill(t.run.proc.pid, signal.SIGTERM)
            assert t.run.wait(10) == 0, t.run.stderr()
        return
    r = tl.ConfRun(spawn, tmp_path, "[program:sleeper]\ncommand=sleep 1000\n")
    prog = r.wait_running("sleeper")
    for spec in KILL_SPECS:
        subprocess.run([kill, "-s", spec, str(r.p.pid)], check=True)
    assert r.p.alive(), r.context()
    assert tl.running(prog)
    r.p.send(signal.SIGTERM)
    assert r.p.wait(15) == 0, r.context()
