"""Real-world configs as a differential test: supervisord 4.2.5 and tend, given the same file.

The corpus is tests/data/realconf/corpus (34 files from 18 public projects; SOURCES.md names each
file's repository, path and commit). One test per file (id = file name). Each run happens in a
throw-away namespace (fixtures/realconf_ns.py: private pid, mount and network namespaces; an
overlay root on a tmpfs; fresh tmpfs on /tmp, /run, /var/log, /etc/supervisor), so nothing touches
the host. Both products get exactly the same namespace, files, environment and argv (`-n -c CONF`,
cwd /); every run ends with the namespace's PID 1, which takes all its processes with it.

What a namespace holds, the same for every run:
* the config where it would live: a file with its own `[supervisord]` and control server
  (`[unix_http_server]`/`[inet_http_server]`) is /etc/supervisor/supervisord.conf (or, for a
  file using `%(here)s` with a relative include, a directory like its repository's), with the
  files it includes where its `[include]` finds them (the LAYOUTS table).
* a config lacking `[supervisord]` (a conf.d fragment) or a control server is run the way a
  distribution runs conf.d files: it goes to /etc/supervisor/conf.d/<its name>, and a harness
  main file /etc/supervisor/supervisord.conf adds only what is missing (`[supervisord]`; a
  `[unix_http_server]` on /run/realconf-harness.sock with `[rpcinterface:supervisor]`) and
  includes conf.d/*.conf. Such a config is also run standalone (`-c` on the file itself); that
  "probe" compares only whether and how each product exits (most are refused, e.g. for the
  missing `[supervisord]`).
* users named by `user=`, `chown=` and `socket_owner=` that the host lacks are appended to the
  overlay's /etc/passwd and /etc/group (tend reads those files; supervisord asks NSS, which
  reads them too). Names holding a `%` (an unexpanded template) are left alone.
* every directory the configs write to or run in (log and pid file parents, `childlogdir`,
  socket parents, `directory=`) exists, except the ones SOURCES.md says the config exercises as
  missing (KEEP_MISSING).
* commands: most binaries the configs name are not installed, which is realistic (a spawn error,
  then FATAL, on both). Some are stand-in shell scripts (FAKES) that `exec sleep 1000` (so
  programs reach RUNNING under their `user=`) or exit with a code; no command can do anything to
  the machine (the few host tools named, bash, sh, tail, node, python3, only fail on missing
  files, inside the overlay).
* fixed values for the `%(ENV_X)s` variables the configs use (ENV).

Compared, after the same wait rule on both (realconf_ns.settle: no STARTING/BACKOFF/STOPPING,
no autostart process still STOPPED, states unchanged for QUIET s; bounded):
* whether the config is refused, and the exit status;
* `supervisor.getAllConfigInfo()`: every struct, sorted by (group, name); the random part of
  AUTO child log names is masked;
* the settled states from `supervisor.getAllProcessInfo()`: (group, name, statename);
* a fault instead of either result (a control server without `[rpcinterface:supervisor]`).

Also checked on both: no output line names the same `file:line:` twice in a row.

Known mismatches are strict xfails naming their causes (XFAIL): when a cause is fixed the case
passes, XPASS(strict) fails the run, and whoever fixed it removes the marker. Harness trouble is
never absorbed by them (it fails with pytest.fail, not an AssertionError).

TEND_STRICT=1 turns a missing prerequisite (root, unshare, Debian's supervisor, the tend build)
into a failure instead of a skip. REALCONF_JOBS sets the number of namespaces run at once (8);
REALCONF_DUMP=FILE writes every run's full report (console output included) as JSON.
"""
import base64
import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("TEND_BUILD", REPO / "build"))
TEND = BUILD / "tend"
SUPERVISORD = "/usr/bin/supervisord"
PY = "/usr/bin/python3"
DATA = REPO / "tests" / "data" / "realconf"
CORPUS = DATA / "corpus"
RUNNER = Path(__file__).resolve().parent / "fixtures" / "realconf_ns.py"
FILES = sorted(p.name for p in CORPUS.iterdir())
STRICT = os.environ.get("TEND_STRICT") == "1"
JOBS = int(os.environ.get("REALCONF_JOBS", "8"))

