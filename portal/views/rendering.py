"""How every customer page is rendered: the site's CSP, the language links, the shared
context, the closed page; and the person tiles' initials."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable
from datetime import datetime
from typing import TypeGuard
from urllib.parse import urlencode, urlsplit

from babel import Locale
from babel.core import get_global
from babel.dates import (
    format_date,
    format_time,
    get_day_names,
    get_timezone_gmt,
    get_timezone_location,
    get_timezone_name,
    tokenize_pattern,
)
from csp.constants import NONE, SELF
from django.conf import settings
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.encoding import escape_uri_path

from portal import guards, selectors
from portal.caching import NEUTRAL_PARAMETERS, exempt_from_page_cache
from portal.dates import babel_locale, date_and_time
from portal.http import PortalRequest, SiteRequest
from portal.languages import html_lang
from portal.models import Backend, OpeningHours, Site, closes_at_midnight


def backend_origins(backend: Backend) -> list[str]:
    """Origins the customer's browser may be sent to: the only places the portal redirects."""
    urls = backend.adapter.redirect_origins()
    origins = []
    for url in urls:
        parts = urlsplit(url)
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return origins


def frame_ancestors(site: Site) -> dict[str, list[str]]:
    """The site's allowed embedding origins, and no other, may frame the page."""
    return {"frame-ancestors": list(site.allowed_frame_origins) or [NONE]}


def customer_csp(site: Site | None) -> dict[str, list[str]]:
    """What a customer page changes in the baseline policy (settings.CONTENT_SECURITY_POLICY):
    the site's allowed embedding origins may frame it, and its forms may post to (and be
    redirected to) the backend's origins. No site: the baseline as it is."""
    if site is None:
        return {}
    return {**frame_ancestors(site), "form-action": [SELF, *backend_origins(site.backend)]}


def set_customer_csp(response: HttpResponseBase, site: Site | None) -> None:
    """Attaches `customer_csp(site)` for portal.middleware.ContentSecurityPolicyMiddleware: it rides
    on the response, as Django's own `xframe_options_exempt` does, so a cached page keeps it."""
    response.portal_csp = customer_csp(site)  # type: ignore[attr-defined]  # ours; no stub declares it


def allow_site_frames(response: HttpResponseBase, site: Site | None) -> None:
    """Lets exactly the site's allowed embedding origins frame a page that offers nothing to
    click but links (an error page: docs/decisions/0115-error-pages-in-a-frame.md): its
    frame-ancestors, as on the site's customer pages, and no X-Frame-Options, which cannot
    name origins. The rest of the policy stays the baseline's. No site, or one that allows no
    origin: frame-ancestors 'none', and DENY (XFrameOptionsMiddleware's, on every response)."""
    if site is None or not site.allowed_frame_origins:
        response.portal_csp = {}  # type: ignore[attr-defined]  # the baseline, as set_customer_csp(None)
        return
    response.portal_csp = frame_ancestors(site)  # type: ignore[attr-defined]
    response.xframe_options_exempt = True  # type: ignore[attr-defined]


def is_embedded(request: PortalRequest) -> bool:
    """Whether the page is drawn for a frame: `embed=1` in its address, or, for the answer to a
    POST (errors, the start button), the form's own `embedded` field, which portal.js sets in a
    frame: no footer flashing in and out of the frame."""
    return request.GET.get("embed") == "1" or (
        request.method == "POST" and request.POST.get("embedded") == "1"
    )


def nav_query(language: str, *, embedded: bool) -> str:
    """The query of the portal's own links on a page: its language and, in a frame, the
    embedded layout, so the next page is drawn for the frame from its first paint, as this
    one was."""
    return urlencode({"locale": language, **({"embed": "1"} if embedded else {})})


def links_query(request: PortalRequest) -> str:
    """The query the language links carry: every parameter but `locale`, and `embed` only as the
    page reads it (`1`, else none; a POST's answer in a frame says 1 too). A cached page is shared
    by every request of its key, which has only whether `embed` is 1 (caching.page_cache_key):
    any other `embed` value in its links would be the first requester's text in every visitor's
    page."""
    carried = {k: v for k, v in request.GET.items() if k not in ("locale", "embed")}
    if is_embedded(request):
        carried["embed"] = "1"
    return urlencode(carried)


