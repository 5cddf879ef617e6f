"""tend without -n: the parent exits 0 at once, the daemon runs in a session of its own with
fds 0-2 on /dev/null, and a failure after the fork reaches the stderr tend was started with."""
import os
import shutil
import textwrap
from pathlib import Path

import pytest

from conftest import TEND, proc_stat, read_text, wait_for


def conf_text(d):
    return textwrap.dedent(f"""\
        [supervisord]
        logfile={d}/main.log
        pidfile={d}/tend.pid
        childlogdir={d}

        [program:idle]
        command=/bin/sleep 1000
        startsecs=0
        stdout_logfile=NONE
        stderr_logfile=NONE
        """)


def session_of(pid):
    data = Path(f"/proc/{pid}/stat").read_text()
    return int(data[data.rindex(")") + 2:].split()[3])


def test_daemon_detaches_into_its_own_session_on_dev_null(spawn, vartmp):
    conf = vartmp / "tend.conf"
    conf.write_text(conf_text(vartmp))
    p = spawn([TEND, "-c", conf])
    assert p.wait() == 0, p.describe()
    pidfile = vartmp / "tend.pid"
    pid = int(wait_for(lambda: read_text(pidfile).strip(), what="the daemon's pidfile"))
    assert proc_stat(pid) is not None, "the daemon is not running"
    assert session_of(pid) == pid
    for fd in (0, 1, 2):
        assert os.readlink(f"/proc/{pid}/fd/{fd}") == "/dev/null"


def test_unopenable_dev_null_is_reported_after_the_fork(spawn, vartmp):
    """With an empty /dev (a private mount namespace), the daemonized child cannot open
    /dev/null: it must say so on the original stderr and exit, not run on with the caller's fds."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("missing root or unshare")
    conf = vartmp / "tend.conf"
    conf.write_text(conf_text(vartmp))
    script = f"mount -t tmpfs none /dev && exec {TEND} -c {conf}"
    p = spawn(["unshare", "--mount", "--propagation", "private", "sh", "-c", script])
    assert p.wait() == 0, p.describe()  # the parent's exit, before the failure
    wait_for(lambda: "Error: unable to open /dev/null: No such file or directory" in p.err,
             what=lambda: f"the daemon's error on stderr\n{p.describe()}")
    # Every writer of the stderr pipe has gone: the daemon exited instead of running on.
    wait_for(lambda: not any(t.is_alive() for t in p._threads), what="the daemon to exit")
    assert not (vartmp / "tend.pid").exists()