ETC = "/etc/supervisor"
MAIN = f"{ETC}/supervisord.conf"
HARNESS_SOCK = "/run/realconf-harness.sock"
START_SECONDS = 20    # until the control server answers
SETTLE_SECONDS = 40   # until the processes settle (a bound, not an expectation)
QUIET = 1.5           # states unchanged this long = settled
PROBE_SECONDS = 5     # a standalone run still alive after this is "accepted"
RUN_TIMEOUT = 120     # a whole namespace, hard limit

# Where a main file's includes go. Everything else: the file alone (see the module docstring).
SKELETON = "/opt/numenta/htmengine/tests/support/skeleton-app/conf"
LAYOUTS = {
    "MISP__misp-docker__core_files_etc_supervisor_supervisord.conf": {
        MAIN: "MISP__misp-docker__core_files_etc_supervisor_supervisord.conf",
        f"{ETC}/conf.d/10-supervisor.conf": "MISP__misp-docker__core_files_etc_supervisor_conf.d_10-supervisor.conf",
        f"{ETC}/conf.d/50-workers.conf": "MISP__misp-docker__core_files_etc_supervisor_conf.d_50-workers.conf",
    },
    "docker-mailserver__docker-mailserver__target_supervisor_supervisord.conf": {
        MAIN: "docker-mailserver__docker-mailserver__target_supervisor_supervisord.conf",
        f"{ETC}/conf.d/supervisor-app.conf":
            "docker-mailserver__docker-mailserver__target_supervisor_conf.d_supervisor-app.conf",
    },
    "zulip__zulip__puppet_zulip_files_supervisor_supervisord.conf": {
        MAIN: "zulip__zulip__puppet_zulip_files_supervisor_supervisord.conf",
        f"{ETC}/conf.d/thumbor.conf": "zulip__zulip__puppet_zulip_files_supervisor_conf.d_thumbor.conf",
        f"{ETC}/conf.d/zulip/zulip.conf": "zulip__zulip__puppet_zulip_files_supervisor_conf.d_zulip.conf",
    },
    "ywcui1990__numenta-apps__htmengine_tests_support_skeleton-app_conf_supervisord.conf": {
        f"{SKELETON}/supervisord.conf":
            "ywcui1990__numenta-apps__htmengine_tests_support_skeleton-app_conf_supervisord.conf",
        f"{SKELETON}/supervisord-base.conf": "ywcui1990__numenta-apps__htmengine_conf_supervisord-base.conf",
    },
}

# Directories SOURCES.md lists as deliberately missing for a config.
KEEP_MISSING = {
    "celery__celery__extra_supervisord_celeryd.conf": {"/path/to/project"},
    "paperless-ngx__paperless-ngx__docker_supervisord.conf": {"/var/run/supervisord"},
}

ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    "HOME": "/home/django",
    "NUMPROCS": "2",
    "CVAT_REDIS_HOST": "cvat_redis",
    "SMOKESCREEN_OPTS": "--deny-range=10.0.0.0/8",
    "POSTGREY_DELAY": "300",
    "POSTGREY_MAX_AGE": "35",
    "POSTGREY_AUTO_WHITELIST_CLIENTS": "5",
    "POSTGREY_TEXT": "Delayed by Postgrey",
    "FETCHMAIL_POLL": "300",
    "NUM_WORKERS_DEFAULT": "2",
    "NUM_WORKERS_PRIO": "2",
    "NUM_WORKERS_EMAIL": "1",
    "NUM_WORKERS_UPDATE": "1",
    "NUM_WORKERS_CACHE": "2",
    "SUPERVISOR_USERNAME": "misp-supervisor",
    "SUPERVISOR_PASSWORD": "misp-secret",
    "APP_USER": "app",
    "APP_PATH": "/app",
    "PGBIN": "/usr/lib/postgresql/13/bin",
    "PGDATA": "/var/openproject/pgdata",
    "PGCONF_FILE": "/etc/postgresql/13/main/postgresql.conf",
    "CELERY_MAIN_OPTIONS": "--concurrency 4",
}

SLEEP = "#!/bin/sh\nexec sleep 1000\n"


def _exit(code):
    return f"#!/bin/sh\nexit {code}\n"


