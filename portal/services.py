"""What the portal does: turn a validated start into the vendor URL and record it.

Views bind forms and call these; nothing here reads a request. Vendor names stay in
`portal.vendors`: this module hands the backend's adapter a neutral description of the start
(`StartOrder`) and records what came of it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from portal import prefill, selectors
from portal.forms import PublicForm, SurveyForm, custom_field_required, key_form
from portal.models import Issue, Site, StartRequest, Technician
from portal.selectors import LocalizedIssue
from portal.text_rules import normalise
from portal.vendors import limits
from portal.vendors.base import StartFlow, StartOrder, StartOutcome
from portal.vendors.registry import adapter_for
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
    queued: Any = None  # the vendor's answer to a start call (Take Control's SessionCreated)
    failure: str = ""

    @property
    def parameters(self) -> list[tuple[str, str]]:
        """The URL's query, name by name, for the preview page; worked out only when it is
        asked for, not on every start that leaves for the vendor."""
        if not self.preview:
            return []
        return parse_qsl(urlsplit(self.url).query, keep_blank_values=True)


def chat_only(*, site: Site, issue: StartIssue | None, requested: bool) -> bool:
    """The issue's override wins over the site's chat mode; 'choice' lets the customer decide."""
    if issue is not None and issue.chat != Issue.Chat.SITE:
        return issue.chat == Issue.Chat.ALWAYS
    if site.chat_mode == Site.ChatMode.ALWAYS:
        return True
    return site.chat_mode == Site.ChatMode.CHOICE and requested


def record_start(
    *,
    context: StartContext,
    flow: str,
    outcome: str,
    issue: StartIssue | None = None,
    chat: bool = False,
    customer: Customer | None = None,
    error_fields: list[str] | None = None,
) -> None:
    site = context.site
    fields = dict(
        flow=flow,
        issue_id=issue.pk if issue is not None else None,
        backend_kind=site.backend.kind,
        outcome=outcome,
        locale=context.language,
        embedded=context.embedded,
        chat=chat,
        # An API caller names its unknown fields: PostgreSQL's text takes no NUL.
        error_fields=",".join(error_fields or []).replace("\x00", "\ufffd")[:500],
        customer_data=customer.as_record() if customer and site.keep_personal_data else None,
    )
    if not start_event_wanted(site=site, outcome=outcome):
        # No endpoint takes this start's event (the cached list, renewed by every endpoint
        # change): one INSERT in autocommit, no transaction, savepoint or endpoint query
        # (docs/decisions/0066-lean-start-record.md).
        StartRequest.objects.insert(site_id=site.pk, **fields)
        return
    # One transaction: the start record and its webhook event
    # (docs/decisions/0070-start-webhooks-on-django-tasks.md).
    with transaction.atomic():
        record = StartRequest.objects.create(site=site, **fields)
        enqueue_start_event(
            start_request=record, customer=customer, issue_code_name=issue.code_name if issue else None
        )


def _start(
    *,
    context: StartContext,
    flow: str,
    order: StartOrder,
    issue: StartIssue | None = None,
    customer: Customer | None = None,
) -> StartResult:
    """Hands the validated start to the backend's adapter (the URL, or the vendor's answer)
    and records it (docs/decisions/0055-vendor-adapters-and-registry.md)."""
    backend = context.site.backend
    adapter = adapter_for(backend)
    if stored_problems := backend.stored_address_problems():
        # Saved before today's rules: no page's policy lets the customer's browser go there
        # (docs/decisions/0126-values-stored-before-todays-rules.md).
        logger.error(
            "Start refused: backend %s has an address today's rules refuse (%s). "
            "Admin: see the set-up checklist.",
            backend.name,
            ", ".join(stored_problems),
        )
        outcome = StartOutcome(failure="unavailable")
    else:
        outcome = adapter.start(order)
    if outcome.failure:
        record_start(
            context=context, flow=flow, outcome=StartRequest.Outcome.FAILED, issue=issue, customer=customer
        )
        return StartResult(url=outcome.url, preview=False, failure=outcome.failure)
    preview = adapter.is_preview
    record_start(
        context=context,
        flow=flow,
        outcome=StartRequest.Outcome.PREVIEW if preview else StartRequest.Outcome.STARTED,
        issue=issue,
        chat=order.chat,
        customer=customer,
    )
    if outcome.queued is not None:
        return StartResult(url=outcome.url, preview=False, queued=outcome.queued)
    return StartResult(url=outcome.url, preview=preview)


def _order(
    context: StartContext, *, flow: str, customer: Customer, issue: StartIssue | None = None, **values
) -> StartOrder:
    """`chat_locale`: the issue's own when it has one, else the site's (either may be a
    language the appliance lacks: it is passed through to the chat as the admin wrote it)."""
    return StartOrder(
        flow=flow,
        customer=customer,
        issue=issue,
        locale=context.language,
        chat_locale=(issue.chat_locale if issue is not None else "") or context.site.chat_locale,
        user_agent=context.user_agent,
        timezone_offset=context.timezone_offset,
        **values,
    )


def _chat(context: StartContext, *, issue: StartIssue | None, requested: bool) -> bool:
    """Chat only, where the backend's starts can be."""
    if not adapter_for(context.site.backend).offers_chat_only:
        return False
    return chat_only(site=context.site, issue=issue, requested=requested)


