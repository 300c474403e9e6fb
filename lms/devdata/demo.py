"""``flask lms demo``: a demo province shaped like today's Cần Thơ.

Two levels since 1 July 2025: the province, then its 103 real communes (phường and
xã, with the official codes), each with about ten villages (khu vực / ấp) holding one
mediation team each, five to seven mediators per team, province-level trainers, legal
supporters, and one account per role with a fixed, printed password.

The reform is in it: the shipped history (the old provinces Hậu Giang and Sóc Trăng,
the districts, the 263 old communes, ended on 30 June 2025, each with its successor)
is loaded, and the villages stay under the old communes they belonged to, which count
in their new commune since 1 July 2025. So the figures of 2024 are those of the old
communes, and today's those of the new ones.

Everything is drawn from ``random.Random(seed)``, so a seed always gives the
same province. The tree goes through the roster services (units need their
materialized paths); the thousands of people and their roles are bulk inserted
(no audit rows for bulk demo data).
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from dataclasses import dataclass, field

import click
from flask.cli import AppGroup
from sqlalchemy import delete, exc, func, insert, or_, select, true, update

from ..core import clock
from ..core.cli import register_setup_step
from ..core.collation import person_sort_key
from ..core.errors import ServiceError
from ..core.models import AuditLog
from ..core.roles import Role
from ..core.text import fold, fold_key
from ..extensions import db
from ..org.models import (
    Background,
    Gender,
    LeaveReason,
    LegalSupport,
    MediatorMembership,
    Person,
    Team,
    TrainerAppointment,
    TrainerLevel,
    Unit,
    UnitKind,
    User,
    training_deadline,
)
from ..org.services import accounts, official, roster

DEMO_PASSWORD = "demo-2026"  # noqa: S105 (a demo: printed on purpose)
DEFAULT_SEED = 2026
DEFAULT_COMMUNES = 103  # Cần Thơ's communes since 1 July 2025
PROVINCE_CODE = "92"
PROVINCE_NAME = "Thành phố Cần Thơ"
BATCH = 1000

# --------------------------------------------------------------------------- names

#: Phường of the new Cần Thơ: (name, Khmer area). The first one gets the commune officer's demo login.
PHUONG = [
    ("Ninh Kiều", False), ("Cái Khế", False), ("Tân An", False), ("An Bình", False), ("Thới An Đông", False),
    ("Bình Thủy", False), ("Long Tuyền", False), ("Cái Răng", False), ("Hưng Phú", False), ("Ô Môn", False),
    ("Phước Thới", False), ("Thới Long", False), ("Trung Nhứt", False), ("Thuận Hưng", False), ("Thốt Nốt", False),
    ("Vị Thanh", False), ("Vị Tân", False), ("Đại Thành", False), ("Ngã Bảy", False), ("Long Mỹ", False),
    ("Long Bình", False), ("Long Phú 1", False), ("Sóc Trăng", False), ("Phú Lợi", False), ("Mỹ Xuyên", False),
    ("Ngã Năm", False), ("Mỹ Quới", False), ("Vĩnh Phước", True), ("Vĩnh Châu", True), ("Khánh Hòa", True),
    ("Tân Lộc", False),
]
#: Xã of the new Cần Thơ: (name, Khmer area).
XA = [
    ("Phong Điền", False), ("Lai Hòa", True), ("Nhơn Ái", False), ("Trường Long", False), ("Thới Lai", False),
    ("Đông Thuận", False), ("Trường Xuân", False), ("Trường Thành", False), ("Cờ Đỏ", False), ("Đông Hiệp", False),
    ("Trung Hưng", False), ("Thạnh Phú", False), ("Thạnh Quới", False), ("Thạnh An", False), ("Vĩnh Thạnh", False),
    ("Vĩnh Trinh", False), ("Thạnh Hòa", False), ("Tân Hòa", False), ("Trường Long Tây", False), ("Châu Thành", False),
    ("Đông Phước", False), ("Phú Hữu", False), ("Tân Bình", False), ("Hòa An", False), ("Phương Bình", False),
    ("Tân Phước Hưng", False), ("Hiệp Hưng", False), ("Phụng Hiệp", False), ("Thạnh Xuân", False), ("Tân Long", False),
    ("Vị Thủy", False), ("Vĩnh Thuận Đông", False), ("Vĩnh Viễn", False), ("Lương Tâm", False), ("Xà Phiên", True),
    ("Hỏa Lựu", False), ("Kế Sách", False), ("Thới An Hội", False), ("Đại Hải", False), ("Phú Tâm", True),
    ("An Ninh", True), ("Thuận Hòa", True), ("Hồ Đắc Kiện", True), ("Mỹ Tú", True), ("Long Hưng", True),
    ("Mỹ Phước", True), ("Mỹ Hương", True), ("Phú Lộc", True), ("Vĩnh Lợi", False), ("Vĩnh Hải", True),
    ("Tài Văn", True), ("Liêu Tú", True), ("Lịch Hội Thượng", True), ("Trần Đề", True), ("An Thạnh", False),
    ("Cù Lao Dung", False), ("Long Phú", False), ("Đại Ngãi", False), ("Trường Khánh", False), ("Tân Thạnh", False),
    ("Nhu Gia", True), ("Thạnh Thới An", True), ("Gia Hòa", True), ("Ngọc Tố", True), ("Hòa Tú", True),
    ("Phú Mỹ", False), ("Mỹ Thuận", False), ("Tân Phước", False), ("Vĩnh Tường", False), ("Lâm Tân", True),
    ("Thạnh Trị", False), ("Thới Hưng", False),
]
AP = [
    "Thạnh Lợi", "Phú Hòa", "Tân Thành", "Mỹ Lợi", "Thới Thuận", "Long Thạnh", "Nhơn Lộc", "Phước Hòa", "Trường Thọ",
    "Tân Hưng", "An Khương", "Mỹ Phú", "Bình Thạnh", "Thới Bình", "Tân Lập", "Hòa Bình", "Đông Lợi", "Vĩnh Lộc",
    "Phú Thạnh", "Tân Quy", "An Lợi", "Thạnh Hưng", "Long Hòa", "Mỹ Hòa", "Trường Bình", "Kênh Xáng", "Xẻo Rô",
    "Rạch Sung", "Cây Dương", "Bờ Đê", "Vàm Xáng", "Giồng Nổi",
]
AP_KHMER = [
    "Sóc Vồ", "Tà Ân", "Bưng Tróp", "Prey Chóp", "Trà Sết", "Đay Sô", "Sóc Xoài", "Sóc Leo", "Trà Canh",
    "Kinh Ngay", "Pâu Thi", "Tắc Gồng", "Sà Lôn", "Bưng Cóc", "Sóc Dong",
]

FAMILY = [
    ("Nguyễn", 30), ("Trần", 11), ("Lê", 9), ("Phạm", 6), ("Huỳnh", 6), ("Võ", 5), ("Đặng", 3), ("Bùi", 3),
    ("Đỗ", 2), ("Hồ", 3), ("Ngô", 2), ("Dương", 2), ("Lý", 2), ("Phan", 4), ("Trương", 2), ("Lâm", 1),
]
FAMILY_KHMER = [("Thạch", 35), ("Sơn", 25), ("Lâm", 12), ("Danh", 10), ("Kim", 8), ("Lý", 5), ("Trần", 5)]
MIDDLE_MALE = [("Văn", 50), ("Minh", 10), ("Hoàng", 6), ("Quốc", 8), ("Ngọc", 4), ("Hữu", 8), ("Thanh", 8), ("Công", 3), ("Đức", 3)]
MIDDLE_FEMALE = [("Thị", 60), ("Ngọc", 10), ("Thanh", 6), ("Minh", 4), ("Kim", 8), ("Thu", 5), ("Mỹ", 4), ("Hồng", 3)]
GIVEN_MALE = [
    "Hùng", "Dũng", "Tuấn", "Minh", "Phúc", "Lộc", "Tài", "Hải", "Sơn", "Bình", "Cường", "Thành", "Nghĩa", "Trung",
    "Khang", "Hiếu", "Tâm", "Tùng", "Long", "Nam", "Phong", "Thắng", "Toàn", "Vinh", "Quang", "Hòa", "Hưng", "Tín",
    "Sang", "Tấn", "Lợi", "Mến", "Út", "Đạt", "Khải", "Nhân", "Thiện", "Trí", "Việt", "Đông",
]
GIVEN_FEMALE = [
    "Lan", "Hương", "Mai", "Hoa", "Thảo", "Hạnh", "Dung", "Nga", "Trang", "Linh", "Phương", "Yến", "Thu", "Hằng",
    "Nhung", "Loan", "Hồng", "Tuyết", "Diệu", "Kiều", "Ngân", "Hiền", "Thủy", "Xuân", "Trinh", "Diễm", "Thơ",
    "Bích", "Cúc", "Đào", "Ánh", "Nguyệt", "Liên", "Vân",
]
#: Khmer given names (the middle part included).
KHMER_MALE = [
    "Ngọc Thành", "Sa Rươl", "Sóc Khonl", "Sà Phol", "Thươl", "Sa Rinh", "Chanh Đa", "Sóc Kha", "Sa Vông", "Pho",
    "Sến", "Đa Ra", "Rươne", "Sóc Ri", "Văn Ngọl", "Văn Sóc", "Minh Tha", "Chăn Thol",
]
KHMER_FEMALE = [
    "Thị Sà Rương", "Thị Phol", "Thị Sa Ly", "Thị Sóc Thia", "Thị Chanh Thu", "Thị Sa Rây", "Thị Nây", "Thị Mếch",
    "Thị Sa Vươl", "Thị Xà Rinh", "Thị Sóc Pho", "Thị Đa Ry", "Thị Kim Sen", "Thị Sa Ren",
]

TRAINER_BACKGROUNDS = [
    (Background.JUSTICE_OFFICIAL, 8), (Background.JUDGE, 4), (Background.PROSECUTOR, 3), (Background.ASSESSOR, 3),
    (Background.JURIST, 4), (Background.LAWYER, 4), (Background.POLICE, 2), (Background.ARMY, 1), (Background.INVESTIGATOR, 1),
]
SUPPORTER_BACKGROUNDS = [
    (Background.LAWYER, 15), (Background.JURIST, 20), (Background.ASSESSOR, 15), (Background.POLICE, 20),
    (Background.ARMY, 10), (Background.JUSTICE_OFFICIAL, 10), (Background.JUDGE, 4), (Background.PROSECUTOR, 3),
    (Background.INVESTIGATOR, 3),
]
LEAVE_REASONS = [
    (LeaveReason.OWN_REQUEST, 60), (LeaveReason.NOT_MEETING_STANDARDS, 25), (LeaveReason.VIOLATED_PRINCIPLES, 8), (LeaveReason.OTHER, 7),
]
LEAVE_NOTES = ["Chuyển nơi cư trú", "Lý do sức khỏe", "Đi làm ăn xa"]


def _pick(rng: random.Random, weighted: list[tuple]) -> object:
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


def _day_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    """A day in [start, end]; always one draw, so the names a seed gives do not depend on today."""
    fraction = rng.random()
    if end <= start:
        return end
    return start + dt.timedelta(days=int(fraction * ((end - start).days + 1)))


# --------------------------------------------------------------------------- logins


@dataclass
class DemoLogin:
    role: Role
    username: str
    unit: str
    password: str = DEMO_PASSWORD


def print_logins(logins: list[DemoLogin]) -> None:
    if not logins:
        return
    rows = [("Vai trò", "Tên đăng nhập", "Mật khẩu", "Đơn vị")]
    rows += [(lg.role.title, lg.username, lg.password, lg.unit) for lg in logins]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    click.echo("Demo logins:")
    for n, row in enumerate(rows):
        click.echo("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            click.echo("  " + "  ".join("-" * w for w in widths))


def _unit_label(unit: Unit) -> str:
    if unit.kind == UnitKind.VILLAGE and unit.parent is not None:
        return f"{unit.name}, {unit.parent.name}"
    return unit.name


def demo_province() -> Unit | None:
    return db.session.scalar(select(Unit).where(Unit.code == PROVINCE_CODE, Unit.kind == UnitKind.PROVINCE))


def demo_logins() -> list[DemoLogin]:
    """The demo accounts that still have the demo password (nothing is stored: the password is a constant)."""
    province = demo_province()
    if province is None:
        return []
    in_demo = User.unit_id.in_(select(Unit.id).where(Unit.scope_clause(province.path)))
    wanted = (
        (Role.SYSTEM_ADMIN, User.username == "admin"),
        (Role.PROVINCE_ADMIN, User.username == "sotuphap"),
        (Role.COMMUNE_OFFICER, User.username.like("tuphap.%")),
        (Role.TRAINER, User.username == "taphuanvien"),
        (Role.MEDIATOR, true()),
    )
    candidates = [
        db.session.scalar(select(User).where(in_demo, User.role == role, cond).order_by(User.id).limit(1)) for role, cond in wanted
    ]
    return [
        DemoLogin(u.role, u.username, _unit_label(u.unit))
        for u in candidates
        if u is not None and u.is_active and u.check_password(DEMO_PASSWORD)
    ]


# --------------------------------------------------------------------------- the generator


@dataclass
class _Village:
    unit: Unit
    commune_index: int
    minority: bool
    team: Team | None = None


@dataclass
class _Plan:
    """People and roles to bulk insert; ``person`` keys are indexes into ``people``."""

    people: list[dict] = field(default_factory=list)
    memberships: list[dict] = field(default_factory=list)
    appointments: list[dict] = field(default_factory=list)
    supports: list[dict] = field(default_factory=list)


class DemoBuilder:
    def __init__(self, seed: int, communes: int) -> None:
        self.rng = random.Random(seed)
        self.communes = communes
        self.today = clock.today()
        self.end = min(self.today, dt.date(2026, 12, 31))
        self.start = dt.date(2023, 1, 1) if self.end >= dt.date(2023, 1, 1) else self.end - dt.timedelta(days=730)
        self.phones: set[str] = set()
        self.plan = _Plan()
        self.decision_no = 0

    # -- people

    def phone(self) -> str:
        while True:
            phone = f"09{self.rng.randrange(10**8):08d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def name(self, gender: Gender, ethnicity: str) -> str:
        rng = self.rng
        if ethnicity == "Khmer":
            family = _pick(rng, FAMILY_KHMER)
            given = rng.choice(KHMER_FEMALE if gender == Gender.FEMALE else KHMER_MALE)
            return f"{family} {given}"
        family = _pick(rng, FAMILY)
        if gender == Gender.FEMALE:
            return f"{family} {_pick(rng, MIDDLE_FEMALE)} {rng.choice(GIVEN_FEMALE)}"
        return f"{family} {_pick(rng, MIDDLE_MALE)} {rng.choice(GIVEN_MALE)}"

    def ethnicity(self, minority_area: bool) -> str:
        r = self.rng.random()
        if minority_area:
            return "Khmer" if r < 0.45 else ("Hoa" if r < 0.48 else "Kinh")
        return "Khmer" if r < 0.03 else ("Hoa" if r < 0.05 else "Kinh")

    def person(self, unit_id: int, gender: Gender, ethnicity: str, birth: tuple[int, int] = (1950, 2000)) -> int:
        name = self.name(gender, ethnicity)
        self.plan.people.append(
            {
                "full_name": name,
                "search_key": fold(name),
                "sort_key": person_sort_key(name),  # a bulk insert: no ORM event sets it
                "gender": gender,
                "birth_year": self.rng.randint(*birth),
                "ethnicity": ethnicity,
                "is_minority": ethnicity != "Kinh",
                "phone": self.phone(),
                "unit_id": unit_id,
            }
        )
        return len(self.plan.people) - 1

    # -- the tree

    def commune_names(self) -> list[tuple[str, str, bool, bool]]:
        """(code, name, is_phuong, Khmer area) in creation order: phường and xã interleaved, Ninh Kiều first.

        The real communes of Cần Thơ since 1 July 2025, with their official codes (``services.official``), in the
        order of :data:`PHUONG` and :data:`XA` (which say which are Khmer areas); past the 103 real ones, made-up
        ones ("Xã Phong Điền 2") with codes 9xxxx, which no official commune has."""
        khmer = {f"Phường {n}": k for n, k in PHUONG} | {f"Xã {n}": k for n, k in XA}
        order = {name: i for i, name in enumerate(khmer)}
        real = sorted((u for u in official.official_units(PROVINCE_CODE) if u.kind == UnitKind.COMMUNE), key=lambda u: order.get(u.name, len(order)))
        wards = [(u.code, u.name, khmer.get(u.name, False)) for u in real if u.unit_type == "phường"]
        others = [(u.code, u.name, khmer.get(u.name, False)) for u in real if u.unit_type != "phường"]
        n_phuong = max(1, round(self.communes * len(wards) / (len(wards) + len(others))))
        n_xa = self.communes - n_phuong
        out, p, x = [], 0, 0
        for i in range(self.communes):
            if p < n_phuong and (x >= n_xa or p < math.ceil((i + 1) * n_phuong / self.communes)):
                pool, k, is_phuong = wards, p, True
                p += 1
            else:
                pool, k, is_phuong = others, x, False
                x += 1
            code, name, area = pool[k % len(pool)]
            if k >= len(pool):
                code, name = f"9{i:04d}", f"{name} {k // len(pool) + 1}"
            out.append((code, name, is_phuong, area))
        return out

    def build_tree(self) -> tuple[Unit, list[Unit], list[_Village]]:
        rng = self.rng
        province = roster.create_unit(code=PROVINCE_CODE, name=PROVINCE_NAME, kind=UnitKind.PROVINCE, parent=None)
        names = self.commune_names()
        n_pilot = min(self.communes, max(1, round(6 * self.communes / 100)))
        # the first commune (the officer's demo login) stays ordinary unless it is the only one
        candidates = range(1, self.communes) if self.communes > 1 else range(1)
        pilots = set(rng.sample(candidates, min(n_pilot, len(candidates))))
        n_model = max(1, round(5 * self.communes / 100))
        models = set(rng.sample(range(self.communes), n_model))
        official_codes = {u.code for u in official.official_units(PROVINCE_CODE)}
        communes = []
        for i, (code, name, is_phuong, khmer) in enumerate(names):
            communes.append(roster.create_unit(
                code=code,
                name=name,
                kind=UnitKind.COMMUNE,
                unit_type="phường" if is_phuong else "xã",
                parent=province,
                is_pilot=i in pilots,
                ethnic_minority_area=khmer,
                model_commune_year=min(rng.choice((2024, 2025)), self.today.year) if i in models else None,
                valid_from=official.REFORM_DAY if code in official_codes else None,  # a made-up commune has no history
            ))
        predecessors = self.load_history(communes)
        villages = []
        for i, ((_code, _name, is_phuong, khmer), commune) in enumerate(zip(names, communes, strict=True)):
            # the villages (and their teams and mediators) stay under the old communes they belonged to before
            # 1 July 2025, which count in the new commune since: trainings of 2024 are under the old communes
            parents = predecessors.get(commune.id) or [commune]
            for old in parents:
                old.ethnic_minority_area = khmer  # the old communes of a Khmer area were Khmer areas too
            n_villages = max(rng.randint(8, 12), len(parents))
            if is_phuong:
                plan = [("Khu vực", False)] * n_villages  # numbered within each old commune
            else:
                kinh = rng.sample(AP, min(n_villages, len(AP)))
                plan = []
                for ap in kinh:
                    if khmer and rng.random() < 0.5 or not khmer and rng.random() < 0.08:
                        plan.append((rng.choice(AP_KHMER), not khmer))
                    else:
                        plan.append((ap, False))
                seen: set[str] = set()
                unique = []
                for ap, flagged in plan:  # a Khmer name drawn twice gets a letter, like "Ấp Sóc Vồ A"
                    label = ap
                    for letter in "ABCDEFGH":
                        if label not in seen:
                            break
                        label = f"{ap} {letter}"
                    seen.add(label)
                    unique.append((f"Ấp {label}", flagged))
                plan = unique
            numbers: dict[int, int] = {}
            for j, (vname, flagged) in enumerate(plan):
                parent = parents[j * len(parents) // len(plan)]
                k = numbers[parent.id] = numbers.get(parent.id, 0) + 1
                village = roster.create_unit(
                    code=f"{parent.code}-{k:02d}", name=f"{vname} {k}" if is_phuong else vname, kind=UnitKind.VILLAGE, parent=parent,
                    ethnic_minority_area=flagged,
                )
                villages.append(_Village(village, i, khmer or flagged))
        return province, communes, villages

    def load_history(self, communes: list[Unit]) -> dict[int, list[Unit]]:
        """The shipped history of the reform for the demo's real communes (the old provinces, districts and communes
        that went into them, ended on 30 June 2025); returns each new commune's old communes, in code order."""
        real = [c for c in communes if c.valid_from is not None]
        result = official.load_history(PROVINCE_CODE, successors={c.code for c in real})
        if not result.ok:
            problems = [result.file_error] if result.file_error else [str(e) for e in result.errors[:3]]
            raise ServiceError("Không nạp được lịch sử sắp xếp đơn vị của Cần Thơ: " + "; ".join(problems))
        old = db.session.scalars(
            select(Unit).where(Unit.kind == UnitKind.COMMUNE, Unit.successor_id.in_([c.id for c in real])).order_by(Unit.code)
        ).all()
        out: dict[int, list[Unit]] = {}
        for unit in old:
            out.setdefault(unit.successor_id, []).append(unit)
        return out

    # -- teams and mediators

    def next_decision(self) -> str:
        self.decision_no += 1
        return f"{self.decision_no}/QĐ-UBND"

    def build_teams(self, villages: list[_Village]) -> dict[int, str]:
        """One team per village and its mediators; returns the deliberate failures by village index."""
        rng = self.rng
        for v in villages:
            established = dt.date(rng.randint(2010, 2022), rng.randint(1, 12), rng.randint(1, 28))
            v.team = roster.create_team(unit=v.unit, established_on=min(established, self.start))
        n_fail = max(3, round(len(villages) * 0.03))
        minority_idx = [i for i, v in enumerate(villages) if v.minority]
        failures: dict[int, str] = {}
        for i in rng.sample(minority_idx, min(n_fail // 3, len(minority_idx))):
            failures[i] = "minority"
        others = [i for i in range(len(villages)) if i not in failures]
        for n, i in enumerate(rng.sample(others, min(n_fail - len(failures), len(others)))):
            failures[i] = ("size", "woman")[n % 2]
        for i, v in enumerate(villages):
            self.team_members(v, failures.get(i))
        return failures

    def team_members(self, v: _Village, failure: str | None) -> None:
        rng = self.rng
        size = 2 if failure == "size" else rng.randint(5, 7)
        genders = [Gender.FEMALE if rng.random() < 0.4 else Gender.MALE for _ in range(size)]
        ethnicities = [self.ethnicity(v.minority) for _ in range(size)]
        if failure == "woman":
            genders = [Gender.MALE] * size
        elif Gender.FEMALE not in genders:
            genders[rng.randrange(1, size)] = Gender.FEMALE
        if failure == "minority":
            ethnicities = ["Kinh"] * size
        elif v.minority and not any(e != "Kinh" for e in ethnicities):
            ethnicities[rng.randrange(size)] = "Khmer"
        d0 = _day_between(rng, self.start, self.end)
        team_decision = self.next_decision()
        members = []
        for k in range(size):
            person = self.person(v.unit.id, genders[k], ethnicities[k])
            own = k == 0 or rng.random() < 0.8
            row = {
                "person": person,
                "team_id": v.team.id,
                "decision_no": team_decision if own else self.next_decision(),
                "recognized_on": d0 if own else _day_between(rng, d0, self.end),
                "deadline": None,  # set from recognized_on when inserted (bulk inserts skip the ORM event)
                "is_leader": k == 0,
                "left_on": None,
                "leave_decision_no": None,
                "leave_reason": None,
                "leave_note": None,
            }
            members.append(row)
        if failure is None and size >= 5 and rng.random() < 0.05:
            self.one_leaves(members, genders, ethnicities)
        self.plan.memberships.extend(members)

    def one_leaves(self, members: list[dict], genders: list[Gender], ethnicities: list[str]) -> None:
        """A member (not the leader, not the last woman or minority member) leaves by decision."""
        rng = self.rng
        candidates = [
            k for k in range(1, len(members))
            if (genders[k] != Gender.FEMALE or genders.count(Gender.FEMALE) > 1)
            and (ethnicities[k] == "Kinh" or sum(e != "Kinh" for e in ethnicities) > 1)
            and members[k]["recognized_on"] + dt.timedelta(days=30) < self.end
        ]
        if not candidates:
            return
        m = members[rng.choice(candidates)]
        reason = _pick(rng, LEAVE_REASONS)
        m.update(
            left_on=_day_between(rng, m["recognized_on"] + dt.timedelta(days=30), self.end),
            leave_decision_no=self.next_decision(),
            leave_reason=reason,
            leave_note=rng.choice(LEAVE_NOTES) if reason == LeaveReason.OTHER else None,
        )

    # -- trainers and supporters

    def build_trainers(self, province: Unit) -> None:
        rng = self.rng
        count = max(3, round(30 * self.communes / 100))
        first = min(dt.date(2024, 8, 1), self.end)
        for n in range(count):
            person = self.person(province.id, Gender.FEMALE if rng.random() < 0.4 else Gender.MALE, "Khmer" if rng.random() < 0.1 else "Kinh",
                                 birth=(1960, 1992))
            started = first if n == 0 else _day_between(rng, first, self.end)
            ended = None
            if n > 0 and n % 15 == 0 and started + dt.timedelta(days=60) < self.end:
                ended = _day_between(rng, started + dt.timedelta(days=60), self.end)
            self.plan.appointments.append(
                {"person": person, "level": TrainerLevel.PROVINCE, "unit_id": province.id, "background": _pick(rng, TRAINER_BACKGROUNDS),
                 "started_on": started, "ended_on": ended}
            )

    def build_supporters(self, villages: list[_Village]) -> None:
        rng = self.rng
        count = max(1, round(len(villages) * 0.1))
        first = min(dt.date(2024, 1, 1), self.end)
        for i in sorted(rng.sample(range(len(villages)), count)):
            v = villages[i]
            person = self.person(v.unit.id, Gender.FEMALE if rng.random() < 0.3 else Gender.MALE, self.ethnicity(v.minority), birth=(1955, 1995))
            self.plan.supports.append(
                {"person": person, "team_id": v.team.id, "background": _pick(rng, SUPPORTER_BACKGROUNDS),
                 "from_on": _day_between(rng, first, self.end), "to_on": None}
            )

    # -- writing

    def insert_plan(self) -> list[int]:
        """Bulk insert people, then their roles; returns the people's ids in plan order."""
        ids: list[int] = []
        people = self.plan.people
        for n in range(0, len(people), BATCH):
            stmt = insert(Person).returning(Person.id, sort_by_parameter_order=True)
            ids.extend(db.session.scalars(stmt, people[n:n + BATCH]).all())
        for model, rows in (
            (MediatorMembership, self.plan.memberships),
            (TrainerAppointment, self.plan.appointments),
            (LegalSupport, self.plan.supports),
        ):
            for n in range(0, len(rows), BATCH):
                batch = [{**{k: v for k, v in row.items() if k != "person"}, "person_id": ids[row["person"]]} for row in rows[n:n + BATCH]]
                if model is MediatorMembership:
                    for row in batch:
                        row["deadline"] = training_deadline(row["recognized_on"])
                db.session.execute(insert(model), batch)
        return ids


def _remove_demo(province: Unit) -> None:
    """Delete the demo province and what merged into it: its units, teams, people, roles, accounts and their audit
    rows."""
    in_demo = Unit.scope_clause(province.path)  # ranges read now, before anything is deleted
    units = select(Unit.id).where(in_demo)
    teams = select(Team.id).where(Team.unit_id.in_(units))
    people = select(Person.id).where(Person.unit_id.in_(units))
    users = select(User.id).where(or_(User.unit_id.in_(units), User.person_id.in_(people)))
    roles = (
        (MediatorMembership, or_(MediatorMembership.team_id.in_(teams), MediatorMembership.person_id.in_(people))),
        (TrainerAppointment, or_(TrainerAppointment.unit_id.in_(units), TrainerAppointment.person_id.in_(people))),
        (LegalSupport, or_(LegalSupport.team_id.in_(teams), LegalSupport.person_id.in_(people))),
    )
    for model, ids in (
        (Unit, units), (Team, teams), (Person, people), (User, users),
        *((m, select(m.id).where(cond)) for m, cond in roles),
    ):
        db.session.execute(delete(AuditLog).where(AuditLog.entity == model.__tablename__, AuditLog.entity_id.in_(ids)))
    db.session.execute(delete(User).where(User.id.in_(users)))
    for model, cond in roles:
        db.session.execute(delete(model).where(cond))
    db.session.execute(delete(Person).where(Person.id.in_(people)))
    db.session.execute(delete(Team).where(Team.id.in_(teams)))
    db.session.execute(update(Unit).where(Unit.successor_id.in_(units)).values(successor_id=None))
    depths = db.session.scalars(select(Unit.depth).where(in_demo).distinct()).all()
    for depth in sorted(depths, reverse=True):
        db.session.execute(delete(Unit).where(in_demo, Unit.depth == depth))
    db.session.flush()
    db.session.expunge_all()


def seed_demo(*, seed: int = DEFAULT_SEED, communes: int = DEFAULT_COMMUNES) -> list[DemoLogin]:
    """Build the demo province and its accounts (flushes; the caller commits)."""
    b = DemoBuilder(seed, communes)
    province, commune_units, villages = b.build_tree()
    b.build_teams(villages)
    b.build_trainers(province)
    b.build_supporters(villages)
    first_trainer = b.plan.appointments[0]["person"]
    first_leader = next(m["person"] for m in b.plan.memberships if m["is_leader"])  # the first team's leader: first commune
    ids = b.insert_plan()

    first = commune_units[0]
    trainer = db.session.get(Person, ids[first_trainer])
    mediator = db.session.get(Person, ids[first_leader])
    officer = "tuphap." + fold_key(first.name.removeprefix("Phường ").removeprefix("Xã "))
    specs = [
        (Role.SYSTEM_ADMIN, "admin", province, None, "Quản trị hệ thống (demo)"),
        (Role.PROVINCE_ADMIN, "sotuphap", province, None, "Sở Tư pháp thành phố Cần Thơ (demo)"),
        (Role.COMMUNE_OFFICER, officer, first, None, f"Công chức Tư pháp - Hộ tịch {first.name}"),
        (Role.TRAINER, "taphuanvien", province, trainer, None),
        (Role.MEDIATOR, mediator.phone, mediator.unit, mediator, None),
    ]
    logins = []
    for role, username, unit, person, full_name in specs:
        user, _ = accounts.create_user(
            username=username, role=role, unit=unit, person=person, full_name=full_name, password=DEMO_PASSWORD, must_change_password=False
        )
        logins.append(DemoLogin(role, user.username, _unit_label(unit)))
    db.session.flush()
    return logins


def _any_unit() -> bool:
    return db.session.scalar(select(Unit.id).limit(1)) is not None


def run_demo(*, seed: int = DEFAULT_SEED, communes: int = DEFAULT_COMMUNES, force: bool = False, if_empty: bool = False) -> list[DemoLogin] | None:
    """Seed and commit; ``None`` when ``if_empty`` finds units already there."""
    if if_empty and _any_unit():
        return None
    existing = demo_province()
    if existing is not None and not force:
        raise click.ClickException(f"The demo province ({PROVINCE_CODE} {PROVINCE_NAME}) already exists; use --force to replace it.")
    started = time.perf_counter()
    try:
        if existing is not None:
            _remove_demo(existing)
        logins = seed_demo(seed=seed, communes=communes)
        db.session.commit()
    except exc.IntegrityError as error:
        db.session.rollback()
        raise click.ClickException(
            "The demo province cannot be replaced: other records refer to it. Use an empty database instead."
        ) from error
    except ServiceError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    teams = db.session.scalar(select(func.count(Team.id)))
    mediators = db.session.scalar(select(func.count(MediatorMembership.id)))
    click.echo(
        f"Seeded the demo province {PROVINCE_NAME} (seed {seed}) in {time.perf_counter() - started:.1f} s: "
        f"{communes} communes, {teams} villages and teams, {mediators} mediators."
    )
    return logins


# --------------------------------------------------------------------------- commands


@click.command("demo")
@click.option("--force", is_flag=True, help="Replace the demo province if it exists.")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Random seed: the same seed gives the same province.")
@click.option("--communes", type=click.IntRange(1, 500), default=DEFAULT_COMMUNES, show_default=True, help="Number of communes.")
@click.option("--if-empty", is_flag=True, help="Do nothing when any unit exists (used by `make run`).")
def demo_command(force: bool, seed: int, communes: int, if_empty: bool) -> None:
    """Seed a demo province shaped like Cần Thơ, with one login per role."""
    logins = run_demo(seed=seed, communes=communes, force=force, if_empty=if_empty)
    if logins is None:
        click.echo("Units already exist: the demo province was not seeded.")
        logins = demo_logins()
    print_logins(logins)


def setup_step() -> None:
    """``flask lms setup``: seed the demo the first time; afterwards print its logins again."""
    logins = run_demo(if_empty=True)
    if logins is None:
        logins = demo_logins()
        click.echo("The database already holds units; the demo province is not seeded again.")
    print_logins(logins)


def register(group: AppGroup) -> None:
    group.add_command(demo_command)
    register_setup_step(90, "demo province", setup_step)
