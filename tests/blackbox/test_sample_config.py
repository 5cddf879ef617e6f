"""`tend --sample-config`, and tend installed as `echo_supervisord_conf` (supervisor's command that
Dockerfiles run as `echo_supervisord_conf > /etc/supervisord.conf`): the printed configuration works
as printed in tend and in Debian's supervisord 4.2.5, driven by the real supervisorctl, and every key
it shows commented out is one tend knows (supervisord too, for those not marked tend's)."""

import os
import re
import subprocess

import pytest

from conftest import SUPERVISORD, TEND, wait_for

SUPERVISORCTL = "/usr/bin/supervisorctl"
# A commented-out key line (`;key=value`) or section header (`;[program:web]`) of the sample.
COMMENTED = re.compile(r"^;(\[[a-z_:]+\]|[a-z_.]+ ?=)", re.M)


def sample():
    out = subprocess.run([str(TEND), "--sample-config"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 0 and out.stderr == "", out
    return out.stdout


def moved_into(text, d):
    """The sample with its /tmp paths moved into the test's directory."""
    for name in ("supervisor.sock", "supervisord.log", "supervisord.pid"):
        text = text.replace(f"/tmp/{name}", str(d / name))
    return text.replace("childlogdir=/tmp", f"childlogdir={d}")


def test_echo_supervisord_conf_is_the_sample(tmp_path):
    text = sample()
    link = tmp_path / "echo_supervisord_conf"
    link.symlink_to(TEND)
    out = subprocess.run([str(link)], capture_output=True, text=True, timeout=10)
    assert out.returncode == 0 and out.stdout == text
    # Acted on at once, as -h and -v are: whatever follows is not read.
    out = subprocess.run([str(TEND), "--sample-config", "-c", "/nonexistent"], capture_output=True, text=True,
                         timeout=10)
    assert out.returncode == 0 and out.stdout == text
    for section in ("[unix_http_server]", "[supervisord]", "[rpcinterface:supervisor]", "[supervisorctl]",
                    ";[program:web]", ";[eventlistener:watch]", ";[group:grp]", ";[include]"):
        assert f"\n{section}\n" in text, section
    help_text = subprocess.run([str(TEND), "--help"], capture_output=True, text=True, timeout=10).stdout
    assert "--sample-config" in help_text


@pytest.mark.parametrize("product", ["tend", "supervisord"])
def test_as_printed_it_runs_and_supervisorctl_drives_it(product, tmp_path, spawn):
    conf = tmp_path / "supervisord.conf"
    conf.write_text(moved_into(sample(), tmp_path))
    daemon = [str(TEND)] if product == "tend" else [SUPERVISORD]
    proc = spawn(daemon + ["-n", "-c", str(conf)], cwd=tmp_path)
    sock = tmp_path / "supervisor.sock"
    wait_for(sock.exists, timeout=20, what=lambda: f"{product}'s socket\n{proc.describe()}")

    def ctl(*args):
        return subprocess.run([SUPERVISORCTL, "-c", str(conf), *args], capture_output=True, text=True, timeout=30)

    pid = wait_for(lambda: (lambda r: r.returncode == 0 and r.stdout.strip())(ctl("pid")), timeout=20,
                   what="supervisorctl pid")
    assert int(pid) == proc.pid
    assert ctl("status").stdout == ""  # no program in the sample as printed
    assert (sock.stat().st_mode & 0o777) == 0o700
    assert ctl("shutdown").returncode == 0
    assert proc.popen.wait(timeout=30) == 0
    assert (tmp_path / "supervisord.log").stat().st_size > 0


def uncommented(text):
    """Every commented-out section and key of the sample switched on, plus the `db` program that
    `depends_on` and the group name."""
    return COMMENTED.sub(r"\1", text) + "\n[program:db]\ncommand=/bin/true\n"


def test_every_key_it_shows_is_one_tend_knows(tmp_path):
    text = moved_into(sample(), tmp_path)
    assert len(COMMENTED.findall(text)) >= 80  # the pattern does match the sample's lines
    conf = tmp_path / "all.conf"
    conf.write_text(uncommented(text))
    ini_dump = TEND.parent / "tend-ini-dump"
    out = subprocess.run([str(ini_dump), "--load", str(conf)], capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stdout + out.stderr
    warnings = [line for line in (out.stdout + out.stderr).splitlines()
                if line.startswith("WARN") and "No file matches via include" not in line]
    assert warnings == []
    assert "server [inet_http_server]: file= host=127.0.0.1 port=9001" in out.stdout
    assert "group grp priority=999" in out.stdout and "group watch priority=-1" in out.stdout
    assert 'process web priority=999 command="/usr/bin/web-server --port 8080"' in out.stdout


def test_supervisord_reads_every_key_not_marked_tends(tmp_path):
    text = uncommented(moved_into(sample(), tmp_path))
    ours = [line for line in text.splitlines() if "tend:" in line and "=" in line and not line.startswith(";")]
    assert len(ours) >= 10, "tend's own keys are marked"
    conf = tmp_path / "sup.conf"
    conf.write_text("\n".join(line for line in text.splitlines() if "tend:" not in line) + "\n")
    check = ("import sys\nfrom supervisor.options import ServerOptions\n"
             "o = ServerOptions()\no.realize(args=['-c', sys.argv[1]])\n"
             "print(' '.join(sorted(g.name for g in o.process_group_configs)))\n")
    out = subprocess.run(["/usr/bin/python3", "-c", check, str(conf)], capture_output=True, text=True, timeout=30,
                         cwd=tmp_path, env=dict(os.environ, HOME=str(tmp_path)))
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.split() == ["grp", "watch"]  # web and db are in grp; the listener has its pool
