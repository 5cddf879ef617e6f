"""Scenarios. Each Case is one measured situation; a run of a Case gets a fresh Sandbox and
returns {metric key: value}. A value may be Capped(x): the run hit its time cap, the real
figure is at least x."""

import atexit
import os
import random
import shutil
import signal
import statistics
import subprocess
import tempfile
import time

from . import procs, rpc, web
from .products import Program

MiB = 1 << 20


class Capped(float):
    """A lower bound: the run was stopped at its cap."""


class NotSupported(Exception):
    """The product runs, but not this feature (e.g. a tend built before event listeners): the
    case is n/a for it, reason "unsupported: ..."."""


class Metric:
    def __init__(self, key, label, unit, digits=3, better="lower", target=None, optional=False):
        self.optional = optional  # a run may legitimately not produce it
        self.key = key
        self.label = label
        self.unit = unit
        self.digits = digits
        self.better = better
        # target: None or (op, value, text); value may be a callable(report) -> float | None
        # for targets that depend on another measurement of the same run.
        self.target = target


class Case:
    def __init__(self, scenario, name, metrics, run, kinds=("supervisor",), reps=3,
                 est=5.0, reps_for=None, limits=None, note=None, needs_rpc=False, feature=None,
                 products=None, not_for=None):
        self.scenario = scenario
        self.name = name
        self.metrics = metrics
        self.run = run            # run(product, sandbox) -> dict
        self.kinds = kinds        # product kinds the case applies to
        self.reps = reps
        self.reps_for = reps_for or {}   # product name -> reps (e.g. a 100 s run done once)
        self.est = est            # rough seconds per run, or {product: seconds, "*": default}
        self.limits = limits or []       # [(name, fn(sandbox) -> dict)] measured alongside
        self.note = note
        self.needs_rpc = needs_rpc  # startup, control: meaningless without XML-RPC
        # A feature a product may lack (NotSupported): n/a then, and not a failure of
        # --require (the black-box tests are what require the feature).
        self.feature = feature
        # Only these products (names), e.g. a tend feature supervisord cannot express at all;
        # None: every product of `kinds`.
        self.products = products
        # {product name: reason}: a product that cannot express the case at all (supervisord
        # has no schedule=): shown as "n/a: <reason>", never run, not a failure.
        self.not_for = not_for or {}

    def applies(self, product):
        return product.kind in self.kinds and (self.products is None or product.name in self.products)

    def est_for(self, name):
        if isinstance(self.est, dict):
            return self.est.get(name, self.est["*"])
        return self.est


# ---- helpers -------------------------------------------------------------------------------

def _sleepers(n, **opts):
    return [Program(f"p{i:04d}", "/bin/sleep infinity", **opts) for i in range(n)]


def _script(sb, name, body):
    path = sb.path(name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body.replace("@DIR@", sb.dir))
    return path


def _count(path):
    try:
        return len(os.listdir(path))
    except OSError:
        return 0


def _wait_files(path, n, timeout, run):
    deadline = time.monotonic() + timeout
    while _count(path) < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {_count(path)}/{n} programs ready after {timeout:.0f} s")
        if not run.alive():
            raise RuntimeError(f"{run.product.name} exited early ({run.output_hint()})")
        time.sleep(0.01)


def _ready(run, n, timeout):
    """Wait until `n` programs run: XML-RPC for supervisors that answer it, else the process
    tree (a supervisor's programs are its children; an init's are its launcher's children)."""
    if run.product.kind == "supervisor" and not run.product.no_rpc:
        run.wait_running(n, timeout)
        return
    deadline = time.monotonic() + timeout
    while True:
        kids = procs.children(run.main_pid)
        if run.product.kind == "init":
            kids = procs.children(kids[0]) if kids else []
        if len(kids) >= n:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(kids)}/{n} programs started")
        if not run.alive():
            raise RuntimeError(f"{run.product.name} exited early ({run.output_hint()})")
        time.sleep(0.01)


# ---- 1. startup ----------------------------------------------------------------------------

def startup(n, startsecs):
    def run(product, sb):
        r = product.start(sb, _sleepers(n, startsecs=startsecs))
        t1 = r.wait_running(n, timeout=60 + startsecs, interval=0.005)
        return {"time": t1 - r.t_launch}
    return run


# ---- 2. shutdown ---------------------------------------------------------------------------

_SHUTDOWN_SCRIPTS = {
    # (a) dies on TERM
    "a": ("a.sh", ': > @DIR@/ready/$1\nexec /bin/sleep infinity\n'),
    # (b) needs 50 ms to exit after TERM
    "b": ("b.sh", "trap '/bin/sleep 0.05; kill $pid 2>/dev/null; exit 0' TERM\n"
                  "/bin/sleep infinity &\npid=$!\n: > @DIR@/ready/$1\nwait\n"),
    # (c) ignores TERM (the ignore survives exec), must be SIGKILLed after stopwaitsecs
    "c": ("c.sh", "trap '' TERM\n: > @DIR@/ready/$1\nexec /bin/sleep infinity\n"),
    # (d) forks one child; both handle TERM and record a clean exit
    "d": ("d.sh", "trap 'kill -TERM $child 2>/dev/null; wait $child; "
                  "echo clean exit > @DIR@/graceful/$1.parent; exit 0' TERM\n"
                  "/bin/sh @DIR@/d_child.sh $1 &\nchild=$!\n: > @DIR@/ready/$1.parent\nwait\n"),
}
_D_CHILD = ("trap 'kill $s 2>/dev/null; echo clean exit > @DIR@/graceful/$1.child; exit 0' TERM\n"
            "/bin/sleep infinity &\ns=$!\n: > @DIR@/ready/$1.child\nwait\n")


def shutdown(n, kind, cap):
    def run(product, sb):
        os.makedirs(sb.path("ready"))
        os.makedirs(sb.path("graceful"))
        name, body = _SHUTDOWN_SCRIPTS[kind]
        script = _script(sb, name, body)
        if kind == "d":
            _script(sb, "d_child.sh", _D_CHILD)
        opts = {"startsecs": 0, "stopwaitsecs": 1 if kind == "c" else 10}
        programs = [Program(f"p{i:04d}", f"/bin/sh {script} p{i:04d}", **opts) for i in range(n)]
        r = product.start(sb, programs)
        expect = 2 * n if kind == "d" else n
        if product.kind == "supervisor":
            _ready(r, n, timeout=120)
        _wait_files(sb.path("ready"), expect, 120, r)
        time.sleep(0.1)  # let the last trap handlers settle into `wait`
        t0 = time.monotonic()
        os.kill(r.main_pid, signal.SIGTERM)
        t1 = sb.tracker.wait_empty(t0 + cap)
        out = {"time": Capped(cap) if t1 is None else t1 - t0}
        if kind == "d":
            out["graceful"] = _count(sb.path("graceful"))
        return out
    return run


# ---- 3. memory -----------------------------------------------------------------------------

