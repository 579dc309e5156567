"""gzip for API answers with zlib-ng instead of the standard library's zlib.

A first download is pages of 5,000 records. Measured again on 2026-12-04 on this project's
two-core VM (``bench/gzip_bench.py``, docs/BENCHMARKS.md): for a 5,000-record page (3.4 MB
of JSON) at gzip level 6, the standard zlib takes 28.3 ms and zlib-ng 14.8 ms, which is
13.5 ms or 16–18 % of the page's whole server time (76–84 ms with the standard zlib, SQLite
and PostgreSQL), and zlib-ng's output is 5.4 % smaller, bytes a phone on 2G does not wait
for. It writes the same format (any gzip reader reads it). Worth its dependency; measure
again before removing it.

flask-compress still decides everything else and still compresses whatever this leaves:
brotli for clients that prefer it (browsers), other mimetypes, the dashboard. This only
takes the answers for which flask-compress would have chosen gzip, compresses them the
same way at the same level, and marks them, so flask-compress lets them pass.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from zlib_ng import gzip_ng


def _gzip_chosen() -> bool:
    """Whether flask-compress would answer this request with gzip: accepted, and not
    ranked below brotli (on a tie flask-compress prefers brotli, first in its list)."""
    accepted = request.accept_encodings
    algorithms = current_app.config["COMPRESS_ALGORITHM"]
    gzip_q = accepted["gzip"] if "gzip" in algorithms else 0
    br_q = accepted["br"] if "br" in algorithms else 0
    return gzip_q > 0 and gzip_q > br_q


def _compress(response: Response) -> Response:
    config = current_app.config
    if (
        response.status_code != 200
        or response.is_streamed
        or response.mimetype != "application/json"
        or "Content-Encoding" in response.headers
        or (response.content_length or 0) < config["COMPRESS_MIN_SIZE"]
        or not _gzip_chosen()
    ):
        return response
    response.set_data(gzip_ng.compress(response.get_data(), config["COMPRESS_LEVEL"]))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")  # as flask-compress would (taken off POSTs later)
    return response


def attach(bp: Blueprint) -> None:
    # A blueprint's after_request runs before the app's, so before flask-compress's.
    bp.after_request(_compress)
