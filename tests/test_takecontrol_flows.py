"""Take Control in the portal: the survey, the technician list, the PIN, REST starts, bootstrap.

Each test follows what the customer does (a POST from the rendered page) to where their browser
is sent, or to what the fake Take Control account received (docs/decisions/README.md#take-control).
"""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import urlencode, urlsplit

import pytest
import requests
from django.core import signing
from django.core.management import CommandError

from portal.models import (
    Backend,
    CustomField,
    Department,
    FieldMode,
    Issue,
    Site,
    SiteHostname,
    StartRequest,
    Technician,
)
from portal.views.base import QUEUED_SALT
from tests.conftest import form_data, query_of, run_portal_bootstrap, start_address
from tests.fakes.takecontrol import NEW_SESSION_PATH, NO_WAIT, PUBLIC_KEY, UID, takecontrol_backend
from tests.parsed_html import element, elements

pytestmark = pytest.mark.django_db

API_DOMAIN = "https://api.us0.swi-rc.com/rest"
NEW_SESSION_URL = "https://api.us0.swi-rc.com/integration/integration_api.php"
VALID = {
    "issue": "printing",
    "name": "Jane Doe",
    "email": "jane@example.com",
    "customer_number": "C-1001",
    "details": "Printer offline",
}


@pytest.fixture(autouse=True)
def quick_vendor(settings):
    settings.PORTAL_TC_RETRY_AFTER_MAX = 0.3
    settings.PORTAL_TC_BREAKER_THRESHOLD = 3
    settings.PORTAL_VENDOR_CONNECT_TIMEOUT = 1.0
    settings.PORTAL_VENDOR_READ_TIMEOUT = 1.0


@pytest.fixture
def tc_backend(db):
    return takecontrol_backend(
        API_DOMAIN,
        tc_ask_customer_info=True,
    )


@pytest.fixture
def tc_site(tc_backend):
    return Site.objects.create(
        name="Acme Support",
        is_default=True,
        backend=tc_backend,
        email_field=FieldMode.OPTIONAL,
        customer_number_field=FieldMode.OPTIONAL,
        company_field=FieldMode.OPTIONAL,
        warning_text="",
    )


@pytest.fixture
def tc_issues(tc_site, tc_backend):
    helpdesk = Department.objects.create(backend=tc_backend, name="Help desk", department_id=1234)
    tess = Technician.objects.create(
        backend=tc_backend, display_name="Tess", username="tess.private@example.com"
    )
    printing = Issue.objects.create(
        site=tc_site,
        code_name="printing",
        display_name="Printing",
        order=1,
        department=helpdesk,
        technician=tess,
    )
    other = Issue.objects.create(site=tc_site, code_name="other", display_name="Something else", order=2)
    return {"printing": printing, "other": other}


@pytest.fixture
def technicians(tc_backend):
    return {
        "anna": Technician.objects.create(
            backend=tc_backend, display_name="Anna K.", username="anna.kowalska@example.com", order=1
        ),
        "ben": Technician.objects.create(
            backend=tc_backend, display_name="Ben", username="bsmith@example.com", order=2
        ),
        "hidden": Technician.objects.create(
            backend=tc_backend, display_name="Off duty", username="offduty@example.com", listed=False
        ),
    }


@pytest.fixture
def rest_site(tc_site, tc_backend, takecontrol_server):
    tc_backend.base_url = takecontrol_server.rest_url
    tc_backend.tc_mode = Backend.TakeControlMode.REST
    tc_backend.save()
    return tc_site


def post_survey(client, **fields):
    return client.post("/survey/", form_data(**{**VALID, **fields}))


def errors_of(response) -> dict[str, str]:
    return {
        p.attrs["id"].removeprefix("id_").removesuffix("_error"): p.raw_text()
        for p in elements(response.content.decode(), "p", class_="error")
        if p.attrs.get("id", "").endswith("_error")
    }


def last_record() -> StartRequest:
    return StartRequest.objects.latest("id")


def queue_page(client, response) -> str:
    """A REST start's answer: a 303 to the queue page (never the page itself, which a reload
    would send again), and that page's HTML."""
    assert response.status_code == 303
    location = response["Location"]
    assert location.startswith("/queued/?r=")
    page = client.get(location)
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]  # the customer's own page
    return page.content.decode()


