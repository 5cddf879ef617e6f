"""Helpers for the event listener tests (test_events*.py): both supervisors side by side on the
same config, the listeners' records, and the normalisation that makes their streams comparable.

Debian's supervisord 4.2.5 is the oracle: every scenario is driven on both products at once (one
step on both, then a bounded wait on both), so a product that fails a step is dropped from the
rest of the scenario with the reason recorded, and the other one carries on. The tests then assert
on each product's records; tend's are compared with supervisord's.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import xmlrpc.client
from pathlib import Path

from supervisor.xmlrpc import SupervisorTransport

from conftest import FIXTURES, kill_session, namespec
from test_rpc import SUPERVISORD, TEND, make_conf

EV = FIXTURES / "events"
PY = "/usr/bin/python3"
KINDS = ("supervisord", "tend")
SUPERVISORCTL = "/usr/bin/supervisorctl"


class EvDaemon:
    """supervisord or tend, -n, in its own temp dir; `prefix` runs it under another command
    (e.g. unshare). `programs` is the config text after the standard sections; `%(here)s` is
    the temp dir. Its stdout (and stderr, unless `separate_stderr`: then console.err) goes to
    console.txt. stop() kills it and everything it started."""

    def __init__(self, kind, programs, prefix=(), supervisord_extra="", env=None, separate_stderr=False):
        self.kind = kind
        self.dir = tempfile.mkdtemp(prefix="tev" + kind[0])
        self.conf = os.path.join(self.dir, "sup.conf")
        self.sock = os.path.join(self.dir, "s.sock")
        self.supervisord_extra = supervisord_extra
        self.write_conf(programs)
        self.out = open(os.path.join(self.dir, "console.txt"), "wb")
        self.err = open(os.path.join(self.dir, "console.err"), "wb") if separate_stderr else None
        exe = SUPERVISORD if kind == "supervisord" else TEND
        self.proc = subprocess.Popen([*prefix, exe, "-n", "-c", self.conf], stdout=self.out,
                                     stderr=self.err or subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True, env=env)

    def write_conf(self, programs):
        Path(self.conf).write_text(make_conf(programs, "", self.supervisord_extra))

    def path(self, name):
        return os.path.join(self.dir, name)

    def rpc(self, timeout=None):
        transport = SupervisorTransport(None, None, "unix://" + self.sock)
        if timeout is not None:
            transport.timeout = timeout
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    def console(self):
        return Path(self.dir, "console.txt").read_text(errors="replace")

    def main_log(self):
        return Path(self.dir, "main.log").read_text(errors="replace") if os.path.exists(self.path("main.log")) else ""

    def describe(self):
        return f"{self.kind} console (last 3000 chars):\n{self.console()[-3000:]}"

    def wait_ready(self, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.kind} exited with {self.proc.returncode}")
            try:
                if self.rpc().supervisor.getState()["statename"] == "RUNNING":
                    return
            except (OSError, xmlrpc.client.Error):
                pass
            time.sleep(0.05)
        raise AssertionError(f"{self.kind} did not answer getState within {timeout}s")

    def infos(self):
        return {namespec(i): i for i in self.rpc().supervisor.getAllProcessInfo()}

    def state(self, name):
        info = self.infos().get(name)
        return info["statename"] if info else None

    def stop(self):
        kill_session(self.proc)
        self.out.close()
        if self.err:
            self.err.close()
        if os.environ.get("TEND_EVENTS_KEEP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)


class Side:
    """One product's run of a scenario: its daemon and, once a step failed, why."""

    def __init__(self, kind, daemon):
        self.kind = kind
        self.d = daemon
        self.error = None
        self.data = {}

    def fail(self, step, why):
        if self.error is None:
            self.error = f"step '{step}': {why}"


class Pair:
    """Both products through the same steps. A step or wait that fails on one product records
    the reason on that Side and drops it from the later steps; the other goes on."""

    def __init__(self, sides):
        self.sides = sides

    def live(self):
        return [s for s in self.sides if s.error is None]

    def each(self, step, fn):
        for s in self.live():
            try:
                fn(s)
            except Exception as exc:  # noqa: BLE001 - recorded, reported by the tests
                s.fail(step, f"{type(exc).__name__}: {exc}")

    def wait(self, step, pred, timeout=15.0, interval=0.05):
        """Until pred(side) is truthy on every live side (a side whose pred raises or that is
        still false at the deadline fails this step)."""
        deadline = time.monotonic() + timeout
        pending = self.live()
        last = {}
        while pending:
            for s in list(pending):
                try:
                    if s.d.proc.poll() is not None:
                        s.fail(step, f"{s.kind} exited with status {s.d.proc.returncode}")
                        pending.remove(s)
                    elif pred(s):
                        pending.remove(s)
                except Exception as exc:  # noqa: BLE001 - retried until the deadline
                    last[s.kind] = f"{type(exc).__name__}: {exc}"
            if not pending:
                return
            if time.monotonic() > deadline:
                for s in pending:
                    s.fail(step, f"not reached within {timeout}s" + (f" (last error: {last[s.kind]})"
                                                                     if s.kind in last else ""))
                return
            time.sleep(interval)


def start_pair(request, programs, kinds=KINDS, ready=True, **kw):
    """Both products on `programs` (a str, or a function kind -> str); returns a Pair. A product
    that does not come up is recorded as failed, not raised."""
    sides = []
    for kind in kinds:
        text = programs(kind) if callable(programs) else programs
        sides.append(Side(kind, EvDaemon(kind, text, **kw)))
    request.addfinalizer(lambda: [s.d.stop() for s in sides])
    pair = Pair(sides)
    if ready:
        pair.each("start", lambda s: s.d.wait_ready())
    return pair


def side_of(pair, kind):
    return next(s for s in pair.sides if s.kind == kind)


def oracle_ok(side):
    """Fails the test when the supervisord run itself failed (the comparison is then void)."""
    assert side.error is None, f"supervisord (the oracle) failed: {side.error}\n{side.d.describe()}"


def check_side(side):
    assert side.error is None, f"{side.kind}: {side.error}\n{side.d.describe()}"


# ---------------------------------------------------------------------------------------------
# Listener records

def read_jsonl(path):
    """Records of a listener (one JSON object a line); a partly written last line is left out."""
    out = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.endswith("\n"):
                    out.append(json.loads(line))
    except FileNotFoundError:
        pass
    return out


def header_fields(header):
    return dict(item.split(":", 1) for item in header.split())


def payload_fields(line):
    """The `key:value key:value` fields of a payload's first line."""
    return dict(item.split(":", 1) for item in line.split())


TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ")


def log_lines(text):
    """Main-log lines as (LEVEL, message), the timestamp removed."""
    out = []
    for line in text.splitlines():
        if TIMESTAMP.match(line):
            rest = TIMESTAMP.sub("", line)
            level, _, msg = rest.partition(" ")
            out.append((level, msg))
    return out
