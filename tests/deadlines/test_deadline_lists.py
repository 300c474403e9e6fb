"""The 6-month rule's work lists: counts per unit, the list and CSV (scope), "create a class", picking people, the person panel."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from lms.classes import services as classes
from lms.classes.models import ClassEnrollment
from lms.core.roles import Role
from lms.org.models import LeaveReason
from lms.org.services import roster
from tests.conftest import csrf_token

TODAY = dt.date(2026, 6, 1)


def due_in(days: int) -> dt.date:
    return TODAY + dt.timedelta(days=days) - relativedelta(months=6)


def html_of(r) -> str:
    return r.get_data(as_text=True)


def counts(html: str, unit: str) -> list[int]:
    """The numbers of the row ``data-unit=unit`` in the per-unit table (overdue, due soon, on track, on time, late)."""
    m = re.search(rf'<tr[^>]*data-unit="{re.escape(unit)}"[^>]*>(.*?)</tr>', html, re.S)
    assert m, f"no row for {unit}"
    return [int(n) for n in re.findall(r'<td class="text-end">(\d+)</td>', m.group(1))]


def listed(html: str) -> list[int]:
    """Person ids of the list's rows, in order."""
    return [int(i) for i in re.findall(r'<tr data-(?:membership="\d+" data-)?person="(\d+)"', html)]


@pytest.fixture
def world(db, freeze, tree, make_mediator, make_user, make_program, make_certificate):
    freeze(TODAY)
    make_program("hgv", audience="mediator")
    w = SimpleNamespace(tree=tree)
    # C1 / V1 (team T1): one of every status, and one who left (not counted)
    w.a_over = make_mediator(tree.T1, recognized_on=due_in(-20), name="Nguyễn Văn Quá Hạn", decision_no="05/QĐ-UBND")
    w.a_soon = make_mediator(tree.T1, recognized_on=due_in(10), name="Trần Thị Sắp Đến")
    w.a_track = make_mediator(tree.T1, recognized_on=due_in(100), name="Lê Văn Còn Hạn")
    w.a_ontime = make_mediator(tree.T1, recognized_on=due_in(-50), name="Phạm Thị Đúng Hạn")
    make_certificate(w.a_ontime.person, issued_on=w.a_ontime.deadline - dt.timedelta(days=5))
    w.a_late = make_mediator(tree.T1, recognized_on=due_in(-60), name="Hoàng Văn Trễ Hạn")
    make_certificate(w.a_late.person, issued_on=w.a_late.deadline + dt.timedelta(days=10))
    w.a_left = make_mediator(tree.T1, recognized_on=due_in(-10), name="Vũ Thị Đã Thôi")
    roster.end_membership(w.a_left, left_on=TODAY - dt.timedelta(days=5), reason=LeaveReason.OWN_REQUEST)
    # C1 / V2
    w.b_over = make_mediator(tree.T2, recognized_on=due_in(-5), name="Đỗ Văn Khu Hai")
    # C2 / V3
    w.c_over = make_mediator(tree.T3, recognized_on=due_in(-30), name="Bùi Thị Thới Bình")
    w.c_soon = make_mediator(tree.T3, recognized_on=due_in(20), name="Ngô Văn Thới Bình")
    # C3 / V4 (directly under the province)
    w.d_track = make_mediator(tree.T4, recognized_on=due_in(45), name="Thạch Thị Thạnh Phú")
    # the other province
    w.q_over = make_mediator(tree.TQ, recognized_on=due_in(-3), name="Lâm Văn Sóc Trăng")
    make_user(Role.COMMUNE_OFFICER, tree.C1, username="cb-c1")
    make_user(Role.DISTRICT_ADMIN, tree.D, username="huyen")
    make_user(Role.PROVINCE_ADMIN, tree.P, username="tinh")
    make_user(Role.TRAINER, tree.P, username="thv-tinh")
    make_user(Role.MEDIATOR, tree.V1, person=w.a_soon.person, username="hgv-sapden")
    db.session.commit()
    return w


# --------------------------------------------------------------------------- counts


def test_counts_per_village_for_a_commune_officer(client, auth, world):
    auth.login("cb-c1")
    html = html_of(client.get("/certificates/deadlines"))
    assert "Hạn bồi dưỡng 6 tháng – Phường An Hòa" in html
    assert counts(html, "31117-01") == [1, 1, 1, 1, 1]
    assert counts(html, "31117-02") == [1, 0, 0, 0, 0]
    assert counts(html, "31117") == [2, 1, 1, 1, 1]  # the total row
    assert 'data-unit="31120' not in html


