"""Fault injection, process and signal faults (issue 14, item 2), black-box.

* Signal storm: 1,000 signals drawn at random (seed printed on failure; TEND_STORM_SEED to
  replay) from every catchable one tend does not stop on, sent as fast as Python can to tend in
  config mode and in init mode, not PID 1 and PID 1 (`unshare --pid --fork --mount-proc`).
  tend must not die, must keep every child (same pids), must handle every queued real-time
  signal exactly once (config mode: one "received ..., ignored" line each; init mode: the child
  gets each one), and must then still stop with the documented status. The terminating signals
  (config: TERM, INT, QUIT -> 0; init: TERM, INT forwarded, exit 128+N) are checked apart.
  test_signals_survive.py sends each signal once; this is the storm on top of it. Also: the storm
  with the stop signals mixed in (one clean shutdown), 100 HUPs during a pending update (one
  restart, with the last file), and a storm while tend is still reading its config (a FIFO).
* 10,000 orphans handed to tend (subreaper, and PID 1) in one burst: every one reaped (one
  "reaped unknown pid" line each), no zombie left, XML-RPC keeps answering (latency reported),
  a killed program is still restarted during the burst; the same in init mode (`-w` counts); and
  10,000 live orphans at shutdown, all signalled and reaped.
* kill -9 of a program in STARTING, RUNNING, STOPPING and during a backoff's start attempt, and of
  all of tend's children during an update: the state machine reaches the expected state, no
  zombie stays, supervisorctl's status agrees with XML-RPC.

Figures are printed (run with -s to see them).
"""
import os
import random
import signal
import statistics
import sys
import threading
import time
import xmlrpc.client
from pathlib import Path

import pytest

from conftest import TEND, all_procs, kill_session, wait_for
from deplib import PY, SUPERVISORCTL, TendRun, need, status_row, tend_runs

sys.path.insert(0, str(Path(__file__).parent / "fixtures_init"))
sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
import initlib as il  # noqa: E402
import treelib as tl  # noqa: E402

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (unshare, PID namespaces)")

STORM_SIZE = 1000
SEED = int(os.environ.get("TEND_STORM_SEED", "14"))
UNCATCHABLE = {signal.SIGKILL, signal.SIGSTOP}
CONFIG_STOPS = [signal.SIGTERM, signal.SIGINT, signal.SIGQUIT]
INIT_STOPS = [signal.SIGTERM, signal.SIGINT]
INIT_DROPS = {signal.SIGTTIN, signal.SIGTTOU}
CONT_OR_STOP = {signal.SIGCONT, signal.SIGTSTP}
RT_FIRST = 32  # the kernel queues every signal from 32 up (glibc's 32 and 33 included)


class NsTendRun(TendRun):
    """A TendRun whose tend is PID 1 of a new PID namespace (`unshare --pid --fork --mount-proc`);
    signals are sent to its host pid, as a container engine does."""

    def start(self, wait=True):
        self.p = self.spawn(["unshare", "--pid", "--fork", "--mount-proc", TEND, "-n", "-c", self.conf],
                            cwd=self.dir)
        if wait:
            self.wait_up()
        return self

    def host_pid(self):
        kids = wait_for(lambda: il.children_of(self.p.pid), 5, what="unshare's child")
        return kids[0]

    def stop(self, timeout=30):
        """SIGTERM tend (not unshare); unshare's exit status is tend's."""
        os.kill(self.host_pid(), signal.SIGTERM)
        return self.p.wait(timeout)


@pytest.fixture
def tend_run(spawn):
    yield from tend_runs(spawn)


@pytest.fixture
def ns_run(spawn):
    runs = []

    def make(programs):
        r = NsTendRun(spawn, programs)
        runs.append(r)
        return r
    yield make
    for r in runs:
        if r.p is not None and r.p.alive():
            kill_session(r.p.popen)  # unshare, and with it the namespace
        r.close()


@pytest.fixture(scope="module")
def bins(tmp_path_factory):
    out = tmp_path_factory.mktemp("bin")
    return {name: tl.compile_c(name, out) for name in ("siglog", "orphan_burst")}


