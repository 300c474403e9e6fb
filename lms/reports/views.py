"""The dashboard (every figure for a unit and the units below it, the trend over the plan's phases),
the work lists behind the figures, and the plan's targets (viewed by staff, edited by province admins).

Every unit comes from the scope helper (a unit outside the user's scope is a 404); the figures
come from :func:`.figures.coverage` (a fixed number of queries whatever the number of units).
"""

from __future__ import annotations

import datetime as dt
import math

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..core import audit, cache, clock
from ..core import format as fmt
from ..core.access import get_scoped_or_404, in_scope, roles_required, scoped
from ..core.nav import register_nav
from ..core.pagination import paginate
from ..core.roles import STAFF, Role
from ..core.web import breadcrumb, scoped_by_code, service_errors
from ..org.models import Plan, Unit, UnitKind
from ..org.services.plans import set_target
from . import charts, worklists
from .figures import CODES, FIGURES, STATUS_TITLES, Coverage, FigureStatus, coverage, figure_item, figure_title, plan_for

bp = Blueprint("reports", __name__, url_prefix="/reports", template_folder="templates")

register_nav("Bảng điều khiển", "reports.dashboard", STAFF, order=7, match=("reports.dashboard", "reports.worklist", "reports.plan"))

#: Figures whose trend per year is drawn under the dashboard.
TREND_CODES = ("E1", "E3", "H")
#: When a plan names no phases (the national scheme's).
DEFAULT_PHASES = [charts.Phase("Giai đoạn 1 (2024 - 2026)", 2024, 2026), charts.Phase("Giai đoạn 2 (2027 - 2030)", 2027, 2030)]
#: Bootstrap colour of each status.
STATUS_COLORS = FigureStatus.COLORS
PLAN_EDITORS = (Role.PROVINCE_ADMIN, Role.SYSTEM_ADMIN)
#: Audit keys of a plan, as an officer reads them.
PLAN_FIELD_TITLES = {"slug": "Mã kế hoạch", "source": "Nạp lại từ tệp"}



def init_app(app) -> None:
    from . import exports  # noqa: F401  (the export routes sit on this blueprint; they export worklists.EXPORT_BUILDERS)

    app.register_blueprint(bp)


# --------------------------------------------------------------------------- helpers


def unit_or_404(code: str | None, day: dt.date | None = None) -> Unit:
    """``?unit=CODE`` when it lies in the user's scope (404 otherwise): the unit with that code on ``day``, the page's
    date (a code is reused after a reform: 31120 is Phường An Hòa before 1 July 2025, Phường Cái Khế after);
    without a code, the user's own unit."""
    if not (code or "").strip():
        return get_scoped_or_404(Unit, current_user.unit_id)
    unit = scoped_by_code(Unit, code, day=day)
    if unit is None:
        abort(404)
    return unit


def _day_and_year() -> tuple[dt.date, int]:
    """``?date=YYYY-MM-DD`` (default today) and ``?year=Y`` (default the date's year); a bad value is flashed and ignored."""
    today = clock.today()
    raw = (request.args.get("date") or "").strip()
    day = today
    if raw:
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            flash(f"Ngày «{raw}» không hợp lệ (cần dạng năm-tháng-ngày, ví dụ 2025-12-31); đang xem số liệu đến hôm nay.", "warning")
    raw_year = (request.args.get("year") or "").strip()
    year = day.year
    if raw_year:
        if raw_year.isdigit() and 2000 <= int(raw_year) <= 2100:
            year = int(raw_year)
        else:
            flash(f"Năm «{raw_year}» không hợp lệ (từ 2000 đến 2100); đang dùng năm {day.year}.", "warning")
    return day, year


def target_text(plan: Plan | None, code: str, target: float | None) -> str:
    """"≥ 80%", "80–90%" (a band), "100%", "≥ 85% (đến năm 2030)", or "Chưa có chỉ tiêu"."""
    if target is None:
        return "Chưa có chỉ tiêu"
    spec = (plan.target(code) if plan is not None else {}) or {}
    if spec.get("band_to") is not None:
        text = f"{fmt.number(target, **charts.SHOWN)}–{fmt.percent(float(spec['band_to']), **charts.SHOWN)}"
    elif target >= 100:
        text = fmt.percent(target, **charts.SHOWN)
    else:
        text = f"≥ {fmt.percent(target, **charts.SHOWN)}"
    if spec.get("by_year"):
        text += f" (đến năm {spec['by_year']})"
    return text


