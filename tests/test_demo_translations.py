"""The demo speaks all 16 languages: every site text, issue name and custom field it creates has
a translation in each, and the customer pages show them."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.management import call_command

from portal.management.demo_texts import FORMER_TEXTS, SITE_TEXT_FIELDS, SOURCE, TEXTS, URGENCY_VALUES
from portal.models import CustomField, CustomFieldTranslation, Issue, IssueTranslation, Site, SiteTranslation
from portal.text_rules import numbers_kept_whole
from portal.translation_coverage import (
    missing_field_languages,
    missing_issue_languages,
    missing_site_languages,
)
from tests.test_translations import (
    FRENCH_SPACED_MARK,
    PROSE_COLON,
    RUSSIAN_LOOSE_DASH,
    RUSSIAN_LOOSE_ONE_LETTER_WORD,
)

pytestmark = pytest.mark.django_db
LANGUAGES = [code for code, _name in settings.LANGUAGES]


@pytest.fixture
def demo():
    call_command("portal_demo", "--no-user", stdout=io.StringIO())
    return Site.objects.get(is_default=True)


def english_strings() -> list[str]:
    strings = [SOURCE[field] for field in SITE_TEXT_FIELDS]
    for name, description in SOURCE["issues"].values():
        strings += [name, description]
    for label, help_text in SOURCE["fields"].values():
        strings += [label, help_text]
    return [s for s in strings + list(SOURCE["urgency"]) if s]


def test_the_texts_cover_all_sixteen_languages_and_differ_from_english():
    assert sorted(TEXTS) == sorted(LANGUAGES)
    for language, texts in TEXTS.items():
        assert set(texts["issues"]) == set(SOURCE["issues"]) and set(texts["fields"]) == set(SOURCE["fields"])
        assert len(texts["urgency"]) == len(URGENCY_VALUES)
        if language == "en-us":
            continue
        words = [texts[field] for field in SITE_TEXT_FIELDS] + list(texts["urgency"])
        words += [text for pair in (*texts["issues"].values(), *texts["fields"].values()) for text in pair]
        assert not set(words) & set(english_strings()), language


def test_every_demo_text_has_a_translation_in_every_language(demo):
    assert sorted(SiteTranslation.objects.filter(site=demo).values_list("language", flat=True)) == sorted(
        LANGUAGES
    )
    for row in SiteTranslation.objects.filter(site=demo):
        assert all(getattr(row, field) == TEXTS[row.language][field] for field in SITE_TEXT_FIELDS)
    for issue in Issue.objects.filter(site=demo):
        rows = {row.language: row for row in IssueTranslation.objects.filter(issue=issue)}
        assert sorted(rows) == sorted(LANGUAGES)
        assert all(rows[code].display_name == TEXTS[code]["issues"][issue.code_name][0] for code in LANGUAGES)
    for field in CustomField.objects.filter(site=demo):
        rows = {row.language: row for row in CustomFieldTranslation.objects.filter(field=field)}
        assert sorted(rows) == sorted(LANGUAGES)
        for code, row in rows.items():
            assert (row.label, row.help_text) == TEXTS[code]["fields"][field.code_name]
            if field.field_type == CustomField.Type.CHOICE:
                labels = dict(line.split("|") for line in row.choices.splitlines())
                assert labels == dict(zip(URGENCY_VALUES, TEXTS[code]["urgency"], strict=True))
    # ... and so admin has nothing to report, whatever the default language.
    for default in ("en-us", "ja"):
        Site.objects.filter(pk=demo.pk).update(default_language=default)
        site = Site.objects.get(pk=demo.pk)
        assert missing_site_languages(site) == []
        assert all(missing_issue_languages(issue) == [] for issue in site.issues.all())
        assert all(missing_field_languages(field) == [] for field in site.custom_fields.all())


def test_rerunning_the_demo_keeps_what_an_admin_wrote_and_fills_what_is_empty(demo):
    label = CustomFieldTranslation.objects.get(field__code_name="asset_tag", language="de")
    label.label, label.help_text = "Gerätenummer", ""
    label.save()
    SiteTranslation.objects.filter(site=demo, language="ja").update(notice_text="")
    IssueTranslation.objects.filter(issue__code_name="other", language="fr").delete()
    call_command("portal_demo", "--no-user", stdout=io.StringIO())
    label.refresh_from_db()
    assert label.label == "Gerätenummer"  # the admin's
    assert label.help_text == TEXTS["de"]["fields"]["asset_tag"][1]  # filled in again
    assert SiteTranslation.objects.get(site=demo, language="ja").notice_text == TEXTS["ja"]["notice_text"]
    assert IssueTranslation.objects.get(issue__code_name="other", language="fr").display_name == "Autre chose"
    assert IssueTranslation.objects.count() == 4 * 16 and CustomFieldTranslation.objects.count() == 3 * 16


def test_rerunning_the_demo_updates_a_text_only_while_it_is_as_an_earlier_demo_wrote_it(demo):
    """A demo database from before a wording changed kept the old Japanese asset-tag help
    ("（例: LT-4471）") for good, as the demo filled only empty texts. A text still exactly as
    the demo wrote it is the demo's to update; one an admin changed, even slightly, stays."""
    [old_help] = FORMER_TEXTS["ja"]["fields"]["asset_tag"]["help_text"]
    [old_consent] = FORMER_TEXTS["zh"]["consent_text"]
    [old_vpn] = FORMER_TEXTS["ru"]["issues"]["vpn"]["display_name"]
    CustomFieldTranslation.objects.filter(field__code_name="asset_tag", language="ja").update(
        help_text=old_help
    )
    SiteTranslation.objects.filter(site=demo, language="zh").update(consent_text=old_consent)
    IssueTranslation.objects.filter(issue__code_name="vpn", language="ru").update(display_name=old_vpn)
    # An admin's edit of an old demo text, and an old text in another language's row, stay.
    SiteTranslation.objects.filter(site=demo, language="ja").update(consent_text=old_consent)
    edited = old_help.replace("LT-4471", "PC-0001")
    CustomFieldTranslation.objects.filter(field__code_name="asset_tag", language="zh").update(
        help_text=edited
    )
    call_command("portal_demo", "--no-user", stdout=io.StringIO())
    ja_field = CustomFieldTranslation.objects.get(field__code_name="asset_tag", language="ja")
    assert (
        ja_field.help_text
        == TEXTS["ja"]["fields"]["asset_tag"][1]
        == "コンピューターに貼られているシール（例：LT-4471）。"
    )
    assert SiteTranslation.objects.get(site=demo, language="zh").consent_text == TEXTS["zh"]["consent_text"]
    assert (
        IssueTranslation.objects.get(issue__code_name="vpn", language="ru").display_name
        == "VPN и\u00a0удалённый доступ"
    )
    assert SiteTranslation.objects.get(site=demo, language="ja").consent_text == old_consent
    assert CustomFieldTranslation.objects.get(field__code_name="asset_tag", language="zh").help_text == edited


