"""A logo larger than LOGO_MAX_PIXELS a side is refused by the size its headers declare, before
any customer's browser decodes it (portal/image_headers.py,
docs/decisions/0038-branding-without-script.md). The files are crafted: a few bytes each, as a
decompression bomb is."""

from __future__ import annotations

import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from portal.image_headers import frame_count, pixel_size
from portal.models import LOGO_MAX_PIXELS, validate_logo
from tests.conftest import save_site_in_admin
from tests.parsed_html import element
from tests.test_branding_and_hours import PNG_1PX


def png(width: int, height: int) -> bytes:
    """A PNG that says `width` × `height` (1-bit grey) with one row of pixel data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * (1 + (width + 7) // 8)))
        + chunk(b"IEND", b"")
    )


def jpeg(width: int, height: int, *, thumbnail: tuple[int, int] | None = None) -> bytes:
    """A baseline JPEG's head up to its frame header; `thumbnail` puts an EXIF-like APP1 first
    whose bytes hold another frame header (a thumbnail's), which must not be read as the image's."""
    out = b"\xff\xd8"
    if thumbnail:
        inner = b"Exif\0\0" + b"\xff\xc0\x00\x11\x08" + struct.pack(">HH", thumbnail[1], thumbnail[0])
        out += b"\xff\xe1" + struct.pack(">H", 2 + len(inner)) + inner
    out += b"\xff\xdb" + struct.pack(">H", 67) + b"\0" * 65  # a quantisation table
    frame = b"\x08" + struct.pack(">HH", height, width) + b"\x01\x01\x11\x00"
    return out + b"\xff\xc0" + struct.pack(">H", 2 + len(frame)) + frame + b"\xff\xda\x00\x08" + b"\0" * 20


def gif(width: int, height: int, *, frame: tuple[int, int, int, int] | None = None) -> bytes:
    """A GIF whose logical screen is `width` × `height` and whose one frame is `frame`
    (left, top, width, height), the whole screen by default."""
    left, top, frame_width, frame_height = frame or (0, 0, width, height)
    return (
        b"GIF89a"
        + struct.pack("<HHBBB", width, height, 0x80, 0, 0)
        + b"\0\0\0\xff\xff\xff"  # a global colour table of two
        + b"\x21\xf9\x04\x00\x00\x00\x00\x00"  # a graphic control extension
        + b"\x2c"
        + struct.pack("<HHHHB", left, top, frame_width, frame_height, 0)
        + b"\x02\x02\x44\x01\x00"  # LZW code size, one sub-block, the end of the data
        + b"\x3b"
    )


def webp(kind: str, width: int, height: int) -> bytes:
    """A WebP's RIFF head with a `VP8 ` (lossy), `VP8L` (lossless) or `VP8X` (extended) first chunk."""
    if kind == "VP8 ":
        body = b"\x50\x01\x00" + b"\x9d\x01\x2a" + struct.pack("<HH", width, height) + b"\0" * 8
    elif kind == "VP8L":
        body = b"\x2f" + ((width - 1) | (height - 1) << 14).to_bytes(4, "little") + b"\0" * 8
    else:
        body = b"\0\0\0\0" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    chunk = kind.encode() + struct.pack("<I", len(body)) + body
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


MAKERS = {
    "png": png,
    "jpg": jpeg,
    "gif": gif,
    "webp": lambda w, h: webp("VP8 ", w, h),
    "webp-lossless": lambda w, h: webp("VP8L", w, h),
    "webp-extended": lambda w, h: webp("VP8X", w, h),
}


def upload(data: bytes, name: str = "logo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def refusal(data: bytes) -> str:
    with pytest.raises(ValidationError) as refused:
        validate_logo(upload(data))
    [message] = refused.value.messages
    return message


@pytest.mark.parametrize("kind", MAKERS)
def test_each_format_says_its_size_in_its_headers(kind):
    make = MAKERS[kind]
    for width, height in [(1, 1), (300, 48), (4097, 1), (1, 4097), (16383, 16383)]:
        assert pixel_size(make(width, height)) == (width, height)


@pytest.mark.parametrize("kind", MAKERS)
def test_a_logo_declaring_thirty_thousand_pixels_a_side_is_refused_in_a_few_bytes(kind):
    bomb = MAKERS[kind](30000, 30000) if not kind.startswith("webp") else MAKERS[kind](16383, 16383)
    assert len(bomb) < 200
    size = "30000×30000" if not kind.startswith("webp") else "16383×16383"  # WebP's most
    assert refusal(bomb) == f"The logo must be at most 4096×4096 pixels; this one is {size}."


@pytest.mark.parametrize("kind", MAKERS)
def test_the_limit_is_each_side_at_most_4096(kind):
    assert LOGO_MAX_PIXELS == 4096
    make = MAKERS[kind]
    validate_logo(upload(make(4096, 4096)))
    validate_logo(upload(make(4096, 48)))
    assert "this one is 4097×48" in refusal(make(4097, 48))
    assert "this one is 48×4097" in refusal(make(48, 4097))


def test_a_gif_frame_past_its_small_screen_counts():
    """Browsers grow a GIF to hold a frame that reaches past its logical screen."""
    assert pixel_size(gif(10, 10, frame=(0, 0, 5, 5))) == (10, 10)
    assert pixel_size(gif(10, 10, frame=(5000, 0, 20000, 30000))) == (25000, 30000)
    assert "this one is 25000×30000" in refusal(gif(10, 10, frame=(5000, 0, 20000, 30000)))


def test_a_jpegs_size_is_its_frames_not_a_thumbnails_before_it():
    assert pixel_size(jpeg(30000, 30000, thumbnail=(160, 120))) == (30000, 30000)
    assert pixel_size(jpeg(300, 48, thumbnail=(30000, 30000))) == (300, 48)
    validate_logo(upload(jpeg(300, 48, thumbnail=(30000, 30000))))


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHD",  # cut inside the header
        b"\x89PNG\r\n\x1a\n\0\0\0\x04CgBI\0\0\0\0" + png(1, 1)[8:],  # IHDR not first
        b"\xff\xd8\xff\xda\x00\x08" + b"\0" * 20,  # pixels before any frame header
        jpeg(300, 0),  # height given after the pixels (DNL)
        b"\xff\xd8\xff\xe0\x00\x10JFIF",  # no frame header at all
        b"GIF89a\x01\x00\x01\x00\x80",  # cut inside the screen descriptor
        gif(10, 10)[:-8],  # cut inside the frame's data
        b"RIFF\x10\x00\x00\x00WEBPVP8 \x04\x00\x00\x00\0\0\0\0",  # no VP8 start code
    ],
)
def test_headers_that_do_not_say_a_size_are_no_image(data):
    assert pixel_size(data) is None
    assert refusal(data) == "Upload a PNG, JPEG, WebP or GIF image."


