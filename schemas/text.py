"""Vietnamese text: one stored form (NFC) and one search form (folded).

Phones send text in NFC or NFD depending on their keyboard (Telex, VNI, Unikey…); storing
it in one form keeps equality, uniqueness and sorting honest. The folded form drops tone
and vowel marks and maps đ→d, so "Cao Bang" finds "Cao Bằng".
"""

from __future__ import annotations

import unicodedata

_EXTRA = str.maketrans({"đ": "d", "Đ": "d"})


def nfc(value: str) -> str:
    """Return ``value`` in Unicode NFC."""
    return unicodedata.normalize("NFC", value)


def fold(value: str | None) -> str:
    """Lower-case, mark-free, single-spaced form of ``value`` for searching."""
    if not value:
        return ""
    decomposed = unicodedata.normalize("NFD", value.translate(_EXTRA))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())
