"""Admin change forms show the settings the object's backend uses, and only those
(portal/admin/vendor_fields.py, docs/decisions/0103-admin-fields-by-vendor.md): a Take Control
site has no representative-list refresh, chat mode or chat language, a Take Control issue no
numeric id, priority, skills or chat, a Take Control backend no BeyondTrust API settings, and
the other way round. A value left from another backend is shown, never silently kept as if it
worked, and can be cleared."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.models import Backend, Department, Issue, Site, Technician
from tests.admin.test_translations import change_form_data
from tests.parsed_html import element, elements

pytestmark = pytest.mark.django_db

TC_DOMAIN = "https://api.us0.swi-rc.com/rest"

BEYONDTRUST_SITE = ["show_reps_in_issue_menu", "rep_list_ttl", "chat_mode", "chat_locale"]
BEYONDTRUST_ISSUE = ["vendor_id", "priority", "skills", "chat", "chat_locale"]
TAKECONTROL_ISSUE = ["department", "technician"]
BEYONDTRUST_API = ["client_id", "client_secret", "clear_client_secret"]
BEYONDTRUST_SWITCHES = ["allow_letters_in_key", "prompts_before_download", "send_platform"]
TAKECONTROL_BACKEND = [
    "tc_mode",
    "tc_uid",
    "tc_public_key",
    "tc_private_key",
    "tc_pin_url_template",
    "tc_ask_customer_info",
    "tc_show_waiting_queue",
]


def inputs(html: str, names: list[str]) -> list[str]:
    """Which of these names the page has an input, select or textarea for."""
    return [name for name in names if elements(html, name=name)]


def page(admin_client, obj) -> str:
    model = obj._meta.model_name
    response = admin_client.get(reverse(f"admin:portal_{model}_change", args=[obj.pk]))
    assert response.status_code == 200
    return response.content.decode()


def save(admin_client, obj, **changes):
    url = reverse(f"admin:portal_{obj._meta.model_name}_change", args=[obj.pk])
    return admin_client.post(url, change_form_data(admin_client, url, **changes))


def form_errors(response) -> list[str]:
    assert response.status_code == 200, "saved, but should have been refused"
    form = response.context["adminform"].form
    return [str(message) for found in form.errors.values() for message in found]


@pytest.fixture
def takecontrol(db):
    return Backend.objects.create(
        name="TC", kind=Backend.Kind.TAKECONTROL, base_url=TC_DOMAIN, tc_uid="u|1", tc_public_key="02.pub"
    )


@pytest.fixture
def takecontrol_site(takecontrol):
    return Site.objects.create(name="Take Control support", backend=takecontrol)


@pytest.fixture
def takecontrol_issue(takecontrol_site, takecontrol):
    department = Department.objects.create(backend=takecontrol, name="Helpdesk", department_id=12)
    return Issue.objects.create(
        site=takecontrol_site, code_name="printing", display_name="Printing", department=department
    )


@pytest.fixture
def appliance(backend):
    """The suite's BeyondTrust backend, with the API credentials its sites' rep list needs."""
    Backend.objects.filter(pk=backend.pk).update(client_id="portal", client_secret="s3cret")
    backend.refresh_from_db()
    return backend


# ------------------------------------------------------------------------------
# Sites
# ------------------------------------------------------------------------------
# What each kind's site shows of the BeyondTrust-only settings: Preview shows the BeyondTrust
# site it previews; legacy Bomgar has no chat only and no chat language.
SITE_SETTINGS = {
    Backend.Kind.MODERN: BEYONDTRUST_SITE,
    Backend.Kind.PREVIEW: BEYONDTRUST_SITE,
    Backend.Kind.LEGACY: ["show_reps_in_issue_menu", "rep_list_ttl"],
    Backend.Kind.TAKECONTROL: [],
}


def test_a_site_has_inputs_for_the_settings_its_backend_uses_only(admin_client, site):
    shown = {}
    for kind in SITE_SETTINGS:
        Backend.objects.filter(pk=site.backend_id).update(kind=kind)
        html = page(admin_client, site)
        shown[kind] = inputs(html, BEYONDTRUST_SITE)
        assert inputs(html, ["show_rep_list", "show_session_key", "default_language"]) != []
        assert not elements(html, class_="field-unused_settings")  # nothing left over to explain
    assert shown == SITE_SETTINGS


def test_a_take_control_site_saves_and_a_hand_made_beyondtrust_value_changes_nothing(
    admin_client, takecontrol_site
):
    response = save(
        admin_client, takecontrol_site, welcome_text="Hello", rep_list_ttl="600", chat_locale="de-de"
    )
    assert response.status_code == 302, form_errors(response)
    takecontrol_site.refresh_from_db()
    assert takecontrol_site.welcome_text == "Hello"
    assert (takecontrol_site.rep_list_ttl, takecontrol_site.chat_locale) == (30, "")


def test_values_left_from_beyondtrust_are_shown_kept_and_cleared_on_request(admin_client, takecontrol_site):
    Site.objects.filter(pk=takecontrol_site.pk).update(rep_list_ttl=120, chat_locale="cs-cs")
    html = page(admin_client, takecontrol_site)
    assert inputs(html, BEYONDTRUST_SITE) == []
    kept = element(element(html, "div", class_="field-unused_settings"), "div", class_="readonly")
    assert [row.text for row in elements(kept, "div")] == [
        "Representative list refresh (seconds): 120",
        "Chat language: cs-cs",
    ]
    assert "N-able Take Control does not use them" in html

    response = save(admin_client, takecontrol_site, welcome_text="Hello")
    assert response.status_code == 302, form_errors(response)
    takecontrol_site.refresh_from_db()
    assert (takecontrol_site.rep_list_ttl, takecontrol_site.chat_locale) == (120, "cs-cs")

    response = save(admin_client, takecontrol_site, clear_unused="on")
    assert response.status_code == 302, form_errors(response)
    takecontrol_site.refresh_from_db()
    assert (takecontrol_site.rep_list_ttl, takecontrol_site.chat_locale) == (30, "")
    assert not elements(page(admin_client, takecontrol_site), class_="field-unused_settings")


def test_the_note_is_in_the_admins_language(admin_client, takecontrol_site):
    Site.objects.filter(pk=takecontrol_site.pk).update(chat_locale="cs-cs")
    response = admin_client.get(
        reverse("admin:portal_site_change", args=[takecontrol_site.pk]), HTTP_ACCEPT_LANGUAGE="de"
    )
    assert "Diese Werte wurden für ein anderes Backend gesetzt." in response.content.decode()


def test_a_new_site_shows_every_setting_and_refuses_one_its_backend_does_not_use(
    admin_client, takecontrol, appliance
):
    url = reverse("admin:portal_site_add")
    assert inputs(admin_client.get(url).content.decode(), BEYONDTRUST_SITE) == BEYONDTRUST_SITE
    data = change_form_data(admin_client, url, name="New", backend=str(takecontrol.pk), chat_locale="cs-cs")
    assert form_errors(admin_client.post(url, data)) == [
        "N-able Take Control does not use this setting: leave it empty or at its default."
    ]
    data["chat_locale"] = ""
    response = admin_client.post(url, data)
    assert response.status_code == 302, form_errors(response)
    assert Site.objects.get(name="New").backend == takecontrol


def test_moving_a_site_to_beyondtrust_shows_its_settings_before_they_apply(
    admin_client, takecontrol_site, appliance
):
    Site.objects.filter(pk=takecontrol_site.pk).update(rep_list_ttl=45)
    url = reverse("admin:portal_site_change", args=[takecontrol_site.pk])
    data = change_form_data(admin_client, url, backend=str(appliance.pk))
    response = admin_client.post(url, data)
    assert form_errors(response) == [
        "BeyondTrust Remote Support uses the settings added below: check them, then save again."
    ]
    html = response.content.decode()
    assert inputs(html, BEYONDTRUST_SITE) == BEYONDTRUST_SITE
    assert element(html, "input", name="rep_list_ttl").attrs["value"] == "45"  # the stored value
    response = admin_client.post(url, change_form_data_of(html, rep_list_ttl="60"))
    assert response.status_code == 302, form_errors(response)
    takecontrol_site.refresh_from_db()
    assert (takecontrol_site.backend, takecontrol_site.rep_list_ttl) == (appliance, 60)


def test_a_chat_only_site_moves_to_take_control_with_the_clear_box(admin_client, site, takecontrol):
    """The walk-through: a chat-only BeyondTrust site could not move to Take Control, which
    has no chat only, until chat was changed by hand; the clear box did not cover it. The save
    stops once, lists what Take Control does not use, and the box resets it with the move."""
    Site.objects.filter(pk=site.pk).update(chat_mode=Site.ChatMode.ALWAYS, rep_list_ttl=60)
    url = reverse("admin:portal_site_change", args=[site.pk])
    response = admin_client.post(url, change_form_data(admin_client, url, backend=str(takecontrol.pk)))
    assert form_errors(response)  # stopped
    html = response.content.decode()
    assert errors_shown(html, "chat_mode") == (
        [
            "N-able Take Control cannot keep the value of Chat: change it by hand, or tick “Clear these "
            "values” to reset it to its default, then save again."
        ],
        [
            "A Take Control start cannot be chat only: choose full client only.",
            "Or tick “Clear these values” to reset it to its default, then save again.",
        ],
    )
    kept = element(element(html, "div", class_="field-unused_settings"), "div", class_="readonly")
    assert [row.text for row in elements(kept, "div")] == [
        "Chat: Always chat only",
        "Representative list refresh (seconds): 60",
    ]
    assert "Not used by N-able Take Control" in html
    site.refresh_from_db()
    assert site.backend_id != takecontrol.pk  # nothing saved yet

    response = admin_client.post(url, change_form_data_of(html, clear_unused="on"))
    assert response.status_code == 302, form_errors(response)
    site.refresh_from_db()
    assert (site.backend, site.chat_mode, site.rep_list_ttl) == (takecontrol, Site.ChatMode.OFF, 30)


def errors_shown(html: str, field: str) -> tuple[list[str], list[str]]:
    """The messages above the form, and those on one setting, as the page shows them."""
    above = element(html, "ul", class_="nonfield")
    on_field = element(element(html, "div", class_=f"field-{field}"), "ul", class_="errorlist")
    return [" ".join(li.text.split()) for li in elements(above, "li")], [
        " ".join(li.text.split()) for li in elements(on_field, "li")
    ]


def test_a_refused_move_gives_one_instruction_in_the_admins_language(admin_client, site, takecontrol):
    """Reviewers: the line above the form said "tick Clear these values", the setting said
    "choose full client only". Both ways work, so both places offer both, in the same words
    (docs/decisions/0103-admin-fields-by-vendor.md), in each language's catalog."""
    Site.objects.filter(pk=site.pk).update(chat_mode=Site.ChatMode.ALWAYS)
    url = reverse("admin:portal_site_change", args=[site.pk])
    data = change_form_data(admin_client, url, backend=str(takecontrol.pk))
    response = admin_client.post(url, data, HTTP_ACCEPT_LANGUAGE="de")
    assert errors_shown(response.content.decode(), "chat_mode") == (
        [
            "N-able Take Control kann den Wert von Chat nicht übernehmen: Ändern Sie ihn von Hand, oder "
            "setzen Sie das Häkchen bei „Diese Werte löschen“, um ihn auf den Standard zurückzusetzen, und "
            "speichern Sie dann erneut."
        ],
        [
            "Ein Take-Control-Start kann nicht nur Chat sein: Wählen Sie „Nur vollständiger Client“.",
            "Oder setzen Sie das Häkchen bei „Diese Werte löschen“, um ihn auf den Standard zurückzusetzen, "
            "und speichern Sie dann erneut.",
        ],
    )


