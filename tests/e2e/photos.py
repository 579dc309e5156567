"""Helpers of the evidence-photo browser tests: camera-sized test images made with Pillow
at test time, and what the phone keeps in IndexedDB."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from tests.e2e.pwa import until

DB = "import('/app/js/shared/db.js')"


def camera_photo(
    path: Path, width: int = 4000, height: int = 3000, orientation: int = 6, grain: float = 0.12
) -> Path:
    """A camera-sized JPEG made now with Pillow: a scene of gradients and shapes (it
    compresses like a photo, not like noise), stored sideways with the EXIF orientation
    tag a phone held upright writes (6: turn 90° clockwise to show)."""
    img = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(img)
    for i in range(0, width, 250):
        draw.ellipse((i, height // 4, i + 200, height // 4 + 200), fill=(200, 30 + i % 200, 40))
    # A sensor's grain, which makes the camera's file a few MB. Coarser and stronger
    # (`grain` 0.2) it survives the shrinking: a file near 250 KB that takes several chunks.
    if grain > 0.15:
        noise = Image.effect_noise((width // 3, height // 3), 60).resize((width, height))
    else:
        noise = Image.effect_noise((width, height), 40)
    img = Image.blend(img, noise.convert("RGB"), grain)
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, width // 8, height // 8), fill=(10, 120, 220))  # a mark in one corner
    exif = Image.Exif()
    exif[0x0112] = orientation
    img.save(path, "JPEG", quality=92, exif=exif.tobytes())
    return path


def evidence(page: Any) -> list[dict]:
    return page.evaluate(f"{DB}.then(db => db.all('evidence'))")


def photo_bytes(page: Any, id_: str) -> bytes | None:
    """The bytes the phone keeps for upload, read out of IndexedDB."""
    data = page.evaluate(
        """async ([id]) => {
            const db = await import('/app/js/shared/db.js');
            const item = await db.get('photos', id);
            if (!item) return null;
            const bytes = new Uint8Array(await item.blob.arrayBuffer());
            let s = '';
            for (let i = 0; i < bytes.length; i += 1) s += String.fromCharCode(bytes[i]);
            return btoa(s);
        }""",
        [id_],
    )
    return None if data is None else base64.b64decode(data)


def thumbs_shown(page: Any) -> int:
    return page.evaluate(
        "[...document.querySelectorAll('#photo-list li[data-id] img')]"
        ".filter(i => i.src.startsWith('data:image/') && i.naturalWidth > 0).length"
    )


def attach(page: Any, path: Path, expect: int) -> None:
    page.set_input_files("#photo-gallery", str(path))
    until(page, "n => document.querySelectorAll('#photo-list li[data-id]').length >= n", arg=expect)
    until(
        page,
        "n => [...document.querySelectorAll('#photo-list li[data-id] img')]"
        ".filter(i => i.src.startsWith('data:image/') && i.naturalWidth > 0).length >= n",
        arg=expect,
    )