def test_each_former_demo_text_is_one_the_demo_no_longer_writes():
    """FORMER_TEXTS names texts of TEXTS' own places (a typo there would update nothing), and
    none is today's text, which would make every run rewrite it."""

    def places(texts: dict, path=()):
        for key, value in texts.items():
            yield from places(value, (*path, key)) if isinstance(value, dict) else [((*path, key), value)]

    current = {}
    for language, texts in TEXTS.items():
        current.update({(language, field): texts[field] for field in SITE_TEXT_FIELDS})
        for kind, names in (("issues", ("display_name", "description")), ("fields", ("label", "help_text"))):
            for code, pair in texts[kind].items():
                current.update(
                    {(language, kind, code, name): text for name, text in zip(names, pair, strict=True)}
                )
    former = list(places(FORMER_TEXTS))
    assert former
    for place, olds in former:
        assert place in current, place
        assert olds and current[place] not in olds, place


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en-us"])
def test_demo_pages_show_no_english_demo_text(client, demo, language):
    html = "".join(
        client.get(f"{path}?locale={language}").content.decode() for path in ("/", "/survey/", "/key/")
    )
    texts = TEXTS[language]
    for expected in (
        texts["welcome_text"],
        texts["consent_text"],
        texts["external_key_label"],
        texts["issues"]["printing"][0],
        numbers_kept_whole(texts["fields"]["asset_tag"][1]),  # help keeps "LT-4471" on one line
        texts["urgency"][2],
    ):
        assert expected.replace("'", "&#x27;") in html
    leftovers = [text for text in english_strings() if text in html]
    assert leftovers == []


def demo_words(language: str) -> list[str]:
    texts = TEXTS[language]
    words = [texts[field] for field in SITE_TEXT_FIELDS] + list(texts["urgency"])
    return words + [text for pair in (*texts["issues"].values(), *texts["fields"].values()) for text in pair]


@pytest.mark.parametrize(
    ("language", "rule"),
    [("fr", FRENCH_SPACED_MARK), ("ru", RUSSIAN_LOOSE_ONE_LETTER_WORD), ("ru", RUSSIAN_LOOSE_DASH)],
)
def test_french_and_russian_demo_texts_keep_the_catalogs_no_break_spaces(language, rule):
    """The demo's texts are the project's, not an admin's: they follow the catalogs' rules, a
    no-break space before a French colon, after a Russian one-letter word ("Принтеры с
    печатью" broke after "с") and before a Russian dash."""
    assert [text for text in demo_words(language) if rule.search(text)] == []


@pytest.mark.parametrize("language", ["ja", "zh", "zh-hans"])
def test_japanese_and_chinese_demo_texts_write_the_full_width_colon(language):
    """A walk-through of the Japanese survey read the asset tag's help as "（例: LT-4471）",
    beside the portal's own "（例：123 4567）": the demo's texts follow the catalogs' rule."""
    texts = TEXTS[language]
    words = [texts[field] for field in SITE_TEXT_FIELDS] + list(texts["urgency"])
    words += [text for pair in (*texts["issues"].values(), *texts["fields"].values()) for text in pair]
    assert [text for text in words if PROSE_COLON.search(text)] == []
