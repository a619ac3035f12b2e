"""The portal's data: sites, their backend, issues, custom fields and the record of starts.

Vendor limits live in `portal.vendors.limits`; the models only keep admins inside them.
"""

from __future__ import annotations

import datetime
import functools
import ipaddress
import os
import re
import secrets
import zoneinfo
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import idna
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import (
    EmailValidator,
    FileExtensionValidator,
    MaxValueValidator,
    MinValueValidator,
    RegexValidator,
)
from django.db import connections, models, router
from django.db.models import Q, signals
from django.db.models.sql import InsertQuery
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from portal.image_headers import frame_count, pixel_size
from portal.vendors import limits

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from portal.vendors.base import VendorAdapter

code_name_validator = RegexValidator(
    limits.CODE_NAME_PATTERN,
    _("Use 1 to 64 letters, digits, underscores or hyphens."),
)
color_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #1a5fb4."))


def email_on_a_domain_validator(message: Any = None) -> EmailValidator:
    """Django's email rule without its `localhost` exception: `jane@localhost` names no
    mailbox anyone outside that one computer reaches. The one rule for a customer's address
    (`portal.vendors.base.customer_email_validator`) and a Take Control technician's username
    (docs/vendors/takecontrol.md)."""
    return EmailValidator(message, allowlist=())


def is_email_on_a_domain(value: str) -> bool:
    """Whether `value` passes `email_on_a_domain_validator`: for a value stored before the rule
    (a technician's username), asked at start and by the set-up checklist."""
    try:
        email_on_a_domain_validator()(value)
    except ValidationError:
        return False
    return True


LANGUAGE_CHOICES = settings.LANGUAGES

DEFAULT_WARNING = _(
    "Only continue if you contacted us yourself. We never call you unexpectedly "
    "and ask you to let us connect to your computer."
)
# A consent text an admin may use as it is (the admin form quotes it); stored unchanged, it is
# shown in each customer's language like the warning.
DEFAULT_CONSENT = _(
    "A technician will see your screen and may control it while you watch. "
    "You can end the session at any time."
)
# What the closed page says when the site has no closed message of its own.
DEFAULT_CLOSED = _(
    "Remote support is not available at the moment. Please come back during our opening hours."
)
# The site texts the portal itself supplies: while a site keeps one of them as it came (in any
# of the 16 languages), customers read it in their own language (selectors.site_texts).
DEFAULT_TEXTS = {
    "warning_text": DEFAULT_WARNING,
    "consent_text": DEFAULT_CONSENT,
    "closed_text": DEFAULT_CLOSED,
}
# Earlier translations of those texts, mended since: a site created through an admin in one of
# these languages stored the wording of its day, and is still speaking the portal's own text.
FORMER_DEFAULT_TEXTS = {
    "consent_text": (
        # 可能 read "possibly", ことがあります "sometimes": the consent grants control.
        "技術人員將看到您的螢幕，並可能在您觀看時操控它。您可以隨時結束工作階段。",
        "技术人员将看到您的屏幕，并可能在您观看时操控它。您可以随时结束会话。",
        "技術者がお客様の画面を見て、お客様の目の前で操作することがあります。セッションはいつでも終了できます。",
    ),
}


def is_loopback_host(host: str) -> bool:
    """Whether `host` (a URL's or a request's host; an IPv6 address may keep its brackets) names
    this machine itself: `localhost`, a name under `.localhost` (RFC 6761), or a loopback
    address."""
    host = host.lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# A vendor address's host and port as a URL writes them, and nothing else: the origin goes into
# every customer page's Content-Security-Policy (form-action) and the start URL into a Location
# header, where a space, ";" or a line break would add sources or directives, or fail each page.
VENDOR_HOST = re.compile(r"(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
UNSAFE_IN_URL = re.compile(r"[\s\x00-\x1f\x7f]")
# An address's origin goes into customer pages' Content-Security-Policy (a vendor's form-action,
# a help desk's frame-ancestors), whose sources name hosts by name or IPv4 address only: a
# browser drops an IPv6 source ("contains an invalid source ... It will be ignored"), and then
# refuses the start's redirect or the frame. Refused where it is typed, not found by customers.
IPV6_IN_POLICY = _(
    "Use a host name, not an IPv6 address: browsers ignore IPv6 addresses in a page's security policy."
)

# What `validate_vendor_url` refuses that no start can survive: a host a policy source cannot
# name (IPv6), or no URL at all (Backend.stored_address_problems).
ADDRESS_BREAKS_STARTS = frozenset({"ipv6", "not_a_url"})


@functools.lru_cache(maxsize=256)
def _address_breaks_starts(address: str) -> bool:
    """Whether `validate_vendor_url` refuses the address for a reason no start survives
    (ADDRESS_BREAKS_STARTS). Asked by every start of the backend (Backend.stored_address_problems):
    remembered per address, as the answer depends on the text alone."""
    try:
        validate_vendor_url(address)
    except ValidationError as error:
        return error.code in ADDRESS_BREAKS_STARTS
    return False


def is_ipv6_origin(origin: str) -> bool:
    """Whether an origin's host is an IPv6 address (`https://[2001:db8::1]`): IPV6_IN_POLICY."""
    return origin.lower().startswith(("http://[", "https://["))


HOST_NOT_IDNA = _("“%(host)s” cannot be written as a host name: check its spelling.")


def ascii_host_url(value: str) -> str:
    """`value` with a host in other letters than ASCII (https://support.exämple.com) written as
    browsers send it, in IDNA's `xn--` labels (UTS 46, as the WHATWG URL standard has browsers
    do): the form a Content-Security-Policy source and a Location header need. A wildcard
    origin's `*.` stays. Unchanged when the host is ASCII already or `value` is no URL (the
    field's own check says so); ValidationError (code "idna") when IDNA cannot write the host.
    The models' clean converts, for every caller; the backend's form also before its
    stored-secret check compares hosts (docs/decisions/0120-unicode-host-names.md)."""
    try:
        netloc = urlsplit(value).netloc
    except ValueError:
        return value
    if netloc.isascii():
        return value
    userinfo, at, host_port = netloc.rpartition("@")
    host, colon, port = host_port.rpartition(":")
    if not colon or not port.isdigit():
        host, colon, port = host_port, "", ""
    wildcard = "*." if host.startswith("*.") else ""
    try:
        ascii_host = idna.encode(host.removeprefix(wildcard), uts46=True, transitional=False).decode()
    except (idna.IDNAError, UnicodeError):
        raise ValidationError(HOST_NOT_IDNA, code="idna", params={"host": host}) from None
    return value.replace(netloc, f"{userinfo}{at}{wildcard}{ascii_host}{colon}{port}", 1)


def validate_vendor_url(value: str, *, example: str = "https://support.example.com") -> None:
    """Vendor URLs must be https, except for loopback hosts (fake vendors in tests, demos).
    `example` is cited when `value` is no URL (code "not_a_url"; `Backend.clean_fields` cites
    its vendor's)."""
    try:
        # urlsplit raises on a bracketed host that is no IP address; .port on one out of range
        # (secrets.origin, the vendor clients read it). Port 0 reaches no server either.
        parts = urlsplit(value)
        port_ok = parts.port != 0
    except ValueError:
        parts, port_ok = urlsplit(""), False
    if (
        not port_ok
        or parts.scheme not in {"http", "https"}
        or not parts.hostname
        or not VENDOR_HOST.fullmatch(parts.netloc.rpartition("@")[2])  # credentials: refused below
        or UNSAFE_IN_URL.search(value)
    ):
        raise ValidationError(
            _("Enter a full URL such as %(example)s."), code="not_a_url", params={"example": example}
        )
    if ":" in parts.hostname:
        raise ValidationError(IPV6_IN_POLICY, code="ipv6")
    if parts.scheme != "https" and not is_loopback_host(parts.hostname):
        raise ValidationError(_("Use https: customers' data must not travel unencrypted."))
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValidationError(_("Enter the address only, without query, fragment or credentials."))


# A language tag as BCP 47 shapes them, in the appliance's lower-case spelling (en-us, zh-hans,
# cs-cs): a 2-3 letter language, then subtags of 2-8 letters or digits. chat_locale passes
# such a code through to the chat, which may offer languages the appliance itself lacks.
LOCALE_CODE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})*")
LOCALE_CODE_MAX = 35
CHAT_LOCALE_ERROR = _(
    "Enter a language code like cs-cs or pt-br: 2 or 3 letters, then optional "
    "parts of 2 to 8 letters or digits, joined by hyphens."
)


