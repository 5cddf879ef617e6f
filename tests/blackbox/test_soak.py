"""The 60-second soak (issue 14, item 3) in `make test`: tests/soak/soak.py, the driver `make soak`
runs for 10 minutes, with 500 programs (crash loops, log floods, daemon forkers, TERM-ignoring
and idle ones), 20 read-only XML-RPC clients, two /logtail streams, an update every 20 s (so two
of them in the minute) and log rotation. The driver checks every criterion (flat RSS and fds
after warm-up, no zombie, every log line of every process exactly once, every call answered,
the expected updates and SIGKILLs) and exits 1 listing what failed; its summary is printed.
"""
import subprocess
import sys
import xml.etree.ElementTree as ET

from conftest import BUILD, REPO, TEND


def test_soak_60s(tmp_path):
    assert TEND.exists(), f"{TEND} is not built"
    p = subprocess.run([sys.executable, str(REPO / "tests/soak/soak.py"), "--build", str(BUILD),
                        "--seconds", "60", "--update-every", "20", "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=240, stdin=subprocess.DEVNULL)
    print(p.stdout)
    assert p.returncode == 0, f"soak failed:\n{p.stdout[-6000:]}\n{p.stderr[-4000:]}"
    summary = (tmp_path / "summary.txt").read_text()
    assert summary.rstrip().endswith("PASS")
    # The plot (well-formed SVG, one curve per panel: RSS, fds, CPU, latency) and the
    # per-second samples are written (the CSV has a row a second).
    svg = ET.fromstring((tmp_path / "soak.svg").read_text())
    curves = svg.findall("{http://www.w3.org/2000/svg}polyline")
    assert len(curves) == 4 and all(len(c.get("points").split()) >= 50 for c in curves)
    rows = (tmp_path / "soak.csv").read_text().splitlines()
    assert len(rows) >= 50, rows[:3]
