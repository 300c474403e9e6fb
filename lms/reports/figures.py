"""The plan's figures (B1 … I) for a unit U as of a date D (year Y for H and I), in aggregate SQL.

Definitions: ``shared/DOMAIN.md`` ("The figures"); each function's docstring restates its own.
Every figure is computed for U and for each unit one level below it with a fixed
number of queries, whatever the number of units: rows are mapped to "buckets"
(U and its children) by ranges of the units' materialized paths, and grouped.

Merged units: at D, the children of U are the units valid on D; a unit that was
merged (``valid_to`` < D, ``successor``) counts inside its successor from then on,
so a bucket is its own path range plus the ranges of its predecessors.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Integer, String, and_, case, exists, func, literal, or_, select, text, union_all
from sqlalchemy.orm import aliased

from ..certificates.models import Certificate
from ..core import cache, clock
from ..core.access import subtree_range
from ..extensions import db
from ..learning.models import MaterialAccess
from ..org.models import (
    CaseStat,
    Gender,
    LegalSupport,
    MediatorMembership,
    Person,
    Plan,
    Team,
    TrainerAppointment,
    TrainerLevel,
    Unit,
    UnitKind,
)

CODES = ("B1", "B2", "C", "D", "Đ", "E1", "E2", "E3", "G", "H", "I")

#: The data generation of the figures (``core/cache.py``): it changes in the transaction that changes any row of
#: these tables — every table this module reads; add one here when a figure starts reading it.
FIGURES = "figures"
cache.track(FIGURES, Certificate, MediatorMembership, Team, Unit, Person, TrainerAppointment, LegalSupport, CaseStat, MaterialAccess, Plan)
MEDIATOR_PROGRAM = "hgv"
TRAINER_PROGRAM = "thv"

STATUS_TITLES = {"met": "Đạt", "not_met": "Chưa đạt", "not_applicable": "Không áp dụng"}


@dataclass
class Figure:
    code: str
    numerator: int | None
    denominator: int | None
    target: float | None
    value: float | None = None
    status: str = "not_applicable"
    note: str = ""

    def __post_init__(self) -> None:
        if not self.denominator:
            self.value, self.status = None, "not_applicable"
            return
        self.value = round(100.0 * (self.numerator or 0) / self.denominator, 1)
        if self.target is None:
            self.status = "not_applicable"
        else:
            self.status = "met" if 100.0 * (self.numerator or 0) >= self.target * self.denominator else "not_met"

    @property
    def status_title(self) -> str:
        return STATUS_TITLES[self.status]

    def as_dict(self) -> dict:
        return {"numerator": self.numerator, "denominator": self.denominator, "value": self.value, "target": self.target, "status": self.status}


def not_applicable(code: str, target: float | None, note: str = "") -> Figure:
    return Figure(code, None, None, target, note=note)


@dataclass
class UnitFigures:
    unit: Unit
    figures: dict[str, Figure] = field(default_factory=dict)


@dataclass
class Coverage:
    unit: Unit
    day: dt.date
    year: int
    plan: Plan | None
    root: UnitFigures
    children: list[UnitFigures]

    @property
    def figures(self) -> dict[str, Figure]:
        return self.root.figures

    def as_dict(self) -> dict:
        return {
            "unit": self.unit.code,
            "unit_name": self.unit.name,
            "date": self.day.isoformat(),
            "year": self.year,
            "figures": {code: f.as_dict() for code, f in self.root.figures.items()},
            "children": [
                {"unit": c.unit.code, "name": c.unit.name, "figures": {code: f.as_dict() for code, f in c.figures.items()}} for c in self.children
            ],
        }


# --------------------------------------------------------------------------- buckets (U and its children, by path ranges)


def _valid_on(model, day: dt.date):
    return model.active_clause(day)


def _ranges(unit: Unit, predecessors: dict[int, list[Unit]], day: dt.date) -> list[tuple[str, str]]:
    """The unit's own path range plus those of the units merged into it before ``day`` (transitively)."""
    out, stack, seen = [], [unit], set()
    while stack:
        u = stack.pop()
        if u.id in seen:
            continue
        seen.add(u.id)
        out.append(subtree_range(u.path))
        stack.extend(p for p in predecessors.get(u.id, []) if p.valid_to is not None and p.valid_to < day)
    return out


