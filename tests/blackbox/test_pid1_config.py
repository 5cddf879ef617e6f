"""tend as a container's PID 1, black-box: `unshare --pid --fork --mount --mount-proc`.

The harness plays the container engine: it finds the namespace's PID 1 from outside (the child of
`unshare`), sends it SIGTERM like `docker stop`, and inspects files the programs wrote. Mounts are
made inside the new mount namespace only (private propagation), so the host is untouched; the
directories mounted over /var/log, /run and /tmp are temp dirs under /var/tmp so their contents
can be read afterwards. Needs root (mount, unshare).

Scenarios:
* seed: the article's supervisord.conf byte for byte (fixtures/seed-supervisord.conf), with
  /bin/dockerapp1 and /bin/dockerapp1-brother provided by an overlay on /usr/bin.
* tree: dockerapp3 (forks, 300 ms cleanups), a setsid daemon (300 ms cleanup), dockerapp2
  (ignores TERM, stopwaitsecs=2) and a program leaving 50 short-lived orphans.
"""
import os
import re
import shutil
import signal
import textwrap
import time
from pathlib import Path

import pytest

from conftest import EMULATOR, FIXTURES, all_procs, descendants, read_text, wait_for

SEED_CONF = FIXTURES / "seed-supervisord.conf"

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"),
                                reason="needs root and unshare")


def usable_outside_tmp(exe, base):
    """The namespace mounts over /tmp, so a file living there (the supervisor binary, or the
    seed config of a checkout under /tmp) is copied, byte for byte, next to the test."""
    exe = Path(exe)
    if not str(exe.resolve()).startswith("/tmp/"):
        return exe
    copy = base / "sup" / exe.name
    copy.parent.mkdir(exist_ok=True)
    if EMULATOR and exe.parent.name == "qemu":
        # A native stand-in (tests/arm64/qemu_exec.c) that names the arm64 binary by its path, under
        # /tmp too: copy that binary and run it through the emulator from a script (exec: same pid).
        arm64 = copy.with_name(exe.name + ".arm64")
        shutil.copy2(exe.parent.parent / exe.name, arm64)
        copy.write_text(f'#!/bin/sh\nexec {shutil.which(EMULATOR)} -0 "$0" {arm64} "$@"\n')
        copy.chmod(0o755)
        return copy
    shutil.copy2(exe, copy)
    return copy


def start_pid1(spawn, base, script):
    """Run `script` (sh) as PID 1 of new pid+mount namespaces; return (unshare Proc, host pid of
    the namespace's PID 1 once it has exec'd the supervisor)."""
    setup = base / "setup.sh"
    setup.write_text("set -e\n" + textwrap.dedent(script))
    proc = spawn(["unshare", "--pid", "--fork", "--mount", "--mount-proc", "--propagation",
                  "private", "sh", setup])

    def init_pid():
        try:
            kids = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        except FileNotFoundError:
            kids = []
        for kid in kids:
            try:
                argv = Path(f"/proc/{kid}/cmdline").read_bytes().split(b"\0")
            except FileNotFoundError:
                continue
            if b"setup.sh" not in b" ".join(argv):  # the setup script has exec'd the supervisor
                return int(kid)
        if not proc.alive():
            raise AssertionError(f"namespace ended early (rc {proc.popen.returncode})\n{proc.describe()}")
        return None

    return proc, wait_for(init_pid, what="the namespace's PID 1")


def wait_text(path, needle, proc, count=1, timeout=10.0):
    """Wait for `count` occurrences of regex `needle` in file `path`; fail early if `proc` ended."""
    def ready():
        if len(re.findall(needle, read_text(path), re.M)) >= count:
            return True
        if not proc.alive():
            raise AssertionError(f"namespace ended (rc {proc.popen.returncode}) before {needle!r} in "
                                 f"{path}\n--- {path} ---\n{read_text(path)[-3000:]}\n{proc.describe()}")
        return False
    try:
        wait_for(ready, timeout, what=f"{needle!r} in {path}")
    except AssertionError as e:
        if "timed out" in str(e):
            raise AssertionError(f"{e}\n--- {path} ---\n{read_text(path)[-3000:]}\n{proc.describe()}") from None
        raise


def stop_pid1(proc, init, timeout=10.0):
    """SIGTERM the namespace's PID 1 (docker stop); return (exit status, seconds until it ended)."""
    t0 = time.monotonic()
    os.kill(init, signal.SIGTERM)
    rc = proc.wait(timeout)
    return rc, time.monotonic() - t0


