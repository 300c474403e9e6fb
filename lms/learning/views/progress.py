"""Officers' and trainers' views of learning progress, printed materials, and a module as one PDF.

Routes register on the ``learn`` blueprint (:mod:`lms.learning.views`).

Progress counts are aggregate SQL over one "learners" query (a row per person in the
chosen unit's subtree who belongs to the program's audience or has an enrollment);
the people list pages over the same query.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import case, false, func, or_, select
from sqlalchemy.orm import aliased, selectinload
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ...core import clock
from ...core import format as fmt
from ...core.access import get_scoped_or_404, login_required, roles_required, scoped, subtree, under
from ...core.forms import DateField
from ...core.nav import register_nav
from ...core.pagination import paginate
from ...core.panels import register_panel
from ...core.pdf import render_pdf
from ...core.roles import OFFICERS, STAFF
from ...core.spreadsheet import csv_response
from ...core.text import nfc
from ...core.web import breadcrumb, safe_next, scoped_by_code, service_errors
from ...curriculum.models import Lesson, Module, Program
from ...curriculum.services import current_program
from ...extensions import db
from ...org.models import Person, Unit, UnitKind
from ...org.services.roster import search_condition
from .. import services
from ..models import Enrollment, EnrollmentStatus, LessonView, MaterialAccess, QuizAttempt
from ..services import ProgressStatus
from . import bp

register_nav("Tiến độ học tập", "learn.progress_report", STAFF, order=30)

#: Roles whose person is the audience of an "official" program (same rule as ``services.audiences``).
#: "Enroll everyone eligible" works on a commune (or a village) at a time.
BULK_UNIT_KINDS = (UnitKind.COMMUNE, UnitKind.VILLAGE)
MAX_SELECTED = 500


# --------------------------------------------------------------------------- the learners query


def learners(program: Program, unit: Unit):
    """One row per person (in scope, under ``unit``) of the program's audience or enrolled in it.

    Columns: person_id, unit_path, eligible (0/1), enrollment_status, enrolled_on, completed_on,
    opened (lessons of the current version opened), best_score (final test), accessed_on
    (first access to the materials, online or printed), status (a :class:`~lms.learning.services.ProgressStatus` value).
    """
    code = program.code
    lesson_slugs = select(Lesson.slug).where(Lesson.program_id == program.id)
    opened = (
        select(LessonView.person_id.label("person_id"), func.count().label("n"))
        .where(LessonView.program_code == code, LessonView.lesson_slug.in_(lesson_slugs))
        .group_by(LessonView.person_id)
        .subquery("opened")
    )
    final = program.final_module
    quiz_hash = final.quiz.content_hash if final is not None and final.quiz is not None else None
    best = (
        select(QuizAttempt.person_id.label("person_id"), func.max(QuizAttempt.score).label("score"))
        .where(QuizAttempt.program_code == code, QuizAttempt.quiz_hash == quiz_hash)
        .group_by(QuizAttempt.person_id)
        .subquery("best")
    )
    accessed = (
        select(MaterialAccess.person_id.label("person_id"), func.min(MaterialAccess.accessed_on).label("on"))
        .group_by(MaterialAccess.person_id)
        .subquery("accessed")
    )
    ids = services.audience_person_ids(program.audience)
    is_eligible = Person.id.in_(ids) if ids is not None else false()
    n_opened = func.coalesce(opened.c.n, 0)
    status = case(
        (Enrollment.status == EnrollmentStatus.COMPLETED.value, ProgressStatus.COMPLETED.value),
        ((Enrollment.status == EnrollmentStatus.ENROLLED.value) & (n_opened > 0), ProgressStatus.IN_PROGRESS.value),
        (Enrollment.status == EnrollmentStatus.ENROLLED.value, ProgressStatus.NOT_STARTED.value),
        else_=ProgressStatus.NOT_ENROLLED.value,
    )
    home = aliased(Unit)
    stmt = (
        select(
            Person.id.label("person_id"),
            home.path.label("unit_path"),
            case((is_eligible, 1), else_=0).label("eligible"),
            Enrollment.status.label("enrollment_status"),
            Enrollment.enrolled_on.label("enrolled_on"),
            Enrollment.completed_on.label("completed_on"),
            n_opened.label("opened"),
            best.c.score.label("best_score"),
            accessed.c.on.label("accessed_on"),
            status.label("status"),
        )
        .join(home, home.id == Person.unit_id)
        .outerjoin(Enrollment, (Enrollment.person_id == Person.id) & (Enrollment.program_code == code))
        .outerjoin(opened, opened.c.person_id == Person.id)
        .outerjoin(best, best.c.person_id == Person.id)
        .outerjoin(accessed, accessed.c.person_id == Person.id)
        .where(subtree(home.path, unit.path), or_(is_eligible, Enrollment.id.is_not(None)))
    )
    return scoped(stmt, Person)


def _count_columns(sub):
    def n(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    return [
        func.count().label("listed"),
        n(sub.c.eligible == 1).label("eligible"),
        n(sub.c.enrollment_status.in_((EnrollmentStatus.ENROLLED.value, EnrollmentStatus.COMPLETED.value))).label("enrolled"),
        n(sub.c.status == ProgressStatus.NOT_STARTED.value).label("not_started"),
        n(sub.c.status == ProgressStatus.IN_PROGRESS.value).label("in_progress"),
        n(sub.c.status == ProgressStatus.COMPLETED.value).label("completed"),
        n(sub.c.accessed_on.is_not(None)).label("accessed"),
    ]


EMPTY_COUNTS = {"listed": 0, "eligible": 0, "enrolled": 0, "not_started": 0, "in_progress": 0, "completed": 0, "accessed": 0}


def progress_counts(program: Program, unit: Unit) -> tuple[list[tuple[Unit, dict]], dict, dict]:
    """Counts per child unit of ``unit``, for people registered at ``unit`` itself, and in total (GROUP BY, no loops over people)."""
    sub = learners(program, unit).subquery("learners")
    cols = _count_columns(sub)
    children = list(db.session.scalars(scoped(select(Unit).where(Unit.parent_id == unit.id), Unit).order_by(Unit.sort_key, Unit.id)))
    in_child = under(sub.c.unit_path, Unit.path)
    per_child = {
        row.id: dict(row._mapping)
        for row in db.session.execute(
            scoped(select(Unit.id, *cols).join(sub, in_child).where(Unit.parent_id == unit.id).group_by(Unit.id), Unit)
        )
    }
    direct = db.session.execute(select(*cols).select_from(sub).where(sub.c.unit_path == unit.path)).one()._asdict()
    total = db.session.execute(select(*cols).select_from(sub)).one()._asdict()
    rows = [(child, per_child.get(child.id, EMPTY_COUNTS)) for child in children]
    return rows, direct, total


def _filtered_people(program: Program, unit: Unit, status: str, q: str):
    """``(select(Person) …, learners subquery)`` with the list's filters, ordered by unit and name."""
    sub = learners(program, unit).subquery("learners")
    stmt = scoped(select(Person).join(sub, sub.c.person_id == Person.id), Person)
    if status == "not_started_all":
        stmt = stmt.where(sub.c.status.in_((ProgressStatus.NOT_ENROLLED.value, ProgressStatus.NOT_STARTED.value)))
    elif status in ProgressStatus.TITLES:
        stmt = stmt.where(sub.c.status == status)
    if q:
        stmt = stmt.where(search_condition(q))
    return stmt.order_by(sub.c.unit_path, Person.sort_key, Person.id), sub


