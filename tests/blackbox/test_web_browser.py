"""The web console in a real headless Chromium (cdplib.py drives it over the DevTools pipe).

One tend (inet_http_server with basic auth) and one browser serve the whole module; each test
opens its own tab and closes it. Every page is checked for console errors, uncaught exceptions
and CSP violations. States are cross-checked through XML-RPC; a change made by Debian's
supervisorctl must reach an open page without a reload.
"""
import http.server
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
import xmlrpc.client
from pathlib import Path

import pytest

import cdplib
from conftest import TEND, free_port, kill_session, wait_for

SUPERVISORCTL = "/usr/bin/supervisorctl"
USER, PASSWORD = "admin", "s3cret"
# A name and an output that would run script if anything put them into the page as markup. Names
# may not hold spaces: tabs separate the attributes just as well.
EVIL_NAME = "<img\tsrc=x\tonerror=window.__pwned=1>"
EVIL_TEXT = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'

CONF = """
[inet_http_server]
port=127.0.0.1:{port}
username={user}
password={password}

[supervisord]
logfile=%(here)s/main.log
pidfile=%(here)s/d.pid
childlogdir=%(here)s
loglevel=info

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=http://127.0.0.1:{port}
username={user}
password={password}

[program:alpha]
command=/bin/sleep 1000
startsecs=0

[program:beta]
command=/bin/sleep 1000
startsecs=0

[program:talker]
command=/bin/cat
startsecs=0

[program:hupper]
command=/bin/sh -c 'trap "echo got-hup" HUP; echo hupper-up; while :; do sleep 1000 & wait $!; done'
startsecs=0

[program:{evil}]
command=/bin/sh -c 'printf "%%s\\n" "$0"; exec sleep 1000' '{evil_text}'
startsecs=0

[program:broken]
command=/nonexistent/{evil_text_q}
startsecs=0
startretries=0

[program:checked]
command=/bin/sleep 1000
startsecs=0
ready=exec:/bin/true
healthcheck=file:%(here)s/no-such-file
healthcheck_interval=0.2
healthcheck_retries=1
healthcheck_action=none

[program:quitter]
command=/bin/sh -c 'exit 3'
startsecs=0
autorestart=false

[group:grp]
programs=g1,g2

[program:g1]
command=/bin/sleep 1000
startsecs=0

[program:g2]
command=/bin/sleep 1000
startsecs=0
"""


class WebTend:
    """tend -n with an authenticated inet_http_server on a free loopback port."""

    def __init__(self, port=None, conf=None):
        """`port` and `conf`: those of an earlier instance (a restart on the same address)."""
        self.dir = tempfile.mkdtemp(prefix="tweb")
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}/"
        self.conf = os.path.join(self.dir, "tend.conf")
        Path(self.conf).write_text(conf or CONF.format(
            port=self.port, user=USER, password=PASSWORD, evil=EVIL_NAME,
            evil_text=EVIL_TEXT.replace("%", "%%"),
            evil_text_q=EVIL_TEXT.replace(" ", "_").replace('"', "").replace("%", "%%")))
        self.out = open(os.path.join(self.dir, "console.txt"), "wb")
        self.proc = subprocess.Popen([str(TEND), "-n", "-c", self.conf], stdout=self.out,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)

    def rpc(self):
        return xmlrpc.client.ServerProxy(f"http://{USER}:{PASSWORD}@127.0.0.1:{self.port}/RPC2")

    def state(self, name):
        return self.rpc().supervisor.getProcessInfo(name)["statename"]

    def console(self):
        return Path(self.dir, "console.txt").read_text(errors="replace")

    def wait_settled(self):
        def settled():
            if self.proc.poll() is not None:
                raise AssertionError(f"tend exited:\n{self.console()}")
            try:
                infos = self.rpc().supervisor.getAllProcessInfo()
            except (OSError, xmlrpc.client.Error):
                return False
            return all(i["statename"] not in ("STARTING", "BACKOFF") for i in infos)
        wait_for(settled, 15, what="tend's programs to settle")

    def stop(self):
        kill_session(self.proc)
        self.out.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def web():
    if not os.access(TEND, os.X_OK):
        pytest.fail(f"{TEND} is not built")
    if not cdplib.find_chromium():
        pytest.skip("chromium is not installed (scripts/install-deps.sh installs it)")
    tend = WebTend()
    browser = None
    try:
        tend.wait_settled()
        browser = cdplib.Browser()
        yield tend, browser
    finally:
        if browser:
            browser.close()
        tend.stop()


@pytest.fixture
def tend(web):
    return web[0]


@pytest.fixture
def browser(web):
    return web[1]


