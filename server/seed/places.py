"""The Cao Bằng unit tree of the demo, as data: who existed, where, and what changed.

Kept apart from :mod:`server.seed.demo` so that the place names can be checked and
corrected by someone who knows the province without reading any database code.

What is real and what is not:

* **Real**: the province, its 10 district-level units of 2020–2025 (after Thông Nông merged
  into Hà Quảng, Trà Lĩnh into Trùng Khánh, and Phục Hòa with Quảng Uyên into Quảng Hòa,
  effective 01/03/2020) and their communes, wards and towns. The commune lists of Hà Quảng,
  Trùng Khánh, Bảo Lạc, Bảo Lâm, Quảng Hòa, Hạ Lang and the city follow the published
  2020–2025 lists; those of Hòa An, Nguyên Bình and Thạch An are from memory and may hold a
  name that only existed before the 2020 mergers. Border flags are best knowledge (Đức Hạnh
  is Bảo Lâm's only border commune; Hà Quảng's border communes follow the district's own
  description), not an official list.
* **Real hamlet names** (xóm) where marked ``# real hamlets``: Trường Hà, Xuân Hòa, Thông
  Nông, Trà Lĩnh (with its 2019 hamlet merges, simplified), the town of Bảo Lạc and the
  former xóm of Duyệt Trung. Every other hamlet name is **illustrative**: made from common
  Tày/Nùng place-name syllables (Nà = rice field, Pác = mouth, Khuổi = stream, Lũng =
  valley…), so it looks right but need not exist in that commune.
* **Real agencies** (Sở Tư pháp, Bệnh viện Đa khoa tỉnh, border posts Sóc Giang, Trà Lĩnh,
  Đàm Thủy, Tà Lùng, Đức Hạnh, …); the departments and teams that form their branches are
  illustrative.
* **Illustrative**: the whole 2025 reform below. The real reform made 56 commune-level units
  (53 communes, 3 wards) out of 161; this demo only merges a few communes per district, moves
  the rest under the province and closes the district unions, which is enough to show how
  the tree keeps its history. The new bloc and the department merge are modelled on what
  happened in 2025, not copied from the decisions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from schemas.text import fold

PROVINCE_CODE = "CB"
PROVINCE_NAME = "Tỉnh Đoàn Cao Bằng"

#: Illustrative effective dates of the changes the demo replays.
HAMLET_MERGE_ON = date(2019, 9, 9)
TOWN_RENAME_ON = date(2020, 3, 1)
DEPARTMENT_MERGE_ON = date(2025, 3, 1)
REFORM_ON = date(2025, 7, 1)

XA, THI_TRAN, PHUONG = "xã", "thị trấn", "phường"


@dataclass(frozen=True)
class Commune:
    """A commune-level union. ``hamlets`` are full labels ("xóm Pác Bó") when known."""

    name: str
    level: str = XA
    border: bool = False
    hamlets: tuple[str, ...] = ()
    #: The name it had before :data:`TOWN_RENAME_ON`, if it was renamed then.
    former_name: str | None = None


@dataclass(frozen=True)
class Merge:
    """Commune unions folded into ``target`` on :data:`REFORM_ON` (illustrative)."""

    target: str
    sources: tuple[str, ...]
    new_name: str | None = None


@dataclass(frozen=True)
class District:
    code: str
    name: str
    communes: tuple[Commune, ...]
    merges: tuple[Merge, ...] = ()
    #: What branches of rural communes are called locally ("xóm" in most of Cao Bằng).
    hamlet_word: str = "xóm"


@dataclass(frozen=True)
class Agency:
    """A grassroots union of an agency, company or force, with its branches.

    ``sector`` steers which activities its branches record; ``home`` is the commune code a
    border post works in, so its activities happen there.
    """

    code: str
    name: str
    sector: str
    branches: tuple[str, ...] = ()
    subunions: tuple[Agency, ...] = ()
    border: bool = False
    home: str | None = None


@dataclass(frozen=True)
class Bloc:
    code: str
    name: str
    agencies: tuple[Agency, ...]
    branches: tuple[str, ...] = ()
    sector: str = "agency"


@dataclass(frozen=True)
class HamletMerge:
    """Branches of hamlets merged into a new hamlet's branch (real: Hùng Quốc, 09/09/2019)."""

    commune_code: str
    new_hamlet: str
    hamlets: tuple[str, ...]


