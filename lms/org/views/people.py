"""People: search, the person page with role history, and the forms for their roles."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ...core import audit, clock
from ...core import format as fmt
from ...core.access import get_scoped_or_404, login_required, roles_required, scoped, subtree
from ...core.nav import register_nav
from ...core.pagination import paginate
from ...core.phones import normalize_phone
from ...core.roles import OFFICERS, STAFF
from ...core.web import PICKER_LIMIT, scoped_by_code, service_errors
from ...extensions import db
from ..forms.people import AppointForm, EndDateForm, MembershipEndForm, MembershipForm, PersonForm, RecognizeForm, SupportForm
from ..models import (
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
)
from ..services import roster
from . import bp
from .units import can_change, picked_unit, setup_unit_picker

register_nav("Người", "org.people", STAFF, order=20, match=("org.people", "org.person", "org.membership", "org.appointment", "org.support"))

ROLE_FILTERS = {
    "": "Mọi vai trò",
    "mediator": "Hòa giải viên đang hoạt động",
    "trainer": "Tập huấn viên đang hoạt động",
    "supporter": "Người hỗ trợ pháp lý đang hỗ trợ",
}
TEAM_UNIT_KINDS = (UnitKind.VILLAGE, UnitKind.COMMUNE)
TRAINER_UNIT_KINDS = (UnitKind.PROVINCE, UnitKind.DISTRICT)


def _active_membership(day):
    return MediatorMembership.active_clause(day)


def _active_appointment(day):
    return TrainerAppointment.active_clause(day)


def _active_support(day):
    return LegalSupport.active_clause(day)


def _team_active(day):
    return Team.active_clause(day)


# --------------------------------------------------------------------------- list and page


@bp.route("/people")
@roles_required(*STAFF)
def people():
    q = request.args.get("q", "").strip()
    role = request.args.get("role", "")
    role = role if role in ROLE_FILTERS else ""
    unit_code = request.args.get("unit", "").strip()
    today = clock.today()
    stmt = scoped(select(Person), Person).options(selectinload(Person.unit))
    if q:
        phone = normalize_phone(q)
        if phone and phone.isdigit() and len(phone) >= 9:
            stmt = stmt.where(or_(roster.search_condition(q), Person.phone == phone))
        else:
            stmt = stmt.where(roster.search_condition(q))
    unit = None
    if unit_code:
        unit = scoped_by_code(Unit, unit_code)
        if unit is None:
            flash(f"Không tìm thấy đơn vị có mã «{unit_code}» trong phạm vi quản lý của bạn; đang hiện mọi đơn vị.", "warning")
        else:
            stmt = stmt.where(Person.scope_clause(unit.path))
    if role == "mediator":
        stmt = stmt.where(Person.id.in_(scoped(select(MediatorMembership.person_id), MediatorMembership).where(_active_membership(today))))
    elif role == "trainer":
        stmt = stmt.where(Person.id.in_(scoped(select(TrainerAppointment.person_id), TrainerAppointment).where(_active_appointment(today))))
    elif role == "supporter":
        stmt = stmt.where(Person.id.in_(scoped(select(LegalSupport.person_id), LegalSupport).where(_active_support(today))))
    page = paginate(stmt.order_by(Person.sort_key, Person.id))
    ids = [p.id for p in page.items]
    roles: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for (pid,) in db.session.execute(
            scoped(select(MediatorMembership.person_id), MediatorMembership).where(MediatorMembership.person_id.in_(ids), _active_membership(today)).distinct()
        ):
            roles[pid].append("Hòa giải viên")
        for (pid,) in db.session.execute(
            scoped(select(TrainerAppointment.person_id), TrainerAppointment).where(TrainerAppointment.person_id.in_(ids), _active_appointment(today)).distinct()
        ):
            roles[pid].append("Tập huấn viên")
        for (pid,) in db.session.execute(
            scoped(select(LegalSupport.person_id), LegalSupport).where(LegalSupport.person_id.in_(ids), _active_support(today)).distinct()
        ):
            roles[pid].append("Hỗ trợ pháp lý")
    return render_template(
        "org/people.html", page=page, q=q, role=role, roles=roles, role_filters=ROLE_FILTERS, unit=unit, unit_code=unit_code,
        can_change=can_change(),
    )


@bp.route("/people/<int:person_id>")
@login_required
def person(person_id: int):
    person = get_scoped_or_404(Person, person_id)
    memberships = db.session.scalars(
        scoped(select(MediatorMembership), MediatorMembership)
        .where(MediatorMembership.person_id == person.id)
        .options(selectinload(MediatorMembership.team).selectinload(Team.unit))
        .order_by(MediatorMembership.recognized_on.desc(), MediatorMembership.id.desc())
    ).all()
    appointments = db.session.scalars(
        scoped(select(TrainerAppointment), TrainerAppointment)
        .where(TrainerAppointment.person_id == person.id)
        .options(selectinload(TrainerAppointment.unit))
        .order_by(TrainerAppointment.started_on.desc(), TrainerAppointment.id.desc())
    ).all()
    supports = db.session.scalars(
        scoped(select(LegalSupport), LegalSupport)
        .where(LegalSupport.person_id == person.id)
        .options(selectinload(LegalSupport.team).selectinload(Team.unit))
        .order_by(LegalSupport.from_on.desc(), LegalSupport.id.desc())
    ).all()
    history = audit.history(person)
    for obj in (*memberships, *appointments, *supports):
        history.extend(audit.history(obj))
    history.sort(key=lambda r: (r.at, r.id), reverse=True)
    return render_template(
        "org/person.html",
        person=person,
        memberships=memberships,
        appointments=appointments,
        supports=supports,
        history=history[:100],
        today=clock.today(),
        can_change=can_change(),
        is_staff=current_user.role in STAFF,
    )


# --------------------------------------------------------------------------- person add / edit


def _person_form_page(form, title: str, cancel: str, person: Person | None = None, note: str | None = None):
    return render_template("org/person_form.html", form=form, title=title, cancel=cancel, person=person, note=note)


def _team_from_arg(name: str) -> Team | None:
    value = request.args.get(name, "")
    if not value.isdigit():
        return None
    return get_scoped_or_404(Team, int(value))


@bp.route("/people/add", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def person_add():
    team = _team_from_arg("team_id")
    support_team = _team_from_arg("support_team_id")
    default_unit = (team or support_team).unit if (team or support_team) else scoped_by_code(Unit, request.args.get("unit"))
    form = PersonForm()
    setup_unit_picker(form, list(UnitKind), default_unit)
    if form.validate_on_submit():
        unit = picked_unit(form, list(UnitKind))
        if unit is not None:
            with service_errors(form) as outcome:
                person = roster.create_person(
                    full_name=form.full_name.data,
                    unit=unit,
                    gender=Gender(form.gender.data),
                    birth_year=form.birth_year.data,
                    birth_date=form.birth_date.data,
                    ethnicity=form.ethnicity.data,
                    phone=form.phone.data,
                    email=form.email.data,
                )
            if outcome.ok:
                flash(f"Đã thêm «{person.full_name}».", "success")
                if team is not None:
                    return redirect(url_for("org.person_recognize", person_id=person.id, team_id=team.id))
                if support_team is not None:
                    return redirect(url_for("org.person_support", person_id=person.id, team_id=support_team.id))
                return redirect(url_for("org.person", person_id=person.id))
    note = None
    if team is not None:
        note = f"Sau khi lưu, bạn sẽ nhập quyết định công nhận hòa giải viên của «{team.name}»."
    elif support_team is not None:
        note = f"Sau khi lưu, bạn sẽ nhập thông tin hỗ trợ pháp lý cho «{support_team.name}»."
    back = team or support_team
    cancel = url_for("org.team", team_id=back.id) if back else url_for("org.people")
    return _person_form_page(form, "Thêm người", cancel, note=note)


@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def person_edit(person_id: int):
    person = get_scoped_or_404(Person, person_id)
    form = PersonForm(obj=person)
    if not form.is_submitted():
        form.gender.data = person.gender.value if person.gender else ""
        if person.birth_date:
            form.birth_year.data = None
    setup_unit_picker(form, list(UnitKind), person.unit)
    if form.validate_on_submit():
        unit = picked_unit(form, list(UnitKind))
        if unit is not None:
            with service_errors(form) as outcome:
                roster.update_person(
                    person,
                    full_name=form.full_name.data,
                    gender=Gender(form.gender.data),
                    birth_year=form.birth_year.data,
                    birth_date=form.birth_date.data,
                    ethnicity=form.ethnicity.data,
                    phone=form.phone.data,
                    email=form.email.data or None,
                    unit_id=unit.id,
                )
            if outcome.ok:
                flash("Đã lưu thay đổi.", "success")
                return redirect(url_for("org.person", person_id=person.id))
    return _person_form_page(form, f"Sửa thông tin: {person.full_name}", url_for("org.person", person_id=person.id), person)


# --------------------------------------------------------------------------- choosing a team


def _commune_of(unit: Unit | None) -> Unit | None:
    node = unit
    while node is not None and node.kind != UnitKind.COMMUNE:
        if node.kind in (UnitKind.PROVINCE, UnitKind.DISTRICT):
            return None
        node = node.parent
    return node


def _setup_team_picker(form, person: Person, preselect: Team | None) -> None:
    """A select of the active teams of the person's commune (in scope), plus a village-code field for any other team."""
    commune = _commune_of(person.unit)
    teams: list[Team] = []
    if commune is not None:
        teams = list(
            db.session.scalars(
                scoped(select(Team), Team)
                .where(Team.unit_id.in_(select(Unit.id).where(subtree(Unit.path, commune.path))), _team_active(clock.today()))
                .options(selectinload(Team.unit))
                .order_by(Team.sort_key, Team.id)
                .limit(PICKER_LIMIT)
            )
        )
    if preselect is not None and all(t.id != preselect.id for t in teams):
        teams.insert(0, preselect)
    form.team_id.choices = [("", "— Chọn —")] + [(str(t.id), f"{t.name} ({t.unit.code})") for t in teams]
    if preselect is not None and not form.is_submitted():
        form.team_id.data = str(preselect.id)
    form.team_id.description = (
        f"Các tổ đang hoạt động của {commune.name}." if commune is not None and teams else "Nhập mã thôn / tổ dân phố ở ô dưới."
    )


