"""Behind a trusted proxy each phone has its own address; without one, the header is ignored.

Every phone of a province reaches the app through the same TLS proxy. Unless the app reads
the address the proxy forwards, every phone has the proxy's address: the audit log records
the proxy, and the per-address sign-in limit locks out the whole province at once. Trusting
the header when no proxy is configured would be worse: anyone could pick their address.
"""

from __future__ import annotations

import uuid

from flask import request
from sqlalchemy import select

from server.extensions import db
from server.models import AuditEvent
from tests import factories as f
from tests.world import HEADERS

PROXY = "10.0.0.2"


def sign_in(client, username: str, *, forwarded: str | None, password: str = f.PASSWORD):
    headers = dict(HEADERS)
    if forwarded is not None:
        headers["X-Forwarded-For"] = forwarded
        headers["X-Forwarded-Proto"] = "https"
    return client.post(
        "/api/v1/devices",
        headers=headers,
        environ_base={"REMOTE_ADDR": PROXY},
        json={
            "username": username,
            "password": password,
            "device_id": str(uuid.uuid4()),
            "device_name": "Điện thoại",
        },
    )


def addresses(app) -> list[str | None]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent.address)
                .where(AuditEvent.action == "device_signed_in")
                .order_by(AuditEvent.id)
            )
        )


def with_scheme_probe(app):
    """The scheme the app believes the request came with (what url_for(_external) uses)."""
    app.add_url_rule("/_scheme", "scheme_probe", lambda: request.scheme)
    return app


def test_behind_one_trusted_proxy_two_phones_are_two_addresses(world, make_app, database_uri):
    app = with_scheme_probe(
        make_app(TESTING=True, SQLALCHEMY_DATABASE_URI=database_uri, TRUSTED_PROXIES=1)
    )
    client = app.test_client()
    assert sign_in(client, "hoa", forwarded="203.0.113.7").status_code == 201
    # A phone that sends its own X-Forwarded-For: the proxy appends the address it saw,
    # and only the entries the trusted proxies added are believed.
    assert sign_in(client, "lan", forwarded="198.51.100.66, 203.0.113.8").status_code == 201
    assert addresses(app) == ["203.0.113.7", "203.0.113.8"]
    resp = client.get(
        "/_scheme",
        environ_base={"REMOTE_ADDR": PROXY},
        headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
    )
    assert resp.get_data(as_text=True) == "https"


def test_failed_sign_ins_from_one_phone_do_not_lock_out_the_province(world, make_app, database_uri):
    app = make_app(
        TESTING=True,
        SQLALCHEMY_DATABASE_URI=database_uri,
        TRUSTED_PROXIES=1,
        SIGNIN_ADDRESS_FAILURES=3,
        SIGNIN_DELAY_AFTER=100,
    )
    client = app.test_client()
    for _ in range(3):
        resp = sign_in(client, "hoa", forwarded="203.0.113.7", password="sai-mat-khau")
        assert resp.status_code == 401
    assert sign_in(client, "hoa", forwarded="203.0.113.7").status_code == 429
    # Another phone behind the same proxy signs in.
    assert sign_in(client, "lan", forwarded="203.0.113.8").status_code == 201


def test_with_no_trusted_proxy_a_forwarded_address_is_ignored(world, make_app, database_uri):
    app = with_scheme_probe(make_app(TESTING=True, SQLALCHEMY_DATABASE_URI=database_uri))
    assert app.config["TRUSTED_PROXIES"] == 0
    client = app.test_client()
    assert sign_in(client, "hoa", forwarded="203.0.113.7").status_code == 201
    assert sign_in(client, "lan", forwarded="203.0.113.8").status_code == 201
    assert addresses(app) == [PROXY, PROXY]
    resp = client.get(
        "/_scheme", environ_base={"REMOTE_ADDR": PROXY}, headers={"X-Forwarded-Proto": "https"}
    )
    assert resp.get_data(as_text=True) == "http"
