"""Home, the unit tree browser, and adding / editing / ending units."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import aliased, selectinload

from ...core import audit, clock
from ...core import format as fmt
from ...core.access import get_scoped_or_404, login_required, roles_required, scoped
from ...core.pagination import paginate
from ...core.roles import OFFICERS, STAFF, Role
from ...core.text import fold, nfc
from ...core.web import breadcrumb, scoped_by_code, scoped_choices, service_errors
from ...extensions import db
from ..forms.units import UnitEndForm, UnitForm
from ..models import ALLOWED_PARENTS, Team, Unit, UnitKind
from ..services import roster
from . import bp

#: Above this many candidate units a form asks for a unit code instead of offering a select.


# --------------------------------------------------------------------------- helpers shared by the roster screens


def can_change() -> bool:
    """Officers change the roster; trainers only read it."""
    return current_user.is_authenticated and current_user.role in OFFICERS


def can_change_unit(unit: Unit) -> bool:
    """Officers manage the units below their own (a system admin manages every unit)."""
    return can_change() and (current_user.role == Role.SYSTEM_ADMIN or unit.id != current_user.unit_id)


def child_kinds(parent: Unit | None) -> list[UnitKind]:
    parent_kind = parent.kind if parent is not None else None
    return [k for k in UnitKind if parent_kind in ALLOWED_PARENTS[k]]


def unit_label(u: Unit) -> str:
    parent = f" – {u.parent.name}" if u.parent is not None else ""
    return f"{u.name}{parent} ({u.code})"


def picker_order() -> tuple:
    """ORDER BY for a flat list of units of mixed levels: higher levels first, then grouped by parent (in the
    parents' Vietnamese order), each group in Vietnamese order (official code, else name; ``collation``)."""
    parent = aliased(Unit)
    parent_key = select(parent.sort_key).where(parent.id == Unit.parent_id).correlate(Unit).scalar_subquery()
    return (Unit.depth, parent_key, Unit.parent_id, Unit.sort_key, Unit.id)


def setup_unit_picker(form, kinds, current: Unit | None = None, id_field: str = "unit_id", code_field: str = "unit_code") -> None:
    """Keep a select of the (current) units in scope when there are few; else a unit-code text field.

    The unused field is removed from the form.
    """
    today = clock.today()
    units = scoped_choices(
        Unit, Unit.kind.in_(list(kinds)), or_(Unit.valid_to.is_(None), Unit.valid_to >= today),
        order_by=picker_order(), options=(selectinload(Unit.parent),),
    )
    if units is not None:
        if current is not None and all(u.id != current.id for u in units):
            units.insert(0, current)
        field = getattr(form, id_field)
        field.choices = [("", "— Chọn —")] + [(str(u.id), unit_label(u)) for u in units]
        if current is not None and not form.is_submitted():
            field.data = str(current.id)
        delattr(form, code_field)
    else:
        if current is not None and not form.is_submitted():
            getattr(form, code_field).data = current.code
        delattr(form, id_field)


def picked_unit(form, kinds, id_field: str = "unit_id", code_field: str = "unit_code") -> Unit | None:
    """The unit chosen in a picker set up by :func:`setup_unit_picker` (in scope), or ``None`` with a field error."""
    field = getattr(form, id_field, None)
    if field is not None:
        unit = None
        if str(field.data or "").isdigit():
            unit = db.session.scalar(scoped(select(Unit), Unit).where(Unit.id == int(field.data), Unit.kind.in_(list(kinds))))
        if unit is None:
            field.errors = [*field.errors, "Hãy chọn một đơn vị trong danh sách."]
        return unit
    field = getattr(form, code_field)
    unit = scoped_by_code(Unit, field.data, kinds)
    if unit is None:
        field.errors = [*field.errors, f"Không tìm thấy đơn vị có mã «{field.data}» trong phạm vi quản lý của bạn."]
    return unit


# --------------------------------------------------------------------------- browsing


@bp.route("/")
@login_required
def home():
    if current_user.role == Role.MEDIATOR:
        return redirect(url_for("org.person", person_id=current_user.person_id))
    return redirect(url_for("org.units"))


@bp.route("/units")
@roles_required(*STAFF)
def units():
    """The top of the tree the user may see: their own unit (all provinces for a system admin)."""
    if current_user.role != Role.SYSTEM_ADMIN:
        return redirect(url_for("org.unit", unit_id=current_user.unit_id))
    q = request.args.get("q", "").strip()
    stmt = scoped(select(Unit), Unit)
    if q:
        stmt = stmt.where(Unit.search_key.contains(fold(q), autoescape=True)).order_by(Unit.depth, Unit.sort_key, Unit.id)
    else:
        stmt = stmt.where(Unit.parent_id.is_(None)).order_by(Unit.sort_key, Unit.id)
    page = paginate(stmt)
    return render_template("org/units.html", page=page, counts=roster.unit_counts(page.items), q=q)


@bp.route("/units/<int:unit_id>")
@roles_required(*STAFF)
def unit(unit_id: int):
    unit = get_scoped_or_404(Unit, unit_id)
    q = request.args.get("q", "").strip()
    stmt = scoped(select(Unit), Unit).where(Unit.parent_id == unit.id)
    if q:
        stmt = stmt.where(Unit.search_key.contains(fold(q), autoescape=True))
    page = paginate(stmt.order_by(Unit.sort_key, Unit.id))
    # a village or commune has a handful of teams of its own
    teams = db.session.scalars(scoped(select(Team), Team).where(Team.unit_id == unit.id).order_by(Team.sort_key, Team.id).limit(100)).all()
    chain = breadcrumb(Unit, unit)
    # the units that merged into it (the old communes a new commune absorbed): their villages stay under them
    merged = db.session.scalars(
        scoped(select(Unit), Unit).where(Unit.successor_id == unit.id, Unit.valid_to < clock.today()).order_by(Unit.sort_key, Unit.id).limit(200)
    ).all()
    return render_template(
        "org/unit.html",
        unit=unit,
        merged=merged,
        page=page,
        counts=roster.unit_counts([unit, *page.items]),
        teams=teams,
        chain=chain,
        q=q,
        history=audit.history(unit),
        can_add_child=can_change() and unit.is_current and bool(child_kinds(unit)),
        can_add_team=can_change() and unit.is_current and unit.kind in (UnitKind.VILLAGE, UnitKind.COMMUNE),
        can_edit=can_change_unit(unit),
    )


# --------------------------------------------------------------------------- changing


def _unit_form_page(form, parent: Unit | None, unit: Unit | None, cancel: str):
    title = f"Sửa đơn vị: {unit.name}" if unit else (f"Thêm đơn vị trực thuộc {parent.name}" if parent else "Thêm tỉnh / thành phố")
    return render_template("org/unit_form.html", form=form, title=title, parent=parent, unit=unit, cancel=cancel)


#: The plan's pilot communes (E2, H) and model-commune recognitions (I) are decided by the province.
PLAN_FLAG_ROLES = (Role.SYSTEM_ADMIN, Role.PROVINCE_ADMIN)


def _limit_plan_flags(form) -> None:
    """Officers below the province see no pilot / model-commune fields (the province decides them)."""
    if current_user.role not in PLAN_FLAG_ROLES:
        del form.is_pilot
        del form.model_commune_year


def _plan_flags(form, unit: Unit | None) -> dict:
    if current_user.role in PLAN_FLAG_ROLES:
        return {"is_pilot": form.is_pilot.data, "model_commune_year": form.model_commune_year.data}
    return {} if unit is not None else {"is_pilot": False, "model_commune_year": None}


def _add_unit(parent: Unit | None):
    kinds = child_kinds(parent)
    cancel = url_for("org.unit", unit_id=parent.id) if parent else url_for("org.units")
    if not kinds:
        flash(f"Không thể thêm đơn vị trực thuộc {parent.kind.title.lower()}.", "warning")
        return redirect(cancel)
    if parent is not None and not parent.is_current:
        flash("Đơn vị này đã hết hiệu lực; không thể thêm đơn vị trực thuộc.", "warning")
        return redirect(cancel)
    form = UnitForm()
    del form.parent_code
    _limit_plan_flags(form)
    form.set_kinds(kinds)
    if not form.is_submitted() and request.args.get("kind") in {k.value for k in kinds}:
        form.kind.data = request.args["kind"]
    if form.validate_on_submit():
        with service_errors(form, {"parent": "kind"}) as outcome:
            unit = roster.create_unit(
                code=form.code.data,
                name=form.name.data,
                kind=UnitKind(form.kind.data),
                parent=parent,
                ethnic_minority_area=form.ethnic_minority_area.data,
                valid_from=form.valid_from.data,
                **_plan_flags(form, None),
            )
        if outcome.ok:
            flash(f"Đã thêm {unit.kind.title.lower()} «{unit.name}».", "success")
            return redirect(url_for("org.unit", unit_id=unit.id))
    return _unit_form_page(form, parent, None, cancel)


@bp.route("/units/add", methods=["GET", "POST"])
@roles_required(Role.SYSTEM_ADMIN)
def unit_add_top():
    return _add_unit(None)


@bp.route("/units/<int:unit_id>/add", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def unit_add(unit_id: int):
    return _add_unit(get_scoped_or_404(Unit, unit_id))


@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def unit_edit(unit_id: int):
    unit = get_scoped_or_404(Unit, unit_id)
    if not can_change_unit(unit):
        abort(403)
    form = UnitForm(obj=unit)
    del form.kind
    _limit_plan_flags(form)
    if not form.is_submitted():
        form.parent_code.data = unit.parent.code if unit.parent else ""
    if form.validate_on_submit():
        fields = {
            "code": form.code.data,
            "name": form.name.data,
            "valid_from": form.valid_from.data,
            "ethnic_minority_area": form.ethnic_minority_area.data,
            **_plan_flags(form, unit),
        }
        parent_code = (nfc(form.parent_code.data) or "").upper()
        ok = True
        if unit.parent is not None and parent_code and parent_code != unit.parent.code:
            new_parent = scoped_by_code(Unit, parent_code)
            if new_parent is None:
                form.parent_code.errors = [f"Không tìm thấy đơn vị có mã «{parent_code}» trong phạm vi quản lý của bạn."]
                ok = False
            else:
                fields["parent"] = new_parent
        if ok:
            with service_errors(form, {"parent": "parent_code"}) as outcome:
                roster.update_unit(unit, **fields)
            if outcome.ok:
                flash("Đã lưu thay đổi của đơn vị.", "success")
                return redirect(url_for("org.unit", unit_id=unit.id))
    return _unit_form_page(form, unit.parent, unit, url_for("org.unit", unit_id=unit.id))


@bp.route("/units/<int:unit_id>/end", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def unit_end(unit_id: int):
    unit = get_scoped_or_404(Unit, unit_id)
    if not can_change_unit(unit):
        abort(403)
    form = UnitEndForm()
    if not form.is_submitted():
        form.valid_to.data = unit.valid_to or clock.today()
        form.successor_code.data = unit.successor.code if unit.successor else ""
    if form.validate_on_submit():
        successor = None
        if form.successor_code.data:
            successor = scoped_by_code(Unit, form.successor_code.data)
            if successor is None:
                form.successor_code.errors = [f"Không tìm thấy đơn vị có mã «{form.successor_code.data}» trong phạm vi quản lý của bạn."]
        if not form.successor_code.errors:
            with service_errors(form, {"successor": "successor_code"}) as outcome:
                roster.end_unit(unit, form.valid_to.data, successor)
            if outcome.ok:
                flash(f"Đã ghi nhận «{unit.name}» hết hiệu lực từ ngày {fmt.date(unit.valid_to)}.", "success")
                return redirect(url_for("org.unit", unit_id=unit.id))
    return render_template(
        "org/unit_end.html", form=form, unit=unit, counts=roster.unit_counts([unit]).get(unit.id, {}),
        cancel=url_for("org.unit", unit_id=unit.id),
    )
