"""Prefilled pages come from a compiled page (docs/decisions/0062-compiled-prefilled-pages.md):
exactly the page a full render draws, for any combination of prefilled, locked and hostile
values; nothing of a customer's is kept; no slot marker ever reaches a page."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.test import RequestFactory
from django.test.html import parse_html
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal import caching, selectors
from portal.models import CustomField, Issue
from portal.prefill import SURVEY_NAMES, sign_prefill
from portal.views.base import StartFlowView
from portal.views.flows import SessionKeyView, SurveyView
from portal.views.prefilled import prefilled_page
from tests.conftest import form_data, query_of, start_address
from tests.fuzz.strategies import query_string
from tests.fuzz.strategies import text as hostile_text

pytestmark = pytest.mark.django_db
SECRET = "help-desk-secret"
VIEWS: dict[str, type[StartFlowView[Any]]] = {"/survey/": SurveyView, "/key/": SessionKeyView}
TIMESTAMP = re.compile(r'name="ts" value="[^"]*"')
MARKER = re.compile(r"pf[0-9a-f]{16}")


@pytest.fixture
def prefill_site(site, issues, custom_fields):
    site.prefill_secret = SECRET
    site.enabled_languages = ["en-us", "de", "ja"]
    site.save()
    CustomField.objects.filter(site=site).update(prefill_allowed=True, prefill_locks=True)
    for code_name, field_type in (("onsite", "yes_no"), ("contact", "email"), ("notes", "long_text")):
        CustomField.objects.create(
            site=site,
            code_name=code_name,
            label=code_name.title(),
            field_type=field_type,
            order=9,
            max_length=200,
            prefill_allowed=code_name != "notes",  # notes: only a signed link sets it
            prefill_locks=True,
        )
    return site


def with_issue_count(site, count: int) -> None:
    """1 issue: a hidden field; 2: radio buttons; 8: a select."""
    existing = Issue.objects.filter(site=site, active=True).count()
    for number in range(existing, count):
        Issue.objects.create(site=site, code_name=f"topic{number}", display_name=f"Topic {number}", order=10)
    if count == 1:
        Issue.objects.filter(site=site).exclude(code_name="printing").update(active=False)
    caching.renew_site_cache_version()


def full_render(path: str, query: str, language: str) -> str:
    """The page as the view renders it without a compiled page."""
    request: Any = RequestFactory().get(f"{path}?{query}")  # a PortalRequest once its site is set
    request.site = selectors.site_for_host("testserver")
    request.LANGUAGE_CODE = language
    view = VIEWS[path]()
    view.setup(request)
    with translation.override(language):
        return view.render_form(view.get_form()).content.decode()


def comparable(html: str) -> str:
    return TIMESTAMP.sub('name="ts" value=""', html)  # "rendered at": a second apart at most


def assert_same_page(compiled: str, full: str) -> None:
    """Equal to the full render, which has no slot markers (a leaked one would differ)."""
    assert parse_html(comparable(compiled)) == parse_html(comparable(full))
    assert comparable(compiled) == comparable(full)


CUSTOM = ["cf_asset_tag", "cf_printer_model", "cf_urgency", "cf_onsite", "cf_contact", "cf_notes"]
NAMES = {  # the names each page's form has (any other name: the full render, by design)
    "/survey/": [*SURVEY_NAMES, *CUSTOM, "locale", "embed"],
    "/key/": ["key", "external_key", "locale", "embed"],
}
OFFERED = ["printing", "vpn", "topic5", "low", "high", "yes", "no", "", "de", "ja", "1", "Jane"]
values = (
    hostile_text | st.sampled_from(OFFERED) | st.sampled_from(["\ue000name\ue001", "pf0123456789abcdefv0x"])
)


@st.composite
def prefill_links(draw) -> tuple[str, str]:
    """A path and a query: plain prefills, a signed link (right or wrong secret), or both."""
    path = draw(st.sampled_from(sorted(VIEWS)))
    pairs = draw(st.lists(st.tuples(st.sampled_from(NAMES[path]), values), min_size=1, max_size=8))
    how = draw(st.sampled_from(["plain", "signed", "wrong-secret", "signed+plain"]))
    if how == "plain":
        return path, query_string(pairs)
    # A help desk signs text it can encode: lone surrogates become U+FFFD.
    signable = {
        name: value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        for name, value in pairs
        if name not in ("locale", "embed")
    }
    if not signable:
        return path, query_string(pairs)
    secret = SECRET if how != "wrong-secret" else "not-the-secret"
    query = sign_prefill(secret=secret, values=signable, expires_at=int(time.time()) + 3600)
    extra = [(name, value) for name, value in pairs if name in ("locale", "embed")]
    if how == "signed+plain":
        extra.append(("external_key", draw(values)))  # an unsigned prefill voids the signature
    return path, "&".join(part for part in (query, query_string(extra)) if part)


@pytest.mark.parametrize("issue_count", [1, 2, 8])
@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(link=prefill_links())
def test_a_compiled_page_is_the_full_render(client, prefill_site, issue_count, link):
    with_issue_count(prefill_site, issue_count)
    path, query = link
    client.get(f"{path}?{query}")  # compiles this shape, if nothing did yet
    response = client.get(f"{path}?{query}")
    assert response.status_code == 200
    assert response.templates == [], query  # from the compiled page: nothing rendered
    full = full_render(path, query, response["Content-Language"])
    assert_same_page(response.content.decode(), full)


def test_other_values_of_the_same_shape_fill_the_same_compiled_page(client, prefill_site):
    client.get("/survey/?name=Jane&issue=vpn")
    response = client.get("/survey/?name=%3Cb%3E%22Joan%22%26&issue=vpn")
    assert response.templates == []
    html = response.content.decode()
    assert 'value="&lt;b&gt;&quot;Joan&quot;&amp;"' in html and "Jane" not in html
    assert re.search(r'<input[^>]*value="vpn"[^>]*checked|<input[^>]*checked[^>]*value="vpn"', html)
    assert_same_page(html, full_render("/survey/", "name=%3Cb%3E%22Joan%22%26&issue=vpn", "en-us"))


def test_nothing_of_the_customers_is_kept(client, prefill_site):
    client.get("/survey/?name=Jane%20Secret&details=my%20password%20is%20hunter2&issue=printing")
    version = caching.site_cache_version()
    kept = [
        page for key, page in caching.compiled_pages._entries.items() if key[:2] == ("prefilled", version)
    ]
    assert kept
    for page in kept:
        text = "".join(page.parts)
        assert "Jane" not in text and "hunter2" not in text and not MARKER.search(text)


def test_a_value_that_looks_like_a_marker_is_only_text(client, prefill_site, monkeypatch):
    from portal.views import prefilled

    monkeypatch.setattr(prefilled.secrets, "token_hex", lambda size: "0123456789abcdef")
    client.get("/survey/?name=x&details=y")  # compiled with the nonce above
    # (No private-use characters around "name": a name may not hold them, record 0116.)
    tricky = "pf0123456789abcdefv1x \u27e8name\u27e9 pf0123456789abcdefl0x"
    query = query_string([("name", tricky), ("details", "pf0123456789abcdefv0x")])
    response = client.get(f"/survey/?{query}")
    assert response.templates == []
    html = response.content.decode()
    assert f'value="{tricky}"' in html
    assert_same_page(html, full_render("/survey/", query, "en-us"))


def test_a_page_that_shows_a_query_value_another_way_is_not_kept(rf, prefill_site):
    class EchoingKeyView(SessionKeyView):
        """Shows the raw query value outside the form, as no portal page does."""

        template_name = "portal/message.html"

        def get_context_data(self, form):
            return {"form": form, "title": "Echo", "message": self.request.GET.get("external_key", "")}

    request = rf.get("/key/?external_key=INC-1")
    request.site = selectors.site_for_host("testserver")
    request.LANGUAGE_CODE = "en-us"
    view = EchoingKeyView()
    view.setup(request)
    assert prefilled_page(view) is None  # the full render answers instead
    version = caching.site_cache_version()
    assert not [key for key in caching.compiled_pages._entries if key[:2] == ("prefilled", version)]


def test_locked_values_are_readonly_on_the_compiled_page_and_enforced_on_the_post(client, prefill_site):
    query = sign_prefill(
        secret=SECRET, values={"external_key": "INC-1", "name": "Jane"}, expires_at=int(time.time()) + 60
    )
    client.get(f"/survey/?{query}")
    response = client.get(f"/survey/?{query}")
    assert response.templates == []
    html = response.content.decode()
    for name, value in (("external_key", "INC-1"), ("name", "Jane")):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
        assert f'value="{value}"' in tag and "readonly" in tag
    signed = re.search(r'name="signed" value="([^"]*)"', html).group(1).replace("&amp;", "&")
    start = client.post(
        "/survey/",
        form_data(issue="vpn", name="Mallory", external_key="NOT-MINE", signed=signed, details="x"),
    )
    assert start.status_code == 303
    sent = dict(query_of(start["Location"]))
    assert sent["customer.name"] == "Jane"
    assert sent["session.custom.external_key"] == "INC-1"


@pytest.mark.parametrize("path", ["/survey/", "/key/"])
def test_a_compiled_page_answers_before_the_session_auth_and_messages_middlewares(client, prefill_site, path):
    """Like a page-cache hit (tests/test_page_cache.py), a compiled prefilled page sets no cookie
    and reads no session or user, so it is answered right below the view count
    (StartFlowView.early_page); the request that compiled it went the whole way, and both carry
    the same headers."""
    from portal.analytics import counters

    compiling = client.get(f"{path}?external_key=INC-1&locale=de")
    assert compiling.status_code == 200 and compiling.templates  # rendered once, to compile
    assert hasattr(compiling.wsgi_request, "session") and hasattr(compiling.wsgi_request, "user")
    early = client.get(f"{path}?external_key=%3CINC-2%3E&locale=de")
    assert early.status_code == 200 and early.templates == []
    for middleware_attribute in ("session", "user", "_messages", "csrf_processing_done"):
        assert not hasattr(early.wsgi_request, middleware_attribute), middleware_attribute
    assert 'value="&lt;INC-2&gt;"' in early.content.decode()
    assert int(early["Content-Length"]) == len(early.content)
    # Every header and its value as on the full path (the length differs with the value).
    lengthless = lambda response: {k: v for k, v in response.items() if k != "Content-Length"}  # noqa: E731
    assert lengthless(early) == lengthless(compiling)
    assert {"Content-Security-Policy", "Content-Language", "Vary"} <= set(early.headers)
    assert "X-Frame-Options" not in early and not early.cookies  # framing: the site's CSP
    counters.flush()
    flow = "survey" if path == "/survey/" else "key"
    key = counters.counter_key(kind="views", day=counters.today(), site_id=prefill_site.pk, flow=flow)
    assert caching.cache.get(key) == 2  # the early answer is counted as the rendered page was


def cache_control(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


def test_only_the_customers_browser_may_keep_a_page_with_their_values(client, prefill_site):
    """A shared cache in front of the portal (a proxy, a CDN) must not keep a page that shows a
    customer's values: the link's first render, its compiled page, a shape too new to compile
    and the form sent back with its errors all say `private`; a page without them does not."""
    full = client.get("/survey/?name=Jane&issue=vpn")
    early = client.get("/survey/?name=Joan&issue=vpn")
    assert full.templates and early.templates == []  # rendered once, then the compiled page
    for response in (full, early, client.get("/key/?external_key=INC-1")):
        assert response.status_code == 200
        assert "private" in cache_control(response) and "public" not in cache_control(response)
    sent_back = client.post("/survey/", form_data(name="Jane", issue="vpn", details=""))
    assert sent_back.status_code == 200 and 'value="Jane"' in sent_back.content.decode()
    assert "private" in cache_control(sent_back)
    for plain in ("/survey/", "/survey/?locale=de", "/key/?embed=1"):
        assert "private" not in cache_control(client.get(plain)), plain


def test_the_home_page_of_a_prefill_link_is_kept_private_too(client, prefill_site):
    """A help desk's link to the home page (`--flow home`) shows the customer's values in its
    key form and in every link it carries on: no shared cache may keep it either."""
    home = client.get("/?name=Jane&external_key=INC-1")
    assert home.status_code == 200 and "name=Jane" in home.content.decode()
    assert "private" in cache_control(home) and "public" not in cache_control(home)
    assert "private" not in cache_control(client.get("/?locale=de"))


def test_a_compiled_page_is_never_the_answer_once_the_site_has_closed(client, prefill_site):
    """Opening hours close a site without an admin change (no new site version): the early
    answer checks them as the view does, and a closed site's link gets the closed page."""
    import datetime as dt
    import zoneinfo

    import time_machine

    from portal.models import OpeningHours

    zone = zoneinfo.ZoneInfo(prefill_site.time_zone)
    monday = dt.datetime(2026, 12, 7, 12, 0, tzinfo=zone)
    OpeningHours.objects.create(site=prefill_site, weekday=0, opens=dt.time(8), closes=dt.time(17))
    with time_machine.travel(monday, tick=False) as clock:
        client.get("/survey/?name=Jane&issue=vpn")  # compiled while open
        assert client.get("/survey/?name=Joan&issue=vpn").templates == []  # and served from it
        clock.move_to(monday.replace(hour=18))
        closed = client.get("/survey/?name=Joan&issue=vpn")
    assert "We are closed right now" in closed.content.decode()
    assert 'name="name"' not in closed.content.decode()


