"""A trainer runs a class in the browser: creates it for two mediators, adds today's session, takes attendance on a
phone-sized screen, records results, closes the class; both mediators complete and receive certificates."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from lms.certificates.models import Certificate
from lms.core import clock
from lms.core.roles import Role
from lms.org.models import TrainerLevel
from lms.org.services import roster
from tests.e2e.conftest import login
from tests.fixtures import curriculum as curriculum_fixtures

pytestmark = pytest.mark.e2e

program_dir = curriculum_fixtures.program_dir
program = curriculum_fixtures.program


@pytest.fixture
def journey(db, tree, program, make_mediator, make_person, make_user):
    m1 = make_mediator(tree.T1, name="Nguyễn Thị Hương").person
    m2 = make_mediator(tree.T1, name="Trần Văn Đức").person
    trainer = make_person(tree.P, name="Võ Minh Tâm")
    roster.appoint_trainer(person=trainer, level=TrainerLevel.PROVINCE, unit=tree.P, started_on=dt.date(2024, 1, 1))
    user = make_user(Role.TRAINER, tree.P, person=trainer, username="thv-tam")
    db.session.commit()
    return m1, m2, trainer, user


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.fixture
def page(browser):
    """A desktop-sized page (the class office)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def test_trainer_runs_a_class_and_both_mediators_complete(live_server, page, phone_page, journey, tree, db):
    m1, m2, trainer, user = journey
    # sessions are in Vietnam's wall-clock time, whose date may differ from the server's date
    now = clock.now_local()
    today = now.date()
    first_day = min(clock.today(), today)
    start = max(now - dt.timedelta(hours=1), dt.datetime.combine(today, dt.time.min))
    end = min(now + dt.timedelta(hours=1), dt.datetime.combine(today, dt.time(23, 59)))

    # create the class for the two mediators (the overdue list links here with their ids)
    login(page, live_server, user.username)
    page.goto(f"{live_server}/learn/classes/new?person_id={m1.id}&person_id={m2.id}&program=hgv")
    assert "Sẽ ghi danh 2 người" in page.locator("#prefill").inner_text()
    page.fill("input[name=title]", "Lớp bồi dưỡng hòa giải viên Phường An Hòa")
    page.select_option("select[name=unit_id]", str(tree.C1.id))
    page.check(f"#trainer-{trainer.id}")
    page.fill("input[name=venue]", "Hội trường UBND phường An Hòa")
    page.fill("input[name=starts_on]", first_day.isoformat())
    page.fill("input[name=ends_on]", today.isoformat())
    page.click("button[type=submit]:has-text('Tạo lớp và ghi danh')")
    page.wait_for_load_state()
    assert "Đã ghi danh 2 người" in page.locator(".alert-success").inner_text()
    class_url = page.url
    roster_text = page.locator("#roster").inner_text()
    assert "Nguyễn Thị Hương" in roster_text and "Trần Văn Đức" in roster_text

    # a session today, covering now
    page.click("summary:has-text('Thêm buổi học')")
    page.fill("#session-form input[name=on]", today.isoformat())
    page.fill("#session-form input[name=starts_at]", start.strftime("%H:%M"))
    page.fill("#session-form input[name=ends_at]", end.strftime("%H:%M"))
    page.fill("#session-form input[name=topic]", "Kỹ năng hòa giải")
    page.click("#session-form button[type=submit]")
    page.wait_for_load_state()
    assert "Đã thêm buổi học" in page.locator(".alert-success").inner_text()
    assert page.locator("[data-session] .badge:has-text('đang mở điểm danh')").count() == 1

    # attendance on the phone
    phone = phone_page
    login(phone, live_server, user.username)
    phone.goto(class_url)
    phone.click("a:has-text('Điểm danh')")
    phone.wait_for_load_state()
    assert phone.locator("h1").inner_text().startswith("Điểm danh buổi")
    assert fits_the_screen(phone)
    for person in (m1, m2):
        phone.click(f"label[for=s{person.id}-present]")
        assert phone.is_checked(f"#s{person.id}-present")
    phone.click("button:has-text('Lưu điểm danh')")
    phone.wait_for_load_state()
    assert "Đã lưu điểm danh (2 thay đổi)." in phone.locator(".alert-success").inner_text()
    assert phone.is_checked(f"#s{m1.id}-present") and phone.is_checked(f"#s{m2.id}-present")
    assert fits_the_screen(phone)

    # results: passing scores
    page.goto(class_url)
    page.click("a:has-text('Nhập kết quả')")
    page.wait_for_load_state()
    inputs = page.locator("input[name^=score-]")
    assert inputs.count() == 2
    inputs.nth(0).fill("85")
    inputs.nth(1).fill("72")
    page.click("button:has-text('Lưu kết quả')")
    page.wait_for_load_state()
    assert "2 người vừa hoàn thành lớp" in page.locator(".alert-success").inner_text()

    # close the class: both completed
    page.goto(class_url)
    page.click("a:has-text('Kết thúc lớp')")
    page.wait_for_load_state()
    page.check("input[name=confirm]")
    page.click("button[type=submit]:has-text('Kết thúc lớp')")
    page.wait_for_load_state()
    assert "Đã kết thúc lớp" in page.locator(".alert-success").inner_text()
    assert page.locator("#completed").inner_text() == "Hoàn thành (2)"
    assert page.locator("#not-completed").inner_text() == "Chưa hoàn thành (0)"
    done = page.locator("main").inner_text()
    assert "Nguyễn Thị Hương" in done and "Trần Văn Đức" in done

    db.session.rollback()
    certs = list(db.session.scalars(select(Certificate).order_by(Certificate.person_id)))
    assert [(c.person_id, c.program_code, c.source) for c in certs] == [(m1.id, "hgv", "class"), (m2.id, "hgv", "class")]
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 2
