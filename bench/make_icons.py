"""Draw the field app's PNG icons from our own design (pwa/icon.svg: a yellow star on the
red of the Youth Union), for Android's install prompt, which wants PNGs of 192 and 512 px
and a maskable one. Run once after changing the design; the PNGs are committed.

    .venv/bin/python bench/make_icons.py

Pillow only (no SVG renderer): the star's ten points are the SVG path's, on its 96-unit grid.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

PWA = Path(__file__).resolve().parent.parent / "pwa"
RED = "#b3261e"
YELLOW = "#ffde00"
STAR = [
    (48, 16), (56.8, 43), (85, 43), (62, 59.7), (70.8, 86),
    (48, 70), (25.2, 86), (34, 59.7), (11, 43), (39.2, 43),
]  # fmt: skip
SUPERSAMPLE = 4


def draw(size: int, maskable: bool) -> Image.Image:
    """The icon at ``size`` px. A maskable icon fills the square (the launcher cuts its own
    shape) and keeps the star inside the central 80 % safe zone."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if maskable:
        pen.rectangle((0, 0, big, big), fill=RED)
        scale, offset = big * 0.7 / 96, big * 0.15
    else:
        pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 18 / 96, fill=RED)
        scale, offset = big / 96, 0.0
    pen.polygon([(offset + x * scale, offset + y * scale) for x, y in STAR], fill=YELLOW)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    for name, size, maskable in (
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("icon-maskable-512.png", 512, True),
    ):
        # 64 colours are plenty for two colours and their anti-aliased edges: a third of
        # the bytes of full RGBA.
        image = draw(size, maskable).quantize(64, method=Image.Quantize.FASTOCTREE)
        image.save(PWA / name, optimize=True)
        print(f"pwa/{name}: {(PWA / name).stat().st_size} bytes")


if __name__ == "__main__":
    main()
