"""XML-RPC over the `[unix_http_server]` socket, standard library only."""

import http.client
import socket
import time
import xmlrpc.client


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class _UnixTransport(xmlrpc.client.Transport):
    """Keeps one HTTP/1.1 connection open across calls, as supervisorctl does."""

    def __init__(self, path, timeout):
        super().__init__()
        self._path = path
        self._timeout = timeout

    def make_connection(self, host):
        if self._connection and host == self._connection[0]:
            return self._connection[1]
        conn = _UnixHTTPConnection(self._path, self._timeout)
        self._connection = host, conn
        return conn


def proxy(sock_path, timeout=30.0):
    """A ServerProxy whose calls go to the unix socket at `sock_path`."""
    return xmlrpc.client.ServerProxy(
        "http://localhost/RPC2", transport=_UnixTransport(sock_path, timeout), allow_none=True
    )


def wait_all_running(sock_path, n, deadline, interval=0.005, alive=None):
    """Poll getAllProcessInfo until `n` processes are RUNNING.

    Returns the monotonic time at which that was first observed. Raises TimeoutError at
    `deadline` and RuntimeError when `alive()` says the supervisor has gone.
    """
    server = None
    last = "no answer"
    while True:
        now = time.monotonic()
        if now > deadline:
            err = TimeoutError(f"{n} programs not RUNNING in time (last attempt: {last})")
            err.last = last
            raise err
        if alive is not None and not alive():
            raise RuntimeError(f"supervisor exited before all programs were RUNNING (last: {last})")
        try:
            if server is None:
                server = proxy(sock_path, timeout=max(0.5, deadline - now))
            infos = server.supervisor.getAllProcessInfo()
            running = sum(1 for i in infos if i.get("statename") == "RUNNING")
            if running >= n:
                t = time.monotonic()
                server("close")()  # an idle connection must not wake the supervisor later
                return t
            states = {}
            for i in infos:
                states[i.get("statename")] = states.get(i.get("statename"), 0) + 1
            last = f"{len(infos)} programs: {states}"
        except (OSError, http.client.HTTPException, xmlrpc.client.Error) as exc:
            last = f"{type(exc).__name__}: {exc}"
            server = None
        time.sleep(interval)


class RawCaller:
    """One XML-RPC call repeated on a kept-alive unix-socket connection, reading the
    whole HTTP response but not parsing its XML: what is timed is the server's work
    and the transport, not the Python client's parser (which costs ~4 ms for the
    100 KB answer of getAllProcessInfo with 100 programs, more than either server)."""

    def __init__(self, sock_path, method, timeout=120.0):
        import socket
        import xmlrpc.client
        body = xmlrpc.client.dumps((), method).encode()
        self.request = (b"POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\n"
                        b"Content-Length: %d\r\n\r\n" % len(body)) + body
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(sock_path)
        self.pending = b""

    def call(self):
        self.sock.sendall(self.request)
        buf = self.pending
        while b"\r\n\r\n" not in buf:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise RuntimeError("connection closed before the response headers")
            buf += chunk
        head, _, rest = buf.partition(b"\r\n\r\n")
        length = None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None or not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"unexpected response: {head[:200]!r}")
        while len(rest) < length:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise RuntimeError("connection closed mid-body")
            rest += chunk
        self.pending = rest[length:]
        return rest[:length]

    def close(self):
        self.sock.close()
