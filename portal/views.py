"""Customer pages and health probes. Thin: bind a form, call a service, render or redirect.

Rendering, the form plumbing and the error pages they share live in portal/pages.py.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods
from django.views.static import serve

from portal import selectors, services
from portal.forms import (
    RepForm,
    RepMenuEntry,
    SessionKeyForm,
    SurveyForm,
    TechnicianForm,
    key_form,
)
from portal.models import Site, StartRequest
from portal.pages import (
    PREFILL_FIELDS,
    bind_public_form,
    enabled_flows,
    initials,
    not_found,
    public_form_initial,
    record_invalid,
    render_customer_page,
    site_ready,
    start_context,
    start_response,
    unavailable_page,
)


# ------------------------------------------------------------------------------
# Customer flows
# ------------------------------------------------------------------------------
@require_GET
def home(request):
    if not site_ready(request):
        return unavailable_page(request)
    flows = enabled_flows(request.site)
    if len(flows) == 1:  # no pointless choices (docs/decisions/0035-no-pointless-choices.md)
        return {"key": session_key, "survey": survey, "reps": reps, "technicians": technicians}.get(
            flows[0], session_key
        )(request)
    return render_customer_page(
        request,
        "portal/home.html",
        {
            "key_form": session_key_form(request),
            "reps_url": reverse("reps"),
        },
    )


def session_key_form(request, data=None) -> SessionKeyForm:
    backend = request.site.backend
    initial, locked = public_form_initial(request, ("key", "external_key"))
    form = key_form(backend, data, initial=initial)  # a PIN on Take Control
    form.lock(locked)
    return form


@csrf_exempt  # cookie-free by design: guards.check_public_post protects the POST
@require_http_methods(["GET", "POST"])
def session_key(request):
    if not site_ready(request) or not request.site.show_session_key:
        return unavailable_page(request)
    if request.method == "GET":
        return render_customer_page(request, "portal/key.html", {"form": session_key_form(request)})
    form = session_key_form(request, request.POST)
    ok, refused = bind_public_form(request, form)
    if refused:
        return refused
    if ok and form.is_valid():
        context = start_context(request, form)
        result = services.start_with_session_key(
            context=context,
            key=form.cleaned_data["key"],
            external_key=form.cleaned_data.get("external_key", ""),
        )
        return start_response(request, result, context)
    if ok:
        record_invalid(request, form, StartRequest.Flow.KEY)
    return render_customer_page(request, "portal/key.html", {"form": form})


def survey_form(request, data=None) -> SurveyForm:
    site = request.site
    fields = selectors.custom_fields_for_site(site=site, language=request.LANGUAGE_CODE)
    if reps_in_issue_menu(site):
        # docs/decisions/0010-reps-in-issue-menu.md: online reps instead of issues; with no issue
        # chosen, the fields that belong to every issue apply.
        rep_list = selectors.online_reps(site=site)  # never waits on the appliance (decision record)
        issues = [RepMenuEntry(rep_id=rep.id, display_name=rep.public_name) for rep in rep_list.reps]
        fields = [field for field in fields if not field.issue_codes]
    else:
        rep_list = None
        issues = selectors.active_issues(site=site, language=request.LANGUAGE_CODE)
    # A custom field takes a plain prefill when it allows one, and a signed one when it may be
    # locked by it; every built-in field may be set and locked by a signed link.
    custom_names = [f"cf_{f.code_name}" for f in fields if f.prefill_allowed or f.prefill_locks]
    initial, locked = public_form_initial(request, (*PREFILL_FIELDS, *custom_names))
    for field in fields:
        name = f"cf_{field.code_name}"
        if not field.prefill_allowed and name not in locked:
            initial.pop(name, None)
        if not field.prefill_locks:
            locked.pop(name, None)
    texts = selectors.site_texts(site=site, language=request.LANGUAGE_CODE)  # the label, translated
    form = SurveyForm(
        data,
        initial=initial,
        site=site,
        issues=issues,
        custom_fields=fields,
        external_key_label=texts.external_key_label,
        reps_menu=reps_in_issue_menu(site),
    )
    form.lock(locked)
    form.reps_pending = rep_list is not None and rep_list.pending  # "checking who is available"
    return form


def render_survey(request, form):
    response = render_customer_page(request, "portal/survey.html", {"form": form})
    if form.reps_menu:  # it shows who is online now: no page cache (see render_rep_list)
        add_never_cache_headers(response)
    return response


@csrf_exempt  # cookie-free by design: guards.check_public_post protects the POST
@require_http_methods(["GET", "POST"])
def survey(request):
    if not site_ready(request) or not request.site.show_survey:
        return unavailable_page(request)
    if request.method == "GET":
        return render_survey(request, survey_form(request))
    form = survey_form(request, request.POST)
    ok, refused = bind_public_form(request, form)
    if refused:
        return refused
    if not form.issues:
        if form.reps_pending:
            message = _("We are still checking who is available. Please try again in a moment.")
        elif form.reps_menu:
            message = _("Nobody is available right now. Please try again in a few minutes.")
        else:
            message = _("No topics are available right now. Please use a session key.")
        form.add_error(None, message)
        ok = False
    if ok and form.is_valid():
        data = form.cleaned_data
        customer = services.Customer(
            name=data.get("name") or "",
            company=data.get("company") or "",
            company_code=data.get("company_code") or "",
            details=data.get("details") or "",
            email=data.get("email") or "",
            number=data.get("customer_number") or "",
            external_key=data.get("external_key") or "",
            custom=tuple(form.custom_values()),
        )
        context = start_context(request, form)
        if form.reps_menu:
            result = services.start_with_rep_in_issue_menu(
                context=context,
                rep_id=form.selected_issue().rep_id,
                customer=customer,
                chat_requested=bool(data.get("chat")),
            )
        else:
            result = services.start_with_survey(
                context=context,
                issue=form.selected_issue(),
                customer=customer,
                chat_requested=bool(data.get("chat")),
            )
        return start_response(request, result, context)
    if ok:
        record_invalid(request, form, StartRequest.Flow.SURVEY)
    return render_survey(request, form)


# ------------------------------------------------------------------------------
# BeyondTrust: the representative list (docs/architecture.md#customer-flows;
# docs/decisions/0009-rep-list-by-public-name.md and docs/decisions/0010-reps-in-issue-menu.md)
# ------------------------------------------------------------------------------
def rep_list_shown(site: Site) -> bool:
    return "reps" in enabled_flows(site) and site.backend.is_beyondtrust


def reps_in_issue_menu(site: Site) -> bool:
    """docs/decisions/0010-reps-in-issue-menu.md: the survey's menu lists online reps instead of
    issues."""
    return site.show_reps_in_issue_menu and site.backend.is_beyondtrust


def rep_form(request, rep_list: selectors.RepListResult, data=None) -> RepForm:
    site = request.site
    initial, locked = public_form_initial(request, ("external_key",))
    form = RepForm(
        data,
        initial=initial,
        reps=rep_list.reps,
        chat_choice=site.chat_mode == Site.ChatMode.CHOICE,
        consent_text=site.consent_text,
    )
    form.lock(locked)
    return form


def render_rep_list(request, form: RepForm, rep_list: selectors.RepListResult):
    response = render_customer_page(
        request,
        "portal/reps.html",
        {
            "form": form,
            "rep_list": rep_list,
            "reps_json_url": reverse("reps_json"),
        },
    )
    # Who is online changes by the minute: neither the page cache (middleware) nor browsers
    # keep this page; the list's own cache (site.rep_list_ttl) decides how fresh it is.
    add_never_cache_headers(response)
    return response


def rep_list_page(request, rep_list: selectors.RepListResult):
    """GET /reps/. Like the other customer pages (docs/decisions/0021-customer-page-cache.md) it is
    the same for every visitor of a site and language, as long as the list is the same: so the
    rendered page is kept in the shared cache under the list's fetch time. A new list is a new page;
    no page outlives its list. Without a list ("checking", "cannot show") the page is kept for a
    second only: while the appliance is sick every customer gets it, and rendering it for each would
    take the CPU that starts need. Prefill links are rendered every time."""
    site, key, seconds = request.site, None, NO_LIST_PAGE_SECONDS
    if set(request.GET) <= {"locale", "embed"}:
        version = rep_list.fetched_at.timestamp() if rep_list.fetched_at is not None else rep_list.state
        key = (
            f"portal:reps-page:{selectors.site_cache_version()}:{site.pk}:{request.LANGUAGE_CODE}:"
            f"{request.GET.get('embed') == '1'}:{version}"
        )
        seconds = site.rep_list_ttl if rep_list.fetched_at is not None else NO_LIST_PAGE_SECONDS
        page = cache.get(key)
        if page is not None:
            return page
    response = render_rep_list(request, rep_form(request, rep_list), rep_list)
    if key is not None:
        cache.set(key, response, seconds)
    return response


NO_LIST_PAGE_SECONDS = 1


@csrf_exempt  # cookie-free by design: guards.check_public_post protects the POST
@require_http_methods(["GET", "POST"])
def reps(request):
    """Who is online now, one click each. The button sends the rep's id only; the public
    name for the start comes from the cached list
    (docs/decisions/0009-rep-list-by-public-name.md)."""
    if not site_ready(request):
        return unavailable_page(request)
    if not rep_list_shown(request.site):
        return not_found(request)
    rep_list = selectors.online_reps(site=request.site)
    if request.method == "GET":
        return rep_list_page(request, rep_list)
    form = rep_form(request, rep_list, request.POST)
    ok, refused = bind_public_form(request, form)
    if refused:
        return refused
    if ok and form.is_valid():
        rep = form.selected_rep()
        context = start_context(request, form)
        result = services.start_with_rep(
            context=context,
            rep_id=rep.id,
            rep_name=rep.public_name,
            external_key=form.cleaned_data.get("external_key") or "",
            chat_requested=bool(form.cleaned_data.get("chat")),
        )
        return start_response(request, result, context)
    if ok:
        record_invalid(request, form, StartRequest.Flow.REP)
    return render_rep_list(request, form, rep_list)


@require_GET
def reps_json(request):
    """The same cached list for the page's 30-second refresh: public fields only."""
    if not site_ready(request) or not rep_list_shown(request.site):
        return JsonResponse({"error": "not_found"}, status=404)
    rep_list = selectors.online_reps(site=request.site)
    response = JsonResponse(
        {
            "reps": [
                {"id": rep.id, "name": rep.public_name, "initials": initials(rep.public_name)}
                for rep in rep_list.reps
            ],
            # "ok" (a list, maybe empty), "pending" (still asking the appliance: ask again soon),
            # "unavailable" (it could not be asked and nothing is cached).
            "state": rep_list.state,
            "available": not rep_list.unavailable,
            "stale": rep_list.stale,
        }
    )
    add_never_cache_headers(response)
    return response


