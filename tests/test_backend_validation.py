"""Backend validation refuses what the vendor would refuse (admin and portal_bootstrap): a Take
Control start mode without its credential, BeyondTrust API features without client ID and
secret, a site address that is not https or carries a path, and legacy Bomgar options its .ns
start cannot carry. Secrets are write-only: a stored one counts, a removed one does not."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from portal.models import Backend, CustomField, Issue, Site
from portal.tokens import create_api_token
from tests.conftest import run_portal_bootstrap, save_site_in_admin
from tests.parsed_html import element, elements

pytestmark = pytest.mark.django_db

TC_DOMAIN = "https://api.us0.swi-rc.com/rest"


def backend_form(backend: Backend | None = None, **fields) -> dict:
    data = {
        "name": "Appliance",
        "kind": "modern",
        "base_url": "https://support.example.com",
        "client_id": "",
        "client_secret": "",
        "tc_uid": "",
        "tc_public_key": "",
        "tc_private_key": "",
        "tc_mode": "redirect",
        "tc_pin_url_template": "https://startcontrol.com/{pin}",
        "tc_show_waiting_queue": "on",
        "departments-TOTAL_FORMS": "0",
        "departments-INITIAL_FORMS": "0",
        "technicians-TOTAL_FORMS": "0",
        "technicians-INITIAL_FORMS": "0",
    }
    if backend is not None:
        data.update(
            {
                "name": backend.name,
                "kind": backend.kind,
                "base_url": backend.base_url,
                "client_id": backend.client_id,
                "tc_uid": backend.tc_uid,
                "tc_mode": backend.tc_mode,
            }
        )
    data.update(fields)
    return {name: value for name, value in data.items() if value is not None}


def save_backend(admin_client, backend: Backend | None = None, **fields):
    url = (
        reverse("admin:portal_backend_change", args=[backend.pk])
        if backend
        else reverse("admin:portal_backend_add")
    )
    return admin_client.post(url, backend_form(backend, **fields))


def errors(response) -> dict[str, list[str]]:
    assert response.status_code == 200, "saved, but should have been refused"
    return {name: list(found) for name, found in response.context["adminform"].form.errors.items()}


def saved(response) -> None:
    assert response.status_code == 302, response.context["adminform"].form.errors


# ------------------------------------------------------------------------------
# Take Control
# ------------------------------------------------------------------------------
TC = {"kind": "takecontrol", "base_url": TC_DOMAIN}


def test_take_control_redirect_mode_needs_the_uid(admin_client):
    found = errors(save_backend(admin_client, **TC, tc_mode="redirect"))
    assert list(found) == ["tc_uid"] and "New Session API uid" in found["tc_uid"][0]
    saved(save_backend(admin_client, **TC, tc_mode="redirect", tc_uid="e14887a6|2109"))
    assert Backend.objects.get().tc_uid == "e14887a6|2109"


def technician_rows(*usernames: str) -> dict[str, str]:
    rows = {"technicians-TOTAL_FORMS": str(len(usernames))}
    for index, username in enumerate(usernames):
        rows.update(
            {
                f"technicians-{index}-display_name": f"Tech {index}",
                f"technicians-{index}-username": username,
                f"technicians-{index}-listed": "on",
                f"technicians-{index}-order": "0",
            }
        )
    return rows


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en-us", "Enter the technician's email address, like name@example.com."),
        ("de", "Geben Sie die E-Mail-Adresse des Technikers ein, etwa name@example.com."),
        ("ja", "技術者のメールアドレスを name@example.com のような形式で入力してください。"),
    ],
)
def test_a_technician_username_on_no_domain_is_refused_as_a_customers_address_is(
    admin_client, language, message
):
    """Take Control routes to a technician by the address they sign in with: `tech@localhost`
    reaches nobody. Django's email rule lets it through; the customer's email field does not,
    and nor does this (docs/vendors/takecontrol.md#new-session-url)."""
    form = {**TC, "tc_uid": "e14887a6|2109", **technician_rows("ann@example.com", "tech@localhost")}
    response = admin_client.post(
        reverse("admin:portal_backend_add"), backend_form(**form), HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200, "saved, but should have been refused"
    [formset] = [
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "technicians"
    ]
    assert [list(errors) for errors in formset.errors] == [[], ["username"]]
    # As the admin reads it: the page is rendered in the reader's language.
    on_row = element(response.content.decode(), "tr", id="technicians-1")
    assert [" ".join(li.text.split()) for li in elements(on_row, "li")] == [message]
    assert not Backend.objects.exists()
    saved(save_backend(admin_client, **{**form, "technicians-1-username": "tech@example.com"}))
    assert sorted(Backend.objects.get().technicians.values_list("username", flat=True)) == [
        "ann@example.com",
        "tech@example.com",
    ]


def test_take_control_rest_mode_needs_the_public_key_but_not_the_private_one(admin_client):
    assert list(errors(save_backend(admin_client, **TC, tc_mode="rest", tc_private_key="02.priv"))) == [
        "tc_public_key"
    ]
    saved(
        save_backend(admin_client, **TC, tc_mode="rest", tc_public_key="02.pub")
    )  # uid, private key: optional
    backend = Backend.objects.get()
    assert (backend.tc_public_key, backend.tc_private_key, backend.tc_uid) == ("02.pub", "", "")


def test_a_stored_public_key_counts_and_a_removed_one_does_not(admin_client):
    backend = Backend.objects.create(
        name="TC", kind="takecontrol", base_url=TC_DOMAIN, tc_mode="rest", tc_public_key="02.stored-secret"
    )
    saved(save_backend(admin_client, backend, tc_public_key=""))  # empty: keep the stored key
    backend.refresh_from_db()
    assert backend.tc_public_key == "02.stored-secret"
    response = save_backend(admin_client, backend, tc_public_key="", clear_tc_public_key="on")
    assert list(errors(response)) == ["tc_public_key"]
    assert "02.stored-secret" not in response.content.decode()
    backend.refresh_from_db()
    assert backend.tc_public_key == "02.stored-secret"


def test_switching_to_redirect_mode_without_uid_is_refused(admin_client):
    backend = Backend.objects.create(
        name="TC", kind="takecontrol", base_url=TC_DOMAIN, tc_mode="rest", tc_public_key="02.stored"
    )
    assert list(errors(save_backend(admin_client, backend, tc_mode="redirect"))) == ["tc_uid"]


@pytest.mark.parametrize("url", ["http://api.us0.swi-rc.com/rest", "api.us0.swi-rc.com", "https://"])
def test_take_control_api_domain_must_be_https(admin_client, url):
    assert "base_url" in errors(save_backend(admin_client, **{**TC, "base_url": url}, tc_uid="u"))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("api.us0.swi-rc.com/rest", "Enter a full URL such as https://api.us0.swi-rc.com/rest."),
        ("https:///rest", "Enter a full URL such as https://api.us0.swi-rc.com/rest."),
        (
            "https://api.us0.swi-rc.com/rest?x=1",
            "Enter the address only, without query, fragment or credentials.",
        ),
        ("", "This field is required."),
        (f"https://{'a' * 200}.com/rest", "Ensure this value has at most 200 characters (it has 217)."),
    ],
)
def test_an_api_domain_that_is_no_address_gets_one_message(admin_client, url, message):
    """The field's own check names the fault; the connection check's "must be an address like"
    sentence for the same input is not added below it."""
    response = save_backend(admin_client, **{**TC, "base_url": url}, tc_uid="u|1")
    assert errors(response) == {"base_url": [message]}
    on_field = element(
        element(response.content.decode(), "div", class_="field-base_url"), "ul", class_="errorlist"
    )
    assert [" ".join(li.text.split()) for li in elements(on_field, "li")] == [message]


