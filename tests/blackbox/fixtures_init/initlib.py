"""Harness for the init-mode black-box tests (tests/blackbox/test_init_*.py).

An Init names a binary and how to call it (tend, or Debian's tini and
dumb-init for the comparison report, bench/init_compare.py). Run starts it,
by default as PID 1 of a fresh PID namespace (`unshare --pid --fork
--mount-proc`), finds its host pid to signal it "from outside" like a
container engine, and always cleans up.

The scenario_* functions run one scenario against any Init and return plain
observations (dicts); the tend tests assert on them, bench/init_compare.py
tabulates them for all three inits. Synchronisation is by events written to
log files (wait_for polls them with a bound), never by fixed sleeps.
"""
import json
import os
import select
import signal
import subprocess
import time
from pathlib import Path

FIX = Path(__file__).resolve().parent
REPO = FIX.parents[2]
PY = "/usr/bin/python3"
UNSHARE = ["/usr/bin/unshare", "--pid", "--fork", "--mount-proc"]


def tend_binary():
    return str(Path(os.environ.get("TEND_BUILD", REPO / "build")) / "tend")


class Init:
    """How to start one init with options and a command."""

    def __init__(self, name, binary, dashdash=True):
        self.name = name
        self.binary = binary
        self.dashdash = dashdash

    def argv(self, opts, cmd):
        return [self.binary, *opts, *(["--"] if self.dashdash else []), *cmd]

    def available(self):
        return os.access(self.binary, os.X_OK)


def tend():
    return Init("tend", tend_binary())


def tini():
    return Init("tini", "/usr/bin/tini")


def dumb_init():
    return Init("dumb-init", "/usr/bin/dumb-init")


def all_inits():
    return [i for i in (tend(), tini(), dumb_init()) if i.available()]


def wait_for(pred, timeout=5.0, what="condition"):
    """Polls pred every 10 ms until it is truthy; raises after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)


def read(path):
    try:
        return Path(path).read_text()
    except FileNotFoundError:
        return ""


def lines(path):
    return read(path).splitlines()


def proc_stat(pid):
    """(state, ppid, pgrp) of a host pid, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return rest[0], int(rest[1]), int(rest[2])
    except (OSError, IndexError):
        return None


