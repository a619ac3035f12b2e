"""Admin says which enabled languages lack a translation, per site, issue and custom field,
and warns on save without ever refusing it."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.contrib.messages import WARNING, get_messages
from django.urls import reverse

from portal.models import DEFAULT_WARNING, CustomField, CustomFieldTranslation, Issue, IssueTranslation, Site
from tests.parsed_html import element, elements

pytestmark = pytest.mark.django_db


class FormValues(HTMLParser):
    """What a browser would submit from the page's form: inputs, selects and textareas."""

    def __init__(self):
        super().__init__()
        self.values: list[tuple[str, str]] = []
        self._select = self._textarea = None
        self._options: list[tuple[str, bool]] = []
        self._text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in {"submit", "button", "file"}:
            if attrs.get("type") in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self.values.append((name, attrs.get("value", "on")))
            else:
                self.values.append((name, attrs.get("value", "")))
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select:
            self._options.append((attrs.get("value", ""), "selected" in attrs))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data):
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            chosen = [value for value, selected in self._options if selected]
            self.values += [(self._select, value) for value in chosen]
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.values.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None


def change_form_data(admin_client, url: str, **changes) -> dict:
    parser = FormValues()
    parser.feed(admin_client.get(url).content.decode())
    data: dict = {}
    for name, value in parser.values:
        data.setdefault(name, []).append(value)
    data.update({name: value for name, value in changes.items()})
    return data


def column(html: str) -> list[str]:
    """The "Missing translations" cells of a change list, row by row."""
    return [cell.text for cell in elements(html, "td", class_="field-missing_translations")]


def readonly_value(html: str) -> str:
    """The read-only "Missing translations" value of a change form."""
    row = element(html, "div", class_="field-missing_translations")
    return element(row, "div", class_="readonly").text


def warnings(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if m.level == WARNING]


@pytest.fixture
def three_languages(site):
    # The site keeps its default rep list, which a modern backend can only serve with API
    # credentials: without them the site's admin form is refused (backend validation).
    site.backend.client_id, site.backend.client_secret = "id", "secret"
    site.backend.save()
    site.enabled_languages = ["en-us", "de", "ja"]
    site.save()
    return site


def test_issue_list_and_form_name_the_missing_languages(admin_client, three_languages, issues):
    IssueTranslation.objects.create(issue=issues["printing"], language="de", display_name="Drucken")
    listing = admin_client.get(reverse("admin:portal_issue_changelist")).content.decode()
    assert "Missing translations" in listing
    # printing lacks Japanese; vpn and the retired issue lack both
    assert column(listing) == ["日本語", "Deutsch, 日本語", "Deutsch, 日本語"]
    form = admin_client.get(
        reverse("admin:portal_issue_change", args=[issues["printing"].pk])
    ).content.decode()
    assert readonly_value(form) == "日本語"


def test_saving_an_issue_warns_after_its_translations_are_saved_and_never_blocks(
    admin_client, three_languages, issues
):
    url = reverse("admin:portal_issue_change", args=[issues["vpn"].pk])
    data = change_form_data(
        admin_client,
        url,
        display_name="VPN access",
        **{
            "translations-TOTAL_FORMS": "1",
            "translations-0-language": "de",
            "translations-0-display_name": "VPN-Zugang",
            "translations-0-description": "",
        },
    )
    response = admin_client.post(url, data, follow=True)
    assert response.status_code == 200
    assert Issue.objects.get(pk=issues["vpn"].pk).display_name == "VPN access"  # saved
    assert IssueTranslation.objects.filter(issue=issues["vpn"], language="de").exists()
    # German came with this very save, so only Japanese is named.
    [warning] = warnings(response)
    assert "日本語" in warning and "Deutsch" not in warning


def test_a_fully_translated_issue_saves_without_warning(admin_client, three_languages, issues):
    for language, name in (("de", "VPN-Zugang"), ("ja", "VPN 接続")):
        IssueTranslation.objects.create(issue=issues["vpn"], language=language, display_name=name)
    url = reverse("admin:portal_issue_change", args=[issues["vpn"].pk])
    response = admin_client.post(url, change_form_data(admin_client, url), follow=True)
    assert response.status_code == 200 and warnings(response) == []
    assert readonly_value(admin_client.get(url).content.decode()) == "—"


