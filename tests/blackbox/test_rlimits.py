"""Per-program resource limits (rlimit_* keys): what a program runs with, read back from
/proc/<pid>/limits; the spawn error when tend may not raise a hard limit; the config errors;
reread/update restarting exactly the program whose limits changed.

The bad-value config errors (exit 2, file:line, nothing started) are in the bad corpus:
tests/data/ini/bad/rlimit_*.conf, run by test_config.py.
"""
import ctypes
import os
import re
import resource
import subprocess
from pathlib import Path

import pytest

from conftest import TEND, read_text, skip_by_design, wait_for
from test_rpc import SUPERVISORCTL, Daemon

PR_CAPBSET_DROP = 24
CAP_SYS_RESOURCE = 24

# /proc/<pid>/limits row names, by key.
ROWS = {
    "rlimit_nofile": "Max open files",
    "rlimit_nproc": "Max processes",
    "rlimit_core": "Max core file size",
    "rlimit_memlock": "Max locked memory",
    "rlimit_stack": "Max stack size",
    "rlimit_as": "Max address space",
    "rlimit_cpu": "Max cpu time",
    "rlimit_fsize": "Max file size",
}


def limits(pid):
    """{row name: (soft, hard)} as the kernel shows a process's limits."""
    out = {}
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines()[1:]:
        m = re.match(r"(Max [a-z ]+?)\s{2,}(\S+)\s+(\S+)", line)
        if m:
            out[m.group(1)] = (m.group(2), m.group(3))
    return out


def prog(name, extra="", command="/bin/sleep 1000"):
    return f"""
[program:{name}]
command={command}
startsecs=0
stdout_logfile=NONE
stderr_logfile=NONE
{extra}"""


def info(d, name):
    return d.rpc().supervisor.getProcessInfo(name)


def wait_state(d, name, state):
    """getProcessInfo of `name` once it is in `state`."""
    def reached():
        i = info(d, name)
        return i if i["statename"] == state else None
    return wait_for(reached, what=lambda: f"{name} {state}: {info(d, name)}")


def running_pid(d, name):
    return wait_state(d, name, "RUNNING")["pid"]


