"""Event listeners: the stream of events tend delivers equals supervisord 4.2.5's.

Two recording listeners subscribe to EVENT (everything) on both supervisors, with the same config:
`rec_cu` is written with supervisor.childutils (listener.wait / listener.ok), `rec_raw` by hand
against the raw protocol (bytes in, `len` counted in characters). Each appends every (header,
payload) it receives to a file. One scripted scenario runs on both products at once:

  started   the listeners and `steady` come up
  stopstart stopProcess + startProcess of `steady`
  crash     `crasher` exits at once: STARTING -> BACKOFF -> ... -> FATAL (startretries=1)
  exits     `oneshot` exits 0 (expected), `badexit` exits 3 (not expected), after running
  added     `supervisorctl update` with a new program `added` (PROCESS_GROUP_ADDED)
  removed   `supervisorctl update` without it (PROCESS_GROUP_REMOVED)
  remote    supervisor.sendRemoteCommEvent
  capture   `grp:capper` writes capture-mode blocks on stdout (stdout_capture_maxbytes=64, one
            block over the limit) and stderr (PROCESS_COMMUNICATION_STDOUT/STDERR)
  logs      `grp:talker` writes 100 lines on stdout, 2 on stderr (stdout/stderr_events_enabled)
  ticks     at least one TICK_5 has arrived (bounded wait)
  unicode   sendRemoteCommEvent with non-ASCII data (len counts characters)

After each step the harness sends a marker (sendRemoteCommEvent type `marker`) and waits until
both listeners have it: the markers cut each stream into segments, one a step.

What is compared, per listener and per segment (supervisord is the oracle):
  * global events (SUPERVISOR_STATE_CHANGE_*, PROCESS_GROUP_*, REMOTE_COMMUNICATION), in order;
  * per process, its PROCESS_STATE_* events, in order;
  * per process, its PROCESS_COMMUNICATION_* events, in order;
  * per (process, channel), the concatenation of its PROCESS_LOG_* data.
Not compared, and why:
  * the interleaving of different processes' events, and of a process's state events with its
    output events: supervisord decides them by where a change falls in its 1 s poll loop (a
    startsecs=0 program's output is read before it is declared RUNNING one iteration later);
  * how output is cut into PROCESS_LOG events (one event per read(); reads depend on timing):
    their data is compared concatenated;
  * TICK_* events: they depend on the wall clock; removed from the stream and checked on their
    own (when: aligned to the period, no period skipped, received soon after);
  * header `serial` and `poolserial`: checked, not compared (serial: strictly increasing and the
    same for one event in both pools; poolserial: 0, 1, 2, ... with no gap, nothing lost);
  * header `len`: checked against the payload (characters), then dropped;
  * pids: each distinct pid is replaced by `<process>#<n>`, n counting that process's pids in
    order of first appearance, so "the same pid as before" is still compared.
"""
import os
import subprocess
import time
import xmlrpc.client

import pytest

from evlib import (EV, KINDS, PY, SUPERVISORCTL, check_side, header_fields, oracle_ok,
                   payload_fields, read_jsonl, side_of, start_pair)
from test_rpc import SUPERVISORD

pytestmark = pytest.mark.skipif(not (os.path.exists(SUPERVISORD) and os.path.exists(SUPERVISORCTL)),
                                reason="needs Debian's supervisor package")

LISTENERS = ("rec_cu", "rec_raw")
TALKER_LINES = 100

