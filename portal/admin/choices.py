"""No pointless choices in the admin (docs/decisions/0035-no-pointless-choices.md): add forms
preselect a choice that has only one answer (the only site, the only backend), and a list's
filter of a choice field offers only the values its rows have."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import admin
from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.db.models import QuerySet
from django.http import HttpRequest


class PreselectSingleChoiceMixin:
    """For each foreign key in `preselect_single`, an add form starts on the one existing row.

    A value in the URL (`?site=3`, as the set-up checklist's links pass) still wins, and the
    admin can still change it: this only saves picking the sole entry of a list.
    """

    preselect_single: tuple[str, ...] = ("site", "backend")

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        for name in self.preselect_single:
            if name in initial:
                continue
            try:
                field = self.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if not field.many_to_one:
                continue
            rows = list(field.related_model._default_manager.values_list("pk", flat=True)[:2])
            if len(rows) == 1:
                initial[name] = rows[0]
        return initial


def values_in_use(request: HttpRequest, rows: QuerySet, field_path: str) -> frozenset[Any]:
    """The values of `field_path` among `rows`, asked of the database once per request: a change
    list's "By kind" filter and its columns (vendor_fields.unused_by_every_kind_in_use) ask the
    same of the backends. Two askers share an answer when their query is the same SQL (a
    per-request memo, kept on the request)."""
    query = rows.order_by().values_list(field_path, flat=True).distinct()
    try:
        key = str(query.query)
    except EmptyResultSet:  # `rows` is `.none()`: nothing to ask
        return frozenset()
    memo: dict[str, frozenset[Any]] = request.__dict__.setdefault("_portal_values_in_use", {})
    if key not in memo:
        memo[key] = frozenset(query)
    return memo[key]


class ChoicesInUseFilter(admin.ChoicesFieldListFilter):
    """A choice field's filter that offers the values some row has, not every choice: the site
    list's "By kind" names the backend kinds its sites use, as its columns follow the kinds in
    use. With fewer than two to tell apart it is left out, unless a filter by it is on."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        # The rows this admin lists (its get_queryset), as Django's RelatedOnlyFieldListFilter reads.
        in_use = values_in_use(request, model_admin.get_queryset(request), field_path)
        self.field = copy.copy(field)  # Django's filter lists `field.flatchoices`
        self.field.choices = [(value, label) for value, label in field.flatchoices if value in in_use]

    def has_output(self):
        return len(self.field.flatchoices) > 1 or self.lookup_val is not None