# ------------------------------------------------------------------------------
# Survey, redirect mode (docs/decisions/0014-takecontrol-redirect-start.md)
# ------------------------------------------------------------------------------
def test_survey_redirects_to_new_session_url_parameter_by_parameter(client, tc_site, tc_issues):
    response = post_survey(client, locale="de", details="Drucker offline\r\nseit 9 Uhr | dringend")
    assert response.status_code == 303
    url = response["Location"]
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == NEW_SESSION_URL
    assert query_of(url) == [
        ("uid", UID),
        ("department", "1234"),
        ("tech", "tess.private@example.com"),
        ("customer_name", "Jane Doe"),
        ("customer_email", "jane@example.com"),
        ("customer_number", "C-1001"),
        ("problem_description", "Drucker offline\nseit 9 Uhr | dringend"),
        ("ask_customer_info", "1"),
    ]
    assert "%7C" in url and "|" not in url and "+" not in parts.query
    record = last_record()
    assert (record.flow, record.outcome, record.backend_kind, record.locale, record.issue) == (
        StartRequest.Flow.SURVEY,
        StartRequest.Outcome.STARTED,
        Backend.Kind.TAKECONTROL,
        "de",
        tc_issues["printing"],
    )


def test_the_vendor_takes_a_survey_start_with_every_value_at_its_limit(
    client, tc_site, tc_issues, tc_backend, takecontrol_server
):
    """The customer's browser stands in: the fake account refuses, by the vendor's rules, any
    parameter it would not take (docs/vendors/takecontrol.md#new-session-url)."""
    tc_backend.base_url = takecontrol_server.rest_url
    tc_backend.save()
    values = {
        "name": "Zoë " + "Å" * 124,
        "email": "z" * (64 - len("@exämple.com")) + "@exämple.com",
        "customer_number": "№" * 32,
        "details": ("Écran noir 🖥️ a+b=c & d\n" * 60)[:1023] + "!",
    }
    url = start_address(post_survey(client, **values))
    answer = requests.get(url, timeout=5)
    assert (answer.status_code, "applet" in answer.text) == (200, True), answer.text
    (arrived,) = takecontrol_server.calls(NEW_SESSION_PATH)
    assert arrived.query["customer_name"] == [values["name"]]
    assert arrived.query["customer_email"] == [values["email"]]
    assert arrived.query["problem_description"] == [values["details"]]
    assert len(values["details"]) == 1024


def test_issue_without_routing_and_no_ask_customer_info(client, tc_site, tc_issues, tc_backend):
    tc_backend.tc_ask_customer_info = False
    tc_backend.save()
    tc_site.details_field = FieldMode.OPTIONAL
    tc_site.save()
    response = post_survey(client, issue="other", email="", customer_number="", details="")
    assert query_of(response["Location"]) == [("uid", UID), ("customer_name", "Jane Doe")]


def test_embedded_survey_ends_in_a_top_level_button(client, tc_site, tc_issues):
    response = post_survey(client, embedded="1")
    assert response.status_code == 200
    html = response.content.decode()
    [button] = [
        a for a in elements(html, "a", target="_top") if a.attrs["href"].startswith(f"{NEW_SESSION_URL}?uid=")
    ]
    assert dict(query_of(button.attrs["href"]))["uid"]


def test_survey_shows_only_take_control_fields(client, tc_site, tc_issues):
    CustomField.objects.create(site=tc_site, code_name="asset_tag", label="Asset tag")
    tc_site.chat_mode = Site.ChatMode.CHOICE
    tc_site.save()
    html = client.get("/survey/").content.decode()
    names = {field.attrs["name"] for field in elements(html, name=True)}
    assert {"name", "email", "customer_number", "details"} <= names
    assert not {"company", "company_code", "external_key", "cf_asset_tag", "chat"} & names
    assert element(html, "input", name="email").attrs["type"] == "email"
    assert {"64", "128"} <= {field.attrs["data-max-chars"] for field in elements(html, data_max_chars=True)}
    response = post_survey(client, company="Acme", cf_asset_tag="LT-1", external_key="INC-1", chat="on")
    assert [name for name, _value in query_of(response["Location"])] == [
        "uid",
        "department",
        "tech",
        "customer_name",
        "customer_email",
        "customer_number",
        "problem_description",
        "ask_customer_info",
    ]


def test_field_modes_follow_the_site(client, tc_site, tc_issues):
    tc_site.email_field = FieldMode.REQUIRED
    tc_site.customer_number_field = FieldMode.HIDDEN
    tc_site.details_field = FieldMode.OPTIONAL
    tc_site.save()
    assert 'name="customer_number"' not in client.get("/survey/").content.decode()
    assert errors_of(post_survey(client, email="")) == {"email": "Please fill in this field. "}
    response = post_survey(client, customer_number="sneaky", details="")
    query = dict(query_of(response["Location"]))
    assert "customer_number" not in query and "problem_description" not in query


@pytest.mark.parametrize(
    ("field", "param", "limit", "unit"),
    [
        ("name", "customer_name", 128, "ü"),
        # A letter beyond the BMP, as an emoji is: one character (a name needs a letter).
        ("name", "customer_name", 128, "\U00020000"),
        ("customer_number", "customer_number", 32, "9"),
        ("customer_number", "customer_number", 32, "日"),
        ("details", "problem_description", 1024, "日"),
        ("details", "problem_description", 1024, "😀"),
    ],
)
def test_limits_are_counted_in_characters(client, tc_site, tc_issues, field, param, limit, unit):
    at_limit = unit * limit
    url = start_address(post_survey(client, **{field: at_limit}))
    assert dict(query_of(url))[param] == at_limit
    response = post_survey(client, **{field: at_limit + unit})
    assert response.status_code == 200
    assert errors_of(response)[field] == "This is 1 character too long. Please shorten it. "
    assert last_record().outcome == StartRequest.Outcome.INVALID


