"""A commune's mediation case statistics per quarter: one grid row per team, saved all or nothing."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ...core import clock
from ...core.access import get_scoped_or_404, roles_required, scoped
from ...core.roles import OFFICERS, STAFF
from ...core.web import service_errors
from ...extensions import db
from ..forms.cases import CaseGridForm, PeriodForm, input_name, read_grid, rows_from_saved
from ..models import CaseStat, Team, Unit, UnitKind
from ..services import cases as case_service
from . import bp

#: A commune has a handful of teams (one per village); the grid shows them all, up to this many.
MAX_TEAMS = 500


def _period() -> tuple[int, int, dict[str, str]]:
    """The year and quarter asked for (default: the current quarter), and what is wrong with them."""
    year, quarter = case_service.current_period()
    errors: dict[str, str] = {}
    for key, title in (("year", "Năm"), ("quarter", "Quý")):
        raw = (request.args.get(key) or "").strip()
        if not raw:
            continue
        if not raw.isdigit():
            errors[key] = f"{title} «{raw}» không hợp lệ."
        elif key == "year":
            year = int(raw)
        else:
            quarter = int(raw)
    if not errors:
        errors = case_service.period_errors(year, quarter)
    return year, quarter, errors


def _teams(commune: Unit, year: int, quarter: int) -> list[Team]:
    """The teams of the commune (its own and its villages') active at some time in the quarter,
    and any that already have figures for it."""
    first, last = case_service.quarter_bounds(year, quarter)
    has_stat = Team.id.in_(select(CaseStat.team_id).where(CaseStat.year == year, CaseStat.quarter == quarter))
    active = (
        or_(Team.established_on.is_(None), Team.established_on <= last)
        & or_(Team.dissolved_on.is_(None), Team.dissolved_on >= first)
    )
    stmt = (
        scoped(select(Team), Team)
        .join(Unit, Team.unit_id == Unit.id)
        .where(Team.scope_clause(commune.path), or_(active, has_stat))
        .options(selectinload(Team.unit))
        .order_by(Unit.sort_key, Unit.id, Team.sort_key, Team.id)
        .limit(MAX_TEAMS)
    )
    return list(db.session.scalars(stmt))


def _saved(teams: list[Team], year: int, quarter: int) -> dict[int, CaseStat]:
    if not teams:
        return {}
    stmt = scoped(select(CaseStat), CaseStat).where(
        CaseStat.team_id.in_([t.id for t in teams]), CaseStat.year == year, CaseStat.quarter == quarter
    )
    return {s.team_id: s for s in db.session.scalars(stmt)}


def _totals(saved: dict[int, CaseStat]) -> dict:
    totals = {k: sum(getattr(s, k) for s in saved.values()) for k in case_service.COUNT_FIELDS}
    totals["rate"] = case_service.success_rate(totals["successful"], totals["unsuccessful"])
    return totals


@bp.route("/units/<int:unit_id>/cases", methods=["GET", "POST"])
@roles_required(*STAFF)
def cases(unit_id: int):
    """Officers enter the quarter's figures of every team of a commune; trainers read them."""
    unit = get_scoped_or_404(Unit, unit_id)
    if unit.kind == UnitKind.VILLAGE and unit.parent_id is not None:
        # a village's figures are its commune's grid (which checks the scope again)
        args = {k: v for k, v in request.args.items() if k in ("year", "quarter")}
        return redirect(url_for("org.cases", unit_id=unit.parent_id, **args))
    if unit.kind != UnitKind.COMMUNE:
        abort(404)
    can_edit = current_user.role in OFFICERS
    year, quarter, period_errors = _period()
    period = PeriodForm(formdata=None)
    period.set_years(clock.today().year)
    period.year.data, period.quarter.data = str(year), str(quarter)
    teams = _teams(unit, year, quarter) if not period_errors else []
    saved = _saved(teams, year, quarter)
    rows = rows_from_saved(teams, saved)
    form = CaseGridForm()
    status = 200

    if request.method == "POST":
        if not can_edit:
            abort(403)
        if not form.validate_on_submit():
            flash("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Hãy tải lại trang và nhập lại.", "danger")
            status = 400
        elif period_errors:
            status = 422
        else:
            rows = read_grid(request.form, teams, saved)
            bad = [r for r in rows if r.errors]
            if bad:
                flash(f"Có {len(bad)} dòng chưa đúng (tô đỏ bên dưới). Chưa lưu số liệu nào; hãy sửa rồi bấm «Lưu» lại.", "danger")
                status = 422
            else:
                done = {"created": 0, "updated": 0, "unchanged": 0}
                with service_errors(flash_as="{} Chưa lưu số liệu nào.") as outcome:
                    for r in rows:
                        if not r.blank:
                            done[case_service.save_quarter(r.team, year, quarter, **r.numbers).action] += 1
                if not outcome.ok:
                    status = 422
                else:
                    flash(
                        f"Đã lưu số liệu quý {quarter}/{year} của {unit.name}: "
                        f"{done['created']} tổ mới nhập, {done['updated']} tổ cập nhật, {done['unchanged']} tổ không đổi.",
                        "success",
                    )
                    return redirect(url_for("org.cases", unit_id=unit.id, year=year, quarter=quarter))

    return render_template(
        "org/cases.html",
        unit=unit,
        year=year,
        quarter=quarter,
        period=period,
        period_errors=period_errors,
        form=form,
        rows=rows,
        totals=_totals(saved),
        can_edit=can_edit and not period_errors,
        fields=case_service.COUNT_FIELDS,
        titles=case_service.FIELD_TITLES,
        input_name=input_name,
        truncated=len(teams) >= MAX_TEAMS,
    ), status
