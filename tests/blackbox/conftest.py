"""Shared black-box helpers: where the binaries are, bounded waiting, process cleanup.

Keep this small and generic; scenario-specific helpers belong in the test files.

`--peer supervisord` runs the tests that use the `sup_argv` fixture against /usr/bin/supervisord
instead of tend, to compare behaviour. Those runs only report (every such test is marked
xfail, non-strict: XPASS = supervisord behaves the same, XFAIL = it differs; use `-rxX`); tests
that don't use `sup_argv` are skipped.

A test skips when something it needs is missing (supervisord, root, unshare, valgrind, a
binary not built, Python's supervisor module). Under TEND_STRICT=1 (`make test`, CI, where
scripts/install-deps.sh has installed everything) every such skip is a failure: a missing tool
there is a broken setup, not a reason to pass. Only skips whose reason starts with BY_DESIGN
(`skip_by_design`) stay skips.
"""
import ctypes
import http.client
import os
import pty
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import xmlrpc.client
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
BUILD = Path(os.environ.get("TEND_BUILD", REPO / "build"))
TEND = BUILD / "tend"
SUPERVISORD = "/usr/bin/supervisord"
STRICT = os.environ.get("TEND_STRICT") == "1"
BY_DESIGN = "by design: "
# Set when the binaries under TEND_BUILD run under an emulator (make test-arm64: qemu-aarch64-static,
# through the native wrappers of tests/arm64/qemu-wrappers.sh); empty for native binaries.
EMULATOR = os.environ.get("TEND_EMULATOR", "")

# A run started in the background by a non-interactive shell (`make test &`, some CI runners) inherits
# SIGINT and SIGQUIT ignored, and exec keeps SIG_IGN: init mode hands tend's ignored signals on to CMD
# as tini does, so the Ctrl-C tests would meet a CMD that cannot be interrupted. The processes the
# tests start get what a terminal gives: a Python handler here becomes SIG_DFL across exec.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
if signal.getsignal(signal.SIGQUIT) == signal.SIG_IGN:
    signal.signal(signal.SIGQUIT, lambda *_: None)


def skip_by_design(reason):
    """Skips the current test for a reason no installation can change (stays a skip when strict)."""
    pytest.skip(BY_DESIGN + reason)