def links_prefix(request: PortalRequest) -> str:
    """The page's path and `links_query`, ready for `locale` to be added last. The path is
    encoded as a link's (a backslash too), and begins with one slash only: the 404 page repeats
    an address the visitor chose, and `//host/...` there would be a link to another host."""
    path = "/" + escape_uri_path(request.path).lstrip("/")
    query = links_query(request)
    return f"{path}?{query}&" if query else f"{path}?"


def page_url(request: PortalRequest) -> str:
    """This page's own address for a "Check again" link. A request with the customer's own
    values (a prefill link) is never in the page cache and keeps its query as it came; any other
    page may be shared by every request of its key (caching.page_cache_key: site, language,
    whether `embed` is 1, path), so its link carries only those, never the first requester's
    `embed=<text>` or other spelling of the query."""
    if not NEUTRAL_PARAMETERS.issuperset(request.GET):
        return request.get_full_path()
    return f"{links_prefix(request)}{urlencode({'locale': request.LANGUAGE_CODE})}"  # its language link


def language_links(request: PortalRequest, site: Site, *, prefix: str | None = None) -> list[dict]:
    """The page in each of the site's languages: its query with `locale` last, set to each.
    `prefix` replaces the page's path and query before `locale` (`links_prefix`): an error page
    gives a query-only one (errors.error_links_prefix)."""
    names = dict(settings.LANGUAGES)
    prefix = links_prefix(request) if prefix is None else prefix
    return [
        {
            "code": code,
            "lang": html_lang(code),  # the BCP 47 tag (`es-ES`, `zh-Hant`): ours are the vendor's
            "name": names[code],
            "current": code == request.LANGUAGE_CODE,
            "url": f"{prefix}{urlencode({'locale': code})}",
        }
        for code in site.languages
    ]


def initials(name: str) -> str:
    """The letters on a person's tile: first letters of the first and last word of the name.

    Words without a letter or digit ("&", "-") are skipped, and the letter is the word's first
    one, so "Jo (Partner)" gives "JP". A script without capitals (Japanese, Chinese) gets its
    first character only: two characters from two words would read as a different name.
    The letters are capitalised as the page's language writes capitals (`upper_case`): a
    Turkish page shows "İK" for "ilker kaya". The JSON list sends these, so the tiles portal.js
    builds show exactly the same.
    """
    firsts = [
        next(char for char in word if char.isalnum())
        for word in name.split()
        if any(char.isalnum() for char in word)
    ]
    if not firsts:
        return ""
    if firsts[0].upper() == firsts[0].lower():
        return firsts[0]
    return upper_case("".join([firsts[0], firsts[-1]] if len(firsts) > 1 else firsts[:1]))


# The languages whose dotted and dotless i are two letters, each with its own capital:
# i -> İ, ı -> I (Python's str.upper() gives "I" for both). Azerbaijani writes them the same way.
DOTTED_I_LANGUAGES = frozenset({"tr", "az"})


def upper_case(text: str) -> str:
    """`text` in capitals as the active language writes them."""
    if (translation.get_language() or "").split("-")[0] in DOTTED_I_LANGUAGES:
        text = text.replace("i", "\u0130")
    return text.upper()


def enabled_flows(site: Site) -> list[str]:
    flows = []
    if site.show_session_key:
        flows.append("key")
    if site.show_survey and survey_has_a_choice(site):
        flows.append("survey")
    if site.show_rep_list:
        flows.append(site.backend.adapter.person_flow)
    return flows


def survey_has_a_choice(site: Site) -> bool:
    """A survey without an issue to pick (and no representatives in its menu) cannot start:
    it is not offered, as a survey the site turned off is not
    (docs/decisions/0035-no-pointless-choices.md). The issues are read per site version."""
    return selectors.reps_in_issue_menu(site) or bool(
        selectors.active_issues(site=site, language=site.default_language)
    )


def render_customer_page(
    request: PortalRequest, template: str, context: dict | None = None, *, status: int = 200
) -> HttpResponse:
    site = request.site
    context = {
        "site": site,
        "language": request.LANGUAGE_CODE,
        "html_lang": html_lang(request.LANGUAGE_CODE),
        "languages": language_links(request, site) if site else [],
        "page_url": page_url(request),
        "notice_shown": site is not None and selectors.notice_is_shown(site=site),
        "texts": selectors.site_texts(site=site, language=request.LANGUAGE_CODE) if site else None,
        "embedded": is_embedded(request),
        "form_ts": guards.form_timestamp(),
        "flows": enabled_flows(site) if site else [],
        **(context or {}),
    }
    context["nav_query"] = nav_query(context["language"], embedded=context["embedded"])
    response = render(request, template, context, status=status)
    set_customer_csp(response, site)
    response.xframe_options_exempt = True  # frame-ancestors in portal_csp decides
    return response


