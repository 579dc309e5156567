"""A deterministic Cao Bằng demo: the unit tree with its history, users of every role, and a
few thousand activities over the 2015–2017 phase and the twelve months before ``today``.

The screens that matter — figures rolled up the tree as it was, units that have not
reported, review queues — only show something with history and volume behind them, and
testers need the same data on every machine. So every entity is keyed (units by code,
users by username, activities by a name-based UUID), every random choice comes from one
private ``random.Random(2015)`` drawn in a fixed order, and each tree change is skipped
when already made: running the seed twice adds nothing.

The tree and the 2025 reform replayed here are described (and their real or illustrative
status stated) in :mod:`server.seed.places`. Nothing here commits: the caller does.
"""

from __future__ import annotations

import random
import uuid
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Any

from sqlalchemy import or_, select

from sync.records import ServerChanges

from ..activities.registry import activities_collection
from ..auth.passwords import hash_password
from ..extensions import db
from ..models import (
    BEGINNING,
    Activity,
    ActivityStatus,
    ActivityType,
    Role,
    Unit,
    UnitClosure,
    UnitEvent,
    UnitKind,
    UnitName,
    User,
    normalise_username,
)
from ..units.service import close_unit, create_unit, merge_unit, move_unit, rename_unit
from . import places
from .catalogue import seed_catalogue

DEMO_PASSWORD = "sodoan-demo-2015"

#: Fixed, so that activity ids are the same on every machine and every run.
NAMESPACE = uuid.UUID("5d0a7c1e-2015-4b36-9c1a-cb0000000036")
SEED = 2015
PHASE_START, PHASE_END = date(2015, 1, 1), date(2017, 12, 31)
PHASE_ACTIVITIES = 2700
RECENT_ACTIVITIES = 1300
FLUSH_EVERY = 500


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: Role
    unit_code: str
    full_name: str


# Placed only in units that stay open through the reform (close_unit refuses units with
# active users), several of them in border-area branches where coverage is poorest.
DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", Role.ADMIN, "CB", "Hoàng Văn Quân"),
    DemoUser("tinhdoan", Role.PROVINCIAL_STAFF, "CB", "Nông Thị Thu Hà"),
    DemoUser("0912000001", Role.UNIT_STAFF, "CB-HQ-TRUONGHA", "Đàm Văn Hùng"),
    DemoUser("0912000002", Role.UNIT_STAFF, "CB-KCQ", "Lương Thị Ngọc Ánh"),
    DemoUser("0912000003", Role.UNIT_STAFF, "CB-BP-TRALINH", "Bế Văn Quyết"),
    DemoUser("0912000004", Role.BRANCH_SECRETARY, "CB-HQ-TRUONGHA-01", "Lục Thị Hồng"),
    DemoUser("0912000005", Role.BRANCH_MEMBER, "CB-HQ-TRUONGHA-01", "Hoàng Văn Tùng"),
    DemoUser("0912000006", Role.BRANCH_SECRETARY, "CB-TK-DAMTHUY-01", "Triệu Thị Mai"),
    DemoUser("0912000007", Role.BRANCH_MEMBER, "CB-TK-DAMTHUY-01", "Ma Văn Sơn"),
    DemoUser("0912000008", Role.BRANCH_SECRETARY, "CB-KCQ-STP-02", "Hà Thị Thanh Huyền"),
    DemoUser("0912000009", Role.BRANCH_MEMBER, "CB-KCQ-STP-02", "Chu Văn Đức"),
    DemoUser("0912000010", Role.BRANCH_SECRETARY, "CB-BM-DUCHANH-01", "Lý Văn Páo"),
    DemoUser("0912000011", Role.BRANCH_MEMBER, "CB-TP-HOPGIANG-01", "Đinh Thị Lan Anh"),
    DemoUser("0912000012", Role.BRANCH_SECRETARY, "CB-KCQ-BVDK-NOI-02", "Sầm Thị Phương"),
)


def seed_demo(today: date) -> dict[str, int]:
    """Add whatever part of the demo is missing; return how many of each thing was added.

    ``today`` is where "the last twelve months" end, and no change dated after it is made.
    """
    added = dict(seed_catalogue())
    tree = _Tree()
    tree.build()
    changes = _replay_history(tree, today)
    users = _seed_users(tree)
    activities = _seed_activities(tree, today)
    added.update(units=tree.created, users=users, activities=activities, tree_changes=changes)
    return added


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, role, current unit name) of the demo accounts; needs an app context."""
    codes = {u.unit_code for u in DEMO_USERS}
    names = dict(db.session.execute(select(Unit.code, Unit.name).where(Unit.code.in_(codes))).all())
    return [(u.username, u.role.value, names.get(u.unit_code, u.unit_code)) for u in DEMO_USERS]


# --- the tree -----------------------------------------------------------------------------


class _Tree:
    """The demo's units by code, creating the missing ones as the places data says."""

    def __init__(self) -> None:
        code = Unit.code
        query = select(Unit).where(or_(code == places.PROVINCE_CODE, code.startswith("CB-")))
        self.units: dict[str, Unit] = {u.code: u for u in db.session.scalars(query)}
        self.created = 0
        #: Branch code → what kind of body it belongs to (steers its activities).
        self.sector: dict[str, str] = {}
        #: Border post branch code → code of the commune it works in.
        self.home: dict[str, str] = {}
        self.communes: dict[str, tuple[places.District, places.Commune]] = {}
        self.subunions: set[str] = set()

    def ensure(
        self,
        code: str,
        name: str,
        kind: UnitKind,
        parent: Unit | None,
        border: bool = False,
        opened_on: date = BEGINNING,
    ) -> Unit:
        unit = self.units.get(code)
        if unit is None:
            unit = create_unit(
                code=code,
                name=name,
                kind=kind,
                parent=parent,
                border_area=border,
                opened_on=opened_on,
            )
            self.units[code] = unit
            self.created += 1
        return unit

    def build(self) -> None:
        province = self.ensure(places.PROVINCE_CODE, places.PROVINCE_NAME, UnitKind.PROVINCE, None)
        for district in places.DISTRICTS:
            d_unit = self.ensure(
                places.district_code(district), district.name, UnitKind.DISTRICT, province
            )
            for commune in district.communes:
                code = places.commune_code(district, commune)
                self.communes[code] = (district, commune)
                c_unit = self.ensure(
                    code,
                    places.commune_union_name(commune, former=True),
                    UnitKind.COMMUNE,
                    d_unit,
                    commune.border,
                )
                for index, label in enumerate(places.hamlet_labels(district, commune), 1):
                    b_code = places.branch_code(code, index)
                    self.ensure(
                        b_code, places.branch_name(label), UnitKind.BRANCH, c_unit, commune.border
                    )
                    self.sector[b_code] = "commune"
        for bloc in places.BLOCS:
            b_unit = self.ensure(bloc.code, bloc.name, UnitKind.BLOC, province)
            self._branches(bloc.code, bloc.branches, b_unit, bloc.sector, False)
            for agency in bloc.agencies:
                self._agency(agency, b_unit)
        # Units that history creates later still need to be known to the activity planner.
        for merge in places.HAMLET_MERGES:
            self.sector[self.hamlet_merge_code(merge)] = "commune"

    def _agency(self, agency: places.Agency, parent: Unit, sub: bool = False) -> None:
        unit = self.ensure(agency.code, agency.name, UnitKind.GRASSROOTS, parent, agency.border)
        if sub:
            self.subunions.add(agency.code)
        self._branches(agency.code, agency.branches, unit, agency.sector, agency.border)
        if agency.home:
            for index in range(1, len(agency.branches) + 1):
                self.home[places.branch_code(agency.code, index)] = agency.home
        for child in agency.subunions:
            self._agency(child, unit, sub=True)

    def _branches(
        self, parent_code: str, names: tuple[str, ...], parent: Unit, sector: str, border: bool
    ) -> None:
        for index, name in enumerate(names, 1):
            code = places.branch_code(parent_code, index)
            self.ensure(code, name, UnitKind.BRANCH, parent, border)
            self.sector[code] = sector

    def hamlet_merge_code(self, merge: places.HamletMerge) -> str:
        """New hamlets' branches are numbered after the commune's original ones."""
        district, commune = self.communes[merge.commune_code]
        same_commune = [m for m in places.HAMLET_MERGES if m.commune_code == merge.commune_code]
        index = len(places.hamlet_labels(district, commune)) + same_commune.index(merge) + 1
        return places.branch_code(merge.commune_code, index)

    def hamlet_code(self, commune_code: str, label: str) -> str:
        district, commune = self.communes[commune_code]
        index = places.hamlet_labels(district, commune).index(label) + 1
        return places.branch_code(commune_code, index)


