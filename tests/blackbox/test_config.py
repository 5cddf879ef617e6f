"""Config layer black-box tests.

* Every tests/data/ini/good/*.conf is parsed by Python's configparser set up
  exactly like supervisord's and by tend-ini-dump; the results must be equal.
* Every tests/data/ini/bad/*.conf must be rejected with exit status 2 and an
  "Error: <file>:<line>: ..." message named in the file's first line
  ("# expect: <line>: <fragment>", or "# expect: none: <fragment>" for an
  error without a line). Nothing may be started: each bad file has a
  [program:canary] that would create $CANARY.

Binaries come from $TEND_BUILD (default <repo>/build).
"""
import configparser
import json
import os
import pathlib
import re
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("TEND_BUILD", REPO / "build"))
DATA = REPO / "tests" / "data" / "ini"
GOOD = sorted((DATA / "good").glob("*.conf"))
BAD = sorted((DATA / "bad").glob("*.conf"))
INI_DUMP = BUILD / "tend-ini-dump"
TEND = BUILD / "tend"


def python_parse(path):
    parser = configparser.RawConfigParser(inline_comment_prefixes=(";", "#"), strict=False)
    with open(path, encoding="utf-8") as f:
        parser.read_file(f)
    return {
        "DEFAULT": [list(kv) for kv in parser._defaults.items()],
        "sections": [[name, [list(kv) for kv in parser._sections[name].items()]] for name in parser.sections()],
    }


def require(binary):
    if not binary.exists():
        pytest.skip(f"{binary} not built")


def test_corpus_sizes():
    assert len(GOOD) >= 15
    assert len(BAD) >= 30


@pytest.mark.parametrize("path", GOOD, ids=[p.name for p in GOOD])
def test_good_file_parses_like_python(path):
    require(INI_DUMP)
    out = subprocess.run([str(INI_DUMP), str(path)], capture_output=True, check=False)
    assert out.returncode == 0, out.stderr.decode()
    ours = json.loads(out.stdout.decode("utf-8"))
    assert ours == python_parse(path)


def expectation(path):
    first = path.read_text(encoding="utf-8", errors="replace").splitlines()[0]
    m = re.match(r"#\s*expect:\s*(\d+|none):\s*(.+?)\s*$", first)
    assert m, f"{path.name}: first line must be '# expect: <line>: <fragment>'"
    return m.group(1), m.group(2)


def check_rejected(cmd, path, tmp_path):
    marker = tmp_path / "canary-started"
    env = dict(os.environ, CANARY=str(marker))
    out = subprocess.run(cmd, capture_output=True, cwd=tmp_path, env=env, timeout=20, check=False)
    stderr = out.stderr.decode("utf-8", errors="replace")
    line, fragment = expectation(path)
    assert out.returncode == 2, f"exit {out.returncode}, stderr: {stderr}"
    prefix = f"Error: {path}: " if line == "none" else f"Error: {path}:{line}: "
    assert stderr.startswith(prefix), f"expected {prefix!r}..., got: {stderr!r}"
    assert fragment in stderr, f"{fragment!r} not in {stderr!r}"
    assert not marker.exists(), "a program was started from a bad config"


@pytest.mark.parametrize("path", BAD, ids=[p.name for p in BAD])
def test_bad_file_rejected_by_loader(path, tmp_path):
    require(INI_DUMP)
    check_rejected([str(INI_DUMP), "--load", str(path)], path, tmp_path)


@pytest.mark.parametrize("path", BAD, ids=[p.name for p in BAD])
def test_bad_file_rejected_by_tend(path, tmp_path):
    require(TEND)
    check_rejected([str(TEND), "-n", "-c", str(path)], path, tmp_path)


def python_parse_or_error_line(path):
    try:
        return python_parse(path), None
    except configparser.MissingSectionHeaderError as e:
        return None, e.lineno
    except configparser.ParsingError as e:
        return None, e.errors[0][0]


def random_ini(rng):
    atoms = ["[", "]", "=", ":", ";", "#", " ", " ", "\t", "\u00a0", "\n", "\n", "\n", "\r", "a", "B", "k",
             "v", "\u03a3", "\u00c4", "%", "\"", "'", "DEFAULT", "[s]\n", "[t]\n", "[DEFAULT]\n", "x=1\n",
             "  y\n", "\n\n", "é"]
    return "[s]\n" * rng.randint(0, 1) + "".join(rng.choice(atoms) for _ in range(rng.randint(0, 60)))