@pytest.fixture
def page(web):
    """A tab with the console open and live (its first snapshot rendered)."""
    tend, browser = web
    p = browser.new_page(auth=(USER, PASSWORD))
    assert p.goto(tend.base) == 200
    p.wait("!!document.querySelector('#console.live')", what="the console to go live")
    yield p
    p.close()


def css_str(s):
    """`s` as a CSS string literal (a tab in a name must become `\\9 `, not `\\t`)."""
    return '"' + "".join(c if c.isprintable() and c not in '"\\' else f"\\{ord(c):x} " for c in s) + '"'


def sel(ns, what):
    """CSS selector of `what` in the row of `ns`."""
    return f"tr[data-namespec={css_str(ns)}] {what}"


def cell(ns, td):
    """JS expression: the text of cell `td` (e.g. "td.exit") in the row of `ns`."""
    return f"document.querySelector({json.dumps(sel(ns, td))}).textContent"


def row_state(ns):
    return f"(document.querySelector({json.dumps(sel(ns, 'td.state'))}) || {{}}).textContent"


def wait_row(page, ns, state, timeout=10.0):
    page.wait(f"{row_state(ns)} === {json.dumps(state)}", timeout, what=f"{ns} {state} on the page")


def problems(page, ignore=()):
    """The page's console errors, exceptions and CSP violations (the page declares its icon, so
    a request for /favicon.ico and its 404 would show here too)."""
    return page.problems(ignore)


