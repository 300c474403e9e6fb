"""Accounts: created from the roster (one person, a whole commune), the login sheet, the list in
scope, officer and trainer accounts, reset / disable / enable with scope and role limits."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import g
from sqlalchemy import func, select

from lms.core.errors import ServiceError
from lms.core.models import AuditLog
from lms.core.roles import Role
from lms.org.models import TrainerLevel, User
from lms.org.services import accounts, roster
from tests.conftest import csrf_token


def fresh_client(app):
    """A new browser (requests share the test's ``g``: drop the previous client's token and user)."""
    for name in ("csrf_token", "csrf_valid", "_login_user"):
        g.pop(name, None)
    return app.test_client()


def login(app, username, password="matkhau-123"):
    client = fresh_client(app)
    token = csrf_token(client.get("/auth/login").get_data(as_text=True))
    resp = client.post("/auth/login", data={"username": username, "password": password, "csrf_token": token})
    return client, resp


def post(client, url, data=None):
    """GET the page at ``url`` for its CSRF token, then POST to it."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(page.get_data(as_text=True))})


def one_time_password(html: str) -> str:
    m = re.search(r'data-testid="one-time-password">([^<]+)<', html)
    assert m, "no one-time password on the page"
    return m.group(1)


def user_by(username):
    return accounts.user_by_username(username)


@pytest.fixture
def people(db, tree, make_mediator, make_person, make_user):
    """Commune C1 (villages V1, V2): A, B eligible; C no phone; D already has an account; E left;
    F lives in C2 (another commune); an officer of C1 and one of C2."""
    ns = {}
    ns["A"] = make_mediator(tree.T1, phone="0901000001", name="Nguyễn Văn An").person
    ns["B"] = make_mediator(tree.T2, phone="+84 901 000 002", name="Lê Thị Bích").person
    ns["C"] = make_mediator(tree.T1, phone=None, name="Phạm Văn Cường").person
    ns["D"] = make_mediator(tree.T2, phone="0901000004", name="Đỗ Thị Dung").person
    make_user(Role.MEDIATOR, tree.V2, person=ns["D"], username="0901000004")
    e = make_mediator(tree.T1, phone="0901000005", name="Hồ Văn Em", recognized_on=dt.date(2024, 1, 10))
    roster.end_membership(e, left_on=dt.date(2024, 6, 1), reason=None)
    ns["E"] = e.person
    ns["F"] = make_mediator(tree.T3, phone="0901000006", name="Trịnh Văn Phúc").person
    ns["officer"] = make_user(Role.COMMUNE_OFFICER, tree.C1, username="canbo.c1")
    ns["officer2"] = make_user(Role.COMMUNE_OFFICER, tree.C2, username="canbo.c2")
    db.session.commit()
    return type("People", (), ns)


# --------------------------------------------------------------------------- services


def test_create_mediator_account_from_roster(db, tree, people):
    user, password = accounts.create_mediator_account(people.A, people.officer)
    assert user.username == "0901000001"
    assert user.role == Role.MEDIATOR and user.unit_id == tree.V1.id and user.person_id == people.A.id
    assert user.must_change_password and user.initial_password == password and user.check_password(password)
    assert user.display_name == "Nguyễn Văn An"
    row = db.session.scalar(select(AuditLog).where(AuditLog.entity == "user_account", AuditLog.entity_id == user.id))
    assert row.action == "create" and row.changes["username"] == [None, "0901000001"]
    assert password not in str(row.changes)


def test_create_mediator_account_errors(db, tree, people):
    with pytest.raises(ServiceError, match="chưa có số điện thoại"):
        accounts.create_mediator_account(people.C, people.officer)
    with pytest.raises(ServiceError, match="đã có tài khoản «0901000004»"):
        accounts.create_mediator_account(people.D, people.officer)
    with pytest.raises(ServiceError, match="không là hòa giải viên hay tập huấn viên"):
        accounts.create_mediator_account(people.E, people.officer)
    # a person of another commune is not the officer's to give an account
    with pytest.raises(ServiceError):
        accounts.create_mediator_account(people.F, people.officer)


def test_trainer_account_follows_the_appointment(db, tree, make_person, make_user):
    admin = make_user(Role.PROVINCE_ADMIN, tree.P)
    officer = make_user(Role.COMMUNE_OFFICER, tree.C1)
    person = make_person(tree.P, phone="0933111222", name="Võ Minh Tâm")
    roster.appoint_trainer(person=person, level=TrainerLevel.PROVINCE, unit=tree.P, started_on=dt.date(2025, 3, 1))
    with pytest.raises(ServiceError):
        accounts.create_mediator_account(person, officer)  # commune officers create mediators only
    user, _ = accounts.create_mediator_account(person, admin)
    assert user.role == Role.TRAINER and user.unit_id == tree.P.id and user.username == "0933111222"


