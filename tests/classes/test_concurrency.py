"""The same write twice at once (a double tap, QR check-in while the trainer saves the grid): found by
``bench/soak.py``. Each PostgreSQL test holds the first transaction open until the second one waits on
it, then commits the first: the order is forced, not left to chance."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import func, select, text

from lms.certificates.models import Certificate
from lms.classes import services as classes
from lms.classes.models import Attendance, ClassEnrollment, ClassSession
from lms.core import clock
from lms.core.rows import insert_once
from lms.curriculum.services import current_program, import_content
from lms.extensions import db
from lms.learning import services
from lms.learning.models import Enrollment, LessonView, MaterialAccess, QuizAttempt
from lms.org.models import Gender, UnitKind
from lms.org.services import roster
from tests.fixtures.curriculum import right_answers, write_program

TODAY = dt.date(2026, 3, 10)


# --------------------------------------------------------------------------- both databases


def test_insert_once_returns_the_row_already_there_and_keeps_the_rest_of_the_transaction(db, tree, make_mediator, program_dir):
    import_content(program_dir)
    person = make_mediator(tree.T1).person
    db.session.add(LessonView(person_id=person.id, program_code="hgv", lesson_slug="khai-niem", first_opened_at=dt.datetime(2026, 3, 1)))
    db.session.commit()
    other = services.enroll(person, current_program("hgv"))  # pending work of the same transaction

    def find():
        return db.session.scalar(select(LessonView).where(LessonView.person_id == person.id, LessonView.lesson_slug == "khai-niem"))

    duplicate = LessonView(person_id=person.id, program_code="hgv", lesson_slug="khai-niem", first_opened_at=dt.datetime(2026, 3, 2))
    won = insert_once(duplicate, find)
    db.session.commit()

    assert won is not duplicate and won.first_opened_at == dt.datetime(2026, 3, 1)
    assert db.session.scalar(select(func.count()).select_from(LessonView)) == 1
    assert db.session.get(Enrollment, other.id) is not None  # the savepoint's rollback lost nothing else


# --------------------------------------------------------------------------- PostgreSQL: forced overlaps


def _waiting_on_a_lock(app) -> bool:
    with app.app_context():
        n = db.session.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"))
        db.session.remove()
    return n > 0


def overlapped(app, first, second) -> list:
    """Run ``first()`` and keep its transaction open; run ``second()`` in another transaction until it waits
    for the first (or is done); then commit the first and let the second finish and commit.
    Returns both results; any exception fails the test."""
    results: list = [None, None]
    errors: list[BaseException] = []
    first_done, release = threading.Event(), threading.Event()

    def run(i: int, func, hold: bool) -> None:
        with app.app_context():
            try:
                results[i] = func()
                if hold:
                    first_done.set()
                    release.wait(30)
                db.session.commit()
            except BaseException as exc:  # noqa: BLE001 (reported below)
                errors.append(exc)
                db.session.rollback()
            finally:
                first_done.set()
                db.session.remove()

    one = threading.Thread(target=run, args=(0, first, True))
    two = threading.Thread(target=run, args=(1, second, False))
    with clock.frozen(TODAY):  # for both threads ("today" is one global)
        one.start()
        assert first_done.wait(30)
        two.start()
        deadline = time.monotonic() + 20  # a bound on the wait, not a measurement
        while two.is_alive() and not _waiting_on_a_lock(app) and time.monotonic() < deadline:
            two.join(0.05)
        release.set()
        one.join(30)
        two.join(30)
    assert errors == [], errors
    return results


@pytest.fixture
def world(pg_app, tmp_path):
    """On PostgreSQL: the test program, a mediator learning it, and a class with one session today."""
    with pg_app.app_context(), clock.frozen(TODAY):
        import_content(write_program(tmp_path / "content"))
        province = roster.create_unit(code="92", name="Thành phố Cần Thơ", kind=UnitKind.PROVINCE, parent=None)
        commune = roster.create_unit(code="31117", name="Phường An Hòa", kind=UnitKind.COMMUNE, parent=province)
        village = roster.create_unit(code="31117-01", name="Khu vực 1", kind=UnitKind.VILLAGE, parent=commune)
        team = roster.create_team(unit=village, name="Tổ hòa giải Khu vực 1")
        person = roster.create_person(full_name="Nguyễn Thị Lan", unit=village, gender=Gender.FEMALE, birth_year=1980)
        roster.recognize_mediator(person=person, team=team, recognized_on=dt.date(2025, 1, 15))
        program = current_program("hgv")
        services.enroll(person, program)
        klass = classes.create_class(title="Lớp hòa giải viên", program_code="hgv", unit=commune, mode="in_person", starts_on=TODAY,
                                     ends_on=TODAY, capacity=10, assessment="pass_fail")
        session = classes.add_session(klass, TODAY, dt.time(0, 0), dt.time(23, 59))
        classes.enroll(klass, [person])
        db.session.commit()
        ids = {"person": person.id, "class": klass.id, "session": session.id, "code": session.checkin_code}
        db.session.remove()
    return pg_app, ids


def _person(ids):
    return db.session.get(roster.Person, ids["person"])


def _count(model, **where) -> int:
    stmt = select(func.count()).select_from(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return db.session.scalar(stmt)


@pytest.mark.postgres
def test_a_lesson_opened_twice_at_once_is_recorded_once(world):
    app, ids = world

    def open_first_lesson():
        lesson = current_program("hgv").lessons[0]
        services.open_lesson(_person(ids), lesson)
        return lesson.slug

    slugs = overlapped(app, open_first_lesson, open_first_lesson)

    assert slugs[0] == slugs[1]
    with app.app_context():
        assert _count(LessonView, person_id=ids["person"]) == 1
        assert _count(MaterialAccess, person_id=ids["person"]) == 1
        db.session.remove()


@pytest.mark.postgres
def test_qr_check_in_while_the_trainer_saves_the_grid_is_one_mark(world):
    app, ids = world

    def trainer():
        session = db.session.get(ClassSession, ids["session"])
        classes.lock_roster(session.klass)
        return classes.mark(session, ids["person"], Attendance.ABSENT).status

    def learner():
        return classes.checkin(ids["code"], _person(ids), at=dt.datetime.combine(TODAY, dt.time(9, 0))).status

    assert overlapped(app, trainer, learner) == ["absent", "present"]
    with app.app_context():
        (mark,) = db.session.scalars(select(Attendance)).all()
        assert (mark.status, mark.via) == ("present", "qr")  # the later one wins, nothing fails
        db.session.remove()


@pytest.mark.postgres
def test_the_final_quiz_passed_twice_at_once_completes_once_with_one_certificate(world):
    app, ids = world
    with app.app_context(), clock.frozen(TODAY):
        program = current_program("hgv")
        for lesson in program.lessons:
            services.open_lesson(_person(ids), lesson)
        db.session.commit()
        db.session.remove()

    def submit():
        quiz = current_program("hgv").final_module.quiz
        return services.submit_quiz(_person(ids), quiz, right_answers(quiz)).attempt.score

    assert overlapped(app, submit, submit) == [100, 100]
    with app.app_context():
        assert _count(QuizAttempt, person_id=ids["person"]) == 2  # every attempt is kept
        (enrollment,) = db.session.scalars(select(Enrollment)).all()
        assert (enrollment.status, enrollment.via) == ("completed", "online")
        assert _count(Certificate, person_id=ids["person"]) == 1
        db.session.remove()


@pytest.mark.postgres
def test_class_and_online_completion_at_once_give_one_certificate(world):
    app, ids = world
    with app.app_context(), clock.frozen(TODAY):
        program = current_program("hgv")
        for lesson in program.lessons:
            services.open_lesson(_person(ids), lesson)
        session = db.session.get(ClassSession, ids["session"])
        classes.mark(session, ids["person"], Attendance.PRESENT)
        db.session.commit()
        db.session.remove()

    def trainer_passes():
        row = db.session.scalar(select(ClassEnrollment).where(ClassEnrollment.person_id == ids["person"]))
        classes.lock_roster(row.klass)
        classes.record_result(row, passed=True)
        return row.status

    def learner_passes():
        quiz = current_program("hgv").final_module.quiz
        return services.submit_quiz(_person(ids), quiz, right_answers(quiz)).attempt.passed

    assert overlapped(app, trainer_passes, learner_passes) == ["completed", True]
    with app.app_context():
        (enrollment,) = db.session.scalars(select(Enrollment)).all()
        assert (enrollment.status, enrollment.via) == ("completed", "class")
        (cert,) = db.session.scalars(select(Certificate)).all()
        assert cert.enrollment_id == enrollment.id and cert.source == "class"
        db.session.remove()
