"""Unit tree browser and the add / edit / end unit screens."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from lms.core.models import AuditLog
from lms.core.roles import Role
from lms.org.models import Unit, UnitKind
from tests.conftest import csrf_token


def post_form(client, url, data):
    token = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def login_as(auth, make_user, db, role, unit):
    user = make_user(role, unit)
    db.session.commit()
    auth.login(user.username)
    return user


def test_unit_page_lists_children_with_counts(client, auth, tree, make_user, make_mediator, db, freeze):
    freeze("2026-03-01")
    make_mediator(tree.T1)
    make_mediator(tree.T2)
    make_mediator(tree.T3)
    login_as(auth, make_user, db, Role.PROVINCE_ADMIN, tree.P)
    html = client.get(f"/org/units/{tree.D.id}").get_data(as_text=True)
    assert "Phường An Hòa" in html and "Phường Thới Bình" in html
    # An Hòa: 2 villages, 2 teams, 2 mediators
    row = html.split("Phường An Hòa", 1)[1].split("</tr>", 1)[0]
    cells = [c.split("<", 1)[0].strip() for c in row.split('<td class="text-end">')[1:]]
    assert cells == ["2", "2", "2"]
    assert "Thêm đơn vị trực thuộc" in html and "Kết thúc hiệu lực / sáp nhập" in html
    assert "3 hòa giải viên đang hoạt động" in html


def test_unit_tree_is_paginated(client, auth, tree, make_user, make_unit, db):
    for i in range(25):
        make_unit(UnitKind.VILLAGE, tree.C3, code=f"31150-{i + 10:02d}", name=f"Ấp số {i + 10:02d}")
    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C3)
    html = client.get(f"/org/units/{tree.C3.id}").get_data(as_text=True)
    assert "Trang 1/2" in html
    html2 = client.get(f"/org/units/{tree.C3.id}?page=2").get_data(as_text=True)
    assert "Trang 2/2" in html2


def test_commune_officer_adds_village_in_own_commune_only(client, auth, tree, make_user, db):
    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    form = client.get(f"/org/units/{tree.C1.id}/add").get_data(as_text=True)
    assert 'value="village"' in form and 'value="commune"' not in form
    resp = post_form(client, f"/org/units/{tree.C1.id}/add", {"kind": "village", "code": "31117-09", "name": "Khu vực  9"})
    assert resp.status_code == 302
    unit = db.session.scalar(select(Unit).where(Unit.code == "31117-09"))
    assert unit is not None and unit.parent_id == tree.C1.id and unit.name == "Khu vực 9"
    assert unit.path.startswith(tree.C1.path)
    # another commune (outside scope): not found
    assert client.get(f"/org/units/{tree.C2.id}/add").status_code == 404
    token = csrf_token(client.get(f"/org/units/{tree.C1.id}/add").get_data(as_text=True))
    resp = client.post(f"/org/units/{tree.C2.id}/add", data={"csrf_token": token, "kind": "village", "code": "X-1", "name": "X"})
    assert resp.status_code == 404
    assert db.session.scalar(select(Unit).where(Unit.code == "X-1")) is None


def test_province_admin_adds_district_and_commune(client, auth, tree, make_user, db):
    login_as(auth, make_user, db, Role.PROVINCE_ADMIN, tree.P)
    form = client.get(f"/org/units/{tree.P.id}/add").get_data(as_text=True)
    assert 'value="district"' in form and 'value="commune"' in form and 'value="village"' not in form
    resp = post_form(client, f"/org/units/{tree.P.id}/add", {"kind": "commune", "code": "31999", "name": "Xã Mới", "ethnic_minority_area": "y"})
    assert resp.status_code == 302
    unit = db.session.scalar(select(Unit).where(Unit.code == "31999"))
    assert unit.kind == UnitKind.COMMUNE and unit.ethnic_minority_area


def test_add_unit_errors_are_vietnamese_and_nothing_is_saved(client, auth, tree, make_user, db):
    login_as(auth, make_user, db, Role.PROVINCE_ADMIN, tree.P)
    resp = post_form(client, f"/org/units/{tree.P.id}/add", {"kind": "commune", "code": "", "name": ""})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Hãy nhập mã đơn vị." in html and "Hãy nhập tên đơn vị." in html
    resp = post_form(client, f"/org/units/{tree.P.id}/add", {"kind": "commune", "code": "31117", "name": "Trùng mã"})
    assert "Mã đơn vị «31117» đã là mã của" in resp.get_data(as_text=True)
    resp = post_form(client, f"/org/units/{tree.P.id}/add", {"kind": "village", "code": "V-X", "name": "Sai cấp"})
    assert "Lựa chọn không hợp lệ." in resp.get_data(as_text=True)
    assert db.session.scalar(select(Unit).where(Unit.name.in_(["Trùng mã", "Sai cấp"]))) is None


def test_trainer_reads_but_cannot_change_units(client, auth, tree, make_user, db):
    login_as(auth, make_user, db, Role.TRAINER, tree.P)
    html = client.get(f"/org/units/{tree.P.id}").get_data(as_text=True)
    assert "Quận Ninh Kiều" in html and "Thêm đơn vị trực thuộc" not in html and "Sửa</a>" not in html
    assert client.get(f"/org/units/{tree.D.id}/add").status_code == 403
    assert client.get(f"/org/units/{tree.D.id}/edit").status_code == 403
    assert client.get(f"/org/units/{tree.D.id}/end").status_code == 403


def test_edit_unit_and_move_it(client, auth, tree, make_user, db):
    login_as(auth, make_user, db, Role.PROVINCE_ADMIN, tree.P)
    resp = post_form(client, f"/org/units/{tree.C3.id}/edit", {"code": "31150", "name": "Xã Thạnh Phú Mới", "parent_code": "916", "is_pilot": "y"})
    assert resp.status_code == 302
    db.session.expire_all()
    c3 = db.session.get(Unit, tree.C3.id)
    assert c3.name == "Xã Thạnh Phú Mới" and c3.is_pilot and c3.parent_id == tree.D.id
    assert db.session.get(Unit, tree.V4.id).path.startswith(tree.D.path)
    # a duplicate code is refused on the field
    resp = post_form(client, f"/org/units/{tree.C3.id}/edit", {"code": "31117", "name": "X"})
    assert "Mã đơn vị «31117» đã là mã của" in resp.get_data(as_text=True)
    # a parent outside the scope is refused
    resp = post_form(client, f"/org/units/{tree.C3.id}/edit", {"code": "31150", "name": "X", "parent_code": "94"})
    assert "Không tìm thấy đơn vị có mã «94» trong phạm vi quản lý của bạn." in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Unit, tree.C3.id).name == "Xã Thạnh Phú Mới"


def test_officer_cannot_edit_own_root_unit(client, auth, tree, make_user, db):
    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    assert client.get(f"/org/units/{tree.C1.id}/edit").status_code == 403
    assert client.get(f"/org/units/{tree.V1.id}/edit").status_code == 200
    assert client.get(f"/org/units/{tree.V3.id}/edit").status_code == 404


def test_end_unit_with_successor_needs_confirmation(client, auth, tree, make_user, db):
    login_as(auth, make_user, db, Role.PROVINCE_ADMIN, tree.P)
    page = client.get(f"/org/units/{tree.C2.id}/end").get_data(as_text=True)
    assert "Kết thúc hiệu lực: Phường Thới Bình" in page and "1 tổ hòa giải" in page
    resp = post_form(client, f"/org/units/{tree.C2.id}/end", {"valid_to": "2025-06-30", "successor_code": "31117"})
    assert "Hãy đánh dấu ô xác nhận để tiếp tục." in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Unit, tree.C2.id).valid_to is None
    resp = post_form(client, f"/org/units/{tree.C2.id}/end", {"valid_to": "2025-06-30", "successor_code": "31117-01", "confirm": "y"})
    assert "Đơn vị kế thừa phải cùng cấp." in resp.get_data(as_text=True)
    resp = post_form(client, f"/org/units/{tree.C2.id}/end", {"valid_to": "30/06/2025", "successor_code": "31117", "confirm": "y"})
    assert resp.status_code == 302
    db.session.expire_all()
    c2 = db.session.get(Unit, tree.C2.id)
    assert c2.valid_to == dt.date(2025, 6, 30) and c2.successor_id == tree.C1.id
    html = client.get(f"/org/units/{tree.C2.id}").get_data(as_text=True)
    assert "Hiệu lực đến 30/06/2025" in html and "sáp nhập vào Phường An Hòa" in html
    row = db.session.scalar(select(AuditLog).where(AuditLog.entity == "unit", AuditLog.entity_id == tree.C2.id, AuditLog.action == "end"))
    assert row.changes["valid_to"] == [None, "2025-06-30"]


def test_system_admin_adds_province(client, auth, tree, make_user, db):
    login_as(auth, make_user, db, Role.SYSTEM_ADMIN, tree.P)
    assert "Thêm tỉnh / thành phố" in client.get("/org/units").get_data(as_text=True)
    resp = post_form(client, "/org/units/add", {"kind": "province", "code": "96", "name": "Tỉnh Cà Mau"})
    assert resp.status_code == 302
    unit = db.session.scalar(select(Unit).where(Unit.code == "96"))
    assert unit.parent_id is None and unit.path == f"/{unit.id}/"


def test_province_admin_cannot_add_province(client, auth, tree, make_user, db):
    login_as(auth, make_user, db, Role.PROVINCE_ADMIN, tree.P)
    assert client.get("/org/units/add").status_code == 403
