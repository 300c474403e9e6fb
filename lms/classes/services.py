"""Classes: creating them, enrolling people, attendance, results, completion. Flush, never commit.

A class completes a person's program the moment its rule is met: attendance share
≥ the class minimum (default 80%) and the final assessment (score ≥ pass score, or
passed), or — for online and blended classes assessed online — the online
program's own rule. Completion goes through :func:`lms.learning.services.complete`,
so ``program_completed`` fires once per person and program, however often
results are saved.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable

from sqlalchemy import func, or_, select

from ..core import audit, clock
from ..core import format as fmt
from ..core.errors import ServiceError
from ..core.rows import insert_once, lock
from ..core.text import nfc
from ..curriculum.services import current_program
from ..extensions import db
from ..learning import services
from ..learning.models import EnrollmentStatus
from ..org.models import MediatorMembership, Person, TrainerAppointment, Unit, UnitKind, User
from .models import Assessment, Attendance, AttendanceStatus, ClassEnrollment, ClassMode, ClassSession, ClassStatus, TrainingClass

#: How long before its start a session accepts QR check-in.
CHECKIN_EARLY = dt.timedelta(minutes=30)


def create_class(
    *,
    title: str,
    program_code: str,
    unit: Unit,
    mode: str,
    starts_on: dt.date,
    ends_on: dt.date,
    capacity: int,
    venue: str | None = None,
    trainers: Iterable[Person] = (),
    min_attendance: int = 80,
    assessment: str = Assessment.SCORE.value,
    pass_score: int = 50,
    by: User | None = None,
) -> TrainingClass:
    title = nfc(title)
    if not title:
        raise ServiceError("Hãy nhập tên lớp.", "title")
    if current_program(program_code) is None:
        raise ServiceError(f"Không có chương trình mã «{program_code}».", "program_code")
    if mode not in {m.value for m in ClassMode}:
        raise ServiceError("Hình thức lớp không hợp lệ.", "mode")
    if ends_on < starts_on:
        raise ServiceError("Ngày kết thúc phải từ ngày bắt đầu trở đi.", "ends_on")
    if capacity < 1:
        raise ServiceError("Sĩ số tối đa phải lớn hơn 0.", "capacity")
    if not 0 <= min_attendance <= 100:
        raise ServiceError("Tỷ lệ chuyên cần tối thiểu phải từ 0 đến 100%.", "min_attendance")
    if unit.kind == UnitKind.VILLAGE:
        raise ServiceError("Đơn vị tổ chức phải là cấp xã trở lên.", "unit")
    if assessment == Assessment.ONLINE and mode == ClassMode.IN_PERSON:
        raise ServiceError("Lớp trực tiếp không thể đánh giá theo quy định của chương trình trực tuyến.", "assessment")
    klass = TrainingClass(
        title=title, program_code=program_code, unit=unit, mode=mode, starts_on=starts_on, ends_on=ends_on, capacity=capacity,
        venue=nfc(venue), min_attendance=min_attendance, assessment=assessment, pass_score=pass_score,
        created_by_id=by.id if by else None, status=ClassStatus.PLANNED.value,
    )
    klass.trainers = list(trainers)
    db.session.add(klass)
    audit.record(klass, "create")
    db.session.flush()
    return klass


def update_class(klass: TrainingClass, trainers: Iterable[Person] | None = None, **fields) -> TrainingClass:
    for key, value in fields.items():
        setattr(klass, key, nfc(value) if isinstance(value, str) and key in {"title", "venue"} else value)
    if klass.ends_on < klass.starts_on:
        raise ServiceError("Ngày kết thúc phải từ ngày bắt đầu trở đi.", "ends_on")
    if trainers is not None:
        klass.trainers = list(trainers)
    if klass.capacity < active_count(klass):
        raise ServiceError(f"Lớp đã có {active_count(klass)} học viên, sĩ số tối đa không thể nhỏ hơn.", "capacity")
    audit.record(klass, "update")
    db.session.flush()
    return klass


def add_session(klass: TrainingClass, on: dt.date, starts_at: dt.time, ends_at: dt.time, topic: str | None = None) -> ClassSession:
    if not klass.starts_on <= on <= klass.ends_on:
        raise ServiceError("Ngày của buổi học phải nằm trong thời gian của lớp.", "on")
    if ends_at <= starts_at:
        raise ServiceError("Giờ kết thúc phải sau giờ bắt đầu.", "ends_at")
    session = ClassSession(klass=klass, on=on, starts_at=starts_at, ends_at=ends_at, topic=nfc(topic), checkin_code=secrets.token_urlsafe(16))
    db.session.add(session)
    db.session.flush()
    return session


def remove_session(session: ClassSession) -> None:
    if session.attendance:
        raise ServiceError("Buổi học đã có điểm danh, không thể xóa.")
    db.session.delete(session)
    db.session.flush()


# --------------------------------------------------------------------------- enrollment


def active_count(klass: TrainingClass) -> int:
    return db.session.scalar(
        select(func.count(ClassEnrollment.id)).where(ClassEnrollment.class_id == klass.id, ClassEnrollment.status != ClassEnrollment.WITHDRAWN)
    )


def _lock(klass: TrainingClass) -> None:
    """Serialize enrollments into one class: a row lock on PostgreSQL, the write lock on SQLite."""
    stmt = select(TrainingClass.id).where(TrainingClass.id == klass.id)
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    else:  # take SQLite's write lock now, so the count below cannot go stale
        db.session.execute(TrainingClass.__table__.update().where(TrainingClass.id == klass.id).values(capacity=TrainingClass.capacity))
    db.session.execute(stmt)


def organizes(klass: TrainingClass, unit: Unit) -> bool:
    """``unit`` lies in the subtree of the class's organizing unit."""
    return unit.path.startswith(klass.unit.path)


