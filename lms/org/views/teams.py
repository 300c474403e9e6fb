"""Mediation teams: the team page (members, supporters, composition), add, edit, dissolve."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from ...core import audit, clock
from ...core import format as fmt
from ...core.access import get_scoped_or_404, roles_required, scoped
from ...core.pagination import paginate
from ...core.roles import OFFICERS, STAFF
from ...core.web import service_errors
from ...extensions import db
from ..forms.teams import TeamEndForm, TeamForm
from ..models import LegalSupport, MediatorMembership, Team, Unit
from ..services import roster
from . import bp
from .units import can_change


def _membership_active(day):
    return MediatorMembership.active_clause(day)


def active_member_count(team: Team) -> int:
    stmt = scoped(select(func.count(MediatorMembership.id)), MediatorMembership).where(
        MediatorMembership.team_id == team.id, _membership_active(clock.today())
    )
    return db.session.scalar(stmt) or 0


@bp.route("/teams/<int:team_id>")
@roles_required(*STAFF)
def team(team_id: int):
    team = get_scoped_or_404(Team, team_id)
    today = clock.today()
    members = paginate(
        scoped(select(MediatorMembership), MediatorMembership)
        .where(MediatorMembership.team_id == team.id)
        .options(selectinload(MediatorMembership.person))
        .order_by(
            case((_membership_active(today), 0), else_=1),
            MediatorMembership.is_leader.desc(),
            MediatorMembership.recognized_on,
            MediatorMembership.id,
        )
    )
    supports = db.session.scalars(
        scoped(select(LegalSupport), LegalSupport)
        .where(LegalSupport.team_id == team.id)
        .options(selectinload(LegalSupport.person))
        .order_by(LegalSupport.from_on.desc(), LegalSupport.id.desc())
        .limit(100)
    ).all()
    return render_template(
        "org/team.html",
        team=team,
        members=members,
        supports=supports,
        active_count=active_member_count(team),
        warnings=roster.composition_warnings(team) if team.is_active else [],
        history=audit.history(team),
        can_change=can_change(),
        today=today,
    )


@bp.route("/units/<int:unit_id>/teams/add", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def team_add(unit_id: int):
    unit = get_scoped_or_404(Unit, unit_id)
    form = TeamForm()
    if form.validate_on_submit():
        with service_errors(form, {"unit": "name"}) as outcome:
            team = roster.create_team(unit=unit, name=form.name.data, established_on=form.established_on.data)
        if outcome.ok:
            flash(f"Đã thêm «{team.name}».", "success")
            return redirect(url_for("org.team", team_id=team.id))
    return render_template(
        "org/team_form.html", form=form, title=f"Thêm tổ hòa giải: {unit.name}", unit=unit, cancel=url_for("org.unit", unit_id=unit.id)
    )


@bp.route("/teams/<int:team_id>/edit", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def team_edit(team_id: int):
    team = get_scoped_or_404(Team, team_id)
    form = TeamForm(obj=team)
    if form.validate_on_submit():
        with service_errors(form, {"dissolved_on": "established_on"}) as outcome:
            roster.update_team(team, name=form.name.data, established_on=form.established_on.data)
        if outcome.ok:
            flash("Đã lưu thay đổi của tổ hòa giải.", "success")
            return redirect(url_for("org.team", team_id=team.id))
    return render_template(
        "org/team_form.html", form=form, title=f"Sửa tổ hòa giải: {team.name}", unit=team.unit, cancel=url_for("org.team", team_id=team.id)
    )


@bp.route("/teams/<int:team_id>/end", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def team_end(team_id: int):
    team = get_scoped_or_404(Team, team_id)
    form = TeamEndForm()
    if not form.is_submitted():
        form.dissolved_on.data = team.dissolved_on or clock.today()
    if form.validate_on_submit():
        with service_errors(form) as outcome:
            roster.end_team(team, form.dissolved_on.data)
        if outcome.ok:
            flash(f"Đã ghi nhận «{team.name}» giải thể từ ngày {fmt.date(team.dissolved_on)}.", "success")
            return redirect(url_for("org.team", team_id=team.id))
    active = active_member_count(team)
    warnings = []
    if active:
        warnings.append(
            f"Tổ còn {active} hòa giải viên đang hoạt động. Việc giải thể tổ không tự ghi quyết định thôi làm hòa giải viên; "
            "hãy ghi nhận cho từng người (hoặc công nhận họ vào tổ khác) trên trang của họ."
        )
    return render_template(
        "org/confirm.html",
        form=form,
        title=f"Giải thể tổ hòa giải: {team.name}",
        submit="Giải thể tổ",
        facts=[f"{team.name} – {team.unit.name} ({team.unit.code})"],
        warnings=warnings,
        cancel=url_for("org.team", team_id=team.id),
    )