@dataclass(frozen=True)
class Change:
    """A dated change to one grassroots union: merge into another, then maybe a new name."""

    on: date
    source: str
    target: str
    new_name: str | None = None


@dataclass(frozen=True)
class NewBloc:
    code: str
    name: str
    on: date
    moves: tuple[str, ...] = field(default=())


def _c(name: str, *hamlets: str, border: bool = False) -> Commune:
    return Commune(name, XA, border, hamlets)


def _tt(name: str, *hamlets: str, border: bool = False, former: str | None = None) -> Commune:
    return Commune(name, THI_TRAN, border, hamlets, former)


def _p(name: str, *hamlets: str) -> Commune:
    return Commune(name, PHUONG, False, hamlets)


B = True  # readability: _c("Sóc Hà", border=B)

DISTRICTS: tuple[District, ...] = (
    District(
        "TP",
        "Thành Đoàn Cao Bằng",
        (
            _p("Sông Hiến"),
            _p("Sông Bằng"),
            _p("Hợp Giang"),
            _p("Tân Giang"),
            _p("Ngọc Xuân"),
            _p("Đề Thám"),
            _p("Hòa Chung"),
            # real hamlets (the xóm of the former commune Duyệt Trung)
            _p("Duyệt Trung", "xóm Nà Thỏ", "xóm Nà Thơm", "xóm Nà Đoỏng", "xóm Nà Lủng"),
            _c("Vĩnh Quang"),
            _c("Hưng Đạo"),
            _c("Chu Trinh"),
        ),
        (
            Merge("Hợp Giang", ("Sông Bằng", "Sông Hiến"), "Đoàn phường Thục Phán"),
            Merge("Đề Thám", ("Hòa Chung", "Ngọc Xuân"), "Đoàn phường Nùng Trí Cao"),
            Merge("Tân Giang", ("Duyệt Trung", "Chu Trinh")),
        ),
    ),
    District(
        "BL",
        "Huyện Đoàn Bảo Lạc",
        (
            # real hamlets
            _tt("Bảo Lạc", "tổ dân phố 1", "tổ dân phố 2", "xóm Nà Pằn", "xóm Nà Dường"),
            _c("Bảo Toàn"),
            _c("Cô Ba", border=B),
            _c("Cốc Pàng", border=B),
            _c("Đình Phùng"),
            _c("Hồng An"),
            _c("Hồng Trị"),
            _c("Hưng Đạo"),
            _c("Hưng Thịnh"),
            _c("Huy Giáp"),
            _c("Khánh Xuân", border=B),
            _c("Kim Cúc"),
            _c("Phan Thanh"),
            _c("Sơn Lập"),
            _c("Sơn Lộ"),
            _c("Thượng Hà"),
            _c("Xuân Trường", border=B),
        ),
        (
            Merge("Bảo Lạc", ("Hồng Trị", "Thượng Hà"), "Đoàn xã Bảo Lạc"),
            Merge("Cô Ba", ("Khánh Xuân",)),
        ),
    ),
    District(
        "BM",
        "Huyện Đoàn Bảo Lâm",
        (
            _tt("Pác Miầu"),
            _c("Đức Hạnh", border=B),
            _c("Lý Bôn"),
            _c("Mông Ân"),
            _c("Nam Cao"),
            _c("Nam Quang"),
            _c("Quảng Lâm"),
            _c("Thạch Lâm"),
            _c("Thái Học"),
            _c("Thái Sơn"),
            _c("Vĩnh Phong"),
            _c("Vĩnh Quang"),
            _c("Yên Thổ"),
        ),
        (
            Merge("Pác Miầu", ("Mông Ân",), "Đoàn xã Bảo Lâm"),
            Merge("Lý Bôn", ("Vĩnh Quang",)),
        ),
        hamlet_word="thôn",
    ),
    District(
        "HQ",
        "Huyện Đoàn Hà Quảng",
        (
            # real hamlets
            _tt(
                "Xuân Hòa",
                "xóm Bản Giàng",
                "xóm Đôn Chương",
                "xóm Nà Vạc",
                "xóm Khuổi Pàng",
                "xóm Yên Luật",
            ),
            # real hamlets
            _tt("Thông Nông", "xóm Bản Viềng", "xóm Cốc Ca", "xóm Lũng Vịt", "xóm Nà Rằng"),
            _c("Cải Viên", border=B),
            _c("Cần Nông"),
            _c("Cần Yên"),
            _c("Đa Thông"),
            _c("Hồng Sỹ"),
            _c("Lũng Nặm", border=B),
            _c("Lương Can"),
            _c("Lương Thông"),
            _c("Mã Ba"),
            _c("Ngọc Đào"),
            _c("Ngọc Động"),
            _c("Nội Thôn", border=B),
            _c("Quý Quân"),
            _c("Sóc Hà", border=B),
            _c("Thanh Long"),
            _c("Thượng Thôn"),
            _c("Tổng Cọt", border=B),
            # real hamlets (Pác Bó, where Hồ Chí Minh returned in 1941, is one of them)
            _c(
                "Trường Hà",
                "xóm Pác Bó",
                "xóm Nà Mạ",
                "xóm Bản Hoàng",
                "xóm Cốc Sâu",
                "xóm Lũng Loỏng",
                "xóm Hòa Mục",
                border=B,
            ),
            _c("Yên Sơn"),
        ),
        (
            Merge("Xuân Hòa", ("Quý Quân", "Hồng Sỹ"), "Đoàn xã Hà Quảng"),
            Merge("Thông Nông", ("Đa Thông", "Lương Can"), "Đoàn xã Thông Nông"),
            Merge("Tổng Cọt", ("Nội Thôn", "Cải Viên")),
        ),
    ),
    District(
        "HL",
        "Huyện Đoàn Hạ Lang",
        (
            _tt("Thanh Nhật"),
            _c("An Lạc"),
            _c("Cô Ngân", border=B),
            _c("Đồng Loan"),
            _c("Đức Quang", border=B),
            _c("Kim Loan"),
            _c("Lý Quốc", border=B),
            _c("Minh Long", border=B),
            _c("Quang Long"),
            _c("Thắng Lợi"),
            _c("Thị Hoa", border=B),
            _c("Thống Nhất"),
            _c("Vinh Quý"),
        ),
        (
            Merge("Thanh Nhật", ("Thống Nhất", "Vinh Quý"), "Đoàn xã Hạ Lang"),
            Merge("Lý Quốc", ("Minh Long",)),
        ),
    ),
    District(
        "HA",
        "Huyện Đoàn Hòa An",
        (
            _tt("Nước Hai"),
            _c("Bạch Đằng"),
            _c("Bế Triều"),
            _c("Bình Dương"),
            _c("Dân Chủ"),
            _c("Đại Tiến"),
            _c("Hoàng Tung"),
            _c("Hồng Việt"),
            _c("Lê Chung"),
            _c("Nam Tuấn"),
            _c("Ngũ Lão"),
            _c("Nguyễn Huệ"),
            _c("Quang Trung"),
            _c("Trương Lương"),
        ),
        (
            Merge("Nước Hai", ("Hồng Việt", "Bế Triều"), "Đoàn xã Hòa An"),
            Merge("Nam Tuấn", ("Dân Chủ", "Đại Tiến")),
        ),
    ),
    District(
        "NB",
        "Huyện Đoàn Nguyên Bình",
        (
            _tt("Nguyên Bình"),
            _tt("Tĩnh Túc"),
            _c("Ca Thành"),
            _c("Hoa Thám"),
            _c("Mai Long"),
            _c("Minh Tâm"),
            _c("Phan Thanh"),
            _c("Quang Thành"),
            _c("Tam Kim"),
            _c("Thành Công"),
            _c("Thịnh Vượng"),
            _c("Triệu Nguyên"),
            _c("Yên Lạc"),
        ),
        (
            Merge("Nguyên Bình", ("Thịnh Vượng",), "Đoàn xã Nguyên Bình"),
            Merge("Tĩnh Túc", ("Triệu Nguyên",), "Đoàn xã Tĩnh Túc"),
            Merge("Tam Kim", ("Hoa Thám",)),
        ),
    ),
    District(
        "QH",
        "Huyện Đoàn Quảng Hòa",
        (
            _tt("Quảng Uyên"),
            _tt("Hòa Thuận"),
            _tt("Tà Lùng", border=B),
            _c("Bế Văn Đàn"),
            _c("Cách Linh"),
            _c("Cai Bộ"),
            _c("Chí Thảo"),
            _c("Đại Sơn", border=B),
            _c("Độc Lập"),
            _c("Hạnh Phúc"),
            _c("Hồng Quang"),
            _c("Mỹ Hưng", border=B),
            _c("Ngọc Động"),
            _c("Phi Hải"),
            _c("Phúc Sen"),
            _c("Quảng Hưng"),
            _c("Quốc Toản"),
            _c("Tiên Thành"),
            _c("Tự Do"),
        ),
        (
            Merge("Quảng Uyên", ("Phi Hải", "Chí Thảo"), "Đoàn xã Quảng Uyên"),
            Merge("Hòa Thuận", ("Bế Văn Đàn",), "Đoàn xã Phục Hòa"),
            Merge("Tà Lùng", ("Mỹ Hưng",), "Đoàn xã Tà Lùng"),
        ),
    ),
    District(
        "TA",
        "Huyện Đoàn Thạch An",
        (
            _tt("Đông Khê"),
            _c("Canh Tân"),
            _c("Đức Long", border=B),
            _c("Đức Thông"),
            _c("Đức Xuân"),
            _c("Kim Đồng"),
            _c("Lê Lai"),
            _c("Lê Lợi"),
            _c("Minh Khai"),
            _c("Quang Trọng"),
            _c("Thái Cường"),
            _c("Thị Ngân"),
            _c("Thụy Hùng", border=B),
            _c("Trọng Con"),
            _c("Vân Trình"),
        ),
        (
            Merge("Đông Khê", ("Lê Lai", "Đức Xuân"), "Đoàn xã Đông Khê"),
            Merge("Đức Long", ("Thụy Hùng",)),
        ),
    ),
    District(
        "TK",
        "Huyện Đoàn Trùng Khánh",
        (
            _tt("Trùng Khánh"),
            # real hamlets (of Hùng Quốc, renamed Trà Lĩnh in 2020)
            _tt(
                "Trà Lĩnh",
                "xóm Cốc Càng",
                "xóm Bản Hía",
                "xóm Háng Páo",
                "xóm Nà Đoỏng",
                "xóm Nà Quan",
                "xóm Nà Rạo",
                border=B,
                former="Hùng Quốc",
            ),
            _c("Cao Chương"),
            _c("Cao Thăng"),
            _c("Chí Viễn"),
            _c("Đàm Thủy", border=B),
            _c("Đình Phong", border=B),
            _c("Đoài Dương"),
            _c("Đức Hồng"),
            _c("Khâm Thành"),
            _c("Lăng Hiếu"),
            _c("Ngọc Côn", border=B),
            _c("Ngọc Khê", border=B),
            _c("Phong Châu"),
            _c("Phong Nặm", border=B),
            _c("Quang Hán"),
            _c("Quang Trung"),
            _c("Quang Vinh"),
            _c("Tri Phương", border=B),
            _c("Trung Phúc"),
            _c("Xuân Nội", border=B),
        ),
        (
            Merge("Trùng Khánh", ("Đức Hồng", "Lăng Hiếu"), "Đoàn xã Trùng Khánh"),
            Merge("Trà Lĩnh", ("Cao Chương", "Quang Hán"), "Đoàn xã Trà Lĩnh"),
            Merge("Đàm Thủy", ("Chí Viễn",)),
        ),
    ),
)

