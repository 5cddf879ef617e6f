"""Init mode reaping (pid1.md §9.6-9): as PID 1 every orphan is reaped; not as
PID 1 tend is a child subreaper by default."""
import sys
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


def test_hundred_orphans_leave_no_zombie_as_pid1(tend, tmp_path):
    r = il.scenario_zombies_pid1(tend, tmp_path, 100)
    assert r == {"rc": 0, "out": "zombies=0"}


@native_only("qemu-user refuses PR_SET_CHILD_SUBREAPER")
def test_subreaper_by_default_when_not_pid1(tend, tmp_path):
    r = il.scenario_zombies_below_pid1(tend, tmp_path)
    assert r["rc"] == 0, r
    assert r["out"] == "zombies=0"
    assert r["stderr"] == ""


def test_no_subreaper_negative_control_leaves_zombies_and_warns(tend, tmp_path):
    # Proves the check above can fail: without the subreaper the orphans go to
    # the non-reaping PID 1 and stay zombies.
    r = il.scenario_zombies_below_pid1(tend, tmp_path, ["--no-subreaper"])
    assert r["rc"] == 1, r
    assert r["out"].startswith("zombies=") and r["out"] != "zombies=0"
    assert "not PID 1 and --no-subreaper" in r["stderr"]


def test_warn_on_reap_reports_orphans_not_the_main_child(tend, tmp_path):
    r = il.run_once(tend, [il.PY, str(il.FIX / "reaper_check.py"), "5"], ["-w"], tmp=tmp_path, timeout=20)
    assert r.rc == 0
    reaped = [ln for ln in r.stderr().splitlines() if "reaped orphan" in ln]
    # exactly the 5 orphaned sleeps; the main child is not an orphan
    assert len(reaped) == 5, r.stderr()
    quiet = il.run_once(tend, [il.PY, str(il.FIX / "reaper_check.py"), "5"], tmp=tmp_path, timeout=20)
    assert quiet.rc == 0 and "reaped" not in quiet.stderr()
