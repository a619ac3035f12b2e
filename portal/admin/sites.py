"""Admin for sites (hostnames, opening hours, holidays, translations, branding, embedding) and
their custom fields."""

from __future__ import annotations

import datetime
import itertools
from contextvars import ContextVar

from django import forms
from django.contrib import admin, messages
from django.db import router, transaction
from django.utils.html import format_html
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal import models, prefill, translation_coverage
from portal.admin.checklist import refused_hostnames, stored_logo_problems
from portal.admin.choices import ChoicesInUseFilter, PreselectSingleChoiceMixin
from portal.admin.mixins import (
    AdminListMedia,
    CodeNameColumnMixin,
    MissingTranslationsMixin,
    OpenCollapsedErrorsMixin,
    without_single_site,
)
from portal.admin.secrets import (
    WriteOnlySecretsAdmin,
    WriteOnlySecretsForm,
    clear_secret_field,
    generate_secret_field,
    typed_shared_secret,
)
from portal.admin.vendor_fields import VendorFieldsAdmin, VendorFieldsForm, page_had_input
from portal.branding import (
    contrast_warnings,
    dark_logo_unseen,
    embed_snippet,
    is_colour,
    logo_may_vanish,
    shows_light_pages,
    site_origin,
)

_current_request: ContextVar = ContextVar("portal_admin_request", default=None)


class SiteHostnameInline(admin.TabularInline):
    model = models.SiteHostname
    extra = 1


class OpeningHoursFormSet(forms.BaseInlineFormSet):
    """A site's opening hours may not overlap on a day: the closed page lists every row, and two
    rows that share hours ("Monday 09:00–17:00", "Monday 12:00–18:00") leave a customer guessing
    which is meant. Rows that touch (09:00–12:00 and 12:00–17:00) are fine. A closing time of
    00:00 is the end of the day (models.closes_at_midnight)."""

    def clean(self):
        super().clean()
        # weekday -> (opens, closes or None for the end of the day, the row)
        by_day: dict[int, list[tuple[datetime.time, datetime.time | None, models.OpeningHours]]] = {}
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.errors or self._should_delete_form(form):
                continue
            weekday, opens, closes = (form.cleaned_data.get(name) for name in ("weekday", "opens", "closes"))
            if weekday is None or opens is None or closes is None:
                continue
            ends = None if models.closes_at_midnight(closes) else closes
            by_day.setdefault(weekday, []).append((opens, ends, form.instance))
        overlaps = []
        for rows in by_day.values():
            rows.sort(key=lambda row: row[0])
            for (_opens, ends, earlier), (opens, _ends, later) in itertools.pairwise(rows):
                if ends is None or opens < ends:
                    overlaps.append(
                        forms.ValidationError(
                            _("Opening hours overlap: %(first)s and %(second)s."),
                            code="overlap",
                            params={"first": str(earlier), "second": str(later)},
                        )
                    )
        if overlaps:
            raise forms.ValidationError(overlaps)


class OpeningHoursInline(admin.TabularInline):
    model = models.OpeningHours
    formset = OpeningHoursFormSet
    extra = 0


class HolidayInline(admin.TabularInline):
    model = models.Holiday
    extra = 0


class SiteTranslationInline(admin.StackedInline):
    model = models.SiteTranslation
    extra = 0
    classes = ["collapse"]


