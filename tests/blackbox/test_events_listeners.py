"""Listeners as people deploy them, on supervisord 4.2.5 and tend with the same config.

superlance (crashmail, httpok) is not packaged for Debian 12, so two listeners in its manner are
in fixtures/events: childutils for the protocol, XML-RPC back to the supervisor through
SUPERVISOR_SERVER_URL (childutils.getRPCInterface(os.environ)).

  * crash mailer: on PROCESS_STATE_EXITED with expected:0 it asks getProcessInfo and pipes a mail
    to a sendmail stub that records it; an expected exit sends nothing.
  * http checker: on TICK_5 it GETs a program's port and, on anything but 200, restarts the
    program with stopProcess + startProcess.
  * the container pattern: a listener on PROCESS_STATE_FATAL ends the supervisor (supervisorctl
    shutdown, or `kill -TERM 1` inside `unshare --pid --fork --mount-proc`); every program is
    stopped through its TERM handler and the supervisor exits 0.
  * result_handler = supervisor_stdout:event_handler (tend only): supervisord cannot import the
    Python module and refuses the config; tend handles it natively and prints each line of the
    PROCESS_LOG payloads its listener echoes back as `<process> <channel> | <line>` on stdout.
"""
import os
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import free_port
from evlib import (EV, KINDS, PY, SUPERVISORCTL, EvDaemon, check_side, log_lines, oracle_ok,
                   read_jsonl, side_of, start_pair)
from test_rpc import SUPERVISORD

pytestmark = pytest.mark.skipif(not (os.path.exists(SUPERVISORD) and os.path.exists(SUPERVISORCTL)),
                                reason="needs Debian's supervisor package")


def judge(pair, kind):
    """The side for `kind`, after checking that supervisord's run (the oracle) went through."""
    oracle_ok(side_of(pair, "supervisord"))
    side = side_of(pair, kind)
    check_side(side)
    return side


def read(path):
    try:
        return Path(path).read_text()
    except FileNotFoundError:
        return ""


# ---------------------------------------------------------------------------------------------
# Crash mailer

CRASHMAIL = f"""
[eventlistener:crashmail]
command={PY} {EV}/crashmail.py -m ops@example.com -s "{EV}/sendmail_stub.sh -t -i" -p crashy -p clean
events=PROCESS_STATE_EXITED
environment=MAILBOX="%(here)s/mailbox"
stderr_logfile=%(here)s/crashmail.err

[program:clean]
command=/bin/sh -c 'sleep 0.3; exit 0'
startsecs=0
autorestart=false
stdout_logfile=NONE
stderr_logfile=NONE

[program:crashy]
command=/bin/sh -c 'sleep 0.8; exit 3'
startsecs=0
autorestart=false
stdout_logfile=NONE
stderr_logfile=NONE
"""

MAIL = """argv: -t -i
To: ops@example.com
Subject: crashy exited unexpectedly

crashy (pid PID) left state RUNNING unexpectedly.
exit status: 3
spawn error: Bad exit code 3
state now: EXITED
--- end of mail ---
"""


@pytest.fixture(scope="module")
def crashmail(request):
    pair = start_pair(request, CRASHMAIL)
    pair.wait("clean and crashy EXITED", lambda s: s.d.state("clean") == "EXITED" and s.d.state("crashy") == "EXITED")
    # Events reach the listener in order: once crashy's mail is there, clean's exit was handled.
    pair.wait("a mail", lambda s: "--- end of mail ---" in read(s.d.path("mailbox")))
    for s in pair.live():
        s.data["crashy_pid"] = s.d.infos()["crashy"]["pid"]
    time.sleep(0.5)  # a window for a wrong second mail to show up; the test asserts there is none
    for s in pair.sides:
        s.data["mailbox"] = read(s.d.path("mailbox"))
    return pair


