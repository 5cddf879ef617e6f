"""The XML-RPC interface and HTTP endpoints of tend against Debian's real supervisord 4.2.5.

Every comparison runs the same config under `/usr/bin/supervisord -n -c conf` and `tend -n -c conf`
(each in its own temp dir), makes the same calls through Python's xmlrpc.client with supervisor's
own SupervisorTransport over the unix socket, and compares results structurally: pids, times and
uptimes are normalised, faults compared by code and string. The real supervisorctl is run against
both and its stdout (normalised) and exit code compared. Then tend alone is abused (thousands of
idle connections, oversized and broken requests, a /logtail reader that never reads) and must keep
answering and supervising.

Known, deliberate differences are asserted as such (see DIFFERENCES below).
"""
import os
import re
import resource
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import xmlrpc.client
from pathlib import Path

import pytest

from supervisor.xmlrpc import SupervisorTransport

from conftest import kill_session, namespec

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("TEND_BUILD", REPO / "build"))
TEND = str(BUILD / "tend")
SUPERVISORD = "/usr/bin/supervisord"
SUPERVISORCTL = "/usr/bin/supervisorctl"

pytestmark = pytest.mark.skipif(not (os.path.exists(SUPERVISORD) and os.path.exists(SUPERVISORCTL)),
                                reason="needs Debian's supervisor package")

PROGRAMS = """
[program:sleeper]
command=/bin/sleep 1000
startsecs=1
stdout_logfile=%(here)s/sleeper.out
stderr_logfile=%(here)s/sleeper.err

[program:cat]
command=/bin/cat
startsecs=0
stdout_logfile=%(here)s/cat.out
stderr_logfile=%(here)s/cat.err

[program:trapper]
command=/bin/sh -c 'trap "echo got-hup" HUP; echo ready; while :; do sleep 0.1; done'
startsecs=0
redirect_stderr=true
stdout_logfile=%(here)s/trapper.out

[program:quick]
command=/bin/sh -c 'exit 3'
startsecs=1
startretries=0
autostart=false
stdout_logfile=%(here)s/quick.out
stderr_logfile=NONE

[program:missing]
command=/nonexistent/prog
autostart=false
stdout_logfile=NONE
stderr_logfile=NONE

[program:auto]
command=/bin/sleep 1000
startsecs=0

[program:nolog]
command=/bin/sleep 1000
startsecs=0
stdout_logfile=NONE
stderr_logfile=NONE

[program:multi]
command=/bin/sleep 1000
numprocs=2
process_name=%(program_name)s_%(process_num)d
startsecs=0
autostart=false
stdout_logfile=NONE
stderr_logfile=NONE

[group:grp]
programs=multi,nolog
"""

# The config after an edit, for reloadConfig / reread / update: newp added, sleeper changed,
# auto removed.
PROGRAMS_EDITED = PROGRAMS.replace("command=/bin/sleep 1000\nstartsecs=1\n", "command=/bin/sleep 999\nstartsecs=1\n") \
    .replace("[program:auto]\ncommand=/bin/sleep 1000\nstartsecs=0\n", "") + """
[program:newp]
command=/bin/sleep 1000
startsecs=0
stdout_logfile=NONE
stderr_logfile=NONE
"""


def make_conf(programs, server_extra="", supervisord_extra=""):
    return f"""
[unix_http_server]
file=%(here)s/s.sock
{server_extra}

[supervisord]
logfile=%(here)s/main.log
pidfile=%(here)s/d.pid
childlogdir=%(here)s
loglevel=info
{supervisord_extra}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://%(here)s/s.sock
{programs}
"""


class Daemon:
    """supervisord or tend, -n, in its own short temp dir; stop() kills it and every child."""

    def __init__(self, kind, programs=PROGRAMS, server_extra="", supervisord_extra="", auth=None, subdirs=None,
                 preexec_fn=None):
        """`subdirs`: run in the temp dir (for relative paths), with these directories made in it first.
        `preexec_fn`: run in the daemon's process before the exec (e.g. to lower its limits)."""
        self.kind = kind
        self.dir = tempfile.mkdtemp(prefix="trpc" + kind[0])
        self.conf = os.path.join(self.dir, "sup.conf")
        self.sock = os.path.join(self.dir, "s.sock")
        self.auth = auth or (None, None)
        self.server_extra, self.supervisord_extra = server_extra, supervisord_extra
        self.write_conf(programs)
        for sub in subdirs or ():
            os.makedirs(os.path.join(self.dir, sub))
        self.out = open(os.path.join(self.dir, "console.txt"), "wb")
        exe = SUPERVISORD if kind == "supervisord" else TEND
        self.proc = subprocess.Popen([exe, "-n", "-c", self.conf], stdout=self.out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True,
                                     cwd=self.dir if subdirs is not None else None, preexec_fn=preexec_fn)

    def write_conf(self, programs):
        Path(self.conf).write_text(make_conf(programs, self.server_extra, self.supervisord_extra))

    def rpc(self):
        transport = SupervisorTransport(self.auth[0], self.auth[1], "unix://" + self.sock)
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    def console(self):
        return Path(self.dir, "console.txt").read_text(errors="replace")

    def wait_ready(self, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.kind} exited:\n{self.console()}")
            try:
                if self.rpc().supervisor.getState()["statename"] == "RUNNING":
                    return
            except (OSError, xmlrpc.client.Error):
                pass
            time.sleep(0.05)
        raise AssertionError(f"{self.kind} did not come up:\n{self.console()}")

    def settle(self, timeout=15, want_running=()):
        """Until nothing is STARTING/BACKOFF/STOPPING and `want_running` names are RUNNING."""
        deadline = time.monotonic() + timeout
        infos = None
        while time.monotonic() < deadline:
            try:
                infos = self.rpc().supervisor.getAllProcessInfo()
                states = {namespec(i): i["statename"] for i in infos}
                if all(s not in ("STARTING", "BACKOFF", "STOPPING") for s in states.values()) and \
                        all(states.get(n) == "RUNNING" for n in want_running):
                    return
            except (OSError, xmlrpc.client.Error):
                pass
            time.sleep(0.05)
        raise AssertionError(f"{self.kind}: processes did not settle: {infos}")

    def stop(self):
        kill_session(self.proc)
        self.out.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def start_pair(request, **kw):
    daemons = []
    request.addfinalizer(lambda: [d.stop() for d in daemons])
    for kind in ("supervisord", "tend"):
        daemons.append(Daemon(kind, **kw))
    for d in daemons:
        d.wait_ready()
    for d in daemons:
        d.settle(want_running=("sleeper", "cat", "trapper", "auto", "grp:nolog"))
    return daemons


