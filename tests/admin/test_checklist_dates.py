"""The set-up checklist's test date reads well mid-sentence in every language: CLDR's long date
and short time (docs/decisions/0097-dates-as-cldr-writes-them.md), in the portal's time zone,
not Django's DATETIME_FORMAT with its capitalised Italian weekday and zero-padded Turkish day."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from babel.dates import get_day_names
from django.conf import settings
from django.urls import reverse

from portal.languages import html_lang
from portal.models import Backend
from tests.admin.test_setup import checklist
from tests.parsed_html import element

pytestmark = pytest.mark.django_db

TESTED_AT = datetime(2026, 12, 7, 9, 8, tzinfo=UTC)  # a Monday; 10:08 in Rome


@pytest.fixture
def tested(site, backend, settings):
    settings.TIME_ZONE = "Europe/Rome"
    Backend.objects.filter(pk=backend.pk).update(
        connection_ok=True, connection_summary="", connection_notes=[], connection_checked_at=TESTED_AT
    )
    return backend


def passed_sentence(admin_client, language: str) -> str:
    """The backend item's text: "Done: <title> — <sentence> <link>"."""
    parsed = checklist(admin_client, language)
    (site,) = parsed.sites
    (found,) = [entry["text"] for entry in parsed.sites[site] if "2026" in entry["text"]]
    return found


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en-us", "On December 7, 2026, 10:08 AM, Appliance passed “Test connection”."),
        ("it", "Appliance ha superato «Verifica connessione» il 7 dicembre 2026 10:08."),
        ("de", "Appliance hat „Verbindung testen“ am 7. Dezember 2026, 10:08 bestanden."),
        ("tr", "Appliance, 7 Aralık 2026 10:08 tarihinde “Bağlantıyı test et” testini geçti."),
        ("pt-br", "Appliance passou em “Testar conexão” em 7 de dezembro de 2026 10:08."),
        ("es", "El 7 de diciembre de 2026, 10:08 a.m., Appliance superó “Probar conexión”."),
        ("ja", "Appliance は 2026年12月7日 10:08 の「接続をテスト」に合格しました。"),
    ],
)
def test_the_passed_date_reads_in_the_sentence(admin_client, tested, language, sentence):
    assert f" — {sentence}" in passed_sentence(admin_client, language)


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_no_language_names_the_weekday_or_ends_twice(admin_client, tested, language):
    """A weekday mid-sentence is where Django's formats capitalised it ("Lunedì"); a time that
    ends in "a.m." must not meet the sentence's own full stop."""
    text = passed_sentence(admin_client, language)
    locale = html_lang(language).replace("-", "_")
    weekdays = [name.lower() for name in get_day_names("wide", locale=locale).values()]
    assert "2026" in text
    assert [day for day in weekdays if day in text.lower()] == []
    assert ".." not in text
    assert " 07" not in text  # no zero-padded day


def backend_sentence(admin_client, backend, language: str) -> str:
    """The backend item's text: the first linking to the action's list (the issues item's
    import link comes after it)."""
    link = reverse("admin:portal_backend_changelist") + f"?id__exact={backend.pk}"
    (site,) = checklist(admin_client, language).sites.values()
    return [entry["text"] for entry in site if entry["links"] == [link]][0]


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_every_language_names_the_action_as_the_action_menu_does(admin_client, site, backend, language):
    """The checklist sends the admin to the “Test connection” action: it quotes the name the
    backend list's action menu shows, not another wording of it (「接続テスト」 for 「接続をテスト」)."""
    changelist = admin_client.get(reverse("admin:portal_backend_changelist"), HTTP_ACCEPT_LANGUAGE=language)
    action = element(changelist.content, "option", value="test_connection").text
    assert action and action in backend_sentence(admin_client, backend, language)  # not tested yet
    Backend.objects.filter(pk=backend.pk).update(connection_ok=True, connection_checked_at=TESTED_AT)
    assert action in backend_sentence(admin_client, backend, language)  # passed
    Backend.objects.filter(pk=backend.pk).update(connection_summary="warned")
    assert action in backend_sentence(admin_client, backend, language)  # passed with a warning
    Backend.objects.filter(pk=backend.pk).update(connection_ok=False, connection_summary="refused")
    failed = backend_sentence(admin_client, backend, language)
    assert "refused" in failed and action in failed
