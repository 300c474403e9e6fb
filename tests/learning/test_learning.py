"""Online learning: Học tập home, lessons, quizzes, attempts, completion and the program_completed signal."""

from __future__ import annotations

import gc
import re
import shutil

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from lms.core.roles import Role
from lms.core.signals import program_completed
from lms.curriculum.services import current_program, import_content
from lms.learning import services
from lms.learning.models import Enrollment, EnrollmentStatus, LessonView, MaterialAccess, QuizAttempt
from tests.conftest import csrf_token
from tests.fixtures import curriculum as curriculum_fixtures
from tests.fixtures.curriculum import right_answers, wrong_answers
from tests.fixtures.learning import final_quiz, open_all

# The curriculum fixtures (until tests/conftest.py lists "tests.fixtures.curriculum" in pytest_plugins).
program_dir = curriculum_fixtures.program_dir
program = curriculum_fixtures.program

# --------------------------------------------------------------------------- helpers


@pytest.fixture
def completions(app):
    """Every program_completed sent during the test: a list of (person_id, program code)."""
    sent = []

    def receiver(sender, **kw):
        sent.append((kw["person"].id, kw["program"].code))

    program_completed.connect(receiver, weak=False)
    yield sent
    program_completed.disconnect(receiver)


def bar_value(html: str) -> int:
    m = re.search(r'class="progress[^"]*"[^>]*aria-valuenow="(\d+)"', html)
    assert m, "no progress bar on the page"
    return int(m.group(1))


def quiz_form(client, quiz_id: int):
    """(csrf token, {question id: [choice indices in display order]}) from the quiz page."""
    html = client.get(f"/learn/quiz/{quiz_id}").get_data(as_text=True)
    order: dict[int, list[int]] = {}
    for qid, value in re.findall(r'name="q(\d+)" id="q\d+-\d+" value="(\d+)"', html):
        order.setdefault(int(qid), []).append(int(value))
    return csrf_token(html), order


def post_answers(client, quiz_id: int, answers: dict[int, list[int]]):
    token, _ = quiz_form(client, quiz_id)
    data = [("csrf_token", token)] + [(f"q{qid}", str(i)) for qid, picks in answers.items() for i in picks]
    return client.post(f"/learn/quiz/{quiz_id}", data=MultiDict(data))


def logout(client):
    token = csrf_token(client.get("/learn/").get_data(as_text=True))
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302


def count(db, model, **where):
    stmt = select(func.count()).select_from(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return db.session.scalar(stmt)


# --------------------------------------------------------------------------- completion rule, on each event


def test_opening_the_last_lesson_completes_when_the_final_quiz_was_passed(db, program, learner, completions):
    person = learner.person
    open_all(person, program, except_last=True)
    graded = services.submit_quiz(person, final_quiz(program), right_answers(final_quiz(program)))
    assert graded.attempt.score == 100
    enrollment = services.enrollment_for(person, "hgv")
    assert enrollment.status == EnrollmentStatus.ENROLLED  # one lesson still unopened
    assert completions == []

    services.open_lesson(person, program.lessons[-1])
    assert enrollment.status == EnrollmentStatus.COMPLETED
    assert enrollment.completed_program_id == program.id
    assert completions == [(person.id, "hgv")]


def test_passing_the_final_quiz_completes_when_all_lessons_were_opened(db, client, auth, program, learner, completions):
    person = learner.person
    open_all(person, program)
    db.session.commit()
    assert services.enrollment_for(person, "hgv").status == EnrollmentStatus.ENROLLED
    auth.login(learner.username)

    resp = post_answers(client, final_quiz(program).id, right_answers(final_quiz(program)))
    assert resp.status_code == 302 and "/learn/attempt/" in resp.headers["Location"]
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Chúc mừng! Bạn đã hoàn thành chương trình" in page
    assert "100" in page
    db.session.expire_all()
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.person_id == person.id))
    assert enrollment.status == EnrollmentStatus.COMPLETED and enrollment.via == "online"
    assert completions == [(person.id, "hgv")]


def test_a_score_below_quiz_min_score_does_not_complete(db, program, learner, completions):
    person = learner.person
    open_all(person, program)
    quiz = final_quiz(program)
    answers = right_answers(quiz)
    first = quiz.questions[0]
    answers[first.id] = wrong_answers(quiz)[first.id]  # 2 of 3 right: 66 < 70
    graded = services.submit_quiz(person, quiz, answers)
    assert graded.attempt.score == 66 and not graded.attempt.passed
    assert services.enrollment_for(person, "hgv").status == EnrollmentStatus.ENROLLED
    assert services.progress(person, program).percent < 100
    assert completions == []


