"""Event listeners, end to end with real listener processes: the protocol's main paths on tend,
each compared with Debian's supervisord 4.2.5 on the same config where supervisord can run it.

The listener (LISTENER below, a small Python script) records every event it receives (header and
payload, read with the envelope's len as characters) in a JSON-lines file and answers as its MODE
says:
  ok       RESULT 2\\nOK to every event
  fail     RESULT 4\\nFAIL to the first event (it is sent again), OK after that
  garbage  a line that is no result line (the listener becomes UNKNOWN: nothing more reaches it)
  die      exits while BUSY with its first event (restarted, it gets the same event again)
Events come from sendRemoteCommEvent, so what is sent and when is up to the test.
The broader differential suite (every event type, ordering, load) lives elsewhere; this file is the
smoke test of the protocol paths.
"""
import json
import time
from pathlib import Path

import pytest

from conftest import wait_for
from test_rpc import Daemon

LISTENER = r'''
import json, os, sys
mode = os.environ["MODE"]
record = os.environ["RECORD"]
marker = record + ".marker"
def say(text):
    sys.stdout.write(text)
    sys.stdout.flush()
while True:
    say("READY\n")
    line = sys.stdin.readline()
    if not line:
        break
    headers = dict(field.split(":", 1) for field in line.split())
    payload = sys.stdin.read(int(headers["len"]))
    with open(record, "a") as f:
        f.write(json.dumps({"headers": headers, "payload": payload}) + "\n")
    first = not os.path.exists(marker)
    open(marker, "a").close()
    if mode == "die" and first:
        sys.exit(3)
    if mode == "garbage":
        say("this is not a result\n")
    elif mode == "fail" and first:
        say("RESULT 4\nFAIL")
    else:
        say("RESULT 2\nOK")
'''

# supervisor-stdout's listener half: each PROCESS_LOG payload goes back as the result body.
ECHO_LISTENER = r'''
import sys
while True:
    sys.stdout.write("READY\n")
    sys.stdout.flush()
    line = sys.stdin.readline()
    if not line:
        break
    headers = dict(field.split(":", 1) for field in line.split())
    data = sys.stdin.read(int(headers["len"]))
    sys.stdout.write("RESULT %d\n%s" % (len(data.encode()), data))
    sys.stdout.flush()
'''


PYTHON = "/usr/bin/python3"


@pytest.fixture(scope="module")
def scripts(tmp_path_factory):
    """The listener scripts, written once where every daemon of the module finds them."""
    d = tmp_path_factory.mktemp("listeners")
    (d / "listener.py").write_text(LISTENER)
    (d / "echo_listener.py").write_text(ECHO_LISTENER)
    return d


def listener_conf(scripts, mode, events="REMOTE_COMMUNICATION"):
    return f"""
[eventlistener:lsn]
command={PYTHON} {scripts}/listener.py
events={events}
environment=MODE="{mode}",RECORD="%(here)s/record.jsonl"
autorestart=true
startsecs=0
stderr_logfile=%(here)s/lsn.err
"""


def start(request, kind, conf, want_running=("lsn",)):
    d = Daemon(kind, programs=conf)
    request.addfinalizer(d.stop)
    d.wait_ready()
    d.settle(want_running=want_running)
    return d


def records(d):
    path = Path(d.dir, "record.jsonl")
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def wait_records(d, n, timeout=15):
    wait_for(lambda: len(records(d)) >= n, timeout=timeout, what=f"{d.kind}: {n} events recorded")
    return records(d)


def summary(recs):
    """What must agree between tend and supervisord: everything but the server's identifier."""
    return [({k: v for k, v in r["headers"].items() if k != "server"}, r["payload"]) for r in recs]


def send(d, type_, data):
    d.rpc().supervisor.sendRemoteCommEvent(type_, data)


def run_scenario(request, scripts, kind, mode, sends, expect):
    d = start(request, kind, listener_conf(scripts, mode))
    for type_, data in sends:
        send(d, type_, data)
    return d, wait_records(d, expect)


KINDS = ("tend", "supervisord")

def test_ok_listener_gets_each_event_once_in_order(request, scripts):
    results = {}
    for kind in KINDS:
        d, recs = run_scenario(request, scripts, kind, "ok", [("greeting", "h\u00e9llo"), ("t2", "line1\nline2\n")], 2)
        results[kind] = summary(recs)
    tend = results["tend"]  # len: characters (the é is two bytes)
    assert tend[0] == ({"ver": "3.0", "serial": "0", "pool": "lsn", "poolserial": "0",
                        "eventname": "REMOTE_COMMUNICATION", "len": "19"}, "type:greeting\nh\u00e9llo")
    assert tend[1][0]["serial"] == "1" and tend[1][1] == "type:t2\nline1\nline2\n"
    assert tend == results["supervisord"]


def test_rejected_event_is_sent_again_with_its_serials(request, scripts):
    results = {}
    for kind in KINDS:
        d, recs = run_scenario(request, scripts, kind, "fail", [("a", "1"), ("b", "2")], 3)
        results[kind] = summary(recs)
        assert [r[1] for r in results[kind]] == ["type:a\n1", "type:a\n1", "type:b\n2"], kind
        if kind == "tend":
            wait_for(lambda: "lsn: event was rejected" in Path(d.dir, "main.log").read_text(), what="rejected line")
    assert results["tend"] == results["supervisord"]


def test_listener_dying_while_busy_gets_its_event_again(request, scripts):
    results = {}
    for kind in KINDS:
        d, recs = run_scenario(request, scripts, kind, "die", [("a", "1")], 2)
        results[kind] = summary(recs)
        assert results[kind][0] == results[kind][1], kind
    assert results["tend"] == results["supervisord"]


def test_protocol_violation_makes_the_listener_unknown(request, scripts):
    for kind in KINDS:
        d, recs = run_scenario(request, scripts, kind, "garbage", [("a", "1")], 1)
        unknown = ("lsn: has entered the UNKNOWN state and will no longer receive events, this usually "
                   "indicates the process violated the eventlistener protocol")
        wait_for(lambda: unknown in Path(d.dir, "main.log").read_text(), what=f"{kind}: UNKNOWN line")
        assert "lsn: bad result line: 'this is not a result'" in Path(d.dir, "main.log").read_text()
        send(d, "b", "2")
        # Whether the second event arrives is the question: give it the time a normal one takes.
        time.sleep(1.5)
        assert len(records(d)) == 1, kind
        # A restart of the listener starts it over: the buffered events flow again.
        d.rpc().supervisor.stopProcess("lsn")
        d.rpc().supervisor.startProcess("lsn")
        wait_records(d, 2)


def test_supervisor_stdout_handler_prints_program_output(request, scripts):
    """supervisord cannot run this here (the supervisor_stdout plugin is not installed): tend only."""
    d = start(request, "tend", f"""
[eventlistener:stdout]
command={PYTHON} {scripts}/echo_listener.py
events=PROCESS_LOG
buffer_size=100
result_handler=supervisor_stdout:event_handler
startsecs=0

[program:talker]
command=/bin/sh -c 'echo hello; echo world; exec sleep 1000'
stdout_events_enabled=true
startsecs=0
stdout_logfile=NONE
""", want_running=("stdout", "talker"))
    wait_for(lambda: "talker stdout | hello" in d.console() and "talker stdout | world" in d.console(),
             what="supervisor_stdout lines on tend's stdout")
    states = {i["name"]: i["statename"] for i in d.rpc().supervisor.getAllProcessInfo()}
    assert states == {"stdout": "RUNNING", "talker": "RUNNING"}
