"""What the portal does: turn a validated start into the vendor URL and record it.

Views bind forms and call these; nothing here reads a request. Vendor names stay in
`portal.vendors`: this module hands them a neutral description of the start.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

from django.db import transaction
from django.utils import timezone

from portal.models import Backend, Issue, Site, StartRequest, Technician
from portal.selectors import LocalizedIssue
from portal.vendors.beyondtrust.start_url import (
    StartParams,
    legacy_start_url,
    modern_start_url,
    platform_for_user_agent,
)
from portal.vendors.takecontrol import client as takecontrol_client
from portal.vendors.takecontrol.start_url import (
    Route,
    TakeControlValueError,
    new_session_url,
    pin_url,
    route_for_start,
)
from portal.webhooks.services import enqueue_start_event, start_event_wanted

logger = logging.getLogger(__name__)

# An issue as the survey offers it (selectors.active_issues), or as a model (the API, tests).
StartIssue = LocalizedIssue | Issue


@dataclass(frozen=True)
class StartContext:
    """Facts about the customer's browser that every start carries."""

    site: Site
    language: str
    user_agent: str = ""
    timezone_offset: int | None = None
    embedded: bool = False


@dataclass(frozen=True)
class Customer:
    name: str = ""
    company: str = ""
    company_code: str = ""
    details: str = ""
    email: str = ""
    number: str = ""
    external_key: str = ""
    custom: tuple[tuple[str, str], ...] = ()

    def as_record(self) -> dict:
        data = {k: v for k, v in self.__dict__.items() if v and k != "custom"}
        if self.custom:
            data["custom"] = dict(self.custom)
        return data


@dataclass(frozen=True)
class StartResult:
    """Where the customer goes next. `preview` starts never leave the portal.

    Take Control REST starts (docs/decisions/0015-takecontrol-rest-start.md) end on a confirmation
    page instead: `queued` holds what the vendor said and `url` the applet link it returned, if any.
    `failure` is set when the vendor could not start the session ("rejected": offer `url`, the
    redirect path; "unavailable": say so); the record then says FAILED.
    """

    url: str
    preview: bool
    record: StartRequest
    parameters: list[tuple[str, str]] = field(default_factory=list)
    queued: takecontrol_client.SessionCreated | None = None
    failure: str = ""


def chat_only(*, site: Site, issue: StartIssue | None, requested: bool) -> bool:
    """The issue's override wins over the site's chat mode; 'choice' lets the customer decide."""
    if issue is not None and issue.chat != Issue.Chat.SITE:
        return issue.chat == Issue.Chat.ALWAYS
    if site.chat_mode == Site.ChatMode.ALWAYS:
        return True
    return site.chat_mode == Site.ChatMode.CHOICE and requested


def beyondtrust_url(*, backend: Backend, params: StartParams) -> str:
    """The one place that picks the URL style for a BeyondTrust backend
    (docs/decisions/0001-beyondtrust-start-url-styles.md)."""
    build = legacy_start_url if backend.kind == Backend.Kind.LEGACY else modern_start_url
    return build(backend.base_url, params, key_only=backend.prompts_before_download)


def _common_params(context: StartContext, issue: StartIssue | None = None) -> dict:
    """`chat_locale`: the issue's own when it has one, else the site's (either may be a
    language the appliance lacks: it is passed through to the chat as the admin wrote it)."""
    backend = context.site.backend
    return {
        "locale": context.language,
        "chat_locale": (issue.chat_locale if issue is not None else "") or context.site.chat_locale,
        "platform": platform_for_user_agent(context.user_agent) if backend.send_platform else "",
        "timezone_offset": context.timezone_offset,
    }


def _customer_params(customer: Customer) -> dict:
    """What the customer typed, under the builder's names."""
    return {
        "customer_name": customer.name,
        "customer_company": customer.company,
        "customer_company_code": customer.company_code,
        "customer_details": customer.details,
        "external_key": customer.external_key,
        "custom": customer.custom,
    }


def record_start(
    *,
    context: StartContext,
    flow: str,
    outcome: str,
    issue: StartIssue | None = None,
    chat: bool = False,
    customer: Customer | None = None,
    error_fields: list[str] | None = None,
) -> StartRequest:
    site = context.site
    fields = dict(
        site=site,
        flow=flow,
        issue_id=issue.pk if issue is not None else None,
        backend_kind=site.backend.kind,
        outcome=outcome,
        locale=context.language,
        embedded=context.embedded,
        chat=chat,
        error_fields=",".join(error_fields or [])[:500],
        customer_data=customer.as_record() if customer and site.keep_personal_data else None,
    )
    if not start_event_wanted(site=site, outcome=outcome):
        # No endpoint takes this start's event (the cached list, renewed by every endpoint
        # change): one INSERT in autocommit, no transaction, savepoint or endpoint query
        # (docs/decisions/0066-lean-start-record.md).
        return StartRequest.objects.create(**fields)
    # One transaction: the start record and its webhook event
    # (docs/decisions/0070-start-webhooks-on-django-tasks.md).
    with transaction.atomic():
        record = StartRequest.objects.create(**fields)
        enqueue_start_event(start_request=record, customer=customer)
    return record