def test_email_limit_is_64_characters(client, tc_site, tc_issues):
    at_limit = "a" * (64 - len("@example.com")) + "@example.com"
    assert dict(query_of(post_survey(client, email=at_limit)["Location"]))["customer_email"] == at_limit
    response = post_survey(client, email="a" + at_limit)
    assert errors_of(response)["email"] == "This is 1 character too long. Please shorten it. "


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "Please enter an email address like name@example.com."),
        ("email", "jane@", "Please enter an email address like name@example.com."),
        ("email", "jane doe@example.com", "Please enter an email address like name@example.com."),
        ("email", "jane@localhost", "Please enter an email address like name@example.com."),
        ("email", "jane@example.com\r\nBcc: x@evil.example", "Please keep this on one line."),
        ("name", "Jane\x07Doe", "invisible control characters"),
        ("name", "Jane\u202eeoD", "invisible control characters"),
        ("name", "Jane\nDoe", "Please keep this on one line."),
        ("customer_number", "C\t1", "Please keep this on one line."),
        ("details", "bad\x1bescape", "invisible control characters"),
        ("issue", "nonexistent", "Please choose one of the listed topics."),
    ],
)
def test_bad_values_get_a_message_next_to_the_field(client, tc_site, tc_issues, field, value, message):
    response = post_survey(client, **{field: value})
    assert response.status_code == 200
    assert message in errors_of(response)[field]
    assert 'id="error-summary"' in response.content.decode()


def test_everything_typed_is_kept_after_an_error(client, tc_site, tc_issues):
    response = post_survey(
        client, name="", email="zoe@exämple.com", customer_number="Nº 42", details="Écran noir 🖥️"
    )
    html = response.content.decode()
    assert errors_of(response) == {"name": "Please fill in this field. "}
    assert element(html, "input", name="email").attrs["value"] == "zoe@exämple.com"
    assert element(html, "input", name="customer_number").attrs["value"] == "Nº 42"
    assert element(html, "textarea", name="details").raw_text().strip("\n") == "Écran noir 🖥️"
    assert element(html, "a", href="#id_name").text == "Your name: Please fill in this field."


def test_prefill_by_query_parameters(client, tc_site, tc_issues):
    html = client.get(
        "/survey/?name=Jane&email=jane%40example.com&customer_number=C-9&details=Hi%20there"
        "&issue=other&locale=de"
    ).content.decode()
    for snippet in (
        'value="Jane"',
        'value="jane@example.com"',
        'value="C-9"',
        ">\nHi there</textarea>",
        'lang="de"',
    ):
        assert snippet in html
    assert "checked" in element(html, "input", value="other").attrs


def test_personal_data_kept_only_when_site_says_so(client, tc_site, tc_issues):
    post_survey(client)
    assert last_record().customer_data is None
    tc_site.keep_personal_data = True
    tc_site.save()
    post_survey(client)
    assert last_record().customer_data == {
        "name": "Jane Doe",
        "email": "jane@example.com",
        "number": "C-1001",
        "details": "Printer offline",
    }


def test_missing_uid_is_temporarily_unavailable_not_a_500(client, tc_site, tc_issues, tc_backend, caplog):
    tc_backend.tc_uid = ""
    tc_backend.save()
    with caplog.at_level(logging.ERROR):
        response = post_survey(client)
    assert response.status_code == 503
    assert "temporarily unavailable" in response.content.decode()
    assert last_record().outcome == StartRequest.Outcome.FAILED
    assert any("uid" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)


# ------------------------------------------------------------------------------
# REST mode (docs/decisions/0015-takecontrol-rest-start.md)
# ------------------------------------------------------------------------------
def test_rest_start_sends_exactly_the_decided_body_and_shows_the_queue(
    client, rest_site, tc_issues, takecontrol_server
):
    response = post_survey(client, locale="pt-br")
    html = queue_page(client, response)  # in Portuguese: the queue line by its class
    assert dict(query_of(response["Location"]))["locale"] == "pt-br"
    [call] = takecontrol_server.rest_calls()
    assert (call.method, call.path, call.headers["integration-key"]) == ("POST", "/rest/session", PUBLIC_KEY)
    assert call.json == {
        "department_id": 1234,
        "technician_username": "tess.private@example.com",
        "language": "pt",
        "customer_name": "Jane Doe",
        "customer_email": "jane@example.com",
        "customer_number": "C-1001",
        "problem_description": "Printer offline",
        "ask_customer_info": 1,
        "show_waiting_queue": 1,
    }
    assert re.search(r"\b2\b", element(html, "p", class_="queue-length").text)
    assert 'class="estimated-wait"' not in html
    assert 'id="pin-link" href="/key/?locale=pt-br"' in html  # no applet link: the PIN page
    assert "VM2" not in html and "RECEPTION-PC" not in html  # other customers' computers
    assert not takecontrol_server.calls(NEW_SESSION_PATH)  # the portal never fetches the applet URL
    record = last_record()
    assert (record.flow, record.outcome, record.locale) == (
        StartRequest.Flow.SURVEY,
        StartRequest.Outcome.STARTED,
        "pt-br",
    )


