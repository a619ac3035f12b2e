"""Property tests over every public form and GET page (see strategies.py for what is sent).

Whatever arrives: never a 5xx, never a Location off our origin or the configured vendor's, and
every vendor start URL within the vendor's limits (invariants.py). A start is also recorded:
a 303 to the vendor always has its StartRequest row.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal import prefill
from portal.models import Backend, CustomField, Department, FieldMode, Issue, Site, StartRequest, Technician
from tests.fakes.beyondtrust import FakeBeyondTrust
from tests.fakes.server import running
from tests.fakes.takecontrol import (
    SESSION_PATH,
    FakeTakeControlServer,
    session_body_problem,
    takecontrol_backend,
)
from tests.fuzz.conftest import count_case
from tests.fuzz.invariants import OUR_ORIGIN, check_response, origin
from tests.fuzz.strategies import params, public_post, query_string, send, text

COMMON = ["locale", "tz", "embedded", "signed", "consent", "chat"]
KEY_FIELDS = ["key", "external_key", *COMMON]
SURVEY_FIELDS = [
    "issue",
    "name",
    "company",
    "company_code",
    "details",
    "external_key",
    "email",
    "customer_number",
    "cf_asset_tag",
    "cf_printer_model",
    "cf_urgency",
    "cf_contact_mail",
    "cf_count",
    *COMMON,
]
REP_FIELDS = ["rep", "external_key", *COMMON]
TECHNICIAN_FIELDS = ["technician", *COMMON]
PREFILL_NAMES = [
    *prefill.BUILT_IN,
    "cf_asset_tag",
    "cf_urgency",
    "cf_nope",
    "locale",
    "embedded",
    prefill.EXPIRES,
    prefill.SIGNATURE,
]
CHOICES = ("printing", "vpn", "retired", "12", "21", "15", "rep-12", "low", "high", "on")
PREFILL_SECRET = "fuzz-prefill-secret"


def started(response) -> bool:
    return response.status_code == 303 and origin(response["Location"]) != OUR_ORIGIN


def _form_case(client, site, path, request):
    """One generated request; counts it, and the starts it made, per endpoint."""
    endpoint = f"forms {'beyondtrust' if site.backend.is_beyondtrust else 'takecontrol'} {path}"
    count_case(endpoint)
    before = StartRequest.objects.count()
    response = send(client, path, request)
    check_response(response, site=site)
    if started(response):  # every start has its one row
        count_case(endpoint + " (starts)")
        assert StartRequest.objects.count() == before + 1
        assert StartRequest.objects.latest("id").outcome == StartRequest.Outcome.STARTED
    return response


def run_form(client, site, path, fields, *, choices=CHOICES, valid=(), must_start=True):
    starts = []

    @given(request=public_post(fields, choices, valid))
    @settings()
    def run(request):
        starts.append(started(_form_case(client, site, path, request)))

    run()
    if must_start:  # the generated input reached a real start, not only the error paths
        assert any(starts)


# ------------------------------------------------------------------------------
# BeyondTrust site on the fake appliance
# ------------------------------------------------------------------------------
@pytest.fixture
def bt_site(site, issues, custom_fields, settings):
    settings.PORTAL_RATE_LIMIT = 10**9  # the guard's limit has its own tests (test_guards.py)
    with running(FakeBeyondTrust()) as fake:
        backend = site.backend
        backend.base_url, backend.client_id, backend.client_secret = (
            fake.base_url,
            fake.client_id,
            fake.client_secret,
        )
        backend.save()
        site.chat_mode = Site.ChatMode.CHOICE
        site.consent_text = "I agree."
        site.prefill_secret = PREFILL_SECRET
        site.save()
        for code_name, field_type in (
            ("contact_mail", CustomField.Type.EMAIL),
            ("count", CustomField.Type.NUMBER),
        ):
            CustomField.objects.create(site=site, code_name=code_name, label=code_name, field_type=field_type)
        yield site


def test_key_start_on_beyondtrust(client, bt_site):
    run_form(client, bt_site, "/key/", KEY_FIELDS, valid=(("key", "1234567"), ("consent", "on")))


def test_survey_start_on_beyondtrust(client, bt_site):
    run_form(
        client,
        bt_site,
        "/survey/",
        SURVEY_FIELDS,
        valid=(("issue", "vpn"), ("name", "Jane"), ("details", "Printer offline"), ("consent", "on")),
    )


def test_rep_start_on_beyondtrust(client, bt_site):
    run_form(client, bt_site, "/reps/", REP_FIELDS, valid=(("rep", "12"), ("consent", "on")))


GET_PAGES = ["/", "/key/", "/survey/", "/reps/", "/reps.json", "/technicians/"]


@pytest.mark.parametrize("path", GET_PAGES)
@given(query=params(PREFILL_NAMES, CHOICES))
def test_prefill_query_strings_on_beyondtrust_pages(client, bt_site, path, query):
    count_case(f"pages beyondtrust GET {path}")
    response = client.get(f"{path}?{query_string(query)}")
    check_response(response, site=bt_site)
    assert response.status_code in (200, 301, 302, 303, 400, 404), response.status_code


def _without_surrogates(value: str) -> str:
    return value.encode("utf-8", "replace").decode("utf-8")


@st.composite
def signed_links(draw):
    names = st.sampled_from([*prefill.BUILT_IN, "cf_asset_tag", "cf_urgency"])
    # Only the API signs links, and it refuses lone surrogates (they cannot be UTF-8).
    values = draw(st.dictionaries(names, text.map(_without_surrogates), min_size=1, max_size=4))
    expires = int(time.time()) + draw(st.sampled_from([3600, -10, 86400 * 100]))
    query = prefill.sign_prefill(
        secret=draw(st.sampled_from([PREFILL_SECRET] * 4 + ["other"])), values=values, expires_at=expires
    )
    tamper = draw(st.sampled_from([None] * 3 + ["append", "drop-sig", "repeat"]))
    if tamper == "append":
        query += "&" + query_string(draw(params(PREFILL_NAMES)))
    elif tamper == "drop-sig":
        query = query.rsplit("&", 1)[0]
    elif tamper == "repeat":
        query += "&" + query.split("&", 1)[0]
    return query


@given(
    query=signed_links(),
    path=st.sampled_from(["/survey/", "/key/", "/reps/"]),
    post=public_post(SURVEY_FIELDS, CHOICES),
)
def test_signed_prefill_links(client, bt_site, query, path, post):
    count_case(f"signed prefill GET+POST {path}")
    response = client.get(f"{path}?{query}")
    check_response(response, site=bt_site)
    assert response.status_code in (200, 400), response.status_code
    # The page carries the signed query to its POST in the `signed` field.
    post = {**post, "body": post["body"] + b"&signed=" + query_string([("s", query)])[2:].encode()}
    _form_case(client, bt_site, path, post)


# ------------------------------------------------------------------------------
# Take Control sites: redirect mode (PIN, technicians, survey) and REST mode
# ------------------------------------------------------------------------------
@pytest.fixture
def tc_site(db, settings):
    settings.PORTAL_RATE_LIMIT = 10**9
    settings.PORTAL_TC_RETRY_AFTER_MAX = 0.0
    backend = takecontrol_backend(
        "https://api.us0.swi-rc.com/rest",
        tc_ask_customer_info=True,
    )
    site = Site.objects.create(
        name="Acme Support",
        is_default=True,
        backend=backend,
        email_field=FieldMode.OPTIONAL,
        customer_number_field=FieldMode.OPTIONAL,
        consent_text="I agree.",
        prefill_secret=PREFILL_SECRET,
    )
    helpdesk = Department.objects.create(backend=backend, name="Help desk", department_id=1234)
    tess = Technician.objects.create(backend=backend, display_name="Tess", username="tess@example.com")
    Issue.objects.create(
        site=site,
        code_name="printing",
        display_name="Printing",
        order=1,
        department=helpdesk,
        technician=tess,
    )
    Issue.objects.create(site=site, code_name="vpn", display_name="VPN", order=2)
    for order, name in enumerate(["Anna K.", "Ben"]):
        Technician.objects.create(
            backend=backend, display_name=name, order=order, username=f"{name[:3].lower()}@example.com"
        )
    CustomField.objects.create(site=site, code_name="asset_tag", label="Asset", max_length=32)
    return site


def _tc_choices() -> tuple[str, ...]:
    return (*CHOICES, *(str(pk) for pk in Technician.objects.values_list("pk", flat=True)))


def _valid_tc(path: str) -> tuple[tuple[str, str], ...]:
    technician = Technician.objects.filter(listed=True).order_by("order").first()
    assert technician is not None
    return {
        "/key/": (("key", "123 456 789"), ("consent", "on")),
        "/technicians/": (("technician", str(technician.pk)), ("consent", "on")),
        "/survey/": (("issue", "printing"), ("name", "Jane"), ("details", "Offline"), ("consent", "on")),
    }[path]


@pytest.mark.parametrize(
    "path,fields", [("/key/", KEY_FIELDS), ("/technicians/", TECHNICIAN_FIELDS), ("/survey/", SURVEY_FIELDS)]
)
def test_take_control_redirect_mode_starts(client, tc_site, path, fields):
    run_form(client, tc_site, path, fields, choices=_tc_choices(), valid=_valid_tc(path))


@pytest.mark.parametrize("path,fields", [("/technicians/", TECHNICIAN_FIELDS), ("/survey/", SURVEY_FIELDS)])
def test_take_control_rest_mode_starts(client, tc_site, path, fields):
    with running(FakeTakeControlServer()) as fake:
        backend = tc_site.backend
        backend.base_url, backend.tc_mode = fake.rest_url, Backend.TakeControlMode.REST
        backend.save()
        # A REST start shows the queue page (200), no redirect: nothing must start by 303.
        run_form(
            client, tc_site, path, fields, choices=_tc_choices(), valid=_valid_tc(path), must_start=False
        )
        calls = fake.calls(SESSION_PATH)
        assert calls, "no generated start reached the REST API"
        # Every body the portal sent is one the vendor accepts: limits, types, known fields.
        for call in calls:
            assert session_body_problem(call.json) == "", call.json


@pytest.mark.parametrize("path", GET_PAGES)
def test_prefill_query_strings_on_take_control_pages(client, tc_site, path):
    @given(query=params(PREFILL_NAMES, _tc_choices()))
    @settings()
    def run(query):
        count_case(f"pages takecontrol GET {path}")
        response = client.get(f"{path}?{query_string(query)}")
        check_response(response, site=tc_site)

    run()
