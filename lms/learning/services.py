"""Online learning: enrollment, lessons opened, quiz attempts, access to materials, completion.

Completion is evaluated on every event that can complete a program and is
recorded the moment the rule is met; ``program_completed`` is sent in the same
transaction (certificates subscribe to it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import distinct, func, literal, select, union_all
from sqlalchemy import null as sa_null

from ..core import audit, clock
from ..core.errors import ServiceError
from ..core.models import TitledEnum
from ..core.roles import Role
from ..core.rows import insert_once, lock
from ..core.signals import program_completed
from ..curriculum.models import Lesson, Program, Quiz
from ..curriculum.services import AUDIENCES, current_program
from ..extensions import db
from ..org.models import MediatorMembership, Person, TrainerAppointment, Unit, User
from .models import Enrollment, EnrollmentStatus, LessonView, MaterialAccess, QuizAttempt


class ProgressStatus(TitledEnum):
    """Where a listed person stands in a program (the progress report's status: computed in SQL, not stored)."""

    NOT_ENROLLED = "not_enrolled"
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


ProgressStatus.TITLES = {
    "not_enrolled": "Chưa ghi danh",
    "not_started": "Chưa học",
    "in_progress": "Đang học",
    "completed": "Hoàn thành",
}

# --------------------------------------------------------------------------- audiences and enrollment


#: Accounts whose person belongs to the officials' audience (state management training, ``qlnn``).
OFFICIAL_ROLES = (Role.COMMUNE_OFFICER, Role.DISTRICT_ADMIN, Role.PROVINCE_ADMIN)


def audience_person_ids(audience: str | None, day: dt.date | None = None, unit: Unit | None = None):
    """The one rule of who a program is meant for: a select of the ids of the people of ``audience`` on ``day``
    (under ``unit``'s subtree when given), or ``None`` when the audience names no role.

    Mediators: an active mediator membership; trainers: an active trainer appointment; officials: an active
    account of an official's role bound to the person.
    """
    day = day or clock.today()
    if audience == "mediator":
        stmt = select(MediatorMembership.person_id).where(MediatorMembership.active_clause(day))
        return stmt.where(MediatorMembership.scope_clause(unit.path)) if unit is not None else stmt
    if audience == "trainer":
        stmt = select(TrainerAppointment.person_id).where(TrainerAppointment.active_clause(day))
        return stmt.where(TrainerAppointment.scope_clause(unit.path)) if unit is not None else stmt
    if audience == "official":
        stmt = select(User.person_id).where(User.person_id.is_not(None), User.role.in_(OFFICIAL_ROLES), User.is_active.is_(True))
        return stmt.where(User.scope_clause(unit.path)) if unit is not None else stmt
    return None


def audiences(person: Person, day: dt.date | None = None) -> set[str]:
    """Which program audiences a person belongs to (:func:`audience_person_ids`), in one statement."""
    day = day or clock.today()
    parts = [select(literal(a)).where(literal(person.id).in_(audience_person_ids(a, day))) for a in AUDIENCES]
    return set(db.session.scalars(union_all(*parts)))


def programs_for(person: Person) -> list[Program]:
    """The current programs of the person's audiences, and any program they are enrolled in."""
    aud = audiences(person)
    enrolled = select(Enrollment.program_code).where(Enrollment.person_id == person.id)
    stmt = select(Program).where(Program.is_current.is_(True), Program.audience.in_(aud) | Program.code.in_(enrolled)).order_by(Program.code)
    return list(db.session.scalars(stmt))


def enrollment_for(person: Person, code: str) -> Enrollment | None:
    return db.session.scalar(select(Enrollment).where(Enrollment.person_id == person.id, Enrollment.program_code == code))


def enroll(person: Person, program: Program, by: User | None = None, check_audience: bool = True) -> Enrollment:
    """Enroll (idempotent, also when the same enrollment is made twice at once).

    A learner enrolls in their own audience's programs; an officer may enroll anyone in scope."""
    existing = enrollment_for(person, program.code)
    if existing is not None:
        if existing.status == EnrollmentStatus.WITHDRAWN:
            existing.status = EnrollmentStatus.ENROLLED.value
            audit.record(existing, "update")
        return existing
    if check_audience and program.audience not in audiences(person):
        raise ServiceError(f"Chương trình «{program.title}» dành cho {program.audience_title.lower()}.")
    enrollment = Enrollment(person=person, program_code=program.code, enrolled_on=clock.today(), enrolled_by=by, status=EnrollmentStatus.ENROLLED.value)
    if insert_once(enrollment, lambda: enrollment_for(person, program.code)) is not enrollment:
        return enroll(person, program, by=by, check_audience=False)  # made meanwhile by a concurrent request
    audit.record(enrollment, "create")
    db.session.flush()
    return enrollment


def lock_enrollments(person_ids, code: str) -> None:
    """Lock these people's enrollments in a program until the end of the transaction.

    Whatever may complete a program locks the enrollment first, before its other writes, and in id
    order when there are several: two requests that could complete the same person (a trainer saving
    attendance, the learner checking in or passing the final quiz) then wait for each other instead of
    both completing, and cannot deadlock on the certificate serial counter.
    """
    ids = list(person_ids)
    if ids:
        db.session.execute(
            select(Enrollment.id).where(Enrollment.person_id.in_(ids), Enrollment.program_code == code).order_by(Enrollment.id).with_for_update()
        )


# --------------------------------------------------------------------------- events


def record_access(person: Person, kind: str = MaterialAccess.ONLINE, on: dt.date | None = None, note: str | None = None, by: User | None = None) -> MaterialAccess:
    """The first access of a kind is kept (figure G); later ones change nothing, concurrent ones included."""

    def existing() -> MaterialAccess | None:
        return db.session.scalar(select(MaterialAccess).where(MaterialAccess.person_id == person.id, MaterialAccess.kind == kind))

    row = existing()
    if row is not None:
        return row
    on = on or clock.today()
    if on > clock.today():
        raise ServiceError("Ngày nhận tài liệu không được sau ngày hôm nay.", "accessed_on")
    row = MaterialAccess(person_id=person.id, kind=kind, accessed_on=on, note=note, recorded_by_id=by.id if by else None)
    if insert_once(row, existing) is not row:
        return existing()
    if kind == MaterialAccess.PRINTED:
        audit.record(row, "create")
    return row


def open_lesson(person: Person, lesson: Lesson) -> Enrollment | None:
    """Record that ``person`` opened ``lesson`` (first time only) and evaluate completion."""
    program = lesson.program
    enrollment = enrollment_for(person, program.code)
    if enrollment is None:
        enrollment = enroll(person, program)

    def seen() -> LessonView | None:
        return db.session.scalar(
            select(LessonView).where(LessonView.person_id == person.id, LessonView.program_code == program.code, LessonView.lesson_slug == lesson.slug)
        )

    if seen() is None:  # the first opening is kept, also when the page is requested twice at once
        insert_once(LessonView(person_id=person.id, program_code=program.code, lesson_slug=lesson.slug, first_opened_at=clock.now()), seen)
    record_access(person)
    evaluate(enrollment)
    return enrollment


@dataclass
class Graded:
    attempt: QuizAttempt
    results: list[dict]  # per question: chosen, correct, right


def submit_quiz(person: Person, quiz: Quiz, answers: dict[int, list[int]]) -> Graded:
    """Grade and keep an attempt (every attempt is kept); evaluate completion."""
    program = quiz.module.program
    enrollment = enrollment_for(person, program.code) or enroll(person, program)
    results, right = [], 0
    for q in quiz.questions:
        chosen = sorted({i for i in answers.get(q.id, []) if 0 <= i < len(q.choices)})
        ok = chosen == sorted(q.correct)
        right += ok
        results.append({"question": q, "chosen": chosen, "right": ok})
    total = len(quiz.questions)
    score = (100 * right) // total if total else 0
    attempt = QuizAttempt(
        person_id=person.id, quiz=quiz, program_code=program.code, quiz_hash=quiz.content_hash, score=score, correct_count=right, total=total,
        passed=score >= quiz.pass_score, answers={str(r["question"].id): r["chosen"] for r in results}, submitted_at=clock.now(),
    )
    db.session.add(attempt)
    db.session.flush()
    evaluate(enrollment)
    return Graded(attempt, results)


def best_score(person_id: int, quiz: Quiz) -> int | None:
    return db.session.scalar(
        select(func.max(QuizAttempt.score)).where(
            QuizAttempt.person_id == person_id, QuizAttempt.program_code == quiz.module.program.code, QuizAttempt.quiz_hash == quiz.content_hash
        )
    )


# --------------------------------------------------------------------------- progress and completion


def percent_done(completed: bool, opened_count: int, total_lessons: int, has_final_quiz: bool, final_passed: bool) -> int:
    if completed:
        return 100
    steps = total_lessons + (1 if has_final_quiz else 0)
    done = opened_count + (1 if final_passed else 0)
    return (100 * done) // steps if steps else 0


@dataclass
class Progress:
    program: Program
    enrollment: Enrollment | None
    opened: set[str]
    total_lessons: int
    final_best: int | None
    next_lesson: Lesson | None

    @property
    def opened_count(self) -> int:
        return len(self.opened & {lesson.slug for lesson in self.program.lessons})

    @property
    def percent(self) -> int:
        return percent_done(self.completed, self.opened_count, self.total_lessons, bool(self.program.completion.get("final_quiz")), self.final_passed)

    @property
    def final_passed(self) -> bool:
        return self.final_best is not None and self.final_best >= self.program.min_score

    @property
    def completed(self) -> bool:
        return self.enrollment is not None and self.enrollment.status == EnrollmentStatus.COMPLETED

    @property
    def started(self) -> bool:
        return bool(self.opened)


def opened_slugs(person_id: int, code: str) -> set[str]:
    return set(db.session.scalars(select(LessonView.lesson_slug).where(LessonView.person_id == person_id, LessonView.program_code == code)))


def progress(person: Person, program: Program) -> Progress:
    opened = opened_slugs(person.id, program.code)
    lessons = program.lessons
    final = program.final_module
    final_best = best_score(person.id, final.quiz) if final is not None and final.quiz is not None else None
    nxt = next((lesson for lesson in lessons if lesson.slug not in opened), None)
    return Progress(program, enrollment_for(person, program.code), opened, len(lessons), final_best, nxt)


@dataclass
class LessonState:
    """A learner's standing in a program as one lesson page needs it, read in one statement (:func:`lesson_state`)."""

    program: Program
    status: str | None  # the enrollment's, None when not enrolled
    opened_count: int  # lessons of this version opened
    total_lessons: int
    seen: bool  # this lesson opened before
    accessed: bool  # material access (online) recorded
    final_best: int | None

    @property
    def final_passed(self) -> bool:
        return self.final_best is not None and self.final_best >= self.program.min_score

    @property
    def completed(self) -> bool:
        return self.status == EnrollmentStatus.COMPLETED

    @property
    def percent(self) -> int:
        return percent_done(self.completed, self.opened_count, self.total_lessons, bool(self.program.completion.get("final_quiz")), self.final_passed)

    @property
    def nothing_to_record(self) -> bool:
        """Opening the lesson again would change nothing: enrolled, seen, access recorded, and no completion due."""
        if self.status is None or not self.seen or not self.accessed:
            return False
        if self.status != EnrollmentStatus.ENROLLED:
            return True
        return not online_rule_met(self.program, self.opened_count, self.total_lessons, self.final_passed)


def lesson_state(person_id: int, program: Program, slugs: tuple[str, ...], slug: str, final_quiz_hash: str | None) -> LessonState:
    """One statement of scalar subqueries: enrollment status, lessons opened, this one seen, access, best final score."""
    views = select(func.count(LessonView.id)).where(LessonView.person_id == person_id, LessonView.program_code == program.code)
    best = (
        select(func.max(QuizAttempt.score)).where(
            QuizAttempt.person_id == person_id, QuizAttempt.program_code == program.code, QuizAttempt.quiz_hash == final_quiz_hash
        ).scalar_subquery()
        if final_quiz_hash is not None else None
    )
    row = db.session.execute(
        select(
            select(Enrollment.status).where(Enrollment.person_id == person_id, Enrollment.program_code == program.code).scalar_subquery(),
            views.where(LessonView.lesson_slug.in_(slugs)).scalar_subquery(),
            views.where(LessonView.lesson_slug == slug).scalar_subquery(),
            select(func.count(MaterialAccess.id)).where(MaterialAccess.person_id == person_id, MaterialAccess.kind == MaterialAccess.ONLINE)
            .scalar_subquery(),
            best if best is not None else sa_null(),
        )
    ).one()
    return LessonState(program, row[0], int(row[1] or 0), len(slugs), bool(row[2]), bool(row[3]), row[4])


def online_rule_met(program: Program, opened_count: int, total_lessons: int, final_passed: bool) -> bool:
    """The online completion rule: every lesson of the version opened, and the final test passed when there is one."""
    return opened_count >= total_lessons and (final_passed or not program.completion.get("final_quiz", True))


def rule_met(person: Person, program: Program) -> bool:
    p = progress(person, program)
    return online_rule_met(program, p.opened_count, p.total_lessons, p.final_passed)


def rules_met(person_ids: list[int], program: Program) -> set[int]:
    """Those of ``person_ids`` who meet ``program``'s online rule (as :func:`rule_met`), in two grouped queries."""
    if not person_ids:
        return set()
    slugs = {lesson.slug for lesson in program.lessons}
    opened = dict(db.session.execute(
        select(LessonView.person_id, func.count(distinct(LessonView.lesson_slug)))
        .where(LessonView.person_id.in_(person_ids), LessonView.program_code == program.code, LessonView.lesson_slug.in_(slugs))
        .group_by(LessonView.person_id)
    ).all()) if slugs else {}
    met = {pid for pid in person_ids if opened.get(pid, 0) >= len(slugs)}
    if not program.completion.get("final_quiz", True):
        return met
    final = program.final_module
    if final is None or final.quiz is None or not met:
        return set()
    best = db.session.execute(
        select(QuizAttempt.person_id, func.max(QuizAttempt.score))
        .where(QuizAttempt.person_id.in_(met), QuizAttempt.program_code == final.quiz.module.program.code,
               QuizAttempt.quiz_hash == final.quiz.content_hash)
        .group_by(QuizAttempt.person_id)
    ).all()
    return {pid for pid, score in best if score is not None and score >= program.min_score}


def evaluate(enrollment: Enrollment) -> bool:
    """Record the completion the moment the rule is met (once); returns True when it completes now."""
    if enrollment.status != EnrollmentStatus.ENROLLED:
        return False
    program = current_program(enrollment.program_code)
    if program is None or not rule_met(enrollment.person, program):
        return False
    return complete(enrollment, program, via="online")


def complete(enrollment: Enrollment, program: Program, via: str, on: dt.date | None = None, **details) -> bool:
    """Mark completed and send ``program_completed`` in the same transaction; False when already completed.

    The enrollment's row is locked first: of two requests completing the same enrollment at once,
    the second waits for the first, then finds it completed and does nothing (one certificate).
    ``details`` (``mode``, ``training_from``, ``training_to``, ``klass``) travel with the signal.
    """
    lock(enrollment)
    if enrollment.status == EnrollmentStatus.COMPLETED:
        return False
    enrollment.status = EnrollmentStatus.COMPLETED.value
    enrollment.completed_on = on or clock.today()
    enrollment.completed_program = program
    enrollment.via = via
    audit.record(enrollment, "update")
    db.session.flush()
    program_completed.send(
        current_app._get_current_object(),
        enrollment=enrollment,
        person=enrollment.person,
        program=program,
        completed_on=enrollment.completed_on,
        via=via,
        **details,
    )
    return True