def site_ready(request: PortalRequest) -> TypeGuard[SiteRequest]:
    return request.site is not None and selectors.is_open(site=request.site)


def next_opening_words(moment: datetime | None) -> dict[str, str | bool]:
    """The closed page's "We open again:" moment, in the active language and the site's time
    zone (`moment` carries it): weekday and date and, unless the site opens at the day's start
    (no hours set), the time, as CLDR writes them for the language (Babel,
    docs/decisions/0097-dates-as-cldr-writes-them.md): "tiistai 8. joulukuuta 2026 9.00",
    "8 Aralık 2026 Salı 09:00", "2026年12月8日火曜日 9:00". It stands on its own after a label,
    so no language has to fit a weekday into a sentence. A day without its time says so
    (`opens_on_a_day`): its label is the one for a date alone (Japanese "再開日：", not the
    "再開日時：" of a date and time)."""
    if moment is None:
        return {}
    if moment.time() == datetime.min.time():
        return {"opens_at": format_date(moment, "full", locale=babel_locale()), "opens_on_a_day": True}
    return {"opens_at": date_and_time(moment, date_style="full")}


def time_zone_words(zone: str, moment: datetime | None = None) -> str:
    """The site's time zone as the active language names it (CLDR through Babel,
    docs/decisions/0099-time-zone-names-as-cldr-writes-them.md), never by its IANA name, which
    is English: the zone's generic name and its city in the language's pattern, "Central
    European Time (Berlin)", "中央ヨーロッパ時間（ベルリン）". A zone with no CLDR name of its own
    (Asia/Amman) has its offset at `moment` (now by default) for a name, "GMT+03:00 (Amman)",
    and one of no place (UTC, Etc/GMT-3) only the offset, "GMT+03:00" ("UTC+03:00" in French).
    """
    locale = babel_locale()
    tz = zoneinfo.ZoneInfo(zone)
    canonical = get_global("zone_aliases").get(zone, zone)
    place = get_global("zone_territories").get(canonical, "ZZ") != "ZZ"  # ZZ: CLDR's unknown region
    if place and canonical in get_global("meta_zones"):
        name = get_timezone_name(tz, "long", locale=locale)
    else:
        # Only a zone of a metazone has a generic name. For the others Babel falls back to the
        # language's "{country} time" pattern, which some languages' data gives in its
        # summer-time form ("hora de verano de …", "…, летнее время"), whatever the date.
        name = get_timezone_gmt((moment or timezone.now()).astimezone(tz), "long", locale=locale)
        if not place:
            return name
    city = get_timezone_location(tz, locale=locale, return_city=True)
    return Locale.parse(locale).zone_formats["fallback"] % {"0": city, "1": name}


def opening_hours_words(rows: Iterable[OpeningHours]) -> list[str]:
    """The closed page's opening hours, a line per row, written as CLDR writes the active
    language's weekdays, times and time ranges (docs/decisions/0097-dates-as-cldr-writes-them.md),
    like the "We open again:" moment above them: "Monday 9:00 AM – 5:00 PM", "maanantai
    9.00–17.00", "月曜日 9:00～17:00", "понедельник 09:00–17:00" (`time_range_mark`). A row
    closing at 00:00 runs to the end of its day: 24:00 in a language of the 24-hour clock,
    midnight in one of 12 ("8:00 PM – 12:00 AM"); a row of the whole day says so ("Tuesday all
    day")."""
    locale = babel_locale()
    days = get_day_names("wide", context="stand-alone", locale=locale)
    cldr = Locale.parse(locale)
    clock24 = cldr.time_formats["short"].pattern.startswith("H")
    between = f"{{0}}{time_range_mark(cldr, clock24=clock24)}{{1}}"
    lines = []
    for row in rows:
        day = days[row.weekday]
        if closes_at_midnight(row.closes) and row.opens == row.closes:
            # Outside the f-string: xgettext (make extract-messages) reads no call inside one.
            all_day = translation.gettext("all day")
            lines.append(f"{day} {all_day}")
            continue
        opens = format_time(row.opens, "short", locale=locale)
        closes = format_time(row.closes, "short", locale=locale)
        if clock24 and closes_at_midnight(row.closes):
            closes = re.sub(r"^0{1,2}(?=\D)", "24", closes)
        lines.append(f"{day} {kept_whole(between.replace('{0}', opens).replace('{1}', closes))}")
    return lines


