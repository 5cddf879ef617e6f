#!/usr/bin/env python3
"""Fails when a file under src/ includes a header from a layer it must not use.

The layers, bottom to top (HACKING.md has the picture):
  util  <-  sys  <-  config, log  <-  core  <-  rpc, http, events, health  <-  daemon  <-  src/main.cc
  init (tend -- cmd) sits on sys; ctl (tendctl) on config and rpc's wire format.
  web (the console) on core, http and rpc's process naming; daemon wires it.
Unit tests (*_test.cc) obey the same rules as the code beside them; test-only
helpers live in tests/fakes. Exit status 0 when clean, 1 with one line per
offending include.
"""
import pathlib
import re
import sys

ALLOWED = {
    "util": {"util"},
    "sys": {"util", "sys"},
    "config": {"util", "sys", "sched", "config"},
    "log": {"util", "sys", "log"},
    "core": {"util", "sys", "sched", "config", "log", "core"},
    "rpc": {"util", "sys", "sched", "config", "log", "core", "rpc"},
    "http": {"util", "sys", "config", "log", "core", "http"},
    "events": {"util", "sys", "config", "log", "core", "events"},
    # The web console (web/): on core's commands and events, the HTTP server,
    # and rpc's naming and descriptions of processes (the same as the page's).
    "web": {"util", "sys", "config", "log", "core", "http", "rpc", "web"},
    "health": {"util", "sys", "config", "log", "core", "health"},
    "daemon": {"util", "sys", "sched", "config", "log", "core", "rpc", "http", "events", "health", "daemon"},
    "init": {"util", "sys", "init"},
    "ctl": {"util", "sys", "config", "rpc", "ctl"},
    # schedule = (cron syntax, next run): pure, on util alone.
    "sched": {"util", "sched"},
}
ALLOWED["daemon"].add("web")  # the daemon wires the console into the control plane
# The two mains see everything they wire together.
MAINS = {"main.cc": {"config", "daemon", "init", "util"}, "tendctl_main.cc": {"ctl", "util", "config"}}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/[^"]+"', re.M)


def main() -> int:
    root = pathlib.Path(__file__).resolve().parent.parent / "src"
    bad = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".h", ".cc"):
            continue
        rel = path.relative_to(root)
        if len(rel.parts) == 1:
            allowed = MAINS.get(rel.name)
            if allowed is None:
                bad.append(f"src/{rel}: a file directly under src/ must be one of the mains")
                continue
        else:
            layer = rel.parts[0]
            if layer not in ALLOWED:
                bad.append(f"src/{rel}: folder {layer}/ is not in the layering (tools/check_layers.py)")
                continue
            allowed = ALLOWED[layer]
        text = path.read_text(encoding="utf-8", errors="replace")
        for m in INCLUDE.finditer(text):
            used = m.group(1)
            if used == "fakes" and rel.name.endswith("_test.cc"):
                continue
            if used not in allowed:
                line = text.count("\n", 0, m.start()) + 1
                bad.append(f"src/{rel}:{line}: includes {used}/, which {rel.parts[0] if len(rel.parts) > 1 else rel.name} must not use")
    for b in bad:
        print(b)
    if bad:
        print(f"check_layers: {len(bad)} include(s) against the layering", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
