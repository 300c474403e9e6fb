"""Personal API tokens: the service (hash only, revoke, disabled owner) and the profile screens."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import select

from lms.core.errors import ServiceError
from lms.core.models import AuditLog
from lms.core.roles import Role
from lms.org.models import ApiToken
from lms.org.services import accounts
from lms.org.services.tokens import create_token, revoke_token, user_for_token
from tests.conftest import csrf_token


@pytest.fixture
def officer(db, tree, make_user):
    user = make_user(Role.COMMUNE_OFFICER, tree.C1, username="cb-anhoa")
    db.session.commit()
    return user


# --------------------------------------------------------------------------- service


def test_create_stores_only_the_hash_and_a_prefix(db, officer):
    token, plaintext = create_token(officer, "  Báo cáo   hằng tháng ")
    db.session.commit()
    assert len(plaintext) >= 40
    assert token.name == "Báo cáo hằng tháng"
    assert token.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert token.prefix == plaintext[:8]
    stored = db.session.scalar(select(ApiToken))
    assert plaintext not in (stored.token_hash, stored.prefix, stored.name)
    audit = db.session.scalar(select(AuditLog).where(AuditLog.entity == "api_token"))
    assert audit.action == "create" and plaintext not in str(audit.changes)


def test_user_for_token_notes_the_last_use(db, officer, freeze):
    freeze("2025-10-01")
    token, plaintext = create_token(officer, "A")
    assert token.last_used_at is None
    assert user_for_token(plaintext) == officer
    assert token.last_used_at.date() == dt.date(2025, 10, 1)
    assert user_for_token(plaintext + "x") is None
    assert user_for_token("") is None
    assert user_for_token(None) is None


def test_revoked_token_and_disabled_owner_authenticate_nothing(db, officer, make_user, tree):
    _, first = create_token(officer, "Một")
    token, second = create_token(officer, "Hai")
    revoke_token(token)
    assert token.revoked_at is not None
    assert user_for_token(second) is None
    assert user_for_token(first) == officer
    with pytest.raises(ServiceError, match="đã bị thu hồi"):
        revoke_token(token)
    accounts.set_active(officer, False)
    assert user_for_token(first) is None
    accounts.set_active(officer, True)
    assert user_for_token(first) == officer


def test_names_are_required_and_unique_among_usable_tokens(db, officer):
    with pytest.raises(ServiceError) as exc:
        create_token(officer, "   ")
    assert exc.value.field == "name"
    token, _ = create_token(officer, "Báo cáo")
    with pytest.raises(ServiceError, match="đã có một mã"):
        create_token(officer, "báo cáo")
    revoke_token(token)
    create_token(officer, "Báo cáo")  # a revoked token's name may be used again
    with pytest.raises(ServiceError, match="tối đa 100"):
        create_token(officer, "x" * 101)


# --------------------------------------------------------------------------- screens


def test_profile_links_to_tokens_for_staff_only(client, auth, db, officer, make_user, tree):
    auth.login(officer.username)
    html = client.get("/org/profile").get_data(as_text=True)
    assert "Mã truy cập API" in html and "/org/profile/tokens" in html
    auth.logout()
    mediator = make_user(Role.MEDIATOR, tree.V1)
    db.session.commit()
    auth.login(mediator.username)
    assert "/org/profile/tokens" not in client.get("/org/profile").get_data(as_text=True)
    assert client.get("/org/profile/tokens").status_code == 403


def test_create_shows_the_token_once(client, auth, db, officer):
    auth.login(officer.username)
    page = client.get("/org/profile/tokens")
    assert page.status_code == 200 and "Bạn chưa tạo mã truy cập nào" in page.get_data(as_text=True)
    resp = client.post("/org/profile/tokens", data={"name": "Báo cáo tháng", "csrf_token": csrf_token(page.get_data(as_text=True))})
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    html = resp.get_data(as_text=True)
    token = db.session.scalar(select(ApiToken))
    assert token.name == "Báo cáo tháng" and token.user_id == officer.id
    # the plaintext is on this response only (its hash is stored)
    import re

    plaintext = re.search(r'id="token-plaintext"[^>]*value="([^"]+)"', html).group(1)
    assert hashlib.sha256(plaintext.encode()).hexdigest() == token.token_hash
    assert "chỉ hiển thị một lần" in html
    assert f'curl -H "Authorization: Bearer {plaintext}"' in html and "/api/v1/coverage?unit=31117" in html
    later = client.get("/org/profile/tokens").get_data(as_text=True)
    assert plaintext not in later
    assert f"{token.prefix}…" in later and "Báo cáo tháng" in later and "Chưa dùng" in later


def test_create_with_an_empty_name_shows_the_error(client, auth, db, officer):
    auth.login(officer.username)
    page = client.get("/org/profile/tokens").get_data(as_text=True)
    resp = client.post("/org/profile/tokens", data={"name": " ", "csrf_token": csrf_token(page)})
    assert resp.status_code == 422
    assert "Hãy đặt tên cho mã truy cập" in resp.get_data(as_text=True)
    assert db.session.scalar(select(ApiToken)) is None


def test_revoke_asks_for_confirmation(client, auth, db, officer):
    token, plaintext = create_token(officer, "Báo cáo")
    db.session.commit()
    auth.login(officer.username)
    url = f"/org/profile/tokens/{token.id}/revoke"
    page = client.get(url)
    assert page.status_code == 200 and "Thu hồi mã truy cập «Báo cáo»" in page.get_data(as_text=True)
    token_value = csrf_token(page.get_data(as_text=True))
    resp = client.post(url, data={"csrf_token": token_value})
    assert resp.status_code == 200 and "Hãy đánh dấu ô xác nhận" in resp.get_data(as_text=True)
    db.session.refresh(token)
    assert token.revoked_at is None
    resp = client.post(url, data={"csrf_token": token_value, "confirm": "y"})
    assert resp.status_code == 302
    db.session.refresh(token)
    assert token.revoked_at is not None
    assert user_for_token(plaintext) is None
    assert "Đã thu hồi" in client.get("/org/profile/tokens").get_data(as_text=True)


def test_nobody_else_can_revoke_a_token(client, auth, db, officer, make_user, tree):
    token, _ = create_token(officer, "Của tôi")
    admin = make_user(Role.PROVINCE_ADMIN, tree.P)
    db.session.commit()
    auth.login(admin.username)
    url = f"/org/profile/tokens/{token.id}/revoke"
    assert client.get(url).status_code == 404
    page = client.get("/org/profile/tokens").get_data(as_text=True)
    assert "Của tôi" not in page
    assert client.post(url, data={"csrf_token": csrf_token(page), "confirm": "y"}).status_code == 404
    db.session.refresh(token)
    assert token.revoked_at is None
