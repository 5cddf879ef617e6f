"""Process containment for the bench: every run lives in a Sandbox that owns a temp dir and a
process tracker, and whatever the run started is killed when the Sandbox closes (also on error,
Ctrl-C or SIGTERM of the harness).

Tracking uses a fresh cgroup v2 per run when one can be created (membership is inherited by every
descendant, `cgroup.events` tells when the last one is gone, `cgroup.kill` ends them all). Without
cgroup v2 the harness makes itself a child subreaper and walks /proc instead.
"""

import ctypes
import itertools
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time

_CLK_TCK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")
_live = set()
_counter = itertools.count()


def _cgroup2_root():
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[2] == "cgroup2":
                    return parts[1]
    except OSError:
        pass
    return None


class _CgroupTracker:
    kind = "cgroup v2"

    def __init__(self, base):
        self.path = os.path.join(base, f"run-{os.getpid()}-{next(_counter)}")
        os.mkdir(self.path)
        self._events = os.open(os.path.join(self.path, "cgroup.events"), os.O_RDONLY)

    def preexec(self):
        fd = os.open(os.path.join(self.path, "cgroup.procs"), os.O_WRONLY)
        try:
            os.write(fd, b"0")
        finally:
            os.close(fd)

    def populated(self):
        os.lseek(self._events, 0, os.SEEK_SET)
        return b"populated 1" in os.read(self._events, 4096)

    def wait_empty(self, deadline):
        """Monotonic time at which the last process left, or None at `deadline`."""
        poller = select.poll()
        poller.register(self._events, select.POLLPRI | select.POLLERR)
        while True:
            if not self.populated():
                return time.monotonic()
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            # The kernel signals POLLPRI on every change of cgroup.events; the 50 ms cap is a
            # safety net only.
            poller.poll(min(left, 0.05) * 1000)

    def pids(self):
        try:
            with open(os.path.join(self.path, "cgroup.procs")) as f:
                return [int(x) for x in f.read().split()]
        except OSError:
            return []

    def kill_all(self):
        try:
            with open(os.path.join(self.path, "cgroup.kill"), "w") as f:
                f.write("1")
        except OSError:
            for pid in self.pids():
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        self.wait_empty(time.monotonic() + 10)

    def remove(self):
        if self._events >= 0:
            os.close(self._events)
            self._events = -1
        for _ in range(100):
            try:
                os.rmdir(self.path)
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.02)


class _ProcTracker:
    """Fallback: the harness is a child subreaper, so orphans of a run become its children and
    'the run's processes' are all live descendants of the harness."""

    kind = "/proc walk (subreaper)"
    _subreaper = False

    def __init__(self):
        if not _ProcTracker._subreaper:
            libc = ctypes.CDLL(None, use_errno=True)
            PR_SET_CHILD_SUBREAPER = 36
            libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
            _ProcTracker._subreaper = True

    def preexec(self):
        pass

    def pids(self):
        me = os.getpid()
        parent = {}
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2:].split()
            if fields[0] == "Z":
                continue
            parent[int(name)] = int(fields[1])
        out = []
        for pid in parent:
            p, hops = parent.get(pid), 0
            while p is not None and p > 1 and hops < 64:
                if p == me:
                    out.append(pid)
                    break
                p, hops = parent.get(p), hops + 1
        return out

    def populated(self):
        return bool(self.pids())

    def wait_empty(self, deadline):
        while True:
            self._reap()
            if not self.pids():
                return time.monotonic()
            if time.monotonic() > deadline:
                return None
            time.sleep(0.002)

    def _reap(self):
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass

    def kill_all(self):
        for _ in range(50):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.02)
            self._reap()

    def remove(self):
        pass


_cg_base = None


def tracker_kind():
    t = _make_tracker()
    t.remove()
    return t.kind


def _make_tracker():
    global _cg_base
    if _cg_base is None:
        root = _cgroup2_root()
        if root and os.geteuid() == 0:
            base = os.path.join(root, "tend-bench")
            try:
                os.makedirs(base, exist_ok=True)
                probe = _CgroupTracker(base)
                probe.remove()
                _cg_base = base
            except OSError:
                _cg_base = ""
        else:
            _cg_base = ""
    if _cg_base:
        return _CgroupTracker(_cg_base)
    return _ProcTracker()


class Sandbox:
    """A temp dir plus every process started through `spawn`, and all their descendants."""

    def __init__(self, label, keep=False):
        self.dir = tempfile.mkdtemp(prefix=f"tb-{label}-")
        self.keep = keep
        self.tracker = _make_tracker()
        self.popens = []
        _live.add(self)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def spawn(self, argv, stdout_name=None, **kw):
        out = open(self.path(stdout_name), "wb") if stdout_name else subprocess.DEVNULL
        try:
            p = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True, preexec_fn=self.tracker.preexec, close_fds=True, **kw)
        finally:
            if stdout_name:
                out.close()
        self.popens.append(p)
        return p

    def close(self):
        if self not in _live:
            return
        # Stays in _live until done, so an interrupt during cleanup is finished by close_all.
        self.tracker.kill_all()
        for p in self.popens:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
        self.tracker.remove()
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        _live.discard(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def close_all():
    for sb in list(_live):
        try:
            sb.close()
        except Exception:  # noqa: BLE001 - best effort on the way out
            pass
    if _cg_base:
        try:
            os.rmdir(_cg_base)
        except OSError:
            pass


# ---- /proc readers -------------------------------------------------------------------------

def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def exe(pid):
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return None


def cpu_seconds(pid):
    """utime + stime of the whole process (all threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rfind(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def cpu_ns(pid):
    """CPU time of `pid` in ns, summed over its threads (/proc/<pid>/task/*/schedstat); still
    readable while it is an unreaped zombie. None when it is gone."""
    total = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def ctxt_switches(pid):
    """Voluntary + involuntary context switches summed over every thread of `pid`."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def rss_pss_kib(pid):
    rss = pss = None
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss
