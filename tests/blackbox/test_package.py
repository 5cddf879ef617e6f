"""Installing tend: `make install` / `install-compat` / `uninstall` into a DESTDIR, and the .deb
(scripts/deb.sh): its fields and files, lintian, reproducibility, and `dpkg -i` into a clean root
where it replaces a stand-in `supervisor` package, after which the installed `supervisord` (tend)
runs and the installed `supervisorctl` (tendctl) drives it with supervisorctl's own invocation.

The package is built from $TEND_BUILD's tend and tendctl and from placeholder man pages made here
(the real ones come from `make man`); `make deb` packages make dist's static binaries the same way.
"""
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest

from conftest import wait_for

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("TEND_BUILD", REPO / "build"))
DEB_SH = REPO / "scripts" / "deb.sh"
EPOCH = "1700000000"
VERSION = "1.2.3-4-gabcdef0"
DEBVER = "1.2.3+4.gabcdef0-1"
MAINTAINER = "Test Packager <packager@example.org>"
MAN_PAGES = (("tend", "8"), ("tendctl", "1"), ("tend.conf", "5"))
# dpkg looks for ldconfig and start-stop-daemon on PATH even when it runs no maintainer script.
DPKG_ENV = {**os.environ, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}


def need(*tools):
    for tool in tools:
        if shutil.which(tool, path=DPKG_ENV["PATH"]) is None:
            pytest.skip(f"needs {tool} (scripts/install-deps.sh)")


def need_binaries():
    for b in ("tend", "tendctl"):
        if not os.access(BUILD / b, os.X_OK):
            pytest.skip(f"{BUILD / b} is not built (set TEND_BUILD or run make)")


