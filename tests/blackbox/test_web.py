"""tend's web console (docs/web.md): the server-rendered page, its query API, tail.html, the JSON API, the
server-sent event streams, the embedded assets and the security rules (cross-site refusal, headers,
escaping). One tend per module; supervisorctl and XML-RPC drive changes from outside the console."""
import base64
import gzip
import html
import json
import os
import re
import time

import pytest

from conftest import REPO, TEND, wait_for
from weblib import EventStream, WebDaemon

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/supervisorctl"),
                                reason="needs Debian's supervisor package (supervisorctl)")

EVIL = "<img src=x onerror=alert(1)>"

PROGRAMS = f"""
[program:sleeper]
command=/bin/sleep 1000
startsecs=0
stdout_logfile=%(here)s/sleeper.out

[program:echoer]
command=/bin/cat
startsecs=0
stdout_logfile=%(here)s/echoer.out

[program:shouter]
command=/bin/sh -c 'echo "{EVIL}"; printf "bad \\377 byte\\n"; exec sleep 1000'
startsecs=0
stdout_logfile=%(here)s/shouter.out

[program:flood]
command=/bin/sh -c 'read go; head -c 24000000 /dev/zero | tr "\\0" a; exec sleep 1000'
startsecs=0
stdout_logfile=%(here)s/flood.out
stdout_logfile_maxbytes=100MB

[program:idle]
command=/bin/sleep 1000
autostart=false
stdout_logfile=NONE

[group:grp]
programs=idle
"""

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


@pytest.fixture(scope="module")
def tend(request):
    if not os.access(TEND, os.X_OK):
        pytest.fail(f"{TEND} is not built")
    d = WebDaemon("tend", PROGRAMS)
    request.addfinalizer(d.stop)
    d.wait_ready(running=("sleeper", "echoer", "shouter"))
    return d


def ensure(d, name, state):
    """Brings `name` to RUNNING or STOPPED through XML-RPC (tests leave each other's processes alone)."""
    if d.state(name) != state:
        if state == "RUNNING":
            d.rpc().supervisor.startProcess(name)
        else:
            d.rpc().supervisor.stopProcess(name)
    assert d.state(name) == state


def assert_security_headers(h):
    assert h.get("content-security-policy") == CSP
    assert h.get("x-content-type-options") == "nosniff"
    assert h.get("x-frame-options") == "DENY"
    assert h.get("referrer-policy") == "same-origin"


def test_page_lists_every_process_in_supervisord_order(tend):
    status, h, body = tend.get("/")
    assert status == 200
    assert h["content-type"].startswith("text/html")
    page = body.decode()
    rows = re.findall(r'<tr data-namespec="([^"]+)">', page)
    assert rows == ["echoer", "flood", "grp:idle", "shouter", "sleeper"]
    assert '<tbody data-group="grp">' in page
    assert re.search(r'<tr data-namespec="sleeper"><td class="state state-running">RUNNING</td>', page)
    assert 'href="index.html?processname=sleeper&amp;action=stop"' in page
    assert 'href="index.html?processname=grp%3Aidle&amp;action=start"' in page
    assert '<script src="assets/console.js" defer></script>' in page
    assert "<script>" not in page and "style=" not in page
    assert tend.get("/index.html")[2].decode().count("<tr data-namespec=") == 5


def test_security_headers_on_pages_assets_and_api(tend):
    for target in ("/", "/index.html?message=x", "/tail.html?processname=sleeper", "/assets/console.js",
                   "/assets/console.css", "/api/status", "/api/nothing"):
        status, h, _ = tend.get(target)
        assert status in (200, 404), target
        assert_security_headers(h)
    status, h, _ = tend.request("POST", "/api/action", body=b"{}", headers={"Content-Type": "text/plain"})
    assert status == 415
    assert_security_headers(h)


def test_message_and_log_are_escaped(tend):
    _, _, body = tend.get("/?message=" + EVIL.replace(" ", "%20"))
    page = body.decode()
    assert "<img" not in page
    assert f'<p id="message" role="status">{html.escape(EVIL, quote=True).replace("&#x27;", "&#39;")}</p>' in page
    wait_for(lambda: "onerror" in (tend.get("/tail.html?processname=shouter")[2].decode()), what="shouter's output")
    tail = tend.get("/tail.html?processname=shouter")[2].decode()
    assert "<img" not in tail
    assert "&lt;img src=x onerror=alert(1)&gt;" in tail
    assert "bad \ufffd byte" in tail


