"""Renders static/portal/mark.svg into the committed favicons (`make favicon`).

Chromium draws the SVG (the same browser the tests drive), so no image library is needed:
favicon.png (32 px, for browsers that want a bitmap), apple-touch-icon.png (180 px) and
favicon.ico (the 32 px PNG in an ICO container, which every browser since 2013 reads; asked
for at /favicon.ico by clients that never read the page).
"""

from __future__ import annotations

import base64
import struct
from pathlib import Path

from playwright.sync_api import sync_playwright

STATIC = Path(__file__).resolve().parents[2] / "static" / "portal"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking"]


def render(page, svg: bytes, size: int) -> bytes:
    source = "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
    page.set_viewport_size({"width": size, "height": size})
    page.set_content(
        f"<html><body style='margin:0'><img src='{source}' width='{size}' height='{size}'></body></html>"
    )
    page.wait_for_load_state("load")
    return page.locator("img").screenshot(omit_background=True)


def ico(png: bytes, size: int) -> bytes:
    """One PNG image in an ICO file: ICONDIR, one ICONDIRENTRY, the PNG bytes."""
    header = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", size, size, 0, 0, 1, 32, len(png), 6 + 16)
    return header + entry + png


def main() -> None:
    svg = (STATIC / "mark.svg").read_bytes()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(device_scale_factor=1)
        small = render(page, svg, 32)
        (STATIC / "favicon.png").write_bytes(small)
        (STATIC / "favicon.ico").write_bytes(ico(small, 32))
        (STATIC / "apple-touch-icon.png").write_bytes(render(page, svg, 180))
        browser.close()


if __name__ == "__main__":
    main()