def normalise_locale_code(value: str) -> str:
    """`CS_cz ` becomes `cs-cz`; the appliance spells its own codes in lower case."""
    return value.strip().lower().replace("_", "-")


def is_locale_code(value: str) -> bool:
    return len(value) <= LOCALE_CODE_MAX and LOCALE_CODE.fullmatch(value) is not None


CHAT_LOCALE_HELP = _(
    "Sent to the appliance as chat_locale, for the chat only: the pass-through for a language "
    "the appliance lacks, which the chat's translation service (GeoFluent) provides, e.g. cs-cs "
    "for Czech. Any well-formed language code. Empty: none is sent."
)


FRAME_ORIGIN = re.compile(r"https?://(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d{1,5})?/?")
LOGO_MAX_BYTES = 512 * 1024
# Each side, in pixels: the page shows the logo at most 48 px high and the brand's width, so
# 4096 holds a wide wordmark at three times that with room, and bounds what every customer's
# browser decodes at 64 MB; a few KB could declare 30000×30000, gigabytes (a decompression bomb).
LOGO_MAX_PIXELS = 4096
# An animated logo (GIF, APNG, WebP) costs its size once per frame as the browser plays it: its
# frames together may cost what one still logo of the largest size does. A 300×48 wordmark
# keeps 1165 frames, a 1024×1024 image 16, a 4096×4096 one none to animate.
LOGO_MAX_FRAME_PIXELS = LOGO_MAX_PIXELS * LOGO_MAX_PIXELS
IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF")


def validate_logo(file) -> None:
    """A real image of a sane size: SVG and anything else that could run script are refused, and
    so is an image larger than LOGO_MAX_PIXELS a side, or an animation whose frames together pass
    LOGO_MAX_FRAME_PIXELS, by what its headers declare (nothing is decoded)."""
    if file.size > LOGO_MAX_BYTES:
        raise ValidationError(_("The logo must be at most 512 KB."))
    data = file.read()
    file.seek(0)
    size = pixel_size(data)
    if not data.startswith(IMAGE_SIGNATURES) or size is None:
        raise ValidationError(_("Upload a PNG, JPEG, WebP or GIF image."))
    width, height = size
    if max(width, height) > LOGO_MAX_PIXELS:
        raise ValidationError(
            _("The logo must be at most %(limit)d×%(limit)d pixels; this one is %(width)d×%(height)d."),
            params={"limit": LOGO_MAX_PIXELS, "width": width, "height": height},
        )
    frames = frame_count(data)
    most = LOGO_MAX_FRAME_PIXELS // max(1, width * height)
    if frames > 1 and frames > most:
        raise ValidationError(
            ngettext(
                "An animated logo of %(width)d×%(height)d pixels may have at most %(most)d frame; "
                "this one has %(count)d. Use fewer frames or a smaller image.",
                "An animated logo of %(width)d×%(height)d pixels may have at most %(most)d frames; "
                "this one has %(count)d. Use fewer frames or a smaller image.",
                most,
            ),
            params={"width": width, "height": height, "most": most, "count": frames},
        )


def _logo_help() -> str:
    return gettext(
        "PNG, JPEG, WebP or GIF up to 512 KB and %(limit)d×%(limit)d pixels, shown at most 48 px high."
    ) % {"limit": LOGO_MAX_PIXELS}


LOGO_HELP = lazy(_logo_help, str)()


# Where the logos are uploaded; a file here that no site names any more is removed
# (portal/logo_files.py, docs/decisions/0038-branding-without-script.md).
LOGO_FOLDER = "logos/"
LOGO_NAME_MAX = 100  # a FileField's column, its default max_length
# A file name on the disk: 255 bytes (ext4, XFS, APFS), less the 8 the storage adds
# ("_" and 7 characters) should the name be taken after all.
LOGO_FILE_NAME_MAX_BYTES = 255 - 8


def logo_upload_to(instance: Any, filename: str) -> str:
    """A new logo's name: the uploaded file's, with a random part. Browsers keep a logo a day
    by its address, so a new logo must never get an address an earlier one had; once removed
    files free their names (portal/logo_files.py), the storage's own "add a suffix only when the
    name is taken" gave `logos/acme.png` back to the next `acme.png`
    (docs/decisions/0038-branding-without-script.md). The storage still cleans the name."""
    stem, dot, extension = os.path.basename(filename).rpartition(".")
    if not dot:
        stem, extension = extension, ""
    tail = f"-{secrets.token_hex(5)}{dot}{extension}"
    # The stem is shortened, not the random part, where the name would pass the column's
    # length in characters or the disk's in UTF-8 bytes ("日" is 3, "𠀀" 4).
    stem = stem[: max(1, LOGO_NAME_MAX - len(LOGO_FOLDER) - len(tail))]
    while len(stem) > 1 and len(f"{stem}{tail}".encode()) > LOGO_FILE_NAME_MAX_BYTES:
        stem = stem[:-1]
    return f"{LOGO_FOLDER}{stem}{tail}"


