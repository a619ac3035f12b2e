"""Take Control: New Session URL, PIN, language, routing, REST client and history CSV.

Vendor facts: docs/vendors/takecontrol.md; decisions: docs/decisions/README.md#take-control. REST
behaviour is checked against the fake account in `tests/fakes/takecontrol.py`, a real HTTP server,
so headers and bodies are asserted as sent.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import socket
import time
from datetime import UTC, date, datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from django.conf import settings as django_settings
from django.core.cache import cache

from portal.models import Backend, Department, Issue, Technician
from portal.vendors import limits
from portal.vendors.takecontrol.client import (
    SessionCreated,
    TakeControlBadResponse,
    TakeControlClient,
    TakeControlMisconfigured,
    TakeControlRateLimited,
    TakeControlRejected,
    TakeControlTimeout,
    TakeControlUnavailable,
    estimated_wait_seconds,
    retry_after_seconds,
)
from portal.vendors.takecontrol.history import DEFAULT_HISTORY_COLUMNS, HISTORY_COLUMNS, history_csv
from portal.vendors.takecontrol.start_url import (
    LANGUAGE_FOR_LOCALE,
    InvalidPin,
    Route,
    TakeControlValueError,
    language_for_locale,
    new_session_url,
    normalise_pin,
    pin_url,
    route_for_start,
)
from tests.fakes.takecontrol import (
    NEW_SESSION_PATH,
    NO_WAIT,
    PRIVATE_KEY,
    PUBLIC_KEY,
    UID,
    document,
    session_body_problem,
)

API_DOMAIN = "https://api.us0.swi-rc.com/rest"


@pytest.fixture(autouse=True)
def fresh_breakers(settings):
    """Breakers live in the cache; tests use a small retry cap and a low threshold."""
    settings.PORTAL_TC_RETRY_AFTER_MAX = 0.3
    settings.PORTAL_TC_BREAKER_THRESHOLD = 3
    settings.PORTAL_TC_BREAKER_RESET = 60
    settings.PORTAL_VENDOR_CONNECT_TIMEOUT = 2.0
    settings.PORTAL_VENDOR_READ_TIMEOUT = 3.0
    cache.clear()
    yield
    cache.clear()


def make_backend(server=None, **fields) -> Backend:
    values = {
        "name": "Take Control",
        "kind": Backend.Kind.TAKECONTROL,
        "base_url": server.rest_url if server else API_DOMAIN,
        "tc_uid": UID,
        "tc_public_key": PUBLIC_KEY,
        "tc_private_key": PRIVATE_KEY,
        "tc_ask_customer_info": True,
        "tc_show_waiting_queue": True,
    }
    values.update(fields)
    return Backend(**values)


def make_client(server, **fields) -> TakeControlClient:
    return TakeControlClient.for_backend(make_backend(server, **fields))


# ------------------------------------------------------------------------------
# New Session URL (docs/decisions/0014-takecontrol-redirect-start.md)
# ------------------------------------------------------------------------------


def test_new_session_url_as_a_whole():
    url = new_session_url(
        api_domain=API_DOMAIN,
        uid="e14887a6-337f-102c|2109",
        department_id=1234,
        technician_username="tech@example.com",
        customer_name="Jane Doe",
        customer_email="jane@example.com",
        customer_number="C-1001",
        problem_description="Printer offline",
        ask_customer_info=True,
    )
    assert url == (
        "https://api.us0.swi-rc.com/integration/integration_api.php"
        "?uid=e14887a6-337f-102c%7C2109&department=1234&tech=tech%40example.com"
        "&customer_name=Jane%20Doe&customer_email=jane%40example.com&customer_number=C-1001"
        "&problem_description=Printer%20offline&ask_customer_info=1"
    )


def test_new_session_url_parameter_by_parameter_with_multibyte_text():
    values = {
        "customer_name": "佐藤 由紀 🙂",
        # An IDN domain: Django's validator, like the survey form's, refuses a non-ASCII local part.
        "customer_email": "zoe@exämple.com",
        "customer_number": "Nº 42 | A&B",
        "problem_description": "L'écran reste noir + 100% CPU\nsince #update?=yes",
    }
    url = new_session_url(
        api_domain="https://api.us3.swi-rc.com/rest/",
        uid="Ph4w+Fms/pFLgt9v==|774",
        department_id=7,
        technician_username="anna@example.com",
        ask_customer_info=False,
        **values,
    )
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "api.us3.swi-rc.com",
        "/integration/integration_api.php",
    )
    assert parse_qsl(parts.query, keep_blank_values=True, strict_parsing=True) == [
        ("uid", "Ph4w+Fms/pFLgt9v==|774"),
        ("department", "7"),
        ("tech", "anna@example.com"),
        ("customer_name", values["customer_name"]),
        ("customer_email", values["customer_email"]),
        ("customer_number", values["customer_number"]),
        ("problem_description", values["problem_description"]),
    ]
    # The raw form matters too: `|` as %7C (docs/vendors/takecontrol.md#encoding), spaces as %20
    # never `+`, and a `+` in the uid encoded so that no server reads it as a space.
    assert "uid=Ph4w%2BFms%2FpFLgt9v%3D%3D%7C774&" in url
    assert "customer_name=%E4%BD%90%E8%97%A4%20%E7%94%B1%E7%B4%80%20%F0%9F%99%82&" in url
    assert "+" not in parts.query and " " not in parts.query and "|" not in url
    assert "ask_customer_info" not in url


@pytest.mark.parametrize(
    "api_domain",
    [
        "https://api.us0.swi-rc.com/rest",
        "https://api.us0.swi-rc.com/rest/",
        "https://api.us0.swi-rc.com/REST",
        "https://api.us0.swi-rc.com",
        "https://api.us0.swi-rc.com/",
        " https://api.us0.swi-rc.com/rest// ",
    ],
)
def test_new_session_url_strips_rest_and_trailing_slashes(api_domain):
    url = new_session_url(api_domain=api_domain, uid="abc")
    assert url == "https://api.us0.swi-rc.com/integration/integration_api.php?uid=abc"


def test_new_session_url_omits_empty_values():
    url = new_session_url(
        api_domain=API_DOMAIN,
        uid="abc",
        department_id=None,
        technician_username="",
        customer_name="Jane",
        customer_email="",
        customer_number="",
        problem_description="",
        ask_customer_info=False,
    )
    assert parse_qsl(urlsplit(url).query, keep_blank_values=True) == [
        ("uid", "abc"),
        ("customer_name", "Jane"),
    ]
    assert "=&" not in url and not url.endswith("=")


def test_new_session_url_accepts_values_exactly_at_the_limits():
    url = new_session_url(
        api_domain=API_DOMAIN,
        uid="abc",
        customer_name="ü" * limits.TC_NAME_MAX_CHARS,
        customer_email="a" * (limits.TC_EMAIL_MAX_CHARS - len("@example.com")) + "@example.com",
        customer_number="9" * limits.TC_NUMBER_MAX_CHARS,
        problem_description="🙂" * limits.TC_DESCRIPTION_MAX_CHARS,
    )
    query = dict(parse_qsl(urlsplit(url).query))
    assert len(query["customer_name"]) == limits.TC_NAME_MAX_CHARS
    assert len(query["problem_description"]) == limits.TC_DESCRIPTION_MAX_CHARS


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("customer_name", "x" * (limits.TC_NAME_MAX_CHARS + 1)),
        ("customer_email", "a" * limits.TC_EMAIL_MAX_CHARS + "@example.com"),
        ("customer_email", "not an address"),
        ("customer_email", "jane@localhost"),
        ("customer_number", "1" * (limits.TC_NUMBER_MAX_CHARS + 1)),
        ("problem_description", "é" * (limits.TC_DESCRIPTION_MAX_CHARS + 1)),
        ("technician_username", "Anna"),
        ("department_id", 0),
        ("department_id", True),
        ("department_id", "12"),
        ("uid", ""),
    ],
)
def test_new_session_url_refuses_what_the_vendor_would_reject(field, value):
    arguments = {"api_domain": API_DOMAIN, "uid": "abc", field: value}
    with pytest.raises(TakeControlValueError) as caught:
        new_session_url(**arguments)
    assert caught.value.field == field


def test_new_session_url_refuses_a_domain_that_is_not_an_address():
    with pytest.raises(TakeControlValueError):
        new_session_url(api_domain="api.us0.swi-rc.com/rest", uid="abc")


def test_the_vendor_reads_back_exactly_what_the_url_carries(takecontrol_server):
    """The customer's browser stands in: the fake decodes the query as a PHP server would."""
    url = new_session_url(
        api_domain=takecontrol_server.rest_url,
        uid=UID,
        department_id=55,
        customer_name="Zoë Ångström 🙂",
        problem_description="a+b = c & d",
        ask_customer_info=True,
    )
    answer = requests.get(url, timeout=5)
    assert answer.status_code == 200 and "applet" in answer.text
    (call,) = takecontrol_server.calls(NEW_SESSION_PATH)
    assert call.query == {
        "uid": [UID],
        "department": ["55"],
        "customer_name": ["Zoë Ångström 🙂"],
        "problem_description": ["a+b = c & d"],
        "ask_customer_info": ["1"],
    }


