"""The logo's pixel limit reads the size a browser decodes (portal/image_headers.py): images
Chromium encodes itself (PNG, JPEG, WebP) and crafted GIFs it decodes, checked against it."""

from __future__ import annotations

import base64

import pytest

from portal.image_headers import pixel_size
from tests.test_logo_pixels import gif

pytestmark = pytest.mark.browser

ENCODE = """async ([type, width, height, quality]) => {
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const paint = canvas.getContext("2d");
    paint.fillStyle = "#1a5fb4";
    paint.fillRect(0, 0, width, height);
    const blob = await new Promise((done) => canvas.toBlob(done, type, quality));
    const bytes = new Uint8Array(await blob.arrayBuffer());
    return [blob.type, btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""))];
}"""

DECODE = """async (source) => {
    const image = new Image();
    image.src = source;
    await image.decode();
    return [image.naturalWidth, image.naturalHeight];
}"""


@pytest.mark.parametrize(("mime", "quality"), [("image/png", None), ("image/jpeg", 0.9), ("image/webp", 0.9)])
def test_chromiums_own_images_declare_the_size_we_read(page, mime, quality):
    """Chromium's JPEG puts its colour profile (APP2) before the frame header, and its WebP is
    the extended form (VP8X); the plain lossy and lossless WebP heads are crafted in
    tests/test_logo_pixels.py."""
    page.set_content("<!doctype html><title>encode</title>")
    for width, height in [(1, 1), (300, 48), (4097, 3), (3, 4097)]:
        made, encoded = page.evaluate(ENCODE, [mime, width, height, quality])
        assert made == mime
        assert pixel_size(base64.b64decode(encoded)) == (width, height)


def test_chromium_grows_a_gif_to_hold_a_frame_past_its_screen(page):
    page.set_content("<!doctype html><title>decode</title>")
    for data in (gif(10, 10), gif(10, 10, frame=(5, 0, 20, 30))):
        source = "data:image/gif;base64," + base64.b64encode(data).decode()
        assert tuple(page.evaluate(DECODE, source)) == pixel_size(data)
