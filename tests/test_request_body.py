"""Bodies no page of the portal takes are refused before anything reads them
(portal.middleware.RequestBodyMiddleware)."""

import io
import json
import sys
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client
from django.urls import reverse

from portal.models import StartRequest
from tests.conftest import form_data
from tests.parsed_html import element

pytestmark = pytest.mark.django_db

LIMIT = 2_621_440  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE, which the settings keep


def upload(client: Client, path: str, size: int, **extra):
    """A multipart POST with one file part of `size` bytes, and a valid key start beside it."""
    boundary = "b0undary"
    fields = form_data(key="1234567")
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="f"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + b"x" * size
        + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return client.generic(
        "POST", path, body, content_type=f"multipart/form-data; boundary={boundary}", **extra
    ), len(body)


class CountingInput(io.BytesIO):
    """A request body that counts what is read of it."""

    def __init__(self, body: bytes):
        super().__init__(body)
        self.bytes_read = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk

    def readline(self, size=-1):
        line = super().readline(size)
        self.bytes_read += len(line)
        return line


def call_portal(path: str, body: bytes, content_type: str, stream=None, **headers) -> tuple[str, Any, bytes]:
    """One POST through the whole middleware stack, as gunicorn hands it over: the status, the
    body's stream (by default one that counts what is read of it) and the answer's body.
    `headers` go in the environ as they are (WSGI names)."""
    stream = CountingInput(body) if stream is None else stream
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.url_scheme": "http",
        "wsgi.input": stream,
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        **headers,
    }
    statuses = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    answer = b"".join(WSGIHandler()(environ, start_response))
    return statuses[0], stream, answer


def multipart(size: int) -> tuple[bytes, str]:
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="f"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + b"x" * size
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_public_body_over_the_limit_is_refused_unread(client, site, wsgi_keeps_test_connection):
    body, content_type = multipart(LIMIT + 1)
    status, stream, _answer = call_portal("/key/", body, content_type)
    assert status.startswith("400")
    assert stream.bytes_read == 0  # nothing was parsed, nothing streamed to a temporary file
    assert not StartRequest.objects.exists()
    # The same on a path that is no form at all (the theme's style sheet).
    status, stream, _answer = call_portal("/theme.css", body, content_type)
    assert status.startswith("400") and stream.bytes_read == 0
    # Under the limit, the same kind of body is read (the locale middleware reads the form).
    body, content_type = multipart(1024)
    status, stream, _answer = call_portal("/key/", body, content_type)
    assert stream.bytes_read == len(body)
    # The refusal is the branded page.
    response, _size = upload(client, "/key/", LIMIT + 1)
    assert response.status_code == 400 and "Bad request" in response.content.decode()


def test_a_body_under_the_limit_is_the_forms_business(client, site):
    response, size = upload(client, "/key/", 64 * 1024)
    assert size < LIMIT
    assert response.status_code == 303  # the key start beside the stray file part
    assert StartRequest.objects.get().outcome == StartRequest.Outcome.STARTED


def test_a_customers_over_long_paste_gets_the_forms_message(client, site):
    response = client.post("/key/", form_data(key="1" * 200_000))
    assert response.status_code == 200
    assert "A session key has 7 characters; you entered 200000." in response.content.decode()


def test_the_admin_takes_more_than_a_customer_page(admin_client, site):
    sites = reverse("admin:portal_site_changelist")
    response, _size = upload(admin_client, sites, LIMIT + 1)
    assert response.status_code != 400
    response, _size = upload(admin_client, sites, 8 * 1024 * 1024 + 1)
    assert response.status_code == 400


def test_the_api_keeps_its_own_answer(client, site):
    response = client.generic(
        "POST", "/api/v1/prefill-links", b"x" * (LIMIT + 1), content_type="application/json"
    )
    # Refused by the API in its envelope (no token: before it reads the body), not by the
    # middleware's HTML page.
    assert (response.status_code, response.json()["error"]) == (401, "unauthorized")


def cut_body(body: bytes):
    """A body as gunicorn hands it over (its Body around a reader), read through the worker's
    DeadlineReader in the state its main loop leaves a connection it cut for slowness."""
    from types import SimpleNamespace

    from gunicorn.http.body import Body

    from portal.gunicorn_worker import DeadlineReader

    connection = SimpleNamespace(body_cut=True, body_deadline=None)
    return Body(DeadlineReader(io.BytesIO(body), connection))


