"""`make run`'s demo, black-box: examples/run-demo.sh on examples/demo.conf as the README tells
(the same script and config), then Ctrl-C. web waits for db's readiness, every program's
clean-up runs in the dependency order (web before db, the forked worker too), tend exits 0.
"""
import re
import signal
import urllib.request

from conftest import BUILD, REPO, free_port, native_only, wait_for


@native_only("qemu-user refuses PR_SET_CHILD_SUBREAPER: forker's orphaned worker is not tend's to stop")
def test_make_run_demo_starts_in_order_and_stops_cleanly_on_ctrl_c(spawn, tmp_path):
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "TEND_DEMO_DIR": str(tmp_path), "TEND_DEMO_HTTP": f"127.0.0.1:{port}"}
    p = spawn(["bash", REPO / "examples" / "run-demo.sh", BUILD / "tend", REPO / "examples" / "demo.conf"],
              env=env, cwd=REPO)
    wait_for(lambda: "web | web: serving request 1" in re.sub(r" +\|", " |", p.out), 20,
             what=lambda: f"web's first request\n{p.describe()}")
    out = p.out
    assert "web waits for db (ready)" in out, p.describe()
    assert out.index("success: db entered RUNNING state, process reported ready") < \
        out.index("spawned: 'web'"), p.describe()
    wait_for(lambda: "web: healthy" in p.out, 20, what=lambda: f"web's health check\n{p.describe()}")
    # The console the banner names lists the demo's programs.
    assert f"console: http://127.0.0.1:{port}/" in p.out, p.describe()
    page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read().decode()
    for name in ("db", "web", "flaky"):
        assert f'data-namespec="{name}"' in page, page

    p.send(signal.SIGINT)  # run-demo.sh execs tend: this is Ctrl-C to tend
    assert p.wait(20) == 0, p.describe()
    out = p.out
    for line in ("web: bye", "db: flushed", "worker: saved", "tend exiting with status 0"):
        assert line in out, f"missing {line!r}\n{p.describe()}"
    # db is stopped only once web, which depends on it, has exited.
    assert out.index("stopped: web") < out.index("db: flushing to disk"), p.describe()
