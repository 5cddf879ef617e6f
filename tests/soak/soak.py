#!/usr/bin/python3
"""The soak (issue 14, item 3): tend with 500 programs of mixed behaviour, 20 read-only XML-RPC
clients, two /logtail streams, a reread/update every `--update-every` s and log rotation all the
while, for `--seconds` (SOAK_SECONDS, default 600).

    /usr/bin/python3 tests/soak/soak.py --build build [--seconds 600] [--out DIR] [--svg FILE]

Every second it records tend's RSS, open fds, CPU and the event loop's latency (the round trip of
supervisor.getState from a dedicated probe process, 5 a second; the CSV keeps each second's
median and max) into DIR/soak.csv, then writes DIR/summary.txt and an SVG of the curves. Exit
status 0 when every criterion below holds, 1 otherwise (the failures are listed).

Pass criteria (a "quarter" is a quarter of the run's samples; the first quarter is warm-up):
  - RSS flat: the lowest RSS of the last quarter <= the lowest of the second quarter * 1.05 +
    8 MiB. A leak raises the floor for good. The slack is what tend may legitimately add after
    warm-up: each kept-alive connection keeps its last answer's buffer (up to 8 MiB, k_max_spare
    in src/http/connection.cc; 2-3 MiB here for tend.getAllConfigInfo of 500 programs) and the
    heap's high-water mark rises when several clients' 1-2 MB answers happen to be built at
    once; a 60-second run saw the floor step up 5 MiB between its second and last quarter
    (10-minute runs stay within 44-53 MiB from the first minute on);
  - fds flat: median of the last quarter <= median of the second quarter + 16 (client connections
    and crash-looping programs' pipes come and go; a leak of one fd per restart, update, rotation
    or connection would add hundreds);
  - no zombie child of tend seen in 3 consecutive samples (a child is a zombie between its exit
    and tend's reap; 3 s means it was not reaped);
  - every RPC answered (a fault is an answer; a transport error, timeout or malformed answer is a
    failure), the probe's too, and every /logtail stream stays open;
  - every update's reloadConfig reports exactly the expected added/changed/removed programs and
    each step succeeds;
  - the logs: every line of every program, read across its current file and its rotated backups
    (oldest first), is well formed and carries its process's next sequence number (nothing lost,
    repeated, reordered or damaged), each process's lines start at 0, and every process that ended
    by itself or on SIGTERM has its END line with the right count (nothing lost at its tail).
    The backups count is chosen from the flood rate and the duration so that no file is rotated
    away during the run (checked: the highest backup index in use stays below the limit), so every
    byte a program wrote must still be there;
  - tend exits 0 on SIGTERM at the end, within 120 s, and no event-loop round trip took 10 s
    (a "does not hang" bound, not a performance target on this shared 2-core machine).
"""
import argparse
import http.client
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import xmlrpc.client
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
import svgplot  # noqa: E402

# The mix of the 500 programs (names are <prefix><nnn>).
MIX = {"flood": 25, "crash": 60, "daemon": 40, "stubborn": 25}  # the rest are idle
FLOOD_RATE = 100           # lines a second per flood program (about 100 bytes each)
FLOOD_LINE = 105           # bytes of a flood line, an upper bound for sizing the backups
MAXBYTES = 128 * 1024      # stdout_logfile_maxbytes: a flood program rotates every ~12 s
MAIN_MAXBYTES = 64 * 1024  # logfile_maxbytes of the main log
CHANGED_PER_UPDATE = 3     # stubborn programs whose command alternates at each update
STOPWAITSECS = 2
EXTRA = "extra"            # a program added at odd updates and removed at even ones


# ---------------------------------------------------------------------------------------------
# XML-RPC over the unix socket

class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.path)
        self.sock = s


class Rpc:
    """One client connection; keep_alive=False opens a new connection for every call."""

    def __init__(self, sock, keep_alive=True, timeout=60.0):
        self.sock_path, self.keep_alive, self.timeout = sock, keep_alive, timeout
        self.conn = None

    def call(self, method, *params):
        """The method's value; raises xmlrpc.client.Fault for a fault, OSError/ValueError etc. for
        anything that is not an answer."""
        body = xmlrpc.client.dumps(params, method).encode()
        if self.conn is None:
            self.conn = UnixHTTPConnection(self.sock_path, self.timeout)
        try:
            self.conn.request("POST", "/RPC2", body, {"Content-Type": "text/xml"})
            resp = self.conn.getresponse()
            data = resp.read()
            if resp.status != 200:
                raise ValueError(f"HTTP {resp.status}")
        except Exception:
            self.close()
            raise
        if not self.keep_alive or resp.will_close:
            self.close()
        return xmlrpc.client.loads(data, use_builtin_types=True)[0][0]

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# ---------------------------------------------------------------------------------------------
# Configuration

