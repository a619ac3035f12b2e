"""Sites: branding, customer notice, opening hours and holidays
(docs/decisions/0039-opening-hours.md)."""

import datetime as dt
import io
import re
import zoneinfo

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from portal.branding import contrast_ratio, contrast_warnings, embed_snippet
from portal.models import CustomField, Holiday, OpeningHours, validate_logo
from portal.selectors import is_open, notice_is_shown
from tests.conftest import form_data, save_site_in_admin
from tests.parsed_html import element, elements

PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def test_contrast_ratio_matches_wcag_examples():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio("#1a5fb4", "#ffffff") > 4.5


def test_contrast_warnings_name_the_failing_pair():
    assert contrast_warnings(primary="#1a5fb4", text="#1d1d1f", background="#f6f7f9") == []
    warnings = contrast_warnings(primary="#ffcc00", text="#1d1d1f", background="#f6f7f9")
    assert len(warnings) == 2
    assert "White button text on the primary colour" in warnings[0]


@pytest.mark.django_db
def test_admin_warns_about_low_contrast(admin_client, site):
    # without the override the colours are refused (tests/test_admin_setup.py)
    response = save_site_in_admin(
        admin_client, site, primary_color="#ffee00", accept_low_contrast="on", follow=True
    )
    assert response.status_code == 200
    texts = [str(m) for m in response.context["messages"]]
    assert any("White button text on the primary colour has a contrast of" in t for t in texts), texts


