"""Production safety: deployment checks, probes, framing and cookies."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTAL_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "support.example.com",
            "PORTAL_DATA_DIR": str(tmp_path),
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_healthz_and_readyz_answer_any_host(client):
    assert client.get("/healthz", HTTP_HOST="10.0.0.7:8000").json() == {"status": "ok"}
    response = client.get("/readyz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


@pytest.mark.django_db
def test_readyz_reports_a_broken_cache(client, settings):
    # pytest-django's settings fixture resets the cache handlers on change.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["cache"] == "error"


@pytest.mark.django_db
def test_admin_refuses_framing(client):
    response = client.get(reverse("admin:login"))
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_customer_pages_frame_only_for_allowed_origins_and_set_no_cookies(client, site):
    response = client.get("/")
    assert "X-Frame-Options" not in response
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    site.frame_ancestors = "https://help.example.com\nhttps://desk.example.org"
    site.save()
    for path in ("/", "/key/", "/survey/"):
        response = client.get(path)
        csp = response["Content-Security-Policy"]
        assert "frame-ancestors https://help.example.com https://desk.example.org" in csp
        assert "form-action 'self' https://support.example.com" in csp
        assert "X-Frame-Options" not in response
        assert not response.cookies, f"{path} set a cookie"
