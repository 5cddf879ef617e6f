"""Readiness, watchdog and health checks, black-box: `tend -n -c conf` with real clients.

The real sd_notify client (Debian's systemd-notify, which waits for its BARRIER=1 to be answered)
from a shell wrapper, s6-notifyoncheck (Debian's s6) in an s6 service directory, a TCP server that
listens only after a delay, an HTTP server that answers 503 until told otherwise, exec and file
probes, the ready timeout's log lines, the watchdog, and health checks that start failing.

A program is ready when tend's state for it is RUNNING (XML-RPC getProcessInfo); each test checks
that RUNNING is never seen before the program did what makes it ready (a marker it writes first).
"""
import http.client
import os
import re
import signal
import socket
import sys
import textwrap
import time
import xmlrpc.client
from pathlib import Path

import pytest

from conftest import FIXTURES, TEND, free_port, read_text, wait_for

READY_APP = FIXTURES / "ready_app.py"


class UnixTransport(xmlrpc.client.Transport):
    def __init__(self, path):
        super().__init__()
        self.path = path

    def make_connection(self, host):
        path = self.path

        class Conn(http.client.HTTPConnection):
            def connect(self):
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.settimeout(5)
                self.sock.connect(path)

        return Conn("localhost")


class Tend:
    """One `tend -n` in `dir` with a control socket; the main log is `dir/main.log`."""

    def __init__(self, spawn, dir, programs):
        if not os.access(TEND, os.X_OK):
            pytest.fail(f"{TEND} is not built (set TEND_BUILD or run make)")
        self.dir = Path(dir)
        self.log = self.dir / "main.log"
        self.sock = self.dir / "tend.sock"
        conf = self.dir / "tend.conf"
        conf.write_text(f"[supervisord]\nlogfile={self.log}\npidfile={self.dir}/tend.pid\n"
                        f"childlogdir={self.dir}\nloglevel=info\n"
                        f"[unix_http_server]\nfile={self.sock}\n"
                        "[rpcinterface:supervisor]\n"
                        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
                        + textwrap.dedent(programs))
        self.p = spawn([TEND, "-n", "-c", conf], cwd=self.dir)

    def rpc(self):
        return xmlrpc.client.ServerProxy("http://localhost", transport=UnixTransport(str(self.sock)))

    def info(self, name):
        try:
            return self.rpc().supervisor.getProcessInfo(name)
        except (OSError, xmlrpc.client.Error):
            if not self.p.alive():
                raise AssertionError(f"tend exited (rc {self.p.popen.returncode})\n{self.context()}")
            return None

    def state(self, name):
        i = self.info(name)
        return i["statename"] if i else None

    def wait_state(self, name, state, timeout=15.0, before=None):
        """Waits for `state`; `before()` (if given) must hold every time the state is seen."""
        def reached():
            s = self.state(name)
            if s == state and before is not None:
                assert before(), f"{name} was {state} too early\n{self.context()}"
            return s == state
        try:
            wait_for(reached, timeout, what=f"{name} {state}")
        except AssertionError as e:
            raise AssertionError(f"{e} (now {self.state(name)})\n{self.context()}") from None

    def text(self):
        return read_text(self.log)

    def wait_log(self, pattern, timeout=15.0, count=1):
        rx = re.compile(pattern)

        def found():
            hits = [line for line in self.text().splitlines() if rx.search(line)]
            if len(hits) >= count:
                return hits
            if not self.p.alive():
                raise AssertionError(f"tend exited before {pattern!r}\n{self.context()}")
            return None
        try:
            return wait_for(found, timeout, what=f"{count}x {pattern!r} in the main log")
        except AssertionError as e:
            raise AssertionError(f"{e}\n{self.context()}") from None

    def pids(self, name):
        return [int(m) for m in re.findall(rf"spawned: '{re.escape(name)}' with pid (\d+)", self.text())]

    def context(self):
        return f"--- main log ---\n{self.text()[-5000:]}\n{self.p.describe()}"

    def stop(self, timeout=20.0):
        self.p.send(signal.SIGTERM)
        return self.p.wait(timeout)


@pytest.fixture
def tend(spawn, tmp_path):
    def _tend(programs):
        return Tend(spawn, tmp_path, programs)
    return _tend


def need(path, package):
    if not os.access(path, os.X_OK):
        pytest.skip(f"{path} missing (Debian's {package} package; scripts/install-deps.sh)")


# ---------------------------------------------------------------------------------------------
# sd_notify

def test_systemd_notify_ready_from_a_shell_wrapper(tend, tmp_path):
    need("/usr/bin/systemd-notify", "systemd")
    t = tend(f"""
        [program:app]
        command=sh -c 'sleep 0.3; touch {tmp_path}/notifying; systemd-notify --ready --status="serving 3 clients"; echo "rc=$?" > {tmp_path}/rc; exec sleep 1000'
        ready=notify
        """)
    t.wait_state("app", "RUNNING", before=lambda: (tmp_path / "notifying").exists())
    t.wait_log(r"success: app entered RUNNING state, process reported ready")
    # systemd-notify sent BARRIER=1 after READY=1 and waited for tend to close the fd it passed:
    # without that it fails after 5 s with a non-zero status.
    wait_for(lambda: read_text(tmp_path / "rc"), 10, what="systemd-notify's exit status")
    assert read_text(tmp_path / "rc") == "rc=0\n", t.context()
    assert t.stop() == 0