class SiteForm(VendorFieldsForm, WriteOnlySecretsForm):
    secret_fields = ("prefill_secret",)
    secret_generators = {"prefill_secret": prefill.new_secret}
    clear_prefill_secret = clear_secret_field()
    generate_prefill_secret = generate_secret_field()
    enabled_languages = forms.MultipleChoiceField(
        choices=models.LANGUAGE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=capfirst(_("enabled languages")),
        help_text=_("None ticked: all 16 languages."),
    )

    accept_low_contrast = forms.BooleanField(
        required=False,
        label=_("Use these colours although their contrast is too low"),
        help_text=_(
            "Only if you have checked the pages yourself: text below 4.5:1 is hard to read "
            "for many customers."
        ),
    )

    class Meta:
        model = models.Site
        fields = "__all__"
        help_texts = {
            "prefill_secret": _(
                "Signs prefill links so customers cannot change their values (the API, manage.py "
                "portal_prefill_link, or your help desk's own code). Write-only: tick “Generate a "
                "new secret” for a strong one, shown once after saving. Changing or removing it "
                "invalidates every signed link already sent."
            ),
            "consent_text": format_lazy(
                "{} {}",
                models.Site._meta.get_field("consent_text").help_text,
                format_lazy(
                    _(
                        "The portal's standard text, shown in each customer's language when used word "
                        "for word: “{text}”"
                    ),
                    text=models.DEFAULT_CONSENT,
                ),
            ),
        }

    COLOUR_FIELDS = ("primary_color", "text_color", "background_color")

    def clean_prefill_secret(self):
        # A typed secret as strong as a webhook's; one stored before keeps working.
        return typed_shared_secret(
            self.cleaned_data.get("prefill_secret", ""),
            _("Use at least %(count)d characters, or tick “Generate a new secret”."),
        )

    def clean(self):
        cleaned = super().clean()
        colours = [cleaned.get(name) for name in self.COLOUR_FIELDS]
        # Only a change of colours is checked: an unrelated edit of a site saved earlier with
        # low contrast is not refused (it is still warned about after saving). A colour that is
        # not #rrggbb gets the model's own message next to its field (its validator runs after
        # this method), so contrast is computed only from valid colours. A dark site draws
        # none of these pairs (its primary is lightened until it reads, branding.primary_on_dark);
        # leaving Dark brings the colours into use, so it is checked like a change of colours.
        leaves_dark = "color_scheme" in self.changed_data and not shows_light_pages(
            self.initial.get("color_scheme")
        )
        changed = self.instance.pk is None or set(self.COLOUR_FIELDS) & set(self.changed_data) or leaves_dark
        if (
            all(map(is_colour, colours))
            and changed
            and shows_light_pages(cleaned.get("color_scheme"))
            and not cleaned.get("accept_low_contrast")
        ):
            primary, text, background = colours
            problems = contrast_warnings(primary=primary, text=text, background=background)
            if problems:
                for problem in problems:
                    self.add_error(None, problem)
                self.add_error(
                    "accept_low_contrast",
                    _("Choose colours with more contrast, or tick this box to use them anyway."),
                )
        return cleaned


