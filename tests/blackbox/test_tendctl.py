"""tendctl against the real Debian supervisord, with supervisorctl as the oracle.

Each test starts real supervisord instances in short temp dirs (unix socket there). Read-only
commands run both clients against one server; commands that change state run supervisorctl
against one server and tendctl against an identically configured twin, in the same order, so
both see the same states. Outputs are compared after normalising pids, uptimes, dates and the
temp dir; exit codes must match exactly.

Where tendctl prints its own words (help texts after a usage error, Python exception details
after "error: "), only the first line / the "error: " prefix is compared.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import xmlrpc.client
from pathlib import Path

import pytest

from conftest import free_port, kill_session, on_terminal

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("TEND_BUILD", REPO / "build"))
TENDCTL = str(BUILD / "tendctl")
SUPERVISORD = "/usr/bin/supervisord"
SUPERVISORCTL = "/usr/bin/supervisorctl"

pytestmark = pytest.mark.skipif(not (os.path.exists(SUPERVISORD) and os.path.exists(SUPERVISORCTL)),
                                reason="needs Debian's supervisor package")

PROGRAMS = """
[program:runner]
command=/bin/sh -c 'echo hello out; echo hello err >&2; exec sleep 1000'
startsecs=0

[program:quick]
command=/bin/sh -c 'exit 3'
startsecs=1
startretries=0

[program:manual]
command=/bin/sleep 1000
autostart=false
startsecs=0

[program:nofile]
command=/nonexistent/bin/prog
autostart=false

[program:nolog]
command=/bin/sleep 1000
startsecs=0
stdout_logfile=NONE

[program:echoer]
command=/bin/cat
startsecs=0

[program:multi]
command=/bin/sleep 1000
numprocs=2
process_name=%(program_name)s_%(process_num)d
startsecs=0

[group:grp]
programs=manual,multi
"""


def make_conf(directory, programs=PROGRAMS, server_auth="", ctl_auth="", extra=""):
    return f"""
{extra}
[unix_http_server]
file=%(here)s/s.sock
{server_auth}

[supervisord]
logfile=%(here)s/main.log
pidfile=%(here)s/sd.pid
childlogdir=%(here)s
loglevel=info

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://%(here)s/s.sock
{ctl_auth}
{programs}
"""


class UnixTransport(xmlrpc.client.Transport):
    """xmlrpc.client over a unix socket, for the test's own polling."""

    def __init__(self, path, auth=None):
        super().__init__()
        self.path = path
        self.auth = auth

    def make_connection(self, host):
        import http.client

        path = self.path

        class Conn(http.client.HTTPConnection):
            def connect(self):
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.settimeout(5)
                self.sock.connect(path)

        return Conn("localhost")

    def send_headers(self, connection, headers):
        if self.auth:
            import base64
            token = base64.b64encode(f"{self.auth[0]}:{self.auth[1]}".encode()).decode()
            connection.putheader("Authorization", f"Basic {token}")
        super().send_headers(connection, headers)


