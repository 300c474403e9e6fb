"""The figures' counts, per bucket (see :mod:`.buckets`), in aggregate SQL: one statement per group of figures.

Each function's docstring says what it counts; :func:`.compute.coverage` turns the counts into figures
against the plan's targets.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from ...certificates.models import Certificate
from ...core import cache
from ...extensions import db
from ...learning.models import MaterialAccess
from ...org.history import in_ranges, outermost, unit_ranges
from ...org.models import (
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
from .buckets import Buckets, keyed_rows

#: The data generation of the figures (``core/cache.py``): it changes in the transaction that changes any row of
#: these tables — every table the figures read (here, the units in ``buckets.py``, the plans in ``plan.py``);
#: add one here when a figure starts reading it.
FIGURES = "figures"
cache.track(FIGURES, Certificate, MediatorMembership, Team, Unit, Person, TrainerAppointment, LegalSupport, CaseStat, MaterialAccess, Plan)
MEDIATOR_PROGRAM = "hgv"
TRAINER_PROGRAM = "thv"


# --------------------------------------------------------------------------- conditions


# "Active at D" is defined once, on each model (``active_clause``); these names keep the queries short.
def membership_active(day: dt.date):
    return MediatorMembership.active_clause(day)


def team_active(day: dt.date):
    return Team.active_clause(day)


def appointment_active(day: dt.date):
    return TrainerAppointment.active_clause(day)


def certified(person_id, program: str, day: dt.date, by: object | None = None):
    """EXISTS a certificate of ``program`` valid on ``day`` (issued on or before, not revoked by then)."""
    cond = [Certificate.person_id == person_id, Certificate.program_code == program, Certificate.valid_on(day)]
    if by is not None:
        cond.append(Certificate.issued_on <= by)
    return exists(select(Certificate.id).where(*cond))


# --------------------------------------------------------------------------- the counts


#: Up to this many ranges, :func:`people_figures` tests the team's unit path against each (a few pilot communes);
#: above, it joins the units of the ranges read once (:class:`Buckets`).
FEW_RANGES = 100


def pilot_units(ranges: list[tuple[str, str]], merges, day: dt.date) -> list[tuple[str, str]]:
    """The path ranges of the units in a pilot commune (điểm chỉ đạo) on ``day``, within ``ranges`` (none: no
    pilot): the subtrees of the pilot units valid that day, with what merged into them (the villages kept under the
    old communes a new pilot commune absorbed count from 1 July 2025, not before)."""
    pilots = db.session.scalars(select(Unit.path).where(Unit.is_pilot.is_(True), Unit.active_clause(day), in_ranges(Unit.path, ranges))).all()
    return outermost([r for path in pilots for r in unit_ranges(path, merges, day)])


def people_figures(b: Buckets, day: dt.date, within: list[tuple[str, str]] | None = None) -> dict[int, tuple[int, int, int]]:
    """Per bucket: active mediators (people), those trained (hgv), those who accessed the materials; with ``within``
    (path ranges, like :func:`pilot_units`), only the teams of the units in them."""
    bu = b.units()
    people = (
        select(bu.c.bucket, bu.c.in_root, MediatorMembership.person_id)
        .join(Team, Team.unit_id == bu.c.unit_id)
        .join(MediatorMembership, MediatorMembership.team_id == Team.id)
        .where(membership_active(day))
    )
    if within is not None and len(within) <= FEW_RANGES:
        unit = aliased(Unit)
        people = people.join(unit, unit.id == Team.unit_id).where(in_ranges(unit.path, within))
    elif within is not None:
        units = Buckets([(0, within)]).units()
        people = people.where(Team.unit_id.in_(select(units.c.unit_id)))
    return b.distinct_people(
        people.distinct().subquery("people"),
        lambda pid: certified(pid, MEDIATOR_PROGRAM, day),
        lambda pid: exists(select(MaterialAccess.id).where(MaterialAccess.person_id == pid, MaterialAccess.accessed_on <= day)),
    )


def e3_figures(b: Buckets, day: dt.date, plan_start: dt.date) -> dict[int, tuple[int, int]]:
    """Per bucket: memberships recognized on/after the plan's start with deadline ≤ D (not left before it),
    and those certified on or before their deadline."""
    bu = b.units()
    m = MediatorMembership
    left_before = and_(m.left_on.is_not(None), m.left_on < m.deadline)
    on_time = certified(m.person_id, MEDIATOR_PROGRAM, day, by=m.deadline)
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
        .where(membership_active(day))
        .group_by(m.team_id)
    )
    if teams is not None:
        stmt = stmt.where(m.team_id.in_(teams))
    return stmt.subquery("composition")


def team_figures(b: Buckets, day: dt.date) -> dict[int, tuple[int, int, int]]:
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
        .where(team_active(day))
        .group_by(bu.c.bucket, bu.c.in_root)
    )
    return b.fold(stmt)


def trainer_figures(b: Buckets, day: dt.date) -> dict[int, tuple[int, int]]:
    """Per bucket: active trainers (people whose appointment unit is inside) and those trained (thv)."""
    bu = b.units()
    rows = (
        select(bu.c.bucket, bu.c.in_root, TrainerAppointment.person_id)
        .join(TrainerAppointment, TrainerAppointment.unit_id == bu.c.unit_id)
        .where(appointment_active(day))
        .distinct()
        .subquery("trainers")
    )
    return b.distinct_people(rows, lambda pid: certified(pid, TRAINER_PROGRAM, day))


def case_figures(b: Buckets, year: int) -> dict[int, tuple[int, int]]:
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


def level_counts(level_units: list[Unit], predecessors, day: dt.date) -> tuple[dict[int, int], dict[int, int]]:
    """Active teams inside each district/province, and its active trainers of the matching level."""
    if not level_units:
        return {}, {}
    spec = [(u.id, unit_ranges(u, predecessors, day)) for u in level_units]
    bu = Buckets(spec).units()
    teams = {k: v[0] for k, v in keyed_rows(
        select(bu.c.bucket, func.count(Team.id)).join(Team, Team.unit_id == bu.c.unit_id).where(team_active(day)).group_by(bu.c.bucket)
    ).items()}
    level = case((Unit.kind == UnitKind.PROVINCE, TrainerLevel.PROVINCE.value), else_=TrainerLevel.DISTRICT.value)
    trainers = {k: v[0] for k, v in keyed_rows(
        select(TrainerAppointment.unit_id, func.count(func.distinct(TrainerAppointment.person_id)))
        .join(Unit, Unit.id == TrainerAppointment.unit_id)
        .where(TrainerAppointment.unit_id.in_([u.id for u in level_units]), appointment_active(day), TrainerAppointment.level == level)
        .group_by(TrainerAppointment.unit_id)
    ).items()}
    for u in level_units:
        teams.setdefault(u.id, 0)
    return teams, trainers