def run(argv, **kw):
    """Runs argv; fails the test with its output when it exits non-zero."""
    r = subprocess.run([str(a) for a in argv], capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{argv} exited {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


def is_static(path):
    return "Requesting program interpreter" not in run(["readelf", "-l", path]).stdout


@pytest.fixture(scope="module")
def man_dir(tmp_path_factory):
    """Placeholder man pages in the three sections make man produces."""
    d = tmp_path_factory.mktemp("man")
    for name, sec in MAN_PAGES:
        (d / f"{name}.{sec}").write_text(
            f'.TH {name.upper()} {sec} "2023-11-14" "tend" "tend"\n.SH NAME\n{name} \\- placeholder\n'
            ".SH DESCRIPTION\nA placeholder page for the package test.\n")
    return d


def build_deb(man_dir, out, bin_dir=BUILD, extra=(), compress="xz"):
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "DEB_MAINTAINER": MAINTAINER, "DEB_COMPRESS": compress}
    r = run(["bash", DEB_SH, "--bin", bin_dir, "--arch", "amd64", "--out", out, "--man", man_dir,
             "--version", VERSION, *extra], env=env)
    return Path(r.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def deb(man_dir, tmp_path_factory):
    need_binaries()
    need("dpkg-deb", "readelf", "strip", "dpkg-shlibdeps")
    return build_deb(man_dir, tmp_path_factory.mktemp("deb"))


@pytest.fixture(scope="module")
def static_deb(man_dir, tmp_path_factory):
    """A package whose binaries are both static, as make dist's are (tend's file in both places:
    only the packaging is under test here)."""
    need_binaries()
    if not is_static(BUILD / "tend"):
        pytest.skip(f"{BUILD / 'tend'} is not static (TEND_STATIC=ON is the default)")
    bin_dir = tmp_path_factory.mktemp("static-bin")
    for b in ("tend", "tendctl"):
        shutil.copy2(BUILD / "tend", bin_dir / b)
    return build_deb(man_dir, tmp_path_factory.mktemp("static-deb"), bin_dir=bin_dir, compress="gzip")


# ---------------------------------------------------------------------------------------------
# Version mapping

@pytest.mark.parametrize("version,expected", [
    ("1.2.3", "1.2.3-1"),
    ("v1.2.3", "1.2.3-1"),
    ("1.2.3-4-g1a2b3c4", "1.2.3+4.g1a2b3c4-1"),
    ("0.1.0-g1a2b3c4", "0.1.0+g1a2b3c4-1"),
    ("1a2b3c4", "0~g1a2b3c4-1"),
    ("1.2.3-rc1", "1.2.3~rc1-1"),
    ("1.2.3-4-g1a2b3c4-dirty", "1.2.3+4.g1a2b3c4+dirty-1"),
])
def test_debian_version_mapping(version, expected):
    r = run(["bash", REPO / "scripts" / "debversion.sh", version])
    assert r.stdout.strip() == expected


def test_debian_versions_sort_like_the_commits():
    need("dpkg")
    order = ["0~g1a2b3c4-1", "0.1.0+g1a2b3c4-1", "1.2.3~rc1-1", "1.2.3-1", "1.2.3+4.g1a2b3c4-1", "1.2.4-1"]
    for older, newer in zip(order, order[1:]):
        run(["dpkg", "--compare-versions", older, "lt", newer])


def test_debian_version_mapping_refuses_a_non_version():
    r = subprocess.run(["bash", REPO / "scripts" / "debversion.sh", "main"], capture_output=True, text=True)
    assert r.returncode == 1
    assert "unable to map version 'main'" in r.stderr


# ---------------------------------------------------------------------------------------------
# The .deb itself

def test_deb_name_and_control_fields(deb):
    assert deb.name == f"tend_{DEBVER}_amd64.deb"
    fields = dict(line.split(": ", 1) for line in
                  run(["dpkg-deb", "-f", deb]).stdout.splitlines() if not line.startswith(" "))
    assert fields["Package"] == "tend"
    assert fields["Version"] == DEBVER
    assert fields["Architecture"] == "amd64"
    assert fields["Maintainer"] == MAINTAINER
    for rel in ("Provides", "Conflicts", "Replaces"):
        assert fields[rel] == "supervisor", rel
    assert fields["Section"] == "admin"
    assert fields["Priority"] == "optional"
    assert int(fields["Installed-Size"]) > 0
    # A static build depends on nothing; a dynamic tendctl (a developer build) on what it links.
    dynamic = [b for b in ("tend", "tendctl") if not is_static(BUILD / b)]
    assert ("Depends" in fields) == bool(dynamic)
    if dynamic:
        assert "libc6" in fields["Depends"]


def test_deb_control_has_no_maintainer_scripts(deb):
    with tempfile.TemporaryDirectory() as d:
        run(["dpkg-deb", "-e", deb, d])
        assert sorted(os.listdir(d)) == ["conffiles", "control", "md5sums"]
        assert Path(d, "conffiles").read_text() == "/etc/supervisor/supervisord.conf\n"
        sums = Path(d, "md5sums").read_text()
    assert "usr/bin/tend\n" in sums and "usr/share/doc/tend/copyright\n" in sums
    assert "etc/supervisor" not in sums  # conffiles: dpkg records their hashes itself


def test_deb_files_modes_and_owners(deb):
    r = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], capture_output=True, check=True)
    with tempfile.TemporaryFile() as f:
        f.write(r.stdout)
        f.seek(0)
        members = {m.name.lstrip("./").rstrip("/"): m for m in tarfile.open(fileobj=f)}
    for m in members.values():
        assert (m.uname, m.gname, m.uid, m.gid) == ("root", "root", 0, 0), m.name
        assert m.mtime == int(EPOCH), m.name
    files = {
        "usr/bin/tend": 0o755, "usr/bin/tendctl": 0o755,
        "usr/share/man/man8/tend.8.gz": 0o644, "usr/share/man/man1/tendctl.1.gz": 0o644,
        "usr/share/man/man5/tend.conf.5.gz": 0o644,
        "etc/supervisor/supervisord.conf": 0o644,
        "lib/systemd/system/supervisor.service": 0o644,
        "usr/share/doc/tend/copyright": 0o644, "usr/share/doc/tend/changelog.Debian.gz": 0o644,
        "usr/share/lintian/overrides/tend": 0o644,
    }
    for name, mode in files.items():
        assert name in members, name
        assert members[name].isreg(), name
        assert members[name].mode == mode, f"{name}: {oct(members[name].mode)}"
    links = {
        "usr/bin/supervisord": "tend", "usr/bin/supervisorctl": "tendctl",
        "usr/bin/echo_supervisord_conf": "tend",
        "usr/share/man/man8/supervisord.8.gz": "tend.8.gz",
        "usr/share/man/man1/supervisorctl.1.gz": "tendctl.1.gz",
        "usr/share/man/man8/echo_supervisord_conf.8.gz": "tend.8.gz",
    }
    for name, target in links.items():
        assert members[name].issym() and members[name].linkname == target, name
    for d in ("etc/supervisor/conf.d", "var/log/supervisor"):
        assert members[d].isdir() and members[d].mode == 0o755, d