BASE = f"""
[eventlistener:rec_cu]
command={PY} {EV}/rec_childutils.py %(here)s/rec_cu.jsonl
events=EVENT
buffer_size=200
stderr_logfile=%(here)s/rec_cu.err

[eventlistener:rec_raw]
command={PY} {EV}/rec_raw.py %(here)s/rec_raw.jsonl
events=EVENT
buffer_size=200
stderr_logfile=%(here)s/rec_raw.err

[program:steady]
command=/bin/sleep 100000
startsecs=0
stdout_logfile=NONE
stderr_logfile=NONE

[program:crasher]
command=/bin/sh -c 'exit 1'
autostart=false
startsecs=1
startretries=1
stdout_logfile=NONE
stderr_logfile=NONE

[program:oneshot]
command=/bin/sh -c 'sleep 0.3; exit 0'
autostart=false
startsecs=0
stdout_logfile=NONE
stderr_logfile=NONE

[program:badexit]
command=/bin/sh -c 'sleep 0.3; exit 3'
autostart=false
autorestart=false
startsecs=0
stdout_logfile=NONE
stderr_logfile=NONE

[program:capper]
command={PY} {EV}/capper.py %(here)s/capper.done
autostart=false
startsecs=0
stdout_capture_maxbytes=64
stderr_capture_maxbytes=1KB
stdout_logfile=%(here)s/capper.out
stderr_logfile=%(here)s/capper.err

[program:talker]
command=/bin/sh -c 'i=1; while [ $i -le {TALKER_LINES} ]; do echo "out line $i"; i=$((i+1)); done; echo "err line" >&2; echo talker-end; echo err-end >&2; exec /bin/sleep 100000'
autostart=false
startsecs=0
stdout_events_enabled=true
stderr_events_enabled=true
stdout_logfile=%(here)s/talker.out
stderr_logfile=%(here)s/talker.err

[group:grp]
programs=talker,capper
"""

ADDED = """
[program:added]
command=/bin/sleep 100000
startsecs=0
stdout_logfile=NONE
stderr_logfile=NONE
"""

TALKER_OUT = "".join(f"out line {i}\n" for i in range(1, TALKER_LINES + 1)) + "talker-end\n"
UNICODE_DATA = "h\u00e9llo \u2713\nsecond line"


def has_marker(side, name):
    want = f"type:marker\n{name}"
    return all(any(r["payload"] == want for r in read_jsonl(side.d.path(f"{lst}.jsonl")))
               for lst in LISTENERS)


def mark(pair, name, timeout=15):
    pair.each(f"send marker {name}", lambda s: s.d.rpc().supervisor.sendRemoteCommEvent("marker", name))
    pair.wait(f"both listeners receive marker {name}", lambda s: has_marker(s, name), timeout)


