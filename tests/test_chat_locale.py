"""chat_locale: any well-formed language code, per site and per issue, passed through to the
chat exactly (it exists for languages the appliance lacks, e.g. cs-cs); `locale` stays one of
the appliance's 16 languages (docs/decisions/0030-customer-language.md)."""

import pytest
from django.urls import reverse

from portal.models import Issue, Site
from tests.conftest import APPLIANCE, form_data, query_of, save_site_in_admin
from tests.parsed_html import element, elements

pytestmark = pytest.mark.django_db


def save_issue(admin_client, issue, **fields):
    data = {
        "site": issue.site_id,
        "display_name": issue.display_name,
        "code_name": issue.code_name,
        "order": "1",
        "active": "on",
        "chat": "site",
        "skills": "",
        "translations-TOTAL_FORMS": "0",
        "translations-INITIAL_FORMS": "0",
        **fields,
    }
    return admin_client.post(reverse("admin:portal_issue_change", args=[issue.pk]), data)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("cs-cs", "cs-cs"),
        ("CS-CZ", "cs-cz"),
        ("  sk_SK ", "sk-sk"),
        ("haw", "haw"),
        ("zh-hant-tw", "zh-hant-tw"),
        ("sr-latn-rs", "sr-latn-rs"),
        ("es-419", "es-419"),
        ("", ""),
    ],
)
def test_site_chat_locale_takes_any_well_formed_code(admin_client, site, typed, stored):
    response = save_site_in_admin(admin_client, site, chat_locale=typed)
    assert response.status_code == 302, response.context["adminform"].form.errors
    site.refresh_from_db()
    assert site.chat_locale == stored


BAD_CODES = [
    "c",
    "czech",
    "cs-",
    "cs--cz",
    "-cs",
    "1a-bb",
    "cs-c",
    "cs-abcdefghi",
    "cs cz",
    "cs-cz;x=1",
    "cs-cz\nX",
    "čs-cz",
    "en-" + "-".join(["abcdefgh"] * 4),
]


@pytest.mark.parametrize("typed", BAD_CODES)
def test_site_chat_locale_refuses_anything_else(admin_client, site, typed):
    response = save_site_in_admin(admin_client, site, chat_locale=typed)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["chat_locale"]
    site.refresh_from_db()
    assert site.chat_locale == ""


def test_site_admin_documents_the_pass_through(admin_client, site):
    html = admin_client.get(reverse("admin:portal_site_change", args=[site.pk])).content.decode()
    assert element(html, name="chat_locale") and "GeoFluent" in html and "cs-cs" in html
    # The customer's language stays one of the appliance's 16.
    languages = [
        option.attrs["value"]
        for option in elements(element(html, "select", name="default_language"), "option")
    ]
    assert len(languages) >= 16 and "cs-cs" not in languages


def test_locale_stays_limited_to_the_appliance_languages(admin_client, site):
    response = save_site_in_admin(admin_client, site, default_language="cs-cs")
    assert "default_language" in response.context["adminform"].form.errors


@pytest.mark.parametrize("typed", BAD_CODES[:4])
def test_issue_chat_locale_refuses_malformed_codes(admin_client, issues, typed):
    response = save_issue(admin_client, issues["printing"], chat_locale=typed)
    assert list(response.context["adminform"].form.errors) == ["chat_locale"]


def test_issue_chat_locale_is_normalised(admin_client, issues):
    assert save_issue(admin_client, issues["printing"], chat_locale="SK_sk").status_code == 302
    assert Issue.objects.get(pk=issues["printing"].pk).chat_locale == "sk-sk"


def start(client, **fields):
    data = {"issue": "printing", "name": "Jana", "details": "Tiskárna netiskne", "locale": "de", **fields}
    response = client.post("/survey/", form_data(**data))
    assert response.status_code == 303
    return response["Location"]


def test_start_url_sends_the_sites_chat_locale_exactly(client, site, issues):
    Site.objects.filter(pk=site.pk).update(chat_locale="cs-cs")
    url = start(client)
    assert url.startswith(f"{APPLIANCE}/api/start_session?")
    assert query_of(url) == [
        ("issue_menu", "1"),
        ("codeName", "printing"),
        ("customer.name", "Jana"),
        ("customer.details", "Tiskárna netiskne"),
        ("locale", "de"),
        ("chat_locale", "cs-cs"),
        ("session.priority", "1"),
        ("session.skills", "printing,windows"),
    ]


def test_issue_chat_locale_overrides_the_sites(client, site, issues):
    Site.objects.filter(pk=site.pk).update(chat_locale="cs-cs")
    Issue.objects.filter(pk=issues["printing"].pk).update(chat_locale="sk-sk")
    Issue.objects.filter(pk=issues["vpn"].pk).update(chat_locale="")
    printing = dict(query_of(start(client)))
    assert (printing["locale"], printing["chat_locale"]) == ("de", "sk-sk")
    vpn = query_of(start(client, issue="vpn"))
    assert vpn == [
        ("issue_menu", "1"),
        ("id", "42"),
        ("customer.name", "Jana"),
        ("customer.details", "Tiskárna netiskne"),
        ("locale", "de"),
        ("chat_locale", "cs-cs"),
    ]


def test_no_chat_locale_no_parameter(client, site, issues):
    assert "chat_locale" not in dict(query_of(start(client)))


def test_key_start_sends_the_sites_chat_locale(client, site):
    Site.objects.filter(pk=site.pk).update(chat_locale="cs-cs")
    response = client.post("/key/", form_data(key="1234567", locale="ja"))
    assert query_of(response["Location"]) == [
        ("short_key", "1234567"),
        ("locale", "ja"),
        ("chat_locale", "cs-cs"),
    ]