def eligible_ids(program_code: str, unit: Unit):
    """A select of the ids of the people ``program_code`` is meant for, today, under ``unit``
    (:func:`lms.learning.services.audience_person_ids`); a program for no role: everyone registered there."""
    program = current_program(program_code)
    ids = services.audience_person_ids(program.audience if program is not None else None, clock.today(), unit)
    return ids if ids is not None else select(Person.id).where(Person.scope_clause(unit.path))


def pool_condition(unit: Unit):
    """SQL: the person belongs to ``unit``'s subtree: registered there, or an active mediator / trainer there."""
    day = clock.today()
    return or_(
        Person.scope_clause(unit.path),
        Person.id.in_(select(MediatorMembership.person_id).where(MediatorMembership.scope_clause(unit.path), MediatorMembership.active_clause(day))),
        Person.id.in_(select(TrainerAppointment.person_id).where(TrainerAppointment.scope_clause(unit.path), TrainerAppointment.active_clause(day))),
    )


def outside(people: list[Person], unit: Unit) -> list[Person]:
    """Those of ``people`` who do not belong to ``unit``'s subtree (:func:`pool_condition`)."""
    if not people:
        return []
    ids = {p.id for p in people}
    inside = set(db.session.scalars(select(Person.id).where(Person.id.in_(ids), pool_condition(unit))))
    return [p for p in people if p.id not in inside]


def enroll(klass: TrainingClass, people: Iterable[Person], by: User | None = None) -> list[ClassEnrollment]:
    """Enroll people (capacity enforced, also under concurrent enrollments); already enrolled people are skipped.

    The one rule of who may sit in a class: everyone enrolled belongs to the class's organizing unit
    (:func:`outside`); one person outside refuses the whole call, whichever page or command it comes from.
    """
    if klass.status == ClassStatus.FINISHED:
        raise ServiceError("Lớp đã kết thúc, không thể ghi danh thêm.")
    people = list(people)
    strangers = outside(people, klass.unit)
    if strangers:
        names = ", ".join(p.full_name for p in strangers[:5]) + ("…" if len(strangers) > 5 else "")
        raise ServiceError(f"{len(strangers)} người được chọn không thuộc đơn vị tổ chức này ({klass.unit.name}): {names}.", "unit")
    program = current_program(klass.program_code)
    _lock(klass)
    existing = {e.person_id: e for e in db.session.scalars(select(ClassEnrollment).where(ClassEnrollment.class_id == klass.id))}
    taken = sum(1 for e in existing.values() if e.status != ClassEnrollment.WITHDRAWN)
    added = []
    for person in people:
        row = existing.get(person.id)
        if row is not None and row.status != ClassEnrollment.WITHDRAWN:
            continue
        if taken >= klass.capacity:
            raise ServiceError(f"Lớp đã đủ {klass.capacity} học viên; không thể ghi danh {person.full_name}.", "capacity")
        if row is None:
            row = ClassEnrollment(klass=klass, person=person, enrolled_on=clock.today(), status=ClassEnrollment.ENROLLED)
            db.session.add(row)
        else:
            row.status, row.withdraw_reason = ClassEnrollment.ENROLLED, None
        taken += 1
        # the program enrollment the completion will be recorded on
        services.enroll(person, program, by=by, check_audience=False)
        audit.record(row, "create")
        added.append(row)
    db.session.flush()
    return added


