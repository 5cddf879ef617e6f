"""When tend ends by itself, black-box: `critical = true`, `[supervisord] exit_when`.

A critical program that goes FATAL, or exits and is not restarted, makes tend stop every other
program gracefully (in order) and exit with the program's status (its exit code, 128+N for
signal N, 127 when it could never be spawned); a one-shot that completed is not an end.
`exit_when = any_exited` does the same for any program; `all_exited` exits once nothing runs,
with the status of the first program that failed (else 0); `never` (the default) keeps running.

Long-running programs are node.sh instances (deplib.py): their TERM handler appends their name
to `stops`, so a graceful stop, and its order, is on record. The programs that end by themselves
are instances of `job.sh` below; a TERM kills them before they write their `done/` marker.
"""
import os
import signal
from pathlib import Path

import pytest

from conftest import wait_for
from deplib import SUPERVISORCTL, need, node, sleep_window, spawn_count, tend_runs

# job.sh NAME CODE DELAY GATE: waits for the path GATE ("-": none), sleeps DELAY, writes
# done/NAME (atomically, holding the instant) and exits with CODE.
JOB_SH = r"""#!/bin/sh
d=@DIR@
name=$1 code=$2 delay=$3 gate=$4
date +%s.%N > "$d/start/$name"
if [ "$gate" != - ]; then
  while [ ! -e "$gate" ]; do sleep 0.01; done
fi
sleep "$delay"
date +%s.%N > "$d/done/.$name"
mv "$d/done/.$name" "$d/done/$name"
exit "$code"
"""


@pytest.fixture
def tend_run(spawn):
    yield from tend_runs(spawn)


def make(tend_run, programs, supervisord_extra=""):
    """A TendRun (not started) with job.sh in its dir; `@JOB@` in `programs` names it."""
    run = tend_run(supervisord_extra=supervisord_extra)
    os.mkdir(run.path("done"))
    script = Path(run.path("job.sh"))
    script.write_text(JOB_SH.replace("@DIR@", run.dir))
    script.chmod(0o755)
    run.write_conf(programs.replace("@JOB@", str(script)))
    return run


def job(name, code=0, delay=0.0, gate="-"):
    return f"@JOB@ {name} {code} {delay:.3f} {gate}"


def done(run, name):
    return os.path.exists(run.path("done", name))


def ended_by_itself(run, timeout=30):
    """tend's exit status once it has exited on its own (fails if it is still up)."""
    return run.p.wait(timeout)


def ctl_status(run):
    """{name: (state, description)} from Debian's supervisorctl."""
    need(SUPERVISORCTL, "supervisor")
    _, out = run.ctl("status")
    rows = {}
    for line in out.splitlines():
        parts = line.split(None, 2)
        if len(parts) >= 2:
            rows[parts[0]] = (parts[1], parts[2] if len(parts) > 2 else "")
    return rows


# ---------------------------------------------------------------------------------------------
# critical = true

def test_critical_program_killed_stops_the_others_gracefully_in_order_and_exits_128_plus_signal(tend_run):
    run = make(tend_run, """
        [program:crit]
        command=/bin/sleep 1000
        critical=true
        autorestart=false
        startsecs=0

        [program:early]
        command={early}
        priority=100
        startsecs=0

        [program:late]
        command={late}
        priority=200
        startsecs=0
        """.format(early=node("early", mode="file"), late=node("late", mode="file")))
    run.start()
    run.wait_all_running(["crit", "early", "late"])
    # Their TERM handlers are set once they are ready.
    wait_for(lambda: os.path.exists(run.path("ready", "early")) and os.path.exists(run.path("ready", "late")),
             10, what=lambda: f"early and late ready\n{run.context()}")
    os.kill(run.info("crit")["pid"], signal.SIGKILL)
    assert ended_by_itself(run) == 128 + signal.SIGKILL, run.context()
    # Both stopped by TERM (graceful), higher priority first, as in a normal shutdown.
    assert run.stops() == ["late", "early"], run.context()
    lines = run.log_lines(r"critical program crit ended \(terminated by SIGKILL\), exit status 137")
    assert len(lines) == 1, run.context()
    assert spawn_count(run, "crit") == 1


