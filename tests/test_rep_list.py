"""The representative list against the fake appliance on a real local HTTP server.

What a customer notices: who is online (public names only), one click to a session with that
rep, a kind message when nobody is there or the appliance is down, and the other flows never
waiting on the appliance. What the appliance notices: one `get_logged_in_reps` per TTL, however
many customers look, and no calls at all while the circuit breaker is open.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Iterator

import pytest
import time_machine
from django.core.cache import cache
from django.db import connections
from django.test import Client

from portal import selectors
from portal.models import Backend, CustomField, Issue, Site, StartRequest
from portal.vendors.beyondtrust import adapter as beyondtrust_adapter
from portal.vendors.cache import wait_for_refreshes
from portal.views.rendering import initials
from tests.conftest import form_data, query_of, site_on_fake_appliance
from tests.fakes.beyondtrust import DATA_DIR
from tests.parsed_html import element, elements

NOBODY = "Nobody is available right now."
CANNOT_SHOW = "We cannot show who is available right now."
CHECKING = "Checking who is available…"
GONE = "This representative is no longer available."


@pytest.fixture
def rep_site(transactional_db, fake) -> Site:
    """A site on the fake appliance. Committed data: some tests request from threads."""
    return site_on_fake_appliance(fake)


def update_site(site: Site, **fields) -> None:
    Site.objects.filter(pk=site.pk).update(**fields)
    cache.clear()  # a queryset update skips the signal that retires cached sites


def rep_buttons(page: str) -> list[tuple[str, str]]:
    """(value, name) of each rep button, in page order."""
    return [(value, name) for value, _initials, name, _state in rep_tiles(page)]


def rep_tiles(page: str) -> list[tuple[str, str, str, str]]:
    """(value, initials, name, state text) of each rep tile, in page order; each tile is a
    submit button whose initials are hidden from screen readers."""
    tiles = []
    for button in elements(page, "button", name="rep"):
        assert button.attrs["type"] == "submit" and "tile" in button.classes
        initials = element(button, "span", class_="tile-initials")
        assert initials.attrs["aria-hidden"] == "true"
        text = element(button, "span", class_="tile-text")
        tiles.append(
            (
                button.attrs["value"],
                initials.raw_text(),
                element(text, "span", class_="tile-name").raw_text(),
                element(text, "span", class_="tile-state").raw_text(),
            )
        )
    return tiles


def rep_status(page: str) -> str:
    """The visible text of the list's status line (the other texts wait in data attributes)."""
    return element(page, "p", id="rep-status", role="status").raw_text().strip()


def other_help_shown(page: str) -> bool:
    return "hidden" not in element(page, "section", class_="card", data_reps_none=True).attrs


@contextlib.contextmanager
def later(seconds: float) -> Iterator[None]:
    """The clock `seconds` on (and ticking): the cached list is that much older, in the shared
    cache and in each process's memo of it alike."""
    with time_machine.travel(time.time() + seconds):
        yield


def in_threads(count: int, path: str) -> list:
    """`count` customers asking for `path` at the same moment, each with their own client."""
    barrier = threading.Barrier(count)
    responses, errors = [], []

    def customer():
        try:
            barrier.wait()
            responses.append(Client().get(path))
        except Exception as error:  # surfaces in the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=customer) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not errors
    return responses


# ------------------------------------------------------------------------------
# What the customer sees
# ------------------------------------------------------------------------------
def test_page_lists_online_reps_by_public_name_and_never_the_private_one(client, fake, rep_site):
    private_names = re.findall(
        r"<private_display_name>([^<]+)<", (DATA_DIR / "logged_in_reps.xml").read_text()
    )
    assert private_names  # the appliance does send them

    response = client.get("/reps/")
    page = response.content.decode()
    assert response.status_code == 200
    # Sam (id 15) is logged in but not showing on the rep list; the others sorted by name.
    assert rep_buttons(page) == [("12", "Alex K."), ("21", "Jo (Partner)")]
    assert element(page, "ul", id="id_rep").classes >= {"rep-list", "tiles"}
    assert elements(page, role="status")
    data = client.get("/reps.json")
    assert data.json()["reps"] == [
        {"id": 12, "name": "Alex K.", "initials": "AK"},
        {"id": 21, "name": "Jo (Partner)", "initials": "JP"},
    ]
    for private in private_names:
        assert private not in page and private not in data.content.decode()
    assert "PRIVATE" not in page + data.content.decode()