def test_logo_must_be_a_real_small_image():
    validate_logo(SimpleUploadedFile("logo.png", PNG_1PX))
    with pytest.raises(ValidationError):
        validate_logo(SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>"))
    with pytest.raises(ValidationError):
        validate_logo(SimpleUploadedFile("logo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 600_000))


@pytest.mark.django_db
def test_uploaded_logo_is_shown_and_served_with_cache_headers(client, site, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    site.logo.save("acme.png", io.BytesIO(PNG_1PX))
    html = client.get("/").content.decode()
    assert elements(html, "img", src=f"/media/{site.logo.name}")
    response = client.get(f"/media/{site.logo.name}")
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=86400"
    assert b"".join(response.streaming_content) == PNG_1PX
    assert client.get("/media/../settings.py").status_code == 404


@pytest.mark.django_db
def test_theme_css_carries_the_site_colours(client, site):
    site.primary_color = "#123456"
    site.save()
    css = client.get("/theme.css").content.decode()
    assert "--brand:#123456" in css


@pytest.mark.django_db
def test_embed_snippet_in_admin(admin_client, site, settings):
    settings.HTTPS = True
    site.hostnames.create(hostname="support.acme.test")
    html = admin_client.get(reverse("admin:portal_site_change", args=[site.pk])).content.decode()
    assert "https://support.acme.test/?embed=1" in html
    assert "allow-top-navigation-by-user-activation" in html
    snippet = embed_snippet(origin="https://s.example", site_name='A "quoted" <name>')
    assert 'title="A &quot;quoted&quot; &lt;name&gt;"' in snippet


@pytest.mark.django_db
def test_notice_window(client, site):
    now = timezone.now()
    site.notice_text = "Maintenance on Sunday"
    site.notice_starts = now + dt.timedelta(hours=1)
    site.save()
    assert not notice_is_shown(site=site, now=now)
    assert "Maintenance on Sunday" not in client.get("/").content.decode()
    site.notice_starts = now - dt.timedelta(hours=1)
    site.notice_ends = now + dt.timedelta(hours=1)
    site.save()
    assert "Maintenance on Sunday" in client.get("/").content.decode()
    assert not notice_is_shown(site=site, now=now + dt.timedelta(hours=2))


@pytest.mark.django_db
def test_opening_hours_in_the_site_time_zone(site):
    site.time_zone = "Europe/Berlin"
    site.save()
    OpeningHours.objects.create(site=site, weekday=0, opens=dt.time(8), closes=dt.time(17))
    monday_0730_utc = dt.datetime(2026, 11, 23, 7, 30, tzinfo=dt.UTC)  # 08:30 in Berlin
    assert is_open(site=site, now=monday_0730_utc)
    assert not is_open(site=site, now=monday_0730_utc.replace(hour=6, minute=30))  # 07:30 Berlin
    assert not is_open(site=site, now=monday_0730_utc.replace(hour=16))  # 17:00 Berlin: closed
    assert not is_open(site=site, now=monday_0730_utc + dt.timedelta(days=1))  # Tuesday: no hours
    Holiday.objects.create(site=site, date=dt.date(2026, 11, 23), name="Staff day")
    assert not is_open(site=site, now=monday_0730_utc)


@pytest.mark.django_db
def test_closed_site_shows_message_and_no_flows(client, site, issues):
    today = timezone.now().astimezone(dt.UTC).date()
    Holiday.objects.create(site=site, date=today)
    site.closed_text = "Back on Monday."
    site.save()
    for path in ("/", "/key/", "/survey/"):
        html = client.get(path).content.decode()
        assert "Back on Monday." in html
        assert elements(html, name="key") == elements(html, name="issue") == []
    from tests.conftest import form_data

    response = client.post("/key/", form_data(key="1234567"))
    assert response.status_code == 200 and "Location" not in response


@pytest.mark.django_db
def test_when_a_closed_site_opens_again(site):
    from portal.selectors import next_opening

    site.time_zone = "Europe/Berlin"
    site.save()
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    monday_1800 = dt.datetime(2026, 11, 23, 18, 0, tzinfo=berlin)
    # No hours: open all day, every day that is no holiday.
    assert next_opening(site=site, now=monday_1800) is None
    Holiday.objects.create(site=site, date=dt.date(2026, 11, 23))
    Holiday.objects.create(site=site, date=dt.date(2026, 11, 24))
    assert next_opening(site=site, now=monday_1800) == dt.datetime(2026, 11, 25, 0, 0, tzinfo=berlin)
    # Hours on Monday and Wednesday: the next opening on a day that is no holiday.
    OpeningHours.objects.create(site=site, weekday=0, opens=dt.time(8), closes=dt.time(12))
    OpeningHours.objects.create(site=site, weekday=0, opens=dt.time(13), closes=dt.time(17))
    OpeningHours.objects.create(site=site, weekday=2, opens=dt.time(9, 30), closes=dt.time(17))
    assert next_opening(site=site, now=monday_1800) == dt.datetime(2026, 11, 25, 9, 30, tzinfo=berlin)
    Holiday.objects.all().delete()
    monday_1200 = monday_1800.replace(hour=12, minute=15)  # the lunch break
    assert next_opening(site=site, now=monday_1200) == monday_1800.replace(hour=13, minute=0)
    assert next_opening(site=site, now=monday_1800.replace(hour=10)) is None  # open now
    # Asked in UTC, answered in the site's zone.
    assert next_opening(site=site, now=monday_1800.astimezone(dt.UTC)).tzinfo == berlin
    # Nothing within two weeks: the site's own text says when.
    for day in range(15):
        Holiday.objects.get_or_create(site=site, date=dt.date(2026, 11, 24) + dt.timedelta(days=day))
    assert next_opening(site=site, now=monday_1800) is None


@pytest.mark.django_db
def test_hours_that_close_at_midnight_run_to_the_end_of_the_day(client, site, issues):
    """Closing at 00:00 is the end of the day (24:00): an evening shift, a whole day, a night
    shift on two rows, with no minute closed at midnight."""
    site.time_zone = "Europe/Berlin"
    site.save()
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    evening = OpeningHours(site=site, weekday=0, opens=dt.time(20), closes=dt.time(0))
    evening.full_clean()
    evening.save()
    whole_day = OpeningHours(site=site, weekday=1, opens=dt.time(0), closes=dt.time(0))
    whole_day.full_clean()
    whole_day.save()
    with pytest.raises(ValidationError):
        OpeningHours(site=site, weekday=2, opens=dt.time(9), closes=dt.time(8)).full_clean()
    with pytest.raises(ValidationError):
        OpeningHours(site=site, weekday=2, opens=dt.time(9), closes=dt.time(9)).full_clean()

    def at(day: int, hour: int, minute: int, second: int = 0) -> dt.datetime:
        """The week of Monday 23 November 2026, in Berlin."""
        return dt.datetime(2026, 11, 23 + day, hour, minute, second, tzinfo=berlin)

    assert not is_open(site=site, now=at(0, 19, 59))
    assert is_open(site=site, now=at(0, 20, 0))
    assert is_open(site=site, now=at(0, 23, 59, 59))
    assert is_open(site=site, now=at(1, 0, 0))  # Tuesday's row from 00:00: no gap
    assert is_open(site=site, now=at(1, 23, 59, 59))
    assert not is_open(site=site, now=at(2, 0, 0))
    assert [str(row) for row in site.opening_hours.all()] == ["Monday 20:00–24:00", "Tuesday 00:00–24:00"]


@pytest.mark.django_db
def test_an_opening_in_the_spring_forward_gap_is_a_time_that_exists(site):
    from portal.selectors import next_opening

    site.time_zone = "Europe/Berlin"
    site.save()
    # 29 March 2026 is a Sunday: Berlin's clocks jump from 02:00 to 03:00.
    OpeningHours.objects.create(site=site, weekday=6, opens=dt.time(2, 30), closes=dt.time(6))
    saturday = dt.datetime(2026, 3, 28, 20, 0, tzinfo=dt.UTC)
    opens = next_opening(site=site, now=saturday)
    assert (opens.hour, opens.minute, opens.utcoffset()) == (3, 30, dt.timedelta(hours=2))
    assert is_open(site=site, now=opens)


# How each language writes "Wednesday, 25 November 2026, 9:30" (CLDR, through Babel): lower-case
# weekdays and months where the language writes them so, no zero-padded day, its own order.
OPENS_AGAIN = [
    ("en-us", "Wednesday, November 25, 2026, 9:30 AM"),
    ("de", "Mittwoch, 25. November 2026, 09:30"),
    ("es", "miércoles, 25 de noviembre de 2026, 9:30 a.m."),
    ("es-sp", "miércoles, 25 de noviembre de 2026, 9:30"),
    ("fi", "keskiviikko 25. marraskuuta 2026 9.30"),
    ("fr", "mercredi 25 novembre 2026, 09:30"),
    ("it", "mercoledì 25 novembre 2026 09:30"),
    ("nl", "woensdag 25 november 2026, 09:30"),
    ("pt-br", "quarta-feira, 25 de novembro de 2026 09:30"),
    ("pt-pt", "quarta-feira, 25 de novembro de 2026, 09:30"),
    ("sv-se", "onsdag 25 november 2026 09:30"),
    ("tr", "25 Kasım 2026 Çarşamba 09:30"),
    ("ja", "2026年11月25日水曜日 9:30"),
    ("zh-hans", "2026年11月25日星期三 09:30"),
    ("zh", "2026年11月25日 星期三 上午9:30"),
    ("ru", "среда, 25 ноября 2026 г., 09:30"),
]


def closed_page(client, site, time_machine, locale, *, zone="Europe/Berlin", hours=None) -> str:
    """The key page, in `locale`, of a site in `zone` that is closed: Monday 23 November 2026 at
    17:00 UTC (18:00 in Berlin), with `hours` (weekday, opens, closes) or Wednesday 09:30-17:00,
    every language enabled."""
    site.time_zone = zone
    site.enabled_languages = []
    site.save()
    for weekday, opens, closes in hours or [(2, dt.time(9, 30), dt.time(17))]:
        OpeningHours.objects.create(site=site, weekday=weekday, opens=opens, closes=closes)
    time_machine.move_to(dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC), tick=False)
    return client.get(f"/key/?locale={locale}").content.decode()


def text_of(node) -> str:
    """An element's text with its white space as one plain space each: CLDR writes thin and
    narrow no-break spaces around a range's dash and before AM/PM. The word joiners that keep
    a range on one line (U+2060, no width) are left out."""
    return " ".join(node.text.replace("\u2060", "").split())


@pytest.mark.django_db
@pytest.mark.parametrize(("locale", "opens_at"), OPENS_AGAIN)
def test_the_closed_page_says_when_it_opens_again_as_the_language_writes_it(
    client, site, issues, time_machine, locale, opens_at
):
    html = closed_page(client, site, time_machine, locale)
    assert element(element(html, "p", class_="next-opening"), "strong").text == opens_at
    # The tab's title names the page first, as every other page's does.
    assert element(html, "title").text == f"{element(html, 'h1').text} · Acme Support"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("locale", "line"),
    [
        ("en-us", "We open again: Wednesday,"),
        ("fr", "Réouverture\u00a0: mercredi"),  # the space before the colon never breaks
        # A full-width colon carries its own space: a second one read as a double gap.
        ("ja", "再開日時：2026年"),
        ("zh-hans", "重新开放时间：2026年"),
        ("zh", "重新開放時間：2026年"),
    ],
)
def test_the_opening_line_has_one_gap_between_its_label_and_the_moment(
    client, site, issues, time_machine, locale, line
):
    html = closed_page(client, site, time_machine, locale)
    assert element(html, "p", class_="next-opening").raw_text().startswith(line)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("locale", "line"),
    [
        # A day without its time: "再開日時" (date and time) would promise an hour that is not there.
        ("ja", "再開日：2026年11月25日水曜日"),
        ("zh", "重新開放日期：2026年11月25日 星期三"),
        ("zh-hans", "重新开放日期：2026年11月25日星期三"),
        ("en-us", "We open again: Wednesday, November 25, 2026"),
        ("fr", "Réouverture\u00a0: mercredi 25 novembre 2026"),
    ],
)
def test_the_opening_line_of_a_day_open_all_day_names_a_date_alone(
    client, site, issues, time_machine, locale, line
):
    html = closed_page(client, site, time_machine, locale, hours=[(2, dt.time(0), dt.time(0))])
    assert element(html, "p", class_="next-opening").raw_text() == line


# The time zone as CLDR names it in each language (Babel): generic name and city, in the
# language's own pattern; never the IANA name, which is English.
ZONE_WORDS = [
    ("en-us", "Time zone: Central European Time (Berlin)"),
    ("de", "Zeitzone: Mitteleuropäische Zeit (Berlin)"),
    ("es", "Zona horaria: hora de Europa central (Berlín)"),
    ("es-sp", "Zona horaria: hora de Europa central (Berlín)"),
    ("fi", "Aikavyöhyke: Keski-Euroopan aika (Berliini)"),
    ("fr", "Fuseau horaire : heure d’Europe centrale (Berlin)"),
    ("it", "Fuso orario: Ora dell’Europa centrale (Berlino)"),
    ("nl", "Tijdzone: Midden-Europese tijd (Berlijn)"),
    ("pt-br", "Fuso horário: Horário da Europa Central (Berlim)"),
    ("pt-pt", "Fuso horário: Hora da Europa Central (Berlim)"),
    ("sv-se", "Tidszon: centraleuropeisk tid (Berlin)"),
    ("tr", "Saat dilimi: Orta Avrupa Saati (Berlin)"),
    ("ja", "タイムゾーン：中央ヨーロッパ時間（ベルリン）"),
    ("zh-hans", "时区：中欧时间（柏林）"),
    ("zh", "時區：中歐時間（柏林）"),
    ("ru", "Часовой пояс: Центральная Европа (Берлин)"),
]


# The opening hours as CLDR writes each language's weekdays, times and ranges of times (Russian's
# dash the en dash, as its other ranges: TIME_RANGE_MARKS): Monday 09:00-17:30,
# Friday 20:00 to the end of the day (00:00), Saturday the whole day.
HOURS_WORDS = [
    ("en-us", ["Monday 9:00 AM – 5:30 PM", "Friday 8:00 PM – 12:00 AM", "Saturday all day"]),
    ("de", ["Montag 09:00–17:30", "Freitag 20:00–24:00", "Samstag ganztägig"]),
    ("es", ["lunes 9:00 a.m. – 5:30 p.m.", "viernes 8:00 p.m. – 12:00 a.m.", "sábado todo el día"]),
    ("es-sp", ["lunes 9:00–17:30", "viernes 20:00–24:00", "sábado todo el día"]),
    ("fi", ["maanantai 9.00–17.30", "perjantai 20.00–24.00", "lauantai koko päivä"]),
    ("fr", ["lundi 09:00 – 17:30", "vendredi 20:00 – 24:00", "samedi toute la journée"]),
    ("it", ["lunedì 09:00–17:30", "venerdì 20:00–24:00", "sabato tutto il giorno"]),
    ("nl", ["maandag 09:00–17:30", "vrijdag 20:00–24:00", "zaterdag de hele dag"]),
    ("pt-br", ["segunda-feira 09:00 – 17:30", "sexta-feira 20:00 – 24:00", "sábado o dia todo"]),
    ("pt-pt", ["segunda-feira 09:00 – 17:30", "sexta-feira 20:00 – 24:00", "sábado todo o dia"]),
    ("sv-se", ["måndag 09:00–17:30", "fredag 20:00–24:00", "lördag hela dagen"]),
    ("tr", ["Pazartesi 09:00–17:30", "Cuma 20:00–24:00", "Cumartesi tüm gün"]),
    ("ja", ["月曜日 9:00～17:30", "金曜日 20:00～24:00", "土曜日 終日"]),
    ("zh-hans", ["星期一 09:00–17:30", "星期五 20:00–24:00", "星期六 全天"]),
    ("zh", ["星期一 上午9:00至下午5:30", "星期五 晚上8:00至午夜12:00", "星期六 全天"]),
    ("ru", ["понедельник 09:00–17:30", "пятница 20:00–24:00", "суббота круглосуточно"]),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("locale", "hours_words"), HOURS_WORDS)
def test_the_closed_page_lists_the_hours_as_the_language_writes_them(
    client, site, issues, time_machine, locale, hours_words
):
    hours = [(0, dt.time(9), dt.time(17, 30)), (4, dt.time(20), dt.time(0)), (5, dt.time(0), dt.time(0))]
    html = closed_page(client, site, time_machine, locale, hours=hours)
    listed = [text_of(item) for item in elements(element(html, "ul", class_="opening-hours"), "li")]
    assert listed == [" ".join(line.split()) for line in hours_words]


# The spaces that never break: no-break, figure and narrow no-break (CLDR's before "AM").
UNBREAKABLE_SPACES = "\u00a0\u2007\u202f"


@pytest.mark.parametrize("locale", [code for code, _name in settings.LANGUAGES])
def test_a_range_of_opening_hours_is_never_split_across_two_lines(locale):
    """CLDR spaces the English, French, Portuguese and Latin American Spanish ranges with thin
    spaces (U+2009), at which a line may break: "Monday 9:00 AM –" / "5:00 PM". Every space inside a range
    is one that never breaks, and its mark is held by word joiners
    (docs/decisions/0099-time-zone-names-as-cldr-writes-them.md); the space after the weekday
    still may."""
    from babel.dates import get_day_names
    from django.utils import translation

    from portal.dates import babel_locale
    from portal.views.rendering import opening_hours_words

    hours = [(0, dt.time(9), dt.time(17, 30)), (2, dt.time(8), dt.time(11)), (4, dt.time(20), dt.time(0))]
    rows = [OpeningHours(weekday=day, opens=opens, closes=closes) for day, opens, closes in hours]
    with translation.override(locale):
        lines = opening_hours_words(rows)
        days = get_day_names("wide", context="stand-alone", locale=babel_locale())
    ranges = []
    for (weekday, _opens, _closes), line in zip(hours, lines, strict=True):
        assert line.startswith(f"{days[weekday]} ")
        ranges.append(line.removeprefix(f"{days[weekday]} "))
    assert all(re.search(r"\d\D+\d", text) for text in ranges)  # two times and what joins them
    breaking = [
        (text, hex(ord(c))) for text in ranges for c in text if c.isspace() and c not in UNBREAKABLE_SPACES
    ]
    assert breaking == []
    # Nor beside its dash, "～" or "至" (Chromium breaks after a dash even before a no-break space):
    # a word joiner stands on each side.
    assert [text for text in ranges if re.search(r"[^\u2060][–～至]|[–～至][^\u2060]", text)] == []


@pytest.mark.parametrize("table", [OPENS_AGAIN, HOURS_WORDS, ZONE_WORDS], ids=["opens", "hours", "zone"])
def test_every_language_has_its_words(table):
    assert sorted(code for code, _words in table) == sorted(code for code, _name in settings.LANGUAGES)


@pytest.mark.django_db
@pytest.mark.parametrize(("locale", "zone_words"), ZONE_WORDS)
def test_the_closed_page_names_the_time_zone_in_the_customers_language(
    client, site, issues, time_machine, locale, zone_words
):
    html = closed_page(client, site, time_machine, locale)
    assert text_of(element(html, "p", class_="time-zone")) == zone_words
    assert "Europe/Berlin" not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone", "locale", "zone_words"),
    [
        ("Etc/GMT-3", "en-us", "Time zone: GMT+03:00"),  # IANA's Etc signs are inverted: UTC+3
        ("Etc/GMT-3", "fr", "Fuseau horaire : UTC+03:00"),
        ("UTC", "de", "Zeitzone: GMT+00:00"),
        # no generic name in CLDR: the offset stands for it, never a "summer time" country name
        ("Asia/Amman", "es", "Zona horaria: GMT+03:00 (Ammán)"),
        ("Asia/Amman", "ru", "Часовой пояс: GMT+03:00 (Амман)"),
        ("Asia/Calcutta", "en-us", "Time zone: India Time (Kolkata)"),  # an old name: its new one's words
    ],
)
def test_a_zone_without_a_name_of_its_own_is_named_by_its_offset(
    client, site, issues, time_machine, zone, locale, zone_words
):
    html = closed_page(client, site, time_machine, locale, zone=zone)
    assert text_of(element(html, "p", class_="time-zone")) == zone_words


