#!/usr/bin/python3
"""tend side by side with supervisord 4.2.5, tini and dumb-init, and the machine's own limits.

Usage: /usr/bin/python3 bench/run.py --build <abs build dir> [--quick] [--require tend]
See bench/README.md.
"""

import argparse
import datetime
import json
import os
import platform
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import binsize, procs, products, report, scenarios  # noqa: E402

BASELINES = ("supervisord", "tini", "dumb-init")


def _on_sigterm(signum, frame):
    del signum, frame
    raise KeyboardInterrupt


def _machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            mem = f"{int(f.readline().split()[1]) // 1024} MiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "nproc": os.cpu_count(),
        "kernel": platform.release(),
        "cpu": cpu,
        "memory": mem,
        "loadavg at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "tmp dir": os.environ.get("TMPDIR", "/tmp"),
    }


def _fmt_dur(s):
    return f"{s / 60:.1f} min" if s >= 90 else f"{s:.0f} s"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                    "..", "build"),
                    help="directory holding tend and tendctl")
    ap.add_argument("--quick", action="store_true", help="smoke run: small N, short windows")
    ap.add_argument("--require", action="append", default=[], metavar="PRODUCT",
                    help="fail unless PRODUCT produces every number (e.g. --require tend)")
    ap.add_argument("--only", action="append", default=[], metavar="SCENARIO",
                    help="run only these scenarios (startup, shutdown, memory, idle, logs, "
                         "control, spawn, events, deps, lifecycle, metrics, web); repeatable")
    ap.add_argument("--products", default="tend,supervisord,tini,dumb-init",
                    help="comma-separated products to include")
    ap.add_argument("--reps", type=int, help="override the repetitions of every scenario")
    ap.add_argument("--arm64-build", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                          "..", "build-arm64"),
                    help="directory of an arm64 build (cmake/aarch64-linux-gnu.cmake), for the "
                         "Binary size table; skipped when absent")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "results"))
    ap.add_argument("--keep", action="store_true", help="keep the per-run temp dirs")
    ap.add_argument("--dry-run", action="store_true",
                    help="check the products, print the plan and its expected duration, stop")
    args = ap.parse_args()

    signal.signal(signal.SIGTERM, _on_sigterm)
    signal.signal(signal.SIGINT, _on_sigterm)  # also when started with SIGINT ignored
    started_at = datetime.datetime.now()
    t_begin = time.monotonic()
    mode = "quick" if args.quick else "full"
    build = os.path.abspath(args.build)
    wanted = [p.strip() for p in args.products.split(",") if p.strip()]
    all_products = [p for p in products.all_products(build) if p.name in wanted]
    required = set(args.require)

    cases = scenarios.build(args.quick)
    if args.only:
        unknown = set(args.only) - {c.scenario for c in cases}
        if unknown:
            ap.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
        cases = [c for c in cases if c.scenario in args.only]
    if args.reps:
        for c in cases:
            c.reps = args.reps
            c.reps_for = {}

    rep = report.Report(cases, [p.name for p in all_products])
    failures = []
    ready, versions = [], {}
    tracking = procs.tracker_kind()
    try:
        print(f"tend bench ({mode}); build dir {build}; tracking: {tracking}", flush=True)
        # Which products run at all: a product that cannot start is n/a everywhere.
        for p in all_products:
            why = p.unavailable() or p.preflight(args.keep)
            versions[p.name] = p.version() if not p.unavailable() else "absent"
            if why:
                print(f"  {p.name}: n/a: {why}", flush=True)
                for c in cases:
                    if c.applies(p):
                        rep.set_status(c, p.name, "n/a", why)
                if p.name in required:
                    failures.append(f"{p.name} is required but {why}")
            else:
                ready.append(p)
                if p.kind == "supervisor" and p.no_rpc:
                    print(f"  {p.name}: runs programs, but {p.no_rpc}: startup and control "
                          "are n/a, the rest watch the process tree", flush=True)
                    for c in cases:
                        if c.needs_rpc and c.applies(p):
                            rep.set_status(c, p.name, "n/a", p.no_rpc)
                else:
                    print(f"  {p.name}: ok ({versions[p.name]})", flush=True)

        # Cases a ready product cannot express at all: n/a with the reason, never run.
        for c in cases:
            for p in ready:
                if p.name in c.not_for:
                    rep.set_status(c, p.name, "n/a", c.not_for[p.name])

        # The plan: for each case, the entries (product or limit) and their repetitions.
        plan = []
        est = 0.0
        for c in cases:
            entries = [(p.name, p, c.reps_for.get(p.name, c.reps))
                       for p in ready if c.applies(p)
                       and rep.state(c.name, p.name)[0] != "n/a"]
            entries += [(name, fn, c.reps) for name, fn in c.limits]
            rep.limit_names[c.name] = [name for name, _ in c.limits]
            plan.append((c, entries))
            est += sum(r * c.est_for(name) for name, _, r in entries)
        total_runs = sum(r for _, e in plan for _, _, r in e)
        print(f"{len(cases)} cases, {total_runs} runs; expected duration ~{_fmt_dur(est)} "
              "(more on a loaded machine: supervisord's loop ticks stretch to 1 s)", flush=True)
        if args.dry_run:
            for c, entries in plan:
                print(f"  {c.name}: " + ", ".join(
                    f"{name}×{r} (~{r * c.est_for(name):.0f} s)" for name, _, r in entries))
            return 0

        done = 0
        for c, entries in plan:
            broken = set()
            for r in range(max((n for _, _, n in entries), default=0)):
                # rotate the order each repetition so no product always runs first
                order = entries[r % len(entries):] + entries[:r % len(entries)]
                for name, target, reps in order:
                    if r >= reps or name in broken:
                        continue
                    done += 1
                    t0 = time.monotonic()
                    label = f"[{done}/{total_runs}] {c.name} · {name} {r + 1}/{reps}"
                    try:
                        with procs.Sandbox(c.scenario, args.keep) as sb:
                            if isinstance(target, (products.Supervisor, products.Init)):
                                values = c.run(target, sb)
                                missing = [m.key for m in c.metrics
                                           if not m.optional and m.key not in values]
                                if missing:
                                    raise RuntimeError(f"no value for {', '.join(missing)}")
                            else:
                                values = target(sb)
                        rep.add(c, name, values)
                        shown = ", ".join(f"{k}={v:.4g}{'+' if isinstance(v, scenarios.Capped) else ''}"
                                          for k, v in values.items())
                        print(f"{label}: {shown} ({time.monotonic() - t0:.1f} s)", flush=True)
                    except KeyboardInterrupt:
                        raise
                    except scenarios.NotSupported as exc:
                        rep.set_status(c, name, "n/a", f"unsupported: {exc}")
                        broken.add(name)
                        print(f"{label}: n/a ({exc})", flush=True)
                    except Exception as exc:  # noqa: BLE001 - record and go on
                        reason = f"{type(exc).__name__}: {exc}"
                        rep.set_status(c, name, "error", reason)
                        broken.add(name)
                        print(f"{label}: ERROR {reason}", flush=True)
        interrupted = False
    except KeyboardInterrupt:
        interrupted = True
        print("interrupted; cleaning up and writing partial results", flush=True)
    finally:
        procs.close_all()

    # Notes and limits.
    inits = [p.name for p in all_products if p.kind == "init"]
    if inits:
        for s in ("startup", "logs", "control", "spawn"):
            if any(c.scenario == s for c in cases):
                rep.notes.setdefault(s, []).append(
                    f"{', '.join(inits)}: n/a — no XML-RPC, no log capture and no restarts; "
                    "only shutdown, memory and idle apply to an init.")
    if any(c.scenario == "shutdown" for c in cases) and inits:
        rep.notes.setdefault("shutdown", []).append(
            f"{', '.join(inits)} run as PID 1 of a new PID namespace with a plain `sh` launcher "
            "(no TERM trap): the launcher dies on TERM, the init exits, and the kernel SIGKILLs "
            "whatever is left — fast, but not graceful (see the clean-exit count).")
    limits_rows = [(k, v) for k, v in _machine().items()]
    for case_name, key, name, unit in (("logs, no rotation", "rate", "limit: cat", "MiB/s"),
                                       ("logs, no rotation", "rate", "limit: dd", "MiB/s"),
                                       ("posix_spawn /bin/true (machine)", "rate",
                                        "limit: posix_spawn", "/s")):
        med = rep.median(case_name, key, name)
        if med is not None:
            limits_rows.append((f"{name[7:]} {'pipe→file' if unit == 'MiB/s' else 'spawn+wait'}",
                                f"{med:,.0f} {unit}"))
    limits_rows.append(("process tracking", tracking))
    limits_rows += [(f"version: {k}", v) for k, v in versions.items()]

    elapsed = time.monotonic() - t_begin
    header = [f"# tend bench, {mode} run, {started_at:%Y-%m-%d %H:%M:%S}",
              "",
              f"Duration {_fmt_dur(elapsed)}. Each cell is over `reps` runs, products interleaved. "
              "Ratio = product median / supervisord median in this run (lower is better for "
              "times, memory and CPU; higher for rates). Targets apply to tend only."
              + (" **Interrupted: partial results.**" if interrupted else "")]
    md = rep.markdown(header, limits_rows)
    sizes = binsize.measure([build] + ([os.path.abspath(args.arm64_build)]
                                       if os.path.isdir(args.arm64_build) else []))
    rss_1 = rep.median("memory N=1", "rss", "tend")
    md += binsize.markdown(sizes, rss_1)

    # The "cannot rot" check: a product that started must produce every number.
    lacking = []
    for c in cases:
        for p in [x for x in all_products if c.applies(x)]:
            state, reason = rep.state(c.name, p.name)
            counts = p.name in BASELINES or p.name in required
            unsupported = state == "n/a" and reason.startswith("unsupported:")
            if state == "error" and counts:
                failures.append(f"{c.name} · {p.name}: {reason}")
            elif unsupported and p.name in BASELINES:
                failures.append(f"{c.name} · {p.name}: {reason}")
            elif unsupported and c.feature and p.name in required:
                # A feature the build lacks (tend before event listeners) is reported, not
                # failed: the black-box tests are what require it.
                lacking.append(f"{c.name} · {p.name}: {reason}")
            elif state == "n/a" and p.name in c.not_for:
                pass  # cannot express the case at all: reported, not a failure
            elif state == "n/a" and p.name in required and p in ready:
                failures.append(f"{c.name} · {p.name}: n/a: {reason}")
            elif state is None and counts and p in ready and not interrupted:
                failures.append(f"{c.name} · {p.name}: no number")
        for name in rep.limit_names.get(c.name, []):
            if rep.state(c.name, name)[0] == "error":
                failures.append(f"{c.name} · {name}: {rep.state(c.name, name)[1]}")
    if interrupted:
        failures.append("interrupted")

    os.makedirs(args.out, exist_ok=True)
    stamp = started_at.strftime("%Y%m%d-%H%M%S")
    md_path = os.path.join(args.out, f"{stamp}{'-quick' if args.quick else ''}.md")
    with open(md_path, "w") as f:
        f.write(md)
    meta = {"mode": mode, "started": started_at.isoformat(timespec="seconds"),
            "duration_s": round(elapsed, 1), "build": build, "required": sorted(required),
            "failures": failures, "interrupted": interrupted,
            "git": _git_head(os.path.dirname(os.path.abspath(__file__)))}
    with open(os.path.join(args.out, "latest.json"), "w") as f:
        data = rep.as_json(meta, limits_rows)
        data["binary_size"] = {"rows": sizes, "tend_rss_1_program_mib": rss_1,
                               "goals": {"stripped_bytes": binsize.SIZE_GOAL, "rss_mib": 2.0}}
        json.dump(data, f, indent=1)
    print()
    print(md)
    print(f"written: {md_path} and {os.path.join(args.out, 'latest.json')}")
    if lacking:
        print("not counted against --require (feature not in this build):\n  " + "\n  ".join(lacking))
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        return 130 if interrupted else 1
    return 0


def _git_head(where):
    try:
        return subprocess.run(["git", "-C", where, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


if __name__ == "__main__":
    sys.exit(main())
