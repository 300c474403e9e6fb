"""Every create / update / end of a unit, team, person or membership leaves an audit row shown on the record's page."""

from __future__ import annotations

from sqlalchemy import select

from lms.core.models import AuditLog
from lms.core.roles import Role
from lms.org.models import MediatorMembership, Person, Team, Unit
from tests.conftest import csrf_token


def post_form(client, url, data):
    token = csrf_token(client.get(url).get_data(as_text=True))
    resp = client.post(url, data={"csrf_token": token, **data})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return resp


def rows(db, entity, entity_id):
    stmt = select(AuditLog).where(AuditLog.entity == entity, AuditLog.entity_id == entity_id).order_by(AuditLog.id)
    return list(db.session.scalars(stmt))


def login(auth, make_user, db, role, unit):
    user = make_user(role, unit)
    db.session.commit()
    auth.login(user.username)
    return user


def test_unit_create_update_end(client, auth, tree, make_user, db):
    user = login(auth, make_user, db, Role.PROVINCE_ADMIN, tree.P)
    post_form(client, f"/org/units/{tree.C3.id}/add", {"kind": "village", "code": "31150-02", "name": "Ấp Mới"})
    unit = db.session.scalar(select(Unit).where(Unit.code == "31150-02"))
    post_form(client, f"/org/units/{unit.id}/edit", {"code": "31150-02", "name": "Ấp Mới Đổi Tên"})
    post_form(client, f"/org/units/{unit.id}/end", {"valid_to": "2026-01-31", "successor_code": "31150-01", "confirm": "y"})
    log = rows(db, "unit", unit.id)
    assert [r.action for r in log] == ["create", "update", "end"]
    assert all(r.actor == user.username and r.user_id == user.id for r in log)
    assert log[0].changes["name"] == [None, "Ấp Mới"] and log[0].changes["code"] == [None, "31150-02"]
    assert log[1].changes == {"name": ["Ấp Mới", "Ấp Mới Đổi Tên"]}
    assert log[2].changes["valid_to"] == [None, "2026-01-31"] and log[2].changes["successor_id"] == [None, tree.V4.id]
    html = client.get(f"/org/units/{unit.id}").get_data(as_text=True)
    assert "Lịch sử thay đổi" in html and "Tạo mới" in html and "Cập nhật" in html and "Kết thúc" in html
    assert "Ấp Mới → Ấp Mới Đổi Tên" in html and user.username in html


def test_unchanged_update_records_nothing(client, auth, tree, make_user, db):
    login(auth, make_user, db, Role.PROVINCE_ADMIN, tree.P)
    before = len(rows(db, "unit", tree.V1.id))
    post_form(client, f"/org/units/{tree.V1.id}/edit", {"code": tree.V1.code, "name": tree.V1.name, "parent_code": tree.C1.code})
    assert len(rows(db, "unit", tree.V1.id)) == before