@pytest.mark.django_db
def test_a_holiday_without_hours_names_the_day_it_opens_and_the_zone(client, site, issues, time_machine):
    site.time_zone = "America/New_York"
    site.save()
    Holiday.objects.create(site=site, date=dt.date(2026, 11, 26), name="Thanksgiving")
    time_machine.move_to(dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC), tick=False)  # 10:00 in New York
    html = client.get("/key/?locale=en-us").content.decode()
    assert element(element(html, "p", class_="next-opening"), "strong").text == "Friday, November 27, 2026"
    assert (
        " ".join(element(html, "p", class_="time-zone").text.split()) == "Time zone: Eastern Time (New York)"
    )


def test_site_validation_of_time_zone_and_origins(db, backend):
    from portal.models import Site

    backend.client_id, backend.client_secret = "id", "secret"  # the default rep list needs them

    site = Site(name="X", backend=backend, time_zone="Mars/Olympus", frame_ancestors="javascript:alert(1)")
    with pytest.raises(ValidationError) as error:
        site.full_clean()
    assert set(error.value.message_dict) == {"time_zone", "frame_ancestors"}
    for bad in ("https://a.example; script-src *", "https://a.example/path", "a.example", "https://"):
        site = Site(name="X", backend=backend, frame_ancestors=bad)
        with pytest.raises(ValidationError):
            site.full_clean()
    site = Site(
        name="X",
        backend=backend,
        frame_ancestors="https://help.example.com\nhttp://localhost:8080\nhttps://*.desk.example",
    )
    site.full_clean()


