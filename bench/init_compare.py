#!/usr/bin/python3
"""The init-mode scenarios of tests/blackbox (fixtures_init/initlib.py) run against tend, Debian's
tini and dumb-init, printed as a table and written to bench/results/init_comparison.txt.

A report, not a test: another init behaving differently is information, and a scenario that
errors for one init is shown as an error cell. tend's own behaviour in every row is asserted by
tests/blackbox/test_init_*.py. Needs root and unshare (the scenarios run inits as PID 1).

Usage: /usr/bin/python3 bench/init_compare.py --build <abs build dir> [--out FILE]
"""
import argparse
import os
import signal
import sys
import tempfile
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "blackbox" / "fixtures_init"))
import initlib as il  # noqa: E402

FORWARD_SET = [s for s in range(1, 32) if s not in (signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD, signal.SIGTSTP,
                                                     signal.SIGTTIN, signal.SIGTTOU)] + [signal.SIGRTMIN + 2]


def _workers(w):
    parts = []
    for name in ("bgchild", "orphan", "daemon"):
        v = w[name]
        parts.append(f"{name[:3]}:{'T' * v['term'] or '-'}{'C' if v['clean'] else ''}")
    return " ".join(parts)


def _tree(r):
    return f"rc {r['rc']}, {r['elapsed']:.2f}s, {_workers(r['workers'])}"


def _forwarding(init, tmp):
    opts = ["--grace", "30"] if init.name == "tend" else []
    r = il.scenario_forwarding(init, tmp, FORWARD_SET, opts, per_signal_timeout=0.3)
    want = [int(s) for s in FORWARD_SET]
    if r["got"] == want:
        return f"all {len(want)} once, in order"
    missing = [s for s in want if s not in r["got"]]
    dups = sorted({s for s in r["got"] if r["got"].count(s) > 1})
    return f"missing {missing} dup {dups}"


def _sigconf(init, tmp):
    r = il.child_sigconf(init, tmp)
    ign = {signal.SIGINT, signal.SIGTTOU, signal.SIGSEGV}
    blk = {signal.SIGTERM, signal.SIGTTIN, signal.SIGILL}
    kept = ign <= set(r["ignored"]) and blk <= set(r["blocked"])
    leaked = sorted(set(r["blocked"]) - blk)
    return ("preserved" if kept else f"ign {r['ignored']} blk {r['blocked']}") + (f", leaks {leaked}" if leaked else "")


def _remap(init, tmp):
    if init.name == "dumb-init":
        return "n/a (no -e)"
    r = il.run_once(init, [il.PY, "-c", "import os; os.kill(os.getpid(), 15)"], ["-e", "143"], tmp=tmp)
    return f"rc {r.rc}"


def _zombies_below(init, tmp):
    r = il.scenario_zombies_below_pid1(init, tmp)
    warn = " (warns)" if "zombie" in r["stderr"] or "subreaper" in r["stderr"] else ""
    return f"rc {r['rc']}, {r['out']}{warn}"


def _fds(init, tmp):
    a = il.scenario_cwd_and_fds(init, tmp, pid1=False)
    return (f"init cwd {a['init_cwd']}; holds passed pipe: {'yes' if a['init_holds_pipe'] else 'no'}; "
            f"EOF while running: {'yes' if a['eof_while_running'] else 'no'}")


ROWS = [
    ("exit 3 / self-TERM / /nonexistent / /etc",
     lambda i, t: "/".join(str(v) for v in il.scenario_exit_codes(i, t).values())),
    ("-e 143 with child dying of TERM", _remap),
    ("forward 1..31 (no KILL STOP CHLD TSTP TTIN TTOU) + RTMIN+2", _forwarding),
    ("child's inherited ignores/blocks", _sigconf),
    ("100 orphans as PID 1", lambda i, t: str(il.scenario_zombies_pid1(i, t))),
    ("30 orphans, init as PID 2 under non-reaping PID 1", _zombies_below),
    ("§17 TERM to init, tree of 3 workers (cleanup .3/.6/.9 s)", lambda i, t: _tree(il.scenario_tree_stop(
        i, t, tag="s17"))),
    ("§18 same, daemon ignores TERM (tend --grace 1.5)", lambda i, t: _tree(il.scenario_tree_stop(
        i, t, ["--grace", "1.5"] if i.name == "tend" else [], ignore="daemon", tag="s18"))),
    ("§19 main exits 0 by itself, PID 1", lambda i, t: _tree(il.scenario_tree_stop(
        i, t, main_exits=True, tag="s19"))),
    ("§19 main exits 0 by itself, no namespace", lambda i, t: _tree(il.scenario_tree_stop(
        i, t, main_exits=True, pid1=False, tag="s19n"))),
    ("cwd and fd hygiene (not PID 1)", _fds),
]


def comparison(inits, tmp):
    table = {}
    for init in inits:
        for title, fn in ROWS:
            cell_dir = tmp / f"{init.name}-{len(table)}"
            cell_dir.mkdir()
            try:
                table[(title, init.name)] = fn(init, cell_dir)
            except Exception as e:  # noqa: BLE001 - a report, not a verdict
                table[(title, init.name)] = f"error: {type(e).__name__}: {e}"[:120]
                traceback.print_exc()
    out = ["init-mode comparison (T = got TERM, C = finished its cleanup before the init exited)"]
    for title, _ in ROWS:
        out.append(f"* {title}")
        for init in inits:
            out.append(f"    {init.name:10} {table[(title, init.name)]}")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", required=True, help="absolute build directory holding tend")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "init_comparison.txt"))
    args = ap.parse_args()
    os.environ["TEND_BUILD"] = args.build
    inits = il.all_inits()
    if not any(i.name == "tend" for i in inits):
        sys.exit(f"init_compare: {il.tend_binary()} is not built")
    with tempfile.TemporaryDirectory(prefix="tend-initcmp-", dir="/var/tmp") as tmp:
        text = comparison(inits, Path(tmp))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)
    print(f"(written to {out})")


if __name__ == "__main__":
    main()
