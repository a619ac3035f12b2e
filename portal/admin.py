"""Django admin for sites, backends, issues, custom fields and the start records."""

from __future__ import annotations

from contextvars import ContextVar

from django import forms
from django.contrib import admin, messages
from django.urls import path
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from portal import models, translation_coverage
from portal.admin_choices import PreselectSingleChoiceMixin
from portal.branding import contrast_warnings, embed_snippet, site_origin
from portal.integrations_admin import BACKEND_ACTIONS  # also registers the API token admin
from portal.session_history_admin import session_history_view


admin.site.site_header = admin.site.site_title = _("Support portal")
admin.site.index_title = _("Sites, backends, issues and custom fields")
# The index starts with the set-up checklist (portal/setup_checklist.py).
admin.site.index_template = "admin/portal/index.html"


class WriteOnlySecretWidget(forms.PasswordInput):
    """Never renders the stored value; the placeholder says whether one is set."""

    def __init__(self, *, is_set: bool = False):
        placeholder = _("Set — leave empty to keep") if is_set else _("Not set")
        super().__init__(render_value=False, attrs={"placeholder": placeholder, "autocomplete": "new-password"})


def clear_secret_field() -> forms.BooleanField:
    return forms.BooleanField(required=False, label=_("Remove the stored value"))


LANGUAGE_NAMES = dict(models.LANGUAGE_CHOICES)


_current_request: ContextVar = ContextVar("portal_admin_request", default=None)


class AdminListMedia:
    """The admin's own styles (static/portal/admin.css): lists that fit 1280 px."""

    css = {"all": ["portal/admin.css"]}


def without_single_site(columns):
    """With one site only, its name in every row says nothing and costs the list its width."""
    if models.Site.objects.count() > 1:
        return columns
    return [column for column in columns if column != "site"]


