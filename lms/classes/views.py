"""Classes (lớp tập huấn / bồi dưỡng): list, create, sessions, enrollment, attendance, QR check-in, results, closing.

Routes register on the ``classes`` blueprint (URLs under ``/learn``, where they have always been). The rules
live in :mod:`lms.classes.services`; these views parse, check scope, call it, commit and render.

Who may: trainers and officers manage the classes whose organizing unit lies in their scope
(``get_scoped_or_404(TrainingClass, id)``); a learner sees their own classes ("Lớp của tôi"),
downloads their calendar and checks in by QR.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import segno
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ..core import clock
from ..core import format as fmt
from ..core.access import get_scoped_or_404, login_required, roles_required, scope_condition, scoped
from ..core.nav import register_nav
from ..core.pagination import paginate
from ..core.roles import STAFF, Role
from ..core.text import nfc
from ..core.web import scoped_by_code, service_errors
from ..curriculum.models import Program
from ..curriculum.services import current_program
from ..extensions import db
from ..learning.models import Enrollment, EnrollmentStatus
from ..org.models import MediatorMembership, Person, Team, TrainerAppointment, Unit, UnitKind
from ..org.services.roster import search_condition
from ..org.views.units import picked_unit, setup_unit_picker
from . import services as classes
from .forms import ClassForm, FinishForm, SessionForm, SessionRemoveForm, WithdrawForm
from .models import Assessment, AttendanceStatus, ClassEnrollment, ClassSession, ClassStatus, TrainingClass

bp = Blueprint("classes", __name__, url_prefix="/learn", template_folder="templates")

register_nav("Lớp học", "classes.classes", STAFF, order=25, match=("classes.class", "classes.session", "classes.attendance"))
register_nav("Lớp của tôi", "classes.my_classes", (Role.MEDIATOR, Role.TRAINER), order=6, match=("classes.my_classes",))

#: Units that may organize a class (not a village).
ORGANIZER_KINDS = (UnitKind.PROVINCE, UnitKind.DISTRICT, UnitKind.COMMUNE)
#: Units whose people may be enrolled all at once ("ghi danh cả xã").
WHOLE_UNIT_KINDS = (UnitKind.DISTRICT, UnitKind.COMMUNE, UnitKind.VILLAGE)
TZID = "Asia/Ho_Chi_Minh"


# --------------------------------------------------------------------------- helpers


def _class_or_404(class_id: int) -> TrainingClass:
    return get_scoped_or_404(TrainingClass, class_id)


def _session_or_404(session_id: int) -> tuple[ClassSession, TrainingClass]:
    session = db.session.get(ClassSession, session_id)
    if session is None:
        abort(404)
    return session, get_scoped_or_404(TrainingClass, session.class_id)


def _current_programs() -> list[Program]:
    return list(db.session.scalars(select(Program).where(Program.is_current.is_(True)).order_by(Program.code)))


def _program_title(code: str) -> str:
    program = current_program(code)
    return program.title if program is not None else code


def _prefilled_people() -> list[Person]:
    """People named by ``?person_id=`` (repeatable), each in scope (else 404)."""
    out, seen = [], set()
    for raw in request.args.getlist("person_id"):
        try:
            pid = int(raw)
        except ValueError:
            abort(404)
        if pid not in seen:
            seen.add(pid)
            out.append(get_scoped_or_404(Person, pid))
    return sorted(out, key=lambda p: (p.sort_key, p.id))


def _trainer_choices(klass: TrainingClass | None = None) -> dict[int, Person]:
    """People with an active trainer appointment in scope, the user (if a trainer), and the class's current trainers."""
    day = clock.today()
    stmt = (
        scoped(select(TrainerAppointment), TrainerAppointment)
        .where(TrainerAppointment.active_clause(day))
        .options(selectinload(TrainerAppointment.person))
        .limit(1000)
    )
    people = {a.person_id: a.person for a in db.session.scalars(stmt)}
    if current_user.role == Role.TRAINER and current_user.person is not None:
        people.setdefault(current_user.person_id, current_user.person)
    if klass is not None:
        for p in klass.trainers:
            people.setdefault(p.id, p)
    return dict(sorted(people.items(), key=lambda kv: (kv[1].sort_key, kv[0])))


