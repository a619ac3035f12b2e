"""The integrations JSON API (/api/v1/) against the fake appliance
(docs/architecture.md#integrations-api).

Every response goes through `call()`, which validates it against the OpenAPI document's schema
for that path, method and status: the tests below prove the document matches what the API
really answers, errors included.
"""

from __future__ import annotations

import json
import re
import runpy
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.test import Client
from gunicorn.config import Config
from jsonschema import Draft202012Validator

from portal import api, prefill
from portal.api import openapi_document
from portal.api.api import api as ninja_api
from portal.api.schemas import RepList
from portal.models import ApiToken, Backend, CustomField, Site, SiteHostname, StartRequest
from portal.tokens import create_api_token, revoke_api_token, save_new_token
from portal.vendors.beyondtrust import adapter as beyondtrust_adapter
from tests.conftest import form_data
from tests.fakes.beyondtrust import FakeBeyondTrust
from tests.parsed_html import element
from tests.server.portal_server import ROOT

DOCUMENT = openapi_document()
SERVER = DOCUMENT["servers"][0]["url"]


# ------------------------------------------------------------------------------
# Conformance helpers
# ------------------------------------------------------------------------------
def validator(schema: dict) -> Draft202012Validator:
    """A validator for `schema` whose `$ref`s resolve inside the OpenAPI document."""
    return Draft202012Validator({**DOCUMENT, **schema}, format_checker=Draft202012Validator.FORMAT_CHECKER)


def resolve(entry: dict) -> dict:
    while "$ref" in entry:
        node = DOCUMENT
        for part in entry["$ref"].removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        entry = node
    return entry


def assert_conforms(response, *, path: str, method: str) -> None:
    """The response's status, headers and JSON body are what the document says."""
    operation = DOCUMENT["paths"].get(path, {}).get(method)
    if operation is None or response.status_code in (404, 405):  # outside any operation
        schema = {"$ref": "#/components/schemas/Error"}
        headers = {}
    else:
        documented = operation["responses"]
        assert str(response.status_code) in documented, (
            f"{method.upper()} {path} answered {response.status_code}, not in the document"
        )
        entry = resolve(documented[str(response.status_code)])
        schema = entry["content"]["application/json"]["schema"]
        headers = entry.get("headers", {})
    assert response["Content-Type"] == "application/json"
    validator(schema).validate(response.json())
    for name in headers:
        assert response.has_header(name), f"{name} is documented but missing"


def call(
    client,
    method: str,
    path: str,
    body=None,
    *,
    token=None,
    raw: bytes | None = None,
    content_type: str = "application/json",
    headers: dict | None = None,
):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()}
    if token is not None:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    data = raw if raw is not None else (json.dumps(body) if body is not None else None)
    kwargs = {"content_type": content_type} if data is not None else {}
    response = getattr(client, method)(
        SERVER + path, *([data] if data is not None else []), **kwargs, **extra
    )
    assert_conforms(response, path=path, method=method)
    if method == "post" and response.status_code == 201:  # what worked is a valid request too
        operation = DOCUMENT["paths"][path]["post"]
        validator(operation["requestBody"]["content"]["application/json"]["schema"]).validate(body)
    return response


# ------------------------------------------------------------------------------
# Fixtures
# ------------------------------------------------------------------------------


@pytest.fixture
def api_site(site, fake, issues):
    backend = site.backend
    backend.base_url, backend.client_id, backend.client_secret = (
        fake.base_url,
        fake.client_id,
        fake.client_secret,
    )
    backend.save()
    SiteHostname.objects.create(site=site, hostname="help.example.com")
    return site


@pytest.fixture
def secret(api_site) -> str:
    return create_api_token(site=api_site, name="Zendesk").secret


def sent(fake: FakeBeyondTrust, action: str) -> dict[str, str]:
    """The form the fake received for the last `action`, without the action itself."""
    (request, *_) = reversed(fake.commands(action))
    return {k: v[0] for k, v in request.form.items() if k != "action"}


# ------------------------------------------------------------------------------
# POST /session-keys
# ------------------------------------------------------------------------------
def test_session_key_for_the_general_queue(client, fake, secret, settings):
    response = call(client, "post", "/session-keys", {"queue": "general"}, token=secret)
    assert response.status_code == 201
    assert response.json() == {
        "short_key": "4826153",
        "key_url": "https://support.example.com/?ak=4826153",
        "portal_url": "http://help.example.com/key/?key=4826153",
        "expires": "2024-05-06T14:00:00+00:00",
    }
    assert response["Cache-Control"] == "no-store"
    assert sent(fake, "generate_session_key") == {"type": "support", "queue_id": "general"}

    # The portal link opens our key page with the key filled in, on the site's hostname.
    settings.ALLOWED_HOSTS = ["help.example.com"]
    url = urlsplit(response.json()["portal_url"])
    page = client.get(f"{url.path}?{url.query}", HTTP_HOST=url.hostname).content.decode()
    assert element(page, "input", name="key").attrs["value"] == "4826153"


def test_session_key_sends_every_parameter_as_the_vendor_spells_it(client, fake, secret):
    response = call(
        client,
        "post",
        "/session-keys",
        {
            "queue": "rep:12",
            "external_key": "INC0012345",
            "custom_fields": {"asset_tag": "LT-4471", "note": "Drucker läuft nicht"},
            "priority": 2,
            "skills": ["windows", "printing", "windows"],
            "ttl": 3600,
        },
        token=secret,
    )
    assert response.status_code == 201
    assert sent(fake, "generate_session_key") == {
        "type": "support",
        "queue_id": "rep:12",
        "ttl": "3600",
        "session.priority": "2",
        "session.skills": "windows,printing",
        "session.custom.external_key": "INC0012345",
        "session.custom.asset_tag": "LT-4471",
        "session.custom.note": "Drucker läuft nicht",
    }


def test_team_queue(client, fake, secret):
    assert call(client, "post", "/session-keys", {"queue": "team:3"}, token=secret).status_code == 201
    assert sent(fake, "generate_session_key")["queue_id"] == "team:3"


def test_issue_queue_uses_the_issues_priority_and_skills_unless_given(client, fake, secret):
    call(client, "post", "/session-keys", {"queue": "issue:printing"}, token=secret)
    assert sent(fake, "generate_session_key") == {
        "type": "support",
        "queue_id": "issue:printing",
        "session.priority": "1",
        "session.skills": "printing,windows",
    }
    call(
        client,
        "post",
        "/session-keys",
        {"queue": "issue:printing", "priority": 3, "skills": []},
        token=secret,
    )
    assert sent(fake, "generate_session_key") == {
        "type": "support",
        "queue_id": "issue:printing",
        "session.priority": "3",
    }


def test_custom_fields_total_is_counted_in_utf8_bytes_including_the_external_key(client, fake, secret):
    custom = {"a": "€" * 1000, "b": "€" * 1000, "c": "€" * 1000}  # 1000 characters, 3000 bytes each
    exactly = {"queue": "general", "external_key": "x" * 1000, "custom_fields": custom}
    assert call(client, "post", "/session-keys", exactly, token=secret).status_code == 201

    over = {**exactly, "external_key": "x" * 1001}
    response = call(client, "post", "/session-keys", over, token=secret)
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "custom_fields": ["Custom fields and the external key together are 10001 UTF-8 bytes; at most 10000."]
    }
    assert fake.count("generate_session_key") == 1


