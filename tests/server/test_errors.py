"""One error module: every code written out, every code an API client can get documented
in docs/PROTOCOL.md, the same handler for the API (JSON) and the pages (HTML)."""

from __future__ import annotations

import ast
import io
import re
import uuid
from pathlib import Path

import pytest
from flask import abort

import sync.errors
from server.errors import HTTP_CODES, MESSAGES
from tests.world import HEADERS

ROOT = Path(__file__).resolve().parents[2]


def documented_codes() -> set[str]:
    """Codes PROTOCOL.md promises: the ``| status | code |`` tables (§1, §4) and the codes
    written with their status in the text (``409 user_inactive``, §7)."""
    text = (ROOT / "docs" / "PROTOCOL.md").read_text(encoding="utf-8")
    codes = set(re.findall(r"`\d{3} ([a-z_]+)`", text))
    in_table = False
    for line in text.splitlines():
        if line.startswith("| status | code |"):
            in_table = True
        elif not line.startswith("|"):
            in_table = False
        elif in_table:
            codes |= set(re.findall(r"`([a-z_]+)`", line.split("|")[2]))
    return codes


def raised_codes() -> set[str]:
    """Every code the server raises by name: ``ApiError(status, "code", …)`` anywhere in
    server/, the engine's refusals of a request and of a conflict resolution."""
    codes: set[str] = set()
    for path in (ROOT / "server").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) in ("ApiError", "ConflictError")
                and node.args
            ):
                code = node.args[1] if node.func.id == "ApiError" else node.args[0]
                if isinstance(code, ast.Constant):
                    codes.add(code.value)
    conflicts = (ROOT / "sync" / "conflicts.py").read_text(encoding="utf-8")
    codes |= set(re.findall(r'ConflictError\("([a-z_]+)"', conflicts))
    pending = [sync.errors.SyncRefusal]
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        if cls is not sync.errors.SyncRefusal:
            codes.add(cls.code)
    return codes


def test_every_code_raised_has_its_message_and_is_documented():
    codes = raised_codes()
    assert {"upgrade_required", "mutation_gap", "resync_required", "user_inactive"} <= codes
    assert codes <= MESSAGES.keys(), codes - MESSAGES.keys()
    assert codes <= documented_codes(), codes - documented_codes()


def test_every_http_status_has_an_explicit_code_with_a_message_and_is_documented():
    # The web framework's own refusals reach API clients too (an unknown path, a wrong
    # method, a chunked body over the limit): each is in PROTOCOL §1, none left out.
    codes = set(HTTP_CODES.values()) | {"error"}
    assert codes <= MESSAGES.keys()
    assert codes <= documented_codes(), codes - documented_codes()


def test_a_wrong_method_says_which_are_allowed(world):
    phone = world.phone("hoa")
    headers = {**HEADERS, "Authorization": f"Bearer {phone.token}"}
    resp = phone.client.get("/api/v1/sync/push", headers=headers)
    assert resp.status_code == 405 and resp.get_json()["code"] == "method_not_allowed"
    assert "POST" in resp.headers["Allow"]


def test_an_oversized_chunked_body_answers_body_too_large(world):
    phone = world.phone("hoa")
    headers = {**HEADERS, "Authorization": f"Bearer {phone.token}"}
    # Chunked, as gunicorn passes it on: no Content-Length, the stream ends by itself.
    resp = phone.client.post(
        "/api/v1/sync/push",
        input_stream=io.BytesIO(b'{"device_id": "' + b"x" * (5 << 20) + b'"}'),
        headers=headers,
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert resp.status_code == 413 and resp.get_json()["code"] == "body_too_large"
    assert resp.get_json()["limit_bytes"] == 1024 * 1024


@pytest.mark.parametrize("value", ["01", "001", "1.0", "+1", "1,1", "1 1", "v1", "", "2"])
def test_the_protocol_header_must_be_exactly_1(world, value):
    phone = world.phone("hoa")
    headers = {"Sodoan-Protocol": value, "Authorization": f"Bearer {phone.token}"}
    resp = phone.client.get("/api/v1/conflicts", headers=headers)
    assert resp.status_code == 426 and resp.get_json()["code"] == "upgrade_required"
    assert resp.get_json()["supported"] == [1]


def test_spaces_around_the_protocol_header_are_not_part_of_it(world):
    # As HTTP says of every header: the same answer whether the server in front strips
    # them or not.
    phone = world.phone("hoa")
    for value in (" 1", "1\t", " 1 "):
        headers = {"Sodoan-Protocol": value, "Authorization": f"Bearer {phone.token}"}
        assert phone.client.get("/api/v1/conflicts", headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("get", "/api/v1/no-such-thing", None, 404, "not_found"),
        ("post", "/api/v1/conflicts/not-a-uuid/resolve", b"{}", 404, "not_found"),
        ("get", "/api/v1/sync/push", None, 405, "method_not_allowed"),
        (
            "post",
            "/api/v1/devices",
            b'{"username": "' + b"x" * (5 << 20) + b'"}',
            413,
            "body_too_large",
        ),  # fmt: skip
    ],
)
def test_the_frameworks_refusals_on_the_api(world, method, path, body, status, code):
    phone = world.phone("hoa")
    headers = {**HEADERS, "Authorization": f"Bearer {phone.token}"}
    resp = getattr(phone.client, method)(path, data=body, headers=headers)
    assert resp.status_code == status and resp.mimetype == "application/json"
    out = resp.get_json()
    assert out["code"] == code and out["message"] == MESSAGES[code] and out["message_en"]
    assert code in documented_codes()


def test_too_many_sign_ins_answer_the_documented_code(world):
    client = world.app.test_client()
    for _ in range(6):
        resp = client.post(
            "/api/v1/devices",
            headers=HEADERS,
            json={"username": "minh", "password": "sai", "device_id": str(uuid.uuid4())},
        )
    assert resp.status_code == 429 and resp.get_json()["code"] == "too_many_requests"
    assert "too_many_requests" in documented_codes() and int(resp.headers["Retry-After"]) > 0


def test_one_handler_answers_pages_in_html_and_json_clients_in_json(client):
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "Không tìm thấy" in page.get_data(as_text=True)
    as_json = client.get("/no-such-page", headers={"Accept": "application/json"})
    out = as_json.get_json()
    assert as_json.status_code == 404 and out["code"] == "not_found"
    assert out["message"] == "Không tìm thấy" and out["message_en"] not in page.get_data(
        as_text=True
    )
    # One language per page: the English page says the English half (decision 183).
    english = client.get("/no-such-page?lang=en").get_data(as_text=True)
    assert out["message_en"] in english and "Không tìm thấy" not in english


def test_a_status_without_a_code_is_not_named_after_its_exception(make_app, database_uri):
    app = make_app(SQLALCHEMY_DATABASE_URI=database_uri)
    app.add_url_rule("/teapot", "teapot", lambda: abort(418))
    resp = app.test_client().get("/teapot", headers={"Accept": "application/json"})
    assert resp.status_code == 418
    assert resp.get_json()["code"] == "error" and resp.get_json()["message"] == "Lỗi"
