"""Attendance: the phone grid, self check-in by QR (only while the session is open, only for enrolled, signed-in people), the QR page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from lms.certificates.models import Certificate
from lms.classes import services as classes
from lms.classes.models import Attendance, ClassEnrollment
from lms.core import clock
from lms.core.errors import ServiceError
from lms.core.roles import Role
from tests.conftest import csrf_token
from tests.fixtures.classes import TODAY, make_class
from tests.fixtures.curriculum import program, program_dir  # noqa: F401


@pytest.fixture
def world(class_world):
    return class_world


def attendance_rows(db) -> dict[int, tuple[str, str]]:
    return {a.person_id: (a.status, a.via) for a in db.session.scalars(select(Attendance))}


def session_around_now(klass):
    """A session today whose window holds the current local time (the clock is frozen to today, the time of day is real)."""
    now = clock.now_local()
    day_start = dt.datetime.combine(now.date(), dt.time.min)
    day_end = dt.datetime.combine(now.date(), dt.time(23, 59, 59))
    start = max(now - dt.timedelta(hours=1), day_start)
    end = min(now + dt.timedelta(hours=1), day_end)
    return classes.add_session(klass, now.date(), start.time().replace(microsecond=0), end.time().replace(microsecond=0), "Buổi đang diễn ra")


# --------------------------------------------------------------------------- the grid


def test_grid_is_phone_friendly_and_saves_every_row(client, world, db):
    klass = make_class(world.tree.C1, [world.m1, world.m2, world.m4], sessions=1)
    session = klass.sessions[0]
    classes.withdraw(next(e for e in klass.enrollments if e.person_id == world.m4.id), "Chuyển đi nơi khác")
    db.session.commit()
    world.login("thv-tinh")
    res = client.get(f"/learn/sessions/{session.id}/attendance")
    html = res.get_data(as_text=True)
    assert res.status_code == 200
    assert {int(i) for i in re.findall(r'<fieldset[^>]*data-person="(\d+)"', html)} == {world.m1.id, world.m2.id}  # not the withdrawn
    for label in ("Có mặt", "Vắng", "Có phép", "Lưu điểm danh"):
        assert label in html
    assert html.count('class="btn-check"') == 6 and 'type="radio"' in html
    data = {"csrf_token": csrf_token(html), f"s{world.m1.id}": "present", f"s{world.m2.id}": "excused"}
    res = client.post(f"/learn/sessions/{session.id}/attendance", data=data, follow_redirects=True)
    assert "Đã lưu điểm danh (2 thay đổi)." in res.get_data(as_text=True)
    assert attendance_rows(db) == {world.m1.id: ("present", "grid"), world.m2.id: ("excused", "grid")}
    # the saved choices are shown checked
    html = client.get(f"/learn/sessions/{session.id}/attendance").get_data(as_text=True)
    assert re.search(rf'id="s{world.m1.id}-present" value="present" autocomplete="off" checked', html)
    # correcting one row
    res = client.post(f"/learn/sessions/{session.id}/attendance", data=dict(data, **{f"s{world.m2.id}": "absent"}), follow_redirects=True)
    assert "Đã lưu điểm danh (1 thay đổi)." in res.get_data(as_text=True)
    assert attendance_rows(db)[world.m2.id] == ("absent", "grid")


def test_grid_refuses_a_bad_value_and_saves_nothing(client, world, db):
    klass = make_class(world.tree.C1, [world.m1, world.m2])
    session = klass.sessions[0]
    db.session.commit()
    world.login("cb-anhoa")
    html = client.get(f"/learn/sessions/{session.id}/attendance").get_data(as_text=True)
    res = client.post(f"/learn/sessions/{session.id}/attendance",
                      data={"csrf_token": csrf_token(html), f"s{world.m1.id}": "present", f"s{world.m2.id}": "ngủ"})
    assert res.status_code == 400 and "Trạng thái điểm danh không hợp lệ" in res.get_data(as_text=True)
    assert attendance_rows(db) == {}


def test_attendance_completes_when_results_came_first(client, world, db):
    klass = make_class(world.tree.C1, [world.m1], sessions=1)
    classes.record_result(klass.enrollments[0], score=75)
    db.session.commit()
    world.login("cb-anhoa")
    session = klass.sessions[0]
    html = client.get(f"/learn/sessions/{session.id}/attendance").get_data(as_text=True)
    res = client.post(f"/learn/sessions/{session.id}/attendance", data={"csrf_token": csrf_token(html), f"s{world.m1.id}": "present"},
                      follow_redirects=True)
    assert "1 người vừa hoàn thành lớp: Nguyễn Thị Hương." in res.get_data(as_text=True)
    db.session.expire_all()
    assert klass.enrollments[0].status == "completed"
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1


def test_attendance_outside_scope_is_refused_and_changes_nothing(client, world, db):
    klass = make_class(world.tree.C2, [world.m3])
    session = klass.sessions[0]
    db.session.commit()
    world.login("cb-anhoa")
    token = csrf_token(client.get("/learn/classes").get_data(as_text=True))
    assert client.get(f"/learn/sessions/{session.id}/attendance").status_code == 404
    assert client.post(f"/learn/sessions/{session.id}/attendance", data={"csrf_token": token, f"s{world.m3.id}": "present"}).status_code == 404
    assert client.get(f"/learn/sessions/{session.id}/qr").status_code == 404
    assert client.post(f"/learn/sessions/{session.id}/remove", data={"csrf_token": token, "confirm": "1"}).status_code == 404
    assert attendance_rows(db) == {}
    assert len(klass.sessions) == 1


# --------------------------------------------------------------------------- QR check-in: the service


def test_checkin_only_while_the_session_is_open(world, db):
    klass = make_class(world.tree.C1, [world.m1], sessions=1)  # 02/03/2026 08:00–11:00
    session = klass.sessions[0]
    code = session.checkin_code
    day = dt.date(2026, 3, 2)
    for at in (dt.datetime.combine(day, dt.time(7, 29)), dt.datetime.combine(day, dt.time(11, 1)), dt.datetime(2026, 3, 3, 9, 0)):
        with pytest.raises(ServiceError) as err:
            classes.checkin(code, world.m1, at=at)
        assert "Chỉ điểm danh được trong thời gian buổi học (08:00–11:00 ngày 02/03/2026)." in err.value.message
    assert attendance_rows(db) == {}
    row = classes.checkin(code, world.m1, at=dt.datetime.combine(day, dt.time(7, 30)))  # 30 minutes early is allowed
    assert (row.status, row.via) == ("present", "qr")
    classes.checkin(code, world.m1, at=dt.datetime.combine(day, dt.time(11, 0)))  # until the end, idempotent
    assert attendance_rows(db) == {world.m1.id: ("present", "qr")}


def test_checkin_refuses_people_not_enrolled(world, db):
    klass = make_class(world.tree.C1, [world.m1, world.m2], sessions=1)
    session = klass.sessions[0]
    classes.withdraw(next(e for e in klass.enrollments if e.person_id == world.m2.id), "Bận việc gia đình")
    at = dt.datetime(2026, 3, 2, 9, 0)
    for person in (world.m3, world.m2):
        with pytest.raises(ServiceError) as err:
            classes.checkin(session.checkin_code, person, at=at)
        assert err.value.message == "Người này không có trong danh sách lớp."
    with pytest.raises(ServiceError) as err:
        classes.checkin(session.checkin_code, None, at=at)
    assert "không gắn với hồ sơ học viên" in err.value.message
    with pytest.raises(ServiceError) as err:
        classes.checkin("khong-co-ma-nay", world.m1, at=at)
    assert err.value.message == "Mã điểm danh không hợp lệ."
    assert attendance_rows(db) == {}


# --------------------------------------------------------------------------- QR check-in: the pages


def test_qr_page_shows_the_checkin_url(app, client, world, db, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://hoagiai.example.vn/")
    klass = make_class(world.tree.C1, [world.m1])
    session = klass.sessions[0]
    db.session.commit()
    world.login("thv-tinh")
    res = client.get(f"/learn/sessions/{session.id}/qr")
    html = res.get_data(as_text=True)
    assert res.status_code == 200
    assert f"https://hoagiai.example.vn/learn/checkin/{session.checkin_code}" in html
    assert "<svg" in html and 'viewBox="0 0' in html
    assert "Quét mã để tự điểm danh" in html


def test_learner_checks_in_by_qr_only_while_the_session_is_open(client, world, db):
    klass = make_class(world.tree.C1, [world.m1], sessions=0, title="Lớp điểm danh QR")
    now_session = session_around_now(klass)
    other_day = classes.add_session(klass, TODAY + dt.timedelta(days=2), dt.time(8), dt.time(11))
    db.session.commit()
    world.login("hgv-1")
    url = f"/learn/checkin/{now_session.checkin_code}"
    page = client.get(url)
    assert page.status_code == 200 and "Xác nhận có mặt" in page.get_data(as_text=True)
    token = csrf_token(page.get_data(as_text=True))
    res = client.post(url, data={"csrf_token": token})
    assert res.status_code == 200 and "Đã điểm danh" in res.get_data(as_text=True)
    assert db.session.get(Attendance, (now_session.id, world.m1.id)).via == "qr"
    # another day's session: refused, in Vietnamese, with 400
    res = client.post(f"/learn/checkin/{other_day.checkin_code}", data={"csrf_token": token})
    assert res.status_code == 400
    assert "Chỉ điểm danh được trong thời gian buổi học (08:00–11:00 ngày 04/03/2026)." in res.get_data(as_text=True)
    assert db.session.get(Attendance, (other_day.id, world.m1.id)) is None
    assert client.get("/learn/checkin/khong-co-ma-nay").status_code == 404


def test_checkin_refused_for_someone_not_enrolled_and_for_anonymous(client, world, db, make_user):
    klass = make_class(world.tree.C1, [world.m2], sessions=0)
    session = session_around_now(klass)
    db.session.commit()
    url = f"/learn/checkin/{session.checkin_code}"
    # anonymous: to the login page, then back here
    res = client.get(url)
    assert res.status_code == 302 and "/auth/login" in res.headers["Location"] and "checkin" in res.headers["Location"]
    world.login("hgv-1")  # m1, not in this class
    token = csrf_token(client.get(url).get_data(as_text=True))
    res = client.post(url, data={"csrf_token": token})
    assert res.status_code == 400 and "Người này không có trong danh sách lớp." in res.get_data(as_text=True)
    world.login("cb-anhoa")  # an account without a person
    token = csrf_token(client.get(url).get_data(as_text=True))
    res = client.post(url, data={"csrf_token": token})
    assert res.status_code == 400 and "không gắn với hồ sơ học viên" in res.get_data(as_text=True)
    assert attendance_rows(db) == {}
    assert db.session.scalar(select(func.count()).select_from(ClassEnrollment)) == 1


def test_anonymous_login_returns_to_the_checkin_page(client, world, db, make_user):
    klass = make_class(world.tree.C1, [world.m1], sessions=0)
    session = session_around_now(klass)
    user = make_user(Role.MEDIATOR, world.tree.V1, person=world.m1, username="hgv-qr")
    db.session.commit()
    url = f"/learn/checkin/{session.checkin_code}"
    login_url = client.get(url).headers["Location"]
    token = csrf_token(client.get(login_url).get_data(as_text=True))
    res = client.post(login_url, data={"username": user.username, "password": "matkhau-123", "csrf_token": token})
    assert res.status_code == 302 and res.headers["Location"].endswith(url)
