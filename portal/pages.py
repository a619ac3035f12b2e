"""What every customer page shares: rendering with the site's CSP and language links, the
cookie-free form plumbing, the start's last step, and the error pages. The views in
views.py bind a form, call a service and hand the result to these."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from csp.constants import NONE, SELF
from django.conf import settings
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from portal import guards, selectors, services
from portal import prefill as prefill_links
from portal.languages import html_lang
from portal.models import Backend, Site, StartRequest

PREFILL_FIELDS = (
    "name",
    "company",
    "company_code",
    "details",
    "issue",
    "external_key",
    "email",
    "customer_number",
)
PREFILL_MAX_CHARS = 4000  # a prefill value longer than any limit is cut, not rendered whole


# ------------------------------------------------------------------------------
# Rendering helpers
# ------------------------------------------------------------------------------
def backend_origins(backend: Backend) -> list[str]:
    """Origins the customer's browser may be sent to: the only places the portal redirects."""
    urls = backend.adapter.redirect_origins()
    origins = []
    for url in urls:
        parts = urlsplit(url)
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return origins


def customer_csp(site: Site | None) -> dict[str, list[str]]:
    """What a customer page changes in the baseline policy (settings.CONTENT_SECURITY_POLICY):
    the site's allowed embedding origins may frame it, and its forms may post to (and be
    redirected to) the backend's origins. No site: the baseline as it is."""
    if site is None:
        return {}
    return {
        "frame-ancestors": list(site.allowed_frame_origins) or [NONE],
        "form-action": [SELF, *backend_origins(site.backend)],
    }


def language_links(request, site: Site) -> list[dict]:
    names = dict(settings.LANGUAGES)
    query = {k: v for k, v in request.GET.items() if k != "locale"}
    return [
        {
            "code": code,
            "name": names[code],
            "current": code == request.LANGUAGE_CODE,
            "url": f"{request.path}?{urlencode({**query, 'locale': code})}",
        }
        for code in site.languages
    ]


