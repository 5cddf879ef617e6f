"""depends_on, black-box: start order that waits for readiness, reverse stop order, graph errors.

Each test runs `tend -n -c conf` with node.sh programs (deplib.py) that record when they started,
whether each dependency's readiness marker existed at that moment, and the order in which their
TERM handlers ran. The assertions are about order and causality (a dependent saw its dependency
ready), never about durations, except generous "does not hang" bounds.

The readiness mechanisms themselves (each probe kind, notify, fd:N, watchdog, health actions in
isolation) are tested in test_readiness.py; these tests cover their combination with the
dependency scheduler (issue 10).
"""
import os
import random
import re
import subprocess
import time

import pytest

from conftest import TEND, wait_for
from deplib import assert_saw_ready, free_ports, node, sleep_window, spawn_count, tend_runs


@pytest.fixture
def tend_run(spawn):
    yield from tend_runs(spawn)


def program(name, command, **keys):
    lines = [f"[program:{name}]", f"command={command}"]
    lines += [f"{k}={v}" for k, v in keys.items()]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# a chain of 50

def test_chain_of_50_starts_in_order_and_stops_in_reverse(tend_run):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    n = 50
    ports = iter(free_ports(n // 5))
    names = [f"p{k:02d}" for k in range(1, n + 1)]
    sections = []
    for k, name in enumerate(names, 1):
        dep = names[k - 2] if k > 1 else None
        tcp = k % 5 == 0
        port = next(ports) if tcp else 0
        keys = dict(
            ready=f"tcp:127.0.0.1:{port}" if tcp else f"file:@DIR@/ready/{name}",
            ready_interval="0.02", ready_timeout="30", startretries="0",
            # Reversed priorities: priority alone would start p50 first and stop p01 first;
            # the graph must win over both.
            priority=str(1000 - k), stopwaitsecs="5", redirect_stderr="true")
        if dep:
            keys["depends_on"] = dep
        sections.append(program(name, node(name, dep or "-", rng.uniform(0, 0.04),
                                           "tcp" if tcp else "file", port), **keys))
    rng.shuffle(sections)  # section order must not matter either
    run = tend_run("\n".join(sections)).start()
    run.wait_all_running(names, timeout=90)
    ctx = f"(random seed {seed})"
    for k, name in enumerate(names[1:], 2):
        assert_saw_ready(run, name, [names[k - 2]])
    assert [spawn_count(run, x) for x in names] == [1] * n, f"a program was spawned twice {ctx}"
    assert run.stop(timeout=60) == 0
    assert run.stops() == names[::-1], f"shutdown order {ctx}\n{run.context()}"


# ---------------------------------------------------------------------------------------------
# a diamond

DIAMOND = """
[program:a]
command={a}
ready=file:@DIR@/ready/a
ready_interval=0.02

[program:b]
command={b}
depends_on=a
ready=file:@DIR@/ready/b
ready_interval=0.02
ready_timeout=10
startretries=0

[program:c]
command={c}
depends_on=a
ready=file:@DIR@/ready/c
ready_interval=0.02
ready_timeout=10
startretries=0

[program:d]
command={d}
depends_on=b, c
ready=file:@DIR@/ready/d
ready_interval=0.02
"""


def check_diamond_start(run):
    run.wait_all_running("abcd", timeout=20)
    assert_saw_ready(run, "b", ["a"])
    assert_saw_ready(run, "c", ["a"])
    assert_saw_ready(run, "d", ["b", "c"])


def check_diamond_stop(run):
    stops = run.stops()
    assert len(stops) == 4 and stops[0] == "d" and sorted(stops[1:3]) == ["b", "c"] and stops[3] == "a", \
        f"stop order {stops}: d, then b and c, then a\n{run.context()}"


def test_diamond_parallel_middle_and_order_on_start_all_and_stop_all(tend_run):
    """b and c each become ready only once the other has started: if tend started them one
    after the other (or c only after b was ready) neither would ever be ready."""
    conf = DIAMOND.format(a=node("a", delay=0.1),
                          b=node("b", "a", gate="@DIR@/start/c"),
                          c=node("c", "a", gate="@DIR@/start/b"),
                          d=node("d", "b,c"))
    run = tend_run(conf).start()
    check_diamond_start(run)

    # `stop all` stops in reverse order, `start all` follows the graph again.
    rc, out = run.ctl("stop", "all")
    assert rc == 0 and out.count(": stopped") == 4, out
    check_diamond_stop(run)
    for sub in ("start", "seen", "ready"):
        for f in os.listdir(run.path(sub)):
            os.unlink(run.path(sub, f))
    os.unlink(run.path("stops"))
    rc, out = run.ctl("start", "all", timeout=60)
    assert rc == 0 and out.count(": started") == 4, out
    check_diamond_start(run)
    assert not os.path.exists(run.path("stops")), f"start all stopped something\n{run.context()}"

    assert run.stop() == 0
    check_diamond_stop(run)


# ---------------------------------------------------------------------------------------------
# groups and numprocs stand for all their processes

def test_group_and_numprocs_dependencies_wait_for_every_process(tend_run):
    """`depends_on = worker` (numprocs=3) and `= backend` (a [group:x]) wait for every process.
    The workers are ready through Debian's systemd-notify (ready = notify) at different times."""
    if not os.access("/usr/bin/systemd-notify", os.X_OK):
        pytest.skip("needs /usr/bin/systemd-notify (Debian package systemd)")
    conf = """
        [program:worker]
        process_name=worker_%(process_num)d
        numprocs=3
        numprocs_start=1
        command=/bin/sh -c 'sleep 0.%(process_num)d; date +%%s.%%N > @DIR@/ready/worker_%(process_num)d; systemd-notify --ready; exec sleep 1000'
        ready=notify
        ready_timeout=10

        [program:db]
        command={db}
        ready=file:@DIR@/ready/db
        ready_interval=0.02

        [program:cache]
        command={cache}
        ready=file:@DIR@/ready/cache
        ready_interval=0.02

        [group:backend]
        programs=db,cache

        [program:web]
        command={web}
        depends_on=worker, backend
        startsecs=0
        """.format(db=node("db", delay=0.15), cache=node("cache", delay=0.35),
                   web=node("web", "worker_1,worker_2,worker_3,db,cache", mode="none"))
    run = tend_run(conf).start()
    run.wait_all_running(["web", "worker_1", "worker_2", "worker_3", "db", "cache"], timeout=20)
    assert_saw_ready(run, "web", ["worker_1", "worker_2", "worker_3", "db", "cache"])
    assert run.stop() == 0


# ---------------------------------------------------------------------------------------------
# graph errors: file:line, exit 2, nothing started

def _canary(name):
    return f"/bin/sh -c 'touch @DIR@/start/{name}; exec sleep 1000'"


GRAPH_ERRORS = {
    # id: (programs, [(section, key)] any of which the error may name, fragment or None)
    "cycle": ("""
        [program:a]
        command={a}
        depends_on=c

        [program:b]
        command={b}
        depends_on=a

        [program:c]
        command={c}
        depends_on=b
        """, [("program:a", "depends_on"), ("program:b", "depends_on"), ("program:c", "depends_on")],
        "cycle"),
    "self": ("""
        [program:a]
        command={a}
        depends_on=a
        """, [("program:a", "depends_on")], "itself"),
    "cycle_through_group": ("""
        [program:a]
        command={a}
        depends_on=c

        [program:b]
        command={b}

        [group:g]
        programs=a,b

        [program:c]
        command={c}
        depends_on=g
        """, [("program:a", "depends_on"), ("program:c", "depends_on")], "cycle"),
    "unknown_name": ("""
        [program:a]
        command={a}
        depends_on=nosuchprogram
        """, [("program:a", "depends_on")], "nosuchprogram"),
    "unknown_condition": ("""
        [program:a]
        command={a}

        [program:b]
        command={b}
        depends_on=a:sometimes
        """, [("program:b", "depends_on")], "sometimes"),
    "completed_on_autorestart_true": ("""
        [program:a]
        command={a}
        autorestart=true

        [program:b]
        command={b}
        depends_on=a:completed
        """, [("program:b", "depends_on"), ("program:a", "autorestart")], "never"),
    "bad_ready_probe": ("""
        [program:a]
        command={a}
        ready=tcp:127.0.0.1

        [program:b]
        command={b}
        depends_on=a
        """, [("program:a", "ready")], None),
    "bad_healthcheck": ("""
        [program:a]
        command={a}
        healthcheck=ftp://127.0.0.1:21/

        [program:b]
        command={b}
        depends_on=a:healthy
        """, [("program:a", "healthcheck")], None),
    "healthy_without_healthcheck": ("""
        [program:a]
        command={a}

        [program:b]
        command={b}
        depends_on=a:healthy
        """, [("program:b", "depends_on")], "never"),
}


@pytest.mark.parametrize("case", list(GRAPH_ERRORS))
def test_graph_error_names_file_line_exits_2_starts_nothing(tend_run, case):
    programs, where, fragment = GRAPH_ERRORS[case]
    run = tend_run()
    lines = run.write_conf(programs.format(a=_canary("a"), b=_canary("b"), c=_canary("c")))
    p = subprocess.run([str(TEND), "-n", "-c", run.conf], capture_output=True, text=True,
                       timeout=20, cwd=run.dir, stdin=subprocess.DEVNULL)
    out = p.stdout + p.stderr
    assert p.returncode == 2, f"exit {p.returncode}; output:\n{out}"
    named = {int(m) for m in re.findall(rf"{re.escape(run.conf)}:(\d+):", out)}
    expected = {lines[s][k] for s, k in where}
    assert named & expected, f"no {run.conf}:<line> of {where} (lines {sorted(expected)}) in:\n{out}"
    if fragment:
        assert fragment in out.lower(), f"{fragment!r} not in:\n{out}"
    assert not os.listdir(run.path("start")), "a program was started"


# ---------------------------------------------------------------------------------------------
# a dependency that goes FATAL

def test_fatal_dependency_leaves_dependents_waiting_logged_once(tend_run):
    conf = """
        [program:dbfatal]
        command=/bin/sh -c 'exit 1'
        startsecs=1
        startretries=0

        [program:webwait]
        command={webwait}
        depends_on=dbfatal
        startsecs=0

        [program:jobwait]
        command={jobwait}
        depends_on=webwait
        startsecs=0

        [program:other]
        command={other}
        startsecs=0
        """.format(webwait=node("webwait", "dbfatal", mode="none"),
                   jobwait=node("jobwait", "webwait", mode="none"),
                   other=node("other", mode="none"))
    run = tend_run(conf).start()
    run.wait_state("dbfatal", "FATAL", timeout=15)
    run.wait_state("other", "RUNNING")
    run.wait_desc("webwait", lambda d: d == "waiting for dbfatal (ready)", what="= 'waiting for dbfatal (ready)'")
    run.wait_desc("jobwait", lambda d: d == "waiting for webwait (ready)", what="= 'waiting for webwait (ready)'")
    # Logged: a line about the dependents or the blocked dependency beyond supervisord's own.
    standard = re.compile(r"(spawned|exited|gave up|success|entered|stopped|waiting for)\b")

    def own_lines():
        return [line.split(" ", 3)[-1] for line in run.log_lines(r"dbfatal|webwait|jobwait")
                if not standard.match(line.split(" ", 3)[-1])]
    wait_for(lambda: any("webwait" in m or "depend" in m for m in own_lines()), 5,
             what=lambda: f"a log line about dbfatal's dependents\n{run.context()}")
    # The window is the behaviour: nothing starts and nothing is logged again while the
    # dependency stays FATAL.
    before = own_lines()
    sleep_window(1.5)
    after = own_lines()
    assert after == before and len(after) == len(set(after)), \
        f"logged more than once:\n{after}\n{run.context()}"
    assert not run.started("webwait") and not run.started("jobwait")
    assert spawn_count(run, "webwait") == 0 and spawn_count(run, "jobwait") == 0
    for name, dep in (("webwait", "dbfatal"), ("jobwait", "webwait")):
        info = run.info(name)
        assert info["pid"] == 0 and info["description"] == f"waiting for {dep} (ready)", info
    assert run.rpc().supervisor.getState()["statename"] == "RUNNING"
    assert run.p.alive()
    assert run.stop() == 0


# ---------------------------------------------------------------------------------------------
# one-shot jobs: `completed`

def test_completed_waits_for_an_expected_exit(tend_run):
    def job(name, code, sleep):
        return (f"/bin/sh -c 'sleep {sleep}; date +%%s.%%N > @DIR@/ready/{name}; exit {code}'")
    conf = """
        [program:mig_ok]
        command={mig_ok}
        startsecs=0

        [program:mig3]
        command={mig3}
        startsecs=0
        autorestart=false
        exitcodes=0,3

        [program:mig_slow]
        command={mig_slow}
        startsecs=1
        autorestart=false

        [program:mig_bad]
        command={mig_bad}
        startsecs=0
        autorestart=false

        [program:web_ok]
        command={web_ok}
        depends_on=mig_ok:completed
        startsecs=0

        [program:web3]
        command={web3}
        depends_on=mig3:completed
        startsecs=0

        [program:web_slow]
        command={web_slow}
        depends_on=mig_slow:completed
        startsecs=0

        [program:web_bad]
        command={web_bad}
        depends_on=mig_bad:completed
        startsecs=0
        """.format(mig_ok=job("mig_ok", 0, 0.3), mig3=job("mig3", 3, 0.2),
                   mig_slow=job("mig_slow", 0, 1.3), mig_bad=job("mig_bad", 1, 0.1),
                   web_ok=node("web_ok", "mig_ok", mode="none"),
                   web3=node("web3", "mig3", mode="none"),
                   web_slow=node("web_slow", "mig_slow", mode="none"),
                   web_bad=node("web_bad", "mig_bad", mode="none"))
    run = tend_run(conf).start()
    run.wait_all_running(["web_ok", "web3", "web_slow"], timeout=20)
    for web, mig in (("web_ok", "mig_ok"), ("web3", "mig3"), ("web_slow", "mig_slow")):
        assert run.info(mig)["statename"] == "EXITED"
        assert_saw_ready(run, web, [mig])
    run.wait_state("mig_bad", "EXITED")
    info = run.wait_desc("web_bad", lambda d: d == "waiting for mig_bad (completed)",
                         what="= 'waiting for mig_bad (completed)'")
    assert info["pid"] == 0 and not run.started("web_bad")
    assert run.stop() == 0


# ---------------------------------------------------------------------------------------------
# stop: reverse order within the stopwaitsecs budget, independent programs in parallel

def test_stop_order_with_term_ignored_fits_the_chain_budget(tend_run):
    """a <- b <- c ignore TERM (their handlers only record it), stopwaitsecs=1: tend must
    SIGKILL each after 1 s, c first, then b, then a. x, independent, is stopped in parallel with
    c (its TERM is recorded before b's)."""
    def stubborn(name):
        return (f"/bin/sh -c \"trap 'echo {name} >> @DIR@/stops' TERM; : > @DIR@/ready/{name}; "
                f"while :; do sleep 0.05; done\"")
    conf = """
        [program:a]
        command={a}
        startsecs=0
        stopwaitsecs=1

        [program:b]
        command={b}
        depends_on=a
        startsecs=0
        stopwaitsecs=1

        [program:c]
        command={c}
        depends_on=b
        startsecs=0
        stopwaitsecs=1

        [program:x]
        command={x}
        startsecs=0
        stopwaitsecs=1
        """.format(a=stubborn("a"), b=stubborn("b"), c=stubborn("c"), x=stubborn("x"))
    run = tend_run(conf).start()
    run.wait_all_running("abcx")
    wait_for(lambda: len(os.listdir(run.path("ready"))) == 4, 5, what="the TERM traps set")
    t0 = time.monotonic()
    assert run.stop(timeout=20) == 0
    took = time.monotonic() - t0
    stops = run.stops()
    assert sorted(stops[:2]) == ["c", "x"] and stops[2:] == ["b", "a"], \
        f"TERM order {stops}: c and x, then b, then a\n{run.context()}"
    # Generous bound (3 x stopwaitsecs along the chain, plus slack for a loaded machine).
    assert took < 3 * 1 + 3, f"shutdown took {took:.1f} s"