def address_errors(admin_client, kind: str, language: str) -> list[str]:
    """The messages on the address field of a new backend of `kind` whose address is no URL,
    as an admin reading `language` sees them."""
    response = admin_client.post(
        reverse("admin:portal_backend_add"),
        backend_form(kind=kind, base_url="support", tc_uid="u|1"),
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200, "saved, but should have been refused"
    on_field = element(
        element(response.content.decode(), "div", class_="field-base_url"), "ul", class_="errorlist"
    )
    return [li.text for li in elements(on_field, "li")]


@pytest.mark.parametrize(
    ("kind", "language", "message"),
    [
        ("takecontrol", "en-us", "Enter a full URL such as https://api.us0.swi-rc.com/rest."),
        ("modern", "en-us", "Enter a full URL such as https://support.example.com."),
        ("legacy", "en-us", "Enter a full URL such as https://support.example.com."),
        ("preview", "en-us", "Enter a full URL such as https://support.example.com."),
        ("takecontrol", "de", "Geben Sie eine vollständige URL wie https://api.us0.swi-rc.com/rest ein."),
        ("modern", "ja", "https://support.example.com のような完全な URL を入力してください。"),
        ("takecontrol", "zh-hans", "请输入完整的 URL，例如 https://api.us0.swi-rc.com/rest。"),
        ("takecontrol", "tr", "https://api.us0.swi-rc.com/rest gibi tam bir URL girin."),
    ],
)
def test_an_address_that_is_no_url_is_told_with_its_vendors_example(admin_client, kind, language, message):
    """A Take Control admin types an API domain: BeyondTrust's public-site example would
    mislead them, and the other way round. The kind chosen on the form decides."""
    assert address_errors(admin_client, kind, language) == [message]


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_every_language_cites_the_take_control_example_and_not_beyondtrusts(admin_client, language):
    (message,) = address_errors(admin_client, "takecontrol", language)
    assert "https://api.us0.swi-rc.com/rest" in message and "support.example.com" not in message


def test_a_pin_url_template_that_is_no_url_is_told_with_the_templates_own_example(admin_client):
    found = errors(
        save_backend(admin_client, **TC, tc_uid="u|1", tc_pin_url_template="startcontrol.com/{pin}")
    )
    assert found == {"tc_pin_url_template": ["Enter a full URL such as https://startcontrol.com/{pin}."]}


# ------------------------------------------------------------------------------
# BeyondTrust
# ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("http://support.example.com", "base_url"),
        ("", "base_url"),
        ("support.example.com", "base_url"),
        ("https://support.example.com/api/start_session", "base_url"),
        ("https://support.example.com/?x=1", "base_url"),
    ],
)
@pytest.mark.parametrize("kind", ["modern", "legacy"])
def test_site_address_must_be_a_plain_https_address(admin_client, url, field, kind):
    assert field in errors(save_backend(admin_client, kind=kind, base_url=url))


