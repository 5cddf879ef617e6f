"""Init mode command line, logging and process hygiene (pid1.md §9.25-30)."""
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures_init"))
import initlib as il  # noqa: E402
from conftest import EMULATOR, native_only  # noqa: E402


@pytest.fixture
def tend():
    init = il.tend()
    if not init.available():
        pytest.skip(f"{init.binary} not built")
    return init


def run(tend, args, **kw):
    return subprocess.run([tend.binary, *args], capture_output=True, text=True, timeout=10, **kw)


def test_help_and_version_on_stdout_exit_0(tend):
    r = run(tend, ["-h", "--", "false"])
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout.startswith("usage: tend [options] -- CMD [ARGS...]")
    for flag in ("-e CODE", "-g", "-p SIG", "-v", "--grace SECONDS", "--on-main-exit", "--no-subreaper"):
        assert flag in r.stdout
    r = run(tend, ["--version", "--", "false"])
    assert r.returncode == 0 and r.stdout.startswith("tend ")


@pytest.mark.parametrize("args,message", [
    (["--bogus", "--", "true"], "unknown option '--bogus'"),
    (["-x", "--", "true"], "unknown option '-x'"),
    (["-e", "--", "true"], "option '-e' needs an argument"),
    (["-e", "300", "--", "true"], "invalid exit code '300'"),
    (["-p", "SIGNOPE", "--", "true"], "invalid signal 'SIGNOPE'"),
    (["--grace", "soon", "--", "true"], "invalid --grace 'soon'"),
    (["--on-main-exit=never", "--", "true"], "invalid --on-main-exit 'never'"),
    (["stray", "--", "true"], "unexpected argument 'stray' before '--'"),
    (["--"], "no command after '--'"),
])
def test_usage_errors_exit_2_with_reason_and_usage(tend, args, message):
    r = run(tend, args)
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.startswith(f"tend: {message}")
    assert "usage: tend" in r.stderr


def test_bad_verbosity_variable_is_a_usage_error(tend):
    r = run(tend, ["--", "true"], env={"TEND_VERBOSITY": "loud", "PATH": "/usr/bin:/bin"})
    assert r.returncode == 2 and "invalid TEND_VERBOSITY 'loud'" in r.stderr


def test_second_dashdash_is_the_program(tend, tmp_path):
    r = il.run_once(tend, ["--", "true"], tmp=tmp_path)
    assert r.rc == 127
    assert "unable to run --: not found in PATH=" in r.stderr()


def test_stdin_passes_through(tend):
    r = subprocess.run(["/usr/bin/unshare", *il.UNSHARE[1:], tend.binary, "--", "sh"], input="exit 3\n",
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 3


def test_quiet_by_default_and_verbose_on_stderr_only(tend, tmp_path):
    r = il.run_once(tend, ["sh", "-c", "echo out"], tmp=tmp_path)
    assert (r.rc, r.stdout(), r.stderr()) == (0, "out\n", "")
    for opts, env in ((["-v"], {}), ([], {"TEND_VERBOSITY": "2"})):
        r = il.run_once(tend, ["sh", "-c", "echo out"], opts, tmp=tmp_path, env=env)
        assert r.stdout() == "out\n"
        err = r.stderr().splitlines()
        assert err[0].startswith("tend: started sh as pid ")
        assert "tend: main child sh exited with status 0" in err
        assert err[-1] == "tend: exiting with status 0"


def test_debug_level_logs_forwarded_signals(tend, tmp_path):
    ready = tmp_path / "ready"
    # A child that signals readiness, then stays up until the signal under test ends it.
    prog = f"import time; open({str(ready)!r}, 'w').close(); time.sleep(100)"
    with il.Run(tend, [il.PY, "-c", prog], ["-vvv"], tmp=tmp_path) as r:
        il.wait_for(ready.exists, 5, "child ready")
        r.kill(signal.SIGUSR2)
        assert r.wait(5) == 140
    # The child's pid in the new pid namespace: 2 natively; qemu's own thread takes 2 under it.
    child = re.search(r"^tend: started \S+ as pid (\d+)$", r.stderr(), re.M).group(1)
    assert child == ("3" if EMULATOR else "2")
    assert f"tend: forwarded SIGUSR2 to {child}" in r.stderr()


def test_child_keeps_callers_cwd_tend_moves_to_root(tend, tmp_path):
    r = il.scenario_cwd_and_fds(tend, tmp_path)
    assert r["child_cwd"] == r["work"]
    assert r["init_cwd"] == "/"


@pytest.mark.parametrize("pid1", [True, False], ids=["pid1", "not-pid1"])
def test_no_fd_leaks_either_way(tend, tmp_path, pid1):
    r = il.scenario_cwd_and_fds(tend, tmp_path, pid1=pid1)
    assert r["rc"] == 0
    # The child has exactly stdio, the fd it was given, and python's own listing fd.
    extra = {k: v for k, v in r["child_fds"].items() if k not in ("0", "1", "2", str(r["passed_fd"]))}
    assert len(extra) <= 1 and all(v.startswith("/proc/") for v in extra.values()), r["child_fds"]
    assert r["passed_fd_target"].startswith("pipe:")
    # tend does not hold the caller's pipe; its own fds are anonymous inodes
    # (epoll, signalfd, timerfd) and the exec-error pipe.
    assert not r["init_holds_pipe"], r["init_fds"]
    own = {k: v for k, v in r["init_fds"].items() if k not in ("0", "1", "2")}
    assert all(v.startswith(("anon_inode:", "pipe:")) for v in own.values()), own
    assert len(own) <= 4, own
    if not pid1:
        assert r["eof_while_running"]  # the reader saw EOF while tend still ran


def test_listen_pid_naming_tend_is_rewritten_to_the_child(tend, tmp_path):
    r = il.scenario_cwd_and_fds(tend, tmp_path, pid1=True)  # LISTEN_PID=1 = tend
    assert r["listen_pid"] == str(r["child_pid"])


@native_only("valgrind runs programs of the host's architecture only")
@pytest.mark.skipif(not Path("/usr/bin/valgrind").exists(), reason="valgrind not installed")
def test_valgrind_clean_through_spawn_reap_and_sweep(tend, tmp_path):
    # PID 1 under valgrind: spawn, orphans swept after main exits, exit.
    # valgrind needs the dynamically linked twin of the (static) tend binary.
    dynamic = Path(tend.binary).with_name("tend-dynamic")
    if not dynamic.exists():
        pytest.skip("build/tend-dynamic not built")
    valgrind = il.Init("valgrind", "/usr/bin/valgrind", dashdash=False)
    cmd = [str(dynamic), "--", "sh", "-c", "sleep 0.2 & (sleep 0.3 &); exit 4"]
    r = il.run_once(valgrind, cmd, ["-q", "--error-exitcode=99", "--leak-check=full"], tmp=tmp_path, timeout=30)
    assert r.rc == 4, r.stderr()
    assert r.stderr() == ""
