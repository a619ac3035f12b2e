"""Choosing the customer's language (docs/decisions/0030-customer-language.md).

Order: an explicit choice (`?locale=` or the form's `locale` field), then Accept-Language,
then the site's default — always among the site's enabled languages. The codes are the
vendor's (`en-us`, `es-sp`, `zh-hans`, ...), so the chosen code is also what the vendor gets.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation.trans_real import parse_accept_lang_header

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]

# Browser language tags that name one of our codes differently. Checked after an exact match.
ALIASES = {
    "en": "en-us",
    "es-es": "es-sp",
    "pt": "pt-br",
    "sv": "sv-se",
    "zh-cn": "zh-hans",
    "zh-sg": "zh-hans",
    "zh-hans-cn": "zh-hans",
    "zh-tw": "zh",
    "zh-hk": "zh",
    "zh-mo": "zh",
    "zh-hant": "zh",
    "zh-hant-tw": "zh",
}

# Our codes are the vendor's; the page's `lang` attribute needs real BCP 47 tags.
HTML_LANG = {
    "en-us": "en-US",
    "es": "es-419",
    "es-sp": "es-ES",
    "pt-br": "pt-BR",
    "pt-pt": "pt-PT",
    "sv-se": "sv-SE",
    "zh-hans": "zh-Hans",
    "zh": "zh-Hant",
}


def html_lang(code: str) -> str:
    return HTML_LANG.get(code, code)


class InLanguage(str):
    """A text shown in a language other than the page's: a site's own words (a text, an issue
    name, a field label) that have no translation into the page's language and are shown as the
    admin wrote them, in the site's default language. `lang` is that language's BCP 47 tag, for
    the element that shows it (`portal_forms.lang_attr` and `in_own_language`), so that a
    screen reader speaks it, and a browser hyphenates it, by its own language's rules
    (docs/decisions/0109-language-of-untranslated-site-texts.md)."""

    lang: str

    def __new__(cls, text: str, lang: str) -> InLanguage:
        marked = super().__new__(cls, text)
        marked.lang = lang
        return marked

    def __reduce__(self):  # cached (pickled) and copied with the lang it carries
        return (InLanguage, (str(self), self.lang))


def written_in(text: str, *, language: str, page_language: str) -> str:
    """`text`, written in `language`, marked with it when the page is in another one."""
    if not text or language == page_language:
        return text
    return InLanguage(text, html_lang(language))


def match_language(tag: str, enabled: list[str]) -> str | None:
    """The enabled code for a browser or vendor language tag, or None."""
    tag = tag.strip().lower().replace("_", "-")
    if not tag:
        return None
    candidates = [tag, ALIASES.get(tag, "")]
    subtags = tag.split("-")
    primary = subtags[0]
    if len(subtags) > 2:  # language-script-region ("zh-hans-sg"): the script decides first
        script = "-".join(subtags[:2])
        candidates += [script, ALIASES.get(script, "")]
    if primary != tag:
        candidates += [ALIASES.get(primary, ""), primary]
    else:
        candidates += [code for code in enabled if code.split("-")[0] == primary]
    for candidate in candidates:
        if candidate and candidate in enabled:
            return candidate
    return None


def explicit_language(value: str, enabled: list[str]) -> str | None:
    return match_language(value, enabled) if value else None


def negotiate_language(
    *, enabled: list[str], default: str, explicit: str = "", accept_language: str = ""
) -> str:
    chosen = explicit_language(explicit, enabled)
    if chosen:
        return chosen
    for tag, _quality in parse_accept_lang_header(accept_language[:1000]):
        if tag == "*":
            break
        chosen = match_language(tag, enabled)
        if chosen:
            return chosen
    return default if default in enabled else enabled[0]
