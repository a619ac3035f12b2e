"""A site's own words shown untranslated carry their language
(docs/decisions/0109-language-of-untranslated-site-texts.md): on a page in another language
than the site's default, the element that shows an issue name, a field's label, help or
choices, or a site text the admin did not translate says `lang`, so that a screen reader
speaks it, and a browser hyphenates it, by its own language's rules."""

from __future__ import annotations

import copy
import pickle

import pytest
from django.utils import translation

from portal.languages import InLanguage
from portal.models import DEFAULT_WARNING, CustomFieldTranslation, Issue, IssueTranslation, SiteTranslation
from tests.conftest import form_data
from tests.parsed_html import Element, element, elements

pytestmark = pytest.mark.django_db


def lang_of(html: str, text: str) -> str | None:
    """The language in effect for `text` below <html>: the `lang` of the nearest element around
    the innermost one whose text it is, None if only the page's own applies."""
    found: list[str | None] = []

    def walk(node: Element, lang: str | None) -> None:
        lang = node.attrs.get("lang", lang) if node.tag != "html" else None
        if node.text == text:
            found.append(lang)  # outer first; an element inside replaces it below
        for child in node.parts:
            if isinstance(child, Element):
                walk(child, lang)

    walk(element(html, "html"), None)
    assert found, f"{text!r} is not on the page"
    return found[-1]


def test_untranslated_issue_names_and_field_texts_say_their_language(client, site, issues, custom_fields):
    custom_fields["asset_tag"].help_text = "On the sticker under the laptop."
    custom_fields["asset_tag"].save()
    IssueTranslation.objects.create(issue=issues["vpn"], language="de", display_name="VPN-Zugang")
    CustomFieldTranslation.objects.create(
        field=custom_fields["urgency"], language="de", label="Dringlichkeit", choices="low|Niedrig"
    )
    html = client.get("/survey/?locale=de").content.decode()

    assert element(html, "html").attrs["lang"] == "de"
    # The site's default is American English: what the admin wrote and did not translate.
    assert lang_of(html, "Printing") == "en-US"
    assert lang_of(html, "Asset tag") == "en-US"
    assert lang_of(html, "On the sticker under the laptop.") == "en-US"
    [high] = elements(html, "option", value="high")
    assert high.text == "High" and high.attrs["lang"] == "en-US"
    # Translated: the page's language, no mark of its own.
    assert lang_of(html, "VPN-Zugang") is None
    urgency = element(html, "label", **{"for": "id_cf_urgency"})
    assert urgency.text.startswith("Dringlichkeit") and not elements(urgency, lang=True)
    [low] = elements(html, "option", value="low")
    assert low.text == "Niedrig" and "lang" not in low.attrs
    # The portal's own words around them stay in the page's language: "(optional)" is outside
    # the marked name.
    label = element(html, "label", **{"for": "id_cf_asset_tag"})
    assert label.text == "Asset tag (optional)" and "lang" not in label.attrs
    assert element(label, "span", lang="en-US").text == "Asset tag"
    # "Only for: Printing": the issue named in the list keeps its language.
    assert element(element(html, "p", **{"class": "for-issues"}), "span").attrs["lang"] == "en-US"


def test_a_page_in_the_sites_own_language_marks_nothing(client, site, issues, custom_fields):
    html = client.get("/survey/?locale=en-us").content.decode()
    assert "Printing" in html and "Asset tag" in html
    # (The language menu names each language in itself, as it always did.)
    assert elements(element(html, "main"), lang=True) == []


def test_the_default_language_decides_what_the_texts_are_in(client, site, issues, custom_fields):
    site.default_language = "de"
    site.welcome_text = "Willkommen beim Support."
    site.save()
    Issue.objects.filter(pk=issues["printing"].pk).update(display_name="Drucken")
    english = client.get("/?locale=en-us").content.decode()
    assert lang_of(english, "Willkommen beim Support.") == "de"
    assert lang_of(client.get("/survey/?locale=en-us").content.decode(), "Drucken") == "de"
    assert lang_of(client.get("/?locale=de").content.decode(), "Willkommen beim Support.") is None


def test_site_texts_are_marked_until_translated(client, site, issues):
    site.welcome_text = "Welcome to Acme support."
    site.notice_text = "Maintenance on Sunday."
    site.consent_text = "I agree to the terms."
    site.save()
    SiteTranslation.objects.create(site=site, language="fr", welcome_text="Bienvenue chez Acme.")

    french = client.get("/?locale=fr").content.decode()
    assert lang_of(french, "Bienvenue chez Acme.") is None
    assert lang_of(french, "Maintenance on Sunday.") == "en-US"  # not translated into French

    survey = client.get("/survey/?locale=fr").content.decode()
    assert element(survey, "div", **{"class": "consent-text"}).attrs["lang"] == "en-US"
    # The fixture's warning is the admin's own; the built-in one would be in French.
    assert lang_of(survey, "Only continue if you called us.") == "en-US"


def test_the_built_in_texts_speak_the_pages_language(client, site, issues):
    """The portal's own default warning, stored as an English admin saved it, is shown in
    French on a French page: it is not marked as English."""
    with translation.override("en-us"):
        site.warning_text = str(DEFAULT_WARNING)
    site.save()
    with translation.override("fr"):
        french = " ".join(str(DEFAULT_WARNING).split())
    html = client.get("/key/?locale=fr").content.decode()
    paragraph = element(element(html, "div", **{"class": "warning"}), "p")
    assert paragraph.text == french
    assert "lang" not in paragraph.attrs


def test_a_marked_text_keeps_its_language_when_cached_or_copied():
    text = InLanguage("Drucken", "de")
    for kept in (pickle.loads(pickle.dumps(text)), copy.deepcopy(text), copy.copy(text)):
        assert kept == "Drucken" and kept.lang == "de"


def test_the_error_summary_names_an_untranslated_field_in_its_language(client, site, issues, custom_fields):
    """The summary leads each error with the field's label: the label keeps its language there
    too, and the colon and the message after it are the page's."""
    data = {"issue": "printing", "name": "Jane Doe", "company": "Acme", "details": "Offline"}
    html = client.post("/survey/", form_data(**data, cf_printer_model="", locale="de")).content.decode()
    [link] = elements(element(html, "div", id="error-summary"), "a", href="#id_cf_printer_model")
    assert link.text.startswith("Printer model: ")
    assert "lang" not in link.attrs
    assert element(link, "span", lang="en-US").text == "Printer model"
    # A label the page's language has (the portal's own, or translated) is not marked.
    html = client.post("/survey/", form_data(**{**data, "name": ""}, locale="de")).content.decode()
    [name] = elements(element(html, "div", id="error-summary"), "a", href="#id_name")
    assert elements(name, lang=True) == []


def test_a_marked_label_is_still_escaped(client, site, issues, custom_fields):
    custom_fields["printer_model"].label = "Model <b>&</b>"
    custom_fields["printer_model"].save()
    data = {"issue": "printing", "name": "Jane Doe", "company": "Acme", "details": "Offline"}
    html = client.post("/survey/", form_data(**data, cf_printer_model="", locale="de")).content.decode()
    assert "<b>" not in html and html.count("Model &lt;b&gt;&amp;&lt;/b&gt;") == 2  # the label, the summary
    [link] = elements(element(html, "div", id="error-summary"), "a", href="#id_cf_printer_model")
    assert element(link, "span", lang="en-US").text == "Model <b>&</b>"