def _done(unit: Unit, action: str, on: date) -> bool:
    """Whether this dated change was already recorded (the story of the tree says so)."""
    found = db.session.scalar(
        select(UnitEvent.id).where(
            UnitEvent.unit_id == unit.id, UnitEvent.action == action, UnitEvent.effective_on == on
        )
    )
    return found is not None


def _replay_history(tree: _Tree, today: date) -> int:
    """Make the dated changes that are due by ``today`` and not made yet, oldest first.

    Oldest first because the service refuses a change dated before the last change of the
    units it touches.
    """
    units = tree.units
    changes = 0

    if places.HAMLET_MERGE_ON <= today:
        for merge in places.HAMLET_MERGES:
            commune = units[merge.commune_code]
            target = tree.ensure(
                tree.hamlet_merge_code(merge),
                places.branch_name(merge.new_hamlet),
                UnitKind.BRANCH,
                commune,
                commune.border_area,
                places.HAMLET_MERGE_ON,
            )
            for label in merge.hamlets:
                source = units[tree.hamlet_code(merge.commune_code, label)]
                if source.closed_on is None:
                    merge_unit(source, target, places.HAMLET_MERGE_ON)
                    changes += 1

    if places.TOWN_RENAME_ON <= today:
        for code, (_district, commune) in tree.communes.items():
            unit = units[code]
            if commune.former_name and not _done(unit, "renamed", places.TOWN_RENAME_ON):
                rename_unit(unit, places.commune_union_name(commune), places.TOWN_RENAME_ON)
                changes += 1

    for change in places.DEPARTMENT_CHANGES:
        if change.on > today:
            continue
        source, target = units[change.source], units[change.target]
        if source.closed_on is None:
            merge_unit(source, target, change.on)
            changes += 1
        if change.new_name and not _done(target, "renamed", change.on):
            rename_unit(target, change.new_name, change.on)
            changes += 1

    if places.REFORM_ON <= today:
        changes += _reform(tree)
    return changes


def _reform(tree: _Tree) -> int:
    """The illustrative 2025 reform: merge some communes, lift all to the province, close
    the districts, open a new bloc and move agencies into it."""
    on = places.REFORM_ON
    units = tree.units
    province = units[places.PROVINCE_CODE]
    changes = 0
    for district in places.DISTRICTS:
        for merge in district.merges:
            target = units[places.commune_code(district, merge.target)]
            for name in merge.sources:
                source = units[places.commune_code(district, name)]
                if source.closed_on is None:
                    merge_unit(source, target, on)
                    changes += 1
            if merge.new_name and not _done(target, "renamed", on):
                rename_unit(target, merge.new_name, on)
                changes += 1
        for commune in district.communes:
            unit = units[places.commune_code(district, commune)]
            if unit.closed_on is None and unit.parent_id != province.id:
                move_unit(unit, province, on)
                changes += 1
        d_unit = units[places.district_code(district)]
        if d_unit.closed_on is None:
            close_unit(d_unit, on)
            changes += 1
    for new in places.NEW_BLOCS:
        bloc = tree.ensure(new.code, new.name, UnitKind.BLOC, province, opened_on=new.on)
        for code in new.moves:
            unit = units[code]
            if unit.closed_on is None and unit.parent_id != bloc.id:
                move_unit(unit, bloc, new.on)
                changes += 1
    return changes


# --- users --------------------------------------------------------------------------------


def _seed_users(tree: _Tree) -> int:
    """The demo accounts that are missing; each hash is real Argon2, hence so few users."""
    wanted = [normalise_username(u.username) for u in DEMO_USERS]
    have = set(db.session.scalars(select(User.username).where(User.username.in_(wanted))))
    added = 0
    for demo in DEMO_USERS:
        unit = tree.units.get(demo.unit_code)
        if normalise_username(demo.username) in have or unit is None or not unit.is_open:
            continue
        db.session.add(
            User(
                username=demo.username,
                full_name=demo.full_name,
                role=demo.role.value,
                unit_id=unit.id,
                password_hash=hash_password(DEMO_PASSWORD),
            )
        )
        added += 1
    db.session.flush()
    return added


# --- activities ---------------------------------------------------------------------------