class MissingTranslationsMixin:
    """A read-only "Missing translations" field and column, and a warning after each save.

    `missing_languages(obj)` names the site's enabled languages in which a customer would read
    this object's text in another language (portal/translation_coverage.py). Saving is never
    blocked: a site may go live in its default language and be translated later.
    """

    @admin.display(description=_("missing translations"))
    def missing_translations(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return ", ".join(LANGUAGE_NAMES[code] for code in self.missing_languages(obj)) or "—"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # the translation inlines first
        # Read afresh: the object came with its translations prefetched, before the inlines saved.
        missing = self.missing_languages(self.model._default_manager.get(pk=form.instance.pk))
        if missing:
            self.message_user(request, _("Not yet translated into: %(languages)s. Customers choosing these "
                                         "languages see the text in the default language; add translations "
                                         "below.") % {"languages": ", ".join(LANGUAGE_NAMES[c] for c in missing)},
                              messages.WARNING)


class WriteOnlySecretsForm(forms.ModelForm):
    """Secrets are write-only: empty keeps the stored value; `clear_<name>` removes it.

    Subclasses declare a `clear_<name>` checkbox for every name in `secret_fields`.
    """

    secret_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.secret_fields:
            if name in self.fields:
                self.fields[name].widget = WriteOnlySecretWidget(is_set=bool(getattr(self.instance, name, "")))
                self.fields[name].required = False

    def clean(self):
        cleaned = super().clean()
        for name in self.secret_fields:
            if name not in self.fields:
                continue
            if cleaned.get(f"clear_{name}"):
                cleaned[name] = ""
            elif not cleaned.get(name):
                cleaned[name] = getattr(self.instance, name, "") if self.instance.pk else ""
        return cleaned


class BackendForm(WriteOnlySecretsForm):
    secret_fields = models.Backend.SECRET_FIELDS
    clear_client_secret = clear_secret_field()
    clear_tc_public_key = clear_secret_field()
    clear_tc_private_key = clear_secret_field()

    class Meta:
        model = models.Backend
        fields = "__all__"


class DepartmentInline(admin.TabularInline):
    model = models.Department
    extra = 0


class TechnicianInline(admin.TabularInline):
    model = models.Technician
    extra = 0


@admin.register(models.Backend)
class BackendAdmin(admin.ModelAdmin):
    form = BackendForm
    list_display = ["name", "kind", "base_url", "secret_status", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["name", "base_url"]
    inlines = [DepartmentInline, TechnicianInline]
    actions = BACKEND_ACTIONS
    Media = AdminListMedia
    readonly_fields = ["connection_checked_at", "connection_ok", "connection_summary"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "base_url"]}),
        (_("Test connection"), {"fields": ["connection_checked_at", "connection_ok", "connection_summary"]}),
        (_("BeyondTrust"), {"fields": ["client_id", ("client_secret", "clear_client_secret"),
                                       "allow_letters_in_key", "prompts_before_download",
                                       "send_platform"]}),
        (_("Take Control"), {"classes": ["collapse"],
                             "fields": ["tc_mode", "tc_uid", ("tc_public_key", "clear_tc_public_key"),
                                        ("tc_private_key", "clear_tc_private_key"),
                                        "tc_pin_url_template", "tc_ask_customer_info",
                                        "tc_show_waiting_queue"]}),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if obj.uses_command_api and not obj.has_api_credentials and models.ApiToken.objects.filter(
                site__backend=obj, revoked_at__isnull=True).exists():
            # Not refused: the tokens' prefill links work without the appliance.
            self.message_user(request, _(
                "%(backend)s has no API client ID and secret: the integrations API of its sites "
                "refuses session keys and chat hand-offs until they are added (prefill links "
                "still work).") % {"backend": obj.name}, messages.WARNING)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:  # a new backend has not been tested yet
            fieldsets = [entry for entry in fieldsets if "connection_ok" not in entry[1]["fields"]]
        return fieldsets

    def get_urls(self):
        def view(request, object_id):
            return session_history_view(self, request, object_id)

        return [
            path("<path:object_id>/session-history/", self.admin_site.admin_view(view),
                 name="portal_backend_session_history"),
            *super().get_urls(),
        ]

    @admin.display(description=_("secrets"))
    def secret_status(self, obj):
        names = [str(obj._meta.get_field(name).verbose_name) for name in models.Backend.SECRET_FIELDS
                 if getattr(obj, name)]
        return ", ".join(names) + " ✓" if names else "—"


class SiteHostnameInline(admin.TabularInline):
    model = models.SiteHostname
    extra = 1


class OpeningHoursInline(admin.TabularInline):
    model = models.OpeningHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = models.Holiday
    extra = 0


class SiteTranslationInline(admin.StackedInline):
    model = models.SiteTranslation
    extra = 0
    classes = ["collapse"]


class SiteForm(WriteOnlySecretsForm):
    secret_fields = ("prefill_secret",)
    clear_prefill_secret = clear_secret_field()
    enabled_languages = forms.MultipleChoiceField(
        choices=models.LANGUAGE_CHOICES, required=False, widget=forms.CheckboxSelectMultiple,
        label=_("enabled languages"), help_text=_("None ticked: all 16 languages."),
    )

    accept_low_contrast = forms.BooleanField(
        required=False, label=_("Use these colours although their contrast is too low"),
        help_text=_("Only if you have checked the pages yourself: text below 4.5:1 is hard to read "
                    "for many customers."),
    )

    class Meta:
        model = models.Site
        fields = "__all__"
        help_texts = {"consent_text": format_lazy(
            "{} {}", models.Site._meta.get_field("consent_text").help_text,
            format_lazy(_("The portal's standard text, shown in each customer's language when used word "
                          "for word: “{text}”"), text=models.DEFAULT_CONSENT))}

    COLOUR_FIELDS = ("primary_color", "text_color", "background_color")

    def clean(self):
        cleaned = super().clean()
        colours = [cleaned.get(name) for name in self.COLOUR_FIELDS]
        # Only a change of colours is checked: an unrelated edit of a site saved earlier with
        # low contrast is not refused (it is still warned about after saving).
        changed = self.instance.pk is None or set(self.COLOUR_FIELDS) & set(self.changed_data)
        if all(colours) and changed and not cleaned.get("accept_low_contrast"):
            primary, text, background = colours
            problems = contrast_warnings(primary=primary, text=text, background=background)
            if problems:
                for problem in problems:
                    self.add_error(None, problem)
                self.add_error("accept_low_contrast", _(
                    "Choose colours with more contrast, or tick this box to use them anyway."))
        return cleaned


