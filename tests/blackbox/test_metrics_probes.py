"""/metrics, /healthz, /readyz and the remote rule of an open [inet_http_server] (issue 12).

One tend per module (the `tend` fixture) serves a unix and an inet (127.0.0.1) server, both with
credentials. Probes answer without them on both; /, /RPC2 and /metrics still need them. A scrape
passes `promtool check metrics` (Debian's prometheus package) and its values match known states:
a stopped program, a running one whose child holds 64 MiB, restarts after kills, RPC counters,
bytes written to stdout/stderr, the queue of an event listener that never reads. /readyz turns 503 when a program goes FATAL and 200 when it runs
again. The other fixture starts tend with an inet server open to every host and no credentials.
"""
import base64
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import xmlrpc.client
from pathlib import Path

import pytest

from conftest import TEND, UnixHTTPConnection, UnixTransport, free_port, kill_session, skip_by_design, wait_for

USER, PASSWORD = "metrics", "pw-for-tests"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}
HOG_BYTES = 64 << 20
OUT_BYTES, ERR_BYTES = 12345, 678

CONF = """
[unix_http_server]
file=%(here)s/s.sock
username={user}
password={password}

[inet_http_server]
port=127.0.0.1:{port}
username={user}
password={password}

[supervisord]
logfile=%(here)s/main.log
pidfile=%(here)s/d.pid
childlogdir=%(here)s
loglevel=info

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[program:idle]
command=/bin/sleep 100000
autostart=false

[program:hog]
command=/bin/sh -c '/usr/bin/python3 -c "import time; x = b\\"x\\" * {hog}; print(1, flush=True); time.sleep(1e6)"'
startsecs=0
stdout_logfile=%(here)s/hog.out

[program:writer]
command=/bin/sh -c 'head -c {out} /dev/zero | tr "\\000" o; head -c {err} /dev/zero | tr "\\000" e >&2; exec sleep 100000'
startsecs=0
stdout_logfile=%(here)s/writer.out
stderr_logfile=%(here)s/writer.err

[program:victim]
command=/bin/sleep 100000
startsecs=0
autorestart=true

[program:flag]
command=/bin/sh -c 'test -f %(here)s/flag || exit 1; exec sleep 100000'
startsecs=1
startretries=0

[eventlistener:listen]
command=/bin/sleep 100000
events=PROCESS_STATE
startsecs=0
"""