@admin.register(models.Site)
class SiteAdmin(
    WriteOnlySecretsAdmin,
    OpenCollapsedErrorsMixin,
    PreselectSingleChoiceMixin,
    MissingTranslationsMixin,
    VendorFieldsAdmin,
    admin.ModelAdmin,
):
    form = SiteForm
    secret_fields = ("prefill_secret",)
    missing_languages = staticmethod(translation_coverage.missing_site_languages)
    list_display = [
        "name",
        "is_default",
        "backend",
        "hostname_list",
        "default_language",
        "chat_mode",
        "missing_translations",
    ]
    list_filter = ["is_default", "chat_mode", ("backend__kind", ChoicesInUseFilter)]
    search_fields = ["name", "hostnames__hostname"]
    Media = AdminListMedia
    inlines = [SiteHostnameInline, OpeningHoursInline, HolidayInline, SiteTranslationInline]
    # "Save as new" copies what the page shows: settings, hours, holidays, translations. Its
    # hostnames are unique (a copy keeping one is refused at that row, in words) and one site
    # is the default (the copy of the default site is refused until its tick is removed,
    # docs/decisions/0117-one-default-site-at-a-time.md); the write-only prefill secret and
    # the logos, which the page does not send back, are not copied (README).
    save_as = True
    readonly_fields = ["embed_code", "missing_translations"]
    SURVEY_FIELDS = _("Survey fields")
    fieldsets = [
        (None, {"fields": ["name", "is_default", "backend"]}),
        (
            _("Branding"),
            {
                "fields": [
                    "logo",
                    "logo_dark",
                    "color_scheme",
                    "primary_color",
                    "text_color",
                    "background_color",
                    "accept_low_contrast",
                    "welcome_text",
                    "warning_text",
                ]
            },
        ),
        (_("Customer notice"), {"fields": ["notice_text", "notice_starts", "notice_ends"]}),
        (_("Contact"), {"fields": ["contact_email", "contact_phone", "contact_url", "privacy_url"]}),
        (
            _("Flows"),
            {
                "fields": [
                    "show_session_key",
                    "show_survey",
                    "show_rep_list",
                    "show_reps_in_issue_menu",
                    "rep_list_ttl",
                    "chat_mode",
                ]
            },
        ),
        (
            SURVEY_FIELDS,
            {
                "fields": [
                    "name_field",
                    "company_field",
                    "company_code_field",
                    "details_field",
                    "email_field",
                    "customer_number_field",
                    "external_key_field",
                    "external_key_label",
                ]
            },
        ),
        (_("Before the start"), {"fields": ["consent_text", "show_interstitial"]}),
        (
            _("Languages"),
            {"fields": ["default_language", "enabled_languages", "chat_locale", "missing_translations"]},
        ),
        (_("Opening hours"), {"fields": ["time_zone", "closed_text"]}),
        (_("Embedding"), {"fields": ["frame_ancestors", "embed_code"]}),
        (
            _("Advanced"),
            {
                "classes": ["collapse"],
                "fields": [
                    ("prefill_secret", "generate_prefill_secret", "clear_prefill_secret"),
                    "keep_personal_data",
                    "retention_days",
                ],
            },
        ),
    ]

    def backend_of(self, obj):
        return obj.backend

    def backend_in(self, data):
        backend = str(data.get("backend", ""))
        return models.Backend.objects.filter(pk=backend).first() if backend.isdigit() else None

    def get_fieldsets(self, request, obj=None):
        """A site on a backend shows the survey fields its starts carry, and only those: a Take
        Control start has no company or external key, a BeyondTrust start no email or customer
        number (each adapter's `customer_fields`). A new site shows them all; its save checks
        those of the chosen backend and any other the posted page had (the add page has them
        all, a change page's "Save as new" only its backend's: the copy takes the defaults of
        the others, as `VendorFieldsAdmin.vendor_fields` does for the other settings)."""
        fieldsets = super().get_fieldsets(request, obj)
        new = obj is None or obj.pk is None
        backend = self.posted_backend(request) if new else obj.backend
        if backend is None:
            return fieldsets
        try:
            carried = [spec.mode_attr for spec in backend.adapter.customer_fields]
        except KeyError:  # a kind this version does not know (a row from another version): all
            return fieldsets
        if "external_key_field" in carried:
            carried.append("external_key_label")  # its label, with it
        if new:
            listed = next(opts["fields"] for name, opts in fieldsets if name == self.SURVEY_FIELDS)
            others = [name for name in listed if name not in carried and page_had_input(request, name)]
            if others:  # from the add page, which has them all: as it was
                return fieldsets
        survey = {
            "fields": carried,
            "description": format_lazy(
                _(
                    "The form fields {backend} receives when a session starts. After a change of "
                    "backend, save the site to see the new backend's fields."
                ),
                backend=backend.get_kind_display(),
            ),
        }
        return [(name, survey if name == self.SURVEY_FIELDS else options) for name, options in fieldsets]

    @admin.display(description=_("embedding snippet"))
    def embed_code(self, obj):
        if obj is None or obj.pk is None:
            return _("Save the site first.")
        return format_html(
            '<p>{}</p><textarea readonly rows="5" cols="90" class="vLargeTextField">{}</textarea>',
            _(
                "Paste this into the help-desk page, and add that page's origin to the allowed "
                "embedding origins above. The sandbox tokens let the portal submit its forms, run "
                "its script, keep its own origin for the form checks, and open the vendor's page "
                "in the top window only when the customer clicks."
            ),
            # Escaped once more for the textarea, which then shows the snippet's exact text.
            str(
                embed_snippet(
                    origin=site_origin(obj, _current_request.get()) or "https://support.example.com",
                    site_name=obj.name,
                    color_scheme=obj.color_scheme,
                )
            ),
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
        if generated := form.generated_secrets.get("prefill_secret"):
            # Shown this once, as a webhook endpoint's generated signing secret is: a help desk
            # that signs links itself needs it (docs/decisions/0105-generated-prefill-secret.md).
            self.message_user(
                request,
                format_html(
                    "{} <code>{}</code>",
                    _(
                        "Copy the new prefill link secret now: it will not be shown again. Links "
                        "signed with an earlier secret no longer lock their values."
                    ),
                    generated,
                ),
                messages.SUCCESS,
            )
        for problem in stored_logo_problems(obj):  # stored before today's rules: named, with why
            self.message_user(request, problem, messages.WARNING)
        if logo_may_vanish(obj):
            # After saving, as the contrast warnings are: said only to the sites it concerns,
            # and never in the way of a save (the logo may well read on dark).
            self.message_user(
                request,
                _(
                    "The logo is also shown on this site's dark pages, where dark lettering on a "
                    "transparent background is hard to see. If yours has such lettering, upload a "
                    "logo for dark pages."
                ),
                messages.WARNING,
            )
        unseen = dark_logo_unseen(obj)
        if unseen:  # uploaded for nothing: say why, as the logo's hint above does
            self.message_user(
                request,
                {
                    "light": _("The logo for dark pages is not shown: this site's pages are always light."),
                    "no logo": _(
                        "The logo for dark pages is not shown: on a site that follows the device it "
                        "is shown only beside a logo for light pages. Upload that logo too."
                    ),
                    "logo not shown": _(
                        "The logo for dark pages is not shown either: on a site that follows the "
                        "device it is shown only beside the logo for light pages, which fails "
                        "today's upload checks."
                    ),
                }[unseen],
                messages.WARNING,
            )
        if shows_light_pages(obj.color_scheme):
            for warning in contrast_warnings(
                primary=obj.primary_color, text=obj.text_color, background=obj.background_color
            ):
                self.message_user(request, warning, messages.WARNING)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # A fresh read: the instance's prefetched hostnames are from before the inline's save.
        refused = refused_hostnames(form.instance.hostnames.values_list("hostname", flat=True))
        if refused:
            self.message_user(
                request,
                ngettext(
                    "Saved, but the server refuses requests for %(hostnames)s until it is in "
                    "DJANGO_ALLOWED_HOSTS: add it there and restart the portal.",
                    "Saved, but the server refuses requests for %(hostnames)s until they are in "
                    "DJANGO_ALLOWED_HOSTS: add them there and restart the portal.",
                    len(refused),
                )
                % {"hostnames": ", ".join(refused)},
                messages.WARNING,
            )

    @admin.display(description=_("hostnames"))
    def hostname_list(self, obj):
        return ", ".join(h.hostname for h in obj.hostnames.all()) or "—"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("backend")
            .prefetch_related("hostnames", "translations")
        )

    def get_object(self, request, object_id, from_field=None):
        """A save reads its site locked until it commits (the change form's transaction), so
        two admins saving one site take turns and the second starts from what the first wrote.
        Otherwise the second writes back the logo the first replaced, which the first's commit
        removed from disk (docs/decisions/0038-branding-without-script.md). SQLite serialises
        the saves anyway and has no row locks: Django leaves the lock out there.
        PostgreSQL's FOR NO KEY UPDATE, the lock the save's own UPDATE takes: a plain FOR UPDATE
        would also hold back every row written meanwhile that points at the site (a customer's
        start record, a token's use), until the admin's save commits."""
        if request.method != "POST":
            return super().get_object(request, object_id, from_field)
        queryset = self.get_queryset(request).select_for_update(of=("self",), no_key=True)
        field = self.model._meta.pk if from_field is None else self.model._meta.get_field(from_field)
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (self.model.DoesNotExist, forms.ValidationError, ValueError):
            return None

    def delete_queryset(self, request, queryset):
        """The list's delete action holds its sites first, in one order, as a save holds its
        site before writing anything (get_object; the delete page goes through it too).
        Otherwise the delete removes a site's hostnames and the rest, then waits for a save's
        lock on the site while the save waits for a hostname the delete removed: PostgreSQL
        ends that deadlock by failing one of the two admins."""
        with transaction.atomic(using=router.db_for_write(self.model)):
            pks = [site.pk for site in queryset]
            list(
                self.model._default_manager.select_for_update()
                .filter(pk__in=pks)
                .order_by("pk")
                .values_list("pk")
            )
            super().delete_queryset(request, queryset)