def initials(name: str) -> str:
    """The letters on a person's tile: first letters of the first and last word of the name.

    Words without a letter or digit ("&", "-") are skipped, and the letter is the word's first
    one, so "Jo (Partner)" gives "JP". A script without capitals (Japanese, Chinese) gets its
    first character only: two characters from two words would read as a different name.
    The JSON list sends these, so the tiles portal.js builds show exactly the same.
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
    return "".join([firsts[0], firsts[-1]] if len(firsts) > 1 else firsts[:1]).upper()


def render_customer_page(request, template: str, context: dict | None = None, *, status: int = 200):
    site = request.site
    context = {
        "site": site,
        "language": request.LANGUAGE_CODE,
        "html_lang": html_lang(request.LANGUAGE_CODE),
        "languages": language_links(request, site) if site else [],
        "notice_shown": bool(site) and selectors.notice_is_shown(site=site),
        "texts": selectors.site_texts(site=site, language=request.LANGUAGE_CODE) if site else None,
        # A POST's answer (errors, the start button) says so from the form's own field, which
        # portal.js sets in a frame: no footer flashing in and out of the frame.
        "embedded": request.GET.get("embed") == "1"
        or (request.method == "POST" and request.POST.get("embedded") == "1"),
        "form_ts": guards.form_timestamp(),
        "flows": enabled_flows(site) if site else [],
        **(context or {}),
    }
    response = render(request, template, context, status=status)
    response.portal_csp = customer_csp(site)
    response.xframe_options_exempt = True  # frame-ancestors in portal_csp decides
    return response


def enabled_flows(site: Site) -> list[str]:
    flows = []
    if site.show_session_key:
        flows.append("key")
    if site.show_survey:
        flows.append("survey")
    if site.show_rep_list:
        flows.append(site.backend.adapter.person_flow)
    return flows


def unavailable_page(request):
    """No site configured, or the site is closed: say so instead of showing flows."""
    if request.site is None:
        response = render(request, "portal/not_configured.html", status=503)
        response.portal_csp = customer_csp(None)
        return response
    response = render_customer_page(
        request, "portal/closed.html", {"opening_hours": request.site.opening_hours.all()}
    )
    add_never_cache_headers(response)  # opening time must show at once, not from the page cache
    return response


def site_ready(request) -> bool:
    return request.site is not None and selectors.is_open(site=request.site)


def prefill(request, names) -> dict:
    return {name: request.GET[name][:PREFILL_MAX_CHARS] for name in names if request.GET.get(name)}


def signed_prefill(request) -> tuple[str, dict[str, str]]:
    """The signed part of a prefill link and its verified values
    (docs/decisions/0023-signed-prefill-links.md).

    The GET carries the link's parameters; the form carries them on to the POST in its
    `signed` field, so the values stay locked without a cookie. Only a request that has a
    signature costs the query for the site's secret.
    """
    carried = request.POST.get("signed", "") if request.method == "POST" else ""
    query = carried or (
        prefill_links.signed_part(request.META.get("QUERY_STRING", ""))
        if prefill_links.SIGNATURE in request.GET
        else ""
    )
    if not query:
        return "", {}
    values = prefill_links.verified_values(secret=request.site.prefill_secret, query=query)
    return (query, values) if values else ("", {})


def public_form_initial(request, names=()) -> tuple[dict, dict[str, str]]:
    """Initial values every public form starts from, and the values a signed link locks."""
    signed, locked = signed_prefill(request)
    initial = {
        "locale": request.LANGUAGE_CODE,
        "embedded": "1" if request.GET.get("embed") == "1" else "",
        "signed": signed,
        **prefill(request, names),
    }
    locked = {name: value for name, value in locked.items() if name in names}
    return {**initial, **locked}, locked


def start_context(request, form) -> services.StartContext:
    return services.StartContext(
        site=request.site,
        language=request.LANGUAGE_CODE,
        user_agent=request.headers.get("User-Agent", "")[:1000],
        timezone_offset=form.timezone_offset(),
        embedded=form.cleaned_data.get("embedded") == "1"
        or request.headers.get("Sec-Fetch-Dest") == "iframe",
    )


def start_response(request, result: services.StartResult, context: services.StartContext):
    """303 to the vendor; in a frame, or when the site explains first, a page with a button.

    A vendor page refuses framing, so inside an iframe the last step is always a
    user-activated top-level navigation (`target="_top"`), never a redirect in the frame.
    """
    if result.preview:
        return render_customer_page(request, "portal/preview.html", {"result": result})
    if result.failure or result.queued is not None:
        return takecontrol_result_page(request, result)
    if context.embedded or request.site.show_interstitial:
        return render_customer_page(
            request, "portal/ready.html", {"result": result, "platform": platform_name(request)}
        )
    response = HttpResponseRedirect(result.url)
    response.status_code = 303
    return response


def platform_name(request) -> str:
    ua = request.headers.get("User-Agent", "")
    for marker, name in (
        ("Windows", "windows"),
        ("iPhone", "ios"),
        ("iPad", "ios"),
        ("Android", "android"),
        ("Mac OS X", "mac"),
        ("CrOS", "chromeos"),
        ("Linux", "linux"),
    ):
        if marker in ua:
            return name
    return "other"


def guard_failure_response(request, result: guards.GuardResult):
    if result.reason == "rate":
        response = render_customer_page(
            request,
            "portal/message.html",
            {
                "title": _("Too many attempts"),
                "message": _("Please wait a minute and try again."),
            },
            status=429,
        )
        response["Retry-After"] = str(result.retry_after)
        return response
    if result.reason == "origin":
        return render_customer_page(
            request,
            "portal/message.html",
            {
                "title": _("This form was sent from another website"),
                "message": _("Please open the support page directly and try again."),
            },
            status=403,
        )
    return render_customer_page(
        request,
        "portal/message.html",
        {
            "title": _("Your request could not be sent"),
            "message": _("Please go back, reload the page and try again."),
        },
        status=400,
    )


def bind_public_form(request, form):
    """Runs the cookie-free guards; returns (ok, response_if_refused). Expired pages keep input."""
    result = guards.check_public_post(request)
    if result.ok:
        return True, None
    if result.reason == "expired":
        form.is_valid()
        form.add_error(
            None,
            _(
                "This page was open for a long time, so we could not send it yet. "
                "Please check your entries and send again."
            ),
        )
        return False, None
    return False, guard_failure_response(request, result)


def record_invalid(request, form, flow: str):
    context = services.StartContext(
        site=request.site, language=request.LANGUAGE_CODE, embedded=request.POST.get("embedded") == "1"
    )
    services.record_start(
        context=context, flow=flow, outcome=StartRequest.Outcome.INVALID, error_fields=sorted(form.errors)
    )


def takecontrol_result_page(request, result: services.StartResult):
    """After a REST start: the queue and the applet link, or why nothing started."""
    if result.failure == "rejected":
        return render_customer_page(
            request,
            "portal/takecontrol_failed.html",
            {
                "title": _("Sorry, we could not send your request"),
                "message": _(
                    "Our support system did not accept the request. You can still connect "
                    "with the button below, or try again in a moment."
                ),
                "fallback_url": result.url,
            },
        )
    if result.failure:
        return render_customer_page(
            request,
            "portal/takecontrol_failed.html",
            {
                "title": _("Remote support is temporarily unavailable"),
                "message": _("Please try again in a few minutes. Your details were not sent."),
            },
            status=503,
        )
    return render_customer_page(
        request, "portal/takecontrol_queued.html", {"result": result, "queued": result.queued}
    )


# ------------------------------------------------------------------------------
# Error pages: translated, branded, no stack traces, never a framework page
# ------------------------------------------------------------------------------
def _error_page(request, status: int, title: str, message: str):
    site = getattr(request, "site", None)
    language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    response = render(
        request,
        "portal/error.html",
        {
            "site": site,
            "title": title,
            "message": message,
            "language": language,
            "html_lang": html_lang(language),
        },
        status=status,
    )
    response.portal_csp = customer_csp(None)
    return response


def bad_request(request, exception=None):
    return _error_page(request, 400, _("Bad request"), _("Please go back and try again."))


def forbidden(request, exception=None):
    return _error_page(request, 403, _("Not allowed"), _("Please open the support page directly."))


def not_found(request, exception=None):
    return _error_page(
        request, 404, _("Page not found"), _("Please check the address or start again from the support page.")
    )


def server_error(request):
    return _error_page(request, 500, _("Something went wrong"), _("Please try again in a moment."))
