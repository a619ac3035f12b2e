"""The customer flows: the home page and one `StartFlowView` per way to start a session
(docs/architecture.md#customer-flows). Each says only what differs from the base."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django.http import HttpResponse, HttpResponseBase, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from portal import prefill, selectors, services
from portal.caching import (
    PAGE_SECONDS,
    PageVariant,
    customer_page_cache,
    exempt_from_page_cache,
    memo,
    site_cache_version,
)
from portal.forms import (
    RepForm,
    RepMenuEntry,
    SessionKeyForm,
    SurveyForm,
    TechnicianForm,
    key_form,
)
from portal.http import PortalRequest, SiteRequest
from portal.models import Site, StartRequest
from portal.text_rules import NAME_FIELDS, name_problem
from portal.views.base import StartFlowView, kept_private, public_form_initial
from portal.views.prefilled import has_customer_values
from portal.views.rendering import (
    enabled_flows,
    initials,
    links_query,
    render_customer_page,
    site_ready,
    unavailable_page,
)


# ------------------------------------------------------------------------------
# Session key (or the Take Control PIN)
# ------------------------------------------------------------------------------
def session_key_form(request: SiteRequest, data: Any = None) -> SessionKeyForm:
    backend = request.site.backend
    initial, locked = public_form_initial(request, prefill.KEY_PAGE_NAMES)
    # A PIN on Take Control; the site's consent, as on every start form.
    form = key_form(backend, data, initial=initial, consent_text=request.site.consent_text)
    form.lock(locked)
    return form


class SessionKeyView(StartFlowView[SessionKeyForm]):
    template_name = "portal/key.html"
    flow = StartRequest.Flow.KEY
    prefill_names = prefill.KEY_PAGE_NAMES

    def is_enabled(self) -> bool:
        return self.request.site.show_session_key

    def get_form(self, data: Any = None) -> SessionKeyForm:
        return session_key_form(self.request, data)

    def start(self, form: SessionKeyForm, context: services.StartContext) -> services.StartResult:
        return services.start_with_session_key(
            context=context,
            key=form.cleaned_data["key"],
            external_key=form.cleaned_data.get("external_key", ""),
        )


# ------------------------------------------------------------------------------
# The survey (issues, or online reps in the issue menu)
# ------------------------------------------------------------------------------
def survey_prefill(
    request: SiteRequest, fields: list[selectors.LocalizedCustomField]
) -> tuple[dict, dict[str, str]]:
    """A custom field takes a plain prefill when it allows one, and a signed one when it may be
    locked by it; every built-in field may be set and locked by a signed link, but a name only
    with a letter or digit in it."""
    custom_names = [f"cf_{f.code_name}" for f in fields if f.prefill_allowed or f.prefill_locks]
    initial, locked = public_form_initial(request, (*prefill.SURVEY_NAMES, *custom_names))
    for field in fields:
        name = f"cf_{field.code_name}"
        if not field.prefill_allowed and name not in locked:
            initial.pop(name, None)
        if not field.prefill_locks:
            locked.pop(name, None)
    # A name with nothing to read ("!!!") or a character a name must not hold ("Jane\u200b") is
    # neither shown, locked nor sent: the form would refuse it, and a locked one the customer
    # could not correct (docs/decisions/0051-shared-text-rules.md,
    # docs/decisions/0116-chat-handoff-computer-name.md). A link signed before the rule may
    # carry one.
    for name in NAME_FIELDS:
        if name in initial and name_problem(initial[name]):
            initial.pop(name)
            locked.pop(name, None)
    return initial, locked


SURVEY_FIELDS_MEMO = "portal:survey-fields"


def survey_form(request: SiteRequest, data: Any = None) -> SurveyForm:
    site = request.site
    fields = selectors.survey_custom_fields(site, request.LANGUAGE_CODE)
    reps_menu = selectors.reps_in_issue_menu(site)
    if reps_menu:
        # docs/decisions/0010-reps-in-issue-menu.md: online reps instead of issues.
        rep_list = selectors.online_reps(site=site)  # never waits on the appliance (decision record)
        issues: Sequence[Any] = [
            RepMenuEntry(rep_id=rep.id, display_name=rep.public_name) for rep in rep_list.reps
        ]
    else:
        rep_list = None
        issues = selectors.active_issues(site=site, language=request.LANGUAGE_CODE)
    initial, locked = survey_prefill(request, fields)
    texts = selectors.site_texts(site=site, language=request.LANGUAGE_CODE)  # the label, translated
    # The form's fields depend on the site's configuration and the language only (not with
    # reps in the menu: those come and go): built once per site version and language in each
    # process, copied for every request (docs/decisions/0093-prepared-survey-fields.md).
    key = None if reps_menu else (SURVEY_FIELDS_MEMO, site_cache_version(), site.pk, request.LANGUAGE_CODE)
    prepared = memo.get(key) if key is not None else None
    form = SurveyForm(
        data,
        initial=initial,
        site=site,
        issues=issues,
        custom_fields=fields,
        external_key_label=texts.external_key_label,
        reps_menu=reps_menu,
        prepared_fields=prepared,
    )
    if key is not None and prepared is None:
        memo.set(key, form.prepared_fields())
    form.lock(locked)
    form.reps_pending = rep_list is not None and rep_list.pending  # "checking who is available"
    form.reps_unavailable = rep_list is not None and rep_list.unavailable  # "cannot show"
    return form


class SurveyView(StartFlowView[SurveyForm]):
    template_name = "portal/survey.html"
    flow = StartRequest.Flow.SURVEY

    def is_enabled(self) -> bool:
        return self.request.site.show_survey

    def get_form(self, data: Any = None) -> SurveyForm:
        return survey_form(self.request, data)

    def get_prefill(self) -> tuple[dict, dict[str, str]]:
        request = self.request
        return survey_prefill(request, selectors.survey_custom_fields(request.site, request.LANGUAGE_CODE))

    def attempted_issue(self, form: SurveyForm) -> services.StartIssue | None:
        issue = form.selected_issue()  # None when the issue itself was refused
        return issue if isinstance(issue, selectors.LocalizedIssue) else None  # not a rep in the menu

    def compiles_prefilled_page(self) -> bool:
        return not selectors.reps_in_issue_menu(self.request.site)  # who is online is not in the shape

    def render_form(self, form: SurveyForm, **extra_context: Any) -> HttpResponse:
        response = super().render_form(form, **extra_context)
        if form.reps_menu:  # it shows who is online now, and starts no refresh of its own
            exempt_from_page_cache(response)
        return response

    def can_start(self, form: SurveyForm) -> bool:
        if form.issues:
            return True
        if form.reps_pending:
            message = _("We are still checking who is available. Please try again in a moment.")
        elif form.reps_unavailable:
            message = _("We cannot show who is available right now.")
        elif form.reps_menu:
            message = _("Nobody is available right now. Please try again in a few minutes.")
        else:
            message = _("No topics are available right now.")  # the page links a way that can start
        form.add_error(None, message)
        return False

    def start(self, form: SurveyForm, context: services.StartContext) -> services.StartResult:
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
        if form.reps_menu:
            return services.start_with_rep_in_issue_menu(
                context=context,
                rep_id=form.selected_issue().rep_id,
                customer=customer,
                chat_requested=bool(data.get("chat")),
            )
        return services.start_with_survey(
            context=context,
            issue=form.selected_issue(),
            customer=customer,
            chat_requested=bool(data.get("chat")),
        )


# ------------------------------------------------------------------------------
# BeyondTrust: the representative list (docs/architecture.md#customer-flows;
# docs/decisions/0009-rep-list-by-public-name.md and docs/decisions/0010-reps-in-issue-menu.md)
# ------------------------------------------------------------------------------
def rep_list_shown(site: Site) -> bool:
    return "reps" in enabled_flows(site) and site.backend.is_beyondtrust


def technicians_shown(site: Site) -> bool:
    return "technicians" in enabled_flows(site)  # off, or not a Take Control site


# The two lists of people, by URL name: a site shows at most one (its backend's).
PERSON_LISTS = {"reps": rep_list_shown, "technicians": technicians_shown}


def person_list_elsewhere(request: SiteRequest, other: str) -> HttpResponse | None:
    """A help desk's link to the list of people the site does not have (/reps/ on Take Control,
    /technicians/ on BeyondTrust, kept from before a change of vendor): the one it has, with the
    link's query. None when the site shows neither."""
    if request.method != "GET" or not PERSON_LISTS[other](request.site):
        return None
    query = request.META.get("QUERY_STRING", "")
    return HttpResponseRedirect(reverse(other) + (f"?{query}" if query else ""))


