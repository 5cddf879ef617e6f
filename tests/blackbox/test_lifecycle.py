"""Process lifecycle, black-box: `tend -n -c conf` as an ordinary process in a temp dir.

Each test writes a config, starts the supervisor, synchronises on main-log lines (supervisord
4.2.5's exact texts, reference §2.6) and stops it with SIGTERM. Programs are the compiled
fixtures/dockerapp.c (roles dockerapp1/dockerapp2/worker/inspect) or `sh -c` one-liners.
Run with `--peer supervisord` to see what the real supervisord does (report only).
"""
import os
import re
import signal
import textwrap
import time
from datetime import datetime
from pathlib import Path

import pytest

from conftest import read_text, wait_for

LINE_RE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (CRIT|ERRO|WARN|INFO|DEBG|TRAC|BLAT) (.*)$")


class Run:
    """One supervisor instance with its config, main log and pidfile in `dir`."""

    def __init__(self, spawn, sup_argv, dir, programs, supervisord="", **popen_kw):
        self.dir = Path(dir)
        self.conf = self.dir / "tend.conf"
        self.log = self.dir / "main.log"
        self.pidfile = self.dir / "tend.pid"
        self.conf.write_text(self.config_text(programs, supervisord))
        self.p = spawn(sup_argv + ["-n", "-c", self.conf], cwd=self.dir, **popen_kw)

    def config_text(self, programs, supervisord=""):
        head = (f"[supervisord]\nlogfile={self.log}\npidfile={self.pidfile}\n"
                f"childlogdir={self.dir}\nloglevel=info\n")
        return head + textwrap.dedent(supervisord) + "\n" + textwrap.dedent(programs)

    def text(self):
        return read_text(self.log)

    def entries(self):
        """[(time, level, message)] of the main log; multi-line messages are continued."""
        out = []
        for line in self.text().splitlines():
            m = LINE_RE.match(line)
            if m:
                ts = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f")
                out.append((ts, m.group(2), m.group(3)))
            elif out:
                ts, level, msg = out[-1]
                out[-1] = (ts, level, msg + "\n" + line)
        return out

    def find(self, pattern, level=None):
        """Entries whose message fully matches `pattern` (and `level` if given)."""
        rx = re.compile(pattern)
        return [e for e in self.entries() if rx.fullmatch(e[2]) and (level is None or e[1] == level)]

    def wait_log(self, pattern, count=1, timeout=10.0, level=None):
        """Wait until `count` entries match; fail early (with context) if the supervisor died."""
        def ready():
            found = self.find(pattern, level)
            if len(found) >= count:
                return found
            if not self.p.alive():
                raise AssertionError(f"supervisor exited (rc {self.p.popen.returncode}) before "
                                     f"{count}x {pattern!r}\n{self.context()}")
            return None
        try:
            return wait_for(ready, timeout, what=f"{count}x {pattern!r} in the main log")
        except AssertionError as e:
            if "timed out" in str(e):
                raise AssertionError(f"{e}\n{self.context()}") from None
            raise

    def all_output(self):
        return self.text() + self.p.out + self.p.err

    def context(self):
        return f"--- main log ---\n{self.text()[-4000:]}\n{self.p.describe()}"

    def pid_of(self, name):
        found = self.find(rf"spawned: '{re.escape(name)}' with pid (\d+)")
        assert found, f"no spawned line for {name}\n{self.context()}"
        return int(re.search(r"pid (\d+)", found[-1][2]).group(1))

    def stop(self, timeout=10.0):
        """SIGTERM the supervisor; return its exit status (fails if it is still up after timeout)."""
        self.p.send(signal.SIGTERM)
        rc = self.p.wait(timeout)
        return rc


@pytest.fixture
def run(spawn, sup_argv, tmp_path):
    def _run(programs, supervisord="", **kw):
        return Run(spawn, sup_argv, tmp_path, programs, supervisord, **kw)
    return _run


SUCCESS = r"success: {} entered RUNNING state, process has stayed up for > than {} seconds \(startsecs\)"


def success(name, secs=1):
    return SUCCESS.format(re.escape(name), secs)


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


# ---------------------------------------------------------------------------------------------
# start, RUNNING, exits

