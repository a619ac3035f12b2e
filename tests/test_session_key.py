"""The session-key flow, from the customer's POST to the URL the browser is sent to."""

import pytest

from portal.models import Backend, StartRequest
from tests.conftest import APPLIANCE, form_data, query_of
from tests.parsed_html import element, elements

pytestmark = pytest.mark.django_db


def post_key(client, key, **extra):
    return client.post("/key/", form_data(key=key, **extra))


@pytest.mark.parametrize(
    "typed",
    [
        "1234567",
        "123 4567",
        "123-4567",
        " 12-34 567 ",
        "１２３４５６７",
        "123–4567",
        "123\u200b4567",
        "\ufeff1234567",
    ],
)
def test_key_is_normalised_and_sent(client, site, typed):
    response = post_key(client, typed, locale="de", tz="60")
    assert response.status_code == 303
    assert (
        response["Location"]
        == f"{APPLIANCE}/api/start_session?short_key=1234567&locale=de&timezone_offset=60"
    )


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("123456", "A session key has 7 characters; you entered 6."),
        ("12345678", "A session key has 7 characters; you entered 8."),
        ("12a4567", "A session key has only digits."),
        ("", "Please enter the session key your technician gave you."),
        ("1234567\x00", "Null characters are not allowed."),
    ],
)
def test_bad_keys_are_refused_with_a_message_and_kept(client, site, typed, message):
    response = post_key(client, typed)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert element(html, "input", name="key").attrs["aria-invalid"] == "true"
    assert element(element(html, id="error-summary"), "a", href="#id_key")
    assert StartRequest.objects.get().outcome == StartRequest.Outcome.INVALID


@pytest.mark.parametrize(
    ("typed", "line"),
    [
        # A walk-through read "Sitzungsschlüssel: Ein Sitzungsschlüssel hat …": the message
        # names the key, so the summary lists it alone.
        ("123456", "Ein Sitzungsschlüssel hat 7 Zeichen; Sie haben 6 eingegeben."),
        ("", "Bitte geben Sie den Sitzungsschlüssel ein, den Ihr Techniker Ihnen gegeben hat."),
        # Django's own message names nothing: the label leads it.
        ("1234567\x00", "Sitzungsschlüssel: Nullzeichen sind nicht erlaubt."),
    ],
)
def test_the_error_summary_names_the_key_once(client, site, typed, line):
    site.enabled_languages = ["en-us", "de"]
    site.save()
    html = post_key(client, typed, locale="de").content.decode()
    assert element(element(html, id="error-summary"), "a", href="#id_key").text == line


def test_a_site_that_asks_for_consent_asks_it_before_a_key_start_too(client, site):
    """A walk-through started a session with a key on a site whose consent text says customers
    must agree first: the key form had no consent box (docs/decisions/0036-...: every start
    form). The home page's key card and the key page both ask now."""
    site.consent_text = "The technician sees your screen."
    site.save()
    for page in ("/", "/key/"):
        html = client.get(page).content.decode()
        form = element(html, "form", class_="key-form")
        assert [box.attrs["name"] for box in elements(form, "input", type="checkbox")] == ["consent"]
        assert "The technician sees your screen." in html
    response = post_key(client, "1234567")
    assert response.status_code == 200
    assert "Please agree to the terms to continue." in response.content.decode()
    assert element(response.content.decode(), "input", name="key").attrs["value"] == "1234567"  # kept
    assert StartRequest.objects.get().outcome == StartRequest.Outcome.INVALID  # an attempt, no start
    assert post_key(client, "1234567", consent="on")["Location"].startswith(f"{APPLIANCE}/api/start_session?")


def test_letters_allowed_when_the_backend_says_so(client, site):
    site.backend.allow_letters_in_key = True
    site.backend.save()
    response = post_key(client, "ab3 45CD")
    assert response["Location"].startswith(f"{APPLIANCE}/api/start_session?short_key=ab345CD&")


def test_prompt_before_download_sends_only_key_and_external_key(client, site):
    site.backend.prompts_before_download = True
    site.backend.send_platform = True
    site.backend.save()
    response = client.post(
        "/key/",
        form_data(key="1234567", external_key="INC-7", locale="fr", tz="120"),
        HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
    )
    assert query_of(response["Location"]) == [
        ("short_key", "1234567"),
        ("session.custom.external_key", "INC-7"),
    ]


