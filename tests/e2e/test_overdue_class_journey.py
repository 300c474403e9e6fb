"""Issue 5's journey: a trainer opens the overdue list, creates a class for those people, takes attendance on a
phone-sized screen, records results; the people receive certificates and show as trained late or on time."""

from __future__ import annotations

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import select

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


def test_overdue_list_to_class_to_certificates(live_server, desktop_page, phone_page, db, tree, program, make_mediator, make_person, make_user):
    page = desktop_page
    today = clock.today()
    overdue = make_mediator(tree.T1, name="Nguyễn Thị Hương", recognized_on=today - relativedelta(months=8)).person
    due_soon = make_mediator(tree.T1, name="Trần Văn Đức", recognized_on=today - relativedelta(months=6) + dt.timedelta(days=10)).person
    make_mediator(tree.T3, name="Người Xã Khác", recognized_on=today - relativedelta(months=8))  # also overdue, not picked
    trainer = make_person(tree.P, name="Võ Minh Tâm")
    roster.appoint_trainer(person=trainer, level=TrainerLevel.PROVINCE, unit=tree.P, started_on=dt.date(2024, 1, 1))
    user = make_user(Role.TRAINER, tree.P, person=trainer)
    db.session.commit()

    # the overdue / due-soon list
    login(page, live_server, user.username)
    page.goto(f"{live_server}/certificates/deadlines")
    listing = page.locator("main").inner_text()
    assert "Nguyễn Thị Hương" in listing and "Trần Văn Đức" in listing and "Quá hạn" in listing
    for person in (overdue, due_soon):
        page.check(f"input[name=person_id][value='{person.id}']")
    page.click("button:has-text('Tạo lớp cho những người này')")
    page.wait_for_load_state()
    assert "/learn/classes/new" in page.url
    assert "Sẽ ghi danh 2 người" in page.locator("#prefill").inner_text()

    # the class form, pre-filled with those people
    now = clock.now_local()
    day = now.date()
    start = max(now - dt.timedelta(hours=1), dt.datetime.combine(day, dt.time.min))
    end = min(now + dt.timedelta(hours=1), dt.datetime.combine(day, dt.time(23, 59)))
    page.fill("input[name=title]", "Lớp bồi dưỡng hòa giải viên mới công nhận")
    page.select_option("select[name=unit_id]", str(tree.C1.id))
    page.check(f"#trainer-{trainer.id}")
    page.fill("input[name=venue]", "Hội trường UBND phường An Hòa")
    page.fill("input[name=starts_on]", min(today, day).isoformat())
    page.fill("input[name=ends_on]", day.isoformat())
    page.click("button[type=submit]:has-text('Tạo lớp và ghi danh')")
    page.wait_for_load_state()
    assert "Đã ghi danh 2 người" in page.locator(".alert-success").inner_text()
    class_url = page.url
    page.click("summary:has-text('Thêm buổi học')")
    page.fill("#session-form input[name=on]", day.isoformat())
    page.fill("#session-form input[name=starts_at]", start.strftime("%H:%M"))
    page.fill("#session-form input[name=ends_at]", end.strftime("%H:%M"))
    page.click("#session-form button[type=submit]")
    page.wait_for_load_state()

    # attendance on a phone-sized screen
    login(phone_page, live_server, user.username)
    phone_page.goto(class_url)
    phone_page.click("a:has-text('Điểm danh')")
    phone_page.wait_for_load_state()
    for person in (overdue, due_soon):
        phone_page.click(f"label[for=s{person.id}-present]")
    phone_page.click("button:has-text('Lưu điểm danh')")
    phone_page.wait_for_load_state()
    assert "Đã lưu điểm danh" in phone_page.locator(".alert-success").inner_text()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360

    # results: both pass, and complete at once
    page.goto(class_url)
    page.click("a:has-text('Nhập kết quả')")
    page.wait_for_load_state()
    inputs = page.locator("input[name^=score-]")
    inputs.nth(0).fill("90")
    inputs.nth(1).fill("75")
    page.click("button:has-text('Lưu kết quả')")
    page.wait_for_load_state()
    assert "2 người vừa hoàn thành lớp" in page.locator(".alert-success").inner_text()

    db.session.rollback()
    certs = {c.person_id: c for c in db.session.scalars(select(Certificate))}
    assert set(certs) == {overdue.id, due_soon.id}
    assert all(c.source == "class" and c.program_code == "hgv" for c in certs.values())

    # they now show as trained: late (overdue one) and on time (due-soon one)
    page.goto(f"{live_server}/certificates/deadlines?status=met_late")
    late = page.locator("main table").last.inner_text()
    assert "Nguyễn Thị Hương" in late and "Trần Văn Đức" not in late
    page.goto(f"{live_server}/certificates/deadlines?status=met_on_time")
    on_time = page.locator("main table").last.inner_text()
    assert "Trần Văn Đức" in on_time and "Nguyễn Thị Hương" not in on_time