def _predecessors() -> dict[int, list[Unit]]:
    merged: dict[int, list[Unit]] = defaultdict(list)
    for u in db.session.scalars(select(Unit).where(Unit.successor_id.is_not(None))):
        merged[u.successor_id].append(u)
    return merged


def _minus(lo: str, hi: str, covered: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The range ``[lo, hi)`` without the ``covered`` ranges (path ranges nest or are disjoint)."""
    out, cur = [], lo
    for a, b in sorted(r for r in covered if r[0] < hi and r[1] > lo):
        if a > cur:
            out.append((cur, a))
        cur = max(cur, b)
    if cur < hi:
        out.append((cur, hi))
    return out


_PATH_BOUND = re.compile(r"[/0-9]*[ 0]?")


def _path_literal(value: str) -> str:
    """A range bound as an SQL string literal: a path (ids and slashes) with perhaps its last character replaced."""
    if not _PATH_BOUND.fullmatch(value):
        raise ValueError(f"not a path bound: {value!r}")
    return f"'{value}'"


def _exactly(path: str) -> tuple[str, str]:
    """The range holding ``path`` alone (a space sorts before ``/`` and the digits, the only characters of a path)."""
    return path, path + " "


class Buckets:
    """Path ranges, each with the bucket its units count in, as a SQL subquery ``(bucket, in_root, unit_id)``.

    For a unit U and its children (:meth:`for_coverage`), every unit is read once: a child's ranges carry the
    child's id, and ``in_root`` says whether they also count in U; what lies in U but in no child (U itself,
    children not valid on D) has the bucket NULL. U's figures are then the sums over ``in_root`` (the people
    figures count distinct people), so no row is joined twice. ``Buckets(spec)`` is the plain form: each
    bucket its own ranges, no root.
    """

    def __init__(self, buckets: list[tuple[int, list[tuple[str, str]]]] = (), root_id: int | None = None):
        self.rows: list[tuple[int | None, int, str, str]] = [(bid, 0, lo, hi) for bid, ranges in buckets for lo, hi in ranges]
        self.root_id = root_id
        self._units = None

    @classmethod
    def for_coverage(cls, root: Unit, root_ranges, children: list[tuple[int, list[tuple[str, str]]]], others: list[Unit]) -> Buckets:
        """``others``: the root's children that are not buckets (not valid on D); what of them no bucket covers counts in the root."""
        self = cls(root_id=root.id)
        child_ranges = [(cid, lo, hi) for cid, ranges in children for lo, hi in ranges]
        counted: set[tuple[str, str]] = set()
        for cid, lo, hi in child_ranges:
            inside_root = any(a <= lo and hi <= b for a, b in root_ranges)
            # a range inside another child's (a merged unit moved across), or listed twice, counts in the root once
            inside_other = any(a <= lo and hi <= b and (a, b) != (lo, hi) for _, a, b in child_ranges)
            self.rows.append((cid, int(inside_root and not inside_other and (lo, hi) not in counted), lo, hi))
            counted.add((lo, hi))
        covered = [(lo, hi) for _, lo, hi in child_ranges]
        own = subtree_range(root.path)
        root_only = [_exactly(root.path)] + [subtree_range(u.path) for u in others]
        root_only += [r for r in root_ranges if r != own]  # units merged into the root
        for lo, hi in root_only:
            self.rows.extend((None, 1, a, b) for a, b in _minus(lo, hi, covered))
        return self

    def units(self):
        """``(bucket, in_root, unit_id)`` for every unit inside a range.

        The two databases want different shapes (measured: docs/PERFORMANCE.md, P1):
        - PostgreSQL: one index range scan on ``unit.path`` per range, glued with ``UNION ALL``. The planner
          estimates each scan from the path statistics and walks units → teams → memberships through their
          indexes. Joined to a list of literal ranges instead, it cannot estimate the join and hashed every
          membership in the country once per bucket (39× the hand-written SQL at national scale).
        - SQLite: the list of ranges joined to ``unit`` (a range search per bucket); the ``UNION ALL`` shape
          runs the same steps but takes twice the CPU time there.

        Both are written as SQL text: built as a SQLAlchemy ``union_all`` of a hundred selects, each column's
        proxy set grows with every part, which cost ~70 ms of Python per call.
        """
        if self._units is None:
            self._units = self._build_units()
        return self._units

    def _build_units(self):
        postgres = db.session.get_bind().dialect.name == "postgresql"
        parts = []
        for bid, in_root, lo, hi in self.rows:
            # written into the text, not bound: psycopg re-parses a long statement's placeholders on every run
            bucket = "NULL" if bid is None else str(int(bid))
            lo, hi = _path_literal(lo), _path_literal(hi)
            if postgres:
                parts.append(f"SELECT CAST({bucket} AS INTEGER) AS bucket, {int(in_root)} AS in_root, id AS unit_id FROM unit WHERE path >= {lo} AND path < {hi}")  # noqa: S608, E501 (checked literals)
            else:
                parts.append(f"SELECT CAST({bucket} AS INTEGER) AS bucket, {int(in_root)} AS in_root, {lo} AS lo, {hi} AS hi")
        sql = text(" UNION ALL ".join(parts))
        if postgres:
            return sql.columns(bucket=Integer, in_root=Integer, unit_id=Integer).subquery("bucket_units")
        b = sql.columns(bucket=Integer, in_root=Integer, lo=String, hi=String).subquery("buckets")
        return (
            select(b.c.bucket, b.c.in_root, Unit.id.label("unit_id"))
            .join(Unit, and_(Unit.path >= b.c.lo, Unit.path < b.c.hi))
            .subquery("bucket_units")
        )

    def fold(self, stmt) -> dict[int, tuple]:
        """Run ``stmt`` — ``(bucket, in_root, sums…)`` grouped by both — and add the root: the sums over ``in_root``."""
        out: dict[int, list] = {}
        for bucket, in_root, *sums in db.session.execute(stmt):
            for key in ([bucket] if bucket is not None else []) + ([self.root_id] if in_root and self.root_id is not None else []):
                acc = out.setdefault(key, [0] * len(sums))
                for k, v in enumerate(sums):
                    acc[k] += v or 0
        return {k: tuple(v) for k, v in out.items()}

    def distinct_people(self, rows, *flags) -> dict[int, tuple]:
        """Per bucket, and for the root: distinct people of ``rows`` — ``(bucket, in_root, person_id)`` — and
        how many of them meet each of ``flags`` (conditions on ``person_id``, evaluated once per row)."""
        f = select(rows.c.bucket, rows.c.in_root, rows.c.person_id, *[case((cond(rows.c.person_id), 1), else_=0).label(f"f{k}") for k, cond in enumerate(flags)]).cte("flagged")
        counts = [func.count(func.distinct(f.c.person_id))] + [func.count(func.distinct(case((f.c[f"f{k}"] == 1, f.c.person_id)))) for k in range(len(flags))]
        per = select(f.c.bucket, *counts).where(f.c.bucket.is_not(None)).group_by(f.c.bucket)
        if self.root_id is None:
            return _rows(per)
        return _rows(union_all(per, select(literal(self.root_id, Integer), *counts).where(f.c.in_root == 1)))