def test_each_rep_is_a_tile_with_initials_and_available_in_words(client, fake, rep_site):
    """Availability is said in the customer's language, not by a coloured dot alone."""
    page = client.get("/reps/?locale=de").content.decode()
    assert rep_tiles(page) == [
        ("12", "AK", "Alex K.", "Jetzt verfügbar"),
        ("21", "JP", "Jo (Partner)", "Jetzt verfügbar"),
    ]
    # portal.js builds the same tile from the JSON list, with the state text the page carries.
    assert [e.attrs["data-available"] for e in elements(page, data_available=True)] == ["Jetzt verfügbar"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Alex K.", "AK"),
        ("Jo (Partner)", "JP"),
        ("Mika & Co", "MC"),
        ("Sam", "S"),
        ("élodie de la Fontaine", "ÉF"),
        ("山田 太郎", "山"),
        ("-- ", ""),
    ],
)
def test_initials_come_from_the_first_and_last_word(name, expected):
    assert initials(name) == expected


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("tr", ["İI", "Iİ"]), ("en-us", ["II", "Iİ"])],
)
def test_initials_are_capitalised_as_the_pages_language_writes_capitals(
    client, fake, rep_site, locale, expected
):
    """Turkish writes the capital of i as İ and that of ı as I; the tile drawn by the server
    and the one portal.js draws from the JSON list (at the address the page gives it) agree."""
    fake.serve("get_logged_in_reps", "logged_in_reps_turkish.xml")
    page = client.get(f"/reps/?locale={locale}").content.decode()
    assert [tile_initials for _value, tile_initials, _name, _state in rep_tiles(page)] == expected
    reps_url = element(page, "form", class_="rep-form").attrs["data-reps-url"]
    assert [rep["initials"] for rep in client.get(reps_url).json()["reps"]] == expected


def test_rep_list_json_has_public_fields_only_and_is_never_cached(client, fake, rep_site):
    response = client.get("/reps.json")
    assert response.json() == {
        "reps": [
            {"id": 12, "name": "Alex K.", "initials": "AK"},
            {"id": 21, "name": "Jo (Partner)", "initials": "JP"},
        ],
        "state": "ok",
        "available": True,
        "stale": False,
    }
    assert "no-cache" in response["Cache-Control"]
    assert "no-cache" in client.get("/reps/")["Cache-Control"]


def test_home_links_to_the_rep_list_and_shows_it_directly_when_it_is_the_only_flow(client, fake, rep_site):
    assert 'href="/reps/?locale=en-us"' in client.get("/").content.decode()
    update_site(rep_site, show_session_key=False, show_survey=False)
    page = client.get("/").content.decode()
    assert "<h1>Choose a representative</h1>" in page
    assert rep_buttons(page) == [("12", "Alex K."), ("21", "Jo (Partner)")]


def test_a_click_starts_a_session_with_that_rep_by_id_and_public_name(client, fake, rep_site):
    client.get("/reps/?external_key=INC0012345")
    response = client.post("/reps/", form_data(rep="21", locale="de", tz="120", external_key="INC0012345"))
    assert response.status_code == 303
    url = response["Location"]
    assert url.startswith(f"{fake.base_url}/api/start_session?id=21&name=Jo%20%28Partner%29&")
    assert query_of(url) == [
        ("id", "21"),
        ("name", "Jo (Partner)"),  # the public display name, from the cached list
        ("locale", "de"),
        ("timezone_offset", "120"),
        ("session.custom.external_key", "INC0012345"),
    ]
    record = StartRequest.objects.get()
    assert (record.flow, record.outcome, record.locale) == ("rep", "started", "de")