# Commands that run (the rest of what the configs name is not installed). Bare names a config
# looks up in PATH get their stand-in in /usr/local/bin.
FAKES = {p: SLEEP for p in (
    "/usr/sbin/nginx", "/usr/local/bin/nginx", "/usr/local/sbin/php-fpm", "/usr/sbin/php-fpm",
    "/usr/local/bin/php-fpm8", "/usr/sbin/cron", "/usr/local/bin/cron", "/usr/sbin/rsyslogd",
    "/usr/local/sbin/dovecot", "/usr/sbin/sogod", "/usr/bin/Xvfb", "/usr/bin/openbox",
    "/usr/local/bin/caddy", "/usr/bin/php", "/usr/local/bin/php", "/usr/local/bin/yacron",
    "/usr/bin/memcached", "/usr/bin/uwsgi", "/usr/local/bin/uwsgi", "/usr/local/bin/celery",
    "/app/venv/bin/celery", "/usr/lib/ckan/default/bin/paster", "/var/www/MISP/app/Console/cake",
    "/entrypoint_nginx.sh", "/entrypoint_fpm.sh", "/usr/local/bin/supercronic", "/usr/local/bin/daphne",
    "/usr/local/bin/thumbor", "/usr/local/bin/smokescreen", "/usr/local/bin/apache2-foreground",
    "/usr/local/bin/x11vnc", "/etc/supervisor/stop-supervisor.sh", "/usr/local/sbin/stop-supervisor.sh",
    "/home/django/wait_for_deps.sh", "/home/django/wait-for-it.sh", "/usr/lib/postgresql/13/bin/postgres",
    "/usr/local/lib/web/backend/run.py", "/usr/local/bin/xvfb.sh", "/opt/postfix.sh",
    "/reconf-domains.sh", "/etc/nginx/run.sh", "/usr/local/bin/laravel-queue", "/usr/local/bin/python",
    # openproject runs `./docker/prod/x` with directory=/app: supervisord looks the command up
    # from its own cwd (/) but the child execs it after its chdir. web and worker exist in both
    # places (RUNNING); proxy only where the lookup finds it, so its exec fails (FATAL).
    "/docker/prod/web", "/app/docker/prod/web", "/docker/prod/worker", "/app/docker/prod/worker",
    "/docker/prod/proxy",
)}
FAKES.update({
    "/usr/sbin/syslog-ng": _exit(1),              # fails within startsecs: BACKOFF, then FATAL
    "/usr/local/bin/weblate": _exit(0),           # exits 0 too early: FATAL as well
    "/usr/local/bin/start-mailserver.sh": _exit(0),  # startsecs=0, autorestart=false: EXITED
    "/opt/docker/bin/service.d/postfix.sh": _exit(3),
})
# Weblate's image installs the supervisor-stdout plugin: its listener command, and the module its
# result_handler names. supervisord imports that module; tend has the handler built in. The
# stand-in module only has to import (its listener never answers, so the handler never runs).
FAKES.update({
    "/usr/local/bin/supervisor_stdout": SLEEP,
    f"/usr/local/lib/python3.{sys.version_info.minor}/dist-packages/supervisor_stdout.py":
        "def event_handler(event, response):\n    pass\n",
})


# ---------------------------------------------------------------------------------------------
# The cases

def sources():
    """{corpus file: path in its repository} from SOURCES.md's table."""
    text = (DATA / "SOURCES.md").read_text()
    rows = re.findall(r"^\| \d+ \| `([^`]+)` \| \S+ \| `([^`]+)` \| `[0-9a-f]{40}` \|", text, re.M)
    return dict(rows)


def parse(data):
    parser = configparser.RawConfigParser(inline_comment_prefixes=(";", "#"), strict=False)
    try:
        parser.read_string(data.decode("utf-8", errors="replace"))
    except configparser.Error:
        return None
    return parser


WRAPPER_SUPERVISORD = """
[supervisord]
logfile=/var/log/supervisor/supervisord.log
pidfile=/run/supervisord.pid
childlogdir=/var/log/supervisor
"""
WRAPPER_SERVER = f"""
[unix_http_server]
file={HARNESS_SOCK}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
"""
WRAPPER_INCLUDE = """
[include]
files = conf.d/*.conf
"""


