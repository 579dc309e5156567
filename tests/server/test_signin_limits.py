"""Sign-in limits: shared by every process, aimed at the guesser, never at the account."""

from __future__ import annotations

import socket
import time
import uuid

import pytest
import requests
from sqlalchemy import func, select

from server.auth.throttle import delay_after, network
from server.config import ConfigError, from_environment
from server.extensions import db
from server.models import AuditEvent, Unit, User
from server.models.people import SignInFailure
from tests import factories as f
from tests.server.signin import BIN, client_from, gunicorn, sign_in_device
from tests.server.test_config import _assert_one_clear_line, _run
from tests.world import HEADERS, signed_in

REDIS_URL = "redis://127.0.0.1:6379/0"
ATTACKER, OWNER = "203.0.113.9", "198.51.100.7"


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


needs_redis = pytest.mark.skipif(not _redis_up(), reason="needs Redis on 127.0.0.1:6379")


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own in the shared Redis, removed afterwards."""
    import redis

    prefix = f"sodoan-test-{uuid.uuid4().hex[:8]}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()


def _enrolment_code(world, username: str = "minh") -> str:
    with world.app.app_context():
        from server.auth.accounts import new_enrolment_code

        actor = db.session.scalar(select(User).where(User.username == "canbo"))
        target = db.session.scalar(select(User).where(User.username == username))
        code, _row = new_enrolment_code(actor, target)
        db.session.commit()
    return code


def _with_code(client, code: str):
    return client.post(
        "/api/v1/devices",
        headers=HEADERS,
        json={"enrolment_code": code, "device_id": str(uuid.uuid4()), "device_name": "Máy"},
    )


@pytest.mark.parametrize(
    ("failures", "wait"),
    [(0, 0), (4, 0), (5, 1), (6, 2), (7, 4), (10, 32), (13, 256), (14, 300), (10**6, 300)],
)
def test_the_delay_grows_after_the_free_failures_and_is_capped(failures, wait):
    assert delay_after(failures, free=5, cap=300) == wait


@pytest.mark.parametrize(
    ("address", "counted_as"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("", ""),
        ("not-an-address", "not-an-address"),
    ],
)
def test_an_ipv6_address_counts_as_its_64(address, counted_as):
    assert network(address) == counted_as


def test_a_guesser_cannot_take_a_fresh_ipv6_address_for_each_guess(world):
    world.app.config["SIGNIN_DELAY_AFTER"] = 2
    for i in range(2):
        assert (
            sign_in_device(client_from(world.app, f"2001:db8:7:7::{i}"), "tinh", "x").status_code
            == 401
        )
    assert sign_in_device(client_from(world.app, "2001:db8:7:7::99"), "tinh").status_code == 429
    assert sign_in_device(client_from(world.app, "2001:db8:7:8::1"), "tinh").status_code == 201


def test_each_next_attempt_waits_longer(world):
    world.app.config["SIGNIN_DELAY_AFTER"] = 2
    client = client_from(world.app, ATTACKER)
    assert [sign_in_device(client, "hoa", "sai").status_code for _ in range(2)] == [401, 401]
    held = sign_in_device(client, "hoa", "sai")
    assert held.status_code == 429 and held.headers["Retry-After"] == "1"
    assert held.get_json() == {
        "code": "too_many_requests",
        "message": "Đăng nhập sai quá nhiều lần, vui lòng thử lại sau 1 giây",
        "message_en": "Too many failed sign-ins: try again in 1 s",
        "retry_after": 1,
    }
    time.sleep(1.1)
    assert sign_in_device(client, "hoa", "sai").status_code == 401
    held = sign_in_device(client, "hoa", "sai")
    assert held.status_code == 429 and held.headers["Retry-After"] == "2"


def test_failing_on_purpose_does_not_lock_the_account_for_its_owner(world):
    """A stranger who knows the name of an account (``tinh``, the provincial staff) and
    fails on purpose, again and again, holds back only themselves."""
    attacker = client_from(world.app, ATTACKER)
    for _ in range(12):
        sign_in_device(attacker, "tinh", "sai")
        attacker.post("/login", data={"username": "tinh", "password": "sai"})
    assert sign_in_device(attacker, "tinh").status_code == 429
    owner = client_from(world.app, OWNER)
    assert sign_in_device(owner, "tinh").status_code == 201
    resp = owner.post("/login", data={"username": "tinh", "password": f.PASSWORD})
    assert resp.status_code == 302


def test_the_dashboard_says_how_long_to_wait(world):
    world.app.config["SIGNIN_DELAY_AFTER"] = 1
    client = client_from(world.app, ATTACKER)
    assert client.post("/login", data={"username": "tinh", "password": "x"}).status_code == 401
    resp = client.post("/login", data={"username": "tinh", "password": f.PASSWORD})
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "1"
    assert "Vui lòng thử lại sau 1 giây" in resp.get_data(as_text=True)


def test_wrong_enrolment_codes_do_not_hold_up_anyone_elses_enrolment(world):
    """Codes are throttled per address and per code: a stream of wrong codes from one
    address must not block the province's other enrolments (they all shared one key)."""
    guesser = client_from(world.app, ATTACKER)
    for i in range(12):
        resp = _with_code(guesser, f"AAAA-BBBB-{i:04d}")
        assert resp.status_code in (401, 429)
    code = _enrolment_code(world)
    resp = _with_code(client_from(world.app, OWNER), code)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["user"]["username"] == "minh"