# --- A locked value the form refuses locks nothing (docs/decisions/0023-signed-prefill-links.md) ---
TOO_LONG_NAME = "Jane " + "N" * 145  # 150 characters: the name takes 100
STUCK = {  # per page: a value its field refuses, the value beside it that stays locked
    "/survey/": ({"name": TOO_LONG_NAME, "external_key": "INC-1"}, "name", "external_key"),
    "/key/": ({"key": "12345", "external_key": "T-9"}, "key", "external_key"),  # a key has 7 digits
}


def signed(values: dict[str, str]) -> str:
    return sign_prefill(secret=SECRET, values=values, expires_at=int(time.time()) + 600)


def input_tag(html: str, name: str) -> str:
    found = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert found is not None, name
    return found.group(0)


def is_locked(tag: str) -> bool:
    """Drawn locked: readonly text, or a disabled hidden field (PublicForm.lock)."""
    return bool(re.search(r"\s(readonly|disabled)[\s>]", tag))


@pytest.mark.parametrize("path", sorted(STUCK))
def test_a_locked_value_the_field_refuses_is_prefilled_and_editable(client, prefill_site, path):
    """A help desk signs a ticket requester's 150-character name, or a key of the wrong shape:
    locked, the customer saw it read-only with the field's error and could never go on. It is
    shown prefilled and editable on the full render and on the compiled page alike; the value
    beside it stays locked."""
    values, refused, kept = STUCK[path]
    query = signed(values)
    first, compiled = client.get(f"{path}?{query}"), client.get(f"{path}?{query}")
    assert compiled.templates == []  # the second from the compiled page
    full = full_render(path, query, "en-us")
    for html in (first.content.decode(), compiled.content.decode(), full):
        tag = input_tag(html, refused)
        assert f'value="{values[refused]}"' in tag
        assert not is_locked(tag)
        assert f'value="{values[kept]}"' in input_tag(html, kept) and is_locked(input_tag(html, kept))
    assert_same_page(compiled.content.decode(), full)