class Server:
    """One supervisord -n in its own temp dir; stop() kills it for sure."""

    def __init__(self, programs=PROGRAMS, server_auth="", ctl_auth="", auth=None, extra=""):
        self.dir = tempfile.mkdtemp(prefix="tctl")
        self.conf = os.path.join(self.dir, "supervisord.conf")
        self.sock = os.path.join(self.dir, "s.sock")
        self.auth = auth
        self.extra = extra
        self.write_conf(programs, server_auth, ctl_auth)
        self.log = open(os.path.join(self.dir, "stderr.txt"), "wb")
        self.proc = subprocess.Popen([SUPERVISORD, "-n", "-c", self.conf], stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)

    def write_conf(self, programs=PROGRAMS, server_auth="", ctl_auth=""):
        Path(self.conf).write_text(make_conf(self.dir, programs, server_auth, ctl_auth, self.extra))

    def rpc(self):
        return xmlrpc.client.ServerProxy("http://localhost", transport=UnixTransport(self.sock, self.auth))

    def wait_ready(self, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"supervisord exited: {Path(self.dir, 'stderr.txt').read_text()}")
            try:
                if self.rpc().supervisor.getState()["statename"] == "RUNNING":
                    return
            except (OSError, xmlrpc.client.Error):
                pass
            time.sleep(0.05)
        raise AssertionError("supervisord did not come up")

    def settle(self, timeout=15):
        """Wait until no process is in a transitional state (STARTING, BACKOFF, STOPPING)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                infos = self.rpc().supervisor.getAllProcessInfo()
                if all(i["statename"] not in ("STARTING", "BACKOFF", "STOPPING") for i in infos):
                    return
            except (OSError, xmlrpc.client.Error):
                pass
            time.sleep(0.05)
        raise AssertionError("processes did not settle")

    def stop(self):
        kill_session(self.proc, rounds=3)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def start_servers(request, count, **kw):
    servers = []
    request.addfinalizer(lambda: [s.stop() for s in servers])
    for _ in range(count):
        servers.append(Server(**kw))
    for s in servers:
        s.wait_ready()
    for s in servers:
        s.settle()
    return servers


@pytest.fixture(scope="module")
def shared(request):
    """One server for read-only comparisons."""
    return start_servers(request, 1)[0]


@pytest.fixture
def twins(request):
    """Two identical fresh servers: [0] for supervisorctl, [1] for tendctl."""
    return start_servers(request, 2)


def argv_for(client, conf, args, extra=()):
    exe = SUPERVISORCTL if client == "ctl" else TENDCTL
    return [exe, *extra] + (["-c", conf] if conf else []) + list(args)


def run(client, conf, *args, stdin=None, extra=()):
    return subprocess.run(argv_for(client, conf, args, extra), input=stdin,
                          stdin=None if stdin is not None else subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60)


def run_both(conf_a, conf_b, args, extra=()):
    """supervisorctl with conf_a and tendctl with conf_b, at the same time (halves the wait)."""
    procs = [subprocess.Popen(argv_for(client, conf, args, extra), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for client, conf in (("ctl", conf_a), ("tend", conf_b))]
    results = []
    for p in procs:
        try:
            out, err = p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        results.append(subprocess.CompletedProcess(p.args, p.returncode, out, err))
    return results


DATE = re.compile(r"\b[A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M\b")
UPTIME = re.compile(r"pid \d+, uptime [^\n]*")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}")


def norm(text, *dirs):
    for d in dirs:
        text = text.replace(d, "<DIR>")
    text = UPTIME.sub("pid N, uptime U", text)
    text = DATE.sub("DATE", text)
    text = TIMESTAMP.sub("TS", text)
    text = re.sub(r"with pid \d+", "with pid N", text)
    text = re.sub(r"(?m)^[1-9]\d*$", "N", text)  # bare pids (pid command); 0 stays 0
    return text


def same(server, *args, first_line_only=False):
    """Both clients against one server: same stdout and exit code."""
    a, b = run_both(server.conf, server.conf, args)
    compare(a, b, [server.dir], [server.dir], args, first_line_only)
    return b


def twin(pair, *args, first_line_only=False):
    """supervisorctl on pair[0], tendctl on pair[1]."""
    a, b = run_both(pair[0].conf, pair[1].conf, args)
    compare(a, b, [pair[0].dir], [pair[1].dir], args, first_line_only)
    return b


def compare(a, b, dirs_a, dirs_b, args, first_line_only):
    out_a, out_b = norm(a.stdout, *dirs_a), norm(b.stdout, *dirs_b)
    if first_line_only:
        out_a, out_b = out_a.split("\n")[0], out_b.split("\n")[0]
    if any(x == "all" or x.endswith(":*") or x.endswith(":") for x in args[1:]):
        # Group and "all" results come in the order the processes finished.
        out_a, out_b = "\n".join(sorted(out_a.split("\n"))), "\n".join(sorted(out_b.split("\n")))
    if out_a.startswith("error: ") and out_b.startswith("error: "):
        # A Python exception summary on one side, our own reason on the other.
        out_a, out_b = "error: ", "error: "
    assert out_b == out_a, f"{args}: stdout differs\n--- supervisorctl\n{a.stdout}--- tendctl\n{b.stdout}"
    assert b.returncode == a.returncode, f"{args}: exit {b.returncode} != {a.returncode}\n{b.stdout}{b.stderr}"


# ---------------------------------------------------------------------------------------------
# Read-only commands, one server


@pytest.mark.parametrize("args", [
    ["status"],
    ["status", "all"],
    ["status", "runner"],
    ["status", "quick"],
    ["status", "grp:*"],
    ["status", "grp:"],
    ["status", "grp:multi_1"],
    ["status", "runner", "grp:multi_0"],
    ["status", "bogus"],
    ["status", "bogus:"],
    ["status", "grp:bogus"],
    ["status", "bogus", "runner"],
    ["status", "bogus", "quick"],
])
def test_status(shared, args):
    same(shared, *args)


def test_status_is_exactly_formatted(shared):
    out = run("tend", shared.conf, "status", "runner", "quick").stdout.splitlines()
    # In the order asked for, not sorted.
    assert re.fullmatch(r"runner {27}RUNNING {3}pid \d+, uptime \d+:\d\d:\d\d", out[0])
    assert re.fullmatch(r"quick {28}FATAL {5}Exited too quickly \(process log may have details\)", out[1])


@pytest.mark.parametrize("args", [
    ["pid"], ["pid", "runner"], ["pid", "manual"], ["pid", "grp:manual"], ["pid", "all"],
    ["pid", "bogus"], ["pid", "runner", "bogus"],
])
def test_pid(shared, args):
    same(shared, *args)


@pytest.mark.parametrize("args", [
    ["tail", "runner"], ["tail", "-5", "runner"], ["tail", "runner", "stderr"],
    ["tail", "-4", "runner", "STDERR"], ["tail", "runner", "stdout"], ["tail", "nolog"],
    ["tail", "bogus"], ["tail", "runner", "bogus"], ["tail", "-x", "runner"], ["tail", "-f"],
    ["tail", "a", "b", "c", "d"], ["tail"], ["tail", "grp:multi_0"],
])
def test_tail(shared, args):
    same(shared, *args, first_line_only=args in (["tail"], ["tail", "a", "b", "c", "d"]))


@pytest.mark.parametrize("args", [["maintail", "-300"], ["maintail", "bogus"], ["maintail", "-x"],
                                  ["maintail", "-1", "-2"]])
def test_maintail(shared, args):
    shared.settle()
    same(shared, *args, first_line_only=len(args) == 3)


def test_maintail_default_reads_1600_bytes(shared):
    out = run("tend", shared.conf, "maintail").stdout
    log = Path(shared.dir, "main.log").read_bytes()
    assert out.encode()[:-1] == log[-1600:]


@pytest.mark.parametrize("args", [["avail"], ["version"], ["reread"], ["avail", "x"], ["version", "x"],
                                  ["reread", "x"]])
def test_server_info(shared, args):
    same(shared, *args, first_line_only=len(args) > 1)


@pytest.mark.parametrize("args", [["frobnicate"], ["frob", "nicate"], ["?bogus"], ["help", "bogus"],
                                  ["open", "ftp://x"], ["!ls"]])
def test_unknown_and_misc(shared, args):
    same(shared, *args)


def test_help_lists_commands(shared):
    p = run("tend", shared.conf, "help")
    assert p.returncode == 0
    for name in ("add", "avail", "clear", "fg", "maintail", "pid", "reload", "remove", "reread",
                 "restart", "shutdown", "signal", "start", "status", "stop", "tail", "update",
                 "version"):
        assert re.search(rf"\b{name}\b", p.stdout), name
    p = run("tend", shared.conf, "help", "tail")
    assert p.returncode == 0 and "tail" in p.stdout


def test_interactive_shell_transcript(shared):
    script = "version\n\nfrob x\nstatus runner\npid bogus\n"
    a = run("ctl", shared.conf, stdin=script)
    b = run("tend", shared.conf, stdin=script)
    assert norm(b.stdout, shared.dir) == norm(a.stdout, shared.dir)
    assert b.returncode == a.returncode == 0
    for script in ("quit\nversion\n", "exit\n", "EOF\n"):
        a = run("ctl", shared.conf, stdin=script)
        b = run("tend", shared.conf, stdin=script)
        assert norm(b.stdout, shared.dir) == norm(a.stdout, shared.dir), script
        assert b.returncode == a.returncode == 0


def test_status_colours_state_only_on_a_terminal(shared):
    rc, out = on_terminal([TENDCTL, "-c", shared.conf, "status", "runner"])
    assert rc == 0
    assert re.search(r"runner {27}\x1b\[32mRUNNING\x1b\[0m {3}pid \d+", out), repr(out)
    assert "\x1b" not in run("tend", shared.conf, "status", "runner").stdout


def test_tail_follow_streams_until_ctrl_c(shared):
    p = subprocess.Popen([TENDCTL, "-c", shared.conf, "tail", "-f", "runner"], stdout=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, text=True)
    try:
        assert p.stdout.readline() == "==> Press Ctrl-C to exit <==\n"
        assert p.stdout.readline() == "hello out\n"
        p.send_signal(signal.SIGINT)
        rest = p.communicate(timeout=10)[0]
        assert rest == "\n"
        assert p.returncode == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_fg_sends_input_and_shows_output(shared):
    p = subprocess.Popen([TENDCTL, "-c", shared.conf, "fg", "echoer"], stdout=subprocess.PIPE,
                         stdin=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline() == "==> Press Ctrl-C to exit <==\n"
        p.stdin.write("ping-from-fg\n")
        p.stdin.flush()
        assert p.stdout.readline() == "ping-from-fg\n"
        p.stdin.close()
        assert p.stdout.readline() == "Exiting foreground\n"
        assert p.wait(timeout=10) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    for args in (["fg"], ["fg", "bogus"], ["fg", "manual"], ["fg", "a", "b"]):
        same(shared, *args, first_line_only=True)


# ---------------------------------------------------------------------------------------------
# Commands that change state: twin servers


def test_start_stop_restart(twins):
    for args in (
        ["start", "grp:manual"], ["start", "grp:manual"], ["stop", "grp:manual"], ["stop", "grp:manual"],
        ["start", "bogus"], ["start", "bogus:*"], ["start", "grp:bogus"], ["start", "nofile"],
        ["start", "quick"], ["stop", "bogus"], ["stop", "bogus:"], ["stop", "quick"],
        ["stop", "grp:*"], ["start", "grp:*"], ["restart", "grp:*"], ["restart", "runner", "bogus"],
        ["stop", "grp:multi_0", "runner"], ["start", "grp:multi_0", "runner", "nofile"],
        ["status"], ["stop", "all"], ["status"], ["start", "all"],
    ):
        twin(twins, *args)
    for args in (["start"], ["stop"], ["restart"]):
        twin(twins, *args, first_line_only=True)


def test_signal_and_clear(twins):
    for args in (
        ["signal", "HUP", "runner"], ["signal", "BOGUS", "runner"], ["signal", "USR1", "grp:manual"],
        ["signal", "HUP", "bogus"], ["signal", "HUP", "bogus:*"], ["signal", "15", "grp:*"],
        ["status"], ["signal", "CONT", "all"], ["clear", "runner"], ["clear", "bogus"],
        ["clear", "grp:"], ["tail", "runner"],
    ):
        twin(twins, *args)
    for args in (["signal"], ["signal", "HUP"], ["clear"]):
        twin(twins, *args, first_line_only=True)


def test_clear_all(request):
    # clearAllProcessLogs takes a main-loop tick (~1 s) per process: keep this server small.
    programs = "[program:one]\ncommand=/bin/sleep 1000\nstartsecs=0\n" \
               "[program:two]\ncommand=/bin/sleep 1000\nstartsecs=0\n"
    pair = start_servers(request, 2, programs=programs)
    twin(pair, "clear", "all")


CHANGED = PROGRAMS.replace("command=/bin/sh -c 'echo hello out; echo hello err >&2; exec sleep 1000'",
                           "command=/bin/sh -c 'echo changed; exec sleep 1000'")
CHANGED = CHANGED.replace("[program:nofile]\ncommand=/nonexistent/bin/prog\nautostart=false\n", "")
CHANGED += "\n[program:added]\ncommand=/bin/sleep 1000\nstartsecs=0\n"


def test_reread_and_update(twins):
    for s in twins:
        s.write_conf(CHANGED)
    for args in (["reread"], ["avail"], ["update", "bogus"], ["update", "runner"], ["status"],
                 ["update"], ["reread"], ["update"]):
        for s in twins:
            s.settle()
        twin(twins, *args)


def test_update_all_and_removal_with_processes(twins):
    programs = PROGRAMS.replace("[group:grp]\nprograms=manual,multi\n", "") + \
        "\n[program:another]\ncommand=/bin/sleep 1000\nstartsecs=0\n"
    for s in twins:
        s.write_conf(programs)
    for args in (["reread"], ["update", "all"], ["status"]):
        for s in twins:
            s.settle()
        twin(twins, *args)


def test_add_and_remove(twins):
    for s in twins:
        s.write_conf(PROGRAMS + "\n[program:added]\ncommand=/bin/sleep 1000\nstartsecs=0\n")
    for args in (["add", "added"], ["add", "added"], ["add", "bogus"], ["remove", "added"],
                 ["stop", "added"], ["remove", "added"], ["remove", "added"], ["add", "added", "bogus"],
                 ["add"], ["remove"]):
        for s in twins:
            s.settle()
        twin(twins, *args)


def test_reread_reports_a_broken_config(twins):
    for s in twins:
        Path(s.conf).write_text(Path(s.conf).read_text() + "\n[program:broken]\ncommand=/bin/true\nnumprocs=2\n")
    twin(twins, "reread")
    twin(twins, "update")


def test_reload(twins):
    twin(twins, "reload")
    for s in twins:
        s.wait_ready()
        s.settle()
    twin(twins, "status")
    twin(twins, "reload", "now", first_line_only=True)


def test_shutdown(twins):
    twin(twins, "shutdown", "now", first_line_only=True)
    twin(twins, "shutdown")
    for s in twins:
        s.proc.wait(timeout=30)
    for args in (["shutdown"], ["status"], ["start", "runner"], ["version"], ["avail"], ["reread"],
                 ["update"], ["add", "x"], ["remove", "x"], ["reload"]):
        twin(twins, *args)


# ---------------------------------------------------------------------------------------------
# Connection errors and authentication


@pytest.fixture
def refusing_socket():
    """A unix socket file nobody listens on: connect() gives ECONNREFUSED."""
    d = tempfile.mkdtemp(prefix="tctl")
    path = os.path.join(d, "s.sock")
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    s.close()
    yield d, path
    shutil.rmtree(d, ignore_errors=True)


CONN_COMMANDS = [["status"], ["status", "x"], ["start", "x"], ["stop", "x"], ["restart", "x"],
                 ["signal", "HUP", "x"], ["pid"], ["tail", "x"], ["maintail"], ["clear", "x"],
                 ["version"], ["fg", "x"], ["avail"], ["reread"], ["update"], ["add", "x"],
                 ["remove", "x"], ["shutdown"], ["reload"]]


@pytest.mark.parametrize("args", CONN_COMMANDS)
def test_socket_missing(args):
    d = tempfile.mkdtemp(prefix="tctl")
    try:
        conf = os.path.join(d, "c.conf")
        Path(conf).write_text(f"[supervisorctl]\nserverurl=unix://{d}/missing.sock\n")
        a, b = run_both(conf, conf, args)
        compare(a, b, [d], [d], args, False)
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize("args", CONN_COMMANDS)
def test_connection_refused(refusing_socket, args):
    d, path = refusing_socket
    conf = os.path.join(d, "c.conf")
    Path(conf).write_text(f"[supervisorctl]\nserverurl=unix://{path}\n")
    a, b = run_both(conf, conf, args)
    compare(a, b, [d], [d], args, False)


def test_http_refused_and_serverurl_option():
    for args in (["-s", "http://127.0.0.1:1", "status"], ["-s", "http://127.0.0.1:1", "version"]):
        d = tempfile.mkdtemp(prefix="tctl")
        try:
            conf = os.path.join(d, "c.conf")
            Path(conf).write_text("[supervisorctl]\n")
            a, b = run_both(conf, conf, args)
            compare(a, b, [], [], args, False)
        finally:
            shutil.rmtree(d, ignore_errors=True)


AUTH_SERVER = "username=admin\npassword=s3cret"


@pytest.fixture
def auth_server(request):
    return start_servers(request, 1, server_auth=AUTH_SERVER, ctl_auth="username=admin\npassword=s3cret",
                         auth=("admin", "s3cret"))[0]


def test_auth_right_credentials(auth_server):
    for args in (["status"], ["version"], ["avail"], ["pid", "runner"]):
        same(auth_server, *args)


def test_auth_wrong_or_missing_credentials(auth_server):
    for extra in (["-u", "admin", "-p", "wrong"], ["-u", "nobody", "-p", "s3cret"]):
        for args in (["status"], ["version"], ["avail"], ["start", "runner"]):
            a = run("ctl", auth_server.conf, *args, extra=extra)
            b = run("tend", auth_server.conf, *args, extra=extra)
            assert b.stdout.split("\n")[0] == a.stdout.split("\n")[0] == "Server requires authentication"
            assert b.stdout.split("\n")[1].startswith("error: ")
            assert b.returncode == a.returncode == 1
    # A config without credentials against a server that wants them.
    d = tempfile.mkdtemp(prefix="tctl")
    try:
        conf = os.path.join(d, "c.conf")
        Path(conf).write_text(f"[supervisorctl]\nserverurl=unix://{auth_server.sock}\n")
        a, b = run("ctl", conf, "status"), run("tend", conf, "status")
        assert b.stdout.split("\n")[0] == a.stdout.split("\n")[0]
        assert b.returncode == a.returncode
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_http_server_url(request):
    port = free_port()
    extra = f"[inet_http_server]\nport=127.0.0.1:{port}\nusername=admin\npassword=s3cret\n"
    server = start_servers(request, 1, extra=extra, auth=None)[0]
    url = ["-s", f"http://127.0.0.1:{port}", "-u", "admin", "-p", "s3cret"]
    for args in (["status"], ["version"], ["tail", "-9", "runner"], ["pid", "bogus"]):
        a, b = run_both(server.conf, server.conf, url + args)
        compare(a, b, [server.dir], [server.dir], args, False)
    wrong = ["-s", f"http://127.0.0.1:{port}", "-u", "admin", "-p", "nope", "version"]
    b = run("tend", server.conf, *wrong)
    assert b.stdout.split("\n")[0] == "Server requires authentication" and b.returncode == 1
    # tail -f over TCP with credentials.
    p = subprocess.Popen([TENDCTL, "-c", server.conf, *url, "tail", "-f", "runner", "stderr"],
                         stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        assert p.stdout.readline() == "==> Press Ctrl-C to exit <==\n"
        assert p.stdout.readline() == "hello err\n"
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=10)
        assert p.returncode == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_tail_follow_unknown_process_reports_on_stderr(shared):
    a, b = run_both(shared.conf, shared.conf, ["tail", "-f", "bogus"])
    assert b.stdout == a.stdout == "==> Press Ctrl-C to exit <==\n"
    assert b.returncode == a.returncode
    assert "404" in b.stderr


# ---------------------------------------------------------------------------------------------
# Invocation


def test_usage_errors():
    d = tempfile.mkdtemp(prefix="tctl")
    try:
        no_section = os.path.join(d, "nosection.conf")
        Path(no_section).write_text("[supervisord]\n")
        cases = [["-x", "status"], ["-c"], ["--bogus"], ["-c", os.path.join(d, "missing.conf"), "status"],
                 ["-c", no_section, "status"], ["-s", "notaurl", "status"], ["-c", no_section, "-c", "x"]]
        for args in cases:
            a = subprocess.run([SUPERVISORCTL, *args], capture_output=True, text=True, stdin=subprocess.DEVNULL)
            b = subprocess.run([TENDCTL, *args], capture_output=True, text=True, stdin=subprocess.DEVNULL)
            assert b.returncode == a.returncode == 2, args
            assert b.stdout == a.stdout == ""
            first_a, first_b = a.stderr.split("\n")[0], b.stderr.split("\n")[0]
            assert first_b == first_a, args
            assert b.stderr.split("\n")[1] == f"For help, use {TENDCTL} -h"
        for flag in ("-h", "--help", "-?"):
            p = subprocess.run([TENDCTL, flag], capture_output=True, text=True)
            assert p.returncode == 0 and "Usage:" in p.stdout
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_interactive_flag_with_command_runs_only_the_command(shared):
    a = run("ctl", shared.conf, "version", extra=["-i"])
    b = run("tend", shared.conf, "version", extra=["-i"])
    assert b.stdout == a.stdout and b.returncode == a.returncode


def test_history_file_option_is_accepted(shared):
    p = run("tend", shared.conf, "version", extra=["-r", "/tmp/nonexistent-history"])
    assert p.returncode == 0 and p.stdout == "4.2.5\n"