def _finish(
    *,
    context: StartContext,
    flow: str,
    url: str,
    issue: StartIssue | None = None,
    chat: bool = False,
    customer: Customer | None = None,
) -> StartResult:
    preview = context.site.backend.kind == Backend.Kind.PREVIEW
    outcome = StartRequest.Outcome.PREVIEW if preview else StartRequest.Outcome.STARTED
    record = record_start(
        context=context, flow=flow, outcome=outcome, issue=issue, chat=chat, customer=customer
    )
    return StartResult(
        url=url,
        preview=preview,
        record=record,
        parameters=parse_qsl(urlsplit(url).query, keep_blank_values=True),
    )


def start_with_session_key(*, context: StartContext, key: str, external_key: str = "") -> StartResult:
    if context.site.backend.kind == Backend.Kind.TAKECONTROL:
        return start_with_pin(context=context, pin=key)
    params = StartParams(short_key=key, external_key=external_key, **_common_params(context))
    url = beyondtrust_url(backend=context.site.backend, params=params)
    return _finish(
        context=context, flow=StartRequest.Flow.KEY, url=url, customer=Customer(external_key=external_key)
    )


def start_with_survey(
    *, context: StartContext, issue: StartIssue, customer: Customer, chat_requested: bool = False
) -> StartResult:
    """An issue start: codeName, or the numeric id when the admin set one
    (docs/decisions/0002-one-queue-selector.md)."""
    if context.site.backend.kind == Backend.Kind.TAKECONTROL:
        return start_takecontrol(
            context=context, flow=StartRequest.Flow.SURVEY, issue=issue, customer=customer
        )
    chat = chat_only(site=context.site, issue=issue, requested=chat_requested)
    params = StartParams(
        issue_code_name="" if issue.vendor_id is not None else issue.code_name,
        issue_id=issue.vendor_id,
        priority=issue.priority,
        skills=tuple(issue.skill_list),
        chat=chat,
        **_customer_params(customer),
        **_common_params(context, issue),
    )
    url = beyondtrust_url(backend=context.site.backend, params=params)
    return _finish(
        context=context, flow=StartRequest.Flow.SURVEY, url=url, issue=issue, chat=chat, customer=customer
    )


def start_with_rep(
    *, context: StartContext, rep_id: int, rep_name: str, external_key: str = "", chat_requested: bool = False
) -> StartResult:
    """A rep-list start: id and the public display name
    (docs/decisions/0009-rep-list-by-public-name.md; the caller checked both)."""
    chat = chat_only(site=context.site, issue=None, requested=chat_requested)
    params = StartParams(
        rep_id=rep_id, rep_name=rep_name, external_key=external_key, chat=chat, **_common_params(context)
    )
    url = beyondtrust_url(backend=context.site.backend, params=params)
    return _finish(
        context=context,
        flow=StartRequest.Flow.REP,
        url=url,
        chat=chat,
        customer=Customer(external_key=external_key),
    )


def start_with_rep_in_issue_menu(
    *, context: StartContext, rep_id: int, customer: Customer, chat_requested: bool = False
) -> StartResult:
    """A survey start with a rep picked in the issue menu
    (docs/decisions/0010-reps-in-issue-menu.md): `issue_menu=1` and the rep's id, with the
    customer's fields; the caller found the rep in the cached list."""
    chat = chat_only(site=context.site, issue=None, requested=chat_requested)
    params = StartParams(issue_id=rep_id, chat=chat, **_customer_params(customer), **_common_params(context))
    url = beyondtrust_url(backend=context.site.backend, params=params)
    return _finish(context=context, flow=StartRequest.Flow.SURVEY, url=url, chat=chat, customer=customer)


# ------------------------------------------------------------------------------
# Take Control (docs/decisions/README.md#take-control)
# ------------------------------------------------------------------------------
def takecontrol_redirect_url(*, backend: Backend, route: Route, customer: Customer) -> str:
    """docs/decisions/0014-takecontrol-redirect-start.md: the New Session URL the customer's browser
    opens (the portal never fetches it).

    It has no language parameter: docs/decisions/0014-takecontrol-redirect-start.md lists none, so
    the applet follows the customer's system language; REST starts send `language`
    (docs/decisions/0018-takecontrol-language.md).
    """
    return new_session_url(
        api_domain=backend.base_url,
        uid=backend.tc_uid,
        department_id=route.department_id,
        technician_username=route.technician_username,
        customer_name=customer.name,
        customer_email=customer.email,
        customer_number=customer.number,
        problem_description=customer.details,
        ask_customer_info=backend.tc_ask_customer_info,
    )


