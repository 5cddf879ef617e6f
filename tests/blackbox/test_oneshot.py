"""One-shot programs (`oneshot = true`), black-box.

A one-shot stays STARTING while it runs (startsecs does not apply); an exit with a code in
`exitcodes` completes it (EXITED, description `completed`, never restarted), any other exit is a
failed start (BACKOFF, FATAL after startretries). A dependency on it (default condition,
`:healthy`, `:completed`) waits until it has completed; `supervisorctl start` runs it again and
answers once it has completed. The config errors are in tests/data/ini/bad/oneshot_*.conf.

The jobs are instances of `once.sh` below, which counts its runs; long-running dependents are
node.sh instances (deplib.py), whose start/NAME records when they began.
"""
import os
import re
import time
from pathlib import Path

import pytest

from conftest import read_text, wait_for
from deplib import SUPERVISORCTL, need, node, sleep_window, spawn_count, status_row, tend_runs

# once.sh NAME FAILS FAILCODE DELAY [CODE]: counts its runs in count.NAME and records start/NAME;
# sleeps DELAY; runs up to FAILS exit with FAILCODE, later ones write done/NAME (atomically,
# holding the instant) and exit with CODE (default 0).
ONCE_SH = r"""#!/bin/sh
d=@DIR@
name=$1 fails=$2 failcode=$3 delay=$4 code=${5:-0}
n=$(cat "$d/count.$name" 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" > "$d/count.$name"
date +%s.%N > "$d/start/$name"
sleep "$delay"
if [ "$n" -le "$fails" ]; then
  exit "$failcode"
fi
date +%s.%N > "$d/done/.$name"
mv "$d/done/.$name" "$d/done/$name"
exit "$code"
"""


@pytest.fixture
def tend_run(spawn):
    yield from tend_runs(spawn)


def make(tend_run, programs):
    """A TendRun (not started) with once.sh in its dir; `@ONCE@` in `programs` names it."""
    run = tend_run()
    os.mkdir(run.path("done"))
    script = Path(run.path("once.sh"))
    script.write_text(ONCE_SH.replace("@DIR@", run.dir))
    script.chmod(0o755)
    run.write_conf(programs.replace("@ONCE@", str(script)))
    return run


def once(name, fails=0, failcode=1, delay=0.0, code=0):
    return f"@ONCE@ {name} {fails} {failcode} {delay:.3f} {code}"


def runs(run, name):
    return int(read_text(run.path(f"count.{name}")) or 0)


def done_time(run, name):
    return float(Path(run.path("done", name)).read_text())


def line_index(run, pattern):
    """Index of the first main-log line matching `pattern` (-1: none)."""
    rx = re.compile(pattern)
    for i, line in enumerate(run.text().splitlines()):
        if rx.search(line):
            return i
    return -1


@pytest.mark.parametrize("condition", ["migrate:completed", "migrate"])
def test_service_starts_after_the_migration_completes_on_its_second_run(tend_run, condition):
    run = make(tend_run, f"""
        [program:migrate]
        command={once("migrate", fails=1)}
        oneshot=true
        startretries=2

        [program:web]
        command={node("web", mode="none")}
        depends_on={condition}
        startsecs=0
        """)
    run.start()
    run.wait_state("web", "RUNNING", timeout=20)
    assert runs(run, "migrate") == 2, run.context()
    assert spawn_count(run, "migrate") == 2, run.context()
    assert len(run.log_lines(r"exited: migrate \(exit status 1; not expected\)")) == 1, run.context()
    completed = line_index(run, r"completed: migrate \(exit status 0\)")
    web_spawned = line_index(run, r"spawned: 'web' with pid")
    assert -1 < completed < web_spawned, run.context()
    wait_for(lambda: run.started("web"), 5, what=lambda: f"web's start record\n{run.context()}")
    assert run.start_time("web") >= done_time(run, "migrate"), run.context()
    assert status_row(run, "migrate") == ("EXITED", "completed")
    info = run.info("migrate")
    assert info["statename"] == "EXITED" and info["description"] == "completed", info
    # Never in RUNNING, and not restarted after completing.
    assert not run.log_lines(r"success: migrate entered RUNNING state"), run.context()
    assert runs(run, "migrate") == 2
    assert run.stop() == 0