def test_spawn_success_and_stop_lines(run, dockerapp, tmp_path):
    r = run(f"""
        [program:a]
        command={dockerapp} dockerapp1
        stdout_logfile={tmp_path}/a.log
        """)
    (ts_ok, level, _), = r.wait_log(success("a"))
    assert level == "INFO"
    (ts_spawn, level, msg), = r.find(r"spawned: 'a' with pid \d+")
    assert level == "INFO"
    pid = r.pid_of("a")
    assert Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:2] == [str(dockerapp).encode(),
                                                                          b"dockerapp1"]
    # startsecs counts from just before the spawn (as supervisord's laststart does) and the
    # "spawned" line is logged after it, so a slow spawn under load narrows the gap a little.
    assert (ts_ok - ts_spawn).total_seconds() >= 0.9, "RUNNING before startsecs elapsed"
    assert r.stop() == 0
    assert r.find("received SIGTERM indicating exit request", "WARN")
    assert r.find(r"stopped: a \(exit status 0\)", "INFO"), r.context()
    assert "handle signal: terminated\nsignal termiate received, app exit normally\n" in \
        read_text(tmp_path / "a.log")
    assert not alive(pid)
    bad = [line for line in r.text().splitlines() if line and not LINE_RE.match(line)]
    assert not bad, f"main-log lines not in supervisord's format: {bad}"


def test_startsecs_zero_oneshot_is_expected_exit(run, dockerapp):
    r = run(f"""
        [program:once]
        command=sh -c 'echo hi'
        startsecs=0
        autorestart=false

        [program:steady]
        command={dockerapp} dockerapp1
        startsecs=0
        """)
    r.wait_log(r"exited: once \(exit status 0; expected\)", level="INFO")
    r.wait_log(success("steady", 0), level="INFO")
    assert r.stop() == 0
    assert len(r.find(r"spawned: 'once' with pid \d+")) == 1
    assert not r.find(r"gave up: once .*"), r.context()


def test_quick_exit_backs_off_then_fatal(run):
    r = run("""
        [program:flap]
        command=sh -c 'exit 0'
        startsecs=1
        startretries=1
        """)
    r.wait_log(r"gave up: flap entered FATAL state, too many start retries too quickly", level="INFO")
    assert len(r.find(r"spawned: 'flap' with pid \d+")) == 2  # 1 + startretries
    assert len(r.find(r"exited: flap \(exit status 0; not expected\)", "WARN")) == 2
    assert r.p.alive()
    assert r.stop() == 0
    assert len(r.find(r"spawned: 'flap' with pid \d+")) == 2  # FATAL is never restarted


def test_autorestart_true_restarts_after_expected_exit(run):
    r = run("""
        [program:again]
        command=sh -c 'sleep 0.1'
        startsecs=0
        autorestart=true
        """)
    r.wait_log(r"spawned: 'again' with pid \d+", count=3)
    assert len(r.find(r"exited: again \(exit status 0; expected\)", "INFO")) >= 2
    assert r.stop() == 0


def test_exitcodes_decide_expected_and_autorestart_unexpected(run):
    r = run("""
        [program:ok3]
        command=sh -c 'sleep 0.1; exit 3'
        startsecs=0
        exitcodes=0,3

        [program:bad4]
        command=sh -c 'sleep 0.1; exit 4'
        startsecs=0
        exitcodes=0,3

        [program:bad4once]
        command=sh -c 'sleep 0.1; exit 4'
        startsecs=0
        exitcodes=0,3
        autorestart=false
        """)
    r.wait_log(r"exited: ok3 \(exit status 3; expected\)", level="INFO")
    r.wait_log(r"exited: bad4once \(exit status 4; not expected\)", level="WARN")
    r.wait_log(r"exited: bad4 \(exit status 4; not expected\)", count=2, level="WARN")
    r.wait_log(r"spawned: 'bad4' with pid \d+", count=3)
    assert len(r.find(r"spawned: 'ok3' with pid \d+")) == 1  # expected exit: not restarted
    assert len(r.find(r"spawned: 'bad4once' with pid \d+")) == 1  # autorestart=false
    assert r.stop() == 0


# ---------------------------------------------------------------------------------------------
# stopping