class CustomFieldTranslationInline(admin.TabularInline):
    model = models.CustomFieldTranslation
    extra = 0


class IssueOfSiteChoiceField(forms.ModelMultipleChoiceField):
    """Issues named with their site: two sites' "Printing problems" are otherwise the same line."""

    def label_from_instance(self, obj):
        return f"{obj.site.name} · {obj.display_name} ({obj.code_name})"


class CustomFieldForm(forms.ModelForm):
    class Meta:
        model = models.CustomField
        fields = ["site", "issues"]  # the admin adds the rest from its fieldsets
        field_classes = {"issues": IssueOfSiteChoiceField}

    def clean(self):
        cleaned = super().clean()
        site, issues = cleaned.get("site"), cleaned.get("issues")
        if site is not None and issues:
            foreign = [issue for issue in issues if issue.site_id != site.pk]
            if foreign:
                self.add_error(
                    "issues",
                    _("These issues belong to another site: %(issues)s.")
                    % {"issues": ", ".join(f"{i.site.name} · {i.display_name}" for i in foreign)},
                )
        return cleaned


@admin.register(models.CustomField)
class CustomFieldAdmin(
    PreselectSingleChoiceMixin, CodeNameColumnMixin, MissingTranslationsMixin, admin.ModelAdmin
):
    form = CustomFieldForm
    missing_languages = staticmethod(translation_coverage.missing_field_languages)
    list_display = [
        "label",
        "code_name_column",
        "site",
        "field_type",
        "required",
        "max_length",
        "order",
        "active",
        "missing_translations",
    ]
    list_editable = ["order", "active"]
    list_filter = ["site", "field_type", "required", "active"]
    search_fields = ["label", "code_name"]
    filter_horizontal = ["issues"]
    Media = AdminListMedia
    inlines = [CustomFieldTranslationInline]
    readonly_fields = ["missing_translations"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "site",
                    "code_name",
                    "label",
                    "help_text",
                    "field_type",
                    "required",
                    "max_length",
                    "choices",
                    "order",
                    "active",
                    "missing_translations",
                ]
            },
        ),
        (_("Which issues"), {"fields": ["issues"]}),
        (_("Prefill links"), {"classes": ["collapse"], "fields": ["prefill_allowed", "prefill_locks"]}),
    ]

    def get_list_display(self, request):
        return without_single_site(super().get_list_display(request))

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("site").prefetch_related("translations")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "issues":
            kwargs["queryset"] = models.Issue.objects.select_related("site").order_by(
                "site__name", "order", "display_name"
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)
