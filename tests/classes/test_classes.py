"""Classes: creating (also pre-filled with people), the list, scope, enrollment (capacity, whole commune, withdraw),
sessions, the ICS calendar, "my classes", results (completion fires once), closing, and trainers' own program (figure C)."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from sqlalchemy import func, select

from lms.certificates.models import Certificate
from lms.classes import services as classes
from lms.classes.models import Attendance, ClassEnrollment, ClassSession, TrainingClass
from lms.core.errors import ServiceError
from lms.core.signals import program_completed
from lms.learning.models import Enrollment
from lms.org.models import TrainerLevel
from lms.org.services import roster
from tests.conftest import csrf_token
from tests.fixtures.classes import ACCOUNTS, TODAY, class_form, make_class  # noqa: F401
from tests.fixtures.curriculum import program, program_dir  # noqa: F401


@pytest.fixture
def world(class_world):
    return class_world


def count(model) -> int:
    from lms.extensions import db

    return db.session.scalar(select(func.count()).select_from(model))


# --------------------------------------------------------------------------- creating


def test_trainer_creates_a_class_prefilled_with_people(client, world, db):
    user = world.login("thv-tinh")
    url = f"/learn/classes/new?person_id={world.m1.id}&person_id={world.m2.id}&program=hgv"
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Sẽ ghi danh 2 người" in html and "Nguyễn Thị Hương" in html and "Trần Văn Đức" in html
    assert '<option selected value="hgv">' in html
    assert "Võ Minh Tâm" in html  # the trainer offers themself
    data = class_form(html, world.tree.C1, trainer_ids=str(world.trainer.id))
    res = client.post(url, data=data)
    assert res.status_code == 302
    klass = db.session.scalar(select(TrainingClass))
    assert klass.title == "Lớp bồi dưỡng hòa giải viên đợt 1" and klass.unit_id == world.tree.C1.id
    assert klass.created_by_id == user.id and [t.id for t in klass.trainers] == [world.trainer.id]
    assert {e.person_id for e in klass.enrollments} == {world.m1.id, world.m2.id}
    assert {e.person_id for e in db.session.scalars(select(Enrollment).where(Enrollment.program_code == "hgv"))} == {world.m1.id, world.m2.id}
    detail = client.get(res.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "Đã ghi danh 2 người" in detail
    assert "Nguyễn Thị Hương" in detail and "Dự kiến" in detail


def test_class_form_errors_are_vietnamese_and_nothing_is_saved(client, world, db):
    world.login("thv-tinh")
    url = f"/learn/classes/new?person_id={world.m1.id}&person_id={world.m2.id}"
    html = client.get(url).get_data(as_text=True)
    res = client.post(url, data=class_form(html, world.tree.C1, title="", ends_on="2026-03-01", capacity="0"))
    body = res.get_data(as_text=True)
    assert res.status_code == 200
    assert "Hãy nhập tên lớp." in body
    assert "Ngày kết thúc phải từ ngày bắt đầu trở đi." in body
    assert "Sĩ số tối đa phải từ 1 đến 1000." in body
    # the organizing unit must hold the people named
    res = client.post(url, data=class_form(html, world.tree.C2))
    assert "không thuộc đơn vị tổ chức này" in res.get_data(as_text=True)
    # capacity below the people named: the class is not created either
    res = client.post(url, data=class_form(html, world.tree.C1, capacity="1"))
    assert "Lớp đã đủ 1 học viên" in res.get_data(as_text=True)
    # online assessment for an in-person class
    res = client.post(url, data=class_form(html, world.tree.C1, assessment="online"))
    assert "Lớp trực tiếp không thể đánh giá theo quy định của chương trình trực tuyến" in res.get_data(as_text=True)
    assert count(TrainingClass) == 0 and count(ClassEnrollment) == 0 and count(Enrollment) == 0


def test_prefill_with_a_person_outside_scope_is_refused(client, world, db):
    world.login("cb-anhoa")
    assert client.get(f"/learn/classes/new?person_id={world.m1.id}&person_id={world.m3.id}").status_code == 404
    assert client.get(f"/learn/classes/new?person_id={world.mq.id}").status_code == 404
    html = client.get("/learn/classes/new").get_data(as_text=True)
    res = client.post(f"/learn/classes/new?person_id={world.m3.id}", data=class_form(html, world.tree.C1))
    assert res.status_code == 404
    assert count(TrainingClass) == 0
    # the commune officer may organize only in their commune
    assert f'value="{world.tree.C2.id}"' not in html and f'value="{world.tree.C1.id}"' in html
    res = client.post("/learn/classes/new", data=class_form(html, world.tree.C2))
    assert "Lựa chọn không hợp lệ." in res.get_data(as_text=True)
    assert count(TrainingClass) == 0


def test_edit_and_open_a_class(client, world, db):
    klass = make_class(world.tree.C1, [world.m1])
    db.session.commit()
    world.login("cb-anhoa")
    page = client.get(f"/learn/classes/{klass.id}/edit")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Lớp bồi dưỡng hòa giải viên" in html
    data = class_form(html, world.tree.C1, title="Lớp đã đổi tên", capacity="12")
    data.pop("program_code")
    assert client.post(f"/learn/classes/{klass.id}/edit", data=data).status_code == 302
    db.session.refresh(klass)
    assert klass.title == "Lớp đã đổi tên" and klass.capacity == 12
    # a session on 02/03 would fall outside new dates
    res = client.post(f"/learn/classes/{klass.id}/edit", data=dict(data, starts_on="2026-03-03"))
    assert "nằm ngoài thời gian mới của lớp" in res.get_data(as_text=True)
    token = csrf_token(client.get(f"/learn/classes/{klass.id}").get_data(as_text=True))
    assert client.post(f"/learn/classes/{klass.id}/open", data={"csrf_token": token}).status_code == 302
    db.session.refresh(klass)
    assert klass.status == "open"
    assert "Đang diễn ra" in client.get(f"/learn/classes/{klass.id}").get_data(as_text=True)


# --------------------------------------------------------------------------- the list and scope


def test_list_shows_classes_in_scope_with_filters(client, world, db):
    c1 = make_class(world.tree.C1, title="Lớp An Hòa")
    c2 = make_class(world.tree.C2, title="Lớp Thới Bình")
    cq = make_class(world.tree.CQ, title="Lớp Phú Mỹ")
    old = classes.create_class(title="Lớp năm 2025", program_code="thv", unit=world.tree.P, mode="blended", starts_on=dt.date(2025, 5, 1),
                               ends_on=dt.date(2025, 5, 2), capacity=5)
    c2.status = "finished"
    db.session.commit()

    def listed(html: str) -> set[int]:
        return {int(i) for i in re.findall(r'data-class="(\d+)"', html)}

    world.login("cb-anhoa")
    assert listed(client.get("/learn/classes").get_data(as_text=True)) == {c1.id}
    assert client.get(f"/learn/classes/{c2.id}").status_code == 404
    assert client.get(f"/learn/classes/{cq.id}").status_code == 404
    world.login("thv-tinh")
    html = client.get("/learn/classes").get_data(as_text=True)
    assert listed(html) == {c1.id, c2.id, old.id}
    assert "Lớp học" in html  # menu entry
    assert listed(client.get("/learn/classes?status=finished").get_data(as_text=True)) == {c2.id}
    assert listed(client.get("/learn/classes?program=thv").get_data(as_text=True)) == {old.id}
    assert listed(client.get("/learn/classes?year=2025").get_data(as_text=True)) == {old.id}
    assert listed(client.get("/learn/classes?unit=31120").get_data(as_text=True)) == {c2.id}
    html = client.get("/learn/classes?unit=31500").get_data(as_text=True)
    assert "trong phạm vi quản lý của bạn" in html and cq.id not in listed(html)
    assert client.get(f"/learn/classes/{cq.id}").status_code == 404


def test_list_is_paginated(app, client, world, db, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    for n in range(3):
        make_class(world.tree.C1, title=f"Lớp {n}")
    db.session.commit()
    world.login("cb-anhoa")
    first = client.get("/learn/classes").get_data(as_text=True)
    assert first.count("data-class=") == 2 and "Trang 1/2" in first
    assert client.get("/learn/classes?page=2").get_data(as_text=True).count("data-class=") == 1


def test_mediator_cannot_manage_classes(client, world, db):
    klass = make_class(world.tree.C1, [world.m1])
    session = klass.sessions[0]
    db.session.commit()
    world.login("hgv-1")
    for url in ("/learn/classes", "/learn/classes/new", f"/learn/classes/{klass.id}", f"/learn/classes/{klass.id}/enroll",
                f"/learn/classes/{klass.id}/results", f"/learn/sessions/{session.id}/attendance", f"/learn/sessions/{session.id}/qr"):
        assert client.get(url).status_code == 403, url
    html = client.get("/learn/my-classes").get_data(as_text=True)
    assert "Lớp của tôi" in html and "Lớp bồi dưỡng hòa giải viên" in html


# --------------------------------------------------------------------------- enrollment


def test_enroll_picker_lists_people_in_scope_and_enrolls_the_chosen(client, world, db):
    klass = make_class(world.tree.C1, capacity=5)
    db.session.commit()
    world.login("cb-anhoa")
    html = client.get(f"/learn/classes/{klass.id}/enroll").get_data(as_text=True)
    people = {int(i) for i in re.findall(r'data-person="(\d+)"', html)}
    assert people == {world.m1.id, world.m2.id, world.m4.id}
    # filters: village code, team, name (accent-folded)
    html = client.get(f"/learn/classes/{klass.id}/enroll?unit=31117-02").get_data(as_text=True)
    assert {int(i) for i in re.findall(r'data-person="(\d+)"', html)} == {world.m4.id}
    html = client.get(f"/learn/classes/{klass.id}/enroll?unit=31117&team={world.tree.T1.id}").get_data(as_text=True)
    assert {int(i) for i in re.findall(r'data-person="(\d+)"', html)} == {world.m1.id, world.m2.id}
    html = client.get(f"/learn/classes/{klass.id}/enroll?q=duc").get_data(as_text=True)
    assert {int(i) for i in re.findall(r'data-person="(\d+)"', html)} == {world.m2.id}
    token = csrf_token(html)
    res = client.post(f"/learn/classes/{klass.id}/enroll", data={"csrf_token": token, "mode": "selected", "person_id": [world.m1.id, world.m2.id]},
                      follow_redirects=True)
    assert "Đã ghi danh 2 người vào lớp." in res.get_data(as_text=True)
    assert {e.person_id for e in klass.enrollments} == {world.m1.id, world.m2.id}
    # enrolling again skips them
    res = client.post(f"/learn/classes/{klass.id}/enroll", data={"csrf_token": token, "mode": "selected", "person_id": [world.m1.id]},
                      follow_redirects=True)
    assert "Đã ghi danh 0 người vào lớp. 1 người đã có trong danh sách lớp." in res.get_data(as_text=True)


def test_officer_cannot_enroll_or_see_people_outside_their_unit(client, world, db):
    klass = make_class(world.tree.C1, capacity=5)
    other = make_class(world.tree.C2, capacity=5)
    db.session.commit()
    world.login("cb-anhoa")
    token = csrf_token(client.get(f"/learn/classes/{klass.id}/enroll").get_data(as_text=True))
    for person in (world.m3, world.mq):
        res = client.post(f"/learn/classes/{klass.id}/enroll", data={"csrf_token": token, "mode": "selected", "person_id": [world.m1.id, person.id]})
        assert res.status_code == 404
    # a class of another commune: neither seen nor changed
    assert client.get(f"/learn/classes/{other.id}/enroll").status_code == 404
    assert client.post(f"/learn/classes/{other.id}/enroll", data={"csrf_token": token, "mode": "selected", "person_id": [world.m1.id]}).status_code == 404
    # a whole unit outside scope
    res = client.post(f"/learn/classes/{klass.id}/enroll", data={"csrf_token": token, "mode": "unit", "unit": "31120"}, follow_redirects=True)
    assert "Không tìm thấy đơn vị trong phạm vi quản lý của bạn" in res.get_data(as_text=True)
    html = client.get(f"/learn/classes/{klass.id}/enroll?unit=31120").get_data(as_text=True)
    assert world.m3.full_name not in html
    db.session.expire_all()
    assert count(ClassEnrollment) == 0 and count(Enrollment) == 0


def test_trainer_cannot_enroll_people_of_another_province(client, world, db):
    klass = make_class(world.tree.P, capacity=5)
    db.session.commit()
    world.login("thv-tinh")
    html = client.get(f"/learn/classes/{klass.id}/enroll").get_data(as_text=True)
    assert world.mq.full_name not in html and world.m3.full_name in html
    token = csrf_token(html)
    assert client.post(f"/learn/classes/{klass.id}/enroll", data={"csrf_token": token, "mode": "selected", "person_id": [world.mq.id]}).status_code == 404
    assert client.get(f"/learn/classes/new?person_id={world.mq.id}").status_code == 404
    db.session.expire_all()
    assert count(ClassEnrollment) == 0


def test_whole_commune_at_once_and_capacity(client, world, db):
    small = make_class(world.tree.C1, capacity=2)
    db.session.commit()
    world.login("cb-anhoa")
    html = client.get(f"/learn/classes/{small.id}/enroll?unit=31117").get_data(as_text=True)
    assert "Ghi danh cả Phường An Hòa (3 người thuộc đối tượng)" in html
    res = client.post(f"/learn/classes/{small.id}/enroll?unit=31117", data={"csrf_token": csrf_token(html), "mode": "unit", "unit": "31117"},
                      follow_redirects=True)
    body = res.get_data(as_text=True)
    assert "Lớp đã đủ 2 học viên" in body and "Chưa ghi danh ai." in body
    db.session.expire_all()
    assert count(ClassEnrollment) == 0 and count(Enrollment) == 0
    small.capacity = 3
    db.session.commit()
    res = client.post(f"/learn/classes/{small.id}/enroll", data={"csrf_token": csrf_token(html), "mode": "unit", "unit": "31117"},
                      follow_redirects=True)
    assert "Đã ghi danh 3 người vào lớp." in res.get_data(as_text=True)
    db.session.expire_all()
    assert {e.person_id for e in small.enrollments} == {world.m1.id, world.m2.id, world.m4.id}


def test_whole_unit_for_the_trainer_program_takes_active_trainers(client, world, db, make_person):
    other = make_person(world.tree.D, name="Huỳnh Văn Lực")
    roster.appoint_trainer(person=other, level=TrainerLevel.DISTRICT, unit=world.tree.D, started_on=dt.date(2025, 1, 1))
    klass = make_class(world.tree.P, program_code="thv", capacity=5, title="Lớp tập huấn viên")
    db.session.commit()
    world.login("so-tuphap")
    html = client.get(f"/learn/classes/{klass.id}/enroll").get_data(as_text=True)
    assert {int(i) for i in re.findall(r'data-person="(\d+)"', html)} == {world.trainer.id, other.id}
    res = client.post(f"/learn/classes/{klass.id}/enroll", data={"csrf_token": csrf_token(html), "mode": "unit", "unit": "916"}, follow_redirects=True)
    assert "Đã ghi danh 1 người vào lớp." in res.get_data(as_text=True)
    assert [e.person_id for e in klass.enrollments] == [other.id]


def test_withdraw_needs_a_reason(client, world, db):
    klass = make_class(world.tree.C1, [world.m1, world.m2])
    db.session.commit()
    world.login("cb-anhoa")
    url = f"/learn/classes/{klass.id}/withdraw?person_id={world.m1.id}"
    html = client.get(url).get_data(as_text=True)
    assert "Lý do rút khỏi lớp" in html
    res = client.post(url, data={"csrf_token": csrf_token(html), "reason": "", "confirm": "1"})
    assert "Hãy nêu lý do rút khỏi lớp." in res.get_data(as_text=True)
    res = client.post(url, data={"csrf_token": csrf_token(html), "reason": "Ốm dài ngày"})
    assert "Hãy đánh dấu ô xác nhận để tiếp tục." in res.get_data(as_text=True)
    db.session.expire_all()
    assert all(e.status == "enrolled" for e in klass.enrollments)
    assert client.post(url, data={"csrf_token": csrf_token(html), "reason": "Ốm dài ngày", "confirm": "1"}).status_code == 302
    db.session.expire_all()
    row = next(e for e in klass.enrollments if e.person_id == world.m1.id)
    assert row.status == "withdrawn" and row.withdraw_reason == "Ốm dài ngày"
    assert "Ốm dài ngày" in client.get(f"/learn/classes/{klass.id}").get_data(as_text=True)
    # withdrawing frees the seat; someone outside scope cannot be withdrawn
    assert client.get(f"/learn/classes/{klass.id}/withdraw?person_id={world.m3.id}").status_code == 404


# --------------------------------------------------------------------------- sessions


def test_sessions_are_added_checked_and_removed_with_confirmation(client, world, db):
    klass = make_class(world.tree.C1, [world.m1], sessions=0)
    db.session.commit()
    world.login("cb-anhoa")
    token = csrf_token(client.get(f"/learn/classes/{klass.id}").get_data(as_text=True))
    url = f"/learn/classes/{klass.id}/sessions"
    res = client.post(url, data={"csrf_token": token, "on": "2026-03-03", "starts_at": "14:00", "ends_at": "13:00"})
    assert res.status_code == 400 and "Giờ kết thúc phải sau giờ bắt đầu." in res.get_data(as_text=True)
    res = client.post(url, data={"csrf_token": token, "on": "2026-04-03", "starts_at": "08:00", "ends_at": "11:00"})
    assert res.status_code == 400 and "Ngày của buổi học phải nằm trong thời gian của lớp." in res.get_data(as_text=True)
    res = client.post(url, data={"csrf_token": token, "on": "03/03/2026", "starts_at": "8h", "ends_at": "11:00"})
    assert res.status_code == 400 and "Giờ «8h» không hợp lệ" in res.get_data(as_text=True)
    assert count(ClassSession) == 0
    res = client.post(url, data={"csrf_token": token, "on": "03/03/2026", "starts_at": "08:00", "ends_at": "11:30", "topic": "Kỹ năng hòa giải"})
    assert res.status_code == 302
    session = db.session.scalar(select(ClassSession))
    assert (session.on, session.starts_at, session.ends_at, session.topic) == (dt.date(2026, 3, 3), dt.time(8), dt.time(11, 30), "Kỹ năng hòa giải")
    html = client.get(f"/learn/sessions/{session.id}/remove").get_data(as_text=True)
    assert "Xóa buổi học" in html
    client.post(f"/learn/sessions/{session.id}/remove", data={"csrf_token": token})
    assert count(ClassSession) == 1  # no confirmation, nothing removed
    # a session with attendance cannot be removed
    classes.mark(session, world.m1.id, Attendance.PRESENT)
    db.session.commit()
    res = client.post(f"/learn/sessions/{session.id}/remove", data={"csrf_token": token, "confirm": "1"}, follow_redirects=True)
    assert "Buổi học đã có điểm danh, không thể xóa." in res.get_data(as_text=True)
    db.session.execute(Attendance.__table__.delete())
    db.session.commit()
    assert client.post(f"/learn/sessions/{session.id}/remove", data={"csrf_token": token, "confirm": "1"}).status_code == 302
    assert count(ClassSession) == 0


# --------------------------------------------------------------------------- calendar and "my classes"


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_ics_has_one_event_per_session(client, world, db):
    klass = make_class(world.tree.C1, [world.m1], sessions=3, title="Lớp bồi dưỡng; kỹ năng, hòa giải viên " + "rất dài " * 8)
    klass.sessions[1].topic = "Hôn nhân và gia đình, thừa kế"
    other = make_class(world.tree.C1, [world.m2], title="Lớp khác")
    db.session.commit()
    world.login("cb-anhoa")
    res = client.get(f"/learn/classes/{klass.id}.ics")
    assert res.status_code == 200
    assert res.mimetype == "text/calendar"
    raw = res.get_data(as_text=True)
    assert raw.startswith("BEGIN:VCALENDAR\r\n") and raw.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in raw.split("\r\n"))  # folded
    lines = unfold(raw)
    assert lines.count("BEGIN:VEVENT") == 3 == lines.count("END:VEVENT")
    starts = [line for line in lines if line.startswith("DTSTART;")]
    assert starts == [
        "DTSTART;TZID=Asia/Ho_Chi_Minh:20260302T080000",
        "DTSTART;TZID=Asia/Ho_Chi_Minh:20260303T080000",
        "DTSTART;TZID=Asia/Ho_Chi_Minh:20260304T080000",
    ]
    assert "DTEND;TZID=Asia/Ho_Chi_Minh:20260302T110000" in lines
    assert len({line for line in lines if line.startswith("UID:")}) == 3
    assert "LOCATION:Hội trường UBND" in lines
    summary = next(line for line in lines if line.startswith("SUMMARY:") and "buổi 2" in line)
    assert "Lớp bồi dưỡng\\; kỹ năng\\, hòa giải viên" in summary and "Hôn nhân và gia đình\\, thừa kế" in summary
    # a learner gets their own class only
    world.login("hgv-1")
    assert client.get(f"/learn/classes/{klass.id}.ics").status_code == 200
    assert client.get(f"/learn/classes/{other.id}.ics").status_code == 404
    world.login("cb-thoibinh")
    assert client.get(f"/learn/classes/{klass.id}.ics").status_code == 404


def test_my_classes_shows_a_learners_classes_and_sessions(client, world, db):
    mine = make_class(world.tree.C1, [world.m1], sessions=2, title="Lớp của Hương")
    make_class(world.tree.C1, [world.m2], title="Lớp của Đức")
    db.session.commit()
    world.login("hgv-1")
    html = client.get("/learn/my-classes").get_data(as_text=True)
    assert "Lớp của Hương" in html and "Lớp của Đức" not in html
    assert "02/03/2026, 08:00–11:00" in html and "03/03/2026, 08:00–11:00" in html and "(hôm nay)" in html
    assert "Hội trường UBND" in html
    assert f"/learn/classes/{mine.id}.ics" in html
    assert "Lớp của tôi" in html  # menu entry


# --------------------------------------------------------------------------- results, completion, closing


@pytest.fixture
def completions():
    seen = []

    def receiver(sender, **kw):  # noqa: ARG001
        seen.append((kw["person"].id, kw["program"].code, kw["via"]))

    program_completed.connect(receiver)
    yield seen
    program_completed.disconnect(receiver)


def test_results_saved_twice_complete_once(client, world, db, completions):
    klass = make_class(world.tree.C1, [world.m1, world.m2], sessions=1)
    session = klass.sessions[0]
    classes.mark(session, world.m1.id, Attendance.PRESENT)
    classes.mark(session, world.m2.id, Attendance.PRESENT)
    db.session.commit()
    rows = {e.person_id: e for e in klass.enrollments}
    world.login("thv-tinh")
    html = client.get(f"/learn/classes/{klass.id}/results").get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), f"score-{rows[world.m1.id].id}": "85", f"score-{rows[world.m2.id].id}": "40"}
    res = client.post(f"/learn/classes/{klass.id}/results", data=data, follow_redirects=True)
    assert "1 người vừa hoàn thành lớp: Nguyễn Thị Hương." in res.get_data(as_text=True)
    res = client.post(f"/learn/classes/{klass.id}/results", data=data, follow_redirects=True)
    assert "vừa hoàn thành" not in res.get_data(as_text=True)
    # the services, too, complete once however often results are recorded
    classes.record_result(rows[world.m1.id], score=90)
    db.session.commit()
    assert completions == [(world.m1.id, "hgv", "class")]
    certs = list(db.session.scalars(select(Certificate)))
    assert [(c.person_id, c.program_code, c.source) for c in certs] == [(world.m1.id, "hgv", "class")]
    db.session.expire_all()
    assert rows[world.m1.id].status == "completed" and rows[world.m1.id].score == 90
    assert rows[world.m2.id].status == "enrolled" and rows[world.m2.id].score == 40
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.person_id == world.m1.id))
    assert enrollment.status == "completed" and enrollment.via == "class"


def test_bad_scores_save_nothing(client, world, db):
    klass = make_class(world.tree.C1, [world.m1, world.m2])
    db.session.commit()
    rows = {e.person_id: e for e in klass.enrollments}
    world.login("cb-anhoa")
    html = client.get(f"/learn/classes/{klass.id}/results").get_data(as_text=True)
    res = client.post(f"/learn/classes/{klass.id}/results",
                      data={"csrf_token": csrf_token(html), f"score-{rows[world.m1.id].id}": "70", f"score-{rows[world.m2.id].id}": "120"})
    body = res.get_data(as_text=True)
    assert res.status_code == 400 and "Điểm phải là số nguyên từ 0 đến 100." in body
    res = client.post(f"/learn/classes/{klass.id}/results",
                      data={"csrf_token": csrf_token(html), f"score-{rows[world.m1.id].id}": "bảy"})
    assert "«bảy» không phải là số." in res.get_data(as_text=True)
    db.session.expire_all()
    assert rows[world.m1.id].score is None and rows[world.m2.id].score is None


def test_pass_fail_results(client, world, db, completions):
    klass = make_class(world.tree.C1, [world.m1, world.m2], assessment="pass_fail")
    for person in (world.m1, world.m2):
        classes.mark(klass.sessions[0], person.id, Attendance.PRESENT)
    db.session.commit()
    rows = {e.person_id: e for e in klass.enrollments}
    world.login("cb-anhoa")
    html = client.get(f"/learn/classes/{klass.id}/results").get_data(as_text=True)
    assert "Không đạt" in html
    client.post(f"/learn/classes/{klass.id}/results",
                data={"csrf_token": csrf_token(html), f"passed-{rows[world.m1.id].id}": "1", f"passed-{rows[world.m2.id].id}": "0"})
    db.session.expire_all()
    assert rows[world.m1.id].status == "completed" and rows[world.m2.id].passed is False
    assert completions == [(world.m1.id, "hgv", "class")]


def test_finish_shows_who_completed_and_why_not(client, world, db):
    klass = make_class(world.tree.C1, [world.m1, world.m2, world.m4], sessions=2)
    for s in klass.sessions:
        classes.mark(s, world.m1.id, Attendance.PRESENT)
    classes.mark(klass.sessions[0], world.m2.id, Attendance.PRESENT)
    classes.mark(klass.sessions[1], world.m2.id, Attendance.EXCUSED)
    rows = {e.person_id: e for e in klass.enrollments}
    classes.record_result(rows[world.m1.id], score=80)
    classes.record_result(rows[world.m2.id], score=30)
    classes.withdraw(rows[world.m4.id], "Chuyển công tác")
    db.session.commit()
    world.login("thv-tinh")
    page = client.get(f"/learn/classes/{klass.id}/finish")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Xem trước" in html
    client.post(f"/learn/classes/{klass.id}/finish", data={"csrf_token": csrf_token(html)})
    db.session.refresh(klass)
    assert klass.status == "planned"  # not confirmed
    res = client.post(f"/learn/classes/{klass.id}/finish", data={"csrf_token": csrf_token(html), "confirm": "1"}, follow_redirects=True)
    body = res.get_data(as_text=True)
    db.session.refresh(klass)
    assert klass.status == "finished"
    assert "Hoàn thành (1)" in body and f'data-completed="{world.m1.id}"' in body
    assert "Chưa hoàn thành (2)" in body
    assert "Chuyên cần 50% (cần tối thiểu 80%)." in body and "Điểm kiểm tra 30 (cần tối thiểu 50)." in body
    assert "Đã rút khỏi lớp: Chuyển công tác" in body
    # closed: no more enrollment or sessions
    res = client.post(f"/learn/classes/{klass.id}/enroll", data={"csrf_token": csrf_token(html), "mode": "selected", "person_id": [world.m4.id]},
                      follow_redirects=True)
    assert "Lớp đã kết thúc, không thể ghi danh thêm." in res.get_data(as_text=True)
    assert "Kết quả lớp" in client.get(f"/learn/classes/{klass.id}").get_data(as_text=True)


def test_a_trainer_completes_the_trainer_program_through_a_class(client, world, db, make_person, completions):
    """Figure C: trainers are trained by ``thv`` the same way, and receive a certificate."""
    other = make_person(world.tree.D, name="Huỳnh Văn Lực")
    roster.appoint_trainer(person=other, level=TrainerLevel.DISTRICT, unit=world.tree.D, started_on=dt.date(2025, 1, 1))
    klass = make_class(world.tree.P, program_code="thv", title="Lớp bồi dưỡng tập huấn viên", sessions=2, assessment="pass_fail",
                       trainers=[world.trainer])
    db.session.commit()
    world.login("so-tuphap")
    html = client.get(f"/learn/classes/new?person_id={other.id}&program=thv").get_data(as_text=True)
    assert "Sẽ ghi danh 1 người" in html
    html = client.get(f"/learn/classes/{klass.id}/enroll").get_data(as_text=True)
    client.post(f"/learn/classes/{klass.id}/enroll", data={"csrf_token": csrf_token(html), "mode": "selected", "person_id": [other.id]})
    row = db.session.scalar(select(ClassEnrollment).where(ClassEnrollment.class_id == klass.id))
    for s in klass.sessions:
        html = client.get(f"/learn/sessions/{s.id}/attendance").get_data(as_text=True)
        client.post(f"/learn/sessions/{s.id}/attendance", data={"csrf_token": csrf_token(html), f"s{other.id}": "present"})
    html = client.get(f"/learn/classes/{klass.id}/results").get_data(as_text=True)
    client.post(f"/learn/classes/{klass.id}/results", data={"csrf_token": csrf_token(html), f"passed-{row.id}": "1"})
    db.session.expire_all()
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.person_id == other.id, Enrollment.program_code == "thv"))
    assert enrollment.status == "completed" and enrollment.via == "class" and enrollment.completed_on == TODAY
    cert = db.session.scalar(select(Certificate).where(Certificate.person_id == other.id))
    assert cert.program_code == "thv" and cert.source == "class" and cert.training_from == dt.date(2026, 3, 1)
    assert completions == [(other.id, "thv", "class")]


# --------------------------------------------------------------------------- capacity under concurrency (PostgreSQL)


@pytest.mark.postgres
def test_capacity_holds_under_two_concurrent_enrollments(pg_app):
    from lms.curriculum.models import Program
    from lms.extensions import db
    from lms.org.models import Gender, UnitKind

    with pg_app.app_context():
        province = roster.create_unit(code="92", name="Thành phố Cần Thơ", kind=UnitKind.PROVINCE, parent=None)
        commune = roster.create_unit(code="31117", name="Phường An Hòa", kind=UnitKind.COMMUNE, parent=province)
        db.session.add(Program(code="hgv", version=1, title="Chương trình hòa giải viên", audience="mediator", hours=24, content_hash="h",
                               completion={"lessons": "all", "final_quiz": True}, is_current=True))
        people = [roster.create_person(full_name=f"Người {n}", unit=commune, gender=Gender.FEMALE, birth_year=1980) for n in (1, 2)]
        klass = classes.create_class(title="Lớp một chỗ", program_code="hgv", unit=commune, mode="in_person", starts_on=dt.date(2026, 3, 1),
                                     ends_on=dt.date(2026, 3, 2), capacity=1)
        db.session.commit()
        class_id, person_ids = klass.id, [p.id for p in people]

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def enroll(person_id: int) -> None:
        with pg_app.app_context():
            k = db.session.get(TrainingClass, class_id)
            person = db.session.get(roster.Person, person_id)
            barrier.wait(timeout=10)
            try:
                classes.enroll(k, [person])
                db.session.commit()
                outcomes.append("ok")
            except ServiceError as exc:
                db.session.rollback()
                outcomes.append(exc.message)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=enroll, args=(pid,)) for pid in person_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes, key=lambda o: o != "ok")[0] == "ok"
    assert outcomes.count("ok") == 1, outcomes
    assert any("Lớp đã đủ 1 học viên" in o for o in outcomes), outcomes
    with pg_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ClassEnrollment).where(ClassEnrollment.class_id == class_id)) == 1
        assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 1
