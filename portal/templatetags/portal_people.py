"""Person tiles on the representative and technician lists."""

from django import template

from portal import pages

register = template.Library()


@register.filter
def initials(name: str) -> str:
    return pages.initials(str(name))
