"""The "get remote help" button's availability document (docs/decisions/0075-get-help-button.md):
open or closed, a count of representatives and never a name, translated, cookie-free, briefly
cacheable, readable cross-origin only by the site's allowed embedding origins."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import Path

import pytest
import time_machine
from babel.messages.pofile import read_po
from django.core.cache import cache

from portal.models import Backend, OpeningHours, Site
from portal.vendors.cache import wait_for_refreshes
from tests.conftest import site_on_fake_appliance
from tests.fakes.beyondtrust import DATA_DIR

URL = "/button/availability.json"
HELP_DESK = "https://help.acme.example"
BUTTON_JS = Path(__file__).resolve().parent.parent / "static" / "portal" / "button.js"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "portal" / "locale"
MONDAY_NOON_UTC = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def preview_site(db):
    backend = Backend.objects.create(
        name="Preview", kind=Backend.Kind.PREVIEW, base_url="https://support.example.com"
    )
    return Site.objects.create(
        name="Acme Support",
        is_default=True,
        backend=backend,
        show_rep_list=True,
        frame_ancestors=f"{HELP_DESK}\nhttps://*.acme.example",
        primary_color="#0b5394",
        enabled_languages=["en-us", "de", "ja"],
        default_language="de",
    )


def get(client, query="locale=en-us", **headers):
    return client.get(
        f"{URL}?{query}", **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    )


def test_open_site_with_reps_online_says_how_many_and_never_who(client, preview_site):
    response = get(client, Origin=HELP_DESK)
    assert response.status_code == 200
    assert response.json() == {
        "open": True,
        "available": True,
        "representatives": {"state": "ok", "online": 2},
        "language": "en-us",
        "lang": "en-US",
        "color": "#0b5394",
        "scheme": "light",
        "dark": None,
        "texts": {
            "label": "Get remote help",
            "status": "Help is available now.",
            "online": "Representatives online: 2",
            "new_tab": "(opens in a new tab)",
            "close": "Close",
            "title": "Acme Support",
        },
    }
    body = response.content.decode()
    assert "Alex" not in body and "Sam" not in body  # the sample people of a Preview backend


def test_cookie_free_and_briefly_cacheable(client, preview_site):
    response = get(client, Origin=HELP_DESK)
    assert response.cookies == {} and "Set-Cookie" not in response.headers
    assert response["Cache-Control"] == "public, max-age=15"
    assert "Origin" in re.split(r",\s*", response["Vary"])
    assert response["Content-Language"] == "en-us"
    assert client.cookies == {}
    head = client.head(f"{URL}?locale=en-us")
    assert head.status_code == 200 and head.content == b""


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (HELP_DESK, True),
        ("https://shop.acme.example", True),  # https://*.acme.example
        ("https://a.b.acme.example", True),
        ("https://acme.example", False),  # the wildcard needs a subdomain
        ("http://help.acme.example", False),  # another scheme is another origin
        ("https://help.acme.example.evil.test", False),
        ("https://evilacme.example", False),
        ("null", False),
        ("", False),
    ],
)
def test_cors_only_for_the_sites_allowed_origins(client, preview_site, origin, allowed):
    response = get(client, **({"Origin": origin} if origin else {}))
    assert response.status_code == 200
    assert response.get("Access-Control-Allow-Origin") == (origin if allowed else None)
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_no_embedding_origins_no_cors(client, preview_site):
    preview_site.frame_ancestors = ""
    preview_site.save()
    assert "Access-Control-Allow-Origin" not in get(client, Origin=HELP_DESK).headers


def test_the_pages_language_else_the_sites_never_the_visitors(client, preview_site):
    assert get(client, "locale=ja")["Content-Language"] == "ja"
    german = get(client, "locale=de-DE").json()
    assert (german["language"], german["texts"]["label"]) == ("de", "Remote-Hilfe anfordern")
    assert german["texts"]["online"] == "Ansprechpartner online: 2"
    # The count keeps its counter word on its line ("2 名" never breaks after the 2).
    assert get(client, "locale=ja").json()["texts"]["online"] == "対応可能なサポート担当者：2\u00a0名"
    # fr is not one of the site's languages; Accept-Language is not the page's language.
    for query in ("locale=fr", "locale=", ""):
        response = get(client, query, **{"Accept-Language": "ja"})
        assert response.json()["language"] == "de", query
        assert response.json()["texts"]["status"] == "Hilfe ist jetzt erreichbar."


def test_closed_by_the_opening_hours(client, preview_site):
    preview_site.time_zone = "Europe/Berlin"
    preview_site.save()
    OpeningHours.objects.create(site=preview_site, weekday=0, opens=dt.time(8), closes=dt.time(12))
    with time_machine.travel(MONDAY_NOON_UTC - dt.timedelta(hours=2), tick=False):  # 11:00 in Berlin
        assert get(client).json()["open"] is True
    cache.clear()
    with time_machine.travel(MONDAY_NOON_UTC, tick=False):  # 13:00 in Berlin
        document = get(client, "locale=de").json()
    assert document["open"] is False and document["available"] is False
    assert document["representatives"] == {"state": "off", "online": None}  # nobody counts when closed
    assert (
        document["texts"]["status"] == "Wir sind gerade nicht erreichbar"
        and document["texts"]["online"] == ""
    )


def test_a_site_without_a_rep_list_counts_nobody(client, preview_site):
    preview_site.show_rep_list = False
    preview_site.save()
    document = get(client).json()
    assert document["representatives"] == {"state": "off", "online": None}
    assert document["available"] is True and document["texts"]["online"] == ""


def test_take_control_lists_no_one_as_online(client, db):
    """Take Control has no call that says which technicians are online
    (docs/vendors/takecontrol.md): the button shows the hours only, not the admin's list."""
    backend = Backend.objects.create(
        name="TC", kind=Backend.Kind.TAKECONTROL, base_url="https://api.example.com/rest", tc_uid="u"
    )
    Site.objects.create(name="Acme", is_default=True, backend=backend, show_rep_list=True)
    document = get(client).json()
    assert document["representatives"] == {"state": "unavailable", "online": None}
    assert (document["open"], document["texts"]["online"]) == (True, "")


