"""Dependencies through the clients, black-box: Debian's real supervisorctl over tend's socket
(`start web` starts web's stopped dependencies first and returns once web is RUNNING; `status`
shows the descriptions; `reread`/`update` treat a changed depends_on as a per-program change),
`tendctl health` (exit 0/1, naming what is not ready or healthy), and the XML-RPC surface
(`supervisor.*` answers keep supervisord's shape, the structured state is under `tend.*`).
"""
import os
import re
from pathlib import Path

import pytest

from conftest import wait_for
from deplib import SUPERVISORCTL, TENDCTL, assert_saw_ready, need, node, tend_runs


@pytest.fixture
def tend_run(spawn):
    yield from tend_runs(spawn)


def status_line(run, name):
    _, out = run.ctl("status", name)
    lines = [line for line in out.splitlines() if line.split()[:1] == [name]]
    return lines[0] if lines else out


START = """
[program:db]
command={db}
autostart=false
ready=file:@DIR@/ready/db
ready_interval=0.02

[program:cache]
command={cache}
autostart=false
startsecs=0

[program:web]
command={web}
autostart=false
depends_on=db, cache:started
startsecs=0

[program:other]
command={other}
startsecs=0
"""


def test_supervisorctl_start_starts_dependencies_first_and_waits(tend_run):
    need(SUPERVISORCTL, "supervisor")
    run = tend_run(START.format(db=node("db", gate="@DIR@/release"),
                                cache=node("cache", mode="none"),
                                web=node("web", "db", mode="none"),
                                other=node("other", mode="none")))
    run.start()
    run.wait_state("other", "RUNNING")
    infos = run.infos()
    assert {infos[n]["statename"] for n in ("db", "cache", "web")} == {"STOPPED"}, infos
    assert not run.started("web")

    ctl = run.ctl_bg("start", "web")
    try:
        wait_for(lambda: "waiting for db (ready)" in status_line(run, "web"), 10,
                 what=lambda: f"`supervisorctl status web` showing 'waiting for db (ready)': "
                              f"{status_line(run, 'web')!r}\n{run.context()}")
        assert "STARTING" in status_line(run, "db")
        run.wait_state("cache", "RUNNING")
        assert ctl.poll() is None, f"supervisorctl start web returned before web ran: {ctl.stdout.read()}"
        assert not run.started("web")
        Path(run.path("release")).touch()
        out, _ = ctl.communicate(timeout=20)
    finally:
        if ctl.poll() is None:
            ctl.kill()
            ctl.wait()
    assert ctl.returncode == 0 and out == "web: started\n", (ctl.returncode, out)
    # It returned once web was RUNNING, not before.
    assert run.info("web")["statename"] == "RUNNING"
    assert run.info("db")["statename"] == "RUNNING"
    assert_saw_ready(run, "web", ["db"])

    # A changed depends_on is a per-program change: update restarts web only.
    pids = {n: i["pid"] for n, i in run.infos().items()}
    run.write_conf(START.replace("depends_on=db, cache:started", "depends_on=db:started, cache:started")
                   .format(db=node("db", gate="@DIR@/release"), cache=node("cache", mode="none"),
                           web=node("web", "db", mode="none"), other=node("other", mode="none")))
    rc, out = run.ctl("reread")
    assert rc == 0 and out.strip() == "web: changed", out
    rc, out = run.ctl("update")
    assert rc == 0, out
    # web was replaced; as in supervisord, autostart=false leaves the new one STOPPED.
    run.wait_state("web", "STOPPED")
    after = {n: i["pid"] for n, i in run.infos().items()}
    assert {n: after[n] for n in ("db", "cache", "other")} == {n: pids[n] for n in ("db", "cache", "other")}
    rc, out = run.ctl("start", "web")
    assert rc == 0 and out == "web: started\n", (rc, out)
    assert run.info("web")["pid"] not in (0, pids["web"])
    assert run.stop() == 0