def test_a_move_take_control_accepts_keeps_what_it_does_not_use(admin_client, site, takecontrol):
    """Nothing refused, nothing ticked: the move saves at once and keeps the values (0103)."""
    Site.objects.filter(pk=site.pk).update(rep_list_ttl=60)
    response = save(admin_client, site, backend=str(takecontrol.pk))
    assert response.status_code == 302, form_errors(response)
    site.refresh_from_db()
    assert (site.backend, site.rep_list_ttl) == (takecontrol, 60)


def change_form_data_of(html: str, **changes) -> dict:
    """What the browser would post from this page, changed by `changes`."""
    from tests.admin.test_translations import FormValues

    parser = FormValues()
    parser.feed(html)
    data: dict = {}
    for name, value in parser.values:
        data.setdefault(name, []).append(value)
    return {**data, **changes}


# ------------------------------------------------------------------------------
# Issues
# ------------------------------------------------------------------------------
ISSUE_SETTINGS = {
    Backend.Kind.MODERN: BEYONDTRUST_ISSUE,
    Backend.Kind.PREVIEW: BEYONDTRUST_ISSUE,
    Backend.Kind.LEGACY: ["vendor_id"],
    Backend.Kind.TAKECONTROL: TAKECONTROL_ISSUE,
}


def test_an_issue_has_inputs_for_the_routing_its_sites_backend_uses_only(admin_client, site):
    issue = Issue.objects.create(site=site, code_name="printing", display_name="Printing", vendor_id=7)
    shown = {}
    for kind in ISSUE_SETTINGS:
        Backend.objects.filter(pk=site.backend_id).update(kind=kind)
        shown[kind] = inputs(page(admin_client, issue), BEYONDTRUST_ISSUE + TAKECONTROL_ISSUE)
    assert shown == ISSUE_SETTINGS