def memory(n, settle):
    def run(product, sb):
        r = product.start(sb, _sleepers(n, startsecs=0))
        _ready(r, n, timeout=300)
        time.sleep(settle)
        rss, pss = procs.rss_pss_kib(r.main_pid)
        out = {"rss": rss / 1024}
        if pss is not None:
            out["pss"] = pss / 1024
        return out
    return run


# ---- 4. idle -------------------------------------------------------------------------------

def idle(n, window, settle):
    def run(product, sb):
        r = product.start(sb, _sleepers(n, startsecs=0))
        _ready(r, n, timeout=120)
        time.sleep(settle)
        cs0, cpu0 = procs.ctxt_switches(r.main_pid), procs.cpu_seconds(r.main_pid)
        time.sleep(window)
        cs1, cpu1 = procs.ctxt_switches(r.main_pid), procs.cpu_seconds(r.main_pid)
        if not r.alive():
            raise RuntimeError("product exited during the idle window")
        return {"wakeups": cs1 - cs0, "cpu": (cpu1 - cpu0) * 1000}
    return run


# ---- 5. logs -------------------------------------------------------------------------------

_WRITER = ("date +%s.%N > @DIR@/writer.start\n"
           "/bin/dd if=/dev/zero bs=65536 count=@COUNT@ status=none\n"
           "echo BENCH-END\n")
_MARK = b"BENCH-END\n"


def logs(total, rotate_bytes=0, backups=0):
    count = total // 65536

    def run(product, sb):
        script = _script(sb, "writer.sh", _WRITER.replace("@COUNT@", str(count)))
        log = sb.path("logs", "writer.log")
        prog = Program("writer", f"/bin/sh {script}", startsecs=0, autorestart="false",
                       stdout_logfile=log, stdout_logfile_maxbytes=rotate_bytes,
                       stdout_logfile_backups=backups)
        r = product.start(sb, [prog])
        deadline = time.monotonic() + 60 + total / (4 * MiB)
        last_size = -1
        while True:
            try:
                size = os.stat(log).st_size
            except FileNotFoundError:
                size = -1
            if size != last_size and size >= len(_MARK):
                try:
                    with open(log, "rb") as f:
                        f.seek(size - len(_MARK))
                        tail = f.read()
                except FileNotFoundError:  # rotated between the stat and the open (supervisord renames first)
                    tail, size = b"", -1
                if tail == _MARK:
                    t_end = time.time()
                    break
            last_size = size
            if time.monotonic() > deadline:
                raise TimeoutError(f"end marker not in {log} (size {size})")
            if not r.alive():
                raise RuntimeError(f"product exited ({r.output_hint()})")
            time.sleep(0.001)  # the end is seen at most ~1 ms late
        with open(sb.path("writer.start")) as f:
            t_start = float(f.read())
        logdir = sb.path("logs")
        kept = sum(os.stat(os.path.join(logdir, x)).st_size
                   for x in os.listdir(logdir) if x.startswith("writer.log"))
        return {"rate": (count * 65536 + len(_MARK)) / MiB / (t_end - t_start),
                "retained": kept / MiB}
    return run


def pipe_limit(total, sink):
    """The machine's pipe→file rate: dd from /dev/zero through a pipe into `sink` (cat or dd),
    timed like a product run: from the writer's start to the last byte in the file."""
    count = total // 65536
    tail = {"cat": "cat > {out}", "dd": "dd of={out} bs=65536 status=none"}[sink]

    def run(sb):
        out = sb.path("sink.out")
        cmd = (f"date +%s.%N > {sb.path('writer.start')}; "
               f"dd if=/dev/zero bs=65536 count={count} status=none | " + tail.format(out=out))
        p = sb.spawn(["/bin/sh", "-c", cmd])
        p.wait(timeout=600)
        t_end = time.time()
        if p.returncode != 0 or os.stat(out).st_size != count * 65536:
            raise RuntimeError(f"{sink} pipeline failed (status {p.returncode})")
        with open(sb.path("writer.start")) as f:
            t_start = float(f.read())
        return {"rate": count * 65536 / MiB / (t_end - t_start)}
    return run


# ---- 6. control ----------------------------------------------------------------------------

def control(n, calls, status_runs, budget):
    """`calls` getAllProcessInfo calls on one kept-alive connection, stopping early once
    `budget` seconds are spent (supervisord needs up to ~1 s a call with 1000 programs on a busy
    machine); the value is the mean per call either way."""
    def run(product, sb):
        r = product.start(sb, _sleepers(n, startsecs=0))
        r.wait_running(n, timeout=300)
        server = rpc.proxy(r.sock, timeout=120)
        if len(server.supervisor.getAllProcessInfo()) != n:  # warm-up, opens the connection
            raise RuntimeError("getAllProcessInfo returned the wrong number of programs")
        server("close")()
        raw = rpc.RawCaller(r.sock, "supervisor.getAllProcessInfo", timeout=120)
        done = 0
        t0 = time.perf_counter()
        while done < calls:
            body = raw.call()
            done += 1
            if time.perf_counter() - t0 > budget:
                break
        t1 = time.perf_counter()
        raw.close()
        if body.count(b"<name>statename</name>") != n:
            raise RuntimeError("getAllProcessInfo answered the wrong number of programs")
        walls = []
        for _ in range(status_runs):
            s0 = time.perf_counter()
            p = subprocess.run(product.ctl_argv(r.conf, "status"), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=60, stdin=subprocess.DEVNULL)
            walls.append(time.perf_counter() - s0)
            if p.returncode != 0:
                raise RuntimeError(f"status exited {p.returncode}: "
                                   f"{p.stdout.decode(errors='replace')[:200]}")
        return {"gapi": (t1 - t0) / done * 1000, "status": statistics.median(walls) * 1000,
                "calls": done}
    return run


# ---- 7. spawn ------------------------------------------------------------------------------

def posix_spawn_limit(window):
    def run(sb):
        del sb
        env = {"PATH": "/usr/bin:/bin"}
        n = 0
        t0 = time.monotonic()
        while True:
            pid = os.posix_spawn("/bin/true", ["true"], env)
            os.waitpid(pid, 0)
            n += 1
            if n % 16 == 0 and time.monotonic() - t0 >= window:
                break
        return {"rate": n / (time.monotonic() - t0)}
    return run


def crash_loop(window):
    def run(product, sb):
        script = _script(sb, "crash.sh", "echo x >> @DIR@/crash.count\nexit 1\n")
        counter = sb.path("crash.count")
        prog = Program("crash", f"/bin/sh {script}", startsecs=0, autorestart="true",
                       startretries=3)
        r = product.start(sb, [prog])

        def starts():
            try:
                return os.stat(counter).st_size // 2
            except FileNotFoundError:
                return 0
        deadline = time.monotonic() + 20
        while starts() < 3:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the program was started {starts()} times in 20 s")
            if not r.alive():
                raise RuntimeError(f"product exited ({r.output_hint()})")
            time.sleep(0.01)
        c0, cpu0, t0 = starts(), procs.cpu_seconds(r.main_pid), time.monotonic()
        time.sleep(window)
        c1, cpu1, t1 = starts(), procs.cpu_seconds(r.main_pid), time.monotonic()
        rate = (c1 - c0) / (t1 - t0)
        cpu = (cpu1 - cpu0) / (t1 - t0) * 100
        out = {"restarts": rate, "cpu": cpu}
        if c1 > c0:
            out["cpu_per"] = (cpu1 - cpu0) / (c1 - c0) * 1e6
        return out
    return run


