"""The translation catalogs as files (portal/locale/*/LC_MESSAGES/*.po): GNU gettext accepts
them, every plural entry has its language's number of forms, English shows the msgids, the
compiled .mo is what the .po says, and the catalogs hold exactly the msgids the code and
templates use. tests/test_translations.py checks the translations themselves."""

from __future__ import annotations

import gettext
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import BinaryIO

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

REPOSITORY = Path(__file__).resolve().parent.parent
LOCALE_DIR = REPOSITORY / "portal" / "locale"
CATALOGS = sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))
CATALOG_IDS = [f"{path.parts[-3]}/{path.stem}" for path in CATALOGS]

# Each language's number of plural forms, as Django's own catalog for the language counts them
# (Spanish's third form is CLDR's "many", for round millions; European Spanish keeps the two
# of Django's es_MX).
PLURAL_FORMS = {
    "en_US": 2,
    "de": 2,
    "es": 3,
    "es_SP": 2,
    "fi": 2,
    "fr": 2,
    "it": 2,
    "ja": 1,
    "nl": 2,
    "pt_BR": 2,
    "pt_PT": 2,
    "ru": 4,
    "sv_SE": 2,
    "tr": 2,
    "zh": 1,
    "zh_Hans": 1,
}

# Msgids no code of the portal passes to gettext, kept because something else asks for them.
USED_OUTSIDE_THE_CODE = {
    # Django's own label suffix, gettext(":") in django/forms/forms.py (BaseForm.label_suffix)
    # and the admin's templates: Japanese and Chinese write it full-width
    # (tests/admin/test_translations.py, test_admin_labels_end_in_the_languages_own_colon).
    (None, ":"),
}


def entries(path: Path) -> list[list[str]]:
    """The code lines (comments left out) of the catalog's live entries, as written: not the
    header, not an obsolete `#~` entry. An entry ends where a comment, msgctxt or msgid follows
    its msgstr, blank line or not."""
    found: list[list[str]] = []
    current: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        starts_entry = line.startswith(("#", "msgctxt ", "msgid ")) or not line
        if starts_entry and any(seen.startswith("msgstr") for seen in current):
            found.append(current)
            current = []
        if line and not line.startswith("#"):
            current.append(line)
    found.append(current)
    return [lines for lines in found if lines and lines[:2] != ['msgid ""', 'msgstr ""']]


# --- GNU gettext accepts every catalog -------------------------------------------------------

# msgfmt --check warns of header fields left at makemessages' defaults ("Last-Translator: FULL
# NAME"); nothing reads them. Any other line it writes is an error or a warning to look at.
HEADER_DEFAULT = re.compile(r": warning: header field '[\w-]+' still has the initial default value$")
STATISTICS = re.compile(r"^\d+ translated messages?(, \d+ untranslated messages?)?\.$")


def msgfmt_check(path: Path, out: Path) -> subprocess.CompletedProcess[str]:
    """GNU msgfmt's own checks and statistics on one catalog, in English whatever the machine's
    locale."""
    return subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", str(out), str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "LC_ALL": "C"},
        check=False,
    )


@pytest.mark.parametrize("path", CATALOGS, ids=CATALOG_IDS)
def test_msgfmt_accepts_the_catalog(path, tmp_path):
    """Syntax, duplicate entries, python-format placeholders of the flagged entries, plural forms
    against the header, and no fuzzy entry (which the statistics would count)."""
    if shutil.which("msgfmt") is None:
        pytest.skip("msgfmt is not installed (Debian's gettext)")
    done = msgfmt_check(path, tmp_path / "out.mo")
    said = [line for line in done.stderr.splitlines() if not HEADER_DEFAULT.search(line)]
    assert done.returncode == 0, done.stderr
    assert len(said) == 1 and STATISTICS.match(said[0]), said


