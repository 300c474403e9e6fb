"""People: search, person page, add / edit, and the role forms (mediator, trainer, legal supporter)."""

from __future__ import annotations

import datetime as dt
import unicodedata

from sqlalchemy import select

from lms.core.roles import Role
from lms.org.models import Background, Gender, LeaveReason, LegalSupport, MediatorMembership, Person, TrainerAppointment, TrainerLevel
from lms.org.services import roster
from tests.conftest import csrf_token


def post_form(client, url, data):
    token = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def login_as(auth, make_user, db, role, unit, **kw):
    user = make_user(role, unit, **kw)
    db.session.commit()
    auth.login(user.username)
    return user


# --------------------------------------------------------------------------- list and search


def test_search_with_or_without_diacritics(client, auth, tree, make_user, make_person, db):
    make_person(tree.V1, name="Nguyễn Thị Hoa")
    make_person(tree.V1, name="Nguyen Van Binh")
    make_person(tree.V2, name="Trần Văn Đức")
    make_person(tree.VQ, name="Nguyễn Ngoài Phạm Vi")
    login_as(auth, make_user, db, Role.PROVINCE_ADMIN, tree.P)
    html = client.get("/org/people?q=nguyen").get_data(as_text=True)
    assert "Nguyễn Thị Hoa" in html and "Nguyen Van Binh" in html and "Trần Văn Đức" not in html
    assert "Nguyễn Ngoài Phạm Vi" not in html
    html = client.get("/org/people?q=Nguyễn").get_data(as_text=True)
    assert "Nguyễn Thị Hoa" in html and "Nguyen Van Binh" in html
    html = client.get("/org/people?q=" + unicodedata.normalize("NFD", "đức")).get_data(as_text=True)
    assert "Trần Văn Đức" in html and "Nguyễn Thị Hoa" not in html
    assert "Không tìm thấy ai có tên «xyz»" in client.get("/org/people?q=xyz").get_data(as_text=True)


def test_filter_by_unit_and_role(client, auth, tree, make_user, make_person, make_mediator, db, freeze):
    freeze("2026-03-01")
    make_mediator(tree.T1, name="Hòa Giải Viên Một")
    make_person(tree.V1, name="Người Thường")
    make_mediator(tree.T3, name="Hòa Giải Viên Ba")
    login_as(auth, make_user, db, Role.PROVINCE_ADMIN, tree.P)
    html = client.get("/org/people?role=mediator").get_data(as_text=True)
    assert "Hòa Giải Viên Một" in html and "Hòa Giải Viên Ba" in html and "Người Thường" not in html
    html = client.get("/org/people?role=mediator&unit=31117").get_data(as_text=True)
    assert "Hòa Giải Viên Một" in html and "Hòa Giải Viên Ba" not in html
    html = client.get("/org/people?unit=94").get_data(as_text=True)
    assert "Không tìm thấy đơn vị có mã «94» trong phạm vi quản lý của bạn" in html


def test_people_list_is_paginated(client, auth, tree, make_user, make_person, db):
    for i in range(45):
        make_person(tree.V1, name=f"Người số {i:02d}")
    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    html = client.get("/org/people").get_data(as_text=True)
    assert "Trang 1/3" in html and "45 bản ghi" in html
    assert "Trang 3/3" in client.get("/org/people?page=3").get_data(as_text=True)


def test_people_menu_entry_for_staff(client, auth, tree, make_user, db):
    login_as(auth, make_user, db, Role.TRAINER, tree.P)
    html = client.get(f"/org/units/{tree.P.id}").get_data(as_text=True)
    assert 'href="/org/people">Người</a>' in html


# --------------------------------------------------------------------------- person page and access