def test_rest_start_with_applet_link_offers_a_top_level_button(
    client, rest_site, tc_issues, takecontrol_server
):
    takecontrol_server.use("ok-with-link")
    response = post_survey(client, embedded="1")
    html = queue_page(client, response)
    assert dict(query_of(response["Location"]))["embed"] == "1"  # still the framed page
    assert 'href="https://startcontrol.example/s/yPQH" target="_top"' in html
    assert "There is 1 request in the queue." in html
    assert "Estimated waiting time: about 3 minutes." in html  # "PT3M"


@pytest.mark.parametrize(
    ("sent", "locale", "shown"),
    [
        ("PT3M", "en-us", "Estimated waiting time: about 3 minutes."),
        ("PT1M", "en-us", "Estimated waiting time: about 1 minute."),
        ("PT61S", "en-us", "Estimated waiting time: about 2 minutes."),  # rounded up
        ("PT20S", "en-us", "Estimated waiting time: less than a minute."),
        ("1:40:00", "en-us", "Estimated waiting time: about 2 hours."),
        ("PT59M", "en-us", "Estimated waiting time: about 59 minutes."),
        ("PT59M1S", "en-us", "Estimated waiting time: about 1 hour."),  # never "60 minutes"
        ("PT21M", "ru", "Примерное время ожидания: 21\xa0минута."),
        ("PT3M", "ru", "Примерное время ожидания: 3\xa0минуты."),
        ("PT5M", "ru", "Примерное время ожидания: 5\xa0минут."),
        # "約" (about) never ends a line without its count, nor "不到" (less than).
        ("PT3M", "ja", "予想待ち時間：約\xa03\xa0分"),
        ("PT3M", "zh", "預估等待時間：約\xa03\xa0分\u2060鐘"),
        ("PT20S", "zh-hans", "预计等待时间：不\u2060到\xa01\xa0分\u2060钟"),
        ("PT2M", "fi", "Arvioitu odotusaika: noin 2\xa0minuuttia."),  # the count keeps its unit
        ("PT20S", "fi", "Arvioitu odotusaika: alle minuutin."),  # "alle" takes the genitive
        # A number or a text without its unit, or nothing, or nonsense: no wait line at all,
        # never "Estimated waiting time: 180" (180 what?) and never a 500.
        (180, "en-us", None),
        (2.5, "en-us", None),
        ("180", "en-us", None),
        ("about three minutes", "en-us", None),
        (NO_WAIT, "en-us", None),
        (None, "en-us", None),
        (-5, "en-us", None),
        (float("inf"), "en-us", None),
        ("P400D", "en-us", None),
        ({"minutes": 3}, "en-us", None),
    ],
)
def test_the_queue_page_words_an_estimated_wait_only_when_its_unit_is_known(
    client, rest_site, tc_issues, takecontrol_server, sent, locale, shown
):
    takecontrol_server.state["estimated_wait"] = sent
    takecontrol_server.use("ok-with-wait")
    html = queue_page(client, post_survey(client, locale=locale))
    assert element(html, "p", class_="queue-length")  # the rest of the page is there
    if shown is None:
        assert 'class="estimated-wait"' not in html
    else:
        assert element(html, "p", class_="estimated-wait").raw_text() == shown


def test_a_queue_link_signed_with_the_raw_wait_shows_no_wait(client, rest_site, tc_issues):
    """A link signed before the wait was read in seconds carries the vendor's raw value ("w"):
    within its day it still opens, without the wait line."""
    token = signing.dumps({"site": rest_site.pk, "n": 4, "w": 180, "u": ""}, salt=QUEUED_SALT, compress=True)
    html = client.get("/queued/?" + urlencode({"r": token, "locale": "en-us"})).content.decode()
    assert "There are 4 requests in the queue." in html
    assert 'class="estimated-wait"' not in html and "180" not in html


