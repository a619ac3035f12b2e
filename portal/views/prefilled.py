"""Prefilled pages without a full render (docs/decisions/0062-compiled-prefilled-pages.md).

A help-desk link (`/survey/?issue=printing&name=Jane&locale=de`) carries the customer's
values, so the page cache never keeps it, and rendering the survey costs milliseconds. Yet two
such pages differ only where the values go. So a page is rendered once per *shape* (site
version, site, language, embed flag, path, the parameter names, which fields are prefilled and
locked, the option a choice field selects) with a marker in place of each value, split at the
markers and kept in this process (`caching.compiled_pages`); each request joins the pieces
with its own values, escaped as the template escapes them (`conditional_escape`).

What is kept is customer-free by construction: the rendering that is kept sees markers, never a
query value (request.GET and the query string are swapped for markers while it runs). A marker
is a per-compile random nonce, so no customer can name one, and values are joined in after the
split, so a value that looks like a marker is just text. A page with any marker left over after
the split (a template that transformed or echoed a value in a way this module does not know)
is not kept: that request, and the next, get the full render.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.html import conditional_escape

from portal import prefill as prefill_links
from portal.caching import NEUTRAL_PARAMETERS, compiled_pages, site_cache_version
from portal.forms import PublicForm, is_single_choice, over_custom_total
from portal.views.rendering import language_links, links_query

if TYPE_CHECKING:
    from portal.views.base import StartFlowView

# Widgets that draw a value as escaped text and nothing else (`value="…"` or the textarea's
# content): their value is a slot. Exact types: a subclass may draw differently.
TEXT_WIDGETS = (forms.TextInput, forms.EmailInput, forms.Textarea, forms.HiddenInput)
# Fields whose initial value the page's own context decides (language, embed flag): in the key.
CONTEXT_FIELDS = frozenset({"locale", "embedded"})
# Names a link may carry besides the form's own fields: the language, the embed flag, the
# signature, and the built-in prefill names (a help desk sends `email` to a site that does not
# ask for it). A fixed set, so the number of shapes stays bounded.
KNOWN_PARAMETERS = NEUTRAL_PARAMETERS | {
    prefill_links.SIGNATURE,
    prefill_links.EXPIRES,
    *prefill_links.BUILT_IN,
}


@dataclass(frozen=True)
class CompiledPage:
    """A rendered page split at its slots: `parts[0] slot parts[1] slot … parts[-1]`. A slot is
    ("value", field name) or ("query", "") (the query in the language links)."""

    parts: tuple[str, ...]
    slots: tuple[tuple[str, str], ...]
    status: int
    headers: tuple[tuple[str, str], ...]
    portal_csp: dict

    def response(self, *, values: dict[str, str], query: str) -> HttpResponse:
        filled = {
            "value": {name: conditional_escape(value) for name, value in values.items()},
            "query": {"": conditional_escape(query)},
        }
        pieces = [self.parts[0]]
        for (kind, name), part in zip(self.slots, self.parts[1:], strict=True):
            pieces.append(filled[kind][name])
            pieces.append(part)
        response = HttpResponse("".join(pieces), status=self.status)
        for header, value in self.headers:
            response[header] = value
        response.portal_csp = self.portal_csp  # type: ignore[attr-defined]  # as set_customer_csp
        response.xframe_options_exempt = True  # as render_customer_page: frame-ancestors decides
        return response


def has_customer_values(request: HttpRequest) -> bool:
    return not NEUTRAL_PARAMETERS.issuperset(request.GET)


@dataclass(frozen=True)
class FieldKind:
    """How a form field draws its initial value: "text" (the escaped value, a slot), "choice"
    (the option it selects; `options` are the site's) or "other" (not compiled). A text field's
    `takes` is its own checks (PublicForm.value_check): a locked value they refuse is not
    locked, and a hidden field (`hidden`) drops it."""

    draws: str
    options: frozenset[str] = frozenset()
    takes: Callable[[str], bool] | None = None
    hidden: bool = False
    in_total: bool = False  # counts towards the vendor's total for custom values


def form_blueprint(form: PublicForm) -> dict[str, FieldKind]:
    """What a page's form draws for each field, by name: the same for every request of one site
    version, language and flow (no form field depends on the query but by being locked)."""
    blueprint = {}
    total = set(form.custom_total_fields())
    for name, field in form.fields.items():
        widget = field.widget
        if is_single_choice(field) and isinstance(widget, forms.HiddenInput):
            # The one issue, drawn hidden: it takes an offered value only (PublicForm.lock).
            choices = cast("list[tuple[object, object]]", field.choices)  # Django's are flat here
            blueprint[name] = FieldKind(
                "choice", frozenset(str(value) for value, _label in choices), in_total=name in total
            )
        elif type(widget) in TEXT_WIDGETS:
            blueprint[name] = FieldKind(
                "text", takes=form.value_check(name), hidden=widget.is_hidden, in_total=name in total
            )
        elif isinstance(widget, (forms.Select, forms.RadioSelect)) and not widget.allow_multiple_selected:
            # The widget's own options (the field hands its choices to it): what it selects from.
            options = frozenset(str(value) for value, _label in widget.choices)
            blueprint[name] = FieldKind("choice", options, in_total=name in total)
        else:
            blueprint[name] = FieldKind("other")
    return blueprint


def page_shape(
    request: HttpRequest, initial: dict, locked: dict[str, str], blueprint: dict[str, FieldKind]
) -> tuple[tuple, dict[str, str]] | None:
    """The page's key (nothing of the customer's but parameter and field names and the
    site-defined option a choice selects) and the values its slots take; None when the page
    has a parameter or a widget this module does not compile (the full render then)."""
    names = tuple(request.GET)
    if not set(names) <= KNOWN_PARAMETERS | set(blueprint):
        return None
    drawn: list[tuple[str, FieldKind, object, bool]] = []
    for name, value in initial.items():
        field = blueprint.get(name)
        if field is None or name in CONTEXT_FIELDS:
            continue
        is_locked = name in locked  # PublicForm.lock: the field is disabled, drawn readonly
        if (is_locked or field.hidden) and value not in ("", None) and field.takes is not None:
            if not field.takes(str(value)):
                # PublicForm.lock: a value the field refuses locks nothing; a hidden field drops
                # it, locked or not. One bit of the value (taken or not) in the key, as "empty"
                # already is.
                is_locked = False
                if field.hidden:
                    value = None
        if is_locked and field.draws == "choice" and str(value) not in field.options and value != "":
            is_locked = False  # PublicForm.lock: a choice not offered selects and locks nothing
        drawn.append((name, field, value, is_locked))
    # PublicForm.lock: what the customer cannot change (locked, or carried unseen) over the
    # vendor's total for custom values alone locks none of the fields that count towards it.
    fixed = [
        "" if value is None else str(value)
        for _name, field, value, is_locked in drawn
        if field.in_total and (is_locked or field.hidden)
    ]
    if over_custom_total(fixed):
        drawn = [
            (name, field, value, is_locked and not field.in_total) for name, field, value, is_locked in drawn
        ]
    fields: list[tuple] = []
    values: dict[str, str] = {}
    for name, field, value, is_locked in drawn:
        if value is None or value == "":
            fields.append((name, "empty", is_locked))
        elif field.draws == "text":
            fields.append((name, "text", is_locked))
            values[name] = str(value)
        elif field.draws == "choice":
            # The option it selects is the site's (an issue or choice code); any other value
            # selects nothing and shows nowhere in the form.
            fields.append((name, "choice", str(value) if str(value) in field.options else None, is_locked))
        else:
            return None
    key = (
        "prefilled",
        site_cache_version(),
        request.site.pk,
        request.LANGUAGE_CODE,
        request.GET.get("embed") == "1",
        request.path,
        names,
        tuple(fields),
    )
    return key, values


def compile_page(view: StartFlowView, values: dict[str, str]) -> CompiledPage | None:
    """Render the view's form page with markers for `values` and the language links; None when
    the page is not one to keep (not a plain 200 customer page, or a marker left over)."""
    request = view.request
    nonce = secrets.token_hex(8)
    form = view.get_form()  # from the real request: the same fields, locks and choices
    slots: dict[str, tuple[str, str]] = {}
    for index, name in enumerate(values):
        marker = f"pf{nonce}v{index}x"
        form.initial[name] = marker
        slots[marker] = ("value", name)
    # The language links differ from page to page by the query only (views/rendering.py's
    # language_links: the query, then `locale`): one slot for the query, in every link.
    query_marker = f"pf{nonce}v{len(values)}x"
    slots[query_marker] = ("query", "")
    languages = [
        {**item, "url": f"{request.path}?{query_marker}&{urlencode({'locale': item['code']})}"}
        for item in language_links(request, request.site)
    ]
    # While the kept page renders, every query value is a marker that no slot takes: one that
    # reaches the page by another way is left over, and the page is not kept.
    real_get, real_query = request.GET, request.META.get("QUERY_STRING", "")
    placeholder_get = QueryDict(mutable=True)
    for name in real_get:
        placeholder_get[name] = "1" if name == "embed" and real_get.get(name) == "1" else f"pf{nonce}q"
    request.GET = placeholder_get  # type: ignore[assignment]  # restored below
    request.META["QUERY_STRING"] = f"pf{nonce}q"
    try:
        response = view.render_form(form, languages=languages)
    finally:
        request.GET, request.META["QUERY_STRING"] = real_get, real_query
    if (
        response.status_code != 200
        or response.cookies
        or getattr(response, "customer_page_cache_exempt", False)
        or getattr(response, "portal_csp", None) is None
    ):
        return None
    pieces = re.split(f"(pf{nonce}v[0-9]+x)", response.content.decode(response.charset))
    parts = tuple(pieces[0::2])
    if any(f"pf{nonce}" in part for part in parts) or not all(marker in slots for marker in pieces[1::2]):
        return None
    return CompiledPage(
        parts=parts,
        slots=tuple(slots[marker] for marker in pieces[1::2]),
        status=response.status_code,
        headers=tuple(response.items()),
        portal_csp=getattr(response, "portal_csp"),  # noqa: B009  (set_customer_csp's attribute)
    )


def prefilled_page(view: StartFlowView, *, compile: bool = True) -> HttpResponse | None:
    """The view's GET page for a prefill link from its compiled shape; None: render it.
    `compile=False` answers only from a shape already kept (StartFlowView.early_page)."""
    request = view.request
    initial, locked = view.get_prefill()
    blueprint_key = (
        "blueprint",
        site_cache_version(),
        request.site.pk,
        request.LANGUAGE_CODE,
        type(view).__qualname__,
    )
    blueprint = compiled_pages.get(blueprint_key)
    if blueprint is None:
        if not compile:
            return None
        blueprint = form_blueprint(view.get_form())
        compiled_pages.set(blueprint_key, blueprint)
    shape = page_shape(request, initial, locked, blueprint)
    if shape is None:
        return None
    key, values = shape
    query = links_query(request)
    if not query:  # only `locale` and `embed`: the page cache's (never here), not a compiled page
        return None
    compiled = compiled_pages.get(key)
    if compiled is None:
        if not compile:
            return None
        compiled = compile_page(view, values)
        if compiled is None:
            return None
        compiled_pages.set(key, compiled)
    return compiled.response(values=values, query=query)