def test_notify_socket_is_abstract_and_only_the_programs_tree_may_use_it(tend, tmp_path):
    t = tend(f"""
        [program:app]
        command=sh -c 'echo "$NOTIFY_SOCKET" > {tmp_path}/addr; exec sleep 1000'
        ready=notify
        ready_timeout=30
        """)
    address = wait_for(lambda: read_text(tmp_path / "addr").strip(), 10, what="NOTIFY_SOCKET")
    assert address.startswith("@tend/notify/app/"), address
    # This test process is no descendant of the program: its READY=1 is dropped, and logged once.
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        for _ in range(3):
            s.sendto(b"READY=1", "\0" + address[1:])
    t.wait_log(rf"app: dropped a message on its notify socket from pid {os.getpid()}: not the program")
    time.sleep(0.3)  # a window for a wrong RUNNING to show (the behaviour under test is "nothing")
    assert t.state("app") == "STARTING"
    assert len(re.findall("dropped a message", t.text())) == 1, t.context()
    assert t.stop() == 0


def test_watchdog_timeout_restarts_the_program(tend, tmp_path):
    t = tend(f"""
        [program:app]
        command={sys.executable} {READY_APP} watchdog 4 {tmp_path}/env
        ready=notify
        watchdog_sec=1
        """)
    t.wait_state("app", "RUNNING")
    assert read_text(tmp_path / "env") == "1000000"  # WATCHDOG_USEC, for sd_watchdog_enabled()
    t.wait_log(r"WARN app: watchdog timeout: no WATCHDOG=1 for 1s; restarting it")
    first = t.pids("app")[0]
    t.wait_log(r"spawned: 'app' with pid", count=2)
    t.wait_state("app", "RUNNING")
    assert t.pids("app")[1] != first
    assert t.stop() == 0


# ---------------------------------------------------------------------------------------------
# s6 notification-fd

def test_a_newline_on_the_notification_fd(tend, tmp_path):
    t = tend(f"""
        [program:app]
        command=sh -c 'sleep 0.3; touch {tmp_path}/notifying; echo >&5; exec sleep 1000'
        ready=fd:5
        """)
    t.wait_state("app", "RUNNING", before=lambda: (tmp_path / "notifying").exists())
    assert t.stop() == 0


def make_service_dir(svc, check):
    """An s6 service directory as s6-notifyoncheck needs it (docs/containers.md)."""
    (svc / "supervise").mkdir(parents=True)
    (svc / "event").mkdir()
    (svc / "data").mkdir()
    (svc / "notification-fd").write_text("3\n")
    (svc / "data" / "check").write_text(f"#!/bin/sh\n{check}\n")
    (svc / "data" / "check").chmod(0o755)