@admin.register(models.Site)
class SiteAdmin(PreselectSingleChoiceMixin, MissingTranslationsMixin, admin.ModelAdmin):
    form = SiteForm
    missing_languages = staticmethod(translation_coverage.missing_site_languages)
    list_display = ["name", "is_default", "backend", "hostname_list", "default_language", "chat_mode",
                    "missing_translations"]
    list_filter = ["is_default", "chat_mode", "backend__kind"]
    search_fields = ["name", "hostnames__hostname"]
    Media = AdminListMedia
    inlines = [SiteHostnameInline, OpeningHoursInline, HolidayInline, SiteTranslationInline]
    readonly_fields = ["embed_code", "missing_translations"]
    fieldsets = [
        (None, {"fields": ["name", "is_default", "backend"]}),
        (_("Branding"), {"fields": ["logo", "primary_color", "text_color", "background_color",
                                    "accept_low_contrast", "welcome_text", "warning_text"]}),
        (_("Customer notice"), {"fields": ["notice_text", "notice_starts", "notice_ends"]}),
        (_("Contact"), {"fields": ["contact_email", "contact_phone", "contact_url", "privacy_url"]}),
        (_("Flows"), {"fields": ["show_session_key", "show_survey", "show_rep_list",
                                 "show_reps_in_issue_menu", "rep_list_ttl", "chat_mode"]}),
        (_("Survey fields"), {"fields": ["name_field", "company_field", "company_code_field",
                                         "details_field", "email_field", "customer_number_field",
                                         "external_key_field", "external_key_label"]}),
        (_("Before the start"), {"fields": ["consent_text", "show_interstitial"]}),
        (_("Languages"), {"fields": ["default_language", "enabled_languages", "chat_locale",
                                     "missing_translations"]}),
        (_("Opening hours"), {"fields": ["time_zone", "closed_text"]}),
        (_("Embedding"), {"fields": ["frame_ancestors", "embed_code"]}),
        (_("Advanced"), {"classes": ["collapse"],
                         "fields": [("prefill_secret", "clear_prefill_secret"), "keep_personal_data",
                                    "retention_days"]}),
    ]

    @admin.display(description=_("embedding snippet"))
    def embed_code(self, obj):
        if obj is None or obj.pk is None:
            return _("Save the site first.")
        return format_html(
            "<p>{}</p><textarea readonly rows=\"5\" cols=\"90\" class=\"vLargeTextField\">{}</textarea>",
            _("Paste this into the help-desk page, and add that page's origin to the allowed "
              "embedding origins above. The sandbox tokens let the portal submit its forms, run "
              "its script, keep its own origin for the form checks, and open the vendor's page "
              "in the top window only when the customer clicks."),
            # Escaped once more for the textarea, which then shows the snippet's exact text.
            str(embed_snippet(origin=site_origin(obj, _current_request.get()), site_name=obj.name)),
        )

    def changeform_view(self, request, *args, **kwargs):
        # Read-only fields get only the object; the snippet also needs the admin's request
        # for a site without hostnames (served as the default for any host).
        token = _current_request.set(request)
        try:
            response = super().changeform_view(request, *args, **kwargs)
            if hasattr(response, "render"):  # the fields are drawn when the page renders
                response.render()
            return response
        finally:
            _current_request.reset(token)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        for warning in contrast_warnings(primary=obj.primary_color, text=obj.text_color,
                                         background=obj.background_color):
            self.message_user(request, warning, messages.WARNING)

    @admin.display(description=_("hostnames"))
    def hostname_list(self, obj):
        return ", ".join(h.hostname for h in obj.hostnames.all()) or "—"

    def get_queryset(self, request):
        return (super().get_queryset(request).select_related("backend")
                .prefetch_related("hostnames", "translations"))


