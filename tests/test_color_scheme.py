"""A site's colour scheme: light (today's look), dark, or following the device
(docs/decisions/0110-dark-colour-scheme.md). The dark pages keep every colour pair readable
(WCAG 2.2 AA: 4.5:1 for text, 3:1 for borders, icons and focus rings) whatever primary colour
the admin chose; "follow the device" is the same bytes for every visitor."""

from __future__ import annotations

import colorsys
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.branding import (
    DARK,
    DARK_BRAND_SURFACES,
    MIN_TEXT_CONTRAST,
    MIN_UI_CONTRAST,
    contrast_ratio,
    dark_theme,
    ink_on,
    primary_on_dark,
    relative_luminance,
    theme_css,
)
from portal.models import Site
from tests.conftest import save_site_in_admin
from tests.parsed_html import element, elements
from tests.test_branding_and_hours import PNG_1PX

# Every 15th value of each channel, 0 to 255: 5,832 colours, the greys, the pure hues, navy,
# pastel, near-black and near-white among them.
CHANNEL = range(0, 256, 15)
COLOURS = [f"#{r:02x}{g:02x}{b:02x}" for r in CHANNEL for g in CHANNEL for b in CHANNEL]
# Brand colours admins really pick, the yellow the light pages refuse among them.
BRANDS = ["#1a5fb4", "#0b5394", "#ffee00", "#e30613", "#6a1b9a", "#000000", "#ff6600", "#008080"]


def hls(colour: str) -> tuple[float, float, float]:
    return colorsys.rgb_to_hls(*(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)))


def css_custom_properties(css: str, selector: str = ":root") -> dict[str, str]:
    """The custom properties of the first `selector {...}` block, #rgb written as #rrggbb."""
    block = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", css)
    assert block, selector
    values = dict(re.findall(r"(--[\w-]+)\s*:\s*([^;]+?)\s*(?:;|$)", block.group(1)))
    return {name: re.sub(r"^#(\w)(\w)(\w)$", r"#\1\1\2\2\3\3", value) for name, value in values.items()}


def portal_css() -> str:
    return (Path(settings.BASE_DIR) / "static" / "portal" / "portal.css").read_text(encoding="utf-8")


# ------------------------------------------------------------------------------
# The primary colour on dark pages
# ------------------------------------------------------------------------------
def test_every_primary_colour_reads_on_the_dark_pages():
    """For each colour an admin can choose: links and icons read (4.5:1) on every dark surface,
    buttons stand out from the cards (3:1), and the buttons' text reads on them (4.5:1)."""
    unreadable = {}
    for colour in COLOURS:
        theme = dark_theme(colour)
        brand, on_brand = theme["--brand"], theme["--on-brand"]
        ratios = {
            **{f"brand on {s}": contrast_ratio(brand, DARK[s]) for s in DARK_BRAND_SURFACES},
            "button on card": contrast_ratio(brand, DARK["--card"]),
            "button text": contrast_ratio(on_brand, brand),
        }
        needed = {name: MIN_UI_CONTRAST if name == "button on card" else MIN_TEXT_CONTRAST for name in ratios}
        failing = {name: round(ratio, 2) for name, ratio in ratios.items() if ratio < needed[name]}
        if failing:
            unreadable[colour] = (brand, failing)
    assert len(COLOURS) == 18**3
    assert unreadable == {}


def test_a_primary_that_reads_on_dark_is_kept_and_one_that_does_not_gets_a_lighter_shade_of_its_hue():
    kept = changed = 0
    for colour in COLOURS:
        shade = primary_on_dark(colour)
        lightest = min(contrast_ratio(colour, DARK[s]) for s in DARK_BRAND_SURFACES)
        if lightest >= MIN_TEXT_CONTRAST:
            assert shade == colour
            kept += 1
            continue
        changed += 1
        assert relative_luminance(shade) > relative_luminance(colour), colour
        hue, _lightness, saturation = hls(colour)
        shade_hue, _shade_lightness, shade_saturation = hls(shade)
        if saturation > 0.2:  # a colour, not a grey: the same hue, not washed out to grey
            assert min(abs(shade_hue - hue), 1 - abs(shade_hue - hue)) < 0.01, (colour, shade)
            assert abs(shade_saturation - saturation) < 0.02, (colour, shade)
        # no lighter than needed: the next shade down would not read
        assert min(contrast_ratio(shade, DARK[s]) for s in DARK_BRAND_SURFACES) < MIN_TEXT_CONTRAST + 0.1
    assert kept > 1000 and changed > 1000  # both cases really ran


