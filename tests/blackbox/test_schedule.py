"""Scheduled programs (`schedule = WHEN`), black-box.

A scheduled program is a one-shot job (`oneshot` implied, `autostart` false by default): at each
due time tend logs `scheduled run of NAME (WHEN)` and starts it; it stays STARTING while it runs,
completes on an exit code in `exitcodes` (EXITED, `completed, next run ...`), and a failure goes
FATAL after `startretries` but still runs at the next due time. A due time that finds the
previous run still going is skipped (logged, at info for the first skip of a run and at debug
after, and counted in `tend.getProcessHealth(name)['skipped_runs']`). Cron times are read in the
zone of tend's TZ (UTC without it). The config errors are in tests/data/ini/bad/schedule_*.conf.

The jobs are instances of `tick.sh` below, which leaves a record of every run; no test sleeps in
place of an event: each waits (bounded) for a record or a log line.
"""
import os
import re
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import TEND, read_text, wait_for
from deplib import SUPERVISORCTL, need, spawn_count, status_row, tend_runs

# tick.sh NAME DELAY CODE: appends its start instant to runs.NAME; takes the lock dir lock.NAME
# (mkdir fails when another instance holds it: that overlap is appended to overlap.NAME); sleeps
# DELAY; appends its end instant to done.NAME, releases the lock and exits with CODE.
TICK_SH = r"""#!/bin/sh
d=@DIR@
name=$1 delay=$2 code=$3
if ! mkdir "$d/lock.$name" 2>/dev/null; then
  echo "overlap pid $$ at $(date +%s.%N)" >> "$d/overlap.$name"
fi
date +%s.%N >> "$d/runs.$name"
sleep "$delay"
date +%s.%N >> "$d/done.$name"
rmdir "$d/lock.$name" 2>/dev/null
exit "$code"
"""

STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"


@pytest.fixture
def tend_run(spawn):
    yield from tend_runs(spawn)


def make(tend_run, programs, loglevel="info"):
    """A TendRun (not started) with tick.sh in its dir; `@TICK@` in `programs` names it."""
    run = tend_run()
    script = Path(run.path("tick.sh"))
    script.write_text(TICK_SH.replace("@DIR@", run.dir))
    script.chmod(0o755)
    write(run, programs)
    if loglevel != "info":
        conf = Path(run.conf)
        conf.write_text(conf.read_text().replace("loglevel=info", f"loglevel={loglevel}", 1))
    return run


def write(run, programs):
    run.write_conf(programs.replace("@TICK@", run.path("tick.sh")))


def tick(name, delay=0.0, code=0):
    return f"@TICK@ {name} {delay:.3f} {code}"


def start(run, tz=None):
    """Starts tend with TZ set to `tz` (unset when None, whatever the test's environment);
    returns the wall-clock instant just before the spawn."""
    env = {k: v for k, v in os.environ.items() if k != "TZ"}
    if tz is not None:
        env["TZ"] = tz
    t0 = time.time()
    run.p = run.spawn([TEND, "-n", "-c", run.conf], cwd=run.dir, env=env)
    run.wait_up()
    return t0


def stamps(run, kind, name):
    """Instants recorded in runs.NAME / done.NAME (complete lines only)."""
    text = read_text(run.path(f"{kind}.{name}"))
    return [float(line) for line in text.split("\n")[:-1] if line.strip()]


def wait_runs(run, name, n, timeout):
    wait_for(lambda: len(stamps(run, "runs", name)) >= n, timeout,
             what=lambda: f"{n} runs of {name} (have {stamps(run, 'runs', name)})\n{run.context()}")
    return stamps(run, "runs", name)


def wait_done(run, name, n, timeout):
    wait_for(lambda: len(stamps(run, "done", name)) >= n, timeout,
             what=lambda: f"{n} ends of {name} (have {stamps(run, 'done', name)})\n{run.context()}")
    return stamps(run, "done", name)


def no_overlap(run, name):
    overlap = read_text(run.path(f"overlap.{name}"))
    assert overlap == "", f"two instances of {name} ran at once:\n{overlap}\n{run.context()}"