def test_stopsignal_and_sigkill_escalation(run, dockerapp, tmp_path):
    r = run(f"""
        [program:quitter]
        command={dockerapp} dockerapp1
        stdout_logfile={tmp_path}/quitter.log
        stopsignal=QUIT

        [program:stubborn]
        command={dockerapp} dockerapp2
        stdout_logfile={tmp_path}/stubborn.log
        stopwaitsecs=1

        [program:sleeper]
        command=sleep 1000
        """)
    for name in ("quitter", "stubborn", "sleeper"):
        r.wait_log(success(name))
    stubborn = r.pid_of("stubborn")
    assert r.stop() == 0
    assert "unknown signal received: quit, app exit unexpectedly" in read_text(tmp_path / "quitter.log")
    assert r.find(r"stopped: quitter \(exit status 1\)", "WARN"), r.context()
    assert "handle signal: terminated" in read_text(tmp_path / "stubborn.log")
    kills = r.find(rf"killing 'stubborn' \({stubborn}\) with SIGKILL", "WARN")
    assert len(kills) == 1, r.context()
    ts_kill = kills[0][0]
    (ts_term, _, _), = r.find("received SIGTERM indicating exit request")
    assert (ts_kill - ts_term).total_seconds() >= 0.99, "SIGKILL before stopwaitsecs"
    assert r.find(r"stopped: stubborn \(terminated by SIGKILL\)", "WARN"), r.context()
    assert r.find(r"stopped: sleeper \(terminated by SIGTERM\)", "WARN"), r.context()


def test_stopasgroup_signals_the_whole_process_group(run, dockerapp, tmp_path):
    log = tmp_path / "grp.log"
    r = run(f"""
        [program:grp]
        command=sh -c '{dockerapp} worker & {dockerapp} worker & wait'
        stopasgroup=true
        stopsignal=USR1
        environment=FIXTURE_LOG="{log}"
        """)
    wait_for(lambda: read_text(log).count("worker started") == 2, what="two workers started")
    r.wait_log(success("grp"))
    r.p.send(signal.SIGTERM)
    wait_for(lambda: read_text(log).count("handle signal: user defined signal 1") == 2,
             what="USR1 logged by both group members")
    r.wait_log(r"stopped: grp \(terminated by SIGUSR1\)", level="WARN")
    assert r.p.wait(10) == 0


def test_shutdown_stops_higher_priority_numbers_first(run, dockerapp, tmp_path):
    log = tmp_path / "order.log"
    names = {"first": 1, "middle": 500, "last": 999}
    r = run("".join(f"""
        [program:{n}]
        command={dockerapp} worker
        priority={prio}
        environment=FIXTURE_LOG="{log}"
        """ for n, prio in names.items()))
    for n in names:
        r.wait_log(success(n))
    pids = {n: r.pid_of(n) for n in names}
    assert r.stop() == 0
    lines = read_text(log).splitlines()

    def index(name, what):
        line = f"{pids[name]}: {what}"
        assert line in lines, f"{line!r} missing from\n" + "\n".join(lines)
        return lines.index(line)

    assert index("last", "clean exit") < index("middle", "handle signal: terminated")
    assert index("middle", "clean exit") < index("first", "handle signal: terminated")
    stopped = [m for _, _, m in r.find(r"stopped: \w+ \(exit status 0\)")]
    assert stopped == [f"stopped: {n} (exit status 0)" for n in ("last", "middle", "first")]


# ---------------------------------------------------------------------------------------------
# errors

def test_missing_command_is_fatal_and_tend_keeps_running(run, dockerapp):
    r = run(f"""
        [program:nope]
        command=nope
        startretries=0

        [program:ok]
        command={dockerapp} dockerapp1
        """)
    # supervisord's text; tend adds the PATH it searched (" in PATH=...").
    r.wait_log(r"spawnerr: can't find command 'nope'( in PATH=\S+)?$", level="INFO")
    r.wait_log(r"gave up: nope entered FATAL state, too many start retries too quickly")
    r.wait_log(success("ok"))
    assert r.p.alive()
    assert r.stop() == 0


def test_unknown_user_is_a_config_error_naming_it(run, dockerapp):
    r = run(f"""
        [program:a]
        command={dockerapp} dockerapp1
        user=tend_no_such_user
        """)
    assert r.p.wait(10) == 2
    assert "tend_no_such_user" in r.all_output()
    assert not r.find(r"spawned: .*")


def test_missing_log_directory_is_a_config_error_naming_it(run, dockerapp, tmp_path):
    path = tmp_path / "no" / "such" / "dir" / "a.log"
    r = run(f"""
        [program:a]
        command={dockerapp} dockerapp1
        stdout_logfile={path}
        """)
    assert r.p.wait(10) == 2
    assert str(path.parent) in r.all_output()


def test_uncreatable_log_file_is_reported_with_its_path(run, dockerapp):
    path = "/proc/self/tend-cannot-create.log"  # the directory exists; the file can't be made
    r = run(f"""
        [program:a]
        command={dockerapp} dockerapp1
        stdout_logfile={path}
        startretries=0
        """)
    wait_for(lambda: path in r.all_output() or not r.p.alive(), what="an error naming the log path")
    assert path in r.all_output(), r.context()
    assert not r.find(success("a"))
    if r.p.alive():
        assert r.stop() == 0


