"""Readiness and health gating dependents, black-box: `api:healthy`, health actions with
dependents around, and the real readiness clients (Debian's systemd-notify, s6's
s6-notifyoncheck) holding back a dependent.

Each mechanism alone is tested in test_readiness.py; here they decide when a dependent starts
(deplib.py's node.sh records whether a dependency's marker existed when the dependent began).
"""
import os
import time
from pathlib import Path

import pytest

from conftest import wait_for
from deplib import assert_saw_ready, need, node, tend_runs


@pytest.fixture
def tend_run(spawn):
    yield from tend_runs(spawn)


def stamp(path):
    """Creates `path` holding the current CLOCK_REALTIME (a deplib readiness marker)."""
    tmp = f"{path}.tmp"
    Path(tmp).write_text(f"{time.time():.9f}\n")
    os.rename(tmp, path)


# ---------------------------------------------------------------------------------------------
# api:healthy, and what a failing health check does

HEALTH = """
[program:api]
command={api}
startsecs=0
healthcheck=exec:/usr/bin/test -e @DIR@/ready/api
healthcheck_interval=0.2
healthcheck_timeout=2
healthcheck_retries=2
healthcheck_start_period=60
healthcheck_action=restart

[program:api2]
command={api2}
startsecs=0
healthcheck=exec:/usr/bin/test -e @DIR@/ready/api2
healthcheck_interval=0.2
healthcheck_timeout=2
healthcheck_retries=2
healthcheck_start_period=60
healthcheck_action=stop

[program:web]
command={web}
depends_on=api:healthy, api2:healthy
startsecs=0
"""


def test_healthy_gates_dependent_then_failing_check_restarts_or_stops(tend_run):
    run = tend_run(HEALTH.format(api=node("api", mode="none"), api2=node("api2", mode="none"),
                                 web=node("web", "api,api2", mode="none")))
    run.start()
    api = run.wait_state("api", "RUNNING")
    run.wait_state("api2", "RUNNING")
    # RUNNING is not healthy: web waits until both checks have passed. Failures in the start
    # period do not count until a check has passed; after that every failure counts.
    info = run.wait_desc("web", lambda d: d.startswith("waiting for api"),
                         what="'waiting for api (healthy)...'")
    assert "(healthy)" in info["description"] and info["pid"] == 0, info
    stamp(run.path("ready", "api"))
    info = run.wait_desc("web", lambda d: d == "waiting for api2 (healthy)",
                         what="= 'waiting for api2 (healthy)'")
    assert not run.started("web")
    stamp(run.path("ready", "api2"))
    run.wait_state("web", "RUNNING")
    assert_saw_ready(run, "web", ["api", "api2"])
    for name in ("api", "api2"):
        desc = run.info(name)["description"]
        assert "healthy" in desc and "unhealthy" not in desc, f"{name}: {desc!r}"

    # The checks start failing: api (action restart) gets a new process, api2 (stop) stops.
    os.unlink(run.path("ready", "api"))
    os.unlink(run.path("ready", "api2"))
    run.wait_state("api2", "STOPPED", timeout=10)

    def restarted():
        i = run.info("api")
        return i["pid"] not in (0, api["pid"])
    wait_for(restarted, 10, what=lambda: f"api restarted by its health check\n{run.context()}")
    assert run.p.alive()
    assert run.stop() == 0


def test_health_action_shutdown_stops_dependents_first_and_exits_1(tend_run):
    conf = """
        [program:api]
        command={api}
        startsecs=0
        healthcheck=exec:/usr/bin/test -e @DIR@/ready/api
        healthcheck_interval=0.2
        healthcheck_retries=1
        healthcheck_action=shutdown

        [program:web]
        command={web}
        depends_on=api:healthy
        startsecs=0

        [program:front]
        command={front}
        depends_on=web
        startsecs=0
        """.format(api=node("api", mode="none"), web=node("web", "api", mode="none"),
                   front=node("front", "web", mode="none"))
    run = tend_run(conf)
    stamp(run.path("ready", "api"))
    run.start()
    run.wait_all_running(["api", "web", "front"])
    os.unlink(run.path("ready", "api"))
    rc = run.p.wait(timeout=20)
    assert rc == 1, f"exit status {rc}\n{run.context()}"
    assert run.stops() == ["front", "web", "api"], f"stop order {run.stops()}\n{run.context()}"


