"""A signed prefill link at the portal's request-line limit opens under gunicorn as shipped; one
byte more is refused by gunicorn itself (414), before the portal could say anything: which is why the
API and `portal_prefill_link` refuse to sign such a link (prefill.link_too_long)."""

from __future__ import annotations

import http.client
import sqlite3
import time
from urllib.parse import urlsplit

import pytest

from portal import prefill
from portal.conf import REQUEST_LINE_MAX
from tests.server.portal_server import portal_under_gunicorn

pytestmark = pytest.mark.gunicorn

SECRET = "request-line-test-secret"


def signed_survey_target(external_key_chars: int) -> str:
    """A signed survey link with the parameters the portal's own links add (the frame's layout,
    the longest language code): the longest address a customer's browser asks for with it."""
    values = {"details": "%" * 1024, "external_key": "x" * external_key_chars}
    query = prefill.sign_prefill(secret=SECRET, values=values, expires_at=int(time.time()) + 3600)
    return f"/survey/?{query}&embed=1&locale=zh-hans"


def get(base_url: str, target: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection(urlsplit(base_url).netloc, timeout=30)
    try:
        connection.request("GET", target)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def test_a_link_at_the_limit_opens_and_one_byte_more_is_refused_by_gunicorn(tmp_path):
    request_line = len("GET  HTTP/1.1")
    room = REQUEST_LINE_MAX - request_line - len(signed_survey_target(0))
    at_limit, over = signed_survey_target(room), signed_survey_target(room + 1)
    assert len(f"GET {at_limit} HTTP/1.1") == REQUEST_LINE_MAX
    # What the API and the command hold a link to: the link without what the pages add.
    assert prefill.link_too_long(flow="survey", query=urlsplit(at_limit).query.split("&embed=")[0]) == ""
    assert prefill.link_too_long(flow="survey", query=urlsplit(over).query.split("&embed=")[0]) != ""
    with portal_under_gunicorn(tmp_path) as (base_url, database, _master):
        with sqlite3.connect(database) as db:
            db.execute("UPDATE portal_site SET prefill_secret = ?", (SECRET,))
        status, page = get(base_url, at_limit)
        assert status == 200
        assert 'value="' + "x" * room + '"' in page  # the locked external key, on the page
        status, answer = get(base_url, over)
        assert status == 414  # gunicorn's "URI Too Long", with no page of the portal's
        assert "Request Line is too large" in answer
