"""Init mode signal forwarding (pid1.md §9.11-16, 27): every catchable signal
but CHLD reaches the child exactly once and in order (TTIN/TTOU dropped by
policy), -g targets the process group, the child inherits tend's original
mask and ignores, -p sets a parent-death signal."""
import signal
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures_init"))
import initlib as il  # noqa: E402
from conftest import native_only  # noqa: E402


@pytest.fixture
def tend():
    init = il.tend()
    if not init.available():
        pytest.skip(f"{init.binary} not built")
    return init


# 1..31 without KILL, STOP (uncatchable), CHLD (reaped) and TTIN/TTOU (dropped),
# then one real-time signal. TERM and INT also start the tree stop; the large
# grace keeps the child alive until the harness ends it.
FORWARDED = [s for s in range(1, 32) if s not in (signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD,
                                                   signal.SIGTTIN, signal.SIGTTOU)] + [signal.SIGRTMIN + 2]


@native_only("a sent SIGILL or SIGFPE kills qemu itself, a sent SIGSEGV or SIGBUS never reaches the "
             "program, and real-time signal numbers are shifted")
def test_every_signal_forwarded_once_in_order(tend, tmp_path):
    r = il.scenario_forwarding(tend, tmp_path, FORWARDED, ["--grace", "30"])
    assert r["got"] == [int(s) for s in FORWARDED]
    assert r["rc"] == 0


def test_ttin_ttou_are_dropped_and_the_next_signal_still_arrives(tend, tmp_path):
    sigs = [signal.SIGTTIN, signal.SIGTTOU, signal.SIGUSR1]
    r = il.scenario_forwarding(tend, tmp_path, sigs, per_signal_timeout=0.5)
    assert r["got"] == [signal.SIGUSR1]


def test_tstp_stops_the_child_never_tend(tend, tmp_path):
    ready = tmp_path / "ready"
    # A child that signals readiness, then stays up until the signal under test ends it.
    prog = f"import time; open({str(ready)!r}, 'w').close(); time.sleep(100)"
    with il.Run(tend, [il.PY, "-c", prog], tmp=tmp_path) as r:
        il.wait_for(ready.exists, 5, "child ready")
        child = il.children_of(r.host_pid())[0]
        for sig in (signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU):
            r.kill(sig)
        il.wait_for(lambda: il.proc_stat(child)[0] == "T", 5, "child stopped")
        assert il.proc_stat(r.host_pid())[0] != "T"
        r.kill(signal.SIGCONT)
        il.wait_for(lambda: il.proc_stat(child)[0] != "T", 5, "child resumed")
        r.kill(signal.SIGTSTP)
        il.wait_for(lambda: il.proc_stat(child)[0] == "T", 5, "child stopped again")
        # TERM must reach a stopped child: tend follows it with CONT.
        r.kill(signal.SIGTERM)
        assert r.wait(5) == 143


def test_group_mode_reaches_the_grandchild(tend, tmp_path):
    # The child ignores USR1 and waits on a grandchild in its group that does
    # not: only a group-wide USR1 ends the wait (tini's pgroup test).
    ready = tmp_path / "ready"
    prog = ("import signal, subprocess; signal.signal(signal.SIGUSR1, signal.SIG_IGN); "
            f"p = subprocess.Popen(['sleep', '100'], preexec_fn=lambda: signal.signal(10, signal.SIG_DFL)); "
            f"open({str(ready)!r}, 'w').close(); p.wait(); raise SystemExit(4)")
    with il.Run(tend, [il.PY, "-c", prog], ["-g"], tmp=tmp_path) as r:
        il.wait_for(ready.exists, 5, "child ready")
        r.kill(signal.SIGUSR1)
        assert r.wait(5) == 4
    ready.unlink()
    with il.Run(tend, [il.PY, "-c", prog], [], tmp=tmp_path) as r:
        il.wait_for(ready.exists, 5, "child ready")
        r.kill(signal.SIGUSR1)
        with pytest.raises(Exception):
            r.wait(0.7)  # the child ignores it and the grandchild never got it


@pytest.mark.parametrize("opts", [["-g"], []], ids=["group", "single"])
def test_pipeline_members_get_term_exactly_once(tend, tmp_path, opts):
    # sh -c "A | B & C | D": 5 processes besides main. With -g the group signal
    # reaches all; without, the tree stop does. Either way: once each.
    log = tmp_path / "pipe.log"
    lg = f"{il.PY} {il.FIX / 'sig_logger.py'}"
    script = f"{lg} a {log} | {lg} b {log} & {lg} c {log} | {lg} d {log}"
    with il.Run(tend, ["sh", "-c", script], opts, tmp=tmp_path) as r:
        il.wait_for(lambda: il.read(log).count(" start ") == 4, 10, "pipeline started")
        r.kill(signal.SIGTERM)
        rc = r.wait(5)
    got = [ln for ln in il.lines(log) if ln.endswith(" TERM")]
    assert sorted(got) == ["a TERM", "b TERM", "c TERM", "d TERM"]
    assert rc == 143  # main (dash) dies of the TERM


def _sigconf_expectation():
    return {"ignored": {signal.SIGINT, signal.SIGTTOU, signal.SIGSEGV},
            "blocked": {signal.SIGTERM, signal.SIGTTIN, signal.SIGILL}}


@native_only("qemu keeps SIGSEGV for itself: an ignored SIGSEGV is not passed on across execve")
@pytest.mark.parametrize("pid1", [True, False], ids=["pid1", "not-pid1"])
def test_child_inherits_original_mask_and_ignores_never_tends(tend, tmp_path, pid1):
    r = il.child_sigconf(tend, tmp_path, pid1=pid1)
    base = il.child_sigconf(il.Init("direct", "/usr/bin/env", dashdash=False), tmp_path, pid1=pid1)
    assert r["rc"] == 0
    want = _sigconf_expectation()
    assert want["ignored"] <= set(r["ignored"])
    assert want["blocked"] <= set(r["blocked"])
    # exactly what the same command sees without tend in between
    assert (r["ignored"], r["blocked"]) == (base["ignored"], base["blocked"])


def test_parent_death_signal_is_forwarded(tend, tmp_path):
    log = tmp_path / "pdeath.log"
    with il.Run(tend, [il.PY, str(il.FIX / "on_usr1.py"), str(log)], ["-p", "SIGUSR1"], tmp=tmp_path) as r:
        il.wait_for(lambda: "ready" in il.read(log), 5, "child ready")
        tend_pid = r.host_pid()
        r.proc.kill()  # SIGKILL unshare, tend's parent
        r.proc.wait()
        il.wait_for(lambda: "got USR1" in il.read(log), 5, "USR1 forwarded")
        # Gone, or a zombie if a subreaper (not init) adopted it when unshare died.
        il.wait_for(lambda: (il.proc_stat(tend_pid) or ("Z",))[0] == "Z", 5, "tend gone")