# Grassroots unions under the directly affiliated unions. Agency names are real bodies;
# their departments and teams (the branches) are illustrative.
BLOCS: tuple[Bloc, ...] = (
    Bloc(
        "CB-KCQ",
        "Đoàn Khối các Cơ quan tỉnh",
        (
            Agency(
                "CB-KCQ-STP",
                "Đoàn cơ sở Sở Tư pháp",
                "agency",
                (
                    "Chi đoàn Văn phòng Sở",
                    "Chi đoàn Phòng Phổ biến, giáo dục pháp luật",
                    "Chi đoàn Trung tâm Trợ giúp pháp lý nhà nước",
                ),
            ),
            Agency(
                "CB-KCQ-STC",
                "Đoàn cơ sở Sở Tài chính",
                "agency",
                ("Chi đoàn Văn phòng Sở", "Chi đoàn Phòng Quản lý ngân sách"),
            ),
            Agency(
                "CB-KCQ-SNN",
                "Đoàn cơ sở Sở Nông nghiệp và Phát triển nông thôn",
                "agency",
                (
                    "Chi đoàn Văn phòng Sở",
                    "Chi đoàn Chi cục Kiểm lâm",
                    "Chi đoàn Chi cục Chăn nuôi và Thú y",
                ),
            ),
            Agency(
                "CB-KCQ-STNMT",
                "Đoàn cơ sở Sở Tài nguyên và Môi trường",
                "agency",
                ("Chi đoàn Văn phòng Sở", "Chi đoàn Văn phòng Đăng ký đất đai"),
            ),
            Agency(
                "CB-KCQ-SGD",
                "Đoàn cơ sở Sở Giáo dục và Đào tạo",
                "agency",
                ("Chi đoàn Văn phòng Sở", "Chi đoàn Phòng Giáo dục Trung học"),
            ),
            Agency(
                "CB-KCQ-SYT",
                "Đoàn cơ sở Sở Y tế",
                "agency",
                ("Chi đoàn Văn phòng Sở", "Chi đoàn Trung tâm Kiểm soát bệnh tật tỉnh"),
            ),
            # The deepest chain of the demo: province → bloc → hospital → wing → ward.
            Agency(
                "CB-KCQ-BVDK",
                "Đoàn cơ sở Bệnh viện Đa khoa tỉnh",
                "hospital",
                ("Chi đoàn Khối Hành chính",),
                (
                    Agency(
                        "CB-KCQ-BVDK-NOI",
                        "Liên chi đoàn Khối Nội",
                        "hospital",
                        (
                            "Chi đoàn Khoa Nội tổng hợp",
                            "Chi đoàn Khoa Nhi",
                            "Chi đoàn Khoa Truyền nhiễm",
                        ),
                    ),
                    Agency(
                        "CB-KCQ-BVDK-NGOAI",
                        "Liên chi đoàn Khối Ngoại",
                        "hospital",
                        ("Chi đoàn Khoa Ngoại tổng hợp", "Chi đoàn Khoa Phụ sản"),
                    ),
                ),
            ),
            Agency(
                "CB-KCQ-VPUB",
                "Đoàn cơ sở Văn phòng UBND tỉnh",
                "agency",
                ("Chi đoàn Văn phòng UBND tỉnh", "Chi đoàn Trung tâm Phục vụ hành chính công"),
            ),
            Agency(
                "CB-KCQ-VPTU",
                "Đoàn cơ sở Văn phòng Tỉnh ủy",
                "agency",
                ("Chi đoàn Phòng Hành chính – Lưu trữ", "Chi đoàn Phòng Tài chính – Quản trị"),
            ),
            Agency(
                "CB-KCQ-BAO",
                "Đoàn cơ sở Báo Cao Bằng",
                "agency",
                ("Chi đoàn Phòng Thời sự", "Chi đoàn Phòng Báo điện tử"),
            ),
        ),
    ),
    Bloc(
        "CB-KDN",
        "Đoàn Khối Doanh nghiệp tỉnh",
        (
            Agency(
                "CB-KDN-DL",
                "Đoàn cơ sở Công ty Điện lực Cao Bằng",
                "enterprise",
                ("Chi đoàn Điện lực Hà Quảng", "Chi đoàn Điện lực Trùng Khánh"),
            ),
            Agency(
                "CB-KDN-VNPT",
                "Đoàn cơ sở VNPT Cao Bằng",
                "enterprise",
                ("Chi đoàn Trung tâm Kinh doanh", "Chi đoàn Trung tâm Hạ tầng mạng"),
            ),
            Agency(
                "CB-KDN-AGR",
                "Đoàn cơ sở Agribank Chi nhánh tỉnh Cao Bằng",
                "enterprise",
                ("Chi đoàn Hội sở tỉnh", "Chi đoàn Agribank Hòa An"),
            ),
        ),
        sector="enterprise",
    ),
    Bloc(
        "CB-BP",
        "Đoàn Bộ đội Biên phòng tỉnh",
        (
            Agency(
                "CB-BP-CQ",
                "Đoàn cơ sở Cơ quan Bộ Chỉ huy Bộ đội Biên phòng tỉnh",
                "border_post",
                ("Chi đoàn Phòng Tham mưu", "Chi đoàn Phòng Chính trị"),
            ),
            Agency(
                "CB-BP-SOCGIANG",
                "Đoàn cơ sở Đồn Biên phòng Sóc Giang",
                "border_post",
                ("Chi đoàn Đội Vận động quần chúng", "Chi đoàn Đội Kiểm soát hành chính"),
                border=True,
                home="CB-HQ-SOCHA",
            ),
            Agency(
                "CB-BP-TRALINH",
                "Đoàn cơ sở Đồn Biên phòng Trà Lĩnh",
                "border_post",
                ("Chi đoàn Đội Vận động quần chúng", "Chi đoàn Đội Kiểm soát hành chính"),
                border=True,
                home="CB-TK-TRALINH",
            ),
            Agency(
                "CB-BP-DAMTHUY",
                "Đoàn cơ sở Đồn Biên phòng Đàm Thủy",
                "border_post",
                ("Chi đoàn Đội Vận động quần chúng", "Chi đoàn Đội Tuần tra"),
                border=True,
                home="CB-TK-DAMTHUY",
            ),
            Agency(
                "CB-BP-TALUNG",
                "Đoàn cơ sở Đồn Biên phòng Tà Lùng",
                "border_post",
                ("Chi đoàn Đội Vận động quần chúng", "Chi đoàn Đội Kiểm soát hành chính"),
                border=True,
                home="CB-QH-TALUNG",
            ),
            Agency(
                "CB-BP-DUCHANH",
                "Đoàn cơ sở Đồn Biên phòng Đức Hạnh",
                "border_post",
                ("Chi đoàn Đội Vận động quần chúng", "Chi đoàn Đội Tuần tra"),
                border=True,
                home="CB-BM-DUCHANH",
            ),
        ),
        sector="border_post",
    ),
    Bloc(
        "CB-CA",
        "Đoàn Công an tỉnh",
        (
            Agency(
                "CB-CA-CSGT",
                "Đoàn cơ sở Phòng Cảnh sát giao thông",
                "police",
                ("Chi đoàn Đội Tuần tra kiểm soát", "Chi đoàn Đội Đăng ký xe"),
            ),
            Agency(
                "CB-CA-QLHC",
                "Đoàn cơ sở Phòng Cảnh sát quản lý hành chính về trật tự xã hội",
                "police",
                ("Chi đoàn Đội Căn cước", "Chi đoàn Đội Quản lý cư trú"),
            ),
        ),
        # Branches directly under the bloc: a three-level chain.
        ("Chi đoàn Phòng Tham mưu", "Chi đoàn Phòng Hậu cần"),
        sector="police",
    ),
)