def test_sighup_with_invalid_config_keeps_old_programs(run, dockerapp):
    programs = f"""
        [program:a]
        command={dockerapp} dockerapp1
        """
    r = run(programs)
    r.wait_log(success("a"))
    pid = r.pid_of("a")
    broken = r.config_text(programs + "startsecs=banana\n")
    lineno = broken.splitlines().index("startsecs=banana") + 1
    r.conf.write_text(broken)
    r.p.send(signal.SIGHUP)
    where = f"{r.conf}:{lineno}"
    wait_for(lambda: where in r.all_output() or not r.p.alive(), what=f"an error at {where}")
    assert where in r.all_output(), r.context()
    assert r.p.alive(), r.context()
    assert alive(pid)
    assert len(r.find(r"spawned: 'a' with pid \d+")) == 1
    assert not r.find(r"stopped: a .*")
    assert r.stop() == 0


# ---------------------------------------------------------------------------------------------
# signals to tend, pidfile

def test_sigusr1_does_not_kill_tend(run, dockerapp):
    r = run(f"""
        [program:a]
        command={dockerapp} dockerapp1
        """)
    r.wait_log(success("a"))
    r.p.send(signal.SIGUSR1)
    r.p.send(signal.SIGUSR2)  # a signal with a visible effect, queued after USR1
    r.wait_log(r"received SIGUSR2 indicating log reopen request")
    assert r.p.alive()
    assert alive(r.pid_of("a"))
    assert r.stop() == 0


def test_sigusr2_reopens_main_and_child_logs(run, dockerapp, tmp_path):
    child_log = tmp_path / "a.log"
    r = run(f"""
        [program:a]
        command={dockerapp} dockerapp1
        stdout_logfile={child_log}
        """)
    r.wait_log(success("a"))
    pid = r.pid_of("a")
    r.log.rename(tmp_path / "main.log.old")
    child_log.rename(tmp_path / "a.log.old")
    r.p.send(signal.SIGUSR2)
    wait_for(lambda: r.log.exists(), what="a new main log after SIGUSR2")
    assert "received SIGUSR2 indicating log reopen request" in \
        read_text(tmp_path / "main.log.old") + r.text()
    os.kill(pid, signal.SIGUSR1)
    wait_for(lambda: "handle signal: user defined signal 1" in read_text(child_log),
             what="child output in the reopened child log")
    assert "user defined signal 1" not in read_text(tmp_path / "a.log.old")
    assert r.stop() == 0


def test_pidfile_written_and_removed(run, dockerapp):
    r = run(f"""
        [program:a]
        command={dockerapp} dockerapp1
        """)
    wait_for(lambda: read_text(r.pidfile).strip() == str(r.p.pid), what="pidfile with tend's pid")
    r.wait_log(success("a"))  # a TERM between fork and exec could be lost by any supervisor
    assert r.stop() == 0
    assert not r.pidfile.exists()


# ---------------------------------------------------------------------------------------------
# what the child gets

def read_inspect(path):
    text = wait_for(lambda: read_text(path), what=f"{path}")
    env = dict(line[5:].split("=", 1) for line in text.splitlines() if line.startswith("env: "))
    fields = dict(line.split(":", 1) for line in text.splitlines() if not line.startswith("env: "))
    return env, {k: v.strip() for k, v in fields.items()}


def test_numprocs_process_names(run, dockerapp, tmp_path):
    r = run(f"""
        [program:w]
        command={dockerapp} inspect {tmp_path}/env-%(process_num)02d.txt
        process_name=%(program_name)s_%(process_num)02d
        numprocs=3
        """)
    for n in ("w_00", "w_01", "w_02"):
        r.wait_log(success(n))
    env, _ = read_inspect(tmp_path / "env-01.txt")
    assert env["SUPERVISOR_PROCESS_NAME"] == "w_01"
    assert env["SUPERVISOR_GROUP_NAME"] == "w"
    assert r.stop() == 0


