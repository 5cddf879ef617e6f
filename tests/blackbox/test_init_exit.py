"""Init mode exit status (pid1.md §9.1-5, 10): tend runs as PID 1 of a fresh
PID namespace; its exit status is the main child's, 128+N for signal N,
127/126 for exec failures, with -e remapping."""
import os
import signal
import stat
import sys
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


def test_every_exit_code_passes_through(tend, tmp_path):
    wrong = {}
    for n in range(256):
        rc = il.run_once(tend, ["sh", "-c", f"exit {n}"], tmp=tmp_path).rc
        if rc != n:
            wrong[n] = rc
    assert wrong == {}


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGKILL,
                                 signal.SIGSEGV, signal.SIGTERM])
def test_child_killed_by_signal_gives_128_plus_n(tend, tmp_path, sig):
    code = f"import os,signal; signal.signal({int(sig)}, signal.SIG_DFL) if {int(sig)} != 9 else None; " \
           f"os.kill(os.getpid(), {int(sig)})"
    assert il.run_once(tend, [il.PY, "-c", code], tmp=tmp_path).rc == 128 + sig


def test_command_not_found_in_path_is_127_and_names_it(tend, tmp_path):
    r = il.run_once(tend, ["no-such-command-xyz"], tmp=tmp_path, env={"PATH": "/usr/bin:/bin"})
    assert r.rc == 127
    assert "tend: unable to run no-such-command-xyz: not found in PATH=/usr/bin:/bin" in r.stderr()


def test_absolute_path_not_found_is_127(tend, tmp_path):
    r = il.run_once(tend, ["/nonexistent"], tmp=tmp_path)
    assert r.rc == 127
    assert "unable to run /nonexistent: No such file or directory" in r.stderr()


def test_directory_is_126(tend, tmp_path):
    r = il.run_once(tend, ["/etc"], tmp=tmp_path)
    assert r.rc == 126
    assert "unable to run /etc: Permission denied" in r.stderr()


def test_non_executable_file_in_path_is_126_and_names_path(tend, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    f = bindir / "noexec-tool"
    f.write_text("#!/bin/sh\nexit 0\n")
    f.chmod(stat.S_IRUSR | stat.S_IWUSR)
    r = il.run_once(tend, ["noexec-tool"], tmp=tmp_path, env={"PATH": str(bindir)})
    assert r.rc == 126
    assert f"unable to run noexec-tool: Permission denied (PATH={bindir})" in r.stderr()


def test_remap_every_code_to_zero(tend, tmp_path):
    wrong = {}
    for c in range(256):
        rc = il.run_once(tend, ["sh", "-c", f"exit {c}"], ["-e", str(c)], tmp=tmp_path).rc
        if rc != 0:
            wrong[c] = rc
    assert wrong == {}


@pytest.mark.parametrize("code", [0, 1, 2, 126, 127, 128, 143, 255])
def test_remap_leaves_unlisted_codes_alone(tend, tmp_path, code):
    opts = [x for c in range(256) if c != code for x in ("-e", str(c))]
    assert il.run_once(tend, ["sh", "-c", f"exit {code}"], opts, tmp=tmp_path).rc == code


def test_remap_applies_to_signal_deaths_and_exec_failures(tend, tmp_path):
    kill = "import os; os.kill(os.getpid(), 15)"
    assert il.run_once(tend, [il.PY, "-c", kill], ["-e", "143"], tmp=tmp_path).rc == 0
    assert il.run_once(tend, ["/nonexistent"], ["-e", "127"], tmp=tmp_path).rc == 0


@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGUSR1, 138), (signal.SIGUSR2, 140)])
def test_docker_kill_to_tend_kills_default_child(tend, tmp_path, sig, code):
    ready = tmp_path / "ready"
    # A child that signals readiness, then stays up until the signal under test ends it.
    prog = f"import time; open({str(ready)!r}, 'w').close(); time.sleep(100)"
    with il.Run(tend, [il.PY, "-c", prog], tmp=tmp_path) as r:
        il.wait_for(ready.exists, 5, "child ready")
        r.kill(sig)
        assert r.wait(5) == code


def test_sigchld_ignored_at_entry_still_reaps(tend, tmp_path):
    # An inherited SIG_IGN for CHLD would make children vanish unreaped; tend
    # must reset it for itself and give it back to the child. Not as PID 1:
    # unshare (like sh) resets CHLD itself, which would hide the case.
    def pre():
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)

    r = il.run_once(tend, ["sh", "-c", "exit 5"], tmp=tmp_path, pid1=False, preexec_fn=pre)
    assert r.rc == 5
    r = il.run_once(tend, ["grep", "^SigIgn", "/proc/self/status"], tmp=tmp_path, pid1=False, preexec_fn=pre)
    assert r.rc == 0
    assert int(r.stdout().split()[1], 16) & (1 << (signal.SIGCHLD - 1))


def test_sigchld_storm_exits_promptly_with_main_code(tend, tmp_path):
    # 50 children exit in the same instant as the main child (coalesced SIGCHLDs).
    r = il.run_once(tend, [il.PY, str(il.FIX / "sigchld_storm.py"), "50", "7"], tmp=tmp_path, timeout=5)
    assert r.rc == 7
