"""Change forms show the settings the object's backend uses, and only those
(docs/decisions/0103-admin-fields-by-vendor.md).

Which settings a backend kind never reads is its adapter's `unused_fields`; nothing here knows a
kind. On a change form:

- a setting the backend does not use is not an input, so nothing is posted for it;
- one that still holds a value (the object was on another backend) is listed read-only with
  the reason, and a box clears it;
- choosing another backend on the form (a site's backend, an issue's site, a backend's kind)
  brings that backend's settings: the save stops once, with them filled from the stored
  values, so that the admin sees them before they apply; a new value in a setting the chosen
  backend does not use is refused;
- a setting the chosen backend does not use keeps its value unless the chosen backend refuses
  it (a chat-only site moving to Take Control): then the save stops, the value is listed with
  the box, and ticking it resets the setting as the move is saved.

A new object shows every setting (its backend is chosen on the same form), with the same
refusal. Change lists leave out the columns and filters of settings no backend kind in use
reads (a Take Control-only install has no priority or numeric id column).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import display_for_field, flatten
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db.models import Field, Model
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from portal import models
from portal.admin.choices import values_in_use

# A hidden input on a page that showed a chosen backend's settings: their names, so that the
# next save takes them as typed.
SHOWN = "vendor_fields_shown"


def adapter_of(backend: models.Backend | None) -> Any:
    """`backend.adapter` (admin code names no vendor module, not even for a type); None for no
    backend or an unknown kind (a row from another version), whose settings then all stay,
    worded as the model words them."""
    if backend is None:
        return None
    try:
        return backend.adapter
    except KeyError:
        return None


def unused_fields(backend: models.Backend | None, model: type[Model]) -> frozenset[str]:
    """What `backend`'s kind never reads of `model`."""
    adapter = adapter_of(backend)
    return frozenset(adapter.unused_fields.get(model._meta.model_name or "", ())) if adapter else frozenset()


def field_labels(backend: models.Backend | None, model: type[Model]) -> Mapping[str, Any]:
    """The labels `backend`'s kind words its own way."""
    adapter = adapter_of(backend)
    return adapter.field_labels.get(model._meta.model_name or "", {}) if adapter else {}


def unused_by_every_kind_in_use(request: HttpRequest, model: type[Model]) -> frozenset[str]:
    """The settings of `model` that no backend kind in use reads: a change list's column or
    filter of them would show a default in every row (nothing for no backend at all). The kinds
    are asked once per request, and the backend list's "By kind" filter shares the answer."""
    kinds = values_in_use(request, models.Backend.objects.all(), "kind")
    unused = [unused_fields(models.Backend(kind=kind), model) for kind in kinds]
    return frozenset.intersection(*unused) if unused else frozenset()


def setting(model: type[Model], name: str) -> Field | None:
    """The model's own column of that name (an inline's related name is none)."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, Field) and field.concrete else None


def setting_label(model: type[Model], name: str) -> str:
    """The setting's label as the admin reads it, for a message that names it."""
    column = setting(model, name)
    return str(capfirst(column.verbose_name)) if column is not None else name


def setting_names(model: type[Model], names: list[str]) -> str:
    return ", ".join(setting_label(model, name) for name in names)


def holds_value(obj: Model, field: Field) -> bool:
    return field.value_from_object(obj) != field.get_default()


def in_model_terms(value: Any) -> Any:
    return value.pk if isinstance(value, Model) else value


def backend_name(backend: models.Backend) -> str:
    return str(backend.get_kind_display())


def page_had_input(request: HttpRequest, name: str) -> bool:
    """Whether the page a POST came from had an input for `name`: a text field, a select or a
    file field sends its name even when empty. An unticked box sends nothing, and reads as
    unticked whether or not the page had it."""
    return name in request.POST or name in request.FILES


