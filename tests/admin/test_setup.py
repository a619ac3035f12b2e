"""The admin guides set-up: the checklist on the index, preselected single choices, the embed
snippet, kind labels, and a contrast failure that needs an explicit override."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse

from portal.branding import embed_snippet
from portal.models import ApiToken, Backend, Issue, IssueTranslation, Site
from portal.tokens import create_api_token, revoke_api_token
from tests.admin.test_translations import change_form_data
from tests.fakes.beyondtrust import FakeBeyondTrust
from tests.fakes.server import running
from tests.parsed_html import element, elements

pytestmark = pytest.mark.django_db


class Checklist(HTMLParser):
    """The set-up checklist as a reader meets it: per site heading, its items' text and links."""

    def __init__(self):
        super().__init__()
        self.sites: dict[str, list[dict]] = {}
        self.title = ""
        self._in_section = self._in_h2 = self._in_h3 = False
        self._site = None
        self._item = None
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and "setup-checklist" in (attrs.get("class") or ""):
            self._in_section = True
        if not self._in_section:
            return
        if tag == "h2":
            self._in_h2 = True
        elif tag == "h3":
            self._in_h3, self._site = True, ""
        elif tag == "li":
            self._item = {"text": "", "links": []}
        elif tag == "a" and self._item is not None:
            self._item["links"].append(attrs["href"])

    def handle_data(self, data):
        if self._in_h2:
            self.title += data
        elif self._in_h3 and self._site is not None:
            self._site += data
        elif self._item is not None:
            self._item["text"] += data

    def handle_endtag(self, tag):
        if not self._in_section:
            return
        if tag == "h2":
            self._in_h2 = False
        elif tag == "h3":
            self._in_h3 = False
            self._site = " ".join(self._site.split())
            self.sites[self._site] = []
        elif tag == "li" and self._item is not None:
            self._item["text"] = " ".join(self._item["text"].split())
            self.sites[list(self.sites)[-1]].append(self._item)
            self._item = None
        elif tag == "section":
            self._in_section = False


def checklist(admin_client, language: str = "en-us") -> Checklist:
    response = admin_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    parser = Checklist()
    parser.feed(response.content.decode())
    return parser


def item(parsed: Checklist, site_heading_start: str, title: str) -> dict:
    (site,) = [name for name in parsed.sites if name.startswith(site_heading_start)]
    (found,) = [entry for entry in parsed.sites[site] if title in entry["text"]]
    return found


def test_checklist_for_a_fresh_site_lists_every_step_as_to_do_with_links(admin_client, site):
    parsed = checklist(admin_client)
    assert parsed.title == "Set-up checklist"
    (heading,) = parsed.sites
    assert heading == "Acme Support 6 to do"
    backend = item(parsed, "Acme", "Backend reachable")
    assert backend["text"].startswith("To do: Backend reachable")
    assert "has not been tested yet" in backend["text"]
    assert backend["links"] == [reverse("admin:portal_backend_changelist") + f"?id__exact={site.backend.pk}"]
    issues = item(parsed, "Acme", "Issues")
    assert issues["text"].startswith("To do:") and "Import issues from appliance" in issues["text"]
    languages = item(parsed, "Acme", "Languages covered")
    # The fixture site's warning text is its own, and all 16 languages are enabled.
    assert languages["text"].startswith("To do:") and "Deutsch" in languages["text"]
    assert languages["links"] == [reverse("admin:portal_site_change", args=[site.pk])]
    assert item(parsed, "Acme", "Embedding origins")["text"].startswith("To do:")
    assert item(parsed, "Acme", "Prefill link secret")["links"] == [
        reverse("admin:portal_site_change", args=[site.pk])
    ]
    tokens = item(parsed, "Acme", "API tokens")
    assert tokens["text"].startswith("To do:")
    assert tokens["links"] == [reverse("admin:portal_apitoken_add") + f"?site={site.pk}"]
    # Every link leads to a page that exists for this admin.
    for entries in parsed.sites.values():
        for entry in entries:
            assert admin_client.get(entry["links"][0]).status_code == 200, entry


def test_checklist_items_turn_done_as_the_site_is_set_up(admin_client, site, issues):
    site.enabled_languages = ["en-us", "de"]
    site.frame_ancestors = "https://help.example.com"
    site.prefill_secret = "s3cret-value-that-is-long-enough"
    site.save()
    for issue in Issue.objects.filter(site=site):
        IssueTranslation.objects.create(issue=issue, language="de", display_name=f"{issue.display_name} (de)")
    site.translations.create(language="de", warning_text="Nur fortfahren, wenn Sie uns angerufen haben.")
    create_api_token(site=site, name="Zendesk")
    parsed = checklist(admin_client)
    assert item(parsed, "Acme", "Issues")["text"] == ("Done: Issues — 2 active issues. Review the issues")
    assert item(parsed, "Acme", "Languages covered")["text"].startswith(
        "Done: Languages covered — Every text is there in all 2 enabled languages."
    )
    assert item(parsed, "Acme", "Embedding origins")["text"].startswith(
        "Done: Embedding origins — May be embedded by: https://help.example.com."
    )
    prefill = item(parsed, "Acme", "Prefill link secret")["text"]
    assert prefill.startswith("Done:") and "s3cret" not in str(parsed.sites)
    assert item(parsed, "Acme", "API tokens")["text"].startswith("Done: API tokens — 1 active API token.")
    assert list(parsed.sites) == ["Acme Support 1 to do"]  # only the untested backend is left

    revoke_api_token(token=ApiToken.objects.get())
    IssueTranslation.objects.filter(language="de", issue__code_name="vpn").delete()
    parsed = checklist(admin_client)
    assert item(parsed, "Acme", "API tokens")["text"].startswith("To do:")
    languages = item(parsed, "Acme", "Languages covered")
    assert "Not yet translated into Deutsch: 1 issue." in languages["text"]
    assert languages["links"] == [reverse("admin:portal_issue_changelist") + f"?site__id__exact={site.pk}"]


