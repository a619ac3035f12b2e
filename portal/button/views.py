"""What the "get remote help" button shows: open or closed, and how many representatives are
online, never who (docs/decisions/0075-get-help-button.md).

One JSON document per site and language, read by static/portal/button.js on the host page. It
costs no vendor call: opening hours are the site's cached schedule, the count is the cached
representative list (`selectors.online_reps` with no wait: "pending" while a refresh runs).
Cookie-free and cacheable for a few seconds by browsers and proxies; readable cross-origin
only by the site's allowed embedding origins (CORS), the same list that may frame the portal.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from portal import selectors
from portal.branding import DARK
from portal.languages import explicit_language, html_lang
from portal.text_rules import numbers_kept_whole

MAX_AGE = 15  # seconds: "who is online" may be this old on the host page
PENDING_MAX_AGE = 1  # the script asks again soon; a cached "checking" must not answer it


def origin_allowed(origin: str, patterns: list[str]) -> bool:
    """`origin` is one of the site's allowed embedding origins; `https://*.example.com` allows
    any subdomain, as CSP frame-ancestors does (portal.js applies the same rule)."""
    if not origin or origin == "null":
        return False
    for pattern in (p.rstrip("/").lower() for p in patterns):  # stored before the admin lowered them
        if pattern == origin:
            return True
        scheme, star, suffix = pattern.partition("://*.")
        if (
            star
            and origin.startswith(scheme + "://")
            and origin.endswith("." + suffix)
            and len(origin) > len(scheme) + 4 + len(suffix)
        ):
            return True
    return False


def representatives(site) -> tuple[str, int | None]:
    """("ok", count), ("pending", None), ("unavailable", None), or ("off", None) when the site
    lists nobody (no representative list, or a backend whose list is not who is online)."""
    if not (site.show_rep_list or site.show_reps_in_issue_menu):
        return "off", None
    rep_list = selectors.online_reps(site=site, wait=0)  # never waits on the appliance
    if rep_list.state != "ok":
        return rep_list.state, None
    return "ok", len(rep_list.reps)


def availability_document(site, language: str) -> dict:
    is_open = selectors.is_open(site=site)
    state, count = representatives(site) if is_open else ("off", None)
    with translation.override(language):
        if not is_open:
            status = _("We are closed right now")
        elif count == 0:
            status = _("Nobody is available right now.")
        else:
            status = _("Help is available now.")
        online = ""
        if count:
            # "対応可能なサポート担当者：3 名": the count and its counter word on one line.
            online = numbers_kept_whole(_("Representatives online: %(count)s") % {"count": count})
        elif state == "pending":
            online = _("Checking who is available…")
        texts = {
            "label": _("Get remote help"),
            "status": status,
            "online": online,
            "new_tab": _("(opens in a new tab)"),
            "close": _("Close"),
            "title": site.name,
        }
    return {
        "open": is_open,
        "available": is_open and count != 0,
        "representatives": {"state": state, "online": count},
        "language": language,
        "lang": html_lang(language),
        "color": site.primary_color,  # the button's background, behind white text
        # The overlay around the portal takes the portal's scheme, or it shows a white bar
        # over a dark portal and white while the portal loads (record 0110).
        "scheme": site.color_scheme,
        "dark": None if site.color_scheme == site.ColorScheme.LIGHT else overlay_colours_on_dark(),
        "texts": texts,
    }


def overlay_colours_on_dark() -> dict[str, str]:
    """The dark portal's own page, text, rule and border colours, for the overlay's frame
    around it."""
    return {name: DARK[f"--{name}"] for name in ("bg", "text", "rule", "border")}


@require_GET
def availability(request):
    site = request.site
    origin = request.headers.get("Origin", "")
    if site is None:
        response = JsonResponse({"error": "not_found"}, status=404)
        response["Cache-Control"] = f"public, max-age={MAX_AGE}"
        return response
    # The page's language (the script sends it) if the site offers it, else the site's own:
    # never the visitor's Accept-Language, so one URL is one document for every visitor.
    language = explicit_language(request.GET.get("locale", ""), site.languages) or site.default_language
    document = availability_document(site, language)
    response = JsonResponse(document)
    response["Content-Language"] = language
    pending = document["representatives"]["state"] == "pending"
    response["Cache-Control"] = f"public, max-age={PENDING_MAX_AGE if pending else MAX_AGE}"
    if origin_allowed(origin, site.allowed_frame_origins):
        response["Access-Control-Allow-Origin"] = origin
    patch_vary_headers(response, ("Origin",))
    return response