def test_one_shot_that_always_fails_goes_fatal_and_its_dependents_keep_waiting(tend_run):
    run = make(tend_run, f"""
        [program:job]
        command={once("job", fails=1000, failcode=2)}
        oneshot=true
        startretries=1

        [program:web]
        command={node("web", mode="none")}
        depends_on=job
        startsecs=0
        """)
    run.start()
    info = run.wait_state("job", "FATAL", timeout=20)
    assert runs(run, "job") == 2, run.context()  # 1 + startretries
    assert info["description"] == "one-shot run failed (exit status 2)", info
    assert status_row(run, "job") == ("FATAL", "one-shot run failed (exit status 2)")
    assert run.log_lines(r"gave up: job entered FATAL state"), run.context()
    run.wait_log(r"job is FATAL: web keeps waiting for it")
    web = run.info("web")
    assert web["statename"] == "STOPPED" and web["description"].startswith("waiting for job"), web
    assert not run.started("web") and spawn_count(run, "web") == 0, run.context()

    # An explicit start runs it again; the failure answers as a failed start does.
    rc, out = run.ctl("start", "job")
    assert rc != 0 and "job: ERROR (spawn error)" in out, out
    assert runs(run, "job") >= 3
    run.wait_state("job", "FATAL", timeout=20)
    assert not run.started("web"), run.context()
    assert run.rpc().supervisor.getState()["statename"] == "RUNNING"
    assert run.stop() == 0


def test_supervisorctl_start_runs_a_completed_one_shot_again_and_answers_when_it_completed(tend_run):
    need(SUPERVISORCTL, "supervisor")
    run = make(tend_run, f"""
        [program:job]
        command={once("job", delay=1.0)}
        oneshot=true
        """)
    run.start()
    run.wait_state("job", "EXITED", timeout=15)
    assert runs(run, "job") == 1 and os.path.exists(run.path("done", "job"))
    os.unlink(run.path("done", "job"))

    rc, out = run.ctl("start", "job")
    # The second run sleeps 1 s before it writes done/job: an answer at its spawn would come
    # before the marker.
    assert rc == 0 and out.strip() == "job: started", out
    assert os.path.exists(run.path("done", "job")), f"answered before the run completed\n{run.context()}"
    assert runs(run, "job") == 2
    info = run.info("job")
    assert info["statename"] == "EXITED" and info["description"] == "completed", info
    assert len(run.log_lines(r"completed: job \(exit status 0\)")) == 2, run.context()
    assert run.stop() == 0


def test_long_one_shot_stays_starting_past_startsecs_then_completes(tend_run):
    run = make(tend_run, f"""
        [program:job]
        command={once("job", delay=3.0)}
        oneshot=true
        startsecs=1
        """)
    run.start()
    wait_for(lambda: run.started("job"), 10, what=lambda: f"job's start record\n{run.context()}")
    # The window is the behaviour: startsecs (1 s) has passed, the job (3 s) still runs.
    sleep_window(max(0.0, run.start_time("job") + 1.6 - time.time()))
    info = run.info("job")
    assert info["statename"] == "STARTING" and not os.path.exists(run.path("done", "job")), info
    info = run.wait_state("job", "EXITED", timeout=15)
    assert info["description"] == "completed", info
    assert runs(run, "job") == 1
    assert run.log_lines(r"completed: job \(exit status 0\)"), run.context()
    assert not run.log_lines(r"Exited too quickly|success: job entered RUNNING state|exited: job"), \
        run.context()
    assert run.stop() == 0


def test_an_exit_code_listed_in_exitcodes_completes_it_for_a_healthy_dependency(tend_run):
    run = make(tend_run, f"""
        [program:job]
        command={once("job", code=3)}
        oneshot=true
        exitcodes=0,3

        [program:web]
        command={node("web", mode="none")}
        depends_on=job:healthy
        startsecs=0
        """)
    run.start()
    run.wait_state("web", "RUNNING", timeout=15)
    info = run.info("job")
    assert info["statename"] == "EXITED" and info["description"] == "completed", info
    assert info["exitstatus"] == 3
    assert run.log_lines(r"completed: job \(exit status 3\)"), run.context()
    assert runs(run, "job") == 1
    assert run.start_time("web") >= done_time(run, "job")
    assert run.stop() == 0