@pytest.mark.parametrize("colour", BRANDS)
def test_the_primary_of_the_dark_pages_is_the_same_for_any_spelling(colour):
    assert primary_on_dark(colour.upper()) == primary_on_dark(colour)


def test_button_text_is_white_or_near_black_whichever_reads():
    assert ink_on("#000000") == "#ffffff"
    assert ink_on("#1a5fb4") == "#ffffff"
    assert ink_on("#ffee00") == DARK["--bg"]
    assert ink_on(primary_on_dark("#1a5fb4")) == DARK["--bg"]


# ------------------------------------------------------------------------------
# The dark scheme's own colours
# ------------------------------------------------------------------------------
# The pairs the dark pages draw: (foreground, background, what it is, the contrast it needs).
TEXT_SURFACES = [
    "--bg",
    "--card",
    "--field-bg",
    "--locked-bg",
    "--code-bg",
    "--notice-bg",
    "--warning-bg",
    "--icon-bg",
]
DARK_PAIRS = (
    [("--text", surface, MIN_TEXT_CONTRAST) for surface in TEXT_SURFACES]
    + [("--muted", surface, MIN_TEXT_CONTRAST) for surface in ("--bg", "--card", "--field-bg")]
    + [("--error", surface, MIN_TEXT_CONTRAST) for surface in ("--bg", "--card", "--field-bg")]
    + [("--border", surface, MIN_UI_CONTRAST) for surface in ("--bg", "--card", "--field-bg")]
    + [("--online", "--card", MIN_UI_CONTRAST)]
)


@pytest.mark.parametrize(("foreground", "background", "needed"), DARK_PAIRS)
def test_the_dark_colours_read_on_each_other(foreground, background, needed):
    assert contrast_ratio(DARK[foreground], DARK[background]) >= needed


def test_the_focus_ring_shows_on_both_schemes():
    """The ring is amber (--focus, the same on both) around a ring of the text colour: one of
    the two stands out on any surface of either scheme."""
    light = css_custom_properties(portal_css())
    for surface in ("--bg", "--card", "--icon-bg"):
        assert contrast_ratio(light["--focus"], DARK[surface]) >= MIN_UI_CONTRAST
    for surface in ("--bg", "--card"):
        assert contrast_ratio(light["--text"], light[surface]) >= MIN_UI_CONTRAST
    assert ":focus-visible { outline: 3px solid var(--focus)" in portal_css()


def test_the_dark_scheme_replaces_every_colour_of_the_stylesheet():
    """portal.css names each colour once, in :root, and the dark scheme has a value for each:
    a colour added to the stylesheet without a dark one would show light on dark pages."""
    css = portal_css()
    light = css_custom_properties(css)
    root_end = css.index("}", css.index(":root")) + 1
    assert re.findall(r"#[0-9a-fA-F]{3,6}\b", css[root_end:]) == []  # no colour outside :root
    same_on_both = {"--focus", "--radius"}
    from_the_site = {"--brand", "--on-brand"}
    assert set(light) - same_on_both == set(DARK) | from_the_site
    assert set(dark_theme("#1a5fb4")) == set(DARK) | from_the_site | {"color-scheme"}


# ------------------------------------------------------------------------------
# theme.css
# ------------------------------------------------------------------------------
def test_light_is_todays_theme():
    css = theme_css(scheme=Site.ColorScheme.LIGHT, primary="#123456", text="#1d1d1f", background="#f6f7f9")
    assert css == ":root{--brand:#123456;--text:#1d1d1f;--bg:#f6f7f9}\n"


def test_dark_draws_the_dark_colours_and_the_lightened_primary():
    css = theme_css(scheme=Site.ColorScheme.DARK, primary="#1a5fb4", text="#1d1d1f", background="#ffffff")
    assert "color-scheme:dark" in css and "@media" not in css
    values = css_custom_properties(css)
    assert values["--brand"] == primary_on_dark("#1a5fb4") != "#1a5fb4"
    assert values["--bg"] == DARK["--bg"] and values["--text"] == DARK["--text"]
    assert "#1d1d1f" not in css  # the site's light text colour plays no part