def rep_form(request: SiteRequest, rep_list: selectors.RepListResult, data: Any = None) -> RepForm:
    site = request.site
    initial, locked = public_form_initial(request, prefill.REP_LIST_NAMES)
    form = RepForm(
        data,
        initial=initial,
        reps=rep_list.reps,
        chat_choice=site.chat_mode == Site.ChatMode.CHOICE,
        consent_text=site.consent_text,
    )
    form.lock(locked)
    return form


NO_LIST_PAGE_SECONDS = 1


def current_rep_list(request: SiteRequest) -> selectors.RepListResult:
    """The site's online reps, read once per request (the page cache asks before the view)."""
    rep_list = getattr(request, "_portal_rep_list", None)
    if rep_list is None:
        rep_list = selectors.online_reps(site=request.site)
        request._portal_rep_list = rep_list  # type: ignore[attr-defined]  # a per-request memo
    return rep_list


def rep_list_page_variant(request: PortalRequest) -> PageVariant:
    """The rep list page is the same for every visitor of a site and language as long as the
    list is the same (docs/decisions/0061-one-caching-module.md): it is cached under the list's
    fetch time, for the list's TTL. A new list is a new page; no page outlives its list.
    Without a list ("checking", "cannot show") the page is kept for a second only: while the
    appliance is sick every customer gets it, and rendering it for each would take the CPU
    that starts need."""
    if not site_ready(request) or not rep_list_shown(request.site):
        return "", PAGE_SECONDS  # the closed page is exempt, a 404 is never kept
    rep_list = current_rep_list(request)
    if rep_list.fetched_at is None:
        return rep_list.state, NO_LIST_PAGE_SECONDS
    return f"list-{rep_list.fetched_at.timestamp()}", request.site.rep_list_ttl


