"""[fcgi-program:x]: the supervisor binds the group's socket and every process of the pool gets it
as fd 0, against Debian's supervisord 4.2.5 on the same configs.

The program (fixtures/fcgi_echo.py) accept()s on fd 0 and answers one line per connection; no
FastCGI framing is needed to test how the socket is handed over.

Where tend differs on purpose (docs/migration.md), both are run and the difference is asserted:
supervisord closes the socket whenever no process of the pool runs and binds a new one at the next
spawn, so a client that connects during `supervisorctl restart` is refused; tend keeps one socket
for the group's whole life, so such a client waits in the backlog and is served once a process is
back. What "the same socket" means is checked on the kernel object (the `socket:[N]` that
/proc/<pid>/fd/0 names), not on the socket file's inode: a file system reuses a freed inode number
at once, so an unlinked and re-bound path often keeps its number.
"""
import grp
import os
import pwd
import socket
import stat
import subprocess
import tempfile
import xmlrpc.client
from pathlib import Path

import pytest

from conftest import FIXTURES, free_port, read_text, wait_for
from test_rpc import SUPERVISORCTL, SUPERVISORD, TEND, Daemon, make_conf, namespec

pytestmark = pytest.mark.skipif(not (os.path.exists(SUPERVISORD) and os.path.exists(SUPERVISORCTL)),
                                reason="needs Debian's supervisor package")

APP = f"/usr/bin/python3 {FIXTURES / 'fcgi_echo.py'}"
KINDS = ("supervisord", "tend")


def fcgi(name, sock, extra=""):
    return f"""
[fcgi-program:{name}]
command={APP}
socket={sock}
numprocs=2
process_name=%(program_name)s_%(process_num)d
startsecs=0
stdout_logfile=%(here)s/%(program_name)s_%(process_num)d.out
stderr_logfile=%(here)s/%(program_name)s_%(process_num)d.err
{extra}"""


OWNER = "socket_owner=nobody:nogroup\n" if os.geteuid() == 0 else ""


def pool_programs(port):
    return fcgi("fu", "unix://%(here)s/fu.sock", "socket_mode=0660\n" + OWNER) + fcgi("ft", f"tcp://127.0.0.1:{port}")


POOL = ("fu:fu_0", "fu:fu_1", "ft:ft_0", "ft:ft_1")


def start(request, kind, programs):
    d = Daemon(kind, programs=programs)
    request.addfinalizer(d.stop)
    d.wait_ready()
    return d


def start_pools(request):
    """{kind: (daemon, tcp port)}, both serving fu (unix) and ft (tcp), two processes each."""
    out = {}
    for kind in KINDS:
        port = free_port()
        out[kind] = (start(request, kind, pool_programs(port)), port)
    for kind, (d, _) in out.items():
        d.settle(want_running=POOL)
        for name in POOL:
            log = Path(d.dir, name.split(":")[1] + ".out")
            wait_for(lambda: "fd0" in read_text(log), what=f"{kind} {name} to report its fd 0")
    return out


def pids(d, prefix):
    return {namespec(i): i["pid"] for i in d.rpc().supervisor.getAllProcessInfo()
            if namespec(i).startswith(prefix) and i["statename"] == "RUNNING"}


def fd_link(pid, fd):
    return os.readlink(f"/proc/{pid}/fd/{fd}")


def address(d, port, group):
    return os.path.join(d.dir, "fu.sock") if group == "fu" else ("127.0.0.1", port)


def connect(addr, timeout=10):
    s = socket.socket(socket.AF_UNIX if isinstance(addr, str) else socket.AF_INET)
    s.settimeout(timeout)
    s.connect(addr)
    return s


def answer(s, line):
    s.sendall(line.encode() + b"\n")
    return s.makefile().readline().split()