def _phases(plan: Plan | None) -> list[charts.Phase]:
    out = []
    for p in ((plan.data or {}).get("phases") if plan is not None else None) or []:
        try:
            out.append(charts.Phase(str(p.get("title") or f"Giai đoạn {p.get('code', '')}"), int(p["from"]), int(p["to"])))
        except (KeyError, TypeError, ValueError):
            continue
    return out or DEFAULT_PHASES


def _trend(cov: Coverage, day: dt.date, year: int) -> dict:
    """E1, E3 and H per year of the plan's phases: 31/12 of each past year, the chosen date in its own year,
    nothing for later years. One :func:`coverage` per year shown (a fixed number of queries each)."""
    phases = _phases(cov.plan)
    years = range(min(p.start for p in phases), max(p.end for p in phases) + 1)
    points: dict[str, list[charts.Point]] = {code: [] for code in TREND_CODES}
    for y in years:
        if y > day.year:
            for code in TREND_CODES:
                points[code].append(charts.Point(y, None, future=True))
            continue
        if y == day.year and year == day.year:
            c = cov
        else:
            c = coverage(cov.unit, day if y == day.year else dt.date(y, 12, 31), year=y, plan=cov.plan)
        for code in TREND_CODES:
            f = c.figures[code]
            points[code].append(charts.Point(y, f.value, f.status, f"{f.numerator}/{f.denominator}" if f.denominator else ""))
    out = {}
    for code in TREND_CODES:
        target = cov.figures[code].target
        title = f"{code} – {figure_title(cov.plan, code)}: theo năm"
        out[code] = {"title": title, "svg": charts.trend_chart(points[code], target, phases, title), "points": points[code]}
    return {"phases": phases, "charts": out}


def _bars(cov: Coverage, code: str):
    bars = []
    for child in cov.children:
        f = child.figures[code]
        bars.append(charts.Bar(child.label, f.value, f.status, f"{f.numerator}/{f.denominator}" if f.denominator else "", f.target))
    title = f"{code} – {figure_title(cov.plan, code)}: theo đơn vị cấp dưới"
    return charts.bar_chart(bars, cov.figures[code].target, title)


def _has(endpoint: str) -> bool:
    return endpoint in current_app.view_functions


# --------------------------------------------------------------------------- the dashboard


@bp.route("/")
@roles_required(*STAFF)
def dashboard():
    """Every figure for the unit (cards), a bar chart and a table of the units below it, the trend per year."""
    code = request.args.get("unit")
    if not (code or "").strip() and current_user.role == Role.SYSTEM_ADMIN:
        provinces = paginate(scoped(select(Unit), Unit).where(Unit.kind == UnitKind.PROVINCE).order_by(Unit.sort_key, Unit.id))
        return render_template("reports/dashboard.html", provinces=provinces, unit=None)
    day, year = _day_and_year()
    unit = unit_or_404(code, day)
    figure = request.args.get("figure") or "E1"
    if figure not in CODES:
        figure = "E1"

    def body() -> str:
        cov = coverage(unit, day, year)
        return render_template(
            "reports/_dashboard_body.html", unit=unit, cov=cov, day=day, year=year, figure=figure, codes=CODES,
            bars=_bars(cov, figure), trend=_trend(cov, day, year), **_helpers(),
        )

    # the same for everyone who may see the unit; recomputed when a row the figures read changes
    html = cache.cached(FIGURES, ("dashboard", unit.id, day.isoformat(), year, figure), body)
    return render_template("reports/dashboard.html", unit=unit, day=day, year=year, figure=figure, chain=breadcrumb(Unit, unit), body=html)


