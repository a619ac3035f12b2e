"""The set-up checklist on the admin index: per site, what still needs doing before customers
can use it, each with a link to the admin page that fixes it.

Read-only and cheap: a few queries per site, no call to a vendor (the backend item shows the
result the *Test connection* action stored, portal/admin/integrations.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.http.request import validate_host
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal import appliance, branding, translation_coverage
from portal.dates import date_and_time
from portal.models import LANGUAGE_CHOICES, ApiToken, Backend, CustomField, Issue, Site

LANGUAGE_NAMES = dict(LANGUAGE_CHOICES)


@dataclass(frozen=True)
class Item:
    """One line of the checklist. `done` is None for a check the portal cannot make itself."""

    title: str
    done: bool | None
    text: str
    url: str
    link_text: str

    @property
    def state(self) -> str:
        return {True: "ok", False: "todo", None: "manual"}[self.done]

    @property
    def state_label(self) -> str:
        return {True: _("Done"), False: _("To do"), None: _("Check by hand")}[self.done]


@dataclass(frozen=True)
class SiteChecklist:
    site: Site
    items: list[Item]

    @property
    def todo(self) -> int:
        return sum(1 for item in self.items if item.done is False)


def _url(name: str, *args, **query) -> str:
    url = reverse(f"admin:{name}", args=args)
    return f"{url}?{urlencode(query)}" if query else url


def _when(moment) -> str:
    # Mid-sentence in the reader's language, in the portal's time zone: CLDR's long date (no
    # weekday, months in the language's own case, no zero-padded day) and short time, not
    # Django's DATETIME_FORMAT ("Lunedì 07 Dicembre 2026 09:08", "07 Aralık 2026"), see
    # docs/decisions/0097-dates-as-cldr-writes-them.md.
    return date_and_time(timezone.localtime(moment), date_style="long")


def backend_item(site: Site) -> Item:
    backend = site.backend
    title = _("Backend reachable")
    if backend.adapter.is_preview:
        return Item(
            title,
            True,
            _(
                "%(backend)s is a Preview backend: customers see the start URL, "
                "nothing needs to be reached. Choose a real backend to go live."
            )
            % {"backend": backend.name},
            _url("portal_backend_change", backend.pk),
            _("Edit the backend"),
        )
    if not backend.adapter.has_connection_test:
        return Item(
            title,
            None,
            _("%(backend)s has no connection test: start a test session from the portal to check it.")
            % {"backend": backend.name},
            _url("portal_backend_change", backend.pk),
            _("Edit the backend"),
        )
    # The action runs on the list page: the link selects this backend there.
    action_url = _url("portal_backend_changelist", id__exact=backend.pk)
    if backend.connection_checked_at is None:
        return Item(
            title,
            False,
            _("%(backend)s has not been tested yet: tick it and run the “Test connection” action.")
            % {"backend": backend.name},
            action_url,
            _("Test the connection"),
        )
    when = _when(backend.connection_checked_at)
    result = appliance.connection_result(backend)  # in the reader's language
    if backend.connection_ok and result:
        return Item(
            title,
            True,
            _("%(backend)s passed “Test connection” on %(when)s, with a warning: %(warning)s")
            % {"backend": backend.name, "when": when, "warning": result},
            action_url,
            _("Test again"),
        )
    if backend.connection_ok:
        return Item(
            title,
            True,
            _("On %(when)s, %(backend)s passed “Test connection”.") % {"backend": backend.name, "when": when},
            action_url,
            _("Test again"),
        )
    return Item(
        title,
        False,
        _("%(backend)s failed “Test connection” on %(when)s: %(problem)s")
        % {"backend": backend.name, "when": when, "problem": result},
        action_url,
        _("Test again"),
    )


def people_list_item(site: Site) -> Item | None:
    """A warning when the site shows its list of people and the backend's last known list is
    empty; None when the list is off, has someone or is not known yet (read from what the
    portal already holds, never asked for here: docs/decisions/0118-checklist-empty-person-list.md)."""
    adapter = site.backend.adapter
    if not site.show_rep_list or adapter.empty_people_list is None:
        return None
    people = adapter.last_known_people()
    if people is None or people:
        return None
    title, advice = adapter.empty_people_list
    if adapter.people_kept_in_admin:
        url, link_text = _url("portal_backend_change", site.backend_id), _("Edit the backend")
    else:
        url, link_text = _url("portal_site_change", site.pk), _("Edit the site")
    return Item(str(title), False, str(advice) % {"backend": site.backend.name}, url, link_text)


def _field_label(model, name: str) -> str:
    """A field's label as its admin form shows it."""
    return str(capfirst(model._meta.get_field(name).verbose_name))