TESTED_AT = datetime(2026, 12, 2, 9, 41, tzinfo=UTC)


def point_at(backend: Backend, fake: FakeBeyondTrust) -> None:
    backend.base_url, backend.client_id, backend.client_secret = (
        fake.base_url,
        fake.client_id,
        fake.client_secret,
    )
    backend.save()


def run_connection_test(admin_client, backend: Backend) -> None:
    """The backend list's "Test connection" action, as the admin runs it."""
    admin_client.post(
        reverse("admin:portal_backend_changelist"),
        {"action": "test_connection", "_selected_action": [backend.pk]},
    )


def test_checklist_shows_the_last_test_connection_result(admin_client, backend, site, settings):
    settings.TIME_ZONE = "Europe/Berlin"  # UTC+1 in December
    # The clock is set (and ticks, for the HTTP timeouts): the checklist names the test's time,
    # in the admin's time zone and language, as CLDR writes it mid-sentence (no weekday), and a
    # sentence ends with one full stop.
    with running(FakeBeyondTrust()) as fake, time_machine.travel(TESTED_AT) as clock:
        point_at(backend, fake)
        run_connection_test(admin_client, backend)
        backend.refresh_from_db()
        # The fake reports its backup appliance as unhealthy: customers are served by the
        # primary, so the test passed, with a warning that a failover would fail.
        assert TESTED_AT <= backend.connection_checked_at < TESTED_AT + timedelta(seconds=30)
        assert backend.connection_ok is True
        assert backend.connection_summary == (
            "Backup appliance backup.example.com is not healthy: Data sync with the primary failed"
        )
        text = item(checklist(admin_client), "Acme", "Backend reachable")["text"]
        assert text == (
            "Done: Backend reachable — Appliance passed “Test connection” on December 2, 2026, 10:41 AM, "
            "with a warning: Backup appliance backup.example.com is not healthy: Data sync with "
            "the primary failed Test again"
        )

        # The primary (the appliance customers reach) not healthy: the test did not pass.
        fake.serve("check_health", "check_health_primary_down.xml")
        clock.move_to(TESTED_AT + timedelta(hours=2))
        run_connection_test(admin_client, backend)
        backend.refresh_from_db()
        assert backend.connection_ok is False
        assert backend.connection_summary == "Disk usage above 95%"
        text = item(checklist(admin_client), "Acme", "Backend reachable")["text"]
        assert text == (
            "To do: Backend reachable — Appliance failed “Test connection” on "
            "December 2, 2026, 12:41 PM: Disk usage above 95% Test again"
        )

        fake.serve("check_health", "check_health_ok.xml")
        clock.move_to(TESTED_AT + timedelta(days=1, hours=5))
        run_connection_test(admin_client, backend)
        backend.refresh_from_db()
        assert backend.connection_ok is True and backend.connection_summary == ""
        text = item(checklist(admin_client), "Acme", "Backend reachable")["text"]
        german = item(checklist(admin_client, language="de"), "Acme", "Backend erreichbar")["text"]
    assert text == (
        "Done: Backend reachable — On December 3, 2026, 3:41 PM, Appliance passed “Test connection”. "
        "Test again"
    )
    assert "Appliance hat „Verbindung testen“ am 3. Dezember 2026, 15:41 bestanden." in german
    assert fake.client_secret not in text


def test_a_backup_appliance_without_a_healthy_primary_fails_the_test(admin_client, backend, site):
    """Mid-failover, or with the primary gone, the backup's problem is the backend's."""
    with running(FakeBeyondTrust()) as fake:
        point_at(backend, fake)
        fake.serve("check_health", "check_health_backup_only.xml")
        run_connection_test(admin_client, backend)
    backend.refresh_from_db()
    assert backend.connection_ok is False
    assert backend.connection_summary == "Failover in progress"
    assert item(checklist(admin_client), "Acme", "Backend reachable")["text"].startswith(
        "To do: Backend reachable — Appliance failed “Test connection” on"
    )


def test_checklist_for_preview_and_take_control_backends(admin_client, site):
    preview = Backend.objects.create(
        name="Preview", kind=Backend.Kind.PREVIEW, base_url="https://support.example.com"
    )
    other = Site.objects.create(
        name="Take Control site",
        backend=Backend.objects.create(
            name="N-able", kind=Backend.Kind.TAKECONTROL, base_url="https://api.us0.swi-rc.com/rest"
        ),
    )
    site.backend = preview
    site.save()
    parsed = checklist(admin_client)
    assert item(parsed, "Acme", "Backend reachable")["text"].startswith(
        "Done: Backend reachable — Preview is a Preview"
    )
    text = item(parsed, "Take Control", "Backend reachable")["text"]
    assert text.startswith("To do: Backend reachable — N-able has not been tested yet")
    issues = item(parsed, "Take Control", "Issues")
    assert issues["links"] == [reverse("admin:portal_issue_add") + f"?site={other.pk}"]


