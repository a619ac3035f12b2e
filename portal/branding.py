"""Site branding: the theme's colours and their contrast (WCAG 2.2, 1.4.3 and 1.4.11), the
light and dark colour schemes, and the embedding snippet."""

from __future__ import annotations

import colorsys
import functools
import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http.request import split_domain_port
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from portal import selectors
from portal.models import Site, color_validator, is_loopback_host, validate_logo

MIN_TEXT_CONTRAST = 4.5
MIN_UI_CONTRAST = 3.0  # borders of fields, focus rings, icons (1.4.11)
WHITE = "#ffffff"

# The dark scheme's own colours: every custom property of static/portal/portal.css's :root that
# changes with the scheme (the focus ring's amber reads on both; tests/test_color_scheme.py
# keeps the two lists in step). The site's text and background colours belong to its light
# pages; on dark only the primary colour is the site's own, lightened where it would not read
# (docs/decisions/0110-dark-colour-scheme.md).
DARK = {
    "--bg": "#15171a",
    "--card": "#202327",
    "--text": "#e8eaed",
    "--muted": "#b5bac2",
    "--error": "#ff8a80",
    "--border": "#8a9099",
    "--rule": "#3d424a",
    "--icon-bg": "#2b3037",
    "--field-bg": "#15171a",
    "--locked-bg": "#2b2e34",
    "--code-bg": "#2b2e34",
    "--notice-bg": "#3b3316",
    "--notice-border": "#8f7a22",
    "--warning-bg": "#3a2816",
    "--warning-border": "#e08a2e",
    "--online": "#5cc46d",
    "--button-hover": "brightness(1.12)",
}
# Where the primary colour is drawn on dark pages: links on the page and on cards, the icons'
# circles. What reads on the lightest of them reads on all.
DARK_BRAND_SURFACES = ("--bg", "--card", "--icon-bg")


def is_colour(value: object) -> bool:
    """Whether `value` is a colour the checks below can read: what the sites' own validator
    takes (#rrggbb)."""
    if not isinstance(value, str):
        return False
    try:
        color_validator(value)
    except ValidationError:
        return False
    return True


def relative_luminance(color: str) -> float:
    """WCAG relative luminance of a #rrggbb colour."""
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def contrast_warnings(*, primary: str, text: str, background: str) -> list[str]:
    """Pairs the portal actually draws: text on the page, white on buttons, links on cards."""
    pairs = [
        (text, background, _("Text colour on the background colour")),
        (text, WHITE, _("Text colour on white cards")),
        (WHITE, primary, _("White button text on the primary colour")),
        (primary, WHITE, _("Primary colour (links) on white cards")),
    ]
    warnings = []
    for foreground, back, what in pairs:
        ratio = contrast_ratio(foreground, back)
        if ratio < MIN_TEXT_CONTRAST:
            warnings.append(
                _("%(what)s has a contrast of %(ratio).1f:1; at least 4.5:1 is needed to be readable.")
                % {"what": what, "ratio": ratio}
            )
    return warnings


def shows_light_pages(scheme: object) -> bool:
    """Whether a site's pages are ever light, drawn in its own primary, text and background
    colours as they are: on every colour scheme but Dark."""
    return scheme != Site.ColorScheme.DARK


def primary_on_dark(primary: str) -> str:
    """The primary colour of the dark pages: the site's own where it reads (4.5:1) on every
    surface it is drawn on, else the least lighter shade of the same hue that does.

    Lightness is raised in HLS, which keeps hue and saturation (a navy becomes a sky blue, not
    the grey a mix with white would give). Every channel grows with the lightness, so whether a
    shade reads flips once, from no to yes, and a bisection finds the flip; white, the end of
    the scale, reads on every dark surface, so there is always an answer."""
    if not is_colour(primary):
        return primary
    return _primary_on_dark(primary.lower())


LIGHTNESS_STEPS = 1000


@functools.lru_cache(maxsize=256)
def _primary_on_dark(primary: str) -> str:
    if _reads_on_dark(primary):
        return primary
    hue, lightness, saturation = colorsys.rgb_to_hls(*(int(primary[i : i + 2], 16) / 255 for i in (1, 3, 5)))

    def shade(step: int) -> str:
        rgb = colorsys.hls_to_rgb(hue, lightness + (1 - lightness) * step / LIGHTNESS_STEPS, saturation)
        return "#" + "".join(f"{round(channel * 255):02x}" for channel in rgb)

    fails, reads = 0, LIGHTNESS_STEPS
    while reads - fails > 1:
        middle = (fails + reads) // 2
        if _reads_on_dark(shade(middle)):
            reads = middle
        else:
            fails = middle
    return shade(reads)