def test_trainer_who_also_mediates_gets_the_role_the_creator_may_give(db, tree, make_mediator, make_user):
    officer = make_user(Role.COMMUNE_OFFICER, tree.C1)
    person = make_mediator(tree.T1, phone="0933111333").person
    roster.appoint_trainer(person=person, level=TrainerLevel.DISTRICT, unit=tree.D, started_on=dt.date(2025, 3, 1))
    user, _ = accounts.create_mediator_account(person, officer)
    assert user.role == Role.MEDIATOR and user.unit_id == tree.V1.id


def test_commune_plan_and_bulk_creation(db, tree, people):
    plan = accounts.plan_commune_accounts(tree.C1, people.officer)
    assert {p.full_name for p, _ in plan.eligible} == {"Nguyễn Văn An", "Lê Thị Bích"}
    assert [p.full_name for p, _ in plan.skipped] == ["Phạm Văn Cường"]
    created = accounts.create_commune_accounts(tree.C1, people.officer)
    assert sorted(u.username for u, _ in created) == ["0901000001", "0901000002"]
    assert all(u.role == Role.MEDIATOR and u.check_password(pw) for u, pw in created)
    assert accounts.plan_commune_accounts(tree.C1, people.officer).eligible == []


def test_bulk_skips_duplicate_phones(db, tree, make_mediator, make_user):
    officer = make_user(Role.COMMUNE_OFFICER, tree.C1)
    make_mediator(tree.T1, phone="0901999999", name="Người Một")
    make_mediator(tree.T2, phone="0901999999", name="Người Hai")
    plan = accounts.plan_commune_accounts(tree.C1, officer)
    assert len(plan.eligible) == 1 and len(plan.skipped) == 1
    assert "Trùng số điện thoại" in plan.skipped[0][1]


def test_bulk_creation_needs_a_commune(db, tree, people):
    with pytest.raises(ServiceError, match="xã"):
        accounts.plan_commune_accounts(tree.V1, people.officer)


# --------------------------------------------------------------------------- commune bulk creation and the sheet


def test_commune_bulk_creation_and_login_sheet(app, db, tree, people):
    client, _ = login(app, "canbo.c1")
    page = client.get(f"/org/accounts/commune/{tree.C1.id}/create")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Nguyễn Văn An" in html and "Lê Thị Bích" in html
    assert "Phạm Văn Cường" in html and "Chưa có số điện thoại" in html  # skipped, with the reason
    assert "Đỗ Thị Dung" not in html and "Hồ Văn Em" not in html and "Trịnh Văn Phúc" not in html

    resp = client.post(f"/org/accounts/commune/{tree.C1.id}/create", data={"csrf_token": csrf_token(html)})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/org/accounts/commune/{tree.C1.id}/sheet")
    db.session.expire_all()
    new = db.session.scalars(select(User).where(User.role == Role.MEDIATOR, User.initial_password.is_not(None))).all()
    assert sorted(u.username for u in new) == ["0901000001", "0901000002"]
    assert db.session.scalar(select(func.count()).select_from(User)) == 5  # D, two officers, two new

    sheet = client.get(f"/org/accounts/commune/{tree.C1.id}/sheet")
    html = sheet.get_data(as_text=True)
    assert sheet.status_code == 200
    assert "Đã tạo 2 tài khoản" in html
    for u in new:
        assert u.username in html and u.initial_password in html
        assert u.display_name in html and u.unit.name in html
    assert "0901000004" not in html  # D had an account before (no one-time password to print)
    assert "@media print" in html and "size: A4" in html
    assert "Hướng dẫn đăng nhập lần đầu" in html and "mật khẩu một lần" in html
    # the printed password works, and forces a change
    password = next(u.initial_password for u in new if u.username == "0901000001")
    client2, resp = login(app, "+84 901 000 001", password)
    assert resp.status_code == 302 and "/auth/password" in resp.headers["Location"]


def test_sheet_drops_accounts_once_the_password_is_changed(db, tree, people):
    created = accounts.create_commune_accounts(tree.C1, people.officer)
    (user, pw), other = created[0], created[1][0]
    accounts.change_password(user, pw, "mat-khau-rieng-1")
    rows = accounts.login_sheet_rows(tree.C1, people.officer)
    assert [u.id for u in rows] == [other.id]


