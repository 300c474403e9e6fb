"""The lesson page's fast path: a revisit records nothing and reads little; the memoized outline follows new versions;
a completion that became due is still recorded on the next visit."""

from __future__ import annotations

import re

from sqlalchemy import event, func, select

from lms.core import clock
from lms.curriculum.services import current_program, import_content
from lms.learning import services
from lms.learning.models import Enrollment, EnrollmentStatus, LessonView, QuizAttempt
from tests.fixtures import curriculum as curriculum_fixtures

program_dir = curriculum_fixtures.program_dir
program = curriculum_fixtures.program


def statements(db, func_) -> list[str]:
    seen = []

    def before(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        func_()
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    return seen


def test_a_revisit_writes_nothing_and_reads_in_a_fixed_number_of_statements(db, client, auth, program, learner):
    db.session.commit()
    auth.login(learner.username)
    url, title = f"/learn/p/hgv/{program.lessons[1].slug}", program.lessons[1].title
    first = statements(db, lambda: client.get(url))
    assert any(s.lstrip().upper().startswith("INSERT INTO LESSON_VIEW") for s in first)
    db.session.expunge_all()  # as in a fresh request (the test shares one session with the requests)
    again = statements(db, lambda: client.get(url))
    assert not [s for s in again if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    # the user with person and unit, the current program, the learner's standing, the notification badge
    selects = [s for s in again if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 4, [s[:90] for s in selects]
    html = client.get(url).get_data(as_text=True)
    assert title in html and "đã mở 1/5 bài" in html


def test_a_new_version_is_shown_at_once(db, client, auth, program, program_dir, learner):
    db.session.commit()
    auth.login(learner.username)
    slug = program.lessons[0].slug
    assert "Bản sửa đổi" not in client.get(f"/learn/p/hgv/{slug}").get_data(as_text=True)
    lesson_file = next(program_dir.glob(f"hgv/*/*-{slug}.md"))
    lesson_file.write_text(lesson_file.read_text(encoding="utf-8") + "\n\nBản sửa đổi của bài học.\n", encoding="utf-8")
    import_content(program_dir)
    db.session.commit()
    assert current_program("hgv").id != program.id
    assert "Bản sửa đổi của bài học." in client.get(f"/learn/p/hgv/{slug}").get_data(as_text=True)


def test_a_completion_that_became_due_is_recorded_on_the_next_visit(db, client, auth, program, learner):
    """Every lesson was opened and the final quiz passed, but nothing evaluated completion (rows written directly)."""
    person = learner.person
    services.enroll(person, program)
    for lesson in program.lessons:
        db.session.add(LessonView(person_id=person.id, program_code="hgv", lesson_slug=lesson.slug, first_opened_at=clock.now()))
    final = program.final_module.quiz
    db.session.add(QuizAttempt(person_id=person.id, quiz=final, program_code="hgv", quiz_hash=final.content_hash, score=100,
                               correct_count=len(final.questions), total=len(final.questions), passed=True, answers={}, submitted_at=clock.now()))
    services.record_access(person)
    db.session.commit()
    auth.login(learner.username)
    html = client.get(f"/learn/p/hgv/{program.lessons[0].slug}").get_data(as_text=True)
    assert "Chúc mừng! Bạn đã hoàn thành chương trình" in html
    assert re.search(r'aria-valuenow="100"', html)
    status = db.session.scalar(select(Enrollment.status).where(Enrollment.person_id == person.id))
    assert status == EnrollmentStatus.COMPLETED
    assert db.session.scalar(select(func.count(LessonView.id)).where(LessonView.person_id == person.id)) == len(program.lessons)