def ctl(d, *args):
    p = subprocess.run([SUPERVISORCTL, "-c", d.conf, *args], capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout + p.stderr


def test_every_process_of_the_pool_serves_the_socket_it_got_as_fd0(request):
    seen = {}
    for kind, (d, port) in start_pools(request).items():
        for group, family in (("fu", "unix"), ("ft", "inet")):
            running = pids(d, group + ":")
            assert len(running) == 2, (kind, running)
            links = {fd_link(pid, 0) for pid in running.values()}
            assert len(links) == 1 and links.pop().startswith("socket:["), (kind, group)
            for name, pid in running.items():
                assert fd_link(pid, 1).startswith("pipe:[") and fd_link(pid, 2).startswith("pipe:["), (kind, name)
                report = read_text(Path(d.dir, name.split(":")[1] + ".out")).splitlines()[0]
                # fds: 0-2 and the one listdir itself holds: nothing else leaks into the child.
                assert report == f"fd0 {family} listening=1 blocking=True fds=0,1,2,3", (kind, name, report)
            # The first connection occupies one process (it waits for our line), so the second
            # is necessarily accepted by the other one: both accept on the same socket.
            addr = address(d, port, group)
            with connect(addr) as first, connect(addr) as second:
                who_second = answer(second, "two")
                who_first = answer(first, "one")
            assert who_first[2] == "one" and who_second[2] == "two"
            assert {who_first[0], who_second[0]} == {f"{group}_0", f"{group}_1"}, (kind, who_first, who_second)
        st = os.stat(os.path.join(d.dir, "fu.sock"))
        seen[kind] = (stat.S_ISSOCK(st.st_mode), oct(st.st_mode & 0o7777), st.st_uid, st.st_gid)
        # Creating the socket is logged as supervisord logs it.
        main = read_text(os.path.join(d.dir, "main.log"))
        assert f"INFO Creating socket unix://{d.dir}/fu.sock" in main
        assert f"INFO Creating socket tcp://127.0.0.1:{port}" in main
        # The child's stdin is the socket: sendProcessStdin has nothing to write to.
        with pytest.raises(xmlrpc.client.Fault) as fault:
            d.rpc().supervisor.sendProcessStdin("fu:fu_0", "x")
        assert (fault.value.faultCode, fault.value.faultString) == (20, "NO_FILE: fu:fu_0"), kind
    assert seen["tend"] == seen["supervisord"]
    if OWNER:
        assert seen["tend"] == (True, "0o660", pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid)


def test_the_socket_survives_a_restart_of_its_processes(request):
    """tend: the same kernel socket before and after `restart`, and a client that connects while
    every process is stopped is served once they are started again. supervisord closes the socket
    with the last process (that client is refused) and binds a new one."""
    for kind, (d, port) in start_pools(request).items():
        for group in ("fu", "ft"):
            before = {fd_link(pid, 0) for pid in pids(d, group + ":").values()}
            old_pids = set(pids(d, group + ":").values())
            rc, out = ctl(d, "restart", f"{group}:*")
            assert rc == 0, out
            d.settle(want_running=[p for p in POOL if p.startswith(group)])
            after = {fd_link(pid, 0) for pid in pids(d, group + ":").values()}
            assert not old_pids & set(pids(d, group + ":").values())
            assert len(before) == 1 and len(after) == 1
            assert (before == after) == (kind == "tend"), (kind, group, before, after)

            rc, out = ctl(d, "stop", f"{group}:*")
            assert rc == 0, out
            addr = address(d, port, group)
            if kind == "supervisord":
                with pytest.raises(ConnectionRefusedError):
                    connect(addr)
                continue
            with connect(addr) as waiting:
                waiting.sendall(b"queued\n")
                rc, out = ctl(d, "start", f"{group}:*")
                assert rc == 0, out
                assert waiting.makefile().readline().split()[2] == "queued"
        main = read_text(os.path.join(d.dir, "main.log"))
        # supervisord, per group: once right after creating it (its start-up probe), at the
        # restart and at the stop. tend: never while the group exists.
        closings = main.count("INFO Closing socket ")
        assert closings == (0 if kind == "tend" else 6), (kind, closings)


def test_the_socket_goes_with_its_group(request):
    """Removing the group (stop, then `update` with the sections gone) closes the socket: the tcp
    port is free again in both. tend also removes the unix socket file; supervisord leaves it."""
    for kind, (d, port) in start_pools(request).items():
        rc, out = ctl(d, "stop", "fu:*", "ft:*")
        assert rc == 0, out
        d.write_conf("[program:other]\ncommand=/bin/sleep 1000\nstartsecs=0\n")
        rc, out = ctl(d, "update")
        assert rc == 0, out
        assert "fu: removed process group" in out and "ft: removed process group" in out, out
        d.settle(want_running=("other",))
        assert os.path.exists(os.path.join(d.dir, "fu.sock")) == (kind == "supervisord"), kind
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))  # nothing holds the port any more
        main = read_text(os.path.join(d.dir, "main.log"))
        assert f"INFO Closing socket unix://{d.dir}/fu.sock" in main
        assert f"INFO Closing socket tcp://127.0.0.1:{port}" in main


