"""The one start-flow view (docs/decisions/0060-one-start-flow-view.md) and the steps it is made
of: the cookie-free form plumbing (prefill, signed links, guards), the start's context and its
last step, the response the customer's browser follows.

Every start flow (session key or PIN, survey, representative list, technician list) is a
`StartFlowView` subclass that says only what differs: its template, how its form is built,
which service starts it and when it is offered.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, Generic, TypeVar

from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from portal import guards, services
from portal import prefill as prefill_links
from portal.caching import load_secrets
from portal.forms import PublicForm
from portal.http import PortalRequest, SiteRequest
from portal.models import StartRequest
from portal.views.errors import not_found
from portal.views.prefilled import has_customer_values, prefilled_page
from portal.views.rendering import render_customer_page, site_ready, unavailable_page

FormT = TypeVar("FormT", bound=PublicForm)
PREFILL_MAX_CHARS = 4000  # a prefill value longer than any limit is cut, not rendered whole


# ------------------------------------------------------------------------------
# The view
# ------------------------------------------------------------------------------
class StartFlowView(View, Generic[FormT]):
    """GET renders the flow's form; POST binds it behind the cookie-free guards, then starts
    the session (valid) or renders the form again with its errors and records the invalid
    attempt (invalid). A closed site or a site without this flow never gets that far.

    Subclasses set `template_name` and `flow` (the start record's flow) and implement
    `get_form` and `start`; `is_enabled`, `disabled_response`, `get_context_data`,
    `render_form`, `compiles_prefilled_page` and `can_start` are the hooks for what else
    differs. A prefill link's GET is served from its compiled page (views/prefilled.py).
    """

    http_method_names = ["get", "post"]
    # dispatch answers a request no site is ready for before any other method runs
    request: SiteRequest
    template_name: str = ""
    flow: str = ""  # StartRequest.Flow of the attempts this view records
    prefill_names: tuple[str, ...] = ()  # fields a prefill link may set (see get_prefill)

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Callable[..., HttpResponseBase]:
        """The view, exempt from Django's CSRF check: cookie-free by design, its POST is
        checked by guards.check_public_post. Exempted once here rather than with
        method_decorator on dispatch, which wraps the method again on every request."""
        return csrf_exempt(super().as_view(**initkwargs))

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not site_ready(self.request):
            return unavailable_page(self.request)
        if not self.is_enabled():
            return self.disabled_response()
        return super().dispatch(request, *args, **kwargs)

    @classmethod
    def early_page(
        cls, initkwargs: dict[str, Any], request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse | None:
        """A prefill link's page from its compiled shape, for PageCacheHitMiddleware to answer
        before the session, CSRF, auth and messages middlewares: like a cached page, a compiled
        one sets no cookie and reads no session or user (it was kept only as such,
        views/prefilled.py). None for anything else, which the view then answers as usual:
        a site not ready, a flow it does not offer, a shape not compiled yet."""
        view = cls(**initkwargs)  # as as_view() builds it
        view.setup(request, *args, **kwargs)
        if not (site_ready(view.request) and view.is_enabled() and view.compiles_prefilled_page()):
            return None
        if not has_customer_values(request):
            return None
        return kept_private(prefilled_page(view, compile=False))

    # Hooks ------------------------------------------------------------------------
    def is_enabled(self) -> bool:
        """Whether the site offers this flow."""
        return True

    def disabled_response(self) -> HttpResponse:
        """A flow the site does not offer is no page of it (the closed page would say the help
        desk is closed, which it need not be)."""
        return not_found(self.request)

    def get_form(self, data: Any = None) -> FormT:
        raise NotImplementedError

    def get_context_data(self, form: FormT) -> dict[str, Any]:
        return {"form": form}

    def get_prefill(self) -> tuple[dict, dict[str, str]]:
        """The initial values `get_form` starts from and the values a signed link locks:
        decided without building the form, so a compiled page needs no form
        (views/prefilled.py)."""
        return public_form_initial(self.request, self.prefill_names)

    def compiles_prefilled_page(self) -> bool:
        """Whether a prefill link's page may come from its compiled shape
        (views/prefilled.py): not for a page that shows live state beyond the site version."""
        return True

    def can_start(self, form: FormT) -> bool:
        """A last check before validation (the form's error says why not); such a refusal is
        not the customer's invalid input, so it is not recorded."""
        return True

    def start(self, form: FormT, context: services.StartContext) -> services.StartResult:
        raise NotImplementedError

    def attempted_issue(self, form: FormT) -> services.StartIssue | None:
        """The issue a refused attempt had validly chosen, for its record (the statistics'
        split by issue, the refused event's issue)."""
        return None

    # Steps ------------------------------------------------------------------------
    def render_form(self, form: FormT, **extra_context: Any) -> HttpResponse:
        context = {**self.get_context_data(form), **extra_context}
        return render_customer_page(self.request, self.template_name, context)

    def get(self, request: SiteRequest) -> HttpResponse:
        if not has_customer_values(request):
            return self.render_form(self.get_form())
        page = prefilled_page(self) if self.compiles_prefilled_page() else None
        return kept_private(page or self.render_form(self.get_form()))

    def post(self, request: SiteRequest) -> HttpResponse:
        form = self.get_form(request.POST)
        ok, refused = bind_public_form(request, form)
        if refused is not None:
            return refused
        if ok and not self.can_start(form):
            ok = False
        if ok and form.is_valid():
            context = start_context(request, form)
            return start_response(request, self.start(form, context), context)
        if ok:
            record_invalid(request, form, self.flow, issue=self.attempted_issue(form))
        return kept_private(self.render_form(form))


_ResponseT = TypeVar("_ResponseT", bound=HttpResponseBase | None)


def kept_private(response: _ResponseT) -> _ResponseT:
    """`Cache-Control: private` on a page that shows the customer's own values (a prefill link,
    a form sent back with its errors): a browser may keep it, no shared cache in front of the
    portal (a proxy, a CDN) may, as the portal's own page cache never does."""
    if response is not None:
        patch_cache_control(response, private=True)
    return response


# ------------------------------------------------------------------------------
# Prefill: query-string values and signed links
# ------------------------------------------------------------------------------
def prefill(request: PortalRequest, names: tuple[str, ...]) -> dict[str, str]:
    return {name: request.GET[name][:PREFILL_MAX_CHARS] for name in names if request.GET.get(name)}


def signed_prefill(request: SiteRequest) -> tuple[str, dict[str, str]]:
    """The signed part of a prefill link and its verified values
    (docs/decisions/0023-signed-prefill-links.md).

    The GET carries the link's parameters; the form carries them on to the POST in its
    `signed` field, so the values stay locked without a cookie. Only a request that has a
    signature reads the site's secret (from this process's memo after the first).
    """
    carried = request.POST.get("signed", "") if request.method == "POST" else ""
    query = carried or (
        prefill_links.signed_part(request.META.get("QUERY_STRING", ""))
        if prefill_links.SIGNATURE in request.GET
        else ""
    )
    if not query:
        return "", {}
    load_secrets(request.site, ("prefill_secret",))  # this process's memo, not a query per link
    # Carried by a POST, the link is judged as of its page's rendering: a locked choice is a
    # disabled control the browser does not send, so a link expiring while the customer types
    # would lose it (docs/decisions/0023-signed-prefill-links.md).
    rendered_at = guards.form_rendered_at(request.POST.get(guards.TIMESTAMP_FIELD, "")) if carried else None
    values = prefill_links.verified_values(secret=request.site.prefill_secret, query=query, now=rendered_at)
    return (query, values) if values else ("", {})


def public_form_initial(request: SiteRequest, names: tuple[str, ...] = ()) -> tuple[dict, dict[str, str]]:
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


# ------------------------------------------------------------------------------
# The POST: guards, the start's context, the invalid attempt
# ------------------------------------------------------------------------------
def guard_failure_response(request: PortalRequest, result: guards.GuardResult) -> HttpResponse:
    """The page for a POST the guards refused before the form was read. It is no submission
    of the form (the analytics' funnel counts none: PageViewCountMiddleware)."""
    response = _guard_failure_page(request, result)
    response.not_a_submission = True  # type: ignore[attr-defined]
    return response


def _guard_failure_page(request: PortalRequest, result: guards.GuardResult) -> HttpResponse:
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


def bind_public_form(request: SiteRequest, form: PublicForm) -> tuple[bool, HttpResponse | None]:
    """Runs the cookie-free guards; returns (ok, response_if_refused). A page too old to send,
    or a form whose signed timestamp is missing or does not verify, keeps the customer's input
    and asks them to send again: the page it is shown in carries a fresh timestamp."""
    result = guards.check_public_post(request)
    if result.ok:
        return True, None
    if result.reason in {"expired", "unverified"}:
        form.is_valid()
        form.add_error(None, send_again_message(result.reason))
        return False, None
    return False, guard_failure_response(request, result)


def send_again_message(reason: str) -> str:
    """Why the form was not sent, in the customer's words: an expired page says so; a missing or
    altered timestamp is not one, and is not called one."""
    if reason == "expired":
        return _(
            "This page was open for a long time, so we could not send it yet. "
            "Please check your entries and send again."
        )
    return _(
        "This form could not be verified, so we have not sent it yet. "
        "Please check your entries and send again."
    )


def start_context(request: SiteRequest, form: PublicForm) -> services.StartContext:
    return services.StartContext(
        site=request.site,
        language=request.LANGUAGE_CODE,
        user_agent=request.headers.get("User-Agent", "")[:1000],
        timezone_offset=form.timezone_offset(),
        embedded=form.cleaned_data.get("embedded") == "1"
        or request.headers.get("Sec-Fetch-Dest") == "iframe",
    )


def record_invalid(
    request: SiteRequest, form: PublicForm, flow: str, *, issue: services.StartIssue | None = None
) -> None:
    """A refused attempt: its record, and its `start.refused` event. The event carries the
    external key the customer came with (a prefill link's ticket number), as every event does,
    so that a help desk can find the ticket; only a key that passed its own checks is taken."""
    context = services.StartContext(
        site=request.site, language=request.LANGUAGE_CODE, embedded=request.POST.get("embedded") == "1"
    )
    external_key = getattr(form, "cleaned_data", {}).get("external_key", "")
    services.record_start(
        context=context,
        flow=flow,
        outcome=StartRequest.Outcome.INVALID,
        issue=issue,
        customer=services.Customer(external_key=external_key) if external_key else None,
        error_fields=sorted(form.errors),
    )


# ------------------------------------------------------------------------------
# The start's last step
# ------------------------------------------------------------------------------
def start_response(
    request: SiteRequest, result: services.StartResult, context: services.StartContext
) -> HttpResponse:
    """303 to the vendor; in a frame, or when the site explains first, a page with a button.

    A vendor page refuses framing, so inside an iframe the last step is always a
    user-activated top-level navigation (`target="_top"`), never a redirect in the frame.
    """
    if result.preview:
        return render_customer_page(request, "portal/preview.html", {"result": result})
    if result.failure:
        return takecontrol_result_page(request, result)
    if result.queued is not None:
        return queued_redirect(request, result, context)
    if context.embedded or request.site.show_interstitial or len(result.url) > LOCATION_MAX_CHARS:
        return render_customer_page(
            request, "portal/ready.html", {"result": result, "platform": platform_name(request)}
        )
    return see_other(result.url)


# The longest start address a 303 carries in its Location header. Values within the vendor's
# limits can make a far longer one (10,000 bytes of custom values, percent-encoded, are up to
# 30,000 characters): Django refuses a redirect over 16,384 characters (a 400, the customer's
# input lost), and proxies refuse long response headers (Apache 8,190 bytes a field; nginx's
# default buffer holds 4 or 8 KB of headers in all, then answers 502). A longer address goes in
# the body, as the "Almost there" page's button (docs/decisions/0004-start-url-encoding.md).
LOCATION_MAX_CHARS = 8000


def see_other(url: str) -> HttpResponse:
    """303: the start's POST is done, the browser GETs `url` (a reload never posts again)."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def platform_name(request: PortalRequest) -> str:
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


# The queue page's address carries what it shows, signed (docs/decisions/0015-takecontrol-rest-start.md):
# a day is longer than anyone waits in a queue with the page open.
QUEUED_SALT = "portal.views.takecontrol-queued"
QUEUED_MAX_AGE = 24 * 3600


def queued_redirect(
    request: SiteRequest, result: services.StartResult, context: services.StartContext
) -> HttpResponse:
    """303 from the start's POST to the queue page. Rendered as the POST's answer, a reload (or
    Back and Forward) sent the form again and queued a second request for the same customer.
    What the page shows (the queue, the applet link) travels in its address, signed for this
    site: nothing of the customer's is kept on the server, and a reload shows the same page."""
    queued = result.queued
    token = signing.dumps(
        {
            "site": request.site.pk,
            "n": queued.queue_length,
            "s": queued.estimated_wait_seconds,
            "u": result.url,
        },
        salt=QUEUED_SALT,
        compress=True,
    )
    query = {"r": token, "locale": request.LANGUAGE_CODE, **({"embed": "1"} if context.embedded else {})}
    return see_other(f"{reverse('takecontrol_queued')}?{urlencode(query)}")


def estimated_wait_shown(seconds: object) -> SimpleNamespace | None:
    """How the queue page words a wait of `seconds`: under a minute, in whole minutes rounded up
    under an hour, else in hours rounded (docs/decisions/0123-estimated-wait-only-with-a-certain-unit.md).
    None shows nothing, as for a link signed before the wait was read in seconds (its "w")."""
    if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0:
        return None
    if seconds < 60:
        return SimpleNamespace(under_a_minute=True, minutes=None, hours=None)
    minutes = -(-seconds // 60)
    if minutes < 60:  # 59 min 1 s rounds up to the hour: "about 1 hour", never "about 60 minutes"
        return SimpleNamespace(under_a_minute=False, minutes=minutes, hours=None)
    return SimpleNamespace(under_a_minute=False, minutes=None, hours=(seconds + 1800) // 3600)


def takecontrol_queued(request: PortalRequest) -> HttpResponse:
    """GET: the queue page a REST start redirected to; a link that is not ours, is another
    site's or is older than QUEUED_MAX_AGE is the 404 page."""
    try:
        shown = signing.loads(request.GET.get("r", ""), salt=QUEUED_SALT, max_age=QUEUED_MAX_AGE)
    except signing.BadSignature:
        return not_found(request)
    if request.site is None or not isinstance(shown, dict) or shown.get("site") != request.site.pk:
        return not_found(request)
    response = render_customer_page(
        request,
        "portal/takecontrol_queued.html",
        {
            "result": SimpleNamespace(url=shown.get("u", "")),
            "queued": SimpleNamespace(queue_length=shown.get("n"), wait=estimated_wait_shown(shown.get("s"))),
        },
    )
    add_never_cache_headers(response)  # this customer's own page: no shared cache keeps it
    return response


def takecontrol_result_page(request: PortalRequest, result: services.StartResult) -> HttpResponse:
    """After a REST start that failed: why nothing started, and the redirect path if the vendor
    refused the request (a reload tries again, as the page suggests)."""
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
    return render_customer_page(
        request,
        "portal/takecontrol_failed.html",
        {
            "title": _("Remote support is temporarily unavailable"),
            "message": _("Please try again in a few minutes. Your details were not sent."),
        },
        status=503,
    )