def test_reloading_the_queue_page_queues_nothing_more(client, rest_site, tc_issues, takecontrol_server):
    """The helper's walk-through: the queue page was the POST's answer, and a reload sent the
    form again, a second request in the technician's queue."""
    takecontrol_server.use("ok-with-link")
    location = post_survey(client)["Location"]
    first = client.get(location).content.decode()
    again = client.get(location).content.decode()
    assert first == again and "There is 1 request in the queue." in again
    assert len(takecontrol_server.rest_calls()) == 1
    assert StartRequest.objects.count() == 1
    # The language links keep the page: the same queue in another language.
    link = next(a.attrs["href"] for a in elements(again, "a") if "locale=de" in a.attrs.get("href", ""))
    assert link.startswith("/queued/?r=")
    assert "Ihre Anfrage ist in der Warteschlange" in client.get(link).content.decode()
    assert len(takecontrol_server.rest_calls()) == 1


def test_a_queue_link_that_is_not_ours_is_not_found(
    client, rest_site, tc_backend, tc_issues, takecontrol_server, settings
):
    location = post_survey(client)["Location"]
    token = dict(query_of(location))["r"]
    assert client.get("/queued/?r=" + token[:-2] + "xx").status_code == 404  # tampered
    assert client.get("/queued/").status_code == 404
    # Signed for this site: another site of the same portal refuses it.
    settings.ALLOWED_HOSTS = ["testserver", "help.example.com"]
    other = Site.objects.create(name="Other", backend=tc_backend, warning_text="")
    SiteHostname.objects.create(site=other, hostname="help.example.com")
    assert client.get(location, HTTP_HOST="help.example.com").status_code == 404
    assert client.get(location).status_code == 200


def test_an_address_the_vendor_refuses_is_refused_next_to_the_field_before_any_call(
    client, rest_site, tc_issues, takecontrol_server
):
    """Django's own rule takes `jane@localhost`; Take Control wants an address on a domain (the
    fake refuses it with a 400), so the customer corrects it here rather than reading an apology."""
    response = post_survey(client, email="jane@localhost")
    assert errors_of(response)["email"] == "Please enter an email address like name@example.com. "
    assert not takecontrol_server.rest_calls()
    assert post_survey(client, email="jane@example.com").status_code == 303
    assert [body["customer_email"] for body in takecontrol_server.state["sessions"]] == ["jane@example.com"]


def test_rest_400_apologises_and_offers_the_redirect_path(client, rest_site, tc_issues, takecontrol_server):
    takecontrol_server.use("400")
    response = post_survey(client)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Sorry, we could not send your request" in html
    start = element(html, "a", id="start-link")
    assert start.attrs["target"] == "_top"
    link = start.attrs["href"]
    assert link.startswith(f"{takecontrol_server.base_url}{NEW_SESSION_PATH}?")
    assert dict(query_of(link))["customer_name"] == "Jane Doe"
    assert last_record().outcome == StartRequest.Outcome.FAILED


def test_rest_403_is_temporarily_unavailable_and_alerts_the_admin(
    client, rest_site, tc_issues, takecontrol_server, caplog
):
    takecontrol_server.use("403")
    with caplog.at_level(logging.WARNING):
        response = post_survey(client)
    assert response.status_code == 503
    html = response.content.decode()
    assert "Remote support is temporarily unavailable" in html
    assert "Invalid integration key" not in html and PUBLIC_KEY not in html
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors and all(PUBLIC_KEY not in r.getMessage() for r in caplog.records)
    assert last_record().outcome == StartRequest.Outcome.FAILED


def test_missing_public_key_fails_without_calling_the_vendor(
    client, rest_site, tc_issues, tc_backend, takecontrol_server, caplog
):
    tc_backend.tc_public_key = ""
    tc_backend.save()
    with caplog.at_level(logging.ERROR):
        assert post_survey(client).status_code == 503
    assert not takecontrol_server.rest_calls()
    assert any("public integration key" in r.getMessage() for r in caplog.records)


def test_rest_429_is_retried_once_after_retry_after(client, rest_site, tc_issues, takecontrol_server):
    takecontrol_server.state["retry_after"] = "0"
    takecontrol_server.use("429", "ok")
    response = post_survey(client)
    assert "in the queue" in queue_page(client, response)
    assert len(takecontrol_server.rest_calls()) == 2


def test_rest_429_beyond_the_cap_fails_at_once(client, rest_site, tc_issues, takecontrol_server, caplog):
    takecontrol_server.state["retry_after"] = "30"
    takecontrol_server.use("429")
    with caplog.at_level(logging.WARNING, logger="portal.vendors.takecontrol.client"):
        response = post_survey(client)
    assert response.status_code == 503
    assert len(takecontrol_server.rest_calls()) == 1
    assert last_record().outcome == StartRequest.Outcome.FAILED
    # The vendor's wait as a person writes it: "30 s", not "30.0 s".
    assert any(r.getMessage().endswith("429, retry after 30 s") for r in caplog.records)


