"""Property tests over every integrations API endpoint, with a valid token, a revoked one and
none: JSON objects with arbitrary values (and sometimes the fields the schema wants), raw
bytes, malformed JSON, huge and deeply nested bodies, wrong methods and content types.

Invariants: never a 5xx (the fake appliance is healthy: a 502/503 would be our bug); every
answer matches the OpenAPI document for its status (the helper from tests/test_api.py); an
accepted start reached the appliance with values within its limits.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.models import StartRequest
from portal.tokens import create_api_token, revoke_api_token
from portal.vendors import limits
from tests.fakes.beyondtrust import FakeBeyondTrust
from tests.fakes.server import running
from tests.fuzz.conftest import api_site_on_fake, count_case
from tests.fuzz.invariants import check_beyondtrust
from tests.fuzz.strategies import text
from tests.test_api import SERVER, assert_conforms

ENDPOINTS = {
    "/session-keys": ("post", ["queue", "external_key", "custom_fields", "priority", "skills", "ttl"]),
    "/chat-handoffs": (
        "post",
        [
            "name",
            "ip_address",
            "operating_system",
            "computer_name",
            "locale",
            "queue",
            "external_key",
            "custom_fields",
            "priority",
            "skills",
            "ttl",
        ],
    ),
    "/reps": ("get", []),
    "/prefill-links": ("post", ["flow", "values", "expires_in"]),
}
GOOD = {
    "queue": st.sampled_from(["general", "rep:12", "team:3", "issue:printing", "issue:nope"]),
    "name": st.sampled_from(["Jane", " Jane ", ""]),
    "ip_address": st.sampled_from(["10.0.0.1", "2001:db8::5", "", "fe80::1%eth0"]),
    "locale": st.sampled_from(["de", "ja", "", "xx"]),
    "flow": st.sampled_from(["survey", "key", ""]),
    "priority": st.sampled_from([1, 2, 3, 3.0, 2.5, 0, True]),
    "ttl": st.sampled_from([60, 600.0, 59, 10**20]),
    "expires_in": st.sampled_from([60, 3600, 10**9]),
    "skills": st.lists(st.sampled_from(["windows", "vpn", "bad skill", ""]), max_size=3),
    "custom_fields": st.dictionaries(
        st.sampled_from(["asset_tag", "note", "external_key", "a b"]), text, max_size=3
    ),
    "values": st.dictionaries(
        st.sampled_from(["name", "details", "key", "cf_asset_tag", "sig", "cf_"]), text, max_size=3
    ),
}

json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)


VALID: dict[str, dict[str, Any]] = {
    "/session-keys": {"queue": "general"},
    "/chat-handoffs": {"name": "Jane"},
    "/prefill-links": {"values": {"name": "Jane"}},
    "/reps": {},
}


@st.composite
def api_request(draw, path: str, fields: list[str]) -> dict:
    # Half start from a body the API accepts, so that the happy path is checked too.
    body = dict(VALID[path]) if draw(st.integers(0, 99)) < 50 else {}
    for name in fields:
        choice = draw(st.integers(0, 9))  # 0-4: left as it is (the simplest case)
        if choice in (5, 6) and name in GOOD:
            body[name] = draw(GOOD[name])
        elif choice >= 5:
            body[name] = draw(json_value)
    if draw(st.integers(0, 9)) < 3:
        body.update(draw(st.dictionaries(text, json_value, max_size=2)))  # unknown fields
    kind = draw(
        st.sampled_from(
            ["json"] * 12 + ["bytes", "broken", "nested", "huge", "array", "form", "no-type", "surrogate"]
        )
    )
    content_type, raw = "application/json", None
    if kind == "json":
        raw = json.dumps(body, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    elif kind == "bytes":
        raw = draw(st.binary(max_size=200))
    elif kind == "broken":
        raw = json.dumps(body).encode()[: draw(st.integers(0, 30))]
    elif kind == "nested":
        depth = draw(st.integers(1, 40_000))
        raw = b"[" * depth + b"]" * depth
    elif kind == "huge":
        raw = json.dumps(
            {"queue": "general", "external_key": "x" * draw(st.integers(60_000, 200_000))}
        ).encode()
    elif kind == "array":
        raw = json.dumps([body]).encode()
    elif kind == "form":
        content_type, raw = "application/x-www-form-urlencoded", b"queue=general"
    elif kind == "no-type":
        content_type, raw = (
            draw(
                st.sampled_from(
                    ["text/plain", "application/json; charset=latin-1", "multipart/form-data", ""]
                )
            ),
            b"{}",
        )
    elif kind == "surrogate":
        raw = b'{"queue": "general", "external_key": "\\ud800"}'
    method = draw(
        st.sampled_from(["main"] * 12 + ["get", "post", "put", "patch", "delete", "options", "head"])
    )
    token = draw(st.sampled_from(["valid"] * 8 + ["revoked", "none", "garbage"]))
    return {"raw": raw, "content_type": content_type, "method": method, "token": token}


@pytest.fixture
def api(site, issues, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    with running(FakeBeyondTrust()) as fake:
        api_site_on_fake(site, fake, settings)
        valid = create_api_token(site=site, name="Fuzz").secret
        revoked = create_api_token(site=site, name="Old")
        revoke_api_token(token=revoked.token)
        yield fake, {"valid": valid, "revoked": revoked.secret, "none": None, "garbage": "sp_\u00e9\x00"}


@pytest.mark.parametrize("path", list(ENDPOINTS))
def test_api_endpoint_properties(client, api, path):
    fake, tokens = api
    main_method, fields = ENDPOINTS[path]
    accepted = []

    @given(request=api_request(path, fields))
    @settings()
    def run(request):
        count_case(f"api {main_method.upper()} {path}")
        method = main_method if request["method"] == "main" else request["method"]
        headers = {}
        if tokens[request["token"]] is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {tokens[request['token']]}"
        sent_before = len(fake.commands("generate_session_key"))
        before = StartRequest.objects.filter(outcome="started").count()
        args = [] if request["raw"] is None else [request["raw"]]
        response = client.generic(
            method.upper(), SERVER + path, *args, content_type=request["content_type"], **headers
        )
        assert response.status_code < 500, response.content[:300]
        if method == "head":
            return
        assert_conforms(response, path=path, method=method)
        if response.status_code in (401, 405):
            assert len(fake.commands("generate_session_key")) == sent_before
        if response.status_code in (200, 201):
            accepted.append(path)
            if path in ("/session-keys", "/chat-handoffs"):
                assert StartRequest.objects.filter(outcome="started").count() == before + 1
                (command, *_) = reversed(fake.commands("generate_session_key"))
                form = {k: v[0] for k, v in command.form.items()}
                check_beyondtrust(form)
                assert len(form.get("session.custom.external_key", "")) <= limits.CUSTOM_FIELD_MAX_CHARS

    run()
    assert accepted, "no generated request was accepted: the happy path was never checked"
