"""What a customer does on the portal's pages, for the browser tests to share.

`scope` is a Playwright Page, or a FrameLocator when the portal is inside a help desk's iframe.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

from tests.browser.conftest import ARTIFACTS, AXE_JS, SANDBOX, TIMEZONE_OFFSET

# 1020 UTF-8 bytes: accents (2 bytes), Japanese (3), an emoji (4), a line break; 4 bytes left
# of customer.details' 1024, which the counter shows as 1 character (like the emoji) left.
DETAILS_HEAD = "Le pilote d’imprimante affiche « 紙詰まり » 🖨\nDepuis ce matin, rien ne sort !"
DETAILS = DETAILS_HEAD + "é" * ((1020 - len(DETAILS_HEAD.encode())) // 2)
assert len(DETAILS.encode()) == 1020

SURVEY = {
    "name": "Zoë Ångström",
    "company": "Acme GmbH",
    "company_code": "AC-1",
    "external_key": "INC0012345",
    "details": DETAILS,
    "printer_model": "HP LaserJet 4000",
    "urgency": "high",
    "restart_ok": "yes",
}


TC_SURVEY = {
    "name": "Zoë Ångström",
    "email": "zoe@example.com",
    "customer_number": "C-1001",
    "details": "Der Drucker druckt nicht | seit 9 Uhr",
}


def query_of(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def start_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def expected_survey_query(*, asset_tag: str, locale: str = "en-us") -> list[tuple[str, str]]:
    """The start URL's parameters for SURVEY on the 'printing' issue, in the vendor's order."""
    return [
        ("issue_menu", "1"),
        ("codeName", "printing"),
        ("customer.name", SURVEY["name"]),
        ("customer.company", SURVEY["company"]),
        ("customer.company_code", SURVEY["company_code"]),
        ("customer.details", SURVEY["details"]),
        ("locale", locale),
        ("session.priority", "2"),
        ("session.skills", "printing,windows"),
        ("timezone_offset", TIMEZONE_OFFSET),
        ("session.custom.external_key", SURVEY["external_key"]),
        ("session.custom.asset_tag", asset_tag),
        ("session.custom.printer_model", SURVEY["printer_model"]),
        ("session.custom.urgency", SURVEY["urgency"]),
        ("session.custom.restart_ok", SURVEY["restart_ok"]),
    ]


def printer_model_shown(scope) -> bool:
    return scope.locator("#id_cf_printer_model").is_visible()


def fill_survey(scope, *, asset_tag: str) -> None:
    """Picks 'Printing problems' and answers every question, consent included."""
    scope.locator("#id_issue_0").check()
    scope.locator("#id_name").fill(SURVEY["name"])
    scope.locator("#id_company").fill(SURVEY["company"])
    scope.locator("#id_company_code").fill(SURVEY["company_code"])
    scope.locator("#id_external_key").fill(SURVEY["external_key"])
    scope.locator("#id_details").fill(SURVEY["details"])
    scope.locator("#id_cf_asset_tag").fill(asset_tag)
    scope.locator("#id_cf_printer_model").fill(SURVEY["printer_model"])
    scope.locator("#id_cf_urgency").select_option(SURVEY["urgency"])
    scope.locator("#id_cf_restart_ok_0").check()
    scope.locator("#id_consent").check()


def fill_tc_survey(page, **values) -> None:
    """The Take Control survey: the printing issue, TC_SURVEY (or `values`), consent."""
    page.locator("#id_issue_0").check()
    for name, value in {**TC_SURVEY, **values}.items():
        page.locator(f"#id_{name}").fill(value)
    page.locator("#id_consent").check()


def survey_values(scope) -> dict[str, str]:
    """What the form holds now, in SURVEY's terms (to prove nothing typed was lost)."""
    return {
        "name": scope.locator("#id_name").input_value(),
        "company": scope.locator("#id_company").input_value(),
        "company_code": scope.locator("#id_company_code").input_value(),
        "external_key": scope.locator("#id_external_key").input_value(),
        "details": scope.locator("#id_details").input_value(),
        "printer_model": scope.locator("#id_cf_printer_model").input_value(),
        "urgency": scope.locator("#id_cf_urgency").input_value(),
        "restart_ok": "yes" if scope.locator("#id_cf_restart_ok_0").is_checked() else "",
    }


def submit(scope) -> None:
    scope.locator("form button[type=submit]").last.click()


def host_page(help_desk, portal_url: str, path: str, *, sandbox: bool = True) -> str:
    """Serves a help-desk page embedding the portal as the snippet says; returns its URL.

    The page's own CSP is as strict as a page can be: embed.js must work under any policy
    that lets it load at all.
    """
    sandbox_attr = f' sandbox="{SANDBOX}"' if sandbox else ""
    html = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Acme help desk</title>"
        f"<script src='{portal_url}/static/portal/embed.js' async></script></head>"
        "<body><h1>Acme help desk</h1>"
        f"<iframe data-support-portal src='{portal_url}{path}' title='Remote support'"
        " width='600' height='150'"
        f"{sandbox_attr}></iframe><p>Below the portal.</p></body></html>"
    )
    csp = f"default-src 'none'; script-src {portal_url}; frame-src {portal_url}"
    name = f"/help-{len(help_desk.pages)}.html"
    help_desk.pages[name] = (html, {"Content-Security-Policy": csp})
    return help_desk.origin + name


# ------------------------------------------------------------------------------
# Checks
# ------------------------------------------------------------------------------
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.0/2.1/2.2 A and AA violations on the page, one readable line each."""
    # Evaluated through the DevTools protocol: the portal's CSP (rightly) refuses an injected
    # <script> tag, so page.add_script_tag would need bypass_csp, which would hide CSP bugs.
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -> "
        + json.dumps([node["target"] for node in v["nodes"]][:5])
        for v in result["violations"]
    ]


def css_rgb(colour: str) -> str:
    """#rrggbb as getComputedStyle writes it: rgb(r, g, b)."""
    return "rgb({}, {}, {})".format(*(int(colour[i : i + 2], 16) for i in (1, 3, 5)))


def screenshot(page, name: str) -> None:
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