def test_chat_choice_and_embedded_start(client, fake, rep_site):
    update_site(rep_site, chat_mode=Site.ChatMode.CHOICE, frame_ancestors="https://help.example.com")
    assert 'name="chat"' in client.get("/reps/").content.decode()
    response = client.post("/reps/", form_data(rep="12", chat="on", embedded="1"))
    # In a frame the last step is a button that navigates the top window.
    assert response.status_code == 200
    link = element(response.content.decode(), "a", id="start-link")
    assert "button" in link.classes and link.attrs["target"] == "_top"
    assert query_of(link.attrs["href"]) == [
        ("id", "12"),
        ("name", "Alex K."),
        ("c2cjs", "1"),
        ("locale", "en-us"),
    ]


@pytest.mark.parametrize("forged", ["15", "999", "12abc", ""])
def test_a_rep_not_on_the_list_is_refused_kindly_and_the_list_shown_again(client, fake, rep_site, forged):
    response = client.post("/reps/", form_data(rep=forged))
    page = response.content.decode()
    assert response.status_code == 200
    assert (GONE if forged else "Please choose a representative from the list.") in page
    assert rep_buttons(page) == [("12", "Alex K."), ("21", "Jo (Partner)")]
    assert StartRequest.objects.get().outcome == StartRequest.Outcome.INVALID


def test_the_name_always_comes_from_the_list_not_the_form(client, fake, rep_site):
    response = client.post("/reps/", form_data(rep="12", name="Evil Corp", rep_name="Evil"))
    assert dict(query_of(response["Location"]))["name"] == "Alex K."


def test_rep_posts_pass_the_cookie_free_guards(client, fake, rep_site):
    cross_site = client.post("/reps/", form_data(rep="12"), HTTP_ORIGIN="https://evil.example")
    honeypot = client.post("/reps/", form_data(rep="12", website="spam"))
    assert (cross_site.status_code, honeypot.status_code) == (403, 400)
    assert not StartRequest.objects.exists()


def test_nobody_online_says_so_and_offers_the_other_flows(client, fake, rep_site):
    Issue.objects.create(site=rep_site, code_name="printing", display_name="Printing")  # a survey to offer
    fake.serve("get_logged_in_reps", "logged_in_reps_empty.xml")
    page = client.get("/reps/").content.decode()
    assert rep_status(page) == NOBODY and rep_buttons(page) == [] and other_help_shown(page)
    assert elements(page, "a", href="/key/?locale=en-us") and elements(
        page, "a", href="/survey/?locale=en-us"
    )
    assert client.get("/reps.json").json() == {"reps": [], "state": "ok", "available": True, "stale": False}


def test_nobody_online_on_a_rep_list_only_site(client, fake, rep_site):
    fake.serve("get_logged_in_reps", "logged_in_reps_empty.xml")
    update_site(rep_site, show_session_key=False, show_survey=False)
    page = client.get("/").content.decode()
    assert rep_status(page) == NOBODY and "Please try again in a few minutes." in page
    assert 'href="/key/' not in page


def test_take_control_sites_have_no_beyondtrust_rep_list(client, transactional_db):
    backend = Backend.objects.create(
        name="TC", kind=Backend.Kind.TAKECONTROL, base_url="https://api.example.com/rest"
    )
    Site.objects.create(name="TC", is_default=True, backend=backend)
    # No BeyondTrust list: an old link goes to the site's technician list (its own page).
    response = client.get("/reps/")
    assert (response.status_code, response["Location"]) == (302, "/technicians/")
    assert client.get("/reps.json").status_code == 404


