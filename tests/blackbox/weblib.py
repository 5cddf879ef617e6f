"""Helpers for the web console tests: a supervisor (tend or supervisord) with an inet HTTP server on a
loopback port, plain HTTP requests that follow nothing, and a raw server-sent events reader."""
import http.client
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import xmlrpc.client
from pathlib import Path

from conftest import SUPERVISORD, TEND, free_port, kill_session, namespec


class WebDaemon:
    """`kind` ("tend" or "supervisord") -n on `programs`, with [inet_http_server] on 127.0.0.1."""

    def __init__(self, kind, programs, auth=None):
        self.kind = kind
        self.dir = tempfile.mkdtemp(prefix="tweb" + kind[0])
        self.port = free_port()
        self.auth = auth
        creds = f"username={auth[0]}\npassword={auth[1]}\n" if auth else ""
        conf = f"""
[inet_http_server]
port=127.0.0.1:{self.port}
{creds}
[supervisord]
logfile=%(here)s/main.log
pidfile=%(here)s/d.pid
childlogdir=%(here)s
loglevel=info

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=http://127.0.0.1:{self.port}
{programs}
"""
        self.conf = os.path.join(self.dir, "sup.conf")
        Path(self.conf).write_text(conf)
        self.out = open(os.path.join(self.dir, "console.txt"), "wb")
        exe = SUPERVISORD if kind == "supervisord" else str(TEND)
        self.proc = subprocess.Popen([exe, "-n", "-c", self.conf], stdout=self.out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)

    def console(self):
        return Path(self.dir, "console.txt").read_text(errors="replace")

    def rpc(self):
        if self.auth:
            url = f"http://{self.auth[0]}:{self.auth[1]}@127.0.0.1:{self.port}/RPC2"
        else:
            url = f"http://127.0.0.1:{self.port}/RPC2"
        return xmlrpc.client.ServerProxy(url)

    def wait_ready(self, running=(), timeout=20):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.kind} exited:\n{self.console()}")
            try:
                infos = self.rpc().supervisor.getAllProcessInfo()
                states = {namespec(i): i["statename"] for i in infos}
                last = states
                if all(s not in ("STARTING", "BACKOFF", "STOPPING") for s in states.values()) and \
                        all(states.get(n) == "RUNNING" for n in running):
                    return
            except (OSError, xmlrpc.client.Error) as e:
                last = e
            time.sleep(0.05)
        raise AssertionError(f"{self.kind} did not settle: {last}\n{self.console()}")

    def state(self, name):
        return self.rpc().supervisor.getProcessInfo(name)["statename"]

    def ctl(self, *args):
        return subprocess.run(["/usr/bin/supervisorctl", "-c", self.conf, *args], capture_output=True, text=True,
                              timeout=60)

    def request(self, method, target, body=None, headers=None, timeout=60):
        """(status, {lower-case header: value}, body bytes); redirects are not followed."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, target, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def get(self, target, headers=None):
        return self.request("GET", target, headers=headers)

    def stop(self):
        kill_session(self.proc)
        self.out.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class EventStream:
    """A GET of a text/event-stream read over a raw socket; next_event() parses one frame at a time."""

    def __init__(self, port, target, headers=""):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=15)
        self.sock.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{headers}\r\n".encode())
        self.buf = b""
        head = self._read_until(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
        self.chunked = self.headers.get("transfer-encoding") == "chunked"
        self.body = b""

    def _read_until(self, sep):
        while sep not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise AssertionError(f"stream closed; have {self.buf!r}")
            self.buf += data
        out, _, self.buf = self.buf.partition(sep)
        return out

    def _more_body(self):
        if not self.chunked:
            data = self.sock.recv(65536)
            if not data:
                raise AssertionError("stream closed")
            self.body += data
            return
        size = int(self._read_until(b"\r\n"), 16)
        if size == 0:
            raise AssertionError("stream ended")
        while len(self.buf) < size + 2:
            data = self.sock.recv(65536)
            if not data:
                raise AssertionError("stream closed inside a chunk")
            self.buf += data
        self.body += self.buf[:size]
        self.buf = self.buf[size + 2:]

    def next_event(self):
        """(event name, parsed JSON data)."""
        while b"\n\n" not in self.body:
            self._more_body()
        frame, _, self.body = self.body.partition(b"\n\n")
        name, data = None, None
        for line in frame.decode("utf-8").split("\n"):
            field, _, value = line.partition(": ")
            if field == "event":
                name = value
            elif field == "data":
                data = json.loads(value)
        return name, data

    def wait_event(self, pred, limit=200):
        """The first event (name, data) for which pred(name, data) is true."""
        seen = []
        for _ in range(limit):
            name, data = self.next_event()
            if pred(name, data):
                return name, data
            seen.append(name)
        raise AssertionError(f"no matching event among {seen}")

    def close(self):
        self.sock.close()
