"""Every UI string is translated into all 16 languages (docs/decisions/0030-customer-language.md),
placeholders intact."""

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Message
from babel.messages.mofile import read_mo
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
# Python's %-placeholders, named or not, str.format's {name}, and the __N__ the button script
# replaces. A literal "%%" is no placeholder.
PLACEHOLDER = re.compile(r"%\(\w+\)[#0+-]?\d*(?:\.\d+)?[sdifr]|%[sdif]|\{\w+\}|__N__")


def catalog(language):
    with open(LOCALE_DIR / language / "LC_MESSAGES" / "django.po", "rb") as handle:
        return read_po(handle)


def test_all_sixteen_catalogs_exist():
    assert sorted(p.name for p in LOCALE_DIR.iterdir() if p.is_dir()) == sorted(TRANSLATED + ["en_US"])


def placeholders(text):
    return sorted(PLACEHOLDER.findall(text.replace("%%", "")))


def forms_for_one_only(catalog):
    """The plural forms the catalog's Plural-Forms picks for n == 1 and no other n."""
    plural = gettext.c2py(catalog.plural_expr)
    return {
        form for form in range(catalog.num_plurals) if {n for n in range(1000) if plural(n) == form} == {1}
    }


def placeholder_problems(message, one_only):
    """Every translation keeps the msgid's placeholders, no more and no fewer; a plural form
    keeps those of msgid_plural, except that a form said of exactly one thing may leave out the
    count ("eine Sitzung"). The form Russian uses for 1 also serves 21 and 31, and the one form
    of Japanese and Chinese serves every n: those keep the count."""
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    expected = placeholders(ids[-1])
    problems = []
    for form, string in enumerate(strings):
        found = placeholders(string)
        if found == expected or (len(ids) == 2 and form in one_only and set(found) <= set(expected)):
            continue
        problems.append(f"placeholders differ: {ids[0]!r} -> {string!r}")
    return problems


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalog_is_complete_and_keeps_placeholders(language):
    problems = []
    translations = catalog(language)
    one_only = forms_for_one_only(translations)
    for message in translations:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(f"untranslated: {ids[0]!r}")
            continue
        problems += placeholder_problems(message, one_only)
    assert problems == []


@pytest.mark.parametrize(
    ("language", "msgid", "string", "wrong"),
    [
        ("de", "Site %(site)s is closed", "Die Website ist geschlossen", True),
        ("de", "Site %(site)s is closed", "Website %(name)s ist geschlossen", True),
        ("de", "Site %(site)s is closed", "Website %(site)s ist geschlossen", False),
        ("de", "Enter %s", "%s %s eingeben", True),
        ("de", "Your PIN is {pin}", "Ihre PIN ist {code}", True),
        ("de", "100%% sure: %(what)s", "100%% sicher: %(what)s", False),
        ("de", ("%(count)s session", "%(count)s sessions"), ("eine Sitzung", "%(count)s Sitzungen"), False),
        ("de", ("%(count)s session", "%(count)s sessions"), ("%(count)s Sitzung", "Sitzungen"), True),
        (
            "ru",
            ("%(count)s file", "%(count)s files"),
            ("один файл", "%(count)s", "%(count)s", "%(count)s"),
            True,
        ),
        ("ja", ("%(count)s file", "%(count)s files"), ("ファイル",), True),
    ],
)
def test_placeholder_check_tells_a_lost_or_renamed_placeholder(language, msgid, string, wrong):
    translations = catalog(language)
    message = Message(msgid, string)
    assert bool(placeholder_problems(message, forms_for_one_only(translations))) is wrong


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [("de", "Sitzungsschlüssel"), ("ja", "セッションキー"), ("ru", "ключ"), ("es-sp", "clave")],
)
def test_pages_render_translated(client, site, language, expected):
    html = client.get(f"/key/?locale={language}").content.decode()
    assert expected in html


# An ASCII colon used as prose punctuation: followed by a space, the end of the text, or a
# letter outside ASCII ("サイト %(site)s: …", "BeyondTrust:公開"). Left alone, because something
# other than a space follows: URLs ("https://…"), times and ratios ("09:00", "4.5:1"),
# placeholders joined in code ("%(host)s:%(port)s"), paths ("C:\…").
PROSE_COLON = re.compile(r":(?=\s|$|[^\x00-\x7f])")


def compiled_catalog(language):
    """The catalog as the portal reads it: the .mo that `make messages` builds from the .po."""
    with open(LOCALE_DIR / language / "LC_MESSAGES" / "django.mo", "rb") as handle:
        return read_mo(handle)