def line_check(name, pid, seq):
    """FNV-1a of "name/pid/seq", as soakprog.c computes it."""
    h = 2166136261
    for b in f"{name}/{pid}/{seq}".encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def program_roles(total):
    roles = {}
    for role, n in MIX.items():
        for i in range(n):
            roles[f"{role}{i:03d}"] = role
    for i in range(total - len(roles)):
        roles[f"idle{i:03d}"] = "idle"
    return roles


def program_section(name, role, exe, logdir, backups, gen):
    arg = {"flood": FLOOD_RATE, "crash": 5, "daemon": 10}.get(role, "")
    lines = [f"[program:{name}]"]
    if role == "stubborn" and int(name[-3:]) < CHANGED_PER_UPDATE:
        # The alternating argument changes the command, so update restarts it: TERM is ignored
        # and stopwaitsecs later tend sends SIGKILL.
        lines.append(f"command={exe} {role} {name} {gen % 2}")
    else:
        lines.append(f"command={exe} {role} {name} {arg}".rstrip())
    lines += ["redirect_stderr=true", f"stdout_logfile={logdir}/{name}.log",
              f"stdout_logfile_maxbytes={MAXBYTES}", f"stdout_logfile_backups={backups}",
              f"stopwaitsecs={STOPWAITSECS}", "autorestart=true"]
    if role == "crash":
        # Half crash after a successful start (startsecs=0: a crash loop under backoff_max), half
        # before startsecs (BACKOFF, retried without limit).
        lines += ["startretries=-1", "backoff_max=4", f"startsecs={0 if int(name[-3:]) % 2 else 1}"]
    else:
        lines += ["startsecs=0"]
    return "\n".join(lines) + "\n"


