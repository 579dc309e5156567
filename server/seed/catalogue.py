"""The movement's starting catalogue, drawn from Notice 36 TB/TĐTN-BPT (21/01/2015).

Admins edit it later; seeding only adds what is missing, so their edits are never undone.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..models import ActivityType, Phase, Pillar

PILLARS = [
    ("ban_than", "Trách nhiệm với bản thân", "Responsibility to oneself"),
    ("cong_viec", "Trách nhiệm với công việc", "Responsibility to one's work"),
    ("cong_dong", "Trách nhiệm với cộng đồng", "Responsibility to the community"),
]


def _q(code: str, vi: str, en: str, unit_vi: str, unit_en: str, kind: str = "count") -> dict:
    return {
        "code": code,
        "label_vi": vi,
        "label_en": en,
        "unit_vi": unit_vi,
        "unit_en": unit_en,
        "kind": kind,
    }


GIFTS = _q("gifts", "Suất quà", "Gifts", "suất", "gifts")
GIFT_VALUE = _q("gift_value_vnd", "Giá trị quà", "Value of gifts", "đồng", "VND", "money_vnd")
LEAFLETS = _q("leaflets", "Tờ rơi phát hành", "Leaflets handed out", "tờ", "leaflets")
WORKDAYS = _q("work_days", "Ngày công", "Work days", "ngày công", "work days")

# (code, pillar, Vietnamese, English, quantities)
TYPES = [
    (
        "dao_tao",
        "ban_than",
        "Đào tạo nâng cao trình độ chuyên môn, kỹ năng nghiệp vụ",
        "Training courses, professional skills",
        [
            _q("courses", "Lớp học", "Courses", "lớp", "courses"),
            _q("certificates", "Người được cấp chứng chỉ", "Certificates", "người", "people"),
        ],
    ),
    ("clb_can_bo_tre", "ban_than", "Câu lạc bộ cán bộ trẻ", "Young cadres' club session", []),
    (
        "clb_khoa_hoc_tre",
        "cong_viec",
        "Câu lạc bộ khoa học trẻ",
        "Young scientists' club session",
        [
            _q(
                "initiatives",
                "Sáng kiến, đề tài",
                "Initiatives and studies",
                "sáng kiến",
                "initiatives",
            )
        ],
    ),
    ("thi_dua", "cong_viec", "Đợt thi đua cao điểm", "Peak emulation campaign", []),
    (
        "tinh_nguyen",
        "cong_dong",
        "Hoạt động tình nguyện",
        "Volunteer activity",
        [
            WORKDAYS,
            _q("trees", "Cây xanh trồng mới", "Trees planted", "cây", "trees"),
            _q(
                "road_km",
                "Đường giao thông làm mới, sửa chữa",
                "Roads built or repaired",
                "km",
                "km",
                "decimal",
            ),
        ],
    ),
    (
        "thu_bay_tinh_nguyen",
        "cong_dong",
        "Ngày thứ bảy tình nguyện (giải quyết thủ tục hành chính, tư vấn pháp luật cho người dân)",
        "Volunteer Saturday: administrative procedures and legal advice for citizens",
        [
            _q(
                "dossiers_civil_status",
                "Hồ sơ hộ tịch",
                "Civil status dossiers",
                "hồ sơ",
                "dossiers",
            ),
            _q("dossiers_land", "Hồ sơ đất đai", "Land dossiers", "hồ sơ", "dossiers"),
            _q("dossiers_residence", "Hồ sơ cư trú", "Residence dossiers", "hồ sơ", "dossiers"),
            _q("dossiers_other", "Hồ sơ lĩnh vực khác", "Other dossiers", "hồ sơ", "dossiers"),
            _q("legal_advice", "Lượt tư vấn pháp luật", "Legal advice given", "lượt", "sessions"),
        ],
    ),
    (
        "ky_nghi_hong",
        "cong_dong",
        "Kỳ nghỉ hồng",
        "“Pink Holiday”: professional skills at citizens' service",
        [
            _q(
                "online_services",
                "Hồ sơ dịch vụ công trực tuyến được hỗ trợ",
                "Online public service dossiers supported",
                "hồ sơ",
                "dossiers",
            ),
            _q(
                "e_id",
                "Lượt hỗ trợ kích hoạt định danh điện tử",
                "Electronic ID sign-ups",
                "lượt",
                "sign-ups",
            ),
            _q("health_checks", "Lượt khám bệnh miễn phí", "Free health checks", "lượt", "checks"),
            LEAFLETS,
        ],
    ),
    (
        "thieu_nhi",
        "cong_dong",
        "Chăm sóc thiếu niên, nhi đồng",
        "Caring for children and young pioneers",
        [
            _q("children", "Thiếu nhi được chăm lo", "Children reached", "em", "children"),
            GIFTS,
            GIFT_VALUE,
        ],
    ),
    (
        "den_on_dap_nghia",
        "cong_dong",
        "Đền ơn đáp nghĩa",
        "Gratitude work for war invalids and martyrs' families",
        [
            _q(
                "families_visited",
                "Gia đình chính sách được thăm hỏi",
                "Families visited",
                "gia đình",
                "families",
            ),
            GIFTS,
            GIFT_VALUE,
            WORKDAYS,
        ],
    ),
    (
        "bien_gioi_hai_dao",
        "cong_dong",
        "Hướng về biên giới, hải đảo",
        "Activities for the border and islands",
        [
            _q(
                "patrol_km",
                "Tuần tra đường biên, cột mốc",
                "Border and marker patrols",
                "km",
                "km",
                "decimal",
            ),
            GIFTS,
            GIFT_VALUE,
        ],
    ),
    (
        "tuyen_truyen",
        "cong_viec",
        "Tuyên truyền cách làm hay, mô hình hiệu quả, điển hình",
        "Spreading good practices, models and exemplary people",
        [
            _q("sessions", "Buổi tuyên truyền", "Outreach sessions", "buổi", "sessions"),
            _q(
                "models",
                "Mô hình, điển hình được giới thiệu",
                "Models and examples featured",
                "mô hình",
                "models",
            ),
            LEAFLETS,
        ],
    ),
    (
        "viec_moi_viec_kho",
        "cong_viec",
        "Đảm nhận việc mới, việc khó",
        "Taking on new and difficult tasks",
        [_q("works", "Công trình, phần việc", "Works and tasks taken on", "công trình", "works")],
    ),
    (
        "gop_y_giam_sat",
        "cong_dong",
        "Góp ý xây dựng Đảng, chính quyền; giám sát, phản biện xã hội",
        "Feedback on Party and government building; social supervision",
        [_q("opinions", "Ý kiến góp ý", "Opinions given", "ý kiến", "opinions")],
    ),
    (
        "sinh_hoat_noi_cu_tru",
        "cong_dong",
        "Sinh hoạt Đoàn tại nơi cư trú",
        "Union activity at the place of residence",
        [],
    ),
]

PHASES = [
    ("2015-2017", "Giai đoạn 2015 – 2017", "Phase 2015–2017", date(2015, 1, 1), date(2017, 12, 31)),
    ("2018-2022", "Giai đoạn 2018 – 2022", "Phase 2018–2022", date(2018, 1, 1), date(2022, 12, 31)),
    ("2023-2027", "Giai đoạn 2023 – 2027", "Phase 2023–2027", date(2023, 1, 1), date(2027, 12, 31)),
]


def seed_catalogue() -> dict[str, int]:
    """Add the pillars, activity types and phases that are missing; return what was added."""
    added = {"pillars": 0, "activity_types": 0, "phases": 0}
    pillars = {p.code: p for p in db.session.scalars(select(Pillar))}
    for order, (code, vi, en) in enumerate(PILLARS):
        if code not in pillars:
            pillars[code] = Pillar(code=code, name_vi=vi, name_en=en, sort_order=order)
            db.session.add(pillars[code])
            added["pillars"] += 1
    db.session.flush()
    have = set(db.session.scalars(select(ActivityType.code)))
    for order, (code, pillar, vi, en, quantities) in enumerate(TYPES):
        if code not in have:
            db.session.add(
                ActivityType(
                    code=code,
                    pillar_id=pillars[pillar].id,
                    name_vi=vi,
                    name_en=en,
                    quantities=quantities,
                    sort_order=order,
                )
            )
            added["activity_types"] += 1
    have = set(db.session.scalars(select(Phase.code)))
    for code, vi, en, starts, ends in PHASES:
        if code not in have:
            db.session.add(Phase(code=code, name_vi=vi, name_en=en, starts_on=starts, ends_on=ends))
            added["phases"] += 1
    db.session.flush()
    return added