def test_the_survey_checks_what_the_customer_sends_for_a_refused_value_and_keeps_the_locked_one(
    client, prefill_site
):
    query = signed(STUCK["/survey/"][0])
    as_sent = client.post("/survey/", form_data(issue="vpn", name=TOO_LONG_NAME, details="x", signed=query))
    assert as_sent.status_code == 200  # the field's own error, on a field they can change
    html = as_sent.content.decode()
    assert "50 characters too long" in html and not is_locked(input_tag(html, "name"))
    fixed = client.post(
        "/survey/",
        form_data(issue="vpn", name="Jane Doe", external_key="INC-EVIL", details="x", signed=query),
    )
    assert fixed.status_code == 303, fixed.content.decode()[:2000]
    sent = dict(query_of(fixed["Location"]))
    assert (sent["customer.name"], sent["session.custom.external_key"]) == ("Jane Doe", "INC-1")


def test_the_key_page_checks_what_the_customer_sends_for_a_refused_key_and_keeps_the_locked_one(
    client, prefill_site
):
    query = signed(STUCK["/key/"][0])
    as_sent = client.post("/key/", form_data(key="12345", signed=query))
    assert as_sent.status_code == 200
    assert "you entered 5" in as_sent.content.decode()
    fixed = client.post("/key/", form_data(key="7654321", external_key="T-EVIL", signed=query))
    assert fixed.status_code == 303, fixed.content.decode()[:2000]
    sent = dict(query_of(fixed["Location"]))
    assert (sent["short_key"], sent["session.custom.external_key"]) == ("7654321", "T-9")