# ------------------------------------------------------------------------------
# What the appliance sees: the cache, stale data, the breaker
# ------------------------------------------------------------------------------
def test_concurrent_customers_cause_one_upstream_call(fake, rep_site, settings):
    # Was: all 20 waited for the one call and got the list. Now nobody waits for a refresh
    # that somebody else started: whoever is not the refresher is told "checking" at once.
    settings.PORTAL_VENDOR_WAIT = 0.05
    fake.hang()  # the first answer is still on its way while the others arrive
    responses = in_threads(20, "/reps/")
    assert [r.status_code for r in responses] == [200] * 20
    assert all(
        rep_status(r.content.decode()) == CHECKING and not rep_buttons(r.content.decode()) for r in responses
    )
    assert fake.wait_for_requests(1)
    assert len(fake.token_requests()) == 1  # one refresher; it is minting the token

    fake.release()  # that call failed; the appliance answers the next one
    assert wait_for_refreshes(10)
    settings.PORTAL_VENDOR_WAIT = 2.0
    responses = in_threads(20, "/reps/")
    assert [r.status_code for r in responses] == [200] * 20
    assert sum(bool(rep_buttons(r.content.decode())) for r in responses) >= 1  # the new refresher's
    assert wait_for_refreshes(10)
    assert all(rep_buttons(r.content.decode()) for r in in_threads(20, "/reps/"))
    assert fake.count("get_logged_in_reps") == 1
    assert fake.tokens_minted == 1


def test_concurrent_customers_after_the_ttl_cause_one_refresh(fake, rep_site):
    Client().get("/reps/")
    fake.hold()  # the refresh is under way until every customer has been answered
    with later(rep_site.rep_list_ttl + 1):
        responses = in_threads(20, "/reps/")
    fake.release()
    assert [r.status_code for r in responses] == [200] * 20
    # Everybody, the refresher too, gets the cached list at once.
    assert all(
        rep_buttons(r.content.decode()) == [("12", "Alex K."), ("21", "Jo (Partner)")] for r in responses
    )
    assert wait_for_refreshes(10)
    assert fake.count("get_logged_in_reps") == 2  # the first fill and one refresh


def json_rep_names(client) -> list[str]:
    return [rep["name"] for rep in client.get("/reps.json").json()["reps"]]


def another_worker_refreshed(site: Site, reps: tuple = ()) -> None:
    """What another worker's refresh leaves in the shared cache: a new list, fetched now."""
    cache.set(selectors.rep_list_cache_key(site.backend), {"value": reps, "fetched_at": time.time()}, 600)


def test_a_worker_holds_a_fresh_list_for_at_most_a_second(client, fake, rep_site):
    """docs/decisions/0088-rep-list-in-the-process-memo.md: a worker keeps the list it read for
    REP_LIST_PROCESS_SECONDS, so a list another worker refreshed shows here that much later at
    most, and the appliance is asked by nobody meanwhile."""
    with time_machine.travel(time.time(), tick=False) as clock:
        assert json_rep_names(client) == ["Alex K.", "Jo (Partner)"]
        another_worker_refreshed(rep_site)
        assert json_rep_names(client) == ["Alex K.", "Jo (Partner)"]  # this worker's copy
        clock.shift(selectors.REP_LIST_PROCESS_SECONDS - 0.02)
        assert json_rep_names(client) == ["Alex K.", "Jo (Partner)"]
        clock.shift(0.03)
        assert json_rep_names(client) == []  # the shared list, as every worker now has it
        page = client.get("/reps/").content.decode()
        assert rep_buttons(page) == [] and rep_status(page) == NOBODY
    assert fake.count("get_logged_in_reps") == 1


def test_an_admin_change_drops_the_held_list_at_once(client, fake, rep_site):
    with time_machine.travel(time.time(), tick=False):
        assert json_rep_names(client) == ["Alex K.", "Jo (Partner)"]
        another_worker_refreshed(rep_site)
        rep_site.save()  # renews the site version, under which the copy is held
        assert json_rep_names(client) == []