def test_platform_sent_only_when_enabled(client, site):
    ua = {"HTTP_USER_AGENT": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"}
    assert "platform" not in dict(query_of(client.post("/key/", form_data(key="1234567"), **ua)["Location"]))
    site.backend.send_platform = True
    site.backend.save()
    assert (
        dict(query_of(client.post("/key/", form_data(key="1234567"), **ua)["Location"]))["platform"]
        == "winNT-64"
    )


@pytest.mark.parametrize("tz", ["-720", "840"])
def test_timezone_offsets_at_the_bounds_are_sent(client, site, tz):
    """docs/decisions/0008-timezone-offset-from-browser.md: -720 to 840 minutes, both ends in."""
    response = post_key(client, "1234567", tz=tz)
    assert dict(query_of(response["Location"]))["timezone_offset"] == tz


@pytest.mark.parametrize("tz", ["841", "-721", "abc", "1.5", "99999", ""])
def test_out_of_range_timezone_is_omitted(client, site, tz):
    response = post_key(client, "1234567", tz=tz)
    assert response.status_code == 303
    assert "timezone_offset" not in dict(query_of(response["Location"]))


def test_legacy_backend_builds_ns_url(client, site):
    site.backend.kind = Backend.Kind.LEGACY
    site.backend.save()
    response = post_key(client, "1234567")
    assert response["Location"] == f"{APPLIANCE}/download_customer_connector.ns?short_key=1234567"


def test_key_prefill_from_query(client, site):
    html = client.get("/key/?key=765%204321&external_key=T-5").content.decode()
    assert element(html, "input", name="key").attrs["value"] == "765 4321"
    assert element(html, "input", name="external_key").attrs["value"] == "T-5"


def test_start_is_recorded_without_personal_data(client, site):
    post_key(client, "1234567", external_key="INC-1", locale="ja")
    record = StartRequest.objects.get()
    assert (record.site, record.flow, record.outcome, record.locale, record.customer_data) == (
        site,
        StartRequest.Flow.KEY,
        StartRequest.Outcome.STARTED,
        "ja",
        None,
    )


def test_preview_backend_shows_url_instead_of_leaving(client, site):
    site.backend.kind = Backend.Kind.PREVIEW
    site.backend.save()
    response = post_key(client, "1234567", locale="de")
    assert response.status_code == 200
    html = response.content.decode()
    # The address as the page shows it: its <wbr>s (where a phone may break it) are no text.
    shown = element(html, "code", id="start-url").raw_text()
    assert shown.startswith(f"{APPLIANCE}/api/start_session?short_key=1234567&locale=de")
    # ... and escaped, as before it took its <wbr>s (the assertion this one replaced said so)
    assert "?short_key=1234567&amp;locale=de" in html.replace("<wbr>", "")
    [row] = elements(element(html, "table", class_="params"), "tr")[1:2]
    assert (element(row, "code").text, element(row, "td").text) == ("short_key", "1234567")
    assert StartRequest.objects.get().outcome == StartRequest.Outcome.PREVIEW


def test_embedded_start_ends_in_a_top_level_button_not_a_redirect(client, site):
    response = post_key(client, "1234567", embedded="1")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{APPLIANCE}/api/start_session?short_key=1234567&amp;locale=en-us" target="_top"' in html
    response = client.post("/key/", form_data(key="1234567"), HTTP_SEC_FETCH_DEST="iframe")
    assert response.status_code == 200 and 'target="_top"' in response.content.decode()


def test_interstitial_when_site_explains_first(client, site):
    site.show_interstitial = True
    site.save()
    response = client.post(
        "/key/", form_data(key="1234567"), HTTP_USER_AGENT="Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0)"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "What happens next" in html
    steps = {
        ol.attrs["data-platform"]: "hidden" in ol.attrs for ol in elements(html, "ol", data_platform=True)
    }
    assert steps["mac"] is False  # the steps for this customer's system shown ...
    assert steps["windows"] is True  # ... and the others not


@pytest.mark.parametrize("external_key", ["INC\x01-7", "INC-7\r\nX-Evil: 1", "INC\u202e7", "INC\x7f"])
def test_an_external_key_with_control_characters_never_reaches_the_vendor(client, site, external_key):
    # The survey refuses these in its external key; the key flow carries the same value and the
    # vendor gets it as the same session.custom.external_key.
    response = post_key(client, "1234567", external_key=external_key)
    assert response.status_code == 200
    assert StartRequest.objects.get().outcome == StartRequest.Outcome.INVALID


def test_what_happens_next_says_a_chat_may_open_where_the_backend_has_chat(client, site):
    steps = element(client.get("/key/").content.decode(), "div", class_="next-steps").text
    assert "Your browser downloads a small support program, or a chat opens." in steps


def test_the_example_key_never_breaks_across_lines(client, site):
    """A walk-through: on a phone the Japanese help "（例: 123 4567）" broke between 123 and 4567,
    and a customer copies the example as they see it. The number's space is a no-break space."""
    site.enabled_languages = ["en-us", "ja"]
    site.save()
    for locale, example in (("ja", "（例：123\u00a04567）"), ("en-us", "for example 123\u00a04567.")):
        html = client.get(f"/key/?locale={locale}").content.decode()
        assert example in element(html, "p", id="id_key_help").raw_text(), locale