def test_a_passed_module_quiz_is_not_the_final_test(db, program, learner, completions):
    person = learner.person
    open_all(person, program)
    module_quiz = program.modules[0].quiz
    assert services.submit_quiz(person, module_quiz, right_answers(module_quiz)).attempt.passed
    assert services.enrollment_for(person, "hgv").status == EnrollmentStatus.ENROLLED
    assert completions == []


def test_program_completed_fires_exactly_once(db, client, auth, program, learner, completions):
    person = learner.person
    open_all(person, program)
    services.submit_quiz(person, final_quiz(program), right_answers(final_quiz(program)))
    db.session.commit()
    assert completions == [(person.id, "hgv")]

    # more events afterwards, through the pages: lessons again, the final test passed again
    auth.login(learner.username)
    for lesson in program.lessons:
        assert client.get(f"/learn/p/hgv/{lesson.slug}").status_code == 200
    resp = post_answers(client, final_quiz(program).id, right_answers(final_quiz(program)))
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Chúc mừng" not in page
    assert completions == [(person.id, "hgv")]
    assert count(db, Enrollment, person_id=person.id) == 1


def test_every_attempt_is_kept_and_listed(db, client, auth, program, learner):
    quiz = final_quiz(program)
    auth.login(learner.username)
    post_answers(client, quiz.id, wrong_answers(quiz))
    post_answers(client, quiz.id, wrong_answers(quiz))
    post_answers(client, quiz.id, right_answers(quiz))
    scores = list(db.session.scalars(select(QuizAttempt.score).where(QuizAttempt.person_id == learner.person_id).order_by(QuizAttempt.id)))
    assert scores == [0, 0, 100]
    html = client.get(f"/learn/quiz/{quiz.id}").get_data(as_text=True)
    assert html.count("/learn/attempt/") == 3
    assert "điểm cao nhất của bạn: 100" in html


def test_attempt_history_is_paginated(db, client, auth, program, learner, app):
    quiz = final_quiz(program)
    for _ in range(app.config["PAGE_SIZE"] + 2):
        services.submit_quiz(learner.person, quiz, wrong_answers(quiz))
    db.session.commit()
    auth.login(learner.username)
    first = client.get(f"/learn/quiz/{quiz.id}").get_data(as_text=True)
    assert first.count("/learn/attempt/") == app.config["PAGE_SIZE"]
    second = client.get(f"/learn/quiz/{quiz.id}?page=2").get_data(as_text=True)
    assert second.count("/learn/attempt/") == 2


# --------------------------------------------------------------------------- the quiz form


def test_shuffled_form_still_grades_right(db, client, auth, program, learner):
    quiz = final_quiz(program)
    db.session.commit()
    auth.login(learner.username)
    orders = set()
    for _ in range(25):
        _, order = quiz_form(client, quiz.id)
        for q in quiz.questions:  # values are the original indices, each once
            assert sorted(order[q.id]) == list(range(len(q.choices)))
        orders.add(tuple(tuple(order[q.id]) for q in quiz.questions))
    assert len(orders) > 1, "choices are never shuffled"

    # answer by the text of the right choices, wherever they are displayed
    html = client.get(f"/learn/quiz/{quiz.id}").get_data(as_text=True)
    token = csrf_token(html)
    data = [("csrf_token", token)]
    for q in quiz.questions:
        for i in q.correct:
            m = re.search(rf'value="(\d+)"[^>]*>\s*<label class="form-check-label" for="q{q.id}-\d+">{re.escape(q.choices[i])}</label>', html)
            data.append((f"q{q.id}", m.group(1)))
    resp = client.post(f"/learn/quiz/{quiz.id}", data=MultiDict(data))
    attempt = db.session.get(QuizAttempt, int(resp.headers["Location"].rsplit("/", 1)[1]))
    assert attempt.score == 100 and attempt.passed