def test_a_held_list_never_outlives_the_sites_ttl(client, fake, rep_site):
    """Read from the shared cache half a second before the TTL ends, the list is held for that
    half second only: a request just after it starts the refresh."""
    ttl = rep_site.rep_list_ttl
    with time_machine.travel(time.time(), tick=False) as clock:
        assert json_rep_names(client) == ["Alex K.", "Jo (Partner)"]  # fetched now
        clock.shift(ttl - 0.5)
        fake.serve("get_logged_in_reps", "logged_in_reps_empty.xml")
        assert json_rep_names(client) == ["Alex K.", "Jo (Partner)"]  # fresh, and now held
        clock.shift(0.51)
        assert client.get("/reps.json").json()["stale"] is True  # past the TTL: refreshing
        assert wait_for_refreshes(10)
        assert fake.count("get_logged_in_reps") == 2
        assert json_rep_names(client) == []


def test_a_list_held_for_one_site_is_never_served_past_another_sites_ttl(fake, rep_site):
    """Sites on one appliance share its list, each with its own TTL: a list another site keeps
    reading (and so holding) is still too old for a site with a shorter TTL, which refreshes it."""
    Site.objects.filter(pk=rep_site.pk).update(rep_list_ttl=600)
    patient = Site.objects.get(pk=rep_site.pk)
    eager = Site.objects.create(name="Other", backend=patient.backend, rep_list_ttl=5)
    with time_machine.travel(time.time(), tick=False) as clock:
        assert not selectors.online_reps(site=patient).stale  # fetched now
        clock.shift(60)
        assert not selectors.online_reps(site=patient).stale  # 60 s old: fresh for 600 s, held
        assert selectors.online_reps(site=eager).stale  # too old for 5 s: served stale, refreshed
        assert wait_for_refreshes(10)
        assert fake.count("get_logged_in_reps") == 2
        assert not selectors.online_reps(site=eager).stale


def test_a_hung_appliance_keeps_no_customer_waiting(client, fake, rep_site, settings):
    """It accepts and never answers: the page says it is checking, offers to check again,
    the JSON says "pending"; once the refresh gave up, the kind message."""
    settings.PORTAL_VENDOR_CONNECT_TIMEOUT = 0.2
    settings.PORTAL_VENDOR_READ_TIMEOUT = 0.3
    settings.PORTAL_VENDOR_WAIT = 0.05
    fake.hang()
    response = client.get("/reps/?locale=en-us&external_key=INC1")
    page = response.content.decode()
    assert response.status_code == 200 and "no-cache" in response["Cache-Control"]
    assert rep_status(page) == CHECKING
    assert element(page, "p", id="rep-status").attrs["aria-live"] == "polite"
    assert (
        '<p data-reps-pending><a href="/reps/?locale=en-us&amp;external_key=INC1">Check again</a></p>' in page
    )
    assert not other_help_shown(page) and rep_buttons(page) == []
    assert "{#" not in page  # template comments stay in the template
    assert client.get("/reps.json").json() == {
        "reps": [],
        "state": "pending",
        "available": True,
        "stale": False,
    }
    assert fake.wait_for_requests(1)
    assert len(fake.calls()) == 1  # the second request did not start a second refresh

    assert wait_for_refreshes(10)  # bounded by the vendor timeouts
    page = client.get("/reps/").content.decode()  # starts the next try, says how the last one went
    assert rep_status(page) == CANNOT_SHOW and other_help_shown(page)
    assert "<p data-reps-pending hidden>" in page
    assert client.get("/reps.json").json()["state"] == "unavailable"