def children_of(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = proc_stat(int(d))
            if st and st[1] == pid:
                out.append(int(d))
    return out


class Run:
    """One init run. Use as a context manager: exit kills what is left."""

    def __init__(self, init, cmd, opts=(), tmp=None, pid1=True, env=None, cwd=None, pass_fds=(),
                 preexec_fn=None, stdin=subprocess.DEVNULL, wrap=()):
        self.tmp = Path(tmp)
        self.out_path = self.tmp / f"{init.name}.stdout"
        self.err_path = self.tmp / f"{init.name}.stderr"
        self.pid1 = pid1
        self.argv = [*(UNSHARE if pid1 else []), *wrap, *init.argv(list(opts), list(cmd))]
        full_env = dict(os.environ)
        full_env["PY"] = PY
        full_env.update(env or {})
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(self.argv, stdout=out, stderr=err, stdin=stdin, env=full_env,
                                         cwd=cwd, pass_fds=pass_fds, preexec_fn=preexec_fn)
        self.started = time.monotonic()
        self.ended = None
        self._host_pid = None
        self.rc = None

    def host_pid(self):
        """Host pid of the init (the namespace's PID 1 when pid1)."""
        if self._host_pid is None:
            if not self.pid1:
                self._host_pid = self.proc.pid
            else:
                kids = wait_for(lambda: children_of(self.proc.pid), 5, "unshare's child")
                self._host_pid = kids[0]
        return self._host_pid

    def kill(self, sig):
        os.kill(self.host_pid(), sig)

    def alive(self):
        return self.proc.poll() is None

    def wait(self, timeout=10.0):
        try:
            self.rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.cleanup()
            raise
        self.ended = time.monotonic()
        return self.rc

    def stderr(self):
        return read(self.err_path)

    def stdout(self):
        return read(self.out_path)

    def cleanup(self):
        if self.proc.poll() is None:
            if self.pid1:
                try:
                    os.kill(self.host_pid(), signal.SIGKILL)  # the kernel kills the namespace
                except (OSError, TimeoutError):
                    pass
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()


def run_once(init, cmd, opts=(), tmp=None, timeout=10.0, **kw):
    with Run(init, cmd, opts, tmp, **kw) as r:
        r.wait(timeout)
        return r


def kill_logged_pids(log):
    """SIGKILLs every worker whose "start PID" line is in log (runs outside a namespace)."""
    for line in lines(log):
        parts = line.split()
        if len(parts) == 3 and parts[1] == "start":
            try:
                pid = int(parts[2])
                os.kill(pid, signal.SIGKILL)
            except (OSError, ValueError):
                continue
            try:  # reparented to us if pytest is a subreaper (conftest's spawn fixture)
                wait_for(lambda: os.waitpid(pid, os.WNOHANG)[0] == pid, 1, "reap")
            except (ChildProcessError, TimeoutError):
                pass


# --------------------------------------------------------------------------
# Scenarios (pid1.md §9). Each returns observations, never asserts.

def scenario_exit_codes(init, tmp):
    """§9.1-3: plain exit, self-kill with TERM, not found, not executable."""
    kill_self = "import os,signal; signal.signal(15, signal.SIG_DFL); os.kill(os.getpid(), 15)"
    cases = {"exit 3": ["sh", "-c", "exit 3"], "self-TERM": [PY, "-c", kill_self],
             "/nonexistent": ["/nonexistent"], "/etc": ["/etc"]}
    return {k: run_once(init, cmd, tmp=tmp).rc for k, cmd in cases.items()}


def scenario_forwarding(init, tmp, sigs, extra_opts=(), per_signal_timeout=2.0):
    """§9.11: send each signal in `sigs` to the init, one at a time, waiting for
    the child to log it. Returns the list the child logged and the init's rc."""
    log = tmp / f"{init.name}-signals.log"
    with Run(init, [PY, str(FIX / "print_signals.py"), str(log)], extra_opts, tmp) as r:
        wait_for(lambda: "ready" in read(log), 5, "print_signals ready")
        for s in sigs:
            r.kill(s)
            try:
                wait_for(lambda: str(int(s)) in lines(log)[1:], per_signal_timeout, f"signal {s}")
            except TimeoutError:
                pass
        r.kill(signal.SIGRTMAX)
        rc = r.wait(10)
        got = [ln for ln in lines(log)[1:] if ln != "quit"]
        return {"got": [int(x) for x in got], "rc": rc, "stderr": r.stderr()}


def child_sigconf(init, tmp, pid1=True):
    """§9.16: the child's SigIgn/SigBlk when the init is started with INT, TTOU
    and SEGV ignored and TERM, TTIN and ILL blocked."""
    def pre():
        for s in (signal.SIGINT, signal.SIGTTOU, signal.SIGSEGV):
            signal.signal(s, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM, signal.SIGTTIN, signal.SIGILL])

    # cat, not grep: GNU grep installs its own SIGSEGV handler (stack overflow
    # detection), which hides an inherited SEGV ignore.
    r = run_once(init, ["cat", "/proc/self/status"], tmp=tmp, pid1=pid1, preexec_fn=pre)
    fields = dict(ln.split(":\t", 1) for ln in r.stdout().splitlines() if ln.startswith("Sig"))

    def decode(mask):
        v = int(mask, 16)
        return sorted(s for s in range(1, 65) if v & (1 << (s - 1)))

    return {"ignored": decode(fields.get("SigIgn", "0")), "blocked": decode(fields.get("SigBlk", "0")), "rc": r.rc}