def test_quiz_page_uses_radios_and_checkboxes_without_javascript(db, client, auth, program, learner):
    quiz = final_quiz(program)
    db.session.commit()
    auth.login(learner.username)
    html = client.get(f"/learn/quiz/{quiz.id}").get_data(as_text=True)
    multiple = next(q for q in quiz.questions if q.multiple)
    single = next(q for q in quiz.questions if not q.multiple)
    assert f'type="checkbox" name="q{multiple.id}"' in html
    assert f'type="radio" name="q{single.id}"' in html
    assert "Chọn tất cả phương án đúng" in html
    assert "<script" not in html


def test_unanswered_questions_are_pointed_out_and_nothing_is_saved(db, client, auth, program, learner):
    quiz = final_quiz(program)
    db.session.commit()
    auth.login(learner.username)
    answers = right_answers(quiz)
    del answers[quiz.questions[1].id]
    resp = post_answers(client, quiz.id, answers)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Bạn chưa trả lời câu 2" in html
    first = quiz.questions[0]
    assert re.search(rf'name="q{first.id}" id="q{first.id}-{first.correct[0]}" value="{first.correct[0]}" checked', html)
    assert count(db, QuizAttempt) == 0


def test_attempt_page_shows_score_answers_and_explanations(db, client, auth, program, learner):
    quiz = final_quiz(program)
    db.session.commit()
    auth.login(learner.username)
    resp = post_answers(client, quiz.id, wrong_answers(quiz))
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Chưa đạt" in html and ">0</strong> điểm" in html
    assert "(bạn chọn)" in html and "(đáp án đúng)" in html
    assert "Giải thích:" in html and quiz.questions[0].explanation in html
    assert "Làm lại" in html


def test_quiz_of_an_old_version_redirects_to_the_current_one(db, client, auth, program, program_dir, learner):
    old_quiz_id = final_quiz(program).id
    lesson = program_dir / "hgv" / "01-kien-thuc-chung" / "01-khai-niem.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\nThêm một đoạn.\n", encoding="utf-8")
    import_content(program_dir)
    new = current_program("hgv")
    assert new.id != program.id
    db.session.commit()
    auth.login(learner.username)
    resp = client.get(f"/learn/quiz/{old_quiz_id}")
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/learn/quiz/{new.final_module.quiz.id}")


# --------------------------------------------------------------------------- privacy


def test_a_mediator_cannot_see_another_persons_attempt(db, client, auth, tree, program, learner, make_mediator, make_user):
    other = make_user(Role.MEDIATOR, tree.V1, person=make_mediator(tree.T1).person)
    quiz = final_quiz(program)
    mine = services.submit_quiz(learner.person, quiz, wrong_answers(quiz)).attempt
    theirs = services.submit_quiz(other.person, quiz, right_answers(quiz)).attempt
    officer = make_user(Role.COMMUNE_OFFICER, tree.C1)
    outsider = make_user(Role.COMMUNE_OFFICER, tree.CQ)
    db.session.commit()

    auth.login(learner.username)
    assert client.get(f"/learn/attempt/{mine.id}").status_code == 200
    assert client.get(f"/learn/attempt/{theirs.id}").status_code == 404
    # the other's attempts are not listed on my quiz page either
    html = client.get(f"/learn/quiz/{quiz.id}").get_data(as_text=True)
    assert f"/learn/attempt/{theirs.id}\"" not in html and f"/learn/attempt/{mine.id}\"" in html
    logout(client)

    auth.login(officer.username)  # staff: in scope, read-only (no "Làm lại")
    resp = client.get(f"/learn/attempt/{theirs.id}")
    assert resp.status_code == 200 and "Làm lại" not in resp.get_data(as_text=True)
    logout(client)
    auth.login(outsider.username)
    assert client.get(f"/learn/attempt/{theirs.id}").status_code == 404


def test_a_mediator_sees_only_their_own_progress(db, client, auth, tree, program, learner, make_mediator, make_user):
    other = make_user(Role.MEDIATOR, tree.V1, person=make_mediator(tree.T1).person)
    open_all(other.person, program)
    services.submit_quiz(other.person, final_quiz(program), right_answers(final_quiz(program)))
    db.session.commit()
    auth.login(learner.username)
    home = client.get("/learn/").get_data(as_text=True)
    assert bar_value(home) == 0 and "Bắt đầu" in home and "Đã hoàn thành" not in home
    page = client.get("/learn/p/hgv").get_data(as_text=True)
    assert bar_value(page) == 0 and "✓" not in page


# --------------------------------------------------------------------------- pages


