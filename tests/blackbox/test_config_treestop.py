"""Shutdown of the whole process tree, where config mode drifted from init mode
(src/sys/tree_stop.h has the shared rules).

(a) A stopped process cannot act on its stop signal until someone continues it. The program's
    own stop and the final sweep must follow the stop signal with SIGCONT, so it exits through
    its TERM handler at once instead of being SIGKILLed at stopwaitsecs or shutdown_grace.
(b) A descendant that keeps forking children that ignore TERM during the shutdown: one SIGKILL
    pass misses the newest children, and re-sending only TERM after each reap leaves tend
    waiting for them forever. tend must kill again after each reap and give up at a last-resort
    deadline: it exits within shutdown_grace plus a few seconds.

Both modes run on the same sys TreeStop; the init-mode cases run the same scenarios as a
control. They take the `spawn` fixture only to make pytest a subreaper, so that whatever a failed
run leaves behind is found and killed.
"""
import os
import signal
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import read_text, session_pids, wait_for

sys.path.insert(0, str(Path(__file__).parent / "fixtures_init"))
sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
import initlib as il  # noqa: E402
import treelib as tl  # noqa: E402

PY = "/usr/bin/python3"

# Writes "term" to OUT from its TERM handler and exits 0.
TERM_WRITER = """
import os, signal, sys, time
def on_term(sig, frame):
    with open(sys.argv[1], "w") as f:
        f.write("term\\n")
    os._exit(0)
signal.signal(signal.SIGTERM, on_term)
while True:
    time.sleep(1)
"""

# The program forks a TERM_WRITER-like descendant, in its own session or in the program's
# process group, which writes its pid to PIDFILE; the program itself dies of TERM.
FORKS_A_WRITER = """
import os, signal, sys, time
where, out, pidfile = sys.argv[1:4]
if os.fork() == 0:
    if where == "session":
        os.setsid()
    def on_term(sig, frame):
        with open(out, "w") as f:
            f.write("term\\n")
        os._exit(0)
    signal.signal(signal.SIGTERM, on_term)
    with open(pidfile + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.rename(pidfile + ".tmp", pidfile)
    while True:
        time.sleep(1)
while True:
    time.sleep(1)
"""


@pytest.fixture(scope="module")
def forker(tmp_path_factory):
    if not il.tend().available():
        pytest.skip("tend not built")
    return tl.compile_c("forker", tmp_path_factory.mktemp("bin"))


def write_script(dir, name, text):
    path = Path(dir) / name
    path.write_text(textwrap.dedent(text))
    return path


def stop_and_wait(pid):
    os.kill(pid, signal.SIGSTOP)
    wait_for(lambda: tl.proc_state(pid) == "T", 5, what=f"pid {pid} stopped")


def read_pid(path):
    return int(wait_for(lambda: read_text(path).strip(), 10, what=f"pid in {path}"))


# ---------------------------------------------------------------------------------------------
# (a) stopped processes get SIGCONT after their stop signal

def test_stopped_program_gets_cont_and_exits_through_its_term_handler(spawn, tmp_path):
    script = write_script(tmp_path, "writer.py", TERM_WRITER)
    out = tmp_path / "frozen.term"
    r = tl.ConfRun(spawn, tmp_path, f"""
        [program:frozen]
        command={PY} {script} {out}
        stopwaitsecs=30
        """)
    pid = r.wait_running("frozen")
    stop_and_wait(pid)
    r.p.send(signal.SIGTERM)
    # Without SIGCONT it stays stopped until SIGKILL at stopwaitsecs (30 s).
    assert r.p.wait(10) == 0, r.context()
    assert read_text(out) == "term\n"
    assert r.wait_log(r"stopped: frozen \(exit status 0\)")


@pytest.mark.parametrize("where", ["session", "group"])
def test_stopped_descendant_gets_cont_in_the_sweep(spawn, tmp_path, where):
    script = write_script(tmp_path, "forks.py", FORKS_A_WRITER)
    out, pidfile = tmp_path / "desc.term", tmp_path / "desc.pid"
    r = tl.ConfRun(spawn, tmp_path, f"""
        [program:parent]
        command={PY} {script} {where} {out} {pidfile}
        """, supervisord="shutdown_grace=30\n")
    r.wait_running("parent")
    desc = read_pid(pidfile)
    stop_and_wait(desc)
    r.p.send(signal.SIGTERM)
    # Without SIGCONT it stays stopped until SIGKILL at shutdown_grace (30 s).
    assert r.p.wait(10) == 0, r.context()
    assert read_text(out) == "term\n"
    assert not tl.running(desc)


@pytest.mark.parametrize("where", ["session", "group"])
def test_init_mode_control_stopped_descendant_gets_cont(spawn, tmp_path, where):
    script = write_script(tmp_path, "forks.py", FORKS_A_WRITER)
    out, pidfile = tmp_path / "desc.term", tmp_path / "desc.pid"
    with il.Run(il.tend(), [PY, str(script), where, str(out), str(pidfile)], ["--grace", "30"], tmp=tmp_path,
                pid1=False) as r:
        desc = read_pid(pidfile)
        stop_and_wait(desc)
        r.kill(signal.SIGTERM)
        assert r.wait(10) == 128 + signal.SIGTERM, r.stderr()  # the main child died of the TERM
    assert read_text(out) == "term\n"
    assert not tl.running(desc)


# ---------------------------------------------------------------------------------------------
# (b) a descendant forking TERM-ignoring children through the shutdown

GRACE = 1
# shutdown_grace, then the last-resort deadline after SIGKILL (2 s), then slack for a busy machine.
STORM_BOUND = GRACE + 2 + 7


def test_forking_descendant_does_not_leave_tend_waiting(spawn, tmp_path, forker):
    ready = tmp_path / "forker.pid"
    r = tl.ConfRun(spawn, tmp_path, f"""
        [program:storm]
        command={forker} {ready}
        """, supervisord=f"shutdown_grace={GRACE}\n")
    r.wait_running("storm")
    storm = read_pid(ready)
    r.p.send(signal.SIGTERM)
    assert r.p.wait(STORM_BOUND) == 0, r.context()
    assert session_pids(storm) == []  # nothing of the storm outlived tend


def test_init_mode_control_forking_descendant_ends(spawn, tmp_path, forker):
    ready = tmp_path / "forker.pid"
    with il.Run(il.tend(), [str(forker), str(ready)], ["--grace", str(GRACE)], tmp=tmp_path, pid1=False) as r:
        storm = read_pid(ready)
        r.kill(signal.SIGTERM)
        assert r.wait(STORM_BOUND) == 128 + signal.SIGTERM, r.stderr()
    assert session_pids(storm) == []