# ------------------------------------------------------------------------------
# Routing (docs/decisions/0016-takecontrol-routing.md)
# ------------------------------------------------------------------------------


def test_a_technician_chosen_from_the_list_wins_and_the_department_stays_as_fallback():
    backend = make_backend()
    department = Department(backend=backend, name="Support", department_id=4321)
    issue_tech = Technician(backend=backend, display_name="Issue Tech", username="issue@example.com")
    chosen = Technician(backend=backend, display_name="Anna", username="anna@example.com")
    issue = Issue(display_name="Printer", code_name="printer", department=department, technician=issue_tech)

    assert route_for_start(issue=issue, technician=chosen) == Route(4321, "anna@example.com")
    assert route_for_start(issue=issue) == Route(4321, "issue@example.com")
    assert route_for_start(technician=chosen) == Route(None, "anna@example.com")
    assert route_for_start(issue=Issue(display_name="Other", code_name="other")) == Route()
    assert route_for_start() == Route(None, "")


# ------------------------------------------------------------------------------
# PIN (docs/decisions/0017-takecontrol-pin.md)
# ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "123456789",
        "123 456 789",
        "123-456-789",
        " 123-456 789 \n",
        "１２３４５６７８９",  # full-width digits
        "１２３－４５６－７８９",  # full-width digits and hyphens
        "123\u00a0456\u00a0789",  # no-break spaces
        "123\u3000456\u3000789",  # ideographic spaces
        "123\u2013456\u2014789",  # en and em dashes
        "123\u200b456789",  # a zero-width space from an email
    ],
)
def test_normalise_pin_accepts_typing_variants(raw):
    assert normalise_pin(raw) == "123456789"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "empty"),
        (" - - ", "empty"),
        ("12345678", "length"),
        ("1234567890", "length"),
        ("123 456 78", "length"),
        ("12345678a", "characters"),
        ("ABC-DEF-GHI", "characters"),
        ("123.456.789", "characters"),
        ("١٢٣٤٥٦٧٨٩", "characters"),  # Arabic-Indic digits
        ("1" * 500, "length"),
    ],
)
def test_normalise_pin_refuses_anything_but_nine_digits(raw, code):
    with pytest.raises(InvalidPin) as caught:
        normalise_pin(raw)
    assert caught.value.code == code
    assert isinstance(caught.value, ValueError)