def storm(pool):
    """STORM_SIZE signals drawn from `pool` with the fixed seed."""
    return random.Random(SEED).choices(sorted(pool), k=STORM_SIZE)


def send_all(pid, sigs, may_end=False):
    """Sends `sigs` to `pid` in order; returns how many were sent. With `may_end` the target may
    exit part-way (the storm holds a stop signal): the rest is not sent."""
    for i, s in enumerate(sigs):
        try:
            os.kill(pid, s)
        except ProcessLookupError:
            if not may_end:
                raise
            return i
    return len(sigs)


def direct_children(pid):
    return sorted(p for p, (_, ppid, _) in all_procs().items() if ppid == pid)


def zombies_of(pid):
    return [p for p, (state, ppid, _) in all_procs().items() if ppid == pid and state == "Z"]


def counts(sigs):
    out = {}
    for s in sigs:
        out[int(s)] = out.get(int(s), 0) + 1
    return out


def seeded(msg):
    return f"[storm seed {SEED}; TEND_STORM_SEED={SEED} replays it] {msg}"


# ---------------------------------------------------------------------------------------------
# 1. Signal storm

CONFIG_PROGRAMS = """\
    [program:a]
    command=sleep 1000
    startsecs=0

    [program:b]
    command=sleep 1000
    startsecs=0
    """


def ignored_lines(run):
    """{signal name: count} of the "received X, ignored" lines in the main log."""
    out = {}
    for line in run.log_lines(r"received .+, ignored$"):
        name = line.split("received ", 1)[1].split(",", 1)[0]
        out[name] = out.get(name, 0) + 1
    return out


@pytest.mark.parametrize("pid1", [False, True], ids=["not-pid1", "pid1"])
def test_config_mode_signal_storm(tend_run, ns_run, pid1):
    r = (ns_run if pid1 else tend_run)(CONFIG_PROGRAMS)
    r.start()
    r.wait_all_running(["a", "b"])
    host = r.host_pid() if pid1 else r.p.pid
    pids = {n: i["pid"] for n, i in r.infos().items()}
    kids = direct_children(host)
    assert len(kids) == 2, kids

    sent = storm(set(range(1, 65)) - UNCATCHABLE - set(CONFIG_STOPS))
    t0 = time.monotonic()
    send_all(host, sent)
    elapsed = time.monotonic() - t0
    # Queued signals (32 and up) are each read once; the kernel hands out lower numbers first,
    # so once the last queued one is logged, every standard one pending was read too. CONT,
    # WINCH and URG are logged at debug level only; the rest at info.
    rt_sent = sum(1 for s in sent if s >= RT_FIRST)

    def rt_logged():
        return sum(c for name, c in ignored_lines(r).items() if name.startswith(("SIGRTMIN", "signal 3")))
    wait_for(lambda: rt_logged() >= rt_sent, 30,
             what=lambda: seeded(f"{rt_sent} real-time signals logged (got {rt_logged()})\n{r.context()}"))
    assert r.p.alive(), seeded(r.context())
    assert rt_logged() == rt_sent, seeded(f"each queued signal logged once: {ignored_lines(r)}")
    assert {n: i["pid"] for n, i in r.infos().items()} == pids, seeded(r.context())
    assert {n: i["statename"] for n, i in r.infos().items()} == {"a": "RUNNING", "b": "RUNNING"}
    assert direct_children(host) == kids, seeded("tend lost or gained a child")
    assert r.log_lines(r"received SIGHUP indicating restart request") or signal.SIGHUP not in sent
    c = counts(sent)
    print(f"\nconfig mode {'PID 1' if pid1 else 'not PID 1'}: {len(sent)} signals "
          f"({len(c)} kinds, {rt_sent} queued) sent in {elapsed * 1000:.0f} ms; children {kids} kept")
    rc = r.stop(30)
    assert rc == 0, seeded(r.context())


