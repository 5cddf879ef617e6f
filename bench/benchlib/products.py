"""The products under test and the generated supervisord.conf / init launcher they run."""

import os
import signal
import subprocess
import time

from . import procs, rpc


class Program:
    """One `[program:x]` section (or `[eventlistener:x]` with section="eventlistener");
    `command` is also valid as a /bin/sh command line."""

    def __init__(self, name, command, section="program", **options):
        self.name = name
        self.command = command
        self.section = section
        self.options = options


def write_conf(sb, programs, supervisord_options=None, extra_sections=None):
    """Write sb/supervisord.conf for `programs`; return its path. Logs go to sb/logs.
    `extra_sections`: {section name: {key: value}} added as they are (e.g. inet_http_server)."""
    os.makedirs(sb.path("logs"), exist_ok=True)
    sock = sb.path("supervisor.sock")
    lines = [
        "[unix_http_server]",
        f"file={sock}",
        "",
        "[supervisord]",
        "nodaemon=true",
        f"logfile={sb.path('supervisord.log')}",
        f"pidfile={sb.path('supervisord.pid')}",
        f"childlogdir={sb.path('logs')}",
        "minfds=8192",
    ]
    for k, v in (supervisord_options or {}).items():
        lines.append(f"{k}={v}")
    lines += [
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{sock}",
        "",
    ]
    for section, options in (extra_sections or {}).items():
        lines.append(f"[{section}]")
        lines += [f"{k}={v}" for k, v in options.items()]
        lines.append("")
    for p in programs:
        if p.section == "program":
            opts = {
                "autostart": "true",
                "redirect_stderr": "true",
                "stdout_logfile": sb.path("logs", f"{p.name}.log"),
            }
        else:  # a listener's stdout is the protocol: no redirect_stderr (supervisord refuses it)
            opts = {"stderr_logfile": sb.path("logs", f"{p.name}.err")}
        opts.update(p.options)
        lines.append(f"[{p.section}:{p.name}]")
        lines.append(f"command={p.command}")
        lines += [f"{k}={v}" for k, v in opts.items()]
        lines.append("")
    path = sb.path("supervisord.conf")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    return path


def write_launcher(sb, programs):
    """What an init (tini, dumb-init) runs instead of a config: a plain sh that starts every
    program in the background and waits. It has no TERM trap, as most entrypoint scripts."""
    path = sb.path("launcher.sh")
    with open(path, "w") as f:
        f.write("#!/bin/sh\n")
        for p in programs:
            f.write(f"{p.command} &\n")
        f.write("wait\n")
    return path


def _last_line(path, limit=200):
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.fstat(f.fileno()).st_size - 4096))
            data = f.read().decode(errors="replace").strip()
    except OSError:
        return ""
    lines = [line for line in data.splitlines() if line.strip()]
    return (lines[-1] if lines else "")[:limit]


class Running:
    """A started product: `main_pid` is the supervisor / init process to signal and measure."""

    def __init__(self, product, sb, popen, main_pid, t_launch, conf=None):
        self.product = product
        self.t_launch = t_launch
        self.sb = sb
        self.popen = popen
        self.main_pid = main_pid
        self.conf = conf
        self.sock = sb.path("supervisor.sock")

    def alive(self):
        return self.popen.poll() is None

    def wait_running(self, n, timeout, interval=0.005):
        """Supervisors: wait until XML-RPC shows `n` RUNNING. Returns the monotonic time."""
        return rpc.wait_all_running(self.sock, n, time.monotonic() + timeout, interval,
                                    alive=self.alive)

    def output_hint(self):
        return _last_line(self.sb.path("product.out"))


