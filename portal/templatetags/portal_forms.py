"""Form rendering with the accessibility wiring done once (WCAG 2.2: labels, errors, help)."""

from django import forms, template

register = template.Library()


def describedby_ids(field) -> list[str]:
    ids = []
    if field.errors:
        ids.append(f"{field.auto_id}_error")
    if field.help_text:
        ids.append(f"{field.auto_id}_help")
    if field.field.widget.attrs.get("data-limit"):
        ids.append(f"{field.auto_id}_counter")
    return ids


@register.simple_tag
def widget(field):
    """The input with aria-describedby (error, help, counter) and aria-invalid when wrong."""
    attrs = {}
    ids = describedby_ids(field)
    if ids:
        attrs["aria-describedby"] = " ".join(ids)
    if field.errors:
        attrs["aria-invalid"] = "true"
    if is_required(field) and not isinstance(field.field.widget, forms.CheckboxInput):
        attrs["aria-required"] = "true"
    return field.as_widget(attrs=attrs)


@register.filter
def is_required(field) -> bool:
    """Required, or required whenever shown (a custom field checked per issue by the form)."""
    return field.field.required or getattr(field.field, "required_when_shown", False)


@register.filter
def is_choice_group(field) -> bool:
    return isinstance(field.field.widget, forms.RadioSelect)


@register.filter
def is_checkbox(field) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def error_target(field) -> str:
    """The id the error summary links to: the first radio of a group, else the input."""
    return f"{field.auto_id}_0" if isinstance(field.field.widget, forms.RadioSelect) else field.auto_id


@register.inclusion_tag("portal/_counter.html")
def counter(field):
    """A live counter for limited fields; without JavaScript it states the limit."""
    attrs = field.field.widget.attrs
    return {"field": field, "limit": attrs.get("data-limit"), "unit": attrs.get("data-limit-unit")}