@pytest.mark.parametrize("url", ["https://support.example.com/", "http://127.0.0.1:8080"])
def test_plain_https_or_loopback_addresses_are_fine(admin_client, url):
    saved(save_backend(admin_client, base_url=url))
    assert Backend.objects.get().base_url == url.rstrip("/")


def test_client_id_and_secret_go_together(admin_client):
    assert list(errors(save_backend(admin_client, client_id="portal"))) == ["client_secret"]
    assert list(errors(save_backend(admin_client, client_secret="s3cret"))) == ["client_id"]
    saved(save_backend(admin_client, client_id="portal", client_secret="s3cret"))


def test_a_stored_secret_counts_and_removing_it_is_refused_while_the_id_stays(admin_client, backend):
    Backend.objects.filter(pk=backend.pk).update(client_id="portal", client_secret="stored-s3cret")
    backend.refresh_from_db()
    saved(save_backend(admin_client, backend, client_secret=""))
    response = save_backend(admin_client, backend, client_secret="", clear_client_secret="on")
    assert list(errors(response)) == ["client_secret"]
    assert "stored-s3cret" not in response.content.decode()
    saved(save_backend(admin_client, backend, client_id="", client_secret="", clear_client_secret="on"))
    backend.refresh_from_db()
    assert (backend.client_id, backend.client_secret) == ("", "")


