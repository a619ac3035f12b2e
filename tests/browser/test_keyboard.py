"""Keyboard use (WCAG 2.1.1, 2.4.3, 2.4.7, 3.3.1): errors take focus, their links reach the
field, focus is always visible, and the honeypot is never reached."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.steps import submit

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


@pytest.mark.parametrize(
    ("locale", "name_line", "issue_line", "label"),
    [
        (
            "en-us",
            "Please enter a name with at least one letter or digit.",
            "Please choose what you need help with.",
            "Describe the problem: Please fill in this field.",
        ),
        (
            "de",
            "Bitte geben Sie einen Namen mit mindestens einem Buchstaben oder einer Ziffer ein.",
            "Bitte wählen Sie aus, wobei Sie Hilfe brauchen.",
            "Beschreiben Sie das Problem: Bitte füllen Sie dieses Feld aus.",
        ),
        (
            "ja",
            "名前には文字または数字を 1 つ以上含めてください。",
            "お困りの内容を選んでください。",
            "問題の詳細：この項目を入力してください。",
        ),
    ],
)
def test_each_summary_line_reads_once_and_its_link_moves_focus_to_its_field(
    page, portal_url, make_site, locale, name_line, issue_line, label
):
    """A walk-through read "Sitzungsschlüssel: Ein Sitzungsschlüssel hat …": a message naming its
    field is listed alone, any other after the label; each line still takes the customer there."""
    make_site(details_field="required")
    page.goto(f"{portal_url}/survey/?locale={locale}")
    page.locator("#id_name").fill("!!!")
    page.locator("#id_consent").check()
    submit(page)
    page.wait_for_selector("#error-summary")
    expect(page.locator("#error-summary")).to_be_focused()
    links = page.locator("#error-summary a")
    lines = [" ".join(text.replace("\u2060", "").split()) for text in links.all_inner_texts()]
    assert lines == [issue_line, name_line, label]
    for target in ("id_issue_0", "id_name", "id_details"):
        page.locator(f'#error-summary a[href="#{target}"]').press("Enter")
        assert focused(page) == target
    assert page.locator("#id_name").input_value() == "!!!"


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


def test_on_a_404_the_language_menu_opens_the_same_address_in_another_language(page, portal_url, make_site):
    """The 404's language links are query-only references (they no longer repeat the address a
    visitor typed): chosen by keyboard, one opens the same path in its language."""
    make_site()
    page.goto(f"{portal_url}/no-such-page/?locale=de")
    expect(page.get_by_role("heading", level=1)).to_have_text("Seite nicht gefunden")
    summary = page.locator(".language-picker summary")
    summary.focus()
    page.keyboard.press("Enter")
    link = page.locator(".language-picker ul").get_by_role("link", name="日本語")
    expect(link).to_be_visible()
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{portal_url}/no-such-page/?locale=ja")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("heading", level=1)).to_have_text("ページが見つかりません")