@pytest.mark.django_db
def test_site_texts_in_the_customers_language_with_fallback(client, site, issues):
    from portal.models import DEFAULT_WARNING, SiteTranslation

    site.welcome_text = "Welcome to Acme."
    site.consent_text = "The technician sees your screen."
    site.warning_text = str(DEFAULT_WARNING)  # as a new site has it
    site.save()
    SiteTranslation.objects.create(site=site, language="de", welcome_text="Willkommen bei Acme.")
    german = client.get("/?locale=de").content.decode()
    assert "Willkommen bei Acme." in german and "Welcome to Acme." not in german
    # The built-in warning speaks the customer's language; untranslated texts fall back.
    assert "Fahren Sie nur fort, wenn Sie sich selbst an uns gewandt haben." in german
    assert "The technician sees your screen." in client.get("/survey/?locale=de").content.decode()
    french = client.get("/?locale=fr").content.decode()
    assert "Welcome to Acme." in french
    # A warning the admin wrote is shown as written.
    site.warning_text = "Nur wenn Sie uns angerufen haben."
    site.save()
    assert "Nur wenn Sie uns angerufen haben." in client.get("/?locale=ja").content.decode()


@pytest.mark.django_db
def test_without_a_logo_the_neutral_mark_and_favicon_show_and_a_logo_replaces_both(
    client, site, settings, tmp_path
):
    html = client.get("/").content.decode()
    assert 'href="/static/portal/icons.svg#mark"' in html
    assert [link.attrs for link in elements(html, "link", rel="icon")] == [
        {"rel": "icon", "href": "/static/portal/mark.svg", "type": "image/svg+xml"},
        {"rel": "icon", "href": "/static/portal/favicon.png", "type": "image/png", "sizes": "32x32"},
    ]
    assert finders.find("portal/favicon.png") and finders.find("portal/mark.svg")
    settings.MEDIA_ROOT = tmp_path
    site.logo.save("acme.png", io.BytesIO(PNG_1PX))
    html = client.get("/").content.decode()
    assert [link.attrs for link in elements(html, "link", rel="icon")] == [
        {"rel": "icon", "href": f"/media/{site.logo.name}"}
    ]
    assert "icons.svg#mark" not in html and "favicon.png" not in html


