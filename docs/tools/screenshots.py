"""Photographs every customer page of the demo (`make screenshots`) into docs/screenshots/.

The demo data goes into a throwaway data folder (SQLite and cache), a development server
serves it on a free loopback port, and Debian's Chromium, driven by Playwright, opens each
page in en-us, de and ja at a desktop (1280x800) and a phone (390x844) size. Every wait is
for an event (the server's ready line, a page's load event, a navigation), never a timer.
Device scale 1 keeps the committed PNGs small.

A representative few pages are photographed once more with the demo site set to the Dark colour
scheme, in en-us only (`<page>-dark-en-us-<size>.png`): the layout is the same as on the light
pages, so the colours are what is new, and ten more pictures cost a fraction of the run.

The Preview backend never leaves the portal, so a second site on a Take Control backend
(chosen by its hostname, `localhost`, while 127.0.0.1 gets the default site) shows the pages
Preview cannot: the technician list, the PIN page, the REST start's queue page and its
"temporarily unavailable" page (REST mode talks to the fake account from
tests/fakes/takecontrol.py, run in this process on 127.0.0.1), and the "ready" page a start
from inside a frame ends on (`embed=1`, here opened as a top-level page, as it renders).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # the fake Take Control account lives in tests/fakes

# Only importable once ROOT is on the path: the script runs from anywhere, and tests/ is no package
# the project installs.
from tests.fakes.server import running  # noqa: E402
from tests.fakes.takecontrol import FakeTakeControlServer  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
LANGUAGES = ("en-us", "de", "ja")
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking"]
HOLIDAY_TODAY = (
    "import datetime, zoneinfo; from portal.models import Holiday, Site; "
    "site = Site.objects.get(is_default=True); "
    "Holiday.objects.create(site=site, date=datetime.datetime.now(zoneinfo.ZoneInfo(site.time_zone)).date())"
)
# The dark scheme's representative pages: the ways in under the demo's notice, a form and
# another's error summary, the start with its safety warning, an error page.
DARK_PAGES = ("home", "survey-errors", "key", "start", "not-found")
DEMO_SCHEME = (
    "from portal.models import Site; site = Site.objects.get(is_default=True); "
    "site.color_scheme = {scheme!r}; site.save()"
)
TAKECONTROL_HOST = "localhost"  # SiteHostname: the default site answers 127.0.0.1
# The Take Control site: REST mode against the fake account, two listed technicians (and one
# unlisted), the demo site's translated texts (consent included) copied over, but not its
# notice (that the Preview backend starts nothing, which is not true of this site).
TAKECONTROL_SITE = """
from portal.models import Backend, Site, SiteHostname, SiteTranslation, Technician
rest_url, public_key = {rest_url!r}, {public_key!r}
demo = Site.objects.get(is_default=True)
TEXTS = [field for field in SiteTranslation.TEXT_FIELDS if field != "notice_text"]
backend = Backend.objects.create(name="Take Control", kind=Backend.Kind.TAKECONTROL, base_url=rest_url,
                                 tc_mode=Backend.TakeControlMode.REST, tc_public_key=public_key)
for order, (name, username, listed) in enumerate([("Anna Schmidt", "anna@example.com", True),
                                                  ("Kenji Sato", "kenji@example.com", True),
                                                  ("Off Duty", "off@example.com", False)]):
    Technician.objects.create(
        backend=backend, display_name=name, username=username, listed=listed, order=order
    )
site = Site.objects.create(name="Example Remote Help", backend=backend, chat_mode=Site.ChatMode.OFF,
                           **{{field: getattr(demo, field) for field in TEXTS}},
                           contact_email=demo.contact_email, contact_phone=demo.contact_phone,
                           contact_url=demo.contact_url, privacy_url=demo.privacy_url)
SiteHostname.objects.create(site=site, hostname={hostname!r})
for translation in demo.translations.all():
    translation.pk, translation.site, translation.notice_text = None, site, ""
    translation.save()
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def manage(env: dict, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )


def start_server(env: dict, port: int) -> subprocess.Popen:
    """runserver, returned once it prints that it listens (its own ready signal)."""
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    for line in server.stdout:
        if "Quit the server with" in line:
            return server
    raise SystemExit(f"the demo server stopped before it served (exit {server.wait()})")


def submit(page, selector: str) -> None:
    with page.expect_navigation(wait_until="load"):
        page.locator(selector).click()


