"""What a customer's browser shows while gunicorn runs on a database not migrated yet: the
"not set up yet" page, styled, in the browser's language, with nothing failing on it
(docs/decisions/0125-an-unmigrated-database-at-start.md; tests/server/test_unmigrated_start.py
for the log and /readyz)."""

from __future__ import annotations

import pytest

from tests.server.portal_server import portal_under_gunicorn

pytestmark = [pytest.mark.browser, pytest.mark.gunicorn]


def test_the_not_set_up_page_shows_styled_and_whole_before_migrate(browser, tmp_path):
    context = browser.new_context(locale="ja-JP")
    page = context.new_page()
    problems: list[str] = []
    base = ""
    # Chromium says "Failed to load resource" for the page's own 503 too: only others count.
    page.on(
        "console",
        lambda message: (
            problems.append(f"{message.text} {message.location['url']}")
            if message.type == "error" and message.location["url"].rstrip("/") != base
            else None
        ),
    )
    page.on("requestfailed", lambda request: problems.append(f"failed {request.url}"))
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.request.resource_type != "document"
            else None
        ),
    )
    try:
        with portal_under_gunicorn(tmp_path, migrated=False, PORTAL_STATIC_FINDERS="true") as (base_url, *_):
            base = base_url
            response = page.goto(f"{base_url}/", wait_until="load")
            assert response is not None and response.status == 503
            heading = page.locator("h1")
            assert heading.inner_text() == "このサポートポータルはまだ設定されていません"
            assert page.locator("html").get_attribute("lang") == "ja"
            # The style sheet applied: the card is laid out as on every customer page.
            assert page.locator(".card").evaluate("card => getComputedStyle(card).borderRadius") != "0px"
            assert "Traceback" not in page.content()
    finally:
        context.close()
    assert problems == []