def test_pin_url_fills_the_default_and_a_custom_template():
    assert (
        pin_url(template="https://startcontrol.com/{pin}", pin="123 456 789")
        == "https://startcontrol.com/123456789"
    )
    assert (
        pin_url(template="https://help.example.com/start?pin={pin}&x={y}", pin="987-654-321")
        == "https://help.example.com/start?pin=987654321&x={y}"
    )


def test_pin_url_refuses_a_template_without_placeholder_and_a_bad_pin():
    with pytest.raises(TakeControlValueError):
        pin_url(template="https://startcontrol.com/", pin="123456789")
    with pytest.raises(InvalidPin):
        pin_url(template="https://startcontrol.com/{pin}", pin="12345678")


# ------------------------------------------------------------------------------
# Language (docs/decisions/0018-takecontrol-language.md)
# ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        ("en-us", "en"),
        ("de", "de"),
        ("es", "es"),
        ("es-sp", "es"),
        ("fi", "fi"),
        ("fr", "fr"),
        ("it", "it"),
        ("nl", "nl"),
        ("pt-br", "pt"),
        ("pt-pt", "pt"),
        ("sv-se", "sv"),
        ("tr", "tr"),
        ("ja", "ja"),
        ("zh-hans", "zh"),
        ("zh", "zh"),
        ("ru", "ru"),
    ],
)
def test_language_for_each_portal_language(locale, language):
    assert language_for_locale(locale) == language