def start_with_session_key(*, context: StartContext, key: str, external_key: str = "") -> StartResult:
    """The key a technician gave (on Take Control the PIN, docs/decisions/0017-takecontrol-pin.md)."""
    customer = Customer(external_key=external_key)
    carried = adapter_for(context.site.backend).key_rule().external_key
    return _start(
        context=context,
        flow=StartRequest.Flow.KEY,
        order=_order(context, flow=StartFlow.KEY, customer=customer, key=key),
        customer=customer if carried else None,
    )


def start_with_survey(
    *, context: StartContext, issue: StartIssue, customer: Customer, chat_requested: bool = False
) -> StartResult:
    """An issue start: the adapter names the issue as its vendor does
    (docs/decisions/0002-one-queue-selector.md) or routes by it
    (docs/decisions/0016-takecontrol-routing.md)."""
    chat = _chat(context, issue=issue, requested=chat_requested)
    return _start(
        context=context,
        flow=StartRequest.Flow.SURVEY,
        order=_order(context, flow=StartFlow.ISSUE, customer=customer, issue=issue, chat=chat),
        issue=issue,
        customer=customer,
    )


def start_with_rep(
    *, context: StartContext, rep_id: int, rep_name: str, external_key: str = "", chat_requested: bool = False
) -> StartResult:
    """A rep-list start: id and the public display name
    (docs/decisions/0009-rep-list-by-public-name.md; the caller checked both)."""
    customer = Customer(external_key=external_key)
    chat = _chat(context, issue=None, requested=chat_requested)
    return _start(
        context=context,
        flow=StartRequest.Flow.REP,
        order=_order(
            context, flow=StartFlow.REP, customer=customer, rep_id=rep_id, rep_name=rep_name, chat=chat
        ),
        customer=customer,
    )


def start_with_rep_in_issue_menu(
    *, context: StartContext, rep_id: int, customer: Customer, chat_requested: bool = False
) -> StartResult:
    """A survey start with a rep picked in the issue menu
    (docs/decisions/0010-reps-in-issue-menu.md): the rep's id with the customer's fields; the
    caller found the rep in the cached list."""
    chat = _chat(context, issue=None, requested=chat_requested)
    return _start(
        context=context,
        flow=StartRequest.Flow.SURVEY,
        order=_order(context, flow=StartFlow.REP_IN_ISSUE_MENU, customer=customer, rep_id=rep_id, chat=chat),
        customer=customer,
    )


def start_with_technician(*, context: StartContext, technician: Technician) -> StartResult:
    """A technician-list start (docs/decisions/0016-takecontrol-routing.md); the caller found the
    technician among the listed ones."""
    customer = Customer()
    return _start(
        context=context,
        flow=StartRequest.Flow.REP,
        order=_order(context, flow=StartFlow.TECHNICIAN, customer=customer, technician=technician),
        customer=customer,
    )


