"""Decoding a phone's photo and making the server's own copy of it.

The bytes a phone sends are never served as they are: they are decoded (the type found
from the content, whatever the name or ``Content-Type`` said), their pixels counted before
anything is decompressed, and re-encoded without any metadata — a phone's JPEG carries
the place it was taken (EXIF GPS), which a branch's photo of a home visit must not
spread. A file whose header promises more pixels than :data:`MAX_PIXELS` (a
decompression bomb: a few kilobytes that would inflate to gigabytes) is refused before a
single pixel is made.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageOps

from schemas.evidence import MAX_PIXELS, THUMB_SIDE

#: Pillow's own guard, set to the same limit: it refuses (raises) at twice this.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
#: Formats accepted, by what the content says.
ACCEPTED = {"JPEG", "PNG", "WEBP"}
QUALITY = 85


class Refused(Exception):
    """The file is not one the server keeps; ``code`` is the API's (PROTOCOL §9)."""

    def __init__(self, code: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_en = message_en


@dataclass
class Encoded:
    data: bytes
    content_type: str
    width: int
    height: int
    thumb: bytes


def reencode(stream: BinaryIO) -> Encoded:
    """The server's copy and thumbnail of an uploaded photo; :class:`Refused` otherwise."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream, formats=sorted(ACCEPTED)) as img:
                if img.format not in ACCEPTED:
                    raise Refused("not_an_image", f"{img.format} is not accepted")
                width, height = img.size
                # An animation is kept as its first frame (the only one decoded).
                if width * height > MAX_PIXELS:
                    raise Refused("image_too_large", f"{width}x{height} is over the limit")
                img.load()
                webp = img.format == "WEBP"
                picture = ImageOps.exif_transpose(img)
    except Refused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused("image_too_large", "a decompression bomb") from None
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError, Image.UnidentifiedImageError):
        raise Refused("not_an_image", "the content is not a JPEG, PNG or WebP image") from None
    picture = _flattened(picture)
    kind = "WEBP" if webp else "JPEG"
    data = _save(picture, kind)
    thumb = picture.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    return Encoded(data, f"image/{kind.lower()}", picture.width, picture.height, _save(thumb, kind))


def _flattened(img: Image.Image) -> Image.Image:
    """RGB on white: JPEG has no transparency, and a palette or 16-bit PNG is RGB to us."""
    if img.mode == "RGB":
        return img
    if img.mode in ("RGBA", "LA", "P", "PA") or "transparency" in img.info:
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return img.convert("RGB")


def _save(img: Image.Image, kind: str) -> bytes:
    out = io.BytesIO()
    # No exif=, no icc_profile=, no xmp=: nothing of the phone's metadata is written.
    img.save(out, kind, quality=QUALITY, optimize=kind == "JPEG")
    return out.getvalue()
