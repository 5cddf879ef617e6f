"""The static release tend stays small: under 3 MB stripped with every feature in (2.90 MB with the
web console, metrics and JSON logs: slow-path code is compiled for size and tend's own terminate
handler keeps libstdc++'s demangler out), its hot functions laid out together
(cmake/release_link.cmake), and under 2 MiB RSS running one program (bench/run.py reports the same
figures as "Binary size" and "memory N=1")."""

import shutil
import signal
import subprocess

import pytest

from conftest import REPO, TEND, skip_by_design, wait_for

HOT_LIST = REPO / "cmake" / "tend-hot-symbols.txt"


def _tend_static():
    if not TEND.exists():
        pytest.fail(f"{TEND} is not built (set TEND_BUILD or run make)")
    out = subprocess.run(["readelf", "-lW", str(TEND)], capture_output=True, text=True,
                         check=True).stdout
    if "INTERP" in out:
        skip_by_design("tend is linked dynamically (TEND_STATIC=OFF or a sanitizer build): "
                       "the size and RSS goals are the static release binary's")


def _functions():
    """{mangled name: address} of tend's functions."""
    out = subprocess.run(["nm", "--defined-only", str(TEND)], capture_output=True, text=True,
                         check=True).stdout
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwWi":
            found.setdefault(parts[2], int(parts[0], 16))
    return found


def _text_section():
    out = subprocess.run(["readelf", "-SW", str(TEND)], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        fields = line.replace("[ ", "[").split()
        if len(fields) > 5 and fields[1] == ".text":
            return int(fields[3], 16), int(fields[5], 16)
    pytest.fail("tend has no .text section")


def test_stripped_tend_is_under_3_mb(tmp_path):
    _tend_static()
    stripped = tmp_path / "tend"
    readelf = subprocess.run(["readelf", "-h", str(TEND)], capture_output=True, text=True).stdout
    strip = "aarch64-linux-gnu-strip" if "AArch64" in readelf else "strip"
    subprocess.run([strip, "-o", str(stripped), str(TEND)], check=True)
    size = stripped.stat().st_size
    assert size < 3_000_000, f"stripped static tend is {size:,} bytes"


def test_tends_terminate_handler_replaces_libstdcxx_and_its_demangler():
    _tend_static()
    names = _functions()
    assert "_ZN9__gnu_cxx27__verbose_terminate_handlerEv" in names
    assert "__cxa_demangle" not in names, "libstdc++'s verbose terminate handler was linked"
    assert b"tend: terminating: uncaught exception of type " in TEND.read_bytes()


def test_hot_functions_are_laid_out_together_in_trace_order():
    _tend_static()
    hot = [line.strip() for line in HOT_LIST.read_text().splitlines()
           if line.strip() and not line.startswith("#")]
    functions = _functions()
    addrs = [functions[name] for name in hot if name in functions]
    # Most of the list names functions of this build; a stale list would lose many.
    assert len(addrs) >= 0.9 * len(hot), f"only {len(addrs)} of {len(hot)} hot symbols in tend"
    # In the order of the list (folded duplicates and the few functions glibc keeps in sections of
    # their own are the exceptions) ...
    ascending = sum(1 for a, b in zip(addrs, addrs[1:]) if b >= a)
    assert ascending >= 0.9 * (len(addrs) - 1), f"{ascending} of {len(addrs) - 1} pairs in order"
    # ... and together, where without the ordering they spread over all of .text. (At its start on
    # amd64; on arm64 lld puts ordered code mid-.text, to keep branches into it within range.)
    start, size = _text_section()
    inside = sorted(a for a in addrs if start <= a < start + size)
    lo, hi = inside[int(len(inside) * 0.025)], inside[int(len(inside) * 0.975)]
    assert hi - lo < 0.5 * size, f"95% of hot functions span {hi - lo:,} of .text's {size:,} bytes"


def _rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def _children(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return f.read().split()


def test_rss_with_one_program_is_under_2_mib(tmp_path):
    """RSS counts the pages mapped, which the code path decides, not timing or load: measured
    1.23 MiB in every run (bench/run.py "memory N=1"), so the 2 MiB goal itself is asserted. The
    one way a loaded machine changes it is downward (text not in the page cache is not mapped
    around a fault)."""
    _tend_static()
    sock = tmp_path / "tend.sock"
    conf = tmp_path / "tend.conf"
    conf.write_text(f"""[supervisord]
nodaemon = true
logfile = {tmp_path}/tend.log
pidfile = {tmp_path}/tend.pid
[unix_http_server]
file = {sock}
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl = unix://{sock}
[program:p]
command = /bin/sleep infinity
startsecs = 0
""")
    tend = subprocess.Popen([str(TEND), "-n", "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: _children(tend.pid), what="the program started")
        ctl = shutil.which("supervisorctl") or "/usr/bin/supervisorctl"
        # A status call, as the bench makes before measuring: the RPC path's pages count too.
        wait_for(lambda: "RUNNING" in subprocess.run([ctl, "-c", str(conf), "status"],
                                                     capture_output=True, text=True).stdout,
                 what="p RUNNING")
        rss = _rss_kib(tend.pid)
        assert rss is not None and rss < 2.0 * 1024, f"RSS {rss} KiB with one program"
    finally:
        tend.send_signal(signal.SIGTERM)
        tend.wait(timeout=30)
