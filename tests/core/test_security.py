"""Security settings: CSRF, login rate limit, session cookie flags, the secret key."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from lms.core.roles import Role
from lms.extensions import db as _db
from lms.extensions import limiter
from lms.org.models import User
from tests.conftest import csrf_token, make_app

# --------------------------------------------------------------------------- CSRF


def test_csrf_is_enabled_in_tests(app):
    assert app.config["WTF_CSRF_ENABLED"] is True


def test_login_post_without_token_is_refused(client, db, tree, make_user):
    make_user(Role.PROVINCE_ADMIN, tree.P, username="sotuphap")
    db.session.commit()
    resp = client.post("/auth/login", data={"username": "sotuphap", "password": "matkhau-123"})
    assert resp.status_code == 400
    assert "thiếu mã CSRF" in resp.get_data(as_text=True)
    assert client.get("/org/profile").status_code == 302  # not signed in


def test_state_change_without_token_is_refused(client, auth, db, tree, make_user):
    make_user(Role.COMMUNE_OFFICER, tree.C1, username="canbo")
    target = make_user(Role.MEDIATOR, tree.V1)
    db.session.commit()
    auth.login("canbo")
    resp = client.post(f"/org/accounts/{target.id}/disable", data={"confirm": "y"})
    assert resp.status_code == 400
    resp = client.post(f"/org/accounts/{target.id}/disable", data={"confirm": "y", "csrf_token": "forged"})
    assert resp.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, target.id).is_active
    assert client.post("/auth/logout").status_code == 400


# --------------------------------------------------------------------------- rate limit


@pytest.fixture
def limited_app(tmp_path):
    """A second app with the login rate limit on (the shared test app keeps it off)."""
    from flask_migrate import upgrade

    app = make_app(f"sqlite:///{tmp_path / 'limit.sqlite3'}", RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="10 per minute")
    with app.app_context():
        upgrade()
        yield app
        _db.session.remove()
        _db.engine.dispose()
    limiter.enabled = False  # the limiter object is shared with the session-wide test app


def test_login_is_rate_limited(limited_app):
    client = limited_app.test_client()
    token = csrf_token(client.get("/auth/login").get_data(as_text=True))
    for _ in range(10):
        resp = client.post("/auth/login", data={"username": "ai-do", "password": "sai-mat-khau", "csrf_token": token})
        assert resp.status_code == 200
        assert "Tên đăng nhập hoặc mật khẩu không đúng" in resp.get_data(as_text=True)
    resp = client.post("/auth/login", data={"username": "ai-do", "password": "sai-mat-khau", "csrf_token": token})
    assert resp.status_code == 429
    html = resp.get_data(as_text=True)
    assert "Quá nhiều yêu cầu" in html and "Vui lòng đợi một lát rồi thử lại." in html
    # only the form submission is limited: the page itself still opens
    assert client.get("/auth/login").status_code == 200


def test_rate_limit_is_off_in_the_shared_test_app(app):
    assert app.config["RATELIMIT_ENABLED"] is False


# --------------------------------------------------------------------------- cookies


def _session_cookie(resp) -> str:
    cookies = [c for c in resp.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, "no session cookie set"
    return cookies[0]


def test_session_cookie_is_httponly_and_samesite_lax(client):
    cookie = _session_cookie(client.get("/auth/login"))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http in tests


def test_remember_cookie_flags(client, db, tree, make_user):
    make_user(Role.PROVINCE_ADMIN, tree.P, username="sotuphap")
    db.session.commit()
    token = csrf_token(client.get("/auth/login").get_data(as_text=True))
    resp = client.post("/auth/login", data={"username": "sotuphap", "password": "matkhau-123", "remember": "y", "csrf_token": token})
    remember = [c for c in resp.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]
    assert remember and "HttpOnly" in remember[0] and "SameSite=Lax" in remember[0]


def test_secure_cookie_behind_https(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'secure.sqlite3'}", SESSION_COOKIE_SECURE=True)
    with app.app_context():
        cookie = _session_cookie(app.test_client().get("/auth/login", base_url="https://lms.example.vn"))
        _db.engine.dispose()
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def _config_in_subprocess(env_extra: dict[str, str]) -> str:
    env = {k: v for k, v in os.environ.items() if k not in {"LMS_SECURE_COOKIES", "LMS_PUBLIC_URL"}}
    env.update(env_extra)
    code = "from lms.config import Config as C; print(C.SESSION_COOKIE_SECURE, C.REMEMBER_COOKIE_SECURE, C.SESSION_COOKIE_HTTPONLY, C.SESSION_COOKIE_SAMESITE)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=os.getcwd())
    return out.stdout.strip()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "False False True Lax"),
        ({"LMS_PUBLIC_URL": "https://hoagiai.cantho.gov.vn"}, "True True True Lax"),
        ({"LMS_SECURE_COOKIES": "1"}, "True True True Lax"),
        ({"LMS_PUBLIC_URL": "https://hoagiai.cantho.gov.vn", "LMS_SECURE_COOKIES": "0"}, "False False True Lax"),
    ],
)
def test_config_secure_cookie_logic(env, expected):
    assert _config_in_subprocess(env) == expected


# --------------------------------------------------------------------------- secret key


def test_secret_key_generated_once_into_instance_dir(tmp_path, monkeypatch):
    import lms.config as config

    instance = tmp_path / "instance"
    monkeypatch.setattr(config, "INSTANCE_DIR", instance)
    monkeypatch.delenv("LMS_SECRET_KEY", raising=False)
    first = config._secret_key()
    path = instance / "secret_key"
    assert path.exists() and path.read_text().strip() == first
    assert len(first) >= 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert config._secret_key() == first  # not regenerated
    assert config.secret_key() == first


def test_secret_key_from_environment_is_not_written(tmp_path, monkeypatch):
    import lms.config as config

    instance = tmp_path / "instance"
    monkeypatch.setattr(config, "INSTANCE_DIR", instance)
    monkeypatch.setenv("LMS_SECRET_KEY", "khoa-bi-mat-tu-bien-moi-truong")
    assert config._secret_key() == "khoa-bi-mat-tu-bien-moi-truong"
    assert not (instance / "secret_key").exists()