def test_the_refusal_is_translated():
    with translation.override("de"):
        assert refusal(png(30000, 30000)) == (
            "Das Logo darf höchstens 4096×4096\u00a0Pixel groß sein; dieses hat 30000×30000."
        )
    with translation.override("ja"):
        assert "4096×4096" in refusal(png(30000, 30000)) and "ピクセル" in refusal(png(30000, 30000))


def test_the_small_logos_of_the_suite_still_pass():
    assert pixel_size(PNG_1PX) == (1, 1)
    validate_logo(upload(PNG_1PX))


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["logo", "logo_dark"])
def test_the_admin_refuses_a_bomb_and_keeps_the_stored_logo(admin_client, site, settings, tmp_path, field):
    settings.MEDIA_ROOT = tmp_path
    response = save_site_in_admin(admin_client, site, **{field: upload(png(30000, 30000), "bomb.png")})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [
        "The logo must be at most 4096×4096 pixels; this one is 30000×30000."
    ]
    site.refresh_from_db()
    assert not getattr(site, field)
    response = save_site_in_admin(admin_client, site, **{field: upload(png(4096, 48), "wide.png")})
    assert response.status_code == 302
    site.refresh_from_db()
    assert getattr(site, field).name.startswith("logos/wide-")


# ------------------------------------------------------------------------------
# Animated logos: the frames together cost at most what one still logo of 4096×4096 does
# ------------------------------------------------------------------------------
def animated_gif(width: int, height: int, frames: int) -> bytes:
    """A GIF of `frames` frames, each the whole screen and a few bytes: what a frame costs
    the browser (width × height) has nothing to do with what it costs the file."""
    frame = (
        b"\x21\xf9\x04\x00\x0a\x00\x00\x00"  # a graphic control extension: 100 ms
        + b"\x2c"
        + struct.pack("<HHHHB", 0, 0, width, height, 0)
        + b"\x02\x02\x44\x01\x00"
    )
    return (
        b"GIF89a"
        + struct.pack("<HHBBB", width, height, 0x80, 0, 0)
        + b"\0\0\0\xff\xff\xff"
        + frame * frames
        + b"\x3b"
    )


