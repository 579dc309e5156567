"""Dashboard sign-in with a cookie session (phones get device tokens instead)."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from .. import audit
from ..database import begin_writing
from ..errors import render
from ..extensions import db
from ..models import ROLE_LABELS, UNIT_KIND_LABELS, Role, UnitKind, User
from ..models.types import utcnow
from . import throttle
from .accounts import end_sessions, set_password
from .forms import LoginForm, PasswordForm
from .passwords import hash_password, verify_password
from .redirects import safe_next
from .service import authenticate, record_failure
from .session import load_user, login_required, start_session
from .watch import sign_in_watch

bp = Blueprint("auth", __name__)
bp.before_app_request(load_user)


def _wrong() -> str:
    return _("Tên đăng nhập hoặc mật khẩu không đúng")


def _wait_message(seconds: int) -> str:
    return _("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau %(num)d giây.", num=seconds)


@bp.app_errorhandler(throttle.ThrottleUnavailable)
def _limits_unavailable(exc: throttle.ThrottleUnavailable):
    db.session.rollback()
    response = render(
        503, "service_unavailable", "Sign-in limits cannot be checked; nothing was changed"
    )
    response.headers["Retry-After"] = str(throttle.UNAVAILABLE_RETRY_AFTER)
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form, error=None)
    attempt = throttle.for_password(form.username.data or "", request.remote_addr)
    wait = attempt.wait()
    if wait:
        page = render_template("auth/login.html", form=form, error=_wait_message(wait), wait=wait)
        return page, 429, {"Retry-After": str(wait)}
    user = authenticate(form.username.data or "", form.password.data or "")
    if user is None:
        record_failure(
            attempt,
            username=(form.username.data or "")[:80],
            method="password",
            channel="dashboard",
        )
        return render_template("auth/login.html", form=form, error=_wrong()), 401
    attempt.succeeded()
    audit.record("sign_in", actor=user, channel="dashboard")
    db.session.commit()
    start_session(user)
    return redirect(safe_next(request.args.get("next")) or url_for("auth.home"))


@bp.post("/logout")
def logout():
    """End the session here and on every other browser of this person: the cookie is
    worth nothing afterwards, even if it was copied."""
    if g.user is not None:
        user_id = g.user.id
        begin_writing(db.session())
        user = db.session.get(User, user_id)
        end_sessions(user)
        audit.record("sign_out", actor=user, channel="dashboard")
        db.session.commit()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required(begin_write=False)
def password():
    """A person changes their own password; their other sessions end, this one goes on."""
    form = PasswordForm()
    error, status = None, 200
    if form.validate_on_submit():
        attempt = throttle.for_password(g.user.username, request.remote_addr)
        wait = attempt.wait()
        if wait:
            return (
                render_template("auth/password.html", form=form, error=_wait_message(wait)),
                429,
                {"Retry-After": str(wait)},
            )
        if not verify_password(g.user.password_hash, form.current.data or ""):
            record_failure(
                attempt, username=g.user.username, method="password", channel="password_change"
            )
            error, status = _("Mật khẩu hiện tại không đúng"), 400
        else:
            # Hashed before the write transaction: Argon2 must not hold SQLite's lock.
            hashed = hash_password(form.new.data or "")
            user_id = g.user.id
            begin_writing(db.session())
            user = db.session.get(User, user_id)
            set_password(user, user, form.new.data or "", hashed=hashed)
            attempt.succeeded()
            db.session.commit()
            start_session(user)
            flash(_("Đã đổi mật khẩu; các phiên đăng nhập khác đã kết thúc."), "ok")
            return redirect(url_for("auth.home"))
    elif form.is_submitted():
        status = 400
    return render_template("auth/password.html", form=form, error=error), status


@bp.get("/sign-ins")
@login_required
def sign_ins():
    """Administrators see repeated failed sign-ins and who was held back, and when."""
    if g.user.role != Role.ADMIN:
        abort(404)
    days = {"7": 7, "30": 30}.get(request.args.get("days", ""), 1)
    watch = sign_in_watch(utcnow() - timedelta(days=days))
    return render_template("auth/sign_ins.html", watch=watch, days=days)


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