# Weights of activity types by the kind of body a branch belongs to.
# fmt: off
_TYPE_WEIGHTS: dict[str, dict[str, float]] = {
    "commune": {
        "tinh_nguyen": 18, "thu_bay_tinh_nguyen": 4, "ky_nghi_hong": 2, "thieu_nhi": 12,
        "den_on_dap_nghia": 8, "bien_gioi_hai_dao": 2, "tuyen_truyen": 10,
        "viec_moi_viec_kho": 5, "gop_y_giam_sat": 5, "sinh_hoat_noi_cu_tru": 12, "thi_dua": 4,
        "dao_tao": 2, "clb_can_bo_tre": 1, "clb_khoa_hoc_tre": 0.5,
    },
    "agency": {
        "dao_tao": 10, "clb_can_bo_tre": 10, "clb_khoa_hoc_tre": 6, "thi_dua": 10,
        "tinh_nguyen": 8, "thu_bay_tinh_nguyen": 12, "ky_nghi_hong": 6, "thieu_nhi": 5,
        "den_on_dap_nghia": 6, "bien_gioi_hai_dao": 5, "tuyen_truyen": 6,
        "viec_moi_viec_kho": 6, "gop_y_giam_sat": 6, "sinh_hoat_noi_cu_tru": 8,
    },
    "hospital": {
        "dao_tao": 10, "clb_can_bo_tre": 6, "clb_khoa_hoc_tre": 8, "thi_dua": 8,
        "tinh_nguyen": 6, "ky_nghi_hong": 14, "thieu_nhi": 5, "den_on_dap_nghia": 6,
        "bien_gioi_hai_dao": 5, "tuyen_truyen": 5, "viec_moi_viec_kho": 4,
        "gop_y_giam_sat": 3, "sinh_hoat_noi_cu_tru": 6,
    },
    "enterprise": {
        "tinh_nguyen": 12, "viec_moi_viec_kho": 10, "thi_dua": 10, "dao_tao": 8,
        "clb_can_bo_tre": 6, "clb_khoa_hoc_tre": 3, "thieu_nhi": 6, "den_on_dap_nghia": 6,
        "tuyen_truyen": 6, "bien_gioi_hai_dao": 4, "sinh_hoat_noi_cu_tru": 6,
        "gop_y_giam_sat": 3, "ky_nghi_hong": 2, "thu_bay_tinh_nguyen": 1,
    },
    "border_post": {
        "bien_gioi_hai_dao": 20, "thieu_nhi": 12, "den_on_dap_nghia": 8, "tinh_nguyen": 10,
        "tuyen_truyen": 10, "thi_dua": 5, "dao_tao": 3, "sinh_hoat_noi_cu_tru": 4,
        "viec_moi_viec_kho": 4, "gop_y_giam_sat": 2, "ky_nghi_hong": 3, "clb_can_bo_tre": 2,
    },
    "police": {
        "tuyen_truyen": 12, "ky_nghi_hong": 10, "thu_bay_tinh_nguyen": 6, "tinh_nguyen": 8,
        "thieu_nhi": 6, "den_on_dap_nghia": 6, "bien_gioi_hai_dao": 4, "thi_dua": 8,
        "dao_tao": 6, "clb_can_bo_tre": 4, "viec_moi_viec_kho": 5, "gop_y_giam_sat": 3,
        "sinh_hoat_noi_cu_tru": 4,
    },
}
# fmt: on

# The movement's calendar: Youth Month (March), summer volunteering, 27/7 (war invalids and
# martyrs), Children's Day and Mid-Autumn; quieter around Tết.
_MONTH_WEIGHTS = (0.6, 0.5, 1.6, 1.0, 1.0, 1.2, 1.5, 1.2, 1.0, 0.9, 0.9, 1.0)
_SEASONS: dict[str, dict[int, float]] = {
    "ky_nghi_hong": {6: 4, 7: 4, 8: 4},
    "thieu_nhi": {6: 2.5, 9: 2.5, 12: 1.5, 1: 1.5},
    "den_on_dap_nghia": {7: 4},
    "thi_dua": {3: 3},
    "tinh_nguyen": {7: 1.5, 8: 1.5},
}
#: Busier kinds of body record more (agencies are where the movement started).
_SECTOR_BIAS = {
    "commune": 1.0,
    "agency": 1.6,
    "hospital": 1.2,
    "enterprise": 1.0,
    "border_post": 1.5,
    "police": 1.0,
}
#: People served by one activity of a type, when its quantities do not say.
_CITIZENS = {
    "tuyen_truyen": (30, 200),
    "bien_gioi_hai_dao": (0, 100),
    "tinh_nguyen": (0, 100),
    "viec_moi_viec_kho": (0, 60),
    "gop_y_giam_sat": (0, 80),
    "thi_dua": (0, 50),
    "sinh_hoat_noi_cu_tru": (0, 40),
}
_OFFICE_TYPES = {"dao_tao", "clb_can_bo_tre", "clb_khoa_hoc_tre", "thi_dua", "gop_y_giam_sat"}
# Types that are sometimes a campaign over several days rather than one event.
_CAMPAIGNS = {"ky_nghi_hong": 0.5, "thi_dua": 0.4, "dao_tao": 0.3, "tinh_nguyen": 0.1}

