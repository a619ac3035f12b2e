"""The image carries the portal's code once: the Dockerfile's install step, run here as its build
stage runs it (without Docker), leaves the venv a pointer to /app's code, not a copy of it.

A plain `pip install .` put one copy in the venv's site-packages and another in /app/build, both
shipped by the runtime stage and neither run (`python manage.py` and gunicorn import the current
directory, /app, first). The dependencies are left out (--no-deps): only where the portal's own
code lands is in question."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def build_stage_install() -> list[str]:
    """The arguments of the build stage's `pip install` of the portal itself."""
    [line] = re.findall(r"^RUN /venv/bin/pip install (.+)$", DOCKERFILE, re.MULTILINE)
    return shlex.split(line)


def test_the_runtime_stage_finds_the_code_where_the_build_stage_installed_it():
    """An editable install points at absolute paths: /app and /venv keep theirs."""
    assert "WORKDIR /app" in DOCKERFILE.split("AS build", 1)[1].split("FROM ", 1)[0]
    runtime = DOCKERFILE.rsplit("FROM ", 1)[1]
    assert "COPY --from=build /venv /venv" in runtime
    assert "COPY --from=build /app /app" in runtime


def test_the_install_step_leaves_one_copy_of_the_code(tmp_path):
    app, venv = tmp_path / "app", tmp_path / "venv"
    app.mkdir()
    # What the build stage has copied to /app before it installs.
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, app / name)
    shutil.copytree(ROOT / "portal", app / "portal", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps"]
    result = subprocess.run(
        [*pip, *build_stage_install()], cwd=app, capture_output=True, text=True, timeout=300
    )
    if result.returncode and "No matching distribution found for setuptools" in result.stdout + result.stderr:
        pytest.skip("the build backend (setuptools) is not reachable from this machine's package index")
    assert result.returncode == 0, result.stderr
    [site_packages] = (venv / "lib").glob("python3*/site-packages")
    assert not (site_packages / "portal").exists()
    assert not (app / "build").exists()
    # From elsewhere than /app (a `docker exec -w /`), the venv still imports /app's code.
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import portal; print(portal.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()) == app / "portal" / "__init__.py"