def test_every_portal_language_has_a_vendor_language():
    assert sorted(LANGUAGE_FOR_LOCALE) == sorted(code for code, _name in django_settings.LANGUAGES)


def test_language_forgives_case_and_underscore_and_drops_unknown_codes():
    assert language_for_locale("PT_BR") == "pt"
    assert language_for_locale("zh-Hans") == "zh"
    assert language_for_locale("xx") == ""
    assert language_for_locale("") == ""


# ------------------------------------------------------------------------------
# REST: create session (docs/decisions/0015-takecontrol-rest-start.md)
# ------------------------------------------------------------------------------


def test_create_session_sends_exactly_the_decision_3_body(takecontrol_server):
    client = make_client(takecontrol_server)
    result = client.create_session(
        department_id=1234,
        technician_username="tech@example.com",
        locale="fr",
        customer_name="Zoë Ångström 🙂",
        customer_email="zoe@example.com",
        customer_number="C-1001",
        problem_description="L'imprimante est hors ligne",
    )
    (call,) = takecontrol_server.rest_calls()
    assert (call.method, call.path) == ("POST", "/rest/session")
    assert call.headers["integration-key"] == PUBLIC_KEY
    assert call.headers["content-type"].startswith("application/json")
    assert "authorization" not in call.headers
    assert call.json == {
        "department_id": 1234,
        "technician_username": "tech@example.com",
        "language": "fr",
        "customer_name": "Zoë Ångström 🙂",
        "customer_email": "zoe@example.com",
        "customer_number": "C-1001",
        "problem_description": "L'imprimante est hors ligne",
        "ask_customer_info": 1,
        "show_waiting_queue": 1,
    }
    assert type(call.json["department_id"]) is int
    assert takecontrol_server.state["sessions"] == [call.json]
    vendor = json.loads(document("session_created.json"))["details"]
    assert result == SessionCreated(
        queue_length=2,
        estimated_wait_seconds=None,
        applet_url="",
        session_id="",
        requests=tuple(vendor["requests"]),
    )


def test_create_session_leaves_out_empty_values_and_sends_flags_as_0(takecontrol_server):
    client = make_client(takecontrol_server, tc_ask_customer_info=False, tc_show_waiting_queue=False)
    client.create_session(locale="xx")
    (call,) = takecontrol_server.rest_calls()
    assert call.json == {"ask_customer_info": 0, "show_waiting_queue": 0}


def test_create_session_reads_a_link_and_wait_when_the_vendor_sends_them(takecontrol_server):
    takecontrol_server.use("ok-with-link")
    result = make_client(takecontrol_server).create_session(customer_name="Jane")
    assert result.applet_url == "https://startcontrol.example/s/yPQH"
    assert result.estimated_wait_seconds == 180  # "PT3M"
    assert result.session_id == "987654"
    assert result.queue_length == 1


@pytest.mark.parametrize(
    ("sent", "seconds"),
    [
        ("PT3M", 180),
        ("PT1H30M", 5400),
        ("pt90s", 90),
        ("PT2.5S", 3),  # rounded up: never shorter than the vendor said
        ("PT0S", 0),
        ("P1D", 86400),
        ("0:03:00", 180),
        (" 1:00:30 ", 3630),
        # The unit is not written in these: seconds or minutes? (docs/decisions/0123-...)
        (180, None),
        (2.5, None),
        ("180", None),
        ("03:00", None),
        ("3 min", None),
        # Absurd or not a wait at all.
        (True, None),
        (-60, None),
        ("-PT3M", None),
        ("PT-3M", None),
        ("P", None),
        ("PT", None),
        ("P1DT", None),
        ("P2D", None),  # more than a day
        ("25:00:00", None),
        ("PT99999999M", None),
        ("0:60:00", None),
        (float("inf"), None),
        (float("nan"), None),
        ("NaN", None),
        (10**400, None),
        ({"minutes": 3}, None),
        ([180], None),
        ("P" + "1" * 5000 + "D", None),
    ],
)
def test_an_estimated_wait_is_read_only_when_its_unit_is_written_in_it(sent, seconds):
    assert estimated_wait_seconds(sent) == seconds


