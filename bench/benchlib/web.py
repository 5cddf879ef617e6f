"""The web console (tend only): page weight, state change → DOM update in a real headless
Chromium, and what idle live consoles cost tend. The browser is driven through
tests/blackbox/cdplib.py (DevTools over a pipe, standard library only)."""

import gzip
import http.client
import os
import re
import socket
import statistics
import sys
import time

from . import procs, rpc
from .products import Program

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "blackbox"))
import cdplib  # noqa: E402


class Unsupported(Exception):
    """The build has no console (or no browser): scenarios turns it into NotSupported."""


def _port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(product, sb, n):
    """tend with `n` sleepers and an inet_http_server on a free loopback port (no credentials:
    loopback clients are served). Returns (running, port) once all `n` run."""
    port = _port()
    r = product.start(sb, [Program(f"p{i:04d}", "/bin/sleep infinity", startsecs=0) for i in range(n)],
                      extra_sections={"inet_http_server": {"port": f"127.0.0.1:{port}"}})
    r.wait_running(n, timeout=60)
    return r, port


def _get(port, path, gzip_ok=True):
    """(status, headers, body as received) of one GET."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", path, headers={"Accept-Encoding": "gzip"} if gzip_ok else {})
        resp = c.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        c.close()


def _page(port):
    status, headers, html = _get(port, "/", gzip_ok=False)
    if status != 200 or "text/html" not in headers.get("content-type", ""):
        raise Unsupported(f"no console at / (HTTP {status})")
    return html


# ---- page weight ---------------------------------------------------------------------------

def page_weight():
    """Bytes of the page and of the assets it links, as served with and without gzip."""
    def run(product, sb):
        r, port = _start(product, sb, 10)
        html = _page(port)
        assets = sorted(set(re.findall(rb'(?:href|src)="(assets/[^"]+)"', html)))
        plain = gz = 0
        for a in assets:
            _, _, body = _get(port, "/" + a.decode(), gzip_ok=False)
            plain += len(body)
            _, headers, zbody = _get(port, "/" + a.decode())
            gz += len(zbody) if headers.get("content-encoding") == "gzip" else len(gzip.compress(body, 9))
        _, headers, zhtml = _get(port, "/")
        html_gz = len(zhtml) if headers.get("content-encoding") == "gzip" else len(gzip.compress(html, 9))
        return {"assets_gz": gz / 1024, "assets": plain / 1024, "html": len(html) / 1024,
                "html_gz": html_gz / 1024, "total_gz": (gz + html_gz) / 1024, "files": len(assets)}
    return run


# ---- state change -> DOM -------------------------------------------------------------------

# Records, on the page's clock (Unix ms), each new text of p0000's state cell as it enters the DOM.
_OBSERVER = """(function () {
  window.__seen = [];
  let last = null;
  const cell = () => document.querySelector('tr[data-namespec="p0000"] td.state');
  new MutationObserver(function () {
    const c = cell();
    const text = c && c.textContent;
    if (text !== last) {
      last = text;
      window.__seen.push([performance.timeOrigin + performance.now(), text]);
    }
  }).observe(document.getElementById('processes'), {subtree: true, childList: true, characterData: true});
  return true;
})()"""


def _clock_offset(page, samples=20):
    """page clock (ms) − time.time() (ms), from the round trip with the smallest delay."""
    best = None
    for _ in range(samples):
        t0 = time.time()
        v = page.eval("performance.timeOrigin + performance.now()")
        t1 = time.time()
        if best is None or t1 - t0 < best[0]:
            best = (t1 - t0, v - (t0 + t1) * 500)
    return best[1]


def dom_latency(changes, n=1):
    """`changes` alternating stopProcess / startProcess of p0000 (of `n` programs) over XML-RPC
    (unix socket, kept-alive); for each, ms from just before the call to the DOM showing the first
    new state (STOPPING or STARTING) and the final one (STOPPED or RUNNING)."""
    def run(product, sb):
        if not cdplib.find_chromium():
            raise Unsupported("chromium is not installed")
        r, port = _start(product, sb, n)
        _page(port)
        proxy = rpc.proxy(r.sock)
        first, final = [], []
        with cdplib.Browser() as b:
            page = b.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait("!!document.querySelector('#console.live')", 15, "the console to go live")
            page.eval(_OBSERVER)
            offset = _clock_offset(page)
            for i in range(changes):
                stop = i % 2 == 0
                want, between = ("STOPPED", "STOPPING") if stop else ("RUNNING", "STARTING")
                seen_before = page.eval("window.__seen.length")
                t_send = time.time() * 1000
                (proxy.supervisor.stopProcess if stop else proxy.supervisor.startProcess)("p0000", True)
                page.wait(f"window.__seen.length > {seen_before} && "
                          f"window.__seen[window.__seen.length - 1][1] === '{want}'", 10,
                          f"p0000 {want} in the DOM")
                seen = page.eval(f"window.__seen.slice({seen_before})")
                first.append(seen[0][0] - offset - t_send)
                final.append(seen[-1][0] - offset - t_send)
                assert all(s in (between, want) for _, s in seen), seen
            # Without an icon in the page the browser asks for /favicon.ico: not the console's fault.
            icon = page.eval("!!document.querySelector('link[rel~=icon]')")
            problems = page.problems(() if icon else ("/favicon.ico",))
            if problems:
                raise RuntimeError(f"the page reported: {problems[:3]}")
        final.sort()
        return {"first": statistics.median(first), "final": statistics.median(final),
                "p90": final[int(0.9 * (len(final) - 1))]}
    return run


# ---- idle consoles -------------------------------------------------------------------------

def _open_stream(port, path):
    """A raw SSE connection, returned once the first event (the snapshot) has arrived."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n".encode())
    buf = b""
    while b"\n\n" not in buf.partition(b"\r\n\r\n")[2]:
        chunk = s.recv(65536)
        if not chunk:
            raise RuntimeError(f"{path}: connection closed early: {buf[:200]!r}")
        buf += chunk
    if not buf.startswith(b"HTTP/1.1 200"):
        raise Unsupported(f"{path}: {buf.splitlines()[0].decode(errors='replace')}")
    return s


def idle_consoles(n_programs, consoles, window, settle):
    """tend's CPU (schedstat) and context switches over `window` s with no console open, then
    the same with `consoles` api/events streams open (raw sockets, each past its snapshot)."""
    def run(product, sb):
        r, port = _start(product, sb, n_programs)
        _page(port)
        pid = r.main_pid

        def measure():
            time.sleep(settle)
            cpu0, cs0 = procs.cpu_ns(pid), procs.ctxt_switches(pid)
            time.sleep(window)
            cpu1, cs1 = procs.cpu_ns(pid), procs.ctxt_switches(pid)
            return (cpu1 - cpu0) / 1e6, cs1 - cs0

        cpu_0, cs_0 = measure()
        streams = [_open_stream(port, "/api/events") for _ in range(consoles)]
        try:
            cpu_n, cs_n = measure()
            # Still open and still silent: nothing arrived during the window.
            for s in streams:
                s.setblocking(False)
                try:
                    extra = s.recv(65536)
                except BlockingIOError:
                    extra = None
                if extra is not None:
                    raise RuntimeError(f"an idle stream received {extra[:100]!r}")
        finally:
            for s in streams:
                s.close()
        if not r.alive():
            raise RuntimeError("tend exited during the window")
        return {"cpu_0": cpu_0, "cpu_n": cpu_n, "wake_0": cs_0, "wake_n": cs_n}
    return run