@pytest.mark.parametrize("language", ["ja", "zh", "zh_Hans"])
def test_japanese_and_chinese_write_the_full_width_colon(language):
    """Reviewers found "ヘルスチェック /check_health: OK。" and "サイト %(site)s: …" in Japanese,
    which writes "：" as the admin's label suffix does (tests/admin/test_translations.py)."""
    assert (
        PROSE_COLON.findall("https://a.example 09:00 4.5:1 %(h)s:%(p)s C:\\x") == []
    )  # the rule's exceptions
    found = []
    for message in compiled_catalog(language):
        if not message.id:
            continue  # the header
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        found += [string for string in strings if PROSE_COLON.search(string)]
    assert found == []


# A half-width parenthesis written straight against Japanese or Chinese text ("キー(Management >
# API Keys)が"), where these catalogs write "（…）". One after a space, as in a label's unit
# ("レイテンシ (ms)"), is left alone.
CRAMPED_PARENTHESIS = re.compile(r"[\u3000-\u9fff\uff00-\uffef]\(|\)[\u3000-\u9fff\uff00-\uffef]")


@pytest.mark.parametrize("language", ["ja", "zh", "zh_Hans"])
def test_japanese_and_chinese_write_full_width_parentheses_in_prose(language):
    assert CRAMPED_PARENTHESIS.findall("キー(Management > API Keys)が") == ["ー(", ")が"]
    assert CRAMPED_PARENTHESIS.findall("レイテンシ (ms) %(name)s（任意）") == []
    found = []
    for message in compiled_catalog(language):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        found += [string for string in strings if CRAMPED_PARENTHESIS.search(string)]
    assert found == []


def translations(language) -> list[str]:
    """Every msgstr of the language's catalog (each plural form), as its .po writes it."""
    found = []
    for message in catalog(language):
        if message.id:
            found += [s for s in (message.string if isinstance(message.string, tuple) else (message.string,))]
    return found


# French sets a space that never breaks before ; ? ! » and a colon, and after « ("Fuseau
# horaire :", "« Avancé »"): one kind, U+00A0, as `colon()` writes it
# (docs/decisions/0113-error-summary-lines.md). A colon with no space after it is not
# punctuation ("https://", "09:00", "4.5:1") and is left alone.
FRENCH_SPACED_MARK = re.compile(r"(?<!\u00a0)(?:[;?!»]|:(?=\s|$))|«(?!\u00a0)")


def test_french_sets_a_no_break_space_before_its_high_marks_and_inside_guillemets():
    assert [m[0] for m in FRENCH_SPACED_MARK.finditer("Nom : « Avancé » ; oui ? non !")] == list(":«»;?!")
    assert FRENCH_SPACED_MARK.findall("Nom\u202f: oui\u202f?") == [":", "?"]  # the narrow one
    assert FRENCH_SPACED_MARK.findall("Nom\u00a0: «\u00a0Avancé\u00a0» https://a 09:00 4,5:1") == []
    assert [string for string in translations("fr") if FRENCH_SPACED_MARK.search(string)] == []


# A one-letter Russian word (a preposition, conjunction or pronoun: в, к, с, у, о, и, а, я) is
# not left at the end of a line: the catalog binds it to the word after it with U+00A0
# ("Ваш запрос в очереди" broke as "в" / "очереди"; docs/decisions/0108-line-breaks-on-customer-pages.md).
RUSSIAN_LOOSE_ONE_LETTER_WORD = re.compile(r"(?<![\w\-])[вксуоиаяВКСУОИАЯ] ")


def test_russian_binds_a_one_letter_word_to_the_next():
    assert RUSSIAN_LOOSE_ONE_LETTER_WORD.findall("Ваш запрос в очереди и ждёт. А я") == ["в ", "и ", "А "]
    assert RUSSIAN_LOOSE_ONE_LETTER_WORD.findall("в\u00a0очереди, PIN-код ввод а-я кв. 5") == []
    assert [string for string in translations("ru") if RUSSIAN_LOOSE_ONE_LETTER_WORD.search(string)] == []


# A Russian dash inside a sentence ("Пусто — все 16 языков") is bound to the word before it
# with U+00A0, so no line begins with the dash; the space after it may break
# (docs/decisions/0108-line-breaks-on-customer-pages.md). A dash between numbers ("2–8") has
# no space.
RUSSIAN_LOOSE_DASH = re.compile(r"[^\S\u00a0\u202f][—–]")


def test_russian_binds_a_dash_to_the_word_before_it():
    assert RUSSIAN_LOOSE_DASH.findall("Пусто — все, 2 – 8,\n— да") == [" —", " –", "\n—"]
    assert RUSSIAN_LOOSE_DASH.findall("— Да, пусто\u00a0— все, 2–8 букв") == []
    assert [string for string in translations("ru") if RUSSIAN_LOOSE_DASH.search(string)] == []


