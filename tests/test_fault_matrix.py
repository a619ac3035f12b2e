"""Every vendor fault against every customer flow and API call, over the real HTTP fakes.

BeyondTrust appliance: down (connection refused), hung (accepts, never answers: the client's
small test timeouts end the wait, not a sleep), HTTP 500, garbage bytes instead of HTTP, and
every token revoked mid-run. Take Control REST: 403, 429 beyond the retry cap, hung.

What must hold (docs/decisions/0042-no-customer-waits-on-a-vendor.md and the API's document):
flows that need no vendor (a session key, a BeyondTrust survey, a Take Control PIN) start with
the exact vendor URL and call nobody; the rep list is a kind 200 page without names; the API
answers 502/503 (503 with Retry-After) as documented; Take Control shows its "temporarily
unavailable" page.
"""

from __future__ import annotations

import contextlib
import socket

import pytest

from portal.models import Backend, Department, FieldMode, Issue, Site, StartRequest, Technician
from portal.tokens import create_api_token
from portal.vendors.beyondtrust import adapter as beyondtrust_adapter
from portal.vendors.cache import wait_for_refreshes
from tests.conftest import form_data, query_of, site_on_fake_appliance
from tests.fakes.beyondtrust import FakeBeyondTrust
from tests.fakes.server import running
from tests.fakes.takecontrol import FakeTakeControlServer, takecontrol_backend
from tests.parsed_html import element
from tests.test_api import SERVER, assert_conforms

BT_FAULTS = ["down", "hung", "http500", "garbage", "revoked"]
REP_NAMES = ("Alex K.", "Jo (Partner)", "Sam R.")
CANNOT_SHOW = "We cannot show who is available right now."
CHECKING = "Checking who is available…"


@pytest.fixture(autouse=True)
def quick_settings(settings):
    settings.PORTAL_VENDOR_WAIT = 0.05  # a customer page's budget; "checking" is fine too
    settings.PORTAL_TC_RETRY_AFTER_MAX = 0.3
    settings.ALLOWED_HOSTS = ["testserver"]


def hang(server, settings) -> None:
    """The fake accepts and never answers; a small read timeout ends each wait (the test
    suite's own timeouts stay for the calls a healthy fake answers, under any load)."""
    settings.PORTAL_VENDOR_READ_TIMEOUT = 0.3
    server.hang()