def test_credentials_cannot_go_while_a_site_lists_representatives(admin_client, backend, site):
    Backend.objects.filter(pk=backend.pk).update(client_id="portal", client_secret="stored-s3cret")
    backend.refresh_from_db()
    response = save_backend(admin_client, backend, client_id="", clear_client_secret="on")
    assert errors(response) == {
        "client_id": [
            "Site Acme Support: The representative list needs the backend's API client ID and secret: "
            "add them, or turn the list off."
        ]
    }
    Site.objects.filter(pk=site.pk).update(show_rep_list=False, show_reps_in_issue_menu=True)
    assert "client_id" in errors(save_backend(admin_client, backend, client_id="", clear_client_secret="on"))
    Site.objects.filter(pk=site.pk).update(show_reps_in_issue_menu=False)
    saved(save_backend(admin_client, backend, client_id="", clear_client_secret="on"))


def test_site_refuses_a_representative_list_its_backend_cannot_fetch(admin_client, site):
    assert errors(save_site_in_admin(admin_client, site, show_rep_list="on")) == {
        "show_rep_list": [
            "The representative list needs the backend's API client ID and secret: add them, or turn "
            "the list off."
        ]
    }
    assert "show_reps_in_issue_menu" in errors(
        save_site_in_admin(admin_client, site, show_reps_in_issue_menu="on")
    )
    Backend.objects.filter(pk=site.backend_id).update(client_id="portal", client_secret="s3cret")
    saved(save_site_in_admin(admin_client, site, show_rep_list="on", show_reps_in_issue_menu="on"))


@pytest.mark.parametrize("kind", [Backend.Kind.PREVIEW, Backend.Kind.TAKECONTROL])
def test_preview_and_take_control_lists_need_no_beyondtrust_credentials(admin_client, site, kind):
    Backend.objects.filter(pk=site.backend_id).update(kind=kind, base_url=TC_DOMAIN, tc_uid="u")
    saved(save_site_in_admin(admin_client, site, show_rep_list="on"))


def test_admin_warns_when_api_tokens_cannot_make_session_keys(admin_client, backend, site):
    create_api_token(site=site, name="Zendesk")
    Site.objects.filter(pk=site.pk).update(show_rep_list=False)
    response = admin_client.post(
        reverse("admin:portal_backend_change", args=[backend.pk]), backend_form(backend), follow=True
    )
    found = [(m.level, str(m)) for m in response.context["messages"]]
    assert (
        messages.WARNING,
        "Appliance has no API client ID and secret: the integrations API of its sites "
        "refuses session keys and chat hand-offs until they are added (prefill links still work).",
    ) in found


@pytest.mark.parametrize("action", ["test_connection", "import_issues"])
def test_actions_say_the_credentials_are_missing(admin_client, backend, action):
    response = admin_client.post(
        reverse("admin:portal_backend_changelist"),
        {"action": action, "_selected_action": [backend.pk]},
        follow=True,
    )
    assert [(m.level, str(m)) for m in response.context["messages"]] == [
        (messages.ERROR, "Appliance: no API client ID and secret: add them to the backend first.")
    ]


# ------------------------------------------------------------------------------
# Legacy Bomgar: what the .ns start cannot carry
# ------------------------------------------------------------------------------
def test_legacy_backend_cannot_send_the_platform(admin_client):
    assert list(errors(save_backend(admin_client, kind="legacy", send_platform="on"))) == ["send_platform"]
    saved(save_backend(admin_client, kind="modern", send_platform="on"))


def test_switching_to_legacy_is_refused_while_sites_use_what_it_cannot_carry(
    admin_client, backend, site, issues
):
    Site.objects.filter(pk=site.pk).update(show_rep_list=False, chat_mode=Site.ChatMode.CHOICE)
    found = errors(save_backend(admin_client, backend, kind="legacy"))
    assert list(found) == ["kind"] and len(found["kind"]) == 2  # chat only; the printing issue's priority
    assert found["kind"][0].startswith("Site Acme Support: A legacy Bomgar start cannot be chat only")
    Site.objects.filter(pk=site.pk).update(chat_mode=Site.ChatMode.OFF)
    Issue.objects.filter(site=site).update(priority=None, skills="", vendor_id=1)
    saved(save_backend(admin_client, backend, kind="legacy"))


def legacy(site) -> Site:
    Backend.objects.filter(pk=site.backend_id).update(kind=Backend.Kind.LEGACY)
    Site.objects.filter(pk=site.pk).update(show_rep_list=False)
    return Site.objects.get(pk=site.pk)


