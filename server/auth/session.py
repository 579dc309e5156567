"""Dashboard sessions: who is signed in on this request, and the guard for pages.

The signed cookie carries the user's id, when the session was last seen (idle time-out)
and the user's *session epoch* when it started. Every request already loads the user, so
comparing the epoch costs nothing; raising it in the database (sign-out, a new password,
deactivation: ``accounts.end_sessions``) ends every session of that person on every
server, and a cookie copied before is worth nothing (decision 82).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from flask import current_app, g, redirect, request, session, url_for

from ..database import begin_writing
from ..extensions import db
from ..models import User

#: Methods that may change something: their transaction starts as a writer (below).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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
    if user is not None and (
        session.get("epoch") != user.session_epoch or now - int(session.get("seen", 0)) > idle
    ):
        session.clear()
        user = None
    if user is not None and now - int(session.get("seen", 0)) > 60:
        session["seen"] = now  # at most one cookie rewrite a minute
    g.user = user if user is not None and user.is_active else None


def start_session(user: User) -> None:
    """A new session for ``user`` (after the transaction that signed them in committed,
    so the epoch read here is the one stored)."""
    session.clear()
    session["user_id"] = user.id
    session["epoch"] = user.session_epoch
    session["seen"] = int(time.time())


def login_required(
    view: Callable[..., Any] | None = None, *, begin_write: bool = True
) -> Callable[..., Any]:
    """Send a visitor without a session to the sign-in page.

    A signed-in person's form post (any method but GET, HEAD, OPTIONS) starts its
    transaction as a writer: on SQLite a transaction that reads and then writes cannot
    wait for the write lock once another writer has committed, and fails at once with
    "database is locked"; queueing up front makes it wait its turn (decision 84).
    ``begin_write=False`` is for a view that must do slow work (a password hash) before
    it writes, and starts its own write transaction.
    """
    if view is None:
        return functools.partial(login_required, begin_write=begin_write)

    @functools.wraps(view)
    def wrapped(**kwargs: Any) -> Any:
        if g.user is None:
            return redirect(url_for("auth.login", next=request.path))
        if begin_write and request.method not in SAFE_METHODS:
            begin_writing(db.session())
        return view(**kwargs)

    return wrapped
