"""A small Chrome DevTools Protocol client, Python standard library only.

Chromium runs headless with `--remote-debugging-pipe`: it reads commands from its fd 3 and writes
replies and events to its fd 4, each message one JSON object followed by a NUL byte. No websocket,
no port. One thread: a call writes its command, then reads messages until its reply arrives; the
events read meanwhile go to their page's log (console errors, exceptions, CSP violations) and to its
handlers.

    with Browser() as b:
        page = b.new_page(auth=("user", "pass"))
        page.goto("http://127.0.0.1:9001/")
        page.wait("document.querySelectorAll('tr').length > 2", what="rows")
        assert page.problems() == []

Waiting is polling the page's state through Runtime.evaluate (a condition the test can observe),
bounded by a timeout; never a fixed sleep.
"""
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time


class CDPError(Exception):
    """A command answered with an error, or the browser went away."""


def find_chromium():
    """Path of the Chromium binary, or None. Debian's /usr/bin/chromium is a shell wrapper that
    execs /usr/lib/chromium/chromium; the binary itself is used when present (no wrapper flags)."""
    for path in ("/usr/lib/chromium/chromium", shutil.which("chromium"),
                 shutil.which("chromium-browser")):
        if path and os.access(path, os.X_OK):
            return path
    return None


# Recorded in every page before its own scripts run (devtools scripts are not subject to the
# page's CSP): the CSP violations the page reports, and the elements that scripts insert.
_PAGE_PROBE = """
window.__cdp = {csp: []};
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cdp.csp.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' +
                        (e.sourceFile || '') + ':' + e.lineNumber);
});
"""