def test_stale_list_is_served_while_the_appliance_fails(client, fake, rep_site, caplog):
    client.get("/reps/")
    fake.fail("http500", action="get_logged_in_reps")
    with later(rep_site.rep_list_ttl + 1):
        with caplog.at_level(logging.WARNING):
            page = client.get("/reps/").content.decode()
            assert wait_for_refreshes(10)  # the refresh runs behind the page
        assert rep_buttons(page) == [("12", "Alex K."), ("21", "Jo (Partner)")]
        assert rep_status(page) == "Pick a representative to start a session with them."
        assert not other_help_shown(page) and "stale" not in page.lower() and "500" not in page
        assert fake.count("get_logged_in_reps") == 2
        assert "HTTP 500" in caplog.text  # the vendor's failure is for the logs
        assert client.get("/reps.json").json()["stale"] is True
        # A click still starts a session with a rep from the stale list
        # (docs/decisions/0009-rep-list-by-public-name.md).
        assert client.post("/reps/", form_data(rep="12")).status_code == 303


def test_the_breaker_opens_after_repeated_failures_and_closes_after_reset(
    client, fake, rep_site, monkeypatch
):
    fake.fail("http500", action="get_logged_in_reps")
    for attempt in range(1, beyondtrust_adapter.BREAKER_FAILURES + 1):
        page = client.get("/reps/").content.decode()
        assert rep_status(page) == CANNOT_SHOW and other_help_shown(page)
        assert fake.count("get_logged_in_reps") == attempt
    breaker = selectors.vendor_breaker(rep_site.backend)
    assert breaker.state == "open"
    for _ in range(3):  # open: customers get the kind message, the appliance gets no call
        assert rep_status(client.get("/reps/").content.decode()) == CANNOT_SHOW
    assert client.get("/reps.json").json() == {
        "reps": [],
        "state": "unavailable",
        "available": False,
        "stale": False,
    }
    assert fake.count("get_logged_in_reps") == beyondtrust_adapter.BREAKER_FAILURES

    fake.fail(None, action="get_logged_in_reps")
    monkeypatch.setattr(beyondtrust_adapter, "BREAKER_RESET_SECONDS", 0)  # the reset time has passed
    page = client.get("/reps/").content.decode()
    assert rep_buttons(page) == [("12", "Alex K."), ("21", "Jo (Partner)")]
    assert fake.count("get_logged_in_reps") == beyondtrust_adapter.BREAKER_FAILURES + 1
    assert selectors.vendor_breaker(rep_site.backend).state == "closed"


def test_a_slow_appliance_gets_the_kind_message_within_the_timeout(client, fake, rep_site, settings):
    settings.PORTAL_VENDOR_CONNECT_TIMEOUT = 0.2
    settings.PORTAL_VENDOR_READ_TIMEOUT = 0.3
    fake.hang()  # never answers: the real read timeout (0.3 s) ends the refresh
    response = client.get("/reps/")  # its refresh times out within its wait (2 s in tests)
    assert response.status_code == 200
    assert rep_status(response.content.decode()) == CANNOT_SHOW


@pytest.mark.parametrize("outage", ["slow", "down"])
def test_key_and_survey_flows_never_call_the_appliance(client, fake, rep_site, settings, outage):
    settings.PORTAL_VENDOR_CONNECT_TIMEOUT = 0.2
    settings.PORTAL_VENDOR_READ_TIMEOUT = 0.3
    if outage == "slow":
        fake.hang()
    else:
        fake.fail("http500")
        fake.state["token_status"] = 503
    Issue.objects.create(site=rep_site, code_name="printing", display_name="Printing")
    assert client.get("/").status_code == 200
    assert client.get("/key/").status_code == 200
    assert client.post("/key/", form_data(key="123 4567")).status_code == 303
    assert client.get("/survey/").status_code == 200
    response = client.post(
        "/survey/", form_data(issue="printing", name="Jane Doe", details="Printer offline")
    )
    assert response.status_code == 303
    assert fake.calls() == []