def test_repeated_429_open_the_breaker_and_the_vendor_is_left_alone(
    client, rest_site, tc_issues, takecontrol_server
):
    takecontrol_server.state["mode"] = "429"
    for _attempt in range(3):
        assert post_survey(client).status_code == 503
    calls = len(takecontrol_server.rest_calls())
    assert calls >= 3
    takecontrol_server.state["mode"] = "ok"
    response = post_survey(client)
    assert response.status_code == 503 and "temporarily unavailable" in response.content.decode()
    assert len(takecontrol_server.rest_calls()) == calls  # the breaker answered, not the vendor
    assert StartRequest.objects.filter(outcome=StartRequest.Outcome.FAILED).count() == 4


@pytest.mark.parametrize("mode", ["500", "malformed", "not-json", "error-200", "redirect"])
def test_other_vendor_failures_never_500(client, rest_site, tc_issues, takecontrol_server, mode):
    takecontrol_server.use(mode)
    response = post_survey(client)
    assert response.status_code == 503
    assert last_record().outcome == StartRequest.Outcome.FAILED


def test_rest_timeout_is_temporarily_unavailable(client, rest_site, tc_issues, takecontrol_server, settings):
    settings.PORTAL_VENDOR_READ_TIMEOUT = 0.2
    takecontrol_server.hang()  # never answers: the real read timeout (0.2 s, kept short) is tested
    response = post_survey(client)
    assert response.status_code == 503
    assert "temporarily unavailable" in response.content.decode()
    assert last_record().outcome == StartRequest.Outcome.FAILED


# ------------------------------------------------------------------------------
# Technician list (the Take Control "representative list")
# ------------------------------------------------------------------------------
def test_technician_list_shows_display_names_never_usernames(client, tc_site, technicians):
    response = client.get("/technicians/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Anna K." in html and "Ben" in html
    assert "Off duty" not in html
    for technician in technicians.values():
        assert technician.username not in html
        assert technician.username.split("@")[0] not in html
    assert f'name="technician" value="{technicians["anna"].pk}"' in html


def test_home_links_to_the_technician_list(client, tc_site, technicians):
    html = client.get("/").content.decode()
    assert 'href="/technicians/?locale=en-us"' in html
    assert "I have a PIN" in html


def test_picking_a_technician_sends_tech(client, tc_site, technicians):
    response = client.post("/technicians/", form_data(technician=str(technicians["anna"].pk), locale="fr"))
    assert response.status_code == 303
    assert query_of(response["Location"]) == [
        ("uid", UID),
        ("tech", "anna.kowalska@example.com"),
        ("ask_customer_info", "1"),
    ]
    record = last_record()
    assert (record.flow, record.outcome, record.locale) == (
        StartRequest.Flow.REP,
        StartRequest.Outcome.STARTED,
        "fr",
    )


@pytest.mark.parametrize("pick", ["hidden", "other-backend", "999999", "anna.kowalska@example.com", ""])
def test_a_technician_not_in_the_list_is_refused_kindly(client, tc_site, technicians, pick):
    if pick == "hidden":
        pick = str(technicians["hidden"].pk)
    elif pick == "other-backend":
        other = Backend.objects.create(name="Other", kind=Backend.Kind.TAKECONTROL, base_url=API_DOMAIN)
        pick = str(
            Technician.objects.create(backend=other, display_name="Eve", username="eve@example.com").pk
        )
    response = client.post("/technicians/", form_data(technician=pick))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Please choose" in html or "not available" in html
    assert "Anna K." in html and 'name="technician"' in html  # the list again
    assert last_record().outcome == StartRequest.Outcome.INVALID


def test_technician_list_needs_the_flow_and_a_take_control_site(client, tc_site, technicians, backend):
    tc_site.show_rep_list = False
    tc_site.save()
    assert client.get("/technicians/").status_code == 404
    assert client.get("/reps/").status_code == 404
    tc_site.show_rep_list = True
    tc_site.backend = backend  # BeyondTrust
    tc_site.save()
    # No technician list there: a help desk's old link goes to the list the site has.
    response = client.get("/technicians/?locale=de&external_key=INC-1")
    assert (response.status_code, response["Location"]) == (302, "/reps/?locale=de&external_key=INC-1")
    assert client.post("/technicians/", form_data(technician="1")).status_code == 404


def test_a_rep_list_link_on_take_control_goes_to_the_technicians(client, tc_site, technicians):
    """A walk-through: /reps/ on a Take Control site was a 404, so a help desk's link from
    before a change of vendor broke. It goes to the technician list, query and all."""
    response = client.get("/reps/?locale=ja&name=Jane")
    assert (response.status_code, response["Location"]) == (302, "/technicians/?locale=ja&name=Jane")
    assert "Ben" in client.get(response["Location"]).content.decode()


def test_technician_start_needs_consent_when_the_site_asks(client, tc_site, technicians):
    tc_site.consent_text = "The technician sees your screen."
    tc_site.save()
    pick = str(technicians["ben"].pk)
    response = client.post("/technicians/", form_data(technician=pick))
    assert response.status_code == 200
    assert "Please agree to the terms to continue." in response.content.decode()
    assert client.post("/technicians/", form_data(technician=pick, consent="on")).status_code == 303


def test_technician_post_without_guards_starts_nothing(client, tc_site, technicians):
    response = client.post("/technicians/", {"technician": str(technicians["anna"].pk)})
    assert response.status_code == 200
    assert "This form could not be verified" in response.content.decode()
    response = client.post(
        "/technicians/", form_data(technician=str(technicians["anna"].pk)), HTTP_ORIGIN="https://evil.example"
    )
    assert response.status_code == 403
    assert not StartRequest.objects.filter(outcome=StartRequest.Outcome.STARTED).exists()


def test_rest_technician_start_sends_the_username(client, rest_site, technicians, takecontrol_server):
    response = client.post("/technicians/", form_data(technician=str(technicians["ben"].pk), locale="ja"))
    assert '<html lang="ja"' in queue_page(client, response)  # the queue page, in Japanese
    [call] = takecontrol_server.rest_calls()
    assert call.json == {
        "technician_username": "bsmith@example.com",
        "language": "ja",
        "ask_customer_info": 1,
        "show_waiting_queue": 1,
    }


# ------------------------------------------------------------------------------
# PIN (docs/decisions/0017-takecontrol-pin.md)
# ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "typed", ["123456789", "123 456 789", "123-456-789", "１２３ ４５６ ７８９", "123\u200b456789"]
)
def test_pin_goes_into_the_template(client, tc_site, typed):
    response = client.post("/key/", form_data(key=typed))
    assert response.status_code == 303
    assert response["Location"] == "https://startcontrol.com/123456789"
    record = last_record()
    assert (record.flow, record.outcome) == (StartRequest.Flow.KEY, StartRequest.Outcome.STARTED)