class Browser:
    """One headless Chromium with a throw-away profile. close() (or the context manager) kills
    it and removes the profile."""

    def __init__(self, binary=None, args=(), timeout=30.0):
        binary = binary or find_chromium()
        if not binary:
            raise FileNotFoundError("chromium not found")
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="tcdp")
        self._next_id = 0
        self._buf = b""
        self._replies = {}
        self.pages = {}          # sessionId -> Page
        self.events = []         # browser-level events (no session)
        cmd_r, cmd_w = os.pipe()
        out_r, out_w = os.pipe()
        # The child must see the pipes as fds 3 and 4: bash (dash takes no fd above 9) moves them there just before the
        # exec (high copies first, so no pipe end sits on 3 or 4 while they are being moved).
        hi_r = fcntl.fcntl(cmd_r, fcntl.F_DUPFD_CLOEXEC, 10)
        hi_w = fcntl.fcntl(out_w, fcntl.F_DUPFD_CLOEXEC, 10)
        for fd in (cmd_r, out_w):
            os.close(fd)
        argv = [binary, "--headless=new", "--remote-debugging-pipe", "--no-sandbox",
                 f"--user-data-dir={self.profile}", "--no-first-run", "--no-default-browser-check",
                 "--disable-gpu", "--disable-extensions", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--mute-audio",
                 "--disable-dev-shm-usage", "--password-store=basic", "--use-mock-keychain",
                 # A page in a background tab must not be throttled: tests watch several.
                 "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                 "--disable-backgrounding-occluded-windows", *args, "about:blank"]
        self.stderr_path = os.path.join(self.profile, "stderr.txt")
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                ["/bin/bash", "-c", f'exec "$@" 3<&{hi_r} 4>&{hi_w} {hi_r}<&- {hi_w}>&-', "sh", *argv],
                stdin=subprocess.DEVNULL, stdout=err, stderr=err, pass_fds=(hi_r, hi_w),
                start_new_session=True)
        os.close(hi_r)
        os.close(hi_w)
        self._w = cmd_w
        self._r = out_r
        os.set_blocking(self._r, False)
        try:
            self.version = self.call("Browser.getVersion")
        except Exception:
            self.close()
            raise

    # ---- transport ------------------------------------------------------------------------

    def _write(self, msg):
        data = json.dumps(msg).encode() + b"\0"
        while data:
            try:
                n = os.write(self._w, data)
            except BrokenPipeError:
                raise CDPError(f"chromium went away: {self._stderr_tail()}") from None
            data = data[n:]

    def _stderr_tail(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read()[-2000:].decode(errors="replace")
        except OSError:
            return ""

    def pump(self, timeout):
        """Read and dispatch what arrives within `timeout` s (at least what is already there)."""
        ready, _, _ = select.select([self._r], [], [], max(0.0, timeout))
        if not ready:
            return
        while True:
            try:
                chunk = os.read(self._r, 1 << 16)
            except BlockingIOError:
                break
            if not chunk:
                raise CDPError(f"chromium closed its pipe: {self._stderr_tail()}")
            self._buf += chunk
        *msgs, self._buf = self._buf.split(b"\0")
        for raw in msgs:
            self._dispatch(json.loads(raw))

    def _dispatch(self, msg):
        if "id" in msg:
            self._replies[msg["id"]] = msg
            return
        page = self.pages.get(msg.get("sessionId"))
        if page is not None:
            page._event(msg["method"], msg.get("params", {}))
        else:
            self.events.append(msg)

    def call(self, method, params=None, session=None, timeout=None):
        """Send one command and return its result; CDPError when it answers an error."""
        self._next_id += 1
        ident = self._next_id
        msg = {"id": ident, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self._write(msg)
        deadline = time.monotonic() + (timeout or self.timeout)
        while ident not in self._replies:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CDPError(f"no reply to {method} within {timeout or self.timeout} s")
            self.pump(left)
        reply = self._replies.pop(ident)
        if "error" in reply:
            raise CDPError(f"{method}: {reply['error'].get('message')} {reply['error'].get('data', '')}")
        return reply.get("result", {})

    # ---- pages ----------------------------------------------------------------------------

    def new_page(self, auth=None, javascript=True, width=1200, height=900, mobile=False):
        """A new tab on about:blank, its events enabled. `auth` = (user, password): every request
        of the tab carries that basic-auth header (as a browser does once the user has answered
        the login prompt; cross-site requests included)."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, target, session)
        self.pages[session] = page
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.call(f"{domain}.enable")
        page.call("Page.addScriptToEvaluateOnNewDocument", {"source": _PAGE_PROBE})
        if auth:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            page.call("Network.setExtraHTTPHeaders", {"headers": {"Authorization": f"Basic {token}"}})
        if not javascript:
            page.call("Emulation.setScriptExecutionDisabled", {"value": True})
        page.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
        return page

    def close(self):
        if getattr(self, "proc", None) and self.proc.poll() is None:
            try:
                self.call("Browser.close", timeout=5)
            except (CDPError, OSError):
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, 9)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=10)
        for fd in ("_w", "_r"):
            if getattr(self, fd, None) is not None:
                os.close(getattr(self, fd))
                setattr(self, fd, None)
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Page:
    """One tab. `console` holds (level, text) of console messages and log entries, `exceptions`
    the uncaught exceptions' texts, `responses` (url, status) of the documents and requests."""

    def __init__(self, browser, target, session):
        self.browser = browser
        self.target = target
        self.session = session
        self.console = []
        self.exceptions = []
        self.responses = []
        self.handlers = {}  # method -> [fn(params)]

    def call(self, method, params=None, timeout=None):
        return self.browser.call(method, params, self.session, timeout)

    def on(self, method, fn):
        self.handlers.setdefault(method, []).append(fn)

    def _event(self, method, params):
        if method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            self.console.append((params.get("type"), text))
        elif method == "Runtime.exceptionThrown":
            d = params.get("exceptionDetails", {})
            self.exceptions.append(d.get("exception", {}).get("description") or d.get("text", "?"))
        elif method == "Log.entryAdded":
            e = params.get("entry", {})
            self.console.append((e.get("level"), f"[{e.get('source')}] {e.get('text')} {e.get('url', '')}"))
        elif method == "Network.responseReceived":
            r = params.get("response", {})
            self.responses.append((r.get("url"), r.get("status")))
        for fn in self.handlers.get(method, ()):
            fn(params)

    def eval(self, expression, await_promise=False):
        """The value of a JS expression (JSON-able values only); CDPError when it throws."""
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                           "awaitPromise": await_promise})
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise CDPError(f"{expression!r} threw: "
                           f"{d.get('exception', {}).get('description') or d.get('text')}")
        return r.get("result", {}).get("value")

    def wait(self, expression, timeout=10.0, what=None, interval=0.02):
        """Evaluate `expression` until truthy; return its value, or raise AssertionError after
        `timeout` s. Events keep being read while waiting."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = self.eval(expression)
            except CDPError:
                value = None  # e.g. between two documents during a navigation
            if value:
                return value
            if time.monotonic() >= deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what or expression}")
            self.browser.pump(interval)

    def goto(self, url, timeout=15.0):
        """Navigate and wait until the new document has loaded. Returns the HTTP status of the
        document (None for data: URLs)."""
        before = len(self.responses)
        r = self.call("Page.navigate", {"url": url})
        if r.get("errorText"):
            raise CDPError(f"unable to open {url}: {r['errorText']}")
        self.wait_loaded(timeout)
        for u, status in self.responses[before:]:
            if u == url:
                return status
        return None

    def wait_loaded(self, timeout=15.0):
        self.wait("document.readyState === 'complete' && location.href !== 'about:blank'",
                  timeout, what="the document to load")

    def click(self, selector):
        """A real mouse click (pressed + released) in the middle of the element matching
        `selector`, scrolled into view first: it must be visible and not covered."""
        box = self.eval(f"""(function () {{
            const e = document.querySelector({json.dumps(selector)});
            if (!e) return null;
            e.scrollIntoView({{block: 'center'}});
            const r = e.getBoundingClientRect();
            return {{x: r.left + r.width / 2, y: r.top + r.height / 2, w: r.width, h: r.height}};
        }})()""")
        if not box or not box["w"] or not box["h"]:
            raise AssertionError(f"nothing visible to click at {selector}")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": box["x"], "y": box["y"],
                                                   "button": "left", "clickCount": 1})

    def type_text(self, text):
        self.call("Input.insertText", {"text": text})

    def key(self, key, code=None, key_code=0):
        """Press and release one key (e.g. "Tab", "Enter", "/") at the focused element."""
        for kind in ("keyDown", "keyUp"):
            params = {"type": kind, "key": key, "code": code or key,
                      "windowsVirtualKeyCode": key_code, "nativeVirtualKeyCode": key_code}
            if kind == "keyDown" and (len(key) == 1 or key == "Enter"):
                params["text"] = "\r" if key == "Enter" else key
            self.call("Input.dispatchKeyEvent", params)

    def csp_violations(self):
        try:
            return self.eval("window.__cdp ? window.__cdp.csp : []") or []
        except CDPError:
            return []

    def problems(self, ignore=()):
        """Console errors/warnings, log errors, exceptions and CSP violations seen so far,
        less those containing a string of `ignore`."""
        found = [f"{lvl}: {text}" for lvl, text in self.console if lvl in ("error", "warning", "assert")]
        found += [f"exception: {e}" for e in self.exceptions]
        found += [f"csp: {v}" for v in self.csp_violations()]
        return [p for p in found if not any(s in p for s in ignore)]

    def close(self):
        self.browser.call("Target.closeTarget", {"targetId": self.target})
        self.browser.pages.pop(self.session, None)