BAD_BODIES = [
    ({}, "queue", "This field is required."),
    ({"queue": "everyone"}, "queue", "Use 'general', 'rep:<id>', 'team:<id>' or 'issue:<code name>'."),
    ({"queue": "rep:abc"}, "queue", "Use 'general', 'rep:<id>', 'team:<id>' or 'issue:<code name>'."),
    ({"queue": 12}, "queue", "Use 'general', 'rep:<id>', 'team:<id>' or 'issue:<code name>'."),
    ({"queue": "general\n"}, "queue", "Use 'general', 'rep:<id>', 'team:<id>' or 'issue:<code name>'."),
    ({"queue": "issue:retired"}, "queue", "No active issue with code name 'retired' on this site."),
    ({"queue": "issue:nope"}, "queue", "No active issue with code name 'nope' on this site."),
    ({"queue": "issue:bad code"}, "queue", "No active issue with code name 'bad code' on this site."),
    ({"queue": "general", "external_key": "x" * 1025}, "external_key", "At most 1024 characters."),
    ({"queue": "general", "external_key": 42}, "external_key", "Must be a string."),
    (
        {"queue": "general", "custom_fields": {"asset_tag": "x" * 1025}},
        "custom_fields.asset_tag",
        "At most 1024 characters.",
    ),
    (
        {"queue": "general", "custom_fields": {"asset tag": "x"}},
        "custom_fields.asset tag",
        "Not a code name (1-64 letters, digits, _ or -).",
    ),
    (
        {"queue": "general", "custom_fields": {"external_key": "x"}},
        "custom_fields.external_key",
        "Send the external key as 'external_key'.",
    ),
    ({"queue": "general", "custom_fields": {"asset_tag": 7}}, "custom_fields.asset_tag", "Must be a string."),
    (
        {"queue": "general", "custom_fields": ["asset_tag"]},
        "custom_fields",
        "Must be an object of code name to string.",
    ),
    ({"queue": "general", "priority": "1"}, "priority", "Must be an integer."),
    ({"queue": "general", "priority": True}, "priority", "Must be an integer."),
    ({"queue": "general", "priority": 4}, "priority", "Must be from 1 to 3."),
    ({"queue": "general", "skills": "windows"}, "skills", "Must be a list of strings."),
    (
        {"queue": "general", "skills": ["win dows"]},
        "skills",
        "Not a code name (1-64 letters, digits, _ or -): 'win dows'",
    ),
    ({"queue": "general", "ttl": 10}, "ttl", "Must be from 60 to 604800."),
    ({"queue": "general", "ttl": 60.5}, "ttl", "Must be an integer."),
    ({"queue": "general", "custom": {"a": "b"}}, "custom", "Unknown field."),
    # null is a JSON type of its own: the document allows it nowhere, so neither does the API.
    ({"queue": "general", "ttl": None}, "ttl", "Must be an integer."),
    ({"queue": "general", "priority": None}, "priority", "Must be an integer."),
    ({"queue": None}, "queue", "Use 'general', 'rep:<id>', 'team:<id>' or 'issue:<code name>'."),
    ({"queue": "general", "external_key": None}, "external_key", "Must be a string."),
    ({"queue": "general", "skills": None}, "skills", "Must be a list of strings."),
    (
        {"queue": "general", "custom_fields": None},
        "custom_fields",
        "Must be an object of code name to string.",
    ),
    # Lengths and characters count as sent (the document's maxLength and pattern), before the
    # surrounding spaces are trimmed.
    ({"queue": "general", "external_key": "x" * 1024 + " "}, "external_key", "At most 1024 characters."),
    ({"queue": "general", "external_key": "INC-1\x1f"}, "external_key", "No control characters."),
    ({"queue": "general", "external_key": "\x0bINC-1"}, "external_key", "No control characters."),
]


@pytest.mark.parametrize(("body", "field", "message"), BAD_BODIES)
def test_invalid_fields_are_400_with_field_errors_and_no_appliance_call(
    client, fake, secret, body, field, message
):
    response = call(client, "post", "/session-keys", body, token=secret)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert response.json()["fields"] == {field: [message]}
    assert fake.count("generate_session_key") == 0
    record = StartRequest.objects.get()
    assert (record.flow, record.outcome, record.error_fields) == ("api", "invalid", field)


# Keys the caller makes up come back cut, as values are, and are recorded as PostgreSQL can store
# them: its text takes no NUL, which once turned such a body into a 500 there.
CALLER_KEYS = [
    ("/session-keys", {"queue": "general", "\x00" * 300: 1}, "\x00" * 70),
    ("/session-keys", {"queue": "general", "custom_fields": {"a\x00b": "x"}}, "custom_fields.a\x00b"),
    ("/chat-handoffs", {"name": "Jane", "x\x00" + "y" * 200: "z"}, "x\x00" + "y" * 68),
]


@pytest.mark.parametrize(
    ("path", "body", "field"), CALLER_KEYS, ids=["unknown-key", "custom-field-key", "handoff-unknown-key"]
)
def test_keys_the_caller_makes_up_are_cut_and_recorded_without_nul(client, fake, secret, path, body, field):
    response = call(client, "post", path, body, token=secret)
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    assert fake.count("generate_session_key") == 0
    record = StartRequest.objects.get()
    assert (record.outcome, record.error_fields) == ("invalid", field.replace("\x00", "\ufffd"))


def test_integral_numbers_are_integers_as_json_schema_says(client, fake, secret):
    body = {"queue": "general", "priority": 3.0, "ttl": 600.0}
    assert call(client, "post", "/session-keys", body, token=secret).status_code == 201
    assert sent(fake, "generate_session_key") == {
        "type": "support",
        "queue_id": "general",
        "session.priority": "3",
        "ttl": "600",
    }
    response = call(client, "post", "/session-keys", {"queue": "general", "priority": 2.5}, token=secret)
    assert response.json()["fields"] == {"priority": ["Must be an integer."]}
    response = call(client, "post", "/session-keys", {"queue": "general", "priority": 1e300}, token=secret)
    assert response.json()["fields"] == {"priority": ["Must be from 1 to 3."]}


def test_a_malformed_multipart_body_is_415_json_not_an_html_page(client, secret):
    response = call(
        client, "post", "/session-keys", raw=b"--x\r\n", content_type="multipart/form-data", token=secret
    )
    assert (response.status_code, response.json()["error"]) == (415, "unsupported_media_type")


def test_schema_refuses_what_the_api_refuses(api_site):
    """The request schema is as strict as the API where JSON Schema can say it (not: sums of
    bytes, the site's active issues)."""
    schema = DOCUMENT["paths"]["/session-keys"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ]
    check = validator(schema)
    for body, _field, message in BAD_BODIES:
        # JSON Schema patterns are ECMA-262, whose `$` does not match before a trailing newline;
        # jsonschema uses Python's re, whose `$` does. The API refuses it either way.
        if "No active issue" in message or body.get("queue") == "general\n":
            continue
        assert not check.is_valid(body), body


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "error"),
    [
        (b"{", "application/json", 400, "invalid_json"),
        (b"[]", "application/json", 400, "invalid_json"),
        (b'{"queue": NaN}', "application/json", 400, "invalid_json"),
        (b"\xff\xfe", "application/json", 400, "invalid_json"),
        (b"[" * 100_000, "application/json", 413, "too_large"),
        (b"[" * 30_000 + b"]" * 30_000, "application/json", 400, "invalid_json"),  # deep nesting
        (
            json.dumps({"queue": "general", "external_key": "x" * 70_000}).encode(),
            "application/json",
            413,
            "too_large",
        ),
        (b"queue=general", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        # Valid JSON, but no text: a lone surrogate cannot be UTF-8 (it was a 500 when sent on).
        (b'{"queue": "general", "external_key": "\\ud800"}', "application/json", 400, "invalid_json"),
    ],
)
def test_bodies_that_are_not_small_json_objects(client, fake, secret, raw, content_type, status, error):
    response = call(client, "post", "/session-keys", raw=raw, content_type=content_type, token=secret)
    assert (response.status_code, response.json()["error"]) == (status, error)
    assert fake.count("generate_session_key") == 0


