"""The dashboard's evidence photos: thumbnails and files for staff, by their session,
and a unit's photos for a period as one ZIP, streamed.

Every route checks the photo's (or the unit's) place in the reader's subtree, as the
report pages do; anything else is "not found". The ZIP is written photo by photo into the
answer as it goes (:class:`_Sink`): a province's period may be thousands of photos, and
neither they nor the archive are ever held in memory whole.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from collections.abc import Iterator
from datetime import date

from flask import Blueprint, Flask, Response, abort, g, request
from sqlalchemy import select

from schemas.text import fold

from ..auth.session import login_required
from ..extensions import db
from ..models import Activity, Phase, Unit
from ..models.evidence import Evidence
from ..policy import can_read_reports_of, visible_unit_ids
from ..reports import periods
from ..units.service import subtree_ids
from .storage import BLOCK, NotStored, Storage
from .uploads import storage

bp = Blueprint("evidence_pages", __name__, url_prefix="/evidence")


@bp.before_request
@login_required
def _signed_in() -> None:
    """Only people with a session (the routes check the unit tree themselves)."""


def _visible(evidence_id: uuid.UUID) -> Evidence:
    ev = db.session.get(Evidence, evidence_id)
    if (
        ev is None
        or ev.deleted_at is not None
        or ev.unit_id not in set(db.session.scalars(visible_unit_ids(g.user)))
    ):
        abort(404)
    return ev


def _image(ev: Evidence, thumb: bool) -> Response:
    from ..api.evidence import serve
    from ..errors import ApiError

    try:
        return serve(ev, thumb)
    except ApiError:
        abort(404)


@bp.get("/<uuid:evidence_id>/thumb")
def thumb(evidence_id: uuid.UUID) -> Response:
    return _image(_visible(evidence_id), thumb=True)


@bp.get("/<uuid:evidence_id>/file")
def file(evidence_id: uuid.UUID) -> Response:
    return _image(_visible(evidence_id), thumb=False)


def evidence_of(activity: Activity) -> list[Evidence]:
    """The live photos of an activity, for its page (stored or still to come)."""
    return list(
        db.session.scalars(
            select(Evidence)
            .where(Evidence.activity_id == activity.id, Evidence.deleted_at.is_(None))
            .order_by(Evidence.created_at)
        )
    )


class _Sink(io.RawIOBase):
    """A write-only stream that hands over what was written so far (``zipfile`` writes
    a non-seekable stream with data descriptors: no going back)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._written = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        self._parts.append(bytes(data))
        self._written += len(data)
        return len(data)

    def tell(self) -> int:
        return self._written

    def take(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out


def _name(starts_on: date, title: str, evidence_id: uuid.UUID, content_type: str | None) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(title).replace("đ", "d")).strip("-")[:60] or "hoat-dong"
    ext = "webp" if content_type == "image/webp" else "jpg"
    return f"{starts_on.isoformat()}_{slug}_{str(evidence_id)[:8]}.{ext}"


def _zip(store: Storage, entries: list[tuple[str, str]]) -> Iterator[bytes]:
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        for key, name in entries:
            try:
                source = store.open(key)
            except NotStored:
                continue  # reclaimed or lost: the archive holds what the store has
            with source, archive.open(name, "w", force_zip64=True) as dest:
                while block := source.read(BLOCK):
                    dest.write(block)
                    yield sink.take()
            yield sink.take()
    yield sink.take()


@bp.get("/units/<int:unit_id>/evidence.zip")
def unit_zip(unit_id: int) -> Response:
    """Every stored photo of the unit's subtree whose activity starts in the period."""
    unit = db.session.get(Unit, unit_id)
    if unit is None or not can_read_reports_of(g.user, unit_id):
        abort(404)
    phases = {
        p.code: (p.name_vi, p.starts_on, p.ends_on)
        for p in db.session.scalars(select(Phase).order_by(Phase.starts_on))
    }
    try:
        period = periods.parse(request.args.get("p"), today=date.today(), phases=phases)
    except periods.PeriodError as exc:
        abort(400, str(exc))
    rows = db.session.execute(
        select(
            Evidence.stored_key,
            Evidence.id,
            Evidence.stored_type,
            Activity.starts_on,
            Activity.title,
        )
        .join(Activity, Activity.id == Evidence.activity_id)
        .where(
            Evidence.unit_id.in_(subtree_ids(unit_id)),
            Evidence.stored.is_(True),
            Evidence.deleted_at.is_(None),
            Activity.deleted_at.is_(None),
            Activity.starts_on >= period.starts_on,
            Activity.starts_on <= period.ends_on,
        )
        .order_by(Activity.starts_on, Evidence.created_at)
    ).all()
    entries = [(r.stored_key, _name(r.starts_on, r.title, r.id, r.stored_type)) for r in rows]
    db.session.rollback()
    label = re.sub(r"[^A-Za-z0-9_-]+", "_", f"{unit.code}_{period.code}")
    filename = f"minh-chung_{label}.zip"
    response = Response(_zip(storage(), entries), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["evidence_of"] = evidence_of