def test_follow_the_device_is_light_with_dark_in_a_media_query():
    css = theme_css(scheme=Site.ColorScheme.DEVICE, primary="#1a5fb4", text="#1d1d1f", background="#f6f7f9")
    light, media = css.split("@media", 1)
    assert css_custom_properties(light) == {"--brand": "#1a5fb4", "--text": "#1d1d1f", "--bg": "#f6f7f9"}
    assert media.startswith(" (prefers-color-scheme:dark){:root{color-scheme:dark;")
    assert css_custom_properties(media)["--brand"] == primary_on_dark("#1a5fb4")
    assert css_custom_properties(media)["--bg"] == DARK["--bg"]


@pytest.mark.django_db
@pytest.mark.parametrize("scheme", list(Site.ColorScheme))
def test_the_page_and_its_theme_are_the_same_bytes_for_every_visitor(client, site, scheme):
    """Nothing of the visitor's device reaches the answer: a dark and a light device, another
    browser, get the very same page and theme (the page from the page cache)."""
    site.color_scheme = scheme
    site.save()
    visitors = [
        {
            "HTTP_SEC_CH_PREFERS_COLOR_SCHEME": "dark",
            "HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux) Chrome/124",
        },
        {
            "HTTP_SEC_CH_PREFERS_COLOR_SCHEME": "light",
            "HTTP_USER_AGENT": "Mozilla/5.0 (Macintosh) Safari/605",
        },
        {},
    ]
    pages = [client.get("/", **headers) for headers in visitors]
    assert len({page.content for page in pages}) == 1
    assert all("prefers-color-scheme" not in page.get("Vary", "").lower() for page in pages)
    [link] = [
        e for e in elements(pages[0].content.decode(), "link", rel="stylesheet") if "theme" in e.attrs["href"]
    ]
    themes = [client.get(link.attrs["href"], **headers) for headers in visitors]
    assert len({theme.content for theme in themes}) == 1
    assert themes[0].content.decode() == theme_css(
        scheme=scheme, primary=site.primary_color, text=site.text_color, background=site.background_color
    )


# ------------------------------------------------------------------------------
# Admin
# ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_site_form_offers_the_three_schemes_with_help(admin_client, site):
    html = admin_client.get(reverse("admin:portal_site_change", args=[site.pk])).content.decode()
    options = [
        part for part in element(html, "select", name="color_scheme").parts if not isinstance(part, str)
    ]
    assert {option.attrs["value"]: option.text for option in options} == {
        "light": "Light",
        "dark": "Dark",
        "device": "Follow the device",
    }
    assert [option.attrs["value"] for option in options if "selected" in option.attrs] == ["light"]
    assert "embed a dark portal" in element(html, "div", id="id_color_scheme_helptext").text


@pytest.mark.django_db
def test_the_site_form_is_translated(admin_client, site):
    url = reverse("admin:portal_site_change", args=[site.pk])
    html = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert element(html, "label", **{"for": "id_color_scheme"}).text.startswith("Farbschema")
    assert "Wie auf dem Gerät eingestellt" in element(html, "select", name="color_scheme").text
    assert element(html, "label", **{"for": "id_logo_dark"}).text.startswith("Logo für dunkle Seiten")


@pytest.mark.django_db
def test_saving_dark_in_admin_serves_the_dark_theme(admin_client, client, site):
    response = save_site_in_admin(admin_client, site, color_scheme="dark")
    assert response.status_code == 302
    site.refresh_from_db()
    assert site.color_scheme == Site.ColorScheme.DARK
    [link] = [
        e
        for e in elements(client.get("/").content.decode(), "link", rel="stylesheet")
        if "theme" in e.attrs["href"]
    ]
    assert "color-scheme:dark" in client.get(link.attrs["href"]).content.decode()


@pytest.mark.django_db
def test_a_dark_site_may_use_a_primary_that_only_reads_on_dark(admin_client, site):
    """Yellow under white button text is refused on light pages (tests/admin/test_setup.py);
    a dark site draws it under near-black text, so nothing is refused or warned about."""
    response = save_site_in_admin(
        admin_client, site, color_scheme="dark", primary_color="#ffee00", follow=True
    )
    assert response.redirect_chain and response.status_code == 200
    assert not [m for m in response.context["messages"] if "contrast" in str(m)]
    site.refresh_from_db()
    assert site.primary_color == "#ffee00"