# ------------------------------------------------------------------------------
# Authentication, permission, methods
# ------------------------------------------------------------------------------
def test_missing_malformed_unknown_and_revoked_tokens_are_401(client, fake, api_site):
    new = create_api_token(site=api_site, name="Bot")
    body = {"queue": "general"}
    missing = call(client, "post", "/session-keys", body)
    assert missing.status_code == 401
    assert missing["WWW-Authenticate"] == 'Bearer realm="support-portal"'
    basic = call(client, "post", "/session-keys", body, headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert basic.status_code == 401
    unknown = call(client, "post", "/session-keys", body, token="sp_" + "x" * 43)
    assert unknown.status_code == 401
    assert unknown["WWW-Authenticate"] == 'Bearer realm="support-portal", error="invalid_token"'
    revoke_api_token(token=new.token)
    assert call(client, "post", "/session-keys", body, token=new.secret).status_code == 401
    assert call(client, "get", "/reps", token=new.secret).status_code == 401
    assert fake.count("generate_session_key") == 0 and fake.count("get_logged_in_reps") == 0


def test_the_document_names_each_challenge_a_401_carries(client, fake, api_site):
    """A client that reads `WWW-Authenticate` finds each value the API sends in the document:
    the bare challenge without a token, with `error="invalid_token"` for a wrong or revoked one."""
    revoked = create_api_token(site=api_site, name="Old bot")
    revoke_api_token(token=revoked.token)
    answers = [
        call(client, "get", "/reps"),
        call(client, "get", "/reps", headers={"Authorization": "Basic dXNlcjpwdw=="}),
        call(client, "get", "/reps", token="sp_" + "x" * 43),
        call(client, "get", "/reps", token=revoked.secret),
    ]
    header = DOCUMENT["paths"]["/reps"]["get"]["responses"]["401"]["headers"]["WWW-Authenticate"]
    described = re.findall(r"`([^`]+)`", header["description"])
    assert [a.status_code for a in answers] == [401] * 4
    assert [a["WWW-Authenticate"] for a in answers if a["WWW-Authenticate"] not in described] == []


def test_the_api_acts_for_its_tokens_site_in_english_whatever_the_host(
    client, fake, secret, api_site, settings
):
    """The host's site is never looked up for the API (its site is the token's), its words are
    English whatever the caller accepts, and its host is still checked against ALLOWED_HOSTS."""
    german = Site.objects.create(name="Hilfe", backend=api_site.backend, default_language="de")
    SiteHostname.objects.create(site=german, hostname="hilfe.example.com")
    settings.ALLOWED_HOSTS = ["hilfe.example.com"]
    response = client.get(
        "/api/v1/reps",
        HTTP_HOST="hilfe.example.com",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        HTTP_ACCEPT_LANGUAGE="de, ja;q=0.5",
    )
    assert response.status_code == 200
    assert [rep["name"] for rep in response.json()["reps"]] == [
        "Alex K.",
        "Jo (Partner)",
    ]  # api_site's appliance
    assert response.wsgi_request.site is None
    assert response["Content-Language"] == "en-us"
    assert "Accept-Language" not in response.get("Vary", "")
    invalid = client.post(
        "/api/v1/session-keys",
        "{}",
        content_type="application/json",
        HTTP_HOST="hilfe.example.com",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert invalid.json()["fields"] == {"queue": ["This field is required."]}
    assert invalid["Content-Language"] == "en-us"
    # The customer pages on that host are the German site's.
    page = client.get("/key/", HTTP_HOST="hilfe.example.com")
    assert page.wsgi_request.site.pk == german.pk and page["Content-Language"] == "de"
    refused = client.get("/api/v1/reps", HTTP_HOST="evil.example", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert_error_envelope(refused, 400, "bad_request")
    assert "Host header" in refused.json()["message"]
    assert fake.count("get_logged_in_reps") == 1  # the refused call asked nobody
    page = client.get("/key/", HTTP_HOST="evil.example")  # a customer page keeps its branded page
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")


def assert_error_envelope(response, status: int, error: str) -> None:
    """An error the API's own code never saw still leaves in its envelope (the document's Error)."""
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    validator(DOCUMENT["components"]["schemas"]["Error"]).validate(response.json())
    assert response.json()["error"] == error


def test_a_server_error_under_the_api_is_json_and_elsewhere_the_branded_page(site, settings):
    settings.ROOT_URLCONF = "tests.urls_errors"
    client = Client(raise_request_exception=False)
    api = client.get("/api/v1/test-only/broken/")
    assert_error_envelope(api, 500, "server_error")
    assert "the database said no" not in api.content.decode()  # never the exception's words
    page = client.get("/test-only/broken/")
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")


def test_token_acts_for_its_own_site_only(client, fake, secret, api_site):
    other = Site.objects.create(name="Other", backend=api_site.backend)
    other_secret = create_api_token(site=other, name="Other desk").secret
    # "printing" is an issue of the first site only
    body = {"queue": "issue:printing"}
    assert call(client, "post", "/session-keys", body, token=secret).status_code == 201
    assert call(client, "post", "/session-keys", body, token=other_secret).status_code == 400


def test_a_preview_site_makes_no_session_keys_even_with_api_credentials(client, fake, api_site):
    """Its adapter offers none (record 0057): a 403 before anything is called, not a 500."""
    api_site.backend.kind = Backend.Kind.PREVIEW
    api_site.backend.save()
    token = create_api_token(site=api_site, name="Bot").secret
    for path in ("/session-keys", "/chat-handoffs"):
        response = call(client, "post", path, {"queue": "general", "name": "Jane"}, token=token)
        assert (response.status_code, response.json()["error"]) == (403, "forbidden")
        assert "makes no session keys" in response.json()["message"]
    assert fake.count("generate_session_key") == fake.count("create_virtual_customer") == 0


def test_a_preview_site_lists_its_sample_representatives_as_its_rep_page_does(client, db):
    """The demo's backend: no appliance and no credentials, but a rep list to show (record 0034),
    so GET reps answers with it rather than a 403 about BeyondTrust credentials."""
    preview = Backend.objects.create(name="Preview", kind=Backend.Kind.PREVIEW)
    demo = Site.objects.create(name="Demo", is_default=True, backend=preview)
    token = create_api_token(site=demo, name="Bot").secret
    response = call(client, "get", "/reps", token=token)
    assert response.status_code == 200
    page = client.get("/reps/").content.decode()
    listed = response.json()["reps"]
    assert listed and all(rep["name"] in page for rep in listed)
    assert response.json()["stale"] is False
    for path in ("/session-keys", "/chat-handoffs"):
        response = call(client, "post", path, {"queue": "general", "name": "Jane"}, token=token)
        assert (response.status_code, response.json()["error"]) == (403, "forbidden")


def test_take_control_site_or_missing_credentials_is_403(client, fake, api_site):
    takecontrol = Backend.objects.create(
        name="TC", kind=Backend.Kind.TAKECONTROL, base_url="https://api.us0.swi-rc.com/rest"
    )
    tc_site = Site.objects.create(name="TC site", backend=takecontrol)
    tc_secret = create_api_token(site=tc_site, name="Bot").secret
    for method, path in (("post", "/session-keys"), ("post", "/chat-handoffs"), ("get", "/reps")):
        body = {"queue": "general", "name": "Jane"} if method == "post" else None
        response = call(client, method, path, body, token=tc_secret)
        assert (response.status_code, response.json()["error"]) == (403, "forbidden")

    bare = Backend.objects.create(name="No secret", kind=Backend.Kind.MODERN, base_url=fake.base_url)
    bare_secret = create_api_token(site=Site.objects.create(name="Bare", backend=bare), name="Bot").secret
    assert call(client, "post", "/session-keys", {"queue": "general"}, token=bare_secret).status_code == 403
    assert fake.count("generate_session_key") == 0


def test_a_take_control_sites_403_names_the_call_that_works_there(client, db):
    """Not "the API needs BeyondTrust": a Take Control site's token signs prefill links."""
    takecontrol = Backend.objects.create(
        name="TC", kind=Backend.Kind.TAKECONTROL, base_url="https://api.us0.swi-rc.com/rest"
    )
    tc_site = Site.objects.create(name="TC site", backend=takecontrol, prefill_secret="s" * 32)
    SiteHostname.objects.create(site=tc_site, hostname="tc.example.com")
    token = create_api_token(site=tc_site, name="Bot").secret
    refused = call(client, "get", "/reps", token=token).json()["message"]
    [named] = re.findall(r"POST /api/v1/([\w-]+)", refused)
    assert (
        call(client, "post", f"/{named}", {"values": {"external_key": "T-1"}}, token=token).status_code == 201
    )


def test_wrong_method_is_405_with_allow_and_unknown_path_404(client, secret):
    response = call(client, "get", "/session-keys", token=secret)
    assert (response.status_code, response["Allow"]) == (405, "POST")
    response = call(client, "delete", "/reps", token=secret)
    assert (response.status_code, response["Allow"]) == (405, "GET")
    response = call(client, "get", "/nothing-here", token=secret)
    assert response.status_code == 404
    assert response.json() == {
        "error": "not_found",
        "message": "No such API endpoint; see /api/v1/openapi.json.",
    }


@pytest.mark.parametrize(
    ("path", "meant"),
    [
        ("/reps/", "/api/v1/reps"),
        ("/session-keys/", "/api/v1/session-keys"),
        ("/openapi.json/", "/api/v1/openapi.json"),
    ],
)
def test_a_path_that_differs_by_its_trailing_slash_is_named_in_the_404(client, secret, path, meant):
    """A client that ends every path with a slash is told the endpoint it meant; the answer is
    still the 404 (an API client follows no redirect with its POST body)."""
    posted = "session" in path
    response = call(client, "post" if posted else "get", path, {} if posted else None, token=secret)
    assert response.status_code == 404
    assert response.json() == {
        "error": "not_found",
        "message": f"No such API endpoint; did you mean {meant}? See /api/v1/openapi.json.",
    }
    for unknown in ("/reps/x", "/repss/", "//"):
        assert "did you mean" not in call(client, "get", unknown, token=secret).json()["message"], unknown


# ------------------------------------------------------------------------------
# Appliance failures
# ------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["http500", "error_root", "error_child", "malformed", "json", "bomb"])
def test_appliance_failure_is_502_without_the_vendors_words(client, fake, secret, mode):
    fake.fail(mode, action="generate_session_key")
    response = call(client, "post", "/session-keys", {"queue": "general"}, token=secret)
    assert (response.status_code, response.json()["error"]) == (502, "appliance_error")
    assert "<" not in response.json()["message"]
    assert StartRequest.objects.get().outcome == "failed"


def test_unreachable_appliance_is_502(client, secret, api_site):
    backend = api_site.backend
    backend.base_url = "http://127.0.0.1:9"  # discard port: nothing listens
    backend.save()
    response = call(client, "post", "/session-keys", {"queue": "general"}, token=secret)
    assert response.status_code == 502


def test_repeated_outages_open_the_breaker_then_503_with_retry_after(client, fake, secret):
    fake.fail("http500", action="generate_session_key")
    for _ in range(beyondtrust_adapter.BREAKER_FAILURES):
        assert call(client, "post", "/session-keys", {"queue": "general"}, token=secret).status_code == 502
    response = call(client, "post", "/session-keys", {"queue": "general"}, token=secret)
    assert (response.status_code, response.json()["error"]) == (503, "unavailable")
    assert response["Retry-After"] == str(beyondtrust_adapter.BREAKER_RESET_SECONDS)
    assert fake.count("generate_session_key") == beyondtrust_adapter.BREAKER_FAILURES
    response = call(client, "post", "/chat-handoffs", {"name": "Jane"}, token=secret)
    assert response.status_code == 503


def test_refusals_do_not_open_the_breaker(client, fake, secret):
    fake.fail("error_root", action="generate_session_key")
    for _ in range(beyondtrust_adapter.BREAKER_FAILURES + 2):
        assert call(client, "post", "/session-keys", {"queue": "general"}, token=secret).status_code == 502


@pytest.mark.parametrize(
    ("path", "body"), [("/session-keys", {"queue": "general"}), ("/chat-handoffs", {"name": "Jane"})]
)
def test_an_appliance_key_that_is_no_session_key_is_a_502(client, fake, secret, path, body):
    """A broken answer is the appliance's failure: no server error, no key page link whose key
    the key page refuses, no virtual customer for it."""
    fake.serve("generate_session_key", "session_key_malformed.xml")
    response = call(client, "post", path, body, token=secret)
    assert (response.status_code, response.json()["error"]) == (502, "appliance_error")
    assert fake.count("create_virtual_customer") == 0
    assert StartRequest.objects.get().outcome == StartRequest.Outcome.FAILED


@pytest.mark.parametrize(
    ("path", "body"), [("/session-keys", {"queue": "general"}), ("/chat-handoffs", {"name": "Jane"})]
)
def test_a_key_with_letters_the_key_page_refuses_is_given_to_nobody(client, fake, secret, path, body):
    """The appliance makes keys with letters while the backend says keys are digits: its key
    page would refuse the key, so no link, no key and no chat customer waiting for it; the
    integration is told which setting to turn on
    (docs/decisions/0122-generated-keys-follow-the-key-page.md)."""
    fake.serve("generate_session_key", "session_key_letters.xml")
    response = call(client, "post", path, body, token=secret)
    assert response.status_code == 502
    assert response.json()["error"] == "appliance_error"
    assert "48A6bC3" not in response.content.decode()
    assert "“session keys may contain letters” is off" in response.json()["message"]
    assert fake.count("create_virtual_customer") == 0
    assert StartRequest.objects.get().outcome == StartRequest.Outcome.FAILED


@pytest.mark.parametrize(
    ("path", "body"), [("/session-keys", {"queue": "general"}), ("/chat-handoffs", {"name": "Jane"})]
)
def test_with_letters_allowed_the_key_with_letters_opens_the_key_page(
    client, fake, secret, settings, path, body
):
    backend = Site.objects.get().backend
    backend.allow_letters_in_key = True
    backend.save()
    fake.serve("generate_session_key", "session_key_letters.xml")
    response = call(client, "post", path, body, token=secret)
    assert response.status_code == 201
    assert response.json()["short_key"] == "48A6bC3"
    if path == "/chat-handoffs":
        assert sent(fake, "create_virtual_customer")["short_key"] == "48A6bC3"
        return
    settings.ALLOWED_HOSTS = ["help.example.com"]
    url = urlsplit(response.json()["portal_url"])
    page = client.get(f"{url.path}?{url.query}", HTTP_HOST=url.hostname).content.decode()
    filled = element(page, "input", name="key").attrs["value"]
    started = client.post(url.path, form_data(key=filled), HTTP_HOST=url.hostname)
    assert "short_key=48A6bC3&" in started["Location"]


# ------------------------------------------------------------------------------
# POST /chat-handoffs
# ------------------------------------------------------------------------------
def test_chat_handoff_with_defaults(client, fake, secret):
    response = call(
        client, "post", "/chat-handoffs", {"name": "Jane Doe", "external_key": "INC9"}, token=secret
    )
    assert response.status_code == 201
    assert response.json() == {
        "short_key": "4826153",
        "download_url": "https://support.example.com/download_client_connector?key=abc123",
        "chat_url": "https://support.example.com/api/start_session?short_key=4826153&c2cjs=1",
    }
    assert sent(fake, "generate_session_key") == {
        "type": "support",
        "queue_id": "general",
        "session.custom.external_key": "INC9",
    }
    assert sent(fake, "create_virtual_customer") == {
        "short_key": "4826153",
        "name": "Jane Doe",
        "ip_address": "0.0.0.0",
        "operating_system": "Chat",
        "computer_name": "Zendesk",
    }
    record = StartRequest.objects.get()
    assert (record.flow, record.outcome, record.chat, record.customer_data) == ("api", "started", True, None)


def test_chat_handoff_with_every_field(client, fake, secret):
    response = call(
        client,
        "post",
        "/chat-handoffs",
        {
            "name": "Jane",
            "ip_address": "2001:db8::5",
            "operating_system": "Windows 11",
            "computer_name": "PC-0042",
            "locale": "de",
            "queue": "issue:vpn",
            "priority": 1,
            "custom_fields": {"asset_tag": "LT-1"},
            "skills": ["vpn"],
            "ttl": 600,
        },
        token=secret,
    )
    assert response.status_code == 201
    assert sent(fake, "generate_session_key") == {
        "type": "support",
        "queue_id": "issue:vpn",
        "ttl": "600",
        "session.priority": "1",
        "session.skills": "vpn",
        "session.custom.asset_tag": "LT-1",
    }
    assert sent(fake, "create_virtual_customer") == {
        "short_key": "4826153",
        "name": "Jane",
        "ip_address": "2001:db8::5",
        "operating_system": "Windows 11",
        "computer_name": "PC-0042",
        "locale": "de",
    }


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "name", "This field is required."),
        ({"name": "  "}, "name", "This field is required."),
        ({"name": "x" * 101}, "name", "At most 100 characters."),
        ({"name": "Jane", "ip_address": "999.1.1.1"}, "ip_address", "Not an IPv4 or IPv6 address."),
        (
            {"name": "Jane", "locale": "klingon"},
            "locale",
            "Use one of: de, en-us, es, es-sp, fi, fr, it, ja, nl, pt-br, pt-pt, ru, sv-se, tr, zh, zh-hans.",
        ),
        (
            {"name": "Jane", "queue": "nowhere"},
            "queue",
            "Use 'general', 'rep:<id>', 'team:<id>' or 'issue:<code name>'.",
        ),
        (
            {"name": "Jane", "locale": ""},
            "locale",
            "Use one of: de, en-us, es, es-sp, fi, fr, it, ja, nl, pt-br, pt-pt, ru, sv-se, tr, zh, zh-hans.",
        ),
        ({"name": "Jane", "ip_address": " 10.0.0.1"}, "ip_address", "Not an IPv4 or IPv6 address."),
        ({"name": "Jane", "ip_address": "fe80::1%eth0"}, "ip_address", "Not an IPv4 or IPv6 address."),
        ({"name": "Jane", "ip_address": None}, "ip_address", "Must be a string."),
        ({"name": "Jane\x1c"}, "name", "No control characters."),
        ({"name": None}, "name", "Must be a string."),
        ({"name": "😀😀"}, "name", "At least one letter or digit."),
        ({"name": " !!! "}, "name", "At least one letter or digit."),
        ({"name": "\u3164\u3164"}, "name", "At least one letter or digit."),  # Hangul fillers: blank
    ],
)
def test_chat_handoff_validation(client, fake, secret, body, field, message):
    response = call(client, "post", "/chat-handoffs", body, token=secret)
    assert response.status_code == 400
    assert response.json()["fields"] == {field: [message]}
    assert fake.count("generate_session_key") == 0


