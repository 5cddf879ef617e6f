"""The "Binary size" table: stripped sizes of tend and tendctl per architecture, beside tend's RSS
with one program (the two goals of a small static release: < 3 MB, < 2.0 MiB)."""

import os
import shutil
import subprocess
import tempfile

SIZE_GOAL = 3_000_000  # bytes, stripped static tend
STRIP = {"amd64": "strip", "arm64": "aarch64-linux-gnu-strip"}


def _arch(path):
    out = subprocess.run(["readelf", "-h", path], capture_output=True, text=True).stdout
    if "AArch64" in out:
        return "arm64"
    if "X86-64" in out:
        return "amd64"
    return "?"


def _linkage(path):
    out = subprocess.run(["readelf", "-lW", path], capture_output=True, text=True).stdout
    return "dynamic" if "INTERP" in out else "static"


def _stripped_size(path, arch):
    strip = shutil.which(STRIP.get(arch, "strip"))
    if strip is None:
        return None
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "s")
        if subprocess.run([strip, "-o", out, path], capture_output=True).returncode != 0:
            return None
        return os.path.getsize(out)


def measure(build_dirs):
    """One row per binary found in `build_dirs`: arch, name, linkage, stripped bytes."""
    rows = []
    for d in build_dirs:
        for name in ("tend", "tendctl"):
            path = os.path.join(d, name)
            if not os.access(path, os.X_OK):
                continue
            arch = _arch(path)
            rows.append({"arch": arch, "binary": name, "linkage": _linkage(path),
                         "build": d, "stripped_bytes": _stripped_size(path, arch)})
    return rows


def markdown(rows, rss_mib):
    out = ["", "## Binary size", "",
           "| binary | arch | linkage | stripped | target | met? | RSS, 1 program | target | met? |",
           "|---|---|---|--:|---|---|--:|---|---|"]
    for r in rows:
        size = r["stripped_bytes"]
        shown = f"{size:,} B" if size is not None else "n/a (no strip for this arch)"
        is_tend = r["binary"] == "tend"
        tgt = "< 3 MB" if is_tend else ""
        met = ("yes" if size < SIZE_GOAL else "**NO**") if is_tend and size is not None else ""
        rss = rss_cell = rss_met = ""
        if is_tend and r["arch"] == "amd64" and rss_mib is not None:
            rss = f"{rss_mib:.2f} MiB"
            rss_cell = "< 2.0 MiB"
            rss_met = "yes" if rss_mib < 2.0 else "**NO**"
        out.append(f"| {r['binary']} | {r['arch']} | {r['linkage']} | {shown} | {tgt} | {met} | "
                   f"{rss} | {rss_cell} | {rss_met} |")
    if not rows:
        out.append("| (no binaries found) | | | | | | | | |")
    out += ["", "RSS is tend's median of the \"memory N=1\" case of this run (amd64 only)."]
    return "\n".join(out) + "\n"