# Title templates: (text, first year it makes sense, months it fits or None for any).
# Placeholders: {xa} commune ("xã Trường Hà"), {xom} hamlet ("xóm Pác Bó"), {coquan} the
# branch's agency (or the commune's People's Committee), {nam} year, {quy} quarter, {thang}.
# fmt: off
_TITLES: dict[str, list[tuple[str, int, tuple[int, ...] | None]]] = {
    "dao_tao": [
        ("Lớp bồi dưỡng kỹ năng soạn thảo văn bản hành chính năm {nam}", 2000, None),
        ("Tập huấn ứng dụng công nghệ thông tin cho cán bộ trẻ {coquan}", 2000, None),
        ("Lớp bồi dưỡng nghiệp vụ công tác Đoàn cho bí thư chi đoàn năm {nam}", 2000, None),
        ("Lớp tiếng Trung giao tiếp cho cán bộ, đoàn viên trẻ vùng biên", 2000, None),
        ("Tập huấn kỹ năng chuyển đổi số cho đoàn viên {coquan}", 2021, None),
    ],
    "clb_can_bo_tre": [
        ("Sinh hoạt Câu lạc bộ cán bộ trẻ {coquan} quý {quy}/{nam}", 2000, None),
        ("Tọa đàm “Cán bộ trẻ với trách nhiệm nêu gương” tại {coquan}", 2000, None),
        ("Câu lạc bộ cán bộ trẻ trao đổi kinh nghiệm giải quyết công việc cho dân", 2000, None),
        ("Diễn đàn “Cán bộ trẻ với chuyển đổi số” năm {nam}", 2021, None),
    ],
    "clb_khoa_hoc_tre": [
        ("Sinh hoạt Câu lạc bộ khoa học trẻ: chia sẻ sáng kiến cải tiến công việc", 2000, None),
        ("Hội thảo ý tưởng sáng tạo trẻ {coquan} năm {nam}", 2000, None),
        ("Câu lạc bộ khoa học trẻ giới thiệu đề tài ứng dụng kỹ thuật vào sản xuất", 2000, None),
    ],
    "thi_dua": [
        ("Đợt thi đua cao điểm chào mừng kỷ niệm Ngày thành lập Đoàn 26/3", 2000, (2, 3)),
        ("Thi đua cao điểm Tháng Thanh niên năm {nam}", 2000, (3,)),
        ("Thi đua cao điểm chào mừng Quốc khánh 2/9 năm {nam}", 2000, (8, 9)),
        ("Đợt thi đua “Tuổi trẻ {coquan} lập thành tích chào mừng Đại hội Đảng các cấp”",
         2000, None),
        ("Thi đua hoàn thành xuất sắc nhiệm vụ quý {quy}/{nam}", 2000, None),
    ],
    "tinh_nguyen": [
        ("Ra quân làm đường giao thông nông thôn {xom}", 2000, None),
        ("Trồng cây xanh tại {xom}, {xa}", 2000, (1, 2, 3, 4, 6, 7)),
        ("Dọn vệ sinh môi trường, khơi thông cống rãnh {xom}", 2000, None),
        ("Giúp nhân dân {xom} thu hoạch lúa mùa", 2000, (9, 10)),
        ("Hỗ trợ nhân dân {xa} khắc phục hậu quả mưa lũ", 2000, (6, 7, 8, 9)),
        ("Chiến dịch Thanh niên tình nguyện hè tại {xa}", 2000, (6, 7, 8)),
        ("Hỗ trợ ngày công làm nhà cho hộ nghèo tại {xom}", 2000, None),
    ],
    "thu_bay_tinh_nguyen": [
        ("Ngày thứ bảy tình nguyện tại UBND {xa}", 2000, None),
        ("Ngày thứ bảy tình nguyện: hỗ trợ làm thủ tục hộ tịch cho nhân dân {xa}", 2000, None),
        ("Tư vấn pháp luật, trợ giúp pháp lý miễn phí cho người dân {xa}", 2000, None),
        ("Ngày thứ bảy tình nguyện: hướng dẫn nộp hồ sơ trên Cổng dịch vụ công tại {xa}",
         2020, None),
    ],
    "ky_nghi_hong": [
        ("Kỳ nghỉ hồng: khám bệnh, cấp thuốc miễn phí cho nhân dân {xa}", 2000, None),
        ("Kỳ nghỉ hồng: phiên tòa giả định tại {xa}", 2000, None),
        ("Kỳ nghỉ hồng: chuyển giao kỹ thuật chăn nuôi cho bà con {xom}", 2000, None),
        ("Kỳ nghỉ hồng: hướng dẫn người dân {xa} sử dụng dịch vụ công trực tuyến", 2020, None),
        ("Kỳ nghỉ hồng: hỗ trợ người dân {xa} kích hoạt tài khoản định danh điện tử",
         2023, None),
    ],
    "thieu_nhi": [
        ("Tổ chức Tết Trung thu cho thiếu nhi {xom}", 2000, (9,)),
        ("Tặng quà Ngày Quốc tế Thiếu nhi 1/6 cho các em {xa}", 2000, (5, 6)),
        ("Sinh hoạt hè cho thiếu nhi {xom}", 2000, (6, 7, 8)),
        ("Tặng áo ấm cho học sinh điểm trường {xom}", 2000, (11, 12, 1, 2)),
        ("Chương trình “Nâng bước em tới trường” tại {xa}", 2000, None),
        ("Dạy bơi, phòng chống đuối nước cho trẻ em {xa}", 2000, (5, 6, 7, 8)),
    ],
    "den_on_dap_nghia": [
        ("Thăm, tặng quà gia đình chính sách {xom}", 2000, None),
        ("Dọn vệ sinh Nghĩa trang liệt sĩ {xa}", 2000, (7,)),
        ("Thắp nến tri ân các anh hùng liệt sĩ tại {xa}", 2000, (7,)),
        ("Thăm hỏi, giúp đỡ thương binh, bệnh binh ở {xom}", 2000, None),
        ("Chăm sóc di tích lịch sử trên địa bàn {xa}", 2000, None),
    ],
    "bien_gioi_hai_dao": [
        ("Tuần tra bảo vệ đường biên, cột mốc khu vực {xa}", 2000, None),
        ("Tặng quà cán bộ, chiến sĩ và nhân dân khu vực biên giới {xa}", 2000, None),
        ("Tuyên truyền Luật Biên giới quốc gia cho nhân dân {xom}", 2000, None),
        ("Chương trình “Xuân Biên phòng ấm lòng dân bản” tại {xa}", 2000, (1, 2)),
    ],
    # Border work seen from communes away from the border.
    "bien_gioi_hai_dao@interior": [
        ("Quyên góp ủng hộ cán bộ, chiến sĩ nơi biên giới, hải đảo", 2000, None),
        ("Sinh hoạt chuyên đề “Hướng về biên giới, biển đảo quê hương” tại {xa}", 2000, None),
        ("Viết thư, gửi quà tặng cán bộ, chiến sĩ các đồn biên phòng", 2000, None),
    ],
    # Professional skills at citizens' service, as the hospital and the police have them.
    "ky_nghi_hong@hospital": [
        ("Kỳ nghỉ hồng: khám bệnh, cấp thuốc miễn phí cho nhân dân {xa}", 2000, None),
        ("Kỳ nghỉ hồng: khám sàng lọc, tư vấn sức khỏe cho phụ nữ, trẻ em {xa}", 2000, None),
        ("Kỳ nghỉ hồng: khám bệnh, cấp thuốc miễn phí cho người cao tuổi {xa}", 2000, None),
    ],
    "ky_nghi_hong@police": [
        ("Kỳ nghỉ hồng: tuyên truyền pháp luật về an toàn giao thông tại {xa}", 2000, None),
        ("Kỳ nghỉ hồng: cấp căn cước công dân lưu động tại {xa}", 2021, None),
        ("Kỳ nghỉ hồng: hỗ trợ người dân {xa} kích hoạt tài khoản định danh điện tử",
         2023, None),
    ],
    "tuyen_truyen": [
        ("Tuyên truyền mô hình nuôi bò vỗ béo hiệu quả tại {xom}", 2000, None),
        ("Giới thiệu gương thanh niên làm kinh tế giỏi {xa}", 2000, None),
        ("Tuyên truyền phòng, chống ma túy và mua bán người tại {xa}", 2000, None),
        ("Tuyên truyền mô hình trồng dẻ, trồng thạch đen cho thanh niên {xom}", 2000, None),
        ("Kể chuyện về Bác Hồ ở Pác Bó cho đoàn viên, thanh niên {xom}", 2000, None),
    ],
    "viec_moi_viec_kho": [
        ("Đảm nhận công trình thanh niên “Thắp sáng đường quê” tại {xom}", 2000, None),
        ("Nhận hỗ trợ xóa nhà tạm, nhà dột nát cho hộ nghèo tại {xa}", 2000, None),
        ("Đảm nhận làm bể chứa nước sinh hoạt cho bà con {xom}", 2000, None),
        ("Đảm nhận phần việc số hóa hồ sơ lưu trữ tại {coquan}", 2021, None),
    ],
    "gop_y_giam_sat": [
        ("Góp ý dự thảo văn kiện Đại hội Đảng bộ {xa}", 2000, None),
        ("Đối thoại giữa lãnh đạo {coquan} với đoàn viên thanh niên năm {nam}", 2000, None),
        ("Giám sát việc thực hiện chính sách hỗ trợ hộ nghèo tại {xom}", 2000, None),
        ("Góp ý xây dựng Đảng, chính quyền qua Diễn đàn thanh niên {xa}", 2000, None),
    ],
    "sinh_hoat_noi_cu_tru": [
        ("Sinh hoạt Đoàn tại nơi cư trú tháng {thang}/{nam}", 2000, None),
        ("Đoàn viên sinh hoạt nơi cư trú dọn vệ sinh khu dân cư {xom}", 2000, None),
        ("Đoàn viên nơi cư trú tham gia xây dựng khu dân cư văn hóa {xom}", 2000, None),
    ],
}
# fmt: on