@pytest.mark.parametrize(
    ("sent", "seconds"),
    [
        ("PT5M", 300),
        (300, None),
        (4.5, None),
        ("300", None),
        (NO_WAIT, None),
        (None, None),
        (1e308, None),
        (float("inf"), None),
        ("PT9999H", None),
    ],
)
def test_create_session_reads_the_estimated_wait_the_vendor_sends(takecontrol_server, sent, seconds):
    takecontrol_server.state["estimated_wait"] = sent
    takecontrol_server.use("ok-with-wait")
    result = make_client(takecontrol_server).create_session(customer_name="Jane")
    assert result.estimated_wait_seconds == seconds
    assert result.queue_length == 2  # the rest of the answer is read as before


def test_create_session_validates_before_calling(takecontrol_server):
    client = make_client(takecontrol_server)
    with pytest.raises(TakeControlValueError):
        client.create_session(customer_name="x" * (limits.TC_NAME_MAX_CHARS + 1))
    with pytest.raises(TakeControlValueError):
        client.create_session(department_id=-3)
    assert takecontrol_server.calls() == []


def test_create_session_without_a_public_key_never_calls(takecontrol_server):
    with pytest.raises(TakeControlMisconfigured):
        make_client(takecontrol_server, tc_public_key="").create_session()
    assert takecontrol_server.calls() == []


def test_every_body_the_client_sends_is_one_the_fake_vendor_accepts():
    """The fake's own validation is what makes the fake worth trusting: it must refuse junk."""
    assert session_body_problem({"department_id": "12"})
    assert session_body_problem({"ask_customer_info": True})
    assert session_body_problem({"language": "fra"})
    assert session_body_problem({"customer_name": ""})
    assert session_body_problem({"customer": "x"})
    assert session_body_problem([]) != ""
    assert session_body_problem({"department_id": 1, "ask_customer_info": 0}) == ""


# ------------------------------------------------------------------------------
# REST errors (docs/decisions/0015-takecontrol-rest-start.md)
# ------------------------------------------------------------------------------


def test_400_is_rejected_with_the_vendor_reason_logged(takecontrol_server, caplog):
    takecontrol_server.use("400")
    with caplog.at_level(logging.WARNING), pytest.raises(TakeControlRejected) as caught:
        make_client(takecontrol_server).create_session(customer_name="Jane")
    assert caught.value.vendor_message == "Missing required field: customer_email"
    assert caught.value.error_code == 400
    assert "Missing required field" not in str(caught.value)
    assert "Missing required field: customer_email" in caplog.text
    assert len(takecontrol_server.rest_calls()) == 1


def test_the_fake_vendor_answers_a_bad_body_with_the_400_envelope(takecontrol_server):
    """Our client never sends such a body, so the fake's own 400 path is reached directly."""
    answer = requests.post(
        takecontrol_server.rest_url + "/session",
        json={"department_id": "12"},
        headers={"INTEGRATION-KEY": PUBLIC_KEY},
        timeout=5,
    )
    assert answer.status_code == 400
    assert answer.json()["errorDetails"]["errorMsg"] == "department_id must be a positive integer"


def test_403_alerts_the_admin_without_leaking_the_key(takecontrol_server, caplog):
    with caplog.at_level(logging.DEBUG), pytest.raises(TakeControlMisconfigured) as caught:
        make_client(takecontrol_server, tc_public_key="02.wrong-key").create_session()
    assert caught.value.status == 403
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and r.name.startswith("portal.")]
    assert errors, "a 403 must reach the admin as an error log"
    for text in (caplog.text, str(caught.value), repr(caught.value)):
        assert "02.wrong-key" not in text and PUBLIC_KEY not in text and PRIVATE_KEY not in text
    assert len(takecontrol_server.rest_calls()) == 1


def test_a_domain_without_rest_is_a_misconfiguration(takecontrol_server):
    with pytest.raises(TakeControlMisconfigured) as caught:
        make_client(takecontrol_server, base_url=takecontrol_server.base_url).create_session()
    assert caught.value.status == 404


def test_a_redirect_is_not_followed_so_the_key_stays_home(takecontrol_server):
    takecontrol_server.use("redirect")
    with pytest.raises(TakeControlMisconfigured):
        make_client(takecontrol_server).create_session()
    assert len(takecontrol_server.calls()) == 1


