"""Restart policies, black-box: `startretries = -1` (never FATAL), `backoff_max` (exponential waits
between failed starts, and for a crash loop after startsecs), `restartpause`, the wait in the
description through Debian's real supervisorctl, and a stop that cancels the wait.

The programs are instances of `flaky.sh`, which counts its runs in a file: runs up to FAILS sleep
RUNSECS and exit with CODE, later ones stay up. Waits are measured in tend's main log, from the
`exited:` line of one run to the `spawned:` line of the next; the log has millisecond resolution
and the loop acts at once, so each wait is asserted within a range around the configured one.
"""
import math
import re
from datetime import datetime
from pathlib import Path

import pytest

from conftest import read_text, wait_for
from deplib import SUPERVISORCTL, need, sleep_window, spawn_count, tend_runs

# flaky.sh FAILS RUNSECS CODE
FLAKY_SH = r"""#!/bin/sh
d=@DIR@
n=$(cat "$d/count" 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" > "$d/count"
if [ "$n" -le "$1" ]; then
  sleep "$2"
  exit "$3"
fi
exec sleep 1000
"""

# How late tend may act on a due timer and log it, on a busy machine.
SLACK = 0.15


@pytest.fixture
def tend_run(spawn):
    yield from tend_runs(spawn)


def make(tend_run, programs):
    run = tend_run()
    script = Path(run.path("flaky.sh"))
    script.write_text(FLAKY_SH.replace("@DIR@", run.dir))
    script.chmod(0o755)
    run.write_conf(programs.replace("@FLAKY@", str(script)))
    return run


def stamp(line):
    return datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()


def waits(run, name):
    """Seconds from each `exited:` of `name` to the `spawned:` after it, in log order."""
    out, exited = [], None
    for line in run.text().splitlines():
        if re.search(rf"exited: {re.escape(name)} \(", line):
            exited = stamp(line)
        elif exited is not None and re.search(rf"spawned: '{re.escape(name)}' with pid", line):
            out.append(stamp(line) - exited)
            exited = None
    return out


def runs(run):
    return int(read_text(run.path("count")) or 0)


def status_line(run, name):
    _, out = run.ctl("status", name)
    lines = [line for line in out.splitlines() if line.split()[:1] == [name]]
    return lines[0] if lines else out


def test_unlimited_retries_never_give_up_and_back_off_at_the_cap(tend_run):
    run = make(tend_run, """
        [program:flaky]
        command=@FLAKY@ 20 0 1
        startretries=-1
        backoff_max=0.2
        """)
    run.start()
    info = run.wait_state("flaky", "RUNNING", timeout=30)
    assert runs(run) == 21
    assert spawn_count(run, "flaky") == 21
    assert run.log_lines(r"gave up: flaky") == []
    assert len(run.log_lines(r"exited: flaky \(exit status 1; not expected\)")) == 20
    got = waits(run, "flaky")
    assert len(got) == 20, got
    # Every wait is the cap (1 s > 0.2 s) within its +-10 %, never supervisord's 1, 2, 3... s.
    for i, w in enumerate(got):
        assert 0.18 - 0.002 <= w <= 0.22 + SLACK, f"wait {i + 1}: {w:.3f} s; all: {got}"
    assert info["description"].startswith("pid ")


def test_failed_start_waits_grow_exponentially_to_backoff_max(tend_run):
    run = make(tend_run, """
        [program:flaky]
        command=@FLAKY@ 3 0 1
        startretries=-1
        backoff_max=2.5
        """)
    run.start()
    run.wait_state("flaky", "RUNNING", timeout=30)
    got = waits(run, "flaky")
    assert len(got) == 3, got
    # 1, 2, then 4 capped at 2.5 (the linear rule's third wait would be 3 s), each +-10 %.
    for i, (w, base) in enumerate(zip(got, (1.0, 2.0, 2.5))):
        assert base * 0.9 - 0.002 <= w <= base * 1.1 + SLACK, f"wait {i + 1}: {w:.3f} s; all: {got}"


def test_crash_loop_after_startsecs_backs_off_shows_the_wait_and_a_stop_cancels_it(tend_run):
    need(SUPERVISORCTL, "supervisor")
    run = make(tend_run, """
        [program:flaky]
        command=@FLAKY@ 100 1.3 1
        startsecs=1
        backoff_max=30
        """)
    run.start()
    # Each run passes startsecs (RUNNING), then exits 1.3 s after its spawn: crashes 1, 2, 3
    # wait 1, 2 and 4 s. During the third wait, supervisorctl shows EXITED and the wait.
    last = {}

    def third_wait_shown():
        last["line"] = status_line(run, "flaky")
        return re.fullmatch(r"flaky\s+EXITED\s+\w{3} \d\d \d\d:\d\d [AP]M, restarting in [1-5] s \(crash 3\)",
                            last["line"])
    wait_for(third_wait_shown, 20, 0.05, what=lambda: f"the third crash's wait in {last}\n{run.context()}")
    assert run.info("flaky")["statename"] == "EXITED"
    assert len(run.log_lines(r"success: flaky entered RUNNING state")) == 3
    got = waits(run, "flaky")
    assert len(got) == 2, got
    for i, (w, base) in enumerate(zip(got, (1.0, 2.0))):
        assert base * 0.9 - 0.002 <= w <= base * 1.1 + SLACK, f"wait {i + 1}: {w:.3f} s; all: {got}"

    rc, out = run.ctl("stop", "flaky")
    assert rc == 0 and "flaky: stopped" in out, out
    assert run.info("flaky")["statename"] == "STOPPED"
    # The 4 s (at most 4.4 s) wait would have ended by now; nothing may start in the window.
    exited = stamp(run.log_lines(r"exited: flaky \(")[-1])
    sleep_window(max(0.0, exited + 4.4 + 0.5 - datetime.now().timestamp()))
    assert spawn_count(run, "flaky") == 3
    assert run.info("flaky")["statename"] == "STOPPED"