def test_tail_html_defaults_limits_and_unknown_names(tend):
    body = tend.get("/tail.html?processname=nosuch")[2].decode()
    assert "ERROR: unexpected rpc fault [10] BAD_NAME: nosuch" in body
    assert "No process name found" in tend.get("/tail.html")[2].decode()
    assert "No file for grp:idle" in tend.get("/tail.html?processname=grp:idle")[2].decode()
    body = tend.get("/tail.html?processname=sleeper&limit=5000")[2].decode()
    assert 'href="tail.html?processname=sleeper&amp;limit=5000"' in body
    body = tend.get("/tail.html?processname=sleeper&limit=7")[2].decode()
    assert "limit=1024" in body  # at least 1024 bytes, as supervisord reads


def test_query_actions_redirect_with_supervisords_messages(tend):
    ensure(tend, "sleeper", "RUNNING")
    base = f"http://127.0.0.1:{tend.port}/?message="
    status, h, _ = tend.get("/index.html?processname=sleeper&action=stop")
    assert status == 301
    assert h["location"] == base + "Process%20sleeper%20stopped"
    assert tend.state("sleeper") == "STOPPED"  # the redirect comes once it has stopped
    status, h, _ = tend.get("/?processname=sleeper&action=start")
    assert (status, h["location"]) == (301, base + "Process%20sleeper%20started")
    assert tend.state("sleeper") == "RUNNING"
    status, h, _ = tend.get("/?processname=nosuch&action=start")
    assert h["location"] == base + "No%20such%20process%20named%20nosuch"
    assert tend.get("/?processname=sleeper&action=bogus")[0] == 500
    assert tend.request("HEAD", "/?processname=sleeper&action=stop")[0] == 200  # HEAD never acts
    assert tend.state("sleeper") == "RUNNING"
    status, h, _ = tend.request("POST", "/index.html", body=b"processname=sleeper&action=clearlog",
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (status, h["location"]) == (301, base + "Log%20for%20sleeper%20cleared")


def test_cross_site_actions_are_refused(tend):
    ensure(tend, "sleeper", "RUNNING")
    here = f"http://127.0.0.1:{tend.port}"
    for headers in ({"Origin": "http://evil.example"}, {"Referer": "http://evil.example/attack.html"},
                    {"Origin": "null"}, {"Origin": f"http://127.0.0.1:{tend.port + 1}"}):
        status, h, _ = tend.get("/?processname=sleeper&action=stop", headers=headers)
        assert status == 403, headers
        assert_security_headers(h)
        status, _, _ = tend.request("POST", "/api/action", body=b'{"action":"stop","namespec":"sleeper"}',
                                    headers={"Content-Type": "application/json", **headers})
        assert status == 403, headers
    assert tend.state("sleeper") == "RUNNING"
    # Page views and refresh are not actions; the console's own origin may act.
    assert tend.get("/?action=refresh", headers={"Origin": "http://evil.example"})[0] == 301
    assert tend.get("/", headers={"Referer": "http://evil.example/"})[0] == 200
    status, h, _ = tend.get("/?processname=sleeper&action=clearlog", headers={"Origin": here})
    assert status == 301


def test_api_status(tend):
    ensure(tend, "sleeper", "RUNNING")
    status, h, body = tend.get("/api/status")
    assert status == 200 and h["content-type"] == "application/json"
    doc = json.loads(body)
    assert doc["supervisor"]["state"] == "RUNNING"
    assert doc["supervisor"]["pid"] == tend.proc.pid
    procs = {p["namespec"]: p for p in doc["processes"]}
    assert list(procs) == ["echoer", "flood", "grp:idle", "shouter", "sleeper"]
    s = procs["sleeper"]
    assert s["state"] == "RUNNING" and s["statecode"] == 20 and s["pid"] > 0
    assert s["ready"] is None and s["healthy"] is None
    assert s["logs"] == ["stdout", "stderr"]
    assert procs["grp:idle"]["uptime_seconds"] == 0 and procs["grp:idle"]["pid"] == 0
    assert procs["grp:idle"]["logs"] == ["stderr"]


def test_api_action(tend):
    ensure(tend, "sleeper", "RUNNING")
    post = lambda doc, ctype="application/json": tend.request(  # noqa: E731
        "POST", "/api/action", body=json.dumps(doc).encode(), headers={"Content-Type": ctype})
    status, _, body = post({"action": "stop", "namespec": "sleeper"})
    assert (status, json.loads(body)) == (200, {"ok": True, "message": "sleeper: stopped"})
    assert tend.state("sleeper") == "STOPPED"
    status, _, body = post({"action": "stop", "namespec": "sleeper"})
    assert (status, json.loads(body)) == (409, {"ok": False, "message": "sleeper: not running"})
    status, _, body = post({"action": "start", "namespec": "sleeper"})
    assert (status, json.loads(body)["ok"]) == (200, True)
    status, _, body = post({"action": "signal", "namespec": "sleeper", "signal": "NOPE"})
    assert (status, json.loads(body)["message"]) == (400, "bad signal name: NOPE")
    status, _, body = post({"action": "signal", "namespec": "sleeper", "signal": "CONT"})
    assert (status, json.loads(body)["message"]) == (200, "sleeper: signalled")
    status, _, body = post({"action": "start", "namespec": "x"})
    assert (status, json.loads(body)["message"]) == (404, "no such process: x")
    assert post({"action": "start", "namespec": "sleeper"}, "application/x-www-form-urlencoded")[0] == 415
    assert tend.request("POST", "/api/action", body=b"{nope",
                        headers={"Content-Type": "application/json"})[0] == 400
    assert tend.get("/api/action")[0] == 405


def test_state_stream_delivers_a_change_made_by_supervisorctl(tend):
    ensure(tend, "sleeper", "RUNNING")
    s = EventStream(tend.port, "/api/events")
    try:
        assert s.status == 200
        assert s.headers["content-type"] == "text/event-stream"
        assert_security_headers(s.headers)
        name, snap = s.next_event()
        assert name == "snapshot"
        assert {p["namespec"] for p in snap["processes"]} == {"echoer", "flood", "grp:idle", "shouter", "sleeper"}
        r = tend.ctl("stop", "sleeper")
        assert r.returncode == 0, r.stdout + r.stderr
        name, p = s.wait_event(lambda n, d: n == "process" and d["namespec"] == "sleeper" and
                               d["state"] == "STOPPED")
        assert p["pid"] == 0
        tend.ctl("start", "sleeper")
        s.wait_event(lambda n, d: n == "process" and d["namespec"] == "sleeper" and d["state"] == "RUNNING")
    finally:
        s.close()


def test_log_stream_shows_a_line_written_after_connecting(tend):
    ensure(tend, "echoer", "RUNNING")
    s = EventStream(tend.port, "/api/log?processname=echoer&channel=stdout")
    try:
        assert s.status == 200 and s.headers["content-type"] == "text/event-stream"
        tend.rpc().supervisor.sendProcessStdin("echoer", "after-connect <b>\xe9\n")
        got = ""
        while "after-connect" not in got:
            name, data = s.next_event()
            assert name == "data"
            got += data
        assert "after-connect <b>\xe9\n" in got
        r = tend.get("/?processname=echoer&action=clearlog")
        assert r[0] == 301
        s.wait_event(lambda n, d: n == "reset")
    finally:
        s.close()


def test_log_stream_resets_on_a_clear_from_supervisorctl_or_xmlrpc(tend):
    """A clear by any client, not only the console's own, starts the open panes over."""
    ensure(tend, "echoer", "RUNNING")
    s = EventStream(tend.port, "/api/log?processname=echoer&channel=stdout")
    try:
        tend.rpc().supervisor.sendProcessStdin("echoer", "before-clear\n")
        s.wait_event(lambda n, d: n == "data" and "before-clear" in d)
        tend.ctl("clear", "echoer")
        s.wait_event(lambda n, d: n == "reset")
        tend.rpc().supervisor.sendProcessStdin("echoer", "between-clears\n")
        s.wait_event(lambda n, d: n == "data" and "between-clears" in d)
        tend.rpc().supervisor.clearAllProcessLogs()
        s.wait_event(lambda n, d: n == "reset")
    finally:
        s.close()


def test_main_log_stream(tend):
    s = EventStream(tend.port, "/api/log?channel=main")
    try:
        name, data = s.next_event()
        assert name == "data" and "started with pid" in data  # the file's end first
        tend.rpc().supervisor.stopProcess("echoer")
        s.wait_event(lambda n, d: n == "data" and "stopped: echoer" in d)
    finally:
        s.close()
        tend.rpc().supervisor.startProcess("echoer")


def test_log_stream_refusals(tend):
    assert tend.get("/api/log?processname=nosuch")[0] == 404
    assert tend.get("/api/log?processname=sleeper&channel=nope")[0] == 400


def test_assets_gzip_etag_and_identity(tend):
    status, h, gz = tend.get("/assets/console.js", headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert h["content-encoding"] == "gzip"
    assert h["content-type"] == "text/javascript; charset=utf-8"
    assert h["cache-control"] == "no-cache"
    etag = h["etag"]
    status, h2, plain = tend.get("/assets/console.js")
    assert status == 200 and "content-encoding" not in h2 and h2["etag"] == etag
    assert gzip.decompress(gz) == plain
    assert plain == (REPO / "web" / "console.js").read_bytes()
    status, h3, body = tend.get("/assets/console.js", headers={"If-None-Match": etag, "Accept-Encoding": "gzip"})
    assert status == 304 and body == b"" and h3["etag"] == etag
    assert tend.get("/assets/console.js", headers={"If-None-Match": '"other"'})[0] == 200
    assert tend.get("/assets/nosuch.js")[0] == 404
    assert tend.get("/assets/../tend.conf")[0] == 404
    # Pages that name no icon (an error page) make browsers ask for /favicon.ico: the console's icon.
    status, h, icon = tend.get("/favicon.ico")
    assert status == 200 and h["content-type"].startswith("image/svg+xml")
    assert icon == (REPO / "web" / "favicon.svg").read_bytes()


def test_unknown_paths_are_404_and_other_routes_still_work(tend):
    assert tend.get("/nothing.html")[0] == 404
    assert tend.get("/ok.html")[2] == b"OK"
    assert tend.rpc().supervisor.getState()["statename"] == "RUNNING"


def test_page_needs_credentials_when_the_server_has_them(request):
    d = WebDaemon("tend", PROGRAMS, auth=("user", "secret"))
    request.addfinalizer(d.stop)
    d.wait_ready(running=("sleeper",))
    for target in ("/", "/api/status", "/api/events", "/assets/console.js", "/?action=stopall"):
        assert d.get(target)[0] == 401, target
    auth = {"Authorization": "Basic " + base64.b64encode(b"user:secret").decode()}
    assert d.get("/", headers=auth)[0] == 200
    assert d.state("sleeper") == "RUNNING"


def _wakeups(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("voluntary_ctxt_switches:"):
            return int(line.split()[1])
    raise AssertionError("no voluntary_ctxt_switches")


def test_idle_consoles_cost_no_wakeups(tend):
    ensure(tend, "sleeper", "RUNNING")
    # 50 open consoles, each with its state stream and a log stream.
    streams = [EventStream(tend.port, "/api/events") for _ in range(50)]
    streams += [EventStream(tend.port, "/api/log?processname=sleeper") for _ in range(49)]
    streams += [EventStream(tend.port, "/api/log?channel=main")]
    try:
        for s in streams[:50]:
            assert s.next_event()[0] == "snapshot"
        assert streams[-1].next_event()[0] == "data"
        # Wait until tend has gone back to sleep after serving the streams: two equal readings 50 ms apart.
        last = [None]

        def settled():
            now = _wakeups(tend.proc.pid)
            same, last[0] = now == last[0], now
            return same
        wait_for(settled, interval=0.05)
        before = _wakeups(tend.proc.pid)
        # The window itself is what is tested: nothing happens in it, so tend must not wake up, however
        # long it lasts (no heartbeat, no timer per stream).
        time.sleep(1.0)
        assert _wakeups(tend.proc.pid) == before
    finally:
        for s in streams:
            s.close()


def test_a_log_client_that_does_not_read_is_cut_off(tend):
    """A program writes 24 MB while a log client reads nothing: tend ends that stream once 256 KiB wait
    for it, instead of holding the output for the client (the kernel's socket buffers take a few MB)."""
    import socket
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(30)
    sock.connect(("127.0.0.1", tend.port))
    sock.sendall(b"GET /api/log?processname=flood HTTP/1.1\r\nHost: x\r\n\r\n")
    try:
        tend.rpc().supervisor.sendProcessStdin("flood", "go\n")
        log = os.path.join(tend.dir, "flood.out")
        wait_for(lambda: os.path.exists(log) and os.path.getsize(log) >= 24000000, timeout=60,
                 what="flood's 24 MB in its log")
        got = b""
        while not got.endswith(b"\r\n0\r\n\r\n"):
            data = sock.recv(1 << 20)
            assert data, "connection closed before the stream's end"
            got += data
        assert len(got) < 12000000, len(got)
    finally:
        sock.close()
    assert tend.get("/api/status")[0] == 200


def test_state_stream_follows_groups_added_and_removed(request):
    one = "[program:one]\ncommand=/bin/sleep 1000\nstartsecs=0\n"
    two = "[program:two]\ncommand=/bin/sleep 1000\nstartsecs=0\n"
    d = WebDaemon("tend", one)
    request.addfinalizer(d.stop)
    d.wait_ready(running=("one",))
    s = EventStream(d.port, "/api/events")
    try:
        name, snap = s.next_event()
        assert [p["namespec"] for p in snap["processes"]] == ["one"]
        conf = open(d.conf).read()
        open(d.conf, "w").write(conf + two)
        assert d.ctl("update").returncode == 0
        s.wait_event(lambda n, p: n == "snapshot" and [x["namespec"] for x in p["processes"]] == ["one", "two"])
        open(d.conf, "w").write(conf.replace(one, "") + two)
        assert d.ctl("update").returncode == 0
        s.wait_event(lambda n, p: n == "removed" and p == {"namespec": "one"})
        s.wait_event(lambda n, p: n == "snapshot" and [x["namespec"] for x in p["processes"]] == ["two"])
    finally:
        s.close()
