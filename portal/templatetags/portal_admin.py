"""Tags for the admin's own templates (templates/admin/portal/)."""

from django import template

from portal import dates
from portal.admin import checklist

register = template.Library()
register.filter("month_as_written", dates.month_as_written)


@register.inclusion_tag("admin/portal/setup_checklist.html", takes_context=True)
def setup_checklist(context):
    """The per-site set-up checklist; only for staff who may see the sites."""
    user = context["request"].user
    if not user.has_perm("portal.view_site"):
        return {"checklists": []}
    checklists = checklist.checklists(user)
    # With no site yet there is nothing to check: say where set-up starts instead.
    return {"checklists": checklists, "first_steps": not checklists}