@pytest.mark.parametrize("name", ["李", "Ødegård", "محمد", "R2"])
def test_chat_handoff_takes_a_name_in_any_script(client, fake, secret, name):
    assert call(client, "post", "/chat-handoffs", {"name": name}, token=secret).status_code == 201
    assert sent(fake, "create_virtual_customer")["name"] == name


UNSHOWABLE = "No invisible, private-use or noncharacter code points."


@pytest.mark.parametrize(
    ("computer_name", "sent_as"),
    [
        ("DESKTOP-7H2K9QX", "DESKTOP-7H2K9QX"),  # a Windows NetBIOS name as Windows makes them
        ("pc0042.corp.example.com", "pc0042.corp.example.com"),  # a DNS name
        ("Jane's MacBook Pro", "Jane's MacBook Pro"),  # macOS: spaces and an apostrophe
        ("Jane\u2019s iMac", "Jane\u2019s iMac"),  # macOS's own typographic apostrophe
        ("王的电脑", "王的电脑"),
        ("Компьютер-Ивана", "Компьютер-Ивана"),
        ("A&B #3 (50%) = ok?", "A&B #3 (50%) = ok?"),  # characters a form encoding must escape
        ("  PC-0042  ", "PC-0042"),  # trimmed, as every text field is
        ("x" * 100, "x" * 100),  # the limit applied
        # The joiners where a name needs them (record 0116): a zero-width non-joiner in Persian
        # and after a virama; a zero-width joiner for a half-form and inside an emoji.
        ("لپ\u200cتاپ مهدی\u200cزاده", "لپ\u200cتاپ مهدی\u200cزاده"),
        ("कम्प्यूटर-श्रीनिवास", "कम्प्यूटर-श्रीनिवास"),
        ("क्\u200cष-PC", "क्\u200cष-PC"),
        ("क्\u200dष-PC", "क्\u200dष-PC"),
        ("ශ්\u200dරී-PC", "ශ්\u200dරී-PC"),
        ("Jane's \U0001f469\u200d\U0001f4bb Mac", "Jane's \U0001f469\u200d\U0001f4bb Mac"),
        (
            "Jane's \U0001f469\U0001f3fd\u200d\U0001f4bb Mac",
            "Jane's \U0001f469\U0001f3fd\u200d\U0001f4bb Mac",
        ),
    ],
)
def test_chat_handoff_sends_a_real_computer_name_exactly(client, fake, secret, computer_name, sent_as):
    """What the vendor receives in create_virtual_customer is the value, parameter by
    parameter, and the customer's chat link is the vendor's unchanged
    (docs/decisions/0116-chat-handoff-computer-name.md)."""
    response = call(
        client, "post", "/chat-handoffs", {"name": "Jane", "computer_name": computer_name}, token=secret
    )
    assert response.status_code == 201
    assert sent(fake, "create_virtual_customer") == {
        "short_key": "4826153",
        "name": "Jane",
        "ip_address": "0.0.0.0",
        "operating_system": "Chat",
        "computer_name": sent_as,
    }
    assert (
        response.json()["chat_url"]
        == "https://support.example.com/api/start_session?short_key=4826153&c2cjs=1"
    )