def test_home_progress_bar_and_continue_button(db, client, auth, program, learner):
    db.session.commit()
    auth.login(learner.username)
    html = client.get("/learn/").get_data(as_text=True)
    assert "Học tập" in html and program.title in html
    assert bar_value(html) == 0
    assert "Bắt đầu" in html and f'/learn/p/hgv/{program.lessons[0].slug}"' in html

    assert client.get(f"/learn/p/hgv/{program.lessons[0].slug}").status_code == 200
    html = client.get("/learn/").get_data(as_text=True)
    assert bar_value(html) == 100 // 6  # 1 of 5 lessons + the final test
    assert "Tiếp tục học" in html and f'/learn/p/hgv/{program.lessons[1].slug}"' in html
    assert "Đang học" in html


def test_nav_has_hoc_tap_for_every_role(db, client, auth, tree, program, learner, make_user):
    officer = make_user(Role.PROVINCE_ADMIN, tree.P)
    db.session.commit()
    for user in (learner, officer):
        auth.login(user.username)
        html = client.get("/learn/").get_data(as_text=True)
        assert re.search(r'<a class="nav-link active" aria-current="page" href="/learn/">Học tập</a>', html)
        logout(client)


def test_lesson_page_records_the_view_and_links_around(db, client, auth, program, learner):
    db.session.commit()
    auth.login(learner.username)
    first, second = program.lessons[0], program.lessons[1]
    html = client.get(f"/learn/p/hgv/{second.slug}").get_data(as_text=True)
    assert second.title in html
    assert f'rel="prev" href="/learn/p/hgv/{first.slug}"' in html
    assert f'rel="next" href="/learn/p/hgv/{program.lessons[2].slug}"' in html
    assert f"/learn/quiz/{program.modules[0].quiz.id}" in html  # last lesson of module 1 → its quiz
    assert "mau-bien-ban.txt" in html  # the module's attachment
    assert bar_value(html) == 100 // 6
    assert count(db, LessonView, person_id=learner.person_id, lesson_slug=second.slug) == 1
    assert count(db, MaterialAccess, person_id=learner.person_id, kind="online") == 1
    client.get(f"/learn/p/hgv/{second.slug}")
    assert count(db, LessonView, person_id=learner.person_id) == 1  # first time only
    assert client.get("/learn/p/hgv/khong-co").status_code == 404
    assert client.get("/learn/p/khong-co/khai-niem").status_code == 404


def test_opening_the_last_lesson_shows_the_completion_banner(db, client, auth, program, learner):
    open_all(learner.person, program, except_last=True)
    services.submit_quiz(learner.person, final_quiz(program), right_answers(final_quiz(program)))
    db.session.commit()
    auth.login(learner.username)
    html = client.get(f"/learn/p/hgv/{program.lessons[-1].slug}").get_data(as_text=True)
    assert "Chúc mừng! Bạn đã hoàn thành chương trình" in html
    assert bar_value(html) == 100


def test_lesson_page_is_light(db, client, auth, program, learner):
    db.session.commit()
    auth.login(learner.username)
    # What Chromium sends over plain HTTP (br/zstd only over HTTPS).
    headers = {"Accept-Encoding": "gzip, deflate"}
    resp = client.get(f"/learn/p/hgv/{program.lessons[0].slug}", headers=headers)
    assert resp.status_code == 200
    assert resp.headers.get("Content-Encoding") in ("gzip", "deflate")
    html_size = len(resp.get_data())
    assert html_size < 20 * 1024

    page = client.get(f"/learn/p/hgv/{program.lessons[0].slug}").get_data(as_text=True)
    assert "<script" not in page and "<img" not in page
    sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
    assert len(sheets) == 2 and any("bootstrap" in s for s in sheets)
    css_size = 0
    for href in sheets:
        css = client.get(href, headers=headers)
        assert css.status_code == 200
        if len(css.get_data()) > 2048:  # a tiny sheet may go uncompressed
            assert css.headers.get("Content-Encoding") in ("gzip", "deflate")
        css_size += len(css.get_data())
        css.close()
        del css
    gc.collect()
    assert html_size + css_size < 100 * 1024


