"""Slowing down password and code guessing, without handing anyone a way to lock others out.

Failed sign-ins are counted under keys, over a sliding window (``SIGNIN_WINDOW_MINUTES``):

- **an account from one address**: after ``SIGNIN_DELAY_AFTER`` failures, each next
  attempt must wait 1, 2, 4 … seconds after the last failure, at most
  ``SIGNIN_DELAY_MAX_SECONDS``. Someone failing on purpose slows down only themselves:
  the same account signs in from any other address as usual;
- **an enrolment code**: the same delays per code (a code is never an account's key, so
  wrong codes cannot hold up anybody else's enrolment);
- **an address**: at most ``SIGNIN_ADDRESS_FAILURES`` failures, whatever the accounts or
  codes tried, then nothing more from it until the oldest failure leaves the window.
  An IPv6 address counts as its /64 (:func:`network`).

Only failures count, and a success forgets its account's (or code's) failures. While a
key waits, even the right password is refused, so the wait costs a guesser what it costs.

The counts live where every worker and every machine sees them (decision 79): the
database by default (``signin_failures``), Redis when ``REDIS_URL`` is set. There is no
per-process store, so more workers never mean more guesses.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from flask import Flask, current_app
from sqlalchemy import delete, func, insert, select

from .. import audit
from ..config import ConfigError
from ..extensions import db
from ..models import normalise_username
from ..models.people import SignInFailure
from .accounts import code_hash

EXTENSION = "sodoan_signin_failures"

#: Seconds a client should wait when the store of counts cannot be reached.
UNAVAILABLE_RETRY_AFTER = 10


class ThrottleUnavailable(Exception):
    """The shared store of failure counts cannot be reached: no sign-in is judged."""


@dataclass(frozen=True)
class Tally:
    """Failures under one key within the window: how many, the first and the last (Unix
    seconds)."""

    count: int
    first: float
    last: float


NONE = Tally(0, 0.0, 0.0)


class FailureStore(Protocol):
    def tally(self, keys: list[str], since: float) -> dict[str, Tally]: ...

    def record(self, keys: list[str], now: float, window: float) -> None: ...

    def forget(self, keys: list[str]) -> None: ...


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class DatabaseFailures:
    """Failures as rows of ``signin_failures``, written in the caller's transaction (so a
    failure and its audit event are committed together)."""

    def tally(self, keys: list[str], since: float) -> dict[str, Tally]:
        rows = db.session.execute(
            select(
                SignInFailure.key,
                func.count(),
                func.min(SignInFailure.at),
                func.max(SignInFailure.at),
            )
            .where(SignInFailure.key.in_(keys), SignInFailure.at > _at(since))
            .group_by(SignInFailure.key)
        )
        return {k: Tally(n, first.timestamp(), last.timestamp()) for k, n, first, last in rows}

    def record(self, keys: list[str], now: float, window: float) -> None:
        db.session.execute(insert(SignInFailure), [{"key": k, "at": _at(now)} for k in keys])
        # What left the window is of no more use here (the audit log keeps the story).
        db.session.execute(delete(SignInFailure).where(SignInFailure.at < _at(now - window)))

    def forget(self, keys: list[str]) -> None:
        db.session.execute(delete(SignInFailure).where(SignInFailure.key.in_(keys)))


class RedisFailures:
    """Failures as sorted sets (member: a unique stamp, score: the time), one per key,
    expiring with the window. Short socket time-outs: a Redis that hangs must not hold a
    worker (the sign-in answers 503 instead)."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self._errors = (redis.RedisError, OSError)
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix + "signin:"

    def ping(self) -> str | None:
        """A one-line reason if Redis cannot be reached, else None."""
        try:
            self.client.ping()
        except self._errors as exc:
            return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return None

    def _run(self, commands: Any) -> list[Any]:
        pipe = self.client.pipeline(transaction=False)
        commands(pipe)
        try:
            return pipe.execute()
        except self._errors as exc:
            current_app.logger.error("redis unavailable for sign-in limits: %s", exc)
            raise ThrottleUnavailable(str(exc)) from None

    def tally(self, keys: list[str], since: float) -> dict[str, Tally]:
        def commands(pipe: Any) -> None:
            for k in keys:
                name = self.prefix + k
                pipe.zcount(name, f"({since}", "+inf")
                pipe.zrangebyscore(name, f"({since}", "+inf", start=0, num=1, withscores=True)
                pipe.zrevrangebyscore(name, "+inf", f"({since}", start=0, num=1, withscores=True)

        out = self._run(commands)
        tallies = {}
        for i, k in enumerate(keys):
            count, first, last = out[3 * i : 3 * i + 3]
            if count:
                tallies[k] = Tally(int(count), float(first[0][1]), float(last[0][1]))
        return tallies

    def record(self, keys: list[str], now: float, window: float) -> None:
        member = f"{now:.6f}:{secrets.token_hex(4)}"

        def commands(pipe: Any) -> None:
            for k in keys:
                name = self.prefix + k
                pipe.zadd(name, {member: now})
                pipe.zremrangebyscore(name, "-inf", now - window)
                pipe.expire(name, math.ceil(window) + 1)

        self._run(commands)

    def forget(self, keys: list[str]) -> None:
        self._run(lambda pipe: pipe.delete(*(self.prefix + k for k in keys)))