class Tend:
    def __init__(self, conf_text, port):
        self.dir = tempfile.mkdtemp(prefix="tmetr")
        self.port = port
        self.sock = os.path.join(self.dir, "s.sock")
        conf = os.path.join(self.dir, "t.conf")
        Path(conf).write_text(conf_text)
        Path(self.dir, "flag").write_text("")
        self.console = open(os.path.join(self.dir, "console.txt"), "wb")
        self.proc = subprocess.Popen([str(TEND), "-n", "-c", conf], stdout=self.console, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)

    def alive(self):
        if self.proc.poll() is not None:
            raise AssertionError("tend exited:\n" + Path(self.dir, "console.txt").read_text(errors="replace"))
        return True

    def request(self, path, where="inet", headers=None, method="GET"):
        """(status, headers dict, body text) of one request."""
        conn = UnixHTTPConnection(self.sock) if where == "unix" else http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, headers=headers or {})
            r = conn.getresponse()
            return r.status, dict(r.getheaders()), r.read().decode("utf-8", errors="replace")
        finally:
            conn.close()

    def rpc(self):
        url = f"http://{USER}:{PASSWORD}@localhost"
        return xmlrpc.client.ServerProxy(url, transport=UnixTransport(self.sock))

    def state(self, name):
        return self.rpc().supervisor.getProcessInfo(name)["statename"]

    def main_log(self):
        # Empty until tend has opened it: callers poll it right after the launch.
        p = Path(self.dir, "main.log")
        return p.read_text(errors="replace") if p.exists() else ""

    def stop(self):
        kill_session(self.proc)
        self.console.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def tend():
    if not TEND.exists():
        pytest.skip(f"missing {TEND}")
    port = free_port()
    t = Tend(CONF.format(user=USER, password=PASSWORD, port=port, hog=HOG_BYTES, out=OUT_BYTES, err=ERR_BYTES),
             port)

    def up():
        t.alive()
        try:
            return all(t.state(n) == "RUNNING" for n in ("hog", "writer", "victim", "flag"))
        except (OSError, xmlrpc.client.Error):
            return False

    try:
        wait_for(up, timeout=20, what="every autostart program RUNNING")
        yield t
    finally:
        t.stop()


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text):
    """{(name, frozenset of label pairs): value}; asserts every line is HELP/TYPE or a sample."""
    out = {}
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        labels = frozenset(LABEL.findall(m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def scrape(t):
    status, headers, body = t.request("/metrics", headers=AUTH)
    assert status == 200, body
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return body


def value(samples, metric, **labels):
    return samples.get((metric, frozenset(labels.items())))


def test_probes_need_no_credentials_on_either_server(tend):
    for where in ("unix", "inet"):
        status, headers, body = tend.request("/healthz", where)
        assert (status, body) == (200, "ok\n"), where
        assert headers["Cache-Control"] == "no-store"
        status, _, body = tend.request("/readyz", where)
        assert (status, body) == (200, "ready\n"), (where, body)
        assert tend.request("/ok.html", where)[0] == 401, where
        assert tend.request("/", where)[0] == 401, where
        assert tend.request("/metrics", where)[0] == 401, where
        assert tend.request("/RPC2", where, method="POST")[0] == 401, where
        assert tend.request("/healthz/x", where)[0] == 404
        assert tend.request("/readyz", where, method="POST")[0] == 405


def test_scrape_passes_promtool(tend):
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("missing promtool (Debian's prometheus package)")
    body = scrape(tend)
    r = subprocess.run([promtool, "check", "metrics"], input=body.encode(), capture_output=True, timeout=60)
    assert r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(), \
        f"promtool: {r.returncode}\n{r.stdout.decode()}\n{r.stderr.decode()}"


def test_states_and_trees(tend):
    s = parse(scrape(tend))
    for state in ("STOPPED", "STARTING", "RUNNING", "BACKOFF", "STOPPING", "EXITED", "FATAL", "UNKNOWN"):
        assert value(s, "tend_process_state", group="idle", name="idle", state=state) == (state == "STOPPED")
        assert value(s, "tend_process_state", group="hog", name="hog", state=state) == (state == "RUNNING")
    # The stopped program has no tree and was never started.
    assert value(s, "tend_process_cpu_seconds_total", group="idle", name="idle") is None
    assert value(s, "tend_process_start_time_seconds", group="idle", name="idle") is None
    assert value(s, "tend_process_restarts_total", group="idle", name="idle") == 0
    # hog is sh with a python child holding HOG_BYTES: the tree is both.
    assert value(s, "tend_process_tree_processes", group="hog", name="hog") == 2
    rss = value(s, "tend_process_resident_memory_bytes", group="hog", name="hog")
    assert HOG_BYTES <= rss < HOG_BYTES + (64 << 20), rss
    assert value(s, "tend_process_cpu_seconds_total", group="hog", name="hog") >= 0
    info = tend.rpc().supervisor.getProcessInfo("hog")
    assert value(s, "tend_process_start_time_seconds", group="hog", name="hog") == pytest.approx(info["start"], abs=1)
    assert value(s, "tend_resident_memory_bytes") > 0
    assert value(s, "tend_open_fds") > 0
    assert value(s, "tend_uptime_seconds") >= 0
    build = [k for k in s if k[0] == "tend_build_info"]
    assert len(build) == 1 and dict(build[0][1])["version"]


def test_log_bytes_per_stream(tend):
    def counted():
        s = parse(scrape(tend))
        return (value(s, "tend_process_log_bytes_total", group="writer", name="writer", stream="stdout"),
                value(s, "tend_process_log_bytes_total", group="writer", name="writer", stream="stderr"))

    wait_for(lambda: counted() == (OUT_BYTES, ERR_BYTES), what=lambda: f"log bytes {counted()}")
    assert Path(tend.dir, "writer.out").stat().st_size == OUT_BYTES


def test_restarts_after_kills(tend):
    for n in (1, 2):
        pid = tend.rpc().supervisor.getProcessInfo("victim")["pid"]
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: tend.rpc().supervisor.getProcessInfo("victim")["pid"] not in (0, pid)
                 and tend.state("victim") == "RUNNING", what=f"victim restarted {n}")
    s = parse(scrape(tend))
    assert value(s, "tend_process_restarts_total", group="victim", name="victim") == 2
    assert value(s, "tend_process_last_exit_status", group="victim", name="victim") == 128 + signal.SIGKILL


def test_rpc_counter_and_histogram(tend):
    def count(s):
        return value(s, "tend_rpc_requests_total", method="supervisor.getPID") or 0

    before = count(parse(scrape(tend)))
    for _ in range(3):
        tend.rpc().supervisor.getPID()
    with pytest.raises(xmlrpc.client.Fault):
        tend.rpc().supervisor.noSuchMethod()
    s = parse(scrape(tend))
    assert count(s) == before + 3
    assert value(s, "tend_rpc_request_duration_seconds_count", method="supervisor.getPID") == before + 3
    assert value(s, "tend_rpc_request_duration_seconds_bucket", method="supervisor.getPID", le="+Inf") == before + 3
    assert value(s, "tend_rpc_requests_total", method="other") >= 1  # unknown names are pooled


def test_event_listener_queue_depth(tend):
    # The listener never says READY: the state changes of the programs wait in its pool's buffer.
    s = parse(scrape(tend))
    depth = value(s, "tend_eventlistener_queue_events", pool="listen")
    assert depth is not None and 1 <= depth <= 10, depth  # buffer_size defaults to 10


def test_readyz_follows_a_fatal_program(tend):
    Path(tend.dir, "flag").unlink()
    os.kill(tend.rpc().supervisor.getProcessInfo("flag")["pid"], signal.SIGKILL)
    wait_for(lambda: tend.state("flag") == "FATAL", what="flag FATAL")
    status, _, body = tend.request("/readyz", "unix")
    assert status == 503
    assert body == "not ready:\nflag FATAL\n"
    Path(tend.dir, "flag").write_text("")
    tend.rpc().supervisor.startProcess("flag")  # waits for RUNNING
    assert tend.request("/readyz", "inet")[:3:2] == (200, "ready\n")


OPEN_CONF = """
[unix_http_server]
file=%(here)s/s.sock

[inet_http_server]
port=*:{port}
{extra}

[supervisord]
logfile=%(here)s/main.log
pidfile=%(here)s/d.pid
loglevel=info

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[program:sleeper]
command=/bin/sleep 100000
startsecs=0
"""


def other_local_address():
    """An IPv4 address of this host that is not loopback, or None."""
    out = subprocess.run(["ip", "-o", "-4", "addr"], capture_output=True, text=True, check=False).stdout
    for m in re.finditer(r"inet (\d+\.\d+\.\d+\.\d+)/", out):
        if not m.group(1).startswith("127."):
            return m.group(1)
    return None


def get_from(source, port, path):
    with socket.create_connection((source, port), timeout=10, source_address=(source, 0)) as s:
        s.sendall(f"GET {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode()


@pytest.fixture(params=["", "allow_remote_without_auth = true"], ids=["default", "allowed"])
def open_tend(request):
    if not TEND.exists():
        pytest.skip(f"missing {TEND}")
    port = free_port()
    t = Tend(OPEN_CONF.format(port=port, extra=request.param), port)
    try:
        wait_for(lambda: t.alive() and "success: sleeper entered RUNNING" in t.main_log(), timeout=20,
                 what="tend up with its open inet server")
        yield t, bool(request.param)
    finally:
        t.stop()


def test_open_inet_server_starts_and_serves_loopback(open_tend):
    t, allowed = open_tend
    status, _, body = t.request("/ok.html")  # from 127.0.0.1
    assert (status, body) == (200, "OK")
    log = t.main_log()
    if allowed:
        assert "CRIT Server 'inet_http_server' running without any HTTP authentication checking" in log
        assert "others get 401" not in log
    else:
        line = [x for x in log.splitlines() if "others get 401" in x]
        assert len(line) == 1, log
        assert " WARN " in line[0] and "[inet_http_server] port *:" in line[0], line[0]
        assert "set username and password" in line[0]
    other = other_local_address()
    if other is None:
        skip_by_design("this host has no IPv4 address but loopback to play a remote client from")
    status, body = get_from(other, t.port, "/ok.html")
    if allowed:
        assert (status, body) == (200, "OK")
    else:
        assert status == 401
        assert "username" in body and "allow_remote_without_auth = true" in body, body
        assert get_from(other, t.port, "/healthz") == (200, "ok\n")
