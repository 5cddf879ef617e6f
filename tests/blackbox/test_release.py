"""The release machinery: versions from git tags (scripts/version.sh), the version the binaries
report, and the archive scripts/dist-pack.sh writes (members, owners, times, order, bytes that do
not depend on the directory, umask or file times) with its SHA256SUMS (scripts/dist-sums.sh).

Building the real archives takes minutes, so it is not done here: scripts/dist-build.sh refuses a
binary that `file` does not call static and stripped for its architecture, `make check-repro-quick`
(in make test) builds arm64 tend and tendctl twice from two clones and compares, and `make check-repro` runs
the whole make dist twice.
"""
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from conftest import BUILD, REPO, TEND

TENDCTL = BUILD / "tendctl"
VERSION_SH = REPO / "scripts" / "version.sh"
PACK_SH = REPO / "scripts" / "dist-pack.sh"
SUMS_SH = REPO / "scripts" / "dist-sums.sh"
EPOCH = 1700000000

# A fixed identity and no user or system config: the test repositories behave the same anywhere.
GIT_ENV = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], env=GIT_ENV, check=True,
                          capture_output=True, text=True).stdout.strip()


def version_of(repo):
    r = subprocess.run(["bash", str(VERSION_SH), str(repo)], env=GIT_ENV, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


@pytest.fixture
def repo(tmp_path):
    """A git repository with a CMakeLists.txt whose project() version is 3.4.5, one commit."""
    r = tmp_path / "repo"
    r.mkdir()
    (r / "CMakeLists.txt").write_text("project(demo VERSION 3.4.5 LANGUAGES CXX)\n")
    git(r, "init", "-q")
    git(r, "add", "CMakeLists.txt")
    git(r, "commit", "-qm", "one")
    return r


def sha12(repo):
    return git(repo, "rev-parse", "--short=12", "HEAD")


def test_version_outside_git_is_the_project_version(tmp_path):
    (tmp_path / "CMakeLists.txt").write_text("project(demo VERSION 3.4.5 LANGUAGES CXX)\n")
    assert version_of(tmp_path) == "3.4.5"


def test_version_without_a_tag_is_base_and_commit(repo):
    assert version_of(repo) == f"3.4.5-g{sha12(repo)}"
    # Only v<digit> tags count.
    git(repo, "tag", "release-9")
    git(repo, "tag", "vnext")
    assert version_of(repo) == f"3.4.5-g{sha12(repo)}"


def test_version_at_a_tag_and_after_it(repo):
    git(repo, "tag", "v1.2.3")
    assert version_of(repo) == "1.2.3"
    (repo / "a").write_text("a\n")
    git(repo, "add", "a")
    git(repo, "commit", "-qm", "two")
    git(repo, "commit", "-q", "--allow-empty", "-m", "three")
    assert version_of(repo) == f"1.2.3-2-g{sha12(repo)}"


def test_version_marks_uncommitted_changes_only(repo):
    (repo / "untracked").write_text("x\n")
    assert version_of(repo) == f"3.4.5-g{sha12(repo)}"
    with open(repo / "CMakeLists.txt", "a") as f:
        f.write("# changed\n")
    assert version_of(repo) == f"3.4.5-g{sha12(repo)}-dirty"
    git(repo, "tag", "v2.0.0")
    assert version_of(repo) == "2.0.0-dirty"
    # A file touched but not changed is not a change.
    git(repo, "checkout", "--", "CMakeLists.txt")
    os.utime(repo / "CMakeLists.txt", (EPOCH, EPOCH))
    assert version_of(repo) == "2.0.0"


def test_this_checkout_has_a_well_formed_version():
    v = version_of(REPO)
    assert re.fullmatch(r"\d+\.\d+\.\d+(-\d+)?(-g[0-9a-f]{12})?(-dirty)?", v), v


def built_version():
    """The version this build was configured with (the Makefile passes version.sh's)."""
    header = (BUILD / "generated" / "tend_version.h").read_text()
    m = re.search(r'k_tend_version_string\[\] = "([^"]*)"', header)
    assert m, header
    return m.group(1)


def test_binaries_report_the_configured_version():
    if not TEND.exists() or not TENDCTL.exists():
        pytest.skip(f"tend and tendctl not built in {BUILD}")
    v = built_version()
    # Edits made after the build change only the -dirty mark, which needs no new build to compare.
    assert v.removesuffix("-dirty") == version_of(REPO).removesuffix("-dirty"), \
        f"{BUILD} was built as {v}: run make"
    for argv, want in (([TEND, "--version"], v), ([TEND, "-v"], v), ([TENDCTL, "--version"], v),
                       ([TEND, "--version", "--", "false"], f"tend {v}")):
        r = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=10)
        assert (r.returncode, r.stdout, r.stderr) == (0, want + "\n", ""), argv
    # supervisorctl has no -v, so tendctl keeps refusing it.
    r = subprocess.run([str(TENDCTL), "-v"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "option -v not recognized" in r.stderr


@pytest.fixture(scope="module")
def pack_inputs(tmp_path_factory):
    """Stripped copies of this build's tend and tendctl, and three small man pages."""
    if not TEND.exists() or not TENDCTL.exists():
        pytest.skip(f"tend and tendctl not built in {BUILD}")
    d = tmp_path_factory.mktemp("inputs")
    (d / "bin").mkdir()
    (d / "man").mkdir()
    for name in ("tend", "tendctl"):
        subprocess.run(["strip", "--strip-all", "-R", ".comment", "-o", str(d / "bin" / name),
                        str(BUILD / name)], check=True)
    for page in ("tend.8", "tendctl.1", "tend.conf.5"):
        (d / "man" / page).write_text(f".TH {page} 1\n.SH NAME\n{page}\n")
    return d


def pack(inputs, out, arch="amd64", umask=0o022):
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(EPOCH)}
    r = subprocess.run(["bash", str(PACK_SH), "9.8.7", arch, str(inputs / "bin"),
                        str(inputs / "man"), str(out)], env=env, capture_output=True, text=True,
                       timeout=120, preexec_fn=lambda: os.umask(umask))
    assert r.returncode == 0, r.stderr
    archive = Path(r.stdout.strip())
    assert archive == out / f"tend-9.8.7-linux-{arch}.tar.gz"
    return archive


def test_archive_members_owners_times_and_order(pack_inputs, tmp_path):
    archive = pack(pack_inputs, tmp_path / "dist")
    top = "tend-9.8.7-linux-amd64"
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names == [top] + sorted(f"{top}/{p}" for p in (
        "LICENSE", "README.md", "bin", "bin/tend", "bin/tendctl", "share", "share/man",
        "share/man/man1", "share/man/man1/tendctl.1", "share/man/man5", "share/man/man5/tend.conf.5",
        "share/man/man8", "share/man/man8/tend.8"))
    for m in members:
        assert (m.uid, m.gid, m.uname, m.gname) == (0, 0, "", ""), m.name
        assert m.mtime == EPOCH, m.name
        executable = m.isdir() or "/bin/" in m.name
        assert m.mode == (0o755 if executable else 0o644), (m.name, oct(m.mode))
    with tarfile.open(archive) as tar:
        tend = tar.extractfile(f"{top}/bin/tend").read()
        assert tar.extractfile(f"{top}/LICENSE").read() == (REPO / "LICENSE").read_bytes()
    assert tend == (pack_inputs / "bin" / "tend").read_bytes()
    what = subprocess.run(["file", "-b", str(pack_inputs / "bin" / "tend")], capture_output=True,
                          text=True, check=True).stdout
    assert "statically linked" in what and ", stripped" in what, what
    # gzip -n: no file name and a zero time stamp in the gzip header.
    head = archive.read_bytes()[:10]
    assert head[3] & 0x08 == 0 and head[4:8] == b"\0\0\0\0"


def test_archive_bytes_do_not_depend_on_place_umask_or_file_times(pack_inputs, tmp_path):
    first = pack(pack_inputs, tmp_path / "one")
    moved = tmp_path / "elsewhere-inputs"
    shutil.copytree(pack_inputs, moved)
    for f in moved.rglob("*"):
        os.utime(f, (EPOCH + 12345, EPOCH + 12345))
    second = pack(moved, tmp_path / "a" / "much" / "longer" / "output", umask=0o077)
    assert first.read_bytes() == second.read_bytes()


def test_sha256sums_lists_each_archive_sorted_and_verifies(pack_inputs, tmp_path):
    out = tmp_path / "dist"
    archives = [pack(pack_inputs, out, arch) for arch in ("arm64", "amd64")]
    r = subprocess.run(["bash", str(SUMS_SH), str(out), *map(str, archives)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = (out / "SHA256SUMS").read_text().splitlines()
    assert [ln.split("  ")[1] for ln in lines] == ["tend-9.8.7-linux-amd64.tar.gz",
                                                   "tend-9.8.7-linux-arm64.tar.gz"]
    assert all(re.fullmatch(r"[0-9a-f]{64}  \S+", ln) for ln in lines)
    ok = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=out, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # A damaged download fails the check, as the README tells users to run it.
    with open(archives[0], "r+b") as f:
        f.seek(100)
        byte = f.read(1)
        f.seek(100)
        f.write(bytes([byte[0] ^ 0xFF]))
    bad = subprocess.run(["sha256sum", "-c", "--ignore-missing", "SHA256SUMS"], cwd=out,
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "FAILED" in bad.stdout
