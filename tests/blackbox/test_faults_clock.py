"""Fault injection: the wall clock stepped an hour forwards or backwards (issue 14, item 2).

tend's timers run on CLOCK_MONOTONIC (sys/event_loop.cc), so a step of CLOCK_REALTIME during a
`startsecs` wait, a `stopwaitsecs` wait, a backoff wait or init mode's `--grace` must change none
of them: RUNNING comes startsecs after the spawn, SIGKILL stopwaitsecs (or the grace) after the
stop signal, the retry one second after the first failed start; neither at once (a timer on the
stepped-forward wall clock) nor an hour late (stepped back). Durations are measured on
CLOCK_MONOTONIC, which all processes share: the programs write their own monotonic instants.

These tests set the machine's clock (root only). Each step is undone in a `finally`, to the
saved wall time plus the monotonic time elapsed, and lasts only until the timer under test has
fired or a bound of a few seconds has passed. A file lock (/run/lock/tend-clock-step.lock) keeps
two runs of this file on one machine from stepping at once; pytest runs tests serially, so no
other test of the suite runs during a step.
"""
import fcntl
import os
import signal
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import wait_for
from deplib import PY, tend_runs

sys.path.insert(0, str(Path(__file__).parent / "fixtures_init"))
import initlib as il  # noqa: E402

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (clock_settime)")

HOUR = 3600
STEPS = pytest.mark.parametrize("step", [HOUR, -HOUR], ids=["forward", "backward"])
LOCK = "/run/lock/tend-clock-step.lock"


@pytest.fixture
def tend_run(spawn):
    yield from tend_runs(spawn)


@contextmanager
def stepped_clock(seconds):
    """CLOCK_REALTIME moved by `seconds` inside the block; restored on the way out."""
    with open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        wall0 = time.clock_gettime_ns(time.CLOCK_REALTIME)
        mono0 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        time.clock_settime_ns(time.CLOCK_REALTIME, wall0 + seconds * 10**9)
        try:
            yield
        finally:
            elapsed = time.clock_gettime_ns(time.CLOCK_MONOTONIC) - mono0
            time.clock_settime_ns(time.CLOCK_REALTIME, wall0 + elapsed)


def stamps(path):
    """The CLOCK_MONOTONIC instants a program appended to `path`, one a line."""
    try:
        return [float(x) for x in Path(path).read_text().split()]
    except (FileNotFoundError, ValueError):
        return []


def stamper(path, then):
    """A program that appends its monotonic start instant to `path`, then runs Python `then`."""
    return (f"{PY} -c \"import time; f = open('{path}', 'a'); f.write('%%f\\n' %% time.monotonic()); "
            f"f.close(); {then}\"")


@STEPS
def test_startsecs_wait(tend_run, step):
    r = tend_run(f"""\
        [program:p]
        command={stamper('@DIR@/spawns', 'time.sleep(1000)')}
        autostart=false
        startsecs=2
        """).start()
    r.rpc().supervisor.startProcess("p", False)
    t_spawn = wait_for(lambda: stamps(r.path("spawns")), 10, what="the program started")[0]
    with stepped_clock(step):
        wait_for(lambda: r.info("p")["statename"] == "RUNNING", 10, 0.01,
                 what=lambda: f"RUNNING after the clock step\n{r.context()}")
        took = time.monotonic() - t_spawn
    print(f"\nclock stepped {step:+d} s: STARTING -> RUNNING {took:.2f} s after the spawn (startsecs=2)")
    # The program writes its stamp after Python's start-up, so up to ~0.5 s after the spawn.
    assert 1.4 <= took <= 6.0, f"RUNNING {took:.2f}s after the program started, startsecs=2"