def test_429_then_success_retries_once(takecontrol_server):
    takecontrol_server.use("429", "ok")
    result = make_client(takecontrol_server).create_session(customer_name="Jane")
    assert result.queue_length == 2
    assert len(takecontrol_server.rest_calls()) == 2
    assert takecontrol_server.state["sessions"] == [
        {"customer_name": "Jane", "ask_customer_info": 1, "show_waiting_queue": 1}
    ]


def test_429_twice_gives_up_after_one_retry(takecontrol_server):
    takecontrol_server.use("429", "429", "ok")
    with pytest.raises(TakeControlRateLimited) as caught:
        make_client(takecontrol_server).create_session()
    assert caught.value.retry_after == 0
    assert not caught.value.breaker_open
    assert len(takecontrol_server.rest_calls()) == 2


def test_429_without_retry_after_waits_a_bounded_default_and_retries(takecontrol_server):
    takecontrol_server.use("429-no-retry-after", "ok")
    make_client(takecontrol_server).create_session()
    assert len(takecontrol_server.rest_calls()) == 2


@pytest.mark.parametrize("mode", ["429", "429-date"])
def test_a_wait_longer_than_the_cap_is_not_cut_short(takecontrol_server, mode):
    """Retry-After: 120 with a 0.3 s cap: the portal neither waits 120 s nor retries early."""
    takecontrol_server.state["retry_after"] = "120"
    takecontrol_server.use(mode, "ok")
    with pytest.raises(TakeControlRateLimited) as caught:
        make_client(takecontrol_server).create_session()
    assert 100 <= caught.value.retry_after <= 120
    assert len(takecontrol_server.rest_calls()) == 1


def test_a_wait_within_the_cap_is_honoured(takecontrol_server, settings):
    settings.PORTAL_TC_RETRY_AFTER_MAX = 2.0
    takecontrol_server.state["retry_after"] = "1"
    takecontrol_server.use("429", "ok")
    started = time.monotonic()
    make_client(takecontrol_server).create_session()
    assert time.monotonic() - started >= 0.9  # a lower bound: the vendor's second was waited
    assert len(takecontrol_server.rest_calls()) == 2


def test_repeated_429_opens_the_shared_breaker_and_nothing_reaches_the_vendor(takecontrol_server):
    takecontrol_server.use("429", "429", "429", "429")
    with pytest.raises(TakeControlRateLimited):
        make_client(takecontrol_server).create_session()  # two 429s
    with pytest.raises(TakeControlRateLimited):
        make_client(takecontrol_server).create_session()  # third 429 opens it: no retry
    assert len(takecontrol_server.rest_calls()) == 3

    takecontrol_server.state["mode"] = "ok"
    another_worker = make_client(takecontrol_server)  # state is in the cache, not the object
    with pytest.raises(TakeControlRateLimited) as caught:
        another_worker.create_session()
    assert caught.value.breaker_open
    with pytest.raises(TakeControlRateLimited):
        another_worker.session_history(date_from=date(2024, 5, 1), date_to=date(2024, 5, 31))
    assert len(takecontrol_server.rest_calls()) == 3


def test_a_success_resets_the_429_count(takecontrol_server):
    takecontrol_server.use("429", "ok", "429", "ok", "429", "ok")
    client = make_client(takecontrol_server)
    for _ in range(3):
        client.create_session()
    assert not client.breaker.is_open
    assert len(takecontrol_server.rest_calls()) == 6


def test_a_slow_vendor_times_out_without_retry(takecontrol_server, settings):
    settings.PORTAL_VENDOR_READ_TIMEOUT = 0.3
    takecontrol_server.hang()  # never answers: the real read timeout (0.3 s, kept short) is tested
    with pytest.raises(TakeControlTimeout):
        make_client(takecontrol_server).create_session()
    assert len(takecontrol_server.rest_calls()) == 1


def test_a_vendor_that_does_not_answer_is_paused_for_every_worker(takecontrol_server, settings):
    """docs/decisions/0096-takecontrol-health-breaker.md: after the threshold of unanswered
    calls nobody waits the vendor timeouts again until the pause is over."""
    settings.PORTAL_VENDOR_READ_TIMEOUT = 0.3
    takecontrol_server.hang()
    for _ in range(3):  # the threshold: each one waits the (short) read timeout
        with pytest.raises(TakeControlTimeout):
            make_client(takecontrol_server).create_session()
    assert len(takecontrol_server.rest_calls()) == 3

    takecontrol_server.release()
    another_worker = make_client(takecontrol_server)  # state is in the cache, not the object
    with pytest.raises(TakeControlUnavailable) as caught:
        another_worker.create_session()
    assert not isinstance(caught.value, (TakeControlTimeout, TakeControlRateLimited))
    assert caught.value.status is None and "paused" in str(caught.value)
    with pytest.raises(TakeControlUnavailable):
        another_worker.session_history(date_from=date(2024, 5, 1), date_to=date(2024, 5, 31))
    assert len(takecontrol_server.rest_calls()) == 3  # nothing more reached the vendor
    assert another_worker.health.is_open and not another_worker.breaker.is_open