def test_person_page_shows_role_history(client, auth, tree, make_user, make_person, make_mediator, db, freeze):
    freeze("2026-03-01")
    m = make_mediator(tree.T1, name="Võ Thị Lịch Sử", decision_no="05/QĐ-UBND")
    roster.end_membership(m, left_on=dt.date(2025, 10, 1), reason=LeaveReason.OWN_REQUEST, decision_no="40/QĐ-UBND")
    roster.recognize_mediator(person=m.person, team=tree.T2, recognized_on=dt.date(2025, 11, 1), is_leader=True)
    roster.appoint_trainer(person=m.person, level=TrainerLevel.PROVINCE, unit=tree.P, started_on=dt.date(2025, 5, 1), background=Background.JURIST)
    roster.add_legal_support(person=m.person, team=tree.T3, from_on=dt.date(2025, 6, 1), background=Background.JURIST)
    login_as(auth, make_user, db, Role.PROVINCE_ADMIN, tree.P)
    html = client.get(f"/org/people/{m.person.id}").get_data(as_text=True)
    assert "Võ Thị Lịch Sử" in html
    assert "Tổ hòa giải Khu vực 1" in html and "QĐ số 05/QĐ-UBND" in html and "01/10/2025" in html and "QĐ số 40/QĐ-UBND" in html
    assert "Tổ hòa giải Khu vực 2" in html and "Tổ trưởng" in html
    assert "Cấp tỉnh" in html and "Luật gia" in html and "Tổ hòa giải Khu vực 3" in html
    assert "Thôi làm HGV" in html and "Sửa thông tin" in html