def test_a_take_control_issue_saves(admin_client, takecontrol_issue, takecontrol):
    technician = Technician.objects.create(
        backend=takecontrol, display_name="Ann", username="ann@example.com"
    )
    response = save(admin_client, takecontrol_issue, technician=str(technician.pk), priority="1")
    assert response.status_code == 302, form_errors(response)
    takecontrol_issue.refresh_from_db()
    assert (takecontrol_issue.technician, takecontrol_issue.priority) == (technician, None)


def test_a_value_take_control_refuses_is_explained_and_cleared_not_a_crash(admin_client, takecontrol_issue):
    """An "always chat only" issue whose site moved to Take Control: the model refuses it, the
    form has no input for it, so the refusal names it on top with the one way there is (a
    reviewer: it said "choose full client only", which this page has no input for), and the
    box clears it."""
    Issue.objects.filter(pk=takecontrol_issue.pk).update(chat=Issue.Chat.ALWAYS, priority=2)
    assert form_errors(save(admin_client, takecontrol_issue)) == [
        "N-able Take Control does not use Chat and cannot keep its value: tick “Clear these values” "
        "to reset it to its default, then save again."
    ]
    url = reverse("admin:portal_issue_change", args=[takecontrol_issue.pk])
    response = admin_client.post(url, change_form_data(admin_client, url), HTTP_ACCEPT_LANGUAGE="ja")
    assert form_errors(response) == [
        "N-able Take Control は「チャット」を使わないため、その値を保持できません："
        "「これらの値を消去」をオンにして既定値に戻してから、もう一度保存してください。"
    ]
    response = save(admin_client, takecontrol_issue, clear_unused="on")
    assert response.status_code == 302, form_errors(response)
    takecontrol_issue.refresh_from_db()
    assert (takecontrol_issue.chat, takecontrol_issue.priority) == (Issue.Chat.SITE, None)