def write_conf(path, work, roles, exe, backups, main_backups, gen):
    text = f"""[unix_http_server]
file={work}/s.sock

[supervisord]
logfile={work}/main.log
logfile_maxbytes={MAIN_MAXBYTES}
logfile_backups={main_backups}
pidfile={work}/tend.pid
childlogdir={work}/logs
minfds=8192
loglevel=info

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{work}/s.sock

"""
    names = dict(roles)
    if gen % 2 == 1:
        names[EXTRA] = "idle"
    for name, role in names.items():
        text += program_section(name, role, exe, f"{work}/logs", backups, gen) + "\n"
    tmp = Path(str(path) + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------
# /proc

def read_proc_stat(pid):
    data = Path(f"/proc/{pid}/stat").read_text()
    fields = data[data.rindex(")") + 2:].split()
    return fields  # fields[0] is field 3 (state)


def tend_sample(pid):
    rss = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    # Time on CPU in ns from schedstat, summed over the threads (utime/stime count 10 ms ticks).
    cpu = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        cpu += int(Path(f"/proc/{pid}/task/{task}/schedstat").read_text().split()[0])
    return rss, fds, cpu / 1e9, time.monotonic()  # the CPU time and when it was read


def children_of(pid):
    """{child pid: state} of every process whose parent is `pid`."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            f = read_proc_stat(entry)
        except (OSError, ValueError):
            continue
        if int(f[1]) == pid:
            out[int(entry)] = f[0]
    return out


# ---------------------------------------------------------------------------------------------
# The run

class Soak:
    def __init__(self, args):
        self.args = args
        self.seconds = args.seconds
        self.work = Path(tempfile.mkdtemp(prefix="tend-soak-", dir="/var/tmp"))
        self.out = Path(args.out) if args.out else self.work
        self.out.mkdir(parents=True, exist_ok=True)
        self.sock = str(self.work / "s.sock")
        self.conf = self.work / "soak.conf"
        self.roles = program_roles(args.programs)
        # Enough backups that a flood program's whole output stays on disk (x1.5, +5 margin).
        per_prog = FLOOD_RATE * FLOOD_LINE * (self.seconds + 120)
        self.backups = int(per_prog * 1.5 / MAXBYTES) + 5
        self.main_backups = 400 + self.seconds  # the main log gets ~1 KB/s; x~20 margin
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.failures = []          # text of every failed criterion or unanswered call
        self.calls = {}             # method -> answered calls
        self.faults = {}            # (method, fault code) -> count
        self.call_errors = 0
        self.probe = []             # (t, seconds) of every probe round trip
        self.probe_errors = 0
        self.samples = []           # rows of soak.csv
        self.updates = []           # (t, seconds, added, changed, removed)
        self.tail_bytes = 0
        self.tail_breaks = 0
        self.tail_lines = 0
        self.tail_gaps = 0          # lines of a /logtail stream out of sequence
        self.lingering_zombies = set()
        self.gen = 0
        self.t0 = None

    def fail(self, text):
        with self.lock:
            if len(self.failures) < 200:
                self.failures.append(text)

    def now(self):
        return time.monotonic() - self.t0

    # -- setup -------------------------------------------------------------------------------

    def build_prog(self):
        exe = self.work / "soakprog"
        subprocess.run(["cc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", str(exe), str(HERE / "soakprog.c")],
                       check=True)
        return exe

    def start(self):
        (self.work / "logs").mkdir()
        self.exe = self.build_prog()
        write_conf(self.conf, self.work, self.roles, self.exe, self.backups, self.main_backups, self.gen)
        tend = Path(self.args.build) / "tend"
        self.console = open(self.work / "console.txt", "wb")
        self.proc = subprocess.Popen([str(tend), "-n", "-c", str(self.conf)], stdin=subprocess.DEVNULL,
                                     stdout=self.console, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        rpc = Rpc(self.sock, timeout=10)
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("tend exited at start:\n" + (self.work / "console.txt").read_text())
            try:
                if rpc.call("supervisor.getState")["statename"] == "RUNNING":
                    break
            except (OSError, xmlrpc.client.Error, http.client.HTTPException):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("tend did not answer within 60 s")
            time.sleep(0.1)
        self.methods = set(rpc.call("system.listMethods"))
        rpc.close()

    # -- the threads -------------------------------------------------------------------------

    def read_only_calls(self, rng):
        """(method, params) of one round of every read-only method, on random programs."""
        names = list(self.roles)
        flood = f"flood{rng.randrange(MIX['flood']):03d}"
        some = rng.choice(names)
        calls = [
            ("supervisor.getAPIVersion", ()), ("supervisor.getVersion", ()),
            ("supervisor.getSupervisorVersion", ()), ("supervisor.getIdentification", ()),
            ("supervisor.getState", ()), ("supervisor.getPID", ()),
            ("supervisor.readLog", (-4096, 0)), ("supervisor.readMainLog", (0, 2048)),
            ("supervisor.getProcessInfo", (some,)), ("supervisor.getAllProcessInfo", ()),
            ("supervisor.readProcessStdoutLog", (flood, -4096, 0)),
            ("supervisor.readProcessLog", (some, 0, 1024)),
            ("supervisor.readProcessStderrLog", (some, 0, 1024)),
            ("supervisor.tailProcessStdoutLog", (some, 0, 2048)),
            ("supervisor.tailProcessLog", (flood, 0, 2048)),
            ("supervisor.tailProcessStderrLog", (flood, 0, 2048)),
            ("supervisor.getAllConfigInfo", ()),
            ("system.listMethods", ()), ("system.methodHelp", ("supervisor.getState",)),
            ("system.methodSignature", ("supervisor.getProcessInfo",)),
            ("system.multicall", ([{"methodName": "supervisor.getState", "params": []},
                                   {"methodName": "supervisor.getProcessInfo", "params": [some]}],)),
            ("tend.getProcessHealth", (some,)), ("tend.getAllProcessHealth", ()),
            ("tend.getAllConfigInfo", ()),
        ]
        return [(m, p) for m, p in calls if m in self.methods]

    def client(self, idx):
        rng = random.Random(idx)
        rpc = Rpc(self.sock, keep_alive=idx % 2 == 0)
        follow, offset = f"flood{idx % MIX['flood']:03d}", 0
        while not self.stop.is_set():
            batch = self.read_only_calls(rng)
            rng.shuffle(batch)
            # Follow one flood program's log as `supervisorctl tail -f` does.
            batch.append(("supervisor.tailProcessStdoutLog", None))
            for method, params in batch:
                if self.stop.is_set():
                    break
                if params is None:
                    params = (follow, offset, 8192)
                try:
                    value = rpc.call(method, *params)
                    # An update removes a changed program before adding it back, and adds or
                    # removes EXTRA.
                    if method == "supervisor.getAllProcessInfo" and not (
                            len(self.roles) - CHANGED_PER_UPDATE <= len(value) <= len(self.roles) + 1):
                        self.fail(f"{self.now():.1f}s getAllProcessInfo listed {len(value)} processes")
                    if params and params[0] == follow and method == "supervisor.tailProcessStdoutLog":
                        offset = value[1]
                    with self.lock:
                        self.calls[method] = self.calls.get(method, 0) + 1
                except xmlrpc.client.Fault as f:
                    with self.lock:
                        self.calls[method] = self.calls.get(method, 0) + 1
                        key = (method, f.faultCode)
                        self.faults[key] = self.faults.get(key, 0) + 1
                except Exception as e:  # not an answer
                    with self.lock:
                        self.call_errors += 1
                    self.fail(f"{self.now():.1f}s client {idx}: {method}{params!r}: {type(e).__name__}: {e}")
                self.stop.wait(0.25)
        rpc.close()

    def prober(self):
        """Reads the probe process's reports (see probe_main): its round trips are not delayed by
        this process's client threads, which hold the GIL while they parse large answers."""
        self.probe_proc = subprocess.Popen([sys.executable, __file__, "--probe", self.sock],
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for line in self.probe_proc.stdout:
            start, _, rest = line.rstrip("\n").partition(" ")
            if rest.startswith("ERR"):
                with self.lock:
                    self.probe_errors += 1
                self.fail(f"{float(start) - self.t0:.1f}s probe: {rest}")
            else:
                with self.lock:
                    self.probe.append((float(start) - self.t0, float(rest)))
        self.probe_proc.wait(30)

    def tailer(self, name):
        """Streams /logtail/<name> (a flood program, never removed) for the whole run, and checks
        that the stream has every line once, across the file's rotations: each process's
        sequence numbers go up by one (the stream starts mid-file, so the first line seen of a
        process sets its start)."""
        while not self.stop.is_set():
            conn = UnixHTTPConnection(self.sock, timeout=15)
            partial, first, last = b"", True, {}
            try:
                conn.request("GET", f"/logtail/{name}")
                resp = conn.getresponse()
                if resp.status != 200:
                    raise ValueError(f"HTTP {resp.status}")
                while not self.stop.is_set():
                    chunk = resp.read1(65536)
                    if not chunk:
                        raise ValueError("stream ended")
                    with self.lock:
                        self.tail_bytes += len(chunk)
                    lines = (partial + chunk).split(b"\n")
                    partial = lines.pop()
                    if first and lines:  # the stream's first bytes may start mid-line
                        lines, first = lines[1:], False
                    for line in lines:
                        f = line.split(b" ")
                        if len(f) < 3 or f[0].decode(errors="replace") != name:
                            self.fail(f"{self.now():.1f}s /logtail/{name}: unexpected line {line[:80]!r}")
                            continue
                        if f[2] == b"END":
                            continue
                        pid, seq = int(f[1]), int(f[2])
                        if pid in last and seq != last[pid] + 1:
                            with self.lock:
                                self.tail_gaps += 1
                            self.fail(f"{self.now():.1f}s /logtail/{name}: process {pid} line {seq} "
                                      f"after {last[pid]}")
                        last[pid] = seq
                        with self.lock:
                            self.tail_lines += 1
            except Exception as e:
                if not self.stop.is_set():
                    with self.lock:
                        self.tail_breaks += 1
                    self.fail(f"{self.now():.1f}s /logtail/{name}: {type(e).__name__}: {e}")
                    self.stop.wait(1)
            finally:
                conn.close()

    def updater(self):
        rpc = Rpc(self.sock, timeout=120)
        k = 1
        while not self.stop.wait(max(0.0, k * self.args.update_every - self.now())):
            if self.now() > self.seconds - 5:
                break
            k += 1
            self.gen += 1
            write_conf(self.conf, self.work, self.roles, self.exe, self.backups, self.main_backups, self.gen)
            start = time.monotonic()
            want_changed = {f"stubborn{i:03d}" for i in range(CHANGED_PER_UPDATE)}
            want_added = {EXTRA} if self.gen % 2 == 1 else set()
            want_removed = {EXTRA} if self.gen % 2 == 0 else set()
            try:
                added, changed, removed = rpc.call("supervisor.reloadConfig")[0]
                if (set(added), set(changed), set(removed)) != (want_added, want_changed, want_removed):
                    self.fail(f"update {self.gen}: reloadConfig gave added={added} changed={changed} "
                              f"removed={removed}, expected {want_added} {want_changed} {want_removed}")
                # What supervisorctl update does, group by group.
                for name in removed:
                    rpc.call("supervisor.stopProcessGroup", name)
                    rpc.call("supervisor.removeProcessGroup", name)
                for name in changed:
                    rpc.call("supervisor.stopProcessGroup", name)
                    rpc.call("supervisor.removeProcessGroup", name)
                    rpc.call("supervisor.addProcessGroup", name)
                for name in added:
                    rpc.call("supervisor.addProcessGroup", name)
                with self.lock:
                    self.updates.append((self.now(), time.monotonic() - start, len(added), len(changed),
                                         len(removed)))
            except Exception as e:
                self.fail(f"{self.now():.1f}s update {self.gen}: {type(e).__name__}: {e}")
        rpc.close()

    def sampler(self):
        pid = self.proc.pid
        zombie_runs = {}
        _, _, cpu0, t_prev = tend_sample(pid)
        k = 1
        while not self.stop.wait(max(0.0, self.t0 + k - time.monotonic())):
            # A sample taken late does not make the next ones early (each covers about 1 s).
            k = max(k + 1, int(time.monotonic() - self.t0 + 0.5) + 1)
            try:
                rss, fds, cpu, t = tend_sample(pid)
                kids = children_of(pid)  # may take long: t is taken before
            except (OSError, ValueError) as e:
                self.fail(f"{self.now():.1f}s unable to sample tend: {e}")
                break
            cpu_pct = 100.0 * (cpu - cpu0) / (t - t_prev)
            cpu0, t_prev = cpu, t
            zombies = {p for p, s in kids.items() if s == "Z"}
            zombie_runs = {p: zombie_runs.get(p, 0) + 1 for p in zombies}
            for p, n in zombie_runs.items():
                if n >= 3 and p not in self.lingering_zombies:
                    self.lingering_zombies.add(p)
                    self.fail(f"{self.now():.1f}s zombie child {p} of tend not reaped for {n} s")
            now = self.now()
            with self.lock:
                lat = [d for (ts, d) in self.probe if now - 1.0 <= ts < now]
                ncalls = sum(self.calls.values())
            self.samples.append({
                "t": round(t - self.t0, 2), "rss_kib": rss, "fds": fds, "cpu_pct": round(cpu_pct, 1),
                "lat_ms_p50": round(1000 * statistics.median(lat), 2) if lat else "",
                "lat_ms_max": round(1000 * max(lat), 2) if lat else "",
                "calls": ncalls, "children": len(kids), "zombies": len(zombies),
            })

    # -- the end -----------------------------------------------------------------------------

    def run(self):
        self.start()
        self.t0 = time.monotonic()
        threads = [threading.Thread(target=self.sampler, name="sampler"),
                   threading.Thread(target=self.prober, name="probe"),
                   threading.Thread(target=self.updater, name="updater")]
        threads += [threading.Thread(target=self.client, args=(i,), name=f"client{i}")
                    for i in range(self.args.clients)]
        threads += [threading.Thread(target=self.tailer, args=(f"flood{i:03d}",), name=f"tail{i}")
                    for i in range(2)]
        for t in threads:
            t.start()
        try:
            while self.now() < self.seconds and self.proc.poll() is None:
                time.sleep(0.5)
            if self.proc.poll() is not None:
                self.fail(f"tend exited during the run with status {self.proc.returncode}")
        finally:
            self.stop.set()
            if getattr(self, "probe_proc", None) is not None:
                self.probe_proc.stdin.close()  # the probe ends when its stdin does
            for t in threads:
                t.join(150)
        self.shutdown()

    def shutdown(self):
        start = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(120)
                if rc != 0:
                    self.fail(f"tend exited with status {rc} on SIGTERM")
            except subprocess.TimeoutExpired:
                self.fail("tend still running 120 s after SIGTERM")
        self.shutdown_secs = time.monotonic() - start
        # Whatever is left (daemons of the programs, re-parented to us, or everything if tend hung).
        self.leftover = cleanup(self.proc)
        self.console.close()

    def check_logs(self):
        """Every program's lines, across its backups and current file; returns counts."""
        logdir = self.work / "logs"
        stats = {"bytes": 0, "lines": 0, "processes": 0, "ended": 0, "rotations": 0, "max_backup": 0,
                 "daemons": 0}
        names = dict(self.roles)
        names[EXTRA] = "idle"
        line_re = re.compile(rb"^(\S+) (\d+) (\d+|END) (\S+)(?: ([a-z]*))?$")
        for name, role in names.items():
            files = sorted(logdir.glob(f"{name}.log.*"), key=lambda p: -int(p.name.rsplit(".", 1)[1]))
            if files:
                top = int(files[0].name.rsplit(".", 1)[1])
                stats["max_backup"] = max(stats["max_backup"], top)
                stats["rotations"] += len(files)
                if top >= self.backups:
                    self.fail(f"{name}: backup .{top} reached the limit {self.backups}: output may have been dropped")
                if len(files) != top:
                    self.fail(f"{name}: {len(files)} backups for a highest index {top}")
            current = logdir / f"{name}.log"
            if current.exists():
                files.append(current)
            if not files:
                if not (name == EXTRA and self.gen == 0):
                    self.fail(f"{name}: no log file")
                continue
            data = b"".join(p.read_bytes() for p in files)
            stats["bytes"] += len(data)
            if data and not data.endswith(b"\n"):
                self.fail(f"{name}: log does not end with a newline: {data[-80:]!r}")
            nxt, ended, errors, done, done_ended = {}, set(), 0, 0, 0
            for raw in data.split(b"\n")[:-1]:
                stats["lines"] += 1
                m = line_re.match(raw)
                problem = None
                if not m or m.group(1).decode() != name:
                    problem = "malformed line"
                else:
                    pid, seq = int(m.group(2)), m.group(3)
                    if seq == b"0" and pid in nxt:
                        # The pid was used again (9,000+ processes in 10 minutes wrap pid_max on
                        # this machine): a new process, after the old one's END unless killed.
                        if pid in ended:
                            done_ended += 1
                        elif role != "stubborn":
                            errors += 1
                            self.fail(f"{name}: process {pid} has no END line before its pid's next process")
                        done += 1
                        ended.discard(pid)
                        del nxt[pid]
                    if pid in ended:
                        problem = "line after END"
                    elif seq == b"END":
                        if int(m.group(4)) != nxt.get(pid, 0):
                            problem = f"END {int(m.group(4))} after {nxt.get(pid, 0)} lines"
                        ended.add(pid)
                        nxt.setdefault(pid, 0)
                    else:
                        seq = int(seq)
                        pad = m.group(5) or b""
                        if seq != nxt.get(pid, 0):
                            problem = f"seq {seq}, expected {nxt.get(pid, 0)}"
                        elif int(m.group(4), 16) != line_check(name, pid, seq):
                            problem = "bad check"
                        elif pad.strip(bytes([97 + seq % 26])) or len(pad) not in (5, 10, 20, 70):
                            problem = "bad padding"
                        nxt[pid] = seq + 1
                        if role == "daemon":
                            stats["daemons"] += 1  # a line for each daemon forked
                if problem:
                    errors += 1
                    if errors <= 3:
                        self.fail(f"{name}: {problem}: {raw[:120]!r}")
            stats["processes"] += len(nxt) + done
            stats["ended"] += len(ended) + done_ended
            if role != "stubborn":
                for pid in nxt:
                    if pid not in ended:
                        errors += 1
                        if errors <= 3:
                            self.fail(f"{name}: process {pid} has no END line (its tail is missing)")
        return stats

    def main_log_counts(self):
        files = sorted(self.work.glob("main.log.*"), key=lambda p: -int(p.name.rsplit(".", 1)[1]))
        top = int(files[0].name.rsplit(".", 1)[1]) if files else 0
        if top >= self.main_backups:
            self.fail(f"main log: backup .{top} reached the limit {self.main_backups}")
        text = "".join(p.read_text(errors="replace") for p in files + [self.work / "main.log"]
                       if p.exists())
        return {"spawned": text.count("spawned: '"), "sigkill": len(re.findall(r"killing '[^']*' \(\d+\) with SIGKILL", text)),
                "main_rotations": len(files)}


def cleanup(tend_proc):
    """SIGKILLs tend's session and every process re-parented to us; returns how many were left."""
    me, left = os.getpid(), 0
    for _ in range(20):
        victims = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == me:
                continue
            try:
                f = read_proc_stat(entry)
            except (OSError, ValueError):
                continue
            if int(f[1]) == me or int(f[3]) == tend_proc.pid:
                victims.append(int(entry))
        if not victims:
            break
        left = max(left, len(victims))
        for p in victims:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for p in victims:
            try:
                os.waitpid(p, os.WNOHANG)
            except ChildProcessError:
                pass
        time.sleep(0.1)
    if tend_proc.poll() is None:
        tend_proc.kill()
        tend_proc.wait(10)
    return left


def quantile(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


def evaluate(soak):
    """Applies the flatness and latency criteria; returns the summary text."""
    rows = soak.samples
    n = len(rows)
    q2 = rows[n // 4:n // 2]
    q4 = rows[3 * n // 4:]
    lat = [d * 1000 for (_, d) in soak.probe]
    out = []
    if n < 8:
        soak.fail(f"only {n} samples")
        rss_q2 = rss_q4 = fd_q2 = fd_q4 = floor_q2 = floor_q4 = float("nan")
    else:
        rss_q2 = statistics.median(r["rss_kib"] for r in q2)
        rss_q4 = statistics.median(r["rss_kib"] for r in q4)
        floor_q2 = min(r["rss_kib"] for r in q2)
        floor_q4 = min(r["rss_kib"] for r in q4)
        fd_q2 = statistics.median(r["fds"] for r in q2)
        fd_q4 = statistics.median(r["fds"] for r in q4)
        if floor_q4 > floor_q2 * 1.05 + 8192:
            soak.fail(f"RSS grew: last-quarter lowest {floor_q4} KiB > second-quarter {floor_q2} KiB * 1.05 + 8 MiB")
        if fd_q4 > fd_q2 + 16:
            soak.fail(f"fds grew: last-quarter median {fd_q4} > second-quarter {fd_q2} + 16")
    if lat and max(lat) >= 10000:
        soak.fail(f"an event-loop round trip took {max(lat):.0f} ms")
    logs = soak.check_logs()
    main = soak.main_log_counts()
    missing = [m for m in soak.read_only_calls(random.Random(0)) if soak.calls.get(m[0], 0) == 0]
    if missing:
        soak.fail(f"never called: {[m[0] for m in missing]}")
    cpu = [r["cpu_pct"] for r in rows[1:]]
    ncalls = sum(soak.calls.values())
    out.append(f"soak: {soak.seconds} s, {len(soak.roles)} programs ({', '.join(f'{v} {k}' for k, v in MIX.items())}, "
               f"{len(soak.roles) - sum(MIX.values())} idle), {soak.args.clients} clients, 2 /logtail streams")
    out.append(f"logs: {logs['bytes']} bytes, {logs['lines']} lines checked in {logs['processes']} processes "
               f"({logs['ended']} with END); program log rotations {logs['rotations']} (highest backup "
               f".{logs['max_backup']} of {soak.backups}), main log rotations {main['main_rotations']}")
    out.append(f"restarts: {main['spawned']} spawns ({main['spawned'] - len(soak.roles)} beyond the first of "
               f"each program); SIGKILLs after stopwaitsecs: {main['sigkill']}; daemons forked: {logs['daemons']}")
    out.append(f"calls: {ncalls} answered ({sum(soak.faults.values())} of them faults), {soak.call_errors} "
               f"unanswered; {len(soak.calls)} methods; probe {len(lat)} round trips, {soak.probe_errors} unanswered; "
               f"/logtail {soak.tail_bytes} bytes, {soak.tail_lines} lines checked, {soak.tail_gaps} out of sequence, "
               f"{soak.tail_breaks} breaks")
    # The programs' stderr goes to stdout (redirect_stderr), so reading a stderr log is NO_FILE;
    # no other call may fault.
    for (m, c), k in soak.faults.items():
        if (m, c) != ("supervisor.readProcessStderrLog", 20):
            soak.fail(f"{k} unexpected faults {c} from {m}")
    out.append("faults: " + (", ".join(f"{m}:{c}={k}" for (m, c), k in sorted(soak.faults.items())) or "none"))
    upd = soak.updates
    out.append(f"updates: {len(upd)} done (expected {max(0, int((soak.seconds - 5) // soak.args.update_every))}), "
               f"each {', '.join(f'{u[1]:.1f}' for u in upd)} s")
    if len(upd) < int((soak.seconds - 5) // soak.args.update_every):
        soak.fail("not every update was done")
    # Each update stops CHANGED_PER_UPDATE stubborn programs, which only SIGKILL ends; the
    # shutdown kills every stubborn program.
    want_kills = CHANGED_PER_UPDATE * len(upd) + MIX["stubborn"]
    if main["sigkill"] != want_kills:
        soak.fail(f"{main['sigkill']} SIGKILLs in the main log, expected {want_kills}")
    if rows:
        rss = [r["rss_kib"] for r in rows]
        fds = [r["fds"] for r in rows]
        out.append(f"RSS KiB: start {rss[0]}, end {rss[-1]}, max {max(rss)}; median Q2 {rss_q2}, Q4 {rss_q4}; "
                   f"lowest Q2 {floor_q2}, Q4 {floor_q4}")
        out.append(f"fds: start {fds[0]}, end {fds[-1]}, max {max(fds)}; median Q2 {fd_q2}, Q4 {fd_q4}")
        out.append(f"CPU % of one core: mean {statistics.mean(cpu) if cpu else 0:.1f}, p50 {quantile(cpu, 0.5):.1f}, "
                   f"max {max(cpu) if cpu else 0:.1f}")
    if lat:
        out.append(f"event-loop round trip ms (getState): p50 {quantile(lat, 0.5):.2f}, p99 {quantile(lat, 0.99):.2f}, "
                   f"max {max(lat):.2f}")
    out.append(f"zombies not reaped within 3 s: {len(soak.lingering_zombies)}; shutdown {soak.shutdown_secs:.1f} s; "
               f"processes left after tend exited: {soak.leftover}")
    out.append("PASS" if not soak.failures else "FAIL:\n  " + "\n  ".join(soak.failures))
    return "\n".join(out)


def write_csv(path, rows):
    cols = ["t", "rss_kib", "fds", "cpu_pct", "lat_ms_p50", "lat_ms_max", "calls", "children", "zombies"]
    with open(path, "w") as f:
        f.write(",".join(cols) + "\n")
        for r in rows:
            f.write(",".join(str(r[c]) for c in cols) + "\n")


def probe_main(sock):
    """The probe process: a trivial call (supervisor.getState) on one kept-alive connection every
    200 ms; prints "<monotonic start> <round trip s>" or "<start> ERR <what>" per call, until its
    stdin closes."""
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(sys.stdin, selectors.EVENT_READ)
    rpc = Rpc(sock, timeout=30)
    while True:
        start = time.monotonic()
        try:
            rpc.call("supervisor.getState")
            print(f"{start:.6f} {time.monotonic() - start:.6f}", flush=True)
        except Exception as e:
            print(f"{start:.6f} ERR {type(e).__name__}: {e}".replace("\n", " "), flush=True)
        if sel.select(max(0.0, 0.2 - (time.monotonic() - start))):
            return 0  # stdin readable: closed by the driver


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--probe":
        return probe_main(sys.argv[2])
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=str(REPO / "build"))
    ap.add_argument("--seconds", type=int, default=int(os.environ.get("SOAK_SECONDS", 600)))
    ap.add_argument("--programs", type=int, default=500)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--update-every", type=float, default=30)
    ap.add_argument("--out", help="where soak.csv, summary.txt and soak.svg go (default: the work dir)")
    ap.add_argument("--svg", help="also write the plot here (e.g. docs/soak.svg)")
    ap.add_argument("--keep", action="store_true", help="keep the work dir (config, logs)")
    args = ap.parse_args()
    # Daemons outlive their programs; as a subreaper we collect what tend leaves behind.
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    soak = Soak(args)
    print(f"soak: {args.seconds:.0f} s in {soak.work}", flush=True)
    try:
        soak.run()
        summary = evaluate(soak)
    finally:
        if getattr(soak, "proc", None) is not None and soak.proc.poll() is None:
            cleanup(soak.proc)
    write_csv(soak.out / "soak.csv", soak.samples)
    (soak.out / "summary.txt").write_text(summary + "\n")
    title = f"tend soak: {len(soak.roles)} programs, {args.clients} clients, {args.seconds:.0f} s"
    svg = svgplot.plot(soak.samples, title)
    (soak.out / "soak.svg").write_text(svg)
    if args.svg:
        Path(args.svg).write_text(svg)
    print(summary, flush=True)
    if not args.keep and not soak.failures:
        import shutil
        if soak.out != soak.work:
            shutil.rmtree(soak.work, ignore_errors=True)
        else:  # keep the results, drop the logs
            shutil.rmtree(soak.work / "logs", ignore_errors=True)
            for p in soak.work.glob("main.log*"):
                p.unlink()
    else:
        print(f"work dir kept: {soak.work}")
    return 0 if not soak.failures else 1


if __name__ == "__main__":
    sys.exit(main())