def test_one_code_tried_over_and_over_is_held_back_from_every_address(world):
    world.app.config["SIGNIN_DELAY_AFTER"] = 2
    for i in range(2):
        assert (
            _with_code(client_from(world.app, f"192.0.2.{i}"), "WXYZ-WXYZ-WXYZ").status_code == 401
        )
    held = _with_code(client_from(world.app, "192.0.2.99"), "wxyz wxyz wxyz")  # same code
    assert held.status_code == 429
    assert _with_code(client_from(world.app, "192.0.2.99"), "WXYZ-WXYZ-WXY2").status_code == 401


def test_an_address_is_limited_for_codes_and_passwords_together(world):
    world.app.config["SIGNIN_ADDRESS_FAILURES"] = 3
    client = client_from(world.app, ATTACKER)
    assert _with_code(client, "AAAA-AAAA-AAAA").status_code == 401
    assert sign_in_device(client, "hoa", "sai").status_code == 401
    assert client.post("/login", data={"username": "lan", "password": "x"}).status_code == 401
    held = _with_code(client, _enrolment_code(world))
    assert held.status_code == 429
    assert 890 <= int(held.headers["Retry-After"]) <= 900  # until the first leaves the window


def test_failures_leave_the_table_with_the_window(world):
    world.app.config["SIGNIN_WINDOW_MINUTES"] = 1
    client = client_from(world.app, ATTACKER)
    sign_in_device(client, "hoa", "sai")
    with world.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SignInFailure)) == 2
        old = db.session.scalars(select(SignInFailure)).all()
        for row in old:
            row.at = row.at.replace(year=row.at.year - 1)
        db.session.commit()
    sign_in_device(client, "lan", "sai")
    with world.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SignInFailure)) == 2


def test_being_held_back_is_logged_and_shown_to_administrators(world):
    world.app.config["SIGNIN_DELAY_AFTER"] = 3
    world.app.config["SIGNIN_ADDRESS_FAILURES"] = 6
    with world.app.app_context():
        f.user("quantri", db.session.get(Unit, world.ids["province"]), role="admin")
        db.session.commit()
    attacker = client_from(world.app, ATTACKER)
    for _ in range(3):
        sign_in_device(attacker, "tinh", "sai")
    for i in range(3):
        sign_in_device(attacker, f"khong-co-{i}", "sai")
    sign_in_device(client_from(world.app, OWNER), "tinh", "sai")
    with world.app.app_context():
        held = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "sign_in_throttled")
        ).all()
    assert sorted((e.detail["kind"], e.address) for e in held) == [
        ("account", ATTACKER),
        ("address", ATTACKER),
    ]
    page = signed_in(world.app, "quantri").get("/sign-ins")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    by_account = html.split('id="by-account"')[1].split("</table>")[0]
    assert "tinh</td>" not in by_account  # the name is followed by whether it exists
    row = by_account.split("<tr>")[2]
    assert "tinh <strong>(tài khoản có thật)</strong>" in row
    assert ">4</td>" in row and ">2</td>" in row  # 4 failures from 2 addresses
    assert ATTACKER in html.split('id="throttled"')[1]
    for username in ("tinh", "canbo", "hoa"):
        assert signed_in(world.app, username).get("/sign-ins").status_code == 404


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"SIGNIN_LIMIT_ACCOUNT": "5 per 15 minutes"}, "SIGNIN_DELAY_AFTER"),
        ({"SIGNIN_LIMIT_ADDRESS": "30 per 15 minutes"}, "SIGNIN_ADDRESS_FAILURES"),
        ({"REDIS_URL": "127.0.0.1:6379"}, "redis://"),
        ({"SIGNIN_DELAY_AFTER": "0"}, "SIGNIN_DELAY_AFTER"),
    ],
)
def test_limit_settings_that_would_be_ignored_or_wrong_are_refused(tmp_path, env, needle):
    with pytest.raises(ConfigError, match=needle):
        from_environment(env, tmp_path)