# A character beside which a browser may break a line inside a range of times: a dash, a
# full-width tilde, an ideograph ("上午9:00至下午5:30").
RANGE_BREAK_POINT = re.compile(r"[\u2012-\u2015\u2e3a\u2e3b\u3000-\u9fff\uf900-\ufaff\uff01-\uff60]")


def kept_whole(time_range: str) -> str:
    """`time_range` as one unbreakable run: a word joiner (U+2060, no width) on each side of
    each character a line may break beside. Chromium breaks after a dash even before a no-break
    space ("9:00 AM –" / "5:00 PM", "09:00–" / "17:30"), before and after "～" and "至", and
    between two ideographs ("上" / "午9:00")."""
    return (
        RANGE_BREAK_POINT.sub(lambda mark: "\u2060" + mark[0] + "\u2060", time_range)
        .replace("\u2060\u2060", "\u2060")
        .strip("\u2060")
    )


# Where this project writes a range of times otherwise than CLDR: Russian CLDR joins two times
# by an em dash ("09:00—17:00"); between numbers Russian typography now sets the en dash, with no
# spaces, as the other languages' ranges do ("09:00–17:00").
TIME_RANGE_MARKS = {"ru": "\u2013"}


def time_range_mark(cldr: Locale, *, clock24: bool) -> str:
    """What stands between two times of a range in `cldr`'s language: the mark of CLDR's own
    interval format for hours and minutes (skeleton Hm, or hm between an AM and a PM time),
    with its spaces or none ("–" in German, Italian, Turkish, " – " with thin spaces in English
    and French, "～" in Japanese, "至" in Traditional Chinese). The generic fallback "{0} – {1}"
    is meant for ranges of whole dates and spaced the Russian range as a dash between words,
    "09:00 — 17:00"; docs/decisions/0097-dates-as-cldr-writes-them.md. The mark's spaces never
    break (`unbroken_spaces`); `kept_whole` holds the rest of the range together."""
    if cldr.language in TIME_RANGE_MARKS:
        return TIME_RANGE_MARKS[cldr.language]
    skeleton, difference = ("Hm", "H") if clock24 else ("hm", "a")
    parts = cldr.interval_formats.get(skeleton, {}).get(difference)
    tokens = tokenize_pattern(parts[0]) if parts else []
    if not tokens or tokens[-1][0] != "chars":
        return unbroken_spaces(str(cldr.interval_formats[None]).replace("{0}", "").replace("{1}", ""))
    literal = str(tokens[-1][1])
    # A unit the interval's own times carry ("9時00分～") is not the range's: the page's times
    # are the short ones ("9:00"). A mark that is a word ("至") is kept whole.
    mark = re.search(r"\W*$", literal)
    return unbroken_spaces(mark[0] if mark and mark[0] else literal)


def unbroken_spaces(text: str) -> str:
    """`text` with each space that may break replaced by one of its width that may not. CLDR
    spaces an English, French, Portuguese or Latin American Spanish range with thin spaces
    (U+2009), meant as narrow spacing (its own space inside "9:00 AM" is the narrow no-break
    U+202F), yet a line may break at a thin space, splitting "Monday 9:00 AM –" / "5:00 PM".
    A thin or hair space becomes U+202F, of that width; any other space U+00A0
    (docs/decisions/0099-time-zone-names-as-cldr-writes-them.md)."""
    return re.sub(
        r"[^\S\u00a0\u2007\u202f]",
        lambda space: "\u202f" if space[0] in "\u2008\u2009\u200a" else "\u00a0",
        text,
    )


def unavailable_page(request: PortalRequest) -> HttpResponse:
    """No site configured, or the site is closed: say so instead of showing flows."""
    if request.site is None:
        response = render(request, "portal/not_configured.html", status=503)
        set_customer_csp(response, None)
        return response
    response = render_customer_page(
        request,
        "portal/closed.html",
        {
            "opening_hours": opening_hours_words(request.site.opening_hours.all()),
            "time_zone": time_zone_words(request.site.time_zone),
            # Else today's opening hours, listed below, say it is open now.
            "closed_all_day": selectors.is_holiday(site=request.site),
            **next_opening_words(selectors.next_opening(site=request.site)),
        },
    )
    response.shows_no_flow = True  # type: ignore[attr-defined]  # not a view of a form (portal/analytics/middleware.py)
    return exempt_from_page_cache(response)  # opening time must show at once