#: A quantity is only counted when the title says the activity did that kind of thing.
_HINTS = {
    "trees": "cây",
    "road_km": "đường",
    "patrol_km": "tuần tra",
    "health_checks": "khám",
    "e_id": "định danh",
    "online_services": "dịch vụ công",
}

_DESCRIPTIONS: dict[str, str] = {
    "dao_tao": "{n} đoàn viên tham gia lớp học, được bồi dưỡng thêm kỹ năng phục vụ công việc.",
    "clb_can_bo_tre": "Buổi sinh hoạt có {n} cán bộ trẻ tham gia, trao đổi cởi mở nhiều ý kiến.",
    "clb_khoa_hoc_tre": "{n} đoàn viên tham dự, trình bày và góp ý cho các sáng kiến mới.",
    "thi_dua": "Chi đoàn phát động, {n} đoàn viên đăng ký phần việc thi đua cụ thể.",
    "tinh_nguyen": "{n} đoàn viên thanh niên ra quân cùng nhân dân địa phương.",
    "thu_bay_tinh_nguyen": "Đoàn viên hướng dẫn, tiếp nhận hồ sơ và tư vấn cho {c} lượt người dân.",
    "ky_nghi_hong": "{n} cán bộ trẻ dùng chuyên môn của mình phục vụ {c} lượt người dân.",
    "thieu_nhi": "Chi đoàn phối hợp với nhà trường và phụ huynh chăm lo cho {c} em thiếu nhi.",
    "den_on_dap_nghia": "{n} đoàn viên tham gia, thể hiện đạo lý uống nước nhớ nguồn.",
    "bien_gioi_hai_dao": "Phối hợp với đồn biên phòng, {n} đoàn viên tham gia cùng nhân dân.",
    "tuyen_truyen": "Buổi tuyên truyền thu hút {c} lượt người dân và đoàn viên tham dự.",
    "viec_moi_viec_kho": "{n} đoàn viên nhận phần việc, hoàn thành đúng tiến độ đề ra.",
    "gop_y_giam_sat": "{n} đoàn viên tham gia, tổng hợp ý kiến gửi cấp ủy, chính quyền.",
    "sinh_hoat_noi_cu_tru": "{n} đoàn viên sinh hoạt tại nơi cư trú tham gia đầy đủ.",
}

_RETURN_COMMENTS = (
    "Đề nghị bổ sung số hồ sơ đã hỗ trợ theo từng lĩnh vực.",
    "Đề nghị bổ sung hình ảnh minh chứng.",
    "Số đoàn viên tham gia chưa khớp với báo cáo tháng, đề nghị kiểm tra lại.",
    "Đề nghị ghi rõ địa điểm tổ chức.",
    "Đề nghị ghi rõ nguồn kinh phí của các suất quà.",
    "Hoạt động trùng với báo cáo của chi đoàn khác, đề nghị rà soát.",
)

# (status, weight) by how long ago the activity ended: recent ones are still in review.
# fmt: off
_STATUS_BY_AGE = (
    (15, ((ActivityStatus.DRAFT, 30), (ActivityStatus.SUBMITTED, 45),
          (ActivityStatus.VERIFIED, 15), (ActivityStatus.RETURNED, 10))),
    (45, ((ActivityStatus.DRAFT, 10), (ActivityStatus.SUBMITTED, 30),
          (ActivityStatus.VERIFIED, 50), (ActivityStatus.RETURNED, 10))),
    (10**6, ((ActivityStatus.DRAFT, 5), (ActivityStatus.SUBMITTED, 10),
             (ActivityStatus.VERIFIED, 78), (ActivityStatus.RETURNED, 7))),
)
# fmt: on
_STATUS_PHASE = (
    (ActivityStatus.VERIFIED, 96),
    (ActivityStatus.SUBMITTED, 3),
    (ActivityStatus.RETURNED, 1),
)

_PREFIXES = ("Đoàn cơ sở ", "Liên chi đoàn ", "Chi đoàn ", "Đoàn ")


def _bare(name: str) -> str:
    """ "Đoàn xã Trường Hà" → "xã Trường Hà", "Chi đoàn xóm Pác Bó" → "xóm Pác Bó"."""
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _open_on(unit: Unit, day: date) -> bool:
    return unit.opened_on <= day and (unit.closed_on is None or day < unit.closed_on)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass
class _Interval:
    unit_id: int
    start: date
    end: date | None  # exclusive

    def holds(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


class _History:
    """The tree's past, loaded once, so that an activity's wording and place follow the tree
    as it was on its date (a 2016 activity of a merged commune says the old name)."""

    def __init__(self, unit_ids: set[int]) -> None:
        self.names: dict[int, list[tuple[date, date | None, str]]] = defaultdict(list)
        for row in db.session.execute(
            select(UnitName.unit_id, UnitName.valid_from, UnitName.valid_to, UnitName.name)
        ):
            if row.unit_id in unit_ids:
                self.names[row.unit_id].append((row.valid_from, row.valid_to, row.name))
        self.parents: dict[int, list[_Interval]] = defaultdict(list)
        self.children: dict[int, list[_Interval]] = defaultdict(list)
        rows = db.session.execute(
            select(
                UnitClosure.ancestor_id,
                UnitClosure.descendant_id,
                UnitClosure.valid_from,
                UnitClosure.valid_to,
            ).where(UnitClosure.distance == 1)
        )
        for parent, child, start, end in sorted(rows, key=lambda r: (r[1], r[2], r[0])):
            if child in unit_ids:
                self.parents[child].append(_Interval(parent, start, end))
                self.children[parent].append(_Interval(child, start, end))

    def name_on(self, unit_id: int, day: date, fallback: str) -> str:
        for start, end, name in self.names.get(unit_id, ()):
            if start <= day and (end is None or day < end):
                return name
        return fallback

    def parent_on(self, unit_id: int, day: date) -> int | None:
        for link in self.parents.get(unit_id, ()):
            if link.holds(day):
                return link.unit_id
        return None

    def children_on(self, unit_id: int, day: date) -> list[int]:
        return [link.unit_id for link in self.children.get(unit_id, ()) if link.holds(day)]


@dataclass(frozen=True)
class _Scene:
    xa: str  # "xã Trường Hà"
    xom: str  # "xóm Pác Bó"
    coquan: str  # "Sở Tư pháp", or "UBND xã Trường Hà" for a commune's branch
    border: bool


@dataclass
class _Branch:
    code: str
    unit: Unit
    sector: str
    opened_on: date
    closed_on: date | None

    def open_between(self, first: date, last: date) -> bool:
        return self.opened_on <= first and (self.closed_on is None or last < self.closed_on)


class _Planner:
    """Draws the demo's activities, always in the same order from the same generator."""

    def __init__(self, tree: _Tree, today: date) -> None:
        self.rng = random.Random(SEED)
        self.tree = tree
        # The tree changes expired every loaded unit; one query reloads them all at once.
        db.session.scalars(
            select(Unit)
            .where(Unit.code.in_(list(tree.units)))
            .execution_options(populate_existing=True)
        ).all()
        self.today = today
        self.last_day = today - timedelta(days=1)
        # Timestamps stay before midnight (Vietnam time) of ``today``: nothing in the future.
        self.latest = datetime.combine(self.last_day, datetime.min.time(), UTC) + timedelta(
            hours=16, minutes=59
        )
        self.types = {
            t.code: t for t in db.session.scalars(select(ActivityType).where(ActivityType.active))
        }
        self.branches = [
            _Branch(code, unit, tree.sector[code], unit.opened_on, unit.closed_on)
            for code, unit in sorted(tree.units.items())
            if code in tree.sector
        ]
        self.communes = [tree.units[code] for code in sorted(tree.communes) if code in tree.units]
        self.by_id = {u.id: u for u in tree.units.values()}
        self.history = _History(set(self.by_id))
        self.counters: dict[str, int] = defaultdict(int)
        self._people()

    def _people(self) -> None:
        """Who records for each branch and who reviews it (the nearest staff above)."""
        users = db.session.execute(
            select(User.id, User.unit_id, User.role)
            .where(User.is_active, User.unit_id.in_(list(self.by_id)))
            .order_by(User.id)
        ).all()
        order = {Role.BRANCH_SECRETARY.value: 0, Role.BRANCH_MEMBER.value: 1}
        self.recorders: dict[int, list[int]] = defaultdict(list)
        staff: dict[int, int] = {}
        for user_id, unit_id, role in sorted(users, key=lambda r: (order.get(r[2], 2), r[0])):
            if role in order:
                self.recorders[unit_id].append(user_id)
            elif role == Role.UNIT_STAFF.value:
                staff.setdefault(unit_id, user_id)
        # Whatever nobody below the province reviews, the provincial office does.
        above = [r[0] for r in users if r[2] == Role.PROVINCIAL_STAFF.value]
        above += [r[0] for r in users if r[2] == Role.ADMIN.value]
        fallback = above[0] if above else None
        self.reviewers: dict[int, int | None] = {}
        for branch in self.branches:
            unit_id: int | None = branch.unit.id
            reviewer = None
            while unit_id is not None and reviewer is None:
                reviewer = staff.get(unit_id)
                unit_id = self.by_id[unit_id].parent_id if unit_id in self.by_id else None
            self.reviewers[branch.unit.id] = reviewer or fallback

    # -- drawing ---------------------------------------------------------------------------

    def plan(self) -> list[dict[str, Any]]:
        """All activities of both periods, in drawing order.

        Each branch gets an activity level per period, and a few get none at all, so that
        "which units have not reported" has answers.
        """
        rng = self.rng
        levels_phase = [
            0.0 if rng.random() < 0.05 else rng.uniform(0.4, 1.8) for _ in self.branches
        ]
        levels_recent = [
            0.0 if rng.random() < 0.08 else rng.uniform(0.3, 1.8) for _ in self.branches
        ]
        plans: list[dict[str, Any]] = []
        windows = (
            (PHASE_START, min(PHASE_END, self.last_day), PHASE_ACTIVITIES, levels_phase, True),
            (
                self.today - timedelta(days=365),
                self.last_day,
                RECENT_ACTIVITIES,
                levels_recent,
                False,
            ),
        )
        for start, end, count, levels, in_phase in windows:
            if end < start:
                continue
            weights = [
                level * _SECTOR_BIAS[b.sector] * (1.3 if b.unit.border_area else 1.0)
                for b, level in zip(self.branches, levels, strict=True)
            ]
            days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
            day_weights = list(accumulate(_MONTH_WEIGHTS[d.month - 1] for d in days))
            branch_weights = list(accumulate(weights))
            if not branch_weights or branch_weights[-1] <= 0:
                continue
            for _ in range(count):
                plan = self._one(start, end, days, day_weights, branch_weights, in_phase)
                if plan is not None:
                    plans.append(plan)
        return plans

    def _pick(self, cumulative: list[float]) -> int:
        return bisect_right(cumulative, self.rng.random() * cumulative[-1])

    def _one(
        self,
        start: date,
        end: date,
        days: list[date],
        day_weights: list[float],
        branch_weights: list[float],
        in_phase: bool,
    ) -> dict[str, Any] | None:
        rng = self.rng
        day = days[min(self._pick(day_weights), len(days) - 1)]
        branch = None
        for _ in range(12):
            candidate = self.branches[min(self._pick(branch_weights), len(self.branches) - 1)]
            if candidate.open_between(day, day):
                branch = candidate
                break
        if branch is None:
            return None
        type_code = self._type(branch, day)
        if type_code is None:
            return None
        if type_code == "thu_bay_tinh_nguyen":
            saturday = day - timedelta(days=(day.weekday() - 5) % 7)
            if saturday >= start and branch.open_between(saturday, saturday):
                day = saturday
        length = 1
        if rng.random() < _CAMPAIGNS.get(type_code, 0.0):
            length = rng.randint(2, 5)
        ends_on = min(day + timedelta(days=length - 1), end)
        while not branch.open_between(day, ends_on):
            ends_on -= timedelta(days=1)
        return self._details(branch, type_code, day, ends_on, in_phase)

    def _type(self, branch: _Branch, day: date) -> str | None:
        base = _TYPE_WEIGHTS[branch.sector]
        codes, weights = [], []
        for code, weight in base.items():
            if code not in self.types:
                continue
            if code == "bien_gioi_hai_dao" and branch.unit.border_area:
                weight *= 4
            weight *= _SEASONS.get(code, {}).get(day.month, 1.0)
            if code == "ky_nghi_hong" and day.month not in (6, 7, 8):
                weight *= 0.3
            codes.append(code)
            weights.append(weight)
        if not codes:
            return None
        return codes[self._pick(list(accumulate(weights)))]

    def _where(self, branch: _Branch, type_code: str, day: date) -> _Scene:
        """Where the activity happened and whose it was, worded as the tree was on ``day``.

        A commune's branch works at home; an agency's goes out to a commune — its own for a
        border post, a border commune for border work, any commune otherwise.
        """
        rng = self.rng
        history = self.history
        parent_id = history.parent_on(branch.unit.id, day) or branch.unit.parent_id
        parent = self.by_id.get(parent_id)
        if branch.sector == "commune" and parent is not None:
            xa = _bare(history.name_on(parent.id, day, parent.name))
            xom = _bare(history.name_on(branch.unit.id, day, branch.unit.name))
            return _Scene(xa, xom, f"UBND {xa}", parent.border_area)
        host = parent
        if host is not None and host.code in self.tree.subunions:
            host = self.by_id.get(history.parent_on(host.id, day) or host.parent_id)
        coquan = _bare(history.name_on(host.id, day, host.name)) if host else "cơ quan"
        home = self.tree.units.get(self.tree.home.get(branch.code, ""))
        if home is None or not _open_on(home, day):
            border_only = type_code == "bien_gioi_hai_dao"
            choices = [
                c for c in self.communes if _open_on(c, day) and (c.border_area or not border_only)
            ]
            home = choices[int(rng.random() * len(choices))]
        xa = _bare(history.name_on(home.id, day, home.name))
        hamlets = history.children_on(home.id, day)
        if hamlets:
            pick = self.by_id[hamlets[int(rng.random() * len(hamlets))]]
            xom = _bare(history.name_on(pick.id, day, pick.name))
        else:
            xom = xa
        return _Scene(xa, xom, coquan, home.border_area)

    def _title(self, branch: _Branch, type_code: str, day: date, scene: _Scene) -> str:
        """A title from the type's templates (or the sector's own, or the interior's own
        border-work ones) that fits the year and the season."""
        templates = _TITLES.get(f"{type_code}@{branch.sector}") or _TITLES[type_code]
        if type_code == "bien_gioi_hai_dao" and not scene.border:
            templates = _TITLES["bien_gioi_hai_dao@interior"]
        options = [
            text
            for text, first_year, months in templates
            if day.year >= first_year and (months is None or day.month in months)
        ] or [templates[0][0]]
        text = options[int(self.rng.random() * len(options))]
        return _capitalised(
            text.format(
                xa=scene.xa,
                xom=scene.xom,
                coquan=scene.coquan,
                nam=day.year,
                quy=(day.month - 1) // 3 + 1,
                thang=f"{day.month:02d}",
            )
        )

    def _place(self, type_code: str, scene: _Scene) -> str:
        if type_code in _OFFICE_TYPES:
            return f"Hội trường {scene.coquan}"
        if type_code == "bien_gioi_hai_dao" and scene.border:
            return f"Khu vực biên giới {scene.xa}"
        options = (
            f"Nhà văn hóa {scene.xom}",
            f"UBND {scene.xa}",
            f"{_capitalised(scene.xom)}, {scene.xa}",
        )
        return options[int(self.rng.random() * len(options))]

    def _quantities(
        self, activity_type: ActivityType, title: str, members: int, days: int, year: int
    ) -> dict[str, int | float]:
        """Every quantity the type asks for, with values that fit the title and the year."""
        rng = self.rng
        out: dict[str, int | float] = {}
        lowered = title.lower()
        for spec in activity_type.quantities or []:
            code, kind = spec.get("code"), spec.get("kind", "count")
            if not code:
                continue
            value: int | float
            if code in _HINTS and _HINTS[code] not in lowered:
                value = 0.0 if kind == "decimal" else 0
            elif code == "courses":
                value = rng.randint(1, 2)
            elif code == "certificates":
                value = rng.randint(max(1, members // 2), members)
            elif code == "initiatives":
                value = rng.randint(0, 3)
            elif code == "work_days":
                value = members * days
            elif code == "trees":
                value = rng.randint(0, 30) * 10
            elif code == "dossiers_civil_status":
                value = rng.randint(2, 25)
            elif code in ("dossiers_land", "dossiers_residence", "dossiers_other"):
                value = rng.randint(0, 12)
            elif code == "legal_advice":
                value = rng.randint(3, 40)
            elif code == "online_services":
                value = rng.randint(5, 60) if year >= 2020 else 0
            elif code == "e_id":
                value = rng.randint(10, 150) if year >= 2022 else 0
            elif code == "health_checks":
                value = rng.randint(0, 180)
            elif code == "leaflets":
                value = rng.randint(5, 50) * 10
            elif code == "children":
                value = rng.randint(20, 150)
            elif code == "families_visited":
                value = rng.randint(2, 12)
            elif code == "gifts":
                value = out.get("families_visited") or rng.randint(5, 60)
            elif code == "gift_value_vnd":
                gifts = int(out.get("gifts") or rng.randint(5, 60))
                value = gifts * rng.choice((100, 150, 200, 250, 300, 500)) * 1000
            elif code == "patrol_km":
                value = round(rng.uniform(2.0, 18.0), 1)
            elif code == "sessions":
                value = rng.randint(1, 3)
            elif code == "models":
                value = rng.randint(1, 4)
            elif code == "works":
                value = 1
            elif code == "opinions":
                value = rng.randint(3, 25)
            elif kind == "money_vnd":
                value = rng.randint(1, 50) * 100_000
            elif kind == "decimal":
                value = round(rng.uniform(0.2, 3.0), 1)
            else:
                value = rng.randint(0, 20)
            out[code] = value
        return out

    def _citizens(self, type_code: str, quantities: dict[str, int | float]) -> int:
        rng = self.rng
        if type_code == "thu_bay_tinh_nguyen":
            served = sum(int(v) for k, v in quantities.items() if k.startswith("dossiers_"))
            served += int(quantities.get("legal_advice", 0)) + rng.randint(0, 20)
        elif type_code == "ky_nghi_hong":
            helped = (
                int(quantities.get(k, 0)) for k in ("health_checks", "e_id", "online_services")
            )
            served = max(helped, default=0) + rng.randint(10, 80)
        elif type_code == "thieu_nhi":
            served = int(quantities.get("children", 0)) or rng.randint(20, 150)
        elif type_code == "den_on_dap_nghia":
            served = int(quantities.get("families_visited", 0)) * 3 or rng.randint(2, 30)
        else:
            low, high = _CITIZENS.get(type_code, (0, 0))
            served = rng.randint(low, high)
        return min(served, 300)

    def _status(self, ends_on: date, in_phase: bool) -> ActivityStatus:
        if in_phase:
            table: tuple[tuple[ActivityStatus, int], ...] = _STATUS_PHASE
        else:
            age = (self.today - ends_on).days
            table = next(t for limit, t in _STATUS_BY_AGE if age < limit)
        statuses = [s for s, _ in table]
        return statuses[self._pick(list(accumulate(w for _, w in table)))]

    def _stamp(self, day: date, lag_days: int) -> datetime:
        """When the server got it: during Vietnamese waking hours, ``lag_days`` after ``day``
        (branches sync once they reach coverage), never later than the eve of ``today``."""
        hour = self.rng.randint(0, 14)  # 07:00–21:59 in Vietnam
        moment = datetime.combine(day, datetime.min.time(), UTC) + timedelta(
            days=lag_days, hours=hour, minutes=self.rng.randint(0, 59)
        )
        return min(moment, self.latest)

    def _details(
        self, branch: _Branch, type_code: str, starts_on: date, ends_on: date, in_phase: bool
    ) -> dict[str, Any]:
        rng = self.rng
        scene = self._where(branch, type_code, starts_on)
        title = self._title(branch, type_code, starts_on, scene)
        place = self._place(type_code, scene)
        high = 20 if branch.sector != "commune" else 40
        members = rng.randint(3, high)
        days = (ends_on - starts_on).days + 1
        quantities = self._quantities(self.types[type_code], title, members, days, starts_on.year)
        citizens = self._citizens(type_code, quantities)
        hours = 0.0
        if type_code not in _OFFICE_TYPES:
            hours = members * days * rng.choice((1.5, 2, 2.5, 3, 4, 4, 6, 8))
        status = self._status(ends_on, in_phase)
        created_at = self._stamp(ends_on, rng.randint(0, 4))
        recorded_at = created_at - timedelta(minutes=rng.randint(1, 30), seconds=rng.randint(0, 59))
        self.counters[branch.code] += 1
        number = self.counters[branch.code]
        recorders = self.recorders.get(branch.unit.id, [])
        created_by = recorders[number % len(recorders)] if recorders else None
        reviewer = self.reviewers.get(branch.unit.id)
        reviewed_at = None
        comment = None
        if status in (ActivityStatus.VERIFIED, ActivityStatus.RETURNED):
            reviewed_at = created_at + timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 6))
            if reviewed_at > self.latest or reviewer is None:
                status, reviewed_at = ActivityStatus.SUBMITTED, None
        if status == ActivityStatus.RETURNED:
            comment = _RETURN_COMMENTS[int(rng.random() * len(_RETURN_COMMENTS))]
        return {
            "id": uuid.uuid5(NAMESPACE, f"{branch.code}/{number}"),
            "unit_id": branch.unit.id,
            "type_id": self.types[type_code].id,
            "title": title,
            "place": place,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "members_count": members,
            "citizens_served": citizens,
            "volunteer_hours": Decimal(f"{hours:.1f}"),
            "quantities": quantities,
            "description": _DESCRIPTIONS[type_code].format(n=members, c=citizens),
            "status": status.value,
            "review_comment": comment,
            "reviewed_by_id": reviewer if reviewed_at else None,
            "reviewed_at": reviewed_at,
            "created_by_id": created_by,
            "created_at": created_at,
            "updated_by_id": reviewer if reviewed_at else created_by,
            "updated_at": reviewed_at or created_at,
            "recorded_at": recorded_at,
            # Entered on the phone as sent up: the submission is the typing and the upload.
            "submitted_at": created_at if status != ActivityStatus.DRAFT else None,
            "submitted_typed_at": recorded_at if status != ActivityStatus.DRAFT else None,
            "version": 1,
        }


def _seed_activities(tree: _Tree, today: date) -> int:
    """Insert the planned activities whose ids are not taken yet.

    The whole plan is always drawn, so that what an id stands for never depends on what
    the database already holds.
    """
    plans = _Planner(tree, today).plan()
    existing: set[uuid.UUID] = set()
    ids = [p["id"] for p in plans]
    for i in range(0, len(ids), FLUSH_EVERY):
        chunk = ids[i : i + FLUSH_EVERY]
        existing.update(db.session.scalars(select(Activity.id).where(Activity.id.in_(chunk))))
    new = sorted(
        (p for p in plans if p["id"] not in existing), key=lambda p: (p["created_at"], p["id"])
    )
    if not new:
        return 0
    # Through the engine, as any server-side change: numbered in the server's receiving
    # order (as real pushes would be), the sync bookkeeping set by it alone.
    changes = ServerChanges(db.session(), activities_collection())
    for plan in new:
        changes.create(Activity(**plan))
    changes.number()
    return len(new)