@pytest.mark.parametrize("store", ["database", pytest.param("redis", marks=needs_redis)])
def test_two_app_processes_share_one_limit(world, database_uri, tmp_path, store, request):
    """Two servers on one database (as two workers or two machines are): failures made
    on one count on the other. Per-process counts would allow the limit once per process."""
    env = {"SIGNIN_ADDRESS_FAILURES": "4"}
    if store == "redis":
        env |= {"REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": request.getfixturevalue("redis_prefix")}
    with (
        gunicorn(database_uri, tmp_path, env=env) as one,
        gunicorn(database_uri, tmp_path, env=env) as two,
    ):

        def attempt(base: str, username: str, password: str = "sai") -> requests.Response:
            return requests.post(
                base + "/api/v1/devices",
                headers=HEADERS,
                json={"username": username, "password": password, "device_id": str(uuid.uuid4())},
                timeout=30,
            )

        codes = [
            attempt(base, f"khong-co-{i}").status_code for i, base in enumerate([one, two] * 2)
        ]
        assert codes == [401, 401, 401, 401]
        held = [attempt(one, "hoa", f.PASSWORD), attempt(two, "lan", f.PASSWORD)]
        assert [r.status_code for r in held] == [429, 429]
        assert all(int(r.headers["Retry-After"]) > 800 for r in held)
    with world.app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(SignInFailure))
    assert rows == (8 if store == "database" else 0)


@needs_redis
def test_redis_keeps_the_counts_when_configured(make_app, database_uri, world, redis_prefix):
    import redis

    app = make_app(
        SQLALCHEMY_DATABASE_URI=database_uri,
        WTF_CSRF_ENABLED=False,
        REDIS_URL=REDIS_URL,
        REDIS_KEY_PREFIX=redis_prefix,
        SIGNIN_DELAY_AFTER=2,
    )
    client = client_from(app, ATTACKER)
    assert [sign_in_device(client, "hoa", "sai").status_code for _ in range(3)] == [401, 401, 429]
    assert sign_in_device(client_from(app, OWNER), "hoa").status_code == 201
    keys = list(redis.Redis.from_url(REDIS_URL).scan_iter(redis_prefix + "*"))
    assert len(keys) == 2  # the account from that address, and the address
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SignInFailure)) == 0


def test_an_unreachable_redis_answers_503_not_500(make_app, database_uri, world):
    app = make_app(
        SQLALCHEMY_DATABASE_URI=database_uri,
        WTF_CSRF_ENABLED=False,
        REDIS_URL="redis://127.0.0.1:9/0",
    )
    client = app.test_client()
    resp = sign_in_device(client, "hoa")
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "10"
    assert resp.get_json()["code"] == "service_unavailable"
    resp = client.post("/login", data={"username": "hoa", "password": f.PASSWORD})
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "10"


def test_an_unreachable_redis_stops_the_server_at_start_with_one_line(tmp_path):
    proc = _run(
        [str(BIN / "gunicorn"), "--preload", "-b", "127.0.0.1:0", "server:create_app()"],
        {
            "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
            "REDIS_URL": "redis://127.0.0.1:9/0",
            "SECRET_KEY": "x" * 40,
        },
        tmp_path,
    )
    _assert_one_clear_line(proc, "cannot reach Redis")