class Case:
    """One corpus file: the files of its main run, and of its standalone probe if wrapped."""

    def __init__(self, name, repo_paths):
        self.name = name
        layout = LAYOUTS.get(name)
        if layout is None:
            layout = {MAIN: name}
        files = {path: (CORPUS / src).read_bytes() for path, src in layout.items()}
        parsed = [parse(data) for data in files.values()]
        sections = {s for p in parsed if p for s in p.sections()}
        has_supervisord = "supervisord" in sections
        # A server section without an address (zulip.conf's chown-only [unix_http_server]) is a
        # fragment meant to merge into the main file's section.
        has_server = rpc_target(next(iter(layout)), files) is not None
        self.wrapped = not (has_supervisord and has_server) and name not in LAYOUTS
        if self.wrapped:
            self.probe_conf = f"{ETC}/conf.d/{os.path.basename(repo_paths[name])}"
            files = {self.probe_conf: files[MAIN]}
            wrapper = "; realconf harness: what the config lacks, then the config as a conf.d file\n"
            if not has_supervisord:
                wrapper += WRAPPER_SUPERVISORD
            if not has_server:
                wrapper += WRAPPER_SERVER
            wrapper += WRAPPER_INCLUDE
            files[MAIN] = wrapper.encode()
            self.conf = MAIN
        else:
            self.conf = next(iter(layout))
        self.files = files
        self.rpc = rpc_target(self.conf, files)
        self.dirs = sorted(written_dirs(files) - KEEP_MISSING.get(name, set()))
        self.passwd, self.group = missing_users(files)

    def spec(self, product, probe=False):
        exe = str(TEND) if product == "tend" else SUPERVISORD
        full = not probe and self.rpc is not None
        return {
            "exe": exe, "conf": self.probe_conf if probe else self.conf, "cwd": "/", "env": ENV,
            "mode": "full" if full else "probe", "rpc": self.rpc,
            "probe_seconds": PROBE_SECONDS if probe or full else START_SECONDS,
            "start_seconds": START_SECONDS, "settle_seconds": SETTLE_SECONDS, "quiet_seconds": QUIET,
            "files": {p: base64.b64encode(d).decode() for p, d in self.files.items()},
            "dirs": self.dirs, "fakes": FAKES, "passwd": self.passwd, "group": self.group,
        }


def ordered_parsers(main, files):
    """Parsers of `files` in the order supervisord reads them (main, then its includes), each
    with the directory of its file."""
    out = []
    first = parse(files[main])
    if first is None:
        return out
    out.append((first, os.path.dirname(main)))
    if first.has_option("include", "files"):
        for pattern in first.get("include", "files").split():
            pattern = os.path.normpath(os.path.join(os.path.dirname(main), pattern))
            for path in sorted(p for p in files if p != main and re.fullmatch(
                    re.escape(pattern).replace(r"\*", "[^/]*"), p)):
                parser = parse(files[path])
                if parser:
                    out.append((parser, os.path.dirname(path)))
    return out


def expand(value, here, program=None):
    """The %(x)s expansions a path needs; None when one is left (e.g. %(process_num)s)."""
    value = value.replace("%(here)s", here)
    value = re.sub(r"%\(ENV_(\w+)\)s", lambda m: ENV.get(m.group(1), m.group(0)), value)
    if program:
        value = value.replace("%(program_name)s", program)
    value = value.replace("%%", "%")
    return None if "%(" in value else value


def rpc_target(main, files):
    """Where and how to reach the control server of the merged config (unix socket preferred)."""
    merged = {}
    for parser, here in ordered_parsers(main, files):
        for section in ("unix_http_server", "inet_http_server"):
            if parser.has_section(section):
                merged.setdefault(section, {}).update(
                    {k: expand(v, here) or v for k, v in parser.items(section)})
    unix, inet = merged.get("unix_http_server"), merged.get("inet_http_server")
    if unix and unix.get("file"):
        return {"url": "unix://" + os.path.normpath(unix["file"]), "username": unix.get("username"),
                "password": unix.get("password")}
    if inet and inet.get("port"):
        host, _, port = inet["port"].rpartition(":")
        host = "127.0.0.1" if host in ("", "*", "0.0.0.0") else host
        return {"url": f"http://{host}:{port}", "username": inet.get("username"),
                "password": inet.get("password")}
    return None


PATH_KEYS = {"logfile", "pidfile", "stdout_logfile", "stderr_logfile", "file"}
DIR_KEYS = {"directory", "childlogdir"}


def written_dirs(files):
    dirs = set()
    for path, data in files.items():
        parser = parse(data)
        if parser is None:
            continue
        here = os.path.dirname(path)
        for section in parser.sections():
            program = section.partition(":")[2] or None
            for key, value in parser.items(section):
                if key == "socket" and value.startswith("unix://"):
                    key, value = "file", value[len("unix://"):]
                if key not in PATH_KEYS | DIR_KEYS:
                    continue
                value = expand(value, here, program)
                if not value or value.upper() in ("NONE", "AUTO", "SYSLOG") or value.startswith("/dev/"):
                    continue
                value = os.path.normpath(os.path.join("/", value))  # relative: to the cwd, /
                dirs.add(value if key in DIR_KEYS else os.path.dirname(value))
    return dirs