def test_team_create_update_end(client, auth, tree, make_user, db):
    user = login(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    post_form(client, f"/org/units/{tree.V1.id}/teams/add", {"name": "Tổ Kiểm Tra", "established_on": "2020-05-01"})
    team = db.session.scalar(select(Team).where(Team.name == "Tổ Kiểm Tra"))
    assert rows(db, "team", team.id)[0].changes["unit_id"] == [None, tree.V1.id]
    post_form(client, f"/org/teams/{team.id}/edit", {"name": "Tổ Kiểm Tra Hai", "established_on": "2020-05-01"})
    post_form(client, f"/org/teams/{team.id}/end", {"dissolved_on": "2026-01-01", "confirm": "y"})
    log = rows(db, "team", team.id)
    assert [r.action for r in log] == ["create", "update", "end"]
    assert log[0].changes["established_on"] == [None, "2020-05-01"]
    assert log[1].changes == {"name": ["Tổ Kiểm Tra", "Tổ Kiểm Tra Hai"]}
    assert log[2].changes == {"dissolved_on": [None, "2026-01-01"]}
    assert all(r.actor == user.username for r in log)
    html = client.get(f"/org/teams/{team.id}").get_data(as_text=True)
    assert "Tổ Kiểm Tra → Tổ Kiểm Tra Hai" in html and "01/01/2026" in html  # dates shown as officers write them


def test_person_create_and_update(client, auth, tree, make_user, db):
    user = login(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    post_form(client, "/org/people/add", {"full_name": "Đặng Thị Ghi", "gender": "female", "birth_year": "1981", "unit_id": str(tree.V1.id)})
    person = db.session.scalar(select(Person).where(Person.full_name == "Đặng Thị Ghi"))
    post_form(client, f"/org/people/{person.id}/edit", {
        "full_name": "Đặng Thị Ghi", "gender": "female", "birth_year": "1982", "ethnicity": "Kinh", "phone": "0912000111", "unit_id": str(tree.V1.id),
    })
    log = rows(db, "person", person.id)
    assert [r.action for r in log] == ["create", "update"]
    assert log[0].changes["full_name"] == [None, "Đặng Thị Ghi"] and log[0].changes["gender"] == [None, "female"]
    assert log[0].changes["unit_id"] == [None, tree.V1.id]
    assert log[1].changes == {"birth_year": [1981, 1982], "phone": [None, "0912000111"]}
    assert all(r.actor == user.username for r in log)
    html = client.get(f"/org/people/{person.id}").get_data(as_text=True)
    assert "1981 → 1982" in html and "Tạo mới" in html


def test_membership_create_update_end_shown_on_person_page(client, auth, tree, make_user, make_person, db, freeze):
    freeze("2026-03-01")
    person = make_person(tree.V1, name="Người Có Vai Trò")
    user = login(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    post_form(client, f"/org/people/{person.id}/recognize", {"team_id": str(tree.T1.id), "decision_no": "01/QĐ", "recognized_on": "2026-01-10"})
    m = db.session.scalar(select(MediatorMembership).where(MediatorMembership.person_id == person.id))
    post_form(client, f"/org/memberships/{m.id}/edit", {"decision_no": "02/QĐ", "recognized_on": "2026-01-10"})
    post_form(client, f"/org/memberships/{m.id}/end", {"left_on": "2026-02-10", "reason": "own_request", "decision_no": "03/QĐ", "confirm": "y"})
    log = rows(db, "mediator_membership", m.id)
    assert [r.action for r in log] == ["create", "update", "end"]
    assert log[0].changes["recognized_on"] == [None, "2026-01-10"] and log[0].changes["decision_no"] == [None, "01/QĐ"]
    assert log[0].changes["team_id"] == [None, tree.T1.id] and log[0].changes["person_id"] == [None, person.id]
    assert log[1].changes == {"decision_no": ["01/QĐ", "02/QĐ"]}
    assert log[2].changes["left_on"] == [None, "2026-02-10"] and log[2].changes["leave_reason"] == [None, "own_request"]
    assert log[2].changes["leave_decision_no"] == [None, "03/QĐ"]
    assert all(r.actor == user.username for r in log)
    html = client.get(f"/org/people/{person.id}").get_data(as_text=True)
    assert "01/QĐ → 02/QĐ" in html and "own_request" in html


def test_nothing_half_saved_on_error(client, auth, tree, make_user, db):
    login(auth, make_user, db, Role.PROVINCE_ADMIN, tree.P)
    before = db.session.scalar(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1))
    url = f"/org/units/{tree.C3.id}/edit"
    token = csrf_token(client.get(url).get_data(as_text=True))
    resp = client.post(url, data={"csrf_token": token, "code": "31117", "name": "Đổi Tên Lỗi"})
    assert resp.status_code == 200
    assert db.session.scalar(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1)) == before
    db.session.expire_all()
    assert db.session.get(Unit, tree.C3.id).name == "Xã Thạnh Phú"


def test_recognition_that_moves_the_person_is_audited(client, auth, tree, make_user, make_person, db, freeze):
    freeze("2026-03-01")
    person = make_person(tree.C1, name="Người Chuyển Về Thôn")
    login(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    post_form(client, f"/org/people/{person.id}/recognize", {"team_id": str(tree.T2.id), "recognized_on": "2026-01-10"})
    db.session.expire_all()
    assert db.session.get(Person, person.id).unit_id == tree.V2.id
    assert rows(db, "person", person.id)[-1].changes == {"unit_id": [tree.C1.id, tree.V2.id]}
