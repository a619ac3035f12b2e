"""gunicorn started by hand without `manage.py collectstatic`: with the shipped manifest storage
every page failed on its first stylesheet with a 500 while /healthz and /readyz said all was
well. Now gunicorn's master stops before it listens, with one line saying what to run, exit
status 78; once the files are collected it serves
(docs/decisions/0125-an-unmigrated-database-at-start.md)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import requests

from tests.server.portal_server import ROOT, SECRET_KEY, portal_under_gunicorn

pytestmark = pytest.mark.gunicorn

NOT_COLLECTED = "Static files not collected"


def environment(tmp_path) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "PORTAL_HTTPS": "false",
        "PORTAL_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "PORTAL_MANIFEST_STATIC": "true",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "GUNICORN_ACCESS_LOG": "/dev/null",
    }
    env.pop("CACHE_URL", None)
    return env


def test_gunicorn_without_collected_static_files_stops_with_one_line(tmp_path):
    gunicorn = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(ROOT / "gunicorn.conf.py"),
        "--bind",
        "127.0.0.1:0",
    ]
    stopped = subprocess.run(
        gunicorn, env=environment(tmp_path), cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert stopped.returncode == 78
    [line] = [line for line in stopped.stderr.splitlines() if NOT_COLLECTED in line]
    assert str(tmp_path / "static") in line and "manage.py collectstatic --no-input" in line
    assert "Listening at" not in stopped.stderr and "Traceback" not in stopped.stderr


def test_gunicorn_serves_the_collected_files_once_collectstatic_ran(tmp_path):
    env = environment(tmp_path)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "collectstatic", "--no-input", "-v0"], env=env, check=True, cwd=ROOT)
    with portal_under_gunicorn(
        tmp_path, PORTAL_MANIFEST_STATIC="true", DJANGO_STATIC_ROOT=str(tmp_path / "static")
    ) as (base_url, *_):
        page = requests.get(f"{base_url}/", timeout=30)
        assert page.status_code == 200
        # The manifest's name for the stylesheet, with its content hash, and it is served.
        [stylesheet] = re.findall(r'href="(/static/portal/[^"]+\.[0-9a-f]{12}\.css)"', page.text)[:1]
        assert requests.get(f"{base_url}{stylesheet}", timeout=30).status_code == 200