def health(run, name):
    return run.rpc().tend.getProcessHealth(name)


def utc_text(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def next_daily_utc(now, hour):
    """The first instant after `now` at HH:00:00 UTC."""
    t = int(now) // 86400 * 86400 + hour * 3600
    return t if t > now else t + 86400


def next_new_year_utc(now):
    year = datetime.fromtimestamp(now, timezone.utc).year + 1
    return datetime(year, 1, 1, tzinfo=timezone.utc).timestamp()


# ---------------------------------------------------------------------------------------------


def test_every_2s_runs_on_its_period_and_not_at_start_up(tend_run):
    run = make(tend_run, f"""
        [program:job]
        command={tick("job")}
        schedule=@every 2s
        """)
    t0 = start(run)
    # Nothing at start-up: autostart defaults to false for a scheduled program.
    info = run.info("job")
    assert info["statename"] == "STOPPED", info
    assert re.fullmatch(rf"Not started, next run {STAMP}", info["description"]), info
    assert stamps(run, "runs", "job") == [], run.context()

    runs = wait_runs(run, "job", 3, timeout=15)
    first, third = runs[0], runs[2]
    assert first - t0 >= 1.9, f"first run {first - t0:.2f} s after tend started\n{run.context()}"
    assert third - t0 <= 8.0, f"3 runs took {third - t0:.2f} s (schedule: every 2 s)\n{run.context()}"
    gaps = [b - a for a, b in zip(runs, runs[1:3])]
    assert all(1.5 <= g <= 3.5 for g in gaps), f"gaps between runs: {gaps}\n{run.context()}"

    # Each run was a scheduled one, and the first spawn came after the first scheduled run.
    log = run.text().splitlines()
    sched_at = [i for i, line in enumerate(log) if "scheduled run of job (@every 2s)" in line
                and "skipped" not in line]
    spawn_at = [i for i, line in enumerate(log) if re.search(r"spawned: 'job' with pid \d+", line)]
    assert len(sched_at) >= 3 and spawn_at and sched_at[0] < spawn_at[0], run.context()

    # Completed runs: EXITED, `completed, next run ...` (next run within the period).
    wait_done(run, "job", 3, timeout=10)
    info = run.wait_state("job", "EXITED", timeout=5)
    assert re.fullmatch(rf"completed, next run {STAMP}", info["description"]), info
    h = health(run, "job")
    assert h["oneshot"] is True and h["schedule"] == "@every 2s", h
    now = time.time()
    assert now - 1 <= h["next_run"] <= now + 3, (h, now)
    assert h["skipped_runs"] == 0, h
    assert run.log_lines(r"completed: job \(exit status 0\)"), run.context()
    assert not run.log_lines(r"skipped scheduled run"), run.context()
    no_overlap(run, "job")
    assert run.stop() == 0


def test_overlapping_due_times_are_skipped_never_run_twice_at_once(tend_run):
    run = make(tend_run, f"""
        [program:job]
        command={tick("job", delay=3.5)}
        schedule=@every 1s
        """, loglevel="debug")
    t0 = start(run)
    first_skip = run.wait_log(r"skipped scheduled run of job: still STARTING \(1 skipped so far\)", timeout=15)
    assert "INFO" in first_skip[0], first_skip
    info = run.info("job")
    assert info["statename"] == "STARTING", info

    # The first run ends; the next due time starts the second run, whose first skip is at info
    # again (the counter goes on).
    wait_done(run, "job", 1, timeout=15)
    wait_runs(run, "job", 2, timeout=10)
    run.wait_log(r"INFO.*skipped scheduled run of job: still STARTING \([2-9]\d* skipped so far\)",
                 timeout=10)
    elapsed = time.time() - t0
    h = health(run, "job")
    nruns = len(stamps(run, "runs", "job"))
    due = int(elapsed)  # due moments so far: one a second since start-up
    assert h["skipped_runs"] >= 2, h
    assert nruns == 2 and nruns * 2 <= due, f"{nruns} runs for {due} due moments\n{run.context()}"
    skips = run.log_lines(r"skipped scheduled run of job: still STARTING \(\d+ skipped so far\)")
    assert len(skips) >= h["skipped_runs"], (h, skips)  # every skip is logged (at debug)
    # Later skips of one run are at debug level.
    levels = [("INFO" in s, "DEBG" in s) for s in skips]
    assert sum(1 for i, _ in levels if i) == 2 and any(d for _, d in levels), skips
    starts = run.log_lines(r"scheduled run of job \(@every 1s\)")
    assert len([s for s in starts if "skipped" not in s]) == nruns, run.context()
    # Each run ran alone: a run's start is after the previous run's end.
    runs, done = stamps(run, "runs", "job"), stamps(run, "done", "job")
    assert runs[1] >= done[0], (runs, done)
    no_overlap(run, "job")
    assert run.stop() == 0
    no_overlap(run, "job")


def test_status_shows_next_new_year_and_tz_moves_a_daily_time(tend_run):
    need(SUPERVISORCTL, "supervisor")
    run = make(tend_run, f"""
        [program:newyear]
        command={tick("newyear")}
        schedule=0 0 1 1 *
        """)
    start(run)  # TZ unset: UTC
    state, desc = status_row(run, "newyear")
    year = datetime.now(timezone.utc).year + 1
    assert (state, desc) == ("STOPPED", f"Not started, next run {year}-01-01 00:00:00"), (state, desc)
    h = health(run, "newyear")
    assert h["next_run"] == next_new_year_utc(time.time()), h
    assert run.stop() == 0

    # TZ=UTC-5 (a POSIX rule: 5 h ahead of UTC): 12:00 there is 07:00 UTC.
    run2 = make(tend_run, f"""
        [program:noon]
        command={tick("noon")}
        schedule=0 12 * * *
        """)
    start(run2, tz="UTC-5")
    before = time.time()
    h = health(run2, "noon")
    after = time.time()
    want = {next_daily_utc(before, 7), next_daily_utc(after, 7)}
    assert h["next_run"] in want, \
        f"next_run {h['next_run']} ({utc_text(h['next_run'])} UTC), want {sorted(want)} " \
        f"({[utc_text(w) for w in sorted(want)]} UTC)"
    local = utc_text(h["next_run"] + 5 * 3600)
    assert local.endswith(" 12:00:00"), local
    assert status_row(run2, "noon") == ("STOPPED", f"Not started, next run {local}")
    assert run2.stop() == 0


def test_six_field_cron_runs_on_the_wall_clock_seconds(tend_run):
    run = make(tend_run, f"""
        [program:job]
        command={tick("job")}
        schedule=*/2 * * * * *
        """)
    start(run)
    runs = wait_runs(run, "job", 2, timeout=10)
    # Each run starts just after an even second of the wall clock.
    assert all(int(r) % 2 == 0 for r in runs[:2]), (runs, run.context())
    assert 1.5 <= runs[1] - runs[0] <= 3.5, (runs, run.context())
    run.wait_log(r"scheduled run of job \(\*/2 \* \* \* \* \*\)", timeout=5)
    desc = run.info("job")["description"]
    m = re.search(rf"next run ({STAMP})", desc)
    assert m and int(m.group(1)[-2:]) % 2 == 0, desc
    no_overlap(run, "job")
    assert run.stop() == 0


def test_supervisorctl_start_runs_a_scheduled_job_at_once(tend_run):
    need(SUPERVISORCTL, "supervisor")
    run = make(tend_run, f"""
        [program:job]
        command={tick("job", delay=1.0)}
        schedule=0 0 1 1 *

        [program:boot]
        command={tick("boot")}
        schedule=0 0 1 1 *
        autostart=true
        """)
    start(run)
    # autostart = true also runs it at start-up.
    wait_done(run, "boot", 1, timeout=10)
    run.wait_state("boot", "EXITED", timeout=5)
    assert stamps(run, "runs", "job") == [], run.context()
    before = time.time()
    rc, out = run.ctl("start", "job")
    # The run sleeps 1 s before it records its end: an answer at the spawn comes before it.
    assert rc == 0 and out.strip() == "job: started", out
    assert len(stamps(run, "done", "job")) == 1, f"answered before the run completed\n{run.context()}"
    assert stamps(run, "runs", "job")[0] >= before
    year = datetime.now(timezone.utc).year + 1
    assert status_row(run, "job") == ("EXITED", f"completed, next run {year}-01-01 00:00:00")
    assert not run.log_lines(r"scheduled run of job"), run.context()  # not a scheduled run
    assert run.log_lines(r"completed: job \(exit status 0\)"), run.context()
    assert len(stamps(run, "runs", "job")) == 1 and spawn_count(run, "job") == 1
    assert status_row(run, "boot") == ("EXITED", f"completed, next run {year}-01-01 00:00:00")
    assert len(stamps(run, "runs", "boot")) == 1
    assert run.stop() == 0


def test_failing_scheduled_job_goes_fatal_and_runs_again_at_its_next_time(tend_run):
    run = make(tend_run, f"""
        [program:job]
        command={tick("job", code=1)}
        schedule=@every 2s
        startretries=0
        """)
    start(run)
    wait_done(run, "job", 1, timeout=15)
    info = run.wait_state("job", "FATAL", timeout=10)
    assert re.fullmatch(rf"one-shot run failed \(exit status 1\), next run {STAMP}", info["description"]), info
    n_fatal = len(run.log_lines(r"gave up: job entered FATAL state"))
    assert n_fatal == 1, run.context()
    assert len(stamps(run, "runs", "job")) == 1  # startretries=0: no retry before the next time

    runs = wait_runs(run, "job", 2, timeout=10)
    assert 1.5 <= runs[1] - runs[0] <= 3.5, (runs, run.context())
    wait_for(lambda: len(run.log_lines(r"gave up: job entered FATAL state")) >= 2, 10,
             what=lambda: f"the second run going FATAL\n{run.context()}")
    assert len(run.log_lines(r"scheduled run of job \(@every 2s\)")) >= 2, run.context()
    # FATAL does not retry in between: one spawn per scheduled run.
    assert spawn_count(run, "job") == len(run.log_lines(r"scheduled run of job \(@every 2s\)")), run.context()
    no_overlap(run, "job")
    assert run.stop() == 0


def test_update_applies_a_changed_schedule(tend_run):
    need(SUPERVISORCTL, "supervisor")
    run = make(tend_run, f"""
        [program:job]
        command={tick("job")}
        schedule=0 0 1 1 *
        """)
    start(run)
    year = datetime.now(timezone.utc).year + 1
    assert status_row(run, "job") == ("STOPPED", f"Not started, next run {year}-01-01 00:00:00")

    # Another cron time: the description shows the new next run.
    write(run, f"""
        [program:job]
        command={tick("job")}
        schedule=0 7 * * *
        """)
    before = time.time()
    rc, out = run.ctl("update")
    after = time.time()
    assert rc == 0 and "job: updated process group" in out, out
    want = {f"Not started, next run {utc_text(next_daily_utc(t, 7))}" for t in (before, after)}
    state, desc = status_row(run, "job")
    assert state == "STOPPED" and desc in want, (state, desc, want)
    assert health(run, "job")["schedule"] == "0 7 * * *"

    # An interval: counted from the update, and it runs.
    write(run, f"""
        [program:job]
        command={tick("job")}
        schedule=@every 2s
        """)
    before = time.time()
    rc, out = run.ctl("update")
    assert rc == 0 and "job: updated process group" in out, out
    h = health(run, "job")
    assert h["schedule"] == "@every 2s" and before <= h["next_run"] <= time.time() + 2.5, h
    runs = wait_runs(run, "job", 1, timeout=10)
    assert runs[0] - before >= 1.9, f"ran {runs[0] - before:.2f} s after the update\n{run.context()}"
    run.wait_log(r"scheduled run of job \(@every 2s\)", timeout=5)
    assert run.stop() == 0
