"""Signing in (by phone), one-time passwords, change of password, sign out, redirects."""

from __future__ import annotations

import pytest
from flask import g

from lms.core.roles import Role
from lms.org.models import User
from lms.org.services import accounts
from tests.conftest import csrf_token

PHONE = "0912345678"


@pytest.fixture
def mediator(db, tree, make_mediator, make_user):
    membership = make_mediator(tree.T1, phone=PHONE, name="Trần Thị Hòa")
    user = make_user(Role.MEDIATOR, tree.V1, person=membership.person, username=PHONE)
    db.session.commit()
    return user


def fresh_client(app):
    """A new browser. Requests share the test's app context (and so ``g``): Flask-WTF's token and
    Flask-Login's user cached there by the previous client must be dropped."""
    for name in ("csrf_token", "csrf_valid", "_login_user"):
        g.pop(name, None)
    return app.test_client()


def _login(app, username, password="matkhau-123", next_=None):
    client = fresh_client(app)
    url = "/auth/login" + (f"?next={next_}" if next_ else "")
    token = csrf_token(client.get(url).get_data(as_text=True))
    resp = client.post(url, data={"username": username, "password": password, "csrf_token": token})
    return client, resp


@pytest.mark.parametrize("typed", [PHONE, "+84 912 345 678", "0912 345 678", "84912345678", " 0912.345.678 "])
def test_mediator_logs_in_with_phone_in_any_form(app, mediator, typed):
    client, resp = _login(app, typed)
    assert resp.status_code == 302
    assert "/auth/login" not in resp.headers["Location"]
    page = client.get("/org/profile")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Trần Thị Hòa" in html and "Hòa giải viên" in html and "Khu vực 1" in html


def test_wrong_password_is_refused_in_vietnamese(app, mediator):
    client, resp = _login(app, PHONE, "sai-mat-khau")
    assert resp.status_code == 200
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in resp.get_data(as_text=True)
    assert client.get("/org/profile").status_code == 302


def test_unknown_user_and_empty_fields(app, db, tree):
    _, resp = _login(app, "khong-co-ai")
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in resp.get_data(as_text=True)
    client = fresh_client(app)
    token = csrf_token(client.get("/auth/login").get_data(as_text=True))
    html = client.post("/auth/login", data={"username": "", "password": "", "csrf_token": token}).get_data(as_text=True)
    assert "Hãy nhập tên đăng nhập hoặc số điện thoại." in html and "Hãy nhập mật khẩu." in html


def test_disabled_account_cannot_log_in(app, db, mediator):
    accounts.set_active(mediator, False)
    db.session.commit()
    client, resp = _login(app, PHONE)
    assert resp.status_code == 200
    assert "tài khoản đã bị khóa" in resp.get_data(as_text=True)
    assert client.get("/org/profile").status_code == 302


def test_disabling_ends_an_open_session(app, db, mediator):
    client, resp = _login(app, PHONE)
    assert client.get("/org/profile").status_code == 200
    accounts.set_active(db.session.get(User, mediator.id), False)
    db.session.commit()
    resp = client.get("/org/profile")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]


def test_one_time_password_must_be_changed_before_anything_else(app, db, tree, make_mediator, make_user):
    officer = make_user(Role.COMMUNE_OFFICER, tree.C1)
    person = make_mediator(tree.T1, phone="0987654321").person
    user, password = accounts.create_mediator_account(person, officer)
    db.session.commit()
    assert user.must_change_password and user.initial_password == password

    client, resp = _login(app, "0987654321", password)
    assert resp.status_code == 302 and "/auth/password" in resp.headers["Location"]
    # every other page sends the user back to the change-password page
    for url in ("/org/profile", "/org/", f"/org/units/{tree.V1.id}"):
        resp = client.get(url)
        assert resp.status_code == 302, url
        assert "/auth/password" in resp.headers["Location"], url
    page = client.get("/auth/password?next=/org/profile")
    assert "Bạn cần đặt mật khẩu mới trước khi tiếp tục." in page.get_data(as_text=True)
    token = csrf_token(page.get_data(as_text=True))
    # the one-time password cannot be kept
    resp = client.post("/auth/password?next=/org/profile", data={"current": password, "new": password, "confirm": password, "csrf_token": token})
    assert "Mật khẩu mới phải khác tên đăng nhập và khác mật khẩu cũ." in resp.get_data(as_text=True)
    resp = client.post(
        "/auth/password?next=/org/profile", data={"current": password, "new": "mat-khau-moi-1", "confirm": "mat-khau-moi-1", "csrf_token": token}
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/org/profile")
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert not user.must_change_password and user.initial_password is None
    assert client.get("/org/profile").status_code == 200
    # the one-time password no longer works; the new one does
    assert _login(app, "0987654321", password)[1].status_code == 200
    assert _login(app, "0987654321", "mat-khau-moi-1")[1].status_code == 302


def test_officer_with_one_time_password_is_also_held(app, db, tree, make_user):
    user, password = accounts.create_user(username="canbo.c1", role=Role.COMMUNE_OFFICER, unit=tree.C1, full_name="Lê Văn Bình")
    db.session.commit()
    client, _ = _login(app, "canbo.c1", password)
    resp = client.get("/org/accounts")
    assert resp.status_code == 302 and "/auth/password" in resp.headers["Location"]


def test_change_password_errors_are_vietnamese(app, mediator):
    client, _ = _login(app, PHONE)
    token = csrf_token(client.get("/auth/password").get_data(as_text=True))
    html = client.post("/auth/password", data={"current": "sai", "new": "abcdefgh1", "confirm": "abcdefgh1", "csrf_token": token}).get_data(as_text=True)
    assert "Mật khẩu hiện tại không đúng." in html
    html = client.post("/auth/password", data={"current": "matkhau-123", "new": "abcdefgh1", "confirm": "khac-nhau", "csrf_token": token}).get_data(as_text=True)
    assert "Hai lần nhập mật khẩu mới không khớp." in html
    html = client.post("/auth/password", data={"current": "matkhau-123", "new": "ngan", "confirm": "ngan", "csrf_token": token}).get_data(as_text=True)
    assert "Mật khẩu mới phải có ít nhất 8 ký tự." in html


@pytest.mark.parametrize("target", ["//evil.com", "//evil.com/org/", "https://evil.com/", "/\\evil.com", "javascript:alert(1)", "evil.com"])
def test_open_redirect_after_login_is_refused(app, mediator, target):
    from urllib.parse import quote

    _, resp = _login(app, PHONE, next_=quote(target, safe=""))
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert "evil" not in location and "javascript" not in location
    assert location.endswith("/org/")


def test_local_next_is_followed(app, mediator):
    _, resp = _login(app, PHONE, next_="/org/profile")
    assert resp.headers["Location"].endswith("/org/profile")


def test_logout_is_post_only(app, mediator):
    client, _ = _login(app, PHONE)
    assert client.get("/auth/logout").status_code == 405
    token = csrf_token(client.get("/org/profile").get_data(as_text=True))
    resp = client.post("/auth/logout", data={"csrf_token": token})
    assert resp.status_code == 302
    assert client.get("/org/profile").status_code == 302


def test_profile_shows_account_and_change_password_link(app, db, tree, make_user):
    make_user(Role.PROVINCE_ADMIN, tree.P, username="sotuphap")
    db.session.commit()
    client, _ = _login(app, "sotuphap")
    html = client.get("/org/profile").get_data(as_text=True)
    assert "sotuphap" in html and "Quản trị cấp tỉnh (Sở Tư pháp)" in html and "Thành phố Cần Thơ" in html
    assert "/auth/password" in html
