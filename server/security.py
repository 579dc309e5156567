"""Security headers on every response.

The Content-Security-Policy allows no inline script at all, so a title typed as
``<script>`` can never run even if a template forgot to escape it.
"""

from __future__ import annotations

from flask import Flask, Response, request

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


#: JSON is never rendered as a document: the strictest policy, and nothing more, since a
#: phone on 2G pays for every header byte of every poll.
API_CSP = "default-src 'none'"


def _bare(response: Response) -> bool:
    """A successful JSON answer to an API POST (a pull, a push, a sign-in) goes out with no
    security header at all (decision 95): no browser ever shows it as a page or loads it as
    a script or style (those are GETs), and it is ``application/json``, which no browser
    sniffs into HTML. It is the answer every idle phone gets every few minutes; the two
    headers were 75 of its ~290 bytes. Errors and every GET keep them."""
    return (
        request.method == "POST"
        and response.status_code < 400
        and response.mimetype == "application/json"
    )


def register(app: Flask) -> None:
    production = app.config["SODOAN_ENV"] == "production"

    @app.after_request
    def _headers(response: Response) -> Response:
        if request.path.startswith("/api/"):
            if not _bare(response):
                response.headers.setdefault("X-Content-Type-Options", "nosniff")
                response.headers.setdefault("Content-Security-Policy", API_CSP)
            return response
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if production:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return response


def register_before_compression(app: Flask) -> None:
    """Registered before flask-compress, so it runs after it (after_request runs in
    reverse order): POST answers are never cached, so ``Vary`` only costs bytes on every
    poll of every phone."""

    @app.after_request
    def _no_vary_on_api_posts(response: Response) -> Response:
        if request.method == "POST" and request.path.startswith("/api/"):
            response.vary.discard("Accept-Encoding")
            if not response.vary:
                del response.headers["Vary"]
        return response