# The logo's and the dark logo's: one set of upload rules for both.
LOGO_VALIDATORS: list[Callable[[Any], None]] = [
    FileExtensionValidator(["png", "jpg", "jpeg", "webp", "gif"]),
    validate_logo,
]


class FieldMode(models.TextChoices):
    HIDDEN = "hidden", _("Not asked")
    OPTIONAL = "optional", _("Optional")
    REQUIRED = "required", _("Required")


class Backend(models.Model):
    """One remote-support system. Secrets are write-only in admin and never rendered."""

    class Kind(models.TextChoices):
        MODERN = "modern", _("BeyondTrust Remote Support")
        LEGACY = "legacy", _("Bomgar, legacy (.ns URLs)")
        TAKECONTROL = "takecontrol", _("N-able Take Control")
        # Short labels: `Backend.__str__` puts the kind in brackets after the name, and the
        # explanation lives in the field's help text (a label must read once).
        PREVIEW = "preview", _("Preview")

    class TakeControlMode(models.TextChoices):
        REDIRECT = "redirect", _("Redirect the customer to the New Session URL")
        REST = "rest", _("Create the session through the REST API")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=Kind.choices,
        default=Kind.MODERN,
        help_text=_(
            "Preview shows the vendor's start URL and its parameters "
            "instead of leaving the portal: for trying the portal out."
        ),
    )
    base_url = models.CharField(
        _("address"),
        max_length=200,
        validators=[validate_vendor_url],
        help_text=_(
            "BeyondTrust: the public site, e.g. https://support.example.com. "
            "Take Control: the API domain from Profile > APIs, e.g. https://api.us0.swi-rc.com/rest."
        ),
    )
    # BeyondTrust
    client_id = models.CharField(_("API client ID"), max_length=200, blank=True)
    client_secret = models.CharField(_("API client secret"), max_length=500, blank=True)
    allow_letters_in_key = models.BooleanField(
        _("session keys may contain letters"),
        default=False,
        help_text=_("Off: a session key is 7 digits."),
    )
    prompts_before_download = models.BooleanField(
        _("appliance prompts customers before download"),
        default=False,
        help_text=_("On: a session-key start sends only the key and the external key."),
    )
    send_platform = models.BooleanField(
        _("send the Windows platform"),
        default=False,
        help_text=_("Send winNT-64 or winNT-32 from the browser's user agent."),
    )
    # Take Control
    tc_uid = models.CharField(_("New Session API uid"), max_length=500, blank=True)
    tc_public_key = models.CharField(_("public integration key"), max_length=1000, blank=True)
    tc_private_key = models.CharField(_("private integration key"), max_length=1000, blank=True)
    tc_mode = models.CharField(
        _("start mode"),
        max_length=10,
        choices=TakeControlMode.choices,
        default=TakeControlMode.REDIRECT,
    )
    tc_pin_url_template = models.CharField(
        _("PIN URL template"),
        max_length=200,
        default="https://startcontrol.com/{pin}",
        help_text=_("{pin} is replaced by the customer's 9-digit PIN."),
    )
    tc_ask_customer_info = models.BooleanField(
        _("customer confirms their details in the applet"), default=False
    )
    tc_show_waiting_queue = models.BooleanField(_("show the waiting queue"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The last *Test connection* admin action, for the set-up checklist on the admin index.
    connection_checked_at = models.DateTimeField(
        _("last connection test"), null=True, blank=True, editable=False
    )
    connection_ok = models.BooleanField(_("last connection test passed"), null=True, editable=False)
    connection_summary = models.CharField(
        _("last connection test result"), max_length=500, blank=True, editable=False
    )
    # The same result as notes (`AdminNote.as_json`), which each admin reads in their own
    # language; empty for a result kept before notes existed: `connection_summary` is shown.
    connection_notes = models.JSONField(
        _("last connection test result"), default=list, blank=True, editable=False
    )

    SECRET_FIELDS = ("client_secret", "tc_public_key", "tc_private_key")

    class Meta:
        verbose_name = _("backend")
        verbose_name_plural = _("backends")
        ordering = ["name"]
        permissions = [("view_session_history", _("Can view Take Control session history"))]

    def __str__(self):
        kind = str(self.get_kind_display())
        if self.name.casefold() == kind.casefold():  # "Preview", not "Preview (Preview)"
            return self.name
        return f"{self.name} ({kind})"

    @property
    def adapter(self) -> VendorAdapter:
        """What this backend's kind does (docs/decisions/0055-vendor-adapters-and-registry.md).
        Imported on use: the adapters build on these models."""
        from portal.vendors.registry import adapter_for

        return adapter_for(self)

    @property
    def is_beyondtrust(self) -> bool:
        """The BeyondTrust command API's features (rep list, session keys) apply."""
        return self.adapter.beyondtrust_api

    @property
    def uses_command_api(self) -> bool:
        """A real appliance: its rep list, issue import and session keys need API credentials
        (the Preview backend shows sample representatives instead)."""
        return self.adapter.needs_api_credentials

    @property
    def has_api_credentials(self) -> bool:
        return bool(self.client_id and self.client_secret)

    def listed_technicians(self) -> list[Technician]:
        """The Take Control technicians customers may pick, in the admin's order: the technician
        page's choices and the set-up checklist's known list (the adapter's `last_known_people`).
        One whose username fails today's rule is left out: a start would not reach them
        (docs/decisions/0126-values-stored-before-todays-rules.md)."""
        listed = self.technicians.filter(listed=True)
        return [technician for technician in listed if technician.username_accepted]

    def clean(self):
        """What the vendor would refuse, refused here (the admin and portal_bootstrap).

        The secrets are the effective ones: the admin's write-only fields put a stored value
        back when left empty and remove it when "Remove the stored value" is ticked, before
        this runs. A saved backend is also checked against what its sites use
        (Site.backend_problems); portal_bootstrap checks clean_settings alone and warns about
        the site instead.
        """
        self.clean_settings()
        if self.pk:
            errors = {}
            for site in self.sites.all():
                for field, message in site.backend_problems(self).items():
                    where = "client_id" if field in {"show_rep_list", "show_reps_in_issue_menu"} else "kind"
                    errors.setdefault(where, []).append(
                        _("Site %(site)s: %(problem)s") % {"site": site.name, "problem": message}
                    )
            if errors:
                raise ValidationError(errors)

    def clean_fields(self, exclude=None):
        """The fields' own checks; an address that is no URL is told with the example of the
        backend's vendor (`address_example`: an API domain for Take Control, a public site for
        BeyondTrust), not the validator's generic one."""
        errors: dict[str, list[ValidationError]] = {}
        # A host in other letters than ASCII in IDNA's xn-- form first (`ascii_host_url`).
        if self.base_url and (exclude is None or "base_url" not in exclude):
            try:
                self.base_url = ascii_host_url(self.base_url)
            except ValidationError as error:
                errors["base_url"] = [error]
                exclude = {*(exclude or ()), "base_url"}
        try:
            super().clean_fields(exclude)
        except ValidationError as error:
            try:
                example = self.adapter.address_example
            except LookupError:  # a kind nobody registered: its choice check says so
                example = None
            for field, problems in error.error_dict.items():
                errors[field] = [
                    ValidationError(problem.message, code=problem.code, params={"example": example})
                    if example and field == "base_url" and problem.code == "not_a_url"
                    else problem
                    for problem in problems
                ]
        if errors:
            raise ValidationError(errors)

    def clean_settings(self):
        """The backend's own settings, without looking at the sites that use it."""
        if self.base_url:
            self.base_url = self.base_url.rstrip("/")
        try:
            problems = self.adapter.backend_problems()
        except LookupError:  # a kind nobody registered: the field's own choice check says so
            problems = {}
        # A setting its own field refuses (blank, too long, not a URL) already says so; the
        # vendor's sentence for it would be a second message on the same input.
        errors = {field: message for field, message in problems.items() if self._field_accepts(field)}
        if self.tc_pin_url_template and "tc_pin_url_template" not in errors:
            try:
                self.tc_pin_url_template = ascii_host_url(self.tc_pin_url_template)
                validate_vendor_url(
                    self.tc_pin_url_template.replace("{pin}", "123456789"),
                    example=self._meta.get_field("tc_pin_url_template").get_default(),
                )
            except ValidationError as error:
                errors["tc_pin_url_template"] = error.messages
        if errors:
            raise ValidationError(errors)

    def stored_address_problems(self) -> dict[str, list[str]]:
        """Why a stored address breaks every start, by field (none when all work): saved before
        today's rules, its host is one no page's security policy can name (an IPv6 address), so
        the customer's browser refuses the redirect there. Starts are refused as "temporarily
        unavailable" meanwhile and the set-up checklist names the field. Rules that leave a start
        working (a PIN URL template with a query) do not count
        (docs/decisions/0126-values-stored-before-todays-rules.md)."""
        problems: dict[str, list[str]] = {}
        addresses = {"base_url": self.base_url}
        if self.tc_pin_url_template:  # as clean_settings checks it
            addresses["tc_pin_url_template"] = self.tc_pin_url_template.replace("{pin}", "123456789")
        for field, address in addresses.items():
            if not _address_breaks_starts(address):  # every start asks: the answer is remembered
                continue
            try:
                validate_vendor_url(address)
            except ValidationError as error:  # the messages in the reader's language
                problems[field] = error.messages
        return problems

    def _field_accepts(self, name: str) -> bool:
        """Whether the field's own checks (blank, length, validators) pass its current value."""
        field = self._meta.get_field(name)
        assert isinstance(field, models.Field)  # a setting, never a relation's reverse side
        try:
            field.clean(getattr(self, field.attname), self)
        except ValidationError:
            return False
        return True


class HttpsURLField(models.URLField):
    """A web address where one typed without a scheme means https (Django 6's default already)."""

    def formfield(self, **kwargs):
        return super().formfield(**{"assume_scheme": "https", **kwargs})


# pg_advisory_xact_lock's key for "a site becomes the default" (any constant no other lock uses).
DEFAULT_SITE_LOCK = 0x706F7274616C_01  # "portal", 1


def hold_the_default_site_choice(alias: str) -> None:
    """Until the current transaction ends, no other one passes here (PostgreSQL's transaction
    advisory lock: held by no row, so it works while no site is the default yet). Outside a
    transaction it is let go at once: there the check and the write are not one step anyway.
    SQLite runs one writing transaction at a time, so has nothing to wait for."""
    connection = connections[alias]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DEFAULT_SITE_LOCK])