def withdraw(row: ClassEnrollment, reason: str) -> ClassEnrollment:
    reason = nfc(reason)
    if not reason:
        raise ServiceError("Hãy nêu lý do rút khỏi lớp.", "reason")
    if row.status == ClassEnrollment.COMPLETED:
        raise ServiceError("Học viên đã hoàn thành lớp, không thể rút.")
    row.status = ClassEnrollment.WITHDRAWN
    row.withdraw_reason = reason
    audit.record(row, "update")
    db.session.flush()
    return row


# --------------------------------------------------------------------------- attendance


def lock_roster(klass: TrainingClass) -> None:
    """Before saving attendance or results for a whole class: lock its people's program enrollments (see
    :func:`services.lock_enrollments`), so completions of the same people elsewhere wait instead of deadlocking."""
    people = select(ClassEnrollment.person_id).where(ClassEnrollment.class_id == klass.id, ClassEnrollment.status != ClassEnrollment.WITHDRAWN)
    services.lock_enrollments(db.session.scalars(people), klass.program_code)


def mark(session: ClassSession, person_id: int, status: str, via: str = "grid") -> Attendance:
    """Record a person's attendance at a session (the grid and QR check-in; twice at once is one mark)."""
    if status not in AttendanceStatus.TITLES:
        raise ServiceError("Trạng thái điểm danh không hợp lệ.")
    status = AttendanceStatus(status).value
    services.lock_enrollments([person_id], session.klass.program_code)
    enrolled = db.session.scalar(
        select(ClassEnrollment).where(ClassEnrollment.class_id == session.class_id, ClassEnrollment.person_id == person_id)
    )
    if enrolled is None or enrolled.status == ClassEnrollment.WITHDRAWN:
        raise ServiceError("Người này không có trong danh sách lớp.")
    row = db.session.get(Attendance, (session.id, person_id))
    if row is None:
        new = Attendance(session_id=session.id, person_id=person_id, status=status, via=via, at=clock.now())
        row = insert_once(new, lambda: db.session.get(Attendance, (session.id, person_id), populate_existing=True))
        if row is not new:  # marked meanwhile by a concurrent request: this mark is the later one
            row.status, row.via, row.at = status, via, clock.now()
    else:
        row.status, row.via, row.at = status, via, clock.now()
    db.session.flush()
    evaluate(enrolled)
    return row


def session_open(session: ClassSession, at: dt.datetime | None = None) -> bool:
    at = at or clock.now_local()
    return session.starts - CHECKIN_EARLY <= at <= session.ends


def checkin(code: str, person: Person | None, at: dt.datetime | None = None) -> Attendance:
    """Self check-in by QR: only while the session is open, only for an enrolled person."""
    session = db.session.scalar(select(ClassSession).where(ClassSession.checkin_code == code))
    if session is None:
        raise ServiceError("Mã điểm danh không hợp lệ.")
    if not session_open(session, at):
        raise ServiceError(
            f"Chỉ điểm danh được trong thời gian buổi học ({fmt.time(session.starts_at)}–{fmt.time(session.ends_at)} ngày {fmt.date(session.on)})."
        )
    if person is None:
        raise ServiceError("Tài khoản của bạn không gắn với hồ sơ học viên.")
    return mark(session, person.id, Attendance.PRESENT, via="qr")


def present_counts(klass: TrainingClass) -> dict[int, int]:
    """Sessions of ``klass`` each person attended (person id → count; one grouped query)."""
    rows = db.session.execute(
        select(Attendance.person_id, func.count())
        .join(ClassSession, ClassSession.id == Attendance.session_id)
        .where(ClassSession.class_id == klass.id, Attendance.status == Attendance.PRESENT)
        .group_by(Attendance.person_id)
    )
    return dict(rows.all())


def attendance_share(row: ClassEnrollment, present: int | None = None) -> int:
    """Percent of the class's sessions so far at which the person was present (excused counts as absent).

    ``present``: the sessions attended, when the caller already counted them for the whole class (:func:`present_counts`).
    """
    total = len(row.klass.sessions)
    if not total:
        return 0
    if present is None:
        present = db.session.scalar(
            select(func.count())
            .select_from(Attendance)
            .join(ClassSession, ClassSession.id == Attendance.session_id)
            .where(ClassSession.class_id == row.class_id, Attendance.person_id == row.person_id, Attendance.status == Attendance.PRESENT)
        )
    return (100 * present) // total


