"""Dashboard sessions: who is signed in on this request, and the guard for pages."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from flask import current_app, g, redirect, request, session, url_for

from ..extensions import db
from ..models import User


def load_user() -> None:
    """Set ``g.user`` from the session cookie (registered before every request)."""
    if request.path.startswith("/api/"):
        # The API authenticates devices by token; reading the cookie session here would
        # only add "Vary: Cookie" to every answer.
        g.user = None
        return
    user_id = session.get("user_id")
    user = db.session.get(User, user_id) if user_id is not None else None
    now = int(time.time())
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
    if user is not None and now - int(session.get("seen", 0)) > idle:
        session.clear()
        user = None
    if user is not None and now - int(session.get("seen", 0)) > 60:
        session["seen"] = now  # at most one cookie rewrite a minute
    g.user = user if user is not None and user.is_active else None


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapped(**kwargs: Any) -> Any:
        if g.user is None:
            return redirect(url_for("auth.login", next=request.path))
        return view(**kwargs)

    return wrapped
