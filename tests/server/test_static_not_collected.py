"""gunicorn started by hand without `manage.py collectstatic`: with the shipped manifest storage
every page failed on its first stylesheet with a 500 while /healthz and /readyz said all was
well. Now gunicorn's master stops before it listens, with one line saying what to run, exit
status 78; once the files are collected it serves
(docs/decisions/0125-an-unmigrated-database-at-start.md)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import requests

from tests.server.portal_server import GUNICORN, ROOT, portal_under_gunicorn, server_environment

pytestmark = pytest.mark.gunicorn

NOT_COLLECTED = "Static files not collected"


def manifest_storage(tmp_path) -> dict[str, str]:
    """The shipped manifest storage, its files collected (or not yet) into the test's folder."""
    return {"PORTAL_MANIFEST_STATIC": "true", "DJANGO_STATIC_ROOT": str(tmp_path / "static")}


def test_gunicorn_without_collected_static_files_stops_with_one_line(tmp_path):
    env = server_environment(tmp_path, **manifest_storage(tmp_path))
    gunicorn = [*GUNICORN, "--bind", "127.0.0.1:0"]
    stopped = subprocess.run(gunicorn, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert stopped.returncode == 78
    [line] = [line for line in stopped.stderr.splitlines() if NOT_COLLECTED in line]
    assert str(tmp_path / "static") in line and "manage.py collectstatic --no-input" in line
    assert "Listening at" not in stopped.stderr and "Traceback" not in stopped.stderr


def test_gunicorn_serves_the_collected_files_once_collectstatic_ran(tmp_path):
    env = server_environment(tmp_path, **manifest_storage(tmp_path))
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "collectstatic", "--no-input", "-v0"], env=env, check=True, cwd=ROOT)
    with portal_under_gunicorn(tmp_path, **manifest_storage(tmp_path)) as (base_url, *_):
        page = requests.get(f"{base_url}/", timeout=30)
        assert page.status_code == 200
        # The manifest's name for the stylesheet, with its content hash, and it is served.
        [stylesheet] = re.findall(r'href="(/static/portal/[^"]+\.[0-9a-f]{12}\.css)"', page.text)[:1]
        assert requests.get(f"{base_url}{stylesheet}", timeout=30).status_code == 200