def _picked_team(form) -> Team | None:
    if str(form.team_id.data or "").isdigit():
        team = db.session.scalar(scoped(select(Team), Team).where(Team.id == int(form.team_id.data)))
        if team is None:
            form.team_id.errors = [*form.team_id.errors, "Hãy chọn một tổ trong danh sách."]
        return team
    code = (form.unit_code.data or "").strip()
    if not code:
        form.team_id.errors = [*form.team_id.errors, "Hãy chọn tổ hòa giải hoặc nhập mã thôn / tổ dân phố."]
        return None
    unit = scoped_by_code(Unit, code, TEAM_UNIT_KINDS)
    if unit is None:
        form.unit_code.errors = [*form.unit_code.errors, f"Không tìm thấy thôn / tổ dân phố có mã «{code}» trong phạm vi quản lý của bạn."]
        return None
    team = db.session.scalar(
        scoped(select(Team), Team).where(Team.unit_id == unit.id, _team_active(clock.today())).order_by(Team.id).limit(1)
    )
    if team is None:
        form.unit_code.errors = [*form.unit_code.errors, f"«{unit.name}» chưa có tổ hòa giải đang hoạt động; hãy thêm tổ ở trang đơn vị."]
    return team


# --------------------------------------------------------------------------- mediator


@bp.route("/people/<int:person_id>/recognize", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def person_recognize(person_id: int):
    person = get_scoped_or_404(Person, person_id)
    form = RecognizeForm()
    _setup_team_picker(form, person, _team_from_arg("team_id"))
    if form.validate_on_submit():
        team = _picked_team(form)
        if team is not None:
            with service_errors(form, {"team": "team_id"}) as outcome:
                roster.recognize_mediator(
                    person=person, team=team, recognized_on=form.recognized_on.data, decision_no=form.decision_no.data, is_leader=form.is_leader.data
                )
            if outcome.ok:
                flash(f"Đã ghi nhận «{person.full_name}» là hòa giải viên của «{team.name}».", "success")
                return redirect(url_for("org.person", person_id=person.id))
    return _person_form_page(form, f"Công nhận hòa giải viên: {person.full_name}", url_for("org.person", person_id=person.id), person)


@bp.route("/memberships/<int:membership_id>/edit", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def membership_edit(membership_id: int):
    m = get_scoped_or_404(MediatorMembership, membership_id)
    form = MembershipForm(obj=m)
    if form.validate_on_submit():
        with service_errors(form, {"left_on": "recognized_on"}) as outcome:
            roster.update_membership(m, decision_no=form.decision_no.data or None, recognized_on=form.recognized_on.data, is_leader=form.is_leader.data)
        if outcome.ok:
            flash("Đã lưu quyết định công nhận.", "success")
            return redirect(url_for("org.person", person_id=m.person_id))
    return _person_form_page(
        form, f"Sửa quyết định công nhận: {m.person.full_name} – {m.team.name}", url_for("org.person", person_id=m.person_id), m.person
    )


@bp.route("/memberships/<int:membership_id>/end", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def membership_end(membership_id: int):
    m = get_scoped_or_404(MediatorMembership, membership_id)
    if m.left_on is not None:
        flash(f"Người này đã thôi làm hòa giải viên của tổ từ ngày {fmt.date(m.left_on)}.", "info")
        return redirect(url_for("org.person", person_id=m.person_id))
    form = MembershipEndForm()
    if not form.is_submitted():
        form.left_on.data = clock.today()
    if form.validate_on_submit():
        with service_errors(form) as outcome:
            roster.end_membership(
                m, left_on=form.left_on.data, reason=LeaveReason(form.reason.data), decision_no=form.decision_no.data, note=form.note.data
            )
        if outcome.ok:
            flash(f"Đã ghi nhận «{m.person.full_name}» thôi làm hòa giải viên của «{m.team.name}».", "success")
            return redirect(url_for("org.person", person_id=m.person_id))
    return render_template(
        "org/confirm.html",
        form=form,
        title=f"Thôi làm hòa giải viên: {m.person.full_name}",
        submit="Ghi nhận thôi làm hòa giải viên",
        facts=[f"Tổ: {m.team.name} ({m.team.unit.name})", f"Công nhận ngày {fmt.date(m.recognized_on)}" + (f", quyết định số {m.decision_no}" if m.decision_no else "")],
        cancel=url_for("org.person", person_id=m.person_id),
    )


# --------------------------------------------------------------------------- trainer


@bp.route("/people/<int:person_id>/appoint", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def person_appoint(person_id: int):
    person = get_scoped_or_404(Person, person_id)
    form = AppointForm()
    default = person.unit if person.unit.kind in TRAINER_UNIT_KINDS else None
    setup_unit_picker(form, TRAINER_UNIT_KINDS, default)
    if not form.is_submitted() and default is not None:
        form.level.data = TrainerLevel.PROVINCE.value if default.kind == UnitKind.PROVINCE else TrainerLevel.DISTRICT.value
    if form.validate_on_submit():
        unit = picked_unit(form, TRAINER_UNIT_KINDS)
        if unit is not None:
            with service_errors(form, {"unit": "unit_id" if form.unit_id is not None else "unit_code"}) as outcome:
                roster.appoint_trainer(
                    person=person,
                    level=TrainerLevel(form.level.data),
                    unit=unit,
                    started_on=form.started_on.data,
                    ended_on=form.ended_on.data,
                    background=Background(form.background.data) if form.background.data else None,
                )
            if outcome.ok:
                flash(f"Đã ghi nhận «{person.full_name}» là tập huấn viên.", "success")
                return redirect(url_for("org.person", person_id=person.id))
    note = None
    if form.unit_id is not None and len(form.unit_id.choices) <= 1:
        note = "Phạm vi quản lý của bạn không có đơn vị cấp tỉnh hoặc huyện; tập huấn viên do Sở Tư pháp hoặc cấp huyện ghi nhận."
    return _person_form_page(form, f"Ghi nhận tập huấn viên: {person.full_name}", url_for("org.person", person_id=person.id), person, note)


@bp.route("/appointments/<int:appointment_id>/end", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def appointment_end(appointment_id: int):
    a = get_scoped_or_404(TrainerAppointment, appointment_id)
    if a.ended_on is not None and a.ended_on < clock.today():
        flash(f"Việc làm tập huấn viên này đã kết thúc ngày {fmt.date(a.ended_on)}.", "info")
        return redirect(url_for("org.person", person_id=a.person_id))
    form = EndDateForm()
    if not form.is_submitted():
        form.ended_on.data = a.ended_on or clock.today()
    if form.validate_on_submit():
        with service_errors(form) as outcome:
            roster.end_appointment(a, form.ended_on.data)
        if outcome.ok:
            flash("Đã ghi nhận kết thúc làm tập huấn viên.", "success")
            return redirect(url_for("org.person", person_id=a.person_id))
    return render_template(
        "org/confirm.html",
        form=form,
        title=f"Kết thúc làm tập huấn viên: {a.person.full_name}",
        submit="Kết thúc",
        facts=[f"Tập huấn viên {a.level.title.lower()} – {a.unit.name}", f"Từ ngày {fmt.date(a.started_on)}"],
        cancel=url_for("org.person", person_id=a.person_id),
    )


# --------------------------------------------------------------------------- legal supporter


@bp.route("/people/<int:person_id>/supports/add", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def person_support(person_id: int):
    person = get_scoped_or_404(Person, person_id)
    form = SupportForm()
    _setup_team_picker(form, person, _team_from_arg("team_id"))
    if form.validate_on_submit():
        team = _picked_team(form)
        if team is not None:
            with service_errors(form, {"team": "team_id"}) as outcome:
                roster.add_legal_support(
                    person=person, team=team, from_on=form.from_on.data, to_on=form.to_on.data, background=Background(form.background.data)
                )
            if outcome.ok:
                flash(f"Đã ghi nhận «{person.full_name}» hỗ trợ pháp lý cho «{team.name}».", "success")
                return redirect(url_for("org.person", person_id=person.id))
    return _person_form_page(form, f"Ghi nhận người hỗ trợ pháp lý: {person.full_name}", url_for("org.person", person_id=person.id), person)


@bp.route("/supports/<int:support_id>/end", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def support_end(support_id: int):
    s = get_scoped_or_404(LegalSupport, support_id)
    if s.to_on is not None and s.to_on < clock.today():
        flash(f"Việc hỗ trợ này đã kết thúc ngày {fmt.date(s.to_on)}.", "info")
        return redirect(url_for("org.person", person_id=s.person_id))
    form = EndDateForm()
    if not form.is_submitted():
        form.ended_on.data = s.to_on or clock.today()
    if form.validate_on_submit():
        with service_errors(form, {"to_on": "ended_on"}) as outcome:
            roster.end_legal_support(s, form.ended_on.data)
        if outcome.ok:
            flash("Đã ghi nhận kết thúc hỗ trợ pháp lý.", "success")
            return redirect(url_for("org.person", person_id=s.person_id))
    return render_template(
        "org/confirm.html",
        form=form,
        title=f"Kết thúc hỗ trợ pháp lý: {s.person.full_name}",
        submit="Kết thúc",
        facts=[f"Tổ: {s.team.name} ({s.team.unit.name})", f"Từ ngày {fmt.date(s.from_on)}"],
        cancel=url_for("org.person", person_id=s.person_id),
    )