@pytest.mark.parametrize(
    ("computer_name", "message"),
    [
        ("x" * 101, "At most 100 characters."),
        ("PC\x07", "No control characters."),
        ("PC\x85", "No control characters."),  # C1
        ("PC\u202eexe.txt", "No control characters."),  # a bidirectional override
        ("PC\n0042", "One line only."),
        ("PC\t0042", "One line only."),
        ("\u200b", "At least one letter or digit."),  # draws nothing in the console
        ("\u3164", "At least one letter or digit."),
        ("😀", "At least one letter or digit."),
        ("---", "At least one letter or digit."),
        # Inside a name, what the console shows as nothing or as a font's own glyph, and what
        # is no character at all (record 0116): two names that read alike must be alike.
        ("PC\u200bX", UNSHOWABLE),  # zero-width space
        ("PC\u2060X", UNSHOWABLE),  # word joiner
        ("PC\u00adX", UNSHOWABLE),  # soft hyphen
        ("\ufeffPC-0042", UNSHOWABLE),  # byte order mark
        ("PC\u200eX", UNSHOWABLE),  # left-to-right mark
        ("PC\u061cX", UNSHOWABLE),  # Arabic letter mark
        ("PC\U000e0041X", UNSHOWABLE),  # a tag character
        ("PC\u200dX", UNSHOWABLE),  # a joiner between Latin letters joins nothing
        ("PC\u200cX", UNSHOWABLE),
        ("\u200cمهدی", UNSHOWABLE),  # nothing before it to keep apart
        ("مهدی\u200c", UNSHOWABLE),  # nothing after it
        ("मोहन \u200dPC", UNSHOWABLE),  # after a space
        ("PC\ufffe", UNSHOWABLE),  # noncharacters
        ("PC\uffff", UNSHOWABLE),
        ("PC\ufdd0", UNSHOWABLE),
        ("PC\ufdef", UNSHOWABLE),
        ("PC\U0001fffe", UNSHOWABLE),
        ("PC\U0010ffff", UNSHOWABLE),
        ("PC\ue000", UNSHOWABLE),  # private use
        ("PC\uf8ff", UNSHOWABLE),
        ("PC\U000f0000", UNSHOWABLE),
        ("PC\U00100001", UNSHOWABLE),
    ],
)
def test_chat_handoff_refuses_a_computer_name_the_console_could_not_show(
    client, fake, secret, computer_name, message
):
    response = call(
        client, "post", "/chat-handoffs", {"name": "Jane", "computer_name": computer_name}, token=secret
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert response.json()["fields"] == {"computer_name": [message]}
    assert fake.count("generate_session_key") == 0 and fake.count("create_virtual_customer") == 0


@pytest.mark.parametrize("name", ["Jane\u200bDoe", "Jane\ue000", "\ufdd0Jane", "Jane\u200d"])
def test_chat_handoff_refuses_a_customer_name_with_a_character_a_name_must_not_hold(
    client, fake, secret, name
):
    """The customer's name is under the computer name's rule (text_rules.name_problem)."""
    response = call(client, "post", "/chat-handoffs", {"name": name}, token=secret)
    assert response.status_code == 400
    assert response.json()["fields"] == {"name": [UNSHOWABLE]}
    assert fake.count("generate_session_key") == 0 and fake.count("create_virtual_customer") == 0


@pytest.mark.parametrize("field", ["computer_name", "name", "operating_system"])
def test_chat_handoff_refuses_a_lone_surrogate_before_any_rule(client, fake, secret, field):
    """JSON may write half of a UTF-16 pair (\\ud800), which is no character: the body is
    refused whole, so no field, a name or not, carries one to the appliance."""
    fields = {"name": "Jane", field: "PC-SURROGATE"}
    raw = json.dumps(fields).replace("-SURROGATE", "\\ud800").encode()
    assert json.loads(raw)[field] == "PC\ud800"  # what Python's JSON reader makes of it
    response = call(client, "post", "/chat-handoffs", raw=raw, token=secret)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"
    assert fake.count("generate_session_key") == 0 and fake.count("create_virtual_customer") == 0


def test_chat_handoff_with_a_blank_computer_name_sends_the_tokens_name(client, fake, secret):
    assert (
        call(
            client, "post", "/chat-handoffs", {"name": "Jane", "computer_name": "   "}, token=secret
        ).status_code
        == 201
    )
    assert sent(fake, "create_virtual_customer")["computer_name"] == "Zendesk"


@pytest.mark.parametrize(
    ("token_name", "sent_as"),
    [
        ("Zendesk EU", "Zendesk EU"),
        ("チャットボット", "チャットボット"),
        ("\u00a0Zendesk\u00a0", "Zendesk"),
        # Names saved before the admin and portal_token checked them (the "***" an admin may
        # still choose): none of these is a name the console can show.
        ("Zen\u200bdesk", "Chat"),  # a zero-width space: another name that looks the same
        ("***", "Chat"),  # only symbols
        ("\u202eksednez", "Chat"),  # a bidirectional override
        ("Zendesk\nEU", "Chat"),  # a line break
        ("\ue000Bot", "Chat"),  # a private-use character
    ],
)
def test_chat_handoff_falls_back_from_a_token_name_that_is_no_name(
    client, fake, api_site, token_name, sent_as
):
    """The token's name stood in for a blank computer name without the rule a sent one meets
    (docs/decisions/0116-chat-handoff-computer-name.md): what reaches the console is either a
    name by that rule or the generic `Chat`."""
    # Saved as a token of before the checks was: create_api_token refuses such names now.
    secret = save_new_token(token=ApiToken(site=api_site, name=token_name)).secret
    response = call(client, "post", "/chat-handoffs", {"name": "Jane"}, token=secret)
    assert response.status_code == 201
    assert sent(fake, "create_virtual_customer")["computer_name"] == sent_as


def test_chat_handoff_fails_as_502_when_the_virtual_customer_is_refused(client, fake, secret):
    fake.fail("error_root", action="create_virtual_customer")
    response = call(client, "post", "/chat-handoffs", {"name": "Jane"}, token=secret)
    assert (response.status_code, response.json()["error"]) == (502, "appliance_error")


def test_chat_handoff_keeps_the_name_only_when_the_site_keeps_personal_data(client, fake, secret, api_site):
    api_site.keep_personal_data = True
    api_site.save()
    call(client, "post", "/chat-handoffs", {"name": "Jane", "external_key": "INC9"}, token=secret)
    assert StartRequest.objects.get().customer_data == {"name": "Jane", "external_key": "INC9"}


@pytest.mark.parametrize("locale", ["de", "pt-br", ""])
def test_chat_handoff_records_the_chats_language(client, fake, secret, api_site, locale):
    """The start record, and so the webhook's `language`, is the chat's: the `locale` the
    representative chats in, else the site's default language, as for the API's other starts."""
    api_site.default_language = "fr"
    api_site.save()
    body = {"name": "Jane", "external_key": "INC9", **({"locale": locale} if locale else {})}
    assert call(client, "post", "/chat-handoffs", body, token=secret).status_code == 201
    assert StartRequest.objects.get().locale == (locale or "fr")


def test_a_failed_chat_handoff_records_the_chats_language(client, fake, secret):
    fake.fail("error", action="create_virtual_customer")
    body = {"name": "Jane", "locale": "ja"}
    assert call(client, "post", "/chat-handoffs", body, token=secret).status_code == 502
    record = StartRequest.objects.get()
    assert (record.outcome, record.locale) == ("failed", "ja")


# ------------------------------------------------------------------------------
# GET /reps
# ------------------------------------------------------------------------------
def test_reps_lists_public_names_of_listed_reps_from_the_rep_pages_cache(client, fake, secret):
    response = call(client, "get", "/reps", token=secret)
    assert response.status_code == 200
    # Sam (id 15) is online but not showing on the rep list; private names never leave.
    assert response.json() == {
        "reps": [{"id": 12, "name": "Alex K."}, {"id": 21, "name": "Jo (Partner)"}],
        "stale": False,
    }
    assert "PRIVATE" not in response.content.decode()
    client.get("/reps/")  # the customer page reads the same cache
    call(client, "get", "/reps", token=secret)
    assert fake.count("get_logged_in_reps") == 1


def test_the_rep_list_answer_is_the_one_django_ninja_makes(client, fake, secret, rf):
    """GET /reps answers with a ready response (docs/decisions/0095-rep-list-answer-without-validation.md):
    its schema must accept it, and django-ninja's own rendering of the validated list must be
    the same bytes and headers."""
    response = call(client, "get", "/reps", token=secret)
    validated = RepList.model_validate_json(response.content)
    made = ninja_api.create_response(rf.get("/api/v1/reps"), validated.model_dump(), status=200)
    assert response.content == made.content
    for header in ("Content-Type", "Cache-Control"):
        assert response[header] == made[header]


def test_reps_when_the_appliance_fails_with_nothing_cached(client, fake, secret):
    fake.fail("http500", action="get_logged_in_reps")
    response = call(client, "get", "/reps", token=secret)
    assert (response.status_code, response.json()["error"]) == (502, "appliance_error")
    for _ in range(beyondtrust_adapter.BREAKER_FAILURES):
        call(client, "get", "/reps", token=secret)
    response = call(client, "get", "/reps", token=secret)
    assert (response.status_code, response["Retry-After"]) == (
        503,
        str(beyondtrust_adapter.BREAKER_RESET_SECONDS),
    )


# ------------------------------------------------------------------------------
# Times: UTC to the second with "+00:00", as the README says (the webhooks write "Z"); receivers
# parse them, so the form must not drift
# ------------------------------------------------------------------------------
def test_a_session_keys_expiry_is_written_in_utc_whatever_offset_the_appliance_wrote(client, fake, secret):
    """An appliance that writes the expiry as text with its own offset and milliseconds (and no
    Unix timestamp) was passed on as written: "2024-05-06T16:00:00.250000+02:00"."""
    fake.serve("generate_session_key", "session_key_expiry_with_offset.xml")
    response = call(client, "post", "/session-keys", {"queue": "general"}, token=secret)
    assert response.status_code == 201
    assert response.json()["expires"] == "2024-05-06T14:00:00+00:00"


@pytest.mark.parametrize(
    "document", ["session_key_expiry_out_of_range.xml", "session_key_expiry_far_timestamp.xml"]
)
def test_a_session_keys_expiry_that_is_no_time_in_utc_is_written_as_none(client, fake, secret, document):
    """An expiry past what a time can hold (year 9999 at UTC-5, Unix seconds past year 9999) is
    unreadable, as the schema's null allows: the key is still handed out, never a 500."""
    fake.serve("generate_session_key", document)
    response = call(client, "post", "/session-keys", {"queue": "general"}, token=secret)
    assert response.status_code == 201
    assert (response.json()["short_key"], response.json()["expires"]) == ("4826153", None)


def test_a_prefill_links_expiry_is_written_in_utc_to_the_second(client, secret, api_site):
    api_site.prefill_secret = "s"
    api_site.save()
    with time_machine.travel(datetime(2026, 12, 7, 9, 8, 42, 654321, tzinfo=UTC), tick=False):
        response = call(
            client, "post", "/prefill-links", {"values": {"name": "Jane"}, "expires_in": 3600}, token=secret
        )
    assert response.json()["expires"] == "2026-12-07T10:08:42+00:00"


def test_the_openapi_document_says_how_times_are_written():
    schemas = DOCUMENT["components"]["schemas"]
    for field in (
        schemas["SessionKey"]["properties"]["expires"]["anyOf"][0],
        schemas["PrefillLink"]["properties"]["expires"],
    ):
        assert field["format"] == "date-time"
        assert re.fullmatch(field["pattern"], "2026-12-07T10:08:42+00:00")
        assert not re.fullmatch(field["pattern"], "2026-12-07T10:08:42Z")
        assert not re.fullmatch(field["pattern"], "2026-12-07T10:08:42.5+00:00")


# ------------------------------------------------------------------------------
# POST /prefill-links
# ------------------------------------------------------------------------------
def test_prefill_link_is_signed_with_the_sites_secret(client, secret, api_site):
    api_site.prefill_secret = "help-desk-shared-secret"
    api_site.save()
    values = {"external_key": "INC0012345", "name": "Jane Doe", "cf_asset_tag": "LT-4471"}
    response = call(client, "post", "/prefill-links", {"values": values, "expires_in": 3600}, token=secret)
    assert response.status_code == 201
    url = urlsplit(response.json()["url"])
    assert (url.scheme, url.hostname, url.path) == ("http", "help.example.com", "/survey/")
    assert prefill.verified_values(secret="help-desk-shared-secret", query=url.query) == values
    assert prefill.verified_values(secret="another", query=url.query) == {}

    response = call(
        client, "post", "/prefill-links", {"flow": "key", "values": {"key": "1234567"}}, token=secret
    )
    assert urlsplit(response.json()["url"]).path == "/key/"


def test_a_prefill_link_may_open_the_home_page_as_the_command_does(client, secret, api_site):
    """An operator's walk-through: `portal_prefill_link --flow home` signed a link to the home
    page, the API refused `flow: home`. The home page's key form locks what the key page
    locks and its links carry the signature on to the survey, so both forms judge the values."""
    api_site.prefill_secret = "s"
    api_site.save()
    values = {"external_key": "INC-HOME", "name": "Jane Doe"}
    response = call(client, "post", "/prefill-links", {"flow": "home", "values": values}, token=secret)
    assert response.status_code == 201
    url = urlsplit(response.json()["url"])
    assert (url.hostname, url.path) == ("help.example.com", "/")
    assert prefill.verified_values(secret="s", query=url.query) == values
    body = {"flow": "home", "values": {"key": "abc", "issue": "nope"}}
    response = call(client, "post", "/prefill-links", body, token=secret)
    assert response.json()["fields"] == {
        "values.key": ["A session key has only digits."],
        "values.issue": ["Please choose one of the listed topics."],
    }


def shipped_request_line_limit() -> int:
    """gunicorn's limit_request_line as gunicorn.conf.py leaves it (gunicorn's own default where
    the file sets none): the longest request line the portal as shipped takes."""
    config = Config()
    for name, value in runpy.run_path(str(ROOT / "gunicorn.conf.py")).items():
        if name in config.settings:
            config.set(name, value)
    return config.limit_request_line


def link_request_line(url: str) -> str:
    """The longest request line a browser sends for a survey link and its page's own links: its
    language links add `locale` (`zh-hans` the longest), a frame's `embed=1`."""
    parts = urlsplit(url)
    return f"GET {parts.path}?{parts.query}&embed=1&locale=zh-hans HTTP/1.1"


def test_a_prefill_link_is_at_most_as_long_as_the_shipped_server_takes(client, secret, api_site):
    """A hostile walk: the API signed a 50 KB link, which gunicorn (limit_request_line, 4094
    bytes) and common proxies (8 KB) refuse with a bare 400. A link whose request line is at the
    server's limit is signed; one byte more is refused, with the limit and the length."""
    api_site.prefill_secret = "s"
    api_site.save()
    limit = shipped_request_line_limit()
    assert limit <= 8190  # the most gunicorn takes, and what common proxies take
    # "%" is three bytes in a link: 1024 of them in the details (its most) and an external key
    # long enough that the survey link's request line is exactly at the limit.
    base = {"details": "%" * 1024, "external_key": ""}
    probe = call(client, "post", "/prefill-links", {"values": base}, token=secret).json()["url"]
    room = limit - len(link_request_line(probe))
    assert 0 < room <= 1024
    at_limit = {**base, "external_key": "x" * room}
    response = call(client, "post", "/prefill-links", {"values": at_limit}, token=secret)
    assert response.status_code == 201
    assert len(link_request_line(response.json()["url"])) == limit
    over = {**base, "external_key": "x" * (room + 1)}
    response = call(client, "post", "/prefill-links", {"values": over}, token=secret)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert response.json()["fields"] == {
        "values": [
            f"The link is too long to open: a browser would ask for it in a request line of {limit + 1} "
            f"bytes (with the language and frame parameters the portal's pages add), and the portal's "
            f"server takes at most {limit}. Shorten the values."
        ]
    }


def test_a_home_link_leaves_room_for_the_longest_page_it_leads_to(client, secret, api_site):
    """The landing page's buttons carry a home link's query on to the technician list, whose
    path is the longest: a home link is held to that page's request line."""
    api_site.prefill_secret = "s"
    api_site.save()
    limit = shipped_request_line_limit()
    base = {"details": "%" * 1024, "external_key": ""}
    probe = call(client, "post", "/prefill-links", {"values": base}, token=secret).json()["url"]
    room = limit - len(link_request_line(probe))
    at_survey_limit = {"flow": "home", "values": {**base, "external_key": "x" * room}}
    response = call(client, "post", "/prefill-links", at_survey_limit, token=secret)
    assert response.status_code == 400
    assert (
        f"a request line of {limit + len('/technicians/') - len('/survey/')} bytes"
        in (response.json()["fields"]["values"][0])
    )
    shorter = {"flow": "home", "values": {**base, "external_key": "x" * (room - 5)}}
    assert call(client, "post", "/prefill-links", shorter, token=secret).status_code == 201


def test_prefill_link_works_on_take_control_sites_and_needs_a_secret(client, db):
    takecontrol = Backend.objects.create(
        name="TC", kind=Backend.Kind.TAKECONTROL, base_url="https://api.us0.swi-rc.com/rest"
    )
    tc_site = Site.objects.create(name="TC site", backend=takecontrol, is_default=True)  # links reach it
    tc_secret = create_api_token(site=tc_site, name="Bot").secret
    body = {"values": {"name": "Jane"}}
    response = call(client, "post", "/prefill-links", body, token=tc_secret)
    assert (response.status_code, response.json()["error"]) == (403, "forbidden")
    tc_site.prefill_secret = "s"
    tc_site.save()
    assert call(client, "post", "/prefill-links", body, token=tc_secret).status_code == 201


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "values", "Must be a non-empty object of parameter name to string."),
        ({"values": {}}, "values", "Must be a non-empty object of parameter name to string."),
        (
            {"values": {"sig": "x"}},
            "values.sig",
            "Not a prefill parameter: key, name, company, "
            "company_code, details, issue, external_key, email, customer_number or cf_<code name>.",
        ),
        ({"values": {"name": "x" * 101}}, "values.name", "At most 100 characters."),
        ({"values": {"cf_note": "x" * 1025}}, "values.cf_note", "At most 1024 characters."),
        ({"values": {"name": 5}}, "values.name", "Must be a string."),
        ({"values": {"name": "J"}, "flow": "reps"}, "flow", "Use 'survey', 'key' or 'home'."),
        ({"values": {"name": "J"}, "expires_in": 10**9}, "expires_in", "Must be from 60 to 7776000."),
        # A signed value is locked in the form: one the form would refuse leaves the customer stuck
        # before a field they cannot change, so the API refuses it with the form's own limits.
        ({"values": {"details": "é" * 513}}, "values.details", "At most 1024 UTF-8 bytes."),
        ({"values": {"name": "Jane\x01"}}, "values.name", "No control characters."),
        ({"values": {"external_key": "INC-1\r\nX"}}, "values.external_key", "One line only."),
        ({"values": {"cf_note": "a\u202eb"}}, "values.cf_note", "No control characters."),
        ({"values": {"name": "Jane\x1f"}}, "values.name", "No control characters."),
        (
            {"values": {"name": "---"}},
            "values.name",
            "Please enter a name with at least one letter or digit.",
        ),
        (
            {"values": {"name": "Jane\u200bDoe"}},
            "values.name",
            "This contains invisible control characters. Please retype it.",
        ),
        (
            {"values": {"cf_bad code": "x"}},
            "values.cf_bad code",
            "Not a prefill parameter: key, name, "
            "company, company_code, details, issue, external_key, email, customer_number or cf_<code name>.",
        ),
        ({"values": {"name": "J"}, "flow": ""}, "flow", "Use 'survey', 'key' or 'home'."),
        ({"values": {"name": "J"}, "expires_in": None}, "expires_in", "Must be an integer."),
    ],
)
def test_prefill_link_validation(client, secret, api_site, body, field, message):
    api_site.prefill_secret = "s"
    api_site.save()
    response = call(client, "post", "/prefill-links", body, token=secret)
    assert response.status_code == 400
    assert response.json()["fields"] == {field: [message]}