# ------------------------------------------------------------------------------
# Take Control: the technician list and the REST start's pages
# (docs/decisions/README.md#take-control)
# ------------------------------------------------------------------------------
def technician_form(request, data=None) -> TechnicianForm:
    initial, _locked = public_form_initial(request)
    return TechnicianForm(
        data,
        initial=initial,
        technicians=selectors.listed_technicians(backend=request.site.backend),
        consent_text=request.site.consent_text,
    )


@csrf_exempt  # cookie-free by design: guards.check_public_post protects the POST
@require_http_methods(["GET", "POST"])
def technicians(request):
    """The Take Control "representative list": admin-curated technicians, one click each."""
    if not site_ready(request):
        return unavailable_page(request)
    if "technicians" not in enabled_flows(request.site):  # off, or not a Take Control site
        return not_found(request)
    if request.method == "GET":
        return render_customer_page(request, "portal/technicians.html", {"form": technician_form(request)})
    form = technician_form(request, request.POST)
    ok, refused = bind_public_form(request, form)
    if refused:
        return refused
    if ok and form.is_valid():
        context = start_context(request, form)
        result = services.start_with_technician(context=context, technician=form.selected_technician())
        return start_response(request, result, context)
    if ok:
        record_invalid(request, form, StartRequest.Flow.REP)
    return render_customer_page(request, "portal/technicians.html", {"form": form})


@require_GET
def theme_css(request):
    """The site's colours as CSS custom properties: a file, so the CSP needs no inline style."""
    site = request.site
    css = ""
    if site is not None:
        css = ":root{--brand:%s;--text:%s;--bg:%s}\n" % (
            site.primary_color,
            site.text_color,
            site.background_color,
        )
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response


# ------------------------------------------------------------------------------
# Probes
# ------------------------------------------------------------------------------
@require_GET
def healthz(request):
    """The process is up. Touches nothing else, so a slow database never restarts workers."""
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request):
    """Database and cache reachable: 200, else 503 with what failed."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception:  # any driver error means not ready
        checks["database"] = "error"
    try:
        cache.set("portal:readyz", "1", 5)
        checks["cache"] = "ok" if cache.get("portal:readyz") == "1" else "error"
    except Exception:
        checks["cache"] = "error"
    ok = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if ok else "error", **checks}, status=200 if ok else 503)


@require_GET
def media(request, path):
    """Uploaded logos, with long cache headers (the file name changes when the logo does)."""
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["Cache-Control"] = "public, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response