# --------------------------------------------------------------------------- conditions


# "Active at D" is defined once, on each model (``active_clause``); these names keep the queries short.
def _membership_active(day: dt.date):
    return MediatorMembership.active_clause(day)


def _team_active(day: dt.date):
    return Team.active_clause(day)


def _appointment_active(day: dt.date):
    return TrainerAppointment.active_clause(day)


def _certified(person_id, program: str, day: dt.date, by: object | None = None):
    """EXISTS a certificate of ``program`` valid on ``day`` (issued on or before, not revoked by then)."""
    cond = [Certificate.person_id == person_id, Certificate.program_code == program, Certificate.valid_on(day)]
    if by is not None:
        cond.append(Certificate.issued_on <= by)
    return exists(select(Certificate.id).where(*cond))


def _rows(stmt) -> dict[int, tuple]:
    return {row[0]: tuple(row[1:]) for row in db.session.execute(stmt)}


# --------------------------------------------------------------------------- the figures


def _people_figures(b: Buckets, day: dt.date, pilot_only: bool = False) -> dict[int, tuple[int, int, int]]:
    """Per bucket: active mediators (people), those trained (hgv), those who accessed the materials."""
    bu = b.units()
    village, commune = aliased(Unit), aliased(Unit)
    people = (
        select(bu.c.bucket, bu.c.in_root, MediatorMembership.person_id)
        .join(Team, Team.unit_id == bu.c.unit_id)
        .join(MediatorMembership, MediatorMembership.team_id == Team.id)
        .where(_membership_active(day))
    )
    if pilot_only:
        people = (
            people.join(village, village.id == Team.unit_id)
            .outerjoin(commune, commune.id == village.parent_id)
            .where(or_(village.is_pilot.is_(True), and_(village.kind == UnitKind.VILLAGE, commune.is_pilot.is_(True))))
        )
    return b.distinct_people(
        people.distinct().subquery("people"),
        lambda pid: _certified(pid, MEDIATOR_PROGRAM, day),
        lambda pid: exists(select(MaterialAccess.id).where(MaterialAccess.person_id == pid, MaterialAccess.accessed_on <= day)),
    )