def _reads_on_dark(color: str) -> bool:
    return all(contrast_ratio(color, DARK[surface]) >= MIN_TEXT_CONTRAST for surface in DARK_BRAND_SURFACES)


def ink_on(background: str) -> str:
    """White or the dark page's near-black, whichever reads better on `background`: the
    buttons' text on the primary colour."""
    dark = DARK["--bg"]
    return WHITE if contrast_ratio(WHITE, background) >= contrast_ratio(dark, background) else dark


def dark_theme(primary: str) -> dict[str, str]:
    """Every custom property the dark pages set: the dark colours and the primary's shade."""
    brand = primary_on_dark(primary)
    return {"color-scheme": "dark", "--brand": brand, "--on-brand": ink_on(brand), **DARK}


def theme_css(*, scheme: str, primary: str, text: str, background: str) -> str:
    """The site's /theme.css: its colours as custom properties over portal.css's defaults.

    The same bytes for every visitor of a site: "follow the device" is a media query the
    browser answers, never a choice the server makes per request, so the cached pages and this
    file (whose address changes with the site) stay one copy per site."""
    light = f":root{{--brand:{primary};--text:{text};--bg:{background}}}\n"
    if scheme == Site.ColorScheme.DARK:
        return _dark_css(primary) + "\n"
    if scheme == Site.ColorScheme.DEVICE:
        return light + "@media (prefers-color-scheme:dark){" + _dark_css(primary) + "}\n"
    return light


def site_theme_css(site: Site) -> str:
    """The site's /theme.css, from its colour scheme and colours (`theme_css`)."""
    return theme_css(
        scheme=site.color_scheme,
        primary=site.primary_color,
        text=site.text_color,
        background=site.background_color,
    )


def theme_version(site: Site) -> str:
    """A short tag of what the site's /theme.css holds, for its address (`?v=`): a new address
    whenever the file would change, the same one otherwise (it is cached for 5 minutes). The
    site's last change time said the same only to the second, and not after an upgrade that
    changes the dark palette."""
    return hashlib.blake2s(site_theme_css(site).encode(), digest_size=6).hexdigest()


def _dark_css(primary: str) -> str:
    return ":root{" + ";".join(f"{name}:{value}" for name, value in dark_theme(primary).items()) + "}"


def _upload_rules_refusal(file: Any) -> ValidationError | None:
    """What today's upload rules (`validate_logo`) say of a stored logo; OSError when its file
    cannot be read."""
    file.open("rb")
    try:
        validate_logo(file)
    except ValidationError as error:
        return error
    finally:
        file.close()
    return None


def stored_logo_problem(file: Any) -> str:
    """Why a stored logo fails today's upload rules, in the reader's language; "" when it
    passes. A logo stored before a rule was added (the pixel limit, the frames) is not checked
    again on its own: the set-up checklist asks this
    (docs/decisions/0038-branding-without-script.md)."""
    try:
        refusal = _upload_rules_refusal(file)
    except OSError:
        return _("Its file cannot be read from MEDIA_ROOT.")
    return " ".join(refusal.messages) if refusal else ""


# A logo's file name is never used again for another file (docs/decisions/0038-branding-without-script.md):
# what is found of a name holds for the process's life. A file that cannot be read is not kept,
# so a restored MEDIA_ROOT shows its logos again.
_LOGO_PASSES: dict[str, bool] = {}
_LOGO_PASSES_MAX = 256


def logo_shown(file: Any) -> bool:
    """Whether customers are shown this stored logo: one that fails today's upload rules (a
    decompression bomb stored before the pixel limit, a file gone from the disk) is not, and
    the portal's mark takes its place (docs/decisions/0038-branding-without-script.md)."""
    if not file:
        return False
    if file.name not in _LOGO_PASSES:
        try:
            passes = _upload_rules_refusal(file) is None
        except OSError:
            return False
        if len(_LOGO_PASSES) >= _LOGO_PASSES_MAX:
            _LOGO_PASSES.clear()
        _LOGO_PASSES[file.name] = passes
    return _LOGO_PASSES[file.name]


@dataclass(frozen=True)
class HeaderLogo:
    """The header's logo: `src` on the page, and `dark_src` in its place where the device is
    dark (a `<picture>` source, no script) on a site that follows the device."""

    src: str
    dark_src: str = ""


