"""An uploaded image's size in pixels, read from its headers without decoding a pixel
(docs/decisions/0038-branding-without-script.md).

The logo takes PNG, JPEG, GIF and WebP. A few bytes can declare a 30000×30000 image that every
customer's browser would decode into gigabytes; the size the browser will allocate is in the
file's headers, and these are all that is read. None when a file's headers do not say it (not
one of the four formats, truncated, or a JPEG whose height comes after its pixels).

An animated image (GIF, APNG, animated WebP) costs the browser its size once per frame it
decodes as it plays: `frame_count` counts the frames, from the same headers.
"""

from __future__ import annotations

import struct

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The JPEG markers that start a frame and carry its size (SOF0-SOF15 but DHT, JPG and DAC).
JPEG_FRAME_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers without a length: TEM, RST0-RST7, SOI (and EOI, after which nothing counts).
JPEG_BARE_MARKERS = frozenset({0x01, *range(0xD0, 0xD9)})
JPEG_START_OF_SCAN = 0xDA


def pixel_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) as the browser will allocate them."""
    if data.startswith(PNG_SIGNATURE):
        return _png(data)
    if data.startswith(b"\xff\xd8"):
        return _jpeg(data)
    if data.startswith((b"GIF87a", b"GIF89a")):
        return _gif(data)
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return _webp(data)
    return None


def _png(data: bytes) -> tuple[int, int] | None:
    # The first chunk is IHDR: length 13, then width and height, big-endian.
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _jpeg(data: bytes) -> tuple[int, int] | None:
    """The first frame header's size, found by stepping over each segment by its length (an
    EXIF thumbnail inside APP1 is never mistaken for it)."""
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # a fill byte before the marker
            at += 1
            continue
        if marker in JPEG_BARE_MARKERS:
            at += 2
            continue
        if marker == JPEG_START_OF_SCAN:
            return None  # pixels before any frame header
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if marker in JPEG_FRAME_MARKERS:
            if at + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            # A height of 0 is given later (DNL), after pixels: not said here.
            return (width, height) if height else None
        if length < 2:
            return None
        at += 2 + length
    return None


def frame_count(data: bytes) -> int:
    """How many frames the image holds: a GIF's image descriptors, an APNG's frame controls,
    an animated WebP's frames; 1 for a still image (and for one `pixel_size` cannot read)."""
    if data.startswith(PNG_SIGNATURE):
        return max(1, sum(1 for kind in _png_chunks(data) if kind == b"fcTL"))
    if data.startswith((b"GIF87a", b"GIF89a")):
        walked = _gif_walk(data)
        return max(1, walked[2]) if walked else 1
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return max(1, sum(1 for kind in _riff_chunks(data) if kind == b"ANMF"))
    return 1


def _png_chunks(data: bytes):
    """The type of each chunk after the signature (each is length, type, body, CRC)."""
    at = len(PNG_SIGNATURE)
    while at + 12 <= len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        yield data[at + 4 : at + 8]
        at += 12 + length


def _riff_chunks(data: bytes):
    """The type of each top-level chunk after a WebP's RIFF head (an animation's frames are
    ANMF chunks there); chunks are padded to an even length."""
    at = 12
    while at + 8 <= len(data):
        kind = data[at : at + 4]
        (length,) = struct.unpack("<I", data[at + 4 : at + 8])
        yield kind
        at += 8 + length + (length & 1)


def _gif(data: bytes) -> tuple[int, int] | None:
    walked = _gif_walk(data)
    return walked[:2] if walked else None


def _gif_walk(data: bytes) -> tuple[int, int, int] | None:
    """The logical screen, or wider: a frame may reach past it, and browsers then grow the
    image to hold the frame. Every image descriptor is read, stepping over the data blocks;
    the third number is how many there are (the frames)."""
    frames = 0
    if len(data) < 13:
        return None
    width, height, flags = struct.unpack("<HHB", data[6:11])
    at = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    while at < len(data):
        block = data[at]
        if block == 0x3B:  # trailer
            break
        if block == 0x21:  # extension: label, then sub-blocks
            at = _after_sub_blocks(data, at + 2)
        elif block == 0x2C:  # image descriptor
            if at + 10 > len(data):
                return None
            left, top, frame_width, frame_height, frame_flags = struct.unpack(
                "<HHHHB", data[at + 1 : at + 10]
            )
            width, height = max(width, left + frame_width), max(height, top + frame_height)
            frames += 1
            at += 10 + (3 << ((frame_flags & 7) + 1) if frame_flags & 0x80 else 0)
            at = _after_sub_blocks(data, at + 1)  # past the LZW code size, then the pixels
        else:
            return None
        if at < 0:
            return None
    return width, height, frames


def _after_sub_blocks(data: bytes, at: int) -> int:
    """Where a run of GIF sub-blocks ends (each a length byte, the last one 0), -1 if it does not."""
    while at < len(data):
        size = data[at]
        at += 1 + size
        if size == 0:
            return at
    return -1


def _webp(data: bytes) -> tuple[int, int] | None:
    chunk, body = data[12:16], data[20:]
    if chunk == b"VP8X" and len(body) >= 10:  # the canvas, 24 bits each, less one
        return int.from_bytes(body[4:7], "little") + 1, int.from_bytes(body[7:10], "little") + 1
    if chunk == b"VP8L" and len(body) >= 5 and body[0] == 0x2F:  # 14 bits each, less one
        bits = int.from_bytes(body[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and len(body) >= 10 and body[3:6] == b"\x9d\x01\x2a":  # 14 bits each
        width, height = struct.unpack("<HH", body[6:10])
        return width & 0x3FFF, height & 0x3FFF
    return None