class Supervisor:
    kind = "supervisor"
    no_rpc = None  # set by preflight: why XML-RPC cannot be used, or None

    def __init__(self, name, binary, ctl_argv):
        self.name = name
        self.binary = binary
        self._ctl_argv = ctl_argv

    def unavailable(self):
        if not os.access(self.binary, os.X_OK):
            return f"{self.binary} not found"
        return None

    def start(self, sb, programs, supervisord_options=None, extra_sections=None):
        conf = write_conf(sb, programs, supervisord_options, extra_sections)
        t_launch = time.monotonic()
        p = sb.spawn([self.binary, "-n", "-c", conf], stdout_name="product.out", cwd=sb.dir)
        return Running(self, sb, p, p.pid, t_launch, conf)

    def ctl_argv(self, conf, *args):
        return self._ctl_argv(conf) + list(args)

    def preflight(self, keep=False):
        """Start with one program. None when XML-RPC shows it RUNNING; else, when the program at
        least runs (it is a child of the supervisor), set `self.no_rpc` to the reason and return
        None: the scenarios that need no XML-RPC still run. Otherwise the reason."""
        self.no_rpc = None
        with procs.Sandbox(f"preflight-{self.name}", keep) as sb:
            run = self.start(sb, [Program("p", "/bin/sleep infinity", startsecs=0)])
            try:
                run.wait_running(1, timeout=10)
            except (TimeoutError, RuntimeError) as exc:
                hint = run.output_hint()
                rc = run.popen.poll()
                if rc is None and procs.children(run.main_pid):
                    self.no_rpc = f"no XML-RPC answer on the socket: {getattr(exc, 'last', exc)}"
                else:
                    why = f"exited with status {rc}" if rc is not None else str(exc)
                    return f"does not run a config: {why}{'; its output: ' + hint if hint else ''}"
            run.popen.send_signal(signal.SIGTERM)
            if sb.tracker.wait_empty(time.monotonic() + 15) is None:
                return "does not exit on SIGTERM within 15 s"
        return None

    def version(self):
        try:
            out = subprocess.run([self.binary, "--version"], capture_output=True, timeout=10,
                                 text=True)
            return (out.stdout or out.stderr).strip().splitlines()[0][:80]
        except (OSError, subprocess.TimeoutExpired, IndexError):
            return "?"


class Init:
    no_rpc = "an init has no XML-RPC"
    """tini / dumb-init, run the way a container runs them: PID 1 of a fresh PID namespace,
    forwarding signals to the launcher's whole process group."""

    kind = "init"

    def __init__(self, name, binary, flags):
        self.name = name
        self.binary = binary
        self.flags = flags

    def unavailable(self):
        if not os.access(self.binary, os.X_OK):
            return f"{self.binary} not found"
        if os.geteuid() != 0:
            return "needs root for a PID namespace"
        return None

    def start(self, sb, programs, supervisord_options=None):
        launcher = write_launcher(sb, programs)
        argv = ["unshare", "--pid", "--fork", "--mount-proc", self.binary, *self.flags, "--",
                "/bin/sh", launcher]
        t_launch = time.monotonic()
        p = sb.spawn(argv, stdout_name="product.out", cwd=sb.dir)
        deadline = time.monotonic() + 10
        real = os.path.realpath(self.binary)
        while True:
            kids = procs.children(p.pid)
            if kids and procs.exe(kids[0]) == real:
                return Running(self, sb, p, kids[0], t_launch)
            if p.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start under unshare "
                                   f"({_last_line(sb.path('product.out'))})")
            time.sleep(0.001)

    def preflight(self, keep=False):
        try:
            with procs.Sandbox(f"preflight-{self.name}", keep) as sb:
                run = self.start(sb, [Program("p", "/bin/sleep infinity")])
                # Signal only once the launcher runs its program: before the init has set up its
                # signal handling, a TERM to a namespace's PID 1 is dropped by the kernel.
                deadline = time.monotonic() + 10
                while not any(procs.children(k) for k in procs.children(run.main_pid)):
                    if time.monotonic() > deadline or not run.alive():
                        return "the launcher's program did not start"
                    time.sleep(0.005)
                os.kill(run.main_pid, signal.SIGTERM)
                if sb.tracker.wait_empty(time.monotonic() + 10) is None:
                    return "does not exit on SIGTERM within 10 s"
        except (OSError, RuntimeError) as exc:
            return str(exc)
        return None

    def version(self):
        try:
            out = subprocess.run([self.binary, "--version"], capture_output=True, timeout=10,
                                 text=True)
            return (out.stdout or out.stderr).strip().splitlines()[0][:80]
        except (OSError, subprocess.TimeoutExpired, IndexError):
            return "?"


def all_products(build_dir):
    tend = os.path.join(build_dir, "tend")
    tendctl = os.path.join(build_dir, "tendctl")
    return [
        Supervisor("tend", tend, lambda conf: [tendctl, "-c", conf]),
        Supervisor("supervisord", "/usr/bin/supervisord",
                   lambda conf: ["/usr/bin/supervisorctl", "-c", conf]),
        Init("tini", "/usr/bin/tini", ["-g"]),
        Init("dumb-init", "/usr/bin/dumb-init", []),
    ]