def test_random_files_parse_like_python(tmp_path):
    """Differential fuzzing: same result, or an error at the same line."""
    require(INI_DUMP)
    import random
    rng = random.Random(1234)
    for i in range(300):
        text = random_ini(rng)
        path = tmp_path / f"r{i}.conf"
        path.write_bytes(text.encode("utf-8"))
        expected, error_line = python_parse_or_error_line(path)
        out = subprocess.run([str(INI_DUMP), str(path)], capture_output=True, check=False)
        if expected is not None:
            assert out.returncode == 0, (text, out.stderr)
            assert json.loads(out.stdout.decode("utf-8")) == expected, text
        else:
            assert out.returncode == 2, (text, out.stdout)
            assert out.stderr.decode().startswith(f"Error: {path}:{error_line}: "), (text, out.stderr)


LOAD = sorted((DATA / "load").glob("*.conf"))


def supervisor_load(path):
    """The groups and processes supervisord 4.2.5 itself makes of a config."""
    options = pytest.importorskip("supervisor.options")
    datatypes = pytest.importorskip("supervisor.datatypes")
    opts = options.ServerOptions()
    opts.realize(args=["-c", str(path)])

    def logfile(v):
        if v is None:
            return "NONE"
        if v is datatypes.Automatic:
            return "AUTO"
        return os.path.normpath(os.path.abspath(v))

    def autorestart(v):
        return {False: 0, datatypes.RestartWhenExitUnexpected: 1, datatypes.RestartUnconditionally: 2}[v]

    groups = []
    for g in opts.process_group_configs:
        procs = []
        for p in g.process_configs:
            procs.append({
                "name": p.name, "command": p.command, "priority": p.priority, "autostart": p.autostart,
                "autorestart": autorestart(p.autorestart), "startsecs": p.startsecs,
                "startretries": p.startretries, "stopsignal": p.stopsignal, "stopwaitsecs": p.stopwaitsecs,
                "exitcodes": list(p.exitcodes), "stopasgroup": p.stopasgroup, "killasgroup": p.killasgroup,
                "redirect_stderr": p.redirect_stderr, "directory": p.directory,
                "stdout_logfile": logfile(p.stdout_logfile), "stderr_logfile": logfile(p.stderr_logfile),
                "stdout_maxbytes": p.stdout_logfile_maxbytes, "stdout_syslog": p.stdout_syslog,
                "environment": dict(p.environment or {}),
            })
        # supervisord keeps a [group:x]'s members in listing order and sorts them when it
        # starts them; tend sorts once at load time.
        procs.sort(key=lambda p: (p["priority"], p["name"]))
        groups.append({"name": g.name, "priority": g.priority, "processes": procs})
    return groups


@pytest.mark.parametrize("path", LOAD, ids=[p.name for p in LOAD])
def test_loader_matches_supervisord(path):
    require(INI_DUMP)
    expected = supervisor_load(path)
    out = subprocess.run([str(INI_DUMP), "--load-json", str(path)], capture_output=True, check=False)
    assert out.returncode == 0, out.stderr.decode()
    assert json.loads(out.stdout.decode("utf-8")) == expected


GEN_UNICODE = REPO / "tools" / "gen_unicode_tables.py"
UNICODE_TABLES = REPO / "src" / "config" / "unicode_tables.cc"


def test_unicode_tables_are_what_the_generator_makes():
    """src/config/unicode_tables.cc holds /usr/bin/python3's str.lower() data (the Python that runs
    supervisord, whose option names it lower-cases): regenerating it must change nothing."""
    r = subprocess.run(["/usr/bin/python3", str(GEN_UNICODE), "--check"], capture_output=True, text=True,
                       timeout=300, check=False)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr


def test_unicode_tables_check_sees_a_changed_row(tmp_path):
    edited = tmp_path / "unicode_tables.cc"
    edited.write_text(UNICODE_TABLES.read_text().replace("{0x0041, 0x005A, 1, 32}", "{0x0041, 0x005A, 1, 33}"))
    r = subprocess.run(["/usr/bin/python3", str(GEN_UNICODE), "--check", "--out", str(edited)], capture_output=True,
                       text=True, timeout=300, check=False)
    assert r.returncode == 1
    assert "+    {0x0041, 0x005A, 1, 32}," in r.stdout
