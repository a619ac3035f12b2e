"""Keyboard use (WCAG 2.1.1, 2.4.3, 2.4.7, 3.3.1): errors take focus, their links reach the
field, focus is always visible, and the honeypot is never reached."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def focused(page) -> str:
    """The focused element's id or name, else its tag, link and text (unique enough here)."""
    return page.evaluate("""() => {
        const el = document.activeElement;
        return el.id || el.name || [el.tagName, el.getAttribute("href"), el.textContent.trim()].join(" ");
    }""")


def test_error_summary_takes_focus_and_its_link_moves_focus_to_the_field(page, portal_url, make_site):
    make_site()
    page.goto(f"{portal_url}/key/")
    page.locator("#id_key").focus()
    page.keyboard.type("12")
    page.keyboard.press("Enter")
    page.wait_for_selector("#error-summary")
    expect(page.locator("#error-summary")).to_be_focused()  # portal.js runs after the page shows
    assert page.locator("#error-summary").get_attribute("role") == "alert"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#id_key"
    page.keyboard.press("Enter")
    assert focused(page) == "id_key"
    described = page.locator("#id_key").get_attribute("aria-describedby").split()
    assert "id_key_error" in described and "id_key_help" in described
    assert page.locator("#id_key").input_value() == "12"


def test_tab_order_skips_the_honeypot_and_focus_is_always_visible(page, portal_url, make_site):
    make_site()
    page.goto(f"{portal_url}/survey/")
    stops, invisible = [], []
    for _ in range(60):
        page.keyboard.press("Tab")
        name = focused(page)
        if name.startswith("BODY") or (stops and name == stops[0]):  # left the page, or went round
            break
        stops.append(name)
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        if outline in ("none", ""):
            invisible.append(name)
    assert "website" not in stops and "id_website" not in stops
    assert {"id_issue_0", "id_name", "id_details", "id_cf_urgency", "id_consent"} <= set(stops)
    assert invisible == []
    assert stops[-1] != "id_website" and len(stops) > 15, stops


def test_escape_closes_the_language_menu_and_returns_to_its_button(page, portal_url, make_site):
    """A walk-through: Esc left the language menu open."""
    make_site()
    page.goto(f"{portal_url}/?locale=de")
    summary = page.locator(".language-picker summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".language-picker ul")).to_be_visible()
    page.keyboard.press("Tab")  # into the menu
    page.keyboard.press("Escape")
    expect(page.locator(".language-picker ul")).to_be_hidden()
    expect(summary).to_be_focused()