def native_only(reason):
    """Marks a test that cannot pass with the binaries under TEND_EMULATOR, for `reason` (a limit
    of the emulator, tests/arm64/README.md): there it is a skip by design, natively it runs."""
    return pytest.mark.skipif(bool(EMULATOR), reason=f"{BY_DESIGN}not under {EMULATOR}: {reason}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under TEND_STRICT=1, turns each skip (pytest.skip, skipif, importorskip) into a failure,
    except BY_DESIGN ones and xfail results."""
    outcome = yield
    report = outcome.get_result()
    if not (STRICT and report.skipped) or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if reason.startswith("Skipped: "):
        reason = reason[len("Skipped: "):]
    if reason.startswith(BY_DESIGN):
        return
    report.outcome = "failed"
    report.longrepr = (f"TEND_STRICT=1: this test may not skip ({reason}); "
                       "scripts/install-deps.sh installs what the tests need")


# `make test` runs the black-box modules two at a time (pytest-xdist, --dist loadfile: a module's
# tests stay together on one worker), then these alone (-m serial): they load the machine (hundreds
# of programs, floods, a browser, 10,000 connections or orphans), step the wall clock every process
# sees, or assert timings and CPU use that another module's load would blur.
SERIAL_MODULES = {
    "test_control_abuse", "test_events_abuse", "test_faults_clock", "test_faults_io",
    "test_faults_proc", "test_realconf", "test_restart_policy", "test_schedule",
    "test_signals_survive", "test_soak", "test_web_browser",
}


def pytest_configure(config):
    config.addinivalue_line("markers", "serial: run alone, never beside another module's tests "
                                       "(conftest.SERIAL_MODULES)")


def pytest_addoption(parser):
    parser.addoption("--peer", default="tend", choices=("tend", "supervisord"),
                     help="supervisor to run the sup_argv tests against (supervisord: report only)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.module.__name__.rsplit(".", 1)[-1] in SERIAL_MODULES:
            item.add_marker(pytest.mark.serial)
    if config.getoption("--peer") == "tend":
        return
    for item in items:
        if "sup_argv" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xfail(reason="peer run, report only", strict=False))
        else:
            item.add_marker(pytest.mark.skip(reason=BY_DESIGN + "not a peer-comparable test"))


@pytest.fixture(scope="session")
def peer(request):
    return request.config.getoption("--peer")


@pytest.fixture(scope="session")
def sup_argv(peer):
    """argv prefix of the supervisor under test (add `-c FILE`, `-n`)."""
    if peer == "supervisord":
        return [SUPERVISORD]
    if not os.access(TEND, os.X_OK):
        pytest.fail(f"{TEND} is not built (set TEND_BUILD or run make)")
    return [str(TEND)]


def wait_for(pred, timeout=10.0, interval=0.02, what=None):
    """Poll `pred` until it returns something truthy; return that, or fail after `timeout` s.
    `what` (a string, or a callable giving one at failure time) describes the awaited event."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() >= deadline:
            desc = what() if callable(what) else (what or pred)
            raise AssertionError(f"timed out after {timeout}s waiting for {desc}")
        time.sleep(interval)


def free_port():
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def namespec(info):
    """"group:name" of a getProcessInfo dict, or the bare name when the group is the program."""
    return info["name"] if info["group"] == info["name"] else f"{info['group']}:{info['name']}"


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over the unix socket at `path`."""

    def __init__(self, path, timeout=10):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


class UnixTransport(xmlrpc.client.Transport):
    """xmlrpc.client over the unix socket at `path`; the user:password@ of the proxy's URL, if any, goes
    along as basic auth."""

    def __init__(self, path):
        super().__init__()
        self.path = path

    def make_connection(self, host):
        _, self._extra_headers, _ = self.get_host_info(host)
        return UnixHTTPConnection(self.path)


def on_terminal(argv, env=None):
    """Runs argv with stdout on a pseudo-terminal; returns (exit status, output)."""
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen(argv, stdout=slave, stdin=subprocess.DEVNULL, env=env)
        os.close(slave)
        slave = -1
        chunks = []
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the other side is closed
                break
            if not data:
                break
            chunks.append(data)
        return p.wait(timeout=30), b"".join(chunks).decode()
    finally:
        os.close(master)
        if slave >= 0:
            os.close(slave)


def read_text(path):
    try:
        return Path(path).read_text(errors="replace")
    except FileNotFoundError:
        return ""


# ---------------------------------------------------------------------------------------------
# /proc helpers

def proc_stat(pid):
    """(state, ppid) of a process, or None if it is gone."""
    try:
        data = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = data[data.rindex(")") + 2:].split()
    return fields[0], int(fields[1])


def session_pids(sid):
    """Every process in session `sid`: a daemon started with start_new_session and all it
    started (its children have their own process groups, so killpg alone would miss them)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            data = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = data[data.rindex(")") + 2:].split()
        if int(fields[3]) == sid:  # field 6: session id
            pids.append(int(entry))
    return pids


def kill_session(proc, rounds=5):
    """SIGKILL the session led by Popen `proc` until it is empty, then reap `proc`. An orderly
    shutdown would take seconds per priority level; teardown does not need one."""
    for _ in range(rounds):
        pids = session_pids(proc.pid)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if proc.poll() is None:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)