def test_deb_service_unit_and_copyright(deb, tmp_path):
    run(["dpkg-deb", "-x", deb, tmp_path])
    unit = (tmp_path / "lib/systemd/system/supervisor.service").read_text()
    assert "ExecStart=/usr/bin/tend -n -c /etc/supervisor/supervisord.conf\n" in unit
    assert "Alias=tend.service\n" in unit
    copyright_ = (tmp_path / "usr/share/doc/tend/copyright").read_text()
    assert copyright_.startswith("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n")
    assert "License: Expat\n Permission is hereby granted" in copyright_
    # The packaged binaries are stripped: no symbol table, no .comment.
    sections = run(["readelf", "-S", tmp_path / "usr/bin/tend"]).stdout
    assert ".symtab" not in sections and ".comment" not in sections


def test_deb_refuses_a_binary_of_the_other_architecture(man_dir, tmp_path):
    need_binaries()
    r = subprocess.run(["bash", DEB_SH, "--bin", BUILD, "--arch", "arm64", "--out", tmp_path,
                        "--man", man_dir, "--version", VERSION], capture_output=True, text=True)
    assert r.returncode == 1
    assert "not an arm64 (AArch64) binary" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_deb_is_reproducible_from_another_directory(deb, man_dir, tmp_path):
    # Another copy of the binaries and man pages, another output directory: the same bytes.
    other_bin = tmp_path / "elsewhere" / "bin"
    other_bin.mkdir(parents=True)
    for b in ("tend", "tendctl"):
        shutil.copy2(BUILD / b, other_bin / b)
    other_man = shutil.copytree(man_dir, tmp_path / "elsewhere" / "man")
    again = build_deb(other_man, tmp_path / "out", bin_dir=other_bin)
    assert again.name == deb.name
    assert again.read_bytes() == deb.read_bytes()