@pytest.fixture(scope="module")
def shared(request):
    """One pair for calls that change nothing."""
    return start_pair(request)


@pytest.fixture
def pair(request):
    return start_pair(request)


# ---------------------------------------------------------------------------------------------
# Normalisation

DATE = re.compile(r"\b[A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M\b")
UPTIME = re.compile(r"pid \d+, uptime \d+:\d\d:\d\d")
AUTO_LOG = re.compile(r"[^/\s]+---[^/\s]+\.log")


def norm_text(s, d):
    s = s.replace(d.dir, "<DIR>")
    s = AUTO_LOG.sub("<AUTO>", s)
    s = UPTIME.sub("pid N, uptime U", s)
    return DATE.sub("DATE", s)


def norm(v, d, key=None):
    """A result with pids, times and per-run paths replaced by stable tokens."""
    if isinstance(v, dict):
        return {k: norm(x, d, k) for k, x in v.items()}
    if isinstance(v, list):
        return [norm(x, d) for x in v]
    if key == "pid" and isinstance(v, int):
        return "PID" if v else 0
    if key in ("start", "stop", "now") and isinstance(v, int):
        return "T" if v else 0
    if isinstance(v, str):
        return norm_text(v, d)
    return v


def call(d, method, *args):
    """The result, or ('FAULT', code, string)."""
    fn = d.rpc()
    for part in method.split("."):
        fn = getattr(fn, part)
    try:
        return norm(fn(*args), d)
    except xmlrpc.client.Fault as f:
        return ("FAULT", f.faultCode, norm_text(f.faultString, d))


def by_name(result):
    if isinstance(result, list) and all(isinstance(x, dict) and "name" in x for x in result):
        return sorted(result, key=lambda x: (x.get("group", ""), x["name"]))
    return result


def both(pair, method, *args, unordered=False):
    """Same call on both; asserts equal (normalised) results and returns tend's."""
    a, b = (call(d, method, *args) for d in pair)
    if unordered:
        a, b = by_name(a), by_name(b)
    assert b == a, f"{method}{args}:\n  supervisord: {a}\n  tend:        {b}"
    return b


def wait_both(pair, pred, what, timeout=10):
    deadline = time.monotonic() + timeout
    pending = list(pair)
    while pending and time.monotonic() < deadline:
        pending = [d for d in pending if not pred(d)]
        if pending:
            time.sleep(0.05)
    assert not pending, f"timed out waiting for {what} on {[d.kind for d in pending]}"


# ---------------------------------------------------------------------------------------------
# XML-RPC, read-only

@pytest.mark.parametrize("method,args", [
    ("supervisor.getAPIVersion", ()),
    ("supervisor.getVersion", ()),
    ("supervisor.getSupervisorVersion", ()),
    ("supervisor.getIdentification", ()),
    ("supervisor.getState", ()),
    ("supervisor.getAllProcessInfo", ()),
    ("supervisor.getProcessInfo", ("sleeper",)),
    ("supervisor.getProcessInfo", ("grp:nolog",)),
    ("supervisor.getProcessInfo", ("grp:multi_0",)),
    ("supervisor.getProcessInfo", ("quick",)),
    ("supervisor.getProcessInfo", ("trapper",)),
    ("supervisor.getProcessInfo", ("nope",)),
    ("supervisor.getProcessInfo", ("grp:",)),
    ("supervisor.getProcessInfo", ("grp:*",)),
    ("supervisor.getProcessInfo", ("grp:nope",)),
    ("supervisor.getProcessInfo", ("",)),
    ("supervisor.getProcessInfo", ()),
    ("supervisor.getState", (1,)),
    ("supervisor.getAllConfigInfo", ()),
    ("supervisor.readProcessStdoutLog", ("grp:nolog", 0, 0)),
    ("supervisor.readProcessStderrLog", ("trapper", 0, 0)),
    ("supervisor.readProcessStdoutLog", ("sleeper", 0, 0)),
    ("supervisor.readProcessStdoutLog", ("sleeper", -5, 3)),
    ("supervisor.readProcessStdoutLog", ("sleeper", 0, -1)),
    ("supervisor.readProcessStdoutLog", ("nope", 0, 0)),
    ("supervisor.readProcessLog", ("quick", 0, 0)),
    ("supervisor.tailProcessStdoutLog", ("grp:nolog", 0, 10)),
    ("supervisor.tailProcessStdoutLog", ("sleeper", 0, 10)),
    ("supervisor.tailProcessLog", ("nope", 0, 10)),
    ("supervisor.tailProcessStderrLog", ("trapper", 0, 10)),
    ("supervisor.readLog", (-5, 3)),
    ("supervisor.readMainLog", (0, -1)),
    ("supervisor.sendRemoteCommEvent", ("type", "data")),
    ("supervisor.startProcessGroup", ("nope",)),
    ("supervisor.stopProcessGroup", ("nope",)),
    ("supervisor.signalProcessGroup", ("nope", "HUP")),
    ("supervisor.addProcessGroup", ("sleeper",)),
    ("supervisor.addProcessGroup", ("nope",)),
    ("supervisor.removeProcessGroup", ("nope",)),
    ("supervisor.removeProcessGroup", ("sleeper",)),
    ("supervisor.nonexistent", ()),
    ("supervisor._update", ("x",)),
    ("supervisor.getState.x", ()),
    ("nonamespace", ()),
    ("system.methodSignature", ("supervisor.nope",)),
])
def test_readonly_calls_match(shared, method, args):
    both(shared, method, *args)