def with_kinds_noted(fieldsets: list, model: type[Model]) -> list:
    """An add page shows every setting (its backend is chosen on it, and no script follows the
    choice): a group that some kinds of backend never read says which kinds read it, so that
    nobody fills in both vendors' groups (docs/decisions/0103-admin-fields-by-vendor.md)."""
    kinds = [
        (label, unused_fields(models.Backend(kind=kind), model))
        for kind, label in models.Backend.Kind.choices
    ]
    result = []
    for title, options in fieldsets:
        names = {name.removeprefix("clear_") for name in flatten(options["fields"])}
        readers = [str(label) for label, unused in kinds if not names <= unused]
        if names and len(readers) < len(kinds):
            note = ngettext(
                "Only %(kinds)s backends use this setting: for any other kind, leave it as it is.",
                "Only %(kinds)s backends use these settings: for any other kind, leave them as they are.",
                len(names),
            ) % {"kinds": " / ".join(readers)}
            description = options.get("description")
            options = {
                **options,
                "description": format_lazy("{} {}", description, note) if description else note,
            }
        result.append((title, options))
    return result


@dataclass(frozen=True)
class VendorFields:
    """What one change form leaves out of the backend-specific settings."""

    absent: frozenset[str]  # not inputs
    leftovers: tuple[str, ...]  # absent, but holding a value: listed read-only
    added: tuple[str, ...]  # inputs the chosen backend brings that the saved page did not have
    # Inputs of the stored backend that the chosen one does not use, on a page that moves the
    # object; those holding a value are listed too, and the box resets them.
    dropped: tuple[str, ...] = ()
    dropped_with_values: tuple[str, ...] = ()
    backend: models.Backend | None = None  # the one the listed values are "not used by"


class VendorFieldsForm(forms.ModelForm):
    """The form side of `VendorFieldsAdmin`, which sets the class attributes for the object."""

    clear_unused = forms.BooleanField(required=False, label=_("Clear these values"))
    vendor_fields_shown = forms.CharField(required=False, widget=forms.HiddenInput)

    vendor_added: tuple[str, ...] = ()
    vendor_leftovers: tuple[str, ...] = ()
    vendor_dropped: tuple[str, ...] = ()
    # The backend the posted form names, as the admin resolved it for the request.
    chosen_backend: models.Backend | None = None
    # The backend the leftovers are "not used by" (the chosen one, else the stored one).
    vendor_backend: models.Backend | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Leftovers the model refused (see add_error), said once by _post_clean.
        self.refused_leftovers: list[str] = []
        shown = set(str(self.data.get(SHOWN, "")).split(",")) if self.is_bound else set()
        self.unposted = [name for name in self.vendor_added if name in self.fields and name not in shown]
        if self.is_bound and self.unposted:
            # The saved page did not have these inputs: take the stored values, not "empty".
            data = self.data.copy()
            secrets = getattr(self, "secret_fields", ())
            for name in self.unposted:
                data.pop(name, None)
                value = self.initial.get(name)
                # Not `in (None, "", False)`: 0 == False, and a stored 0 is a value.
                if name not in secrets and value is not None and value != "" and value is not False:
                    data[name] = "on" if value is True else str(value)
            data[SHOWN] = ",".join(sorted(shown | set(self.unposted)))
            self.data = data

    def clean(self):
        cleaned = super().clean()
        model = self._meta.model
        backend = self.chosen_backend
        if self.unposted and backend is not None:
            self.add_error(
                None,
                _("%(backend)s uses the settings added below: check them, then save again.")
                % {"backend": backend_name(backend)},
            )
        for name in sorted(unused_fields(backend, model)):
            field = setting(model, name)
            if backend is None or field is None or name not in self.fields or name not in cleaned:
                continue
            value = in_model_terms(cleaned[name])
            if value not in (field.value_from_object(self.instance), field.get_default()):
                advice = (
                    _("%(backend)s does not use this setting: leave it as it was.")
                    if self.instance.pk is not None
                    # a new object has nothing "as it was"
                    else _("%(backend)s does not use this setting: leave it empty or at its default.")
                )
                self.add_error(name, advice % {"backend": backend_name(backend)})
        if cleaned.get("clear_unused"):
            for name in self.vendor_leftovers:
                field = setting(model, name)
                if field is not None:
                    setattr(self.instance, field.attname, field.get_default())
            for name in self.vendor_dropped:  # inputs: the form writes them to the object
                field = setting(model, name)
                if field is not None and name in cleaned:
                    cleaned[name] = field.get_default()
        return cleaned

    def _post_clean(self):
        """The model refused a value the chosen backend does not use: both ways through, in the
        same words on top and on the setting, under the model's own message there (which says
        what to change it to). See docs/decisions/0103-admin-fields-by-vendor.md."""
        super()._post_clean()
        if self.refused_leftovers:
            # Not an input on this page: the box is the only way, and the only instruction.
            names = setting_names(self._meta.model, self.refused_leftovers)
            self.add_error(
                None,
                ngettext(
                    "%(backend)s does not use %(settings)s and cannot keep its value: tick "
                    "“Clear these values” to reset it to its default, then save again.",
                    "%(backend)s does not use %(settings)s and cannot keep their values: tick "
                    "“Clear these values” to reset them to their defaults, then save again.",
                    len(self.refused_leftovers),
                )
                % {"backend": backend_name(self.vendor_backend), "settings": names},
            )
        refused = [name for name in self.vendor_dropped if name in self._errors]
        backend = self.chosen_backend
        if refused and backend is not None and not self.cleaned_data.get("clear_unused"):
            names = setting_names(self._meta.model, refused)
            self.add_error(
                None,
                ngettext(
                    "%(backend)s cannot keep the value of %(settings)s: change it by hand, or tick "
                    "“Clear these values” to reset it to its default, then save again.",
                    "%(backend)s cannot keep the values of %(settings)s: change them by hand, or "
                    "tick “Clear these values” to reset them to their defaults, then save again.",
                    len(refused),
                )
                % {"backend": backend_name(backend), "settings": names},
            )
            for name in refused:
                self.add_error(
                    name, _("Or tick “Clear these values” to reset it to its default, then save again.")
                )

    def add_error(self, field, error):
        """A model check may name a setting this form does not show (one the backend does not
        use, still holding a value): its message goes on top of the form, after its name. One
        listed with the box (a leftover) is named in _post_clean's single instruction instead:
        the model's own advice ("choose full client only") names an input this page lacks."""
        if field is None and isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            errors: dict[str, list] = {}
            for name, found in error.error_dict.items():
                if name == NON_FIELD_ERRORS or name in self.fields:
                    errors.setdefault(name, []).extend(found)
                    continue
                if name in self.vendor_leftovers and self.vendor_backend is not None:
                    self.refused_leftovers.append(name)
                    continue
                label = setting_label(self._meta.model, name)
                errors.setdefault(NON_FIELD_ERRORS, []).extend(
                    f"{label}: {message}" for each in found for message in each.messages
                )
            if not errors:  # only leftovers: _post_clean says them
                return
            error = ValidationError(errors)
        super().add_error(field, error)


