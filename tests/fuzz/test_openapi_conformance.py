"""schemathesis against the OpenAPI document the app serves, in-process over WSGI, with every
check on: server errors, status codes, content types, response schemas and headers, the
documented auth (missing and wrong tokens), methods not allowed, and both directions of data
conformance (a schema-valid request is accepted, a schema-violating one refused).

The site is on the fake BeyondTrust appliance, so accepted calls really reach a vendor.
Only rules the document states in words because JSON Schema cannot (the token's site's active
issues, UTF-8 byte totals, the BeyondTrust form's own limits and checks for prefill values) are
kept out of the positive cases; the property tests in test_api_properties.py and the cases in
test_api.py cover those.
"""

from __future__ import annotations

import json
import re

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from hypothesis import settings

from portal.api import openapi_document
from portal.text_rules import name_problem, normalise
from portal.tokens import create_api_token
from portal.vendors import limits
from portal.vendors.beyondtrust.adapter import CUSTOMER_FIELDS as BEYONDTRUST_CUSTOMER_FIELDS
from tests.fuzz.conftest import api_site_on_fake, count_case

OPENAPI_PATH = "/api/v1/openapi.json"
HOST = "localhost"  # schemathesis' WSGI host name
SCHEMATHESIS_MAX = 2_000
ACTIVE_ISSUES = ("printing", "vpn")  # tests/conftest.py's issues; "retired" is inactive

# The document is built without the database; the test below proves the app serves exactly it.
schema = schemathesis.openapi.from_dict(openapi_document())
schema.app = WSGIHandler()


def test_the_app_serves_the_document_under_test(client, db, settings):
    settings.ALLOWED_HOSTS = [HOST]
    response = client.get(OPENAPI_PATH, HTTP_HOST=HOST)
    assert response.status_code == 200
    assert response.json() == schema.raw_schema


def _unstateable(body: dict, path: str) -> bool:
    """A positive case breaking a rule the document can state only in words."""
    if not isinstance(body, dict):
        return False
    queue = body.get("queue")
    if isinstance(queue, str) and queue.startswith("issue:") and queue != "issue:printing":
        return True  # only the fixture's active issue exists
    if path == "/chat-handoffs":
        for field in ("name", "computer_name"):
            value = body.get(field)
            if isinstance(value, str) and value.strip() and name_problem(value.strip()):
                return True  # a name's rule, said in words (text_rules.name_problem)
    if path in ("/session-keys", "/chat-handoffs"):
        custom = body.get("custom_fields") or {}
        total = sum(
            limits.utf8_len(v)
            for v in [body.get("external_key") or "", *custom.values()]
            if isinstance(v, str)
        )
        return total > limits.CUSTOM_TOTAL_MAX_BYTES
    if path == "/prefill-links":
        specs = {spec.name: spec for spec in BEYONDTRUST_CUSTOMER_FIELDS}
        values = body.get("values") or {}
        for name, value in values.items():
            spec = specs.get(name)
            if spec and spec.max_chars and len(value) > spec.max_chars:
                return True
            if spec and spec.max_bytes and limits.utf8_len(value.strip()) > spec.max_bytes:
                return True
        return _refused_by_the_page(body.get("flow", "survey"), values)
    return False


def _refused_by_the_page(flow: str, values: dict) -> bool:
    """The page's own checks of a locked value, which the document states in words: on this
    site (tests/conftest.py) the key page takes a 7-digit key, the survey one of its active
    issues and a name and a description that are not blank, the name under the name rule;
    the home page judges by both."""
    if flow == "home":
        return _refused_by_the_page("key", values) or _refused_by_the_page("survey", values)
    if flow == "key":
        key = values.get("key")
        return key is not None and not re.fullmatch(r"[0-9]{7}", re.sub(r"[ -]", "", key))
    if "issue" in values and values["issue"] not in ACTIVE_ISSUES:
        return True
    if "name" in values and normalise(values["name"]) and name_problem(normalise(values["name"])):
        return True  # a name's rule: a letter or digit, no character a name must not hold
    return any(name in values and not normalise(values[name]) for name in ("name", "details"))


@schema.hook
def filter_case(context, case):
    if case.meta is None or case.meta.generation.mode.is_negative:
        return True
    return not _unstateable(case.body, case.operation.path)


@pytest.fixture
def token_secret(site, fake, issues, settings):
    settings.ALLOWED_HOSTS = [HOST]
    api_site_on_fake(site, fake, settings)
    return create_api_token(site=site, name="Schemathesis").secret


@schema.parametrize()
# The profile from tests/fuzz/conftest.py; `make fuzz` caps schemathesis at SCHEMATHESIS_MAX
# examples per operation (each runs its coverage and negative phases on top).
@settings(max_examples=min(settings().max_examples, SCHEMATHESIS_MAX))
def test_api_conforms_to_its_document(case, token_secret, fake, wsgi_keeps_test_connection):
    count_case(f"schemathesis {case.operation.method.upper()} {case.operation.path}")
    response = case.call_and_validate(headers={"Authorization": f"Bearer {token_secret}"})
    if response.status_code >= 500:  # not_a_server_error allows none; 502/503 need a fault
        pytest.fail(f"{response.status_code}: {response.text[:200]}")
    if response.headers.get("Content-Type", "").startswith("application/json"):
        json.loads(response.text)