def test_environment_reaches_the_child(run, dockerapp, tmp_path):
    r = run(f"""
        [group:g]
        programs=a

        [program:a]
        command={dockerapp} inspect {tmp_path}/a.env
        environment=FOO="bar baz",SHARED="from-program"
        """, supervisord='environment=GLOBAL_ONE="g1",SHARED="from-global"\n')
    env, _ = read_inspect(tmp_path / "a.env")
    assert env.get("SUPERVISOR_ENABLED") == "1"
    assert env.get("SUPERVISOR_PROCESS_NAME") == "a"
    assert env.get("SUPERVISOR_GROUP_NAME") == "g"
    assert env.get("FOO") == "bar baz"
    assert env.get("GLOBAL_ONE") == "g1"
    assert env.get("SHARED") == "from-program"
    assert env.get("PATH") == os.environ.get("PATH")
    r.wait_log(success("a"))
    assert r.stop() == 0


def test_child_gets_only_fds_0_1_2_and_clean_signal_state(run, dockerapp, tmp_path):
    rd, wr = os.pipe()  # an fd tend inherits and must not pass on

    def dirty_signal_state():
        for sig in (signal.SIGTTOU, signal.SIGXFSZ, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGURG})

    try:
        r = run(f"""
            [program:a]
            command={dockerapp} inspect {tmp_path}/a.inspect
            """, pass_fds=(wr,), preexec_fn=dirty_signal_state)
    finally:
        os.close(rd)
        os.close(wr)
    _, fields = read_inspect(tmp_path / "a.inspect")
    assert sorted(fields["fds"].split(), key=int) == ["0", "1", "2"]
    assert int(fields["SigBlk"], 16) == 0, f"blocked in child: {fields['SigBlk']}"
    assert int(fields["SigIgn"], 16) == 0, f"ignored in child: {fields['SigIgn']}"
    r.wait_log(success("a"))
    assert r.stop() == 0


# ---------------------------------------------------------------------------------------------
# child output

def test_stdout_logfile_rotation_keeps_backups(run, tmp_path):
    log = tmp_path / "chatty.log"
    r = run(f"""
        [program:chatty]
        command=sh -c 'for i in 0 1 2 3 4; do printf "burst-$i-%%0600d\\n" 0; sleep 0.1; done; exec sleep 1000'
        stdout_logfile={log}
        stdout_logfile_maxbytes=500
        stdout_logfile_backups=2
        """)
    files = [log, Path(f"{log}.1"), Path(f"{log}.2")]
    wait_for(lambda: any("burst-4" in read_text(f) for f in files), what="the last burst logged")
    assert files[1].exists() and files[2].exists()
    assert not Path(f"{log}.3").exists()

    def bursts(f):
        return [int(b) for b in re.findall(r"burst-(\d)", read_text(f))]

    assert bursts(files[2]) and bursts(files[1])
    assert max(bursts(files[2])) < min(bursts(files[1])), ".2 must be older than .1"
    assert r.stop() == 0


def test_dev_stdout_with_default_maxbytes_on_a_pipe(run):
    r = run("""
        [program:talker]
        command=sh -c 'echo hello-from-talker; exec sleep 1000'
        stdout_logfile=/dev/stdout
        """)
    wait_for(lambda: "hello-from-talker" in r.p.out, what="child output on tend's stdout")
    r.wait_log(success("talker"))
    assert "Illegal seek" not in r.all_output()
    assert not r.find(r"(?s).*exception.*", "CRIT"), r.context()
    assert r.stop() == 0


def test_console_output_prefixes_lines_with_the_name(run):
    r = run("""
        [program:a]
        command=sh -c 'echo hello; echo world; exec sleep 1000'
        """, supervisord="console_output=on\n")
    for word in ("hello", "world"):
        wait_for(lambda: re.search(rf"^a\s*\| {word}$", r.p.out, re.M),
                 what=f"'a | {word}' on tend's stdout")
    assert r.stop() == 0


def test_redirect_stderr(run, tmp_path):
    cmd = "sh -c 'echo to-out; echo to-err >&2; exec sleep 1000'"
    r = run(f"""
        [program:merged]
        command={cmd}
        redirect_stderr=true
        stdout_logfile={tmp_path}/merged.log

        [program:split]
        command={cmd}
        stdout_logfile={tmp_path}/split.out
        stderr_logfile={tmp_path}/split.err
        """)
    wait_for(lambda: {"to-out", "to-err"} <= set(read_text(tmp_path / "merged.log").split()),
             what="both streams in merged.log")
    wait_for(lambda: read_text(tmp_path / "split.out") and read_text(tmp_path / "split.err"),
             what="split logs")
    assert read_text(tmp_path / "split.out") == "to-out\n"
    assert read_text(tmp_path / "split.err") == "to-err\n"
    assert r.stop() == 0