def test_checklist_is_translated(admin_client, site):
    response = admin_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="de")
    parser = Checklist()
    parser.feed(response.content.decode())
    assert parser.title == "Einrichtungs-Checkliste"
    assert list(parser.sites) == ["Acme Support 6 zu erledigen"]
    assert item(parser, "Acme", "API-Tokens")["text"].startswith("Zu erledigen: API-Tokens")


def test_the_japanese_checklist_has_no_space_after_its_full_width_marks(admin_client, site):
    """A walk-through: "未完了: ホスト名" with an ASCII colon, and a gap between "。" and the link."""
    html = admin_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    texts = [li.raw_text() for li in elements(html, "li", class_="setup-item")]
    tokens = next(text for text in texts if "API トークン" in text)
    assert tokens.startswith("未完了：API トークン — ")
    assert "。API トークンを追加" in tokens  # the link right after the sentence's "。"
    english = admin_client.get(reverse("admin:index")).content.decode()
    tokens = next(
        li.raw_text() for li in elements(english, "li", class_="setup-item") if "API tokens" in li.raw_text()
    )
    assert tokens.startswith("To do: API tokens — ") and "integrations. Add an API token" in tokens


def test_staff_without_site_permission_sees_no_checklist(client, django_user_model, site):
    user = django_user_model.objects.create_user("helper", password="pw-for-test-only", is_staff=True)
    client.force_login(user)
    parsed = checklist(client)
    assert parsed.sites == {}


def test_with_no_site_yet_the_index_says_where_set_up_starts(admin_client):
    # A fresh database (make serve, the image's first start): customers get "not set up yet",
    # and the admin index must point at the two pages that end it, translated.
    for language, words in [("en-us", "No site yet"), ("de", "Noch keine Website")]:
        response = admin_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE=language)
        section = element(response.content.decode(), "section", class_="setup-checklist")
        assert element(section, "p", class_="setup-first-steps").text.startswith(words)
        links = [link.attrs["href"] for link in elements(section, "a")]
        assert links == [reverse("admin:portal_backend_add"), reverse("admin:portal_site_add")]


def test_the_first_steps_give_way_to_the_checklist_once_a_site_exists(admin_client, site):
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert not elements(html, "p", class_="setup-first-steps")
    assert checklist(admin_client).sites  # the site's own checklist instead


def test_staff_without_site_permission_see_no_first_steps_either(client, django_user_model):
    user = django_user_model.objects.create_user("helper", password="pw-for-test-only", is_staff=True)
    client.force_login(user)
    assert not elements(
        client.get(reverse("admin:index")).content.decode(), "section", class_="setup-checklist"
    )


# ------------------------------------------------------------------------------
# Single choices preselected
# ------------------------------------------------------------------------------
class SelectedOptions(HTMLParser):
    """select name -> the values of its selected options."""

    def __init__(self):
        super().__init__()
        self.selected: dict[str, list[str]] = {}
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "select":
            self._select = attrs.get("name")
            self.selected.setdefault(self._select, [])
        elif tag == "option" and self._select and "selected" in attrs and attrs.get("value"):
            self.selected[self._select].append(attrs["value"])

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def selected(admin_client, url: str) -> dict[str, list[str]]:
    parser = SelectedOptions()
    parser.feed(admin_client.get(url).content.decode())
    return parser.selected


@pytest.mark.parametrize(
    ("model", "field"),
    [
        ("portal_issue", "site"),
        ("portal_customfield", "site"),
        ("portal_apitoken", "site"),
        ("portal_site", "backend"),
        ("webhooks_endpoint", "site"),
    ],
)
def test_the_only_choice_is_preselected_on_add_forms(admin_client, site, model, field):
    only = site if field == "site" else site.backend
    assert selected(admin_client, reverse(f"admin:{model}_add"))[field] == [str(only.pk)]


@pytest.mark.parametrize(
    ("model", "field"),
    [
        ("portal_issue", "site"),
        ("portal_customfield", "site"),
        ("portal_apitoken", "site"),
        ("portal_site", "backend"),
        ("webhooks_endpoint", "site"),
    ],
)
def test_nothing_is_preselected_when_there_is_a_choice(admin_client, site, model, field):
    second_backend = Backend.objects.create(
        name="Other", kind=Backend.Kind.MODERN, base_url="https://other.example.com"
    )
    Site.objects.create(name="Other site", backend=second_backend)
    assert selected(admin_client, reverse(f"admin:{model}_add"))[field] == []


def test_a_site_in_the_url_wins_over_the_preselection(admin_client, site):
    other = Site.objects.create(name="Other site", backend=site.backend)
    url = reverse("admin:portal_issue_add") + f"?site={other.pk}"
    assert selected(admin_client, url)["site"] == [str(other.pk)]


# ------------------------------------------------------------------------------
# A contrast failure blocks saving unless explicitly accepted
# ------------------------------------------------------------------------------
def site_form(admin_client, site, **changes) -> dict:
    # A modern backend serves the site's default rep list only with API credentials; without
    # them the form would be refused for that (backend validation), not for the colours.
    site.backend.client_id, site.backend.client_secret = "id", "secret"
    site.backend.save()
    return change_form_data(admin_client, reverse("admin:portal_site_change", args=[site.pk]), **changes)