@STEPS
def test_stopwaitsecs_wait(tend_run, step):
    then = ("import signal; signal.signal(signal.SIGTERM, lambda *a: open('@DIR@/term', 'a').write("
            "'%%f\\n' %% time.monotonic())); time.sleep(1000)")
    r = tend_run(f"""\
        [program:p]
        command={stamper('@DIR@/spawns', then)}
        startsecs=0
        stopwaitsecs=2
        """).start()
    r.wait_state("p", "RUNNING")
    wait_for(lambda: stamps(r.path("spawns")), 10, what="the TERM handler installed")
    # Python installs the handler right after the stamp; give it the moment a signal needs to
    # find it: a TERM before it would end the program and fail the "term" wait below.
    time.sleep(0.2)  # a window, not a wait for an event: no event says "handler installed"
    pid = r.info("p")["pid"]
    r.rpc().supervisor.stopProcess("p", False)
    t_term = wait_for(lambda: stamps(r.path("term")), 10, what="the program got TERM")[0]
    with stepped_clock(step):
        wait_for(lambda: not os.path.exists(f"/proc/{pid}") or
                 Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z",
                 10, 0.01, what=lambda: f"the program SIGKILLed\n{r.context()}")
        took = time.monotonic() - t_term
    r.wait_state("p", "STOPPED")
    assert r.log_lines(r"killing 'p' \(\d+\) with SIGKILL"), r.context()
    print(f"\nclock stepped {step:+d} s: SIGKILL {took:.2f} s after TERM (stopwaitsecs=2)")
    assert 1.8 <= took <= 6.0, f"SIGKILL {took:.2f}s after TERM, stopwaitsecs=2"


@STEPS
def test_backoff_wait(tend_run, step):
    r = tend_run(f"""\
        [program:p]
        command={stamper('@DIR@/spawns', 'raise SystemExit(1)')}
        autostart=false
        startsecs=1
        startretries=1
        """).start()
    r.rpc().supervisor.startProcess("p", False)
    wait_for(lambda: stamps(r.path("spawns")), 10, what="the first start")
    r.wait_state("p", "BACKOFF")
    with stepped_clock(step):
        both = wait_for(lambda: stamps(r.path("spawns"))[1:] and stamps(r.path("spawns")), 10, 0.01,
                        what=lambda: f"the retry after the clock step\n{r.context()}")
    took = both[1] - both[0]
    r.wait_state("p", "FATAL")
    print(f"\nclock stepped {step:+d} s: retry {took:.2f} s after the first start (backoff 1 s)")
    # The first attempt lives ~0.1 s (Python start-up) before its exit starts the 1 s backoff.
    assert 0.95 <= took <= 5.0, f"retry {took:.2f}s after the first start, backoff 1 s"


def test_clock_is_restored():
    """The helper puts the wall clock back where it would have been (within 50 ms)."""
    wall_before = time.clock_gettime(time.CLOCK_REALTIME)
    mono_before = time.monotonic()
    with stepped_clock(HOUR):
        assert time.clock_gettime(time.CLOCK_REALTIME) - wall_before > HOUR - 1
    drift = (time.clock_gettime(time.CLOCK_REALTIME) - wall_before) - (time.monotonic() - mono_before)
    assert abs(drift) < 0.05, f"wall clock off by {drift:.3f}s after the restore"


@STEPS
def test_init_mode_grace_wait(tmp_path, step):
    # `tend --grace 2 -- CMD` with a CMD that ignores TERM: SIGKILL (exit 137) two seconds
    # after the TERM, whichever way the wall clock moved meanwhile.
    up = tmp_path / "up"
    prog = (f"import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            f"open({str(up)!r}, 'w').close(); time.sleep(1000)")
    with il.Run(il.tend(), [PY, "-c", prog], ["--grace", "2"], tmp=tmp_path, pid1=False) as r:
        wait_for(up.exists, 10, what="TERM ignored from now on")
        t0 = time.monotonic()
        r.kill(signal.SIGTERM)
        with stepped_clock(step):
            rc = r.wait(10)
            took = time.monotonic() - t0
    print(f"\nclock stepped {step:+d} s: init mode SIGKILL {took:.2f} s after TERM (--grace 2)")
    assert rc == 137, r.stderr()
    assert 1.8 <= took <= 6.0, f"SIGKILL {took:.2f}s after TERM, --grace 2"