def test_seed_config_as_pid1(spawn, sup_argv, dockerapp, vartmp):
    """The article's setup, fixed: tend stays up as PID 1 although the file says nodaemon=false,
    runs both programs, and on `docker stop` both log their signal and tend exits 0."""
    b = vartmp
    for d in ("upper", "work", "log/supervisor", "run", "tmp"):
        (b / d).mkdir(parents=True)
    for name in ("dockerapp1", "dockerapp1-brother"):
        shutil.copy2(dockerapp, b / "upper" / name)
    sup = usable_outside_tmp(sup_argv[0], b)
    seed = usable_outside_tmp(SEED_CONF, b)
    proc, init = start_pid1(spawn, b, f"""
        bindir=$(readlink -f /bin)
        mount -t overlay overlay -o lowerdir=$bindir,upperdir={b}/upper,workdir={b}/work $bindir
        mount --bind {b}/log /var/log
        mount --bind {b}/run /run
        mount --bind {b}/tmp /tmp
        exec {sup} -c {seed}
        """)
    main_log = b / "log/supervisor/supervisord.log"
    for name in ("dockerapp1", "dockerapp1-brother"):
        wait_text(main_log, rf"INFO success: {name} entered RUNNING state", proc)
    assert Path(f"/proc/{init}").exists() and proc.alive(), "PID 1 went away (daemonized?)"
    assert re.search(r"^\S+ \S+ (WARN|CRIT) .*nodaemon", read_text(main_log), re.M) or \
        "nodaemon" in proc.err, \
        f"no warning that nodaemon=false is ignored as PID 1\n{read_text(main_log)}\n{proc.describe()}"

    rc, elapsed = stop_pid1(proc, init)
    print(f"stopped in {elapsed:.2f}s, rc {rc}\n--- main log ---\n{read_text(main_log)}\n{proc.describe()}")
    assert rc == 0, proc.describe()
    assert elapsed < 10.0
    assert "handle signal: terminated\nsignal termiate received, app exit normally\n" in \
        read_text(b / "tmp/dockerapp1.log")
    assert "unknown signal received: quit, app exit unexpectedly" in \
        read_text(b / "tmp/dockerapp1-brother.log")
    log = read_text(main_log)
    assert re.search(r"INFO stopped: dockerapp1 \(exit status 0\)$", log, re.M), log
    assert re.search(r"WARN stopped: dockerapp1-brother \(exit status 1\)$", log, re.M), log


def test_process_tree_as_pid1(spawn, sup_argv, dockerapp, vartmp):
    """No zombies from orphans; on `docker stop` every process of the tree (the forked child and
    the setsid daemon included) gets TERM and finishes its cleanup; the TERM-ignoring program is
    SIGKILLed after its stopwaitsecs; tend exits 0 well within docker's 10 s."""
    b = vartmp
    tree = b / "tree.log"
    conf = b / "tree.conf"
    conf.write_text(textwrap.dedent(f"""\
        [supervisord]
        nodaemon=true
        logfile={b}/main.log
        pidfile={b}/tend.pid
        childlogdir={b}

        [program:dockerapp3]
        command={dockerapp} dockerapp3
        environment=FIXTURE_LOG="{tree}"

        [program:daemon]
        command=sh -c 'setsid {dockerapp} worker & exec {dockerapp} dockerapp1'
        environment=FIXTURE_LOG="{tree}"

        [program:dockerapp2]
        command={dockerapp} dockerapp2
        stdout_logfile={b}/dockerapp2.log
        stopwaitsecs=2

        [program:orphans]
        command=sh -c 'for i in $(seq 50); do ( sleep 0.2 & ); done; echo orphans-made; exec {dockerapp} dockerapp1'
        stdout_logfile={b}/orphans.log
        """))
    sup = usable_outside_tmp(sup_argv[0], b)
    seed = usable_outside_tmp(SEED_CONF, b)
    proc, init = start_pid1(spawn, b, f"exec {sup} -c {conf}\n")
    main_log = b / "main.log"
    for name in ("dockerapp3", "daemon", "dockerapp2", "orphans"):
        wait_text(main_log, rf"INFO success: {name} entered RUNNING state", proc)
    wait_text(b / "orphans.log", "orphans-made", proc)
    wait_text(tree, r"i am parent process|i am in child process|worker started", proc, count=3)

    def settled():
        procs = all_procs()
        below = descendants(init, procs)
        sleeps = [p for p in below if procs[p][2] == "sleep"]
        zombies = [(p, procs[p][2]) for p in below if procs[p][0] == "Z"]
        settled.last = f"sleep pids {sleeps}, zombies {zombies}"
        return not sleeps and not zombies
    wait_for(settled, timeout=5, what=lambda: f"orphans gone and no zombies ({settled.last})")

    text = read_text(tree)
    pids = [int(g) for groups in re.findall(
        r"i am parent process, pid = (\d+)|i am in child process, pid = (\d+)|worker started, pid = (\d+)",
        text) for g in groups if g]
    assert len(pids) == 3, text

    rc, elapsed = stop_pid1(proc, init)
    log = read_text(main_log)
    print(f"stopped in {elapsed:.2f}s, rc {rc}\n--- main log ---\n{log}\n--- tree.log ---\n{read_text(tree)}")
    assert rc == 0, proc.describe()
    text = read_text(tree)
    for pid in pids:
        assert f"{pid}: handle signal: terminated" in text, f"{pid} got no TERM\n{text}\n{log}"
        assert f"{pid}: clean exit" in text, f"{pid} was not let finish its cleanup\n{text}\n{log}"
    assert "handle signal: terminated" in read_text(b / "dockerapp2.log")
    assert re.search(r"WARN killing 'dockerapp2' \(\d+\) with SIGKILL$", log, re.M), log
    assert elapsed >= 1.9, f"ended after {elapsed:.2f}s, before dockerapp2's stopwaitsecs=2"
    assert elapsed < 4.0, f"took {elapsed:.2f}s to stop\n{log}"