def test_program_page_lists_modules_quizzes_and_enrolls(db, client, auth, program, learner):
    db.session.commit()
    auth.login(learner.username)
    html = client.get("/learn/p/hgv").get_data(as_text=True)
    assert program.notice in html and "Bài kiểm tra cuối khóa" in html
    for m in program.modules:
        assert f"/learn/quiz/{m.quiz.id}" in html
    assert "Đăng ký học" in html
    resp = client.post("/learn/p/hgv/enroll", data={"csrf_token": csrf_token(html)}, follow_redirects=True)
    assert "Đã đăng ký học" in resp.get_data(as_text=True)
    assert count(db, Enrollment, person_id=learner.person_id, program_code="hgv") == 1

    client.get(f"/learn/p/hgv/{program.lessons[0].slug}")
    post_answers(client, program.modules[0].quiz.id, right_answers(program.modules[0].quiz))
    html = client.get("/learn/p/hgv").get_data(as_text=True)
    assert "Đăng ký học" not in html and "✓" in html and "cao nhất 100 điểm" in html


def test_enrolling_outside_ones_audience_is_refused(db, client, auth, tree, program, make_user):
    trainer = make_user(Role.TRAINER, tree.P)  # a person, but no mediator membership
    db.session.commit()
    auth.login(trainer.username)
    html = client.get("/learn/p/hgv").get_data(as_text=True)
    assert "Chương trình này dành cho hòa giải viên" in html and "Đăng ký học</button>" not in html
    resp = client.post("/learn/p/hgv/enroll", data={"csrf_token": csrf_token(html)}, follow_redirects=True)
    assert "Chương trình «Chương trình bồi dưỡng hòa giải viên ở cơ sở» dành cho hòa giải viên" in resp.get_data(as_text=True)
    resp = client.get(f"/learn/p/hgv/{program.lessons[0].slug}", follow_redirects=True)
    assert "dành cho hòa giải viên" in resp.get_data(as_text=True)
    assert count(db, Enrollment) == 0 and count(db, LessonView) == 0


def test_staff_without_a_person_preview_and_nothing_is_recorded(db, client, auth, tree, program, make_user):
    officer = make_user(Role.COMMUNE_OFFICER, tree.C1)
    db.session.commit()
    auth.login(officer.username)
    home = client.get("/learn/").get_data(as_text=True)
    assert "chưa được gắn với một hòa giải viên" in home and "/learn/p/hgv" in home
    lesson = client.get(f"/learn/p/hgv/{program.lessons[0].slug}").get_data(as_text=True)
    assert "Chế độ xem trước: tiến độ không được ghi nhận" in lesson
    quiz = final_quiz(program)
    html = client.get(f"/learn/quiz/{quiz.id}").get_data(as_text=True)
    assert "Chế độ xem trước" in html
    client.post(f"/learn/quiz/{quiz.id}", data={"csrf_token": csrf_token(html)})
    assert client.get("/learn/p/hgv/files/mau-bien-ban.txt").status_code == 200
    assert count(db, LessonView) == 0 and count(db, QuizAttempt) == 0 and count(db, MaterialAccess) == 0


def test_attachment_download_records_access_once(db, client, auth, program, learner):
    db.session.commit()
    auth.login(learner.username)
    resp = client.get("/learn/p/hgv/files/mau-bien-ban.txt")
    assert resp.status_code == 200
    assert resp.mimetype == "text/plain" and "Biên bản hòa giải thành" in resp.get_data(as_text=True)
    rows = list(db.session.scalars(select(MaterialAccess).where(MaterialAccess.person_id == learner.person_id)))
    assert [r.kind for r in rows] == ["online"]
    client.get("/learn/p/hgv/files/mau-bien-ban.txt")
    assert count(db, MaterialAccess, person_id=learner.person_id) == 1
    assert client.get("/learn/p/hgv/files/khong-co.pdf").status_code == 404


def test_attachment_of_an_old_version_is_not_served(db, client, auth, program, program_dir, learner):
    shutil.rmtree(program_dir / "hgv" / "01-kien-thuc-chung" / "files")
    lesson = program_dir / "hgv" / "01-kien-thuc-chung" / "01-khai-niem.md"
    lesson.write_text(lesson.read_text(encoding="utf-8").replace("Xem [mẫu biên bản](files/mau-bien-ban.txt).", ""), encoding="utf-8")
    import_content(program_dir)
    db.session.commit()
    auth.login(learner.username)
    assert client.get("/learn/p/hgv/files/mau-bien-ban.txt").status_code == 404


def test_anonymous_is_sent_to_login(client, program):
    for url in ("/learn/", "/learn/p/hgv", f"/learn/quiz/{final_quiz(program).id}", "/learn/attempt/1"):
        resp = client.get(url)
        assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
