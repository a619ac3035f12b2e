"""Webhook endpoints per site, the events the portal sends them, and every delivery attempt.

An `Event` is written in the same transaction as the start it describes, with one `Delivery`
per subscribed endpoint and the task row that sends it (portal/webhooks/services.py); each
try is an `Attempt` (docs/decisions/0070-start-webhooks-on-django-tasks.md).
"""

from __future__ import annotations

import secrets
import uuid
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.conf import portal_settings
from portal.models import HttpsURLField, Site, StartRequest, is_loopback_host
from portal.webhooks import transport

SECRET_PREFIX = "whsec_"
ADDRESS_PATH_MAX_CHARS = 60  # an endpoint's path in admin lists, cut beyond this
# A path segment this long in an endpoint's admin name is taken for a token and not shown:
# receivers' tokens are long (Slack's 24 characters, Discord's 68), their names short.
ADDRESS_TOKEN_MIN_CHARS = 16


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def new_event_id() -> str:
    return "evt_" + uuid.uuid4().hex


class EventType(models.TextChoices):
    STARTED = "start.started", _("Start: sent to the vendor")
    REFUSED = "start.refused", _("Start refused: invalid input")
    FAILED = "start.failed", _("Start failed: vendor error")


def all_event_types() -> list[str]:
    return list(EventType.values)


def non_public_address(host: str) -> bool:
    """True for an IP literal a receiver on the internet cannot have (private, loopback,
    link-local, reserved, multicast, unspecified); names are checked when they resolve."""
    try:
        return not transport.is_public_address(host.strip("[]"))
    except ValueError:
        return False


def validate_endpoint_url(value: str) -> None:
    """https, except plain http to a loopback host (a receiver on the same machine, in
    development); no credentials or fragment in the address
    (docs/decisions/0072-webhook-receiver-addresses.md)."""
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValidationError(_("Enter a full URL such as https://help.example.com/hooks/portal."))
    if parts.username or parts.password or parts.fragment:
        raise ValidationError(
            _("Enter the address without credentials or fragment: the signature proves the sender.")
        )
    if parts.scheme != "https" and not is_loopback_host(parts.hostname):
        raise ValidationError(_("Use https: events carry ticket numbers and may carry customer data."))
    if not portal_settings.WEBHOOKS_ALLOW_PRIVATE and (
        is_loopback_host(parts.hostname) or non_public_address(parts.hostname)
    ):
        raise ValidationError(
            _(
                "This address is not on the public internet; the portal does "
                "not send webhooks there unless PORTAL_WEBHOOKS_ALLOW_PRIVATE "
                "is set."
            )
        )


class Endpoint(models.Model):
    """Where a site's events go. The secret is write-only in admin (shown once, on creation)."""

    site = models.ForeignKey(
        Site, on_delete=models.CASCADE, related_name="webhook_endpoints", verbose_name=_("site")
    )
    name = models.CharField(
        _("name"), max_length=100, blank=True, help_text=_("Who receives it, e.g. 'Zendesk ticket notes'.")
    )
    url = HttpsURLField(_("URL"), max_length=2000, validators=[validate_endpoint_url])
    secret = models.CharField(_("signing secret"), max_length=200, default=new_secret)
    events = models.JSONField(_("events"), default=all_event_types)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["site", "name", "id"]

    def __str__(self):
        return self.name or self.address

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def address(self) -> str:
        """The receiver as admin lists name an endpoint without a name: host, port and path,
        which tell apart two receivers on one help desk. Never the query, where receivers
        often take a key, nor credentials (refused by validate_endpoint_url, and dropped here
        for a row saved before), nor a path segment long enough to be a token (Slack's and
        Discord's URLs end in one): it shows as "…"."""
        parts = urlsplit(self.url)
        where = parts.netloc.rpartition("@")[2] or "?"
        path = "/".join(
            "…" if len(segment) >= ADDRESS_TOKEN_MIN_CHARS else segment
            for segment in parts.path.rstrip("/").split("/")
        )
        if len(path) > ADDRESS_PATH_MAX_CHARS:
            path = path[: ADDRESS_PATH_MAX_CHARS - 1] + "…"
        return where + path

    @property
    def url_without_secrets(self) -> str:
        """The URL without its query, fragment and credentials: for staff who may not change
        the endpoint (portal/webhooks/admin.py), to whom a receiver's key is not shown."""
        parts = urlsplit(self.url)
        return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))

    def clean(self):
        unknown = [name for name in self.events or [] if name not in EventType.values]
        if unknown:
            raise ValidationError({"events": _("Unknown event: %s") % ", ".join(unknown)})


class Event(models.Model):
    """One start outcome as sent: `body` holds the exact JSON bytes every attempt signs."""

    id = models.CharField(primary_key=True, max_length=36, default=new_event_id, editable=False)
    type = models.CharField(_("event"), max_length=20, choices=EventType.choices)
    site = models.ForeignKey(
        Site, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("site")
    )
    start_request = models.ForeignKey(
        StartRequest,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="webhook_events",
        verbose_name=_("start request"),
    )
    # Only for privacy requests by ticket number (it is in the body too).
    external_key = models.CharField(_("external key"), max_length=255, blank=True, db_index=True)
    test = models.BooleanField(_("test event"), default=False)
    body = models.TextField(_("body"))
    created_at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-created_at"]

    def __str__(self):
        return self.id


class Delivery(models.Model):
    """One event to one endpoint, until delivered or given up."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Given up")
        CANCELLED = "cancelled", _("Not sent: endpoint inactive")

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("event")
    )
    endpoint = models.ForeignKey(
        Endpoint, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("endpoint")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # While SENDING: after this the attempt is taken as lost (a worker died mid-request) and
    # `manage.py webhooks_requeue` sends it again, with the same delivery id.
    lease_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="webhooks_one_delivery_per_endpoint")
        ]

    def __str__(self):
        return f"{self.event_id} → {self.endpoint}"


class Attempt(models.Model):
    """One HTTP request of a delivery, as the admin's delivery log shows it."""

    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="attempt_log", verbose_name=_("delivery")
    )
    number = models.PositiveIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("time"))
    latency_ms = models.PositiveIntegerField(_("latency (ms)"), null=True, blank=True)
    status_code = models.PositiveIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    response_excerpt = models.TextField(_("response excerpt"), blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhooks_one_row_per_attempt")
        ]

    def __str__(self):
        return f"#{self.number}"