# ---------------------------------------------------------------------------------------------
# real clients: systemd-notify (sd_notify) and s6-notifyoncheck (s6 notification-fd)

CLIENTS = """
[program:ndb]
command=/bin/sh -c 'systemd-notify --status="warming up"; while [ ! -e @DIR@/release ]; do sleep 0.02; done; date +%%s.%%N > @DIR@/ready/ndb; if systemd-notify --ready; then touch @DIR@/notify-ok; else touch @DIR@/notify-failed; fi; exec sleep 1000'
ready=notify
ready_timeout=20
startretries=0

[program:web1]
command={web1}
depends_on=ndb
startsecs=0

[program:s6db]
command=s6-notifyoncheck -s 0 -w 20 -n 0 /bin/sleep 1000
directory=@DIR@/svc
ready=fd:5
ready_timeout=20
startretries=0

[program:web2]
command={web2}
depends_on=s6db:ready
startsecs=0
"""


def make_s6_service_dir(run):
    svc = Path(run.path("svc"))
    (svc / "data").mkdir(parents=True)
    (svc / "supervise").mkdir()
    (svc / "event").mkdir()
    (svc / "notification-fd").write_text("5\n")
    check = svc / "data" / "check"
    check.write_text(f"#!/bin/sh\nexec /usr/bin/test -e {run.path('ready', 's6db')}\n")
    check.chmod(0o755)


def test_real_clients_systemd_notify_and_s6_notifyoncheck_gate_dependents(tend_run):
    need("/usr/bin/systemd-notify", "systemd")
    need("/usr/bin/s6-notifyoncheck", "s6")
    run = tend_run(CLIENTS.format(web1=node("web1", "ndb", mode="none"),
                                  web2=node("web2", "s6db", mode="none")))
    make_s6_service_dir(run)
    run.start()
    # Not ready yet: both STARTING (readiness ends STARTING), their dependents waiting.
    run.wait_desc("ndb", lambda d: "warming up" in d, what="showing STATUS= 'warming up'")
    assert run.info("ndb")["statename"] == "STARTING"
    run.wait_desc("web1", lambda d: d == "waiting for ndb (ready)", what="= 'waiting for ndb (ready)'")
    run.wait_desc("web2", lambda d: d == "waiting for s6db (ready)", what="= 'waiting for s6db (ready)'")
    assert run.info("s6db")["statename"] == "STARTING", run.context()
    assert not run.started("web1") and not run.started("web2")

    Path(run.path("release")).touch()
    run.wait_state("ndb", "RUNNING", timeout=10)
    run.wait_state("web1", "RUNNING", timeout=10)
    assert_saw_ready(run, "web1", ["ndb"])
    # systemd-notify waits for tend to answer its BARRIER=1 (5 s timeout, then it fails).
    wait_for(lambda: os.path.exists(run.path("notify-ok")) or os.path.exists(run.path("notify-failed")),
             10, what="systemd-notify --ready to return")
    assert os.path.exists(run.path("notify-ok")), "systemd-notify --ready failed (BARRIER not answered?)"
    assert run.info("s6db")["statename"] == "STARTING" and not run.started("web2")

    stamp(run.path("ready", "s6db"))
    run.wait_state("s6db", "RUNNING", timeout=10)
    run.wait_state("web2", "RUNNING", timeout=10)
    assert_saw_ready(run, "web2", ["s6db"])
    assert run.stop() == 0