def test_mediator_sees_only_own_page(client, auth, tree, make_user, make_mediator, make_person, db, freeze):
    freeze("2026-03-01")
    m = make_mediator(tree.T1, name="Chính Tôi")
    other = make_person(tree.V1, name="Người Khác")
    login_as(auth, make_user, db, Role.MEDIATOR, tree.V1, person=m.person)
    resp = client.get("/org/", follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "Chính Tôi" in html and "Tổ hòa giải Khu vực 1" in html
    assert "Sửa thông tin" not in html and "Thôi làm HGV" not in html
    assert client.get(f"/org/people/{other.id}").status_code == 404
    assert client.get("/org/people").status_code == 403
    assert client.get(f"/org/people/{m.person.id}/edit").status_code == 403


def test_trainer_reads_people_but_cannot_change(client, auth, tree, make_user, make_person, db):
    p = make_person(tree.V1, name="Người Được Xem")
    login_as(auth, make_user, db, Role.TRAINER, tree.P)
    html = client.get(f"/org/people/{p.id}").get_data(as_text=True)
    assert "Người Được Xem" in html and "Sửa thông tin" not in html
    assert client.get("/org/people/add").status_code == 403
    assert client.get(f"/org/people/{p.id}/recognize").status_code == 403


def test_person_outside_scope_is_not_found(client, auth, tree, make_user, make_person, db):
    p = make_person(tree.V3)
    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    assert client.get(f"/org/people/{p.id}").status_code == 404
    assert client.get(f"/org/people/{p.id}/edit").status_code == 404


# --------------------------------------------------------------------------- add / edit


def test_add_person_validates_in_vietnamese(client, auth, tree, make_user, db):
    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    form = client.get("/org/people/add").get_data(as_text=True)
    # a small scope gets a select of its own units only
    assert "Khu vực 1" in form and "Khu vực 3" not in form and 'value="Kinh"' in form
    resp = post_form(client, "/org/people/add", {"full_name": "", "gender": "", "unit_id": "", "email": "sai", "phone": "12"})
    html = resp.get_data(as_text=True)
    assert "Hãy nhập họ và tên." in html and "Hãy chọn giới tính." in html and "Hãy chọn đơn vị." in html
    assert "Địa chỉ thư điện tử không hợp lệ." in html and "Số điện thoại không hợp lệ" in html
    resp = post_form(client, "/org/people/add", {"full_name": "A", "gender": "female", "unit_id": str(tree.V3.id), "birth_year": "1980"})
    assert "Hãy chọn một đơn vị trong danh sách." in resp.get_data(as_text=True) or "Lựa chọn không hợp lệ." in resp.get_data(as_text=True)
    resp = post_form(client, "/org/people/add", {"full_name": "A", "gender": "female", "unit_id": str(tree.V1.id), "birth_year": "2024"})
    assert "Năm sinh không hợp lệ: 2024." in resp.get_data(as_text=True)
    assert db.session.scalar(select(Person)) is None or db.session.scalar(select(Person).where(Person.full_name == "A")) is None


def test_add_person_normalizes_and_saves(client, auth, tree, make_user, db):
    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    nfd = unicodedata.normalize("NFD", "Lò Thị  Mến")
    resp = post_form(client, "/org/people/add", {
        "full_name": nfd, "gender": "female", "birth_date": "1975-04-30", "ethnicity": "Thái",
        "phone": "+84 912 345 678", "unit_id": str(tree.V2.id),
    })
    assert resp.status_code == 302
    p = db.session.scalar(select(Person).where(Person.full_name == "Lò Thị Mến"))
    assert p is not None and p.unit_id == tree.V2.id and p.gender == Gender.FEMALE
    assert p.birth_year == 1975 and p.birth_date == dt.date(1975, 4, 30) and p.is_minority and p.phone == "0912345678"
    assert resp.headers["Location"].endswith(f"/org/people/{p.id}")


def test_large_scope_uses_unit_code(client, auth, tree, make_user, db, monkeypatch):
    from lms.core import web

    monkeypatch.setattr(web, "PICKER_LIMIT", 3)
    login_as(auth, make_user, db, Role.PROVINCE_ADMIN, tree.P)
    form = client.get("/org/people/add").get_data(as_text=True)
    assert 'name="unit_code"' in form and 'name="unit_id"' not in form
    resp = post_form(client, "/org/people/add", {"full_name": "Mã Đơn Vị", "gender": "male", "unit_code": "31500-01"})
    assert "Không tìm thấy đơn vị có mã «31500-01» trong phạm vi quản lý của bạn." in resp.get_data(as_text=True)
    resp = post_form(client, "/org/people/add", {"full_name": "Mã Đơn Vị", "gender": "male", "unit_code": "31120-01"})
    assert resp.status_code == 302
    assert db.session.scalar(select(Person).where(Person.full_name == "Mã Đơn Vị")).unit_id == tree.V3.id


def test_edit_person(client, auth, tree, make_user, make_person, db):
    p = make_person(tree.V1, name="Tên Cũ", gender=Gender.MALE)
    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    form = client.get(f"/org/people/{p.id}/edit").get_data(as_text=True)
    assert 'value="Tên Cũ"' in form
    resp = post_form(client, f"/org/people/{p.id}/edit", {
        "full_name": "Tên Mới", "gender": "female", "birth_year": "1970", "ethnicity": "Khmer", "unit_id": str(tree.V2.id),
    })
    assert resp.status_code == 302
    db.session.expire_all()
    p = db.session.get(Person, p.id)
    assert p.full_name == "Tên Mới" and p.search_key == "ten moi" and p.gender == Gender.FEMALE
    assert p.birth_year == 1970 and p.is_minority and p.unit_id == tree.V2.id


# --------------------------------------------------------------------------- mediator


def test_new_mediator_from_team_page(client, auth, tree, make_user, db, freeze):
    freeze("2026-03-01")
    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    resp = post_form(client, f"/org/people/add?team_id={tree.T1.id}", {"full_name": "Mới Công Nhận", "gender": "female", "unit_id": str(tree.V1.id)})
    assert resp.status_code == 302 and f"/recognize?team_id={tree.T1.id}" in resp.headers["Location"]
    form = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert f'<option selected value="{tree.T1.id}">' in form
    person = db.session.scalar(select(Person).where(Person.full_name == "Mới Công Nhận"))
    resp = post_form(client, resp.headers["Location"], {
        "team_id": str(tree.T1.id), "decision_no": "07/QĐ-UBND", "recognized_on": "2026-02-01", "is_leader": "y",
    })
    assert resp.status_code == 302
    m = db.session.scalar(select(MediatorMembership).where(MediatorMembership.person_id == person.id))
    assert m.team_id == tree.T1.id and m.decision_no == "07/QĐ-UBND" and m.is_leader and m.recognized_on == dt.date(2026, 2, 1)


def test_recognize_team_choices_are_limited_to_scope(client, auth, tree, make_user, make_person, db, freeze):
    freeze("2026-03-01")
    p = make_person(tree.V1)
    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    form = client.get(f"/org/people/{p.id}/recognize").get_data(as_text=True)
    assert "Tổ hòa giải Khu vực 1" in form and "Tổ hòa giải Khu vực 2" in form
    assert "Khu vực 3" not in form and "Ấp Phú Hòa" not in form
    resp = post_form(client, f"/org/people/{p.id}/recognize", {"team_id": str(tree.TQ.id), "recognized_on": "2026-02-01"})
    assert "Lựa chọn không hợp lệ." in resp.get_data(as_text=True)
    resp = post_form(client, f"/org/people/{p.id}/recognize", {"unit_code": "31500-01", "recognized_on": "2026-02-01"})
    assert "Không tìm thấy thôn / tổ dân phố có mã «31500-01»" in resp.get_data(as_text=True)
    resp = post_form(client, f"/org/people/{p.id}/recognize", {"recognized_on": "2026-02-01"})
    assert "Hãy chọn tổ hòa giải hoặc nhập mã thôn / tổ dân phố." in resp.get_data(as_text=True)
    resp = post_form(client, f"/org/people/{p.id}/recognize", {"team_id": str(tree.T1.id), "recognized_on": "2026-04-01"})
    assert "Ngày công nhận không được sau ngày hôm nay." in resp.get_data(as_text=True)
    assert db.session.scalar(select(MediatorMembership)) is None


def test_recognize_by_village_code(client, auth, tree, make_user, make_person, db, freeze):
    freeze("2026-03-01")
    p = make_person(tree.V1)
    login_as(auth, make_user, db, Role.PROVINCE_ADMIN, tree.P)
    resp = post_form(client, f"/org/people/{p.id}/recognize", {"unit_code": "31150-01", "recognized_on": "01/02/2026"})
    assert resp.status_code == 302
    assert db.session.scalar(select(MediatorMembership)).team_id == tree.T4.id
    resp = post_form(client, f"/org/people/{p.id}/recognize", {"team_id": str(tree.T4.id), "recognized_on": "2026-02-15"})
    assert "Người này đang là hòa giải viên của tổ này." in resp.get_data(as_text=True)


def test_end_membership_with_confirmation(client, auth, tree, make_user, make_mediator, db, freeze):
    freeze("2026-03-01")
    m = make_mediator(tree.T1)
    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    url = f"/org/memberships/{m.id}/end"
    page = client.get(url).get_data(as_text=True)
    assert "Thôi làm hòa giải viên" in page and "Theo nguyện vọng" in page
    resp = post_form(client, url, {"left_on": "2026-02-20", "reason": "own_request"})
    assert "Hãy đánh dấu ô xác nhận để tiếp tục." in resp.get_data(as_text=True)
    resp = post_form(client, url, {"left_on": "2026-02-20", "reason": "", "confirm": "y"})
    assert "Hãy chọn lý do." in resp.get_data(as_text=True)
    resp = post_form(client, url, {"left_on": "2024-01-01", "reason": "own_request", "confirm": "y"})
    assert "Ngày thôi làm hòa giải viên phải sau ngày công nhận." in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(MediatorMembership, m.id).left_on is None
    resp = post_form(client, url, {"left_on": "2026-02-20", "reason": "violated_principles", "decision_no": "09/QĐ", "note": "Ghi chú", "confirm": "y"})
    assert resp.status_code == 302
    db.session.expire_all()
    m = db.session.get(MediatorMembership, m.id)
    assert m.left_on == dt.date(2026, 2, 20) and m.leave_reason == LeaveReason.VIOLATED_PRINCIPLES
    assert m.leave_decision_no == "09/QĐ" and m.leave_note == "Ghi chú"


def test_edit_membership(client, auth, tree, make_user, make_mediator, db, freeze):
    freeze("2026-03-01")
    m = make_mediator(tree.T1)
    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    resp = post_form(client, f"/org/memberships/{m.id}/edit", {"decision_no": "99/QĐ", "recognized_on": "2025-01-20", "is_leader": "y"})
    assert resp.status_code == 302
    db.session.expire_all()
    m = db.session.get(MediatorMembership, m.id)
    assert m.decision_no == "99/QĐ" and m.recognized_on == dt.date(2025, 1, 20) and m.is_leader


# --------------------------------------------------------------------------- trainer and legal supporter


def test_appoint_and_end_trainer(client, auth, tree, make_user, make_person, db, freeze):
    freeze("2026-03-01")
    p = make_person(tree.P, name="Tập Huấn Viên Tỉnh")
    login_as(auth, make_user, db, Role.PROVINCE_ADMIN, tree.P)
    form = client.get(f"/org/people/{p.id}/appoint").get_data(as_text=True)
    assert "Thành phố Cần Thơ" in form and "Quận Ninh Kiều" in form and "Phường An Hòa" not in form and "Sóc Trăng" not in form
    resp = post_form(client, f"/org/people/{p.id}/appoint", {"level": "district", "unit_id": str(tree.P.id), "started_on": "2025-01-01"})
    assert "Tập huấn viên cấp huyện phải thuộc đơn vị cấp huyện / quận." in resp.get_data(as_text=True)
    resp = post_form(client, f"/org/people/{p.id}/appoint", {
        "level": "province", "unit_id": str(tree.P.id), "background": "lawyer", "started_on": "2025-01-01",
    })
    assert resp.status_code == 302
    a = db.session.scalar(select(TrainerAppointment).where(TrainerAppointment.person_id == p.id))
    assert a.level == TrainerLevel.PROVINCE and a.background == Background.LAWYER and a.ended_on is None
    resp = post_form(client, f"/org/appointments/{a.id}/end", {"ended_on": "2026-02-01"})
    assert "Hãy đánh dấu ô xác nhận để tiếp tục." in resp.get_data(as_text=True)
    resp = post_form(client, f"/org/appointments/{a.id}/end", {"ended_on": "2026-02-01", "confirm": "y"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(TrainerAppointment, a.id).ended_on == dt.date(2026, 2, 1)


def test_commune_officer_has_no_trainer_units(client, auth, tree, make_user, make_person, db):
    p = make_person(tree.V1)
    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    html = client.get(f"/org/people/{p.id}/appoint").get_data(as_text=True)
    assert "Phạm vi quản lý của bạn không có đơn vị cấp tỉnh hoặc huyện" in html


def test_add_and_end_legal_support(client, auth, tree, make_user, make_person, db, freeze):
    freeze("2026-03-01")
    p = make_person(tree.V1, name="Luật Gia Hỗ Trợ")
    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    url = f"/org/people/{p.id}/supports/add"
    resp = post_form(client, url, {"team_id": str(tree.T2.id), "background": "", "from_on": "2026-01-01"})
    assert "Hãy chọn nguồn của người hỗ trợ." in resp.get_data(as_text=True)
    resp = post_form(client, url, {"team_id": str(tree.T2.id), "background": "jurist", "from_on": "2026-01-01", "to_on": "2025-01-01"})
    assert "Ngày kết thúc phải sau ngày bắt đầu." in resp.get_data(as_text=True)
    resp = post_form(client, url, {"team_id": str(tree.T2.id), "background": "jurist", "from_on": "2026-01-01"})
    assert resp.status_code == 302
    s = db.session.scalar(select(LegalSupport))
    assert s.team_id == tree.T2.id and s.background == Background.JURIST
    assert "Luật Gia Hỗ Trợ" in client.get(f"/org/teams/{tree.T2.id}").get_data(as_text=True)
    resp = post_form(client, f"/org/supports/{s.id}/end", {"ended_on": "2026-02-01", "confirm": "y"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(LegalSupport, s.id).to_on == dt.date(2026, 2, 1)


def test_support_for_dissolved_team_is_refused(client, auth, tree, make_user, make_person, db, freeze):
    freeze("2026-03-01")
    roster.end_team(tree.T2, dt.date(2025, 12, 31))
    p = make_person(tree.V1)
    login_as(auth, make_user, db, Role.PROVINCE_ADMIN, tree.P)
    resp = post_form(client, f"/org/people/{p.id}/supports/add", {"unit_code": "31117-02", "background": "jurist", "from_on": "2026-01-01"})
    assert "chưa có tổ hòa giải đang hoạt động" in resp.get_data(as_text=True)
    assert db.session.scalar(select(LegalSupport)) is None