# ---- 8. events ----------------------------------------------------------------------------

_EVLISTENER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "evlistener.py")
_PROBE = 5.0  # s; supervisord delivers its first event within ~1 s
_LINE = "bench event line: fifty-odd characters of ASCII text"


def _listener(mode, path, events, buffer_size=10):
    return Program("listener", f"/usr/bin/python3 {_EVLISTENER} {mode} {path}",
                   section="eventlistener", events=events, buffer_size=buffer_size, startsecs=0,
                   stdout_logfile="NONE")


def _no_events(r, what):
    if not r.alive():
        return RuntimeError(f"product exited ({r.output_hint()})")
    return NotSupported(f"the listener got no event within {_PROBE:g} s of {what}: no event listener support")


def _read_stats(path):
    try:
        with open(path) as f:
            t, events, lines = f.read().split()
        return float(t), int(events), int(lines)
    except (OSError, ValueError):
        return None


def _overflows(sb):
    """The main log's "event buffer overflowed" lines so far: one per event a full buffer dropped."""
    try:
        with open(sb.path("supervisord.log"), errors="replace") as f:
            return sum(1 for line in f if "event buffer overflowed" in line)
    except FileNotFoundError:
        return 0


def events_throughput(window, settle):
    """A program writes lines as fast as /bin/sh echoes them, with stdout_events_enabled; one
    listener (buffer_size=10, the default) acknowledges each PROCESS_LOG_STDOUT at once. The
    rates are the listener's own counts over `window` s, between two of its stat stamps;
    `dropped` is the main log's "event buffer overflowed" lines over about the same window."""
    def run(product, sb):
        writer = _script(sb, "writer.sh", f'while :; do echo "{_LINE}"; done\n')
        stats = sb.path("stats")
        programs = [_listener("count", stats, "PROCESS_LOG_STDOUT"),
                    Program("writer", f"/bin/sh {writer}", startsecs=0, stdout_logfile="NONE",
                            stdout_events_enabled="true")]
        r = product.start(sb, programs)
        deadline = time.monotonic() + _PROBE
        while _read_stats(stats) is None:
            if time.monotonic() > deadline or not r.alive():
                raise _no_events(r, "start")
            time.sleep(0.01)
        time.sleep(settle)
        s0, d0 = _read_stats(stats), _overflows(sb)
        time.sleep(window)
        s1, d1 = _read_stats(stats), _overflows(sb)
        if not r.alive():
            raise RuntimeError(f"product exited ({r.output_hint()})")
        if s1[0] <= s0[0]:
            raise RuntimeError("the listener stopped receiving events")
        dt = s1[0] - s0[0]
        return {"rate": (s1[1] - s0[1]) / dt, "lines": (s1[2] - s0[2]) / dt,
                "dropped": (d1 - d0) / dt}
    return run