def apng(width: int, height: int, frames: int) -> bytes:
    """An animated PNG: acTL, then a frame control chunk per frame (the first with the IDAT)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    still = png(width, height)
    header, rest = still[:33], still[33:]  # the signature and IHDR, then IDAT and IEND
    control = chunk(b"acTL", struct.pack(">II", frames, 0))
    for number in range(frames):
        control += chunk(b"fcTL", struct.pack(">IIIIIHHBB", number, width, height, 0, 0, 1, 10, 0, 0))
    return header + control + rest


def animated_webp(width: int, height: int, frames: int) -> bytes:
    """An extended WebP with the animation flag, an ANIM chunk and `frames` ANMF chunks."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return kind + struct.pack("<I", len(body)) + body + (b"\0" if len(body) & 1 else b"")

    canvas = b"\x02\0\0\0" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    frame = b"\0" * 6 + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little") + b"\x64\0\0\0"
    body = chunk(b"VP8X", canvas) + chunk(b"ANIM", b"\0" * 6) + chunk(b"ANMF", frame) * frames
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


ANIMATED = {"gif": animated_gif, "apng": apng, "webp": animated_webp}


@pytest.mark.parametrize("kind", ANIMATED)
def test_each_animated_format_says_its_frames_in_its_headers(kind):
    make = ANIMATED[kind]
    for frames in (1, 2, 17, 5000):
        data = make(64, 48, frames)
        assert frame_count(data) == frames
        assert pixel_size(data) == (64, 48)
    assert frame_count(png(64, 48)) == frame_count(jpeg(64, 48)) == frame_count(webp("VP8 ", 64, 48)) == 1


@pytest.mark.parametrize("kind", ANIMATED)
def test_a_4096_pixel_animation_of_thousands_of_frames_in_a_few_kilobytes_is_refused(kind):
    """Each frame costs the browser 64 MB as it plays; the file costs a few bytes a frame."""
    bomb = ANIMATED[kind](4096, 4096, 5000)
    assert len(bomb) < 512 * 1024
    assert refusal(bomb) == (
        "An animated logo of 4096×4096 pixels may have at most 1 frame; this one has 5000. "
        "Use fewer frames or a smaller image."
    )


@pytest.mark.parametrize("kind", ANIMATED)
def test_the_frames_together_may_cost_one_largest_still_logo(kind):
    make = ANIMATED[kind]
    # 1024×1024: 16 frames make 4096×4096 pixels.
    validate_logo(upload(make(1024, 1024, 16)))
    assert refusal(make(1024, 1024, 17)) == (
        "An animated logo of 1024×1024 pixels may have at most 16 frames; this one has 17. "
        "Use fewer frames or a smaller image."
    )
    # A wordmark of 300×48 animates freely: 1165 frames.
    validate_logo(upload(make(300, 48, 1165)))
    assert "at most 1165 frames; this one has 1166." in refusal(make(300, 48, 1166))
    # One frame is a still image, whatever its size within the limit.
    validate_logo(upload(make(4096, 4096, 1)))


def test_the_frames_refusal_is_translated():
    with translation.override("de"):
        message = refusal(animated_gif(1024, 1024, 17))
    assert "1024×1024" in message and "16" in message and "17" in message
    assert "animated logo" not in message


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en-us", "PNG, JPEG, WebP or GIF up to 512 KB and 4096×4096 pixels, shown at most 48 px high."),
        (
            "de",
            "PNG, JPEG, WebP oder GIF bis 512 KB und 4096×4096 Pixel, wird höchstens 48 px hoch angezeigt.",
        ),
        ("ja", "512 KB・4096×4096 ピクセルまでの PNG、JPEG、WebP、GIF。高さ最大 48 px で表示されます。"),
    ],
)
def test_the_logos_help_says_the_pixel_limit_in_the_readers_language(admin_client, site, language, said):
    response = admin_client.get(
        reverse("admin:portal_site_change", args=[site.pk]), HTTP_ACCEPT_LANGUAGE=language
    )
    help_text = element(element(response.content.decode(), "div", class_="field-logo"), "div", class_="help")
    assert " ".join(help_text.text.split()) == said
