"""A mediator learns on a cheap phone (360×740): continue, read, fail then pass the final test, see the bar move."""

from __future__ import annotations

import re
import unicodedata

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from lms.core.roles import Role
from lms.learning import services
from tests.e2e.conftest import login
from tests.fixtures import curriculum as curriculum_fixtures

pytestmark = pytest.mark.e2e

program_dir = curriculum_fixtures.program_dir
program = curriculum_fixtures.program


@pytest.fixture
def mediator(db, tree, make_mediator, make_user, program):
    membership = make_mediator(tree.T1)
    user = make_user(Role.MEDIATOR, tree.V1, person=membership.person)
    services.open_lesson(membership.person, program.lessons[0])  # already started: the bar is above 0
    db.session.commit()
    return user


def bar(page) -> int:
    return int(page.locator(".progress[aria-valuenow]").first.get_attribute("aria-valuenow"))


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 360


def answer(page, quiz, right: bool) -> None:
    for q in quiz.questions:
        picks = list(q.correct) if right else [next(i for i in range(len(q.choices)) if i not in q.correct)]
        for i in picks:
            page.check(f"#q{q.id}-{i}")
    page.click("button:has-text('Nộp bài')")
    page.wait_for_load_state()


def test_mediator_continues_reads_fails_then_passes_and_the_bar_moves(live_server, phone_page, mediator, program, db):
    page = phone_page
    final = program.final_module.quiz
    login(page, live_server, mediator.username)

    page.click("nav a.nav-link:has-text('Học tập')")
    assert page.locator("h1").inner_text() == "Học tập"
    start = bar(page)
    assert 0 < start < 100
    assert f"Tiến độ học tập: {start}%" in page.locator(".program-card").inner_text()

    page.click("a:has-text('Tiếp tục học')")
    assert page.locator("h1").inner_text() == program.lessons[1].title
    assert fits_the_screen(page)
    seen = [bar(page)]
    assert seen[0] > start

    # read on to the end of the program
    while page.locator("a[rel=next]").count():
        page.click("a[rel=next]")
        assert fits_the_screen(page)
        seen.append(bar(page))
    assert page.locator("h1").inner_text() == program.lessons[-1].title
    assert seen == sorted(seen) and len(set(seen)) == len(seen), f"the bar did not move on each lesson: {seen}"
    assert seen[-1] < 100  # the final test is still to pass

    # the final test: fail first
    page.click("a:has-text('Làm bài kiểm tra cuối khóa')")
    assert page.locator("h1").inner_text() == final.title
    assert fits_the_screen(page)
    answer(page, final, right=False)
    result = page.locator(".result").inner_text()
    assert "0 điểm" in result and "Chưa đạt" in result
    assert "Chúc mừng" not in page.content()
    assert "Giải thích:" in page.content()

    page.click("nav a.nav-link:has-text('Học tập')")
    assert bar(page) == seen[-1]

    # retake and pass
    page.goto(f"{live_server}/learn/quiz/{final.id}")
    assert page.locator("table.attempts tbody tr").count() == 1
    answer(page, final, right=True)
    assert "Chúc mừng! Bạn đã hoàn thành chương trình" in page.locator(".alert-success").first.inner_text()
    assert "100 điểm" in page.locator(".result").inner_text()
    # the certificate is there at once, to download
    issued = page.locator(".certificate-issued")
    assert "Giấy chứng nhận của bạn đã được cấp" in issued.inner_text()
    with page.expect_download() as download:
        issued.locator("a:has-text('Tải giấy chứng nhận')").click()
    pdf = download.value
    assert pdf.suggested_filename.endswith(".pdf")
    with open(pdf.path(), "rb") as fh:
        text = "".join(p.extract_text() for p in PdfReader(fh).pages)
    assert unicodedata.normalize("NFC", text).count(mediator.person.full_name) == 1
    # the QR's URL, opened without login, says it is valid
    from lms.certificates.models import Certificate

    db.session.rollback()
    cert = db.session.scalar(select(Certificate).where(Certificate.person_id == mediator.person_id))
    anonymous = page.context.browser.new_context(viewport={"width": 360, "height": 740})
    check = anonymous.new_page()
    check.goto(f"{live_server}/verify/{cert.verification_code}")
    assert "Còn hiệu lực" in check.locator("main").inner_text()
    assert mediator.person.full_name in check.locator("main").inner_text()
    anonymous.close()
    page.click("a:has-text('Làm lại')")
    assert page.locator("table.attempts tbody tr").count() == 2

    page.click("nav a.nav-link:has-text('Học tập')")
    assert bar(page) == 100
    card = page.locator(".program-card").inner_text()
    assert "Đã hoàn thành" in card and "Tiến độ học tập: 100%" in card


def test_reading_and_taking_a_quiz_need_no_javascript(live_server, browser, mediator, program):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        login(page, live_server, mediator.username)
        page.goto(f"{live_server}/learn/p/hgv/{program.lessons[1].slug}")
        assert page.locator("h1").inner_text() == program.lessons[1].title
        assert not re.search(r"<script", page.content())
        quiz = program.modules[0].quiz
        page.click("a:has-text('Làm bài kiểm tra mô-đun')")
        answer(page, quiz, right=True)
        assert "100 điểm" in page.locator(".result").inner_text()
    finally:
        context.close()
