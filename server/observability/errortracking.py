"""An optional error-monitoring hook: Sentry (or any service speaking its protocol, such
as GlitchTip), off unless ``SENTRY_DSN`` is set.

Nothing about people is sent: no cookies, no bodies, no query strings, no user, no local
variables (they hold records people typed); an event carries the stack, the request's
method and path and its request id, so the log lines of the same request can be found.
"""

from __future__ import annotations

from flask import Flask

from .logs import request_id


def register(app: Flask) -> None:
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    def _tag(event: dict, _hint: dict) -> dict:
        event.setdefault("tags", {})["request_id"] = request_id()
        return event

    sentry_sdk.init(
        dsn=dsn,
        integrations=[FlaskIntegration()],
        environment=app.config["SODOAN_ENV"],
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "allowlist", "terms": ["user-agent"]}},
            "http_bodies": [],
            "url_query_params": {"mode": "off"},
            "stack_frame_variables": False,
        },
        traces_sample_rate=0,
        before_send=_tag,
    )
