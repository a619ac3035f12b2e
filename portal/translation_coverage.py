"""Which of a site's enabled languages would show a customer text in another language.

The site's own texts, issue names and custom-field labels are written in the site's default
language; every other enabled language needs a translation row that gives each text the
customer sees there (selectors.py falls back to the untranslated text otherwise). Texts the
portal supplies itself (models.DEFAULT_TEXTS, kept as they came) translate themselves.

Admin shows the result per site, issue and custom field and warns on save; it never blocks.
Each function reads `obj.translations.all()`, so a list page prefetches them once.
"""

from __future__ import annotations

from portal.models import CustomField, FieldMode, Issue, Site, SiteTranslation
from portal.selectors import is_builtin_text


def languages_needing_translation(site: Site) -> list[str]:
    """Enabled languages other than the default, in settings order."""
    return [code for code in site.languages if code != site.default_language]


def _rows(obj) -> dict:
    return {row.language: row for row in obj.translations.all()}


def asks_external_key(site: Site) -> bool:
    """The survey shows the external key: the site asks for it, and its backend's starts carry
    it (a Take Control start does not, whatever mode a site kept from another backend)."""
    if site.external_key_field == FieldMode.HIDDEN:
        return False
    return any(spec.name == "external_key" for spec in site.backend.adapter.customer_fields)


def site_texts_to_translate(site: Site) -> list[str]:
    """The site's text fields a customer sees, written by the admin (not a built-in default)."""
    fields = []
    for field in SiteTranslation.TEXT_FIELDS:
        value = getattr(site, field)
        if not value.strip() or is_builtin_text(field, value):
            continue
        if field == "external_key_label" and not asks_external_key(site):
            continue  # the label of a field that is never shown
        fields.append(field)
    return fields


def missing_site_languages(site: Site) -> list[str]:
    fields = site_texts_to_translate(site)
    if not fields:
        return []
    rows = _rows(site)
    return [
        code
        for code in languages_needing_translation(site)
        if code not in rows or any(not getattr(rows[code], field).strip() for field in fields)
    ]


def missing_issue_languages(issue: Issue) -> list[str]:
    # Customers see the issue's name only; its description is for admins and the vendor.
    rows = _rows(issue)
    return [
        code
        for code in languages_needing_translation(issue.site)
        if code not in rows or not rows[code].display_name.strip()
    ]


def _translated_choice_values(row) -> set[str]:
    values = set()
    for line in row.choices.splitlines():
        value, sep, label = line.partition("|")
        if sep and label.strip():
            values.add(value.strip())
    return values


def missing_field_languages(field: CustomField) -> list[str]:
    rows = _rows(field)
    choice_values = (
        {value for value, _label in field.choice_list}
        if field.field_type == CustomField.Type.CHOICE
        else set()
    )
    missing = []
    for code in languages_needing_translation(field.site):
        row = rows.get(code)
        if (
            row is None
            or not row.label.strip()
            or (field.help_text.strip() and not row.help_text.strip())
            or not choice_values <= _translated_choice_values(row)
        ):
            missing.append(code)
    return missing
