"""Personal API tokens: created and revoked by their owner, scoped like the owner.

Only a token's SHA-256 (hex) and its first 8 characters are stored; the plaintext is
shown once, when it is created. A token works while it is not revoked and its owner's
account is active; it reaches exactly what its owner may reach (the API reads the
owner's scope through ``core.access.scoped(..., user=owner)``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import func, select

from ...core import audit, clock
from ...core.errors import ServiceError
from ...core.text import nfc
from ...extensions import db
from ..models import ApiToken, User

PREFIX_LENGTH = 8
MAX_NAME = 100
#: At most this many usable (not revoked) tokens per account.
MAX_ACTIVE = 20
#: ``last_used_at`` is written at most this often per token (no write on every request).
TOUCH_EVERY = dt.timedelta(minutes=1)


def hash_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def active_count(user: User) -> int:
    return db.session.scalar(select(func.count(ApiToken.id)).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))) or 0


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns it and its plaintext (shown once, never stored)."""
    name = " ".join((nfc(name) or "").split())
    if not name:
        raise ServiceError("Hãy đặt tên cho mã truy cập (ví dụ: «Báo cáo hằng tháng»).", "name")
    if len(name) > MAX_NAME:
        raise ServiceError(f"Tên mã truy cập dài tối đa {MAX_NAME} ký tự.", "name")
    if not user.is_active:
        raise ServiceError("Tài khoản đã bị khóa, không tạo được mã truy cập.")
    if active_count(user) >= MAX_ACTIVE:
        raise ServiceError(f"Mỗi tài khoản có tối đa {MAX_ACTIVE} mã truy cập đang dùng. Hãy thu hồi mã không còn dùng trước.", "name")
    taken = db.session.scalar(
        select(ApiToken.id).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), func.lower(ApiToken.name) == name.lower())
    )
    if taken is not None:
        raise ServiceError(f"Bạn đã có một mã truy cập đang dùng tên «{name}».", "name")
    plaintext = secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(plaintext), prefix=plaintext[:PREFIX_LENGTH], created_at=clock.now())
    db.session.add(token)
    db.session.flush()
    audit.record(token, "create", {"name": [None, name], "prefix": [None, token.prefix], "user_id": [None, user.id]})
    db.session.flush()
    return token, plaintext


def revoke_token(token: ApiToken) -> ApiToken:
    """Revoke ``token`` (from now on it authenticates nothing)."""
    if token.revoked_at is not None:
        raise ServiceError("Mã truy cập này đã bị thu hồi trước đó.")
    token.revoked_at = clock.now()
    audit.record(token, "revoke", {"revoked_at": [None, token.revoked_at.isoformat(timespec="seconds")]})
    db.session.flush()
    return token


def user_for_token(plaintext: str | None) -> User | None:
    """The active owner of a usable (not revoked) token, or ``None``; notes when the token was last used."""
    plaintext = (plaintext or "").strip()
    if not plaintext or len(plaintext) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plaintext)))
    if token is None or token.revoked_at is not None:
        return None
    user = token.user
    if user is None or not user.is_active:
        return None
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        token.last_used_at = now
        db.session.flush()
    return user
