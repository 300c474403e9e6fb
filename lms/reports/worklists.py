"""The work lists behind the figures: who or what keeps a figure below its target.

Kinds (each for a unit U as of a date D, over U's subtree, and the units merged into it, like the figures):

- ``d``: active teams failing composition (too few active mediators / no woman / no ethnic-minority
  member in a minority area), each with the rules it fails;
- ``b``: districts (B1) and the province (B2) with fewer active trainers of their level than
  ceil(active teams / N);
- ``c``: active trainers without a valid trainer-program certificate;
- ``e1`` / ``g``: communes under the E1 / G target, with the shortfall
  ``ceil(target% × active) − trained`` (or ``− accessed``);
- ``e3`` lives in the certificates area (``certificates.deadlines``); the dashboard links there.

Each list is aggregate SQL built on the figures' own helpers (:mod:`.figures`), so a list
and its figure agree. A :class:`Listing` gives the page (paginated ids, then the rows of
that page) and the export (every row, as :class:`WorkList`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import url_for
from sqlalchemy import Select, and_, case, func, literal, or_, select
from sqlalchemy.orm import aliased

from ..core.access import scoped
from ..core.pagination import paginate
from ..extensions import db
from ..org.models import Person, Plan, Team, TrainerAppointment, TrainerLevel, Unit, UnitKind
from . import figures
from .figures import (
    TRAINER_PROGRAM,
    Buckets,
    appointment_active,
    certified,
    composition,
    in_ranges,
    level_counts,
    merged_predecessors,
    people_figures,
    plan_target,
    team_active,
    unit_ranges,
    units_of_kind,
)

#: Kinds with a page of their own (``e3`` redirects to the certificates area).
KINDS = ("e3", "d", "b", "c", "e1", "g")
#: Which work list sits behind each figure (the dashboard's "Danh sách cần xử lý").
FIGURE_WORKLIST = {"B1": "b", "B2": "b", "C": "c", "D": "d", "E1": "e1", "E3": "e3", "G": "g"}


@dataclass
class WorkList:
    """A whole work list as a table (the shape ``exports`` writes): title, headers, every row."""

    title: str
    headers: Sequence[str]
    rows: Iterator[Sequence[Any]]
    widths: Sequence[int] = ()
    date_columns: Sequence[int] = ()


def _percent(num: int, den: int) -> float | None:
    return round(100.0 * num / den, 1) if den else None


def needed(target: float, active: int) -> int:
    """How many of ``active`` must count to reach ``target`` percent (no float noise: 80% of 5 is 4)."""
    return math.ceil(round(target * active / 100.0, 9))


@dataclass
class Listing:
    """One work list for ``unit`` as of ``day``. Subclasses give the statement (first column: the row's key)."""

    unit: Unit
    day: dt.date
    plan: Plan | None = None
    kind: str = ""
    figure: str = ""
    title: str = ""
    headers: Sequence[str] = ()
    widths: Sequence[int] = ()
    date_columns: Sequence[int] = ()
    #: Why the list does not apply to this unit (shown instead of the table), or "".
    not_applicable: str = ""
    #: What the list is measured against, for the page's heading ("Chỉ tiêu 80%").
    target: float | None = None
    _predecessors: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.plan = self.plan or figures.plan_for(self.unit)
        self._predecessors = merged_predecessors()
        self.ranges = unit_ranges(self.unit, self._predecessors, self.day)

    # ---- to implement
    def statement(self) -> Select | None:
        raise NotImplementedError

    def convert(self, row) -> list[Any]:
        """A result row (key first) as the displayed / exported values (without the key)."""
        return list(row[1:])

    def href(self, row) -> str | None:  # noqa: ARG002
        """Where the row's first cell links to (in a request), or ``None``."""
        return None

    # ---- shared
    def page(self):
        """``(pagination of keys, [(link, values)] for that page)``; ``(None, [])`` when not applicable."""
        stmt = self.statement()
        if stmt is None:
            return None, []
        key = stmt.selected_columns[0]
        pages = paginate(stmt.with_only_columns(key))
        if not pages.items:
            return pages, []
        rows = db.session.execute(stmt.where(key.in_(pages.items)))
        return pages, [(self.href(r), self.convert(r)) for r in rows]

    def rows(self) -> Iterator[list[Any]]:
        stmt = self.statement()
        if stmt is None:
            return
        for r in db.session.execute(stmt.execution_options(yield_per=1000)):
            yield self.convert(r)

    def worklist(self) -> WorkList:
        return WorkList(self.title, self.headers, self.rows(), self.widths, self.date_columns)


# --------------------------------------------------------------------------- D: teams failing composition


REASON_TOO_FEW = "Dưới 3 hòa giải viên"
REASON_NO_WOMAN = "Không có hòa giải viên nữ"
REASON_NO_MINORITY = "Không có hòa giải viên người dân tộc thiểu số (vùng đồng bào DTTS)"


def reasons(n: int, women: int, minority: int, minority_required: bool) -> list[str]:
    out = []
    if n < 3:
        out.append(f"{REASON_TOO_FEW} (có {n})")
    if women < 1:
        out.append(REASON_NO_WOMAN)
    if minority_required and minority < 1:
        out.append(REASON_NO_MINORITY)
    return out


class TeamsFailing(Listing):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.kind, self.figure = "d", "D"
        self.title = "Tổ hòa giải chưa đủ số lượng, thành phần cơ cấu"
        self.headers = ["Tổ hòa giải", "Thôn/ấp/tổ dân phố", "Xã/phường/thị trấn", "Số hòa giải viên", "Số nữ", "Số người DTTS",
                        "Vùng đồng bào DTTS", "Chưa đạt vì"]
        self.widths = (30, 24, 24, 10, 8, 10, 10, 60)
        self.target = plan_target(self.plan, "D")

    def statement(self):
        village, parent = aliased(Unit), aliased(Unit)
        comp = composition(self.day, teams=select(Team.id).join(village, village.id == Team.unit_id).where(in_ranges(village.path, self.ranges)))
        minority_required = or_(village.ethnic_minority_area.is_(True), and_(village.kind == UnitKind.VILLAGE, parent.ethnic_minority_area.is_(True)))
        n, women, minority = (func.coalesce(c, 0) for c in (comp.c.n, comp.c.women, comp.c.minority))
        meets = and_(n >= 3, women >= 1, or_(~minority_required, minority >= 1))
        stmt = (
            select(Team.id, Team.name, village.kind, village.name, parent.name, n, women, minority,
                   case((minority_required, 1), else_=0))
            .select_from(Team)
            .join(village, village.id == Team.unit_id)
            .outerjoin(parent, parent.id == village.parent_id)
            .outerjoin(comp, comp.c.team_id == Team.id)
            .where(team_active(self.day), in_ranges(village.path, self.ranges), ~meets)
            .order_by(parent.sort_key, parent.id, village.sort_key, village.id, Team.sort_key, Team.id)
        )
        return scoped(stmt, Team)

    def href(self, row) -> str | None:
        return url_for("org.team", team_id=row[0])

    def convert(self, row) -> list[Any]:
        _, name, kind, home, parent, n, women, minority, required = row
        village, commune = (home, parent) if kind == UnitKind.VILLAGE else ("", home)
        return [name, village, commune or "", n, women, minority, "Có" if required else "Không",
                "; ".join(reasons(n, women, minority, bool(required)))]


# --------------------------------------------------------------------------- B1, B2: districts / the province short of trainers


class TrainersShort(Listing):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.kind, self.figure = "b", "B1"
        self.title = "Huyện, tỉnh thiếu tập huấn viên"
        self.headers = ["Đơn vị", "Cấp", "Tổ hòa giải đang hoạt động", "Số tổ / 1 tập huấn viên", "Tập huấn viên cần có",
                        "Tập huấn viên đang hoạt động", "Còn thiếu"]
        self.widths = (32, 12, 14, 14, 14, 14, 10)
        self.target = plan_target(self.plan, "B1")
        if self.unit.kind not in (UnitKind.PROVINCE, UnitKind.DISTRICT):
            self.not_applicable = "Chỉ xét ở cấp tỉnh (B2) và cấp huyện (B1)."
        self.counts: dict[int, tuple] = {}

    def _compute(self) -> dict[int, tuple]:
        """Per district (and the province): (teams, teams per trainer, required, trainers, shortfall), only those short."""
        if self.not_applicable:
            return {}
        districts = units_of_kind(UnitKind.DISTRICT, self.ranges, self.day)
        level_units = districts + ([self.unit] if self.unit.kind == UnitKind.PROVINCE else [])
        teams, trainers = level_counts(level_units, self._predecessors, self.day)
        out = {}
        for u in level_units:
            code = "B2" if u.kind == UnitKind.PROVINCE else "B1"
            default = 100 if code == "B2" else 80
            per = (self.plan.target(code).get("teams_per_trainer") if self.plan else None) or default
            required = math.ceil(teams.get(u.id, 0) / per)
            have = trainers.get(u.id, 0)
            if have < required:
                out[u.id] = (teams.get(u.id, 0), per, required, have, required - have)
        return out

    def statement(self):
        if self.not_applicable:
            return None
        self.counts = self._compute()
        ids = list(self.counts)
        stmt = select(Unit.id, Unit.name, Unit.code, Unit.kind).where(Unit.id.in_(ids)).order_by(Unit.depth, Unit.sort_key, Unit.id)
        return scoped(stmt, Unit)

    def href(self, row) -> str | None:
        return url_for("reports.dashboard", unit=row[2], date=self.day.isoformat())

    def convert(self, row) -> list[Any]:
        uid, name, code, kind = row
        teams, per, required, have, short = self.counts[uid]
        level = f"{kind.title} ({'B2' if kind == UnitKind.PROVINCE else 'B1'})"
        return [f"{name} ({code})", level, teams, per, required, have, short]


# --------------------------------------------------------------------------- C: trainers not trained


class TrainersUntrained(Listing):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.kind, self.figure = "c", "C"
        self.title = "Tập huấn viên chưa được tập huấn, bồi dưỡng"
        self.headers = ["Họ và tên", "Năm sinh", "Số điện thoại", "Cấp", "Đơn vị bổ nhiệm", "Ngày bắt đầu"]
        self.widths = (30, 9, 14, 16, 30, 14)
        self.date_columns = (5,)
        self.target = plan_target(self.plan, "C")

    def statement(self):
        a = TrainerAppointment
        appointed = aliased(Unit)
        stmt = (
            select(Person.id, Person.full_name, Person.birth_year, Person.phone, func.min(a.level), func.min(appointed.name), func.min(a.started_on))
            .select_from(a)
            .join(Person, Person.id == a.person_id)
            .join(appointed, appointed.id == a.unit_id)
            .where(appointment_active(self.day), in_ranges(appointed.path, self.ranges), ~certified(Person.id, TRAINER_PROGRAM, self.day))
            .group_by(Person.id, Person.full_name, Person.birth_year, Person.phone, Person.sort_key)
            .order_by(Person.sort_key, Person.id)
        )
        return scoped(stmt, TrainerAppointment)

    def href(self, row) -> str | None:
        return url_for("org.person", person_id=row[0])

    def convert(self, row) -> list[Any]:
        _, name, birth_year, phone, level, unit_name, started_on = row
        level = TrainerLevel(level).title if level else ""
        return [name, birth_year, phone or "", level, unit_name, started_on]


# --------------------------------------------------------------------------- E1, G: communes under target


class CommunesUnder(Listing):
    """Communes whose share of trained (E1) or materials-accessing (G) mediators is under the target."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.figure = self.kind.upper()
        done = "Đã được bồi dưỡng" if self.kind == "e1" else "Đã tiếp cận Bộ tài liệu"
        self.title = ("Xã, phường chưa đạt tỷ lệ hòa giải viên được bồi dưỡng" if self.kind == "e1"
                      else "Xã, phường chưa đạt tỷ lệ hòa giải viên tiếp cận Bộ tài liệu")
        self.headers = ["Xã/phường/thị trấn", "Đơn vị cấp trên", "Hòa giải viên đang hoạt động", done, "Tỷ lệ (%)", "Chỉ tiêu (%)",
                        "Còn thiếu (người)"]
        self.widths = (30, 26, 14, 14, 10, 10, 12)
        self.target = plan_target(self.plan, self.figure)
        if self.target is None:
            self.not_applicable = "Kế hoạch chưa có chỉ tiêu này."
        self.counts: dict[int, tuple] = {}

    def _compute(self) -> dict[int, tuple]:
        communes = units_of_kind(UnitKind.COMMUNE, self.ranges, self.day)
        if not communes:
            return {}
        spec = [(c.id, unit_ranges(c, self._predecessors, self.day)) for c in communes]
        counts = people_figures(Buckets(spec), self.day)
        out = {}
        for c in communes:
            active, trained, accessed = counts.get(c.id, (0, 0, 0))
            done = (trained if self.kind == "e1" else accessed) or 0
            if active and 100.0 * done < self.target * active:
                out[c.id] = (active, done, _percent(done, active), self.target, needed(self.target, active) - done)
        return out

    def statement(self):
        if self.not_applicable:
            return None
        self.counts = self._compute()
        parent = aliased(Unit)
        shortfall = case({uid: f[4] for uid, f in self.counts.items()}, value=Unit.id, else_=0) if self.counts else literal(0)
        stmt = (
            select(Unit.id, Unit.name, Unit.code, parent.name)
            .outerjoin(parent, parent.id == Unit.parent_id)
            .where(Unit.id.in_(list(self.counts)))
            .order_by(shortfall.desc(), Unit.sort_key, Unit.id)
        )
        return scoped(stmt, Unit)

    def convert(self, row) -> list[Any]:
        uid, name, code, parent = row
        active, done, value, target, short = self.counts[uid]
        return [name, parent or "", active, done, value, target, short]

    def href(self, row) -> str | None:
        return url_for("reports.dashboard", unit=row[2], date=self.day.isoformat())


LISTINGS: dict[str, type[Listing]] = {"d": TeamsFailing, "b": TrainersShort, "c": TrainersUntrained, "e1": CommunesUnder, "g": CommunesUnder}


def listing(kind: str, unit: Unit, day: dt.date, plan: Plan | None = None) -> Listing:
    """The work list of this kind (``d``, ``b``, ``c``, ``e1``, ``g``) for ``unit`` on ``day``."""
    return LISTINGS[kind](unit, day, plan, kind=kind)


def export_builder(kind: str):
    """``(unit, day) -> WorkList`` for the exports (``reports.export_worklist``)."""

    def build(unit: Unit, day: dt.date) -> WorkList:
        return listing(kind, unit, day).worklist()

    return build


#: Builders for the exports of every work list built here (``e3`` is built by ``exports``).
EXPORT_BUILDERS = {kind: export_builder(kind) for kind in LISTINGS}
