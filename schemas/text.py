"""Vietnamese text: one stored form (NFC, without invisible controls) and one search form
(folded).

Phones send text in NFC or NFD depending on their keyboard (Telex, VNI, Unikey…); storing
it in one form keeps equality, uniqueness and sorting honest. The folded form drops tone
and vowel marks and maps đ→d, so "Cao Bang" finds "Cao Bằng".

Invisible characters that change how text around them is shown — bidirectional controls
("X \\u202egnp.exe" shows as "X exe.png") and zero-width characters (two names that look
the same but differ) — have no use in Vietnamese names, titles or descriptions, and
PostgreSQL cannot store NUL at all. :func:`clean` removes them wherever text is taken in;
it is the one rule, used by the schemas, the models and the database column types
(decision 110).
"""

from __future__ import annotations

import re
import unicodedata

_EXTRA = str.maketrans({"đ": "d", "Đ": "d"})

#: Bidirectional embeddings, overrides and isolates (U+202A–202E, U+2066–2069), the
#: direction marks (U+200E, U+200F, U+061C), zero-width space, non-joiner, joiner and word
#: joiner (U+200B–200D, U+2060), the byte-order mark (U+FEFF), the C0 and C1 controls but
#: tab, line feed and carriage return (NUL among them); and the other characters that
#: show as nothing, so two names would look alike and differ: the soft hyphen (U+00AD),
#: the grapheme joiner (U+034F), the Mongolian vowel separator (U+180E), the invisible
#: operators (U+2061–2064), the deprecated format controls (U+206A–206F), the interlinear
#: annotation marks (U+FFF9–FFFB), the tag characters (U+E0000–E007F) and the Hangul
#: fillers (U+115F, U+1160, U+3164, U+FFA0). The field app compiles the same pattern
#: (``rules.json``, flag ``u``).
INVISIBLE = re.compile(
    "[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u200b-\u200d\u2060\ufeff"
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
    "\u00ad\u034f\u180e\u2061-\u2064\u206a-\u206f\ufff9-\ufffb\U000e0000-\U000e007f"
    "\u115f\u1160\u3164\uffa0]"
)


def nfc(value: str) -> str:
    """Return ``value`` in Unicode NFC."""
    return unicodedata.normalize("NFC", value)


def clean(value: str) -> str:
    """``value`` in NFC, without the invisible characters of :data:`INVISIBLE`."""
    return nfc(INVISIBLE.sub("", value))


def fold(value: str | None) -> str:
    """Lower-case, mark-free, single-spaced form of ``value`` for searching."""
    if not value:
        return ""
    decomposed = unicodedata.normalize("NFD", INVISIBLE.sub("", value).translate(_EXTRA))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())
