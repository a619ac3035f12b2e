"""Add forms preselect a choice that has only one answer (the only site, the only backend)."""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist


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