def test_prefill_link_takes_what_the_form_takes(client, secret, api_site):
    api_site.prefill_secret = "s"
    api_site.save()
    values = {"details": "é" * 512, "name": "x" * 100}
    values_multiline = {"details": "Printer offline.\nSince Monday."}
    names_in_any_script = [{"name": name} for name in ("李", "Ødegård", "محمد", "R2-D2")]
    for body in (values, values_multiline, *names_in_any_script):
        assert call(client, "post", "/prefill-links", {"values": body}, token=secret).status_code == 201


@pytest.fixture
def lockable_fields(api_site):
    fields = {}
    for code_name, field_type, extra in (
        ("contact_mail", CustomField.Type.EMAIL, {}),
        ("count", CustomField.Type.NUMBER, {}),
        ("urgency", CustomField.Type.CHOICE, {"choices": "low|Low\nhigh|High"}),
        ("asset_tag", CustomField.Type.TEXT, {"max_length": 8}),
    ):
        fields[code_name] = CustomField.objects.create(
            site=api_site,
            code_name=code_name,
            label=code_name,
            field_type=field_type,
            prefill_locks=True,
            **extra,
        )
    return fields


@pytest.mark.parametrize(
    ("flow", "values", "errors"),
    [
        # The key page's own rule: seven digits.
        ("key", {"key": "abc"}, {"values.key": ["A session key has only digits."]}),
        ("key", {"key": "123"}, {"values.key": ["A session key has 7 characters; you entered 3."]}),
        ("survey", {"issue": "nope"}, {"values.issue": ["Please choose one of the listed topics."]}),
        ("survey", {"issue": "retired"}, {"values.issue": ["Please choose one of the listed topics."]}),
        ("survey", {"name": " "}, {"values.name": ["Please fill in this field."]}),
        (
            "survey",
            {
                "cf_contact_mail": "not-an-address",
                "cf_count": "12a",
                "cf_urgency": "panic",
                "cf_asset_tag": "x" * 9,
            },
            {
                "values.cf_contact_mail": ["Please enter an email address like name@example.com."],
                "values.cf_count": ["Please enter a number, like 42 or 3.5."],
                "values.cf_urgency": ["Please choose one of the listed options."],
                "values.cf_asset_tag": ["This is 1 character too long. Please shorten it."],
            },
        ),
    ],
)
def test_a_value_the_form_would_refuse_is_not_signed(
    client, secret, api_site, lockable_fields, flow, values, errors
):
    """A signed value is locked: the customer would face the form's error and could not
    correct it. The API answers with the form's own message instead of a link."""
    api_site.prefill_secret = "s"
    api_site.save()
    response = call(client, "post", "/prefill-links", {"flow": flow, "values": values}, token=secret)
    assert (response.status_code, response.json()["error"]) == (400, "invalid")
    assert response.json()["fields"] == errors


