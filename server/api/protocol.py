"""Protocol version and request bodies: every API request names its protocol version in
the ``Sodoan-Protocol`` header; bodies may be gzip-compressed, within bounds."""

from __future__ import annotations

import json
import math
import re
import zlib
from typing import Any

from flask import Blueprint, request

from schemas.sync import (
    MAX_BODY_BYTES,
    MAX_DECOMPRESSED_BYTES,
    MAX_JSON_DEPTH,
    PROTOCOL_VERSIONS,
)

from ..errors import ApiError

HEADER = "Sodoan-Protocol"
#: Bytes on the wire (compressed or not) and after decompression: protocol facts, kept in
#: ``schemas.sync`` so the phone reads the same figures (``/app/rules.json``).
MAX_BODY = MAX_BODY_BYTES
MAX_DECOMPRESSED = MAX_DECOMPRESSED_BYTES


#: The header's exact spellings: "01", "1.0", "+1" or a Unicode digit are not a version.
SPELLINGS = frozenset(str(v) for v in PROTOCOL_VERSIONS)


def _check_version() -> None:
    # Spaces and tabs around a header's value are not part of it (RFC 9110 §5.5): an HTTP
    # server may or may not strip them, so they are stripped here, whoever serves.
    raw = request.headers.get(HEADER, "").strip(" \t")
    if raw not in SPELLINGS:
        raise ApiError(
            426,
            "upgrade_required",
            f"Protocol version {raw or '(none)'} is not supported",
            supported=list(PROTOCOL_VERSIONS),
        )


def attach(bp: Blueprint) -> None:
    bp.before_request(_check_version)


def json_body() -> dict[str, Any]:
    """The request's JSON object, decompressed if it came gzip-encoded."""
    length = request.content_length
    if length is not None and length > MAX_BODY:
        raise ApiError(413, "body_too_large", "The request body is too large", limit_bytes=MAX_BODY)
    # Cached: the sign-in throttle may have read the body already to find the username.
    data = request.get_data(cache=True)
    if len(data) > MAX_BODY:
        raise ApiError(413, "body_too_large", "The request body is too large", limit_bytes=MAX_BODY)
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding == "gzip":
        data = _gunzip(data)
    elif encoding not in ("", "identity"):
        raise ApiError(
            415,
            "unsupported_encoding",
            f"Content-Encoding {encoding!r} is not supported",
            supported=["gzip", "identity"],
        )
    try:
        body = json.loads(data, parse_constant=_no_constant, parse_float=_finite)
    except (ValueError, RecursionError):
        # ValueError: not JSON (JSONDecodeError, UnicodeDecodeError), NaN or Infinity, or
        # an integer past Python's 4,300 digits; RecursionError: nested past what the
        # parser can follow. A client bug either way, never the server's (decision 111).
        raise ApiError(400, "bad_json", "The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "bad_json", "The request body must be a JSON object")
    if _too_deep(body):
        raise ApiError(
            400,
            "bad_json",
            f"The request body is nested more than {MAX_JSON_DEPTH} levels deep",
            limit_depth=MAX_JSON_DEPTH,
        )
    if b"\\u0000" in data or _SURROGATE_ESCAPE.search(data) is not None:
        # PostgreSQL cannot store NUL in text or JSONB; nothing a person types holds one.
        # A lone surrogate (half an emoji cut by a JavaScript slice) is no character at
        # all and cannot be written as UTF-8: it becomes U+FFFD, so the entry around it is
        # kept rather than refused on every resend.
        body = _mended(body)
    return body


#: ``\uD800``–``\uDFFF`` escapes: only through these can a lone surrogate reach the parser.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _finite(text: str) -> float:
    """``1e999`` parses to infinity, which JSON has no word for and PostgreSQL's JSONB
    refuses: the same ``bad_json`` as ``Infinity`` itself."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is not a finite number")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _too_deep(body: Any) -> bool:
    """Whether arrays and objects nest deeper than MAX_JSON_DEPTH (a walk without
    recursion: what is checked here is what later code would recurse on)."""
    level = [body]
    for _depth in range(MAX_JSON_DEPTH):
        below = []
        for value in level:
            if isinstance(value, dict):
                below.extend(v for v in value.values() if isinstance(v, dict | list))
            elif isinstance(value, list):
                below.extend(v for v in value if isinstance(v, dict | list))
        if not below:
            return False
        level = below
    return True


def _mended(value: Any) -> Any:
    if isinstance(value, str):
        return "".join(
            "\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in value.replace("\x00", "")
        )
    if isinstance(value, dict):
        return {_mended(k): _mended(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mended(v) for v in value]
    return value


def _gunzip(data: bytes) -> bytes:
    """Decompress at most MAX_DECOMPRESSED bytes: a small bomb must not fill memory."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, MAX_DECOMPRESSED + 1)
    except zlib.error:
        raise ApiError(400, "bad_gzip", "The gzip body could not be decompressed") from None
    if len(out) > MAX_DECOMPRESSED or inflater.unconsumed_tail:
        raise ApiError(
            413,
            "body_too_large",
            "The decompressed body is too large",
            limit_bytes=MAX_DECOMPRESSED,
        )
    if not inflater.eof:
        raise ApiError(400, "bad_gzip", "The gzip body is truncated")
    return out