# ------------------------------------------------------------------------------
# Backends
# ------------------------------------------------------------------------------
BACKEND_SETTINGS = {
    Backend.Kind.MODERN: BEYONDTRUST_API + BEYONDTRUST_SWITCHES,
    Backend.Kind.PREVIEW: BEYONDTRUST_SWITCHES,  # it previews the starts, and calls nobody
    Backend.Kind.LEGACY: BEYONDTRUST_API + BEYONDTRUST_SWITCHES[:2],  # no platform on .ns
    Backend.Kind.TAKECONTROL: [*TAKECONTROL_BACKEND, "departments-TOTAL_FORMS", "technicians-TOTAL_FORMS"],
}


def test_a_backend_has_inputs_for_its_kinds_settings_only(admin_client, backend):
    every = BEYONDTRUST_API + BEYONDTRUST_SWITCHES + BACKEND_SETTINGS[Backend.Kind.TAKECONTROL]
    shown = {}
    for kind in BACKEND_SETTINGS:
        Backend.objects.filter(pk=backend.pk).update(kind=kind)
        shown[kind] = inputs(page(admin_client, backend), every)
    assert shown == BACKEND_SETTINGS


def test_a_take_control_backend_saves(admin_client, takecontrol):
    response = save(admin_client, takecontrol, tc_uid="u|2", send_platform="on")
    assert response.status_code == 302, form_errors(response)
    takecontrol.refresh_from_db()
    assert (takecontrol.tc_uid, takecontrol.send_platform) == ("u|2", False)
    assert takecontrol.tc_public_key == "02.pub"  # write-only: kept


