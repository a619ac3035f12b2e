"""Admin for webhook endpoints and their delivery log (registered here, explicitly).

The signing secret is write-only (docs/decisions/0022-write-only-secrets.md): a password
input that never renders the stored value; left empty on "add" the portal generates one and
shows it once, in the message after saving, as it does for API tokens. On "change", an empty
box keeps it, and "Generate a new secret" rotates it to a generated one, shown once too.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal import dates
from portal.admin.choices import PreselectSingleChoiceMixin
from portal.admin.mixins import AdminListMedia
from portal.admin.secrets import (
    WriteOnlySecretsAdmin,
    WriteOnlySecretWidget,
    generate_secret_field,
    typed_shared_secret,
    with_keep_advice,
)
from portal.webhooks import services
from portal.webhooks.models import Attempt, Delivery, Endpoint, EventType, new_secret


class EndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=capfirst(_("events")),
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=EventType.values,
    )
    secret = forms.CharField(
        label=capfirst(_("signing secret")),
        required=False,
        max_length=200,
        strip=True,
        help_text=_("Write-only. Receivers check each delivery's Portal-Signature header with it."),
    )
    generate_secret = generate_secret_field()  # on "change" only: on "add" an empty box generates

    class Meta:
        model = Endpoint
        fields = ["site", "name", "url", "events", "secret", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        is_set = bool(self.instance.pk and self.instance.secret)
        self.fields["secret"].widget = WriteOnlySecretWidget(
            is_set=is_set, unset_placeholder=_("Leave empty to generate one")
        )
        if is_set:
            self.fields["secret"].help_text = with_keep_advice(self.fields["secret"].help_text)
        self.fields["secret"].initial = ""
        self.generated_secret = ""

    def clean_secret(self):
        return typed_shared_secret(
            self.cleaned_data.get("secret", ""),
            _("Use at least %(count)d characters, or tick “Generate a new secret”.")
            if self.instance.pk
            else _("Use at least %(count)d characters, or leave it empty to generate one."),
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("generate_secret") and cleaned.get("secret"):
            self.add_error("generate_secret", _("Type a new secret or generate one: not both."))
        return cleaned

    def save(self, commit=True):
        endpoint = super().save(commit=False)
        typed = self.cleaned_data.get("secret")
        if self.instance.pk and self.cleaned_data.get("generate_secret"):
            endpoint.secret = self.generated_secret = new_secret()
        elif typed:
            endpoint.secret = typed
        elif self.instance.pk and "secret" in self.initial:
            endpoint.secret = Endpoint.objects.only("secret").get(pk=self.instance.pk).secret
        if not endpoint.pk and not typed:
            endpoint.secret = self.generated_secret = new_secret()
        if commit:
            endpoint.save()
        return endpoint


@admin.register(Endpoint)
class EndpointAdmin(WriteOnlySecretsAdmin, PreselectSingleChoiceMixin, admin.ModelAdmin):
    form = EndpointForm
    secret_fields = ("secret",)
    list_display = ["__str__", "site", "url", "event_list", "active", "deliveries_link"]
    list_filter = ["site", "active"]
    search_fields = ["name", "url"]
    actions = ["send_test_event"]

    def get_fields(self, request, obj=None):
        fields = ["site", "name", "url", "events", "secret", "generate_secret", "active"]
        if obj is not None and not self.has_change_permission(request, obj):
            return [self.shown_url(name) for name in fields]
        return fields if obj is not None else [name for name in fields if name != "generate_secret"]

    # A receiver's address may hold its key in the query (?sig=, ?token=) or in credentials:
    # staff who may change an endpoint see it whole, as they type it; the others see it
    # without either, in lists and on the read-only page, and cannot search by it (a search
    # that finds the row or not would spell the key out one character at a time).
    def get_list_display(self, request):
        if self.has_change_permission(request):
            return self.list_display
        return [self.shown_url(name) for name in self.list_display]

    def get_search_fields(self, request):
        if self.has_change_permission(request):
            return self.search_fields
        return [name for name in self.search_fields if name != "url"]

    @staticmethod
    def shown_url(name: str) -> str:
        return "url_without_secrets" if name == "url" else name

    @admin.display(description=capfirst(_("URL")), ordering="url")
    def url_without_secrets(self, endpoint):
        return endpoint.url_without_secrets

    @admin.display(description=_("events"))
    def event_list(self, endpoint):
        labels = dict(EventType.choices)
        return ", ".join(str(labels.get(name, name)) for name in endpoint.events or [])

    @admin.display(description=_("delivery log"))
    def deliveries_link(self, endpoint):
        url = (
            reverse("admin:webhooks_delivery_changelist")
            + "?"
            + urlencode({"endpoint__id__exact": endpoint.pk})
        )
        return format_html('<a href="{}">{}</a>', url, _("Deliveries"))

    def save_model(self, request, obj, form, change):
        # The model's default is a fresh secret; the form decides (typed, kept or generated).
        super().save_model(request, obj, form, change)
        if form.generated_secret:
            self.message_user(
                request,
                format_html(
                    "{} <code>{}</code>",
                    _("Copy the endpoint's signing secret now: it will not be shown again."),
                    form.generated_secret,
                ),
                messages.SUCCESS,
            )

    @admin.action(description=_("Send a test event"), permissions=["change"])
    def send_test_event(self, request, queryset):
        sent = 0
        for endpoint in queryset.select_related("site"):
            if not endpoint.active:
                self.message_user(
                    request,
                    _("%(endpoint)s is inactive: no test event sent.") % {"endpoint": endpoint},
                    messages.WARNING,
                )
                continue
            services.send_test_event(endpoint=endpoint)
            sent += 1
        if sent:
            self.message_user(
                request,
                ngettext(
                    "%d test event queued: the delivery log shows the receiver's answer.",
                    "%d test events queued: the delivery log shows the receivers' answers.",
                    sent,
                )
                % sent,
                messages.SUCCESS,
            )


def to_the_second(model, name: str, **options):
    """A display of the date field `name` to the second: retries and attempts are seconds
    apart (the first retry 30 s after the first attempt), which the admin's usual dates, to the
    minute, show as one time."""

    @admin.display(description=model._meta.get_field(name).verbose_name, **options)
    def display(self, obj):
        value = getattr(obj, name)
        # A read-only field would show a None from a method as "None".
        return self.get_empty_value_display() if value is None else dates.to_the_second(value)

    return display


ATTEMPT_FIELDS = ("number", "started", "status_code", "latency_ms", "error", "response_excerpt")
# A delivery is the worker's record: every field is shown, none is edited.
DELIVERY_FIELDS = (
    "event_id",
    "event_type",
    "endpoint",
    "status",
    "attempts",
    "last_status_code",
    "last_error",
    "next_attempt",
    "delivered",
    "created",
    "body",
)


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    fields = readonly_fields = ATTEMPT_FIELDS
    started = to_the_second(Attempt, "started_at")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The delivery log: read-only; what was sent, every attempt's answer, the next try."""

    list_display = [
        "event_id",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_latency",
        "next_attempt",
        "created",
    ]
    list_filter = ["status", "event__type", "endpoint__site", "endpoint"]
    search_fields = ["event__id", "event__external_key"]
    list_select_related = ["event", "endpoint"]
    date_hierarchy = "created_at"
    inlines = [AttemptInline]
    Media = AdminListMedia  # fits 1280 px: event ids and endpoint addresses wrap
    fields = readonly_fields = DELIVERY_FIELDS
    next_attempt = to_the_second(Delivery, "next_attempt_at", ordering="next_attempt_at")
    delivered = to_the_second(Delivery, "delivered_at")
    created = to_the_second(Delivery, "created_at", ordering="created_at")

    @admin.display(description=_("event"), ordering="event__type")
    def event_type(self, delivery):
        return delivery.event.get_type_display()

    def get_queryset(self, request):
        # The last attempt's latency in the page's one query, not one query per row.
        last = Attempt.objects.filter(delivery=OuterRef("pk")).order_by("-number").values("latency_ms")[:1]
        return super().get_queryset(request).annotate(last_latency_ms=Subquery(last))

    @admin.display(description=_("latency (ms)"))
    def last_latency(self, delivery):
        return "—" if delivery.last_latency_ms is None else delivery.last_latency_ms

    @admin.display(description=_("body"))
    def body(self, delivery):
        return format_html("<pre>{}</pre>", delivery.event.body)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