# A range of numbers ("2–8 букв", "1–64 kirjainta") is one run: Chromium breaks after a dash even
# before a digit, so a line ended on "2–" and the next began "8 букв". The catalogs hold the
# dash between word joiners (U+2060), as `kept_whole` holds a range of times
# (docs/decisions/0108-line-breaks-on-customer-pages.md).
LOOSE_NUMBER_RANGE = re.compile(r"\d[-–—][^\u2060]|[^\u2060][-–—]\d(?![\d-]*:)")
NUMBER_RANGE = re.compile(r"(?<![\d-])\d{1,3}\u2060?[-–—]\u2060?\d{1,3}(?![\d:-])")


def test_a_range_of_numbers_never_breaks_at_its_dash():
    loose = [
        m[0]
        for m in NUMBER_RANGE.finditer("2–8, 1-64, 2\u2060–\u20608, 2026-12-08, 09:00–17:00")
        if LOOSE_NUMBER_RANGE.search(m[0])
    ]
    assert loose == ["2–8", "1-64"]
    found = {
        language: [m[0] for string in translations(language) for m in NUMBER_RANGE.finditer(string)]
        for language in TRANSLATED
    }
    assert found["ru"] and found["fi"]  # the ranges this test was written for are still there
    assert {
        language: [r for r in ranges if LOOSE_NUMBER_RANGE.search(r)] for language, ranges in found.items()
    } == {language: [] for language in TRANSLATED}


# A number is not left at a line's end without the word it counts ("3" / "Minuten", "42" /
# "Zeichen"): the catalogs of the languages written with spaces bind a number to the word after
# it with U+00A0, as a compositor would (docs/decisions/0108-line-breaks-on-customer-pages.md).
# A number is a placeholder that takes one (%d, %(name)d, %(name).1f, the counter's __N__ and
# the %(name)s the templates fill with a count) or digits written out ("16 Sprachen",
# "512 KB"), not the digits ending a word ("winNT-64"). Japanese and Chinese are left to
# `numbers_kept_whole`, which joins their counter words.
NUMBER_BEFORE_LOOSE_WORD = re.compile(
    r"(?:%\(\w+\)(?:d|\.\d+f)|%d|%\((?:count|limit|counter|seconds|read|connect|total|page)\)s|__N__"
    r"|(?<![\w.,])(?<![^\W\d_]-)\d+(?:[.,]\d+)?) (?=[^\W\d_])"
)
SPACED_LANGUAGES = [language for language in TRANSLATED if language not in ("ja", "zh", "zh_Hans")]


def test_a_number_keeps_the_word_it_counts():
    found = NUMBER_BEFORE_LOOSE_WORD.findall(
        "etwa %(count)s Minuten, %(count)d Zeichen, noch __N__ Zeichen, 16 Sprachen, 3,5 GB, %(ratio).1f:1 ok"
    )
    assert found == ["%(count)s ", "%(count)d ", "__N__ ", "16 ", "3,5 ", "1 "]  # "1 ok": the ratio's digit
    assert (
        NUMBER_BEFORE_LOOSE_WORD.findall(
            "etwa %(count)s\u00a0Minuten, %(backend)s hat, winNT-64 oder, 123 456 789,"
            " 2\u2060–\u20608\u00a0букв"
        )
        == []
    )
    loose = {
        language: [string for string in translations(language) if NUMBER_BEFORE_LOOSE_WORD.search(string)]
        for language in SPACED_LANGUAGES
    }
    assert loose == {language: [] for language in SPACED_LANGUAGES}
    bound = re.compile(r"%\(count\)s\u00a0\w")
    for language in SPACED_LANGUAGES:  # the queue page's wait, the reason this test was written
        waits = [
            string
            for message in catalog(language)
            if message.id and "Estimated waiting time: about" in str(message.id)
            for string in message.string
        ]
        assert waits and all(bound.search(wait) for wait in waits), (language, waits)


# Turkish customer pages address the customer as "siz" throughout, buttons included
# ("Oturumu başlatın", "Yeniden kontrol edin"), as Turkish public service sites do; the bare
# "sen" imperative ("Oturumu başlat") read as another voice beside "PIN kodunuzu girin"
# (docs/decisions/0127-turkish-form-of-address.md). The admin names its buttons as Django's own
# Turkish admin does ("Kaydet") and is not checked here.
TURKISH_BARE_IMPERATIVE = re.compile(
    r"(?i)(?<!\w)(başlat|gir|seç|göster|gör|et|dene|dön|geç|kapat|aç|indir|yükle|gönder|kaydet|ekle|yaz|"
    r"bekle|tıkla|yenile|kısalt|doldur|anlat|al|izle|bırak|işaretle)(?=$|[.,;:!?…])"
)
CUSTOMER_CODE = (
    "templates/portal/",
    "portal/forms.py",
    "portal/views",
    "portal/button/",
    "portal/text_rules.py",
)


