"""Helpers for the dependency, readiness and health combination tests (test_depends*.py).

`TendRun` is one `tend -n -c conf` in a short temp dir (the unix socket path must stay under
108 bytes) with the XML-RPC socket, the rpcinterface and a [supervisorctl] section, so the tests
can drive it with XML-RPC, Debian's real supervisorctl and tendctl.

Programs are instances of `node.sh` (written into the run's dir), which records what a test
needs to judge order without timing assumptions:
  start/NAME   CLOCK_REALTIME when NAME began (its first action)
  seen/NAME    for each dependency D given on its command line: "D yes" when D's readiness
               marker existed at that moment, "D no" otherwise (a causal check of the order);
               written just after start/NAME, complete once it exists
  ready/NAME   the readiness marker: for `file` mode the file tend's `ready = file:` probe waits
               for (created atomically, holding the instant it was made); for `tcp` mode written
               just before the program starts listening (a lower bound of its readiness)
  stops        one line per TERM received, appended in the order the handlers ran
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import textwrap
import time
import xmlrpc.client
from pathlib import Path

import pytest
from supervisor.xmlrpc import SupervisorTransport

from conftest import BUILD, TEND, kill_session, read_text, wait_for

TENDCTL = BUILD / "tendctl"
SUPERVISORCTL = "/usr/bin/supervisorctl"
PY = "/usr/bin/python3"

# node.sh NAME DEPS DELAY MODE PORT GATE
#   DEPS: comma list of names whose ready/ marker is checked at start ("-": none)
#   DELAY: seconds to sleep before becoming ready; MODE: file | tcp | none
#   PORT: the tcp port (tcp mode); GATE: a path to wait for before becoming ready ("-": none)
NODE_SH = r"""#!/bin/sh
d=@DIR@
name=$1 deps=$2 delay=$3 mode=$4 port=$5 gate=$6
date +%s.%N > "$d/start/$name"
if [ "$deps" != - ]; then
  for x in $(echo "$deps" | tr , ' '); do
    if [ -e "$d/ready/$x" ]; then echo "$x yes"; else echo "$x no"; fi
  done > "$d/seen/.$name"
  mv "$d/seen/.$name" "$d/seen/$name"
fi
s=
trap 'echo "$name" >> "$d/stops"; [ -n "$s" ] && kill $s 2>/dev/null; exit 0' TERM
if [ "$gate" != - ]; then
  while [ ! -e "$gate" ]; do sleep 0.01; done
fi
sleep "$delay"
case "$mode" in
tcp)
  date +%s.%N > "$d/ready/$name"
  exec @PY@ "$d/listen.py" "$port" "$name" "$d" ;;
file)
  date +%s.%N > "$d/ready/.$name"
  mv "$d/ready/.$name" "$d/ready/$name" ;;
esac
sleep 1000 & s=$!
wait $s
"""

LISTEN_PY = r"""import os, signal, socket, sys
port, name, d = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def term(*_):
    with open(os.path.join(d, "stops"), "a") as f:
        f.write(name + "\n")
    os._exit(0)
signal.signal(signal.SIGTERM, term)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(64)
while True:
    c, _ = s.accept()
    c.close()
