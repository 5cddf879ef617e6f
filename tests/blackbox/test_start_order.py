"""depends_on end to end: `tend -n -c conf` with a chain a <- b <- c whose programs record their start
and their SIGTERM in one file, driven by Debian's supervisorctl, tendctl and XML-RPC.

Each program writes "start NAME" the moment it runs; with supervisord's readiness rule
(`startsecs=1`) its dependent is spawned only once it has been up for a second, so the recorded
order is the order tend chose. A stop is recorded by the program's TERM handler, and a dependency
is only signalled once its dependent has exited. Priorities are the reverse of the chain, so that
an order by priority alone would be the wrong one in both directions.
"""
import os
import re
import signal
import subprocess
import time
import xmlrpc.client
from pathlib import Path

import pytest

from conftest import BUILD, read_text, wait_for

TENDCTL = BUILD / "tendctl"
SUPERVISORCTL = "/usr/bin/supervisorctl"

# Writes "start NAME", then "stop NAME" on SIGTERM (sent to its whole group, so the sleep dies
# with it and the trap runs at once).
PROGRAM = """
[program:{name}]
command=/bin/sh -c 'trap "echo stop {name} >> {dir}/order; exit 0" TERM; echo start {name} >> {dir}/order; while :; do sleep 0.2; done'
priority={priority}
autostart={autostart}
startsecs=1
stopasgroup=true
stopwaitsecs=5
{extra}
"""


def chain(dir, autostart=True):
    """a <- b <- c; priorities 300, 200, 100."""
    return "".join(PROGRAM.format(name=n, dir=dir, priority=p, autostart=str(autostart).lower(), extra=e)
                   for n, p, e in (("a", 300, ""), ("b", 200, "depends_on=a"), ("c", 100, "depends_on = b:ready")))