# --------------------------------------------------------------------------- request parsing


def _current_programs() -> list[Program]:
    return list(db.session.scalars(select(Program).where(Program.is_current.is_(True)).order_by(Program.code)))


def _pick_program(programs: list[Program], code: str | None) -> Program | None:
    by_code = {p.code: p for p in programs}
    if code and code in by_code:
        return by_code[code]
    return by_code.get("hgv") or (programs[0] if programs else None)


def _report_args() -> dict:
    """Program, unit, status and search from the query string (the unit defaults to the user's own)."""
    programs = _current_programs()
    program = _pick_program(programs, request.args.get("program"))
    unit_code = (request.args.get("unit") or "").strip()
    unit = scoped_by_code(Unit, unit_code) if unit_code else None
    if unit is None:
        if unit_code:
            flash(f"Không tìm thấy đơn vị có mã «{unit_code}» trong phạm vi quản lý của bạn; đang hiển thị đơn vị của bạn.", "warning")
        unit = get_scoped_or_404(Unit, current_user.unit_id)
    status = request.args.get("status", "")
    if status not in ProgressStatus.TITLES and status != "not_started_all":
        status = ""
    return {"programs": programs, "program": program, "unit": unit, "status": status, "q": (request.args.get("q") or "").strip()}


# --------------------------------------------------------------------------- progress report and CSV