class Site(models.Model):
    """One branded portal, chosen by the request's hostname."""

    class ChatMode(models.TextChoices):
        OFF = "off", _("Full client only")
        CHOICE = "choice", _("Customer may choose chat only")
        ALWAYS = "always", _("Always chat only")

    class ColorScheme(models.TextChoices):
        LIGHT = "light", _("Light")
        DARK = "dark", _("Dark")
        DEVICE = "device", _("Follow the device")

    name = models.CharField(_("name"), max_length=100)
    is_default = models.BooleanField(
        _("default site"),
        default=False,
        help_text=_("Serves every hostname no other site claims."),
    )
    backend = models.ForeignKey(
        Backend, on_delete=models.PROTECT, related_name="sites", verbose_name=_("backend")
    )
    # Branding
    logo = models.FileField(
        _("logo"),
        upload_to=logo_upload_to,
        max_length=LOGO_NAME_MAX,
        blank=True,
        validators=LOGO_VALIDATORS,
        help_text=LOGO_HELP,
    )
    # The logo's rules; shown in its place on dark pages (docs/decisions/0110-dark-colour-scheme.md).
    logo_dark = models.FileField(
        _("logo for dark pages"),
        upload_to=logo_upload_to,
        max_length=LOGO_NAME_MAX,
        blank=True,
        validators=LOGO_VALIDATORS,
        help_text=_(
            "Optional: a version of the logo that reads on a dark background. Shown in its place when "
            "the colour scheme is Dark, or “Follow the device” on a dark device."
        ),
    )
    primary_color = models.CharField(
        _("primary colour"), max_length=7, default="#1a5fb4", validators=[color_validator]
    )
    text_color = models.CharField(
        _("text colour"), max_length=7, default="#1d1d1f", validators=[color_validator]
    )
    background_color = models.CharField(
        _("background colour"), max_length=7, default="#f6f7f9", validators=[color_validator]
    )
    # A choice of the admin, not of each visitor: the page embedded in a light help-desk page
    # stays light unless the admin says otherwise (docs/decisions/0110-dark-colour-scheme.md).
    color_scheme = models.CharField(
        _("colour scheme"),
        max_length=10,
        choices=ColorScheme.choices,
        default=ColorScheme.LIGHT,
        help_text=_(
            "Dark draws the pages on a dark background, with the primary colour lightened where it "
            "would be hard to read; the text and background colours are for the light pages. "
            "“Follow the device” shows each customer the scheme their device is set to, so a "
            "light help-desk page may then embed a dark portal."
        ),
    )
    welcome_text = models.TextField(_("welcome text"), blank=True)
    notice_text = models.TextField(
        _("customer notice"), blank=True, help_text=_("A banner on every page, e.g. planned maintenance.")
    )
    notice_starts = models.DateTimeField(_("notice shown from"), null=True, blank=True)
    notice_ends = models.DateTimeField(_("notice shown until"), null=True, blank=True)
    warning_text = models.TextField(
        _("safety warning"),
        blank=True,
        default=DEFAULT_WARNING,
        help_text=_("Shown at the start step against phone scams. Empty: no warning."),
    )
    consent_text = models.TextField(
        _("consent text"),
        blank=True,
        help_text=_("When set, customers must tick a box agreeing to it before a session starts."),
    )
    show_interstitial = models.BooleanField(
        _("show 'what happens next' before leaving"),
        default=False,
        help_text=_("Explains the download for the customer's system, with a button to continue."),
    )
    # Contact, in every page's footer: how to reach the help desk without a session.
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(
        _("contact phone"),
        max_length=40,
        blank=True,
        help_text=_("As customers should dial it, e.g. +49 30 1234567."),
    )
    contact_url = HttpsURLField(
        _("contact page"), blank=True, help_text=_("The help desk's own contact or help page.")
    )
    privacy_url = HttpsURLField(
        _("privacy policy"), blank=True, help_text=_("Linked in the footer of every page.")
    )
    # Flows
    show_rep_list = models.BooleanField(_("show the representative list"), default=True)
    show_session_key = models.BooleanField(_("show the session key form"), default=True)
    show_survey = models.BooleanField(_("show the issue survey"), default=True)
    show_reps_in_issue_menu = models.BooleanField(
        _("display representatives in the issue menu"),
        default=False,
        help_text=_("BeyondTrust: the survey lists online representatives instead of issues."),
    )
    chat_mode = models.CharField(_("chat"), max_length=10, choices=ChatMode.choices, default=ChatMode.OFF)
    rep_list_ttl = models.PositiveIntegerField(
        _("representative list refresh (seconds)"),
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(600)],
    )
    # Survey fields
    name_field = models.CharField(
        _("customer name"), max_length=10, choices=FieldMode.choices, default=FieldMode.REQUIRED
    )
    company_field = models.CharField(
        _("company"), max_length=10, choices=FieldMode.choices, default=FieldMode.OPTIONAL
    )
    company_code_field = models.CharField(
        _("company code"), max_length=10, choices=FieldMode.choices, default=FieldMode.HIDDEN
    )
    details_field = models.CharField(
        _("problem description"), max_length=10, choices=FieldMode.choices, default=FieldMode.REQUIRED
    )
    email_field = models.CharField(
        _("email (Take Control)"), max_length=10, choices=FieldMode.choices, default=FieldMode.OPTIONAL
    )
    customer_number_field = models.CharField(
        _("customer number (Take Control)"),
        max_length=10,
        choices=FieldMode.choices,
        default=FieldMode.HIDDEN,
    )
    external_key_field = models.CharField(
        _("external key"), max_length=10, choices=FieldMode.choices, default=FieldMode.HIDDEN
    )
    external_key_label = models.CharField(
        _("external key label"), max_length=100, blank=True, help_text=_("E.g. 'Ticket number'.")
    )
    # Languages
    default_language = models.CharField(
        _("default language"), max_length=10, choices=LANGUAGE_CHOICES, default="en-us"
    )
    enabled_languages = models.JSONField(
        _("enabled languages"),
        default=list,
        blank=True,
        help_text=_("Empty: all 16 languages."),
    )
    # Not limited to the appliance's 16 languages (unlike `default_language`): see the help.
    chat_locale = models.CharField(
        _("chat language"), max_length=LOCALE_CODE_MAX, blank=True, help_text=CHAT_LOCALE_HELP
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", help_text=_("For opening hours, e.g. Europe/Berlin.")
    )
    closed_text = models.TextField(
        _("closed message"),
        blank=True,
        help_text=_("Shown outside opening hours and on holidays. Empty: a standard message."),
    )
    # Embedding and integrations
    frame_ancestors = models.TextField(
        _("allowed embedding origins"),
        blank=True,
        help_text=_("One origin per line, e.g. https://help.example.com. Empty: no framing."),
    )
    prefill_secret = models.CharField(_("prefill link secret"), max_length=200, blank=True)
    # Records
    keep_personal_data = models.BooleanField(
        _("keep customer data in start records"),
        default=False,
        help_text=_("Off: start records hold no name, company, description or custom values."),
    )
    retention_days = models.PositiveIntegerField(_("keep start records for (days)"), default=90)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="portal_one_default_site",
                # What a form says when a second default would break it (the admin's "Save as
                # new" of the default site): words, not the constraint's name.
                violation_error_code="one_default_site",
                violation_error_message=_(
                    "Only one site can be the default site, and another site already is. Untick "
                    "“Default site” to save this one, or untick it on the other site first."
                ),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def languages(self) -> list[str]:
        """Enabled language codes in settings order; the default is always among them."""
        enabled = set(self.enabled_languages or [code for code, _name in LANGUAGE_CHOICES])
        enabled.add(self.default_language)
        return [code for code, _name in LANGUAGE_CHOICES if code in enabled]

    @property
    def allowed_frame_origins(self) -> list[str]:
        return [line.strip() for line in self.frame_ancestors.splitlines() if line.strip()]

    def stored_frame_origin_problems(self) -> list[str]:
        """The stored embedding origins no page's security policy can name: IPv6 addresses,
        saved before the rule that refuses them (`clean`). Browsers ignore such a source, so
        that page cannot frame the portal; the set-up checklist names them
        (docs/decisions/0126-values-stored-before-todays-rules.md)."""
        return [origin for origin in self.allowed_frame_origins if is_ipv6_origin(origin)]

    def backend_problems(self, backend: Backend | None = None) -> dict[str, StrOrPromise]:
        """What this site asks of its backend (or `backend`) that the vendor would refuse or
        the start URL cannot carry, by the site field to change."""
        backend = backend or self.backend
        return dict(backend.adapter.site_problems(self))

    def clean_fields(self, exclude=None):
        """The logos' upload rules are for uploads: a logo already stored is not checked again at
        each save. One stored before today's rules (or whose file is gone, which failed every
        save with a 500) is named after the save and by the set-up checklist, and customers are
        not shown it (docs/decisions/0126-values-stored-before-todays-rules.md)."""
        stored = {
            name for name in ("logo", "logo_dark") if getattr(self, name) and getattr(self, name)._committed
        }
        super().clean_fields(exclude={*(exclude or ()), *stored})

    def validate_constraints(self, exclude=None):
        """A site made the default first waits for any other save doing the same to commit, so
        that the check below sees it: otherwise two saves at once both find no other default,
        and the second to commit fails on the constraint itself (a 500 in the admin) instead of
        getting its message (docs/decisions/0117-one-default-site-at-a-time.md)."""
        if self.is_default and (exclude is None or "is_default" not in exclude):
            hold_the_default_site_choice(router.db_for_write(type(self), instance=self))
        super().validate_constraints(exclude)

    def clean(self):
        errors = {}
        self.chat_locale = normalise_locale_code(self.chat_locale)
        if self.chat_locale and not is_locale_code(self.chat_locale):
            errors["chat_locale"] = CHAT_LOCALE_ERROR
        if self.backend_id:
            # The issues and custom fields are checked when they are saved (Issue.clean,
            # CustomField.clean) and when the backend changes (Backend.clean).
            own_fields = {"show_rep_list", "show_reps_in_issue_menu", "chat_mode", "chat_locale"}
            for field, message in self.backend_problems().items():
                if field in own_fields:
                    errors.setdefault(field, message)
        known = {code for code, _name in LANGUAGE_CHOICES}
        unknown = [code for code in self.enabled_languages or [] if code not in known]
        if unknown:
            errors["enabled_languages"] = _("Unknown language: %s") % ", ".join(unknown)
        elif self.enabled_languages and self.default_language not in self.enabled_languages:
            errors["default_language"] = _("The default language must be enabled.")
        # As browsers send an origin: lower case, no trailing slash. CSP compares without case,
        # the button's CORS answer and portal.js compare exactly.
        # A host in other letters than ASCII in IDNA's xn-- form, as browsers send it.
        origins, idna_problems = [], []
        for origin in self.allowed_frame_origins:
            try:
                origins.append(ascii_host_url(origin).lower())
            except ValidationError as error:
                origins.append(origin.lower())
                idna_problems.append(error)
        bad_origins = [o for o in origins if not FRAME_ORIGIN.fullmatch(o)]
        if any(is_ipv6_origin(origin) for origin in origins):
            errors["frame_ancestors"] = IPV6_IN_POLICY
        elif idna_problems:
            errors["frame_ancestors"] = idna_problems[0]
        elif bad_origins:
            # Each origin goes into a CSP header: anything but a plain origin is refused.
            errors["frame_ancestors"] = (
                _("'%s' is not an origin like https://help.example.com.") % bad_origins[0]
            )
        else:
            self.frame_ancestors = "\n".join(o.rstrip("/") for o in origins)
        try:
            zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            errors["time_zone"] = _("Unknown time zone. Use a name like Europe/Berlin.")
        if self.notice_starts and self.notice_ends and self.notice_ends <= self.notice_starts:
            errors["notice_ends"] = _("The notice must end after it starts.")
        if errors:
            raise ValidationError(errors)