def _helpers() -> dict:
    return dict(
        figure_title=figure_title, figure_item=figure_item, target_text=target_text,
        status_titles=STATUS_TITLES, status_colors=STATUS_COLORS, figure_worklist=worklists.FIGURE_WORKLIST, has_endpoint=_has,
    )


# --------------------------------------------------------------------------- work lists


@bp.route("/worklists/<any(e3, d, b, c, e1, g):kind>")
@roles_required(*STAFF)
def worklist(kind: str):
    """The list behind a figure, paginated; E3's is the certificates area's deadline list."""
    day, _ = _day_and_year()
    unit = unit_or_404(request.args.get("unit"), day)
    if kind == "e3":
        status = request.args.get("status") or "urgent"
        return redirect(url_for("deadlines.deadlines", commune=unit.code, status=status))
    lst = worklists.listing(kind, unit, day)
    page, rows = lst.page()
    return render_template(
        "reports/worklist.html", unit=unit, day=day, kind=kind, lst=lst, page=page, rows=rows, chain=breadcrumb(Unit, unit), **_helpers(),
    )


# --------------------------------------------------------------------------- the plan's targets


def _plan_context(unit: Unit) -> dict:
    plan = plan_for(unit)
    own = plan is not None and not plan.is_national  # the national scheme is read from its file; no one edits it
    can_edit = own and current_user.role in PLAN_EDITORS and in_scope(plan)
    return {"unit": unit, "plan": plan, "can_edit": can_edit, "history": audit.history(plan) if own else [],
            "codes": [c for c in CODES if plan is not None and plan.target(c)], "phases": _phases(plan) if plan is not None else [],
            "field_titles": PLAN_FIELD_TITLES, **_helpers()}


@bp.route("/plan")
@roles_required(*STAFF)
def plan():
    """The plan that governs the unit (its province's): number, date, phases, each figure's target."""
    unit = unit_or_404(request.args.get("unit"))
    return render_template("reports/plan.html", errors={}, values={}, **_plan_context(unit))


def _parse_threshold(raw: str | None) -> tuple[float | None, str | None]:
    text = (raw or "").strip().replace("%", "").replace(",", ".").strip()
    if not text:
        return None, "Hãy nhập chỉ tiêu (một số từ 0 đến 100)."
    try:
        value = float(text)
    except ValueError:
        return None, f"«{raw}» không phải là một số; hãy nhập một số từ 0 đến 100 (ví dụ 85 hoặc 85,5)."
    if not math.isfinite(value) or not 0 <= value <= 100:
        return None, "Chỉ tiêu phải từ 0 đến 100%."
    return (int(value) if value.is_integer() else round(value, 2)), None


@bp.route("/plan", methods=["POST"])
@roles_required(*PLAN_EDITORS)
def plan_save():
    """Change the targets that differ from the plan's (each change audited); all or nothing."""
    unit = unit_or_404(request.args.get("unit"))
    ctx = _plan_context(unit)
    plan = ctx["plan"]
    if plan is None:
        abort(404)
    if not ctx["can_edit"]:
        abort(403)
    values, errors = {}, {}
    for code in ctx["codes"]:
        raw = request.form.get(f"target-{code}")
        values[code] = raw
        value, error = _parse_threshold(raw)
        if error:
            errors[code] = error
        else:
            values[code] = value
    changed = []
    if not errors:
        changed = [code for code in ctx["codes"] if float(plan.target(code).get("threshold", -1)) != float(values[code])]
        with service_errors(flash_as=None) as outcome:
            for code in changed:
                set_target(plan, code, values[code])
        if not outcome.ok:
            errors[code if outcome.error.field in ("threshold", None) else "_"] = outcome.error.message
    if errors:
        flash("Chưa lưu: hãy sửa các chỉ tiêu được đánh dấu.", "danger")
        return render_template("reports/plan.html", errors=errors, values=values, **_plan_context(unit)), 400
    if changed:
        flash(f"Đã lưu chỉ tiêu {', '.join(changed)}.", "success")
    else:
        flash("Không có chỉ tiêu nào thay đổi.", "info")
    return redirect(url_for("reports.plan", unit=unit.code))