def scenario_zombies_pid1(init, tmp, n=100):
    """§9.6: as PID 1, orphans are reaped; rc 0 means no zombie was left."""
    r = run_once(init, [PY, str(FIX / "reaper_check.py"), str(n)], tmp=tmp, timeout=20)
    return {"rc": r.rc, "out": r.stdout().strip()}


def scenario_zombies_below_pid1(init, tmp, opts=(), n=30):
    """§9.8: the init runs as PID 2 under a PID 1 that reaps nothing."""
    r = run_once(init, [PY, str(FIX / "reaper_check.py"), str(n)], opts, tmp=tmp, timeout=20,
                 wrap=[PY, str(FIX / "nonreaping_pid1.py")])
    return {"rc": r.rc, "out": r.stdout().strip(), "stderr": r.stderr()}


def _tree_summary(log):
    text = lines(log)
    out = {}
    for name in ("bgchild", "orphan", "daemon"):
        out[name] = {"term": sum(1 for ln in text if ln == f"{name} got TERM"),
                     "clean": f"{name} clean exit" in text}
    return out


def scenario_tree_stop(init, tmp, opts=(), ignore=None, main_exits=False, pid1=True, timeout=15.0,
                       tag="tree", extra_env=None):
    """§9.17-19. Builds the three-worker tree below the main child; then either
    sends TERM to the init (docker stop) or lets main exit by itself. Reports
    per worker whether it got TERM and finished its cleanup *by the time the
    init exited*, the init's rc, and the seconds from trigger to exit."""
    log = tmp / f"{init.name}-{tag}.log"
    env = {"MAIN": "exit" if main_exits else "", "IGNORE": ignore or ""}
    env.update(extra_env or {})
    try:
        with Run(init, ["sh", str(FIX / "tree.sh"), str(log)], opts, tmp, pid1=pid1, env=env) as r:
            wait_for(lambda: "main ready" in read(log), 10, "tree ready")
            trigger = time.monotonic()
            if not main_exits:
                r.kill(signal.SIGTERM)
            rc = r.wait(timeout)
            elapsed = r.ended - trigger
            at_exit = _tree_summary(log)
            return {"rc": rc, "elapsed": elapsed, "workers": at_exit, "stderr": r.stderr(),
                    "log": read(log)}
    finally:
        if not pid1:
            kill_logged_pids(log)


def scenario_cwd_and_fds(init, tmp, pid1=True):
    """§9.25-26: the child's cwd and fds, the init's cwd and fds, whether the
    init keeps a passed pipe open, and LISTEN_PID rewriting."""
    out = tmp / f"{init.name}-fds.json"
    go = tmp / f"{init.name}-fds.go"
    rd, wr = os.pipe()
    os.set_inheritable(wr, True)
    work = tmp / "workdir"
    work.mkdir(exist_ok=True)
    listen_pid = "1" if pid1 else None
    env = {"LISTEN_PID": listen_pid} if listen_pid else {}
    try:
        with Run(init, [PY, str(FIX / "fdcheck.py"), str(out), str(wr), str(go)], (), tmp, pid1=pid1,
                 pass_fds=(wr,), cwd=str(work), env=env) as r:
            os.close(wr)
            wait_for(lambda: out.exists(), 5, "fdcheck output")
            info = json.loads(out.read_text())
            eof_while_running = None
            if not pid1:  # unshare itself would hold the pipe open
                ready, _, _ = select.select([rd], [], [], 3.0)
                eof_while_running = bool(ready) and os.read(rd, 1) == b"" and r.alive()
            go.touch()
            r.wait(10)
            pipe_target = info["self"].get(str(wr))
            return {"child_cwd": info["cwd"], "init_cwd": info["parent_cwd"], "work": str(work),
                    "child_fds": info["self"], "init_fds": info["parent"], "passed_fd_target": pipe_target,
                    "passed_fd": wr, "init_holds_pipe": pipe_target in info["parent"].values(),
                    "eof_while_running": eof_while_running, "listen_pid": info["listen_pid"],
                    "child_pid": info["pid"], "rc": r.rc}
    finally:
        os.close(rd)