@pytest.mark.parametrize("sig", CONFIG_STOPS, ids=lambda s: signal.Signals(s).name)
@pytest.mark.parametrize("pid1", [False, True], ids=["not-pid1", "pid1"])
def test_config_mode_stops_with_status_0(tend_run, ns_run, pid1, sig):
    r = (ns_run if pid1 else tend_run)(CONFIG_PROGRAMS)
    r.start()
    r.wait_all_running(["a", "b"])
    host = r.host_pid() if pid1 else r.p.pid
    kids = direct_children(host)
    os.kill(host, sig)
    assert r.p.wait(30) == 0, r.context()
    for name in ("a", "b"):
        assert r.log_lines(rf"stopped: {name} \(terminated by SIGTERM\)"), r.context()
    assert not [k for k in kids if tl.running(k)]


@pytest.mark.parametrize("pid1", [False, True], ids=["not-pid1", "pid1"])
def test_config_mode_storm_with_the_stop_signals_mixed_in(tend_run, ns_run, pid1):
    # The same storm with TERM, INT and QUIT among it: tend shuts down once, with status 0;
    # HUPs that arrive during the shutdown are refused, not acted on.
    r = (ns_run if pid1 else tend_run)(CONFIG_PROGRAMS)
    r.start()
    r.wait_all_running(["a", "b"])
    host = r.host_pid() if pid1 else r.p.pid
    kids = direct_children(host)
    sent = storm(set(range(1, 65)) - UNCATCHABLE)
    n = send_all(host, sent, may_end=True)
    print(f"\nconfig mode {'PID 1' if pid1 else 'not PID 1'}, stop signals mixed in: "
          f"{n} of {STORM_SIZE} sent before tend exited")
    assert r.p.wait(30) == 0, seeded(r.context())
    assert len(r.log_lines(r"tend exiting with status 0")) == 1, seeded(r.context())
    for name in ("a", "b"):
        assert len(r.log_lines(rf"stopped: {name} \(terminated by SIGTERM\)")) == 1, seeded(r.context())
    assert len(r.log_lines(r"spawned: .* with pid")) == 2, seeded("a program was started again")
    assert not [k for k in kids if tl.running(k)]


@pytest.mark.parametrize("pid1", [False, True], ids=["not-pid1", "pid1"])
def test_init_mode_storm_with_the_stop_signals_mixed_in(bins, tmp_path, pid1):
    # TERM and INT among the storm: the child (siglog, exits 0 on TERM) gets a TERM, tend exits
    # with its status, and nothing is left.
    log = tmp_path / "siglog.log"
    with il.Run(il.tend(), [str(bins["siglog"]), str(log)], ["--grace", "10"], tmp=tmp_path, pid1=pid1) as r:
        wait_for(lambda: il.lines(log)[:1], 5, what="siglog ready")
        host = r.host_pid()
        kids = direct_children(host)
        n = send_all(host, storm(set(range(1, 65)) - UNCATCHABLE), may_end=True)
        assert r.wait(30) == 0, seeded(r.stderr())
        print(f"\ninit mode {'PID 1' if pid1 else 'not PID 1'}, stop signals mixed in: "
              f"{n} of {STORM_SIZE} sent before tend exited")
    assert il.lines(log)[-1] == str(int(signal.SIGTERM)), seeded(il.lines(log)[-5:])
    assert not [k for k in kids if tl.running(k)]


def test_config_mode_hup_storm_during_an_update(tend_run):
    # 100 HUPs while a changed program is still stopping (it ignores TERM), the file changed
    # again half-way: the program is restarted once, with the last configuration; the unchanged
    # one is not touched.
    need(SUPERVISORCTL, "supervisor")
    programs = f"""\
        [program:changed]
        command={TERM_IGNORING} @ARG@
        startsecs=0
        stopwaitsecs=2

        [program:same]
        command=sleep 1000
        startsecs=0
        """
    r = tend_run(programs.replace("@ARG@", "v1")).start()
    r.wait_all_running(["changed", "same"])
    wait_for(lambda: os.path.exists(r.path("changed.up")), 10, what="TERM ignored from now on")
    old = {n: i["pid"] for n, i in r.infos().items()}
    r.write_conf(programs.replace("@ARG@", "v2"))
    send_all(r.p.pid, [signal.SIGHUP] * 50)
    r.wait_state("changed", "STOPPING")
    r.write_conf(programs.replace("@ARG@", "v3"))
    send_all(r.p.pid, [signal.SIGHUP] * 50)
    final = assert_settled(r, "changed", "RUNNING", old_pid=old["changed"])
    assert "v3" in Path(f"/proc/{final['pid']}/cmdline").read_text(), r.context()
    assert len(r.log_lines(r"spawned: 'changed'")) == 2, r.context()
    assert r.info("same")["pid"] == old["same"]
    assert r.p.alive()