class RepListView(StartFlowView[RepForm]):
    """Who is online now, one click each. The button sends the rep's id only; the public
    name for the start comes from the cached list
    (docs/decisions/0009-rep-list-by-public-name.md)."""

    template_name = "portal/reps.html"
    flow = StartRequest.Flow.REP

    def is_enabled(self) -> bool:
        return rep_list_shown(self.request.site)

    def disabled_response(self) -> HttpResponse:
        return person_list_elsewhere(self.request, "technicians") or super().disabled_response()

    @property
    def rep_list(self) -> selectors.RepListResult:
        return current_rep_list(self.request)

    def get_form(self, data: Any = None) -> RepForm:
        return rep_form(self.request, self.rep_list, data)

    def get_context_data(self, form: RepForm) -> dict[str, Any]:
        # In the page's language: the list's initials are capitalised as it writes capitals.
        reps_json_url = f"{reverse('reps_json')}?{urlencode({'locale': self.request.LANGUAGE_CODE})}"
        return {"form": form, "rep_list": self.rep_list, "reps_json_url": reps_json_url}

    def compiles_prefilled_page(self) -> bool:
        return False  # the page shows the list of the moment, and its own address

    def render_form(self, form: RepForm, **extra_context: Any) -> HttpResponse:
        response = super().render_form(form, **extra_context)
        # Who is online changes by the minute: browsers do not keep this page; the page cache
        # keeps it under the list it shows (rep_list_page_variant).
        add_never_cache_headers(response)
        return response

    def start(self, form: RepForm, context: services.StartContext) -> services.StartResult:
        rep = form.selected_rep()
        return services.start_with_rep(
            context=context,
            rep_id=rep.id,
            rep_name=rep.public_name,
            external_key=form.cleaned_data.get("external_key") or "",
            chat_requested=bool(form.cleaned_data.get("chat")),
        )


@require_GET
def reps_json(request: PortalRequest) -> JsonResponse:
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
# Take Control: the technician list (docs/decisions/README.md#take-control)
# ------------------------------------------------------------------------------
class TechnicianView(StartFlowView[TechnicianForm]):
    """The Take Control "representative list": admin-curated technicians, one click each."""

    template_name = "portal/technicians.html"
    flow = StartRequest.Flow.REP

    def is_enabled(self) -> bool:
        return technicians_shown(self.request.site)

    def disabled_response(self) -> HttpResponse:
        return person_list_elsewhere(self.request, "reps") or super().disabled_response()

    def get_form(self, data: Any = None) -> TechnicianForm:
        initial, _locked = public_form_initial(self.request)
        return TechnicianForm(
            data,
            initial=initial,
            technicians=self.request.site.backend.listed_technicians(),
            consent_text=self.request.site.consent_text,
        )

    def start(self, form: TechnicianForm, context: services.StartContext) -> services.StartResult:
        return services.start_with_technician(context=context, technician=form.selected_technician())


session_key = customer_page_cache(SessionKeyView.as_view())
survey = customer_page_cache(SurveyView.as_view())
reps = customer_page_cache(RepListView.as_view(), variant=rep_list_page_variant)
technicians = customer_page_cache(TechnicianView.as_view())


# ------------------------------------------------------------------------------
# Home
# ------------------------------------------------------------------------------
@customer_page_cache
@require_GET
def home(request: PortalRequest) -> HttpResponseBase:
    if not site_ready(request):
        return unavailable_page(request)
    flows = enabled_flows(request.site)
    if len(flows) == 1:  # no pointless choices (docs/decisions/0035-no-pointless-choices.md)
        only = {"key": session_key, "survey": survey, "reps": reps, "technicians": technicians}
        return only.get(flows[0], session_key)(request)
    page = render_customer_page(
        request,
        "portal/home.html",
        {
            "key_form": session_key_form(request),
            "reps_url": reverse("reps"),
            # A help desk's link to the home page (prefill values, a signed part, embed) goes on
            # with the customer to the other pages, as the language links take it along.
            "carried": links_query(request),
        },
    )
    # A help desk's link shows the customer's values here too (views/base.py's kept_private).
    return kept_private(page) if has_customer_values(request) else page