def test_pin_uses_the_admins_template(client, tc_site, tc_backend):
    tc_backend.tc_pin_url_template = "https://support.example.com/pin?code={pin}&x={y}"
    tc_backend.save()
    response = client.post("/key/", form_data(key="987654321"))
    assert response["Location"] == "https://support.example.com/pin?code=987654321&x=%7By%7D"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12345678", "A PIN has 9 digits."),
        ("1234567890", "A PIN has 9 digits."),
        ("12345678a", "A PIN has only digits."),
        ("", "Please enter the PIN your technician gave you."),
        ("1" * 100, "A PIN has 9 digits."),
    ],
)
def test_bad_pins_are_refused_and_kept(client, tc_site, typed, message):
    response = client.post("/key/", form_data(key=typed))
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html and 'href="#id_key"' in html
    assert last_record().outcome == StartRequest.Outcome.INVALID


def test_pin_page_speaks_of_a_pin_and_allows_the_pin_host(client, tc_site):
    response = client.get("/key/?key=123%20456%20789")
    html = response.content.decode()
    assert "Enter your PIN" in html and element(html, "input", name="key").attrs["value"] == "123 456 789"
    assert elements(html, name="external_key") == []
    form_action = re.search(r"form-action ([^;]+)", response["Content-Security-Policy"]).group(1).split()
    assert "https://startcontrol.com" in form_action and "https://api.us0.swi-rc.com" in form_action


# ------------------------------------------------------------------------------
# portal_bootstrap
# ------------------------------------------------------------------------------
TC_ENV = {
    "TAKECONTROL_API_URL": "https://api.us3.swi-rc.com/rest/",
    "TAKECONTROL_UID": "uid-from-env|774",
    "TAKECONTROL_PUBLIC_KEY": "02.public-secret-value",
    "TAKECONTROL_PRIVATE_KEY": "02.private-secret-value",
    "TAKECONTROL_MODE": "rest",
}


def test_bootstrap_take_control_is_idempotent_and_prints_no_secret(monkeypatch, db):
    first = run_portal_bootstrap(monkeypatch, TC_ENV)
    second = run_portal_bootstrap(monkeypatch, TC_ENV)
    backend = Backend.objects.get()
    site = Site.objects.get()
    assert site.is_default and site.backend == backend
    assert (
        backend.kind,
        backend.base_url,
        backend.tc_uid,
        backend.tc_public_key,
        backend.tc_private_key,
        backend.tc_mode,
    ) == (
        Backend.Kind.TAKECONTROL,
        "https://api.us3.swi-rc.com/rest",
        "uid-from-env|774",
        "02.public-secret-value",
        "02.private-secret-value",
        "rest",
    )
    assert "created" in first and "updated" in second
    for output in (first, second):
        assert "secret-value" not in output and "uid-from-env" not in output
        assert "public key set" in output


