"""environment_file= (docs/config.md, "Environment files") end to end: what a program's environment
holds with all five layers set, the same values python-dotenv reads from a file that uses every rule,
reread/update after an env file changes, and config errors.

Each program is dump.py, which writes its whole environment (NUL-separated) to `<name>.<pid>` in the
run's dir and then becomes `sleep` under the same pid, so a test reads the environment of the very
process getProcessInfo names. (Python, not sh: a shell may drop variables whose names it cannot use,
such as `dotted.key`.)
"""
import os
import shutil
import subprocess
import tempfile
import xmlrpc.client
from pathlib import Path

import pytest
from supervisor.xmlrpc import SupervisorTransport

from conftest import TEND, wait_for

SUPERVISORCTL = "/usr/bin/supervisorctl"

DUMP_PY = """#!/usr/bin/python3
import os, sys
path = f"{sys.argv[1]}.{os.getpid()}"
with open(path + ".tmp", "wb") as f:
    f.write(b"\\0".join(k + b"=" + v for k, v in os.environb.items()))
os.rename(path + ".tmp", path)
os.execv("/bin/sleep", ["sleep", "1000"])
"""


def program(name, extra=""):
    return f"""
[program:{name}]
command=%(here)s/dump.py %(here)s/{name}
startsecs=0
autorestart=false
stdout_logfile=NONE
stderr_logfile=NONE
{extra}
"""


class EnvRun:
    """One `tend -n -c tend.conf` in a short temp dir (the socket path must stay under 108 bytes)."""

    def __init__(self, spawn, programs, supervisord_extra="", files=None, env=None):
        self.spawn = spawn
        self.dir = Path(tempfile.mkdtemp(prefix="tenv"))
        self.conf = self.dir / "tend.conf"
        (self.dir / "dump.py").write_text(DUMP_PY)
        (self.dir / "dump.py").chmod(0o755)
        for name, text in (files or {}).items():
            self.write(name, text)
        self.conf.write_text(f"""
[unix_http_server]
file=%(here)s/s.sock

[supervisord]
logfile=%(here)s/main.log
pidfile=%(here)s/tend.pid
childlogdir=%(here)s
{supervisord_extra}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://%(here)s/s.sock
{programs}
""")
        self.env = env
        self.proc = None

    def write(self, name, text):
        path = self.dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode() if isinstance(text, str) else text)

    def start(self):
        self.proc = self.spawn([TEND, "-n", "-c", self.conf], env=self.env)
        return self

    def rpc(self):
        transport = SupervisorTransport(None, None, f"unix://{self.dir}/s.sock")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    def infos(self):
        try:
            return {i["name"]: i for i in self.rpc().supervisor.getAllProcessInfo()}
        except (OSError, xmlrpc.client.Error):
            return {}

    def running(self, *names):
        """{name: pid} once every named process is RUNNING and has written its dump."""
        def ready():
            infos = self.infos()
            pids = {n: infos[n]["pid"] for n in names if n in infos and infos[n]["statename"] == "RUNNING"}
            if len(pids) == len(names) and all((self.dir / f"{n}.{pid}").exists() for n, pid in pids.items()):
                return pids
            return None
        return wait_for(ready, 15, what=lambda: f"{names} running\n{self.proc.describe()}")

    def environ(self, name, pid):
        data = (self.dir / f"{name}.{pid}").read_bytes().decode()
        return dict(kv.split("=", 1) for kv in data.split("\0") if kv)

    def ctl(self, *args):
        p = subprocess.run([SUPERVISORCTL, "-c", str(self.conf), *args], capture_output=True, text=True,
                           timeout=60, stdin=subprocess.DEVNULL)
        return p.stdout + p.stderr

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def run(spawn, request):
    def make(*args, **kw):
        r = EnvRun(spawn, *args, **kw)
        request.addfinalizer(r.close)
        return r
    if not os.path.exists(SUPERVISORCTL):
        pytest.skip("needs Debian's supervisorctl")
    return make


def test_five_layers_lowest_first(run):
    """tend's environment < [supervisord] environment_file < [supervisord] environment <
    the program's environment_file < the program's environment; a relative path is relative to the
    config file's directory and a '-' file that is missing is no error."""
    tend_env = {f"TENV_K{i}": "tend" for i in range(5)}
    r = run(program("p", "environment_file = p.env, -missing.env\nenvironment=TENV_K4=\"p-env\"") + program("q"),
            supervisord_extra="environment_file=sub/sd.env\n"
                              "environment=TENV_K2=\"sd-env\",TENV_K3=\"sd-env\",TENV_K4=\"sd-env\"",
            files={"sub/sd.env": "".join(f"TENV_K{i}=sd-file\n" for i in range(1, 5)),
                   "p.env": "TENV_K3=p-file\nTENV_K4=p-file\n"},
            env=dict(os.environ, **tend_env)).start()
    pids = r.running("p", "q")
    p = r.environ("p", pids["p"])
    assert [p[f"TENV_K{i}"] for i in range(5)] == ["tend", "sd-file", "sd-env", "p-file", "p-env"]
    q = r.environ("q", pids["q"])
    assert [q[f"TENV_K{i}"] for i in range(5)] == ["tend", "sd-file", "sd-env", "sd-env", "sd-env"]
    assert p["SUPERVISOR_PROCESS_NAME"] == "p"