# A deliberate difference: tend's own namespace (readiness, health, dependencies) comes with supervisor.*.
TEND_METHODS = ["tend.getAllConfigInfo", "tend.getAllProcessHealth", "tend.getProcessHealth"]


def test_method_signatures_match(shared):
    names = shared[0].rpc().system.listMethods()
    assert shared[1].rpc().system.listMethods() == names + TEND_METHODS
    for name in names:
        both(shared, "system.methodSignature", name)
        for d in shared:  # help texts are our own words: only that there is one
            assert isinstance(d.rpc().system.methodHelp(name), str)
    for name in TEND_METHODS:
        assert isinstance(shared[1].rpc().system.methodHelp(name), str)
        assert shared[1].rpc().system.methodSignature(name)


def test_main_log_reads(shared):
    for d in shared:
        rpc = d.rpc()
        head = rpc.supervisor.readLog(0, 10)
        assert len(head) == 10
        assert rpc.supervisor.readLog(-10, 0) == rpc.supervisor.readMainLog(-10, 0)
        assert isinstance(rpc.supervisor.getPID(), int) and rpc.supervisor.getPID() == d.proc.pid


def test_multicall_matches(shared):
    calls = [{"methodName": "supervisor.getAPIVersion", "params": []},
             {"methodName": "supervisor.getProcessInfo", "params": ["nope"]},
             {"methodName": "supervisor.stopProcess", "params": ["grp:multi_0"]},
             {"methodName": "supervisor.getProcessInfo", "params": ["sleeper"]},
             {"methodName": "system.multicall", "params": [[]]}]
    a, b = (norm(d.rpc().system.multicall(calls), d) for d in shared)
    assert b[:4] == a[:4]
    assert b[4]["faultCode"] == a[4]["faultCode"]  # nested multicall: our own words after the name


# ---------------------------------------------------------------------------------------------
# XML-RPC, changing state (the same sequence on both)

def test_process_control_matches(pair):
    both(pair, "supervisor.startProcess", "grp:multi_0")
    both(pair, "supervisor.startProcess", "grp:multi_0")  # ALREADY_STARTED
    both(pair, "supervisor.startProcess", "quick")  # SPAWN_ERROR
    # supervisord answers at BACKOFF and gives up (FATAL) on its next loop tick.
    wait_both(pair, lambda d: d.rpc().supervisor.getProcessInfo("quick")["statename"] == "FATAL", "quick FATAL")
    both(pair, "supervisor.getProcessInfo", "quick")
    both(pair, "supervisor.startProcess", "missing")  # NO_FILE
    both(pair, "supervisor.startProcess", "nope")
    both(pair, "supervisor.startProcess", "grp:*", unordered=True)
    both(pair, "supervisor.stopProcess", "grp:multi_1")
    both(pair, "supervisor.stopProcess", "grp:multi_1")  # NOT_RUNNING
    both(pair, "supervisor.getProcessInfo", "grp:multi_1")
    both(pair, "supervisor.stopProcessGroup", "grp", unordered=True)
    both(pair, "supervisor.stopProcessGroup", "grp")  # []
    both(pair, "supervisor.startProcessGroup", "grp", False, unordered=True)
    for d in pair:
        d.settle()
    both(pair, "supervisor.stopProcess", "grp:*", True, unordered=True)
    both(pair, "supervisor.startProcessGroup", "grp", unordered=True)
    both(pair, "supervisor.startProcess", "sleeper", False)  # ALREADY_STARTED
    both(pair, "supervisor.stopProcess", "sleeper", False)
    for d in pair:
        d.settle()
    both(pair, "supervisor.startProcess", "sleeper", True)
    both(pair, "supervisor.getAllProcessInfo")