def test_critical_program_exiting_3_ends_tend_with_3(tend_run):
    run = make(tend_run, """
        [program:crit]
        command={crit}
        critical=true
        autorestart=false
        startsecs=0

        [program:other]
        command={other}
        startsecs=0
        """.format(crit=job("crit", 3, gate="@DIR@/ready/other"), other=node("other", mode="file")))
    run.start(wait=False)
    assert ended_by_itself(run) == 3, run.context()
    assert done(run, "crit")
    assert run.stops() == ["other"], run.context()
    assert run.log_lines(r"critical program crit ended \(exit status 3\), exit status 3"), run.context()


def test_critical_program_that_goes_fatal_ends_tend_with_its_exit_code(tend_run):
    # Default autorestart (unexpected); each run exits 4 within startsecs: FATAL after 2 runs.
    run = make(tend_run, """
        [program:crit]
        command={crit}
        critical=true
        startretries=1
        startsecs=5

        [program:other]
        command={other}
        startsecs=0
        """.format(crit=job("crit", 4, gate="@DIR@/ready/other"), other=node("other", mode="file")))
    run.start(wait=False)
    assert ended_by_itself(run) == 4, run.context()
    assert spawn_count(run, "crit") == 2, run.context()
    assert run.log_lines(r"gave up: crit entered FATAL state"), run.context()
    assert run.log_lines(r"critical program crit ended \(exit status 4\), exit status 4"), run.context()
    assert run.stops() == ["other"], run.context()


def test_critical_program_that_cannot_be_spawned_ends_tend_with_127(tend_run):
    run = make(tend_run, """
        [program:crit]
        command=@DIR@/no-such-command
        critical=true
        startretries=0

        [program:other]
        command={other}
        startsecs=0
        """.format(other=node("other", mode="file")))
    run.start(wait=False)
    assert ended_by_itself(run) == 127, run.context()
    assert run.log_lines(r"critical program crit ended \(.*\), exit status 127"), run.context()
    assert run.log_lines(r"gave up: crit entered FATAL state"), run.context()


def test_critical_one_shot_that_completes_does_not_end_tend(tend_run):
    run = make(tend_run, """
        [program:setup]
        command={setup}
        critical=true
        oneshot=true

        [program:other]
        command={other}
        startsecs=0
        """.format(setup=job("setup", 0), other=node("other", mode="none")))
    run.start()
    run.wait_state("setup", "EXITED", timeout=15)
    run.wait_log(r"completed: setup \(exit status 0\)")
    # The window is the behaviour: tend would end at once (the loop acts on the state change).
    sleep_window(1.0)
    assert run.p.alive(), run.context()
    assert run.rpc().supervisor.getState()["statename"] == "RUNNING"
    rows = ctl_status(run)
    assert rows.get("setup") == ("EXITED", "completed"), rows
    assert rows.get("other", ("",))[0] == "RUNNING", rows
    assert not run.log_lines(r"critical program"), run.context()
    assert not os.path.exists(run.path("stops"))
    assert run.stop() == 0
    assert run.stops() == ["other"]


def test_critical_program_restarted_by_autorestart_or_ending_in_a_shutdown_is_no_end(tend_run):
    # Exits 3 on TERM: during tend's own shutdown that is not the critical program's end.
    run = make(tend_run, """
        [program:crit]
        command=/bin/sh -c 'trap "exit 3" TERM; while :; do sleep 0.05; done'
        critical=true
        startsecs=0
        """)
    run.start()
    run.wait_state("crit", "RUNNING")
    first = run.info("crit")["pid"]
    os.kill(first, signal.SIGKILL)
    # autorestart=unexpected restarts it: not an end.
    wait_for(lambda: spawn_count(run, "crit") == 2, 10, what=lambda: f"crit restarted\n{run.context()}")
    run.wait_state("crit", "RUNNING")
    assert run.p.alive() and run.rpc().supervisor.getState()["statename"] == "RUNNING", run.context()
    assert run.stop() == 0, run.context()
    assert run.log_lines(r"exited: crit \(exit status 3; not expected\)|stopped: crit \(exit status 3\)"), \
        run.context()
    assert not run.log_lines(r"critical program"), run.context()