def _e3(b: Buckets, day: dt.date, plan_start: dt.date) -> dict[int, tuple[int, int]]:
    """Per bucket: memberships recognized on/after the plan's start with deadline ≤ D (not left before it),
    and those certified on or before their deadline."""
    bu = b.units()
    m = MediatorMembership
    left_before = and_(m.left_on.is_not(None), m.left_on < m.deadline)
    on_time = _certified(m.person_id, MEDIATOR_PROGRAM, day, by=m.deadline)
    stmt = (
        select(bu.c.bucket, bu.c.in_root, func.count(m.id), func.sum(case((on_time, 1), else_=0)))
        .join(Team, Team.unit_id == bu.c.unit_id)
        .join(m, m.team_id == Team.id)
        .where(m.recognized_on >= plan_start, m.deadline <= day, ~left_before)
        .group_by(bu.c.bucket, bu.c.in_root)
    )
    return b.fold(stmt)


def composition(day: dt.date, teams=None):
    """Per team: active mediators, women among them, ethnic-minority members among them (figure D's counts).

    ``teams`` (a select of team ids) limits it to those teams — without it, every team in the country is counted.
    """
    m = MediatorMembership
    stmt = (
        select(
            m.team_id.label("team_id"),
            func.count(m.id).label("n"),
            func.sum(case((Person.gender == Gender.FEMALE, 1), else_=0)).label("women"),
            func.sum(case((Person.is_minority.is_(True), 1), else_=0)).label("minority"),
        )
        .join(Person, Person.id == m.person_id)
        .where(_membership_active(day))
        .group_by(m.team_id)
    )
    if teams is not None:
        stmt = stmt.where(m.team_id.in_(teams))
    return stmt.subquery("composition")


def _teams(b: Buckets, day: dt.date) -> dict[int, tuple[int, int, int]]:
    """Per bucket: active teams, those meeting composition (D), those with an active legal supporter (Đ)."""
    bu = b.units()
    comp = composition(day, teams=select(Team.id).join(bu, Team.unit_id == bu.c.unit_id))
    village, parent = aliased(Unit), aliased(Unit)
    minority_required = or_(village.ethnic_minority_area.is_(True), and_(village.kind == UnitKind.VILLAGE, parent.ethnic_minority_area.is_(True)))
    meets = and_(
        func.coalesce(comp.c.n, 0) >= 3,
        func.coalesce(comp.c.women, 0) >= 1,
        or_(~minority_required, func.coalesce(comp.c.minority, 0) >= 1),
    )
    supported = exists(select(LegalSupport.id).where(LegalSupport.team_id == Team.id, LegalSupport.active_clause(day)))
    stmt = (
        select(bu.c.bucket, bu.c.in_root, func.count(Team.id), func.sum(case((meets, 1), else_=0)), func.sum(case((supported, 1), else_=0)))
        .join(Team, Team.unit_id == bu.c.unit_id)
        .join(village, village.id == Team.unit_id)
        .outerjoin(parent, parent.id == village.parent_id)
        .outerjoin(comp, comp.c.team_id == Team.id)
        .where(_team_active(day))
        .group_by(bu.c.bucket, bu.c.in_root)
    )
    return b.fold(stmt)


def _trainers(b: Buckets, day: dt.date) -> dict[int, tuple[int, int]]:
    """Per bucket: active trainers (people whose appointment unit is inside) and those trained (thv)."""
    bu = b.units()
    rows = (
        select(bu.c.bucket, bu.c.in_root, TrainerAppointment.person_id)
        .join(TrainerAppointment, TrainerAppointment.unit_id == bu.c.unit_id)
        .where(_appointment_active(day))
        .distinct()
        .subquery("trainers")
    )
    return b.distinct_people(rows, lambda pid: _certified(pid, TRAINER_PROGRAM, day))