def test_config_mode_signals_while_the_config_is_read(spawn, tmp_path):
    # Regression: tend used to take over signals only once the configuration was loaded, so a
    # stray signal during a slow load (here: the config file is a FIFO nobody writes yet) ended
    # it with the signal's default action (USR1: killed). Now the storm waits in the pending
    # set and is read by the loop once it runs.
    fifo = tmp_path / "tend.conf"
    os.mkfifo(fifo)
    log = tmp_path / "main.log"
    p = spawn([TEND, "-n", "-c", fifo], cwd=tmp_path)

    def reading():
        if not p.alive():
            raise AssertionError(f"tend exited (rc {p.popen.returncode})\n{p.describe()}")
        return Path(f"/proc/{p.pid}/wchan").read_text() == "wait_for_partner"
    wait_for(reading, 10, what="tend blocked opening its config FIFO")
    # Not HUP: its update would read the FIFO again, and nobody would write it.
    sent = storm(set(range(1, 65)) - UNCATCHABLE - set(CONFIG_STOPS) - {signal.SIGHUP})
    send_all(p.pid, sent)
    with open(fifo, "w") as f:
        f.write(f"[supervisord]\nlogfile={log}\npidfile={tmp_path / 'tend.pid'}\n"
                f"[program:a]\ncommand=sleep 1000\nstartsecs=0\n")
    wait_for(lambda: "success: a entered RUNNING state" in il.read(log) or not p.alive(), 10,
             what=lambda: f"a RUNNING\n{il.read(log)}\n{p.describe()}")
    assert p.alive(), seeded(f"tend died of a signal sent while it read its config: rc {p.popen.returncode}")
    # The signals were not lost either: each queued one is read once the loop runs.
    rt_sent = sum(1 for s in sent if s >= RT_FIRST)
    wait_for(lambda: il.read(log).count(", ignored\n") >= rt_sent, 10,
             what=lambda: f"{rt_sent} pending signals read\n{il.read(log)[-3000:]}")
    p.send(signal.SIGTERM)
    assert p.wait(15) == 0, p.describe()


def siglog_counts(log):
    return counts(int(x) for x in il.lines(log)[1:])


@pytest.mark.parametrize("pid1", [False, True], ids=["not-pid1", "pid1"])
def test_init_mode_signal_storm(bins, tmp_path, pid1):
    log = tmp_path / "siglog.log"
    with il.Run(il.tend(), [str(bins["siglog"]), str(log)], tmp=tmp_path, pid1=pid1) as r:
        wait_for(lambda: il.lines(log)[:1], 5, what="siglog ready")
        host = r.host_pid()
        kids = direct_children(host)
        assert len(kids) == 1, kids
        sent = storm(set(range(1, 65)) - UNCATCHABLE - set(INIT_STOPS))
        t0 = time.monotonic()
        send_all(host, sent)
        elapsed = time.monotonic() - t0
        want = counts(sent)
        forwarded = {s: n for s, n in want.items() if s not in INIT_DROPS and s != signal.SIGCHLD}
        last_cont_or_stop = [s for s in sent if s in CONT_OR_STOP | INIT_DROPS][-1]

        def all_seen():
            got = siglog_counts(log)
            # A stop signal discards a pending CONT and a CONT pending stop signals (kernel rule,
            # at tend and at the child): only the last sent of CONT, TSTP, TTIN and TTOU is sure
            # to arrive, and TTIN/TTOU are dropped.
            if last_cont_or_stop in CONT_OR_STOP and not got.get(last_cont_or_stop):
                return False
            return all(got.get(s, 0) >= (n if s >= RT_FIRST else 1) for s, n in forwarded.items()
                       if s not in CONT_OR_STOP)
        wait_for(all_seen, 30, what=lambda: seeded(
            f"every forwarded signal at the child: sent {forwarded}, got {siglog_counts(log)}\n{r.stderr()}"))
        got = siglog_counts(log)
        assert r.alive(), seeded(r.stderr())
        assert direct_children(host) == kids, seeded("tend lost or gained a child")
        for s, n in got.items():
            assert s in forwarded, seeded(f"signal {s} reached the child but was not to be forwarded")
            # Queued signals exactly once each; standard ones no more often than sent (at least once:
            # all_seen; the kernel merges a standard signal already pending, at tend and at the child).
            assert (n == forwarded[s]) if s >= RT_FIRST else (n <= forwarded[s]), \
                seeded(f"signal {s}: sent {forwarded[s]}, child got {n}")
        print(f"\ninit mode {'PID 1' if pid1 else 'not PID 1'}: {len(sent)} signals sent in "
              f"{elapsed * 1000:.0f} ms; child got {sum(got.values())} ({sum(forwarded.values())} forwardable); "
              f"child {kids} kept")
        r.kill(signal.SIGTERM)
        assert r.wait(15) == 0, seeded(r.stderr())  # siglog exits 0 on TERM
    assert il.lines(log)[-1] == str(int(signal.SIGTERM))


