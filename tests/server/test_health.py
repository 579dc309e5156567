from __future__ import annotations


def test_healthz_checks_the_database(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_an_unreachable_database(backend, make_app, tmp_path):
    if backend.name == "sqlite":
        # A directory where the database file should be: SQLite cannot open it.
        (tmp_path / "db-is-a-directory").mkdir()
        uri = f"sqlite:///{tmp_path / 'db-is-a-directory'}"
    else:
        uri = "postgresql+psycopg://sodoan@127.0.0.1:9/nothing"
    app = make_app(SQLALCHEMY_DATABASE_URI=uri)
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json()["database"] == "unreachable"
    assert int(resp.headers["Retry-After"]) > 0


def test_security_headers_on_every_response(client):
    resp = client.get("/login")
    assert resp.status_code == 200
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in resp.headers


def test_unknown_api_path_answers_json(client):
    resp = client.get("/api/v1/nothing-here")
    assert resp.status_code == 404
    body = resp.get_json()
    assert body["code"] == "not_found" and body["message"] == "Không tìm thấy"


def test_api_answers_carry_lean_headers(client):
    resp = client.get("/api/v1/conflicts", headers={"Sodoan-Protocol": "1"})
    assert resp.status_code == 401
    assert resp.headers["Content-Security-Policy"] == "default-src 'none'"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "Cookie" not in resp.headers.get("Vary", "")
    assert "Set-Cookie" not in resp.headers