@pytest.mark.django_db
def test_leaving_dark_checks_the_light_colours_again(admin_client, site):
    site.color_scheme, site.primary_color = Site.ColorScheme.DARK, "#ffee00"
    site.save()
    for scheme in ("light", "device"):
        response = save_site_in_admin(admin_client, site, color_scheme=scheme, primary_color="#ffee00")
        assert response.status_code == 200, scheme  # the form again
        assert "White button text on the primary colour has a contrast of" in response.content.decode()
    site.refresh_from_db()
    assert site.color_scheme == Site.ColorScheme.DARK


@pytest.mark.django_db
def test_between_light_and_following_the_device_colours_accepted_before_stay_accepted(admin_client, site):
    """The light pages' colours are the same on both: a switch is no change of colours."""
    site.primary_color = "#ffee00"  # accepted with low contrast when it was saved
    site.save()
    for scheme in ("device", "light"):
        response = save_site_in_admin(admin_client, site, color_scheme=scheme, primary_color="#ffee00")
        assert response.status_code == 302, scheme
        site.refresh_from_db()
        assert site.color_scheme == scheme


def theme_link(client) -> str:
    [link] = [
        e
        for e in elements(client.get("/").content.decode(), "link", rel="stylesheet")
        if "theme" in e.attrs["href"]
    ]
    return link.attrs["href"]


@pytest.mark.django_db
def test_the_theme_address_changes_with_its_colours_even_within_one_second(client, site):
    """/theme.css is cached for 5 minutes by its address; the address carried the site's last
    change to the second, so two saves in one second kept the older colours in browsers."""
    with time_machine.travel(datetime(2026, 12, 7, 9, 0, tzinfo=UTC), tick=False):
        first = theme_link(client)
        site.color_scheme = Site.ColorScheme.DARK
        site.save()
        dark = theme_link(client)
        site.primary_color = "#aa3300"
        site.save()
        recoloured = theme_link(client)
        site.name = "Acme Help"  # nothing the theme is made of
        site.save()
        renamed = theme_link(client)
    assert len({first, dark, recoloured}) == 3
    assert renamed == recoloured


# ------------------------------------------------------------------------------
# The logo for dark pages
# ------------------------------------------------------------------------------
def header_logos(client) -> list:
    """The header's brand link: its images and <picture> sources, as (tag, attributes)."""
    brand = element(client.get("/").content.decode(), "a", **{"class": "brand"})
    return [(e.tag, e.attrs) for e in elements(brand) if e.tag in ("picture", "source", "img", "svg")]


@pytest.fixture
def logos(site, settings, tmp_path):
    """The site with a logo and a logo for dark pages: their addresses."""
    settings.MEDIA_ROOT = tmp_path
    site.logo.save("acme.png", io.BytesIO(PNG_1PX))
    site.logo_dark.save("acme-dark.png", io.BytesIO(PNG_1PX))
    return f"/media/{site.logo.name}", f"/media/{site.logo_dark.name}"


IMG = {"class": "logo", "alt": "", "height": "48"}


@pytest.mark.django_db
def test_a_dark_site_shows_its_dark_logo_and_a_light_one_its_logo(client, site, logos):
    logo, dark_logo = logos
    assert header_logos(client) == [("img", {**IMG, "src": logo})]
    site.color_scheme = Site.ColorScheme.DARK
    site.save()
    assert header_logos(client) == [("img", {**IMG, "src": dark_logo})]