def _logo_label(name: str) -> str:
    """The logo field's label as the site's form shows it ("Logo", "Logo for dark pages")."""
    return _field_label(Site, name)


def stored_logo_problems(site: Site) -> list[str]:
    """For each stored logo that fails today's upload rules (one stored before the pixel limit
    or the frames limit, or whose file is gone), a sentence naming it and why; customers are
    not shown it meanwhile (branding.logo_shown). The checklist and the site's save say them."""
    problems = []
    for name in ("logo", "logo_dark"):
        file = getattr(site, name)
        problem = branding.stored_logo_problem(file) if file else ""
        if problem:
            problems.append(
                _(
                    "%(logo)s fails today's upload checks: %(problem)s "
                    "Customers are not shown it; upload another."
                )
                % {"logo": _logo_label(name), "problem": problem}
            )
    return problems


def logo_item(site: Site) -> Item | None:
    """A to-do item when a stored logo fails today's upload rules (`stored_logo_problems`);
    None when every stored logo passes (docs/decisions/0038-branding-without-script.md)."""
    problems = stored_logo_problems(site)
    if not problems:
        return None
    return Item(
        _logo_label("logo"),
        False,
        " ".join(problems),
        _url("portal_site_change", site.pk),
        _("Upload another logo"),
    )


def backend_address_item(site: Site) -> Item | None:
    """A to-do item when the backend's stored address fails today's rules (an IPv6 address
    saved before they refused it): starts are "temporarily unavailable" until it is changed
    (docs/decisions/0126-values-stored-before-todays-rules.md). None when it passes."""
    backend = site.backend
    problems = backend.stored_address_problems()
    if not problems:
        return None
    return Item(
        _("Backend address"),
        False,
        " ".join(
            _("%(field)s of %(backend)s fails today's checks: %(problem)s")
            % {"field": _field_label(Backend, field), "backend": backend.name, "problem": " ".join(messages)}
            for field, messages in problems.items()
        )
        + " "
        + _("Customers are told that remote support is temporarily unavailable until it is changed."),
        _url("portal_backend_change", backend.pk),
        _("Edit the backend"),
    )


def technicians_item(site: Site) -> Item | None:
    """A to-do item naming the backend's technicians whose username fails today's rule
    (`jane@localhost`, saved before it): no start is sent to them and customers are not offered
    them (docs/decisions/0126-values-stored-before-todays-rules.md). None when all pass."""
    technicians = site.backend.technicians.all()
    refused = [technician for technician in technicians if not technician.username_accepted]
    if not refused:
        return None
    return Item(
        capfirst(_("technicians")),
        False,
        ngettext(
            "The username of %(technicians)s is no email address on a domain: starts routed "
            "there go to the department's queue instead, and the technician list leaves them "
            "out. Enter their Take Control address.",
            "The usernames of %(technicians)s are no email addresses on a domain: starts routed "
            "there go to the department's queue instead, and the technician list leaves them "
            "out. Enter their Take Control addresses.",
            len(refused),
        )
        % {"technicians": ", ".join(f"{t.display_name} ({t.username})" for t in refused)},
        _url("portal_backend_change", site.backend_id),
        _("Edit the technicians"),
    )


def refused_hostnames(hostnames: Iterable[str]) -> list[str]:
    """The hostnames this server answers with 400 Bad Request: Django refuses every request
    whose Host is outside `ALLOWED_HOSTS` (`DJANGO_ALLOWED_HOSTS`) before any of the portal's
    code runs, so customers sent there never reach a site."""
    return [hostname for hostname in hostnames if not validate_host(hostname, settings.ALLOWED_HOSTS)]


