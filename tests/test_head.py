"""HEAD answers like GET without the body, on every GET page and the probes (uptime monitors
use HEAD): same status and headers, served from the page cache like GET; and through a real
gunicorn, no body bytes on the wire."""

from __future__ import annotations

import io
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import time_machine
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.tokens import create_api_token
from tests.test_branding_and_hours import PNG_1PX

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
VARYING = {"Date", "Set-Cookie"}


def comparable(response) -> dict:
    headers = {k: v for k, v in response.items() if k not in VARYING}
    return {"status": response.status_code, "headers": headers, "cookies": sorted(response.cookies)}


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def wsgi_body(method: str, path: str) -> tuple[str, bytes]:
    """What the WSGI application itself hands a server (the test client drops HEAD bodies on
    its own, so it cannot tell whether the portal did)."""
    environ = getattr(RequestFactory(), method.lower())(path).environ
    status = []

    def start_response(line, headers, exc_info=None):
        status.append(line)

    chunks = WSGIHandler()(environ, start_response)
    try:
        return status[0], b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()


def test_head_answers_like_get_on_every_get_page(site, settings, tmp_path, wsgi_keeps_test_connection):
    settings.MEDIA_ROOT = tmp_path
    site.logo.save("acme.png", io.BytesIO(PNG_1PX))
    secret = create_api_token(site=site, name="monitor").secret
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    pages = [
        ("/", {}),
        ("/key/", {}),
        ("/survey/", {}),
        ("/reps/", {}),
        ("/key/?key=1234567", {}),
        ("/theme.css", {}),
        ("/reps.json", {}),
        (f"/media/{site.logo.name}", {}),
        ("/healthz", {}),
        ("/readyz", {}),
        ("/api/v1/openapi.json", {}),
        ("/api/v1/reps", auth),
        ("/api/v1/reps", {}),
        (reverse("admin:login"), {}),
        ("/no-such-page/", {}),
    ]
    ok = set()
    for path, extra in pages:
        # One instant for both, so time-stamped headers (Expires of never-cached pages) agree.
        with time_machine.travel(time.time(), tick=False):
            get = Client().get(path, **extra)
            head = Client().head(path, **extra)
        if get.status_code == 200:
            ok.add(path)
        assert comparable(head) == comparable(get), path
        assert body(head) == b"" and head.status_code != 405, path
        assert get.status_code != 200 or body(get), path
    assert ok >= {
        "/",
        "/key/",
        "/survey/",
        "/reps/",
        "/theme.css",
        f"/media/{site.logo.name}",
        "/healthz",
        "/readyz",
        "/api/v1/openapi.json",
        reverse("admin:login"),
    }
    for path in ("/", "/healthz", f"/media/{site.logo.name}"):
        get_status, get_body = wsgi_body("GET", path)
        head_status, head_body = wsgi_body("HEAD", path)
        assert head_status == get_status == "200 OK" and get_body and head_body == b"", path
    # Where GET is refused, HEAD is refused alike.
    get, head = Client().get("/api/v1/session-keys", **auth), Client().head("/api/v1/session-keys", **auth)
    assert head.status_code == get.status_code == 405 and head["Allow"] == get["Allow"] == "POST"


def test_head_is_served_from_the_page_cache_and_leaves_it_whole(client, site):
    head = client.head("/key/")
    assert head.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        get = client.get("/key/")  # cached by the HEAD: as a GET, body and all
        again = client.head("/key/")
    assert len(queries) == 0
    assert b'name="key"' in get.content
    assert again.status_code == 200 and comparable(again) == comparable(head)


def raw_request(port: int, request: bytes) -> tuple[bytes, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _sep, body = data.partition(b"\r\n\r\n")
    return head, body


def test_head_through_gunicorn_sends_no_body(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTAL_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "PORTAL_DATA_DIR": str(tmp_path),
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "PORTAL_HTTPS": "false",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "PORTAL_MANIFEST_STATIC": "false",
        }
    )
    for command in (["migrate", "--no-input"], ["portal_demo", "--no-user"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi", "--bind", "127.0.0.1:0", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = None
        for line in server.stderr:  # the master logs its address once it listens
            if match := re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", line):
                port = int(match.group(1))
                break
        assert port, "gunicorn did not start"
        for path in ("/", "/healthz"):
            get_head, get_body = raw_request(
                port, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
            )
            head, body = raw_request(
                port, f"HEAD {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
            )
            assert head.startswith(b"HTTP/1.1 200 "), (path, head)
            assert body == b"", path
            assert get_head.startswith(b"HTTP/1.1 200 ") and get_body, path
            assert b"nosniff" in head
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stderr.close()