HEALTH = """
[program:database]
command={database}
ready=file:@DIR@/ready/database
ready_interval=0.02
ready_timeout=30

[program:apiserver]
command={apiserver}
startsecs=0
healthcheck=exec:/usr/bin/test -e @DIR@/api.ok
healthcheck_interval=0.2
healthcheck_retries=1
healthcheck_action=none

[program:frontend]
command={frontend}
depends_on=database
startsecs=0

[program:manualjob]
command=/bin/sleep 1000
autostart=false
"""


def test_tendctl_health_and_status_descriptions(tend_run):
    need(SUPERVISORCTL, "supervisor")
    if not os.access(TENDCTL, os.X_OK):
        pytest.fail(f"{TENDCTL} is not built")
    run = tend_run(HEALTH.format(database=node("database", gate="@DIR@/release"),
                                 apiserver=node("apiserver", mode="none"),
                                 frontend=node("frontend", "database", mode="none")))
    run.start()
    run.wait_state("apiserver", "RUNNING")
    run.wait_desc("frontend", lambda d: d == "waiting for database (ready)",
                  what="= 'waiting for database (ready)'")

    rc, out = run.tendctl("health")
    assert rc == 1, (rc, out)
    for name in ("database", "apiserver", "frontend"):
        assert name in out, f"tendctl health does not name {name}:\n{out}"
    assert "manualjob" not in out, f"autostart=false programs do not count:\n{out}"
    assert "waiting for database (ready)" in status_line(run, "frontend")

    Path(run.path("release")).touch()
    Path(run.path("api.ok")).touch()
    wait_for(lambda: run.tendctl("health")[0] == 0, 15,
             what=lambda: f"tendctl health exit 0: {run.tendctl('health')}\n{run.context()}")
    assert_saw_ready(run, "frontend", ["database"])
    line = status_line(run, "apiserver")
    assert re.search(r"\bRUNNING\b.*\bhealthy\b", line) and "unhealthy" not in line, line
    assert re.search(r"\bRUNNING\b.*\bready\b", status_line(run, "database")), status_line(run, "database")

    # The check starts failing; action none: still RUNNING, described as unhealthy.
    os.unlink(run.path("api.ok"))
    wait_for(lambda: run.tendctl("health")[0] == 1, 15,
             what=lambda: f"tendctl health exit 1: {run.tendctl('health')}\n{run.context()}")
    rc, out = run.tendctl("health")
    assert "apiserver" in out and "database" not in out and "frontend" not in out, out
    # supervisord's "pid N, uptime T" stays first; the health follows it.
    info = run.wait_desc("apiserver", lambda d: ", unhealthy (" in d, what="with 'unhealthy ('")
    assert info["statename"] == "RUNNING"
    assert re.fullmatch(r"pid \d+, uptime [\d:]+, unhealthy \(\d+ failures?: .+\)", info["description"]), \
        info["description"]
    assert "unhealthy (" in status_line(run, "apiserver")
    assert run.stop() == 0


# The keys supervisord 4.2.5's getProcessInfo answers with.
PROCESS_INFO_KEYS = {"name", "group", "start", "stop", "now", "state", "statename", "spawnerr",
                     "exitstatus", "logfile", "stdout_logfile", "stderr_logfile", "pid",
                     "description"}


def test_xmlrpc_keeps_supervisor_shape_and_has_tend_namespace(tend_run):
    run = tend_run(START.format(db=node("db"), cache=node("cache", mode="none"),
                                web=node("web", "db", mode="none"),
                                other=node("other", mode="none")))
    run.start()
    run.wait_state("other", "RUNNING")
    server = run.rpc()
    for info in server.supervisor.getAllProcessInfo():
        assert set(info) == PROCESS_INFO_KEYS, sorted(info)
    assert server.supervisor.startProcess("web", True) is True
    assert run.info("web")["statename"] == "RUNNING" and run.info("db")["statename"] == "RUNNING"
    assert_saw_ready(run, "web", ["db"])
    for info in server.supervisor.getAllProcessInfo():
        assert set(info) == PROCESS_INFO_KEYS, sorted(info)
    methods = server.system.listMethods()
    assert any(m.startswith("tend.") for m in methods), methods
    assert run.stop() == 0