@pytest.mark.django_db
def test_following_the_device_lets_the_browser_pick_the_dark_logo(client, site, logos):
    """A <picture>, no script: the page stays the same bytes for every visitor."""
    logo, dark_logo = logos
    site.color_scheme = Site.ColorScheme.DEVICE
    site.save()
    assert header_logos(client) == [
        ("picture", {}),
        ("source", {"media": "(prefers-color-scheme: dark)", "srcset": dark_logo}),
        ("img", {**IMG, "src": logo}),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("scheme", Site.ColorScheme.values)
def test_without_a_dark_logo_the_logo_shows_as_before(client, site, settings, tmp_path, scheme):
    settings.MEDIA_ROOT = tmp_path
    site.logo.save("acme.png", io.BytesIO(PNG_1PX))
    site.color_scheme = scheme
    site.save()
    assert header_logos(client) == [("img", {**IMG, "src": f"/media/{site.logo.name}"})]


@pytest.mark.django_db
@pytest.mark.parametrize(("scheme", "shown"), [("dark", "dark logo"), ("device", "mark"), ("light", "mark")])
def test_a_dark_logo_alone_shows_on_dark_pages_only(client, site, settings, tmp_path, scheme, shown):
    """Following the device, the light pages need a logo of their own: a dark one alone is not
    used there (a <picture> has no way to fall back to the mark)."""
    settings.MEDIA_ROOT = tmp_path
    site.logo_dark.save("acme-dark.png", io.BytesIO(PNG_1PX))
    site.color_scheme = scheme
    site.save()
    expected = {
        "dark logo": [("img", {**IMG, "src": f"/media/{site.logo_dark.name}"})],
        "mark": [
            (
                "svg",
                {"class": "mark", "width": "40", "height": "40", "aria-hidden": "true", "focusable": "false"},
            )
        ],
    }
    assert header_logos(client) == expected[shown]


@pytest.mark.django_db
def test_the_dark_logo_is_uploaded_under_the_logos_rules_and_served_like_it(
    admin_client, client, site, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    html = admin_client.get(reverse("admin:portal_site_change", args=[site.pk])).content.decode()
    assert element(html, "input", name="logo_dark").attrs["type"] == "file"
    assert "“Follow the device” on a dark device" in element(html, "div", id="id_logo_dark_helptext").text
    refused = save_site_in_admin(
        admin_client, site, logo_dark=SimpleUploadedFile("dark.png", b"<svg onload=alert(1)>")
    )
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["logo_dark"] == ["Upload a PNG, JPEG, WebP or GIF image."]
    site.refresh_from_db()
    assert not site.logo_dark
    saved = save_site_in_admin(
        admin_client, site, color_scheme="dark", logo_dark=SimpleUploadedFile("dark.png", PNG_1PX)
    )
    assert saved.status_code == 302
    site.refresh_from_db()
    assert site.logo_dark.name.startswith("logos/dark")
    response = client.get(f"/media/{site.logo_dark.name}")
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=86400"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PNG_1PX


LOGO_HINT = "dark lettering on a transparent background is hard to see"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("scheme", "dark_logo", "hinted"),
    [
        ("dark", False, True),
        ("device", False, True),
        ("light", False, False),
        ("dark", True, False),
        ("device", True, False),
    ],
)
def test_a_dark_site_with_only_a_light_logo_is_told_after_saving(
    admin_client, site, settings, tmp_path, scheme, dark_logo, hinted
):
    settings.MEDIA_ROOT = tmp_path
    site.logo.save("acme.png", io.BytesIO(PNG_1PX))
    if dark_logo:
        site.logo_dark.save("acme-dark.png", io.BytesIO(PNG_1PX))
    response = save_site_in_admin(admin_client, site, color_scheme=scheme, follow=True)
    site.refresh_from_db()
    assert site.color_scheme == scheme  # never in the way of a save
    warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    assert any(LOGO_HINT in warning for warning in warnings) == hinted, warnings


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("scheme", "logo", "told"),
    [
        ("light", True, "The logo for dark pages is not shown: this site's pages are always light."),
        ("light", False, "The logo for dark pages is not shown: this site's pages are always light."),
        (
            "device",
            False,
            "The logo for dark pages is not shown: on a site that follows the device it is shown only "
            "beside a logo for light pages. Upload that logo too.",
        ),
        ("device", True, None),
        ("dark", False, None),
        ("dark", True, None),
    ],
)
def test_a_dark_logo_the_pages_never_show_is_told_after_saving(
    admin_client, client, site, settings, tmp_path, scheme, logo, told
):
    """A dark logo uploaded for nothing (a Light site, or a device-following one without a
    logo: header_logo shows it in neither) said nothing before (the review)."""
    settings.MEDIA_ROOT = tmp_path
    if logo:
        site.logo.save("acme.png", io.BytesIO(PNG_1PX))
    site.logo_dark.save("acme-dark.png", io.BytesIO(PNG_1PX))
    response = save_site_in_admin(admin_client, site, color_scheme=scheme, follow=True)
    warnings = [str(m) for m in response.context["messages"] if "logo for dark pages is not" in str(m)]
    assert warnings == ([told] if told else [])
    site.refresh_from_db()
    assert site.color_scheme == scheme  # never in the way of a save
    shown = [
        img.attrs.get("src", "") for img in elements(client.get("/").content.decode(), "img", class_="logo")
    ]
    shown += [source.attrs["srcset"] for source in elements(client.get("/").content.decode(), "source")]
    assert any(site.logo_dark.url in address for address in shown) == (told is None)