#: Real hamlet merges in Hùng Quốc (now Trà Lĩnh), 09/09/2019 — simplified (the second one
#: also took in xóm Cốc Khoác, which the demo does not have).
HAMLET_MERGES: tuple[HamletMerge, ...] = (
    HamletMerge("CB-TK-TRALINH", "xóm Nam Tuấn", ("xóm Háng Páo", "xóm Nà Đoỏng")),
    HamletMerge("CB-TK-TRALINH", "xóm Vĩnh Quang", ("xóm Nà Quan", "xóm Nà Rạo")),
)

#: Modelled on the 2025 merger of provincial departments (Natural Resources and Environment
#: into Agriculture); the date is illustrative.
DEPARTMENT_CHANGES: tuple[Change, ...] = (
    Change(
        DEPARTMENT_MERGE_ON,
        "CB-KCQ-STNMT",
        "CB-KCQ-SNN",
        "Đoàn cơ sở Sở Nông nghiệp và Môi trường",
    ),
)

#: Illustrative: a bloc of the provincial Party agencies, set up with the 2025 reform.
NEW_BLOCS: tuple[NewBloc, ...] = (
    NewBloc(
        "CB-KCQD",
        "Đoàn Khối các cơ quan Đảng tỉnh",
        REFORM_ON,
        ("CB-KCQ-VPTU", "CB-KCQ-BAO"),
    ),
)