def test_values_the_form_takes_or_does_not_lock_are_signed(client, secret, api_site, lockable_fields):
    api_site.prefill_secret = "s"
    api_site.save()
    CustomField.objects.create(
        site=api_site, code_name="free", label="Free", field_type=CustomField.Type.EMAIL
    )
    for flow, values in (
        ("key", {"key": "123 4567"}),
        ("key", {"name": "not on the key page"}),  # locks nothing there
        ("survey", {"issue": "vpn", "cf_contact_mail": "jane@example.com", "cf_count": "3,5"}),
        ("survey", {"cf_urgency": "high", "cf_asset_tag": "LT-1"}),
        ("survey", {"cf_free": "not-an-address"}),  # a field no signed link locks stays editable
        ("survey", {"cf_unknown": "x"}),  # no such field: ignored by the page
    ):
        response = call(client, "post", "/prefill-links", {"flow": flow, "values": values}, token=secret)
        assert response.status_code == 201, (values, response.json())
        url = urlsplit(response.json()["url"])
        assert prefill.verified_values(secret="s", query=url.query) == values


def test_a_refused_pin_on_take_control_gets_the_pin_message(client, db):
    takecontrol = Backend.objects.create(
        name="TC", kind=Backend.Kind.TAKECONTROL, base_url="https://api.us0.swi-rc.com/rest"
    )
    tc_site = Site.objects.create(
        name="TC site", backend=takecontrol, prefill_secret="s", email_field="optional", is_default=True
    )
    tc_secret = create_api_token(site=tc_site, name="Bot").secret
    body = {"flow": "key", "values": {"key": "1234567"}}
    response = call(client, "post", "/prefill-links", body, token=tc_secret)
    assert response.json()["fields"] == {
        "values.key": ["A PIN has 9 digits. Please check the number and try again."]
    }
    body = {"flow": "survey", "values": {"email": "not-an-email", "name": "Jane"}}
    response = call(client, "post", "/prefill-links", body, token=tc_secret)
    assert response.json()["fields"] == {
        "values.email": ["Please enter an email address like name@example.com."]
    }
    body = {"flow": "key", "values": {"key": "123 456 789"}}
    assert call(client, "post", "/prefill-links", body, token=tc_secret).status_code == 201


