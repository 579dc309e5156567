"""Dashboard sign-in with a cookie session."""

from __future__ import annotations

import re

import pytest

from server.extensions import db
from server.models import UnitKind
from tests import factories as f


@pytest.fixture
def member(app):
    with app.app_context():
        root = f.unit("CB", None, UnitKind.PROVINCE, name="Tỉnh Đoàn Cao Bằng")
        branch = f.unit("CB-01", root, name="Chi đoàn xóm <b>Nà</b> Lủng")
        f.user("0912000001", branch, full_name="Nông Thị Hoa <script>alert(1)</script>")
        db.session.commit()
    return "0912000001"


def login(client, username, password=f.PASSWORD, follow=False, **kw):
    return client.post(
        "/login", data={"username": username, "password": password}, follow_redirects=follow, **kw
    )


def test_a_user_signs_in_and_sees_their_unit_escaped(client, member):
    resp = login(client, " 0912000001 ", follow=True)
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "Nông Thị Hoa &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Chi đoàn xóm &lt;b&gt;Nà&lt;/b&gt; Lủng" in page
    assert "<script>alert" not in page


@pytest.mark.parametrize(
    ("username", "password"), [("0912000001", "sai-mat-khau"), ("0999999999", f.PASSWORD)]
)
def test_wrong_credentials_get_one_answer(client, member, username, password):
    resp = login(client, username, password)
    assert resp.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in resp.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_a_deactivated_user_cannot_sign_in_or_keep_a_session(app, client, member):
    assert login(client, member).status_code == 302
    with app.app_context():
        from sqlalchemy import update

        from server.models import User

        db.session.execute(update(User).values(is_active=False))
        db.session.commit()
    assert client.get("/").status_code == 302
    assert login(client, member).status_code == 401


def test_next_only_leads_to_local_paths(client, member):
    resp = login(client, member, query_string={"next": "//evil.example/x"})
    assert resp.headers["Location"] == "/"
    resp = login(client, member, query_string={"next": "/healthz"})
    assert resp.headers["Location"] == "/healthz"


def test_sign_out_ends_the_session(client, member):
    login(client, member)
    assert client.get("/").status_code == 200
    client.post("/logout")
    assert client.get("/").status_code == 302


def test_forms_refuse_a_post_without_the_csrf_token(make_app, database_uri, member):
    app = make_app(SQLALCHEMY_DATABASE_URI=database_uri)
    client = app.test_client()
    assert login(client, member).status_code == 400
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    resp = client.post(
        "/login", data={"username": member, "password": f.PASSWORD, "csrf_token": token}
    )
    assert resp.status_code == 302