# Syllables for illustrative hamlet names (Tày/Nùng style), see the module docstring.
# fmt: off
_FIRST = ("Nà", "Pác", "Khuổi", "Lũng", "Bản", "Cốc", "Pò", "Phia", "Khau", "Nặm", "Bó", "Co")
_SECOND = (
    "Mạ", "Rầy", "Lẹng", "Pàn", "Sliến", "Giàng", "Thin", "Chang", "Đon", "Vài", "Nưa",
    "Tẩu", "Ngòa", "Luông", "Rào", "Mặn", "Phầy", "Sảng", "Tổng", "Kéo", "Cáy", "Chủ",
    "Lằng", "Khoang", "Pảng", "Mò", "Lìn", "Coóc", "Phạc", "Mu", "Slằng", "Bây", "Rỉnh",
    "Hoong", "Vạc", "Kham", "Lạn", "Thốc", "Ỏ", "Pẻn",
)
# fmt: on


def slug(name: str) -> str:
    """ASCII code fragment of a place name: "Trường Hà" → "TRUONGHA"."""
    return "".join(ch for ch in fold(name).upper() if ch.isalnum())


def district_code(district: District) -> str:
    return f"{PROVINCE_CODE}-{district.code}"


def commune_code(district: District, commune: Commune | str) -> str:
    name = commune if isinstance(commune, str) else commune.name
    return f"{district_code(district)}-{slug(name)}"