def test_msgfmt_check_finds_what_it_is_trusted_to_find(tmp_path):
    """The same run on a broken catalog: a placeholder renamed, a plural form missing, a fuzzy
    entry."""
    if shutil.which("msgfmt") is None:
        pytest.skip("msgfmt is not installed (Debian's gettext)")
    broken = tmp_path / "django.po"
    broken.write_text(
        (LOCALE_DIR / "ru" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8").split("\n\n")[0]
        + '\n\n#, python-format\nmsgid "Site %(site)s"\nmsgstr "Сайт %(sit)s"\n'
        + '\n#, python-format\nmsgid "%(count)d file"\nmsgid_plural "%(count)d files"\n'
        + 'msgstr[0] "%(count)d файл"\nmsgstr[1] "%(count)d файла"\n'
        + '\n#, fuzzy\nmsgid "Home"\nmsgstr "Главная"\n',
        encoding="utf-8",
    )
    done = msgfmt_check(broken, tmp_path / "out.mo")
    assert done.returncode != 0
    assert "'sit'" in done.stderr
    assert "only 2 plural forms" in done.stderr
    assert "1 fuzzy translation" in done.stderr


# --- plural forms ----------------------------------------------------------------------------


def test_every_catalog_has_its_plural_forms_listed():
    assert sorted(PLURAL_FORMS) == sorted({path.parts[-3] for path in CATALOGS})


@pytest.mark.parametrize("path", CATALOGS, ids=CATALOG_IDS)
def test_plural_entries_have_the_languages_number_of_forms(path):
    expected = PLURAL_FORMS[path.parts[-3]]
    with path.open("rb") as handle:
        assert read_po(handle).num_plurals == expected  # the header's Plural-Forms
    wrong = []
    for lines in entries(path):
        if any(line.startswith("msgid_plural ") for line in lines):
            forms = [line.split(" ", 1)[0] for line in lines if line.startswith("msgstr")]
            if forms != [f"msgstr[{index}]" for index in range(expected)]:
                wrong.append((lines[0], forms))
    assert wrong == []


# --- English shows the msgids ----------------------------------------------------------------


def test_english_catalog_leaves_every_msgid_as_written():
    """en_US translates nothing: a msgstr there (a fuzzy one msgmerge guessed from a neighbour,
    or a stray edit) would replace the English the code says."""
    with (LOCALE_DIR / "en_US" / "LC_MESSAGES" / "django.po").open("rb") as handle:
        catalog = read_po(handle)
    changed = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or any(strings):
            changed.append(message.id)
    assert changed == []


# --- the compiled catalogs -------------------------------------------------------------------


def compiled(po: Path, language: str) -> dict:
    """What gettext reads from the .mo `make messages` builds from the .po (Babel's compile)."""
    buffer = io.BytesIO()
    with po.open("rb") as handle:
        write_mo(buffer, read_po(handle, language))
    buffer.seek(0)
    return gettext_reads(buffer)


def gettext_reads(handle: BinaryIO) -> dict:
    """Every message of a compiled catalog, as Python's gettext (and so Django) looks it up."""
    return gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", CATALOGS, ids=CATALOG_IDS)
def test_compiled_catalog_is_the_current_po(path):
    """A .mo left from before a .po changed serves the old words (or none): `make messages`."""
    mo = path.with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run make messages"
    assert mo.stat().st_mtime >= path.stat().st_mtime, f"{mo} is older than its .po: run make messages"
    with mo.open("rb") as handle:
        served = gettext_reads(handle)
    assert served == compiled(path, path.parts[-3])


def test_a_stale_compiled_catalog_is_told_apart(tmp_path):
    """The comparison above sees one changed translation."""
    po = LOCALE_DIR / "de" / "LC_MESSAGES" / "django.po"
    text = po.read_text(encoding="utf-8")
    edited = tmp_path / "django.po"
    edited.write_text(
        text.replace('msgstr "Sitzungsverlauf"', 'msgstr "Sitzungsprotokoll"', 1), encoding="utf-8"
    )
    assert compiled(edited, "de") != compiled(po, "de")
    assert compiled(edited, "de")["Session history"] == "Sitzungsprotokoll"


# --- the catalogs hold what the code uses ----------------------------------------------------

# What `make extract-messages` reads: makemessages' files of the django domain, under the
# Makefile's --ignore patterns (and the gitignored test output).
EXTENSIONS = {".py", ".html", ".txt"}
IGNORED_DIRECTORIES = {".venv", "tests", "bench", "staticfiles", "data", "node_modules", "test-artifacts"}


def source_files() -> list[Path]:
    found = []
    for root, directories, files in os.walk(REPOSITORY):
        directories[:] = [
            name
            for name in directories
            if name not in IGNORED_DIRECTORIES and not name.startswith(".") and not name.endswith(".egg-info")
        ]
        found += [Path(root, name) for name in files if Path(name).suffix in EXTENSIONS]
    return found


# makemessages run from a copy's root with the copy's own settings (so the catalogs it writes
# are the copy's), refusing to run if `portal` would be imported from anywhere else.
MAKEMESSAGES = """
import sys
from pathlib import Path
sys.path.insert(0, ".")
import portal
assert Path(portal.__file__).resolve().is_relative_to(Path.cwd().resolve()), portal.__file__
from django.core.management import execute_from_command_line
execute_from_command_line(["manage.py", "makemessages", "-l", "en_US", "--keep-pot", "-v0"])
"""


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[tuple[str | None, str]]:
    """(msgctxt, msgid) of every message makemessages extracts from the code and templates."""
    if shutil.which("xgettext") is None:
        pytest.skip("xgettext is not installed (Debian's gettext)")
    copy = tmp_path_factory.mktemp("extract")
    for path in source_files():
        target = copy / path.relative_to(REPOSITORY)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PORTAL_"))
    }
    subprocess.run(
        [sys.executable, "-c", MAKEMESSAGES],
        cwd=copy,
        env={
            **environment,
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "PORTAL_DATA_DIR": str(copy / "data"),
        },
        check=True,
    )
    # The template's header counts no plural forms yet ("nplurals=INTEGER"), which Babel refuses.
    pot = (copy / "portal" / "locale" / "django.pot").read_bytes()
    catalog = read_po(
        io.BytesIO(pot.replace(b"nplurals=INTEGER; plural=EXPRESSION", b"nplurals=2; plural=(n != 1)"))
    )
    return {key(message) for message in catalog if message.id}