def test_sheet_and_bulk_creation_are_scoped(app, db, tree, people):
    client, _ = login(app, "canbo.c1")
    assert client.get(f"/org/accounts/commune/{tree.C2.id}/sheet").status_code == 404
    assert client.get(f"/org/accounts/commune/{tree.C2.id}/create").status_code == 404
    assert client.get(f"/org/accounts/commune/{tree.V1.id}/sheet").status_code == 404  # not a commune
    assert client.get(f"/org/accounts/commune/{tree.CQ.id}/create").status_code == 404


# --------------------------------------------------------------------------- one person from the roster


def test_person_account_create_confirm_and_post(app, db, tree, people):
    client, _ = login(app, "canbo.c1")
    url = f"/org/accounts/person/{people.A.id}"
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "0901000001" in html and "Hòa giải viên" in html
    resp = client.post(url, data={"csrf_token": csrf_token(html)})
    assert resp.status_code == 200
    password = one_time_password(resp.get_data(as_text=True))
    user = user_by("0901000001")
    assert user.person_id == people.A.id and user.check_password(password)
    # a second attempt explains why not
    again = post(client, url)
    assert "đã có tài khoản «0901000001»" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User).where(User.person_id == people.A.id)) == 1


def test_person_account_create_errors_and_scope(app, db, tree, people):
    client, _ = login(app, "canbo.c1")
    assert "chưa có số điện thoại" in client.get(f"/org/accounts/person/{people.C.id}").get_data(as_text=True)
    assert client.get(f"/org/accounts/person/{people.F.id}").status_code == 404
    resp = post(client, f"/org/accounts/person/{people.C.id}")
    assert "chưa có số điện thoại" in resp.get_data(as_text=True)
    assert accounts.account_of(people.C) is None
    # without the CSRF token nothing is created
    resp = client.post(f"/org/accounts/person/{people.A.id}")
    assert resp.status_code == 400 and accounts.account_of(people.A) is None


def test_mediators_and_trainers_cannot_create_accounts(app, db, tree, people, make_user):
    make_user(Role.TRAINER, tree.P, username="thv")
    db.session.commit()
    client, _ = login(app, "0901000004")
    assert client.get(f"/org/accounts/person/{people.A.id}").status_code == 403
    assert client.get("/org/accounts").status_code == 403
    client, _ = login(app, "thv")
    assert client.get(f"/org/accounts/commune/{tree.C1.id}/create").status_code == 403


# --------------------------------------------------------------------------- reset, disable, enable


@pytest.fixture
def accounts_c1(db, tree, people):
    mediator_c1, _ = accounts.create_mediator_account(people.A, people.officer)
    mediator_c1.set_password("matkhau-123")
    mediator_c2, _ = accounts.create_mediator_account(people.F, people.officer2)
    db.session.commit()
    return mediator_c1, mediator_c2


def test_reset_shows_a_new_password_and_the_old_one_stops_working(app, db, tree, people, accounts_c1):
    target, _ = accounts_c1
    client, _ = login(app, "canbo.c1")
    url = f"/org/accounts/{target.id}/reset"
    page = client.get(url)
    assert page.status_code == 200 and "Đặt lại mật khẩu" in page.get_data(as_text=True)
    # the confirmation box is required
    resp = client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert resp.status_code == 200 and "Hãy đánh dấu ô xác nhận." in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, target.id).check_password("matkhau-123")

    resp = post(client, url, {"confirm": "y"})
    password = one_time_password(resp.get_data(as_text=True))
    db.session.expire_all()
    user = db.session.get(User, target.id)
    assert user.must_change_password and user.initial_password == password
    assert db.session.scalar(select(AuditLog).where(AuditLog.entity_id == user.id, AuditLog.action == "reset_password")) is not None
    assert login(app, "0901000001", "matkhau-123")[1].status_code == 200  # refused
    _, resp = login(app, "0901000001", password)
    assert resp.status_code == 302 and "/auth/password" in resp.headers["Location"]