# ------------------------------------------------------------------------------
# Display reps in the issue menu (docs/decisions/0010-reps-in-issue-menu.md)
# ------------------------------------------------------------------------------
@pytest.fixture
def reps_menu_site(rep_site) -> Site:
    printing = Issue.objects.create(site=rep_site, code_name="printing", display_name="Printing")
    CustomField.objects.create(site=rep_site, code_name="asset_tag", label="Asset tag", order=1)
    only_printing = CustomField.objects.create(
        site=rep_site, code_name="printer_model", label="Printer model", required=True, order=2
    )
    only_printing.issues.set([printing])
    update_site(rep_site, show_reps_in_issue_menu=True)
    return rep_site


def test_issue_menu_lists_online_reps_and_the_start_sends_their_id(client, fake, reps_menu_site):
    response = client.get("/survey/")
    page = response.content.decode()
    assert "Who would you like to talk to?" in page
    offered = [choice.attrs["value"] for choice in elements(page, "input", name="issue")]
    assert offered == ["rep-12", "rep-21"] and "Jo (Partner)" in page  # not Sam (rep-15), hidden
    assert "Printing" not in page
    assert "Printer model" not in page and "Asset tag" in page  # only the fields for every issue
    assert "no-cache" in response["Cache-Control"]  # who is online: never page-cached
    assert "PRIVATE" not in page

    response = client.post(
        "/survey/",
        form_data(
            issue="rep-21", name="Jane Doe", details="Printer offline", cf_asset_tag="LT-4471", locale="en-us"
        ),
    )
    assert response.status_code == 303
    assert query_of(response["Location"]) == [
        ("issue_menu", "1"),
        ("id", "21"),
        ("customer.name", "Jane Doe"),
        ("customer.details", "Printer offline"),
        ("locale", "en-us"),
        ("session.custom.asset_tag", "LT-4471"),
    ]
    record = StartRequest.objects.get()
    assert (record.flow, record.issue) == ("survey", None)


def test_issue_menu_refuses_a_rep_who_is_gone(client, fake, reps_menu_site):
    response = client.post("/survey/", form_data(issue="rep-15", name="Jane Doe", details="Help"))
    assert response.status_code == 200
    assert GONE in response.content.decode()


def asks_nothing(page: str) -> bool:
    """The survey shows no question and no button: nobody could receive the answers."""
    return (
        elements(page, "input", name="issue") == []
        and elements(page, "input", name="name") == []
        and elements(page, "textarea") == []
        and elements(page, "button", type="submit") == []
    )


def survey_status(page: str) -> str:
    return element(page, "p", role="status").text


def test_issue_menu_with_nobody_online(client, fake, reps_menu_site):
    """A walk-through saw the required question "Who would you like to talk to?" with no
    answers under "Nobody is available", and the whole form to fill in for nothing."""
    fake.serve("get_logged_in_reps", "logged_in_reps_empty.xml")
    page = client.get("/survey/?name=Jane").content.decode()
    assert (
        survey_status(page) == "Nobody is available right now. Please try again in a few minutes. Check again"
    )
    assert element(page, "a", href="/survey/?name=Jane").text == "Check again"  # keeps the prefill
    assert asks_nothing(page)
    response = client.post("/survey/", form_data(issue="rep-12", name="Jane Doe", details="Help"))
    assert response.status_code == 200
    assert "Nobody is available right now. Please try again in a few minutes." in response.content.decode()


def test_issue_menu_when_the_appliance_cannot_be_asked(client, fake, reps_menu_site):
    """Not "nobody is available": the portal does not know, as the rep list page says."""
    fake.fail("http500", action="get_logged_in_reps")
    page = client.get("/survey/").content.decode()
    assert survey_status(page) == f"{CANNOT_SHOW} Check again"
    assert asks_nothing(page)
    response = client.post("/survey/", form_data(issue="rep-12", name="Jane Doe", details="Help"))
    page = response.content.decode()
    assert response.status_code == 200 and CANNOT_SHOW in page
    assert element(page, "input", name="name").attrs["value"] == "Jane Doe"  # kept
    assert not StartRequest.objects.filter(outcome=StartRequest.Outcome.STARTED).exists()