class SiteTranslation(models.Model):
    """A site's texts in one language; an empty field falls back to the site's own text."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=10, choices=LANGUAGE_CHOICES)
    welcome_text = models.TextField(_("welcome text"), blank=True)
    warning_text = models.TextField(_("safety warning"), blank=True)
    notice_text = models.TextField(_("customer notice"), blank=True)
    consent_text = models.TextField(_("consent text"), blank=True)
    closed_text = models.TextField(_("closed message"), blank=True)
    external_key_label = models.CharField(_("external key label"), max_length=100, blank=True)

    TEXT_FIELDS = (
        "welcome_text",
        "warning_text",
        "notice_text",
        "consent_text",
        "closed_text",
        "external_key_label",
    )

    class Meta:
        verbose_name = _("translation")
        verbose_name_plural = _("translations")
        constraints = [
            models.UniqueConstraint(fields=["site", "language"], name="portal_unique_site_translation")
        ]

    def __str__(self):
        return self.get_language_display()


class SiteHostname(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="hostnames")
    hostname = models.CharField(
        _("hostname"),
        max_length=253,
        unique=True,
        validators=[
            RegexValidator(
                r"^[a-z0-9.-]+$|^\[[0-9a-f:.]+\]$", _("Lower-case hostname without scheme or port.")
            )
        ],
    )

    class Meta:
        verbose_name = _("hostname")
        verbose_name_plural = _("hostnames")

    def __str__(self):
        return self.hostname


class OpeningHours(models.Model):
    """When the help desk takes sessions, in the site's time zone. No rows: always open."""

    WEEKDAYS = [
        (0, _("Monday")),
        (1, _("Tuesday")),
        (2, _("Wednesday")),
        (3, _("Thursday")),
        (4, _("Friday")),
        (5, _("Saturday")),
        (6, _("Sunday")),
    ]

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=WEEKDAYS)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday", "opens"]

    def __str__(self):
        closes = "24:00" if closes_at_midnight(self.closes) else f"{self.closes:%H:%M}"
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{closes}"

    def clean(self):
        # A closing time of 00:00 is the end of the day (shown as 24:00): 20:00–00:00 is the
        # evening, 00:00–00:00 the whole day, and hours past midnight go on the next day's row
        # from 00:00, with no minute closed in between.
        if (
            self.opens is not None
            and self.closes is not None
            and self.closes <= self.opens
            and not closes_at_midnight(self.closes)
        ):
            raise ValidationError({"closes": _("Closing time must be after opening time.")})