@pytest.mark.parametrize("sig", INIT_STOPS, ids=lambda s: signal.Signals(s).name)
@pytest.mark.parametrize("pid1", [False, True], ids=["not-pid1", "pid1"])
def test_init_mode_stops_with_the_childs_status(tmp_path, pid1, sig):
    # sleep dies of the forwarded signal: tend exits 128+N.
    with il.Run(il.tend(), ["sleep", "1000"], tmp=tmp_path, pid1=pid1) as r:
        host = r.host_pid()
        child = wait_for(lambda: direct_children(host), 5, what="the child")[0]
        r.kill(sig)
        assert r.wait(15) == 128 + sig, r.stderr()
        assert not tl.running(child)


# ---------------------------------------------------------------------------------------------
# 2. 10,000 orphans

ORPHANS = 10000


@pytest.mark.parametrize("pid1", [False, True], ids=["subreaper", "pid1"])
def test_ten_thousand_orphans(tend_run, ns_run, bins, pid1):
    r = (ns_run if pid1 else tend_run)(f"""\
        [program:burst]
        command={bins['orphan_burst']} {ORPHANS} @DIR@/burst.log
        autostart=false
        startsecs=0
        autorestart=false

        [program:victim]
        command=sleep 1000
        startsecs=0
        """)
    r.start()
    r.wait_state("victim", "RUNNING")
    host = r.host_pid() if pid1 else r.p.pid
    stop = threading.Event()
    latencies, max_zombies, errors = [], [0], []

    def call_loop():
        rpc = r.rpc(timeout=30)
        while not stop.is_set():
            t = time.monotonic()
            try:
                rpc.supervisor.getState()
            except Exception as e:  # noqa: BLE001 - reported by the assertion below
                errors.append(repr(e))
            latencies.append(time.monotonic() - t)
            time.sleep(0.005)

    def zombie_loop():
        while not stop.is_set():
            max_zombies[0] = max(max_zombies[0], len(zombies_of(host)))

    threads = [threading.Thread(target=f, daemon=True) for f in (call_loop, zombie_loop)]
    for t in threads:
        t.start()
    try:
        t0 = time.monotonic()
        r.rpc().supervisor.startProcess("burst", False)
        # A restart must still happen during the burst.
        old = r.info("victim")["pid"]
        # Under way: the middle process has forked its first hundred (they share its name).
        wait_for(lambda: sum(1 for _, _, comm in all_procs().values() if comm == "orphan_burst") > 100
                 or Path(r.path("burst.log")).exists(), 30, 0.005, what="the burst under way")
        under_way = not Path(r.path("burst.log")).exists()
        os.kill(old if not pid1 else ns_to_host(host, old), signal.SIGKILL)
        t_kill = time.monotonic()
        wait_for(lambda: (lambda i: i["statename"] == "RUNNING" and i["pid"] != old)(r.info("victim")), 30,
                 what=lambda: f"victim restarted\n{r.context()}")
        restart = time.monotonic() - t_kill
        line = wait_for(lambda: il.lines(r.path("burst.log")), 60, what="the burst done")[0]
        assert line.startswith(f"burst {ORPHANS} "), line
        reaped = lambda: len(r.log_lines(r"reaped unknown pid \d+ \(exit status 0\)"))  # noqa: E731
        wait_for(lambda: reaped() >= ORPHANS, 60,
                 what=lambda: f"{ORPHANS} orphans reaped (so far {reaped()})")
        total = time.monotonic() - t0
        wait_for(lambda: not zombies_of(host), 10, what=lambda: f"no zombie below tend: {zombies_of(host)}")
    finally:
        stop.set()
        for t in threads:
            t.join(35)
    assert not errors, errors[:5]
    assert reaped() == ORPHANS, "an orphan was reaped twice, or someone else's was logged"
    assert r.p.alive()
    lat = sorted(latencies)
    print(f"\n{ORPHANS} orphans ({'PID 1' if pid1 else 'subreaper'}): all reaped {total:.2f}s after the "
          f"start call; max zombies seen {max_zombies[0]}; getState during the burst: {len(lat)} calls, "
          f"median {statistics.median(lat) * 1000:.1f} ms, p99 {lat[int(len(lat) * 0.99)] * 1000:.1f} ms, "
          f"max {lat[-1] * 1000:.1f} ms; program killed {'while forking' if under_way else 'after the forks'}, "
          f"back RUNNING after {restart * 1000:.0f} ms; "
          f"fork retries: {line.split()[2]}")
    # Generous bound for a loaded 2-core machine: the loop must never stall for seconds.
    assert lat[-1] < 5.0, f"an XML-RPC call took {lat[-1]:.2f}s during the burst"
    assert r.stop(30) == 0, r.context()