def test_a_valid_locked_key_stays_locked_and_a_hidden_value_the_field_refuses_is_dropped(
    client, prefill_site
):
    """The key page carries the external key unseen: one over its limit the customer could
    neither see nor correct, so it starts empty; the valid key beside it stays locked, whatever
    the POST says."""
    query = signed({"key": "765 4321", "external_key": "X" * 1100})
    client.get(f"/key/?{query}")
    compiled = client.get(f"/key/?{query}")
    assert compiled.templates == []
    full = full_render("/key/", query, "en-us")
    for html in (compiled.content.decode(), full):
        assert 'value="765 4321"' in input_tag(html, "key") and is_locked(input_tag(html, "key"))
        external_key = input_tag(html, "external_key")
        assert "XXXX" not in external_key and not is_locked(external_key)
    assert_same_page(compiled.content.decode(), full)
    tampered = client.post("/key/", form_data(key="1234567", external_key="T-EVIL", signed=query))
    assert tampered.status_code == 303, tampered.content.decode()[:2000]
    sent = dict(query_of(tampered["Location"]))
    assert sent["short_key"] == "7654321" and sent.get("session.custom.external_key", "") == "T-EVIL"


@pytest.mark.parametrize("path", sorted(STUCK))
def test_links_of_one_shape_but_another_lock_state_never_share_a_compiled_page(client, prefill_site, path):
    """Whether a value locks depends on the value: the shape holds that one bit, never the value,
    so a refused value after a valid one (or before) is drawn editable (and locked), and two
    refused values share one compiled page."""
    values, refused, _kept = STUCK[path]
    valid = {"/survey/": "Jane Doe", "/key/": "7654321"}[path]
    for value, locked in ((valid, True), (values[refused], False), (valid, True)):
        html = client.get(f"{path}?{signed({**values, refused: value})}").content.decode()
        assert is_locked(input_tag(html, refused)) is locked, value
    other = client.get(f"{path}?{signed({**values, refused: values[refused] + '9'})}")
    assert other.templates == [] and not is_locked(input_tag(other.content.decode(), refused))
    version = caching.site_cache_version()
    for key, page in caching.compiled_pages._entries.items():
        if key[:2] == ("prefilled", version):
            assert values[refused] not in repr(key) and values[refused] not in "".join(page.parts)


