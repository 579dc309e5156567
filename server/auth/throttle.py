"""Slowing down password guessing: failed sign-ins are limited per account and per address.

Only failures count (``deduct_when``), so a member who signs in correctly is never
throttled; once a limit is reached, even the right password waits for the window to end.
Limits live in Flask-Limiter's store: memory by default, Redis when ``REDIS_URL`` is set
(needed as soon as there is more than one server process to share the counts).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, current_app, request
from flask_limiter.util import get_remote_address

from ..extensions import limiter
from ..models import normalise_username


def _account_key() -> str:
    name = request.form.get("username")
    if name is None:
        body = request.get_json(silent=True, cache=True)
        name = body.get("username") if isinstance(body, dict) else None
    return "account:" + normalise_username(str(name or ""))


def _failed(response: Response) -> bool:
    return response.status_code == 401


def signin_limits(view: Callable[..., Any]) -> Callable[..., Any]:
    per_account = limiter.limit(
        lambda: current_app.config["SIGNIN_LIMIT_ACCOUNT"],
        key_func=_account_key,
        deduct_when=_failed,
        methods=["POST"],
        scope="signin-account",
    )
    per_address = limiter.limit(
        lambda: current_app.config["SIGNIN_LIMIT_ADDRESS"],
        key_func=get_remote_address,
        deduct_when=_failed,
        methods=["POST"],
        scope="signin-address",
    )
    return per_address(per_account(view))