# ---------------------------------------------------------------------------------------------
# exit_when

def test_exit_when_any_exited_ends_with_the_first_program_that_ends(tend_run):
    run = make(tend_run, """
        [program:victim]
        command=/bin/sleep 1000
        autorestart=false
        startsecs=0

        [program:survivor]
        command={survivor}
        startsecs=0

        [program:setup]
        command={setup}
        oneshot=true
        """.format(survivor=node("survivor", mode="file"), setup=job("setup", 0)),
        supervisord_extra="exit_when=any_exited")
    run.start()
    # A completed one-shot is not an end.
    run.wait_state("setup", "EXITED", timeout=15)
    run.wait_all_running(["victim", "survivor"])
    wait_for(lambda: os.path.exists(run.path("ready", "survivor")), 10,
             what=lambda: f"survivor ready\n{run.context()}")
    assert run.rpc().supervisor.getState()["statename"] == "RUNNING"
    assert run.info("setup")["description"] == "completed"
    os.kill(run.info("victim")["pid"], signal.SIGTERM)
    assert ended_by_itself(run) == 128 + signal.SIGTERM, run.context()
    assert run.stops() == ["survivor"], run.context()
    assert run.log_lines(r"victim ended \(terminated by SIGTERM\), exit status 143"), run.context()
    assert not run.log_lines(r"setup ended"), run.context()


@pytest.mark.parametrize("codes,expected", [((0, 5, 0), 5), ((0, 0, 0), 0), ((0, 5, 7), 5)],
                         ids=["one-failure", "all-zero", "first-failure-wins"])
def test_exit_when_all_exited_waits_for_the_last_and_reports_the_first_failure(tend_run, codes, expected):
    # a exits at once, b once a is done, c a second after b: tend must outlive b's exit.
    a, b, c = codes
    run = make(tend_run, """
        [program:a]
        command={a}
        autorestart=false
        startsecs=0

        [program:b]
        command={b}
        autorestart=false
        startsecs=0

        [program:c]
        command={c}
        autorestart=false
        startsecs=0
        """.format(a=job("a", a), b=job("b", b, gate="@DIR@/done/a"),
                   c=job("c", c, delay=1.0, gate="@DIR@/done/b")),
        supervisord_extra="exit_when=all_exited")
    run.start(wait=False)
    assert ended_by_itself(run) == expected, run.context()
    # c was not stopped by a shutdown: it ran to its end.
    assert done(run, "a") and done(run, "b") and done(run, "c"), run.context()
    text = run.text()
    last_exit = max(text.find(f"exited: {n} (") for n in "abc")
    final = text.find(f"every program has exited (exit_when = all_exited), exit status {expected}")
    assert final > last_exit > -1, run.context()
    assert [spawn_count(run, n) for n in "abc"] == [1, 1, 1], run.context()


def test_exit_when_never_keeps_running_after_every_program_exited(tend_run):
    run = make(tend_run, """
        [program:a]
        command={a}
        autorestart=false
        startsecs=0

        [program:b]
        command={b}
        autorestart=false
        startsecs=0
        """.format(a=job("a", 0), b=job("b", 3)))
    run.start()
    run.wait_state("a", "EXITED")
    run.wait_state("b", "EXITED")
    # The window is the behaviour: under all_exited tend would be gone by now.
    sleep_window(1.0)
    assert run.p.alive(), run.context()
    rows = ctl_status(run)
    assert rows.get("a", ("",))[0] == "EXITED" and rows.get("b", ("",))[0] == "EXITED", rows
    assert not run.log_lines(r"every program has exited|ended \(.*\), exit status"), run.context()
    assert run.stop() == 0