def test_counts_per_commune_for_a_district_and_per_unit_for_the_province(client, auth, world):
    auth.login("huyen")
    html = html_of(client.get("/certificates/deadlines"))
    assert counts(html, "31117") == [2, 1, 1, 1, 1]
    assert counts(html, "31120") == [1, 1, 0, 0, 0]
    auth.logout()
    auth.login("tinh")
    html = html_of(client.get("/certificates/deadlines"))
    assert counts(html, "916") == [3, 2, 1, 1, 1]
    assert counts(html, "31150") == [0, 0, 1, 0, 0]
    assert counts(html, "92") == [3, 2, 2, 1, 1]
    assert "Sóc Trăng" not in html
    # drilling down into a commune shows its villages
    html = html_of(client.get("/certificates/deadlines?commune=31120"))
    assert counts(html, "31120-01") == [1, 1, 0, 0, 0]


def test_status_totals(client, auth, world):
    auth.login("tinh")
    html = html_of(client.get("/certificates/deadlines"))
    totals = dict(re.findall(r'data-total="(\w+)">\s*<div class="card-body p-2"><div class="fs-4 fw-semibold">(\d+)</div>', html))
    assert totals == {"overdue": "3", "due_soon": "2", "on_track": "2", "met_on_time": "1", "met_late": "1"}


# --------------------------------------------------------------------------- the list


def test_default_list_is_overdue_and_due_soon_overdue_first(client, auth, world):
    auth.login("cb-c1")
    html = html_of(client.get("/certificates/deadlines"))
    assert listed(html) == [world.a_over.person_id, world.b_over.person_id, world.a_soon.person_id]
    assert "Quá hạn 20 ngày" in html and "Còn 10 ngày" in html
    assert "05/QĐ-UBND" in html
    assert world.a_over.deadline.strftime("%d/%m/%Y") in html
    for name in ("Lê Văn Còn Hạn", "Phạm Thị Đúng Hạn", "Vũ Thị Đã Thôi", "Bùi Thị Thới Bình"):
        assert name not in html


def test_filters_status_within_and_name(client, auth, world):
    auth.login("cb-c1")
    everyone = listed(html_of(client.get("/certificates/deadlines?status=all")))
    assert set(everyone) == {m.person_id for m in (world.a_over, world.a_soon, world.a_track, world.a_ontime, world.a_late, world.b_over)}
    assert listed(html_of(client.get("/certificates/deadlines?status=met_late"))) == [world.a_late.person_id]
    assert listed(html_of(client.get("/certificates/deadlines?status=all&within=15"))) == [world.a_soon.person_id]
    assert listed(html_of(client.get("/certificates/deadlines?status=all&q=tran thi"))) == [world.a_soon.person_id]
    assert listed(html_of(client.get("/certificates/deadlines?commune=31117-02"))) == [world.b_over.person_id]
    html = html_of(client.get("/certificates/deadlines?within=abc"))
    assert "Số ngày «abc» không hợp lệ" in html


def test_an_officer_cannot_see_another_communes_people(client, auth, world):
    auth.login("cb-c1")
    html = html_of(client.get("/certificates/deadlines?status=all&commune=31120"))
    assert "Không tìm thấy đơn vị có mã «31120» trong phạm vi quản lý của bạn" in html
    assert "Thới Bình" not in html
    assert world.c_over.person_id not in listed(html)
    r = client.get("/certificates/deadlines.csv?status=all&commune=31120")
    text = r.get_data(as_text=True)
    assert "Thới Bình" not in text and "Sóc Trăng" not in text
    assert "Nguyễn Văn Quá Hạn" in text