def commune_union_name(commune: Commune, *, former: bool = False) -> str:
    """ "Đoàn xã Trường Hà"; with ``former``, the name before :data:`TOWN_RENAME_ON`."""
    name = commune.former_name if former and commune.former_name else commune.name
    return f"Đoàn {commune.level} {name}"


def hamlet_labels(district: District, commune: Commune) -> tuple[str, ...]:
    """The places of a commune's branches: its real hamlets, else illustrative ones.

    Seeded by the commune's code, so the same commune always gets the same names.
    """
    if commune.hamlets:
        return commune.hamlets
    rng = random.Random(commune_code(district, commune))
    if commune.level == PHUONG:
        return tuple(f"tổ dân phố {n}" for n in sorted(rng.sample(range(1, 13), 3)))
    names: list[str] = []
    while len(names) < (1 if commune.level == THI_TRAN else 2):
        name = f"{district.hamlet_word} {rng.choice(_FIRST)} {rng.choice(_SECOND)}"
        if name not in names:
            names.append(name)
    if commune.level == THI_TRAN:
        return ("tổ dân phố 1", "tổ dân phố 2", *names)
    return tuple(names)


def branch_code(parent_code: str, index: int) -> str:
    """Branches are numbered within their union from 1, in the order listed here."""
    return f"{parent_code}-{index:02d}"


def branch_name(label: str) -> str:
    return f"Chi đoàn {label}"
