"""Texts the portal supplies itself speak the customer's language until an admin writes their
own: the safety warning, the standard consent text and the closed message."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from portal.models import (
    DEFAULT_CLOSED,
    DEFAULT_CONSENT,
    DEFAULT_WARNING,
    FORMER_DEFAULT_TEXTS,
    Holiday,
    SiteTranslation,
)

pytestmark = pytest.mark.django_db


def rendered(text, language: str) -> str:
    with translation.override(language):
        return str(text)


def test_standard_consent_is_shown_in_the_customers_language(client, site, issues):
    site.consent_text = rendered(DEFAULT_CONSENT, None)
    site.save()
    for language in ("ja", "de", "ru", "zh"):
        html = client.get(f"/survey/?locale={language}").content.decode()
        assert rendered(DEFAULT_CONSENT, language) in html
        assert rendered(DEFAULT_CONSENT, None) not in html
    assert rendered(DEFAULT_CONSENT, None) in client.get("/survey/?locale=en-us").content.decode()


def test_a_default_stored_in_another_language_is_still_the_portals(client, site, issues):
    # A site created by an admin working in German stores the German defaults.
    site.consent_text = rendered(DEFAULT_CONSENT, "de")
    site.warning_text = "  " + rendered(DEFAULT_WARNING, "de").replace(
        ". ", ".\n"
    )  # as a textarea may return it
    site.save()
    html = client.get("/survey/?locale=ja").content.decode()
    assert rendered(DEFAULT_CONSENT, "ja") in html and rendered(DEFAULT_WARNING, "ja") in html
    assert rendered(DEFAULT_CONSENT, "de") not in html


@pytest.mark.parametrize("former", FORMER_DEFAULT_TEXTS["consent_text"])
def test_a_default_stored_in_an_earlier_wording_is_still_the_portals(client, site, issues, former):
    """A Chinese or Japanese translation of a default was mended (the consent's 可能, "possibly",
    became 可以, "allowed to"). A site created through an admin in that language before the
    mend stored the earlier wording: still the portal's text, shown in each customer's
    language, never as if the admin had written it in Chinese for everyone."""
    assert former not in {rendered(DEFAULT_CONSENT, language) for language in ("zh", "zh-hans", "ja")}
    site.consent_text = former
    site.save()
    for language in ("en-us", "de", "zh", "zh-hans", "ja"):
        html = client.get(f"/survey/?locale={language}").content.decode()
        assert rendered(DEFAULT_CONSENT, language) in html
        assert former not in html


def test_texts_the_admin_wrote_are_shown_as_written(client, site, issues):
    site.consent_text = "You let the technician see your screen."
    site.save()
    html = client.get("/survey/?locale=ja").content.decode()
    assert "You let the technician see your screen." in html
    assert rendered(DEFAULT_CONSENT, "ja") not in html


def test_closed_message_defaults_to_the_translated_standard_one(client, site, issues):
    Holiday.objects.create(site=site, date=timezone.now().astimezone(dt.UTC).date())
    for language in ("fi", "tr", "zh-hans"):
        html = client.get(f"/?locale={language}").content.decode()
        assert rendered(DEFAULT_CLOSED, language) in html
        assert rendered(DEFAULT_CLOSED, None) not in html
    SiteTranslation.objects.create(site=site, language="fi", closed_text="Palaamme maanantaina.")
    site.closed_text = "Back on Monday."
    site.save()
    assert "Palaamme maanantaina." in client.get("/?locale=fi").content.decode()
    html = client.get("/?locale=tr").content.decode()
    assert "Back on Monday." in html and rendered(DEFAULT_CLOSED, "tr") not in html


def test_external_key_label_per_language(client, site, issues):
    site.external_key_label = "Ticket number"
    site.save()
    SiteTranslation.objects.create(site=site, language="de", external_key_label="Ticketnummer")
    assert "Ticketnummer" in client.get("/survey/?locale=de").content.decode()
    assert "Ticket number" in client.get("/survey/?locale=fr").content.decode()  # no translation: as set