def test_legacy_site_refuses_chat_only_and_a_chat_language(admin_client, site):
    site = legacy(site)
    for field, value in (("chat_mode", "always"), ("chat_locale", "cs-cs")):
        setattr(site, field, value)
        with pytest.raises(ValidationError) as caught:
            site.full_clean()
        assert list(caught.value.message_dict) == [field]
        site.refresh_from_db()
    # The admin's form has neither (docs/decisions/0103-admin-fields-by-vendor.md): a hand-made
    # POST of them changes nothing.
    saved(save_site_in_admin(admin_client, site, chat_mode="always", chat_locale="cs-cs"))
    site.refresh_from_db()
    assert (site.chat_mode, site.chat_locale) == ("off", "")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("priority", 1),
        ("skills", "printing"),
        ("chat_locale", "cs-cs"),
        ("chat", Issue.Chat.ALWAYS),
        ("vendor_id", None),
    ],
)
def test_legacy_issue_refuses_what_the_ns_start_cannot_carry(site, field, value):
    site = legacy(site)
    issue = Issue(site=site, code_name="printing", display_name="Printing", **{"vendor_id": 7, field: value})
    with pytest.raises(ValidationError) as caught:
        issue.full_clean()
    assert list(caught.value.message_dict) == [field]
    Issue(
        site=site, code_name="printing", display_name="Printing", vendor_id=7, chat=Issue.Chat.OFF
    ).full_clean()


@pytest.mark.parametrize(
    ("kind", "refusal"),
    [
        (
            Backend.Kind.LEGACY,
            "A legacy Bomgar start cannot carry custom fields: "
            "this one would never reach the representative.",
        ),
        (
            Backend.Kind.TAKECONTROL,
            "A Take Control start cannot carry custom fields: this one would never reach the technician.",
        ),
    ],
)
def test_a_site_whose_starts_carry_no_custom_fields_refuses_active_ones(site, kind, refusal):
    """The survey never asks for them there (forms.SurveyForm): an active one would be an admin's
    work that silently never shows."""
    Backend.objects.filter(pk=site.backend_id).update(kind=kind)
    site = Site.objects.get(pk=site.pk)
    with pytest.raises(ValidationError) as caught:
        CustomField(site=site, code_name="asset_tag", label="Asset tag").full_clean()
    assert caught.value.message_dict == {"active": [refusal]}
    CustomField(site=site, code_name="asset_tag", label="Asset tag", active=False).full_clean()


def take_control(site) -> Site:
    Backend.objects.filter(pk=site.backend_id).update(
        kind=Backend.Kind.TAKECONTROL, base_url=TC_DOMAIN, tc_uid="u|1", tc_public_key="02.pub"
    )
    Site.objects.filter(pk=site.pk).update(show_rep_list=False)
    return Site.objects.get(pk=site.pk)


def test_a_take_control_site_refuses_what_its_survey_would_silently_drop(admin_client, site):
    """A walk-through set chat only and reps in the issue menu on a Take Control site: the
    admin saved both, and the survey silently ignored them (a queued full-client request for
    an "always chat only" issue)."""
    site = take_control(site)
    site.chat_mode, site.show_reps_in_issue_menu = "choice", True
    with pytest.raises(ValidationError) as caught:
        site.full_clean()
    assert caught.value.message_dict == {
        "chat_mode": ["A Take Control start cannot be chat only: choose full client only."],
        "show_reps_in_issue_menu": [
            "Representatives in the issue menu are a BeyondTrust feature: turn this off for Take Control."
        ],
    }
    # The admin's form has neither (docs/decisions/0103-admin-fields-by-vendor.md): a hand-made
    # POST of them changes nothing.
    saved(save_site_in_admin(admin_client, site, chat_mode="choice", show_reps_in_issue_menu="on"))
    site.refresh_from_db()
    assert (site.chat_mode, site.show_reps_in_issue_menu) == ("off", False)
    with pytest.raises(ValidationError) as caught:
        Issue(site=site, code_name="vpn", display_name="VPN", chat=Issue.Chat.ALWAYS).full_clean()
    assert caught.value.message_dict == {
        "chat": ["A Take Control start cannot be chat only: choose full client only."]
    }
    Issue(site=site, code_name="vpn", display_name="VPN", chat=Issue.Chat.OFF).full_clean()