def all_procs():
    """{pid: (state, ppid, comm)} for every process visible in /proc."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            data = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        comm = data[data.index("(") + 1:data.rindex(")")]
        fields = data[data.rindex(")") + 2:].split()
        out[int(entry)] = (fields[0], int(fields[1]), comm)
    return out


def descendants(root, procs=None):
    """pids below `root` (not including it), following ppid links."""
    procs = procs if procs is not None else all_procs()
    children = {}
    for pid, (_, ppid, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _set_child_subreaper(on=True):
    # Orphans of the processes a test starts are re-parented to pytest instead of the host's
    # init, so cleanup can still find (and reap) them.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1 if on else 0, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def kill_trees(roots, owned=()):
    """SIGSTOP then SIGKILL `roots` and everything below them; reap what was re-parented to us,
    except the pids in `owned` (their Popen objects wait for them)."""
    me = os.getpid()
    seen, stopped = set(), set()
    for _ in range(50):
        procs = all_procs()
        tree = {r for r in roots if r in procs}
        for r in list(tree):
            tree.update(descendants(r, procs))
        # Processes stopped by us and then orphaned may now be our direct children.
        for p in list(seen):
            if p in procs and procs[p][1] == me:
                tree.add(p)
                tree.update(descendants(p, procs))
        seen |= tree
        todo = {p for p in tree if procs[p][0] != "Z"} - stopped
        if not todo:
            break
        for pid in todo:
            try:
                os.kill(pid, signal.SIGSTOP)
            except ProcessLookupError:
                pass
        stopped |= todo
    for pid in stopped:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    # A killed process may be re-parented to us only after its parent died: poll until each one
    # is reaped by us or gone from /proc (bounded).
    pending = (seen | set(roots)) - set(owned)
    deadline = time.monotonic() + 5
    while pending and time.monotonic() < deadline:
        for pid in list(pending):
            try:
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    pending.discard(pid)
            except ChildProcessError:
                if not os.path.exists(f"/proc/{pid}"):
                    pending.discard(pid)
        if pending:
            time.sleep(0.01)


class Proc:
    """A started process whose stdout/stderr are pipes drained into strings by threads."""

    def __init__(self, argv, **kw):
        self.argv = [str(a) for a in argv]
        self.popen = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, start_new_session=True, **kw)
        self.pid = self.popen.pid
        self._out, self._err = [], []
        self._threads = [threading.Thread(target=self._drain, args=(s, b), daemon=True)
                         for s, b in ((self.popen.stdout, self._out), (self.popen.stderr, self._err))]
        for t in self._threads:
            t.start()

    @staticmethod
    def _drain(stream, buf):
        for chunk in iter(lambda: stream.read1(65536), b""):
            buf.append(chunk)

    @property
    def out(self):
        return b"".join(self._out).decode(errors="replace")

    @property
    def err(self):
        return b"".join(self._err).decode(errors="replace")

    def alive(self):
        return self.popen.poll() is None

    def send(self, sig):
        self.popen.send_signal(sig)

    def wait(self, timeout=10.0):
        """Exit status; fails the test if the process is still running after `timeout` s."""
        try:
            rc = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.argv[0]} still running after {timeout}s\n{self.describe()}")
        for t in self._threads:
            t.join(2)
        return rc

    def describe(self):
        return f"--- stdout ---\n{self.out[-4000:]}\n--- stderr ---\n{self.err[-4000:]}"


@pytest.fixture
def spawn():
    """spawn(argv, **popen_kw) -> Proc; everything it started is killed after the test."""
    _set_child_subreaper()
    me = os.getpid()
    before = {pid for pid, (_, ppid, _) in all_procs().items() if ppid == me}
    started = []

    def _spawn(argv, **kw):
        p = Proc(argv, **kw)
        started.append(p)
        return p

    yield _spawn
    # Orphans adopted by pytest (the subreaper) are new direct children: clean those up too.
    adopted = [pid for pid, (_, ppid, _) in all_procs().items() if ppid == me and pid not in before]
    kill_trees([p.pid for p in started] + adopted, owned=[p.pid for p in started])
    for p in started:
        try:
            p.popen.wait(5)
        except subprocess.TimeoutExpired:
            pass
    # Later tests that do not use this fixture expect an orphan to go to init and be reaped there.
    _set_child_subreaper(False)


@pytest.fixture
def vartmp():
    """A temporary directory outside /tmp (namespace tests mount over /tmp)."""
    path = Path(tempfile.mkdtemp(prefix="tend-bb-", dir="/var/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def dockerapp(tmp_path_factory):
    """Path of the compiled fixtures/dockerapp.c (outside /tmp); the role is argv[1]."""
    outdir = Path(tempfile.mkdtemp(prefix="tend-bb-bin-", dir="/var/tmp"))
    exe = outdir / "dockerapp"
    subprocess.run(["cc", "-O1", "-Wall", "-o", str(exe), str(FIXTURES / "dockerapp.c")], check=True)
    yield exe
    shutil.rmtree(outdir, ignore_errors=True)