def test_issue_menu_while_the_appliance_hangs(client, fake, reps_menu_site, settings):
    settings.PORTAL_VENDOR_WAIT = 0.05
    fake.hang()
    page = client.get("/survey/?name=Jane").content.decode()
    check_again = element(page, "a", href="/survey/?name=Jane")  # keeps what was typed
    [line] = [e for e in elements(page) if check_again in e.parts]
    assert (line.text, check_again.text) == ("Checking who is available… Check again", "Check again")
    assert asks_nothing(page)
    response = client.post("/survey/", form_data(issue="rep-12", name="Jane Doe", details="Help"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "We are still checking who is available. Please try again in a moment." in page
    assert element(page, "input", name="name").attrs["value"] == "Jane Doe"  # what the customer typed is kept
    assert fake.wait_for_requests(1)
    assert len(fake.calls()) == 1  # one refresher for every request


def test_an_external_key_with_control_characters_is_refused(client, fake, rep_site):
    client.get("/reps/")
    response = client.post("/reps/", form_data(rep="21", external_key="INC\x01\n1"))
    assert response.status_code == 200
    assert StartRequest.objects.get().outcome == StartRequest.Outcome.INVALID


@pytest.mark.django_db
def test_preview_backend_lists_sample_reps_and_previews_their_start(client, site):
    from portal.models import Backend

    site.backend.kind = Backend.Kind.PREVIEW
    site.backend.save()
    html = client.get("/reps/").content.decode()
    assert "Alex K." in html and "Sam R." in html
    response = client.post("/reps/", form_data(rep="12", locale="de"))
    assert response.status_code == 200
    shown = element(response.content.decode(), "code", id="start-url").raw_text()
    assert "/api/start_session?id=12&name=Alex%20K.&locale=de" in shown


def test_a_prefilled_external_key_the_field_refuses_starts_empty_and_the_customer_starts(
    client, fake, rep_site
):
    """`?external_key=` over its 1024 characters was carried unseen, and the click then failed
    on a field the customer could neither see nor correct: it starts empty."""
    page = client.get("/reps/?external_key=" + "X" * 1100).content.decode()
    carried = element(page, "input", name="external_key").attrs.get("value", "")
    assert carried == ""
    response = client.post("/reps/", form_data(rep="21", external_key=carried))
    assert response.status_code == 303
    page = client.get("/reps/?external_key=INC0012345").content.decode()
    assert element(page, "input", name="external_key").attrs["value"] == "INC0012345"


def test_soft_hyphens_stay_in_the_text_and_out_of_the_title_and_attributes(client, fake, rep_site):
    """The Swedish catalog marks "support\u00admedarbetare" with a soft hyphen for line breaks
    (docs/decisions/0108-line-breaks-on-customer-pages.md). In the text it breaks a line; in the
    window title (bookmarks, history search, the taskbar) and in an aria-label (read out, or
    spelled, by screen readers) it is a stray character a customer never sees where it is."""
    page = client.get("/reps/?locale=sv-se").content.decode()
    assert "support\u00admedarbetare" in element(page, "h1").raw_text()  # the catalog has it
    [title] = elements(page, "title")
    assert title.raw_text().startswith("Välj en supportmedarbetare")
    assert element(page, "ul", id="id_rep").attrs["aria-label"] == "Supportmedarbetare som är tillgängliga nu"
    # Every attribute but the texts waiting in data attributes, which the page's script puts
    # into the status line's text (where the soft hyphen breaks a line as in any paragraph).
    for tag in elements(page):
        for name, value in tag.attrs.items():
            assert name.startswith("data-") or "\u00ad" not in value, (tag.tag, name, value)
