"""tendctl for a terminal user, black-box against tend: `status` in colour on a terminal only
(NO_COLOR and --color), `open` printing the web console's address, and `tail -f` following a
log across rotations with every line once and in order.

One tend for the module, in a short temp dir (its UNIX socket path must fit), with an
[inet_http_server] on a free loopback port.
"""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import textwrap
import threading
from pathlib import Path

import pytest

from conftest import Proc, TEND, free_port, kill_session, on_terminal, read_text, wait_for

FIXTURES = Path(__file__).parent / "fixtures"
TENDCTL = str(TEND.parent / "tendctl")
ESC = "\x1b["


class CtlTend:
    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="tct-", dir="/tmp"))
        self.port = free_port()
        os.mkfifo(self.dir / "rot.fifo")
        self.conf = self.dir / "tend.conf"
        self.conf.write_text(textwrap.dedent(f"""
            [unix_http_server]
            file=%(here)s/s.sock

            [inet_http_server]
            port=127.0.0.1:{self.port}

            [supervisorctl]
            serverurl=unix://%(here)s/s.sock

            [rpcinterface:supervisor]
            supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

            [supervisord]
            logfile=%(here)s/main.log
            pidfile=%(here)s/tend.pid
            childlogdir=%(here)s

            [program:up]
            command=/bin/sleep 1000
            startsecs=0

            [program:down]
            command=/bin/sleep 1000
            autostart=false

            [program:failed]
            command=/bin/sh -c 'exit 3'
            startsecs=0
            autorestart=false

            [program:done]
            command=/bin/sh -c 'exit 0'
            startsecs=0
            autorestart=false

            [program:rot]
            command=/usr/bin/python3 {FIXTURES}/fifo_writer.py %(here)s/rot.fifo
            stdout_logfile=%(here)s/rot.log
            stdout_logfile_maxbytes=1KB
            stdout_logfile_backups=5
            startsecs=0
            """))
        self.proc = Proc([TEND, "-n", "-c", self.conf], cwd=self.dir)
        self.fifo = os.open(self.dir / "rot.fifo", os.O_RDWR)

    def ctl(self, *args, env=None):
        return subprocess.run([TENDCTL, "-c", self.conf, *args], capture_output=True, text=True,
                              timeout=30, env=env, stdin=subprocess.DEVNULL)

    def stop(self):
        self.proc.send(signal.SIGTERM)
        self.proc.wait(20)
        os.close(self.fifo)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def ct():
    if not os.access(TENDCTL, os.X_OK):
        pytest.fail(f"{TENDCTL} is not built")
    t = CtlTend()
    try:
        def settled():
            out = t.ctl("status").stdout
            return all(re.search(rf"^{n}\s+{s}\b", out, re.M) for n, s in
                       (("up", "RUNNING"), ("down", "STOPPED"), ("failed", "EXITED"),
                        ("done", "EXITED"), ("rot", "RUNNING")))
        wait_for(settled, what="every program in its state")
        yield t
    finally:
        t.stop()


def env_with(**kw):
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(kw)
    return env


def test_status_colours_each_state_on_a_terminal(ct):
    rc, out = on_terminal([TENDCTL, "-c", ct.conf, "status"], env=env_with())
    assert rc == 3  # some process is not running
    assert re.search(r"^up +\x1b\[32mRUNNING\x1b\[0m +pid \d+", out, re.M), repr(out)
    assert re.search(r"^down +\x1b\[2mSTOPPED\x1b\[0m", out, re.M), repr(out)
    assert re.search(r"^failed +\x1b\[31mEXITED\x1b\[0m", out, re.M), repr(out)  # exit 3: unexpected
    assert re.search(r"^done +\x1b\[2mEXITED\x1b\[0m", out, re.M), repr(out)  # exit 0: expected


def test_no_colour_when_piped_or_asked_not_to(ct):
    assert ESC not in ct.ctl("status", env=env_with()).stdout
    rc, out = on_terminal([TENDCTL, "-c", ct.conf, "status"], env=env_with(NO_COLOR="1"))
    assert "RUNNING" in out and ESC not in out
    rc, out = on_terminal([TENDCTL, "--color=never", "-c", ct.conf, "status"], env=env_with())
    assert "RUNNING" in out and ESC not in out


def test_color_always_colours_a_pipe_even_with_no_color(ct):
    out = subprocess.run([TENDCTL, "--color", "always", "-c", ct.conf, "status", "up"], capture_output=True,
                         text=True, timeout=30, env=env_with(NO_COLOR="1")).stdout
    assert "\x1b[32mRUNNING\x1b[0m" in out


def test_color_takes_only_its_three_values(ct):
    p = subprocess.run([TENDCTL, "--color=pink", "status"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2
    assert "--color 'pink'" in p.stderr


def test_open_prints_the_console_address(ct):
    p = ct.ctl("open")
    assert (p.returncode, p.stdout) == (0, f"http://127.0.0.1:{ct.port}/\n")
    # Through an http:// server URL, that server's address.
    p = subprocess.run([TENDCTL, "-c", ct.conf, "-s", f"http://localhost:{ct.port}/RPC2", "open"],
                       capture_output=True, text=True, timeout=30)
    assert (p.returncode, p.stdout) == (0, f"http://localhost:{ct.port}/\n")


def test_open_without_an_inet_server_says_how_to_add_one(tmp_path):
    conf = tmp_path / "unix-only.conf"
    conf.write_text("[unix_http_server]\nfile=/tmp/nowhere.sock\n"
                    "[supervisorctl]\nserverurl=unix:///tmp/nowhere.sock\n")
    p = subprocess.run([TENDCTL, "-c", conf, "open"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 1
    assert "unix:///tmp/nowhere.sock" in p.stdout and "[inet_http_server]" in p.stdout


def test_tail_f_follows_the_log_across_rotations(ct):
    log = ct.dir / "rot.log"
    os.write(ct.fifo, b"1 " + b"start\n".hex().encode() + b"\n")
    wait_for(lambda: read_text(log).endswith("start\n"), what="the first line in rot.log")
    p = subprocess.Popen([TENDCTL, "-c", ct.conf, "tail", "-f", "rot"], stdout=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    got = []
    reader = threading.Thread(target=lambda: [got.append(c) for c in iter(lambda: p.stdout.read1(65536), b"")],
                              daemon=True)
    reader.start()
    try:
        header = b"==> Press Ctrl-C to exit <==\n"
        wait_for(lambda: b"".join(got) == header + b"start\n", what="tail -f's first lines")
        expected = b"start\n"
        n = 0
        for batch in range(8):
            # Four writes of more than maxbytes each, sent at once: several rotations can
            # fall between two of the server's checks of the file.
            for _ in range(4):
                chunk = b"".join(b"line %05d\n" % (n + i) for i in range(100))
                n += 100
                os.write(ct.fifo, b"1 " + chunk.hex().encode() + b"\n")
                expected += chunk
            wait_for(lambda: b"".join(got).endswith(expected[-11:]), what=f"batch {batch} through tail -f")
        assert b"".join(got) == header + expected
        assert (ct.dir / "rot.log.5").exists(), "the log rotated more than five times"
    finally:
        kill_session(p)
        p.wait(10)
