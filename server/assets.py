"""The dashboard's own files: its stylesheet, sent compressed, and its icon.

Flask serves ``static/`` as a streamed file, and flask-compress leaves streamed answers
alone (``COMPRESS_STREAMS`` is off: it would leave the file open), so the stylesheet went
out uncompressed. It is a few kilobytes, read into memory here like the field app's files
(:mod:`server.pwa`), so it is compressed like any page and still revalidated by its ETag.
The favicon is the field app's icon, so a browser asking for ``/favicon.ico`` gets our
star rather than a 404 in the console.
"""

from __future__ import annotations

from flask import Flask, Response, request

from .pwa import PWA


def register(app: Flask) -> None:
    static = app.view_functions["static"]

    def _static_in_memory(filename: str) -> Response:
        resp = static(filename=filename)
        if resp.status_code == 200:
            body = resp.response
            try:
                data = b"".join(body)
            finally:
                getattr(body, "close", lambda: None)()
            resp.direct_passthrough = False
            resp.set_data(data)  # a body with a length: not streamed
        return resp

    app.view_functions["static"] = _static_in_memory

    @app.get("/favicon.ico")
    def favicon() -> Response:
        resp = Response((PWA / "icon.svg").read_bytes(), mimetype="image/svg+xml")
        resp.cache_control.public = True
        resp.cache_control.max_age = 86400
        resp.add_etag()
        return resp.make_conditional(request)
