"""TEND_STRICT=1 (make test): a test that would skip because something it needs is missing fails
instead, in pytest (conftest.py's hook) and in the unit tests (tests/fakes/missing_tool.h); skips
that are by design stay skips."""
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from conftest import BUILD

HERE = Path(__file__).resolve().parent

SAMPLE = '''
import pytest
from conftest import skip_by_design

def test_missing_tool():
    pytest.skip("missing frobnicator")

@pytest.mark.skipif(True, reason="needs root")
def test_marked():
    pass

def test_importorskip():
    pytest.importorskip("no_such_module_anywhere")

def test_by_design():
    skip_by_design("not meaningful here")

@pytest.mark.xfail(reason="known difference", strict=False)
def test_xfail():
    assert False

def test_passes():
    pass
'''


def outcomes(tmp_path, strict):
    """{test name: passed|failed|error|skipped} of SAMPLE run with our conftest."""
    shutil.copy(HERE / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    junit = tmp_path / f"junit-{strict}.xml"
    env = dict(os.environ)
    env.pop("TEND_STRICT", None)
    if strict:
        env["TEND_STRICT"] = "1"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}",
                    "test_sample.py"], cwd=tmp_path, env=env, capture_output=True, timeout=120)
    result = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        result[case.get("name")] = kinds[0] if kinds else "passed"
    return result


def test_strict_turns_missing_tool_skips_into_failures(tmp_path):
    assert outcomes(tmp_path, strict=True) == {
        "test_missing_tool": "failure", "test_marked": "error", "test_importorskip": "failure",
        "test_by_design": "skipped", "test_xfail": "skipped", "test_passes": "passed"}


def test_without_strict_missing_tools_skip(tmp_path):
    assert outcomes(tmp_path, strict=False) == {
        "test_missing_tool": "skipped", "test_marked": "skipped", "test_importorskip": "skipped",
        "test_by_design": "skipped", "test_xfail": "skipped", "test_passes": "passed"}


def test_unit_test_missing_root_skips_or_fails_under_strict(vartmp):
    """Spawn.UserSetsIdentityAndEnvironment needs root: run as nobody, it skips, or fails when strict."""
    exe = Path(os.environ.get("TEND_UNIT_TESTS", BUILD / "unit_tests"))  # make test: the ASan build's
    assert exe.exists(), f"{exe} is not built"
    os.chmod(vartmp, 0o755)
    copy = vartmp / "unit_tests"  # somewhere nobody may run it from
    shutil.copy(exe, copy)
    os.chmod(copy, 0o755)

    def run(strict):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        if strict:
            env["TEND_STRICT"] = "1"
        return subprocess.run([str(copy), "--gtest_filter=Spawn.UserSetsIdentityAndEnvironment"], cwd=vartmp,
                              env=env, capture_output=True, text=True, timeout=60, user=65534, group=65534)

    lenient = run(strict=False)
    assert lenient.returncode == 0, lenient.stdout + lenient.stderr
    assert "[  SKIPPED ] Spawn.UserSetsIdentityAndEnvironment" in lenient.stdout
    assert "missing root" in lenient.stdout
    strict = run(strict=True)
    assert strict.returncode != 0, strict.stdout
    assert "[  FAILED  ] Spawn.UserSetsIdentityAndEnvironment" in strict.stdout
    assert "missing root (TEND_STRICT=1" in strict.stdout