def test_signals_match(pair):
    wait_both(pair, lambda d: "ready" in Path(d.dir, "trapper.out").read_text(), "trapper ready")
    both(pair, "supervisor.signalProcess", "trapper", "HUP")
    both(pair, "supervisor.signalProcess", "trapper", "NOPE")
    both(pair, "supervisor.signalProcess", "trapper", "1")
    both(pair, "supervisor.signalProcess", "grp:multi_0", "HUP")  # NOT_RUNNING
    both(pair, "supervisor.signalProcess", "nope", "HUP")
    both(pair, "supervisor.signalProcessGroup", "grp", "CONT", unordered=True)
    both(pair, "supervisor.signalProcess", "grp:*", "CONT", unordered=True)
    both(pair, "supervisor.signalProcessGroup", "grp", "BOGUS", unordered=True)
    both(pair, "supervisor.signalAllProcesses", "CONT", unordered=True)
    wait_both(pair, lambda d: "got-hup" in Path(d.dir, "trapper.out").read_text(), "trapper's HUP trap")
    both(pair, "supervisor.getProcessInfo", "trapper")


def test_logs_and_stdin_match(pair):
    both(pair, "supervisor.sendProcessStdin", "cat", "hello\n")
    wait_both(pair, lambda d: d.rpc().supervisor.readProcessStdoutLog("cat", 0, 0) == "hello\n", "cat echo")
    both(pair, "supervisor.readProcessStdoutLog", "cat", 1, 2)
    both(pair, "supervisor.readProcessStdoutLog", "cat", -3, 0)
    both(pair, "supervisor.readProcessStdoutLog", "cat", 100, 0)
    both(pair, "supervisor.tailProcessStdoutLog", "cat", 0, 3)
    both(pair, "supervisor.tailProcessStdoutLog", "cat", 2, 100)
    both(pair, "supervisor.tailProcessStdoutLog", "cat", 6, 100)
    both(pair, "supervisor.readProcessStderrLog", "cat", 0, 0)
    both(pair, "supervisor.sendProcessStdin", "grp:multi_0", "x")  # NOT_RUNNING
    both(pair, "supervisor.sendProcessStdin", "cat", 5)  # INCORRECT_PARAMETERS: 5
    both(pair, "supervisor.sendProcessStdin", "nope", "x")
    both(pair, "supervisor.clearProcessLogs", "cat")
    both(pair, "supervisor.readProcessStdoutLog", "cat", 0, 0)
    both(pair, "supervisor.clearProcessLog", "nope")
    both(pair, "supervisor.clearAllProcessLogs", unordered=True)
    both(pair, "supervisor.clearLog")
    # Non-UTF-8 output: supervisord fails the request with HTTP 500; tend replaces it with U+FFFD.
    for d in pair:
        d.rpc().supervisor.sendProcessStdin("cat", "caf\u00e9\n")
    wait_both(pair, lambda d: os.path.getsize(os.path.join(d.dir, "cat.out")) == 6, "cat echo")
    with pytest.raises(xmlrpc.client.ProtocolError) as e:
        pair[0].rpc().supervisor.readProcessStdoutLog("cat", 0, 4)  # cuts the é
    assert e.value.errcode == 500
    assert pair[1].rpc().supervisor.readProcessStdoutLog("cat", 0, 4) == "caf\ufffd"
    assert pair[1].rpc().supervisor.readProcessStdoutLog("cat", 0, 0) == "caf\u00e9\n"


STDIN_PROGRAMS = """
[program:latereader]
command=/bin/sh -c 'while [ ! -e %(here)s/go ]; do sleep 0.01; done; exec head -c 1048576 > %(here)s/got'
startsecs=0
autorestart=false
stdout_logfile=NONE
stderr_logfile=NONE

[program:closer]
command=/bin/sh -c 'exec 0<&-; touch %(here)s/closed; exec sleep 1000'
startsecs=0
stdout_logfile=NONE
stderr_logfile=NONE
"""