def test_a_body_cut_for_slowness_is_a_400_in_the_apis_envelope(site, wsgi_keeps_test_connection):
    """The customer pages' 400 under real gunicorn: tests/server/test_slow_body.py. The API's
    own reader answers in its envelope, saying what happened, not the Host header's message."""
    from portal.models import ApiToken
    from portal.tokens import create_api_token

    secret = create_api_token(site=site, name="Help desk").secret
    body = json.dumps({"values": {"name": "Jane"}}).encode()
    status, _stream, answer = call_portal(
        "/api/v1/prefill-links",
        body,
        "application/json",
        stream=cut_body(body),
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert status.startswith("400")
    assert json.loads(answer)["error"] == "bad_request"
    assert "too slowly" in json.loads(answer)["message"]
    assert ApiToken.objects.count() == 1


@pytest.mark.parametrize(
    ("accept", "title", "lang"),
    [
        ("ja,en;q=0.5", "不正なリクエスト", "ja"),
        ("de-AT", "Ungültige Anfrage", "de"),
        ("", "Bad request", "en-US"),
    ],
)
def test_a_request_refused_before_its_language_was_chosen_gets_the_browsers(
    client, site, settings, accept, title, lang
):
    """A walk-through: a Host the portal does not serve, or a form over Django's field limit,
    is refused before the portal chooses the page's language, and the 400 page was English for
    everyone. It now speaks the browser's language."""
    response = client.get("/", HTTP_HOST="not-ours.example", HTTP_ACCEPT_LANGUAGE=accept)
    page = response.content.decode()
    assert response.status_code == 400
    assert f'<html lang="{lang}"' in page
    assert title in page
    fields = "&".join(f"f{n}=x" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = client.post(
        "/key/", fields, content_type="application/x-www-form-urlencoded", HTTP_ACCEPT_LANGUAGE=accept
    )
    assert response.status_code == 400 and title in response.content.decode()


@pytest.mark.parametrize("where", ["address", "referer"])
def test_a_body_too_large_is_refused_in_the_customers_language_with_what_to_do(client, site, where):
    """A walk-through pasted a long log into a Japanese survey: the body is refused before its
    `locale` field is read, and the 400 page was in the browser's language (English here) and
    said "go back and try again", which fails the same way. It now takes the language the
    customer chose, from the address or from the page the form was sent from (same host), and
    says to shorten the text."""
    site.enabled_languages = ["en-us", "ja", "fi"]
    site.save()
    path, headers = "/survey/", {"HTTP_ACCEPT_LANGUAGE": "en-US"}
    if where == "address":
        path += "?locale=ja"
    else:
        headers["HTTP_REFERER"] = "http://testserver/survey/?locale=ja&issue=printing"
    body, content_type = multipart(LIMIT + 1)
    response = client.post(path, body, content_type=content_type, **headers)
    page = response.content.decode()
    assert response.status_code == 400
    assert element(page, "html").attrs["lang"] == "ja"
    assert "送信された内容が大きすぎます。テキストを短くして、もう一度送信してください。" in page
    assert "前のページに戻って" not in page


def test_another_hosts_referer_or_a_language_the_site_lacks_is_not_taken(client, site):
    site.enabled_languages = ["en-us", "fi"]
    site.save()
    body, content_type = multipart(LIMIT + 1)
    for referer in ("https://evil.example/?locale=fi", "http://testserver/?locale=ja"):
        response = client.post(
            "/survey/", body, content_type=content_type, HTTP_REFERER=referer, HTTP_ACCEPT_LANGUAGE="en"
        )
        assert element(response.content.decode(), "html").attrs["lang"] == "en-US", referer


def test_an_error_page_is_titled_and_leads_back_in_its_language(client, site):
    """A walk-through: the 404 page's title was only the site's name, and its way back dropped
    the language the customer had chosen (the portal keeps no cookie)."""
    page = client.get("/no-such-page/?locale=ja").content.decode()
    assert "<title>ページが見つかりません · Acme Support</title>" in page
    assert 'href="/?locale=ja"' in page
