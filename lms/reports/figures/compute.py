""":func:`coverage`: every figure for a unit and each unit one level below it, from the counts of :mod:`.queries`."""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ...core import clock
from ...extensions import db
from ...org.history import merged_into, merged_predecessors, unit_ranges
from ...org.models import Plan, Unit, UnitKind
from .buckets import Buckets, inside, units_of_kind
from .plan import plan_for, plan_target
from .queries import case_figures, e3_figures, level_counts, people_figures, pilot_units, team_figures, trainer_figures
from .result import Coverage, Figure, UnitFigures, not_applicable


def coverage(unit: Unit, day: dt.date | None = None, year: int | None = None, plan: Plan | None = None) -> Coverage:
    """Every figure for ``unit`` and each unit one level below it, as of ``day`` (year ``year`` for H and I)."""
    day = day or clock.today()
    year = year or day.year
    plan = plan or plan_for(unit)
    plan_start = plan.start_date
    predecessors = merged_predecessors()
    # one level below: its children, and those of the units merged into it by then (the villages of the old
    # communes a new commune absorbed), grouped by the unit they lie under
    merged = merged_into(unit.path, predecessors, day)
    parents = [unit.id]
    if merged:
        parents += db.session.scalars(select(Unit.id).where(Unit.path.in_(merged))).all()
    below = list(db.session.scalars(
        select(Unit).where(Unit.parent_id.in_(parents)).options(joinedload(Unit.parent)).order_by(Unit.name)
    ).unique())
    below.sort(key=lambda c: (0, b"", 0) if c.parent_id == unit.id else (1, c.parent.sort_key, c.parent.id))
    children = [c for c in below if c.is_active_on(day)]
    spec = [(unit.id, unit_ranges(unit, predecessors, day))] + [(c.id, unit_ranges(c, predecessors, day)) for c in children]
    ranges = dict(spec)
    # the children not valid on D count in the root, unless they went elsewhere (a village of a split commune)
    ended = [c for c in below if not c.is_active_on(day) and inside(c, ranges[unit.id])]
    buckets = Buckets.for_coverage(unit, ranges[unit.id], spec[1:], ended)

    people = people_figures(buckets, day)
    pilot = pilot_units(ranges[unit.id], predecessors, day)
    pilot_people = people_figures(buckets, day, within=pilot) if pilot else {}
    e3 = e3_figures(buckets, day, plan_start)
    teams = team_figures(buckets, day)
    trainers = trainer_figures(buckets, day)
    cases = case_figures(buckets, year)

    # B1 and B2: per district / province, trainers of that level against ceil(active teams / N)
    districts = units_of_kind(UnitKind.DISTRICT, ranges[unit.id], day) if unit.kind in (UnitKind.PROVINCE, UnitKind.DISTRICT) else []
    level_units = districts + ([unit] if unit.kind == UnitKind.PROVINCE else [])
    level_teams, level_trainers = level_counts(level_units, predecessors, day)
    year_end = dt.date(year, 12, 31)
    communes = units_of_kind(UnitKind.COMMUNE, ranges[unit.id], min(year_end, day))  # the tree as it was on D

    def figures_for(u: Unit) -> dict[str, Figure]:
        bid, r = u.id, ranges[u.id]
        f: dict[str, Figure] = {}
        # B1
        ds = [d for d in districts if inside(d, r)] if u.kind in (UnitKind.PROVINCE, UnitKind.DISTRICT) else []
        if ds:
            per = plan.target("B1").get("teams_per_trainer", 80) if plan else 80
            meeting = sum(1 for d in ds if level_trainers.get(d.id, 0) >= math.ceil(level_teams.get(d.id, 0) / per))
            f["B1"] = Figure("B1", meeting, len(ds), plan_target(plan, "B1"))
        else:
            f["B1"] = not_applicable("B1", plan_target(plan, "B1"), "Không có đơn vị cấp huyện")
        # B2
        if u.kind == UnitKind.PROVINCE and u.id in level_teams:
            per = plan.target("B2").get("teams_per_trainer", 100) if plan else 100
            f["B2"] = Figure("B2", level_trainers.get(u.id, 0), math.ceil(level_teams[u.id] / per), plan_target(plan, "B2"))
        else:
            f["B2"] = not_applicable("B2", plan_target(plan, "B2"), "Chỉ áp dụng cho cấp tỉnh")
        n, trained = trainers.get(bid, (0, 0))
        f["C"] = Figure("C", trained or 0, n, plan_target(plan, "C"))
        total, meets, supported = teams.get(bid, (0, 0, 0))
        f["D"] = Figure("D", meets or 0, total, plan_target(plan, "D"))
        f["Đ"] = Figure("Đ", supported or 0, total, plan_target(plan, "Đ"))
        active, trained, accessed = people.get(bid, (0, 0, 0))
        f["E1"] = Figure("E1", trained or 0, active, plan_target(plan, "E1"))
        pa, pt, _ = pilot_people.get(bid, (0, 0, 0))
        f["E2"] = Figure("E2", pt or 0, pa, plan_target(plan, "E2"))
        due, on_time = e3.get(bid, (0, 0))
        f["E3"] = Figure("E3", on_time or 0, due, plan_target(plan, "E3"))
        f["G"] = Figure("G", accessed or 0, active, plan_target(plan, "G"))
        ok, failed = cases.get(bid, (0, 0))
        f["H"] = Figure("H", ok or 0, (ok or 0) + (failed or 0), plan_target(plan, "H", u))
        f["I"] = _figure_i(u, r, districts, communes, year, plan)
        return f

    root = UnitFigures(unit, figures_for(unit))
    kids = [UnitFigures(c, figures_for(c), via=c.parent if c.parent_id != unit.id else None) for c in children]
    return Coverage(unit, day, year, plan, root, kids)


def _figure_i(u: Unit, r, districts: list[Unit], communes: list[Unit], year: int, plan: Plan | None) -> Figure:
    """I: per district, model communes / communes ≥ target; figure = districts meeting / districts.
    Where there are no districts, over the unit (province) itself. Not applicable below a district."""
    target = plan_target(plan, "I")
    if u.kind not in (UnitKind.PROVINCE, UnitKind.DISTRICT):
        return not_applicable("I", target, "Đo theo cấp huyện hoặc cấp tỉnh")

    def ratio_ok(cs: list[Unit]) -> tuple[int, int]:
        recognized = sum(1 for c in cs if c.model_commune_year is not None and c.model_commune_year <= year)
        return recognized, len(cs)

    ds = [d for d in districts if inside(d, r)] if u.kind == UnitKind.PROVINCE else []
    if ds:
        meeting = 0
        for d in ds:
            rec, n = ratio_ok([c for c in communes if c.path.startswith(d.path)])
            meeting += bool(n) and target is not None and 100 * rec >= target * n
        return Figure("I", meeting, len(ds), 100.0 if target is not None else None, note="Số huyện đạt / số huyện")
    rec, n = ratio_ok([c for c in communes if inside(c, r)])
    return Figure("I", rec, n, target)
