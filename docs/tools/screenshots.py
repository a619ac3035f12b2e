"""Photographs every customer page of the demo (`make screenshots`) into docs/screenshots/.

The demo data goes into a throwaway data folder (SQLite and cache), a development server
serves it on a free loopback port, and Debian's Chromium, driven by Playwright, opens each
page in en-us, de and ja at a desktop (1280x800) and a phone (390x844) size. Every wait is
for an event (the server's ready line, a page's load event, a navigation), never a timer.
Device scale 1 keeps the committed PNGs small.
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
OUT = ROOT / "docs" / "screenshots"
LANGUAGES = ("en-us", "de", "ja")
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking"]
HOLIDAY_TODAY = ("import datetime, zoneinfo; from portal.models import Holiday, Site; "
                 "site = Site.objects.get(is_default=True); "
                 "Holiday.objects.create(site=site, date=datetime.datetime.now(zoneinfo.ZoneInfo(site.time_zone)).date())")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def start_server(env: dict, port: int) -> subprocess.Popen:
    """runserver, returned once it prints that it listens (its own ready signal)."""
    server = subprocess.Popen([sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
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


def photograph(browser, base: str, walk) -> None:
    """Each page `walk(page, base, language)` shows, in every language at every size."""
    for language in LANGUAGES:
        for label, (width, height) in SIZES.items():
            context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1,
                                          locale=language, timezone_id="Europe/Berlin")
            page = context.new_page()
            for name in walk(page, base, language):
                page.screenshot(path=OUT / f"{name}-{language}-{label}.png")
            context.close()


def closed_page(page, base: str, language: str):
    page.goto(f"{base}/?locale={language}", wait_until="load")
    yield "closed"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="portal-screenshots-") as data:
        env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "CACHE_URL"}}
        # DEBUG off, as customers see it (the real error pages); WhiteNoise serves the static
        # files straight from static/ (finders, no manifest), so no collectstatic is needed.
        env.update(PORTAL_DATA_DIR=data, DJANGO_DEBUG="false", PORTAL_HTTPS="false", PYTHONUNBUFFERED="1",
                   PORTAL_STATIC_FINDERS="true", PORTAL_MANIFEST_STATIC="false")
        manage(env, "migrate", "--no-input")
        manage(env, "portal_demo", "--no-user")
        port = free_port()
        server = start_server(env, port)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                base = f"http://127.0.0.1:{port}"
                photograph(browser, base, open_pages)
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