class Tend:
    def __init__(self, spawn, dir, programs):
        self.dir = Path(dir)
        self.sock = self.dir / "s.sock"
        self.conf = self.dir / "tend.conf"
        self.conf.write_text(f"""
[unix_http_server]
file={self.sock}

[supervisord]
logfile={self.dir}/main.log
pidfile={self.dir}/tend.pid
childlogdir={self.dir}
loglevel=info

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{self.sock}
""" + programs)
        self.p = spawn([BUILD / "tend", "-n", "-c", self.conf], cwd=self.dir)
        wait_for(self.up, 15, what=self.context)

    def up(self):
        if not self.p.alive():
            raise AssertionError(f"tend exited\n{self.context()}")
        try:
            return self.rpc().supervisor.getState()["statename"] == "RUNNING"
        except (OSError, xmlrpc.client.Error):
            return False

    def rpc(self):
        transport = pytest.importorskip("supervisor.xmlrpc").SupervisorTransport(None, None, f"unix://{self.sock}")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    def info(self, name):
        return self.rpc().supervisor.getProcessInfo(name)

    def wait_state(self, name, state, timeout=15):
        wait_for(lambda: self.info(name)["statename"] == state, timeout,
                 what=lambda: f"{name} {state} (is {self.info(name)}):\n{self.context()}")

    def order(self):
        return read_text(self.dir / "order").split("\n")[:-1]

    def ctl(self, *args):
        p = subprocess.run([SUPERVISORCTL, "-c", self.conf, *args], capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout

    def tendctl(self, *args):
        p = subprocess.run([TENDCTL, "-c", self.conf, *args], capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout

    def context(self):
        return f"--- main.log ---\n{read_text(self.dir / 'main.log')[-4000:]}\n--- order ---\n{self.order()}"

    def shutdown(self):
        self.p.send(signal.SIGTERM)
        assert self.p.wait(30) == 0, self.context()


@pytest.fixture
def tend(spawn, tmp_path):
    if not os.access(BUILD / "tend", os.X_OK):
        pytest.fail(f"{BUILD / 'tend'} is not built (set TEND_BUILD)")
    return lambda programs: Tend(spawn, tmp_path, programs)


def test_a_chain_starts_in_dependency_order_and_stops_in_reverse(tend, tmp_path):
    t = tend(chain(tmp_path))
    t.wait_state("c", "RUNNING")
    assert t.order() == ["start a", "start b", "start c"], t.context()
    t.shutdown()
    assert t.order()[3:] == ["stop c", "stop b", "stop a"], t.context()


def test_supervisorctl_start_starts_the_dependencies_first_and_stop_all_stops_in_reverse(tend, tmp_path):
    if not os.path.exists(SUPERVISORCTL):
        pytest.skip("needs Debian's supervisor package")
    t = tend(chain(tmp_path, autostart=False) + PROGRAM.format(name="solo", dir=tmp_path, priority=999,
                                                               autostart="false", extra=""))
    rc, out = t.ctl("start", "c")
    assert (rc, out) == (0, "c: started\n"), t.context()
    # startProcess(wait) answered once c was RUNNING, and a and b came first.
    assert t.info("c")["statename"] == "RUNNING"
    assert [t.info(n)["statename"] for n in ("a", "b", "solo")] == ["RUNNING", "RUNNING", "STOPPED"]
    assert t.order() == ["start a", "start b", "start c"], t.context()
    rc, out = t.ctl("stop", "all")
    assert rc == 0 and sorted(out.splitlines()) == ["a: stopped", "b: stopped", "c: stopped"], out
    assert t.order()[3:] == ["stop c", "stop b", "stop a"], t.context()
    t.shutdown()


GATED = """
[program:a]
command=/bin/sleep 1000
startsecs=5

[program:b]
command=/bin/sleep 1000
depends_on=a
startsecs=0

[program:plain]
command=/bin/sleep 1000
startsecs=0

[program:never]
command=/bin/sleep 1000
autostart=false
ready=file:{dir}/never
ready_timeout=600
"""


def test_descriptions_tend_namespace_and_tendctl_health(tend, tmp_path):
    t = tend(GATED.format(dir=tmp_path))
    t.wait_state("plain", "RUNNING")
    # a takes 5 s (startsecs) to be ready; until then b waits.
    assert t.info("b")["statename"] == "STOPPED"
    assert t.info("b")["description"] == "waiting for a (ready)"
    assert (t.info("a")["statename"], t.info("a")["description"]) == ("STARTING", "")
    # No check and no note: supervisord's text exactly.
    assert re.fullmatch(r"pid \d+, uptime \d+:\d\d:\d\d", t.info("plain")["description"])
    h = t.rpc().tend.getProcessHealth("b")
    assert (h["waiting_for"], h["depends_on"], h["ready"]) == ("a (ready)", [{"name": "a", "condition": "ready"}],
                                                               False)
    assert {"tend.getProcessHealth", "tend.getAllProcessHealth"} <= set(t.rpc().system.listMethods())

    rc, out = t.tendctl("health")
    assert rc == 1, out
    assert sorted(out.splitlines()) == ["a: STARTING, not ready", "b: STOPPED, waiting for a (ready)"], out
    if os.path.exists(SUPERVISORCTL):
        rc, out = t.ctl("status", "b")
        assert re.fullmatch(r"b +STOPPED +waiting for a \(ready\)\n", out), out

    t.wait_state("b", "RUNNING")
    assert t.rpc().tend.getProcessHealth("a")["ready"] is True
    rc, out = t.tendctl("health")
    assert (rc, out) == (0, "ok (3 processes)\n")

    # A readiness check that never passes: STARTING, described as not ready.
    assert t.rpc().supervisor.startProcess("never", False) is True
    assert (t.info("never")["statename"], t.info("never")["description"]) == ("STARTING", "not ready")
    assert t.rpc().tend.getProcessHealth("never")["ready_check"] == "file"
    assert t.tendctl("health") == (0, "ok (3 processes)\n")  # autostart=false: not counted
    assert t.tendctl("health", "never") == (1, "never: STARTING, not ready\n")
    t.shutdown()
    rc, out = t.tendctl("health")
    assert rc == 1 and out.startswith("error: "), out