def ctl(tend, *args):
    r = subprocess.run([SUPERVISORCTL, "-s", f"http://127.0.0.1:{tend.port}", "-u", USER, "-p", PASSWORD,
                        *args], capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout + r.stderr


# ---------------------------------------------------------------------------------------------

def test_table_shows_every_process(tend, page):
    infos = tend.rpc().supervisor.getAllProcessInfo()
    want = [i["name"] if i["group"] == i["name"] else f"{i['group']}:{i['name']}" for i in infos]
    shown = page.eval("Array.from(document.querySelectorAll('#processes tr[data-namespec]'), "
                      "r => [r.dataset.namespec, r.querySelector('td.state').textContent])")
    assert [ns for ns, _ in shown] == want  # supervisord's order: groups, then names
    assert dict(shown) == {ns: i["statename"] for ns, i in zip(want, infos)}
    assert dict(shown)["broken"] == "FATAL"
    assert page.eval("document.getElementById('conn').textContent") == "live"
    assert page.eval("document.querySelector('tbody[data-group=\"grp\"] tr.group button.toggle')"
                     ".getAttribute('aria-expanded')") == "true"
    assert problems(page) == []


def test_stop_button_stops_within_a_second(tend, page):
    assert tend.state("alpha") == "RUNNING"
    page.click(sel("alpha", "button[data-action=stop]"))
    wait_row(page, "alpha", "STOPPED", timeout=1.0)
    assert tend.state("alpha") == "STOPPED"
    page.wait("document.getElementById('message').textContent.includes('alpha')", 5,
              what="the action's message")
    assert page.eval("document.getElementById('message').className") == "ok"
    # Focus moved from the disabled Stop to the row's first enabled button (Start).
    page.click(sel("alpha", "button[data-action=start]"))
    wait_row(page, "alpha", "RUNNING")
    assert tend.state("alpha") == "RUNNING"
    assert problems(page) == []


def test_supervisorctl_change_appears_without_reload(tend, page):
    page.eval("window.__same_document = true")
    code, out = ctl(tend, "stop", "beta")
    assert code == 0, out
    wait_row(page, "beta", "STOPPED")
    code, out = ctl(tend, "start", "grp:*")  # already running: nothing changes
    code, out = ctl(tend, "start", "beta")
    assert code == 0, out
    wait_row(page, "beta", "RUNNING")
    page.wait(f"document.querySelector({json.dumps(sel('beta', 'td.description'))}).textContent"
              ".startsWith('pid ')", what="beta's pid on the page")
    assert page.eval("window.__same_document") is True  # no reload happened
    assert problems(page) == []


def test_error_message_of_a_refused_action(tend, page):
    # Start a program whose command does not exist: tend answers an error, the page shows it.
    page.click(sel("broken", "button[data-action=start]"))
    page.wait("document.getElementById('message').className === 'error'", what="an error message")
    assert page.eval("document.getElementById('message').textContent").strip()
    # The browser logs every 4xx answer to a fetch; nothing else may appear.
    assert [p for p in problems(page) if "api/action" not in p] == []


def test_log_pane_follows_output(tend, page):
    page.click(sel("talker", "button[data-action=log]"))
    page.wait("document.querySelector('#logpane .conn').textContent === 'following'",
              what="the log stream to open")
    marker = f"written-after-open-{time.monotonic_ns()}"
    tend.rpc().supervisor.sendProcessStdin("talker", marker + "\n")
    page.wait(f"document.getElementById('logtext').textContent.includes({json.dumps(marker)})",
              what="the new line in the log pane")
    page.click("#logpane .channels button[aria-pressed=false]")  # stderr
    page.wait("document.getElementById('logpane').dataset.channel === 'stderr' && "
              "document.querySelector('#logpane .conn').textContent === 'following'", what="talker's stderr")
    page.click("#logpane .channels button[aria-pressed=false]")  # back to stdout
    page.wait(f"document.getElementById('logtext').textContent.includes({json.dumps(marker)})",
              what="stdout again, from the log's end")
    # Clear log empties the file, and the pane with it (event: reset).
    page.click(sel("talker", "summary"))
    page.click(sel("talker", "button[data-action=clearlog]"))
    page.wait(f"!document.getElementById('logtext').textContent.includes({json.dumps(marker)})",
              what="the pane emptied by clear log")
    assert tend.rpc().supervisor.readProcessStdoutLog("talker", 0, 0) == ""
    second = marker + "-again"
    tend.rpc().supervisor.sendProcessStdin("talker", second + "\n")
    page.wait(f"document.getElementById('logtext').textContent.includes({json.dumps(second)})",
              what="a line after the reset")
    assert problems(page) == []


def test_main_log_pane(tend, page):
    page.click("#mainlog")
    page.wait("document.querySelector('#logpane .conn').textContent === 'following'",
              what="the main log stream to open")
    page.wait("document.getElementById('logtext').textContent.includes('success: alpha')",
              what="the main log's recent lines")
    code, out = ctl(tend, "restart", "grp:g1")
    assert code == 0, out
    page.wait("document.getElementById('logtext').textContent.includes('stopped: g1')",
              what="a main log line written after the pane opened")
    assert problems(page) == []


def test_signal_button(tend, page):
    page.click(sel("hupper", "summary"))
    page.click(sel("hupper", "button[data-signal=HUP]"))
    wait_for(lambda: "got-hup" in tend.rpc().supervisor.readProcessStdoutLog("hupper", 0, 0),
             what="hupper to get SIGHUP")
    page.wait("document.getElementById('message').className === 'ok'", what="the signal's message")
    assert problems(page) == []


def test_markup_in_names_and_output_runs_nothing(tend, page):
    name_cell = page.eval(f"document.querySelector({json.dumps(sel(EVIL_NAME, 'td.name'))}).textContent")
    assert name_cell == EVIL_NAME
    fatal = page.eval(f"document.querySelector({json.dumps(sel('broken', 'td.description'))}).textContent")
    assert tend.state("broken") == "FATAL"
    assert "<img_src=x_onerror" in fatal  # the spawn error names the command
    page.click(sel(EVIL_NAME, "button[data-action=log]"))
    page.wait(f"document.getElementById('logtext').textContent.includes({json.dumps(EVIL_TEXT)})",
              what="the program's markup shown as text")
    assert page.eval("document.querySelectorAll('img, script:not([src]), iframe, object, embed').length") == 0
    assert page.eval("window.__pwned === undefined")
    assert problems(page) == []


def test_keyboard_filter_and_group_collapse(page):
    page.eval("document.activeElement && document.activeElement.blur()")
    page.key("/", "Slash")
    assert page.eval("document.activeElement.id") == "filter"
    page.type_text("grp")
    page.wait("document.querySelectorAll('#processes tr[data-namespec]:not([hidden])').length === 2",
              what="only grp's two rows")
    assert page.eval("document.getElementById('shown').textContent").startswith("2 of ")
    page.key("Escape", "Escape", 27)
    page.wait("document.getElementById('filter').value === ''", what="Escape to clear the filter")
    page.click("tbody[data-group=grp] button.toggle")
    assert page.eval("document.querySelector('tbody[data-group=grp] button.toggle')"
                     ".getAttribute('aria-expanded')") == "false"
    assert page.eval("Array.from(document.querySelectorAll('tbody[data-group=grp] tr[data-namespec]'))"
                     ".every(r => r.hidden)")
    # Tab reaches the group's toggle and Enter opens it again.
    page.eval("document.querySelector('tbody[data-group=grp] button.toggle').focus()")
    page.key("Enter", "Enter", 13)
    assert page.eval("document.querySelector('tbody[data-group=grp] button.toggle')"
                     ".getAttribute('aria-expanded')") == "true"
    # A focused button shows a focus ring.
    page.key("Tab", "Tab", 9)
    outline = page.eval("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none"), outline
    assert problems(page) == []


def test_restarts_exit_status_and_checks(tend, page):
    page.wait(f"{cell('checked', 'td.checks')}.includes('unhealthy')", what="checked's failed health check")
    assert "ready" in page.eval(cell("checked", "td.checks"))
    assert page.eval("document.getElementById('processes').classList.contains('no-checks')") is False
    assert page.eval(row_state("quitter")) == "EXITED"
    assert page.eval(cell("quitter", "td.exit")) == str(tend.rpc().supervisor.getProcessInfo("quitter")["exitstatus"]) == "3"
    before = int(page.eval(cell("grp:g2", "td.restarts")))
    page.click(sel("grp:g2", "button[data-action=restart]"))
    page.wait(f"{cell('grp:g2', 'td.restarts')} === '{before + 1}' && {row_state('grp:g2')} === 'RUNNING'",
              what="g2's restart counted")
    assert problems(page) == []


def test_uptime_ticks(page):
    desc = f"document.querySelector({json.dumps(sel('alpha', 'td.description'))}).textContent"
    first = page.eval(desc)
    assert "uptime" in first
    page.wait(f"{desc} !== {json.dumps(first)}", 5, what="alpha's uptime to tick")


def test_no_horizontal_scroll_from_phone_to_desktop(tend, browser):
    p = browser.new_page(auth=(USER, PASSWORD), width=390, height=800, mobile=True)
    try:
        p.goto(tend.base)
        p.wait("!!document.querySelector('#console.live')", what="the console to go live")
        # A phone gets cards (the header row is only for screen readers).
        assert p.eval("getComputedStyle(document.querySelector('#processes thead')).position") == "absolute"
        for width, mobile in ((390, True), (768, True), (1024, False), (1440, False)):
            p.call("Emulation.setDeviceMetricsOverride",
                   {"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": mobile})
            p.wait(f"window.innerWidth === {width}", what=f"the {width}px viewport")
            assert p.eval("document.documentElement.scrollWidth <= window.innerWidth"), \
                (width, p.eval("[document.documentElement.scrollWidth, window.innerWidth]"))
        assert problems(p) == []
    finally:
        p.close()


def test_dark_scheme(tend, browser):
    p = browser.new_page(auth=(USER, PASSWORD))
    try:
        p.call("Emulation.setEmulatedMedia",
               {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
        p.goto(tend.base)
        p.wait("getComputedStyle(document.body).backgroundColor !== ''", what="styles")
        rgb = p.eval("getComputedStyle(document.body).backgroundColor")
        nums = [int(x) for x in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3]]
        assert sum(nums) < 3 * 64, rgb
    finally:
        p.close()


def test_works_with_javascript_disabled(tend, browser):
    p = browser.new_page(auth=(USER, PASSWORD), javascript=False)
    try:
        p.goto(tend.base)
        assert not p.eval("!!document.querySelector('#console.live')")  # console.js did not run
        assert p.eval(row_state("beta")) == "RUNNING"
        p.click(sel("beta", "td.actions a[href*='action=stop']"))
        p.wait(f"location.search.includes('message=') && {row_state('beta')} === 'STOPPED'",
               what="the redirect to a page with beta STOPPED")
        assert tend.state("beta") == "STOPPED"
        p.click(sel("beta", "td.actions a[href*='action=start']"))
        p.wait(f"{row_state('beta')} === 'RUNNING'", what="beta RUNNING after the start link")
        assert problems(p) == []
    finally:
        p.close()
        if tend.state("beta") != "RUNNING":
            tend.rpc().supervisor.startProcess("beta")


def test_reconnects_after_tend_restarts(browser):
    """The connection state shows the stream's loss; once tend is back on the same port the page
    is live again with the new processes' state, without a reload."""
    first = WebTend()
    port, conf = first.port, Path(first.conf).read_text()
    second = None
    p = browser.new_page(auth=(USER, PASSWORD))
    try:
        first.wait_settled()
        p.goto(first.base)
        p.wait("document.getElementById('conn').textContent === 'live'", what="the console to go live")
        old_pid = first.rpc().supervisor.getProcessInfo("alpha")["pid"]
        p.eval("window.__same_document = true")
        kill_session(first.proc)
        p.wait("document.getElementById('conn').textContent !== 'live'", what="the lost stream shown")
        assert p.eval("document.getElementById('conn').className") != "conn live"
        second = WebTend(port=port, conf=conf)
        second.wait_settled()
        new_pid = second.rpc().supervisor.getProcessInfo("alpha")["pid"]
        p.wait(f"document.getElementById('conn').textContent === 'live' && "
               f"document.querySelector({json.dumps(sel('alpha', 'td.description'))}).textContent"
               f".startsWith('pid {new_pid},')", 20, what="the new tend's snapshot")
        assert new_pid != old_pid
        assert p.eval("window.__same_document") is True
    finally:
        p.close()
        for t in (first, second):
            if t:
                t.stop()


# ---- cross-site requests --------------------------------------------------------------------

ATTACKS = {
    # A form cannot send application/json: text/plain carrying JSON-looking text.
    "form-post": """<form method="post" enctype="text/plain" action="{tend}api/action">
        <input name='{{"action":"stop","namespec":"alpha","x":"' value='"}}'></form>
        <script>document.forms[0].submit()</script>""",
    # The query API through a GET form, Referer stripped: only Sec-Fetch-Site tells.
    "form-get-no-referrer": """<meta name="referrer" content="no-referrer">
        <form method="get" action="{tend}index.html">
        <input name="processname" value="alpha"><input name="action" value="stop"></form>
        <script>document.forms[0].submit()</script>""",
    "link-get": """<a id="a" href="{tend}index.html?processname=alpha&amp;action=stop">x</a>
        <script>document.getElementById('a').click()</script>""",
    # fetch: no-cors drops the JSON content type; cors needs a preflight tend never approves.
    "fetch": """<script>
        const body = JSON.stringify({{action: "stop", namespec: "alpha"}});
        const h = {{"Content-Type": "application/json"}};
        Promise.allSettled([
          fetch("{tend}api/action", {{method: "POST", mode: "no-cors", credentials: "include", headers: h, body}}),
          fetch("{tend}api/action", {{method: "POST", mode: "cors", credentials: "include", headers: h, body}}),
          fetch("{tend}index.html?processname=alpha&action=stop", {{mode: "no-cors", credentials: "include"}}),
        ]).then(r => {{ window.done = r.map(x => x.status); }});
        </script>""",
}


class _Attacker(http.server.BaseHTTPRequestHandler):
    pages = {}

    def do_GET(self):  # noqa: N802 - http.server's name
        body = self.pages.get(self.path.lstrip("/"), "").encode()
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def attacker(web):
    """A page server on another loopback port: another origin than tend's."""
    tend, _ = web
    _Attacker.pages = {name: "<!doctype html><body>" + html.format(tend=tend.base)
                       for name, html in ATTACKS.items()}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Attacker)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def _tend_responses(page, tend):
    """tend's answers to the attack (the icon a browser fetches for the refusal's page aside)."""
    return [(u, s) for u, s in page.responses if u.startswith(tend.base) and not u.endswith("/favicon.ico")]


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_cross_site_action_refused(tend, browser, attacker, attack):
    assert tend.state("alpha") == "RUNNING"
    p = browser.new_page(auth=(USER, PASSWORD))
    try:
        p.goto(attacker + attack)
        if attack == "fetch":
            p.wait("window.done", what="the three requests to settle")
            wait_for(lambda: len(_tend_responses(p, tend)) >= 2 or p.browser.pump(0.05),
                     what="tend's answers")
        else:
            p.wait(f"location.href.startsWith({json.dumps(tend.base)}) && document.readyState === 'complete'",
                   what="the navigation to tend")
        got = _tend_responses(p, tend)
        # 401: a CORS preflight carries no credentials, so tend asks for them (and approves nothing).
        assert got and all(status in (401, 403, 415) for _, status in got), got
        assert any(status in (403, 415) for _, status in got), got
    finally:
        p.close()
        state = tend.state("alpha")
        if state != "RUNNING":
            tend.rpc().supervisor.startProcess("alpha")
    assert state == "RUNNING"


def test_cross_site_action_from_a_data_url_refused(tend, browser):
    """A page with an opaque origin (Origin: null) posting the JSON as text/plain."""
    html = (f'<form method="post" enctype="text/plain" action="{tend.base}api/action">'
            '<input name=\'{"action":"stop","namespec":"alpha","x":"\' value=\'"}\'></form>'
            "<script>document.forms[0].submit()</script>")
    p = browser.new_page(auth=(USER, PASSWORD))
    try:
        p.call("Page.navigate", {"url": "data:text/html," + urllib.parse.quote(html)})
        p.wait(f"location.href.startsWith({json.dumps(tend.base)}) && document.readyState === 'complete'",
               what="the navigation to tend")
        got = _tend_responses(p, tend)
        assert got and all(status in (403, 415) for _, status in got), got
    finally:
        p.close()
    assert tend.state("alpha") == "RUNNING"