class IssueTranslationInline(admin.TabularInline):
    model = models.IssueTranslation
    extra = 0


@admin.register(models.Issue)
class IssueAdmin(PreselectSingleChoiceMixin, MissingTranslationsMixin, admin.ModelAdmin):
    missing_languages = staticmethod(translation_coverage.missing_issue_languages)
    list_display = ["display_name", "code_name", "site", "priority", "vendor_id", "order", "active",
                    "missing_translations"]
    list_editable = ["order", "active"]
    list_filter = ["site", "active", "priority", "chat"]
    Media = AdminListMedia
    search_fields = ["display_name", "code_name", "description"]
    ordering = ["site", "order", "display_name"]
    inlines = [IssueTranslationInline]
    readonly_fields = ["missing_translations"]
    fieldsets = [
        (None, {"fields": ["site", "display_name", "code_name", "description", "order", "active",
                           "missing_translations"]}),
        (_("Routing"), {"fields": ["vendor_id", "priority", "skills", "chat", "chat_locale"]}),
        (_("Take Control"), {"classes": ["collapse"], "fields": ["department", "technician"]}),
    ]

    def get_list_display(self, request):
        return without_single_site(super().get_list_display(request))

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("site").prefetch_related("translations")


class CustomFieldTranslationInline(admin.TabularInline):
    model = models.CustomFieldTranslation
    extra = 0


@admin.register(models.CustomField)
class CustomFieldAdmin(PreselectSingleChoiceMixin, MissingTranslationsMixin, admin.ModelAdmin):
    missing_languages = staticmethod(translation_coverage.missing_field_languages)
    list_display = ["label", "code_name", "site", "field_type", "required", "max_length", "order", "active",
                    "missing_translations"]
    list_editable = ["order", "active"]
    list_filter = ["site", "field_type", "required", "active"]
    search_fields = ["label", "code_name"]
    filter_horizontal = ["issues"]
    Media = AdminListMedia
    inlines = [CustomFieldTranslationInline]
    readonly_fields = ["missing_translations"]
    fieldsets = [
        (None, {"fields": ["site", "code_name", "label", "help_text", "field_type", "required",
                           "max_length", "choices", "order", "active", "missing_translations"]}),
        (_("Which issues"), {"fields": ["issues"]}),
        (_("Prefill links"), {"classes": ["collapse"], "fields": ["prefill_allowed", "prefill_locks"]}),
    ]

    def get_list_display(self, request):
        return without_single_site(super().get_list_display(request))

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("site").prefetch_related("translations")


@admin.register(models.StartRequest)
class StartRequestAdmin(admin.ModelAdmin):
    list_display = ["when", "site", "flow", "issue", "outcome", "locale", "embedded", "chat"]
    list_filter = ["outcome", "flow", "site", "embedded", "chat", "locale", "backend_kind"]
    Media = AdminListMedia
    search_fields = ["issue__display_name", "error_fields"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in models.StartRequest._meta.fields]

    @admin.display(description=_("time"), ordering="created_at")
    def when(self, obj):
        # The short form ("12/02/2026 6:21 a.m.") leaves the outcome room at 1280 px.
        return formats.date_format(timezone.localtime(obj.created_at), "SHORT_DATETIME_FORMAT")

    def get_list_display(self, request):
        return without_single_site(super().get_list_display(request))

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("site", "issue")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