def burst_procs():
    return [p for p, (state, _, comm) in all_procs().items() if comm == "orphan_burst" and state != "Z"]


def test_ten_thousand_live_orphans_at_shutdown(tend_run, bins):
    # The orphans stay alive (they sleep until a signal): on TERM, tend's shutdown must signal
    # and reap all of them, exit 0, and leave nothing behind.
    r = tend_run(f"""\
        [program:burst]
        command={bins['orphan_burst']} {ORPHANS} @DIR@/burst.log live
        startsecs=0
        autorestart=false
        """).start()
    wait_for(lambda: il.lines(r.path("burst.log")), 60, what="the burst done")
    live = len(burst_procs())
    assert live == ORPHANS + 1, live  # the orphans and the program itself
    t0 = time.monotonic()
    assert r.stop(60) == 0, r.context()
    took = time.monotonic() - t0
    left = burst_procs()
    reaped = len(r.log_lines(r"reaped unknown pid \d+ \(terminated by SIGTERM\)"))
    print(f"\n{ORPHANS} live orphans at shutdown: tend exited 0 after {took:.2f}s, {reaped} reaped, "
          f"{len(left)} left")
    assert not left, f"{len(left)} orphans survived tend"
    assert reaped == ORPHANS
    assert took < 30, f"shutdown took {took:.1f}s (shutdown_grace is 5 s)"


@pytest.mark.parametrize("pid1", [False, True], ids=["subreaper", "pid1"])
def test_init_mode_ten_thousand_orphans(bins, tmp_path, pid1):
    # `tend -w -- orphan_burst`: -w prints one line per orphan reaped; then TERM ends the child
    # (exit 143) and nothing is left.
    log = tmp_path / "burst.log"
    with il.Run(il.tend(), [str(bins["orphan_burst"]), str(ORPHANS), str(log)], ["-w"], tmp=tmp_path,
                pid1=pid1) as r:
        host = r.host_pid()
        t0 = time.monotonic()
        max_zombies = 0

        def reaped():
            return r.stderr().count("reaped orphan")

        def done():
            nonlocal max_zombies
            max_zombies = max(max_zombies, len(zombies_of(host)))
            return il.lines(log) and reaped() >= ORPHANS
        wait_for(done, 60, what=lambda: f"{ORPHANS} orphans reaped (so far {reaped()})\n{r.stderr()[-2000:]}")
        total = time.monotonic() - t0
        wait_for(lambda: not zombies_of(host), 10, what=lambda: f"no zombie below tend: {zombies_of(host)}")
        assert reaped() == ORPHANS
        r.kill(signal.SIGTERM)
        assert r.wait(15) == 128 + signal.SIGTERM, r.stderr()[-2000:]
    print(f"\ninit mode, {ORPHANS} orphans ({'PID 1' if pid1 else 'subreaper'}): all reaped within "
          f"{total:.2f}s of the start; max zombies seen {max_zombies}")