def init_app(app: Flask) -> None:
    """Choose the store; with Redis, check it answers now (one clear line if not) rather
    than on a member's first sign-in."""
    url = app.config.get("REDIS_URL")
    if not url:
        app.extensions[EXTENSION] = DatabaseFailures()
        return
    try:
        store = RedisFailures(url, app.config["REDIS_KEY_PREFIX"])
    except ValueError as exc:
        raise ConfigError(f"REDIS_URL không hợp lệ / is not a valid URL: {exc}") from None
    if app.config.get("SODOAN_PROBE_DATABASE"):
        reason = store.ping()
        # No connection left open for gunicorn's workers to inherit across the fork.
        store.client.connection_pool.disconnect()
        if reason is not None:
            raise ConfigError(
                f"Không kết nối được Redis / cannot reach Redis (REDIS_URL): {reason}"
            )
    app.extensions[EXTENSION] = store


def _store() -> FailureStore:
    return current_app.extensions[EXTENSION]


def _key(*parts: str) -> str:
    """A fixed-length key: no typed text of any length ends up in an index or in Redis."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def delay_after(failures: int, free: int, cap: int) -> int:
    """Seconds the next attempt must wait after ``failures`` failures (the last one's
    time counts): none for the first ``free``, then 1, 2, 4 … up to ``cap``."""
    if failures < free:
        return 0
    return min(cap, 2 ** min(failures - free, 32))


@dataclass
class Attempt:
    """One sign-in attempt: the keys its failure counts under, what it found there."""

    #: kind ("account", "code" or "address") → key
    keys: dict[str, str]
    username: str | None = None
    found: dict[str, Tally] = field(default_factory=dict)

    def wait(self) -> int:
        """Seconds to wait before this attempt may be judged; 0: judge it now."""
        config = current_app.config
        window = config["SIGNIN_WINDOW_MINUTES"] * 60
        now = time.time()
        found = _store().tally(list(self.keys.values()), now - window)
        self.found = {kind: found.get(key, NONE) for kind, key in self.keys.items()}
        until = now
        for kind, tally in self.found.items():
            if kind == "address":
                if tally.count >= config["SIGNIN_ADDRESS_FAILURES"]:
                    until = max(until, tally.first + window)
            else:
                pause = delay_after(
                    tally.count, config["SIGNIN_DELAY_AFTER"], config["SIGNIN_DELAY_MAX_SECONDS"]
                )
                until = max(until, tally.last + pause)
        return math.ceil(until - now) if until > now else 0

    def failed(self) -> None:
        """Count this failure under every key (in the caller's transaction with the
        database store), and tell staff when it starts holding a key back."""
        config = current_app.config
        _store().record(list(self.keys.values()), time.time(), config["SIGNIN_WINDOW_MINUTES"] * 60)
        for kind in self.keys:
            limit = (
                config["SIGNIN_ADDRESS_FAILURES"]
                if kind == "address"
                else config["SIGNIN_DELAY_AFTER"]
            )
            if self.found.get(kind, NONE).count + 1 == limit:
                audit.record("sign_in_throttled", kind=kind, username=self.username)

    def succeeded(self) -> None:
        """Forget the failures of this account from this address (or of this code); the
        address's own count stays, or one good account would reset a guesser's limit."""
        spent = [
            key
            for kind, key in self.keys.items()
            if kind != "address" and self.found.get(kind, NONE).count
        ]
        if spent:
            _store().forget(spent)


def network(address: str | None) -> str:
    """Where an attempt comes from, as the throttle counts it: an IPv4 address, or an
    IPv6 address's /64 (one subscriber's network: a phone on IPv6 is given a whole /64,
    and could otherwise take a fresh address for every guess)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or ""
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def for_password(username: str, address: str | None) -> Attempt:
    name = normalise_username(username)[:80]
    where = network(address)
    return Attempt(
        {"account": _key("account", name, where), "address": _key("address", where)},
        username=name,
    )


def for_code(code: str, address: str | None) -> Attempt:
    where = network(address)
    return Attempt({"code": _key("code", code_hash(code)), "address": _key("address", where)})