def hostnames_item(site: Site) -> Item:
    title = _("Hostnames")
    url = _url("portal_site_change", site.pk)
    hostnames = [entry.hostname for entry in site.hostnames.all()]
    refused = refused_hostnames(hostnames)
    if refused:
        return Item(
            title,
            False,
            ngettext(
                "The server refuses requests for %(hostnames)s: add it to "
                "DJANGO_ALLOWED_HOSTS and restart the portal.",
                "The server refuses requests for %(hostnames)s: add them to "
                "DJANGO_ALLOWED_HOSTS and restart the portal.",
                len(refused),
            )
            % {"hostnames": ", ".join(refused)},
            url,
            _("Review the hostnames"),
        )
    if hostnames:
        return Item(
            title,
            True,
            _("Customers reach this site at %(hostnames)s.") % {"hostnames": ", ".join(hostnames)},
            url,
            _("Edit the hostnames"),
        )
    if site.is_default:
        return Item(
            title,
            True,
            _("The default site: it serves every hostname no other site claims."),
            url,
            _("Add a hostname"),
        )
    if not Site.objects.filter(is_default=True).exists():
        # Nothing serves any hostname yet (a first site saved as it comes): the tick is the
        # quicker way, and the only one for a try-out on this machine's own address.
        return Item(
            title,
            False,
            _(
                "No hostname and not the default site: customers cannot reach it. No site is the "
                "default yet: tick “Default site” to serve every hostname, or add the hostname "
                "customers will use, e.g. support.example.com."
            ),
            url,
            _("Edit the site"),
        )
    return Item(
        title,
        False,
        _(
            "No hostname and not the default site: customers cannot reach it. Add the "
            "hostname they will use, e.g. support.example.com."
        ),
        url,
        _("Add a hostname"),
    )


def issues_item(site: Site) -> Item:
    title = _("Issues")
    count = Issue.objects.filter(site=site, active=True).count()
    if count:
        return Item(
            title,
            True,
            ngettext("%(count)d active issue.", "%(count)d active issues.", count) % {"count": count},
            _url("portal_issue_changelist", site__id__exact=site.pk),
            _("Review the issues"),
        )
    if site.backend.adapter.imports_issues:
        return Item(
            title,
            False,
            _(
                "No active issue: the survey has nothing to offer. Import them "
                "from the appliance (backend action “Import issues from "
                "appliance”) or add them by hand."
            ),
            _url("portal_backend_changelist", id__exact=site.backend_id),
            _("Import issues"),
        )
    return Item(
        title,
        False,
        _("No active issue: the survey has nothing to offer. Add one."),
        _url("portal_issue_add", site=site.pk),
        _("Add an issue"),
    )


def languages_item(site: Site) -> Item:
    title = _("Languages covered")
    site = Site.objects.prefetch_related("translations").get(pk=site.pk)
    missing_site = translation_coverage.missing_site_languages(site)
    issues = [
        issue
        for issue in Issue.objects.filter(site=site, active=True)
        .select_related("site")
        .prefetch_related("translations")
        if translation_coverage.missing_issue_languages(issue)
    ]
    fields = [
        field
        for field in CustomField.objects.filter(site=site, active=True)
        .select_related("site")
        .prefetch_related("translations")
        if translation_coverage.missing_field_languages(field)
    ]
    languages = set(missing_site)
    for issue in issues:
        languages.update(translation_coverage.missing_issue_languages(issue))
    for field in fields:
        languages.update(translation_coverage.missing_field_languages(field))
    enabled = len(site.languages)
    if not languages:
        return Item(
            title,
            True,
            ngettext(
                "Every text is there in the %(count)d enabled language.",
                "Every text is there in all %(count)d enabled languages.",
                enabled,
            )
            % {"count": enabled},
            _url("portal_site_change", site.pk),
            _("Edit the site's languages"),
        )
    names = ", ".join(str(LANGUAGE_NAMES[code]) for code, _name in LANGUAGE_CHOICES if code in languages)
    parts = []
    if missing_site:
        parts.append(_("the site's texts"))
    if issues:
        parts.append(ngettext("%(count)d issue", "%(count)d issues", len(issues)) % {"count": len(issues)})
    if fields:
        parts.append(
            ngettext("%(count)d custom field", "%(count)d custom fields", len(fields))
            % {"count": len(fields)}
        )
    if missing_site:
        url = _url("portal_site_change", site.pk)
    elif issues:
        url = _url("portal_issue_changelist", site__id__exact=site.pk)
    else:
        url = _url("portal_customfield_changelist", site__id__exact=site.pk)
    return Item(
        title,
        False,
        _(
            "Not yet translated into %(languages)s: %(what)s. Customers choosing "
            "these languages read the default language there."
        )
        % {"languages": names, "what": ", ".join(parts)},
        url,
        _("Add the translations"),
    )