def test_turkish_customer_pages_say_siz_throughout():
    assert [m[1] for m in TURKISH_BARE_IMPERATIVE.finditer("Oturumu başlat. Yeniden kontrol et, Kapat")] == [
        "başlat",
        "et",
        "Kapat",
    ]
    assert (
        TURKISH_BARE_IMPERATIVE.findall("Oturumu başlatın. Yeniden kontrol edin, Kapatın; PIN kodu girin")
        == []
    )
    customer = [
        message
        for message in catalog("tr")
        if message.id and any(path.startswith(CUSTOMER_CODE) for path, _ in message.locations)
    ]
    assert len(customer) > 100
    strings = [s for m in customer for s in (m.string if isinstance(m.string, tuple) else [m.string])]
    assert [s for s in strings if TURKISH_BARE_IMPERATIVE.search(s)] == []
    assert "Oturumu başlatın" in strings


def test_german_calls_what_a_customer_picks_in_the_survey_anliegen_throughout():
    """A walk-through found "Themen" odd for the survey's choices, which the catalog calls
    "Anliegen" everywhere else (the issue, the admin's lists): one word for one thing."""
    about_issues = [
        message
        for message in catalog("de")
        if message.id and re.search(r"\b(topics?|issues?)\b", str(message.id), re.I)
    ]
    assert len(about_issues) > 20
    strings = [s for m in about_issues for s in (m.string if isinstance(m.string, tuple) else [m.string])]
    assert [s for s in strings if re.search(r"\bThem(a|en)\b", s)] == []
    assert "Bitte wählen Sie eines der aufgeführten Anliegen." in strings


def test_russian_tells_a_representatives_state_whatever_their_gender():
    """A walk-through read "Анна К. · Доступен сейчас" on the rep list: a masculine short
    adjective under a woman's name. The tile's state is said without a gender ("на связи"),
    as the landing page already says "кто сейчас на связи"."""
    gendered = re.compile(r"\b(?:Доступ|Свобод|Занят|Готов)(?:ен|ан|)\b")
    assert gendered.findall("Доступен сейчас, Занят, Свободна") == ["Доступен", "Занят"]
    said_of_a_person = ["Available now"]
    strings = {message.id: message.string for message in catalog("ru") if message.id in said_of_a_person}
    assert len(strings) == len(said_of_a_person)
    assert {id: gendered.findall(string) for id, string in strings.items()} == {
        id: [] for id in said_of_a_person
    }


def test_finnish_sets_no_comma_before_tai_between_two_main_clauses():
    """A walk-through read "Selaimesi lataa pienen tukiohjelman, tai avautuu keskustelu.":
    Finnish sets no comma before "tai" or "ja" joining two main clauses (the English one
    before "or" was carried over)."""
    joined = [message for message in catalog("fi") if str(message.id).endswith(", or a chat opens.")]
    assert len(joined) == 2
    assert [message.string for message in joined if ", tai " in message.string] == []


def test_japanese_says_kara_once_in_a_clause():
    """A walk-through of the Japanese 404 page read "サポートページから最初からやり直して
    ください" ("from the support page from the beginning"): two から in one clause. A name
    quoted in 「」 is the admin's button and is left out."""
    clause_with_two = re.compile(r"から[^、。「」]*から")
    assert clause_with_two.findall("ページから最初から") and not clause_with_two.findall("から、から")
    found = []
    for message in catalog("ja"):
        strings = message.string if isinstance(message.string, tuple) else [message.string]
        found += [s for s in strings if message.id and clause_with_two.search(re.sub(r"「[^」]*」", "", s))]
    assert found == []


def test_turkish_says_a_technician_connects_and_a_text_exceeds_the_limit():
    """A Turkish walk-through read "Bir teknisyen size katılır" ("a technician joins you",
    which also reads "agrees with you") where every other language says the technician
    connects, and "2900 karakter fazla uzun" ("2900 characters overly long") for a count over
    the limit: Turkish says the text exceeds the limit by that many ("sınırı … aşıyor")."""
    strings = [
        s for m in catalog("tr") if m.id for s in (m.string if isinstance(m.string, tuple) else [m.string])
    ]
    assert [s for s in strings if re.search(r"size katıl|karakter fazla uzun", s)] == []
    joined = [m.string for m in catalog("tr") if m.id in {"Run it and wait for a technician to join you."}]
    assert joined == ["Programı çalıştırın ve bir teknisyenin size bağlanmasını bekleyin."]