def test_disable_and_enable(app, db, tree, people, accounts_c1):
    target, _ = accounts_c1
    client, _ = login(app, "canbo.c1")
    resp = post(client, f"/org/accounts/{target.id}/disable", {"confirm": "y"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert not db.session.get(User, target.id).is_active
    assert "tài khoản đã bị khóa" in login(app, "0901000001")[1].get_data(as_text=True)

    client, _ = login(app, "canbo.c1")
    page = client.get(f"/org/accounts/{target.id}").get_data(as_text=True)
    assert "Đã khóa" in page and "Khóa tài khoản" in page  # status and the audit row
    resp = post(client, f"/org/accounts/{target.id}/enable", {"confirm": "y"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, target.id).is_active
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.entity == "user_account", AuditLog.entity_id == target.id)).all()
    assert {"create", "disable", "enable"} <= set(actions)
    assert login(app, "0901000001")[1].status_code == 302


def test_officer_cannot_touch_accounts_outside_scope_or_of_higher_role(app, db, tree, people, accounts_c1, make_user):
    _, outside = accounts_c1
    admin = make_user(Role.PROVINCE_ADMIN, tree.P, username="sotuphap")
    colleague = make_user(Role.COMMUNE_OFFICER, tree.C1, username="canbo2.c1")
    db.session.commit()
    client, _ = login(app, "canbo.c1")
    for action in ("reset", "disable", "enable"):
        assert client.get(f"/org/accounts/{outside.id}/{action}").status_code == 404
        assert client.get(f"/org/accounts/{admin.id}/{action}").status_code == 404  # the province is above the commune
        assert client.get(f"/org/accounts/{colleague.id}/{action}").status_code == 403  # same commune, not a mediator
        assert client.get(f"/org/accounts/{people.officer.id}/{action}").status_code == 403  # own account
    token = csrf_token(client.get("/org/accounts").get_data(as_text=True))
    assert client.post(f"/org/accounts/{colleague.id}/disable", data={"confirm": "y", "csrf_token": token}).status_code == 403
    assert client.post(f"/org/accounts/{outside.id}/reset", data={"confirm": "y", "csrf_token": token}).status_code == 404
    assert client.get(f"/org/accounts/{outside.id}").status_code == 404
    db.session.expire_all()
    assert db.session.get(User, colleague.id).is_active and db.session.get(User, outside.id).check_password("matkhau-123") is False


def test_district_admin_cannot_manage_province_admin_but_province_admin_can_manage_officer(app, db, tree, people, make_user):
    make_user(Role.DISTRICT_ADMIN, tree.D, username="huyen")
    admin = make_user(Role.PROVINCE_ADMIN, tree.P, username="sotuphap")
    db.session.commit()
    client, _ = login(app, "huyen")
    assert client.get(f"/org/accounts/{admin.id}/disable").status_code == 404
    assert client.get(f"/org/accounts/{people.officer.id}/disable").status_code == 200
    client, _ = login(app, "sotuphap")
    resp = post(client, f"/org/accounts/{people.officer.id}/disable", {"confirm": "y"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert not db.session.get(User, people.officer.id).is_active


# --------------------------------------------------------------------------- list


def test_list_is_scoped_and_filtered(app, db, tree, people, accounts_c1, make_user):
    make_user(Role.PROVINCE_ADMIN, tree.P, username="sotuphap")
    db.session.commit()
    client, _ = login(app, "canbo.c1")
    html = client.get("/org/accounts").get_data(as_text=True)
    assert "Nguyễn Văn An" in html and "0901000004" in html and "canbo.c1" in html
    assert "Trịnh Văn Phúc" not in html and "canbo.c2" not in html and "sotuphap" not in html
    assert "Chưa đổi mật khẩu" in html  # the flag of A's new account
    assert f"/org/accounts/commune/{tree.C1.id}/sheet" in html
    # search without diacritics; by phone; by role; by status
    html = client.get("/org/accounts?q=nguyen van an").get_data(as_text=True)
    assert "Nguyễn Văn An" in html and "0901000004" not in html
    html = client.get("/org/accounts?q=%2B84 901 000 004").get_data(as_text=True)
    assert "0901000004" in html and "Nguyễn Văn An" not in html
    html = client.get("/org/accounts?role=commune_officer").get_data(as_text=True)
    assert "canbo.c1" in html and "0901000001" not in html
    html = client.get("/org/accounts?must_change=1").get_data(as_text=True)
    assert "0901000001" in html and "0901000004" not in html

    client, _ = login(app, "sotuphap")
    html = client.get("/org/accounts?unit=31120").get_data(as_text=True)
    assert "canbo.c2" in html and "Trịnh Văn Phúc" in html and "canbo.c1" not in html
    html = client.get("/org/accounts?unit=31500").get_data(as_text=True)  # province Q: not in scope
    assert "Không tìm thấy đơn vị có mã «31500»" in html


def test_list_is_paginated(app, db, tree, make_user):
    make_user(Role.PROVINCE_ADMIN, tree.P, username="sotuphap")
    for i in range(25):
        make_user(Role.MEDIATOR, tree.V1, username=f"09020000{i:02d}")
    db.session.commit()
    client, _ = login(app, "sotuphap")
    first = client.get("/org/accounts").get_data(as_text=True)
    second = client.get("/org/accounts?page=2").get_data(as_text=True)
    assert "Trang 1/2" in first and "Trang 2/2" in second
    shown = lambda html: set(re.findall(r"<code>(09020000\d\d)</code>", html))  # noqa: E731
    assert len(shown(first)) + len(shown(second)) == 25 and not shown(first) & shown(second)


# --------------------------------------------------------------------------- officer and trainer accounts


def test_province_admin_creates_commune_officer(app, db, tree, make_user):
    make_user(Role.PROVINCE_ADMIN, tree.P, username="sotuphap")
    db.session.commit()
    client, _ = login(app, "sotuphap")
    resp = post(client, "/org/accounts/new", {"role": "commune_officer", "username": "tuphap.anhoa", "full_name": "Lê Thị Mai", "unit_code": "31117"})
    assert resp.status_code == 200
    password = one_time_password(resp.get_data(as_text=True))
    user = user_by("tuphap.anhoa")
    assert user.role == Role.COMMUNE_OFFICER and user.unit_id == tree.C1.id and user.full_name == "Lê Thị Mai"
    assert user.must_change_password and user.check_password(password)


def test_account_form_errors(app, db, tree, make_user):
    make_user(Role.DISTRICT_ADMIN, tree.D, username="huyen")
    db.session.commit()
    client, _ = login(app, "huyen")
    page = client.get("/org/accounts/new").get_data(as_text=True)
    assert 'value="province_admin"' not in page and 'value="commune_officer"' in page and 'value="mediator"' not in page
    resp = post(client, "/org/accounts/new", {"role": "province_admin", "username": "x.y.z", "full_name": "A", "unit_code": "916"})
    assert "Lựa chọn không hợp lệ." in resp.get_data(as_text=True)
    resp = post(client, "/org/accounts/new", {"role": "commune_officer", "username": "tp.phumy", "full_name": "B", "unit_code": "31500"})
    assert "Không tìm thấy đơn vị có mã «31500» trong phạm vi quản lý của bạn." in resp.get_data(as_text=True)
    resp = post(client, "/org/accounts/new", {"role": "commune_officer", "username": "tp.ninhkieu", "full_name": "B", "unit_code": "916"})
    assert "phải gắn với đơn vị cấp xã" in resp.get_data(as_text=True)
    resp = post(client, "/org/accounts/new", {"role": "commune_officer", "username": "", "full_name": "", "unit_code": "31117"})
    html = resp.get_data(as_text=True)
    assert "Hãy nhập tên đăng nhập." in html and "Hãy nhập họ và tên." in html
    resp = post(client, "/org/accounts/new", {"role": "commune_officer", "username": "huyen", "full_name": "C", "unit_code": "31117"})
    assert "Tên đăng nhập «huyen» đã được dùng." in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_trainer_account_by_phone(app, db, tree, make_person, make_user):
    make_user(Role.PROVINCE_ADMIN, tree.P, username="sotuphap")
    person = make_person(tree.P, phone="0933111222", name="Võ Minh Tâm")
    roster.appoint_trainer(person=person, level=TrainerLevel.PROVINCE, unit=tree.P, started_on=dt.date(2025, 3, 1))
    db.session.commit()
    client, _ = login(app, "sotuphap")
    resp = post(client, "/org/accounts/new", {"role": "trainer", "phone": "0933 111 999"})
    assert "Không tìm thấy người có số điện thoại 0933111999" in resp.get_data(as_text=True)
    resp = post(client, "/org/accounts/new", {"role": "trainer", "phone": "+84 933 111 222"})
    assert resp.status_code == 200 and "Võ Minh Tâm" in resp.get_data(as_text=True)
    user = user_by("0933111222")
    assert user.role == Role.TRAINER and user.person_id == person.id and user.unit_id == tree.P.id


def test_commune_officer_cannot_open_the_officer_form(app, db, tree, people):
    client, _ = login(app, "canbo.c1")
    assert client.get("/org/accounts/new").status_code == 403
    assert "/org/accounts/new" not in client.get("/org/accounts").get_data(as_text=True)


def test_menu_entry(app, db, tree, people):
    client, _ = login(app, "canbo.c1")
    html = client.get("/org/profile").get_data(as_text=True)
    assert ">Tài khoản</a>" in html and 'href="/org/accounts"' in html