def test_stdin_beyond_a_pipeful_and_closed_stdin_match(request):
    """1 MiB in one sendProcessStdin to a program that starts reading only after the call (so
    all but a pipeful must wait in the supervisor) arrives whole; a closed stdin is NO_FILE."""
    pair = []
    request.addfinalizer(lambda: [d.stop() for d in pair])
    for kind in ("supervisord", "tend"):
        pair.append(Daemon(kind, programs=STDIN_PROGRAMS))
    for d in pair:
        d.wait_ready()
        d.settle(want_running=("latereader", "closer"))
    data = "".join(chr(ord("a") + (i * 7 + i // 4096) % 26) for i in range(1024 * 1024))
    assert both(pair, "supervisor.sendProcessStdin", "latereader", data) is True
    for d in pair:
        Path(d.dir, "go").touch()
    wait_both(pair, lambda d: os.path.exists(os.path.join(d.dir, "got")) and
              os.path.getsize(os.path.join(d.dir, "got")) == len(data), "1 MiB at the reader")
    for d in pair:
        assert Path(d.dir, "got").read_text() == data, d.kind
    wait_both(pair, lambda d: os.path.exists(os.path.join(d.dir, "closed")), "closer closed its stdin")
    assert both(pair, "supervisor.sendProcessStdin", "closer", "x") == ("FAULT", 20, "NO_FILE: closer")
    both(pair, "supervisor.sendProcessStdin", "closer", "x")  # still NO_FILE


def test_reload_add_remove_match(pair):
    for d in pair:
        d.write_conf(PROGRAMS_EDITED)
    both(pair, "supervisor.reloadConfig")
    both(pair, "supervisor.getAllConfigInfo")
    both(pair, "supervisor.addProcessGroup", "newp")
    both(pair, "supervisor.addProcessGroup", "newp")  # ALREADY_ADDED
    both(pair, "supervisor.addProcessGroup", "auto")  # gone from the config: BAD_NAME
    both(pair, "supervisor.removeProcessGroup", "auto")  # STILL_RUNNING
    both(pair, "supervisor.stopProcess", "auto")
    both(pair, "supervisor.removeProcessGroup", "auto")
    both(pair, "supervisor.removeProcessGroup", "auto")  # BAD_NAME
    both(pair, "supervisor.getAllConfigInfo")
    for d in pair:
        d.settle()
    both(pair, "supervisor.getAllProcessInfo")
    for d in pair:
        Path(d.conf).write_text("[supervisord]\nbogus_key=1\n[program:x]\n")
    a, b = (call(d, "supervisor.reloadConfig") for d in pair)
    assert a[:2] == b[:2] == ("FAULT", 92)  # CANT_REREAD; the loader's message is its own


RELATIVE = """
[program:rel]
command=/bin/sh -c 'echo hello; exec /bin/sleep 1000'
startsecs=0
directory=sub/../sub
stdout_logfile=logs/rel.out
stderr_logfile=./logs/../logs/rel.err

[program:autolog]
command=/bin/sh -c 'echo auto; exec /bin/sleep 1000'
startsecs=0
"""


def test_relative_paths_match(request):
    """Relative log paths are shown as written, opened against the daemon's directory; AUTO logs in a
    relative childlogdir are shown absolute (supervisord makes them with mkstemp)."""
    pair = []
    request.addfinalizer(lambda: [d.stop() for d in pair])
    for kind in ("supervisord", "tend"):
        pair.append(Daemon(kind, programs=RELATIVE, supervisord_extra="childlogdir=./clogs/",
                           subdirs=("logs", "clogs", "sub")))
    for d in pair:
        d.wait_ready()
    for d in pair:
        d.settle(want_running=("rel", "autolog"))
    both(pair, "supervisor.getAllConfigInfo")
    both(pair, "supervisor.getAllProcessInfo")
    wait_both(pair, lambda d: d.rpc().supervisor.readProcessStdoutLog("rel", 0, 0) == "hello\n", "rel's output")
    wait_both(pair, lambda d: d.rpc().supervisor.readProcessStdoutLog("autolog", 0, 0) == "auto\n",
              "autolog's output")
    for d in pair:
        assert Path(d.dir, "logs", "rel.out").read_text() == "hello\n"
        os.unlink(os.path.join(d.dir, "logs", "rel.err"))
    both(pair, "supervisor.readProcessStderrLog", "rel", 0, 0)  # NO_FILE names the path as written


START_ORDER = """
[program:db]
command=/bin/sleep 1000
autostart=false
stdout_logfile=NONE
stderr_logfile=NONE
ready=tcp:localhost:5432
ready_timeout=30
ready_interval=0.5
healthcheck=exec:/bin/true
healthcheck_interval=5
healthcheck_timeout=2
healthcheck_retries=2
healthcheck_start_period=1
healthcheck_action=stop

[program:web]
command=/bin/sleep 1000
autostart=false
numprocs=2
process_name=%(program_name)s_%(process_num)d
stdout_logfile=NONE
stderr_logfile=NONE
depends_on=db:healthy, tier:started
ready=notify
watchdog_sec=30

[program:worker]
command=/bin/sleep 1000
autostart=false
stdout_logfile=NONE
stderr_logfile=NONE
ready=http://127.0.0.1:8080/ready

[group:tier]
programs=worker
"""


def test_start_order_keys_leave_config_info_alone(request):
    """tend's start-order keys (docs/config.md) are not part of getAllConfigInfo: with them in the file,
    the answer is still supervisord's, which ignores them."""
    pair = []
    request.addfinalizer(lambda: [d.stop() for d in pair])
    for kind in ("supervisord", "tend"):
        pair.append(Daemon(kind, programs=START_ORDER))
    for d in pair:
        d.wait_ready()
    for d in pair:
        d.settle()
    both(pair, "supervisor.getAllConfigInfo")
    both(pair, "supervisor.getAllProcessInfo")


LIMITED = """
[program:limited]
command=/bin/sleep 1000
autostart=false
stdout_logfile=NONE
stderr_logfile=NONE
rlimit_nofile=1024:4096
rlimit_core=unlimited
backoff_max=30
restartpause=2.5
oneshot=true
"""


def test_tend_config_info_adds_the_tend_keys(request):
    """tend.getAllConfigInfo is supervisor.getAllConfigInfo, struct for struct and member for member, each
    struct followed by the effective values of tend's keys under their own names."""
    d = Daemon("tend", programs=START_ORDER + LIMITED)
    request.addfinalizer(d.stop)
    d.wait_ready()
    d.settle()
    theirs = d.rpc().supervisor.getAllConfigInfo()
    ours = d.rpc().tend.getAllConfigInfo()
    assert len(ours) == len(theirs)
    for t, o in zip(theirs, ours):
        assert list(o)[:len(t)] == list(t)
        assert {k: o[k] for k in t} == t
    info = {namespec(o): o for o in ours}
    web = info["web:web_1"]
    assert (web["depends_on"], web["ready"], web["watchdog_sec"]) == ("db:healthy, tier:started", "notify", 30.0)
    db = info["db"]
    assert db["ready"] == "tcp:localhost:5432"
    assert (db["ready_timeout"], db["ready_interval"], db["healthcheck_start_period"]) == (30.0, 0.5, 1.0)
    assert (db["healthcheck"], db["healthcheck_retries"], db["healthcheck_action"]) == ("exec:/bin/true", 2, "stop")
    assert (info["tier:worker"]["ready"], info["tier:worker"]["healthcheck"]) == ("http://127.0.0.1:8080/ready", "")
    limited = info["limited"]
    assert (limited["rlimit_nofile"], limited["rlimit_core"], limited["rlimit_nproc"]) == ("1024:4096", "unlimited", "")
    assert (limited["backoff_max"], limited["backoff_reset"], limited["restartpause"]) == (30.0, 60.0, 2.5)
    assert type(limited["backoff_max"]) is float and type(db["healthcheck_retries"]) is int
    assert (limited["oneshot"], limited["critical"], limited["schedule"]) == (True, False, "")
    assert "environment_file" not in limited


def test_environment_file_leaves_config_info_alone(request, vartmp):
    """environment_file (and ochinchina's envFiles) are tend's keys: with them in [supervisord] and in
    programs, getAllConfigInfo and getAllProcessInfo are still supervisord's, which ignores them."""
    (vartmp / "a.env").write_text("A=1\n")
    programs = f"""
[program:envd]
command=/bin/sleep 1000
startsecs=0
stdout_logfile=NONE
environment_file={vartmp}/a.env

[program:envalias]
command=/bin/sleep 1000
startsecs=0
stdout_logfile=NONE
envFiles=-{vartmp}/none.env
"""
    pair = []
    request.addfinalizer(lambda: [d.stop() for d in pair])
    for kind in ("supervisord", "tend"):
        pair.append(Daemon(kind, programs=programs, supervisord_extra=f"environment_file={vartmp}/a.env"))
    for d in pair:
        d.wait_ready()
    for d in pair:
        d.settle(want_running=("envd", "envalias"))
    both(pair, "supervisor.getAllConfigInfo")
    both(pair, "supervisor.getAllProcessInfo")


def test_shutdown_state(pair):
    both(pair, "supervisor.shutdown")
    for d in pair:
        try:
            r = call(d, "supervisor.getState")
        except OSError:
            continue  # already gone: nothing left to compare
        assert r == ("FAULT", 6, "SHUTDOWN_STATE")
    for d in pair:
        d.proc.wait(timeout=15)
        assert d.proc.returncode == 0


# ---------------------------------------------------------------------------------------------
# supervisorctl against both

PID_LINE = re.compile(r"(?m)^[1-9]\d*$")


def ctl_both(pair, *args, sort=False, compare_output=True):
    """supervisorctl against both at once: same (normalised) stdout and exit code."""
    procs = [subprocess.Popen([SUPERVISORCTL, "-c", d.conf, *args], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL) for d in pair]
    results = []
    for d, p in zip(pair, procs):
        try:
            out, _ = p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
        results.append((PID_LINE.sub("N", norm_text(out, d)), p.returncode))
    a, b = results
    if sort:  # group and "all" results come in the order the processes finished
        a, b = (("\n".join(sorted(x[0].split("\n"))), x[1]) for x in (a, b))
    if not compare_output:
        a, b = ("", a[1]), ("", b[1])
    assert b == a, f"supervisorctl {' '.join(args)}:\n--- supervisord (exit {a[1]})\n{a[0]}--- tend (exit {b[1]})\n{b[0]}"
    return b


def test_supervisorctl_matches(pair):
    for args in (["status"], ["status", "sleeper"], ["status", "nope"], ["status", "grp:*"],
                 ["start", "grp:multi_0"], ["start", "grp:multi_0"], ["start", "quick"], ["start", "missing"],
                 ["start"], ["stop", "grp:multi_0"], ["stop", "grp:multi_0"], ["stop", "nope"],
                 ["restart", "sleeper"], ["signal", "HUP", "trapper"], ["signal", "BOGUS", "trapper"],
                 ["signal", "HUP", "grp:multi_0"], ["pid"], ["pid", "sleeper"], ["pid", "grp:multi_1"],
                 ["pid", "nope"], ["tail", "trapper"], ["tail", "cat", "stderr"], ["tail", "grp:nolog"],
                 ["tail", "nope"], ["clear", "cat"], ["avail"], ["reread"], ["version"], ["status"]):
        ctl_both(pair, *args, sort=args[-1] in ("all",) or args[-1].endswith(":*"))
    ctl_both(pair, "pid", "all", sort=True)
    ctl_both(pair, "clear", "all", sort=True)
    ctl_both(pair, "start", "all", sort=True)
    ctl_both(pair, "maintail", "-200", compare_output=False)
    for d in pair:
        d.write_conf(PROGRAMS_EDITED)
    ctl_both(pair, "reread")
    ctl_both(pair, "update", sort=True)
    for d in pair:
        d.settle(want_running=("sleeper", "newp"))
    ctl_both(pair, "status")
    ctl_both(pair, "remove", "newp")
    ctl_both(pair, "stop", "newp")
    ctl_both(pair, "remove", "newp")
    ctl_both(pair, "add", "newp")
    ctl_both(pair, "add", "nope")
    ctl_both(pair, "stop", "all", sort=True)
    ctl_both(pair, "shutdown")
    for d in pair:
        d.proc.wait(timeout=15)
    ctl_both(pair, "status")


def read_until(stream, needle, buf=b"", timeout=10.0):
    """Reads `stream` (a pipe) until `needle` is in what was read or `timeout` passes; returns it all."""
    deadline = time.monotonic() + timeout
    while needle not in buf:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([stream], [], [], left)[0]:
            break
        chunk = os.read(stream.fileno(), 4096)
        if not chunk:
            break
        buf += chunk
    return buf


def test_tail_follow_streams(pair):
    """supervisorctl tail -f reads /logtail: the last bytes, then what is appended."""
    for d in pair:
        d.rpc().supervisor.sendProcessStdin("cat", "already there\n")
    wait_both(pair, lambda d: "already there" in d.rpc().supervisor.readProcessStdoutLog("cat", 0, 0), "cat echo")
    procs = [subprocess.Popen([SUPERVISORCTL, "-c", d.conf, "tail", "-f", "cat"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
             for d in pair]
    try:
        # The log's last bytes arrive first: then the client is following the stream.
        outs = [read_until(p.stdout, b"already there") for p in procs]
        assert all(b"already there" in o for o in outs), outs
        for d in pair:
            d.rpc().supervisor.sendProcessStdin("cat", "streamed line\n")
        outs = [read_until(p.stdout, b"streamed line", o).decode() for p, o in zip(procs, outs)]
        assert "streamed line" in outs[0] and "streamed line" in outs[1], outs
        assert outs[1] == outs[0]
    finally:
        for p in procs:
            p.kill()
            p.wait()


# ---------------------------------------------------------------------------------------------
# HTTP endpoints, authentication, socket permissions

def http_raw(sock_path, data, timeout=5.0, read=True):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    s.connect(sock_path)
    s.sendall(data)
    if not read:
        return s
    out = b""
    try:
        while b"\r\n\r\n" not in out:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    finally:
        s.close()
    return out


def status_of(response):
    return int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/") else None


def get(path, auth=None):
    head = f"GET {path} HTTP/1.1\r\nHost: localhost\r\n"
    if auth:
        import base64
        head += "Authorization: Basic " + base64.b64encode(auth.encode()).decode() + "\r\n"
    return (head + "\r\n").encode()


def test_auth_and_endpoints(request):
    extra = "username=admin\npassword={SHA}d033e22ae348aeb5660fc2140aec35850c4da997"  # sha1("admin")
    daemons = []
    request.addfinalizer(lambda: [d.stop() for d in daemons])
    for kind in ("supervisord", "tend"):
        daemons.append(Daemon(kind, server_extra=extra, auth=("admin", "admin")))
    for d in daemons:
        d.wait_ready()
    body = xmlrpc.client.dumps((), "supervisor.getAPIVersion").encode()
    post = (b"POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\n\r\n" + body)
    for d in daemons:
        assert os.stat(d.sock).st_mode & 0o777 == 0o700, d.kind
        for path in ("/RPC2", "/ok.html", "/logtail/cat", "/mainlogtail", "/"):
            for auth in (None, "admin:wrong", "nobody:admin"):
                r = http_raw(d.sock, get(path, auth))
                assert status_of(r) == 401, (d.kind, path, auth, r[:200])
                assert b'WWW-Authenticate: Basic realm="default"' in r
        assert status_of(http_raw(d.sock, post)) == 401
        assert status_of(http_raw(d.sock, get("/ok.html", "admin:admin"))) == 200
        assert d.rpc().supervisor.getAPIVersion() == "3.0"
        bad = SupervisorTransport("admin", "nope", "unix://" + d.sock)
        with pytest.raises(xmlrpc.client.ProtocolError) as e:
            xmlrpc.client.ServerProxy("http://127.0.0.1", transport=bad).supervisor.getState()
        assert e.value.errcode == 401
    # Without auth: the same statuses from the other endpoints on both.
    open_pair = start_pair(request)
    for path, method in (("/ok.html", "GET"), ("/RPC2", "GET"), ("/logtail/nope", "GET"),
                         ("/logtail/cat/bogus", "GET"), ("/logtail/cat", "POST"), ("/mainlogtail", "POST")):
        statuses = []
        for d in open_pair:
            req = f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n".encode()
            statuses.append(status_of(http_raw(d.sock, req)))
        assert statuses[1] == statuses[0], (path, method, statuses)


# ---------------------------------------------------------------------------------------------
# Abuse: tend keeps answering other clients and supervising

def raise_nofile(wanted):
    """Raises this process's fd limit (and so tend's, its child) towards wanted; returns the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < wanted:
        try:  # root may raise the hard limit too
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
            return wanted
        except (ValueError, OSError):
            pass
    target = min(hard, max(soft, wanted))
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


SPEW = """
[program:spew]
command=/bin/sh -c 'while :; do head -c 65536 /dev/zero | tr "\\000" x; sleep 0.02; done'
startsecs=0
stdout_logfile=%(here)s/spew.out
stdout_logfile_maxbytes=4MB
stdout_logfile_backups=1
stderr_logfile=NONE
"""


@pytest.fixture
def tend_alone(request):
    limit = raise_nofile(30000)
    # This process holds the client ends; tend keeps a quarter of its own limit for the programs.
    conns = 10000 if limit >= 16000 else max(2000, (limit - 1000) // 2)
    d = Daemon("tend", programs=PROGRAMS + SPEW, supervisord_extra=f"minfds={conns * 4 // 3 + 1000}")
    request.addfinalizer(d.stop)
    d.wait_ready()
    d.settle(want_running=("sleeper", "spew"))
    return d, conns


def answers(d, limit=5.0):
    t = time.monotonic()
    assert d.rpc().supervisor.getProcessInfo("sleeper")["statename"] == "RUNNING"
    took = time.monotonic() - t
    assert took < limit, f"getProcessInfo took {took:.1f}s"


def test_stdin_for_a_reader_that_never_reads_is_bounded(request):
    """tend's own limit (supervisord queues without one): 8 MiB may wait for a program's stdin;
    a call that does not fit fails whole with FAILED and a reason, and the program runs on."""
    d = Daemon("tend", programs=PROGRAMS)
    request.addfinalizer(d.stop)
    d.wait_ready()
    d.settle(want_running=("sleeper",))
    chunk = "y" * (1900 * 1000)  # with the XML around it, just under the 2 MiB request limit
    rpc = d.rpc()
    for _ in range(4):  # 7.6 MB: a pipeful goes to sleeper's stdin, the rest waits in tend
        assert rpc.supervisor.sendProcessStdin("sleeper", chunk) is True
    with pytest.raises(xmlrpc.client.Fault) as e:
        rpc.supervisor.sendProcessStdin("sleeper", chunk)
    assert e.value.faultCode == 30
    assert re.fullmatch(r"FAILED: unable to queue 1900000 bytes for the stdin of sleeper: \d+ bytes are waiting "
                        r"already, at most 8388608 may", e.value.faultString), e.value.faultString
    assert rpc.supervisor.sendProcessStdin("sleeper", "small\n") is True  # what fits still goes
    assert rpc.supervisor.getProcessInfo("sleeper")["statename"] == "RUNNING"


def test_many_idle_connections(tend_alone):
    d, n = tend_alone
    socks = []
    try:
        deadline = time.monotonic() + 30
        while len(socks) < n:
            s = socket.socket(socket.AF_UNIX)
            s.setblocking(False)
            try:
                s.connect(d.sock)
            except BlockingIOError:  # the listen backlog is full: tend is still accepting
                s.close()
                assert time.monotonic() < deadline, f"only {len(socks)} connections accepted"
                time.sleep(0.001)  # retry interval of this bounded wait for tend to accept more
                continue
            s.settimeout(10)
            socks.append(s)
        answers(d)
        # The idle clients did not use up what supervising needs: stop and start still work.
        rpc = d.rpc()
        assert rpc.supervisor.stopProcess("sleeper") is True
        assert rpc.supervisor.startProcess("sleeper") is True
        # And every idle connection is still served if it finally speaks.
        for s in socks[:: max(1, n // 50)]:
            s.sendall(get("/ok.html"))
            assert s.recv(4096).startswith(b"HTTP/1.1 200")
    finally:
        for s in socks:
            s.close()
    answers(d)


def test_hostile_requests(tend_alone):
    d, _ = tend_alone
    # A 100 MB body is refused from its Content-Length, before any of it is sent.
    s = http_raw(d.sock, b"POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n", read=False)
    r = s.recv(4096)
    assert status_of(r) == 413, r
    s.close()
    # Garbage.
    r = http_raw(d.sock, os.urandom(4096).replace(b"\r\n\r\n", b"") + b"\r\n\r\n")
    assert r == b"" or status_of(r) == 400, r[:100]
    r = http_raw(d.sock, b"\x00\x01\x02 NOT HTTP AT ALL\r\n\r\n")
    assert r == b"" or status_of(r) == 400, r[:100]
    # Half-sent requests stay open while others are served.
    halves = [http_raw(d.sock, b"POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Len", read=False) for _ in range(20)]
    halves += [http_raw(d.sock, b"POST /RPC2 HTTP/1.1\r\nContent-Length: 500\r\n\r\n<?xml", read=False)
               for _ in range(20)]
    answers(d)
    # A client that never reads a /logtail stream of a fast writer.
    before = rss_kb(d.proc.pid)
    lazy = []
    for _ in range(5):
        s = socket.socket(socket.AF_UNIX)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(d.sock)
        s.sendall(get("/logtail/spew"))
        lazy.append(s)
    # The behaviour under test, not a wait: for 3 s spew writes 3 MB/s that five readers never
    # take, and tend must keep answering (checked every 0.2 s) without buffering it all.
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        answers(d, limit=2.0)
        time.sleep(0.2)
    grown = rss_kb(d.proc.pid) - before
    assert grown < 32 * 1024, f"RSS grew by {grown} kB with 5 stalled /logtail readers"
    rpc = d.rpc()
    assert rpc.supervisor.stopProcess("spew") is True
    assert rpc.supervisor.startProcess("spew") is True
    for s in lazy + halves:
        s.close()
    answers(d)
    # A reader that does read gets the stream.
    s = http_raw(d.sock, get("/logtail/spew"), read=False)
    data = b""
    while data.count(b"x") < 5000:
        chunk = s.recv(65536)
        assert chunk, "stream ended"
        data += chunk
    s.close()
    assert d.proc.poll() is None