def host_names(db):
    return {line.split(":", 1)[0] for line in Path(db).read_text().splitlines() if line}


def missing_users(files):
    users, groups = set(), set()
    for data in files.values():
        parser = parse(data)
        if parser is None:
            continue
        for section in parser.sections():
            for key in ("user", "chown", "socket_owner"):
                if parser.has_option(section, key):
                    user, _, group = parser.get(section, key).partition(":")
                    users.add(user.strip())
                    if group:
                        groups.add(group.strip())
    users = sorted(u for u in users - host_names("/etc/passwd") if u and "%" not in u)
    groups = sorted((set(users) | groups) - host_names("/etc/group"))
    gids = {g: 990 - i for i, g in enumerate(groups)}
    passwd = [f"{u}:x:{980 - i}:{gids.get(u, 65534)}::/home/{u}:/usr/sbin/nologin" for i, u in enumerate(users)]
    return passwd, [f"{g}:x:{gid}:" for g, gid in gids.items()]


# ---------------------------------------------------------------------------------------------
# Running

def prerequisites():
    missing = []
    if os.geteuid() != 0:
        missing.append("root")
    if not shutil.which("unshare"):
        missing.append("unshare")
    if not os.path.exists(SUPERVISORD):
        missing.append(SUPERVISORD)
    if not os.access(TEND, os.X_OK):
        missing.append(f"{TEND} (set TEND_BUILD or run make)")
    probe = subprocess.run([PY, "-c", "import supervisor.xmlrpc"], capture_output=True, check=False) \
        if os.path.exists(PY) else None
    if probe is None or probe.returncode != 0:
        missing.append(f"{PY} with the supervisor module")
    return missing


