"""JSON logs, black-box: `log_format = json` (the main log) and `console_output_format = json` (the
programs' lines on tend's stdout and stderr), as docs/config.md ("JSON logs") describes them.

One tend for the module. Its programs run fixtures/fifo_writer.py, which writes exactly the bytes
the test sends through its FIFO, one os.write per command, so the test decides how the output is
cut into reads; waiting for the bytes in the program's log file (tend writes each read there
first) makes sure tend has read one piece before the next is written. Every line tend writes
must parse with json.loads, and a program's records put back together (msg, or msg_b64 when
present, then '\\n' after each record without "partial") must give the bytes it wrote.
"""
import base64
import json
import os
import random
import re
import signal
import textwrap
from pathlib import Path

import pytest

from conftest import Proc, TEND, read_text, wait_for

FIXTURES = Path(__file__).parent / "fixtures"
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
PROGRAMS = ("garbage", "split", "long")


class JsonTend:
    def __init__(self, dir):
        self.dir = Path(dir)
        self.fifos = {}
        for name in PROGRAMS:
            os.mkfifo(self.dir / f"{name}.fifo")
        programs = "".join(textwrap.dedent(f"""
            [program:{name}]
            command=/usr/bin/python3 {FIXTURES}/fifo_writer.py {self.dir}/{name}.fifo
            stdout_logfile={self.dir}/{name}.out
            stderr_logfile={self.dir}/{name}.err
            startsecs=0
            """) for name in PROGRAMS)
        conf = self.dir / "tend.conf"
        conf.write_text(textwrap.dedent(f"""
            [supervisord]
            logfile={self.dir}/main.log
            pidfile={self.dir}/tend.pid
            childlogdir={self.dir}
            log_format=json
            console_output=on
            console_output_format=json

            [group:big]
            programs=long
            """) + programs)
        self.proc = Proc([TEND, "-n", "-c", conf], cwd=self.dir)
        for name in PROGRAMS:
            # Read-write: the open does not wait for the reader, and the FIFO never sees EOF.
            self.fifos[name] = os.open(self.dir / f"{name}.fifo", os.O_RDWR)

    def send(self, name, fd, data):
        """Has program `name` write `data` to its fd (1 or 2), and waits until tend has read it."""
        log = self.dir / f"{name}.{'out' if fd == 1 else 'err'}"
        before = log.stat().st_size if log.exists() else 0
        os.write(self.fifos[name], f"{fd} {data.hex()}\n".encode())
        wait_for(lambda: log.exists() and log.stat().st_size >= before + len(data),
                 what=f"{len(data)} bytes of {name} in {log.name}")

    def main_records(self):
        return [json.loads(line) for line in read_text(self.dir / "main.log").splitlines()]

    def records(self, fd):
        """The complete lines tend wrote to its stdout (1) or stderr (2), each parsed."""
        raw = b"".join(self.proc._out if fd == 1 else self.proc._err)
        lines = raw.split(b"\n")[:-1]  # the last piece is not a whole line yet
        return [json.loads(line) for line in lines]

    def pid_of(self, name):
        for r in self.main_records():
            m = re.fullmatch(rf"spawned: '{name}' with pid (\d+)", r["msg"])
            if m:
                return int(m.group(1))
        raise AssertionError(f"no spawned record for {name}")

    def stop(self):
        self.proc.send(signal.SIGTERM)
        self.proc.wait(20)
        for fd in self.fifos.values():
            os.close(fd)


@pytest.fixture(scope="module")
def jt(tmp_path_factory):
    if not os.access(TEND, os.X_OK):
        pytest.fail(f"{TEND} is not built")
    t = JsonTend(tmp_path_factory.mktemp("json"))
    try:
        wait_for(lambda: all(re.search(rf"spawned: '{n}' with pid", read_text(t.dir / "main.log"))
                             for n in PROGRAMS), what="every program spawned")
        yield t
    finally:
        t.stop()


def program_records(records, program, stream):
    return [r for r in records if r.get("program") == program and r.get("stream") == stream]