@pytest.mark.parametrize("path", sorted(STUCK))
def test_the_blueprints_checks_keep_nothing_of_the_customers(client, prefill_site, path):
    """The blueprint keeps each text field's own check (PublicForm.value_check), built from the
    form of the request that compiled it: a check that held that form, or its field as the lock
    left it, would keep the customer's locked value for every later page."""
    secret = {"/survey/": {"name": "Jane Secret"}, "/key/": {"key": "7654321"}}[path]
    client.get(f"{path}?{signed({**secret, 'external_key': 'INC-SECRET'})}")
    version = caching.site_cache_version()
    blueprints = [
        bp for key, bp in caching.compiled_pages._entries.items() if key[:2] == ("blueprint", version)
    ]
    assert blueprints
    checks = [kind.takes for blueprint in blueprints for kind in blueprint.values() if kind.takes]
    assert checks
    while checks:  # each check and the checks it calls (the key's calls the field's)
        for cell in checks.pop().__closure__ or ():
            held = cell.cell_contents
            if callable(held) and getattr(held, "__closure__", None):
                checks.append(held)
            text = repr(vars(held)) if hasattr(held, "__dict__") else repr(held)
            assert "INC-SECRET" not in text and next(iter(secret.values())) not in text


def value_of(tag: str) -> str:
    found = re.search(r'\svalue="([^"]*)"', tag)
    return found.group(1) if found else ""


