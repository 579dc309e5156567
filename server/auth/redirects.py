"""Where a sign-in may send the browser next: only a path on this site.

An open redirect would let a phishing link borrow our name ("sign in at the real site,
land on ours"). Checking a prefix is not enough: browsers delete tabs and newlines
anywhere in a URL, strip leading spaces and control characters, and read ``\\`` as ``/``,
so ``/\\t/evil.example/`` and ``/\\evil.example`` both reach another host. A target is
therefore accepted only as plain printable ASCII with none of those characters, parsed
into a path with no scheme and no host, that does not start with ``//``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

#: Printable ASCII but space and backslash.
_ALLOWED = frozenset(chr(c) for c in range(0x21, 0x7F)) - {"\\"}


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None."""
    if not target or len(target) > 2000 or not set(target) <= _ALLOWED:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    try:
        parts = urlsplit(target)
    except ValueError:
        return None
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    return target