def reassemble(records):
    out = b""
    for r in records:
        out += base64.b64decode(r["msg_b64"]) if "msg_b64" in r else r["msg"].encode()
        if not r.get("partial"):
            out += b"\n"
    return out


def wait_records(jt, fd, program, stream, last_msg):
    """The program's records on tend's fd once one has msg == last_msg."""
    def done():
        recs = program_records(jt.records(fd), program, stream)
        return recs if any(r["msg"] == last_msg for r in recs) else None
    return wait_for(done, what=f"{last_msg!r} from {program} on tend's fd {fd}")


def test_binary_garbage_gives_valid_json_that_keeps_every_byte(jt):
    rng = random.Random(12)
    written = {1: b"", 2: b""}
    for i in range(12):
        fd = 1 + i % 2
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 3000)))
        jt.send("garbage", fd, data)
        written[fd] += data
    for fd in (1, 2):
        jt.send("garbage", fd, b"\nEND\n")
        written[fd] += b"\nEND\n"
    pid = jt.pid_of("garbage")
    for fd, stream, level in ((1, "stdout", "info"), (2, "stderr", "error")):
        recs = wait_records(jt, fd, "garbage", stream, "END")
        assert reassemble(recs) == written[fd]
        assert any("msg_b64" in r for r in recs), "random bytes are not valid UTF-8"
        for r in recs:
            assert TS_RE.match(r["ts"]), r
            assert (r["level"], r["pid"]) == (level, pid)
            # No lone surrogate escapes: msg is text that encodes as UTF-8.
            assert not any(0xD800 <= ord(c) <= 0xDFFF for c in r["msg"]), r


def test_character_split_across_reads_comes_out_whole(jt):
    for piece in (b"caf\xc3", b"\xa9 \xf0\x9f", b"\x98", b"\x80 ok\n"):
        jt.send("split", 1, piece)
    recs = wait_records(jt, 1, "split", "stdout", "caf\u00e9 \U0001F600 ok")
    assert all("msg_b64" not in r and "partial" not in r for r in recs), recs


def test_200kb_line_is_cut_into_partial_records_of_valid_text(jt):
    rng = random.Random(7)
    alphabet = "ab \"\\\t\u00e9\u20ac\U0001F600\u2028"
    line = "".join(rng.choice(alphabet) for _ in range(115000)).encode()
    assert len(line) > 200_000
    jt.send("long", 1, line + b"\n")
    jt.send("long", 1, b"after\n")
    recs = wait_records(jt, 1, "big:long", "stdout", "after")
    assert reassemble(recs) == line + b"\nafter\n"
    pieces = recs[:-1]
    assert len(pieces) > len(line) // 16384
    assert all(r.get("partial") for r in pieces[:-1]) and "partial" not in pieces[-1]
    # Cut at character boundaries: every piece is text of its own.
    assert not any("msg_b64" in r for r in recs)
    assert {r["pid"] for r in recs} == {jt.pid_of("long")}


def test_main_log_and_everything_on_stdout_and_stderr_is_json(jt):
    recs = jt.main_records()
    spawned = [r for r in recs if r["msg"].startswith("spawned: 'garbage'")]
    assert spawned and spawned[0]["level"] == "info"
    for r in recs:
        assert TS_RE.match(r["ts"]), r
        assert r["level"] in ("critical", "error", "warn", "info", "debug", "trace", "blather")
        assert "program" not in r and "pid" not in r and "stream" not in r
    # The main log is echoed on stdout (nodaemon): the same records, with the programs' lines.
    out = jt.records(1)
    assert any(r["msg"] == spawned[0]["msg"] and "program" not in r for r in out)
    assert jt.records(2)  # parsed, every line
    # No line on tend's stdout or stderr is longer than Docker's and containerd's 16 KiB, newline included.
    for raw in (b"".join(jt.proc._out), b"".join(jt.proc._err)):
        assert max(len(line) + 1 for line in raw.split(b"\n")) <= 16384