def test_a_backend_turned_take_control_names_the_sites_active_custom_fields(site, custom_fields):
    backend = site.backend
    backend.kind, backend.base_url = Backend.Kind.TAKECONTROL, TC_DOMAIN
    backend.tc_uid, backend.tc_public_key, backend.tc_private_key = "u|1", "02.pub", "02.priv"
    site.show_rep_list = False
    site.save()
    with pytest.raises(ValidationError) as caught:
        backend.full_clean()
    assert caught.value.message_dict["kind"] == [
        "Site Acme Support: A Take Control start cannot carry custom fields: deactivate them."
    ]
    CustomField.objects.update(active=False)
    backend.full_clean()


# ------------------------------------------------------------------------------
# Valid configurations still save
# ------------------------------------------------------------------------------
def test_the_demo_data_is_valid():
    call_command("portal_demo", "--no-user", stdout=io.StringIO())
    for model in (Backend, Site, Issue, CustomField):
        for obj in model.objects.all():
            obj.full_clean()


def test_the_suites_vendor_fixtures_are_valid(admin_client, site, issues, custom_fields):
    Backend.objects.filter(pk=site.backend_id).update(client_id="portal", client_secret="s3cret")
    site.refresh_from_db()
    for obj in (site.backend, site, *issues.values(), *custom_fields.values()):
        obj.full_clean()
    tc = Backend(
        name="TC",
        kind="takecontrol",
        base_url=TC_DOMAIN,
        tc_uid="u|1",
        tc_public_key="02.pub",
        tc_private_key="02.priv",
    )
    tc.full_clean()
    tc.tc_mode = "rest"
    tc.full_clean()


# ------------------------------------------------------------------------------
# portal_bootstrap refuses and warns the same way
# ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"BEYONDTRUST_CLIENT_ID": "portal"}, "BEYONDTRUST_CLIENT_SECRET"),
        ({"BEYONDTRUST_CLIENT_SECRET": "s3cr3t-value"}, "BEYONDTRUST_CLIENT_ID"),
        ({"BEYONDTRUST_URL": "https://support.example.com/api"}, "BEYONDTRUST_URL"),
    ],
)
def test_bootstrap_refuses_beyondtrust_settings_the_admin_refuses(monkeypatch, env, named):
    with pytest.raises(CommandError, match=f"Invalid BeyondTrust settings: {named}: ") as caught:
        run_portal_bootstrap(monkeypatch, {"BEYONDTRUST_URL": "https://support.example.com", **env})
    assert "s3cr3t-value" not in str(caught.value)
    assert not Backend.objects.exists()


def test_bootstrap_warns_about_what_the_site_asks_and_still_configures(monkeypatch):
    call_command("portal_demo", "--no-user", stdout=io.StringIO())  # chat choice, custom fields
    Site.objects.update(show_rep_list=True)
    out = run_portal_bootstrap(
        monkeypatch, {"BEYONDTRUST_URL": "https://support.example.com", "BEYONDTRUST_STYLE": "legacy"}
    )
    assert "created backend" in out
    assert (
        "site 'Example Support': The representative list needs the backend's API client ID and secret" in out
    )
    assert "A legacy Bomgar start cannot be chat only" in out
    assert "A legacy Bomgar start cannot carry custom fields" in out
    assert Site.objects.get(is_default=True).backend.kind == Backend.Kind.LEGACY


def test_remove_the_stored_value_is_offered_only_when_one_is_stored(admin_client, backend):
    from tests.parsed_html import elements

    def offered(url) -> bool:
        html = admin_client.get(url).content.decode()
        return [box.attrs.get("type") for box in elements(html, "input", name="clear_client_secret")] == [
            "checkbox"
        ]

    assert not offered(reverse("admin:portal_backend_add"))
    change = reverse("admin:portal_backend_change", args=[backend.pk])
    assert not offered(change)
    Backend.objects.filter(pk=backend.pk).update(client_id="portal", client_secret="stored-s3cret")
    assert offered(change)
    backend.refresh_from_db()
    saved(save_backend(admin_client, backend, client_secret=""))  # empty: keep the stored one
    backend.refresh_from_db()
    assert backend.client_secret == "stored-s3cret"