class _Stamps:
    """Follows the stamp file of evlistener.py: (monotonic, eventname, payload) tuples."""

    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.rest = ""

    def new(self):
        try:
            with open(self.path) as f:
                f.seek(self.offset)
                chunk = f.read()
                self.offset = f.tell()
        except FileNotFoundError:
            return []
        text = self.rest + chunk
        lines = text.split("\n")
        self.rest = lines.pop()
        out = []
        for line in lines:
            t, name, payload = line.split(" ", 2)
            out.append((float(t), name, payload))
        return out

    def wait(self, pred, timeout, r, what):
        """The first new stamp matching pred(name, payload), or raise at `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            for t, name, payload in self.new():
                if pred(name, payload):
                    return t, name, payload
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {what} within {timeout:.0f} s")
            if not r.alive():
                raise RuntimeError(f"product exited ({r.output_hint()})")
            time.sleep(0.0005)


def _pid_of(payload):
    for field in payload.split("|", 1)[0].split():
        if field.startswith("pid:"):
            return int(field[4:])
    return None


def events_latency(trigger, samples):
    """`samples` times: the harness stamps CLOCK_MONOTONIC and either calls
    supervisor.sendRemoteCommEvent (trigger "remote", on a kept-alive connection) or SIGKILLs a
    program (trigger "kill"; autorestart brings it back before the next sample); the listener
    stamps the same clock when the event's header line arrives. Median and p90 of the
    differences."""
    def run(product, sb):
        stamps_path = sb.path("stamps")
        programs = [_listener("stamp", stamps_path,
                              "REMOTE_COMMUNICATION,PROCESS_STATE_RUNNING,PROCESS_STATE_EXITED"),
                    Program("victim", "/bin/sleep infinity", startsecs=0, autorestart="true",
                            stdout_logfile="NONE")]
        r = product.start(sb, programs)
        r.wait_running(2, timeout=30)
        stamps = _Stamps(stamps_path)
        server = rpc.proxy(r.sock, timeout=30)
        server.supervisor.sendRemoteCommEvent("probe", "probe")
        try:
            stamps.wait(lambda n, p: n == "REMOTE_COMMUNICATION" and p == "type:probe|probe", _PROBE, r,
                        "probe event")
        except TimeoutError:
            raise _no_events(r, "a sendRemoteCommEvent") from None
        pid = server.supervisor.getProcessInfo("victim")["pid"]
        lat = []
        for i in range(samples):
            time.sleep(0.01)  # the listener is READY again
            if trigger == "remote":
                t0 = time.monotonic()
                server.supervisor.sendRemoteCommEvent("bench", str(i))
                t1, _, _ = stamps.wait(lambda n, p, i=i: n == "REMOTE_COMMUNICATION" and p == f"type:bench|{i}",
                                       10, r, f"event {i}")
            else:
                t0 = time.monotonic()
                os.kill(pid, signal.SIGKILL)
                t1, _, _ = stamps.wait(lambda n, p, pid=pid: n == "PROCESS_STATE_EXITED" and _pid_of(p) == pid,
                                       10, r, f"EXITED of pid {pid}")
                _, _, payload = stamps.wait(lambda n, p: n == "PROCESS_STATE_RUNNING" and "processname:victim" in p,
                                            10, r, "victim RUNNING again")
                pid = _pid_of(payload)
            lat.append((t1 - t0) * 1000)
        server("close")()
        lat.sort()
        return {"median": statistics.median(lat), "p90": lat[min(len(lat) - 1, int(len(lat) * 0.9))]}
    return run


# ---- 9. deps -------------------------------------------------------------------------------

_READYPROG_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "readyprog.c")
_readyprog_exe = None


def _readyprog():
    """readyprog.c compiled once per harness run (static when the C library allows: its
    dynamic loading would count in the dependent's start)."""
    global _readyprog_exe
    if _readyprog_exe is None:
        outdir = tempfile.mkdtemp(prefix="tb-readyprog-")
        atexit.register(shutil.rmtree, outdir, True)
        exe = os.path.join(outdir, "readyprog")
        err = b""
        for extra in (["-static"], []):
            p = subprocess.run(["cc", "-O2", *extra, "-o", exe, _READYPROG_SRC],
                               capture_output=True, timeout=120)
            if p.returncode == 0:
                break
            err = p.stderr
        else:
            raise RuntimeError(f"cannot compile readyprog.c: {err.decode(errors='replace')[:200]}")
        _readyprog_exe = exe
    return _readyprog_exe


def _unknown_keys(sb, keys):
    """The keys of `keys` the product warned about as unknown (a tend built before issue 10)."""
    text = ""
    for name in ("product.out", "supervisord.log"):
        try:
            with open(sb.path(name), errors="replace") as f:
                text += f.read()
        except OSError:
            pass
    return [k for k in keys if f"unknown key '{k}'" in text]


def _stamp(path):
    with open(path) as f:
        return float(f.read())


def deps_latency(mode, samples, gap):
    """`samples` pairs src_i <- dep_i (`depends_on = src_i`). src_i becomes ready `0.3 + i*gap`
    s after its start (ready = notify: READY=1 on $NOTIFY_SOCKET; ready = fd:3: a newline on
    fd 3), stamping CLOCK_MONOTONIC just before; dep_i (readyprog, statically linked) stamps
    the same clock first thing in main. Median and p90 of dep_i - src_i: tend's reaction, the
    spawn and the dependent's exec. The pairs are `gap` apart so they do not overlap.
    The floor: what the same spawn costs without tend (readyprog posix_spawns `readyprog stamp`
    `samples` times: clone(CLONE_VM | CLONE_VFORK), execve and a static program's start, which
    a VM makes slow); "tend" is the end-to-end median less the floor's: readiness -> spawn."""
    def run(product, sb):
        prog = _readyprog()
        os.makedirs(sb.path("t"))
        os.makedirs(sb.path("floor"))
        r = subprocess.run([prog, "floor", sb.path("floor"), str(samples)], capture_output=True,
                           timeout=30 + samples)
        if r.returncode != 0:
            raise RuntimeError(f"readyprog floor: {r.stderr.decode(errors='replace')[:200]}")
        floor = statistics.median((_stamp(sb.path("floor", f"d{i:03d}")) -
                                   _stamp(sb.path("floor", f"b{i:03d}"))) * 1000
                                  for i in range(samples))
        programs = []
        for i in range(samples):
            delay = 0.3 + i * gap
            out = sb.path("t", f"r{i:03d}")
            if mode == "notify":
                src, ready = f"{prog} notify {delay:.3f} {out}", "notify"
            else:
                src, ready = f"{prog} fd 3 {delay:.3f} {out}", "fd:3"
            programs.append(Program(f"src{i:03d}", src, ready=ready, ready_timeout=30))
            programs.append(Program(f"dep{i:03d}", f"{prog} stamp {sb.path('t', f'd{i:03d}')}",
                                    depends_on=f"src{i:03d}", startsecs=0))
        r = product.start(sb, programs)
        try:
            r.wait_running(2 * samples, timeout=15 + samples * gap)
        except (TimeoutError, RuntimeError):
            unknown = _unknown_keys(sb, ("depends_on", "ready"))
            if unknown:
                raise NotSupported(f"unknown key {', '.join(unknown)}: no issue-10 readiness") from None
            raise
        unknown = _unknown_keys(sb, ("depends_on", "ready"))
        if unknown:
            raise NotSupported(f"unknown key {', '.join(unknown)}: no issue-10 readiness")
        lat = sorted((_stamp(sb.path("t", f"d{i:03d}")) - _stamp(sb.path("t", f"r{i:03d}"))) * 1000
                     for i in range(samples))
        if lat[0] < 0:
            raise RuntimeError(f"a dependent started {-lat[0]:.3f} ms before its dependency was ready")
        median = statistics.median(lat)
        return {"tend": median - floor, "median": median,
                "p90": lat[min(len(lat) - 1, int(len(lat) * 0.9))], "floor": floor}
    return run


def _graph(n, width, seed=10):
    """{name: [dependencies]}: layers of `width` programs, each (past the first layer) depending
    on two programs of the layer before; the same graph every time."""
    rng = random.Random(seed)
    deps = {}
    for i in range(n):
        layer = i // width
        prev = range((layer - 1) * width, layer * width) if layer else range(0)
        deps[f"g{i:04d}"] = [f"g{j:04d}" for j in sorted(rng.sample(prev, min(2, len(prev))))]
    return deps


def deps_graph(n, width, cap):
    """The same `n` programs (ready = notify, READY=1 at once) with and without the dependency
    graph of _graph(); each repetition runs both, in alternating order. Per variant: launch ->
    all RUNNING, SIGTERM -> all gone (the graph stops layer by layer, in reverse), and tend's
    own CPU time from launch to exit."""
    graph = _graph(n, width)
    reps = [0]

    def one(product, sb, prog, variant):
        programs = [Program(name, f"{prog} now", ready="notify", stdout_logfile="NONE",
                            **({"depends_on": ", ".join(d)} if d and variant == "graph" else {}))
                    for name, d in graph.items()]
        r = product.start(sb, programs)
        try:
            t_all = r.wait_running(n, timeout=60)
        except (TimeoutError, RuntimeError):
            if _unknown_keys(sb, ("depends_on", "ready")):
                raise NotSupported("unknown key depends_on/ready: no issue-10 dependencies") from None
            raise
        if _unknown_keys(sb, ("depends_on", "ready")):
            raise NotSupported("unknown key depends_on/ready: no issue-10 dependencies")
        t0 = time.monotonic()
        os.kill(r.main_pid, signal.SIGTERM)
        t1 = sb.tracker.wait_empty(t0 + cap)
        out = {f"start_{variant}": t_all - r.t_launch,
               f"stop_{variant}": Capped(cap) if t1 is None else t1 - t0}
        cpu = procs.cpu_ns(r.main_pid)  # a zombie until reaped: its times are still there
        if cpu is not None:
            out[f"cpu_{variant}"] = cpu / 1e6
        try:
            r.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            raise RuntimeError("the supervisor did not exit after its programs") from None
        return out

    def run(product, sb):
        prog = _readyprog()
        order = ("graph", "flat") if reps[0] % 2 == 0 else ("flat", "graph")
        reps[0] += 1
        out = {}
        for variant in order:
            out.update(one(product, sb, prog, variant))
        return out
    return run


def _startsecs_row(secs):
    """What supervisord users set instead of a readiness-gated start: a fixed delay."""
    def run(sb):
        del sb
        return {"median": secs * 1000.0, "p90": secs * 1000.0}
    return run


# ---- 10. lifecycle -------------------------------------------------------------------------

class _LogTail:
    """Counts lines of the supervisor's main log (sb/supervisord.log) that contain given
    strings, from where the last mark() left it: reading the log costs the product nothing."""

    def __init__(self, sb):
        self.path = sb.path("supervisord.log")
        self.offset = 0

    def size(self):
        try:
            return os.stat(self.path).st_size
        except FileNotFoundError:
            return 0

    def count(self, needles, start=0, end=None):
        """{needle: lines containing it} in bytes [start, end) of the log (whole lines only:
        a line cut at `end` counts in the next call)."""
        out = dict.fromkeys(needles, 0)
        try:
            with open(self.path, "rb") as f:
                f.seek(start)
                data = f.read() if end is None else f.read(end - start)
        except FileNotFoundError:
            return out, start
        cut = data.rfind(b"\n") + 1
        for line in data[:cut].split(b"\n"):
            for nd in needles:
                if nd.encode() in line:
                    out[nd] += 1
        return out, start + cut

    def wait(self, needle, n, timeout, run):
        """Until `n` lines contain `needle` (counted from the log's start)."""
        deadline = time.monotonic() + timeout
        seen, offset = 0, 0
        while True:
            got, offset = self.count([needle], offset)
            seen += got[needle]
            if seen >= n:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {seen}/{n} '{needle.strip()}' lines in {timeout:.0f} s")
            if not run.alive():
                raise RuntimeError(f"{run.product.name} exited early ({run.output_hint()})")
            time.sleep(0.05)


def _window(r, log, needles, window):
    """Supervisor CPU (ns, every thread), context switches and the main log's `needles` lines
    over `window` s. Returns (seconds, cpu seconds, context switches, {needle: lines})."""
    pid = r.main_pid
    o0, cs0, cpu0, t0 = log.size(), procs.ctxt_switches(pid), procs.cpu_ns(pid), time.monotonic()
    time.sleep(window)
    o1, cs1, cpu1, t1 = log.size(), procs.ctxt_switches(pid), procs.cpu_ns(pid), time.monotonic()
    if not r.alive() or cpu1 is None:
        raise RuntimeError(f"{r.product.name} exited during the window ({r.output_hint()})")
    counts, _ = log.count(needles, o0, o1)
    return t1 - t0, (cpu1 - cpu0) / 1e9, cs1 - cs0, counts


def _wait_loaded(r, n, timeout):
    """The supervisor answers XML-RPC with its `n` programs (none of which need run); the
    connection is closed again so it cannot wake the supervisor later."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if not r.alive():
            raise RuntimeError(f"{r.product.name} exited early ({r.output_hint()})")
        try:
            server = rpc.proxy(r.sock, timeout=10)
            got = len(server.supervisor.getAllProcessInfo())
            server("close")()
            if got == n:
                return
            last = f"{got} programs"
        except Exception as exc:  # noqa: BLE001 - not up yet
            last = f"{type(exc).__name__}: {exc}"
        time.sleep(0.05)
    raise TimeoutError(f"{n} programs not loaded in {timeout:.0f} s (last: {last})")


def _skipped_total(r):
    """Skipped scheduled runs so far, over every program (tend.getAllProcessHealth)."""
    server = rpc.proxy(r.sock, timeout=60)
    total = sum(int(h.get("skipped_runs", 0)) for h in server.tend.getAllProcessHealth())
    server("close")()
    return total


def _not_near_midnight(margin):
    """`@daily`, unless the UTC or the local midnight is within `margin` s (then a noon job):
    nothing may come due during the window."""
    now = time.time()
    for tm in (time.gmtime(now), time.localtime(now)):
        secs = tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec
        if secs < 60 or 86400 - secs < margin:
            return "0 12 * * *"
    return "@daily"


def schedule_every(n, window, settle):
    """N programs `schedule = @every 1s`, command /bin/true: tend starts N one-shot runs a
    second. Once every program has run once and `settle` s passed: tend's CPU over `window` s
    (fork/exec/reap and its log lines for N runs/s), the runs started (the main log's
    `scheduled run of` lines), the runs skipped (tend.getAllProcessHealth) and the context
    switches."""
    def run(product, sb):
        # autostart=false is a scheduled program's default; write_conf sets true otherwise
        programs = [Program(f"j{i:04d}", "/bin/true", schedule="@every 1s", autostart="false")
                    for i in range(n)]
        r = product.start(sb, programs)
        log = _LogTail(sb)
        try:
            log.wait("scheduled run of ", n, 60, r)
        except (TimeoutError, RuntimeError):
            if _unknown_keys(sb, ("schedule",)):
                raise NotSupported("unknown key 'schedule': no schedule= in this build") from None
            raise
        time.sleep(settle)
        try:
            skip0 = _skipped_total(r)
        except Exception:  # noqa: BLE001 - a tend without the tend.* methods
            skip0 = None
        time.sleep(0.2)  # the closed connection is behind us
        dt, cpu, cs, counts = _window(r, log, ["scheduled run of ", "unable to start the scheduled"],
                                      window)
        runs = counts["scheduled run of "]
        if runs == 0:
            raise RuntimeError("no scheduled run during the window")
        if counts["unable to start the scheduled"]:
            raise RuntimeError(f"{counts['unable to start the scheduled']} scheduled runs failed to start")
        out = {"cpu": cpu / dt * 100, "per_run": cpu / runs * 1e6, "runs": runs / dt,
               "wakeups": cs / dt}
        if skip0 is not None:
            out["skipped"] = (_skipped_total(r) - skip0) / dt
        return out
    return run


def schedule_idle(n, window, settle):
    """N programs with a daily schedule, nothing due during the window: tend's context switches
    and CPU over `window` s, as the idle scenario measures them (no XML-RPC connection open)."""
    def run(product, sb):
        when = _not_near_midnight(window + settle + 120)
        programs = [Program(f"j{i:04d}", "/bin/true", schedule=when, autostart="false")
                    for i in range(n)]
        r = product.start(sb, programs)
        _wait_loaded(r, n, 60)
        if _unknown_keys(sb, ("schedule",)):
            raise NotSupported("unknown key 'schedule': no schedule= in this build")
        time.sleep(settle)
        dt, cpu, cs, counts = _window(r, _LogTail(sb), ["scheduled run of "], window)
        if counts["scheduled run of "]:
            raise RuntimeError(f"{counts['scheduled run of ']} runs came due during the window")
        return {"wakeups": cs, "cpu": cpu / dt * 100, "cpu_ms": cpu * 1000}
    return run


def _ramp(cap):
    """Seconds until every wait of a crash loop is at `cap` (1, 2, 4... s, +10 % jitter)."""
    total, wait = 0.0, 1.0
    while wait < cap:
        total += wait
        wait *= 2
    return total * 1.1


def crashloop_backoff(n, cap, window, sv_window, sv_settle):
    """N programs `/bin/false` (startsecs=0: each exit is a crash after a successful start,
    autorestart=true). tend: `startretries=-1`, `backoff_max=cap`: the waits grow 1, 2, 4...
    s to `cap`; measured once every program waits `cap` s. supervisord, which has no backoff:
    the same programs with `startretries=1000000`, restarted at once after every exit, measured
    after `sv_settle` s. CPU, restarts (the main log's `spawned:` lines), context switches, and
    programs FATAL (`gave up:` lines, from the start)."""
    def run(product, sb):
        tend = product.name == "tend"
        opts = {"startsecs": 0, "autorestart": "true", "stdout_logfile": "NONE"}
        if tend:
            opts.update(startretries=-1, backoff_max=cap, backoff_reset=60)
        else:
            opts.update(startretries=1000000)
        programs = [Program(f"c{i:04d}", "/bin/false", **opts) for i in range(n)]
        r = product.start(sb, programs)
        log = _LogTail(sb)
        log.wait("spawned: ", n, 120, r)
        if tend and _unknown_keys(sb, ("backoff_max",)):
            raise NotSupported("unknown key 'backoff_max': no backoff in this build")
        time.sleep(max(0.0, r.t_launch + _ramp(cap) + 2 - time.monotonic()) if tend else sv_settle)
        dt, cpu, cs, counts = _window(r, log, ["spawned: "], window if tend else sv_window)
        restarts = counts["spawned: "]
        fatal, _ = log.count(["gave up: "])
        out = {"cpu": cpu / dt * 100, "restarts": restarts / dt, "wakeups": cs / dt,
               "fatal": fatal["gave up: "]}
        if restarts:
            out["cpu_per"] = cpu / restarts * 1e6
            out["wake_per"] = cs / restarts
        return out
    return run


# ---- the plan ------------------------------------------------------------------------------

# ---- metrics ------------------------------------------------------------------------------

def metrics_scrape(n, scrapes):
    """tend's CPU per GET /metrics with `n` running programs: utime + stime of tend from
    /proc/<pid>/stat across `scrapes` scrapes on one kept-alive connection, divided by them."""
    def run(product, sb):
        r = product.start(sb, _sleepers(n, startsecs=0))
        r.wait_running(n, timeout=300)
        conn = rpc._UnixHTTPConnection(r.sock, 60)

        def scrape():
            conn.request("GET", "/metrics")
            resp = conn.getresponse()
            body = resp.read()
            if resp.status == 404:
                raise NotSupported("no /metrics")
            if resp.status != 200:
                raise RuntimeError(f"/metrics answered {resp.status}")
            return body

        body = scrape()  # warm-up: the first scrape sizes the buffers
        running = body.count(b'state="RUNNING"} 1\n')
        if running != n:
            raise RuntimeError(f"/metrics shows {running} RUNNING programs, not {n}")
        cpu0 = procs.cpu_seconds(r.main_pid)
        t0 = time.perf_counter()
        for _ in range(scrapes):
            scrape()
        wall = time.perf_counter() - t0
        cpu1 = procs.cpu_seconds(r.main_pid)
        conn.close()
        return {"cpu": (cpu1 - cpu0) / scrapes * 1000, "wall": wall / scrapes * 1000,
                "bytes": len(body) / 1024}
    return run


def _cat_rate(report):
    return report.median("logs, no rotation", "rate", "limit: cat")


def build(quick):
    """The list of Cases for a full or a QUICK run."""
    if quick:
        p = dict(start_n=10, shut_n=5, cap=30, mem=(1, 100), idle_n=10, idle_w=2.0, settle=0.5,
                 log=64 * MiB, rot=(4 * MiB, 3), ctl=(10, 100), calls=50, status_runs=2,
                 budget=5.0, spawn_w=1.0, crash_w=3.0, ev_w=1.0, ev_remote=20, ev_kill=5,
                 dep_samples=20, graph=(40, 10), life_n=100, sched_w=3.0, sched_settle=1.0,
                 crash_cap=4, crash_win=4.0, sv_crash=(4.0, 1.0), metrics_n=(10,), scrapes=20,
                 web_changes=10, web_n=(1,), web_consoles=50, web_w=1.0, reps=1)
    else:
        p = dict(start_n=100, shut_n=100, cap=150, mem=(1, 100, 1000), idle_n=100, idle_w=20.0,
                 settle=1.0, log=1 << 30, rot=(50 * 1000 * 1000, 10), ctl=(100, 1000),
                 calls=200, status_runs=3, budget=15.0, spawn_w=3.0, crash_w=6.0, ev_w=5.0,
                 ev_remote=100, ev_kill=20, dep_samples=50, graph=(200, 10), life_n=1000,
                 sched_w=20.0, sched_settle=2.0, crash_cap=60, crash_win=120.0,
                 sv_crash=(20.0, 3.0), metrics_n=(100, 1000), scrapes=500, web_changes=100,
                 web_n=(1, 1000), web_consoles=50, web_w=10.0, reps=3)
    full = not quick
    R = p["reps"]

    def tgt(op, value, text, applies=True):
        return (op, value, text) if applies else None

    cases = []
    n = p["start_n"]
    for ss, goal in ((0, 0.06), (1, 1.05)):
        cases.append(Case(
            "startup", f"startup N={n} startsecs={ss}",
            [Metric("time", "launch → all RUNNING", "s",
                    target=tgt("<=", goal, f"≤ {goal} s", n == 100))],
            startup(n, ss), reps=1 if quick else 5, needs_rpc=True,
            est={"supervisord": 1.5 + ss + n * 0.01, "*": 0.5 + ss}))

    n = p["shut_n"]
    goals = {"a": 0.020, "b": 0.080, "c": 1.1, "d": None}
    titles = {"a": "die on TERM", "b": "50 ms to exit", "c": "ignore TERM, stopwaitsecs=1",
              "d": "fork a child each"}
    for kind in "abcd":
        metrics = [Metric("time", "SIGTERM → all gone", "s",
                          target=tgt("<=", goals[kind], f"≤ {goals[kind]} s",
                                     goals[kind] and n == 100))]
        if kind == "d":
            metrics.append(Metric("graceful", f"clean exits (of {2 * n})", "", digits=0,
                                  better="higher", target=("==", 2 * n, f"= {2 * n}")))
        cases.append(Case(
            "shutdown", f"shutdown ({kind}) {titles[kind]}, N={n}", metrics,
            # supervisord stops one group per loop tick, and a tick waits up to 1 s on a busy
            # machine: (c) takes ~N s, (a), (b), (d) up to ~N/3 s, so it runs fewer times.
            shutdown(n, kind, p["cap"] if kind == "c" else min(p["cap"], 90)),
            kinds=("supervisor", "init"), reps=R,
            reps_for={"supervisord": 1 if kind == "c" else 2} if full else None,
            est={"supervisord": 2 + n * (1.0 if kind == "c" else 0.25),
                 "*": 1 + n * 0.02 + (1 if kind == "c" else 0)}))

    for n in p["mem"]:
        goal = {1: 2.0, 1000: 8.0}.get(n)
        cases.append(Case(
            "memory", f"memory N={n}",
            [Metric("rss", "RSS", "MiB", digits=1, target=tgt("<=", goal, f"≤ {goal} MiB", goal)),
             Metric("pss", "PSS", "MiB", digits=1, optional=True)],
            memory(n, p["settle"]), kinds=("supervisor", "init"), reps=R,
            reps_for={"supervisord": 2} if n >= 1000 else None,
            est={"supervisord": 1.5 + n * 0.03, "*": 1 + n * 0.003}))

    n = p["idle_n"]
    cases.append(Case(
        "idle", f"idle N={n}, {p['idle_w']:g} s window",
        [Metric("wakeups", "context switches", "", digits=0, target=("<=", 0, "0")),
         Metric("cpu", "CPU time", "ms", digits=1)],
        idle(n, p["idle_w"], p["settle"]), kinds=("supervisor", "init"),
        reps=1,  # 20 s windows; wake-up counts hardly vary between runs
        est={"supervisord": p["idle_w"] + p["settle"] + 1.5 + n * 0.01,
             "*": p["idle_w"] + p["settle"] + 1}))

    size = p["log"]
    label = f"{size // MiB} MiB"
    cases.append(Case(
        "logs", "logs, no rotation",
        [Metric("rate", f"{label} stdout → file", "MiB/s", digits=0, better="higher",
                target=(">=", _cat_rate, "≥ cat")),
         Metric("retained", "bytes retained", "MiB", digits=1, better="higher")],
        logs(size), reps=R, est=1.5 + size / (300 * MiB),
        limits=[("limit: cat", pipe_limit(size, "cat")), ("limit: dd", pipe_limit(size, "dd"))]))
    rot, backups = p["rot"]
    cases.append(Case(
        "logs", f"logs, rotation maxbytes={rot} backups={backups}",
        [Metric("rate", f"{label} stdout → file", "MiB/s", digits=0, better="higher",
                target=(">=", _cat_rate, "≥ cat")),
         Metric("retained", "bytes retained", "MiB", digits=1, better="higher")],
        logs(size, rot, backups), reps=R, est=1.5 + size / (300 * MiB)))

    for n in p["ctl"]:
        g = {100: 0.3, 1000: 3.0}.get(n)
        cases.append(Case(
            "control", f"control N={n}",
            [Metric("gapi", f"getAllProcessInfo ({p['calls']} calls, response read, not parsed)", "ms/call",
                    target=tgt("<=", g, f"≤ {g} ms", g)),
             Metric("status", "own client `status` wall", "ms", digits=1,
                    target=tgt("<=", 10.0, "≤ 10 ms", n == 100)),
             Metric("calls", "calls made (within the time budget)", "", digits=0,
                    better="higher")],
            control(n, p["calls"], p["status_runs"], p["budget"]), reps=R, needs_rpc=True,
            reps_for={"supervisord": 2} if n >= 1000 else None,
            est={"supervisord": 1.5 + n * 0.03 + min(p["budget"], p["calls"] * n * 0.0002)
                 + p["status_runs"] * (0.3 + n * 0.002),
                 "*": 1 + n * 0.003}))

    cases.append(Case(
        "spawn", "posix_spawn /bin/true (machine)",
        [Metric("rate", "spawn+wait", "/s", digits=0, better="higher")],
        None, kinds=(), reps=R, est=p["spawn_w"] + 0.2,
        limits=[("limit: posix_spawn", posix_spawn_limit(p["spawn_w"]))]))
    cases.append(Case(
        "spawn", "crash loop (exit 1, startsecs=0, autorestart)",
        [Metric("restarts", "restart rate", "/s", digits=1, better="higher"),
         Metric("cpu", "supervisor CPU", "%", digits=1, target=("<=", 1.0, "≤ 1 %")),
         Metric("cpu_per", "CPU per restart", "µs", digits=0, optional=True)],
        crash_loop(p["crash_w"]), reps=R, est=p["crash_w"] + 2.5))

    cases.append(Case(
        "events", f"events: PROCESS_LOG_STDOUT throughput, {p['ev_w']:g} s window",
        [Metric("rate", "events delivered to one listener", "/s", digits=0, better="higher"),
         Metric("lines", "lines of output in them", "/s", digits=0, better="higher"),
         Metric("dropped", "events dropped by the full buffer", "/s", digits=0)],
        events_throughput(p["ev_w"], 0.5), reps=R, feature="event listeners",
        est=p["ev_w"] + 2.5))
    n = p["ev_remote"]
    cases.append(Case(
        "events", f"events: latency sendRemoteCommEvent → listener, {n} samples",
        [Metric("median", "median", "ms", digits=3, target=("<=", 1.0, "≤ 1 ms")),
         Metric("p90", "p90", "ms", digits=3)],
        events_latency("remote", n), reps=R, needs_rpc=True, feature="event listeners",
        est=2.5 + n * 0.02))
    n = p["ev_kill"]
    cases.append(Case(
        "events", f"events: latency SIGKILL → PROCESS_STATE_EXITED at the listener, {n} samples",
        [Metric("median", "median", "ms", digits=3, target=("<=", 1.0, "≤ 1 ms")),
         Metric("p90", "p90", "ms", digits=3)],
        events_latency("kill", n), reps=R, needs_rpc=True, feature="event listeners",
        reps_for={"supervisord": 2} if full else None,
        est={"supervisord": 2.5 + n * 2.0, "*": 2.5 + n * 0.05}))

    n = p["dep_samples"]
    for mode, title in (("notify", "ready = notify (READY=1)"), ("fd", "ready = fd:3 (s6 newline)")):
        cases.append(Case(
            "deps", f"deps: readiness → dependent's start, {title}, {n} samples",
            [Metric("tend", "readiness → spawn (median less the floor)", "ms", digits=3,
                    target=("<=", 1.0, "≤ 1 ms"), optional=True),
             Metric("median", "readiness → dependent's main: median", "ms", digits=3),
             Metric("p90", "readiness → dependent's main: p90", "ms", digits=3),
             Metric("floor", "floor: spawn → main of the same program without tend, median", "ms",
                    digits=3, optional=True)],
            deps_latency(mode, n, 0.02), reps=R, products=("tend",), feature="depends_on",
            est={"tend": 2.5 + n * 0.02, "*": 0.0},
            limits=[("supervisord: startsecs=1 (set, not measured)", _startsecs_row(1))]))
    n, width = p["graph"]
    cases.append(Case(
        "deps", f"deps: {n} programs ({n // width} layers × {width}, 2 dependencies each) vs no "
                "dependencies, start + stop",
        [Metric("start_graph", "launch → all RUNNING, graph", "s"),
         Metric("start_flat", "launch → all RUNNING, no dependencies", "s"),
         Metric("stop_graph", "SIGTERM → all gone, graph (reverse order)", "s"),
         Metric("stop_flat", "SIGTERM → all gone, no dependencies", "s"),
         Metric("cpu_graph", "tend CPU launch → exit, graph", "ms", digits=1, optional=True),
         Metric("cpu_flat", "tend CPU launch → exit, no dependencies", "ms", digits=1,
                optional=True)],
        deps_graph(n, width, cap=60), reps=1 if quick else 5, products=("tend",),
        feature="depends_on", est=2 + n * 0.01))

    no_metrics = {"supervisord": "not expressible: supervisord has no /metrics"}
    for n in p["metrics_n"]:
        goal = 5.0 if n == 1000 else None
        cases.append(Case(
            "metrics", f"metrics: GET /metrics, N={n} running programs, {p['scrapes']} scrapes",
            [Metric("cpu", "tend CPU per scrape (utime + stime)", "ms", digits=3,
                    target=tgt("<=", goal, f"≤ {goal} ms", goal)),
             Metric("wall", "wall per scrape (client included)", "ms", digits=3),
             Metric("bytes", "scrape size", "KiB", digits=0)],
            metrics_scrape(n, p["scrapes"]), reps=R, products=("tend",), not_for=no_metrics,
            feature="metrics", est={"tend": 2 + n * 0.004 + p["scrapes"] * n * 0.00002, "*": 0.0}))

    n, w, settle = p["life_n"], p["sched_w"], p["sched_settle"]
    no_sched = {"supervisord": "not expressible: supervisord has no schedule= (cron runs such jobs "
                               "beside it)"}
    cases.append(Case(
        "lifecycle", f"lifecycle: schedule_every_1s, N={n} `@every 1s` /bin/true, {w:g} s",
        [Metric("cpu", "tend CPU (fork/exec/reap + log lines of every run)", "% of a core",
                digits=1, target=("<=", None, f"none set: {n} spawns/s")),
         Metric("per_run", "tend CPU per run", "µs", digits=0),
         Metric("runs", f"runs started (due: {n}/s)", "/s", digits=0, better="higher"),
         Metric("skipped", "runs skipped (previous run still going)", "/s", digits=1,
                optional=True),
         Metric("wakeups", "context switches", "/s", digits=0)],
        schedule_every(n, w, settle), reps=1, products=("tend",), not_for=no_sched,
        feature="schedule", est={"tend": 3 + n * 0.005 + settle + w, "*": 0.0}))
    cases.append(Case(
        "lifecycle", f"lifecycle: schedule_idle, N={n} `@daily`, nothing due, {w:g} s",
        [Metric("wakeups", "context switches in the window", "", digits=0, target=("<=", 0, "0")),
         Metric("cpu", "tend CPU", "% of a core", digits=3),
         Metric("cpu_ms", "tend CPU time in the window", "ms", digits=1)],
        schedule_idle(n, w, settle), reps=1, products=("tend",), not_for=no_sched,
        feature="schedule", est={"tend": 2 + n * 0.003 + settle + w, "*": 0.0}))
    cap, win = p["crash_cap"], p["crash_win"]
    sv_win, sv_settle = p["sv_crash"]
    cases.append(Case(
        "lifecycle", f"lifecycle: crashloop_backoff, N={n} /bin/false; tend backoff_max={cap}, "
                     f"{win:g} s; supervisord (no backoff) {sv_win:g} s",
        [Metric("cpu", "supervisor CPU", "% of a core", digits=2, target=("<=", 1.0, "≤ 1 %")),
         Metric("restarts", f"restarts (tend expected: {n}/{cap} s ≈ {n / cap:.1f}/s)", "/s",
                digits=1, better="lower"),
         Metric("cpu_per", "CPU per restart", "µs", digits=0, optional=True),
         Metric("wakeups", "context switches", "/s", digits=1),
         Metric("wake_per", "context switches per restart", "", digits=2, optional=True),
         Metric("fatal", "programs FATAL (`gave up:` lines since launch)", "", digits=0,
                target=("<=", 0, "0"))],
        crashloop_backoff(n, cap, win, sv_win, sv_settle), reps=1, feature="backoff_max",
        est={"tend": 3 + n * 0.005 + _ramp(cap) + 2 + win,
             "supervisord": 3 + n * 0.03 + sv_settle + sv_win, "*": 10.0}))

    no_console = {"supervisord": "not comparable: its page is static (no live updates, no assets)"}
    cases.append(Case(
        "web", "web: console page weight (/, its CSS and JS)",
        [Metric("total_gz", "page + assets, gzip as served", "KiB", digits=1,
                target=("<=", 60 * 1000 / 1024, "≤ 60 KB")),
         Metric("assets_gz", "assets, gzip as served", "KiB", digits=1),
         Metric("assets", "assets, uncompressed", "KiB", digits=1),
         Metric("html", "page for 10 programs, uncompressed", "KiB", digits=1),
         Metric("html_gz", "page for 10 programs, gzip", "KiB", digits=1),
         Metric("files", "asset files", "", digits=0)],
        _web(web.page_weight()), reps=1, products=("tend",), not_for=no_console,
        feature="web console", est={"tend": 1.5, "*": 0.0}))
    n = p["web_changes"]
    for programs in p["web_n"]:
        cases.append(Case(
            "web", f"web: XML-RPC stop/start → headless Chromium's DOM, N={programs}, {n} changes",
            [Metric("first", "call → first new state in the DOM, median", "ms", digits=2,
                    target=("<=", 100.0, "≤ 100 ms")),
             Metric("final", "call → final state in the DOM, median", "ms", digits=2),
             Metric("p90", "call → final state in the DOM, p90", "ms", digits=2)],
            _web(web.dom_latency(n, programs)), reps=1, products=("tend",), not_for=no_console,
            feature="web console", est={"tend": 4 + programs * 0.005 + n * 0.05, "*": 0.0}))
    c, w = p["web_consoles"], p["web_w"]
    cases.append(Case(
        "web", f"web: {c} idle live consoles (api/events streams), 10 programs, {w:g} s windows",
        [Metric("wake_n", f"context switches with {c} consoles open", "", digits=0,
                target=("<=", 0, "0")),
         Metric("cpu_n", f"tend CPU with {c} consoles open", "ms", digits=2),
         Metric("wake_0", "context switches, no console", "", digits=0),
         Metric("cpu_0", "tend CPU, no console", "ms", digits=2)],
        _web(web.idle_consoles(10, c, w, 0.5)), reps=1, products=("tend",), not_for=no_console,
        feature="web console", est={"tend": 2 * (w + 0.5) + 2, "*": 0.0}))
    return cases


def _web(run):
    """A web scenario whose missing console (or browser) is n/a, not an error."""
    def wrapped(product, sb):
        try:
            return run(product, sb)
        except web.Unsupported as exc:
            raise NotSupported(str(exc)) from None
    return wrapped