def ctl(d, *args):
    p = subprocess.run([SUPERVISORCTL, "-c", d.conf, *args], capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    return p.stdout.splitlines(), p.returncode


def has_cap_sys_resource():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapEff:"):
            return (int(line.split()[1], 16) >> CAP_SYS_RESOURCE) & 1 == 1
    return False


def start_limited(request, programs, own, drop_cap, supervisord_extra=""):
    """tend started with lowered limits of its own (`own`: {resource: (soft, hard)}) and, when
    `drop_cap`, without CAP_SYS_RESOURCE (gone from the bounding set before the exec, so a root tend
    has every capability but that one): a tend that cannot raise those hard limits again."""
    libc = ctypes.CDLL(None, use_errno=True)  # loaded here: the forked child only calls it

    def preexec():
        for res, value in own.items():
            resource.setrlimit(res, value)
        if drop_cap and os.geteuid() == 0:
            if libc.prctl(PR_CAPBSET_DROP, CAP_SYS_RESOURCE, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")

    d = Daemon("tend", programs=programs, supervisord_extra=supervisord_extra, preexec_fn=preexec)
    request.addfinalizer(d.stop)
    d.wait_ready()
    return d


def start(request, programs):
    d = Daemon("tend", programs=programs)
    request.addfinalizer(d.stop)
    d.wait_ready()
    return d


def test_a_program_runs_with_its_limits(request):
    stack_hard = resource.getrlimit(resource.RLIMIT_STACK)[1]
    d = start(request, prog("limited", """
rlimit_nofile = 1024:4096
rlimit_core = 0:unlimited
rlimit_stack = 1MB
rlimit_as = unlimited
rlimit_cpu = 3600:unlimited
rlimit_fsize = 1GB
rlimit_memlock = 64KB
rlimit_nproc = 500:1000
""") + prog("plain"))
    pid = running_pid(d, "limited")
    got = limits(pid)
    assert got[ROWS["rlimit_nofile"]] == ("1024", "4096")
    assert got[ROWS["rlimit_core"]] == ("0", "unlimited")
    assert got[ROWS["rlimit_stack"]] == ("1048576", "1048576")
    assert got[ROWS["rlimit_as"]] == ("unlimited", "unlimited")
    assert got[ROWS["rlimit_cpu"]] == ("3600", "unlimited")
    assert got[ROWS["rlimit_fsize"]] == ("1073741824", "1073741824")
    assert got[ROWS["rlimit_memlock"]] == ("65536", "65536")
    assert got[ROWS["rlimit_nproc"]] == ("500", "1000")
    # A program without rlimit_* keys has tend's limits; tend's own are untouched.
    tend_limits = limits(d.proc.pid)
    assert limits(running_pid(d, "plain")) == tend_limits
    assert tend_limits[ROWS["rlimit_stack"]][1] == ("unlimited" if stack_hard == resource.RLIM_INFINITY
                                                     else str(stack_hard))
    assert tend_limits[ROWS["rlimit_nofile"]] != ("1024", "4096")


def test_root_raises_a_hard_limit_above_its_own_for_an_unprivileged_user(request):
    if os.geteuid() != 0:
        pytest.skip("needs root")
    if not has_cap_sys_resource():
        # Container runtimes drop it by default; no installation gives it back.
        skip_by_design("root without CAP_SYS_RESOURCE here: no one may raise a hard limit")
    d = start_limited(request, prog("nobody", "user = nobody\nrlimit_nofile = 1024:2048\n"),
                      own={resource.RLIMIT_NOFILE: (256, 512)}, drop_cap=False,
                      supervisord_extra="minfds=100")
    pid = running_pid(d, "nobody")
    assert limits(d.proc.pid)[ROWS["rlimit_nofile"]] == ("256", "512")
    assert limits(pid)[ROWS["rlimit_nofile"]] == ("1024", "2048")
    status = Path(f"/proc/{pid}/status").read_text()
    assert re.search(r"^Uid:\s+65534\s", status, re.M), status


def test_a_limit_tend_cannot_raise_is_a_spawn_error(request):
    # tend's hard open-files limit is 512 and it has no CAP_SYS_RESOURCE: 256:1024 is refused.
    programs = prog("high", "rlimit_nofile = 256:1024\nstartretries = 1\n") + prog("low", "rlimit_nofile = 128:512\n")
    d = start_limited(request, programs, own={resource.RLIMIT_NOFILE: (256, 512)}, drop_cap=True,
                      supervisord_extra="minfds=100")
    message = "unable to set rlimit_nofile to 256:1024: Operation not permitted"
    # BACKOFF after each failed spawn, FATAL once the retries are used up (supervisord's rules).
    assert wait_state(d, "high", "FATAL")["spawnerr"] == message
    gave_up = "gave up: high entered FATAL state, too many start retries too quickly"
    log = wait_for(lambda: (lambda t: t if gave_up in t else None)(read_text(Path(d.dir, "main.log"))),
                   what="the FATAL line in the log")
    assert log.count(f"spawnerr: {message}") == 2, log  # the first try and the one retry
    assert len(re.findall(r"success: high|spawned: 'high'", log)) == 0, log
    # Lowering works without the capability.
    assert limits(running_pid(d, "low"))[ROWS["rlimit_nofile"]] == ("128", "512")


def test_open_files_above_nr_open_fail_even_for_root(request):
    nr_open = int(Path("/proc/sys/fs/nr_open").read_text())
    d = start(request, prog("huge", f"rlimit_nofile = {nr_open + 1}\nstartretries = 0\n"))
    assert wait_state(d, "huge", "FATAL")["spawnerr"] == f"unable to set rlimit_nofile to {nr_open + 1}: Operation not permitted"


def test_config_error_names_file_and_line_and_starts_nothing(tmp_path):
    marker = tmp_path / "started"
    conf = tmp_path / "s.conf"
    conf.write_text(f"""[supervisord]
logfile={tmp_path}/main.log
pidfile={tmp_path}/d.pid

[program:canary]
command=/bin/sh -c "touch {marker}"
startsecs=0

[program:web]
command=/bin/sleep 1000
rlimit_core = unlimited
rlimit_nofile = 4096:1024
""")
    out = subprocess.run([str(TEND), "-n", "-c", str(conf)], capture_output=True, text=True, timeout=20,
                         stdin=subprocess.DEVNULL)
    assert out.returncode == 2, out
    assert out.stderr.startswith(f"Error: {conf}:12: invalid value for 'rlimit_nofile' in [program:web]: "
                                 "the soft limit 4096 is above the hard limit 1024"), out.stderr
    assert not marker.exists()


def test_update_restarts_exactly_the_program_whose_limits_changed(request):
    def conf(a_nofile, b_core):
        return (prog("a", f"rlimit_nofile = {a_nofile}\n") + prog("b", f"rlimit_core = {b_core}\n")
                + prog("c"))

    d = start(request, conf("1024:2048", "1KB"))
    before = {n: running_pid(d, n) for n in "abc"}

    # The same values written differently are the same configuration.
    d.write_conf(conf("1024 : 2048", "1024:1024"))
    assert ctl(d, "reread") == (["No config updates to processes"], 0)

    d.write_conf(conf("512:4096", "1024"))
    lines, rc = ctl(d, "reread")
    assert (lines, rc) == (["a: changed"], 0)
    lines, rc = ctl(d, "update")
    assert rc == 0 and sorted(lines) == ["a: stopped", "a: updated process group"], lines
    wait_for(lambda: info(d, "a")["statename"] == "RUNNING" and info(d, "a")["pid"] != before["a"],
             what=lambda: f"a restarted: {info(d, 'a')}")
    after = {n: running_pid(d, n) for n in "abc"}
    assert after["b"] == before["b"] and after["c"] == before["c"]
    assert limits(after["a"])[ROWS["rlimit_nofile"]] == ("512", "4096")
    assert limits(after["b"])[ROWS["rlimit_core"]] == ("1024", "1024")