def open_pages(page, base: str, language: str):
    """Yields the name of each customer page once it is shown."""
    query = f"?locale={language}"
    page.goto(f"{base}/{query}", wait_until="load")
    yield "home"
    page.goto(f"{base}/reps/{query}", wait_until="load")
    yield "reps"
    page.goto(f"{base}/key/{query}", wait_until="load")
    yield "key"
    submit(page, ".key-form button[type=submit]")
    yield "key-errors"
    page.goto(f"{base}/survey/{query}", wait_until="load")
    yield "survey"
    submit(page, ".survey-form button[type=submit]")
    yield "survey-errors"
    page.goto(f"{base}/key/{query}", wait_until="load")
    page.locator("#id_key").fill("123 4567")
    submit(page, ".key-form button[type=submit]")
    yield "start"
    page.goto(f"{base}/no-such-page/{query}", wait_until="load")
    yield "not-found"


def photograph(browser, base: str, walk, *, languages=LANGUAGES, pages=None, scheme: str = "") -> None:
    """Each page `walk(page, base, language)` shows, in every language at every size; only
    `pages` of them when given, their names marked with the colour `scheme` when given."""
    marked = f"-{scheme}" if scheme else ""
    for language in languages:
        for label, (width, height) in SIZES.items():
            context = browser.new_context(
                viewport={"width": width, "height": height},
                device_scale_factor=1,
                locale=language,
                timezone_id="Europe/Berlin",
            )
            page = context.new_page()
            for name in walk(page, base, language):
                if pages is None or name in pages:
                    page.screenshot(path=OUT / f"{name}{marked}-{language}-{label}.png")
            context.close()


def takecontrol_pages(fake):
    """The Take Control site's pages; `fake` is the running fake account REST mode calls."""

    def walk(page, base: str, language: str):
        query = f"?locale={language}"
        page.goto(f"{base}/technicians/{query}", wait_until="load")
        yield "technicians"
        fake.state["mode"] = "ok"  # the vendor queues the session
        page.locator("#id_consent").check()
        submit(page, ".technician-form button.tile >> nth=0")
        yield "queued"
        page.goto(f"{base}/technicians/{query}", wait_until="load")
        fake.state["mode"] = "500"  # the vendor is down: nothing was sent
        page.locator("#id_consent").check()
        submit(page, ".technician-form button.tile >> nth=0")
        fake.state["mode"] = "ok"
        yield "failed"
        page.goto(f"{base}/key/{query}", wait_until="load")
        yield "pin"
        # A start from inside a frame (embed=1) ends on the page whose button leaves the frame.
        page.goto(f"{base}/key/{query}&embed=1", wait_until="load")
        page.locator("#id_key").fill("123 456 789")
        submit(page, ".key-form button[type=submit]")
        yield "ready"

    return walk


def closed_page(page, base: str, language: str):
    page.goto(f"{base}/?locale={language}", wait_until="load")
    yield "closed"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="portal-screenshots-") as data:
        env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "CACHE_URL"}}
        # DEBUG off, as customers see it (the real error pages); WhiteNoise serves the static
        # files straight from static/ (finders, no manifest), so no collectstatic is needed.
        # Every page is posted from one address within a minute: more than the default rate limit.
        env.update(
            PORTAL_DATA_DIR=data,
            DJANGO_DEBUG="false",
            PORTAL_HTTPS="false",
            PYTHONUNBUFFERED="1",
            PORTAL_STATIC_FINDERS="true",
            PORTAL_MANIFEST_STATIC="false",
            PORTAL_RATE_LIMIT="1000",
        )
        manage(env, "migrate", "--no-input")
        manage(env, "portal_demo", "--no-user")
        port = free_port()
        with running(FakeTakeControlServer()) as fake:
            manage(
                env,
                "shell",
                "-c",
                TAKECONTROL_SITE.format(
                    rest_url=fake.rest_url, public_key=fake.public_key, hostname=TAKECONTROL_HOST
                ),
            )
            server = start_server(env, port)
            try:
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(
                        executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
                    )
                    base = f"http://127.0.0.1:{port}"
                    photograph(browser, base, open_pages)
                    photograph(browser, f"http://{TAKECONTROL_HOST}:{port}", takecontrol_pages(fake))
                    manage(env, "shell", "-c", DEMO_SCHEME.format(scheme="dark"))
                    photograph(
                        browser, base, open_pages, languages=("en-us",), pages=DARK_PAGES, scheme="dark"
                    )
                    manage(env, "shell", "-c", DEMO_SCHEME.format(scheme="light"))
                    manage(env, "shell", "-c", HOLIDAY_TODAY)  # the page outside opening hours
                    photograph(browser, base, closed_page)
                    browser.close()
            finally:
                server.terminate()
                server.wait()
    total = sum(path.stat().st_size for path in OUT.glob("*.png"))
    print(f"screenshots: {len(list(OUT.glob('*.png')))} files, {total // 1024} KB in {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