def key(message) -> tuple[str | None, str]:
    return (message.context, message.id[0] if isinstance(message.id, tuple) else message.id)


def catalog_keys(path: Path) -> set[tuple[str | None, str]]:
    with path.open("rb") as handle:
        return {key(message) for message in read_po(handle) if message.id}


def test_extraction_reads_the_code_and_the_templates(extracted):
    # What the code does not ask for is held by a catalog (else drop it from the list above).
    assert all(any(kept in catalog_keys(path) for path in CATALOGS) for kept in USED_OUTSIDE_THE_CODE)
    assert USED_OUTSIDE_THE_CODE.isdisjoint(extracted)
    assert (None, "Session history") in extracted  # {% translate %} in an admin template
    assert ("list separator", ", ") in extracted  # pgettext in portal/templatetags
    assert (None, "Erased: %(counts)s.") in extracted  # gettext in portal/privacy


@pytest.mark.parametrize(
    "path",
    [path for path in CATALOGS if path.stem == "django"],
    ids=[i for i in CATALOG_IDS if i.endswith("/django")],
)
def test_catalog_holds_exactly_the_msgids_the_code_uses(path, extracted):
    held = catalog_keys(path)
    assert sorted(held - extracted - USED_OUTSIDE_THE_CODE, key=str) == []  # unused: remove them
    assert sorted(extracted - held, key=str) == []  # missing: add them, translated


# A call a djangojs catalog would answer (Django's JavaScriptCatalog defines these).
JAVASCRIPT_GETTEXT = re.compile(r"\b(?:n|p|np)?gettext\s*\(|\binterpolate\s*\(")


def test_no_javascript_asks_for_a_translation():
    """No script of the portal calls gettext, so there is no djangojs catalog to keep in step.
    A script that did would need one, and the extraction above for its domain."""
    assert JAVASCRIPT_GETTEXT.findall("gettext('Send'); ngettext(a, b, n); interpolate(f, o)") == [
        "gettext(",
        "ngettext(",
        "interpolate(",
    ]
    scripts = [
        path for path in (REPOSITORY / "static").rglob("*.js") if JAVASCRIPT_GETTEXT.search(path.read_text())
    ]
    assert scripts == []
    assert {path.stem for path in CATALOGS} == {"django"}