@pytest.mark.parametrize("kind", KINDS)
def test_crash_mailer(crashmail, kind):
    """One mail, for crashy only (clean exited 0, expected), with getProcessInfo's exit status and
    spawn error; the pid in it is the one PROCESS_STATE_EXITED carried."""
    side = judge(crashmail, kind)
    box = side.data["mailbox"]
    assert box.count("--- end of mail ---") == 1, box
    assert re.sub(r"\(pid \d+\)", "(pid PID)", box) == MAIL, box


# ---------------------------------------------------------------------------------------------
# HTTP checker


def httpok_conf(port):
    return f"""
[eventlistener:httpok]
command={PY} {EV}/httpok.py -p web -t 1 -o %(here)s/httpok.jsonl http://127.0.0.1:{port}/
events=TICK_5
stderr_logfile=%(here)s/httpok.err

[program:web]
command={PY} {EV}/web.py {port} %(here)s/sick
startsecs=1
stopwaitsecs=3
stdout_logfile=NONE
stderr_logfile=NONE
"""


def get(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


@pytest.fixture(scope="module")
def httpok(request):
    ports = {k: free_port() for k in KINDS}
    pair = start_pair(request, lambda kind: httpok_conf(ports[kind]))
    for s in pair.sides:
        s.data["port"] = ports[s.kind]
    pair.wait("web serves 200", lambda s: s.d.state("web") == "RUNNING" and get(s.data["port"]) == 200)
    pair.wait("a healthy check", lambda s: any(e.get("status") == 200 for e in read_jsonl(s.d.path("httpok.jsonl"))),
              timeout=12)
    for s in pair.live():
        s.data["pid0"] = s.d.infos()["web"]["pid"]
        Path(s.d.path("sick")).touch()
    pair.wait("a restart", lambda s: any(e.get("action") == "restarted" for e in read_jsonl(s.d.path("httpok.jsonl"))),
              timeout=15)
    pair.wait("web healthy again", lambda s: s.d.state("web") == "RUNNING" and get(s.data["port"]) == 200)
    for s in pair.live():
        s.data["pid1"] = s.d.infos()["web"]["pid"]
        s.data["log"] = read_jsonl(s.d.path("httpok.jsonl"))
    return pair


@pytest.mark.parametrize("kind", KINDS)
def test_http_checker_restarts_a_sick_program(httpok, kind):
    """Healthy checks do nothing; the first 500 restarts web over XML-RPC from inside the listener
    (stopProcess and startProcess answered while the listener is BUSY); the new web is healthy.
    Every check came from a TICK_5 whose when: is a multiple of 5."""
    side = judge(httpok, kind)
    log = side.data["log"]
    restarts = [i for i, e in enumerate(log) if e.get("action") == "restarted"]
    assert len(restarts) == 1, log
    before, restart = log[:restarts[0]], log[restarts[0]]
    assert before and all(e["status"] == 200 and "action" not in e for e in before), log
    assert restart["status"] == 500 and restart["old_pid"] == side.data["pid0"], restart
    assert restart["new_pid"] == side.data["pid1"] != side.data["pid0"], restart
    for e in log:
        assert re.fullmatch(r"when:\d+", e["tick"]) and int(e["tick"][5:]) % 5 == 0, e


# ---------------------------------------------------------------------------------------------
# The container pattern

def fatal_conf(mode):
    how = "ctl %(here)s/sup.conf" if mode == "supervisorctl" else "kill1 -"
    worker = "[program:{0}]\ncommand={1}/term_worker.sh %(here)s {0}\nstartsecs=0\nstopwaitsecs=5\n" \
             "stdout_logfile=NONE\nstderr_logfile=NONE\n"
    return f"""
[eventlistener:fatalwatch]
command={PY} {EV}/fatal_shutdown.py {how} %(here)s/fatal.txt
events=PROCESS_STATE_FATAL
stderr_logfile=%(here)s/fatalwatch.err

{worker.format("worker1", EV)}
{worker.format("worker2", EV)}
[program:doomed]
command=/bin/sh -c 'while [ ! -e %(here)s/worker1.ready ] || [ ! -e %(here)s/worker2.ready ]; do sleep 0.05; done; exit 1'
startsecs=10
startretries=0
stdout_logfile=NONE
stderr_logfile=NONE
"""


@pytest.mark.parametrize("mode", ["supervisorctl", "pidns"])
@pytest.mark.parametrize("kind", KINDS)
def test_fatal_listener_shuts_the_supervisor_down(request, kind, mode):
    """doomed goes FATAL once both workers run; the listener ends the supervisor; it exits 0
    within 20 s, after stopping each worker through its TERM handler (worker<n>.term written).
    Under unshare the supervisor is PID 1 and unshare's status is its status."""
    if mode == "pidns" and (os.geteuid() != 0 or not shutil.which("unshare")):
        pytest.skip("needs root and unshare for a PID namespace")
    prefix = ("unshare", "--pid", "--fork", "--mount-proc") if mode == "pidns" else ()
    d = EvDaemon(kind, fatal_conf(mode), prefix=prefix)
    request.addfinalizer(d.stop)
    try:
        rc = d.proc.wait(20)
    except subprocess.TimeoutExpired:
        rc = None
    assert rc == 0, f"exit status {rc} (None: still running after 20 s)\n{d.describe()}"
    fatal = read(d.path("fatal.txt"))
    assert fatal.startswith("PROCESS_STATE_FATAL processname:doomed groupname:doomed from_state:BACKOFF"), fatal
    terms = (read(d.path("worker1.term")), read(d.path("worker2.term")))
    assert terms == ("graceful\n", "graceful\n"), f"TERM handlers: {terms}\n{d.describe()}"
    stopped = {m for _, m in log_lines(d.main_log()) if m.startswith("stopped: worker")}
    assert stopped == {"stopped: worker1 (exit status 0)", "stopped: worker2 (exit status 0)"}, stopped


# ---------------------------------------------------------------------------------------------
# supervisor_stdout:event_handler

STDOUT_CONF = f"""
[eventlistener:stdout]
command={PY} {EV}/echo_listener.py
buffer_size=100
events=PROCESS_LOG
result_handler=supervisor_stdout:event_handler
stderr_logfile=%(here)s/stdout-listener.err

[program:app]
command=/bin/sh -c 'echo hello from app; echo second line; echo oops >&2; exec /bin/sleep 100000'
startsecs=0
stdout_events_enabled=true
stderr_events_enabled=true
stdout_logfile=NONE
stderr_logfile=NONE
"""


def test_supervisor_stdout_handler_is_refused_by_supervisord(request):
    """The oracle side of the next test: supervisord cannot resolve the Python callable and exits
    2 before starting anything."""
    d = EvDaemon("supervisord", STDOUT_CONF)
    request.addfinalizer(d.stop)
    assert d.proc.wait(15) == 2
    assert "supervisor_stdout:event_handler cannot be resolved within [eventlistener:stdout]" in d.console()


def test_supervisor_stdout_handler_tend_only(request):
    """tend only: with result_handler = supervisor_stdout:event_handler, the body of each RESULT
    (the echoed PROCESS_LOG payload) is printed on tend's stdout as `<process> <channel> | <line>`,
    one line per line of the data; the RESULT counts as accepted (the next event follows)."""
    d = EvDaemon("tend", STDOUT_CONF, separate_stderr=True)
    request.addfinalizer(d.stop)
    want = ["app stdout | hello from app", "app stdout | second line", "app stderr | oops"]

    def lines():
        return read(d.path("console.txt")).splitlines()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not all(w in lines() for w in want):
        assert d.proc.poll() is None, f"tend exited {d.proc.returncode}\n{d.describe()}"
        time.sleep(0.05)
    assert all(w in lines() for w in want), f"stdout:\n{read(d.path('console.txt'))}\nstderr:\n{read(d.path('console.err'))}"
    out = [x for x in lines() if " | " in x]
    assert out.index("app stdout | hello from app") < out.index("app stdout | second line")
    assert not [m for _, m in log_lines(d.main_log()) if "UNKNOWN state" in m or "event caused an error" in m]