# ------------------------------------------------------------------------------
# The OpenAPI document
# ------------------------------------------------------------------------------
def test_openapi_document_is_served_without_a_token(client, db):
    response = call(client, "get", "/openapi.json")
    assert response.status_code == 200
    assert response.json() == DOCUMENT
    assert response.json()["openapi"].startswith("3.1")


def test_openapi_schemas_are_valid_json_schema():
    for schema in DOCUMENT["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


METHODS = ("get", "post", "put", "patch", "delete", "options")


def test_every_route_and_method_is_documented_and_nothing_else(client, db):
    """What the URLs answer (anything but 405, without a token) is what the document lists."""
    routes = set()
    for pattern in api.urlpatterns:
        route = str(pattern.pattern)
        if route.startswith("^"):  # the JSON 404 for every other path
            continue
        for method in METHODS:
            response = getattr(client, method)(SERVER + "/" + route)
            if response.status_code != 405:
                routes.add(("/" + route, method))
            else:
                assert response.json()["error"] == "method_not_allowed"
    documented = {(path, method) for path, item in DOCUMENT["paths"].items() for method in item}
    assert routes == documented
    assert len(routes) == 5


def test_documented_error_responses_carry_the_error_schema_and_headers():
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            for status, entry in operation["responses"].items():
                entry = resolve(entry)
                assert "application/json" in entry["content"], (path, method, status)
                if status == "401":
                    assert "WWW-Authenticate" in entry["headers"]
                if status == "503":
                    assert "Retry-After" in entry["headers"]


def test_example_queue_values_match_the_queue_pattern():
    queue = DOCUMENT["components"]["schemas"]["SessionKeyRequest"]["properties"]["queue"]
    for example in queue["examples"]:
        assert validator({"$ref": "#/components/schemas/SessionKeyRequest"}).is_valid({"queue": example})
    assert not validator(queue).is_valid("everyone")


def test_session_key_link_uses_the_request_host_when_the_site_has_no_hostname(client, fake, secret, api_site):
    api_site.hostnames.all().delete()
    response = call(client, "post", "/session-keys", {"queue": "general"}, token=secret)
    assert response.json()["portal_url"] == "http://testserver/key/?key=4826153"
    assert parse_qs(urlsplit(response.json()["portal_url"]).query) == {"key": ["4826153"]}


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"queue": "general", "external_key": "INC\r\nX-Evil: 1"}, "external_key", "One line only."),
        ({"queue": "general", "external_key": "INC\x01"}, "external_key", "No control characters."),
        (
            {"queue": "general", "custom_fields": {"note": "bad\x1bescape"}},
            "custom_fields.note",
            "No control characters.",
        ),
    ],
)
def test_control_characters_never_reach_the_appliance(client, fake, secret, body, field, message):
    response = call(client, "post", "/session-keys", body, token=secret)
    assert response.status_code == 400
    assert response.json()["fields"] == {field: [message]}
    assert fake.count("generate_session_key") == 0


def test_each_token_is_rate_limited_per_minute(client, fake, secret, settings, api_site):
    settings.PORTAL_API_RATE_LIMIT = 2
    for _ in range(2):
        assert call(client, "get", "/reps", token=secret).status_code == 200
    response = call(client, "get", "/reps", token=secret)  # validated against the document too
    assert response.status_code == 429
    assert response.json()["error"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60
    other = create_api_token(site=api_site, name="Bot").secret
    assert call(client, "get", "/reps", token=other).status_code == 200  # per token


def test_the_api_refuses_the_burst_with_a_truthful_retry_after(client, fake, secret, settings):
    """A sliding minute (docs/decisions/0111-sliding-api-rate-limit.md): a token's limit in a
    minute's last second leaves little for the next one's first."""
    settings.PORTAL_API_RATE_LIMIT = 3
    t0 = 1_800_000_000  # the start of a minute
    with time_machine.travel(t0 + 59, tick=False) as clock:
        for _ in range(3):
            assert call(client, "get", "/reps", token=secret).status_code == 200
        clock.move_to(t0 + 61)  # a fixed window admitted three more here
        assert call(client, "get", "/reps", token=secret).status_code == 200  # one is out
        response = call(client, "get", "/reps", token=secret)  # validated against the document
        assert response.status_code == 429
        assert response.json()["error"] == "rate_limited"
        # The three of the minute before count as at 0, 20 and 40 s: the one at 20 s leaves
        # the sliding minute at 80 s.
        assert response["Retry-After"] == "19"
        clock.move_to(t0 + 79)
        assert call(client, "get", "/reps", token=secret).status_code == 429
        clock.move_to(t0 + 80)
        assert call(client, "get", "/reps", token=secret).status_code == 200


def test_what_the_form_checks_only_with_an_issue_is_judged_for_any_issue(client, secret, api_site):
    """A required custom field and the vendor's budget for all custom values are checked by the
    page once an issue is chosen; a link usually leaves the issue to the customer, and then a
    blank required value, or locked values over the budget, would still trap them."""
    api_site.prefill_secret = "s"
    api_site.save()
    CustomField.objects.create(site=api_site, code_name="ref", label="Ref", required=True, prefill_locks=True)
    for n in range(3):
        CustomField.objects.create(
            site=api_site, code_name=f"note{n}", label="Note", max_length=1024, prefill_locks=True
        )

    def refused(values) -> dict:
        response = call(client, "post", "/prefill-links", {"values": values}, token=secret)
        assert response.status_code == 400, response.json()
        return response.json()["fields"]

    assert refused({"cf_ref": " "}) == {"values.cf_ref": ["Please fill in this field."]}
    budget = (
        "The custom fields and the external key together take at most 10000 UTF-8 bytes; "
        "the values to lock are more."
    )
    over = {"external_key": "あ" * 1024, **{f"cf_note{n}": "あ" * 1024 for n in range(3)}}  # 12,288 bytes
    assert refused(over) == {f"values.{name}": [budget] for name in over}
    # Within the budget, and short enough in a link (percent-encoded, "あ" is 9 bytes there) for
    # the server to open it (docs/decisions/0121-prefill-links-fit-the-servers-request-line.md).
    within = {"external_key": "x" * 1024, "cf_note0": "x" * 1024, "cf_ref": "R-1"}  # 2,051 bytes
    assert call(client, "post", "/prefill-links", {"values": within}, token=secret).status_code == 201


def test_with_reps_in_the_menu_an_issue_must_be_a_rep(client, secret, api_site):
    api_site.prefill_secret = "s"
    api_site.show_reps_in_issue_menu = True
    api_site.save()
    response = call(client, "post", "/prefill-links", {"values": {"issue": "printing"}}, token=secret)
    assert response.json()["fields"] == {
        "values.issue": ["This site's survey lists representatives: rep-<id>, or leave it out."]
    }
    response = call(client, "post", "/prefill-links", {"values": {"issue": "rep-12"}}, token=secret)
    assert response.status_code == 201


def test_no_link_is_made_for_a_site_no_address_reaches(client, fake, api_site):
    """An integrator's walk-through: a non-default site without a hostname got a prefill link
    on the API's own host, which opened the default site (another site, the link's signature
    refused, its values editable). Such a site gets a 403 saying what to add, before any key is
    made for it."""
    other = Site.objects.create(
        name="Other desk", backend=api_site.backend, warning_text="", prefill_secret="s" * 32
    )
    secret = create_api_token(site=other, name="Help desk").secret
    for path, body in (
        ("/prefill-links", {"values": {"name": "Jane"}}),
        ("/session-keys", {"queue": "general"}),
    ):
        response = call(client, "post", path, body, token=secret)
        assert response.status_code == 403, path
        assert "no hostname" in response.json()["message"]
    assert not fake.commands("generate_session_key")
    SiteHostname.objects.create(site=other, hostname="other.example.com")
    link = call(client, "post", "/prefill-links", {"values": {"name": "Jane"}}, token=secret).json()["url"]
    assert link.startswith("http://other.example.com/survey/?")