def closed_port() -> int:
    """A local port nobody listens on: connections are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def bt(transactional_db, fake):
    """A committed BeyondTrust site on the fake (the rep list refreshes on another thread)."""
    site = site_on_fake_appliance(fake, details_field=FieldMode.OPTIONAL)
    Issue.objects.create(site=site, code_name="vpn", display_name="VPN", order=1)
    secret = create_api_token(site=site, name="Desk").secret
    return site, secret


@contextlib.contextmanager
def bt_fault(kind: str, fake: FakeBeyondTrust, client, site: Site, secret: str, settings):
    backend = site.backend
    if kind == "down":
        backend.base_url = f"http://127.0.0.1:{closed_port()}"
        backend.save()
    elif kind == "hung":
        hang(fake, settings)
    elif kind == "http500":
        fake.fail("http500")
    elif kind == "garbage":
        fake.garbage = b"\x00\xff\xfeNOT HTTP\r\n\r\n<<<"
    elif kind == "revoked":  # a token in use, then the client secret is regenerated
        assert (
            client.post(
                SERVER + "/session-keys",
                {"queue": "general"},
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {secret}",
            ).status_code
            == 201
        )
        fake.revoke_tokens()
    try:
        yield
    finally:
        fake.release()
        assert wait_for_refreshes(10)  # no refresh outlives the test


def vendor_calls(fake) -> int:
    return len(fake.calls())


# ------------------------------------------------------------------------------
# Flows that need no vendor: exact URL, no call, whatever the appliance does
# ------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", BT_FAULTS)
def test_key_and_survey_starts_need_no_appliance(client, fake, bt, kind, settings):
    site, secret = bt
    with bt_fault(kind, fake, client, site, secret, settings):
        base_url = Backend.objects.get(pk=site.backend.pk).base_url
        before = vendor_calls(fake)
        response = client.post("/key/", form_data(key="123 4567", external_key="INC-1"))
        assert response.status_code == 303
        assert response["Location"] == (
            f"{base_url}/api/start_session?short_key=1234567&locale=en-us&session.custom.external_key=INC-1"
        )
        response = client.post("/survey/", form_data(issue="vpn", name="Jane Doe", details="VPN down"))
        assert response.status_code == 303
        assert response["Location"].startswith(f"{base_url}/api/start_session?")
        assert query_of(response["Location"]) == [
            ("issue_menu", "1"),
            ("codeName", "vpn"),
            ("customer.name", "Jane Doe"),
            ("customer.details", "VPN down"),
            ("locale", "en-us"),
        ]
        assert vendor_calls(fake) == before
        assert list(StartRequest.objects.order_by("id").values_list("flow", "outcome")) == [
            *([("api", "started")] if kind == "revoked" else []),
            ("key", "started"),
            ("survey", "started"),
        ]


# ------------------------------------------------------------------------------
# The rep list: a kind page, never a 500, never a name it could not check
# ------------------------------------------------------------------------------
def rep_status(page: str) -> str:
    return element(page, "p", id="rep-status", role="status").raw_text().strip()


@pytest.mark.parametrize("kind", ["down", "hung", "http500", "garbage"])
def test_rep_list_page_json_and_start_when_the_appliance_fails(client, fake, bt, kind, settings):
    site, secret = bt
    with bt_fault(kind, fake, client, site, secret, settings):
        page = client.get("/reps/")
        assert page.status_code == 200
        assert rep_status(page.content.decode()) in (CHECKING, CANNOT_SHOW)
        assert not any(name in page.content.decode() for name in REP_NAMES)
        data = client.get("/reps.json")
        assert data.status_code == 200 and data.json()["reps"] == []
        assert data.json()["state"] in ("pending", "unavailable")
        if kind == "hung":
            assert fake.wait_for_requests(1)  # the refresh reached the appliance and waits
        assert wait_for_refreshes(10)  # bounded by the client's timeouts
        assert client.get("/reps.json").json()["state"] == "unavailable"
        page = client.get("/reps/").content.decode()
        assert rep_status(page) == CANNOT_SHOW
        # A forged pick of a rep the portal could not confirm starts nothing.
        response = client.post("/reps/", form_data(rep="12"))
        assert response.status_code == 200 and not response.has_header("Location")
        assert not StartRequest.objects.filter(outcome="started").exists()


def test_rep_list_survives_a_token_revoked_mid_run(client, fake, bt, settings):
    site, secret = bt
    with bt_fault("revoked", fake, client, site, secret, settings):
        client.get("/reps/")
        assert wait_for_refreshes(10)
        page = client.get("/reps/").content.decode()
        assert "Alex K." in page and "Jo (Partner)" in page
        response = client.post("/reps/", form_data(rep="12"))
        assert response.status_code == 303
        assert dict(query_of(response["Location"]))["id"] == "12"
        assert fake.tokens_minted == 2  # the revoked token was replaced once


# ------------------------------------------------------------------------------
# The API: 502, then 503 with Retry-After once the breaker opens; documented shapes
# ------------------------------------------------------------------------------
def api(client, method: str, path: str, secret: str):
    body = {"/session-keys": {"queue": "general"}, "/chat-handoffs": {"name": "Jane"}}.get(path)
    kwargs = {"content_type": "application/json", "data": body} if method == "post" else {}
    response = getattr(client, method)(SERVER + path, HTTP_AUTHORIZATION=f"Bearer {secret}", **kwargs)
    assert_conforms(response, path=path, method=method)
    return response


@pytest.mark.parametrize("kind", ["down", "hung", "http500", "garbage"])
@pytest.mark.parametrize(
    "path,method", [("/session-keys", "post"), ("/chat-handoffs", "post"), ("/reps", "get")]
)
def test_api_answers_502_then_503_with_retry_after(client, fake, bt, kind, path, method, settings):
    site, secret = bt
    with bt_fault(kind, fake, client, site, secret, settings):
        statuses = []
        for _attempt in range(beyondtrust_adapter.BREAKER_FAILURES + 1):
            response = api(client, method, path, secret)
            statuses.append(response.status_code)
            assert response.status_code in (502, 503)
            if response.status_code == 503:
                assert int(response["Retry-After"]) >= 1
            wait_for_refreshes(10)
        assert statuses[0] == 502 and statuses[-1] == 503  # the breaker opened and answers


@pytest.mark.parametrize(
    "path,method,status",
    [("/session-keys", "post", 201), ("/chat-handoffs", "post", 201), ("/reps", "get", 200)],
)
def test_api_survives_a_token_revoked_mid_run(client, fake, bt, path, method, status, settings):
    site, secret = bt
    with bt_fault("revoked", fake, client, site, secret, settings):
        assert api(client, method, path, secret).status_code == status
        assert fake.tokens_minted == 2


# ------------------------------------------------------------------------------
# Take Control REST: 403, 429 beyond the retry cap, hung
# ------------------------------------------------------------------------------
@pytest.fixture
def tc(db):
    with running(FakeTakeControlServer()) as server:
        backend = takecontrol_backend(
            server.rest_url,
            tc_mode=Backend.TakeControlMode.REST,
        )
        site = Site.objects.create(name="Acme Support", is_default=True, backend=backend, warning_text="")
        desk = Department.objects.create(backend=backend, name="Help desk", department_id=1234)
        Issue.objects.create(site=site, code_name="printing", display_name="Printing", department=desk)
        technician = Technician.objects.create(
            backend=backend, display_name="Anna", username="anna@example.com"
        )
        yield server, site, technician


@contextlib.contextmanager
def tc_fault(kind: str, server: FakeTakeControlServer, settings):
    if kind == "hung":
        hang(server, settings)
    elif kind == "429":
        server.state.update(mode="429", retry_after="30")  # beyond the retry cap: no wait
    else:
        server.state["mode"] = kind
    try:
        yield
    finally:
        server.release()


@pytest.mark.parametrize("kind", ["403", "429", "hung"])
def test_take_control_rest_failures_show_temporarily_unavailable(client, tc, kind, settings):
    server, site, technician = tc
    with tc_fault(kind, server, settings):
        for path, data in (
            ("/survey/", {"issue": "printing", "name": "Jane Doe", "details": "Offline"}),
            ("/technicians/", {"technician": str(technician.pk)}),
        ):
            response = client.post(path, form_data(**data))
            assert response.status_code == 503
            assert "Remote support is temporarily unavailable" in response.content.decode()
            assert not response.has_header("Location")
        assert list(StartRequest.objects.values_list("outcome", flat=True)) == ["failed", "failed"]

        # The PIN needs no REST call: the exact PIN page, nothing asked of the vendor.
        before = len(server.calls())
        response = client.post("/key/", form_data(key="123-456-789"))
        assert (response.status_code, response["Location"]) == (303, "https://startcontrol.com/123456789")
        assert len(server.calls()) == before
