"""Per-program update: reread/update (supervisorctl, tendctl, XML-RPC) and SIGHUP restart only
the processes whose configuration changed; the others keep running, even in the same group.

Debian's supervisord runs beside tend on the same configs as the oracle of what a group-level
update does (it restarts every process of a changed group), so the difference is measured, not
assumed.
"""
import os
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import wait_for
from test_rpc import BUILD, SUPERVISORCTL, Daemon, namespec

TENDCTL = str(BUILD / "tendctl")


def prog(name, command, extra=""):
    return f"""
[program:{name}]
command={command}
startsecs=0
stdout_logfile=NONE
stderr_logfile=NONE
{extra}"""


def programs(a_cmd="/bin/sleep 1001", web="a,b", w_procs=2, solo_cmd="/bin/sleep 1003", web_priority=999):
    text = prog("a", a_cmd)
    if "b" in web.split(","):
        text += prog("b", "/bin/sleep 1002")
    if "c" in web.split(","):  # a [program:c] outside every group would be a group of its own
        text += prog("c", "/bin/sleep 1004")
    text += prog("solo", solo_cmd)
    text += prog("w", "/bin/sleep 10%(process_num)02d",
                 f"numprocs={w_procs}\nprocess_name=%(program_name)s_%(process_num)d\n")
    text += f"\n[group:web]\nprograms={web}\npriority={web_priority}\n"
    return text


BEFORE = programs()
# web:a's command changes, web gains c, w gains w_2; b, solo, w_0 and w_1 are untouched.
AFTER = programs(a_cmd="/bin/sleep 2001", web="a,b,c", w_procs=3)
# Then web loses b and w loses w_2 again.
SHRUNK = programs(a_cmd="/bin/sleep 2001", web="a,c", w_procs=2)

RUNNING_BEFORE = ("web:a", "web:b", "solo", "w:w_0", "w:w_1")


def pids(d):
    return {namespec(i): i["pid"] for i in d.rpc().supervisor.getAllProcessInfo() if i["statename"] == "RUNNING"}


def start(request, kind, conf=BEFORE):
    d = Daemon(kind, programs=conf)
    request.addfinalizer(d.stop)
    d.wait_ready()
    d.settle(want_running=RUNNING_BEFORE)
    return d


