"""Home and the unit tree browser."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ...core import audit
from ...core.access import get_scoped_or_404, login_required, roles_required, scoped
from ...core.pagination import paginate
from ...core.roles import STAFF, Role
from ...core.text import fold
from ...extensions import db
from ..models import Team, Unit
from ..services import roster
from . import bp


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
        stmt = stmt.where(Unit.search_key.contains(fold(q), autoescape=True)).order_by(Unit.depth, Unit.name)
    else:
        stmt = stmt.where(Unit.parent_id.is_(None)).order_by(Unit.name)
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
    page = paginate(stmt.order_by(Unit.name))
    teams = db.session.scalars(scoped(select(Team), Team).where(Team.unit_id == unit.id).order_by(Team.name)).all()
    # breadcrumb: the ancestors the user may open
    top = None if current_user.role == Role.SYSTEM_ADMIN else current_user.unit_id
    chain, node = [], (unit.parent if unit.id != top else None)
    while node is not None:
        chain.insert(0, node)
        node = node.parent if node.id != top else None
    return render_template(
        "org/unit.html",
        unit=unit,
        page=page,
        counts=roster.unit_counts([unit, *page.items]),
        teams=teams,
        chain=chain,
        q=q,
        history=audit.history(unit),
    )