# ------------------------------------------------------------------------------
# An address is an address: nothing in it may reach a header as something else
# ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "address",
    [
        "https://support.example.com *; report-uri https:evil.example",  # sources and a directive
        "https://support.example.com;sandbox",
        "https://support.example.com,evil.example",
        "https://support.example.com%20evil.example",
        "https://support.example.com\r\nX-Injected: 1",
    ],
)
def test_an_address_with_more_than_a_host_is_refused_and_never_reaches_the_pages_policy(
    admin_client, client, site, address
):
    found = errors(save_backend(admin_client, site.backend, base_url=address))
    assert found["base_url"] == ["Enter a full URL such as https://support.example.com."]
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "evil" not in policy and "report-uri" not in policy and "sandbox" not in policy


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"base_url": "https://api.us0.swi-rc.com/rest x"}, "base_url"),
        ({"base_url": "https://api.us0.swi-rc.com *;script-src *"}, "base_url"),
        (
            {"tc_pin_url_template": "https://startcontrol.com *;report-uri https:evil.example/{pin}"},
            "tc_pin_url_template",
        ),
        ({"tc_pin_url_template": "https://startcontrol.com/{pin}\r\nX-Injected: 1"}, "tc_pin_url_template"),
    ],
)
def test_take_control_addresses_are_held_to_a_host_and_a_clean_path(admin_client, fields, field):
    found = errors(save_backend(admin_client, **{**TC, "tc_uid": "e14887a6|2109", **fields}))
    assert list(found) == [field]
    assert found[field][0].startswith("Enter a full URL such as https://")


@pytest.mark.parametrize(
    "address",
    [
        "https://support.example.com",
        "https://support.example.com.:8443",
        "http://127.0.0.1:9",
    ],
)
def test_hosts_ports_and_loopback_addresses_still_pass(admin_client, address):
    saved(save_backend(admin_client, base_url=address))


@pytest.mark.parametrize(
    "address",
    [
        "https://[zz]",  # urlsplit raises ValueError on a bracketed host that is no IP address
        "https://[2001:db8::1",
        "https://support.example.com:99999",  # no such port: the client could never connect
        "https://support.example.com:0",
    ],
)
def test_an_address_urlsplit_cannot_read_or_with_no_port_is_refused_not_a_500(admin_client, address):
    found = errors(save_backend(admin_client, base_url=address))
    assert found["base_url"] == ["Enter a full URL such as https://support.example.com."]


@pytest.mark.parametrize(
    "address",
    ["https://xn--exmple-cua.example", "https://support.example.com:65535"],
)
def test_punycode_and_the_highest_port_pass(admin_client, address):
    saved(save_backend(admin_client, base_url=address))


IPV6_MESSAGE = (
    "Use a host name, not an IPv6 address: browsers ignore IPv6 addresses in a page's security policy."
)


@pytest.mark.parametrize(
    "address", ["https://[2001:db8::1]:8443", "http://[::1]:8080", "https://[::ffff:10.0.0.1]"]
)
def test_an_ipv6_address_is_refused_where_it_is_typed(admin_client, address):
    """A customer page's CSP names the backend's origin in form-action, and a CSP source cannot
    be an IPv6 address (Chromium drops it: the start's redirect would be refused)."""
    assert errors(save_backend(admin_client, base_url=address))["base_url"] == [IPV6_MESSAGE]


def test_an_ipv6_frame_origin_is_refused_and_a_named_one_kept(site):
    from django.core.exceptions import ValidationError

    site.show_rep_list = False  # the fixture's backend has no API client: not this test's point
    site.frame_ancestors = "https://help.example.com\nhttps://[2001:db8::7]:8443"
    with pytest.raises(ValidationError) as refused:
        site.full_clean()
    assert refused.value.message_dict["frame_ancestors"] == [IPV6_MESSAGE]
    site.frame_ancestors = "https://help.example.com"
    site.full_clean()