def closes_at_midnight(closes) -> bool:
    """An opening-hours row's closing time 00:00: the end of its day, not its start."""
    return closes == datetime.time.min


class Holiday(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["site", "date"], name="portal_unique_holiday")]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}".strip()


class Department(models.Model):
    """A Take Control department, copied by the admin from Management > Departments."""

    backend = models.ForeignKey(Backend, on_delete=models.CASCADE, related_name="departments")
    name = models.CharField(_("name"), max_length=100)
    department_id = models.PositiveIntegerField(_("department ID"))

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["backend", "department_id"], name="portal_unique_department")
        ]

    def __str__(self):
        return f"{self.name} ({self.department_id})"


class Technician(models.Model):
    """A Take Control technician the customer may pick (the Take Control 'representative list')."""

    backend = models.ForeignKey(Backend, on_delete=models.CASCADE, related_name="technicians")
    display_name = models.CharField(_("display name"), max_length=100, help_text=_("What customers see."))
    username = models.EmailField(
        _("username"),
        max_length=254,
        # Take Control signs technicians in by an address on a domain, as it takes a customer's
        # (docs/vendors/takecontrol.md#new-session-url): `tech@localhost` routes to nobody.
        validators=[
            email_on_a_domain_validator(_("Enter the technician's email address, like name@example.com."))
        ],
        help_text=_("The technician's Take Control username (email)."),
    )
    listed = models.BooleanField(_("shown in the technician list"), default=True)
    order = models.IntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("technician")
        verbose_name_plural = _("technicians")
        ordering = ["order", "display_name"]
        constraints = [
            models.UniqueConstraint(fields=["backend", "username"], name="portal_unique_technician")
        ]

    def __str__(self):
        return self.display_name

    @property
    def username_accepted(self) -> bool:
        """Whether the stored username passes today's rule: one saved before the rule
        (`jane@localhost`) does not, and no start is sent to it
        (docs/decisions/0126-values-stored-before-todays-rules.md)."""
        return is_email_on_a_domain(self.username)