def _cases(b: Buckets, year: int) -> dict[int, tuple[int, int]]:
    """Per bucket: successful and unsuccessful cases of teams inside, in year Y."""
    bu = b.units()
    stmt = (
        select(bu.c.bucket, bu.c.in_root, func.sum(CaseStat.successful), func.sum(CaseStat.unsuccessful))
        .join(Team, Team.unit_id == bu.c.unit_id)
        .join(CaseStat, CaseStat.team_id == Team.id)
        .where(CaseStat.year == year)
        .group_by(bu.c.bucket, bu.c.in_root)
    )
    return b.fold(stmt)


def _units_of_kind(kind: UnitKind, ranges: list[tuple[str, str]], day: dt.date) -> list[Unit]:
    cond = or_(*[and_(Unit.path >= lo, Unit.path < hi) for lo, hi in ranges])
    return list(db.session.scalars(select(Unit).where(Unit.kind == kind, _valid_on(Unit, day), cond).order_by(Unit.path)))


def _inside(unit: Unit, ranges: list[tuple[str, str]]) -> bool:
    return any(lo <= unit.path < hi for lo, hi in ranges)


# --------------------------------------------------------------------------- coverage


def plan_for(unit: Unit) -> Plan | None:
    province_id = unit.ancestor_ids[0]
    return db.session.scalar(select(Plan).where(Plan.unit_id == province_id).order_by(Plan.start_date.desc()).limit(1))


def _target(plan: Plan | None, code: str, unit: Unit | None = None) -> float | None:
    if plan is None:
        return None
    t = plan.target(code)
    if not t:
        return None
    if code == "H" and unit is not None and unit.is_pilot and t.get("pilot_threshold") is not None:
        return float(t["pilot_threshold"])
    return float(t["threshold"])


def coverage(unit: Unit, day: dt.date | None = None, year: int | None = None, plan: Plan | None = None) -> Coverage:
    """Every figure for ``unit`` and each unit one level below it, as of ``day`` (year ``year`` for H and I)."""
    day = day or clock.today()
    year = year or day.year
    plan = plan or plan_for(unit)
    plan_start = plan.start_date if plan else dt.date(2024, 1, 1)
    predecessors = _predecessors()
    below = list(db.session.scalars(select(Unit).where(Unit.parent_id == unit.id).order_by(Unit.name)))
    children = [c for c in below if c.is_active_on(day)]
    spec = [(unit.id, _ranges(unit, predecessors, day))] + [(c.id, _ranges(c, predecessors, day)) for c in children]
    ranges = dict(spec)
    buckets = Buckets.for_coverage(unit, ranges[unit.id], spec[1:], [c for c in below if not c.is_active_on(day)])

    people = _people_figures(buckets, day)
    pilot_people = _people_figures(buckets, day, pilot_only=True)
    e3 = _e3(buckets, day, plan_start)
    teams = _teams(buckets, day)
    trainers = _trainers(buckets, day)
    cases = _cases(buckets, year)

    # B1 and B2: per district / province, trainers of that level against ceil(active teams / N)
    districts = _units_of_kind(UnitKind.DISTRICT, ranges[unit.id], day) if unit.kind in (UnitKind.PROVINCE, UnitKind.DISTRICT) else []
    level_units = districts + ([unit] if unit.kind == UnitKind.PROVINCE else [])
    level_teams, level_trainers = _level_counts(level_units, predecessors, day)
    year_end = dt.date(year, 12, 31)
    communes = _units_of_kind(UnitKind.COMMUNE, ranges[unit.id], year_end)

    def figures_for(u: Unit) -> dict[str, Figure]:
        bid, r = u.id, ranges[u.id]
        f: dict[str, Figure] = {}
        # B1
        ds = [d for d in districts if _inside(d, r)] if u.kind in (UnitKind.PROVINCE, UnitKind.DISTRICT) else []
        if ds:
            per = plan.target("B1").get("teams_per_trainer", 80) if plan else 80
            meeting = sum(1 for d in ds if level_trainers.get(d.id, 0) >= math.ceil(level_teams.get(d.id, 0) / per))
            f["B1"] = Figure("B1", meeting, len(ds), _target(plan, "B1"))
        else:
            f["B1"] = not_applicable("B1", _target(plan, "B1"), "Không có đơn vị cấp huyện")
        # B2
        if u.kind == UnitKind.PROVINCE and u.id in level_teams:
            per = plan.target("B2").get("teams_per_trainer", 100) if plan else 100
            f["B2"] = Figure("B2", level_trainers.get(u.id, 0), math.ceil(level_teams[u.id] / per), _target(plan, "B2"))
        else:
            f["B2"] = not_applicable("B2", _target(plan, "B2"), "Chỉ áp dụng cho cấp tỉnh")
        n, trained = trainers.get(bid, (0, 0))
        f["C"] = Figure("C", trained or 0, n, _target(plan, "C"))
        total, meets, supported = teams.get(bid, (0, 0, 0))
        f["D"] = Figure("D", meets or 0, total, _target(plan, "D"))
        f["Đ"] = Figure("Đ", supported or 0, total, _target(plan, "Đ"))
        active, trained, accessed = people.get(bid, (0, 0, 0))
        f["E1"] = Figure("E1", trained or 0, active, _target(plan, "E1"))
        pa, pt, _ = pilot_people.get(bid, (0, 0, 0))
        f["E2"] = Figure("E2", pt or 0, pa, _target(plan, "E2"))
        due, on_time = e3.get(bid, (0, 0))
        f["E3"] = Figure("E3", on_time or 0, due, _target(plan, "E3"))
        f["G"] = Figure("G", accessed or 0, active, _target(plan, "G"))
        ok, failed = cases.get(bid, (0, 0))
        f["H"] = Figure("H", ok or 0, (ok or 0) + (failed or 0), _target(plan, "H", u))
        f["I"] = _figure_i(u, r, districts, communes, year, plan)
        return f

    root = UnitFigures(unit, figures_for(unit))
    kids = [UnitFigures(c, figures_for(c)) for c in children]
    return Coverage(unit, day, year, plan, root, kids)


