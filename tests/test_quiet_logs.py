"""Quiet logs under attack: client errors are one line each, rate-limited, never a traceback;
a real server error keeps its traceback. Read from the very handler settings.LOGGING set up."""

from __future__ import annotations

import io
import logging
import sys

import pytest
from django.test import Client

from portal.log import ClientErrorFilter
from tests.conftest import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def console():
    """The configured console handler, writing to a buffer for the test; counts start at zero."""
    [handler] = [h for h in logging.getLogger("django").handlers if h.name == "console"]
    [rate] = [f for f in handler.filters if isinstance(f, ClientErrorFilter)]
    rate.clear()
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer, rate
    handler.setStream(previous)
    rate.clear()


def lines(buffer) -> list[str]:
    return buffer.getvalue().splitlines()


def test_a_thousand_bad_hosts_log_at_most_the_limit_and_no_traceback(console, site):
    buffer, rate = console
    client = Client()
    statuses = {client.get("/", HTTP_HOST=f"scan{n}.example.net").status_code for n in range(1000)}
    assert statuses == {400}
    logged = lines(buffer)
    assert len(logged) == rate.limit + 1 == 11
    assert all("Traceback" not in line and 'File "' not in line for line in logged)
    assert all("django.security.DisallowedHost" in line for line in logged)
    assert "Invalid HTTP_HOST header: 'scan0.example.net'" in logged[0] and "[DisallowedHost]" in logged[0]
    assert "suppressed" in logged[-1]


@pytest.mark.parametrize(
    ("name", "request_kwargs", "expected"),
    [
        (
            "too many fields",
            {
                "data": "&".join(f"f{n}=1" for n in range(1100)),
                "content_type": "application/x-www-form-urlencoded",
            },
            "[TooManyFieldsSent]",
        ),
        (
            "body too big",
            {"data": "details=" + "x" * 3_000_000, "content_type": "application/x-www-form-urlencoded"},
            "[RequestDataTooBig]",
        ),
        (
            "broken multipart",
            {"data": b"garbage", "content_type": "multipart/form-data"},
            "[MultiPartParserError]",
        ),
        (
            "not UTF-8",
            {"data": b"key=\xe9", "content_type": "application/x-www-form-urlencoded; charset=latin-1"},
            "[BadRequest]",
        ),
    ],
)
def test_each_bad_request_is_one_line(console, site, name, request_kwargs, expected):
    buffer, _rate = console
    response = Client().generic("POST", "/key/", **request_kwargs)
    assert response.status_code == 400, name
    [line] = lines(buffer)
    assert expected in line and "Traceback" not in line, (name, line)


def test_quiet_lines_per_kind_are_counted_apart(console, site):
    buffer, rate = console
    client = Client()
    for n in range(30):
        client.get("/", HTTP_HOST=f"scan{n}.example.net")
        client.get(f"/probe-{n}.php")
    logged = lines(buffer)
    hosts = [line for line in logged if "DisallowedHost" in line]
    not_found = [line for line in logged if "Not Found" in line or "django.request 404" in line]
    assert len(hosts) == len(not_found) == rate.limit + 1


def test_server_errors_keep_their_traceback(console, site, settings):
    settings.ROOT_URLCONF = "tests.urls_errors"
    buffer, rate = console
    client = Client(raise_request_exception=False)
    for _n in range(rate.limit + 5):  # never rate-limited: each one may be a different bug
        assert client.get("/test-only/broken/").status_code == 500
    text = buffer.getvalue()
    assert text.count("Traceback (most recent call last)") == rate.limit + 5
    assert "ServerBug: the database said no" in text and "broken_view" in text


def test_counts_start_again_in_the_next_window_and_say_what_was_dropped():
    now = [1000.0]
    rate = ClientErrorFilter(limit=2, window=60, clock=lambda: now[0])

    def record():
        try:
            raise ValueError("bad")
        except ValueError:
            return logging.LogRecord(
                "django.security.SuspiciousOperation",
                logging.ERROR,
                __file__,
                1,
                "Bad %s",
                ("thing\nforged",),
                sys.exc_info(),
            )

    passed = [r for r in (record() for _n in range(10)) if rate.filter(r)]
    assert [r.getMessage() for r in passed[:2]] == ["Bad thing\\nforged [ValueError]"] * 2
    assert "suppressed" in passed[2].getMessage() and len(passed) == 3
    assert all(r.exc_info is None for r in passed)
    now[0] += 60
    fresh = record()
    assert rate.filter(fresh)
    assert (
        fresh.getMessage()
        == "Bad thing\\nforged [ValueError] (7 similar lines suppressed in the previous window)"
    )


def test_other_records_pass_untouched():
    rate = ClientErrorFilter(limit=0)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        exc_info = sys.exc_info()
    for name, status in (("django.request", 500), ("portal.services", None), ("portal.admin_security", None)):
        item = logging.LogRecord(name, logging.ERROR, __file__, 1, "x", None, exc_info)
        if status:
            item.status_code = status
        assert rate.filter(item) and item.exc_info is exc_info


def test_a_good_post_logs_nothing(console, site):
    buffer, _rate = console
    Client().post("/key/", form_data(key="1234567"))
    assert lines(buffer) == []


def test_no_client_writes_a_log_line_of_its_own(console, site):
    """axes logs a failed sign-in's username as it came: a line break in it must not start a
    line of the attacker's choosing (a forged "signed in" line, a forged time)."""
    buffer, _rate = console
    forged = "2026-01-01 00:00:00,000 WARNING portal.admin_security Signed in: 'admin'"
    axes_logger = logging.getLogger("axes")
    previous = axes_logger.handlers[:]
    axes_logger.handlers = [h for h in logging.getLogger("django").handlers if h.name == "console"]
    try:
        from django.urls import reverse

        client = Client()
        client.post(
            reverse("admin:login"), {"username": f"nobody\n{forged}\u2028x", "password": "wrong-password-1"}
        )
    finally:
        axes_logger.handlers = previous
    assert buffer.getvalue(), "nothing was logged"
    written = buffer.getvalue()
    assert "nobody\\n2026-01-01" in written  # the username, with its line break written out
    assert not any(line.startswith("2026-01-01") for line in written.splitlines())


def test_seconds_in_log_lines_read_as_a_person_writes_them():
    from portal.log import seconds

    assert [seconds(value) for value in (5.0, 0.5, 30, 29.99871, 0.25, 120.0, None)] == [
        "5 s",
        "0.5 s",
        "30 s",
        "30 s",
        "0.25 s",
        "120 s",
        "unknown",
    ]