def test_5xx_answers_count_and_any_other_answer_resets_the_count(takecontrol_server):
    takecontrol_server.use("500", "500", "ok", "500", "500", "429-no-retry-after", "ok", "500", "500")
    client = make_client(takecontrol_server)
    for expected in (TakeControlUnavailable, TakeControlUnavailable, None) * 2:
        if expected is None:
            client.create_session()  # answered (after a 429 and a retry, the second time)
        else:
            with pytest.raises(expected):
                client.create_session()
    assert not client.health.is_open  # never three unanswered in a row
    with pytest.raises(TakeControlUnavailable):
        client.create_session()
    with pytest.raises(TakeControlUnavailable):
        client.create_session()
    assert not client.health.is_open  # the 429 and "ok" in between reset it; these are two
    takecontrol_server.use("500")
    with pytest.raises(TakeControlUnavailable):
        client.create_session()
    assert client.health.is_open
    assert len(takecontrol_server.rest_calls()) == 10


def test_an_unreachable_vendor_is_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = TakeControlClient(api_domain=f"http://127.0.0.1:{port}/rest", public_key=PUBLIC_KEY)
    with pytest.raises(TakeControlUnavailable) as caught:
        client.create_session()
    assert PUBLIC_KEY not in str(caught.value)


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("malformed", TakeControlBadResponse),
        ("not-json", TakeControlBadResponse),
        ("error-200", TakeControlBadResponse),
        ("500", TakeControlUnavailable),
    ],
)
def test_answers_we_cannot_use_are_errors(takecontrol_server, mode, error):
    takecontrol_server.use(mode)
    with pytest.raises(error) as caught:
        make_client(takecontrol_server).create_session()
    assert not isinstance(caught.value, TakeControlRateLimited)
    if mode == "error-200":
        assert caught.value.vendor_message == "Internal error"


