"""`make setup` in a temporary copy of the repository: it checks the Python version before making
.venv, and a failed or half-made set-up is repaired by the next run, without `make clean`.

The copy has the real Makefile, pyproject.toml and course_utils; its requirements.txt pins
nothing, so the tests do not spend minutes installing the course's dependencies again.
"""

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MIN_PYTHON = "3.11"

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")

# Python 3.10 as far as anyone asking can tell: it says so, and runs `-c` code with 3.10's
# sys.version_info. `-m venv` goes to the real interpreter, so a Makefile that did not check the
# version first would make a .venv with it; anything else (`-m pip`) is refused, so that nothing
# is ever installed into the interpreter running the tests.
FAKE_PYTHON_310 = """#!/bin/sh
case "$1 $2" in
  --version*|-V*) echo "Python 3.10.12" ;;
  "-c "*) shift; exec {real} -c 'import sys; sys.version_info = (3, 10, 12, "final", 0); \\
code = sys.argv.pop(1); exec(code)' "$@" ;;
  "-m venv") exec {real} "$@" ;;
  *) echo "fake python3.10: refusing $*" >&2; exit 1 ;;
esac
"""


@pytest.fixture
def repo(tmp_path):
    copy = tmp_path / "repo"
    copy.mkdir()
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(REPO / name, copy / name)
    shutil.copytree(REPO / "course_utils", copy / "course_utils",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "requirements.txt").write_text("# the test copy pins nothing\n")
    return copy


@pytest.fixture
def fake_python(tmp_path):
    """A directory holding `python3` and `python3.10`, both the fake Python 3.10."""
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    for name in ("python3", "python3.10"):
        script = bin_dir / name
        script.write_text(FAKE_PYTHON_310.format(real=sys.executable))
        script.chmod(0o755)
    return bin_dir


def make(repo, *args, path=None):
    env = dict(os.environ, MAKEFLAGS="")
    if path is not None:
        env["PATH"] = f"{path}{os.pathsep}{env['PATH']}"
    return subprocess.run(["make", "--no-print-directory", *args], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=600)


def working_venv(repo):
    python = repo / ".venv" / "bin" / "python"
    result = subprocess.run([python, "-c", "import pip, sys; print(sys.version_info[:2])"],
                            cwd=repo.parent, capture_output=True, text=True)
    return result.returncode == 0


def test_the_package_asks_for_the_python_the_pins_need():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert project["project"]["requires-python"] == f">={MIN_PYTHON}"
    assert f"PYTHON_MIN := {MIN_PYTHON}" in (REPO / "Makefile").read_text()


@pytest.mark.parametrize("how", ["on_path", "python_variable"])
def test_an_old_python_is_refused_before_any_venv_is_made(repo, fake_python, how):
    if how == "on_path":
        result = make(repo, "setup", path=fake_python)
        name = "python3"
    else:
        name = str(fake_python / "python3.10")
        result = make(repo, "setup", f"PYTHON={name}")
    assert result.returncode != 0
    assert (f"The course needs Python {MIN_PYTHON} or newer, but '{name}' is Python 3.10.12."
            in result.stderr)
    assert f"make PYTHON=python{MIN_PYTHON}" in result.stderr
    assert not (repo / ".venv").exists()


def test_a_missing_python_is_named(repo):
    result = make(repo, "setup", "PYTHON=python-that-does-not-exist")
    assert result.returncode != 0
    assert "'python-that-does-not-exist' was not found" in result.stderr
    assert not (repo / ".venv").exists()


def test_a_broken_or_failed_setup_is_repaired_by_the_next_run(repo, fake_python):
    python = f"PYTHON={sys.executable}"
    venv = repo / ".venv"
    # 1. A .venv made by Python 3.10 is left behind, and the install then fails.
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(fake_python / "python3.10")
    (repo / "requirements.txt").write_text("course-test-package-that-does-not-exist==0.0.1\n")
    failed = make(repo, "setup", python)
    assert failed.returncode != 0
    assert f"Replacing .venv: it is not a working Python {MIN_PYTHON}+ environment" in failed.stdout
    assert "Installing the pins into .venv failed (see above); run make again" in failed.stderr
    assert not (venv / ".installed").exists()
    assert working_venv(repo)  # what is left is a working venv, not a broken one

    # 2. The next run, once the pins can be installed, finishes the job without `make clean`.
    (repo / "requirements.txt").write_text("# fixed\n")
    fixed = make(repo, "setup", python)
    assert fixed.returncode == 0, fixed.stderr
    assert "Replacing" not in fixed.stdout  # the venv from step 1 is kept
    assert (venv / ".installed").exists()
    # The editable install points at the copy (found, not imported: it has no numpy).
    where = "import importlib.util as u; print(u.find_spec('course_utils').origin)"
    found = subprocess.run([venv / "bin" / "python", "-c", where],
                           cwd=repo.parent, capture_output=True, text=True, check=True)
    assert Path(found.stdout.strip()) == repo / "course_utils" / "__init__.py"
    assert "Nothing to be done" in make(repo, "setup", python).stdout

    # 3. A half-made .venv (an interrupted `python -m venv`: no pip) is made again.
    shutil.rmtree(venv)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    again = make(repo, "setup", python)
    assert again.returncode == 0, again.stderr
    assert "Replacing .venv" in again.stdout
    assert working_venv(repo) and (venv / ".installed").exists()
