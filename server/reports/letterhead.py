"""The header block of a formal document of the Youth Union, as staff file it.

Notice 36 TB/TĐTN-BPT (``shared/domain/seed-notice-2015.txt``) shows the layout every
export and the summary report copy: on the left the issuing body ("BCH ĐOÀN TỈNH CAO
BẰNG", under its superior body when it has one), "***" and the number line left blank;
on the right "ĐOÀN TNCS HỒ CHÍ MINH" and the place and date, also left blank for the day
of signing. The issuing body is the *exporting user's* unit (who files the document),
named from the unit tree as it stands today (decision 170).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..formatting import vn_datetime
from ..models import Unit, UnitKind, User
from ..models.types import utcnow
from .source import reader

ORGANISATION = "ĐOÀN TNCS HỒ CHÍ MINH"
#: A blank for staff to fill in by hand (or in Word).
BLANK = "……"

#: How a unit's usual name starts → how a document names the body, and the initials of its
#: numbers ("Số: 36 TB/TĐTN-BPT").
FORMS = (
    ("Tỉnh Đoàn ", "Đoàn tỉnh ", "TĐTN"),
    ("Thành Đoàn ", "Đoàn thành phố ", "TĐTN"),
    ("Huyện Đoàn ", "Đoàn huyện ", "HĐTN"),
    ("Thị Đoàn ", "Đoàn thị xã ", "TĐTN"),
    ("Quận Đoàn ", "Đoàn quận ", "QĐTN"),
    ("Đoàn cơ sở ", "Đoàn ", "ĐTN"),
)


def _form(unit: Unit) -> tuple[str, str]:
    """(the body's formal name, its initials)."""
    for usual, formal, initials in FORMS:
        if unit.name.casefold().startswith(usual.casefold()):
            return formal + unit.name[len(usual) :], initials
    return unit.name, "ĐTN"


def body_name(unit: Unit) -> str:
    """ "Tỉnh Đoàn Cao Bằng" → "BCH ĐOÀN TỈNH CAO BẰNG" (its executive committee)."""
    return "BCH " + _form(unit)[0].upper()


def place_of(unit: Unit) -> str:
    """ "Tỉnh Đoàn Cao Bằng" → "Cao Bằng": the name without its level word."""
    for usual, _formal, _initials in FORMS[:2]:
        if unit.name.casefold().startswith(usual.casefold()):
            return unit.name[len(usual) :]
    return unit.name


@dataclass(frozen=True)
class Letterhead:
    #: The superior body (when there is one) then the issuing body, as typed on the left.
    bodies: tuple[str, ...]
    #: "TĐTN", "HĐTN"…: the initials after the slash of the document's number.
    initials: str
    #: The province's name, for "Cao Bằng, ngày … tháng … năm …".
    place: str
    #: The standing committee that signs ("TM. BAN THƯỜNG VỤ TỈNH ĐOÀN").
    signs_for: str
    #: Whom a report goes up to, first of "Nơi nhận".
    reports_to: str

    def number(self, kind: str = "") -> str:
        """ "Số: ……-BC/TĐTN" for a report (``kind`` "BC"), "Số: ……/TĐTN-……" for a sheet."""
        if kind:
            return f"Số: {BLANK}-{kind}/{self.initials}"
        return f"Số: {BLANK}/{self.initials}-{BLANK}"

    @property
    def dateline(self) -> str:
        where = f"{self.place}, " if self.place else ""
        return f"{where}ngày {BLANK} tháng {BLANK} năm {BLANK}"


def _chain(unit: Unit) -> list[Unit]:
    """``unit`` and the units above it today, nearest first."""
    out, seen = [unit], {unit.id}
    while out[-1].parent_id is not None and out[-1].parent_id not in seen:
        parent = reader().get(Unit, out[-1].parent_id)
        if parent is None:
            break
        out.append(parent)
        seen.add(parent.id)
    return out


def _signs_for(unit: Unit) -> str:
    if unit.kind == UnitKind.BRANCH:
        return "TM. BAN CHẤP HÀNH"
    for usual, _formal, _initials in FORMS[:5]:
        if unit.name.casefold().startswith(usual.casefold()):
            return "TM. BAN THƯỜNG VỤ " + usual.strip().upper()
    return "TM. BAN THƯỜNG VỤ " + _form(unit)[0].upper()


def letterhead_of(unit: Unit) -> Letterhead:
    """The header block of a document issued by ``unit`` (the exporting user's unit)."""
    chain = _chain(unit)
    bodies = tuple(body_name(u) for u in reversed(chain[:2]))
    province = next((u for u in chain if u.kind == UnitKind.PROVINCE), chain[-1])
    above = (
        f"Ban Thường vụ {_form(chain[1])[0]}" if len(chain) > 1 else "Ban Bí thư Trung ương Đoàn"
    )
    return Letterhead(bodies, _form(unit)[1], place_of(province), _signs_for(unit), above)


def exported_by(user: User) -> str:
    """The export line under a sheet's title: when, and by whom."""
    return f"Xuất lúc {vn_datetime(utcnow())} bởi {user.full_name}"