def test_low_contrast_colours_are_refused_without_the_override(admin_client, site):
    url = reverse("admin:portal_site_change", args=[site.pk])
    response = admin_client.post(url, site_form(admin_client, site, primary_color="#ffee00"))
    assert response.status_code == 200  # the form again, not a redirect
    page = response.content.decode()
    assert "White button text on the primary colour has a contrast of" in page
    assert "Choose colours with more contrast, or tick this box to use them anyway." in page
    assert 'value="#ffee00"' in page  # the admin's input is kept
    site.refresh_from_db()
    assert site.primary_color == "#1a5fb4"


@pytest.mark.parametrize("colour", ["red", "#fff", "#12345g", "1a5fb4#"])
@pytest.mark.parametrize("field", ["primary_color", "text_color", "background_color"])
def test_a_colour_that_is_not_rrggbb_gets_its_message_not_a_500(admin_client, site, field, colour):
    url = reverse("admin:portal_site_change", args=[site.pk])
    response = admin_client.post(url, site_form(admin_client, site, **{field: colour}))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == ["Use a colour like #1a5fb4."]
    site.refresh_from_db()
    assert getattr(site, field) != colour


def test_low_contrast_colours_are_saved_when_the_override_is_ticked(admin_client, site):
    url = reverse("admin:portal_site_change", args=[site.pk])
    response = admin_client.post(
        url, site_form(admin_client, site, primary_color="#ffee00", accept_low_contrast="on"), follow=True
    )
    site.refresh_from_db()
    assert site.primary_color == "#ffee00"
    texts = [str(m) for m in response.context["messages"]]
    assert any("White button text on the primary colour has a contrast of" in t for t in texts), texts


def test_readable_colours_and_unrelated_edits_need_no_override(admin_client, site):
    url = reverse("admin:portal_site_change", args=[site.pk])
    response = admin_client.post(url, site_form(admin_client, site, primary_color="#0b4f9c"))
    assert response.status_code == 302
    Site.objects.filter(pk=site.pk).update(primary_color="#ffee00")  # saved before the check existed
    response = admin_client.post(url, site_form(admin_client, site, name="Acme Help"))
    assert response.status_code == 302
    site.refresh_from_db()
    assert site.name == "Acme Help" and site.primary_color == "#ffee00"


ONE_DEFAULT = {
    "en-us": "Only one site can be the default site, and another site already is. Untick "
    "“Default site” to save this one, or untick it on the other site first.",
    "de": "Nur eine Website kann die Standard-Website sein, und eine andere ist es bereits. "
    "Entfernen Sie das Häkchen bei „Standard-Website“, um diese zu speichern, oder entfernen Sie "
    "es zuerst bei der anderen Website.",
}


