#!/usr/bin/python3
"""Writes src/config/unicode_tables.cc: the Unicode data behind config/unicode.cc's lower().

supervisord lower-cases option names with Python's str.lower() (RawConfigParser.optionxform), so
tend must lower-case exactly as the Python that runs supervisord does. The tables are therefore
taken from that Python's own str.lower(), not from a Unicode data file:

* k_lower_ranges: every code point whose lower() is one other code point, as runs
  {first, last, stride, delta}: the code points first, first+stride, ..., last all map to
  cp + delta. stride is 1, or 2 for the alternating upper/lower pairs (U+0100, U+0101, ...).
  Code points lowering to more than one code point are left to unicode.cc: in Python 3.11
  that is U+0130 alone.
* k_cased, k_case_ignorable: the Cased and Case_Ignorable properties, which decide whether a
  capital sigma lowers to final sigma. unicodedata does not expose them, so they are read back
  from str.lower() itself: a sigma right after a cased letter is final, and a case-ignorable
  character between them does not change that.

Usage:
  /usr/bin/python3 tools/gen_unicode_tables.py            # rewrite the file
  /usr/bin/python3 tools/gen_unicode_tables.py --check    # exit 1 if the file differs
The output depends only on the Python running this script (its Unicode version is in the header).
"""
import argparse
import difflib
import sys
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src" / "config" / "unicode_tables.cc"
MAX_CP = 0x10FFFF
SIGMA = "\u03a3"
FINAL_SIGMA = "\u03c2"


def lower_deltas():
    """[(cp, delta)] for every code point that lowers to a single other code point."""
    out = []
    for cp in range(MAX_CP + 1):
        low = chr(cp).lower()
        if len(low) == 1 and ord(low) != cp:
            out.append((cp, ord(low) - cp))
    return out


def multi_char_lowers():
    return [cp for cp in range(MAX_CP + 1) if len(chr(cp).lower()) > 1]


def lower_runs(deltas):
    """Greedy runs of equal delta at a constant stride of 1 or 2, in code point order."""
    runs = []
    i = 0
    while i < len(deltas):
        first, delta = deltas[i]
        last, stride = first, 1
        if i + 1 < len(deltas) and deltas[i + 1][1] == delta and deltas[i + 1][0] - first in (1, 2):
            stride = deltas[i + 1][0] - first
            j = i + 1
            while j < len(deltas) and deltas[j][1] == delta and deltas[j][0] == last + stride:
                last = deltas[j][0]
                j += 1
            i = j
        else:
            i += 1
        runs.append((first, last, stride, delta))
    return runs


def final_sigma_after(text):
    """Whether a capital sigma appended to `text` lowers to the final form."""
    return (text + SIGMA).lower()[-1] == FINAL_SIGMA


def case_properties():
    """(cased, case_ignorable) code point lists, read back from the final-sigma rule.
    Python looks back from the sigma past case-ignorable characters, and the sigma is final
    when the first other character is cased:
      "xS": final iff x is cased and not case-ignorable;
      "AxS": final iff x is case-ignorable or cased (A is cased).
    A character both cased and case-ignorable is always skipped, so its cased bit never matters;
    it is listed as case-ignorable only."""
    cased, ignorable = [], []
    for cp in range(MAX_CP + 1):
        c = chr(cp)
        if final_sigma_after(c):
            cased.append(cp)
        elif final_sigma_after("A" + c):
            ignorable.append(cp)
    return cased, ignorable


def ranges(cps):
    out = []
    for cp in cps:
        if out and out[-1][1] == cp - 1:
            out[-1][1] = cp
        else:
            out.append([cp, cp])
    return out


def render():
    deltas = lower_deltas()
    multi = multi_char_lowers()
    if multi != [0x130]:
        # unicode.cc hard-codes U+0130 -> "i" + U+0307; anything else needs code there too.
        sys.exit("gen_unicode_tables: code points lowering to several: "
                 + ", ".join(f"U+{cp:04X}" for cp in multi) + " (unicode.cc handles only U+0130)")
    cased, ignorable = case_properties()
    py = f"{sys.version_info.major}.{sys.version_info.minor}"
    unicode_version = ".".join(unicodedata.unidata_version.split(".")[:2])
    lines = [
        f"// GENERATED from Python {py}'s str.lower() (Unicode {unicode_version}) by "
        "tools/gen_unicode_tables.py; do not edit.",
        "// Each row maps the code points first..last (every `stride`-th one) to cp + delta.",
        "// U+0130 (lower-cases to two code points) is handled in unicode.cc.",
        '#include "config/unicode_tables.h"',
        "",
        "namespace tend::unicode_tables {",
        "",
        "const LowerRange k_lower_ranges[] = {",
    ]
    lines += [f"    {{0x{a:04X}, 0x{b:04X}, {s}, {d}}}," for a, b, s, d in lower_runs(deltas)]
    lines += [
        "};",
        "const int k_lower_range_count = sizeof(k_lower_ranges) / sizeof(k_lower_ranges[0]);",
        "",
        "// Cased and case-ignorable code points, derived from how str.lower() treats",
        "// a following capital sigma (final-sigma rule).",
        "const CodeRange k_cased[] = {",
    ]
    lines += [f"    {{0x{a:04X}, 0x{b:04X}}}," for a, b in ranges(cased)]
    lines += [
        "};",
        "const int k_cased_count = sizeof(k_cased) / sizeof(k_cased[0]);",
        "const CodeRange k_case_ignorable[] = {",
    ]
    lines += [f"    {{0x{a:04X}, 0x{b:04X}}}," for a, b in ranges(ignorable)]
    lines += [
        "};",
        "const int k_case_ignorable_count = sizeof(k_case_ignorable) / sizeof(k_case_ignorable[0]);",
        "",
        "}  // namespace tend::unicode_tables",
    ]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description="Generate src/config/unicode_tables.cc from Python's str.lower().")
    ap.add_argument("--check", action="store_true", help="compare with the committed file instead of writing")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    text = render()
    if not args.check:
        args.out.write_text(text)
        return 0
    current = args.out.read_text() if args.out.exists() else ""
    if current == text:
        return 0
    sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), text.splitlines(True),
                                               str(args.out), "generated", n=1))
    print(f"{args.out} differs from what {sys.executable} generates: "
          "run /usr/bin/python3 tools/gen_unicode_tables.py", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