# Every rule of docs/config.md, in lines python-dotenv reads the same way (CRLF lines included).
COMMON = (
    "# a comment line\n"
    "   # an indented one\n"
    "\n"
    "PLAIN=value\n"
    "export EXPORTED=yes\n"
    "  SPACED  =  spaced value   \n"
    "EMPTY=\n"
    "UNQ_HASH=a#b\n"
    "UNQ_COMMENT=value # a comment\n"
    "UNQ_QUOTES=it's \"quoted\"\n"
    "SQ='single $HOME \\n \"dq\" # no comment'\n"
    "SQ_EMPTY=''\n"
    "SQ_MULTI='line one\nline two'\n"
    "SQ_COMMENT='v'   # c\n"
    "DQ=\"new\\nline, \\\"quoted\\\", back\\\\slash\"\n"
    "DQ_HASH=\"a # b\"\n"
    "DQ_MULTI=\"first\nsecond\"\n"
    "DQ_COMMENT=\"value\"# c\n"
    "DUP=first\n"
    "DUP=second\n"
    "CRLF=crlf value\r\n"
    "CRLF_DQ=\"two\r\nlines\"\r\n"
    "dotted.key-x=1\n"
)
# Where python-dotenv differs, tend's documented reading (docs/config.md lists these).
DIFFERENT = {
    "HASH_AFTER_EQUALS= # only a comment\n": ("HASH_AFTER_EQUALS", "", "# only a comment"),
    "DQ_TAB=\"a\\tb\"\n": ("DQ_TAB", "a\\tb", "a\tb"),
    "SQ_BACKSLASH='a\\\\b'\n": ("SQ_BACKSLASH", "a\\\\b", "a\\b"),
    "REF=${PLAIN}\n": ("REF", "${PLAIN}", "value"),  # python-dotenv interpolates by default
}


def test_reads_what_python_dotenv_reads(run):
    dotenv = pytest.importorskip("dotenv")
    r = run(program("p", "environment_file=all.env"), files={"all.env": COMMON + "".join(DIFFERENT)})
    expected = dotenv.dotenv_values(r.dir / "all.env", interpolate=False)
    common_keys = [k for k in expected if k not in {v[0] for v in DIFFERENT.values()}]
    assert len(common_keys) == 19, common_keys
    interpolated = dotenv.dotenv_values(r.dir / "all.env")
    for key, ours, theirs in DIFFERENT.values():
        assert ours != theirs
        assert theirs in (expected[key], interpolated[key]), key
    r.start()
    pids = r.running("p")
    env = r.environ("p", pids["p"])
    assert {k: env.get(k) for k in common_keys} == {k: expected[k] for k in common_keys}
    assert {key: env.get(key) for key, _, _ in DIFFERENT.values()} == {key: ours for key, ours, _ in
                                                                          DIFFERENT.values()}


def test_update_restarts_exactly_the_program_whose_file_changed(run):
    r = run(program("a", "environment_file=a.env") + program("b", "environment_file=b.env"),
            supervisord_extra="environment_file=g.env",
            files={"a.env": "A_VAL=1\n", "b.env": "B_VAL=1\n", "g.env": "G_VAL=1\n"}).start()
    before = r.running("a", "b")
    assert r.ctl("reread").strip() == "No config updates to processes"
    r.write("a.env", "A_VAL=2\n")
    assert r.ctl("reread").strip() == "a: changed"
    r.ctl("update")
    wait_for(lambda: r.infos().get("a", {}).get("pid") not in (None, 0, before["a"]), 15, what="a restarted")
    after = r.running("a", "b")
    assert after["b"] == before["b"]
    assert r.environ("a", after["a"])["A_VAL"] == "2"
    assert r.environ("b", after["b"])["B_VAL"] == "1"

    # [supervisord] environment_file changes no program: it applies to what starts next.
    r.write("g.env", "G_VAL=2\n")
    assert r.ctl("reread").strip() == "No config updates to processes"
    r.ctl("update")
    assert r.ctl("restart", "b").splitlines() == ["b: stopped", "b: started"]
    final = r.running("a", "b")
    assert final["a"] == after["a"]
    assert r.environ("b", final["b"])["G_VAL"] == "2"
    assert r.environ("a", final["a"])["G_VAL"] == "1"


def test_a_broken_env_file_on_reread_keeps_the_running_config(run):
    r = run(program("a", "environment_file=a.env"), files={"a.env": "A_VAL=1\n"}).start()
    before = r.running("a")
    r.write("a.env", "A_VAL=1\nA_VAL 2\n")
    out = r.ctl("reread")
    assert f"{r.dir}/a.env:2: expected KEY=VALUE" in out, out
    assert r.running("a") == before


def canary_run(run, extra, files):
    """A config whose [program:p] has `extra`; [program:canary] would create `canary` if started."""
    return run(program("canary") + program("p", extra), files=files)


@pytest.mark.parametrize("extra, files, message", [
    ("environment_file=nope.env", {},
     "invalid value for 'environment_file' in [program:p]: unable to read {dir}/nope.env: "
     "No such file or directory"),
    ("environment_file=-bad.env", {"bad.env": "# ok\nA=1\nB=\"open\n"},
     "invalid value for 'environment_file' in [program:p]: {dir}/bad.env:3: unterminated double-quoted value"),
    ("envFiles=bad.env", {"bad.env": "A=1\nexport\n"},
     "invalid value for 'envfiles' in [program:p]: {dir}/bad.env:2: expected KEY=VALUE, found no '=' after "
     "'export'"),
])
def test_config_error_exits_2_and_starts_nothing(run, extra, files, message):
    r = canary_run(run, extra, files)
    line = r.conf.read_text().splitlines().index(extra) + 1
    p = r.start().proc
    assert p.wait(15) == 2
    assert p.err.startswith(f"Error: {r.conf}:{line}: " + message.format(dir=r.dir)), p.err
    assert not list(r.dir.glob("canary.*")), "a program started from a bad config"