def test_csv_export(client, auth, world):
    auth.login("huyen")
    r = client.get("/certificates/deadlines.csv?status=all")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert 'filename="han-boi-duong-pham-vi-2026-06-01.csv"' in r.headers["Content-Disposition"]
    raw = r.get_data(as_text=True)
    assert raw.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(raw.lstrip("\ufeff"))))
    assert rows[0][:3] == ["Họ và tên", "Năm sinh", "Giới tính"] and rows[0][-1] == "Trạng thái"
    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == {
        "Nguyễn Văn Quá Hạn", "Trần Thị Sắp Đến", "Lê Văn Còn Hạn", "Phạm Thị Đúng Hạn", "Hoàng Văn Trễ Hạn", "Đỗ Văn Khu Hai",
        "Bùi Thị Thới Bình", "Ngô Văn Thới Bình",
    }
    over = by_name["Nguyễn Văn Quá Hạn"]
    assert over[4:7] == ["Tổ hòa giải Khu vực 1", "Khu vực 1", "Phường An Hòa"]
    assert over[7:] == [world.a_over.recognized_on.strftime("%d/%m/%Y"), "05/QĐ-UBND", world.a_over.deadline.strftime("%d/%m/%Y"), "-20", "Quá hạn"]
    assert by_name["Phạm Thị Đúng Hạn"][-2:] == ["", "Đã bồi dưỡng đúng hạn"]
    # the list's order: earliest deadline first
    assert rows[1][0] == "Hoàng Văn Trễ Hạn"
    # the default filter (overdue + due soon)
    default = list(csv.reader(io.StringIO(client.get("/certificates/deadlines.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert [row[0] for row in default[1:]] == ["Bùi Thị Thới Bình", "Nguyễn Văn Quá Hạn", "Đỗ Văn Khu Hai", "Trần Thị Sắp Đến", "Ngô Văn Thới Bình"]


def test_menu_and_roles(client, auth, world):
    auth.login("thv-tinh")
    html = html_of(client.get("/certificates/deadlines"))
    assert "Hạn bồi dưỡng 6 tháng" in html and 'href="/certificates/deadlines"' in html
    auth.logout()
    auth.login("hgv-sapden")
    assert client.get("/certificates/deadlines").status_code == 403
    assert client.get("/certificates/deadlines.csv").status_code == 403


# --------------------------------------------------------------------------- "create a class for these people"


def test_create_a_class_for_the_ticked_people(app, client, auth, world):
    auth.login("cb-c1")
    ids = [world.a_over.person_id, world.c_over.person_id, world.b_over.person_id]  # c_over: another commune
    r = client.get("/certificates/deadlines/class", query_string={"person_id": ids})
    assert r.status_code == 302
    target = urlsplit(r.headers["Location"])
    query = parse_qs(target.query)
    assert target.path == app.url_map.bind("localhost").build("classes.class_new", {})
    assert query["program"] == ["hgv"]
    assert sorted(int(i) for i in query["person_id"]) == sorted([world.a_over.person_id, world.b_over.person_id])


def test_create_a_class_for_everyone_filtered(app, client, auth, world):
    auth.login("cb-c1")
    r = client.get("/certificates/deadlines/class?all=1")
    query = parse_qs(urlsplit(r.headers["Location"]).query)
    assert [int(i) for i in query["person_id"]] == [world.a_over.person_id, world.b_over.person_id, world.a_soon.person_id]


def test_create_a_class_for_nobody_says_so(client, auth, world):
    auth.login("cb-c1")
    r = client.get("/certificates/deadlines/class?status=overdue", follow_redirects=True)
    assert "Hãy chọn ít nhất một người" in html_of(r)


def test_create_a_class_is_capped(app, client, auth, world, monkeypatch):
    from lms.deadlines import views as views_deadlines

    monkeypatch.setattr(views_deadlines, "CLASS_CAP", 2)
    auth.login("cb-c1")
    r = client.get("/certificates/deadlines/class?all=1")
    query = parse_qs(urlsplit(r.headers["Location"]).query)
    assert [int(i) for i in query["person_id"]] == [world.a_over.person_id, world.b_over.person_id]
    html = html_of(client.get("/certificates/deadlines"))  # the flashed message shows on the next page
    assert "hơn 2 người" in html


# --------------------------------------------------------------------------- pick people for an existing class


@pytest.fixture
def klass(db, world):
    k = classes.create_class(
        title="Lớp bồi dưỡng hòa giải viên An Hòa", program_code="hgv", unit=world.tree.C1, mode="in_person",
        starts_on=TODAY + dt.timedelta(days=3), ends_on=TODAY + dt.timedelta(days=4), capacity=2,
    )
    db.session.commit()
    return k


def test_pick_lists_the_untrained_overdue_first(client, auth, world, klass):
    auth.login("cb-c1")
    r = client.get(f"/certificates/classes/{klass.id}/pick")
    assert r.status_code == 200
    html = html_of(r)
    assert "Chọn học viên cho lớp «Lớp bồi dưỡng hòa giải viên An Hòa»" in html
    assert listed(html) == [world.a_over.person_id, world.b_over.person_id, world.a_soon.person_id, world.a_track.person_id]
    # with the trained included, and narrowed to one village and "due within 15 days"
    everyone = listed(html_of(client.get(f"/certificates/classes/{klass.id}/pick?trained=1")))
    assert world.a_ontime.person_id in everyone and world.a_late.person_id in everyone
    assert listed(html_of(client.get(f"/certificates/classes/{klass.id}/pick?within=15"))) == [world.a_soon.person_id]
    assert listed(html_of(client.get(f"/certificates/classes/{klass.id}/pick?status=overdue&commune=31117-02"))) == [world.b_over.person_id]
    html = html_of(client.get(f"/certificates/classes/{klass.id}/pick?commune=31117&team={world.tree.T2.id}"))
    assert listed(html) == [world.b_over.person_id]


def test_pick_enrolls_the_ticked(db, client, auth, world, klass):
    auth.login("cb-c1")
    url = f"/certificates/classes/{klass.id}/pick"
    token = csrf_token(html_of(client.get(url)))
    r = client.post(url, data={"csrf_token": token, "person_id": [world.a_over.person_id, world.b_over.person_id]}, follow_redirects=True)
    assert "Đã ghi danh 2 người vào lớp" in html_of(r)
    enrolled = set(db.session.scalars(select(ClassEnrollment.person_id).where(ClassEnrollment.class_id == klass.id)))
    assert enrolled == {world.a_over.person_id, world.b_over.person_id}
    assert listed(html_of(r)) == [world.a_soon.person_id, world.a_track.person_id]  # the enrolled are no longer offered
    assert "Đã ghi danh 2/2 học viên" in html_of(r)


def test_pick_over_capacity_saves_nothing(db, client, auth, world, klass):
    auth.login("cb-c1")
    url = f"/certificates/classes/{klass.id}/pick"
    token = csrf_token(html_of(client.get(url)))
    ids = [world.a_over.person_id, world.b_over.person_id, world.a_soon.person_id]
    r = client.post(url, data={"csrf_token": token, "person_id": ids})
    html = html_of(r)
    assert r.status_code == 200
    assert "Lớp đã đủ 2 học viên" in html and "Chưa ghi danh ai" in html
    assert not db.session.scalars(select(ClassEnrollment).where(ClassEnrollment.class_id == klass.id)).all()
    assert html.count("checked") >= 3  # the ticks are kept


def test_pick_cannot_enroll_people_out_of_scope(db, client, auth, world, klass):
    auth.login("cb-c1")
    url = f"/certificates/classes/{klass.id}/pick"
    token = csrf_token(html_of(client.get(url)))
    client.post(url, data={"csrf_token": token, "person_id": [world.c_over.person_id, world.q_over.person_id]})
    assert not db.session.scalars(select(ClassEnrollment).where(ClassEnrollment.class_id == klass.id)).all()


def test_pick_for_a_class_outside_the_scope_is_404(db, client, auth, world):
    other = classes.create_class(
        title="Lớp Thới Bình", program_code="hgv", unit=world.tree.C2, mode="in_person",
        starts_on=TODAY, ends_on=TODAY, capacity=10,
    )
    db.session.commit()
    auth.login("cb-c1")
    assert client.get(f"/certificates/classes/{other.id}/pick").status_code == 404
    token = csrf_token(html_of(client.get("/certificates/deadlines")))
    assert client.post(f"/certificates/classes/{other.id}/pick", data={"csrf_token": token, "person_id": [world.a_over.person_id]}).status_code == 404
    assert not db.session.scalars(select(ClassEnrollment)).all()
    auth.logout()
    auth.login("hgv-sapden")
    assert client.get(f"/certificates/classes/{other.id}/pick").status_code == 403


# --------------------------------------------------------------------------- the person page


def test_person_page_shows_deadline_and_status(client, auth, world):
    auth.login("cb-c1")
    html = html_of(client.get(f"/org/people/{world.a_over.person_id}"))
    assert "Hạn bồi dưỡng 6 tháng" in html
    panel = html[html.index('id="deadline-panel"'):]
    assert world.a_over.deadline.strftime("%d/%m/%Y") in panel and world.a_over.recognized_on.strftime("%d/%m/%Y") in panel
    assert ">Quá hạn</span>" in panel and "Quá hạn 20 ngày" in panel
    html = html_of(client.get(f"/org/people/{world.a_late.person_id}"))
    assert "Đã bồi dưỡng nhưng trễ hạn" in html


def test_the_mediator_sees_their_own_deadline(client, auth, world):
    auth.login("hgv-sapden")
    r = client.get(f"/org/people/{world.a_soon.person_id}")
    if r.status_code == 302:  # the person page may send a mediator to their own page
        r = client.get(r.headers["Location"])
    html = html_of(r)
    assert "Hạn bồi dưỡng 6 tháng" in html and "Sắp đến hạn (≤ 30 ngày)" in html and "Còn 10 ngày" in html


def test_no_panel_for_a_person_who_never_was_a_mediator(client, auth, world, make_person, db):
    someone = make_person(world.tree.V1, name="Người Không Phải HGV")
    db.session.commit()
    auth.login("cb-c1")
    html = html_of(client.get(f"/org/people/{someone.id}"))
    assert "Người Không Phải HGV" in html and 'id="deadline-panel"' not in html