def test_a_plain_hidden_value_the_field_refuses_starts_empty_and_the_customer_starts(client, prefill_site):
    """`?external_key=` over its 1024 characters (a prefill is cut only at 4000) was carried
    unseen, and the start then failed on a field the customer could neither see nor correct: it
    starts empty, on the full render and the compiled page alike, as a signed one does."""
    query = "key=7654321&external_key=" + "X" * 1100
    first, compiled = client.get(f"/key/?{query}"), client.get(f"/key/?{query}")
    assert compiled.templates == []
    full = full_render("/key/", query, "en-us")
    for html in (first.content.decode(), compiled.content.decode(), full):
        assert value_of(input_tag(html, "key")) == "7654321"
        assert value_of(input_tag(html, "external_key")) == ""
    assert_same_page(compiled.content.decode(), full)
    carried = value_of(input_tag(compiled.content.decode(), "external_key"))
    sent = client.post("/key/", form_data(key="7654321", external_key=carried))
    assert sent.status_code == 303, sent.content.decode()[:2000]
    # One the field takes is carried as before.
    assert value_of(input_tag(client.get("/key/?external_key=T-9").content.decode(), "external_key")) == "T-9"


# --- Locked values over the vendor's total for custom values (record 0023) -------------------
WIDE = "\U0001f5a8" * 1000  # 1000 characters, 4000 UTF-8 bytes: each field takes it


def textarea_tag(html: str, name: str) -> str:
    found = re.search(rf'<textarea[^>]*name="{name}"[^>]*>', html)
    assert found is not None, name
    return found.group(0)


def wide_locked_survey(site) -> dict[str, str]:
    CustomField.objects.filter(site=site, code_name="notes").update(max_length=1024)
    caching.renew_site_cache_version()
    return {"issue": "printing", "name": "Jane Doe", "external_key": WIDE, "cf_printer_model": WIDE}


def test_locked_values_over_the_vendors_total_lock_none_of_the_fields_that_count_towards_it(
    client, prefill_site
):
    """Three locked values of 4000 bytes each pass their fields, but together they are over the
    vendor's 10,000 bytes: locked, the total's error landed on a field the customer could not
    change. None of the fields that count towards the total locks (the full render and the
    compiled page alike); the link's other values stay locked."""
    query = signed({**wide_locked_survey(prefill_site), "cf_notes": WIDE})
    first, compiled = client.get(f"/survey/?{query}"), client.get(f"/survey/?{query}")
    assert compiled.templates == []
    full = full_render("/survey/", query, "en-us")
    for html in (first.content.decode(), compiled.content.decode(), full):
        for name in ("external_key", "cf_printer_model"):
            tag = input_tag(html, name)
            assert value_of(tag) == WIDE and not is_locked(tag), name
        assert not is_locked(textarea_tag(html, "cf_notes"))
        assert is_locked(input_tag(html, "name"))
    assert_same_page(compiled.content.decode(), full)


def test_two_locked_values_within_the_total_stay_locked(client, prefill_site):
    query = signed(wide_locked_survey(prefill_site))
    client.get(f"/survey/?{query}")
    compiled = client.get(f"/survey/?{query}")
    assert compiled.templates == []
    full = full_render("/survey/", query, "en-us")
    for html in (compiled.content.decode(), full):
        assert is_locked(input_tag(html, "external_key")) and is_locked(input_tag(html, "cf_printer_model"))
    assert_same_page(compiled.content.decode(), full)


def test_the_customer_shortens_the_unlocked_values_over_the_total_and_starts(client, prefill_site):
    values = {**wide_locked_survey(prefill_site), "cf_notes": WIDE}
    query = signed(values)
    # Both it and the notes shortened: within the vendor's total (the address, long with the
    # values percent-encoded, is the Almost there page's button: tests/conftest.py).
    posted = {**values, "details": "Offline", "cf_printer_model": "HP 4000", "cf_notes": "", "signed": query}
    response = client.post("/survey/", form_data(**posted))
    sent = dict(query_of(start_address(response)))
    assert sent["session.custom.printer_model"] == "HP 4000"
    assert sent["session.custom.external_key"] == WIDE and sent["customer.name"] == "Jane Doe"