"""


def free_ports(n):
    """`n` distinct TCP ports free on 127.0.0.1 right now."""
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


class TendRun:
    """One tend with the given program sections (text after the standard sections; `@DIR@` is
    replaced by the run's dir). Started by start(); everything is killed by the `spawn`
    fixture's cleanup and the dir removed by `close()`."""

    def __init__(self, spawn, programs="", supervisord_extra=""):
        self.spawn = spawn
        self.dir = tempfile.mkdtemp(prefix="tdep")
        for sub in ("start", "seen", "ready"):
            os.mkdir(self.path(sub))
        self.conf = self.path("tend.conf")
        self.sock = self.path("s.sock")
        self.log = self.path("main.log")
        self.node = self.path("node.sh")
        Path(self.node).write_text(NODE_SH.replace("@DIR@", self.dir).replace("@PY@", PY))
        os.chmod(self.node, 0o755)
        Path(self.path("listen.py")).write_text(LISTEN_PY)
        self.supervisord_extra = supervisord_extra
        self.p = None
        if programs:
            self.write_conf(programs)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def sub(self, text):
        return textwrap.dedent(text).replace("@DIR@", self.dir).replace("@NODE@", self.node)

    def header(self):
        return textwrap.dedent(f"""\
            [unix_http_server]
            file={self.sock}

            [supervisord]
            logfile={self.log}
            pidfile={self.path('tend.pid')}
            childlogdir={self.dir}
            loglevel=info
            {self.supervisord_extra}

            [rpcinterface:supervisor]
            supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

            [supervisorctl]
            serverurl=unix://{self.sock}
            """)

    def write_conf(self, programs):
        """Writes the config; returns {section name: {key: line number}} for error tests."""
        text = self.header() + "\n" + self.sub(programs)
        Path(self.conf).write_text(text)
        lines, section = {}, None
        for no, line in enumerate(text.splitlines(), 1):
            m = re.match(r"\s*\[([^\]]+)\]", line)
            if m:
                section = m.group(1)
                lines.setdefault(section, {})["[header]"] = no
            elif section and "=" in line and not line.lstrip().startswith((";", "#")):
                lines[section][line.split("=", 1)[0].strip()] = no
        return lines

    def start(self, wait=True):
        self.p = self.spawn([TEND, "-n", "-c", self.conf], cwd=self.dir)
        if wait:
            self.wait_up()
        return self

    def wait_up(self, timeout=15):
        def up():
            if not self.p.alive():
                raise AssertionError(f"tend exited (rc {self.p.popen.returncode})\n{self.context()}")
            try:
                return self.rpc().supervisor.getState()["statename"] == "RUNNING"
            except (OSError, xmlrpc.client.Error):
                return False
        wait_for(up, timeout, 0.02, what="tend answering XML-RPC")

    def rpc(self, timeout=30):
        transport = SupervisorTransport(None, None, "unix://" + self.sock)
        transport.timeout = timeout
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    def info(self, name):
        return self.rpc().supervisor.getProcessInfo(name)

    def infos(self):
        return {i["name"]: i for i in self.rpc().supervisor.getAllProcessInfo()}

    def wait_state(self, name, state, timeout=10):
        last = {}

        def ok():
            last["info"] = self.info(name)
            return last["info"]["statename"] == state
        wait_for(ok, timeout, 0.02,
                 what=lambda: f"{name} {state} (last: {last.get('info')})\n{self.context()}")
        return last["info"]

    def wait_desc(self, name, pred, timeout=10, what=""):
        last = {}

        def ok():
            last["info"] = self.info(name)
            return pred(last["info"]["description"])
        wait_for(ok, timeout, 0.02,
                 what=lambda: f"{name}'s description {what} (last: {last.get('info')})\n{self.context()}")
        return last["info"]

    def wait_all_running(self, names, timeout=30):
        last = {}

        def ok():
            last["i"] = self.infos()
            return all(last["i"].get(n, {}).get("statename") == "RUNNING" for n in names)

        def what():
            bad = {n: (last["i"].get(n, {}).get("statename"), last["i"].get(n, {}).get("description"))
                   for n in names if last["i"].get(n, {}).get("statename") != "RUNNING"}
            return f"all RUNNING; not yet: {bad}\n{self.context()}"
        wait_for(ok, timeout, 0.05, what=what)

    def text(self):
        return read_text(self.log)

    def log_lines(self, pattern):
        rx = re.compile(pattern)
        return [line for line in self.text().splitlines() if rx.search(line)]

    def wait_log(self, pattern, timeout=10):
        return wait_for(lambda: self.log_lines(pattern), timeout,
                        what=lambda: f"{pattern!r} in the main log\n{self.context()}")

    def context(self):
        out = f"--- main log (tail) ---\n{self.text()[-4000:]}"
        if self.p is not None:
            out += "\n" + self.p.describe()
        return out

    # ---- what the programs recorded ----
    def started(self, name):
        return os.path.exists(self.path("start", name))

    def start_time(self, name):
        return self._stamp("start", name)

    def ready_time(self, name):
        return self._stamp("ready", name)

    def _stamp(self, kind, name):
        """The time a program wrote to its `kind` file: the program creates the file before its
        shell writes the number, so a reader can see it empty for a moment."""
        path = Path(self.path(kind, name))

        def parsed():
            try:
                return [float(path.read_text())]
            except (OSError, ValueError):
                return None
        return wait_for(parsed, 10, what=lambda: f"a time in {path}")[0]

    def seen(self, name):
        text = read_text(self.path("seen", name))
        return dict(line.split() for line in text.splitlines() if line.strip())

    def stops(self):
        return read_text(self.path("stops")).split()

    # ---- clients ----
    def ctl(self, *args, timeout=60):
        p = subprocess.run([SUPERVISORCTL, "-c", self.conf, *args], capture_output=True,
                           text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout + p.stderr

    def ctl_bg(self, *args):
        return subprocess.Popen([SUPERVISORCTL, "-c", self.conf, *args], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)

    def tendctl(self, *args, timeout=30):
        p = subprocess.run([str(TENDCTL), "-c", self.conf, *args], capture_output=True,
                           text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout + p.stderr

    def stop(self, timeout=30):
        """SIGTERM tend; its exit status (fails the test if it is still up after `timeout`)."""
        self.p.send(signal.SIGTERM)
        return self.p.wait(timeout)

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def node(name, deps="-", delay=0.0, mode="file", port=0, gate="-"):
    """The command line of a node.sh program (see the module docstring)."""
    deps = ",".join(deps) if isinstance(deps, (list, tuple)) else deps
    return f"@NODE@ {name} {deps or '-'} {delay:.3f} {mode} {port} {gate}"


def assert_saw_ready(run, name, deps):
    """`name` started after each of `deps` was ready: its own check at start, and its start
    stamp is not before the dependency's readiness stamp."""
    # RUNNING (startsecs=0) may come before the program has written its record.
    wait_for(lambda: os.path.exists(run.path("seen", name)), 5,
             what=lambda: f"{name}'s record of its dependencies\n{run.context()}")
    seen = run.seen(name)
    assert seen == {d: "yes" for d in deps}, \
        f"{name} started before its dependencies were ready: {seen}\n{run.context()}"
    for d in deps:
        assert run.start_time(name) >= run.ready_time(d), \
            f"{name} started at {run.start_time(name)}, before {d} was ready ({run.ready_time(d)})"


def spawn_count(run, name):
    return len(run.log_lines(rf"spawned: '{re.escape(name)}' with pid \d+"))


def sleep_window(seconds):
    """A fixed wait for a window that is itself the behaviour under test (something must NOT
    happen during it); callers say which."""
    time.sleep(seconds)


def tend_runs(spawn):
    """Body of each test module's `tend_run` fixture (`yield from tend_runs(spawn)`): gives
    make(programs, supervisord_extra="") -> TendRun (not started); kills and removes them after."""
    runs = []

    def make(programs="", supervisord_extra=""):
        r = TendRun(spawn, programs, supervisord_extra)
        runs.append(r)
        return r
    yield make
    for r in runs:
        if r.p is not None and r.p.alive():
            kill_session(r.p.popen)
        r.close()


def need(path, package):
    if not os.access(path, os.X_OK):
        pytest.skip(f"needs {path} (Debian package {package}; scripts/install-deps.sh)")


def status_row(run, name):
    """(state, description) of `name` in Debian's supervisorctl status."""
    need(SUPERVISORCTL, "supervisor")
    _, out = run.ctl("status", name)
    for line in out.splitlines():
        parts = line.split(None, 2)
        if parts[:1] == [name]:
            return parts[1], parts[2] if len(parts) > 2 else ""
    return None, out