def test_the_warning_comes_back_only_when_a_save_bears_on_the_translations(
    admin_client, three_languages, issues
):
    """A walk-through: every save repeated "Not yet translated into", down to a change that
    touches no text. It comes after a save that changes a translated text, a translation or
    which languages are missing, and not after one that changes none of them."""
    url = reverse("admin:portal_issue_change", args=[issues["vpn"].pk])
    untouched = admin_client.post(url, change_form_data(admin_client, url, order="7"), follow=True)
    assert Issue.objects.get(pk=issues["vpn"].pk).order == 7  # saved
    assert warnings(untouched) == []
    assert readonly_value(admin_client.get(url).content.decode()) == "Deutsch, 日本語"  # still said

    renamed = admin_client.post(
        url, change_form_data(admin_client, url, display_name="VPN access"), follow=True
    )
    [warning] = warnings(renamed)
    assert "Deutsch" in warning and "日本語" in warning

    # The site's own texts (its warning) lack German and Japanese: a save of the site that
    # touches no text is quiet, one that enables French says French is missing too.
    site_url = reverse("admin:portal_site_change", args=[three_languages.pk])
    quiet = admin_client.post(
        site_url, change_form_data(admin_client, site_url, name="Acme Help"), follow=True
    )
    assert Site.objects.get(pk=three_languages.pk).name == "Acme Help" and warnings(quiet) == []
    data = change_form_data(admin_client, site_url)
    data["enabled_languages"] = [*data["enabled_languages"], "fr"]
    [warning] = warnings(admin_client.post(site_url, data, follow=True))
    assert "Français" in warning and "Deutsch" in warning


def test_custom_field_needs_label_help_and_every_choice_label(three_languages, custom_fields):
    from portal.translation_coverage import missing_field_languages

    urgency = custom_fields["urgency"]
    urgency.help_text = "How soon?"
    urgency.save()
    CustomFieldTranslation.objects.create(
        field=urgency,
        language="de",
        label="Dringlichkeit",
        help_text="Wie bald?",
        choices="low|Niedrig\nhigh|Hoch",
    )
    CustomFieldTranslation.objects.create(
        field=urgency, language="ja", label="緊急度", help_text="いつまでに?", choices="low|低"
    )  # "high" is missing
    assert missing_field_languages(CustomField.objects.get(pk=urgency.pk)) == ["ja"]
    CustomFieldTranslation.objects.filter(field=urgency, language="de").update(help_text="")
    assert missing_field_languages(CustomField.objects.get(pk=urgency.pk)) == ["de", "ja"]


def test_custom_field_admin_warns_on_save(admin_client, three_languages, custom_fields):
    field = custom_fields["asset_tag"]
    url = reverse("admin:portal_customfield_change", args=[field.pk])
    response = admin_client.post(url, change_form_data(admin_client, url, label="Asset number"), follow=True)
    assert CustomField.objects.get(pk=field.pk).label == "Asset number"
    [warning] = warnings(response)
    assert "Deutsch, 日本語" in warning
    assert (
        column(admin_client.get(reverse("admin:portal_customfield_changelist")).content.decode())[0]
        == "Deutsch, 日本語"
    )


def test_site_counts_its_own_texts_but_not_the_built_in_ones(admin_client, three_languages):
    from portal.translation_coverage import missing_site_languages

    site = three_languages
    site.warning_text = str(DEFAULT_WARNING)
    site.external_key_label = "Ticket number"
    site.external_key_field = "hidden"  # a label nobody sees needs no translation
    site.save()
    assert missing_site_languages(Site.objects.get(pk=site.pk)) == []
    url = reverse("admin:portal_site_change", args=[site.pk])
    data = change_form_data(
        admin_client,
        url,
        welcome_text="Welcome!",
        **{
            "translations-TOTAL_FORMS": "1",
            "translations-0-language": "ja",
            "translations-0-welcome_text": "ようこそ！",
        },
    )
    response = admin_client.post(url, data, follow=True)
    assert Site.objects.get(pk=site.pk).welcome_text == "Welcome!"
    assert any("Deutsch" in w and "日本語" not in w for w in warnings(response))
    assert column(admin_client.get(reverse("admin:portal_site_changelist")).content.decode()) == ["Deutsch"]


def test_all_sixteen_languages_when_none_are_ticked(site, issues):
    from portal.translation_coverage import missing_issue_languages

    assert site.enabled_languages == [] and site.default_language == "en-us"
    assert len(missing_issue_languages(issues["printing"])) == 15


@pytest.mark.parametrize(("language", "colon"), [("ja", "："), ("zh-hans", "："), ("zh", "："), ("de", ":")])
def test_admin_labels_end_in_the_languages_own_colon(admin_client, site, language, colon):
    """A walk-through: the Japanese admin wrote "配色:" with Django's half-width label suffix,
    where the customer pages write "：". Japanese and Chinese take the full-width colon; other
    languages keep Django's own."""
    url = reverse("admin:portal_site_change", args=[site.pk])
    html = admin_client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    label = element(html, "label", **{"for": "id_name"}).text
    assert label.endswith(colon) and not label.endswith(f" {colon}"), label