@pytest.mark.django_db
def test_footer_gives_the_sites_contact_privacy_link_and_languages(client, site):
    site.enabled_languages = ["en-us", "de", "ja"]
    site.contact_email, site.contact_phone = "help@acme.example", "+49 30 1234567"
    site.contact_url, site.privacy_url = "https://acme.example/contact", "https://acme.example/privacy"
    site.save()
    html = client.get("/survey/?locale=de").content.decode()
    footer = element(html, "footer", class_="site-footer")
    assert element(footer, "h2", id="footer-contact-title").text == "Kontakt"
    assert "Telefon: +49 30 1234567" in footer.text
    links = {a.attrs["href"]: a for a in elements(footer, "a")}
    assert links["tel:+49301234567"].text == "+49 30 1234567"
    assert links["mailto:help@acme.example"].text == "help@acme.example"
    assert links["https://acme.example/contact"].text == "Kontaktseite"
    assert links["https://acme.example/privacy"].text == "Datenschutzerklärung"
    # The language links keep the page the customer is on.
    assert (links["/survey/?locale=ja"].text, links["/survey/?locale=ja"].attrs) == (
        "日本語",
        {"href": "/survey/?locale=ja", "lang": "ja", "hreflang": "ja"},
    )
    assert (links["/survey/?locale=de"].text, links["/survey/?locale=de"].attrs) == (
        "Deutsch",
        {"href": "/survey/?locale=de", "lang": "de", "hreflang": "de", "aria-current": "true"},
    )