def test_a_preview_backend_turned_beyondtrust_asks_for_its_credentials(admin_client, site):
    """Going live: the Preview backend becomes the appliance. Its sites' rep list needs the API
    client ID and secret, which the Preview page had no input for."""
    Backend.objects.filter(pk=site.backend_id).update(kind=Backend.Kind.PREVIEW)
    preview = Backend.objects.get(pk=site.backend_id)
    url = reverse("admin:portal_backend_change", args=[preview.pk])
    assert inputs(page(admin_client, preview), BEYONDTRUST_API) == []
    response = admin_client.post(url, change_form_data(admin_client, url, kind="modern"))
    assert form_errors(response) == [
        "BeyondTrust Remote Support uses the settings added below: check them, then save again.",
        "Site Acme Support: The representative list needs the backend's API client ID and secret: "
        "add them, or turn the list off.",
    ]
    html = response.content.decode()
    assert inputs(html, BEYONDTRUST_API[:2]) == BEYONDTRUST_API[:2]
    response = admin_client.post(
        url, change_form_data_of(html, kind="modern", client_id="portal", client_secret="s3cret")
    )
    assert response.status_code == 302, form_errors(response)
    preview.refresh_from_db()
    assert (preview.kind, preview.client_id, preview.client_secret) == ("modern", "portal", "s3cret")


def test_a_backend_turned_take_control_fills_in_its_defaults_before_they_apply(admin_client, backend):
    url = reverse("admin:portal_backend_change", args=[backend.pk])
    assert inputs(page(admin_client, backend), TAKECONTROL_BACKEND) == []
    response = admin_client.post(
        url, change_form_data(admin_client, url, kind="takecontrol", base_url=TC_DOMAIN)
    )
    assert form_errors(response)[0] == (
        "N-able Take Control uses the settings added below: check them, then save again."
    )
    html = response.content.decode()
    assert inputs(html, TAKECONTROL_BACKEND) == TAKECONTROL_BACKEND
    assert (
        element(html, "input", name="tc_pin_url_template").attrs["value"] == "https://startcontrol.com/{pin}"
    )
    assert "checked" in element(html, "input", name="tc_show_waiting_queue").attrs
    response = admin_client.post(url, change_form_data_of(html, tc_uid="u|1"))
    assert response.status_code == 302, form_errors(response)
    backend.refresh_from_db()
    assert (backend.kind, backend.tc_uid, backend.tc_show_waiting_queue) == ("takecontrol", "u|1", True)


def test_a_stored_zero_is_filled_in_when_the_issue_moves_back_to_beyondtrust(
    admin_client, takecontrol_issue, appliance
):
    """0 is a numeric ID like any other: the page that adds BeyondTrust's settings shows it, and
    saving keeps it, as it does 7."""
    beyondtrust_site = Site.objects.create(name="Appliance support", backend=appliance)
    Issue.objects.filter(pk=takecontrol_issue.pk).update(vendor_id=0, department=None)
    url = reverse("admin:portal_issue_change", args=[takecontrol_issue.pk])
    response = admin_client.post(url, change_form_data(admin_client, url, site=str(beyondtrust_site.pk)))
    assert form_errors(response) == [
        "BeyondTrust Remote Support uses the settings added below: check them, then save again."
    ]
    html = response.content.decode()
    assert element(html, "input", name="vendor_id").attrs["value"] == "0"
    response = admin_client.post(url, change_form_data_of(html))
    assert response.status_code == 302, form_errors(response)
    takecontrol_issue.refresh_from_db()
    assert (takecontrol_issue.site, takecontrol_issue.vendor_id) == (beyondtrust_site, 0)


# ------------------------------------------------------------------------------
# Change lists
# ------------------------------------------------------------------------------
def column_names(html: str) -> list[str]:
    return [
        cls.removeprefix("column-")
        for th in elements(html, "th")
        for cls in th.attrs.get("class", "").split()
        if cls.startswith("column-")
    ]


def filter_titles(html: str) -> list[str]:
    return [
        " ".join(summary.text.split())
        for summary in elements(element(html, "nav", id="changelist-filter"), "summary")
    ]


