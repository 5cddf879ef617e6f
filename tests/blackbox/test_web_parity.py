"""supervisord's page contract, compared: the same config runs under Debian's supervisord 4.2.5 and tend, the
same query-API requests go to both in the same order, and the status codes, Location headers (with the
port and ctime() normalised) and tail.html texts must be equal. Scripts and bookmarks written against
supervisord's page depend on exactly these."""
import html
import os
import re

import pytest

from conftest import SUPERVISORD, TEND, wait_for
from weblib import WebDaemon

pytestmark = pytest.mark.skipif(not (os.path.exists(SUPERVISORD) and os.path.exists("/usr/bin/supervisorctl")),
                                reason="needs Debian's supervisor package")

PROGRAMS = """
[program:sleeper]
command=/bin/sh -c 'echo sleeper-says-hi; echo "<b>bold</b>"; exec sleep 1000'
startsecs=0
stdout_logfile=%(here)s/sleeper.out

[program:nolog]
command=/bin/sleep 1000
startsecs=0
stdout_logfile=NONE

[program:missing]
command=/nonexistent/prog
autostart=false
startretries=0
stdout_logfile=NONE

[program:a]
command=/bin/sleep 1000
startsecs=0

[program:b]
command=/bin/sleep 1000
autostart=false
startsecs=0

[group:grp]
programs=a,b
"""

CTIME = re.compile(r"(at%20)[A-Z][a-z]{2}%20[A-Z][a-z]{2}%20(%20)?\d{1,2}%20\d\d%3A\d\d%3A\d\d%20\d{4}")

# (method, target, form body); run in this order against both.
STEPS = [
    ("GET", "/index.html?processname=sleeper&action=stop", None),
    ("GET", "/index.html?processname=sleeper&action=stop", None),
    ("GET", "/?processname=sleeper&action=start", None),
    ("GET", "/?processname=sleeper&action=start", None),
    ("GET", "/?processname=sleeper&action=restart", None),
    ("GET", "/?processname=sleeper&action=clearlog", None),
    ("GET", "/?processname=nolog&action=clearlog", None),
    ("GET", "/?processname=grp:b&action=start", None),
    ("GET", "/?processname=grp%3Ab&action=stop", None),
    ("GET", "/?processname=grp:b&action=restart", None),
    ("GET", "/?processname=grp&action=stop", None),
    ("GET", "/?processname=grp:*&action=stop", None),
    ("GET", "/?processname=b&action=start", None),
    ("GET", "/?processname=sleeper+x&action=start", None),
    ("GET", "/?processname=missing&action=start", None),
    ("GET", "/?processname=sleeper&action=stop&action=start", None),
    ("GET", "/?action=refresh", None),
    ("GET", "/?action=bogus", None),
    ("GET", "/?processname=sleeper&action=bogus", None),
    ("GET", "/?processname=&action=start", None),
    ("GET", "/?action=start", None),
    ("GET", "/?processname=nosuch&action=bogus", None),
    ("POST", "/index.html", "processname=sleeper&action=start"),
    ("POST", "/index.html?processname=sleeper", "action=stop"),
    ("GET", "/?action=stopall", None),
    ("GET", "/?action=restartall", None),
    ("GET", "/index.html?message=hello", None),
]

TAILS = [
    "/tail.html?processname=sleeper",
    "/tail.html?processname=sleeper&limit=5",
    "/tail.html?processname=sleeper&limit=abc",
    "/tail.html?processname=nosuch",
    "/tail.html?processname=nolog",
    "/tail.html?processname=grp:b",
    "/tail.html?processname=grp",
    "/tail.html",
    "/tail.html?processname=",
]


@pytest.fixture(scope="module")
def pair(request):
    if not os.access(TEND, os.X_OK):
        pytest.fail(f"{TEND} is not built")
    daemons = [WebDaemon("supervisord", PROGRAMS), WebDaemon("tend", PROGRAMS)]
    request.addfinalizer(lambda: [d.stop() for d in daemons])
    for d in daemons:
        d.wait_ready(running=("sleeper", "nolog", "grp:a"))
    return daemons


def normalised(d, status, headers):
    loc = headers.get("location")
    if loc is not None:
        loc = loc.replace(f"127.0.0.1:{d.port}", "HOST")
        loc = CTIME.sub(r"\1CTIME", loc)
    return status, loc


def tail_text(body):
    m = re.search(rb"<pre[^>]*>(.*?)</pre>", body, re.S)
    assert m, body[:500]
    return html.unescape(m.group(1).decode("utf-8", "replace"))


def test_query_api_matches_supervisord(pair):
    sup, tend = pair
    for method, target, form in STEPS:
        answers = []
        for d in pair:
            headers = {"Content-Type": "application/x-www-form-urlencoded"} if form else {}
            status, h, _ = d.request(method, target, body=form.encode() if form else None, headers=headers)
            answers.append(normalised(d, status, h))
        assert answers[0] == answers[1], f"{method} {target} {form or ''}"
        if answers[0][0] == 301:
            assert answers[0][1].startswith("http://HOST/?message=")
    # Both ended in the same states (restartall started everything that could run).
    states = [{i["name"]: i["statename"] for i in d.rpc().supervisor.getAllProcessInfo() if i["name"] != "missing"}
              for d in pair]
    assert states[0] == states[1]


def test_redirect_follows_the_host_header(pair):
    for d in pair:
        status, h, _ = d.get("/?action=refresh", headers={"Host": "example.com:80"})
        assert status == 301 and h["location"].startswith("http://example.com/?message=Page%20refreshed%20at%20")
        status, h, _ = d.get("/?action=refresh", headers={"Host": "example.com:8080"})
        assert h["location"].startswith("http://example.com:8080/?message=")


def test_tail_html_matches_supervisord(pair):
    for d in pair:
        d.rpc().supervisor.clearProcessLogs("sleeper")
        d.rpc().supervisor.stopProcess("sleeper")
        d.rpc().supervisor.startProcess("sleeper")
    for d in pair:
        wait_for(lambda: "bold" in d.rpc().supervisor.readProcessStdoutLog("sleeper", 0, 0),
                 what=f"{d.kind}: sleeper's output in its log")
    for target in TAILS:
        texts = []
        for d in pair:
            status, _, body = d.get(target)
            assert status == 200, (d.kind, target)
            texts.append(tail_text(body))
        assert texts[0] == texts[1], target