@pytest.mark.django_db
def test_japanese_and_chinese_pages_write_the_full_width_colon(client, site, issues):
    """A walk-through: "電話: +49…" and the error summary's "お名前: この項目を…" took the
    ASCII colon and space where Japanese and Chinese write "：", which carries its own space.
    The site offers issues: a survey with none answers a send without a summary."""
    site.enabled_languages = ["en-us", "ja", "zh-hans"]
    site.contact_email, site.contact_phone = "help@acme.example", "+49 30 1234567"
    site.save()
    for locale, phone in (("ja", "電話：+49 30 1234567"), ("zh-hans", "电话：+49 30 1234567")):
        html = client.get(f"/survey/?locale={locale}").content.decode()
        footer = element(html, "footer", class_="site-footer")
        assert phone in footer.text and ": " not in footer.text
    # The summary leads a message that does not name its field ("この項目を…") with the label.
    page = client.post("/survey/", form_data(name="", locale="ja")).content.decode()
    summary = element(page, "div", class_="error-summary").text
    assert "お名前：" in summary and ": " not in summary
    page = client.post("/survey/", form_data(name="", locale="en-us")).content.decode()
    assert "Your name: " in element(page, "div", class_="error-summary").text  # others keep ": "


@pytest.mark.django_db
def test_a_label_ending_in_a_full_width_question_mark_leads_its_error_without_a_space(client, site, issues):
    """The error summary joins a question label and its error: "？" carries its own space."""
    site.enabled_languages = ["en-us", "ja"]
    site.save()
    CustomField.objects.create(
        site=site, code_name="devices", label="台数は？", field_type=CustomField.Type.NUMBER
    )
    page = client.post("/survey/", form_data(cf_devices="x", locale="ja")).content.decode()
    link = element(page, "a", href="#id_cf_devices")
    assert link.raw_text().startswith("台数は？42")  # no space after "？"
    assert link.raw_text().endswith("数値を入力してください。")
    CustomField.objects.create(
        site=site, code_name="rooms", label="How many?", field_type=CustomField.Type.NUMBER
    )
    page = client.post("/survey/", form_data(cf_rooms="x", locale="en-us")).content.decode()
    link = element(page, "a", href="#id_cf_rooms")
    assert link.raw_text() == "How many? Please enter a number, like 42 or 3.5."