def ctl(side, *args):
    p = subprocess.run([SUPERVISORCTL, "-c", side.d.conf, *args], capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        raise AssertionError(f"supervisorctl {' '.join(args)} exited {p.returncode}: {p.stdout}")


def in_state(name, *states):
    return lambda s: s.d.state(name) in states


def start_crasher(side):
    # supervisord reaps right after the spawn: when the program has already died, even a
    # startProcess(wait=False) answers SPAWN_ERROR (timing-dependent). The events are the same.
    try:
        side.d.rpc().supervisor.startProcess("crasher", False)
    except xmlrpc.client.Fault as f:
        if f.faultCode != 50:
            raise


def run_scenario(pair):
    t0 = time.time()
    pair.wait("listeners and steady RUNNING",
              lambda s: all(s.d.state(n) == "RUNNING" for n in ("rec_cu", "rec_raw", "steady")))
    mark(pair, "started")

    pair.each("stop steady", lambda s: s.d.rpc().supervisor.stopProcess("steady"))
    pair.each("start steady", lambda s: s.d.rpc().supervisor.startProcess("steady"))
    mark(pair, "stopstart")

    pair.each("start crasher", start_crasher)
    pair.wait("crasher FATAL", in_state("crasher", "FATAL"))
    mark(pair, "crash")

    pair.each("start oneshot, badexit", lambda s: [s.d.rpc().supervisor.startProcess(n, False)
                                                   for n in ("oneshot", "badexit")])
    pair.wait("oneshot, badexit EXITED", lambda s: in_state("oneshot", "EXITED")(s) and in_state("badexit", "EXITED")(s))
    mark(pair, "exits")

    def update(conf):
        def step(s):
            s.d.write_conf(conf)
            ctl(s, "update")
        return step
    pair.each("update (add)", update(BASE + ADDED))
    pair.wait("added RUNNING", in_state("added", "RUNNING"))
    mark(pair, "added")
    pair.each("update (remove)", update(BASE))
    pair.wait("added gone", lambda s: "added" not in s.d.infos())
    mark(pair, "removed")

    pair.each("sendRemoteCommEvent", lambda s: s.d.rpc().supervisor.sendRemoteCommEvent("greeting", "hello\nworld"))
    mark(pair, "remote")

    pair.each("start capper", lambda s: s.d.rpc().supervisor.startProcess("grp:capper"))
    pair.wait("capper done", lambda s: os.path.exists(s.d.path("capper.done")))
    mark(pair, "capture")

    pair.each("start talker", lambda s: s.d.rpc().supervisor.startProcess("grp:talker"))
    pair.wait("talker output logged", lambda s: open(s.d.path("talker.out")).read().endswith("talker-end\n")
              and open(s.d.path("talker.err")).read().endswith("err-end\n"))
    mark(pair, "logs")

    pair.wait("a TICK_5 reached both listeners",
              lambda s: all(any("eventname:TICK_5" in r["header"] for r in read_jsonl(s.d.path(f"{lst}.jsonl")))
                            for lst in LISTENERS), timeout=12)
    mark(pair, "ticks")

    pair.each("sendRemoteCommEvent (unicode)",
              lambda s: s.d.rpc().supervisor.sendRemoteCommEvent("unicode", UNICODE_DATA))
    mark(pair, "unicode")
    t1 = time.time()
    for s in pair.sides:
        s.data["span"] = (t0, t1)
        for lst in LISTENERS:
            s.data[lst] = read_jsonl(s.d.path(f"{lst}.jsonl"))
        s.data["capper.out"] = open(s.d.path("capper.out")).read() if os.path.exists(s.d.path("capper.out")) else ""


@pytest.fixture(scope="module")
def scenario(request):
    pair = start_pair(request, BASE)
    run_scenario(pair)
    return pair


# ---------------------------------------------------------------------------------------------
# Normalisation

GLOBAL = ("SUPERVISOR_STATE_CHANGE_", "PROCESS_GROUP_", "REMOTE_COMMUNICATION")


def split_payload(payload):
    first, sep, rest = payload.partition("\n")
    return first, sep, rest


class Normaliser:
    """Replaces each pid by <process>#<n> (n: that process's n-th distinct pid in the stream)."""

    def __init__(self):
        self.pids = {}

    def pid(self, proc, pid):
        if pid == "0":
            return "0"
        per = self.pids.setdefault(proc, {})
        return per.setdefault(pid, f"{proc}#{len(per) + 1}")

    def payload(self, payload):
        first, sep, rest = split_payload(payload)
        fields = payload_fields(first) if ":" in first else {}
        if "pid" in fields and "processname" in fields:
            fields["pid"] = self.pid(fields["processname"], fields["pid"])
            first = " ".join(f"{k}:{v}" for k, v in fields.items())
        return first + sep + rest


def segments(records):
    """The stream cut at the markers: [(marker, segment)], the last one named 'after'.
    segment = {"global": [...], "state": {proc: [...]}, "comm": {proc: [...]}, "log": {proc/channel: str}}."""
    norm = Normaliser()
    out, cur = [], None

    def fresh():
        return {"global": [], "state": {}, "comm": {}, "log": {}}
    cur = fresh()
    for r in records:
        name = header_fields(r["header"])["eventname"]
        if name.startswith("TICK_"):
            continue
        payload = norm.payload(r["payload"])
        if name == "REMOTE_COMMUNICATION" and payload.startswith("type:marker\n"):
            out.append((payload.split("\n", 1)[1], cur))
            cur = fresh()
            continue
        if name.startswith(GLOBAL):
            cur["global"].append((name, payload))
            continue
        first, _, data = split_payload(payload)
        fields = payload_fields(first)
        proc = fields["processname"]
        if name.startswith("PROCESS_STATE_"):
            cur["state"].setdefault(proc, []).append((name, payload))
        elif name.startswith("PROCESS_COMMUNICATION_"):
            cur["comm"].setdefault(proc, []).append((name, payload))
        elif name.startswith("PROCESS_LOG_"):
            key = f"{proc}/{fields['channel']}"
            cur["log"][key] = cur["log"].get(key, "") + data
        else:
            cur["global"].append((name, payload))
    out.append(("after", cur))
    return out


def describe_diff(want, got):
    lines = []
    for key in ("global", "state", "comm", "log"):
        if want[key] != got[key]:
            if isinstance(want[key], dict):
                for k in sorted(set(want[key]) | set(got[key])):
                    if want[key].get(k) != got[key].get(k):
                        lines.append(f"  {key}[{k}]:\n    supervisord: {want[key].get(k)!r}\n    got:         {got[key].get(k)!r}")
            else:
                lines.append(f"  {key}:\n    supervisord: {want[key]!r}\n    got:         {got[key]!r}")
    return "\n".join(lines)


def state(name, proc, group, frm, **extra):
    text = f"processname:{proc} groupname:{group} from_state:{frm}"
    for k, v in extra.items():
        text += f" {k}:{v}"
    return (f"PROCESS_STATE_{name}", text)


# What each step must produce, by hand from supervisord's documented behaviour: checked on both
# products (so the oracle run is known to have done what the scenario means), before tend's whole
# segments are compared with supervisord's.
EXPECTED = {
    "stopstart": {"global": [], "state": {"steady": [
        state("STOPPING", "steady", "steady", "RUNNING", pid="steady#1"),
        state("STOPPED", "steady", "steady", "STOPPING", pid="steady#1"),
        state("STARTING", "steady", "steady", "STOPPED", tries=0),
        state("RUNNING", "steady", "steady", "STARTING", pid="steady#2")]}},
    "crash": {"global": [], "state": {"crasher": [
        state("STARTING", "crasher", "crasher", "STOPPED", tries=0),
        state("BACKOFF", "crasher", "crasher", "STARTING", tries=1),
        state("STARTING", "crasher", "crasher", "BACKOFF", tries=1),
        state("BACKOFF", "crasher", "crasher", "STARTING", tries=2),
        state("FATAL", "crasher", "crasher", "BACKOFF")]}},
    "exits": {"global": [], "state": {
        "oneshot": [state("STARTING", "oneshot", "oneshot", "STOPPED", tries=0),
                    state("RUNNING", "oneshot", "oneshot", "STARTING", pid="oneshot#1"),
                    state("EXITED", "oneshot", "oneshot", "RUNNING", expected=1, pid="oneshot#1")],
        "badexit": [state("STARTING", "badexit", "badexit", "STOPPED", tries=0),
                    state("RUNNING", "badexit", "badexit", "STARTING", pid="badexit#1"),
                    state("EXITED", "badexit", "badexit", "RUNNING", expected=0, pid="badexit#1")]}},
    "added": {"global": [("PROCESS_GROUP_ADDED", "groupname:added\n")], "state": {"added": [
        state("STARTING", "added", "added", "STOPPED", tries=0),
        state("RUNNING", "added", "added", "STARTING", pid="added#1")]}},
    "removed": {"global": [("PROCESS_GROUP_REMOVED", "groupname:added\n")], "state": {"added": [
        state("STOPPING", "added", "added", "RUNNING", pid="added#1"),
        state("STOPPED", "added", "added", "STOPPING", pid="added#1")]}},
    "remote": {"global": [("REMOTE_COMMUNICATION", "type:greeting\nhello\nworld")], "state": {}},
    "capture": {"global": [], "state": {"capper": [
        state("STARTING", "capper", "grp", "STOPPED", tries=0),
        state("RUNNING", "capper", "grp", "STARTING", pid="capper#1")]},
        "comm": {"capper": [
            ("PROCESS_COMMUNICATION_STDOUT", "processname:capper groupname:grp pid:capper#1\nsmall block\nsecond line\n"),
            ("PROCESS_COMMUNICATION_STDOUT", "processname:capper groupname:grp pid:capper#1\n" + "C" * 64),
            ("PROCESS_COMMUNICATION_STDERR", "processname:capper groupname:grp pid:capper#1\nstderr block")]}},
    "logs": {"global": [], "state": {"talker": [
        state("STARTING", "talker", "grp", "STOPPED", tries=0),
        state("RUNNING", "talker", "grp", "STARTING", pid="talker#1")]},
        "log": {"talker/stdout": TALKER_OUT, "talker/stderr": "err line\nerr-end\n"}},
    "ticks": {"global": [], "state": {}},
    "unicode": {"global": [("REMOTE_COMMUNICATION", "type:unicode\n" + UNICODE_DATA)], "state": {}},
}
STEPS = ["started"] + list(EXPECTED)


def records_of(scenario, kind, listener):
    side = side_of(scenario, kind)
    if kind == "supervisord":
        oracle_ok(side)
    else:
        oracle_ok(side_of(scenario, "supervisord"))
        check_side(side)
    return side.data[listener]


# ---------------------------------------------------------------------------------------------
# Tests

@pytest.mark.parametrize("listener", LISTENERS)
@pytest.mark.parametrize("kind", KINDS)
def test_envelope(scenario, kind, listener):
    """Header fields: ver:3.0, server:supervisor (the default identifier), pool: the listener's
    name, len: the payload's length in characters; serial strictly increasing; poolserial 0, 1,
    2, ... (no event of this pool lost or repeated); one event has the same serial in both pools."""
    recs = records_of(scenario, kind, listener)
    assert recs, "no event received"
    serials, poolserials = [], []
    for r in recs:
        h = header_fields(r["header"])
        assert list(h) == ["ver", "server", "serial", "pool", "poolserial", "eventname", "len"], r["header"]
        assert (h["ver"], h["server"], h["pool"]) == ("3.0", "supervisor", listener), r["header"]
        assert int(h["len"]) == len(r["payload"]), r
        if "payload_bytes" in r:
            assert r["payload_bytes"] == len(r["payload"].encode()), r
        serials.append(int(h["serial"]))
        poolserials.append(int(h["poolserial"]))
    assert all(a < b for a, b in zip(serials, serials[1:])), serials
    assert poolserials == list(range(len(poolserials))), poolserials
    # The same marker carries the same global serial in both pools.
    other = records_of(scenario, kind, [x for x in LISTENERS if x != listener][0])

    def by_marker(rs):
        return {r["payload"]: header_fields(r["header"])["serial"] for r in rs
                if r["payload"].startswith("type:marker\n")}
    assert by_marker(recs) == by_marker(other)


@pytest.mark.parametrize("listener", LISTENERS)
@pytest.mark.parametrize("kind", KINDS)
def test_steps_produce_the_documented_events(scenario, kind, listener):
    """Each step's segment holds exactly the events listed in EXPECTED (for the keys given)."""
    segs = dict(segments(records_of(scenario, kind, listener)))
    assert list(segs) == STEPS + ["after"], list(segs)
    problems = []
    for step, want in EXPECTED.items():
        got = segs[step]
        for key, value in want.items():
            if got[key] != value:
                problems.append(f"{step}.{key}:\n    want: {value!r}\n    got:  {got[key]!r}")
    assert not problems, f"{kind} {listener}:\n" + "\n".join(problems)


@pytest.mark.parametrize("listener", LISTENERS)
@pytest.mark.parametrize("kind", KINDS)
def test_stream_equals_supervisords(scenario, kind, listener):
    """Every segment (startup included: group order, the listeners' own events, the pools
    created one after another) equals supervisord's after the normalisation above."""
    want = dict(segments(records_of(scenario, "supervisord", listener)))
    got = dict(segments(records_of(scenario, kind, listener)))
    assert list(got) == list(want)
    diffs = [f"segment {step}:\n{describe_diff(want[step], got[step])}"
             for step in want if want[step] != got[step]]
    assert not diffs, f"{kind} {listener} differs from supervisord:\n" + "\n".join(diffs)


@pytest.mark.parametrize("listener", LISTENERS)
@pytest.mark.parametrize("kind", KINDS)
def test_group_events_frame_their_processes(scenario, kind, listener):
    """The group that `update` adds and removes: no event names it before its PROCESS_GROUP_ADDED
    or after its PROCESS_GROUP_REMOVED (checked in the raw order, which the segment comparison
    leaves out)."""
    live, problems = set(), []
    for r in records_of(scenario, kind, listener):
        name = header_fields(r["header"])["eventname"]
        first = r["payload"].split("\n", 1)[0]
        if name == "PROCESS_GROUP_ADDED":
            live.add(first.split(":", 1)[1])
        elif name == "PROCESS_GROUP_REMOVED":
            live.discard(first.split(":", 1)[1])
        elif name.startswith(("PROCESS_STATE_", "PROCESS_LOG_", "PROCESS_COMMUNICATION_")):
            group = payload_fields(first)["groupname"]
            # A pool created after a group was added never saw that group's ADDED (supervisord
            # creates the pools one by one, each subscribing as it is made): only flag a group
            # that this pool saw removed.
            if group not in live and group in removed_groups(scenario, kind, listener):
                problems.append((name, first))
    assert not problems, problems


def removed_groups(scenario, kind, listener):
    return {r["payload"].split("\n", 1)[0].split(":", 1)[1] for r in records_of(scenario, kind, listener)
            if "eventname:PROCESS_GROUP_REMOVED" in r["header"]}


@pytest.mark.parametrize("kind", KINDS)
def test_ticks(scenario, kind):
    """TICK_5 (and TICK_60 when a minute boundary passed): `when` is a multiple of the period, no
    period is skipped, and each arrives within a few seconds of its `when` (supervisord emits a
    tick up to one 1 s loop late and dispatches it in a later iteration)."""
    for listener in LISTENERS:
        recs = records_of(scenario, kind, listener)
        for period in (5, 60):
            ticks = [(int(r["payload"].split(":", 1)[1]), r["t"]) for r in recs
                     if header_fields(r["header"])["eventname"] == f"TICK_{period}"]
            for r in recs:
                if header_fields(r["header"])["eventname"] == f"TICK_{period}":
                    assert r["payload"].startswith("when:"), r
            whens = [w for w, _ in ticks]
            assert all(w % period == 0 for w in whens), (listener, period, whens)
            assert all(b - a == period for a, b in zip(whens, whens[1:])), (listener, period, whens)
            for when, t in ticks:
                assert when <= t + 0.5 and t - when < 4.0, (listener, period, when, t)
            if period == 5:
                assert whens, f"{listener}: no TICK_5"
                t0, t1 = side_of(scenario, kind).data["span"]
                # Ticks began with the first boundary after the start and went on to the end (the
                # last one may still have been on its way when the records were read).
                assert whens[0] < t0 + 5 + 4, (listener, whens, t0)
                assert whens[-1] > t1 - 2 * 5 - 1, (listener, whens, t1)


@pytest.mark.parametrize("kind", KINDS)
def test_capture_keeps_blocks_out_of_the_log(scenario, kind):
    """Captured blocks go to the event, not to the program's stdout log; the text around them does."""
    records_of(scenario, kind, "rec_cu")
    log = side_of(scenario, kind).data["capper.out"]
    assert "before capture\n" in log and "between blocks" in log and "after capture" in log, log
    assert "small block" not in log and "CCCC" not in log and "AAAA" not in log, log
    assert "XSUPERVISOR" not in log, log