def header_logo(site: Site | None) -> HeaderLogo | None:
    """Which uploaded logo the header shows, None for the portal's own mark: a Dark site's dark
    logo, else its logo; a site that follows the device both, its dark logo for dark devices;
    a Light site its logo (docs/decisions/0110-dark-colour-scheme.md). The dark logo is a
    variant of the logo: a site that follows the device shows it only alongside a logo, as
    the light pages need one."""
    if site is None:
        return None
    logo = site.logo if logo_shown(site.logo) else None
    dark = site.logo_dark if logo_shown(site.logo_dark) else None
    shown = dark or logo
    if site.color_scheme == Site.ColorScheme.DARK and shown:
        return HeaderLogo(src=shown.url)
    if not logo:
        return None
    if site.color_scheme == Site.ColorScheme.DEVICE and dark:
        return HeaderLogo(src=logo.url, dark_src=dark.url)
    return HeaderLogo(src=logo.url)


def dark_logo_unseen(site: Site) -> str:
    """Why the site's logo for dark pages is never shown (header_logo), for the admin: "light"
    (the pages are always light), "no logo" (a site that follows the device shows it only
    beside a logo, and it has none), "logo not shown" (it has one, but customers are not shown
    it: it fails today's upload checks), or "" when it is shown, there is none, or it fails
    those checks itself (`stored_logo_problem` says so, naming it)."""
    if not site.logo_dark:
        return ""
    shown = header_logo(site)
    if shown is not None and site.logo_dark.url in (shown.src, shown.dark_src):
        return ""
    if site.color_scheme == Site.ColorScheme.LIGHT:
        return "light"
    if not logo_shown(site.logo_dark):
        return ""
    return "logo not shown" if site.logo else "no logo"


def logo_may_vanish(site: Site) -> bool:
    """Whether the admin is told that the logo may be hard to see: the site's pages are dark
    (always or on dark devices) and show the light pages' logo there, as no dark one is shown
    (none is set, or it fails today's upload checks)."""
    return (
        site.color_scheme != Site.ColorScheme.LIGHT
        and logo_shown(site.logo)
        and not logo_shown(site.logo_dark)
    )


def embed_snippet(*, origin: str, site_name: str, color_scheme: str = Site.ColorScheme.LIGHT) -> str:
    """The copy-paste HTML a help-desk page needs to embed the portal
    (docs/decisions/0024-iframe-embedding-and-top-level-start.md).

    One template (templates/portal/embed_snippet.html) for the admin's site page and the
    README's example; tests/test_admin_setup.py checks the README shows this very output.
    No inline style or script: the host page's Content-Security-Policy needs nothing for it.
    A site whose pages may be dark gives its frame the dark page colour, which embed.js paints
    (through the CSSOM) before the portal's first paint; a Light site's snippet is as before.
    """
    static_url = settings.STATIC_URL
    if "://" not in static_url:  # served by the portal itself, under its own origin
        static_url = origin + "/" + static_url.lstrip("/")
    return render_to_string(
        "portal/embed_snippet.html",
        {
            "origin": origin,
            "title": site_name,
            "script_url": static_url + "portal/embed.js",
            "color_scheme": color_scheme,
            "dark_background": "" if color_scheme == Site.ColorScheme.LIGHT else DARK["--bg"],
        },
    ).strip()


def site_origin(site, request=None) -> str | None:
    """Where customers reach the site, as `scheme://host[:port]`: for the admin's embedding
    snippet, the API's links and the prefill link command alike.

    The site's first hostname; https unless the portal serves plain http (PORTAL_HTTPS=false,
    where the request's scheme says what a proxy in front of it speaks, and plain http without a
    request); the request's port when that port serves the hostname too: the request came to
    the hostname itself; or it came to a loopback address and the hostname is a loopback name
    (`localhost`, `127.0.0.1`), or the portal serves plain http, a try-out, where one process
    on `127.0.0.1:8000` answers every site and a name given to a second site points there
    (/etc/hosts). Nothing is looked up: a production portal (https) reached through a tunnel
    on `localhost:8000` keeps its sites' own addresses. A site without hostnames is the default
    site, which answers any host: the request's own origin, else None (no address is known, and
    a guessed one would be a dead link). docs/decisions/0024-iframe-embedding-and-top-level-start.md."""
    hostname = selectors.first_hostname(site)
    if not hostname:
        return request.build_absolute_uri("/").rstrip("/") if request is not None else None
    scheme = "https" if settings.HTTPS else (request.scheme if request is not None else "http")
    if request is not None:
        requested, port = split_domain_port(request.get_host())
        served_there = requested == hostname.lower() or (
            is_loopback_host(requested) and (is_loopback_host(hostname) or not settings.HTTPS)
        )
        if port and served_there:
            return f"{scheme}://{hostname}:{port}"
    return f"{scheme}://{hostname}"