@pytest.mark.django_db
def test_footer_without_contact_details_has_no_empty_contact_block(client, site):
    html = client.get("/").content.decode()
    assert "footer-contact" not in html and "tel:" not in html and "mailto:" not in html


@pytest.mark.django_db
def test_admin_keeps_contact_details_and_reads_a_bare_address_as_https(admin_client, site):
    response = save_site_in_admin(
        admin_client,
        site,
        contact_email="help@acme.example",
        contact_phone="+49 30 1234567",
        contact_url="acme.example/contact",
        privacy_url="https://acme.example/privacy",
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    site.refresh_from_db()
    assert (site.contact_email, site.contact_phone, site.contact_url, site.privacy_url) == (
        "help@acme.example",
        "+49 30 1234567",
        "https://acme.example/contact",
        "https://acme.example/privacy",
    )
    page = admin_client.get(reverse("admin:portal_site_change", args=[site.pk])).content.decode()
    assert "Contact" in [heading.text for heading in elements(page, "h2", class_="fieldset-heading")]


# --- Opening hours in the admin: no overlaps on a day --------------------------------------------
def opening_hours_form(rf, admin_user, site, rows):
    """The site admin's opening-hours inline, bound to `rows` as the admin page posts them:
    (weekday, opens, closes[, delete])."""
    from django.contrib import admin as django_admin

    from portal.admin.sites import OpeningHoursInline
    from portal.models import Site

    request = rf.post(reverse("admin:portal_site_changelist"))
    request.user = admin_user
    formset_class = OpeningHoursInline(Site, django_admin.site).get_formset(request, site)
    prefix = formset_class.get_default_prefix()
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0"}
    for index, (weekday, opens, closes, *delete) in enumerate(rows):
        data.update({f"{prefix}-{index}-weekday": weekday, f"{prefix}-{index}-opens": opens})
        data[f"{prefix}-{index}-closes"] = closes
        if delete:
            data[f"{prefix}-{index}-DELETE"] = "on"
    return formset_class(data, instance=site, prefix=prefix)


@pytest.mark.django_db
def test_overlapping_opening_hours_on_a_day_are_refused_naming_both(rf, admin_user, site):
    formset = opening_hours_form(rf, admin_user, site, [(0, "09:00", "17:00"), (0, "12:00", "18:00")])
    assert not formset.is_valid()
    assert formset.non_form_errors() == ["Opening hours overlap: Monday 09:00–17:00 and Monday 12:00–18:00."]


@pytest.mark.django_db
def test_a_row_to_the_end_of_the_day_overlaps_a_later_one(rf, admin_user, site):
    formset = opening_hours_form(rf, admin_user, site, [(4, "22:00", "23:00"), (4, "20:00", "00:00")])
    assert not formset.is_valid()
    assert formset.non_form_errors() == ["Opening hours overlap: Friday 20:00–24:00 and Friday 22:00–23:00."]


@pytest.mark.django_db
def test_touching_rows_other_days_and_deleted_rows_are_no_overlap(rf, admin_user, site):
    rows = [
        (0, "09:00", "12:00"),
        (0, "12:00", "17:00"),  # touches the morning: one after the other
        (1, "09:00", "17:00"),  # the same hours on another day
        (0, "10:00", "11:00", "delete"),  # being deleted on the same page
        (6, "20:00", "00:00"),
        (6, "00:00", "08:00"),  # Sunday's early hours and its evening to midnight
    ]
    formset = opening_hours_form(rf, admin_user, site, rows)
    assert formset.is_valid(), formset.non_form_errors()
    formset.save()
    assert [str(row) for row in site.opening_hours.all()] == [
        "Monday 09:00–12:00",
        "Monday 12:00–17:00",
        "Tuesday 09:00–17:00",
        "Sunday 00:00–08:00",
        "Sunday 20:00–24:00",
    ]


@pytest.mark.django_db
def test_the_overlap_is_told_in_the_admins_language(rf, admin_user, site):
    from django.utils import translation

    with translation.override("de"):
        formset = opening_hours_form(rf, admin_user, site, [(2, "08:00", "12:00"), (2, "11:00", "13:00")])
        assert not formset.is_valid()
        assert formset.non_form_errors() == [
            "Öffnungszeiten überschneiden sich: Mittwoch 08:00–12:00 und Mittwoch 11:00–13:00."
        ]