def test_change_lists_leave_out_what_no_backend_in_use_reads(admin_client, takecontrol_issue):
    """A Take Control-only install: no priority, numeric id or chat mode columns, whose every
    row would show a default."""
    issues = admin_client.get(reverse("admin:portal_issue_changelist")).content.decode()
    assert "priority" not in column_names(issues) and "vendor_id" not in column_names(issues)
    assert "display_name" in column_names(issues)
    assert not {"By priority", "By chat"} & set(filter_titles(issues))
    sites = admin_client.get(reverse("admin:portal_site_changelist")).content.decode()
    assert "chat_mode" not in column_names(sites) and "name" in column_names(sites)
    assert "By chat" not in filter_titles(sites)

    # A BeyondTrust backend in use too: its rows need the columns again.
    Site.objects.create(
        name="Appliance support", backend=Backend.objects.create(name="BT", base_url="https://bt.example.com")
    )
    issues = admin_client.get(reverse("admin:portal_issue_changelist")).content.decode()
    assert {"priority", "vendor_id"} <= set(column_names(issues))
    assert {"By priority", "By chat"} <= set(filter_titles(issues))
    sites = admin_client.get(reverse("admin:portal_site_changelist")).content.decode()
    assert "chat_mode" in column_names(sites)


def filter_choices(html: str, title: str) -> list[str]:
    """The entries under one filter's title, "All" first."""
    for details in elements(element(html, "nav", id="changelist-filter"), "details"):
        if " ".join(element(details, "summary").text.split()) == title:
            return [" ".join(a.text.split()) for a in elements(details, "a")]
    return []


def test_the_kind_filters_offer_the_kinds_in_use_only(admin_client, site, takecontrol_site):
    """The walk-through's site list offered every kind "By kind", Preview and legacy Bomgar
    included, where no backend had them: a choice that can only list nothing."""
    sites = admin_client.get(reverse("admin:portal_site_changelist")).content.decode()
    assert filter_choices(sites, "By kind") == ["All", "BeyondTrust Remote Support", "N-able Take Control"]
    backends = admin_client.get(reverse("admin:portal_backend_changelist")).content.decode()
    assert filter_choices(backends, "By kind") == ["All", "BeyondTrust Remote Support", "N-able Take Control"]
    # A backend no site uses is a kind the backend list has, and the site list does not.
    Backend.objects.create(name="Old", kind=Backend.Kind.LEGACY, base_url="https://old.example.com")
    sites = admin_client.get(reverse("admin:portal_site_changelist")).content.decode()
    assert "Bomgar" not in " ".join(filter_choices(sites, "By kind"))
    backends = admin_client.get(reverse("admin:portal_backend_changelist")).content.decode()
    assert len(filter_choices(backends, "By kind")) == 4
    # One kind left: nothing to tell apart, no filter.
    takecontrol_site.delete()
    sites = admin_client.get(reverse("admin:portal_site_changelist")).content.decode()
    assert "By kind" not in filter_titles(sites)


def label_of(html: str, field: str) -> str:
    return " ".join(element(html, "label", for_=f"id_{field}").text.split())


def test_a_take_control_site_calls_its_people_technicians(admin_client, site, takecontrol_site):
    assert label_of(page(admin_client, takecontrol_site), "show_rep_list") == "Show the technician list"
    assert label_of(page(admin_client, site), "show_rep_list") == "Show the representative list"
    response = admin_client.get(
        reverse("admin:portal_site_change", args=[takecontrol_site.pk]), HTTP_ACCEPT_LANGUAGE="de"
    )
    assert label_of(response.content.decode(), "show_rep_list") == "Technikerliste anzeigen"


def test_moving_a_site_off_take_control_words_the_stopped_save_as_beyondtrust(
    admin_client, takecontrol_site, appliance
):
    """The walk-through: the page that stops the save still said "technician list"."""
    url = reverse("admin:portal_site_change", args=[takecontrol_site.pk])
    response = admin_client.post(url, change_form_data(admin_client, url, backend=str(appliance.pk)))
    assert response.status_code == 200  # stopped once, to show BeyondTrust's settings
    assert label_of(response.content.decode(), "show_rep_list") == "Show the representative list"


# ------------------------------------------------------------------------------
# Queries
# ------------------------------------------------------------------------------
def queries_of(admin_client, method: str, url: str, data: dict | None = None) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = getattr(admin_client, method)(url, data) if data is not None else admin_client.get(url)
    assert response.status_code in (200, 302)
    return [query["sql"] for query in queries.captured_queries]