# ---------------------------------------------------------------------------------------------
# Socket errors: the same message, from supervisord's socket_manager/datatypes


def run_to_exit(kind, programs, supervisord_extra="", prepare=None):
    """Runs a daemon that is expected to stop at once, in a new directory (`%(here)s` there);
    returns (exit status, its stdout and stderr, its main log, the directory it ran in)."""
    d = tempfile.mkdtemp(prefix="tfcg" + kind[0])
    try:
        if prepare:
            prepare(d)
        conf = os.path.join(d, "sup.conf")
        Path(conf).write_text(make_conf(programs, supervisord_extra=supervisord_extra))
        exe = SUPERVISORD if kind == "supervisord" else TEND
        p = subprocess.run([exe, "-n", "-c", conf], capture_output=True, text=True, timeout=30,
                           stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout + p.stderr, read_text(os.path.join(d, "main.log")), d
    finally:
        subprocess.run(["rm", "-rf", d], check=False)


def make_unwritable_subdir(d):
    os.chmod(d, 0o777)  # logs and control socket, written by nobody
    os.mkdir(os.path.join(d, "locked"), 0o755)


ERRORS = [
    ("address in use", None, "", "tcp://127.0.0.1:{port}", "[Errno 98] Address already in use"),
    ("missing directory", None, "", "unix://%(here)s/nodir/x.sock", "[Errno 2] No such file or directory"),
    ("permission", make_unwritable_subdir, "user=nobody", "unix://%(here)s/locked/x.sock",
     "[Errno 13] Permission denied"),
]


@pytest.mark.parametrize("what,prepare,extra,sock,reason", ERRORS, ids=[e[0] for e in ERRORS])
def test_a_socket_that_cannot_be_bound_stops_the_start(what, prepare, extra, sock, reason):
    if extra.startswith("user=") and os.geteuid() != 0:
        pytest.skip("needs root to run the supervisor as nobody")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        sock = sock.format(port=taken.getsockname()[1])
        results = {}
        for kind in KINDS:
            rc, out, main, d = run_to_exit(kind, fcgi("fc", sock), extra, prepare)
            results[kind] = rc
            url = sock.replace("%(here)s", d)
            # supervisord: the last line of its traceback; tend: a CRIT line (main log and stdout).
            assert f"INFO Creating socket {url}" in main, (kind, main)
            assert f"Could not create FastCGI socket {url}: {reason}" in out, (kind, out)
            assert "spawned" not in main, kind
    assert results == {"supervisord": 1, "tend": 1}


def test_a_group_added_at_runtime_with_a_taken_port_is_not_added(request):
    """supervisord answers addProcessGroup with HTTP 500 (the exception escapes); tend with a
    FAILED fault carrying the same message. supervisorctl fails either way, and the group is
    added by the next `update` once the port is free."""
    outputs = {}
    for kind in KINDS:
        d = start(request, kind, "[program:other]\ncommand=/bin/sleep 1000\nstartsecs=0\n")
        d.settle(want_running=("other",))
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            d.write_conf("[program:other]\ncommand=/bin/sleep 1000\nstartsecs=0\n" +
                         fcgi("ft", f"tcp://127.0.0.1:{port}"))
            rc, out = ctl(d, "update")
            outputs[kind] = (rc, out.startswith("error:"))
            message = f"Could not create FastCGI socket tcp://127.0.0.1:{port}: [Errno 98] Address already in use"
            assert message in read_text(os.path.join(d.dir, "main.log")), kind
            if kind == "tend":
                assert f"<Fault 30: 'FAILED: {message}'>" in out, out
            names = {namespec(i) for i in d.rpc().supervisor.getAllProcessInfo()}
            assert names == {"other"}, (kind, names)
        rc, out = ctl(d, "update")
        assert rc == 0 and "ft: added process group" in out, (kind, out)
        d.settle(want_running=("other", "ft:ft_0", "ft:ft_1"))
        wait_for(lambda: "fd0" in read_text(Path(d.dir, "ft_0.out")), what=f"{kind} ft_0 to start serving")
        with connect(("127.0.0.1", port)) as s:
            assert answer(s, "late")[2] == "late"
    assert outputs["tend"] == outputs["supervisord"] == (1, True)