@bp.route("/progress")
@roles_required(*STAFF)
def progress_report():
    args = _report_args()
    program, unit = args["program"], args["unit"]
    if program is None:
        return render_template("learning/progress.html", **args, rows=[], direct=None, total=None, page=None, details={},
                               status_titles=ProgressStatus.TITLES, can_enroll=False, chain=[])
    rows, direct, total = progress_counts(program, unit)
    stmt, sub = _filtered_people(program, unit, args["status"], args["q"])
    page = paginate(stmt.options(selectinload(Person.unit).selectinload(Unit.parent)))
    ids = [p.id for p in page.items]
    details = {r.person_id: r for r in db.session.execute(select(sub).where(sub.c.person_id.in_(ids)))} if ids else {}
    return render_template(
        "learning/progress.html",
        **args,
        rows=rows,
        direct=direct,
        total=total,
        page=page,
        details=details,
        status_titles=ProgressStatus.TITLES,
        total_lessons=db.session.scalar(select(func.count(Lesson.id)).where(Lesson.program_id == program.id)),
        can_enroll=current_user.role in OFFICERS,
        can_enroll_all=current_user.role in OFFICERS and unit.kind in BULK_UNIT_KINDS,
        chain=breadcrumb(Unit, unit),
    )


CSV_HEADERS = [
    "Họ và tên", "Năm sinh", "Giới tính", "Số điện thoại", "Thôn/ấp/tổ dân phố (hoặc đơn vị)", "Xã/phường (đơn vị cấp trên)",
    "Thuộc đối tượng", "Trạng thái", "Ngày ghi danh", "Số bài đã mở", "Tổng số bài", "Điểm cao nhất bài kiểm tra cuối khóa",
    "Ngày hoàn thành", "Ngày tiếp cận tài liệu",
]


@bp.route("/progress.csv")
@roles_required(*STAFF)
def progress_csv():
    args = _report_args()
    program, unit = args["program"], args["unit"]
    if program is None:
        abort(404)
    stmt, sub = _filtered_people(program, unit, args["status"], args["q"])
    home, parent = aliased(Unit), aliased(Unit)
    stmt = (
        stmt.with_only_columns(Person.full_name, Person.birth_year, Person.gender, Person.phone, home.name, parent.name, *sub.c, maintain_column_froms=True)
        .join(home, home.id == Person.unit_id)
        .outerjoin(parent, parent.id == home.parent_id)
    )
    total_lessons = db.session.scalar(select(func.count(Lesson.id)).where(Lesson.program_id == program.id))

    def rows():
        for row in db.session.execute(stmt.execution_options(yield_per=1000)):
            yield [
                row.full_name, row.birth_year or "", row.gender.title if row.gender else "", row.phone or "", row[4] or "", row[5] or "",
                "Có" if row.eligible else "Không", _status_title(row), fmt.date(row.enrolled_on), row.opened, total_lessons,
                "" if row.best_score is None else row.best_score, fmt.date(row.completed_on), fmt.date(row.accessed_on),
            ]

    return csv_response(CSV_HEADERS, rows(), f"tien-do-{program.code}-{unit.code}-{clock.today().isoformat()}.csv")


def _status_title(row) -> str:
    if row.enrollment_status == EnrollmentStatus.WITHDRAWN.value:
        return "Đã rút"
    return ProgressStatus(row.status).title