@pytest.mark.parametrize(
    ("model", "questions", "total"),
    [
        # The portal's site for the host (two), session, user, the kinds of all backends,
        # Django's two counts, the rows.
        ("backend", 1, 8),
        # Also the kinds of the sites' backends (the "By kind" filter), a different question, and
        # the rows' hostnames and translations.
        ("site", 2, 11),
        # Also the site filter's two counts of sites (a lone site has no column or filter).
        ("issue", 1, 11),
    ],
)
def test_a_change_list_asks_for_the_backend_kinds_in_use_once(
    admin_client, site, takecontrol_site, model, questions, total
):
    """Reviewers found each change list asking for the kinds of the backends three times (its
    columns, its filters), and the backend list a fourth time for its "By kind" filter: one
    answer per question and request (portal/admin/choices.py `values_in_use`)."""
    sql = queries_of(admin_client, "get", reverse(f"admin:portal_{model}_changelist"))
    kinds = [query for query in sql if query.startswith("SELECT DISTINCT") and '"kind"' in query]
    assert len(kinds) == len(set(kinds)) == questions, kinds
    assert len(sql) == total, "\n".join(sql)


def reads_of(sql: list[str], table: str, pk: int) -> list[str]:
    """The queries that read the row `pk` of `table` in full (not a check that it exists)."""
    row = f'"{table}"."id" = {pk} '
    return [query for query in sql if query.startswith(f'SELECT "{table}"."id"') and row in query]


def test_a_refused_move_looks_up_the_chosen_backend_once(admin_client, site, takecontrol):
    """The site form worked out which backend the POST names for its fieldsets, twice for the
    form, and again in each check: five reads of one row. Now the admin's one, beside Django's
    own for the form's backend choice."""
    Site.objects.filter(pk=site.pk).update(chat_mode=Site.ChatMode.ALWAYS)
    url = reverse("admin:portal_site_change", args=[site.pk])
    data = change_form_data(admin_client, url, backend=str(takecontrol.pk))
    sql = queries_of(admin_client, "post", url, data)
    assert len(reads_of(sql, "portal_backend", takecontrol.pk)) == 2, "\n".join(sql)
    site.refresh_from_db()
    assert site.backend_id != takecontrol.pk


def test_moving_an_issue_looks_up_the_chosen_site_once(admin_client, takecontrol_issue, site):
    url = reverse("admin:portal_issue_change", args=[takecontrol_issue.pk])
    data = change_form_data(admin_client, url, site=str(site.pk))
    sql = queries_of(admin_client, "post", url, data)
    assert len(reads_of(sql, "portal_site", site.pk)) == 2, "\n".join(sql)


def group_notes(html: str) -> dict[str, str]:
    """Each fieldset's heading and its description, as the add or change page shows them."""
    notes = {}
    for fieldset in elements(html, "fieldset"):
        heading = elements(fieldset, "h2")
        described = elements(fieldset, "div", class_="description")
        notes[heading[0].text if heading else ""] = described[0].text if described else ""
    return notes


def test_the_backend_add_page_says_which_kinds_use_each_vendors_group(admin_client, db):
    """The kind is chosen on the same page: each vendor's group says who it is for, so that an
    operator is not asked to fill in both."""
    notes = group_notes(admin_client.get(reverse("admin:portal_backend_add")).content.decode())
    assert notes["BeyondTrust"] == (
        "Only BeyondTrust Remote Support / Bomgar, legacy (.ns URLs) backends use these settings: "
        "for any other kind, leave them as they are."
    )
    assert notes["Take Control"] == (
        "Only N-able Take Control backends use these settings: for any other kind, leave them as they are."
    )
    assert "N-able Take Control" not in notes["Advanced"] and "Preview" in notes["Advanced"]
    assert notes[""] == ""  # name, kind and address: every kind


def test_the_kinds_note_is_translated_and_left_off_change_pages(admin_client, backend):
    add = admin_client.get(reverse("admin:portal_backend_add"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert group_notes(add)["Take Control"].startswith("Nur N-able Take Control")
    change = group_notes(page(admin_client, backend))
    assert "Take Control" not in change and change["BeyondTrust"] == ""
