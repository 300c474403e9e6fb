"""User accounts: create, authenticate, passwords."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sqlalchemy import exists, func, or_, select

from ...core import audit, clock
from ...core.access import in_scope, scoped
from ...core.errors import ServiceError
from ...core.phones import PhoneKind, normalize_phone, phone_kind
from ...core.roles import ALL_ROLES, MANAGEABLE, Role
from ...core.text import fold, nfc
from ...extensions import db
from ..models import MediatorMembership, Person, Team, TrainerAppointment, Unit, UnitKind, User

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


# --------------------------------------------------------------------------- accounts from the roster


def manageable(by: User, user: User) -> bool:
    """``by`` may reset / disable / enable ``user`` (scope is checked by the caller's scoped read)."""
    return user.id != by.id and user.role in MANAGEABLE[by.role]


def account_of(person: Person) -> User | None:
    """The login bound to this person, if any."""
    return db.session.scalar(select(User).where(User.person_id == person.id).order_by(User.id).limit(1))


def username_problem(phone: str | None) -> str | None:
    """Why ``phone`` cannot be a username (a clause, no subject), or ``None`` when it can: a valid mobile number."""
    kind = phone_kind(phone)
    if not normalize_phone(phone):
        return "chưa có số điện thoại nên chưa thể tạo tài khoản (tên đăng nhập là số điện thoại)"
    if kind == PhoneKind.LANDLINE:
        return f"có số máy bàn «{phone}»: tên đăng nhập phải là số di động, hãy ghi số di động của người này"
    if kind != PhoneKind.MOBILE:
        return f"có số điện thoại «{phone}» không hợp lệ"
    return None


def phone_username(person: Person) -> str:
    """The username of ``person``'s account: their mobile number (``ServiceError`` says why there is none)."""
    problem = username_problem(person.phone)
    if problem:
        raise ServiceError(f"«{person.full_name}» {problem}.", "phone")
    return normalize_phone(person.phone)


def _active_memberships(person: Person, by: User | None) -> list[MediatorMembership]:
    day = clock.today()
    found = [m for m in person.memberships if m.is_active_on(day)]
    if by is not None:
        found = [m for m in found if in_scope(m.team.unit, by)]
    return sorted(found, key=lambda m: (m.recognized_on, m.id), reverse=True)


def _active_appointments(person: Person, by: User | None) -> list[TrainerAppointment]:
    day = clock.today()
    found = [a for a in person.appointments if a.is_active_on(day)]
    if by is not None:
        found = [a for a in found if in_scope(a.unit, by)]
    return sorted(found, key=lambda a: (a.started_on, a.id), reverse=True)


def account_role_for(person: Person, by: User | None = None) -> tuple[Role, Unit] | None:
    """The role and unit an account for this person gets: trainer (bound to the appointment's unit)
    when ``by`` may create trainers and the person has an active appointment, else mediator (bound
    to the unit of the team of their latest active membership). ``None`` when neither applies."""
    allowed = MANAGEABLE[by.role] if by is not None else ALL_ROLES
    if Role.TRAINER in allowed:
        appointments = _active_appointments(person, by)
        if appointments:
            return Role.TRAINER, appointments[0].unit
    if Role.MEDIATOR in allowed:
        memberships = _active_memberships(person, by)
        if memberships:
            return Role.MEDIATOR, memberships[0].team.unit
    return None


def create_mediator_account(person: Person, by: User | None = None, role: Role | None = None) -> tuple[User, str]:
    """An account for a person on the roster: username = their phone, a one-time password.

    The role follows the person's active role (see :func:`account_role_for`); ``role`` forces
    one of them (``Role.TRAINER`` or ``Role.MEDIATOR``).
    """
    existing = account_of(person)
    if existing is not None:
        raise ServiceError(f"«{person.full_name}» đã có tài khoản «{existing.username}».", "person")
    username = phone_username(person)
    if role is None:
        target = account_role_for(person, by)
    elif role == Role.TRAINER:
        appointments = _active_appointments(person, by)
        target = (Role.TRAINER, appointments[0].unit) if appointments else None
    elif role == Role.MEDIATOR:
        memberships = _active_memberships(person, by)
        target = (Role.MEDIATOR, memberships[0].team.unit) if memberships else None
    else:
        raise ServiceError("Tài khoản tạo từ danh sách chỉ dành cho hòa giải viên và tập huấn viên.", "role")
    if target is None:
        if role == Role.TRAINER:
            raise ServiceError(f"«{person.full_name}» hiện không phải tập huấn viên đang hoạt động trong phạm vi của bạn.", "person")
        if role == Role.MEDIATOR:
            raise ServiceError(f"«{person.full_name}» hiện không phải hòa giải viên đang hoạt động trong phạm vi của bạn.", "person")
        raise ServiceError(
            f"«{person.full_name}» hiện không là hòa giải viên hay tập huấn viên đang hoạt động mà bạn được cấp tài khoản.", "person"
        )
    target_role, unit = target
    other = user_by_username(username)
    if other is not None:
        raise ServiceError(f"Số điện thoại {username} đã được dùng làm tên đăng nhập của tài khoản khác.", "phone")
    return create_user(username=username, role=target_role, unit=unit, person=person, by=by)


@dataclass
class CommunePlan:
    """Who in a commune would get an account now, and who is skipped (with the reason)."""

    eligible: list[tuple[Person, Unit]] = field(default_factory=list)
    skipped: list[tuple[Person, str]] = field(default_factory=list)


def _commune_mediators(commune: Unit, by: User | None):
    """(person, unit of their team) for every active mediator membership in the commune's subtree
    whose person has no account yet; latest membership first for each person."""
    day = clock.today()
    stmt = (
        select(Person, Unit)
        .join(MediatorMembership, MediatorMembership.person_id == Person.id)
        .join(Team, Team.id == MediatorMembership.team_id)
        .join(Unit, Unit.id == Team.unit_id)
        .where(
            MediatorMembership.scope_clause(commune.path),
            MediatorMembership.active_clause(day),
            ~exists().where(User.person_id == Person.id),
        )
        .order_by(Unit.sort_key, Unit.id, Person.sort_key, Person.id, MediatorMembership.recognized_on.desc())
    )
    if by is not None:
        stmt = scoped(stmt, MediatorMembership, by)
    seen: set[int] = set()
    for person, unit in db.session.execute(stmt):
        if person.id in seen:
            continue
        seen.add(person.id)
        yield person, unit


def plan_commune_accounts(commune: Unit, by: User | None = None) -> CommunePlan:
    plan = CommunePlan()
    if commune.kind != UnitKind.COMMUNE:
        raise ServiceError("Chỉ tạo tài khoản hàng loạt theo xã / phường / thị trấn.", "unit")
    if by is not None and Role.MEDIATOR not in MANAGEABLE[by.role]:
        raise ServiceError(f"Bạn không được tạo tài khoản với vai trò «{Role.MEDIATOR.title}».", "role")
    taken: dict[str, str] = {}
    for person, unit in _commune_mediators(commune, by):
        problem = username_problem(person.phone)
        if problem:
            plan.skipped.append((person, problem[0].upper() + problem[1:] + "."))
            continue
        username = normalize_phone(person.phone)
        if username in taken:
            plan.skipped.append((person, f"Trùng số điện thoại {username} với «{taken[username]}»."))
            continue
        if user_by_username(username) is not None:
            plan.skipped.append((person, f"Số điện thoại {username} đã được dùng làm tên đăng nhập của tài khoản khác."))
            continue
        taken[username] = person.full_name
        plan.eligible.append((person, unit))
    return plan


def create_commune_accounts(commune: Unit, by: User | None = None, plan: CommunePlan | None = None) -> list[tuple[User, str]]:
    """Mediator accounts for everyone in the commune with an active membership, a phone and no
    account yet (see :func:`plan_commune_accounts` for who is skipped and why)."""
    plan = plan or plan_commune_accounts(commune, by)
    created = []
    for person, unit in plan.eligible:
        created.append(create_user(username=phone_username(person), role=Role.MEDIATOR, unit=unit, person=person, by=by))
    return created


def login_sheet_rows(commune: Unit, by: User | None = None) -> list[User]:
    """Accounts in the commune's subtree whose one-time password is still unchanged
    (limited to the roles ``by`` may manage), by village then name."""
    stmt = (
        select(User)
        .join(Unit, Unit.id == User.unit_id)
        .outerjoin(Person, Person.id == User.person_id)
        .where(User.scope_clause(commune.path), User.initial_password.is_not(None), User.is_active.is_(True))
        .order_by(Unit.depth, Unit.sort_key, Unit.id, Person.sort_key, User.username)
    )
    if by is not None:
        stmt = scoped(stmt, User, by).where(User.role.in_(MANAGEABLE[by.role]), User.id != by.id)
    return list(db.session.scalars(stmt))


def accounts_query(
    by: User,
    *,
    role: Role | None = None,
    unit: Unit | None = None,
    q: str | None = None,
    status: str | None = None,
    must_change: bool = False,
):
    """A ``select(User)`` over the accounts in ``by``'s scope, filtered; ordered by unit and name."""
    stmt = scoped(select(User), User, by).join(Unit, Unit.id == User.unit_id).outerjoin(Person, Person.id == User.person_id)
    if role is not None:
        stmt = stmt.where(User.role == role)
    if unit is not None:
        stmt = stmt.where(User.scope_clause(unit.path))
    if q:
        text = nfc(q) or ""
        conditions = [func.lower(User.username).contains(text.lower(), autoescape=True), Person.search_key.contains(fold(text), autoescape=True)]
        conditions.append(func.lower(User.full_name).contains(text.lower(), autoescape=True))
        phone = normalize_phone(text)
        if phone and phone.isdigit() and len(phone) >= 3:
            conditions.append(User.username.contains(phone, autoescape=True))
        stmt = stmt.where(or_(*conditions))
    if status == "active":
        stmt = stmt.where(User.is_active.is_(True))
    elif status == "disabled":
        stmt = stmt.where(User.is_active.is_(False))
    if must_change:
        stmt = stmt.where(User.must_change_password.is_(True))
    # accounts of no person (staff) first, then people in Vietnamese order
    return stmt.order_by(Unit.path, Person.sort_key.is_not(None), Person.sort_key, func.lower(User.full_name), User.username, User.id)