def start_with_pin(*, context: StartContext, pin: str) -> StartResult:
    """docs/decisions/0017-takecontrol-pin.md: the customer's PIN in the backend's PIN URL
    template."""
    try:
        url = pin_url(template=context.site.backend.tc_pin_url_template, pin=pin)
    except TakeControlValueError as error:  # only a broken template: PinForm checked the PIN
        logger.error("Take Control PIN start: %s. Admin: check the PIN URL template.", error)
        return _failed(context=context, flow=StartRequest.Flow.KEY, failure="unavailable")
    return _finish(context=context, flow=StartRequest.Flow.KEY, url=url)


def start_with_technician(*, context: StartContext, technician: Technician) -> StartResult:
    """A technician-list start: `tech` is the chosen technician's username
    (docs/decisions/0016-takecontrol-routing.md)."""
    return start_takecontrol(context=context, flow=StartRequest.Flow.REP, technician=technician)


def start_takecontrol(
    *,
    context: StartContext,
    flow: str,
    issue: StartIssue | None = None,
    technician: Technician | None = None,
    customer: Customer | None = None,
) -> StartResult:
    """A survey or technician start in the backend's start mode
    (docs/decisions/0014-takecontrol-redirect-start.md,
    docs/decisions/0015-takecontrol-rest-start.md and docs/decisions/0016-takecontrol-routing.md).

    Routing comes from admin configuration only: the issue's department and technician, or
    the technician picked from the list (which the caller found among the listed ones).
    Never raises for a vendor problem: the result says what the customer sees.
    """
    backend = context.site.backend
    customer = customer or Customer()
    route = route_for_start(issue=issue, technician=technician)
    if backend.tc_mode != Backend.TakeControlMode.REST:
        try:
            url = takecontrol_redirect_url(backend=backend, route=route, customer=customer)
        except TakeControlValueError as error:  # the form checked the customer's values
            logger.error(
                "Take Control start: %s (%s). Admin: check the backend's uid and API domain.",
                error,
                error.field,
            )
            return _failed(context=context, flow=flow, issue=issue, customer=customer, failure="unavailable")
        return _finish(context=context, flow=flow, url=url, issue=issue, customer=customer)
    try:
        queued = takecontrol_client.TakeControlClient.from_backend(backend).create_session(
            department_id=route.department_id,
            technician_username=route.technician_username,
            locale=context.language,
            customer_name=customer.name,
            customer_email=customer.email,
            customer_number=customer.number,
            problem_description=customer.details,
        )
    except takecontrol_client.TakeControlRejected:
        # Our validation missed something (the client logged the vendor's reason): apologise
        # and offer the redirect path, which the vendor may still accept.
        try:
            fallback = takecontrol_redirect_url(backend=backend, route=route, customer=customer)
        except TakeControlValueError:
            fallback = ""
        return _failed(
            context=context, flow=flow, issue=issue, customer=customer, failure="rejected", url=fallback
        )
    except (takecontrol_client.TakeControlError, TakeControlValueError) as error:
        if isinstance(error, TakeControlValueError) or (
            isinstance(error, takecontrol_client.TakeControlMisconfigured) and error.status is None
        ):
            # The client logs what the vendor refused; a setting missing here is ours to log.
            logger.error(
                "Take Control REST start at %s: %s. Admin: check the backend settings.",
                urlsplit(backend.base_url).hostname,
                error,
            )
        return _failed(context=context, flow=flow, issue=issue, customer=customer, failure="unavailable")
    record = record_start(
        context=context, flow=flow, outcome=StartRequest.Outcome.STARTED, issue=issue, customer=customer
    )
    return StartResult(url=queued.applet_url, preview=False, record=record, queued=queued)


def _failed(
    *,
    context: StartContext,
    flow: str,
    failure: str,
    url: str = "",
    issue: StartIssue | None = None,
    customer: Customer | None = None,
) -> StartResult:
    record = record_start(
        context=context, flow=flow, outcome=StartRequest.Outcome.FAILED, issue=issue, customer=customer
    )
    return StartResult(url=url, preview=False, record=record, failure=failure)


def purge_old_start_requests(*, now=None) -> int:
    """Deletes start records older than each site's retention period; returns how many."""
    now = now or timezone.now()
    deleted = 0
    for site in Site.objects.all():
        cutoff = now - timedelta(days=site.retention_days)
        deleted += StartRequest.objects.filter(site=site, created_at__lt=cutoff).delete()[0]
    return deleted
