#!/usr/bin/python3
"""Regenerates the seed corpora under fuzz/corpus/<target>/ from the tests' own data.

Sources: the INI and config corpus of tests/data (files under 3 KB), and the
string literals of each parser's unit test (XML-RPC bodies, notify datagrams,
cron expressions, dotenv texts, listener output), plus a few HTTP requests
written here. Each seed file is named by the SHA-1 of its bytes, so rerunning
is idempotent and a reproducer added by hand (crash-<sha1>, named the same
way) is never overwritten. Usage: fuzz/seed.py (from anywhere).
"""
import hashlib
import pathlib
import re
import struct

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
MAX_SEED = 3 * 1024

# A C++ string literal (not raw), possibly split over adjacent literals.
LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def unescape(s):
    out = bytearray()
    i = 0
    simple = {"n": 10, "t": 9, "r": 13, "0": 0, "\\": 92, '"': 34, "'": 39, "a": 7, "b": 8, "f": 12, "v": 11}
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            if n == "x":
                m = re.match(r"[0-9a-fA-F]{1,2}", s[i + 2:])
                if m:
                    out.append(int(m.group(0), 16))
                    i += 2 + len(m.group(0))
                    continue
            if n in simple:
                out.append(simple[n])
                i += 2
                continue
            out.append(ord(n) & 0xFF)
            i += 2
            continue
        out += c.encode()
        i += 1
    return bytes(out)


def literals(path):
    """The string literals of a C++ file, adjacent ones joined."""
    text = (ROOT / path).read_text()
    joined = re.sub(r'"\s*\n\s*"', "", text)  # "a"\n  "b" -> "ab"
    return [unescape(m.group(1)) for m in LITERAL.finditer(joined)]


def write(target, seeds):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    n = 0
    for s in seeds:
        if 0 < len(s) <= MAX_SEED:
            (d / hashlib.sha1(s).hexdigest()).write_bytes(s)
            n += 1
    print(f"{target}: {n} seeds")


def ini_files():
    files = sorted(p for base in ("tests/data/ini", "tests/data/realconf/corpus")
                   for p in (ROOT / base).rglob("*") if p.is_file() and p.stat().st_size < MAX_SEED)
    return [p.read_bytes() for p in files]


def main():
    ini = ini_files()
    write("ini", ini + [s for s in literals("src/config/ini_parser_test.cc") if b"=" in s or b"[" in s])
    # config: byte 0 even = tend's load, odd = tendctl's (for_client).
    loader_literals = [s for f in ("src/config/loader_test.cc", "src/config/loader_deps_test.cc",
                                   "src/config/loader_env_test.cc") for s in literals(f) if b"[" in s]
    write("config", [b"\0" + s for s in ini + loader_literals] + [b"\1" + s for s in ini[:20]])
    write("xmlrpc", [s for s in literals("src/rpc/codec_test.cc") if b"<" in s])
    write("notify", [s for s in literals("src/health/notify_message_test.cc") if b"=" in s])
    after = struct.pack("<q", 1764763200)  # 2025-12-03 12:00 UTC
    dst = struct.pack("<q", 1774746000)    # 2026-03-29 01:00 UTC, the CET spring change
    cron = [s for s in literals("src/sched/cron_test.cc") if re.match(rb"^[\d*?@/,\- A-Za-z\t]+$", s)]
    write("cron", [after + s for s in cron] + [dst + s for s in cron[:30]])
    write("dotenv", [s for s in literals("src/config/env_file_test.cc") if b"=" in s])
    listener = [s for f in ("src/events/listener_protocol_test.cc", "src/events/result_handler_test.cc")
                for s in literals(f) if s]
    # byte 0: handler (0 default, 1 supervisor_stdout); 0xFF: the pool sent an event.
    write("listener", [b"\0" + s for s in listener] + [
        b"\0READY\n\xffRESULT 2\nOKREADY\n\xffRESULT 4\nFAIL",
        b"\1READY\n\xffRESULT 34\nprocessname:p channel:stdout\nhello\nREADY\n",
        b"\0READY\n\xffRESULT 1_0\n0123456789",
    ])
    xml = b"<?xml version='1.0'?><methodCall><methodName>supervisor.getState</methodName><params/></methodCall>"
    auth = b"Authorization: Basic dXNlcjoxMjM=\r\n"  # user:123
    write("http", [
        b"\0GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"\1GET /logtail/p HTTP/1.1\r\n" + auth + b"\r\n",
        b"\2GET /logtail/p HTTP/1.0\r\n" + auth + b"\r\n",
        b"\1GET / HTTP/1.1\r\nAuthorization: Basic bad\r\n\r\n",
        b"\0POST /RPC2 HTTP/1.1\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n" % len(xml) + xml,
        b"\0POST /RPC2 HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(xml) + xml,
        b"\0PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        b"\0GET /a HTTP/1.1\r\n\r\nGET /later HTTP/1.1\r\n\r\nHEAD / HTTP/1.0\r\n\r\n",
        b"\0POST / HTTP/1.1\r\n\r\n",
        b"\0GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
        b"\0POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n",
    ])


if __name__ == "__main__":
    main()