# --------------------------------------------------------------------------- one person


def _access_rows(person: Person) -> list[MaterialAccess]:
    stmt = scoped(select(MaterialAccess).where(MaterialAccess.person_id == person.id), MaterialAccess)
    return list(db.session.scalars(stmt.order_by(case((MaterialAccess.kind == MaterialAccess.ONLINE, 0), else_=1))))


@bp.route("/people/<int:person_id>")
@login_required
def person_progress(person_id: int):
    person = get_scoped_or_404(Person, person_id)
    items = [services.progress(person, program) for program in services.programs_for(person)]
    is_officer = current_user.role in OFFICERS
    return render_template(
        "learning/person_progress.html",
        person=person,
        items=items,
        access=_access_rows(person),
        can_enroll=is_officer,
        can_record_printed=is_officer,
        is_self=current_user.person_id == person.id,
    )


# --------------------------------------------------------------------------- printed materials (figure G)


class PrintedMaterialsForm(FlaskForm):
    accessed_on = DateField("Ngày nhận bộ tài liệu in", default=clock.today, validators=[InputRequired("Hãy nhập ngày nhận tài liệu (dd/mm/yyyy).")])
    note = TextAreaField(
        "Ghi chú", description="Ví dụ: nhận tại buổi sinh hoạt tổ hòa giải; số bộ tài liệu.",
        validators=[Optional(), Length(max=1000, message="Ghi chú dài tối đa 1000 ký tự.")],
    )


