"""Dashboard sign-in with a cookie session (phones get device tokens instead)."""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from .. import audit
from ..extensions import db
from ..models import ROLE_LABELS, UNIT_KIND_LABELS, Role, UnitKind
from .forms import LoginForm
from .service import authenticate
from .session import load_user, login_required
from .throttle import signin_limits

bp = Blueprint("auth", __name__)


bp.before_app_request(load_user)


@bp.route("/login", methods=["GET", "POST"])
@signin_limits
def login():
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = authenticate(form.username.data or "", form.password.data or "")
        if user is None:
            error = "Tên đăng nhập hoặc mật khẩu không đúng"
            audit.record(
                "sign_in_failed",
                username=(form.username.data or "")[:80],
                method="password",
                channel="dashboard",
            )
            db.session.commit()
        else:
            audit.record("sign_in", actor=user, channel="dashboard")
            db.session.commit()
            session.clear()
            session["user_id"] = user.id
            session["seen"] = int(time.time())
            target = request.args.get("next", "")
            # Only local paths: an open redirect would let a phishing link borrow our name.
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("auth.home")
            return redirect(target)
    status = 401 if error else 200
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    if g.user is not None:
        audit.record("sign_out", actor=g.user, channel="dashboard")
        db.session.commit()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.get("/")
@login_required
def home():
    user = g.user
    return render_template(
        "auth/home.html",
        user=user,
        role_label=ROLE_LABELS[Role(user.role)],
        kind_label=UNIT_KIND_LABELS[UnitKind(user.unit.kind)],
    )