@pytest.mark.django_db
def test_a_site_without_a_logo_is_not_told_about_one(admin_client, site):
    response = save_site_in_admin(admin_client, site, color_scheme="dark", follow=True)
    assert not [str(m) for m in response.context["messages"] if LOGO_HINT in str(m)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("scheme", "attributes"),
    [
        ("light", {}),
        ("dark", {"data-color-scheme": "dark", "data-dark-background": DARK["--bg"]}),
        ("device", {"data-color-scheme": "device", "data-dark-background": DARK["--bg"]}),
    ],
)
def test_the_admins_snippet_gives_a_dark_sites_frame_the_dark_page_colour(
    admin_client, site, scheme, attributes
):
    """embed.js paints it before the portal's first paint (tests/browser/test_color_scheme.py);
    a Light site's snippet is as it was."""
    site.color_scheme = scheme
    site.save()
    html = admin_client.get(reverse("admin:portal_site_change", args=[site.pk])).content.decode()
    snippet = element(html, "textarea", readonly="").raw_text()
    frame = element(snippet, "iframe")
    assert {name: value for name, value in frame.attrs.items() if name.startswith("data-")} == {
        "data-support-portal": "",
        **attributes,
    }
    assert "style" not in frame.attrs


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("scheme", "failing", "told"),
    [
        (
            "device",
            "logo",
            [
                "Logo fails today's upload checks:",
                "The logo for dark pages is not shown either: on a site that follows the device it is "
                "shown only beside the logo for light pages, which fails today's upload checks.",
            ],
        ),
        ("dark", "logo", ["Logo fails today's upload checks:"]),
        ("dark", "logo_dark", ["Logo for dark pages fails today's upload checks:", LOGO_HINT]),
        ("device", "logo_dark", ["Logo for dark pages fails today's upload checks:", LOGO_HINT]),
        (
            "light",
            "logo_dark",
            [
                "Logo for dark pages fails today's upload checks:",
                "The logo for dark pages is not shown: this site's pages are always light.",
            ],
        ),
    ],
)
def test_a_logo_stored_before_todays_rules_is_named_with_its_reason_after_saving(
    admin_client, client, site, settings, tmp_path, scheme, failing, told
):
    """A logo stored before the pixel limit is not shown (branding.logo_shown): the hints name
    that logo and that reason, not "upload a logo" or "the pages are always light" alone, and
    the dark-lettering hint only when the light pages' logo is what dark pages show."""
    from tests.test_logo_pixels import png

    settings.MEDIA_ROOT = tmp_path
    for name in ("logo", "logo_dark"):
        getattr(site, name).save(f"{name}.png", io.BytesIO(png(30000, 30000) if name == failing else PNG_1PX))
    response = save_site_in_admin(admin_client, site, color_scheme=scheme, follow=True)
    warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    logo_warnings = [w for w in warnings if "logo" in w.lower()]
    assert len(logo_warnings) == len(told), logo_warnings
    for expected in told:
        assert any(expected in warning for warning in logo_warnings), (expected, logo_warnings)
    if told[0].startswith("Logo fails") or told[0].startswith("Logo for dark pages fails"):
        assert "30000×30000" in logo_warnings[0]
    shown = [img.attrs.get("src", "") for img in elements(client.get("/").content.decode(), "img")]
    assert not any(getattr(site, failing).url in address for address in shown)


@pytest.mark.django_db
def test_a_site_whose_logo_file_is_gone_is_saved_and_told_which_one(admin_client, site, settings, tmp_path):
    """The upload rules ran again on the stored logo at each save: a file gone from MEDIA_ROOT
    failed every save of the site with a 500."""
    settings.MEDIA_ROOT = tmp_path
    site.logo.save("acme.png", io.BytesIO(PNG_1PX))
    site.logo_dark.save("acme-dark.png", io.BytesIO(PNG_1PX))
    (tmp_path / site.logo_dark.name).unlink()
    response = save_site_in_admin(admin_client, site, color_scheme="dark", name="Acme Help", follow=True)
    assert response.status_code == 200
    site.refresh_from_db()
    assert (site.name, site.color_scheme) == ("Acme Help", "dark")
    warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    assert (
        "Logo for dark pages fails today's upload checks: Its file cannot be read from MEDIA_ROOT. "
        "Customers are not shown it; upload another."
    ) in warnings
    assert not any("follows the device" in warning for warning in warnings)