def embedding_item(site: Site) -> Item:
    title = _("Embedding origins")
    origins = site.allowed_frame_origins
    url = _url("portal_site_change", site.pk)
    ipv6 = site.stored_frame_origin_problems()
    if ipv6:  # saved before the rule (docs/decisions/0126-values-stored-before-todays-rules.md)
        return Item(
            title,
            False,
            ngettext(
                "%(origins)s cannot embed the portal: browsers ignore IPv6 addresses in a page's "
                "security policy. Use the help-desk page's host name instead.",
                "%(origins)s cannot embed the portal: browsers ignore IPv6 addresses in a page's "
                "security policy. Use the help-desk pages' host names instead.",
                len(ipv6),
            )
            % {"origins": ", ".join(ipv6)},
            url,
            _("Edit the origins"),
        )
    if origins:
        return Item(
            title,
            True,
            _("May be embedded by: %(origins)s.") % {"origins": ", ".join(origins)},
            url,
            _("Edit the origins"),
        )
    return Item(
        title,
        False,
        _(
            "No help-desk page may embed the portal yet. Only needed for the "
            "iframe: add the page's origin, e.g. https://help.example.com."
        ),
        url,
        _("Add an origin"),
    )


def prefill_item(site: Site) -> Item:
    title = _("Prefill link secret")
    url = _url("portal_site_change", site.pk)
    if site.prefill_secret:
        return Item(
            title,
            True,
            _("Set: help-desk systems can send signed prefill links."),
            url,
            _("Change the secret"),
        )
    return Item(
        title,
        False,
        _(
            "Not set: prefill links cannot be signed. Only needed for links "
            "from a help-desk system (under Advanced)."
        ),
        url,
        _("Set the secret"),
    )


def tokens_item(site: Site) -> Item:
    title = _("API tokens")
    count = ApiToken.objects.filter(site=site, revoked_at__isnull=True).count()
    if count:
        return Item(
            title,
            True,
            ngettext("%(count)d active API token.", "%(count)d active API tokens.", count) % {"count": count},
            _url("portal_apitoken_changelist", site__id__exact=site.pk),
            _("Review the tokens"),
        )
    return Item(
        title,
        False,
        _("No active API token: the integrations API refuses every call. Only needed for integrations."),
        _url("portal_apitoken_add", site=site.pk),
        _("Add an API token"),
    )


def site_checklist(site: Site, user) -> SiteChecklist:
    """The site's items; an item that reports on another model (the backend's stored
    connection test, the site's API tokens) only for a `user` who may view that model."""
    items = [
        hostnames_item(site),
        logo_item(site),
        backend_item(site) if user.has_perm("portal.view_backend") else None,
        backend_address_item(site) if user.has_perm("portal.view_backend") else None,
        technicians_item(site) if user.has_perm("portal.view_backend") else None,
        people_list_item(site),
        issues_item(site),
        languages_item(site),
        embedding_item(site),
        prefill_item(site),
        tokens_item(site) if user.has_perm("portal.view_apitoken") else None,
    ]
    return SiteChecklist(site, [item for item in items if item is not None])


def checklists(user) -> list[SiteChecklist]:
    """Every site's checklist as `user` may read it (`site_checklist`)."""
    return [
        site_checklist(site, user)
        for site in Site.objects.select_related("backend")
        .prefetch_related("hostnames")
        .order_by("-is_default", "name")
    ]