class VendorFieldsAdmin:
    """ModelAdmin mixin: the change form shows what `backend_of(obj)` uses. Its form must be a
    `VendorFieldsForm`."""

    model: type[Model]  # the ModelAdmin's

    def backend_of(self, obj: Any) -> models.Backend | None:
        """The saved object's backend."""
        raise NotImplementedError

    def backend_in(self, data: Mapping[str, Any]) -> models.Backend | None:
        """The backend a posted form names, or None when it names none that exists."""
        raise NotImplementedError

    def posted_backend(self, request) -> models.Backend | None:
        """`backend_in(request.POST)`, looked up once per request: the fieldsets, the form and
        its checks all ask. None for a request that posts nothing."""
        if request.method != "POST":
            return None
        if "_portal_posted_backend" not in request.__dict__:  # a per-request memo
            request._portal_posted_backend = self.backend_in(request.POST)
        return request._portal_posted_backend

    def vendor_fields(self, request, obj) -> VendorFields:
        if obj is None or obj.pk is None:
            # A new object's page shows every setting: its backend is chosen on it. A POST to
            # the add form also comes from a change page ("Save as new"), which showed only
            # what its backend uses: what the page did not have is left out, as there, and
            # the new object takes its defaults (not "empty", refused as required).
            posted = self.posted_backend(request)
            absent = frozenset(
                name for name in unused_fields(posted, self.model) if not page_had_input(request, name)
            )
            return VendorFields(absent=absent, leftovers=(), added=(), backend=posted)
        model = type(obj)
        backend = self.backend_of(obj)
        stored = chosen = unused_fields(backend, model)
        if request.method == "POST":
            posted = self.posted_backend(request)
            if posted is not None:
                backend, chosen = posted, unused_fields(posted, model)
        absent = stored & chosen
        columns = [field for field in model._meta.concrete_fields if field.name in stored | chosen]
        dropped = tuple(f.name for f in columns if f.name in chosen - stored)
        return VendorFields(
            absent=absent,
            leftovers=tuple(f.name for f in columns if f.name in absent and holds_value(obj, f)),
            added=tuple(f.name for f in columns if f.name in stored - chosen),
            dropped=dropped,
            dropped_with_values=tuple(f.name for f in columns if f.name in dropped and holds_value(obj, f)),
            backend=backend,
        )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or obj.pk is None:
            fieldsets = with_kinds_noted(fieldsets, self.model)
        shown = self.vendor_fields(request, obj)
        if not (shown.absent or shown.added or shown.dropped_with_values):
            return fieldsets

        def kept(line):
            names = (line,) if isinstance(line, str) else line
            names = tuple(name for name in names if name.removeprefix("clear_") not in shown.absent)
            return names[0] if len(names) == 1 else names

        result = []
        for title, options in fieldsets:
            lines = [line for line in map(kept, options["fields"]) if line]
            if lines:
                result.append((title, {**options, "fields": lines}))
        if shown.added:
            result[0][1]["fields"] = [*result[0][1]["fields"], SHOWN]
        if shown.leftovers or shown.dropped_with_values:
            backend = backend_name(shown.backend)
            description = (
                _(
                    "{backend} does not use these settings. Tick the box to reset them to their "
                    "defaults as the move is saved; otherwise they are kept, unless {backend} "
                    "refuses them."
                )
                if shown.dropped_with_values
                else _(
                    "These values were set for another backend. {backend} does not use "
                    "them, so they have no effect here. Tick the box to clear them."
                )
            )
            result.insert(
                1,
                (
                    format_lazy(_("Not used by {backend}"), backend=backend),
                    {
                        "description": format_lazy(description, backend=backend),
                        "fields": ["unused_settings", "clear_unused"],
                    },
                ),
            )
        return result

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "unused_settings"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        backend = self.backend_of(obj) if obj is not None and obj.pk is not None else None
        posted = self.posted_backend(request)
        if backend is not None:  # the backend being chosen words it
            backend = posted or backend
        for name, label in field_labels(backend, self.model).items():
            if name in form.base_fields:  # a fresh class per call: no other form sees it
                form.base_fields[name].label = capfirst(label)
        shown = self.vendor_fields(request, obj)
        form.vendor_added, form.vendor_leftovers, form.vendor_dropped = (
            shown.added,
            shown.leftovers,
            shown.dropped,
        )
        form.chosen_backend = posted
        form.vendor_backend = shown.backend
        return form

    def get_list_display(self, request):
        unused = unused_by_every_kind_in_use(request, self.model)
        return [column for column in super().get_list_display(request) if column not in unused]

    def get_list_filter(self, request):
        unused = unused_by_every_kind_in_use(request, self.model)
        return [entry for entry in super().get_list_filter(request) if entry not in unused]

    def get_inline_instances(self, request, obj=None):
        """An inline of rows the backend does not use is left out while it has none."""
        inlines = super().get_inline_instances(request, obj)
        if obj is None or obj.pk is None:
            return inlines
        unused = unused_fields(self.backend_of(obj), type(obj))
        related = {rel.related_model: rel.get_accessor_name() for rel in obj._meta.related_objects}
        return [
            inline
            for inline in inlines
            if related.get(inline.model) not in unused or getattr(obj, related[inline.model]).exists()
        ]

    @admin.display(description=_("values kept"))
    def unused_settings(self, obj):
        """`obj` is the form's object: on a page that moves it, it holds the posted backend and
        values, so the list is what the chosen backend does not use, as the box would reset."""
        if obj is None or obj.pk is None:
            return "—"
        model = type(obj)
        unused = unused_fields(self.backend_of(obj), model)
        secrets = getattr(model, "SECRET_FIELDS", ())
        rows = []
        for field in model._meta.concrete_fields:
            if field.name not in unused or not holds_value(obj, field):
                continue
            if field.name in secrets:
                value: Any = gettext("stored")
            elif field.is_relation:
                value = str(getattr(obj, field.name))
            else:
                value = display_for_field(getattr(obj, field.name), field, "—")
            rows.append((capfirst(field.verbose_name), value))
        return format_html_join("", "<div>{}: {}</div>", rows) or format_html("{}", "—")