def outcomes(klass: TrainingClass, rows: list[ClassEnrollment]) -> dict[int, tuple[int, list[str]]]:
    """For each row of ``klass``: (sessions attended, :func:`shortfalls`), in a fixed number of queries."""
    present = present_counts(klass)
    met: set[int] | None = None
    if klass.assessment == Assessment.ONLINE:
        program = current_program(klass.program_code)
        met = services.rules_met([r.person_id for r in rows], program) if program is not None else set()
    return {
        r.id: (
            present.get(r.person_id, 0),
            [] if r.status == ClassEnrollment.COMPLETED
            else shortfalls(r, present=present.get(r.person_id, 0), online_met=None if met is None else r.person_id in met),
        )
        for r in rows
    }


# --------------------------------------------------------------------------- results and completion


def record_result(row: ClassEnrollment, score: int | None = None, passed: bool | None = None) -> ClassEnrollment:
    if row.status == ClassEnrollment.WITHDRAWN:
        raise ServiceError("Học viên đã rút khỏi lớp.")
    if score is not None and not 0 <= score <= 100:
        raise ServiceError("Điểm phải từ 0 đến 100.", "score")
    services.lock_enrollments([row.person_id], row.klass.program_code)
    row.score = score
    row.passed = passed if passed is not None else (score >= row.klass.pass_score if score is not None else None)
    audit.record(row, "update")
    db.session.flush()
    evaluate(row)
    return row


def shortfalls(row: ClassEnrollment, present: int | None = None, online_met: bool | None = None) -> list[str]:
    """Why a person has not (yet) completed the class; empty when the rule is met.

    ``present`` and ``online_met`` are what a caller listing a whole class already computed (:func:`outcomes`).
    """
    klass = row.klass
    reasons = []
    if row.status == ClassEnrollment.WITHDRAWN:
        return [f"Đã rút khỏi lớp: {row.withdraw_reason}"]
    if klass.assessment == Assessment.ONLINE:
        if online_met is None:
            program = current_program(klass.program_code)
            online_met = program is not None and services.rule_met(row.person, program)
        if not online_met:
            reasons.append("Chưa đạt yêu cầu hoàn thành chương trình trực tuyến (mở đủ bài học và đạt bài kiểm tra cuối khóa).")
    else:
        share = attendance_share(row, present)
        if share < klass.min_attendance:
            reasons.append(f"Chuyên cần {share}% (cần tối thiểu {klass.min_attendance}%).")
        if klass.assessment == Assessment.SCORE:
            if row.score is None:
                reasons.append("Chưa có điểm kiểm tra cuối khóa.")
            elif row.score < klass.pass_score:
                reasons.append(f"Điểm kiểm tra {row.score} (cần tối thiểu {klass.pass_score}).")
        elif not row.passed:
            reasons.append("Chưa được đánh giá đạt." if row.passed is None else "Được đánh giá không đạt.")
    return reasons


def evaluate(row: ClassEnrollment) -> bool:
    """Record the completion the moment the class's rule is met; True when it completes now."""
    if row.status != ClassEnrollment.ENROLLED or shortfalls(row):
        return False
    lock(row)  # a concurrent request may have completed it meanwhile
    if row.status != ClassEnrollment.ENROLLED:
        return False
    row.status = ClassEnrollment.COMPLETED
    row.completed_on = clock.today()
    audit.record(row, "update")
    db.session.flush()
    program = current_program(row.klass.program_code)
    enrollment = services.enroll(row.person, program, check_audience=False)
    if enrollment.status == EnrollmentStatus.ENROLLED:
        services.complete(
            enrollment, program, via="class", mode=row.klass.mode, training_from=row.klass.starts_on,
            training_to=min(row.klass.ends_on, clock.today()), klass=row.klass,
        )
    return True


def finish(klass: TrainingClass) -> list[tuple[ClassEnrollment, list[str]]]:
    """Close the class; returns each enrolled person with the reasons they did not complete (empty: completed)."""
    klass.status = ClassStatus.FINISHED.value
    audit.record(klass, "update")
    db.session.flush()
    rows = sorted(klass.enrollments, key=lambda e: (e.person.sort_key, e.person.id))
    found = outcomes(klass, rows)
    return [(r, found[r.id][1]) for r in rows]