def _setup_class_form(form: ClassForm, klass: TrainingClass | None, trainers: dict[int, Person]) -> None:
    if getattr(form, "program_code", None) is not None:
        form.program_code.choices = [("", "— Chọn —")] + [(p.code, f"{p.title} ({p.code})") for p in _current_programs()]
    current = klass.unit if klass is not None else (current_user.unit if current_user.unit.kind in ORGANIZER_KINDS else None)
    setup_unit_picker(form, ORGANIZER_KINDS, current=current)
    form.trainer_ids.choices = [(pid, p.full_name) for pid, p in trainers.items()]
    if not form.is_submitted():
        if klass is not None:
            form.trainer_ids.data = [p.id for p in klass.trainers]
        elif current_user.role == Role.TRAINER and current_user.person_id in trainers:
            form.trainer_ids.data = [current_user.person_id]


def _class_fields(form: ClassForm, unit: Unit) -> dict:
    return {
        "title": form.title.data,
        "unit": unit,
        "mode": form.mode.data,
        "venue": nfc(form.venue.data),
        "starts_on": form.starts_on.data,
        "ends_on": form.ends_on.data,
        "capacity": form.capacity.data,
        "min_attendance": form.min_attendance.data if form.min_attendance.data is not None else 80,
        "assessment": form.assessment.data,
        "pass_score": form.pass_score.data if form.pass_score.data is not None else 50,
    }


def _roster(klass: TrainingClass, include_withdrawn: bool = True) -> list[ClassEnrollment]:
    stmt = (
        scoped(select(ClassEnrollment), ClassEnrollment)
        .join(Person, Person.id == ClassEnrollment.person_id)
        .where(ClassEnrollment.class_id == klass.id)
        .options(selectinload(ClassEnrollment.person).selectinload(Person.unit))
        .order_by(Person.sort_key, Person.id)
    )
    if not include_withdrawn:
        stmt = stmt.where(ClassEnrollment.status != ClassEnrollment.WITHDRAWN)
    return list(db.session.scalars(stmt))