def test_bootstrap_take_control_keeps_a_beyondtrust_backend_aside(monkeypatch, site):
    run_portal_bootstrap(monkeypatch, {**TC_ENV, "TAKECONTROL_MODE": "redirect"})
    site.refresh_from_db()
    assert site.backend.kind == Backend.Kind.TAKECONTROL and site.backend.tc_mode == "redirect"
    assert Backend.objects.filter(kind=Backend.Kind.MODERN).count() == 1


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({**TC_ENV, "TAKECONTROL_MODE": "magic"}, "TAKECONTROL_MODE must be one of"),
        ({**TC_ENV, "BEYONDTRUST_URL": "https://support.example.com"}, "not both"),
        ({**TC_ENV, "TAKECONTROL_API_URL": "http://api.example.com/rest"}, "Invalid Take Control settings"),
    ],
)
def test_bootstrap_take_control_refuses_bad_settings(monkeypatch, db, env, message):
    with pytest.raises(CommandError, match=message) as caught:
        run_portal_bootstrap(monkeypatch, env)
    assert "secret-value" not in str(caught.value)
    assert not Backend.objects.exists()


@pytest.mark.parametrize(
    ("mode", "missing"), [("rest", "TAKECONTROL_PUBLIC_KEY"), ("redirect", "TAKECONTROL_UID")]
)
def test_bootstrap_refuses_a_start_mode_without_its_credential(monkeypatch, db, mode, missing):
    """As admin refuses it: every start in that mode would fail."""
    env = {key: value for key, value in {**TC_ENV, "TAKECONTROL_MODE": mode}.items() if key != missing}
    with pytest.raises(CommandError, match=f"Invalid Take Control settings: {missing}: ") as caught:
        run_portal_bootstrap(monkeypatch, env)
    assert "secret-value" not in str(caught.value) and "uid-from-env" not in str(caught.value)
    assert not Backend.objects.exists()


def test_bootstrap_takes_rest_mode_without_a_uid_or_private_key(monkeypatch, db):
    env = {
        key: value
        for key, value in TC_ENV.items()
        if key not in {"TAKECONTROL_UID", "TAKECONTROL_PRIVATE_KEY"}
    }
    assert "created" in run_portal_bootstrap(monkeypatch, env)
    assert json.dumps(Backend.objects.get().tc_public_key) == '"02.public-secret-value"'


def test_what_happens_next_promises_no_chat_take_control_cannot_open(client, tc_site):
    """A walk-through read 'or a chat opens' on a Take Control page, which has no chat."""
    html = client.get("/key/?locale=fi").content.decode()
    steps = element(html, "div", class_="next-steps").text
    assert "keskustelu" not in steps  # Finnish for "chat"
    assert "Selaimesi lataa pienen tukiohjelman." in steps


# ------------------------------------------------------------------------------
# Technicians stored before today's username rule
# (docs/decisions/0126-values-stored-before-todays-rules.md)
# ------------------------------------------------------------------------------
@pytest.fixture
def localhost_technician(tc_backend):
    """As an older version saved it: Django's own email rule takes `jane@localhost`."""
    return Technician.objects.create(backend=tc_backend, display_name="Jane", username="jane@localhost")


def test_an_issue_technician_without_a_domain_is_left_out_and_the_vendor_takes_the_start(
    client, tc_site, tc_issues, tc_backend, localhost_technician, takecontrol_server, caplog
):
    tc_backend.base_url = takecontrol_server.rest_url
    tc_backend.save()
    tc_issues["printing"].technician = localhost_technician
    tc_issues["printing"].save()
    url = start_address(post_survey(client))
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == takecontrol_server.base_url + NEW_SESSION_PATH
    assert query_of(url) == [
        ("uid", UID),
        ("department", "1234"),
        ("customer_name", "Jane Doe"),
        ("customer_email", "jane@example.com"),
        ("customer_number", "C-1001"),
        ("problem_description", "Printer offline"),
        ("ask_customer_info", "1"),
    ]
    answer = requests.get(url, timeout=5)
    assert (answer.status_code, "applet" in answer.text) == (200, True), answer.text
    (arrived,) = takecontrol_server.calls(NEW_SESSION_PATH)
    assert "tech" not in arrived.query and arrived.query["department"] == ["1234"]
    assert last_record().outcome == StartRequest.Outcome.STARTED
    assert any("jane@localhost" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


def test_a_rest_start_leaves_out_a_technician_without_a_domain(
    client, rest_site, tc_issues, localhost_technician, takecontrol_server
):
    tc_issues["printing"].technician = localhost_technician
    tc_issues["printing"].save()
    queue_page(client, post_survey(client))
    [call] = takecontrol_server.rest_calls()
    assert call.json["department_id"] == 1234
    assert "technician_username" not in call.json


def test_a_technician_without_a_domain_is_not_offered_to_customers(
    client, tc_site, technicians, localhost_technician
):
    html = client.get("/technicians/").content.decode()
    assert "Anna K." in html
    assert "Jane" not in html and f'value="{localhost_technician.pk}"' not in html
    response = client.post("/technicians/", form_data(technician=str(localhost_technician.pk)))
    assert response.status_code == 200
    assert last_record().outcome == StartRequest.Outcome.INVALID