class Issue(models.Model):
    class Chat(models.TextChoices):
        SITE = "site", _("As the site says")
        OFF = "off", _("Full client only")
        ALWAYS = "always", _("Always chat only")

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="issues", verbose_name=_("site"))
    display_name = models.CharField(_("display name"), max_length=100)
    code_name = models.CharField(
        _("code name"), max_length=limits.CODE_NAME_MAX, validators=[code_name_validator]
    )
    vendor_id = models.PositiveIntegerField(
        _("numeric ID"),
        null=True,
        blank=True,
        help_text=_("BeyondTrust issue ID. Set: the start sends id instead of codeName."),
    )
    description = models.TextField(
        _("description"),
        blank=True,
        help_text=_(
            "Shown to customers under the issue's name in the survey, when it lists six issues or fewer."
        ),
    )
    order = models.IntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        null=True,
        blank=True,
        choices=[(1, _("High")), (2, _("Medium")), (3, _("Low"))],
    )
    skills = models.CharField(
        _("skills"), max_length=500, blank=True, help_text=_("Skill code names, separated by commas.")
    )
    chat = models.CharField(_("chat"), max_length=10, choices=Chat.choices, default=Chat.SITE)
    chat_locale = models.CharField(
        _("chat language"),
        max_length=LOCALE_CODE_MAX,
        blank=True,
        help_text=_("For this issue instead of the site's chat language, e.g. cs-cs. Empty: the site's."),
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("department (Take Control)"),
    )
    technician = models.ForeignKey(
        Technician,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("technician (Take Control)"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("issue")
        verbose_name_plural = _("issues")
        ordering = ["order", "display_name"]
        constraints = [models.UniqueConstraint(fields=["site", "code_name"], name="portal_unique_issue_code")]

    def __str__(self):
        return self.display_name

    @property
    def skill_list(self) -> list[str]:
        return [s.strip() for s in self.skills.split(",") if s.strip()]

    def clean(self):
        self.chat_locale = normalise_locale_code(self.chat_locale)
        if self.chat_locale and not is_locale_code(self.chat_locale):
            raise ValidationError({"chat_locale": CHAT_LOCALE_ERROR})
        bad = [s for s in self.skill_list if not re.fullmatch(limits.CODE_NAME_PATTERN, s)]
        if bad:
            raise ValidationError({"skills": _("Not a skill code name: %s") % ", ".join(bad)})
        if self.department_id and self.site_id and self.department.backend_id != self.site.backend_id:
            raise ValidationError({"department": _("This department belongs to another backend.")})
        if self.technician_id and self.site_id and self.technician.backend_id != self.site.backend_id:
            raise ValidationError({"technician": _("This technician belongs to another backend.")})
        if self.site_id:
            errors = self.site.backend.adapter.issue_problems(self)
            if errors:
                raise ValidationError(errors)


class IssueTranslation(models.Model):
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=10, choices=LANGUAGE_CHOICES)
    display_name = models.CharField(_("display name"), max_length=100)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("translation")
        verbose_name_plural = _("translations")
        constraints = [
            models.UniqueConstraint(fields=["issue", "language"], name="portal_unique_issue_translation")
        ]

    def __str__(self):
        return self.get_language_display()


class CustomField(models.Model):
    """An admin-defined survey field, sent to the vendor as a custom field named by its code name."""

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        LONG_TEXT = "long_text", _("Long text")
        EMAIL = "email", _("Email")
        NUMBER = "number", _("Number")
        CHOICE = "choice", _("Choice")
        YES_NO = "yes_no", _("Yes/no")

    site = models.ForeignKey(
        Site, on_delete=models.CASCADE, related_name="custom_fields", verbose_name=_("site")
    )
    code_name = models.CharField(
        _("code name"),
        max_length=limits.CODE_NAME_MAX,
        validators=[code_name_validator],
        help_text=_("Must exist on the appliance; sent as session.custom.CODE_NAME."),
    )
    label = models.CharField(_("label"), max_length=100)
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    field_type = models.CharField(_("type"), max_length=10, choices=Type.choices, default=Type.TEXT)
    required = models.BooleanField(_("required"), default=False)
    max_length = models.PositiveIntegerField(
        _("maximum length"),
        default=255,
        validators=[MinValueValidator(1), MaxValueValidator(limits.CUSTOM_FIELD_MAX_CHARS)],
        help_text=_("Characters, at most 1024."),
    )
    choices = models.TextField(
        _("choices"),
        blank=True,
        help_text=_("For a choice field: one per line, 'value' or 'value|label'."),
    )
    order = models.IntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)
    issues = models.ManyToManyField(
        Issue,
        blank=True,
        related_name="custom_fields",
        verbose_name=_("issues"),
        help_text=_("Empty: asked for every issue."),
    )
    prefill_allowed = models.BooleanField(
        _("a prefill link may set it"),
        default=True,
        help_text=_("Query parameter cf_CODE_NAME."),
    )
    prefill_locks = models.BooleanField(
        _("a signed prefill link locks it"),
        default=False,
        help_text=_("A value from a signed link is shown read-only and cannot be changed."),
    )

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["order", "code_name"]
        constraints = [
            models.UniqueConstraint(fields=["site", "code_name"], name="portal_unique_custom_field_code")
        ]

    def __str__(self):
        return self.label

    @property
    def choice_list(self) -> list[tuple[str, str]]:
        pairs = []
        for line in self.choices.splitlines():
            if not line.strip():
                continue
            value, _sep, label = line.partition("|")
            pairs.append((value.strip(), (label or value).strip()))
        return pairs

    def clean(self):
        if self.active and self.site_id:
            problem = self.site.backend.adapter.custom_field_problem(self)
            if problem:
                raise ValidationError({"active": problem})
        if self.code_name == limits.EXTERNAL_KEY_CODE:
            raise ValidationError(
                {"code_name": _("external_key is built in: use the site's external key field.")}
            )
        if self.field_type == self.Type.CHOICE:
            pairs = self.choice_list
            if not pairs:
                raise ValidationError({"choices": _("A choice field needs at least one choice.")})
            values = [value for value, _label in pairs]
            if "" in values:  # '|label': the customer could not tell it from choosing nothing
                raise ValidationError({"choices": _("Each choice needs a value before the |.")})
            repeated = sorted({value for value in values if values.count(value) > 1})
            if repeated:  # the survey would show one of them only
                raise ValidationError(
                    {
                        "choices": _("Each value may be listed once; listed more than once: %(values)s.")
                        % {"values": ", ".join(repeated)}
                    }
                )
            too_long = [v for v, _label in pairs if len(v) > self.max_length]
            if too_long:
                raise ValidationError({"choices": _("A value is longer than the maximum length.")})


