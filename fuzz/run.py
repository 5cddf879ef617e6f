#!/usr/bin/python3
"""Runs tend's libFuzzer targets and prints what they did (see fuzz/README.md).

Each target runs for --seconds (of the monotonic clock: run.py interrupts it
with SIGINT, because libFuzzer's own -max_total_time and -timeout measure the
wall clock, which a clock step moves) on its committed seed corpus (fuzz/corpus/<t>,
read only) plus a scratch corpus that receives the new entries, with its
dictionary fuzz/<t>.dict when there is one, at most --jobs at a time. The
table gives, per target: seconds, executions, exec/s, corpus size (entries
loaded and found), coverage (libFuzzer's cov and ft), and findings: crash,
timeout, leak or oom artifacts and an unexpected exit status. A timeout is
run again: one that does not reproduce while the wall clock was stepped
during the run is reported as "timeout not reproduced", not as a finding. Exit status 1 when
any target found something, 2 on a usage error.
"""
import argparse
import os
import pathlib
import shutil
import re
import signal
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGETS = ["ini", "config", "xmlrpc", "http", "notify", "listener", "cron", "dotenv"]
# A single input taking longer than this is a finding (libFuzzer writes timeout-*).
TIMEOUT_S = 10
RSS_LIMIT_MB = 2048
INTERRUPTED = 72  # libFuzzer's exit status after SIGINT (-interrupted_exitcode)


def command(build, target, scratch):
    corpus = scratch / "corpus" / target
    corpus.mkdir(parents=True, exist_ok=True)
    art = scratch / "artifacts" / target
    art.mkdir(parents=True, exist_ok=True)
    cmd = [str(build / "fuzz" / f"fuzz_{target}"), f"-timeout={TIMEOUT_S}",
           f"-rss_limit_mb={RSS_LIMIT_MB}", f"-artifact_prefix={art}/", "-print_final_stats=1",
           "-close_fd_mask=1"]
    d = ROOT / "fuzz" / f"{target}.dict"
    if d.exists():
        cmd.append(f"-dict={d}")
    return cmd + [str(corpus), str(ROOT / "fuzz" / "corpus" / target)]


def reproduces(build, target, artifact):
    """Whether a timeout artifact times out again when run alone."""
    try:
        r = subprocess.run([str(build / "fuzz" / f"fuzz_{target}"), f"-timeout={TIMEOUT_S}", str(artifact)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=TIMEOUT_S * 3,
                           cwd=artifact.parent)
        return r.returncode != 0
    except subprocess.TimeoutExpired:
        return True


def summarize(build, target, rc, log, art, elapsed, clock_step):
    text = log.read_text(errors="replace")
    stat = dict(re.findall(r"^stat::(\w+):\s+(\d+)", text, re.M))
    cov = re.findall(r"cov: (\d+) ft: (\d+) corp: (\d+)/", text)
    findings = []
    for p in sorted(art.iterdir()):
        kind = p.name.split("-")[0]
        if p.name.startswith("slow-unit"):
            continue
        if kind == "timeout" and clock_step and not reproduces(build, target, p):
            findings.append("timeout not reproduced (wall clock stepped %+ds)" % clock_step)
            continue
        findings.append(kind)
    if rc == INTERRUPTED or (rc != 0 and findings and all("not reproduced" in f for f in findings)):
        rc = 0
    return {
        "target": target, "seconds": round(elapsed), "execs": int(stat.get("number_of_executed_units", 0)),
        "exec_s": int(stat.get("average_exec_per_sec", 0)), "cov": cov[-1][0] if cov else "?",
        "ft": cov[-1][1] if cov else "?", "corpus": cov[-1][2] if cov else "?", "rc": rc,
        "findings": findings, "log": log, "real_findings": [f for f in findings if "not reproduced" not in f],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=str(ROOT / "build-fuzz"), help="the TEND_FUZZ=ON build directory")
    ap.add_argument("--seconds", type=int, default=60, help="per target")
    ap.add_argument("--jobs", type=int, default=2, help="targets run at once")
    ap.add_argument("--scratch", help="where new corpus entries, artifacts, logs and the fuzzers' temporary "
                    "files go (default: a new temp dir, removed again when nothing was found)")
    ap.add_argument("targets", nargs="*", default=TARGETS)
    args = ap.parse_args()
    unknown = [t for t in args.targets if t not in TARGETS]
    if unknown:
        print(f"fuzz/run.py: unknown target {', '.join(unknown)} (targets: {' '.join(TARGETS)})", file=sys.stderr)
        return 2
    build = pathlib.Path(args.build).resolve()
    scratch = pathlib.Path(args.scratch or tempfile.mkdtemp(prefix="tend-fuzz-")).resolve()
    (scratch / "logs").mkdir(parents=True, exist_ok=True)
    (scratch / "tmp").mkdir(exist_ok=True)
    env = dict(os.environ, TMPDIR=str(scratch / "tmp"))  # config and http make their files there
    pending = list(args.targets)
    running = {}
    results = []
    while pending or running:
        while pending and len(running) < args.jobs:
            t = pending.pop(0)
            log = scratch / "logs" / f"{t}.log"
            with open(log, "wb") as f:
                proc = subprocess.Popen(command(build, t, scratch), stdout=f, stderr=subprocess.STDOUT, cwd=scratch,
                                        env=env)
            running[t] = (proc, log, time.monotonic(), time.time())
        time.sleep(0.5)
        for t, (proc, log, start, wall_start) in list(running.items()):
            if proc.poll() is None and time.monotonic() - start >= args.seconds:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            if proc.poll() is not None:
                elapsed = time.monotonic() - start
                clock_step = round((time.time() - wall_start) - elapsed)
                results.append(summarize(build, t, proc.returncode, log, scratch / "artifacts" / t, elapsed,
                                         clock_step if abs(clock_step) > 2 else 0))
                del running[t]
    results.sort(key=lambda r: TARGETS.index(r["target"]))
    print(f"{'target':<9} {'seconds':>7} {'execs':>10} {'exec/s':>7} {'corpus':>6} {'cov':>5} {'ft':>6}  findings")
    bad = False
    for r in results:
        found = ", ".join(r["findings"]) or ("exit %d" % r["rc"] if r["rc"] else "none")
        if r["real_findings"] or r["rc"]:
            bad = True
            found += f"  (log: {r['log']})"
        print(f"{r['target']:<9} {r['seconds']:>7} {r['execs']:>10} {r['exec_s']:>7} {r['corpus']:>6} {r['cov']:>5} "
              f"{r['ft']:>6}  {found}")
    if bad or args.scratch:
        print(f"scratch: {scratch}")
    else:
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
