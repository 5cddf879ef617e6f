"""The man pages (scripts/man.sh): generated from the docs, clean under groff, complete.

The pages are built once per module into a temporary directory. Each page must format without a
groff warning (`man --warnings`), start with NAME and SYNOPSIS, and carry no markdown leftovers.
The drift checks read the options out of `tend --help` (both modes) and `tendctl -h`, and the
commands out of `tendctl help`: each must appear in its page, so a new option cannot ship without
its documentation.
"""
import os
import re
import shutil
import subprocess

import pytest

from conftest import BUILD, REPO, TEND

TENDCTL = BUILD / "tendctl"
MAN_SH = REPO / "scripts" / "man.sh"
EPOCH = "1700000000"  # 2023-11-14 UTC
VERSION = "9.8.7-test"
PAGES = ("tend.8", "tendctl.1", "tend.conf.5")


def _generate(out_dir):
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH)
    subprocess.run(["bash", str(MAN_SH), str(out_dir), VERSION], env=env, check=True, timeout=60)


@pytest.fixture(scope="module")
def man_dir(tmp_path_factory):
    for tool in ("pandoc", "man"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed")
    out = tmp_path_factory.mktemp("man")
    _generate(out)
    return out


def _render(page):
    """(plain text, groff's stderr) of `man --warnings` on one page file."""
    env = dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING="", LC_ALL="C.UTF-8")
    proc = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", str(page)],
                          capture_output=True, env=env, timeout=30)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    text = proc.stdout.decode("utf-8")
    text = re.sub(r".\x08", "", text)            # overstrike bold and underline
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)   # SGR, should groff use it
    return text, proc.stderr.decode("utf-8", errors="replace")


@pytest.fixture(scope="module")
def rendered(man_dir):
    return {name: _render(man_dir / name) for name in PAGES}


def _flat(text):
    """The page's words on one line: a term may wrap anywhere between words."""
    return " ".join(text.split())


@pytest.mark.parametrize("name", PAGES)
def test_page_formats_without_groff_warnings(rendered, name):
    text, warnings = rendered[name]
    assert warnings == "", f"{name}: groff warnings:\n{warnings}"
    assert len(text.splitlines()) > 40


@pytest.mark.parametrize("name", PAGES)
def test_page_has_name_and_synopsis_first(rendered, name):
    text, _ = rendered[name]
    headings = [line for line in text.splitlines() if re.match(r"^[A-Z][A-Z ]+$", line)]
    assert headings[:2] == ["NAME", "SYNOPSIS"], headings[:5]
    title = name.rsplit(".", 1)[0]
    name_line = text.split("NAME", 1)[1].split("SYNOPSIS", 1)[0]
    assert re.search(rf"\b{re.escape(title)} - \S", _flat(name_line)), name_line


@pytest.mark.parametrize("name", PAGES)
def test_header_and_footer_carry_section_version_and_date(rendered, name):
    text, _ = rendered[name]
    lines = [line for line in text.splitlines() if line.strip()]
    title, section = name.rsplit(".", 1)
    assert lines[0].startswith(f"{title.upper()}({section})"), lines[0]
    assert f"tend {VERSION}" in lines[-1] and "2023-11-14" in lines[-1], lines[-1]


@pytest.mark.parametrize("name", PAGES)
def test_no_markdown_or_table_leftovers(man_dir, rendered, name):
    text, _ = rendered[name]
    for junk in ("](", "(#", ".md#", "|---", "**"):
        assert junk not in text, f"{name}: {junk!r} left in the page"
    # Tables become definition lists (scripts/man.lua): no tbl(1) input.
    assert ".TS" not in (man_dir / name).read_text()


def test_doc_links_become_page_references(rendered):
    text, _ = rendered["tend.conf.5"]
    # config.md links to containers.md and migration.md: named as docs, not as dead links.
    assert "docs/migration.md" in text
    tend_text, _ = rendered["tend.8"]
    assert "tendctl(1)" in tend_text and "tend.conf(5)" in tend_text


def test_generation_is_reproducible(man_dir, tmp_path):
    _generate(tmp_path)
    for name in PAGES:
        assert (tmp_path / name).read_bytes() == (man_dir / name).read_bytes(), name


def _help(argv):
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _options(help_text):
    """Every option named on a help line that starts with one: -c, --configuration, -?."""
    found = set()
    for line in help_text.splitlines():
        if not re.match(r"^\s+-", line):
            continue
        described = re.split(r"\s{2,}", line.strip())[0]  # the option column only
        found.update(re.findall(r"(?<![\w-])(--?[A-Za-z?][\w-]*)", described))
    return found


def _binary(path):
    if not path.exists():
        pytest.skip(f"{path} not built")
    return str(path)


def test_every_config_mode_option_is_in_tend_8(rendered):
    text, _ = rendered["tend.8"]
    options = _options(_help([_binary(TEND), "--help"]))
    assert {"-c", "--configuration", "-n", "-u", "--minprocs", "--profile_options"} <= options
    missing = sorted(o for o in options if not re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", text))
    assert missing == [], f"tend --help options missing from tend(8): {missing}"


def test_every_init_mode_option_is_in_tend_8(rendered):
    text, _ = rendered["tend.8"]
    options = _options(_help([_binary(TEND), "--help", "--"]))
    assert {"-e", "-g", "-p", "--grace", "--on-main-exit", "--no-subreaper", "--version"} <= options
    init_section = text.split("INIT MODE OPTIONS", 1)[1].split("SIGNALS", 1)[0]
    missing = sorted(o for o in options
                     if not re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", init_section))
    assert missing == [], f"init-mode options missing from tend(8) INIT MODE OPTIONS: {missing}"


def test_every_tendctl_option_is_in_tendctl_1(rendered):
    text, _ = rendered["tendctl.1"]
    options = _options(_help([_binary(TENDCTL), "-h"]))
    assert {"-c", "--serverurl", "-i", "--history_file", "-h"} <= options
    missing = sorted(o for o in options if not re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", text))
    assert missing == [], f"tendctl -h options missing from tendctl(1): {missing}"


def test_every_tendctl_command_is_in_tendctl_1(rendered):
    text, _ = rendered["tendctl.1"]
    # `help` runs locally; the URL is never contacted.
    listing = _help([_binary(TENDCTL), "-s", "http://127.0.0.1:9", "help"])
    commands = set(re.findall(r"\b[a-z]+\b", listing.split("=\n", 1)[1]))
    assert {"status", "start", "tail", "fg", "health", "update"} <= commands
    section = text.split("COMMANDS", 1)[1].split("EXIT STATUS", 1)[0]
    terms = set()
    for line in re.findall(r"^ {7}(\S.*)$", section, re.MULTILINE):
        # A short term shares its line with the definition, two spaces or more apart;
        # a term may name several commands ("quit, exit").
        term = re.split(r"\s{2,}", line)[0]
        terms.update(part.split()[0] for part in term.split(", ") if part.strip())
    missing = sorted(commands - terms)
    assert missing == [], f"commands missing from tendctl(1) COMMANDS: {missing}"