@pytest.mark.parametrize("language", ONE_DEFAULT)
def test_save_as_new_of_the_default_site_says_in_words_that_one_site_is_the_default(
    admin_client, site, language
):
    """A walk-through: "Save as new" on the default site showed "Constraint
    “portal_one_default_site” is violated." The form now says what is wrong and what to do,
    in the admin's language, and keeps what the admin typed."""
    url = reverse("admin:portal_site_change", args=[site.pk])
    data = site_form(admin_client, site, name="Acme Branch", welcome_text="Welcome to the branch.")
    assert data["is_default"] == ["on"]
    response = admin_client.post(url, {**data, "_saveasnew": "Save as new"}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200  # the form again
    form = response.context["adminform"].form
    assert form.non_field_errors() == [ONE_DEFAULT[language]]
    page = response.content.decode()
    assert "portal_one_default_site" not in page
    [name] = elements(page, "input", name="name")
    assert name.attrs["value"] == "Acme Branch"
    [welcome] = elements(page, "textarea", name="welcome_text")
    assert welcome.text.strip() == "Welcome to the branch."
    assert list(Site.objects.values_list("name", "is_default")) == [("Acme Support", True)]


def test_save_as_new_of_the_default_site_without_the_tick_makes_a_second_site(admin_client, site):
    """What the message says to do works, at once: the copy is checked against the fields the
    BeyondTrust change page showed (no Take Control email or customer number)."""
    url = reverse("admin:portal_site_change", args=[site.pk])
    data = site_form(admin_client, site, name="Acme Branch")
    del data["is_default"]  # an unticked box is not sent
    response = admin_client.post(url, {**data, "_saveasnew": "Save as new"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert sorted(Site.objects.values_list("name", "is_default")) == [
        ("Acme Branch", False),
        ("Acme Support", True),
    ]


def test_the_site_page_offers_save_as_new(admin_client, site):
    page = admin_client.get(reverse("admin:portal_site_change", args=[site.pk])).content.decode()
    [button] = elements(page, "input", name="_saveasnew")
    assert button.attrs["type"] == "submit"


def test_a_copy_keeping_the_sites_hostnames_is_refused_at_the_hostname_and_writes_nothing(admin_client, site):
    """Hostnames are unique: a copy must get its own, or none, before it is saved."""
    site.hostnames.create(hostname="support.example.com")
    Site.objects.filter(pk=site.pk).update(is_default=False)
    url = reverse("admin:portal_site_change", args=[site.pk])
    data = site_form(admin_client, site, name="Acme Branch")
    assert data["hostnames-0-hostname"] == ["support.example.com"]
    response = admin_client.post(url, {**data, "_saveasnew": "Save as new"})
    assert response.status_code == 200
    [hostnames, *_others] = response.context["inline_admin_formsets"]
    assert hostnames.formset.errors[0] == {"hostname": ["Hostname with this Hostname already exists."]}
    assert list(Site.objects.values_list("name", flat=True)) == ["Acme Support"]


def test_a_copy_takes_the_pages_settings_but_not_the_write_only_prefill_secret(admin_client, site):
    """A link signed for one site must not open the other's locked form; the copy's secret is
    generated or typed on its own page."""
    site.hostnames.create(hostname="support.example.com")
    site.opening_hours.create(weekday=0, opens="09:00", closes="17:00")
    Site.objects.filter(pk=site.pk).update(is_default=False, prefill_secret="s" * 40, welcome_text="Hello")
    url = reverse("admin:portal_site_change", args=[site.pk])
    data = site_form(admin_client, site, name="Acme Branch", **{"hostnames-0-hostname": "branch.example.com"})
    response = admin_client.post(url, {**data, "_saveasnew": "Save as new"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    copy = Site.objects.get(name="Acme Branch")
    assert (copy.welcome_text, copy.prefill_secret) == ("Hello", "")
    assert list(copy.hostnames.values_list("hostname", flat=True)) == ["branch.example.com"]
    assert list(copy.opening_hours.values_list("weekday", "opens")) == [(0, time(9, 0))]
    assert Site.objects.get(pk=site.pk).prefill_secret == "s" * 40


def test_a_second_default_site_written_outside_a_form_is_refused_by_the_database(site, backend):
    """The form's check (and record 0117's lock) are for the admin's message; a shell's save
    or update meets the partial unique constraint itself."""
    branch = Site.objects.create(name="Acme Branch", backend=backend)
    with pytest.raises(IntegrityError), transaction.atomic():
        Site.objects.filter(pk=branch.pk).update(is_default=True)
    branch.is_default = True
    with pytest.raises(IntegrityError), transaction.atomic():
        branch.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        Site.objects.create(name="Third", backend=backend, is_default=True)
    assert list(Site.objects.filter(is_default=True).values_list("name", flat=True)) == ["Acme Support"]


@pytest.mark.django_db(transaction=True)
def test_two_admins_making_two_sites_the_default_at_once_get_one_save_and_one_message(
    admin_user, site, backend
):
    """Admin A makes the Acme site the default while admin B makes the Branch site the default,
    with no default before. Both forms pass the check while neither has committed, so the
    second to write failed on the database's constraint itself: a 500, B's input lost. B's save
    now waits for A's and gets the form's message in B's language, with B's input, and writes
    nothing (its hostname and opening hours neither). Admin A's save is held after its check
    (its hostname waits for one this test writes and takes back), so B arrives in between."""
    import threading

    from django.db import connection, transaction
    from django.test import Client

    from portal.models import OpeningHours, SiteHostname
    from tests.db_locks import row_lock_waiters, wait_for

    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time: the saves cannot overlap")
    Site.objects.filter(pk=site.pk).update(is_default=False)
    branch = Site.objects.create(name="Branch", backend=backend)
    blocker = Site.objects.create(name="Blocker", backend=backend)
    client_a, client_b = Client(), Client()
    client_a.force_login(admin_user)
    client_b.force_login(admin_user)
    data_a = site_form(client_a, site, is_default="on", **{"hostnames-0-hostname": "a.example.com"})
    data_b = site_form(
        client_b,
        branch,
        name="Branch Help",
        welcome_text="Welcome to the branch.",
        is_default="on",
        **{
            "hostnames-0-hostname": "b.example.com",
            "opening_hours-TOTAL_FORMS": "1",
            "opening_hours-0-weekday": "0",
            "opening_hours-0-opens": "09:00",
            "opening_hours-0-closes": "17:00",
        },
    )
    answers: dict[str, object] = {}

    def admin_saves(who, client, target, data, **headers):
        try:
            url = reverse("admin:portal_site_change", args=[target.pk])
            answers[who] = client.post(url, data, **headers)
        except Exception as error:  # noqa: BLE001 - the test client raises what would be a 500
            answers[who] = error
        finally:
            connection.close()

    a = threading.Thread(target=admin_saves, args=("a", client_a, site, data_a))
    b = threading.Thread(
        target=admin_saves, args=("b", client_b, branch, data_b), kwargs={"HTTP_ACCEPT_LANGUAGE": "de"}
    )
    with transaction.atomic():
        SiteHostname.objects.create(site=blocker, hostname="a.example.com")
        a.start()
        wait_for(lambda: row_lock_waiters() >= 1, what="admin A's save never reached its hostname")
        b.start()
        wait_for(lambda: row_lock_waiters() >= 2, what="admin B's save never waited for admin A's")
        transaction.set_rollback(True)  # A's hostname is free: A commits, then B goes on
    a.join(timeout=30)
    b.join(timeout=30)
    assert not a.is_alive() and not b.is_alive()
    assert getattr(answers["a"], "status_code", answers["a"]) == 302
    response = answers["b"]
    assert getattr(response, "status_code", response) == 200  # the form again, not a 500
    page = response.content.decode()
    [errors] = elements(page, "ul", class_="nonfield")
    assert [item.text for item in elements(errors, "li")] == [ONE_DEFAULT["de"]]
    assert elements(page, "input", name="name")[0].attrs["value"] == "Branch Help"
    assert elements(page, "textarea", name="welcome_text")[0].text.strip() == "Welcome to the branch."
    assert elements(page, "input", name="hostnames-0-hostname")[0].attrs["value"] == "b.example.com"
    assert sorted(Site.objects.values_list("name", "is_default")) == [
        ("Acme Support", True),
        ("Blocker", False),
        ("Branch", False),
    ]
    assert list(SiteHostname.objects.values_list("site__name", "hostname")) == [
        ("Acme Support", "a.example.com")
    ]
    assert not OpeningHours.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_save_that_makes_no_default_does_not_wait_for_one_that_does(admin_client, site, backend):
    """The wait above is for saves that make a site the default: another site's ordinary save
    goes through while a default is being chosen."""
    import threading

    from django.db import connection, transaction

    from tests.db_locks import row_lock_waiters, wait_for

    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time: the saves cannot overlap")
    Site.objects.filter(pk=site.pk).update(is_default=False)
    branch = Site.objects.create(name="Branch", backend=backend)
    data = site_form(admin_client, branch, name="Branch Help")
    assert "is_default" not in data
    answers = []

    def admin_saves():
        try:
            answers.append(admin_client.post(reverse("admin:portal_site_change", args=[branch.pk]), data))
        finally:
            connection.close()

    with transaction.atomic():  # another admin's save, checked and about to make Acme the default
        Site(pk=site.pk, name=site.name, backend=backend, is_default=True).validate_constraints()
        saver = threading.Thread(target=admin_saves)
        saver.start()
        wait_for(lambda: bool(answers) or row_lock_waiters() > 0, what="the save neither ended nor waited")
        assert answers, "an ordinary save waits for a default being chosen"
    saver.join(timeout=30)
    assert answers[0].status_code == 302
    assert Site.objects.get(pk=branch.pk).name == "Branch Help"


# ------------------------------------------------------------------------------
# A hostname the server refuses (outside DJANGO_ALLOWED_HOSTS) is named, at saving and on the
# checklist: every request to it would be a 400 before the portal's code runs
# ------------------------------------------------------------------------------
def test_saving_a_hostname_outside_allowed_hosts_warns_and_the_checklist_names_it(
    admin_client, site, settings
):
    settings.ALLOWED_HOSTS = ["testserver", "support.example.com", ".example.org"]
    url = reverse("admin:portal_site_change", args=[site.pk])
    data = site_form(admin_client, site)
    data.update(
        {
            "hostnames-TOTAL_FORMS": "3",
            "hostnames-0-hostname": "support.example.com",
            "hostnames-1-hostname": "help.example.org",  # the ".example.org" subdomain pattern
            "hostnames-2-hostname": "help.example.net",
        }
    )
    response = admin_client.post(url, data, follow=True)
    assert response.redirect_chain[-1][1] == 302  # saved: the admin may set the variable next
    assert sorted(site.hostnames.values_list("hostname", flat=True)) == [
        "help.example.net",
        "help.example.org",
        "support.example.com",
    ]
    texts = [str(m) for m in response.context["messages"] if "ALLOWED_HOSTS" in str(m)]
    assert texts == [
        "Saved, but the server refuses requests for help.example.net until it is in "
        "DJANGO_ALLOWED_HOSTS: add it there and restart the portal."
    ]
    entry = item(checklist(admin_client), "Acme", "Hostnames")
    assert entry["text"] == (
        "To do: Hostnames — The server refuses requests for help.example.net: add it to "
        "DJANGO_ALLOWED_HOSTS and restart the portal. Review the hostnames"
    )
    assert entry["links"] == [url]
    # What the checklist says is what the server does.
    assert admin_client.get("/", HTTP_HOST="help.example.net").status_code == 400
    assert admin_client.get("/", HTTP_HOST="help.example.org").status_code == 200

    settings.ALLOWED_HOSTS = ["*"]
    response = admin_client.post(url, site_form(admin_client, site), follow=True)
    assert [str(m) for m in response.context["messages"] if "ALLOWED_HOSTS" in str(m)] == []
    assert item(checklist(admin_client), "Acme", "Hostnames")["text"] == (
        "Done: Hostnames — Customers reach this site at support.example.com, help.example.org, "
        "help.example.net. Edit the hostnames"
    )


def test_a_site_without_hostnames_is_reached_only_when_it_is_the_default(admin_client, site):
    other = Site.objects.create(name="Branch office", backend=site.backend)
    parsed = checklist(admin_client)
    assert item(parsed, "Acme", "Hostnames")["text"] == (
        "Done: Hostnames — The default site: it serves every hostname no other site claims. Add a hostname"
    )
    branch = item(parsed, "Branch", "Hostnames")
    assert branch["text"].startswith(
        "To do: Hostnames — No hostname and not the default site: customers cannot reach it."
    )
    assert branch["links"] == [reverse("admin:portal_site_change", args=[other.pk])]
    # As the checklist says: any host is served the default site, never the branch office.
    page = admin_client.get("/", HTTP_HOST="localhost").content.decode()
    assert "Acme Support" in page and "Branch office" not in page

    assert "tick" not in branch["text"]  # a default site exists: a hostname is the way in


def test_with_no_default_site_the_hostnames_item_offers_the_tick(admin_client, site):
    # A first site saved as the form comes (Default site unticked): every customer page is
    # still "not set up", and the checklist names the tick that ends it.
    site.is_default = False
    site.save()
    assert admin_client.get("/", HTTP_HOST="localhost").status_code == 503
    entry = item(checklist(admin_client), "Acme", "Hostnames")
    assert entry["text"].startswith("To do: Hostnames — No hostname and not the default site")
    assert "tick “Default site” to serve every hostname" in entry["text"]
    assert entry["links"] == [reverse("admin:portal_site_change", args=[site.pk])]
    german = item(checklist(admin_client, language="de"), "Acme", "Hostnamen")["text"]
    assert "„Standard-Website“" in german
    site.is_default = True
    site.save()
    assert admin_client.get("/", HTTP_HOST="localhost").status_code == 200


# ------------------------------------------------------------------------------
# The embedding snippet: the site's own address, the README's text
# ------------------------------------------------------------------------------
README = Path(__file__).resolve().parents[2] / "README.md"


class TextareaText(HTMLParser):
    """The text a browser shows in the page's textareas (entities decoded)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._inside = False

    def handle_starttag(self, tag, attrs):
        if tag == "textarea":
            self._inside = True
            self.texts.append("")

    def handle_data(self, data):
        if self._inside:
            self.texts[-1] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._inside = False


def admin_snippet(admin_client, site, **headers) -> str:
    parser = TextareaText()
    parser.feed(
        admin_client.get(reverse("admin:portal_site_change", args=[site.pk]), **headers).content.decode()
    )
    (snippet,) = [text for text in parser.texts if "data-support-portal" in text]
    return snippet.strip()


def readme_snippet() -> str:
    text = README.read_text()
    section = text[text.index("## Embedding in a help-desk page") :]
    snippet = re.search(r"```html\n(.*?)\n```", section, re.S)
    assert snippet is not None
    return snippet.group(1)


def test_readme_shows_the_snippet_admin_renders():
    site_name = re.search(r'title="([^"]*)"', readme_snippet()).group(1)
    rendered = embed_snippet(origin="https://portal.acme.test", site_name=site_name)
    assert rendered.replace("https://portal.acme.test", "https://support.example.com") == readme_snippet()


def test_admin_snippet_uses_the_sites_first_hostname(admin_client, site, settings):
    settings.HTTPS = True
    site.hostnames.create(hostname="help.acme.test")
    site.hostnames.create(hostname="support.acme.test")
    snippet = admin_snippet(admin_client, site)
    assert snippet == embed_snippet(origin="https://help.acme.test", site_name="Acme Support")
    assert 'src="https://help.acme.test/?embed=1"' in snippet
    assert '<script src="https://help.acme.test/static/portal/embed.js" async></script>' in snippet
    assert "support.example.com" not in snippet


def test_admin_snippet_speaks_what_the_portal_serves(admin_client, site, settings):
    """Plain http (PORTAL_HTTPS=false, the request's scheme) and the port the admin reached
    that hostname on: the same origin the API's links and the prefill link command use
    (portal.branding.site_origin)."""
    site.hostnames.create(hostname="help.acme.test")
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "help.acme.test"]
    snippet = admin_snippet(admin_client, site, HTTP_HOST="help.acme.test:8080")
    assert snippet == embed_snippet(origin="http://help.acme.test:8080", site_name="Acme Support")
    snippet = admin_snippet(admin_client, site)  # another host: the hostname, without a port
    assert snippet == embed_snippet(origin="http://help.acme.test", site_name="Acme Support")


def test_admin_snippet_on_a_try_out_keeps_the_port_for_a_loopback_hostname(admin_client, site, settings):
    """`make run` serves every site on 127.0.0.1:8000: a second site named `localhost` is
    reached on that port too, so the admin's snippet names it; a portal on https (no try-out)
    seen through a loopback address gives another hostname no port."""
    site.hostnames.create(hostname="localhost")
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1", "localhost"]
    snippet = admin_snippet(admin_client, site, HTTP_HOST="127.0.0.1:8000")
    assert snippet == embed_snippet(origin="http://localhost:8000", site_name="Acme Support")
    other = Site.objects.create(name="Beta Support", backend=site.backend)
    other.hostnames.create(hostname="help.beta.test")
    settings.HTTPS = True
    snippet = admin_snippet(admin_client, other, HTTP_HOST="127.0.0.1:8000")
    assert snippet == embed_snippet(origin="https://help.beta.test", site_name="Beta Support")


@pytest.mark.parametrize("admin_host", ["127.0.0.1:8000", "localhost:8000", "[::1]:8000"])
def test_a_try_out_keeps_the_port_for_a_second_sites_own_name(admin_client, site, settings, admin_host):
    """Plain http on a loopback address is a try-out: one process answers every site there, so
    a name given to a second site (mapped to 127.0.0.1 in /etc/hosts) is served on that port."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1", "localhost", "[::1]"]
    other = Site.objects.create(name="Beta Support", backend=site.backend)
    other.hostnames.create(hostname="beta.portal.test")
    snippet = admin_snippet(admin_client, other, HTTP_HOST=admin_host)
    assert snippet == embed_snippet(origin="http://beta.portal.test:8000", site_name="Beta Support")


def test_a_port_on_another_machine_is_not_given_to_a_second_sites_name(admin_client, site, settings):
    """The admin on a LAN address's port says nothing about where another name is served."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "portal.lan"]
    other = Site.objects.create(name="Beta Support", backend=site.backend)
    other.hostnames.create(hostname="beta.portal.test")
    snippet = admin_snippet(admin_client, other, HTTP_HOST="portal.lan:8000")
    assert snippet == embed_snippet(origin="http://beta.portal.test", site_name="Beta Support")


def test_admin_snippet_without_hostnames_uses_the_address_admin_is_reached_at(admin_client, site):
    response_snippet = admin_snippet(admin_client, site)
    assert 'src="http://testserver/?embed=1"' in response_snippet
    assert "support.example.com" not in response_snippet


def test_admin_snippet_escapes_the_site_name(admin_client, site):
    site.name = 'Acme "Help" <Desk>'
    site.save()
    assert 'title="Acme &quot;Help&quot; &lt;Desk&gt;"' in admin_snippet(admin_client, site)


# ------------------------------------------------------------------------------
# Backend kind labels read once
# ------------------------------------------------------------------------------
class OptionTexts(HTMLParser):
    """select name -> the text of each of its options."""

    def __init__(self):
        super().__init__()
        self.options: dict[str, list[str]] = {}
        self._select = None
        self._option = None

    def handle_starttag(self, tag, attrs):
        if tag == "select":
            self._select = dict(attrs).get("name")
            self.options.setdefault(self._select, [])
        elif tag == "option" and self._select:
            self._option = ""

    def handle_data(self, data):
        if self._option is not None:
            self._option += data

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None:
            self.options[self._select].append(self._option.strip())
            self._option = None
        elif tag == "select":
            self._select = None


def option_texts(admin_client, url: str) -> dict[str, list[str]]:
    parser = OptionTexts()
    parser.feed(admin_client.get(url).content.decode())
    return parser.options


def test_backend_kind_labels_read_once(admin_client, db):
    Backend.objects.create(name="Preview", kind=Backend.Kind.PREVIEW, base_url="https://support.example.com")
    Backend.objects.create(name="Lab", kind=Backend.Kind.PREVIEW, base_url="https://support.example.com")
    kinds = option_texts(admin_client, reverse("admin:portal_backend_add"))["kind"]
    assert kinds == [
        "BeyondTrust Remote Support",
        "Bomgar, legacy (.ns URLs)",
        "N-able Take Control",
        "Preview",
    ]
    backends = option_texts(admin_client, reverse("admin:portal_site_add"))["backend"]
    assert backends == ["---------", "Lab (Preview)", "Preview"]
    listing = admin_client.get(reverse("admin:portal_backend_changelist")).content.decode()
    assert "Preview (Preview" not in listing and "shows the start URL" not in listing


def test_backend_page_shows_the_stored_test_result_and_a_new_backend_none(admin_client, backend):
    Backend.objects.filter(pk=backend.pk).update(
        connection_ok=False, connection_summary="Timed out", connection_checked_at="2026-12-01T10:00:00Z"
    )
    page = admin_client.get(reverse("admin:portal_backend_change", args=[backend.pk])).content.decode()
    assert "Last connection test result" in page and "Timed out" in page
    assert (
        "Last connection test" not in admin_client.get(reverse("admin:portal_backend_add")).content.decode()
    )


@pytest.mark.parametrize(("kind", "shown"), [(Backend.Kind.TAKECONTROL, True), (Backend.Kind.PREVIEW, False)])
def test_a_backend_kind_without_a_connection_test_shows_no_test_result(admin_client, kind, shown):
    """Preview has no connection test: "Last connection test: -" would only send the admin to
    an action that answers "skipped". Take Control has one."""
    other = Backend.objects.create(name="Other", kind=kind, base_url="https://api.us0.swi-rc.com/rest")
    page = admin_client.get(reverse("admin:portal_backend_change", args=[other.pk])).content.decode()
    assert ("Last connection test" in page) is shown
    assert "Name" in page  # the page itself is there


def test_admin_pages_name_the_portals_icon(admin_client, client, db):
    """Without a <link rel="icon"> the browser asks for /favicon.ico on every admin page: a
    404 in the console and a warning in the log each time."""
    for page in (
        admin_client.get(reverse("admin:index")),
        admin_client.get(reverse("admin:portal_site_changelist")),
        client.get(reverse("admin:login")),
    ):
        assert page.status_code == 200
        icons = [link.attrs["href"] for link in elements(page.content, "link", rel="icon")]
        assert icons == ["/static/portal/mark.svg", "/static/portal/favicon.png"]


# ------------------------------------------------------------------------------
# Where to run the connection test; what an issue's code name is for
# ------------------------------------------------------------------------------


def test_the_backend_page_says_where_the_connection_test_runs(admin_client, backend):
    # The test is an action of the list: the change page's "Test connection" group, with its
    # empty "Last connection test", must say how to run it (in the reader's language).
    for language, words in [("en-us", "Run it from the backend list"), ("de", "Führen Sie ihn")]:
        url = reverse("admin:portal_backend_change", args=[backend.pk])
        html = admin_client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        (group,) = [
            fieldset
            for fieldset in elements(html, "fieldset")
            if elements(fieldset, "div", class_="field-connection_ok")
        ]
        assert element(group, "div", class_="description").text.startswith(words)


def test_the_issue_form_says_what_a_code_name_is_for(admin_client, site):
    html = admin_client.get(reverse("admin:portal_issue_add")).content.decode()
    help_text = element(html, "div", id="id_code_name_helptext").text
    assert "prefill links (issue=…)" in help_text and "BeyondTrust" in help_text
