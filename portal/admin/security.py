"""Admin sign-in security around django-axes: the lockout page and one log line per failure.

axes counts failures in the database (settings: AXES_*); a locked-out client address gets
`lockout_response` (429), whatever username it tries, until the cool-off ends or an
administrator unlocks it
(admin: Axes > Access attempts, delete; or `manage.py axes_reset_username NAME`,
`axes_reset_ip ADDRESS`, `axes_reset`).
"""

from __future__ import annotations

import logging

from django.contrib import admin
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.shortcuts import render
from django.utils.translation import gettext as _

from portal.guards import client_address

# The logger keeps the name it had before the admin became a package: operators filter on it
# (README "Admin security").
logger = logging.getLogger("portal.admin_security")


def lockout_response(request, original_response=None, credentials=None):
    """The admin's own frame with a translated message instead of axes' bare text."""
    context = {
        **admin.site.each_context(request),
        "title": _("Too many failed sign-ins"),
        "message": _(
            "Signing in is locked for a while after too many failed attempts. "
            "Please try again later, or ask another administrator to unlock it."
        ),
    }
    return render(request, "admin/portal/locked_out.html", context, status=429)


@receiver(user_login_failed, dispatch_uid="portal-log-failed-login")
def log_failed_login(sender, credentials, request=None, **kwargs):
    # Username and client address only: Django has already masked the password in
    # `credentials`, and it is not read here at all. %r quotes the username, so a name with
    # a line break cannot forge a second log line.
    username = str(credentials.get("username", ""))[:150]
    address = client_address(request) if request is not None else "-"
    locked = " (locked out)" if request is not None and getattr(request, "axes_locked_out", False) else ""
    logger.warning("Failed admin sign-in for username %r from %s%s", username, address, locked)