def test_static_deb_depends_on_nothing(static_deb):
    r = subprocess.run(["dpkg-deb", "-f", str(static_deb), "Depends"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == ""
    with tempfile.TemporaryDirectory() as d:
        run(["dpkg-deb", "-x", static_deb, d])
        overrides = Path(d, "usr/share/lintian/overrides/tend").read_text()
    assert "tend: statically-linked-binary [usr/bin/tend]\n" in overrides
    assert "tend: statically-linked-binary [usr/bin/tendctl]\n" in overrides


def test_deb_is_lintian_clean(static_deb):
    """The release's shape (static binaries): no error or warning, overrides included."""
    need("lintian")
    deb = static_deb
    r = subprocess.run(["lintian", "--fail-on", "error,warning", "--tag-display-limit", "0", str(deb)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    tags = [line for line in r.stdout.splitlines() if line[:2] in ("E:", "W:")]
    assert tags == []


# ---------------------------------------------------------------------------------------------
# dpkg -i into a clean root, replacing a stand-in supervisor package

STAND_IN_CONF = "; the stand-in supervisor's configuration, edited by its user\n"


def make_stand_in_supervisor(out):
    """A package named supervisor that owns the paths Debian's does (a script for supervisord)."""
    root = out / "supervisor-root"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN/control").write_text(
        "Package: supervisor\nVersion: 4.2.5-1\nArchitecture: all\nMaintainer: Nobody <nobody@example.org>\n"
        "Description: stand-in for Debian's supervisor\n for the package test\n")
    (root / "DEBIAN/conffiles").write_text("/etc/supervisor/supervisord.conf\n")
    for name in ("supervisord", "supervisorctl", "echo_supervisord_conf"):
        script = root / "usr/bin" / name
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text("#!/bin/sh\necho stand-in\n")
        script.chmod(0o755)
    conf = root / "etc/supervisor/supervisord.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text(STAND_IN_CONF)
    (root / "lib/systemd/system").mkdir(parents=True)
    (root / "lib/systemd/system/supervisor.service").write_text("[Service]\nExecStart=/usr/bin/supervisord\n")
    deb = out / "supervisor_4.2.5-1_all.deb"
    run(["dpkg-deb", "--root-owner-group", "--build", root, deb])
    return deb


def dpkg_status(root, package):
    r = subprocess.run(["dpkg-query", f"--admindir={root}/var/lib/dpkg", "-W", "-f=${db:Status-Abbrev}",
                        package], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else "not-installed"


def installed_conf(root, sock, logdir):
    """The package's supervisord.conf with its absolute paths moved into the test's directories."""
    text = (root / "etc/supervisor/supervisord.conf.dpkg-dist").read_text()
    text = (text.replace("/run/supervisor.sock", str(sock))
                .replace("/run/supervisord.pid", str(logdir / "supervisord.pid"))
                .replace("/var/log/supervisor", str(logdir))
                .replace("/etc/supervisor/conf.d", str(root / "etc/supervisor/conf.d")))
    assert "/run/" not in text and "/var/log" not in text
    return text


def install_over_stand_in(deb, tmp_path, edit_conf):
    """A clean dpkg root with the stand-in supervisor installed (its conffile edited when edit_conf),
    then tend's package installed over it non-interactively; returns (root, dpkg argv, log)."""
    need("dpkg", "dpkg-query")
    if os.geteuid() != 0:
        pytest.skip("needs root: dpkg --root installs root-owned files")
    root = tmp_path / "root"
    (root / "var/lib/dpkg/info").mkdir(parents=True)
    (root / "var/lib/dpkg/updates").mkdir()
    (root / "var/lib/dpkg/status").touch()
    log = tmp_path / "dpkg.log"
    dpkg = ["dpkg", f"--root={root}", "--force-script-chrootless", f"--log={log}"]
    run(dpkg + ["-i", make_stand_in_supervisor(tmp_path)], env=DPKG_ENV)
    assert dpkg_status(root, "supervisor") == "ii"
    if edit_conf:
        with open(root / "etc/supervisor/supervisord.conf", "a") as f:
            f.write(EDITED)
    # --force-confold: an edited conffile is kept without asking (interactively dpkg asks).
    # A developer build's dynamic tendctl makes the package depend on libc6 and libstdc++6, which
    # this empty root lacks (the host has them); make dist's static binaries depend on nothing.
    depends = run(["dpkg-deb", "-f", deb, "Depends"]).stdout.strip()
    run(dpkg + ["--force-confold", *(["--force-depends"] if depends else []), "-i", deb], env=DPKG_ENV)
    assert dpkg_status(root, "tend") == "ii"
    # Removed, its conffile left in "config-files" state (the second letter is the package's state).
    assert dpkg_status(root, "supervisor")[1:2] in ("c", "n"), dpkg_status(root, "supervisor")
    assert "status config-files supervisor:all 4.2.5-1" in log.read_text()
    return root, dpkg, log


EDITED = "; a line its user added\n"


def test_dpkg_install_takes_over_an_untouched_supervisor_conf(deb, tmp_path):
    root, _, _ = install_over_stand_in(deb, tmp_path, edit_conf=False)
    packaged = (REPO / "packaging/deb/supervisord.conf").read_text()
    assert (root / "etc/supervisor/supervisord.conf").read_text() == packaged
    assert not (root / "etc/supervisor/supervisord.conf.dpkg-dist").exists()


def test_dpkg_install_replaces_supervisor_and_the_compat_names_work(deb, tmp_path, spawn):
    root, dpkg, _ = install_over_stand_in(deb, tmp_path, edit_conf=True)
    assert os.readlink(root / "usr/bin/supervisord") == "tend"
    assert os.readlink(root / "usr/bin/supervisorctl") == "tendctl"
    assert os.readlink(root / "usr/bin/echo_supervisord_conf") == "tend"
    assert "[supervisord]" in run([root / "usr/bin/echo_supervisord_conf"]).stdout
    assert (root / "etc/supervisor/supervisord.conf").read_text() == STAND_IN_CONF + EDITED
    assert "Alias=tend.service" in (root / "lib/systemd/system/supervisor.service").read_text()
    owned = run(["dpkg-query", f"--admindir={root}/var/lib/dpkg", "-S", "/usr/bin/supervisord"]).stdout
    assert owned.startswith("tend:")

    # The installed supervisord (tend) on the packaged config, one program from conf.d.
    rundir = Path(tempfile.mkdtemp(prefix="tpkg-"))  # short: unix socket paths are limited
    try:
        logdir = tmp_path / "log"
        logdir.mkdir()
        conf = tmp_path / "supervisord.conf"
        conf.write_text(installed_conf(root, rundir / "s.sock", logdir))
        (root / "etc/supervisor/conf.d/sleeper.conf").write_text(
            "[program:sleeper]\ncommand=/bin/sleep 1000\nstartsecs=0\n")
        sup = spawn([root / "usr/bin/supervisord", "-n", "-c", conf])
        ctl = [root / "usr/bin/supervisorctl", "-c", conf]

        def status():
            r = subprocess.run([str(a) for a in ctl + ["status"]], capture_output=True, text=True)
            return r.stdout

        wait_for(lambda: "RUNNING" in status(), what=lambda: f"sleeper RUNNING\n{sup.describe()}")
        assert status().startswith("sleeper")
        assert "sleeper: stopped" in run(ctl + ["stop", "sleeper"]).stdout
        assert "STOPPED" in status()
        assert "sleeper: started" in run(ctl + ["start", "sleeper"]).stdout
        assert "RUNNING" in status()
        run(ctl + ["shutdown"])
        assert sup.wait(15) == 0
        assert "spawned: 'sleeper'" in (logdir / "supervisord.log").read_text()
    finally:
        shutil.rmtree(rundir, ignore_errors=True)

    # Removing tend leaves the root as the stand-in's removal left it: no tend file behind.
    run(dpkg + ["--purge", "tend"], env=DPKG_ENV)
    assert not (root / "usr/bin/tend").exists() and not (root / "usr/bin/supervisord").is_symlink()


# ---------------------------------------------------------------------------------------------
# make install / install-compat / uninstall

def make(target, destdir, man_dir, *extra):
    """Runs a make target of the repo on $TEND_BUILD (up to date: `all` only checks it). Under make test
    the parent's jobserver is not ours to use, so its variables are dropped."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run(["make", "--no-print-directory", "-C", REPO, target, f"BUILD={BUILD}",
                           f"DESTDIR={destdir}", "PREFIX=/usr/local", f"MAN_OUT={man_dir}", *extra],
                          capture_output=True, text=True, env=env)


def tree_files(top):
    """Every non-directory below top, relative."""
    return sorted(str(p.relative_to(top)) for p in top.rglob("*") if p.is_symlink() or not p.is_dir())


def test_make_install_compat_and_uninstall(man_dir, tmp_path):
    need_binaries()
    dest = tmp_path / "dest"
    bindir = dest / "usr/local/bin"
    bindir.mkdir(parents=True)
    (bindir / "other-tool").write_text("#!/bin/sh\n")  # not ours: must survive uninstall
    r = make("install-compat", dest, man_dir, "GZIP_MAN=1")
    assert r.returncode == 0, r.stdout + r.stderr
    assert tree_files(dest) == sorted([
        "usr/local/bin/other-tool", "usr/local/bin/tend", "usr/local/bin/tendctl",
        "usr/local/bin/supervisord", "usr/local/bin/supervisorctl", "usr/local/bin/echo_supervisord_conf",
        "usr/local/share/man/man1/tendctl.1.gz", "usr/local/share/man/man1/supervisorctl.1.gz",
        "usr/local/share/man/man5/tend.conf.5.gz",
        "usr/local/share/man/man8/tend.8.gz", "usr/local/share/man/man8/supervisord.8.gz",
        "usr/local/share/man/man8/echo_supervisord_conf.8.gz",
    ])
    assert (bindir / "tend").stat().st_mode & 0o777 == 0o755
    assert (bindir / "tend").read_bytes() == (BUILD / "tend").read_bytes()
    assert os.readlink(bindir / "supervisord") == "tend"
    assert os.readlink(dest / "usr/local/share/man/man8/supervisord.8.gz") == "tend.8.gz"
    # The compat name answers as tendctl does, with supervisorctl's options.
    help_text = run([bindir / "supervisorctl", "-h"]).stdout
    assert "-c, --configuration" in help_text
    # As supervisor's echo_supervisord_conf, tend prints its sample configuration.
    assert run([bindir / "echo_supervisord_conf"]).stdout == run([bindir / "tend", "--sample-config"]).stdout

    r = make("uninstall", dest, man_dir)
    assert r.returncode == 0, r.stdout + r.stderr
    assert tree_files(dest) == ["usr/local/bin/other-tool"]


def test_make_install_plain_has_no_compat_names(man_dir, tmp_path):
    need_binaries()
    dest = tmp_path / "dest"
    r = make("install", dest, man_dir)
    assert r.returncode == 0, r.stdout + r.stderr
    assert tree_files(dest) == sorted([
        "usr/local/bin/tend", "usr/local/bin/tendctl", "usr/local/share/man/man1/tendctl.1",
        "usr/local/share/man/man5/tend.conf.5", "usr/local/share/man/man8/tend.8",
    ])


def test_install_compat_never_overwrites_a_real_supervisord(man_dir, tmp_path):
    need_binaries()
    dest = tmp_path / "dest"
    bindir = dest / "usr/local/bin"
    bindir.mkdir(parents=True)
    (bindir / "supervisord").write_text("#!/bin/sh\necho pip-installed\n")
    r = make("install-compat", dest, man_dir)
    assert r.returncode != 0
    assert f"unable to install {bindir}/supervisord: it exists and is not a link to tend" in r.stderr
    assert (bindir / "supervisord").read_text() == "#!/bin/sh\necho pip-installed\n"
    # uninstall leaves it alone too: it is not tend's link.
    assert make("uninstall", dest, man_dir).returncode == 0
    assert tree_files(dest) == ["usr/local/bin/supervisord"]
