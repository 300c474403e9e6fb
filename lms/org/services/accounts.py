"""User accounts: create, authenticate, passwords."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select

from ...core import audit, clock
from ...core.errors import ServiceError
from ...core.roles import MANAGEABLE, Role
from ...core.text import nfc, normalize_phone
from ...extensions import db
from ..models import Person, Unit, UnitKind, User

#: Which unit kinds an account of each role is bound to.
ROLE_UNIT_KINDS = {
    Role.SYSTEM_ADMIN: (UnitKind.PROVINCE,),
    Role.PROVINCE_ADMIN: (UnitKind.PROVINCE,),
    Role.DISTRICT_ADMIN: (UnitKind.DISTRICT,),
    Role.COMMUNE_OFFICER: (UnitKind.COMMUNE,),
    Role.TRAINER: (UnitKind.PROVINCE, UnitKind.DISTRICT),
    Role.MEDIATOR: (UnitKind.VILLAGE, UnitKind.COMMUNE),
}

MIN_PASSWORD = 8
# No look-alike characters, so a printed one-time password is easy to type on a phone.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def one_time_password(length: int = 8) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def user_by_username(username: str) -> User | None:
    username = (username or "").strip()
    phone = normalize_phone(username)
    candidates = {username.lower()}
    if phone and phone.isdigit() and len(phone) >= 9:
        candidates.add(phone)
    return db.session.scalar(select(User).where(func.lower(User.username).in_(candidates)))


def create_user(
    *,
    username: str,
    role: Role,
    unit: Unit,
    person: Person | None = None,
    full_name: str | None = None,
    password: str | None = None,
    must_change_password: bool = True,
    by: User | None = None,
) -> tuple[User, str]:
    """Create an account; returns it and its (one-time) password."""
    if by is not None and role not in MANAGEABLE[by.role]:
        raise ServiceError(f"Bạn không được tạo tài khoản với vai trò «{role.title}».", "role")
    username = (nfc(username) or "").lower()
    if not username:
        raise ServiceError("Thiếu tên đăng nhập.", "username")
    if user_by_username(username) is not None:
        raise ServiceError(f"Tên đăng nhập «{username}» đã được dùng.", "username")
    if unit.kind not in ROLE_UNIT_KINDS[role]:
        kinds = " hoặc ".join(k.title.lower() for k in ROLE_UNIT_KINDS[role])
        raise ServiceError(f"Tài khoản «{role.title}» phải gắn với đơn vị cấp {kinds}.", "unit")
    if role in (Role.MEDIATOR, Role.TRAINER) and person is None:
        raise ServiceError("Tài khoản hòa giải viên và tập huấn viên phải gắn với một người trong danh sách.", "person")
    generated = password is None
    password = password or one_time_password()
    user = User(
        username=username,
        role=role,
        unit=unit,
        person=person,
        full_name=nfc(full_name) or (person.full_name if person else None),
        must_change_password=must_change_password,
        initial_password=password if generated else None,
        is_active=True,
    )
    user.set_password(password)
    db.session.add(user)
    audit.record(user, "create", {"username": [None, username], "role": [None, role.value], "unit": [None, unit.code]})
    db.session.flush()
    return user, password


def authenticate(username: str, password: str) -> User | None:
    user = user_by_username(username)
    if user is None or not user.is_active or not user.check_password(password or ""):
        return None
    user.last_login_at = clock.now()
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise ServiceError("Mật khẩu hiện tại không đúng.", "current")
    validate_password(new, user)
    user.set_password(new)
    user.must_change_password = False
    user.initial_password = None
    db.session.flush()


def validate_password(new: str, user: User | None = None) -> None:
    if len(new or "") < MIN_PASSWORD:
        raise ServiceError(f"Mật khẩu mới phải có ít nhất {MIN_PASSWORD} ký tự.", "new")
    if user is not None and (new == user.username or user.check_password(new)):
        raise ServiceError("Mật khẩu mới phải khác tên đăng nhập và khác mật khẩu cũ.", "new")


def reset_password(user: User) -> str:
    password = one_time_password()
    user.set_password(password)
    user.must_change_password = True
    user.initial_password = password
    audit.record(user, "reset_password", {})
    db.session.flush()
    return password


def set_active(user: User, active: bool) -> None:
    user.is_active = active
    audit.record(user, "enable" if active else "disable", {"is_active": [not active, active]})
    db.session.flush()
