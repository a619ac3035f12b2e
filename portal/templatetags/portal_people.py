"""Person tiles on the representative and technician lists."""

from django import template

from portal.views.rendering import initials as tile_initials

register = template.Library()


@register.filter
def initials(name: str) -> str:
    return tile_initials(str(name))
