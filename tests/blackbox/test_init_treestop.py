"""Init mode graceful tree stop (pid1.md §9.17-19): on TERM, or when the main
child exits by itself, every descendant (forked child, double-forked orphan,
setsid daemon) gets TERM and time to clean up; survivors get KILL at the
grace; tend exits as soon as nothing is left."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures_init"))
import initlib as il  # noqa: E402
from conftest import native_only  # noqa: E402

ALL_CLEAN = {name: {"term": 1, "clean": True} for name in ("bgchild", "orphan", "daemon")}


@pytest.fixture
def tend():
    init = il.tend()
    if not init.available():
        pytest.skip(f"{init.binary} not built")
    return init


def _only_workers_left(run):
    """True once main (sh) is reaped and its three workers are tend's children."""
    comms = [il.read(f"/proc/{p}/comm").strip() for p in il.children_of(run.host_pid())]
    return len(comms) == 3 and "sh" not in comms


def test_term_gives_every_worker_its_cleanup_then_exits(tend, tmp_path):
    r = il.scenario_tree_stop(tend, tmp_path)
    # every worker logged both lines before tend exited (not earlier) ...
    assert r["workers"] == ALL_CLEAN, r["log"]
    assert r["rc"] == 143  # main (sh) died of the forwarded TERM
    # ... and tend left right after the slowest (0.9 s), not at the 5 s grace
    assert r["elapsed"] < 4.0, r
    assert r["stderr"] == ""


def test_worker_ignoring_term_is_killed_at_the_grace(tend, tmp_path):
    r = il.scenario_tree_stop(tend, tmp_path, ["--grace", "1.5"], ignore="daemon")
    w = r["workers"]
    assert w["daemon"] == {"term": 1, "clean": False}, r["log"]
    assert w["bgchild"] == w["orphan"] == {"term": 1, "clean": True}, r["log"]
    assert r["rc"] == 143
    assert 1.3 < r["elapsed"] < 4.0, r  # KILL at the grace, not before, and no hang
    assert "sent SIGKILL to 1 process(es) still running after the grace" in r["stderr"]


def test_main_exit_sweeps_the_rest_by_default(tend, tmp_path):
    r = il.scenario_tree_stop(tend, tmp_path, main_exits=True)
    assert r["workers"] == ALL_CLEAN, r["log"]
    assert r["rc"] == 0
    assert r["elapsed"] < 4.0


@native_only("qemu-user refuses PR_SET_CHILD_SUBREAPER: the orphans are not tend's to stop")
def test_main_exit_sweeps_without_a_pid_namespace(tend, tmp_path):
    # No kernel kill-all at PID 1 exit to hide anything: tend must do it.
    r = il.scenario_tree_stop(tend, tmp_path, main_exits=True, pid1=False)
    assert r["workers"] == ALL_CLEAN, r["log"]
    assert r["rc"] == 0


def test_on_main_exit_exit_leaves_at_once(tend, tmp_path):
    r = il.scenario_tree_stop(tend, tmp_path, ["--on-main-exit=exit"], main_exits=True)
    assert r["rc"] == 0
    assert all(w["term"] == 0 for w in r["workers"].values()), r["log"]


def test_on_main_exit_wait_waits_for_workers_then_exits(tend, tmp_path):
    go = tmp_path / "go"
    log = tmp_path / "tend-wait.log"
    with il.Run(tend, ["sh", str(il.FIX / "tree.sh"), str(log)], ["--on-main-exit=wait"], tmp_path,
                env={"MAIN": "exit", "EXIT_WHEN": str(go)}) as r:
        il.wait_for(lambda: "main exits" in il.read(log), 10, "main exited")
        il.wait_for(lambda: _only_workers_left(r), 5, "main reaped")
        assert r.alive()
        go.touch()
        assert r.wait(5) == 0
    assert il.read(log).count("exit by itself") == 3
    assert "got TERM" not in il.read(log)


def test_on_main_exit_wait_then_term_stops_the_rest(tend, tmp_path):
    log = tmp_path / "tend-wait-term.log"
    with il.Run(tend, ["sh", str(il.FIX / "tree.sh"), str(log)], ["--on-main-exit=wait"], tmp_path,
                env={"MAIN": "exit"}) as r:
        il.wait_for(lambda: "main exits" in il.read(log), 10, "main exited")
        il.wait_for(lambda: _only_workers_left(r), 5, "main reaped")
        r.kill(15)
        assert r.wait(5) == 0  # main's own status
    text = il.lines(log)
    for name in ("bgchild", "orphan", "daemon"):
        assert f"{name} got TERM" in text and f"{name} clean exit" in text