def notifyoncheck_pollers(svc):
    """Live s6-notifyoncheck processes working in `svc` (its polling child stays one)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            comm = Path(f"/proc/{entry}/comm").read_text().strip()
            cwd = os.readlink(f"/proc/{entry}/cwd")
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if comm.startswith("s6-notifyonch") and cwd == str(svc) and state != "Z":  # comm: 15 chars
            found.append(int(entry))
    return found


def test_s6_notifyoncheck_in_a_service_directory(tend, tmp_path):
    need("/usr/bin/s6-notifyoncheck", "s6")
    svc = tmp_path / "svc"
    make_service_dir(svc, f"test -e {svc}/up")
    t = tend(f"""
        [program:app]
        command=s6-notifyoncheck -w 100 sh -c 'sleep 0.5; touch {svc}/up; exec sleep 1000'
        directory={svc}
        ready=fd:3
        """)
    # Had the lock not been held, s6-notifyoncheck would have died at once ("s6-supervise not running").
    t.wait_state("app", "RUNNING", before=lambda: (svc / "up").exists())
    assert t.stop() == 0


def test_s6_notifyoncheck_poller_ends_when_the_program_goes_down(tend, tmp_path):
    need("/usr/bin/s6-notifyoncheck", "s6")
    svc = tmp_path / "svc"
    make_service_dir(svc, "exit 1")  # never ready
    t = tend(f"""
        [program:app]
        command=s6-notifyoncheck -d -n 0 -w 100 sleep 1000
        directory={svc}
        ready=fd:3
        ready_timeout=1
        startretries=0
        """)
    wait_for(lambda: notifyoncheck_pollers(svc), 10, what="the s6-notifyoncheck poller")
    t.wait_state("app", "FATAL")
    # tend wrote 'd' into event/ once the program was down: the poller (not in the program's
    # process group's stop: it is double-forked) stops by itself.
    wait_for(lambda: not notifyoncheck_pollers(svc), 10, what="the poller to exit")
    assert t.stop() == 0


# ---------------------------------------------------------------------------------------------
# probes

def test_tcp_probe_waits_for_a_listener_that_comes_late(tend, tmp_path):
    port = free_port()
    t = tend(f"""
        [program:app]
        command={sys.executable} {READY_APP} tcp-after 1.0 {port} {tmp_path}/listening
        ready=tcp:127.0.0.1:{port}
        ready_interval=0.05
        startsecs=0
        """)
    t.wait_state("app", "RUNNING", before=lambda: (tmp_path / "listening").exists())
    assert t.stop() == 0


def test_http_probe_needs_a_2xx(tend, tmp_path):
    port = free_port()
    t = tend(f"""
        [program:app]
        command={sys.executable} {READY_APP} http {port} {tmp_path}/ok {tmp_path}/requests {tmp_path}/serving
        ready=http://localhost:{port}/healthz
        ready_interval=0.05
        """)
    wait_for(lambda: read_text(tmp_path / "requests").count("503") >= 3, 10, what="three 503 answers")
    assert t.state("app") == "STARTING"
    (tmp_path / "ok").touch()
    t.wait_state("app", "RUNNING")
    assert "/healthz 200\n" in read_text(tmp_path / "requests")
    assert t.stop() == 0


def test_exec_probe(tend, tmp_path):
    t = tend(f"""
        [program:app]
        command=sleep 1000
        ready=exec:sh -c 'echo probe >> {tmp_path}/probes; test -e {tmp_path}/ok'
        ready_interval=0.05
        """)
    wait_for(lambda: read_text(tmp_path / "probes").count("probe") >= 3, 10, what="three probes")
    assert t.state("app") == "STARTING"
    (tmp_path / "ok").touch()
    t.wait_state("app", "RUNNING")
    assert t.stop() == 0


def test_file_probe(tend, tmp_path):
    t = tend(f"""
        [program:app]
        command=sh -c 'sleep 0.5; echo $$ > {tmp_path}/app.pid; exec sleep 1000'
        ready=file:{tmp_path}/app.pid
        ready_interval=0.05
        """)
    t.wait_state("app", "RUNNING", before=lambda: (tmp_path / "app.pid").exists())
    assert t.stop() == 0


def test_not_ready_in_time_is_a_failed_start_then_fatal(tend, tmp_path):
    port = free_port()  # nothing listens there
    t = tend(f"""
        [program:app]
        command=sleep 1000
        ready=tcp:127.0.0.1:{port}
        ready_timeout=0.5
        startretries=1
        """)
    t.wait_state("app", "FATAL")
    t.wait_log(r"WARN app was not ready within 0.5 seconds \(ready_timeout\); stopping it", count=2)
    t.wait_log(rf"WARN app: readiness check tcp:127.0.0.1:{port} did not pass in time: connection refused",
               count=2)
    t.wait_log(r"gave up: app entered FATAL state")
    assert t.info("app")["spawnerr"] == "not ready within 0.5 seconds (ready_timeout)"
    assert t.stop() == 0


# ---------------------------------------------------------------------------------------------
# health checks

# The start period covers the instant between RUNNING and the shell's touch.
HEALTHY = """
        [program:app]
        command=sh -c 'touch {dir}/healthy; exec sleep 1000'
        startsecs=0
        healthcheck=file:{dir}/healthy
        healthcheck_interval=0.1
        healthcheck_retries=2
        healthcheck_start_period=5
        healthcheck_action={action}
        """


def test_a_failing_health_check_restarts_the_program(tend, tmp_path):
    t = tend(HEALTHY.format(dir=tmp_path, action="restart"))
    t.wait_log(r"INFO app: healthy \(health check file:.*/healthy passed\)")
    first = t.pids("app")[0]
    (tmp_path / "healthy").unlink()
    t.wait_log(rf"WARN app: unhealthy \(2 failures: {tmp_path}/healthy: no such file or directory; "
               rf"health check file:{tmp_path}/healthy\); restarting it \(healthcheck_action=restart\)")
    t.wait_log(r"spawned: 'app' with pid", count=2)
    assert t.pids("app")[1] != first
    t.wait_log(r"INFO app: healthy", count=2)  # the new run recreated the file
    assert t.stop() == 0


def test_healthcheck_action_shutdown_makes_tend_exit_1(tend, tmp_path):
    t = tend(HEALTHY.format(dir=tmp_path, action="shutdown") + """
        [program:other]
        command=sleep 1000
        startsecs=0
        """)
    t.wait_log(r"INFO app: healthy")
    t.wait_state("other", "RUNNING")
    (tmp_path / "healthy").unlink()
    assert t.p.wait(20) == 1, t.context()
    assert re.search(r"WARN app: unhealthy \(2 failures: .*\); shutting tend down", t.text())
    assert re.search(r"stopped: other", t.text()), t.context()