class CustomFieldTranslation(models.Model):
    field = models.ForeignKey(CustomField, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=10, choices=LANGUAGE_CHOICES)
    label = models.CharField(_("label"), max_length=100)
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    choices = models.TextField(
        _("choice labels"), blank=True, help_text=_("Optional: 'value|label' lines in this language.")
    )

    class Meta:
        verbose_name = _("translation")
        verbose_name_plural = _("translations")
        constraints = [
            models.UniqueConstraint(fields=["field", "language"], name="portal_unique_field_translation")
        ]

    def __str__(self):
        return self.get_language_display()


class StartRequestManager(models.Manager["StartRequest"]):
    def insert(self, **values: Any) -> None:
        """What `create(**values)` writes, as one INSERT from SQL compiled once per database:
        a call prepares its parameters and runs it, in autocommit unless the caller is in a
        transaction. No model instance, no compiler per call, no save() signals: the ORM's part
        was two thirds of a key start's record (docs/decisions/0094-compiled-start-insert.md).
        While anything listens to this model's init or save signals, it is `create()`.
        `values` are keyed by attname (`site_id`); a field not given takes its default,
        `created_at` the time of the call.
        """
        if any(signal.has_listeners(self.model) for signal in _SAVE_SIGNALS):
            # Something listens to a record's creation now: it gets the ORM's save().
            self.create(**values)
            return
        alias = router.db_for_write(self.model)
        connection = connections[alias]
        sql, fields, attnames = self._compiled(alias, connection.vendor)
        unknown = values.keys() - attnames
        if unknown:
            raise TypeError(f"StartRequest has no field {', '.join(sorted(unknown))}")
        values["created_at"] = timezone.now()
        params = [
            field.get_db_prep_save(
                values[field.attname] if field.attname in values else field.get_default(), connection
            )
            for field in fields
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    def _compiled(self, alias: str, vendor: str) -> tuple[str, list[models.Field], frozenset[str]]:
        """The SQL save() would run for a new record, with the fields its parameters follow and
        their attnames."""
        compiled = _COMPILED_INSERTS.get((alias, vendor))
        if compiled is None:
            fields = [field for field in self.model._meta.local_concrete_fields if not field.primary_key]
            query = InsertQuery(self.model)
            query.insert_values(fields, [self.model()])
            ((sql, _params),) = query.get_compiler(using=alias).as_sql()
            attnames = frozenset(field.attname for field in fields)
            compiled = _COMPILED_INSERTS[(alias, vendor)] = (sql, fields, attnames)
        return compiled


# What create() sends and insert() would skip.
_SAVE_SIGNALS = (signals.pre_init, signals.post_init, signals.pre_save, signals.post_save)
# (database alias, vendor) -> the compiled INSERT of StartRequestManager.insert.
_COMPILED_INSERTS: dict[tuple[str, str], tuple[str, list[models.Field], frozenset[str]]] = {}


class StartRequest(models.Model):
    """A record of one start attempt. Personal data only when the site keeps it."""

    class Flow(models.TextChoices):
        REP = "rep", _("Representative list")
        KEY = "key", _("Session key")
        SURVEY = "survey", _("Issue survey")
        API = "api", _("Integrations API")

    class Outcome(models.TextChoices):
        STARTED = "started", _("Sent to the vendor")
        PREVIEW = "preview", _("Previewed")
        INVALID = "invalid", _("Refused: invalid input")
        FAILED = "failed", _("Failed: vendor error")

    site = models.ForeignKey(
        Site, null=True, on_delete=models.SET_NULL, related_name="starts", verbose_name=_("site")
    )
    flow = models.CharField(_("flow"), max_length=10, choices=Flow.choices)
    issue = models.ForeignKey(
        Issue, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("issue")
    )
    backend_kind = models.CharField(_("backend"), max_length=20, choices=Backend.Kind.choices)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    locale = models.CharField(_("language"), max_length=10, blank=True)
    embedded = models.BooleanField(_("embedded"), default=False)
    chat = models.BooleanField(_("chat only"), default=False)
    error_fields = models.CharField(_("invalid fields"), max_length=500, blank=True)
    customer_data = models.JSONField(_("customer data"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    objects = StartRequestManager()

    class Meta:
        verbose_name = _("start request")
        verbose_name_plural = _("start requests")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_flow_display()} · {self.get_outcome_display()} · {self.created_at:%Y-%m-%d %H:%M}"


TOKEN_NAME_MAX_CHARS = 100  # `portal_token --name` refuses what the column cannot hold


class ApiToken(models.Model):
    """A token for the integrations API: shown once, stored as a SHA-256 hash, revocable."""

    name = models.CharField(
        _("name"), max_length=TOKEN_NAME_MAX_CHARS, help_text=_("Who uses it, e.g. 'Zendesk'.")
    )
    site = models.ForeignKey(
        Site, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("site")
    )
    prefix = models.CharField(_("prefix"), max_length=12, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"