def test_backoff_description_and_stop_with_unlimited_retries(tend_run):
    need(SUPERVISORCTL, "supervisor")
    run = make(tend_run, """
        [program:flaky]
        command=@FLAKY@ 1000 0 3
        startretries=-1
        backoff_max=30
        """)
    run.start()
    last = {}

    def backoff_shown():
        last["line"] = status_line(run, "flaky")
        m = re.fullmatch(r"flaky\s+BACKOFF\s+Exited too quickly \(process log may have details\), "
                         r"restarting in (\d+) s \(failed start (\d+)\)", last["line"])
        return m if m and int(m.group(2)) >= 2 else None
    m = wait_for(backoff_shown, 20, 0.05, what=lambda: f"BACKOFF with its wait in {last}\n{run.context()}")
    # failed start n waits 2^(n-1) s (+10 %), shown rounded up.
    assert 1 <= int(m.group(1)) <= math.ceil(2 ** (int(m.group(2)) - 1) * 1.1)
    rc, out = run.ctl("stop", "flaky")
    assert rc == 0 and "flaky: stopped" in out, out
    info = run.info("flaky")
    assert info["statename"] == "STOPPED"
    assert run.log_lines(r"gave up: flaky") == []


def test_restartpause_delays_each_automatic_restart(tend_run):
    run = make(tend_run, """
        [program:flaky]
        command=@FLAKY@ 2 1.2 0
        startsecs=1
        autorestart=true
        restartpause=1.5
        """)
    run.start()
    wait_for(lambda: runs(run) == 3, 20, what=lambda: f"the third run\n{run.context()}")
    run.wait_state("flaky", "RUNNING", timeout=10)
    got = waits(run, "flaky")
    assert len(got) == 2, got
    # supervisord would restart these at once (autorestart=true, each run passed startsecs).
    for i, w in enumerate(got):
        assert 1.5 - 0.002 <= w <= 1.5 + SLACK, f"wait {i + 1}: {w:.3f} s; all: {got}"
    assert run.log_lines(r"exited: flaky \(exit status 0; expected\)")


def test_without_the_keys_a_crash_loop_restarts_at_once_as_in_supervisord(tend_run):
    run = make(tend_run, """
        [program:flaky]
        command=@FLAKY@ 2 1.2 1
        startsecs=1
        """)
    run.start()
    wait_for(lambda: runs(run) == 3, 20, what=lambda: f"the third run\n{run.context()}")
    run.wait_state("flaky", "RUNNING", timeout=10)
    got = waits(run, "flaky")
    assert len(got) == 2, got
    assert all(w <= SLACK for w in got), got


def test_a_changed_restart_key_is_a_per_program_change_and_a_bad_one_is_refused(tend_run):
    need(SUPERVISORCTL, "supervisor")
    programs = """
        [program:flaky]
        command=@FLAKY@ 0 0 0
        startsecs=0
        backoff_max=10

        [program:other]
        command=@FLAKY@ 0 0 0
        startsecs=0
        """
    run = make(tend_run, programs)
    run.start()
    run.wait_all_running(["flaky", "other"])
    pids = {n: i["pid"] for n, i in run.infos().items()}
    script = run.path("flaky.sh")
    run.write_conf(programs.replace("backoff_max=10", "backoff_max=10\n        restartpause=2")
                   .replace("@FLAKY@", script))
    rc, out = run.ctl("reread")
    assert rc == 0 and out.strip() == "flaky: changed", out
    rc, out = run.ctl("update")
    assert rc == 0, out
    run.wait_state("flaky", "RUNNING")
    after = {n: i["pid"] for n, i in run.infos().items()}
    assert after["other"] == pids["other"]
    assert after["flaky"] not in (0, pids["flaky"])

    lines = run.write_conf(programs.replace("backoff_max=10", "backoff_max=-3").replace("@FLAKY@", script))
    rc, out = run.ctl("reread")
    assert rc != 0, out
    assert f"{run.conf}:{lines['program:flaky']['backoff_max']}: invalid value for 'backoff_max'" in out, out
    assert run.info("flaky")["pid"] == after["flaky"]
