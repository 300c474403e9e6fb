"""The team page and the add / edit / dissolve team screens."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from lms.core.roles import Role
from lms.org.models import Background, Gender, Team
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


def test_team_page_lists_members_supporters_and_warnings(client, auth, tree, make_user, make_mediator, make_person, db, freeze):
    freeze("2026-03-01")
    make_mediator(tree.T1, name="Trần Văn Tổ Trưởng", gender=Gender.MALE, is_leader=True, decision_no="12/QĐ-UBND")
    left = make_mediator(tree.T1, name="Lê Văn Đã Nghỉ", gender=Gender.MALE)
    roster.end_membership(left, left_on=dt.date(2025, 12, 1), reason=roster.LeaveReason.OWN_REQUEST)
    lawyer = make_person(tree.C1, name="Phạm Luật Sư")
    roster.add_legal_support(person=lawyer, team=tree.T1, from_on=dt.date(2025, 2, 1), background=Background.LAWYER)
    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    resp = client.get(f"/org/teams/{tree.T1.id}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Trần Văn Tổ Trưởng" in html and "Tổ trưởng" in html and "Số 12/QĐ-UBND" in html
    assert "Lê Văn Đã Nghỉ" in html and "01/12/2025" in html and "Theo nguyện vọng" in html
    assert "Phạm Luật Sư" in html and "Luật sư" in html
    assert "Tổ chỉ có 1 hòa giải viên; cần ít nhất 3" in html
    assert "Tổ chưa có hòa giải viên nữ" in html
    assert "<strong>1</strong> hòa giải viên đang hoạt động" in html
    assert "Lịch sử thay đổi" in html and "Tạo mới" in html


def test_team_members_are_paginated(client, auth, tree, make_user, make_mediator, db, freeze):
    freeze("2026-03-01")
    for _ in range(25):
        make_mediator(tree.T3)
    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C2)
    html = client.get(f"/org/teams/{tree.T3.id}").get_data(as_text=True)
    assert "Trang 1/2" in html and "25 bản ghi" in html
    assert "Trang 2/2" in client.get(f"/org/teams/{tree.T3.id}?page=2").get_data(as_text=True)


def test_team_outside_scope_is_not_found(client, auth, tree, make_user, db):
    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    assert client.get(f"/org/teams/{tree.T3.id}").status_code == 404
    assert client.get(f"/org/teams/{tree.TQ.id}/edit").status_code == 404
    assert client.get(f"/org/teams/{tree.TQ.id}/end").status_code == 404


def test_trainer_reads_team_but_cannot_change_it(client, auth, tree, make_user, db):
    login_as(auth, make_user, db, Role.TRAINER, tree.P)
    html = client.get(f"/org/teams/{tree.T1.id}").get_data(as_text=True)
    assert "Tổ hòa giải Khu vực 1" in html and "Giải thể tổ" not in html and "Thêm hòa giải viên mới" not in html
    assert client.get(f"/org/teams/{tree.T1.id}/edit").status_code == 403
    assert client.get(f"/org/units/{tree.V1.id}/teams/add").status_code == 403


def test_mediator_cannot_open_team_page(client, auth, tree, make_user, make_mediator, db, freeze):
    freeze("2026-03-01")
    m = make_mediator(tree.T1)
    login_as(auth, make_user, db, Role.MEDIATOR, tree.V1, person=m.person)
    assert client.get(f"/org/teams/{tree.T1.id}").status_code == 403


def test_add_team_to_village(client, auth, tree, make_user, db):
    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    assert "Thêm tổ hòa giải" in client.get(f"/org/units/{tree.V1.id}").get_data(as_text=True)
    resp = post_form(client, f"/org/units/{tree.V1.id}/teams/add", {"name": "Tổ hòa giải số 2 Khu vực 1", "established_on": "2026-01-05"})
    assert resp.status_code == 302
    team = db.session.scalar(select(Team).where(Team.name == "Tổ hòa giải số 2 Khu vực 1"))
    assert team.unit_id == tree.V1.id and team.established_on == dt.date(2026, 1, 5)
    assert resp.headers["Location"].endswith(f"/org/teams/{team.id}")
    # blank name: the default name
    post_form(client, f"/org/units/{tree.V2.id}/teams/add", {"name": ""})
    assert db.session.scalar(select(Team).where(Team.unit_id == tree.V2.id, Team.id != tree.T2.id)).name == "Tổ hòa giải Khu vực 2"


def test_add_team_to_district_is_refused(client, auth, tree, make_user, db):
    login_as(auth, make_user, db, Role.PROVINCE_ADMIN, tree.P)
    resp = post_form(client, f"/org/units/{tree.D.id}/teams/add", {"name": "Tổ sai cấp"})
    assert resp.status_code == 200
    assert "Tổ hòa giải phải thuộc một thôn / tổ dân phố (hoặc xã)." in resp.get_data(as_text=True)
    assert db.session.scalar(select(Team).where(Team.name == "Tổ sai cấp")) is None


def test_edit_team(client, auth, tree, make_user, db):
    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    resp = post_form(client, f"/org/teams/{tree.T1.id}/edit", {"name": "Tổ hòa giải Khu vực Một", "established_on": "2015-03-01"})
    assert resp.status_code == 302
    db.session.expire_all()
    team = db.session.get(Team, tree.T1.id)
    assert team.name == "Tổ hòa giải Khu vực Một" and team.established_on == dt.date(2015, 3, 1)
    resp = post_form(client, f"/org/teams/{tree.T1.id}/edit", {"name": "X", "established_on": "31/02/2015"})
    assert "không hợp lệ" in resp.get_data(as_text=True)


def test_dissolve_team_asks_for_confirmation(client, auth, tree, make_user, make_mediator, db, freeze):
    freeze("2026-03-01")
    make_mediator(tree.T1)
    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    page = client.get(f"/org/teams/{tree.T1.id}/end").get_data(as_text=True)
    assert "Giải thể tổ hòa giải" in page and "Tổ còn 1 hòa giải viên đang hoạt động" in page
    resp = post_form(client, f"/org/teams/{tree.T1.id}/end", {"dissolved_on": "2026-02-28"})
    assert "Hãy đánh dấu ô xác nhận để tiếp tục." in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Team, tree.T1.id).dissolved_on is None
    resp = post_form(client, f"/org/teams/{tree.T1.id}/end", {"dissolved_on": "2026-02-28", "confirm": "y"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Team, tree.T1.id).dissolved_on == dt.date(2026, 2, 28)
    html = client.get(f"/org/teams/{tree.T1.id}").get_data(as_text=True)
    assert "Giải thể từ 28/02/2026" in html and "Thành phần tổ chưa đạt" not in html


def test_dissolve_before_establishment_is_refused(client, auth, tree, make_user, db):
    roster.update_team(tree.T1, established_on=dt.date(2020, 1, 1))
    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    resp = post_form(client, f"/org/teams/{tree.T1.id}/end", {"dissolved_on": "2019-01-01", "confirm": "y"})
    assert "Ngày giải thể phải sau ngày thành lập." in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Team, tree.T1.id).dissolved_on is None
