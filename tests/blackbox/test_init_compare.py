"""Comparison report: the init-mode scenarios run against tend, Debian's tini
and dumb-init (when installed), printed as a table (run pytest with -s to see
it) and written to <pytest tmp>/init_comparison.txt. Informational only: this
test never fails because another init behaves differently."""
import signal
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "fixtures_init"))
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


def test_comparison_report(tmp_path):
    inits = il.all_inits()
    table = {}
    for init in inits:
        for title, fn in ROWS:
            cell_dir = tmp_path / f"{init.name}-{len(table)}"
            cell_dir.mkdir()
            try:
                table[(title, init.name)] = fn(init, cell_dir)
            except Exception as e:  # noqa: BLE001 - a report, not a verdict
                table[(title, init.name)] = f"error: {type(e).__name__}: {e}"[:120]
                traceback.print_exc()
    out = ["", "init-mode comparison (T = got TERM, C = finished its cleanup before the init exited)"]
    for title, _ in ROWS:
        out.append(f"* {title}")
        for init in inits:
            out.append(f"    {init.name:10} {table[(title, init.name)]}")
    text = "\n".join(out) + "\n"
    report = tmp_path / "init_comparison.txt"
    report.write_text(text)
    print(text)
    print(f"(written to {report})")
