"""What several model admins share: the admin's stylesheet, the site column that a one-site
portal hides, the code-name column, and the "missing translations" column and warning."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten
from django.db.models import Model
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from portal import models

LANGUAGE_NAMES = dict(models.LANGUAGE_CHOICES)


class AdminListMedia:
    """The admin's own styles (static/portal/admin.css): lists that fit 1280 px."""

    css = {"all": ["portal/admin.css"]}


class OpenCollapsedErrorsMixin:
    """A collapsed fieldset with an error in it is drawn open, whatever its layout.

    Django opens one only for an error in a field on a line of its own, so an error in a field
    sharing a line (a secret with its "generate" and "remove" boxes) was folded away under
    "Please correct the error below"."""

    def render_change_form(self, request, context, *args, **kwargs):
        adminform = context.get("adminform")
        if adminform is not None and adminform.form.errors:
            errors = set(adminform.form.errors)
            adminform.fieldsets = [
                (name, opened(options) if errors & set(flatten(options["fields"])) else options)
                for name, options in adminform.fieldsets
            ]
        return super().render_change_form(request, context, *args, **kwargs)


def opened(options: dict) -> dict:
    return {**options, "classes": [name for name in options.get("classes", ()) if name != "collapse"]}


def without_single_site(columns):
    """With one site only, its name in every row says nothing and costs the list its width."""
    if models.Site.objects.count() > 1:
        return columns
    return [column for column in columns if column != "site"]


class CodeNameColumnMixin:
    """A "code name" column whose names wrap only after an underscore or a hyphen, between
    their words ("vpn_and_<wbr>remote_<wbr>access"): a narrow column never splits a word, and
    a long name no longer widens the list past 1280 px (static/portal/admin.css)."""

    @admin.display(description=_("code name"), ordering="code_name")
    def code_name_column(self, obj):
        return format_html_join("", "{}<wbr>", ((word,) for word in CODE_NAME_WORD.findall(obj.code_name)))


# A code name's words, each with the underscore or hyphen that ends it.
CODE_NAME_WORD = re.compile(r"[^_-]*[_-]|[^_-]+")


class MissingTranslationsMixin:
    """A read-only "Missing translations" field and column, and a warning after a save that
    bears on them.

    `missing_languages(obj)` names the site's enabled languages in which a customer would read
    this object's text in another language (portal/translation_coverage.py). Saving is never
    blocked: a site may go live in its default language and be translated later. The warning
    comes after adding an object, and after a save that changed a translated text, a
    translation, or which languages are missing; not after a save that touched none of them
    (a walk-through: it repeated on every save of a site, down to its embedding origins, and a
    warning that always shows is one nobody reads). The field on the page always says it.
    """

    model: type[Model]  # the ModelAdmin's
    missing_languages: Callable[[Any], list[str]]  # each admin's, from translation_coverage

    def save_model(self, request, obj, form, change):
        if change:  # what was missing before this save, for save_related to compare
            request._portal_missing_before = self.missing_as_stored(obj.pk)
        super().save_model(request, obj, form, change)

    def missing_as_stored(self, pk) -> list[str]:
        """`missing_languages` of the object as the database holds it now (read afresh: the
        form's object comes with its translations prefetched, from before any save)."""
        return self.missing_languages(self.model._default_manager.get(pk=pk))

    def translated_fields(self) -> set[str]:
        """The object's own fields that its translation rows translate."""
        rows = self.model._meta.get_field("translations").related_model
        assert rows is not None and not isinstance(rows, str)  # a resolved reverse relation
        own = {field.name for field in self.model._meta.concrete_fields}
        return {field.name for field in rows._meta.concrete_fields if field.name in own} - {"id", "language"}

    def bears_on_translations(self, request, form, formsets, change, missing) -> bool:
        if not change or missing != getattr(request, "_portal_missing_before", None):
            return True
        return bool(self.translated_fields() & set(form.changed_data)) or any(
            formset.has_changed() for formset in formsets
        )

    @admin.display(description=_("missing translations"))
    def missing_translations(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return ", ".join(LANGUAGE_NAMES[code] for code in self.missing_languages(obj)) or "—"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # the translation inlines first
        missing = self.missing_as_stored(form.instance.pk)
        if missing and self.bears_on_translations(request, form, formsets, change, missing):
            self.message_user(
                request,
                _(
                    "Not yet translated into: %(languages)s. Customers choosing these "
                    "languages see the text in the default language; add translations "
                    "below."
                )
                % {"languages": ", ".join(LANGUAGE_NAMES[c] for c in missing)},
                messages.WARNING,
            )
