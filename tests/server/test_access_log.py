"""gunicorn's access log says how many body bytes each answer sent (`%(b)s`), files too.

Static files (whitenoise) and uploaded logos (django.views.static.serve) are file responses,
which gunicorn sends with sendfile(): its byte count (`Response.sent`) is kept only by its
write(), so every file's line said 0 bytes. The shipped gunicorn.conf.py turns sendfile off."""

from __future__ import annotations

import re
import urllib.request

import pytest

from tests.server.portal_server import portal_under_gunicorn

pytestmark = pytest.mark.gunicorn


def test_file_answers_log_the_bytes_they_sent(tmp_path):
    logos = tmp_path / "media" / "logos"
    logos.mkdir(parents=True)
    logo = bytes(range(256)) * 40  # 10240 bytes
    (logos / "acme.png").write_bytes(logo)
    log = tmp_path / "access.log"
    with portal_under_gunicorn(tmp_path, GUNICORN_ACCESS_LOG=str(log), PORTAL_STATIC_FINDERS="true") as (
        base_url,
        _database,
        _master,
    ):
        sizes = {}
        for path in ("/media/logos/acme.png", "/static/portal/portal.css", "/healthz"):
            with urllib.request.urlopen(base_url + path, timeout=20) as response:
                assert response.status == 200
                sizes[path] = len(response.read())
    assert sizes["/media/logos/acme.png"] == len(logo)
    assert sizes["/static/portal/portal.css"] > 1000
    lines = log.read_text()
    for path, size in sizes.items():
        logged = re.search(rf'"GET {re.escape(path)} HTTP/1\.1" 200 (\S+) ', lines)
        assert logged, lines
        assert logged[1] == str(size), f"{path}: {size} bytes sent, {logged[1]} logged"