def _row_infos(klass: TrainingClass, rows: list[ClassEnrollment]) -> list[dict]:
    found = classes.outcomes(klass, rows)
    total = len(klass.sessions)
    out = []
    for r in rows:
        attended, reasons = found[r.id]
        out.append({"row": r, "attended": attended, "share": (100 * attended) // total if total else 0, "reasons": reasons})
    return out


def _outcome(klass: TrainingClass) -> tuple[list[dict], list[dict]]:
    infos = _row_infos(klass, _roster(klass))
    done = [i for i in infos if i["row"].status == ClassEnrollment.COMPLETED]
    return done, [i for i in infos if i["row"].status != ClassEnrollment.COMPLETED]


def _checkin_url(session: ClassSession) -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/") + url_for("classes.checkin", code=session.checkin_code)


def _refuse_if_finished(klass: TrainingClass, what: str):
    if klass.status == ClassStatus.FINISHED:
        flash(f"Lớp đã kết thúc, không thể {what}.", "warning")
        return redirect(url_for("classes.class_detail", class_id=klass.id))
    return None


# --------------------------------------------------------------------------- the list



@bp.route("/classes", endpoint="classes")
@roles_required(*STAFF)
def class_list():
    program = request.args.get("program", "").strip()
    status = request.args.get("status", "").strip()
    year = request.args.get("year", type=int)
    unit_code = request.args.get("unit", "").strip()
    stmt = scoped(select(TrainingClass), TrainingClass).options(selectinload(TrainingClass.unit))
    if program:
        stmt = stmt.where(TrainingClass.program_code == program)
    if status in {s.value for s in ClassStatus}:
        stmt = stmt.where(TrainingClass.status == status)
    else:
        status = ""
    if year and 2000 <= year <= 2100:
        stmt = stmt.where(TrainingClass.starts_on <= dt.date(year, 12, 31), TrainingClass.ends_on >= dt.date(year, 1, 1))
    else:
        year = None
    unit = None
    if unit_code:
        unit = scoped_by_code(Unit, unit_code)
        if unit is None:
            flash(f"Không tìm thấy đơn vị có mã «{unit_code}» trong phạm vi quản lý của bạn.", "warning")
        else:
            stmt = stmt.where(TrainingClass.scope_clause(unit.path))
    page = paginate(stmt.order_by(TrainingClass.starts_on.desc(), TrainingClass.id.desc()))
    ids = [k.id for k in page.items]
    counts = dict(db.session.execute(
        select(ClassEnrollment.class_id, func.count())
        .where(ClassEnrollment.class_id.in_(ids), ClassEnrollment.status != ClassEnrollment.WITHDRAWN)
        .group_by(ClassEnrollment.class_id)
    ).all()) if ids else {}
    titles = {p.code: p.title for p in _current_programs()}
    return render_template(
        "classes/classes.html", page=page, counts=counts, programs=titles, program=program, status=status, year=year,
        unit_code=unit_code, statuses=ClassStatus.choices(),
    )


# --------------------------------------------------------------------------- creating and changing


@bp.route("/classes/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def class_new():
    people = _prefilled_people()
    trainers = _trainer_choices()
    form = ClassForm()
    _setup_class_form(form, None, trainers)
    if not form.is_submitted():
        if request.args.get("program") in {c for c, _ in form.program_code.choices if c}:
            form.program_code.data = request.args["program"]
        form.starts_on.data = form.starts_on.data or clock.today()
        form.ends_on.data = form.ends_on.data or clock.today()
        if people and form.capacity.data is not None and form.capacity.data < len(people):
            form.capacity.data = len(people)
    if form.validate_on_submit():
        unit = picked_unit(form, ORGANIZER_KINDS)
        if unit is not None:
            with service_errors(form, {"unit": "unit_id" if getattr(form, "unit_id", None) is not None else "unit_code", "capacity": "capacity"}) as outcome:
                fields = _class_fields(form, unit)
                klass = classes.create_class(
                    program_code=form.program_code.data, trainers=[trainers[i] for i in form.trainer_ids.data or []], by=current_user, **fields,
                )
                added = classes.enroll(klass, people, by=current_user) if people else []
            if outcome.ok:
                message = f"Đã tạo lớp «{klass.title}»."
                if added:
                    message += f" Đã ghi danh {len(added)} người."
                flash(message, "success")
                return redirect(url_for("classes.class_detail", class_id=klass.id))
    return render_template("classes/class_form.html", form=form, klass=None, people=people, title="Tạo lớp tập huấn / bồi dưỡng",
                           cancel=url_for("classes.classes"))


@bp.route("/classes/<int:class_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
def class_edit(class_id: int):
    klass = _class_or_404(class_id)
    refused = _refuse_if_finished(klass, "sửa thông tin lớp")
    if refused is not None:
        return refused
    trainers = _trainer_choices(klass)
    form = ClassForm(obj=klass) if request.method == "GET" else ClassForm()
    del form.program_code
    _setup_class_form(form, klass, trainers)
    if form.validate_on_submit():
        unit = picked_unit(form, ORGANIZER_KINDS)
        fields = _class_fields(form, unit) if unit is not None else None
        outside = [s for s in klass.sessions if fields and not fields["starts_on"] <= s.on <= fields["ends_on"]]
        if outside:
            form.ends_on.errors = [*form.ends_on.errors, f"Có buổi học ngày {fmt.date(outside[0].on)} nằm ngoài thời gian mới của lớp."]
        elif unit is not None:
            with service_errors(form, {"unit": "unit_id" if getattr(form, "unit_id", None) is not None else "unit_code"}) as outcome:
                classes.update_class(klass, trainers=[trainers[i] for i in form.trainer_ids.data or []], **fields)
            if outcome.ok:
                flash("Đã lưu thông tin lớp.", "success")
                return redirect(url_for("classes.class_detail", class_id=klass.id))
    return render_template("classes/class_form.html", form=form, klass=klass, people=[], title=f"Sửa lớp: {klass.title}",
                           cancel=url_for("classes.class_detail", class_id=klass.id))


@bp.route("/classes/<int:class_id>/open", methods=["POST"])
@roles_required(*STAFF)
def class_open(class_id: int):
    klass = _class_or_404(class_id)
    if klass.status != ClassStatus.PLANNED:
        flash("Chỉ mở được lớp đang ở trạng thái dự kiến.", "warning")
    else:
        classes.update_class(klass, status=ClassStatus.OPEN.value)
        flash(f"Lớp «{klass.title}» đã chuyển sang trạng thái «{ClassStatus.OPEN.title}».", "success")
    return redirect(url_for("classes.class_detail", class_id=klass.id))


# --------------------------------------------------------------------------- the class page and its sessions


def _detail_page(klass: TrainingClass, session_form: SessionForm | None = None, status: int = 200):
    if session_form is None:
        session_form = SessionForm()
        if klass.starts_on <= clock.today() <= klass.ends_on:
            session_form.on.data = clock.today()
        else:
            session_form.on.data = klass.starts_on
    infos = _row_infos(klass, _roster(klass))
    now = clock.now_local()
    return render_template(
        "classes/class_detail.html", klass=klass, program_title=_program_title(klass.program_code), infos=infos,
        active=[i for i in infos if i["row"].status != ClassEnrollment.WITHDRAWN],
        withdrawn=[i for i in infos if i["row"].status == ClassEnrollment.WITHDRAWN],
        session_form=session_form, open_now={s.id for s in klass.sessions if classes.session_open(s, now)},
        finished=klass.status == ClassStatus.FINISHED, assessment=Assessment,
    ), status


@bp.route("/classes/<int:class_id>")
@roles_required(*STAFF)
def class_detail(class_id: int):
    return _detail_page(_class_or_404(class_id))


@bp.route("/classes/<int:class_id>/sessions", methods=["POST"])
@roles_required(*STAFF)
def session_add(class_id: int):
    klass = _class_or_404(class_id)
    refused = _refuse_if_finished(klass, "thêm buổi học")
    if refused is not None:
        return refused
    form = SessionForm()
    if form.validate_on_submit():
        with service_errors(form) as outcome:
            session = classes.add_session(klass, form.on.data, form.starts_at.data, form.ends_at.data, nfc(form.topic.data))
        if outcome.ok:
            flash(f"Đã thêm buổi học ngày {fmt.date(session.on)}, {fmt.time(session.starts_at)}–{fmt.time(session.ends_at)}.", "success")
            return redirect(url_for("classes.class_detail", class_id=klass.id) + "#buoi-hoc")
    flash("Chưa thêm được buổi học: hãy sửa các ô được đánh dấu.", "danger")
    return _detail_page(klass, form, 400)


@bp.route("/sessions/<int:session_id>/remove", methods=["GET", "POST"])
@roles_required(*STAFF)
def session_remove(session_id: int):
    session, klass = _session_or_404(session_id)
    form = SessionRemoveForm()
    if form.validate_on_submit():
        with service_errors() as outcome:
            classes.remove_session(session)
        if outcome.ok:
            flash("Đã xóa buổi học.", "success")
        return redirect(url_for("classes.class_detail", class_id=klass.id))
    return render_template("classes/session_remove.html", form=form, session=session, klass=klass)


# --------------------------------------------------------------------------- enrollment


def _enroll_filters(klass: TrainingClass):
    """The filter values of the enroll page: (unit, team, q, pending)."""
    unit = None
    code = request.args.get("unit", "").strip()
    if code:
        unit = scoped_by_code(Unit, code)
        if unit is None or not classes.organizes(klass, unit):
            flash(f"Không tìm thấy đơn vị có mã «{code}» thuộc {klass.unit.name} trong phạm vi quản lý của bạn.", "warning")
            unit = None
    team = None
    team_id = request.args.get("team", type=int)
    if team_id:
        team = db.session.scalar(scoped(select(Team), Team).where(Team.id == team_id))
    return unit, team, request.args.get("q", "").strip(), request.args.get("pending") == "1"


def _candidates(klass: TrainingClass, unit: Unit | None, team: Team | None, q: str, pending: bool):
    stmt = scoped(select(Person), Person).where(Person.id.in_(classes.eligible_ids(klass.program_code, unit or klass.unit)))
    if team is not None:
        day = clock.today()
        stmt = stmt.where(Person.id.in_(select(MediatorMembership.person_id).where(
            MediatorMembership.team_id == team.id,
            MediatorMembership.active_clause(day),
        )))
    if q:
        stmt = stmt.where(search_condition(q))
    if pending:
        stmt = stmt.where(Person.id.not_in(select(Enrollment.person_id).where(
            Enrollment.program_code == klass.program_code, Enrollment.status == EnrollmentStatus.COMPLETED.value,
        )))
    return stmt


@bp.route("/classes/<int:class_id>/enroll", methods=["GET", "POST"])
@roles_required(*STAFF)
def class_enroll(class_id: int):
    klass = _class_or_404(class_id)
    back = url_for("classes.class_enroll", class_id=klass.id, **request.args.to_dict())
    if request.method == "POST":
        refused = _refuse_if_finished(klass, "ghi danh thêm")
        if refused is not None:
            return refused
        if request.form.get("mode") == "unit":
            unit = scoped_by_code(Unit, request.form.get("unit", ""))
            if unit is None or not classes.organizes(klass, unit):
                flash("Không tìm thấy đơn vị trong phạm vi quản lý của bạn và thuộc đơn vị tổ chức lớp.", "danger")
                return redirect(back)
            stmt = scoped(select(Person), Person).where(Person.id.in_(classes.eligible_ids(klass.program_code, unit)))
            people = list(db.session.scalars(stmt.order_by(Person.sort_key, Person.id)))
        else:
            people = []
            for raw in dict.fromkeys(request.form.getlist("person_id")):
                try:
                    people.append(get_scoped_or_404(Person, int(raw)))
                except ValueError:
                    abort(404)
        if not people:
            flash("Chưa chọn người nào để ghi danh.", "warning")
            return redirect(back)
        with service_errors(flash_as="{} Chưa ghi danh ai.") as outcome:
            added = classes.enroll(klass, people, by=current_user)
        if not outcome.ok:
            return redirect(back)
        skipped = len(people) - len(added)
        message = f"Đã ghi danh {len(added)} người vào lớp."
        if skipped:
            message += f" {skipped} người đã có trong danh sách lớp."
        flash(message, "success")
        return redirect(back)
    unit, team, q, pending = _enroll_filters(klass)
    page = paginate(_candidates(klass, unit, team, q, pending).options(selectinload(Person.unit)).order_by(Person.sort_key, Person.id))
    enrolled = set(db.session.scalars(select(ClassEnrollment.person_id).where(
        ClassEnrollment.class_id == klass.id, ClassEnrollment.status != ClassEnrollment.WITHDRAWN,
    )))
    teams = []
    if unit is not None:
        teams = list(db.session.scalars(
            scoped(select(Team), Team).where(Team.scope_clause(unit.path), Team.dissolved_on.is_(None)).order_by(Team.sort_key, Team.id).limit(300)
        ))
    whole = None
    if unit is not None and unit.kind in WHOLE_UNIT_KINDS and not team and not q:
        count_stmt = scoped(select(func.count(Person.id)), Person).where(Person.id.in_(classes.eligible_ids(klass.program_code, unit)))
        whole = db.session.scalar(count_stmt)
    program = current_program(klass.program_code)
    return render_template(
        "classes/class_enroll.html", klass=klass, page=page, enrolled=enrolled, unit=unit, team=team, teams=teams, q=q, pending=pending,
        whole=whole, taken=classes.active_count(klass), program=program, finished=klass.status == ClassStatus.FINISHED,
    )


@bp.route("/classes/<int:class_id>/withdraw", methods=["GET", "POST"])
@roles_required(*STAFF)
def class_withdraw(class_id: int):
    klass = _class_or_404(class_id)
    pid = request.args.get("person_id", type=int) or request.form.get("person_id", type=int)
    if not pid:
        flash("Hãy chọn học viên cần rút khỏi lớp trong danh sách lớp.", "info")
        return redirect(url_for("classes.class_detail", class_id=klass.id))
    person = get_scoped_or_404(Person, pid)
    row = db.session.scalar(
        scoped(select(ClassEnrollment), ClassEnrollment).where(ClassEnrollment.class_id == klass.id, ClassEnrollment.person_id == person.id)
    )
    if row is None or row.status == ClassEnrollment.WITHDRAWN:
        abort(404)
    form = WithdrawForm()
    if form.validate_on_submit():
        with service_errors(form) as outcome:
            classes.withdraw(row, form.reason.data)
        if outcome.ok:
            flash(f"Đã rút {person.full_name} khỏi lớp.", "success")
            return redirect(url_for("classes.class_detail", class_id=klass.id))
    return render_template("classes/class_withdraw.html", form=form, klass=klass, person=person)


# --------------------------------------------------------------------------- a learner's classes and calendar


@bp.route("/my-classes")
@login_required
def my_classes():
    person = current_user.person
    if person is None:
        return render_template("classes/my_classes.html", person=None, page=None, rows={})
    stmt = (
        select(TrainingClass)
        .where(TrainingClass.owner_clause(person.id))
        .options(selectinload(TrainingClass.sessions), selectinload(TrainingClass.trainers), selectinload(TrainingClass.unit))
        .order_by(TrainingClass.starts_on.desc(), TrainingClass.id.desc())
    )
    page = paginate(stmt)
    ids = [k.id for k in page.items]
    rows = {r.class_id: r for r in db.session.scalars(
        select(ClassEnrollment).where(ClassEnrollment.owner_clause(person.id), ClassEnrollment.class_id.in_(ids))
    )} if ids else {}
    titles = {p.code: p.title for p in _current_programs()}
    return render_template("classes/my_classes.html", person=person, page=page, rows=rows, programs=titles, today=clock.today())


def _ics_escape(value: str | None) -> str:
    value = (value or "").replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _ics_fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545, 3.1), never inside a UTF-8 character."""
    out, current, size = [], "", 0
    for ch in line:
        n = len(ch.encode("utf-8"))
        limit = 75 if not out else 74  # a continuation line starts with one space
        if size + n > limit:
            out.append(current)
            current, size = "", 0
        current += ch
        size += n
    out.append(current)
    return "\r\n ".join(out)


def ics_calendar(klass: TrainingClass, host: str) -> str:
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    program_title = _program_title(klass.program_code)
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Hoa giai LMS//Lop tap huan//VI", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_ics_escape(klass.title)}", f"X-WR-TIMEZONE:{TZID}",
        "BEGIN:VTIMEZONE", f"TZID:{TZID}", "BEGIN:STANDARD", "DTSTART:19700101T000000", "TZOFFSETFROM:+0700", "TZOFFSETTO:+0700",
        "TZNAME:ICT", "END:STANDARD", "END:VTIMEZONE",
    ]
    for n, s in enumerate(klass.sessions, start=1):
        summary = f"{klass.title} – buổi {n}" + (f": {s.topic}" if s.topic else "")
        description = f"Chương trình: {program_title}\nHình thức: {klass.mode_title}\nĐơn vị tổ chức: {klass.unit.name}"
        lines += [
            "BEGIN:VEVENT",
            f"UID:lms-class-{klass.id}-session-{s.id}@{host}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;TZID={TZID}:{s.starts:%Y%m%dT%H%M%S}",
            f"DTEND;TZID={TZID}:{s.ends:%Y%m%dT%H%M%S}",
            f"SUMMARY:{_ics_escape(summary)}",
        ]
        if klass.venue:
            lines.append(f"LOCATION:{_ics_escape(klass.venue)}")
        lines += [f"DESCRIPTION:{_ics_escape(description)}", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(_ics_fold(line) + "\r\n" for line in lines)


@bp.route("/classes/<int:class_id>.ics")
@login_required
def class_ics(class_id: int):
    """The class's sessions as an iCalendar file: for staff in scope and for the people enrolled."""
    klass = db.session.scalar(select(TrainingClass).where(
        TrainingClass.id == class_id, or_(scope_condition(TrainingClass), TrainingClass.owner_clause(current_user.person_id)),
    ))
    if klass is None:
        abort(404)
    host = urlsplit(current_app.config["PUBLIC_URL"]).hostname or "hoagiai-lms"
    body = ics_calendar(klass, host)
    return Response(body, mimetype="text/calendar", headers={"Content-Disposition": f'attachment; filename="lop-{klass.id}.ics"'})


# --------------------------------------------------------------------------- attendance


@bp.route("/sessions/<int:session_id>/attendance", methods=["GET", "POST"])
@roles_required(*STAFF)
def attendance(session_id: int):
    session, klass = _session_or_404(session_id)
    rows = _roster(klass, include_withdrawn=False)
    marks = {a.person_id: a for a in session.attendance}
    if request.method == "POST":
        chosen, bad = {}, []
        for r in rows:
            value = request.form.get(f"s{r.person_id}", "")
            if value in AttendanceStatus.TITLES:
                chosen[r.person_id] = value
            elif value:
                bad.append(r.person.full_name)
        if bad:
            flash(f"Trạng thái điểm danh không hợp lệ ({', '.join(bad)}); chưa lưu gì.", "danger")
            return render_template("classes/session_attendance.html", session=session, klass=klass, rows=rows, marks=marks,
                                   chosen=request.form, titles=AttendanceStatus.TITLES), 400
        before = {r.id: r.status for r in rows}
        saved = 0
        classes.lock_roster(klass)
        with service_errors(flash_as="{} Chưa lưu gì.") as outcome:
            for r in rows:
                value = chosen.get(r.person_id)
                if value is None or (r.person_id in marks and marks[r.person_id].status == value):
                    continue
                classes.mark(session, r.person_id, value, via="grid")
                saved += 1
        if not outcome.ok:
            return redirect(url_for("classes.attendance", session_id=session.id))
        completed = [r for r in rows if before[r.id] != ClassEnrollment.COMPLETED and r.status == ClassEnrollment.COMPLETED]
        message = f"Đã lưu điểm danh ({saved} thay đổi)."
        if completed:
            message += f" {len(completed)} người vừa hoàn thành lớp: " + ", ".join(r.person.full_name for r in completed) + "."
        flash(message, "success")
        return redirect(url_for("classes.attendance", session_id=session.id))
    return render_template("classes/session_attendance.html", session=session, klass=klass, rows=rows, marks=marks, chosen={},
                           titles=AttendanceStatus.TITLES)


@bp.route("/sessions/<int:session_id>/qr")
@roles_required(*STAFF)
def session_qr(session_id: int):
    session, klass = _session_or_404(session_id)
    url = _checkin_url(session)
    svg = segno.make(url, error="m").svg_inline(scale=8, omitsize=True)
    return render_template("classes/session_qr.html", session=session, klass=klass, url=url, svg=svg,
                           is_open=classes.session_open(session), early=int(classes.CHECKIN_EARLY.total_seconds() // 60))


@bp.route("/checkin/<code>", methods=["GET", "POST"])
@login_required
def checkin(code: str):
    session = db.session.scalar(select(ClassSession).where(ClassSession.checkin_code == code))
    if session is None:
        abort(404)
    klass = session.klass
    if request.method == "POST":
        with service_errors(flash_as=None) as outcome:
            row = classes.checkin(code, current_user.person)
        if not outcome.ok:
            return render_template("classes/checkin.html", session=session, klass=klass, error=outcome.error.message, done=None), 400
        return render_template("classes/checkin.html", session=session, klass=klass, error=None, done=row)
    return render_template("classes/checkin.html", session=session, klass=klass, error=None, done=None)


# --------------------------------------------------------------------------- results and closing


def _parse_results(klass: TrainingClass, rows: list[ClassEnrollment]) -> tuple[dict[int, tuple], dict[int, str]]:
    """``({row id: (score, passed)}, {row id: error})`` from the results form; only editable rows."""
    values, errors = {}, {}
    for r in rows:
        if r.status != ClassEnrollment.ENROLLED:
            continue
        if klass.assessment == Assessment.SCORE:
            raw = (request.form.get(f"score-{r.id}") or "").strip().replace(",", ".")
            if not raw:
                values[r.id] = (None, None)
                continue
            try:
                number = float(raw)
            except ValueError:
                errors[r.id] = f"«{raw}» không phải là số."
                continue
            if not number.is_integer() or not 0 <= number <= 100:
                errors[r.id] = "Điểm phải là số nguyên từ 0 đến 100."
                continue
            values[r.id] = (int(number), None)
        else:
            raw = request.form.get(f"passed-{r.id}", "")
            values[r.id] = (None, {"1": True, "0": False}.get(raw))
    return values, errors


@bp.route("/classes/<int:class_id>/results", methods=["GET", "POST"])
@roles_required(*STAFF)
def class_results(class_id: int):
    klass = _class_or_404(class_id)
    rows = _roster(klass, include_withdrawn=False)
    errors: dict[int, str] = {}
    if request.method == "POST" and klass.assessment != Assessment.ONLINE:
        values, errors = _parse_results(klass, rows)
        if errors:
            flash("Chưa lưu: có điểm không hợp lệ (xem các ô được đánh dấu).", "danger")
        else:
            before = {r.id: r.status for r in rows}
            classes.lock_roster(klass)
            with service_errors(flash_as="{} Chưa lưu gì.") as outcome:
                for r in rows:
                    if r.id not in values:
                        continue
                    score, passed = values[r.id]
                    if klass.assessment == Assessment.SCORE and score == r.score:
                        continue
                    if klass.assessment == Assessment.PASS_FAIL and passed == r.passed:
                        continue
                    classes.record_result(r, score=score, passed=passed)
            if not outcome.ok:
                return redirect(url_for("classes.class_results", class_id=klass.id))
            completed = [r for r in rows if before[r.id] != ClassEnrollment.COMPLETED and r.status == ClassEnrollment.COMPLETED]
            message = "Đã lưu kết quả."
            if completed:
                message += f" {len(completed)} người vừa hoàn thành lớp: " + ", ".join(r.person.full_name for r in completed) + "."
            flash(message, "success")
            return redirect(url_for("classes.class_results", class_id=klass.id))
    infos = _row_infos(klass, rows)
    return render_template("classes/class_results.html", klass=klass, infos=infos, errors=errors, form_values=request.form,
                           assessment=Assessment), (400 if errors else 200)


@bp.route("/classes/<int:class_id>/finish", methods=["GET", "POST"])
@roles_required(*STAFF)
def class_finish(class_id: int):
    klass = _class_or_404(class_id)
    form = FinishForm()
    if klass.status != ClassStatus.FINISHED and form.validate_on_submit():
        classes.finish(klass)
        flash(f"Đã kết thúc lớp «{klass.title}».", "success")
        return redirect(url_for("classes.class_finish", class_id=klass.id))
    if request.method == "POST" and klass.status == ClassStatus.FINISHED:
        return redirect(url_for("classes.class_finish", class_id=klass.id))
    done, not_done = _outcome(klass)
    return render_template("classes/class_finish.html", klass=klass, form=form, done=done, not_done=not_done,
                           program_title=_program_title(klass.program_code), finished=klass.status == ClassStatus.FINISHED)


def init_app(app) -> None:
    app.register_blueprint(bp)