def run_namespace(spec):
    base = tempfile.mkdtemp(prefix="tend-realconf-", dir="/var/tmp")
    try:
        spec = dict(spec, base=base)
        spec_path = os.path.join(base, "spec.json")
        Path(spec_path).write_text(json.dumps(spec))
        argv = ["unshare", "--pid", "--fork", "--kill-child", "--mount", "--net", "--propagation", "private",
                PY, str(RUNNER), spec_path]
        try:
            r = subprocess.run(argv, capture_output=True, timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:  # unshare is SIGKILLed; --kill-child ends the namespace
            return {"harness_error": f"namespace still running after {RUN_TIMEOUT}s"}
        try:
            return json.loads(r.stdout.decode())
        except ValueError:
            return {"harness_error": f"runner exit {r.returncode}: {r.stdout.decode()[-2000:]}"
                                     f"{r.stderr.decode(errors='replace')[-3000:]}"}
    finally:
        shutil.rmtree(base, ignore_errors=True)


class Runs:
    """Every namespace the selected tests need, started at once on a thread pool."""

    def __init__(self, names):
        self.pool = ThreadPoolExecutor(max_workers=JOBS)
        src = sources()
        self.cases = {}
        self.futures = {}
        for name in names:
            case = self.cases[name] = Case(name, src)
            for product in ("supervisord", "tend"):
                self.futures[name, product, "main"] = self.pool.submit(run_namespace, case.spec(product))
                if case.wrapped:
                    self.futures[name, product, "probe"] = self.pool.submit(
                        run_namespace, case.spec(product, probe=True))

    def result(self, name, product, kind):
        return self.futures[name, product, kind].result()


@pytest.fixture(scope="session")
def realconf_runs(request):
    missing = prerequisites()
    if missing:
        message = "realconf needs " + ", ".join(missing)
        if STRICT:
            pytest.fail(message + " (TEND_STRICT=1)")
        pytest.skip(message)
    names = [item.callspec.params["name"] for item in request.session.items
             if item.originalname == "test_realconf" and hasattr(item, "callspec")]
    runs = Runs(names)
    yield runs
    if os.environ.get("REALCONF_DUMP"):  # every run's full report, for investigating
        with open(os.environ["REALCONF_DUMP"], "w") as f:
            json.dump({"/".join(k): fut.result() for k, fut in runs.futures.items()}, f, indent=1)
    runs.pool.shutdown(wait=True, cancel_futures=True)


# ---------------------------------------------------------------------------------------------
# Comparing

AUTO_LOG = re.compile(r"(---[^/]*-)[A-Za-z0-9_]{8}(\.log)$")


def norm_config(info):
    if not isinstance(info, list):
        return info
    out = []
    for d in info:
        d = {k: AUTO_LOG.sub(r"\1XXXXXXXX\2", v) if isinstance(v, str) else v for k, v in d.items()}
        out.append(d)
    return sorted(out, key=lambda d: (d.get("group", ""), d.get("name", "")))


def observe(r):
    """The comparable part of one run."""
    if "harness_error" in r:  # not an AssertionError: a strict xfail must not absorb it
        pytest.fail(f"harness: {r['harness_error']}")
    obs = {"exit": r["rc"] if r["exited"] else "running"}
    if "rpc" in r:
        obs["rpc"] = r["rpc"]
    if r.get("rpc") == "up":
        obs["config_info"] = norm_config(r["config_info"])
        infos = r["process_info"]
        obs["states"] = sorted((i["group"], i["name"], i["statename"]) for i in infos) \
            if isinstance(infos, list) else infos
    return obs


def describe(kind, sup, tend):
    lines = [f"{kind}: supervisord and tend differ"]
    a, b = observe(sup), observe(tend)
    for key in sorted(set(a) | set(b), key=str):
        if a.get(key) == b.get(key):
            continue
        if key == "config_info" and isinstance(a.get(key), list) and isinstance(b.get(key), list):
            ia = {(d["group"], d["name"]): d for d in a[key]}
            ib = {(d["group"], d["name"]): d for d in b[key]}
            for k in sorted(set(ia) | set(ib)):
                da, db = ia.get(k), ib.get(k)
                if da is None or db is None:
                    lines.append(f"  config_info {k}: only in {'tend' if da is None else 'supervisord'}")
                    continue
                for field in sorted(set(da) | set(db)):
                    if da.get(field) != db.get(field):
                        lines.append(f"  config_info {k[0]}:{k[1]} {field}: supervisord {da.get(field)!r}, "
                                     f"tend {db.get(field)!r}")
        else:
            lines.append(f"  {key}: supervisord {a.get(key)!r}\n  {' ' * len(key)}  tend        {b.get(key)!r}")
    for label, r in (("supervisord", sup), ("tend", tend)):
        lines.append(f"--- {label}: settled={r.get('settled')} {r.get('seconds')}s; stderr:\n{r['stderr'][-1500:]}"
                     f"--- stdout:\n{r['stdout'][-1500:]}")
    return "\n".join(lines)


DOUBLED_LOCATION = re.compile(r"(\S+:\d+): \1: .*")


def doubled_locations(r):
    """Output lines naming the same file:line twice in a row (one message, two prefixes)."""
    return [m.group(0) for m in DOUBLED_LOCATION.finditer(r.get("stdout", "") + r.get("stderr", ""))]


# Known causes; a case fails (strict xfail) until every cause it lists is gone.
XFAIL = {}


def params():
    out = []
    for name in FILES:
        marks = []
        if name in XFAIL:  # only a comparison failure is the expected one (harness trouble fails)
            marks.append(pytest.mark.xfail(strict=True, raises=AssertionError, reason="; ".join(XFAIL[name])))
        out.append(pytest.param(name, id=name, marks=marks))
    return out


def test_corpus_matches_sources():
    listed = sources()
    assert sorted(listed) == FILES, "tests/data/realconf/SOURCES.md and corpus/ disagree"
    assert len(FILES) == 34


@pytest.mark.parametrize("name", params())
def test_realconf(realconf_runs, name):
    runs = realconf_runs
    case = runs.cases[name]
    kinds = ["probe", "main"] if case.wrapped else ["main"]
    problems = []
    for kind in kinds:
        sup, tend = runs.result(name, "supervisord", kind), runs.result(name, "tend", kind)
        # The harness must reach what it started: an accepted config always has an address here.
        if sup.get("rpc") == "no answer":
            pytest.fail(f"harness: supervisord's server never answered\n{sup}")
        what = f"{kind} run (-c {case.probe_conf if kind == 'probe' else case.conf})"
        if observe(sup) != observe(tend):
            problems.append(describe(what, sup, tend))
        for product, r in (("supervisord", sup), ("tend", tend)):
            if doubled_locations(r):
                problems.append(f"{what}: {product} names a location twice:\n  " +
                                "\n  ".join(doubled_locations(r)[:5]))
    assert not problems, "\n\n".join(problems)
