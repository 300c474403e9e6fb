"""Learning pages ("Học tập"): programs, lessons, quizzes and their attempts, attachments.

A learner is a signed-in account bound to a person (``current_user.person``).
Staff accounts without a person may preview programs and lessons; nothing is
recorded for them. Every event (a lesson opened, a quiz submitted, an
attachment downloaded) is recorded and committed at once; completion is
evaluated by the services on each event.
"""

from __future__ import annotations

import io
import random

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select

from ...core.access import get_scoped_or_404, login_required, scoped
from ...core.nav import register_nav
from ...core.pagination import paginate
from ...core.roles import ALL_ROLES, STAFF
from ...core.web import service_errors
from ...curriculum.models import Attachment, Lesson, Module, Program, Quiz
from ...curriculum.services import current_program, outline
from ...extensions import db
from .. import services
from ..models import EnrollmentStatus, QuizAttempt
from . import bp

register_nav("Học tập", "learn.home", ALL_ROLES, order=5, match=("learn.home", "learn.program", "learn.lesson", "learn.quiz", "learn.attempt"))

NO_PERSON = (
    "Tài khoản của bạn chưa được gắn với một hòa giải viên (hoặc người học) trong danh sách, "
    "nên chưa có chương trình học. Vui lòng liên hệ công chức Tư pháp - Hộ tịch của xã để được cập nhật."
)


# --------------------------------------------------------------------------- helpers


def _person():
    return current_user.person


def _may_preview() -> bool:
    return current_user.role in STAFF


def _no_person_page():
    return render_template("learning/home.html", items=[], preview=[], no_person=NO_PERSON)


def _program_or_404(code: str) -> Program:
    program = current_program(code)
    if program is None:
        abort(404)
    return program


def _just_completed_message(program: Program) -> str:
    return f"Chúc mừng! Bạn đã hoàn thành chương trình «{program.title}»."


def _status_before(person, code: str) -> str | None:
    enrollment = services.enrollment_for(person, code)
    return enrollment.status if enrollment is not None else None


def _completed_now(person, code: str, before: str | None) -> bool:
    enrollment = services.enrollment_for(person, code)
    return before != EnrollmentStatus.COMPLETED and enrollment is not None and enrollment.status == EnrollmentStatus.COMPLETED


# --------------------------------------------------------------------------- home and program


@bp.route("/")
@login_required
def home():
    person = _person()
    if person is None:
        preview = list(db.session.scalars(select(Program).where(Program.is_current.is_(True)).order_by(Program.code))) if _may_preview() else []
        return render_template("learning/home.html", items=[], preview=preview, no_person=NO_PERSON)
    items = [services.progress(person, program) for program in services.programs_for(person)]
    return render_template("learning/home.html", items=items, preview=[], no_person=None)


@bp.route("/p/<code>")
@login_required
def program(code: str):
    person = _person()
    if person is None and not _may_preview():
        return _no_person_page()
    program = _program_or_404(code)
    prog = services.progress(person, program) if person is not None else None
    best = {}
    if person is not None:
        for module in program.modules:
            if module.quiz is not None:
                best[module.quiz.id] = services.best_score(person.id, module.quiz)
    in_audience = person is not None and program.audience in services.audiences(person)
    return render_template("learning/program.html", program=program, prog=prog, best=best, preview=person is None, in_audience=in_audience)


@bp.route("/p/<code>/enroll", methods=["POST"])
@login_required
def enroll(code: str):
    person = _person()
    program = _program_or_404(code)
    if person is None:
        flash(NO_PERSON, "warning")
        return redirect(url_for("learn.program", code=code))
    with service_errors() as outcome:
        services.enroll(person, program)
    if not outcome.ok:
        return redirect(url_for("learn.program", code=code))
    flash(f"Đã đăng ký học «{program.title}».", "success")
    return redirect(url_for("learn.program", code=code))


# --------------------------------------------------------------------------- lessons and attachments


@bp.route("/p/<code>/<slug>")
@login_required
def lesson(code: str, slug: str):
    """A lesson. The program's outline (lessons, bodies, modules) is memoized per version; the learner's standing is
    one statement; opening is recorded (and committed) only when it changes something: the first visit, a missing
    enrollment or material access, or a completion that is due."""
    person = _person()
    if person is None and not _may_preview():
        return _no_person_page()
    program = _program_or_404(code)
    out = outline(program)
    pos = out.position(slug)
    if pos is None:
        abort(404)
    item = out.lessons[pos]
    just_completed = False
    state = None
    if person is not None:
        state = services.lesson_state(person.id, program, out.slugs, slug, out.final_quiz_hash)
        if not state.nothing_to_record:
            with service_errors() as outcome:
                services.open_lesson(person, db.session.get(Lesson, item.id))
            if not outcome.ok:
                return redirect(url_for("learn.program", code=code))
            before, state = state, services.lesson_state(person.id, program, out.slugs, slug, out.final_quiz_hash)
            just_completed = not before.completed and state.completed
    prev_lesson = out.lessons[pos - 1] if pos > 0 else None
    next_lesson = out.lessons[pos + 1] if pos + 1 < len(out.lessons) else None
    module = out.modules[item.module_id]
    last_in_module = next_lesson is None or next_lesson.module_id != module.id
    return render_template(
        "learning/lesson.html", program=program, lesson=item, module=module, prog=state, preview=person is None,
        prev_lesson=prev_lesson, next_lesson=next_lesson, last_in_module=last_in_module, number=pos + 1, count=len(out.lessons),
        just_completed=just_completed,
    )


@bp.route("/p/<code>/files/<filename>")
@login_required
def attachment(code: str, filename: str):
    person = _person()
    if person is None and not _may_preview():
        abort(404)
    program = _program_or_404(code)
    att = db.session.scalar(
        select(Attachment).join(Module, Attachment.module_id == Module.id).where(Module.program_id == program.id, Attachment.filename == filename)
    )
    if att is None:
        abort(404)
    if person is not None:
        services.record_access(person)
    inline = att.content_type.startswith(("text/", "image/")) or att.content_type == "application/pdf"
    return send_file(io.BytesIO(att.data), mimetype=att.content_type, download_name=att.filename, as_attachment=not inline, max_age=0)


# --------------------------------------------------------------------------- quizzes


def _current_quiz_or_redirect(quiz_id: int):
    """``(quiz, None)`` for a quiz of a current program version, else ``(None, redirect)`` to the current one (or 404)."""
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None:
        abort(404)
    program = quiz.module.program
    if program.is_current:
        return quiz, None
    current = current_program(program.code)
    module = next((m for m in current.modules if m.slug == quiz.module.slug), None) if current is not None else None
    if module is None or module.quiz is None:
        abort(404)
    flash("Chương trình đã có phiên bản mới; đây là bài kiểm tra của phiên bản hiện hành.", "info")
    return None, redirect(url_for("learn.quiz", quiz_id=module.quiz.id))


def _shuffled(quiz: Quiz) -> dict[int, list[int]]:
    """A random display order of each question's choices (the values sent are the original indices)."""
    return {q.id: random.sample(range(len(q.choices)), len(q.choices)) for q in quiz.questions}


def _attempts_page(person, quiz: Quiz):
    if person is None:
        return None
    stmt = scoped(select(QuizAttempt), QuizAttempt).where(
        QuizAttempt.person_id == person.id, QuizAttempt.program_code == quiz.module.program.code, QuizAttempt.quiz_hash == quiz.content_hash
    )
    return paginate(stmt.order_by(QuizAttempt.submitted_at.desc(), QuizAttempt.id.desc()))


def _render_quiz(quiz: Quiz, person, chosen: dict[int, list[int]] | None = None, missing: list[int] | None = None):
    return render_template(
        "learning/quiz.html", quiz=quiz, module=quiz.module, program=quiz.module.program, order=_shuffled(quiz), chosen=chosen or {},
        missing=missing or [], attempts=_attempts_page(person, quiz), best=services.best_score(person.id, quiz) if person is not None else None,
        preview=person is None,
    )


def _parse_answers(quiz: Quiz) -> dict[int, list[int]]:
    answers = {}
    for q in quiz.questions:
        picked = []
        for raw in request.form.getlist(f"q{q.id}"):
            try:
                value = int(raw)
            except ValueError:
                continue
            if 0 <= value < len(q.choices) and value not in picked:
                picked.append(value)
        answers[q.id] = picked
    return answers


@bp.route("/quiz/<int:quiz_id>", methods=["GET", "POST"])
@login_required
def quiz(quiz_id: int):
    person = _person()
    if person is None and not _may_preview():
        return _no_person_page()
    quiz, moved = _current_quiz_or_redirect(quiz_id)
    if moved is not None:
        return moved
    if request.method == "GET":
        return _render_quiz(quiz, person)
    if person is None:
        flash("Chế độ xem trước: bài làm không được chấm và không được ghi nhận.", "warning")
        return redirect(url_for("learn.quiz", quiz_id=quiz.id))
    answers = _parse_answers(quiz)
    missing = [q.position for q in quiz.questions if not answers[q.id]]
    if missing:
        flash("Bạn chưa trả lời câu " + ", ".join(str(n) for n in missing) + ". Hãy chọn phương án cho mọi câu hỏi rồi nộp bài.", "danger")
        return _render_quiz(quiz, person, chosen=answers, missing=missing)
    program = quiz.module.program
    before = _status_before(person, program.code)
    with service_errors() as outcome:
        graded = services.submit_quiz(person, quiz, answers)
    if not outcome.ok:
        return redirect(url_for("learn.program", code=program.code))
    if _completed_now(person, program.code, before):
        flash(_just_completed_message(program), "success")
    return redirect(url_for("learn.attempt", attempt_id=graded.attempt.id))


@bp.route("/attempt/<int:attempt_id>")
@login_required
def attempt(attempt_id: int):
    attempt = get_scoped_or_404(QuizAttempt, attempt_id)
    quiz = attempt.quiz
    program = quiz.module.program
    results = []
    for q in quiz.questions:
        chosen = attempt.answers.get(str(q.id), [])
        results.append({"question": q, "chosen": chosen, "right": sorted(chosen) == sorted(q.correct)})
    own = attempt.person_id == current_user.person_id
    enrollment = services.enrollment_for(current_user.person, program.code) if own else None
    return render_template(
        "learning/attempt.html", attempt=attempt, quiz=quiz, module=quiz.module, program=program, results=results, own=own,
        min_score=program.min_score if quiz.module.is_final else None,
        completed=enrollment is not None and enrollment.status == EnrollmentStatus.COMPLETED,
    )