def ctl(exe, d, *args):
    p = subprocess.run([exe, "-c", d.conf, *args], capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    return p.stdout.splitlines(), p.returncode


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat").read_text() if Path(f"/proc/{pid}/stat").exists() else ""
    return " Z " not in stat


def test_supervisorctl_update_restarts_only_the_changed_program(request):
    sup, tend = start(request, "supervisord"), start(request, "tend")
    before = {d.kind: pids(d) for d in (sup, tend)}
    for d in (sup, tend):
        d.write_conf(AFTER)

    # reread: tend names the programs, supervisord the groups.
    lines, rc = ctl(SUPERVISORCTL, tend, "reread")
    assert rc == 0 and sorted(lines) == ["w:w_2: available", "web:a: changed", "web:c: available"], lines
    lines, rc = ctl(SUPERVISORCTL, sup, "reread")
    assert rc == 0 and sorted(lines) == ["w: changed", "web: changed"], lines

    lines, rc = ctl(SUPERVISORCTL, tend, "update")
    assert rc == 0
    assert sorted(lines) == ["w:w_2: added process group", "web:a: stopped", "web:a: updated process group",
                             "web:c: added process group"], lines
    assert ctl(SUPERVISORCTL, sup, "update")[1] == 0
    for d in (sup, tend):
        d.settle(want_running=RUNNING_BEFORE + ("web:c", "w:w_2"))
    after = {d.kind: pids(d) for d in (sup, tend)}

    # tend: only web:a has a new pid; the unchanged processes were never touched.
    for name in ("web:b", "solo", "w:w_0", "w:w_1"):
        assert after["tend"][name] == before["tend"][name], name
    assert after["tend"]["web:a"] != before["tend"]["web:a"]
    assert not alive(before["tend"]["web:a"])
    # supervisord restarted the whole of each changed group.
    for name in ("web:a", "web:b", "w:w_0", "w:w_1"):
        assert after["supervisord"][name] != before["supervisord"][name], name
    assert after["supervisord"]["solo"] == before["supervisord"]["solo"]
    # The running config is the new one: a second reread finds nothing.
    assert ctl(SUPERVISORCTL, tend, "reread") == (["No config updates to processes"], 0)

    # Removing a program from a kept group, and a process from a numprocs program.
    tend.write_conf(SHRUNK)
    lines, rc = ctl(SUPERVISORCTL, tend, "update")
    assert rc == 0
    assert sorted(lines) == ["w:w_2: removed process group", "w:w_2: stopped", "web:b: removed process group",
                             "web:b: stopped"], lines
    tend.settle()
    now = pids(tend)
    assert set(now) == {"web:a", "web:c", "solo", "w:w_0", "w:w_1"}
    assert now["web:a"] == after["tend"]["web:a"] and now["web:c"] == after["tend"]["web:c"]
    assert not alive(after["tend"]["web:b"])


def test_xmlrpc_per_program_entries(request):
    tend = start(request, "tend")
    tend.write_conf(AFTER)
    rpc = tend.rpc().supervisor
    [[added, changed, removed]] = rpc.reloadConfig()
    assert (sorted(added), changed, removed) == (["w:w_2", "web:c"], ["web:a"], [])
    # A process of a kept group: removeProcessGroup wants it stopped, then takes it alone.
    with pytest.raises(Exception) as e:
        rpc.removeProcessGroup("web:a")
    assert "STILL_RUNNING" in str(e.value)
    results = rpc.stopProcessGroup("web:a")
    assert [(r["group"], r["name"], r["status"]) for r in results] == [("web", "a", 80)]
    assert rpc.removeProcessGroup("web:a") is True
    names = {namespec(i) for i in rpc.getAllProcessInfo()}
    assert "web:a" not in names and "web:b" in names
    assert rpc.addProcessGroup("web:a") is True
    with pytest.raises(Exception) as e:
        rpc.addProcessGroup("web:a")
    assert "ALREADY_ADDED" in str(e.value)
    with pytest.raises(Exception) as e:
        rpc.addProcessGroup("web:nope")
    assert "BAD_NAME" in str(e.value)
    assert rpc.getProcessInfo("web:a")["description"].startswith("pid ")
    info = {i["name"]: i for i in rpc.getAllConfigInfo()}
    assert info["a"]["command"] == "/bin/sleep 2001"


def test_tendctl_update_selects_by_group(request):
    tend = start(request, "tend")
    before = pids(tend)
    tend.write_conf(programs(a_cmd="/bin/sleep 2001", solo_cmd="/bin/sleep 2003"))
    lines, rc = ctl(TENDCTL, tend, "update", "web")
    assert rc == 0 and lines == ["web:a: stopped", "web:a: updated process group"], lines
    tend.settle(want_running=RUNNING_BEFORE)
    after = pids(tend)
    assert after["web:a"] != before["web:a"]
    assert after["solo"] == before["solo"] and after["web:b"] == before["web:b"]
    # solo was not selected: it is still pending.
    assert ctl(TENDCTL, tend, "reread") == (["solo: changed"], 0)


def main_log(d):
    return Path(d.dir, "main.log").read_text(errors="replace")


def test_sighup_updates_per_program(request):
    tend = start(request, "tend")
    before = pids(tend)
    tend.write_conf(AFTER)
    tend.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: set(pids(tend)) >= set(RUNNING_BEFORE) | {"web:c", "w:w_2"}
             and pids(tend)["web:a"] != before["web:a"], what="web:a restarted, web:c and w:w_2 added")
    after = pids(tend)
    for name in ("web:b", "solo", "w:w_0", "w:w_1"):
        assert after[name] == before[name], name
    log = main_log(tend)
    assert "received SIGHUP indicating restart request" in log
    assert "restarting web:a: its configuration changed" in log
    assert "configuration reloaded from" in log and "2 added, 1 changed, 0 removed" in log

    tend.write_conf(SHRUNK)
    tend.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "web:b" not in {namespec(i) for i in tend.rpc().supervisor.getAllProcessInfo()}
             and "w:w_2" not in {namespec(i) for i in tend.rpc().supervisor.getAllProcessInfo()},
             what="web:b and w:w_2 removed")
    assert not alive(after["web:b"]) and not alive(after["w:w_2"])
    assert pids(tend)["web:a"] == after["web:a"]

    # An unchanged file changes nothing.
    current = pids(tend)
    tend.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: main_log(tend).count("configuration reloaded from") == 3, what="the third reload")
    assert "0 added, 0 changed, 0 removed" in main_log(tend).splitlines()[-1]
    assert pids(tend) == current

    # A group's own setting (its priority) changes the group as a whole.
    tend.write_conf(programs(a_cmd="/bin/sleep 2001", web="a,c", web_priority=5))
    tend.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "restarting web: its configuration changed" in main_log(tend), what="web restarted as a group")
    tend.settle(want_running=("web:a", "web:c"))
    final = pids(tend)
    assert final["web:a"] != current["web:a"] and final["web:c"] != current["web:c"]
    assert final["solo"] == current["solo"]
    assert tend.proc.poll() is None