@bp.route("/people/<int:person_id>/printed", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def printed_materials(person_id: int):
    person = get_scoped_or_404(Person, person_id)
    access = _access_rows(person)
    existing = next((a for a in access if a.kind == MaterialAccess.PRINTED), None)
    form = PrintedMaterialsForm()
    if existing is None and form.validate_on_submit():
        on = form.accessed_on.data
        if on > clock.today():
            form.accessed_on.errors = [*form.accessed_on.errors, "Ngày nhận tài liệu không được sau ngày hôm nay."]
        else:
            with service_errors(form) as outcome:
                services.record_access(person, MaterialAccess.PRINTED, on, nfc(form.note.data), by=current_user)
            if outcome.ok:
                flash(f"Đã ghi nhận {person.full_name} đã nhận bộ tài liệu in ngày {fmt.date(on)}.", "success")
                return redirect(url_for("learn.person_progress", person_id=person.id))
    elif existing is not None and request.method == "POST":
        flash(f"Việc nhận bộ tài liệu in đã được ghi nhận ngày {fmt.date(existing.accessed_on)}; không ghi lại lần nữa.", "info")
        return redirect(url_for("learn.person_progress", person_id=person.id))
    return render_template("learning/printed_materials.html", person=person, form=form, access=access, existing=existing)


# --------------------------------------------------------------------------- enrolling people


def _bulk_candidates(program: Program, unit: Unit):
    """Eligible people under ``unit`` (in scope) not enrolled or completed in ``program``."""
    ids = services.audience_person_ids(program.audience)
    if ids is None:
        return None
    active = select(Enrollment.person_id).where(
        Enrollment.program_code == program.code, Enrollment.status.in_((EnrollmentStatus.ENROLLED.value, EnrollmentStatus.COMPLETED.value))
    )
    stmt = select(Person).where(Person.scope_clause(unit.path), Person.id.in_(ids), Person.id.not_in(active))
    return scoped(stmt, Person).order_by(Person.sort_key, Person.id)


@bp.route("/enroll", methods=["POST"])
@roles_required(*OFFICERS)
def enroll_people():
    program = current_program(request.form.get("program", ""))
    if program is None:
        abort(404)
    unit = scoped_by_code(Unit, request.form.get("unit")) or get_scoped_or_404(Unit, current_user.unit_id)
    mode = request.form.get("mode", "selected")
    back = safe_next(request.form.get("back"), url_for("learn.progress_report", program=program.code, unit=unit.code))

    if mode == "all":
        if unit.kind not in BULK_UNIT_KINDS:
            flash("Chỉ ghi danh toàn bộ theo từng xã/phường (hoặc thôn/ấp). Hãy chọn một xã trong bảng rồi thử lại.", "warning")
            return redirect(back)
        stmt = _bulk_candidates(program, unit)
        if stmt is None:
            flash(f"Chương trình «{program.title}» không có danh sách đối tượng để ghi danh toàn bộ; hãy chọn từng người.", "warning")
            return redirect(back)
        people = list(db.session.scalars(stmt))
        ids: list[int] = []
    else:
        ids = sorted({i for i in request.form.getlist("person_id", type=int)})
        if len(ids) > MAX_SELECTED:
            flash(f"Mỗi lần chỉ ghi danh tối đa {MAX_SELECTED} người.", "warning")
            return redirect(back)
        people = list(db.session.scalars(scoped(select(Person).where(Person.id.in_(ids)), Person).order_by(Person.sort_key, Person.id))) if ids else []
    already = {
        pid
        for pid in db.session.scalars(
            select(Enrollment.person_id).where(
                Enrollment.program_code == program.code,
                Enrollment.person_id.in_([p.id for p in people]),
                Enrollment.status.in_((EnrollmentStatus.ENROLLED.value, EnrollmentStatus.COMPLETED.value)),
            )
        )
    }
    to_enroll = [p for p in people if p.id not in already]
    if not to_enroll:
        flash("Không có ai cần ghi danh: hãy chọn ít nhất một người chưa ghi danh." if mode != "all" else
              "Mọi người thuộc đối tượng ở đơn vị này đều đã được ghi danh.", "warning")
        return redirect(back)

    if request.form.get("confirm") != "1":
        return render_template(
            "learning/progress_enroll_confirm.html", program=program, unit=unit, mode=mode, people=to_enroll, ids=ids,
            skipped=len(people) - len(to_enroll), back=back, missing_confirm=request.form.get("step") == "confirm",
        )
    with service_errors() as outcome:
        for person in to_enroll:
            services.enroll(person, program, by=current_user, check_audience=False)
    if not outcome.ok:
        return redirect(back)
    flash(f"Đã ghi danh {len(to_enroll)} người vào chương trình «{program.title}».", "success")
    return redirect(back)


# --------------------------------------------------------------------------- a module as one PDF


def _pdf_cache_dir() -> Path:
    configured = current_app.config.get("PDF_CACHE_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "cache" / "pdf"
    path.mkdir(parents=True, exist_ok=True)
    return path


def module_pdf_path(program: Program, module: Module) -> Path:
    """The module's PDF, rendered once per program version and kept on disk.

    A program version is immutable, so a cached file never goes stale; the name also
    carries the content hash so that a rebuilt database cannot pick up another
    version's file with a reused id. Written to a temporary file and renamed (atomic).
    """
    directory = _pdf_cache_dir()
    path = directory / f"{program.id}-{program.content_hash[:12]}-{module.slug}.pdf"
    if path.is_file():
        return path
    html = render_template("learning/module_pdf.html", program=program, module=module)
    data = render_pdf(html)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".pdf")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


@bp.route("/p/<code>/m/<module_slug>.pdf")
@login_required
def module_pdf(code: str, module_slug: str):
    program = current_program(code)
    if program is None:
        abort(404)
    module = db.session.scalar(select(Module).where(Module.program_id == program.id, Module.slug == module_slug))
    if module is None:
        abort(404)
    path = module_pdf_path(program, module)
    person = current_user.person
    if person is not None:
        services.record_access(person)
    # served from memory (a module is a few hundred KB): no file handle outlives the request
    return send_file(
        io.BytesIO(path.read_bytes()), mimetype="application/pdf", as_attachment=True,
        download_name=f"{program.code}-{module.position:02d}-{module.slug}.pdf", etag=path.stem, last_modified=path.stat().st_mtime, max_age=300,
    )


def _learning_panel(person: Person):
    """On the roster's person page: a link to this person's learning progress and materials."""
    if not current_user.is_authenticated:
        return None
    return render_template("learning/_person_panel.html", person=person, is_officer=current_user.role in OFFICERS)


register_panel("person", _learning_panel, order=20)