def coverage_data(unit: Unit, day: dt.date, year: int) -> dict:
    """``coverage(unit, day, year).as_dict()`` (the API's answer), from the figure cache until a row the figures read changes."""
    return cache.cached(FIGURES, ("coverage", unit.id, day.isoformat(), year), lambda: coverage(unit, day, year).as_dict())


def _level_counts(level_units: list[Unit], predecessors, day: dt.date) -> tuple[dict[int, int], dict[int, int]]:
    """Active teams inside each district/province, and its active trainers of the matching level."""
    if not level_units:
        return {}, {}
    spec = [(u.id, _ranges(u, predecessors, day)) for u in level_units]
    bu = Buckets(spec).units()
    teams = {k: v[0] for k, v in _rows(
        select(bu.c.bucket, func.count(Team.id)).join(Team, Team.unit_id == bu.c.unit_id).where(_team_active(day)).group_by(bu.c.bucket)
    ).items()}
    level = case((Unit.kind == UnitKind.PROVINCE, TrainerLevel.PROVINCE.value), else_=TrainerLevel.DISTRICT.value)
    trainers = {k: v[0] for k, v in _rows(
        select(TrainerAppointment.unit_id, func.count(func.distinct(TrainerAppointment.person_id)))
        .join(Unit, Unit.id == TrainerAppointment.unit_id)
        .where(TrainerAppointment.unit_id.in_([u.id for u in level_units]), _appointment_active(day), TrainerAppointment.level == level)
        .group_by(TrainerAppointment.unit_id)
    ).items()}
    for u in level_units:
        teams.setdefault(u.id, 0)
    return teams, trainers


def _figure_i(u: Unit, r, districts: list[Unit], communes: list[Unit], year: int, plan: Plan | None) -> Figure:
    """I: per district, model communes / communes ≥ target; figure = districts meeting / districts.
    Where there are no districts, over the unit (province) itself. Not applicable below a district."""
    target = _target(plan, "I")
    if u.kind not in (UnitKind.PROVINCE, UnitKind.DISTRICT):
        return not_applicable("I", target, "Đo theo cấp huyện hoặc cấp tỉnh")

    def ratio_ok(cs: list[Unit]) -> tuple[int, int]:
        recognized = sum(1 for c in cs if c.model_commune_year is not None and c.model_commune_year <= year)
        return recognized, len(cs)

    ds = [d for d in districts if _inside(d, r)] if u.kind == UnitKind.PROVINCE else []
    if ds:
        meeting = 0
        for d in ds:
            rec, n = ratio_ok([c for c in communes if c.path.startswith(d.path)])
            meeting += bool(n) and target is not None and 100 * rec >= target * n
        return Figure("I", meeting, len(ds), 100.0 if target is not None else None, note="Số huyện đạt / số huyện")
    rec, n = ratio_ok([c for c in communes if _inside(c, r)])
    return Figure("I", rec, n, target)
