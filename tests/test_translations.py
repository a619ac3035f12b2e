"""Every UI string is translated into all 16 languages (docs/decisions/0030-customer-language.md),
placeholders intact."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent.parent / "portal" / "locale"
TRANSLATED = [
    "de",
    "es",
    "es_SP",
    "fi",
    "fr",
    "it",
    "nl",
    "pt_BR",
    "pt_PT",
    "sv_SE",
    "tr",
    "ja",
    "zh_Hans",
    "zh",
    "ru",
]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdf]|%\(\w+\)\.\df|%[sd]|__N__|\{pin\}")


def catalog(language):
    with open(LOCALE_DIR / language / "LC_MESSAGES" / "django.po", "rb") as handle:
        return read_po(handle)


def test_all_sixteen_catalogs_exist():
    assert sorted(p.name for p in LOCALE_DIR.iterdir() if p.is_dir()) == sorted(TRANSLATED + ["en_US"])


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalog_is_complete_and_keeps_placeholders(language):
    problems = []
    for message in catalog(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(f"untranslated: {ids[0]!r}")
            continue
        expected = sorted(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            found = sorted(PLACEHOLDER.findall(string))
            # A plural form may leave out the count (Russian "one" form, Asian languages).
            if found != expected and not set(found) <= set(expected):
                problems.append(f"placeholders differ: {ids[0]!r} -> {string!r}")
    assert problems == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [("de", "Sitzungsschlüssel"), ("ja", "セッションキー"), ("ru", "ключ"), ("es-sp", "clave")],
)
def test_pages_render_translated(client, site, language, expected):
    html = client.get(f"/key/?locale={language}").content.decode()
    assert expected in html