def test_an_answer_over_the_size_cap_is_refused_not_read_whole(takecontrol_server):
    takecontrol_server.use("oversized", "ok")
    with pytest.raises(TakeControlBadResponse, match="larger than allowed"):
        make_client(takecontrol_server).create_session()
    # The same envelope within the cap is a session: only the size was refused.
    assert make_client(takecontrol_server).create_session().queue_length is not None


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after_seconds("7") == 7
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0  # in the past
    ahead = (datetime.now(UTC) + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert 25 <= retry_after_seconds(ahead) <= 30


def test_client_repr_holds_no_keys(takecontrol_server):
    client = make_client(takecontrol_server)
    assert PUBLIC_KEY not in repr(client) and PRIVATE_KEY not in repr(client)


# ------------------------------------------------------------------------------
# Session history (docs/decisions/0019-takecontrol-session-history.md) and CSV
# ------------------------------------------------------------------------------


def test_session_history_sends_the_private_key_and_a_json_body(takecontrol_server):
    client = make_client(takecontrol_server)
    history = client.session_history(
        date_from=date(2024, 5, 1),
        date_to=datetime(2024, 5, 31, 14, 0, tzinfo=timezone(timedelta(hours=2))),
        variables=["ID", "CUSTOMER_NAME", "DATE_START"],
        customer_name="Zoë",
        processed=True,
        has_videos=False,
        page=2,
        page_size=50,
    )
    (call,) = takecontrol_server.rest_calls()
    assert (call.method, call.path) == ("GET", "/rest/session/history")
    assert call.headers["integration-key"] == PRIVATE_KEY
    assert call.headers["content-type"].startswith("application/json")
    assert call.query == {"pageNumber": ["2"], "pageSize": ["50"]}
    assert call.json == {
        "vars": "ID CUSTOMER_NAME DATE_START",
        "filters": {
            "FILTER_DATE_START_INI": "2024-05-01 00:00:00",
            "FILTER_DATE_START_END": "2024-05-31 12:00:00",
            "FILTER_CUSTOMER_NAME": "Zoë",
            "FILTER_PROCESSED": "ANSWERED",
            "FILTER_HAS_VIDEOS": "FALSE",
        },
    }
    assert [row["ID"] for row in history.rows] == ["1001", "1002", "1003"]
    assert set(history.rows[2]) == {"ID", "CUSTOMER_NAME", "DATE_START"}
    assert history.rows[2]["CUSTOMER_NAME"] == "Zoë Ångström 🙂"
    assert (history.page, history.page_size, history.total) == (1, 50, 3)


def test_session_history_covers_the_whole_last_day_by_default_columns(takecontrol_server):
    make_client(takecontrol_server).session_history(date_from=date(2024, 5, 1), date_to=date(2024, 5, 1))
    (call,) = takecontrol_server.rest_calls()
    assert call.json["vars"] == " ".join(DEFAULT_HISTORY_COLUMNS)
    assert call.json["filters"] == {
        "FILTER_DATE_START_INI": "2024-05-01 00:00:00",
        "FILTER_DATE_START_END": "2024-05-01 23:59:59",
    }
    assert call.query == {}


def test_session_history_refuses_bad_input_without_calling(takecontrol_server):
    client = make_client(takecontrol_server)
    with pytest.raises(TakeControlValueError):
        client.session_history(
            date_from=date(2024, 5, 1), date_to=date(2024, 5, 2), variables=["ID", "PASSWORD"]
        )
    with pytest.raises(TakeControlValueError):
        client.session_history(date_from=date(2024, 5, 2), date_to=date(2024, 5, 1))
    with pytest.raises(TakeControlMisconfigured):
        make_client(takecontrol_server, tc_private_key="").session_history(
            date_from=date(2024, 5, 1), date_to=date(2024, 5, 2)
        )
    assert takecontrol_server.calls() == []


def test_session_history_with_the_public_key_is_refused_by_the_vendor(takecontrol_server):
    client = make_client(takecontrol_server, tc_private_key=PUBLIC_KEY)
    with pytest.raises(TakeControlMisconfigured):
        client.session_history(date_from=date(2024, 5, 1), date_to=date(2024, 5, 2))


def test_history_csv_escapes_formula_cells(takecontrol_server):
    columns = [
        "ID",
        "COMPUTER_NAME",
        "CUSTOMER_NAME",
        "CUSTOMER_EMAIL",
        "CUSTOMER_NUMBER",
        "PROBLEM_DESCRIPTION",
        "NOTES",
        "HAS_VIDEOS",
    ]
    history = make_client(takecontrol_server).session_history(
        date_from=date(2024, 5, 1), date_to=date(2024, 5, 31), variables=columns
    )
    text = history_csv(history.rows, columns)
    assert text.endswith("\r\n")
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed[0] == columns
    assert parsed[1] == [
        "1001",
        "VM2",
        "Jane Doe",
        "jane@example.com",
        "C-1001",
        "Printer offline",
        "Driver reinstalled",
        "FALSE",
    ]
    assert parsed[2] == [
        "1002",
        "'=cmd|' /C calc'!A0",
        '\'=HYPERLINK("https://evil.example","click")',
        "'@evil.example",
        "'+31 20 555 0100",
        '\'-2+3, "quoted", and a\nnew line',
        "",
        "TRUE",
    ]
    assert parsed[3][:3] == ["1003", "MÜNCHEN-01", "Zoë Ångström 🙂"]
    assert parsed[3][6] == ""  # NOTES was null
    assert len(parsed) == 4


def test_history_csv_keeps_numbers_and_reads_lowercase_keys():
    rows = [
        {
            "id": -5,
            "customer_name": "\tcmd",
            "has_videos": True,
            "video_links": ["https://a", "https://b"],
        }
    ]
    text = history_csv(rows, ["ID", "CUSTOMER_NAME", "HAS_VIDEOS", "VIDEO_LINKS", "NOTES"])
    assert list(csv.reader(io.StringIO(text, newline="")))[1] == [
        "-5",
        "'\tcmd",
        "TRUE",
        "https://a https://b",
        "",
    ]


def test_every_default_column_is_offered():
    assert set(DEFAULT_HISTORY_COLUMNS) <= set(HISTORY_COLUMNS)