def test_no_site_for_the_host(client, db):
    response = get(client, Origin=HELP_DESK)
    assert response.status_code == 404 and "Access-Control-Allow-Origin" not in response.headers


@pytest.fixture
def rep_site(transactional_db, fake):
    return site_on_fake_appliance(fake, frame_ancestors=HELP_DESK)


def test_beyondtrust_count_from_the_cached_list_without_waiting(client, fake, rep_site, settings):
    """Nothing cached: "checking" at once (the button asks again), never a wait on the
    appliance; then the count of reps showing on the rep list, without any name."""
    settings.PORTAL_VENDOR_WAIT = 5.0  # the rep page may wait this long; the button must not
    fake.hang()
    started = time.monotonic()
    response = get(client)
    assert time.monotonic() - started < 2.0
    assert response.json()["representatives"] == {"state": "pending", "online": None}
    assert response.json()["texts"]["online"] == "Checking who is available…"
    assert response["Cache-Control"] == "public, max-age=1"
    fake.release()  # the hung request is dropped; the refresh gives up within the vendor timeouts
    assert wait_for_refreshes(10)
    client.get("/reps/")  # starts a refresh that completes
    assert wait_for_refreshes(10)
    response = get(client)
    assert response.json()["representatives"] == {"state": "ok", "online": 2}  # Sam is not on the list
    page = response.content.decode()
    private = re.findall(
        r"<(?:private|public)_display_name>([^<]+)<", (DATA_DIR / "logged_in_reps.xml").read_text()
    )
    assert private and not any(name in page for name in private)


def test_nobody_online(client, fake, rep_site):
    fake.state["documents"]["get_logged_in_reps"] = "logged_in_reps_empty.xml"
    client.get("/reps/")
    assert wait_for_refreshes(10)
    document = get(client).json()
    assert document["representatives"] == {"state": "ok", "online": 0}
    assert document["available"] is False
    assert (document["texts"]["status"], document["texts"]["online"]) == (
        "Nobody is available right now.",
        "",
    )


CODES = {
    "en_US": "en-us",
    "de": "de",
    "es": "es",
    "es_SP": "es-sp",
    "fi": "fi",
    "fr": "fr",
    "it": "it",
    "nl": "nl",
    "pt_BR": "pt-br",
    "pt_PT": "pt-pt",
    "sv_SE": "sv-se",
    "tr": "tr",
    "ja": "ja",
    "zh_Hans": "zh-hans",
    "zh": "zh",
    "ru": "ru",
}


def test_the_scripts_fallback_labels_are_the_catalogs():
    """Where the availability cannot be read the script labels the button itself: with the
    same translations as the catalogs, all 16."""
    table = re.search(r"var FALLBACK = \{(.*?)\n  \};", BUTTON_JS.read_text(encoding="utf-8"), re.S).group(1)
    fallback = json.loads("{" + table + "}")
    assert set(fallback) == set(CODES.values())
    for folder, code in CODES.items():
        with open(LOCALE_DIR / folder / "LC_MESSAGES" / "django.po", "rb") as handle:
            catalog = read_po(handle)
        expected = [
            catalog.get(msgid).string or msgid for msgid in ("Get remote help", "(opens in a new tab)")
        ]
        assert fallback[code] == expected, code


def test_readme_shows_the_snippet():
    from portal.button.snippet import button_snippet

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert button_snippet(origin="https://support.example.com") in readme


def test_an_origin_the_admin_wrote_in_capitals_is_the_browsers_origin(client, preview_site, admin_client):
    """An integrator's walk-through: 'http://LOCALHOST:8102/' let the page be framed (CSP
    ignores case) but the button's availability got no CORS answer, as the browser sends the
    origin in lower case. The admin stores it as browsers send it, and a value stored before
    compares without case."""
    preview_site.frame_ancestors = "HTTPS://Help.Acme.EXAMPLE/"
    preview_site.save()  # as stored before the admin lowered it
    assert get(client, Origin=HELP_DESK).get("Access-Control-Allow-Origin") == HELP_DESK
    preview_site.full_clean()
    assert preview_site.frame_ancestors == "https://help.acme.example"