def ns_to_host(host_init, ns_pid):
    """The host pid of the process that is `ns_pid` inside the namespace whose PID 1 is host_init
    (NSpid in /proc/PID/status lists a pid in each namespace, outermost first)."""
    for p in il.children_of(host_init):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("NSpid:") and int(line.split()[-1]) == ns_pid:
                    return p
        except OSError:
            continue
    raise AssertionError(f"no child of {host_init} is pid {ns_pid} in its namespace")


# ---------------------------------------------------------------------------------------------
# 4. kill -9 in every state

TERM_IGNORING = (f"{PY} -c \"import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                 f"open('@DIR@/%(program_name)s.up', 'w').close(); time.sleep(1000)\"")


def assert_settled(r, name, state, old_pid=None):
    """`name` reaches `state` (XML-RPC; with a pid other than `old_pid`, the killed one: tend may
    not have read the kill yet), supervisorctl's status says the same, and no zombie is left
    below tend. Returns the process info."""
    last = {}

    def reached():
        last["i"] = r.info(name)
        return last["i"]["statename"] == state and (old_pid is None or last["i"]["pid"] != old_pid)
    wait_for(reached, 15, what=lambda: f"{name} {state}, not pid {old_pid} (last {last['i']})\n{r.context()}")
    info = last["i"]
    ctl_state, desc = status_row(r, name)
    assert ctl_state == state, f"supervisorctl: {ctl_state} {desc}; XML-RPC: {info}"
    if state == "RUNNING":
        assert f"pid {info['pid']}," in desc, desc
    wait_for(lambda: not zombies_of(r.p.pid), 5, what=lambda: f"no zombie: {zombies_of(r.p.pid)}")
    return info


def test_kill9_in_starting_backs_off_then_runs(tend_run):
    need(SUPERVISORCTL, "supervisor")
    r = tend_run("""\
        [program:s]
        command=sleep 1000
        startsecs=2
        startretries=3
        """).start()
    pid = r.wait_state("s", "STARTING")["pid"]
    os.kill(pid, signal.SIGKILL)
    r.wait_log(r"exited: s \(terminated by SIGKILL; not expected\)")
    assert_settled(r, "s", "RUNNING", old_pid=pid)
    assert len(r.log_lines(r"spawned: 's'")) == 2
    assert not r.log_lines("gave up"), r.context()


def test_kill9_in_running_restarts_or_exits_per_autorestart(tend_run):
    need(SUPERVISORCTL, "supervisor")
    r = tend_run("""\
        [program:again]
        command=sleep 1000
        startsecs=0
        autorestart=true

        [program:once]
        command=sleep 1000
        startsecs=0
        autorestart=false
        """).start()
    r.wait_all_running(["again", "once"])
    pids = {n: i["pid"] for n, i in r.infos().items()}
    for pid in pids.values():
        os.kill(pid, signal.SIGKILL)
    assert_settled(r, "again", "RUNNING", old_pid=pids["again"])
    assert_settled(r, "once", "EXITED")
    assert r.log_lines(r"exited: once \(terminated by SIGKILL; not expected\)"), r.context()


