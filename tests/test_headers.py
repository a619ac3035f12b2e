"""Security headers on every kind of response: customer pages (fresh and from the page cache),
probes, static files, media, the API, admin, error pages; and HSTS preload only when asked."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.test_branding_and_hours import PNG_1PX

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent

BASELINE = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "frame-src": ["'none'"],
    "worker-src": ["'none'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
DENIED_FEATURES = (
    "camera",
    "microphone",
    "geolocation",
    "payment",
    "usb",
    "serial",
    "hid",
    "display-capture",
    "publickey-credentials-get",
)


def policy(response) -> dict[str, list[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_baseline_headers(response, *, csp=None):
    """The headers every response carries; `csp` is the policy expected (default baseline)."""
    assert policy(response) == (csp or BASELINE)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    permissions = dict(item.split("=", 1) for item in response["Permissions-Policy"].split(", "))
    for feature in DENIED_FEATURES:
        assert permissions[feature] == "()", feature


def customer_policy(*, frame_ancestors, form_action):
    return {**BASELINE, "frame-ancestors": frame_ancestors, "form-action": form_action}


def test_customer_pages_carry_the_site_policy_also_from_the_page_cache(client, site):
    site.frame_ancestors = "https://help.example.com"
    site.save()
    expected = customer_policy(
        frame_ancestors=["https://help.example.com"], form_action=["'self'", "https://support.example.com"]
    )
    for path in ("/", "/key/", "/survey/"):
        fresh, cached = client.get(path), client.get(path)
        assert fresh.status_code == cached.status_code == 200
        for response in (fresh, cached):
            assert_baseline_headers(response, csp=expected)
            assert "X-Frame-Options" not in response
        assert {k: v for k, v in cached.items() if k != "Date"} == {
            k: v for k, v in fresh.items() if k != "Date"
        }


def test_customer_page_without_embedding_origins_refuses_framing(client, site):
    assert_baseline_headers(
        client.get("/key/"),
        csp=customer_policy(
            frame_ancestors=["'none'"], form_action=["'self'", "https://support.example.com"]
        ),
    )


def test_probes_carry_the_headers_for_any_host_over_plain_http(db, settings):
    settings.SECURE_SSL_REDIRECT = True  # production: everything else is redirected to HTTPS
    client = Client()
    for path in ("/healthz", "/readyz"):
        response = client.get(path, HTTP_HOST="10.0.0.7:8000")
        assert response.status_code == 200, path
        assert_baseline_headers(response)
    assert client.get("/key/").status_code == 301


def test_static_files_carry_the_headers(db, settings):
    settings.WHITENOISE_USE_FINDERS = True  # as in development; production serves collected files
    response = Client().get("/static/portal/portal.js")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/javascript")
    assert_baseline_headers(response)


def test_media_theme_and_reps_json_carry_the_headers(client, site, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    site.logo.save("acme.png", io.BytesIO(PNG_1PX))
    for path in (f"/media/{site.logo.name}", "/theme.css", "/reps.json"):
        response = client.get(path)
        assert response.status_code in (200, 404), path
        assert_baseline_headers(response)


def test_api_admin_and_error_pages_carry_the_headers(client, site):
    for path, status in (
        ("/api/v1/openapi.json", 200),
        ("/api/v1/reps", 401),
        ("/api/v1/nothing-here", 404),
        (reverse("admin:login"), 200),
        ("/no-such-page/", 404),
        # CommonMiddleware's slash redirect, made below the header middlewares
        (reverse("admin:index").rstrip("/"), 301),
    ):
        response = client.get(path)
        assert response.status_code == status, path
        assert_baseline_headers(response)
        assert response["X-Frame-Options"] == "DENY", path
    response = client.get("/", HTTP_HOST="evil.example.net")  # DisallowedHost: 400 page
    assert response.status_code == 400
    assert_baseline_headers(response)
    assert response["X-Frame-Options"] == "DENY"


def production_settings(**env) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTAL_"))}
    clean.update({"DJANGO_SETTINGS_MODULE": "portal.settings", "PORTAL_DATA_DIR": "/tmp", **env})
    code = (
        "from django.conf import settings as s; import django; django.setup(); "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()


def test_hsts_preload_is_off_unless_asked_and_env_example_agrees():
    assert production_settings() == ["31536000", "True", "False"]
    assert production_settings(DJANGO_SECURE_HSTS_PRELOAD="true") == ["31536000", "True", "True"]
    example = (ROOT / ".env.example").read_text()
    assert re.search(r"^DJANGO_SECURE_HSTS_PRELOAD=false$", example, re.M)


def test_hsts_header_without_preload_on_https(db, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = False
    response = Client().get("/healthz", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_a_changed_embedding_origin_changes_the_policy_at_once(client, site):
    """The policy header is built once per set of site directives and reused: a site's new
    origins are a new set, and going back gives the first policy again."""
    form_action = ["'self'", "https://support.example.com"]
    for origins, expected in (
        ("", ["'none'"]),
        ("https://help.example.com", ["https://help.example.com"]),
        ("", ["'none'"]),
    ):
        site.frame_ancestors = origins
        site.save()
        for _ in range(2):  # rendered, then from the page cache
            assert_baseline_headers(
                client.get("/key/"), csp=customer_policy(frame_ancestors=expected, form_action=form_action)
            )