def purge_old_start_requests(*, now=None) -> int:
    """Deletes start records older than each site's retention period; returns how many."""
    now = now or timezone.now()
    deleted = 0
    for site in Site.objects.all():
        cutoff = now - timedelta(days=site.retention_days)
        deleted += StartRequest.objects.filter(site=site, created_at__lt=cutoff).delete()[0]
    return deleted


# ------------------------------------------------------------------------------
# Signed prefill links (docs/decisions/0023-signed-prefill-links.md)
# ------------------------------------------------------------------------------
def signed_link_problems(*, site: Site, flow: str, values: Mapping[str, str]) -> dict[str, list[str]]:
    """What the flow's form would say, in English, of the values a signed link would lock
    (`flow` is a key of `prefill.LINK_PAGES`). The home page shows the key form and carries the
    link on to the survey: both judge the values, the key form's words first."""
    if flow != "home":
        return _form_problems(site=site, flow=flow, values=values)
    problems = _form_problems(site=site, flow="key", values=values)
    for name, messages in _form_problems(site=site, flow="survey", values=values).items():
        problems.setdefault(name, messages)
    return problems


def _form_problems(*, site: Site, flow: str, values: Mapping[str, str]) -> dict[str, list[str]]:
    """What the key form (`key`) or the survey (`survey`) would say of the values to lock.

    A locked value is shown read-only and the customer's own input for it is ignored, so a
    value the form refuses (a key of the wrong length, an issue the site does not offer, an
    address that is none, a choice not listed, a required field left blank) would leave the
    customer before an error they cannot correct: such a link is not signed. The form is the
    one the page builds, with the site's issues and custom fields as they are now. A name the
    page does not lock (a name on the key page, a custom field whose "a signed prefill link
    locks it" is off, an unknown one) is no such trap, and is not judged here.

    What the form checks only once the customer has chosen an issue is judged for any issue: a
    required custom field's blank value, and the vendor's budget for all custom values together
    (what the link locks of it alone already over it).
    """
    with translation.override(settings.LANGUAGE_CODE):
        language = settings.LANGUAGE_CODE
        if flow == "key":
            form: PublicForm = key_form(site.backend, dict(values))
            lockable: tuple[str, ...] = prefill.KEY_PAGE_NAMES
            fields: list[selectors.LocalizedCustomField] = []
            reps_menu = False
        else:
            fields = selectors.survey_custom_fields(site, language)
            reps_menu = selectors.reps_in_issue_menu(site)
            form = SurveyForm(
                dict(values),
                site=site,
                # With reps in the menu, who may be chosen is who is online when the link is
                # opened: an `issue` is judged by its shape only (below).
                issues=() if reps_menu else selectors.active_issues(site=site, language=language),
                custom_fields=fields,
                reps_menu=reps_menu,
            )
            lockable = (*prefill.SURVEY_NAMES, *(f"cf_{f.code_name}" for f in fields if f.prefill_locks))
            if reps_menu:
                lockable = tuple(name for name in lockable if name != "issue")
        form.is_valid()
        problems = {
            name: [str(message) for message in form.errors[name]]
            for name in values
            if name in lockable and name in form.fields and name in form.errors
        }
        for field in fields:
            name = f"cf_{field.code_name}"
            if name in lockable and name in form.fields and field.required and name not in problems:
                if name in values and not normalise(values[name]):
                    problems[name] = [str(custom_field_required(field))]
        if reps_menu and "issue" in values and not re.fullmatch(r"rep-[0-9]{1,18}", values["issue"]):
            problems["issue"] = ["This site's survey lists representatives: rep-<id>, or leave it out."]
        # The vendor's budget for the session's custom values, over the fields the survey counts
        # in it (the external key and the custom fields it carries); the key page's external
        # key alone is within it by its own limit.
        budget = form.custom_total_fields() if isinstance(form, SurveyForm) else []
        locked = [name for name in budget if name in lockable and name in values and name not in problems]
        total = sum(limits.utf8_len(normalise(values[name])) for name in locked)
        if total > limits.CUSTOM_TOTAL_MAX_BYTES:
            for name in locked:
                problems[name] = [
                    f"The custom fields and the external key together take at most "
                    f"{limits.CUSTOM_TOTAL_MAX_BYTES} UTF-8 bytes; the values to lock are more."
                ]
        return problems