def test_kill9_in_stopping_ends_the_stop_at_once(tend_run):
    need(SUPERVISORCTL, "supervisor")
    r = tend_run(f"""\
        [program:stubborn]
        command={TERM_IGNORING}
        startsecs=0
        stopwaitsecs=60
        """).start()
    r.wait_state("stubborn", "RUNNING")
    wait_for(lambda: os.path.exists(r.path("stubborn.up")), 10, what="TERM ignored from now on")
    pid = r.info("stubborn")["pid"]
    result = {}
    caller = threading.Thread(target=lambda: result.update(ok=r.rpc(timeout=90).supervisor.stopProcess("stubborn")),
                              daemon=True)
    t0 = time.monotonic()
    caller.start()
    r.wait_state("stubborn", "STOPPING")
    os.kill(pid, signal.SIGKILL)
    caller.join(30)
    took = time.monotonic() - t0
    assert result.get("ok") is True, f"stopProcess answered {result}\n{r.context()}"
    assert took < 30, f"the stop waited {took:.1f}s: for stopwaitsecs instead of the exit"
    assert_settled(r, "stubborn", "STOPPED")
    assert not r.log_lines("with SIGKILL"), "tend SIGKILLed a process that was already gone"


def test_kill9_during_the_backoff_start_attempt(tend_run):
    need(SUPERVISORCTL, "supervisor")
    # Attempt 1 fails at once; attempt 2 is killed while STARTING; attempt 3 runs.
    r = tend_run("""\
        [program:flaky]
        command=sh -c 'n=$(cat @DIR@/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > @DIR@/count;
            [ $n -eq 1 ] && exit 1; exec sleep 1000'
        startsecs=1
        startretries=3
        """).start()
    r.wait_log(r"exited: flaky \(exit status 1; not expected\)")
    wait_for(lambda: il.read(r.path("count")).strip() == "2", 10, what="the second attempt")
    info = r.wait_state("flaky", "STARTING")
    os.kill(info["pid"], signal.SIGKILL)
    r.wait_log(r"exited: flaky \(terminated by SIGKILL; not expected\)")
    assert_settled(r, "flaky", "RUNNING", old_pid=info["pid"])
    assert il.read(r.path("count")).strip() == "3"
    assert len(r.log_lines(r"spawned: 'flaky'")) == 3
    assert not r.log_lines("gave up"), r.context()


def test_kill9_of_every_child_during_an_update(tend_run):
    need(SUPERVISORCTL, "supervisor")
    programs = f"""\
        [program:changed]
        command={TERM_IGNORING} @ARG@
        startsecs=1
        stopwaitsecs=60

        [program:same]
        command=sleep 1000
        startsecs=0
        """
    r = tend_run(programs.replace("@ARG@", "v1")).start()
    r.wait_all_running(["changed", "same"])
    wait_for(lambda: os.path.exists(r.path("changed.up")), 10, what="TERM ignored from now on")
    os.unlink(r.path("changed.up"))
    old = {n: i["pid"] for n, i in r.infos().items()}
    r.write_conf(programs.replace("@ARG@", "v2"))
    ctl = r.ctl_bg("update")
    r.wait_state("changed", "STOPPING")
    # Every child of tend, the one being stopped and the unchanged one.
    for pid in direct_children(r.p.pid):
        os.kill(pid, signal.SIGKILL)
    # The new `changed` starts; kill it too while it is STARTING.
    # The update removes the group and adds it again, so for a moment the name is unknown (BAD_NAME).
    def new_instance_starting():
        try:
            i = r.info("changed")
        except xmlrpc.client.Fault:
            return None
        return i["statename"] == "STARTING" and i["pid"] not in (0, old["changed"]) and i["pid"]
    new = wait_for(new_instance_starting, 15, what=lambda: f"the new changed\n{r.context()}")
    os.kill(new, signal.SIGKILL)
    out = ctl.communicate(timeout=30)[0]
    assert ctl.returncode == 0, out
    assert "changed: stopped" in out and "changed: updated process group" in out, out
    final = assert_settled(r, "changed", "RUNNING", old_pid=new)
    assert final["pid"] != old["changed"]
    assert "v2" in Path(f"/proc/{final['pid']}/cmdline").read_text()
    assert_settled(r, "same", "RUNNING", old_pid=old["same"])
    assert not r.log_lines("gave up"), r.context()
