"""Units, teams, people and their roles: create, update, end."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, literal, select, union_all, update

from ...core import audit, clock
from ...core import format as fmt
from ...core.access import subtree, under
from ...core.errors import ServiceError
from ...core.phones import normalize_phone
from ...core.text import fold, nfc
from ...extensions import db
from ..models import (
    ALLOWED_PARENTS,
    Background,
    Gender,
    LeaveReason,
    LegalSupport,
    MediatorMembership,
    Person,
    Team,
    TrainerAppointment,
    TrainerLevel,
    Unit,
    UnitKind,
)

# --------------------------------------------------------------------------- units


def unit_by_code(code: str, day: dt.date | None = None) -> Unit | None:
    """The unit with this code on ``day`` (default today), else the latest one with it (codes are reused)."""
    return db.session.scalar(select(Unit).where(Unit.code == code).order_by(*Unit.code_order(day)).limit(1))


def code_clash(code: str, valid_from: dt.date | None, valid_to: dt.date | None, exclude_id: int | None = None) -> Unit | None:
    """Another unit with ``code`` whose validity overlaps [valid_from, valid_to]: two units may share a code
    only one after the other."""
    for other in db.session.scalars(select(Unit).where(Unit.code == code)):
        if other.id != exclude_id and other.overlaps(valid_from, valid_to):
            return other
    return None


def _clash_message(code: str, other: Unit) -> str:
    start = fmt.date(other.valid_from) if other.valid_from else "…"
    end = fmt.date(other.valid_to) if other.valid_to else "nay"
    return f"Mã đơn vị «{code}» đã là mã của {other.name} ({start} – {end}); một mã chỉ dùng lại được khi đơn vị cũ đã hết hiệu lực."


def check_parent(kind: UnitKind, parent: Unit | None) -> None:
    allowed = ALLOWED_PARENTS[kind]
    parent_kind = parent.kind if parent is not None else None
    if parent_kind not in allowed:
        if parent is None:
            raise ServiceError(f"{kind.title} phải có đơn vị cấp trên.", "parent")
        raise ServiceError(f"{kind.title} không thể trực thuộc {parent.kind.title.lower()} «{parent.name}».", "parent")


def create_unit(
    *,
    code: str,
    name: str,
    kind: UnitKind,
    parent: Unit | None,
    is_pilot: bool = False,
    ethnic_minority_area: bool = False,
    model_commune_year: int | None = None,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    successor: Unit | None = None,
    unit_type: str | None = None,
) -> Unit:
    code = (nfc(code) or "").upper()
    name = nfc(name) or ""
    if not code:
        raise ServiceError("Thiếu mã đơn vị.", "code")
    if not name:
        raise ServiceError("Thiếu tên đơn vị.", "name")
    _check_validity(valid_from, valid_to)
    if (other := code_clash(code, valid_from, valid_to)) is not None:
        raise ServiceError(_clash_message(code, other), "code")
    check_parent(kind, parent)
    unit = Unit(
        code=code,
        name=name,
        search_key=fold(name),
        kind=kind,
        unit_type=nfc(unit_type),
        parent=parent,
        is_pilot=is_pilot,
        ethnic_minority_area=ethnic_minority_area,
        model_commune_year=model_commune_year,
        valid_from=valid_from,
        valid_to=valid_to,
        successor=successor,
        path=f"/new-{code}/",
    )
    db.session.add(unit)
    db.session.flush()
    unit.path = (parent.path if parent else "/") + f"{unit.id}/"
    unit.depth = parent.depth + 1 if parent else 0
    audit.record(unit, "create")
    db.session.flush()
    return unit


def _check_validity(valid_from: dt.date | None, valid_to: dt.date | None) -> None:
    if valid_from and valid_to and valid_to < valid_from:
        raise ServiceError("Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực.", "valid_to")


def update_unit(unit: Unit, **fields) -> Unit:
    """Change a unit's attributes; a new parent moves its whole subtree (one UPDATE)."""
    if "code" in fields:
        code = (nfc(fields["code"]) or "").upper()
        if not code:
            raise ServiceError("Thiếu mã đơn vị.", "code")
        fields["code"] = code
    code = fields.get("code", unit.code)
    if {"code", "valid_from", "valid_to"} & set(fields):
        other = code_clash(code, fields.get("valid_from", unit.valid_from), fields.get("valid_to", unit.valid_to), unit.id)
        if other is not None:
            raise ServiceError(_clash_message(code, other), "code")
    if "name" in fields:
        fields["name"] = nfc(fields["name"]) or ""
        if not fields["name"]:
            raise ServiceError("Thiếu tên đơn vị.", "name")
        unit.search_key = fold(fields["name"])
    new_parent = fields.pop("parent", unit.parent)
    _check_validity(fields.get("valid_from", unit.valid_from), fields.get("valid_to", unit.valid_to))
    for key, value in fields.items():
        setattr(unit, key, value)
    if new_parent is not unit.parent:
        check_parent(unit.kind, new_parent)
        if new_parent is not None and new_parent.path.startswith(unit.path):
            raise ServiceError("Không thể chuyển đơn vị vào chính cấp dưới của nó.", "parent")
        old_path = unit.path
        new_path = (new_parent.path if new_parent else "/") + f"{unit.id}/"
        depth_shift = (new_parent.depth + 1 if new_parent else 0) - unit.depth
        unit.parent = new_parent
        audit.record(unit, "update")
        db.session.flush()
        db.session.execute(
            update(Unit)
            .where(subtree(Unit.path, old_path))
            .values(path=new_path + func.substr(Unit.path, len(old_path) + 1), depth=Unit.depth + depth_shift)
            .execution_options(synchronize_session=False)
        )
        db.session.expire_all()
        return unit
    audit.record(unit, "update")
    db.session.flush()
    return unit


def end_unit(unit: Unit, valid_to: dt.date, successor: Unit | None = None) -> Unit:
    """A unit stops existing on ``valid_to`` (a merge names its successor)."""
    if successor is not None and successor.id == unit.id:
        raise ServiceError("Đơn vị kế thừa phải là đơn vị khác.", "successor")
    if successor is not None and successor.kind != unit.kind:
        raise ServiceError("Đơn vị kế thừa phải cùng cấp.", "successor")
    _check_validity(unit.valid_from, valid_to)
    unit.valid_to = valid_to
    unit.successor = successor
    unit.successor_id = successor.id if successor is not None else None  # the column, so the audit row shows it
    audit.record(unit, "end")
    db.session.flush()
    return unit


def unit_counts(units: list[Unit], day: dt.date | None = None) -> dict[int, dict[str, int]]:
    """For each unit: sub-units, active teams and active mediator memberships in its subtree.

    One aggregate query per figure, whatever the number of units.
    """
    day = day or clock.today()
    if not units:
        return {}
    result = {u.id: {"children": 0, "teams": 0, "mediators": 0} for u in units}
    root = db.aliased(Unit)
    inner = db.aliased(Unit)
    ids = [u.id for u in units]
    in_subtree = under(inner.path, root.path)
    for uid, n in db.session.execute(
        select(Unit.parent_id, func.count()).where(Unit.parent_id.in_(ids)).group_by(Unit.parent_id)
    ):
        result[uid]["children"] = n
    team_active = Team.active_clause(day)
    for uid, n in db.session.execute(
        select(root.id, func.count(Team.id))
        .select_from(root)
        .join(inner, in_subtree)
        .join(Team, Team.unit_id == inner.id)
        .where(root.id.in_(ids), team_active)
        .group_by(root.id)
    ):
        result[uid]["teams"] = n
    member_active = MediatorMembership.active_clause(day)
    for uid, n in db.session.execute(
        select(root.id, func.count(MediatorMembership.id))
        .select_from(root)
        .join(inner, in_subtree)
        .join(Team, Team.unit_id == inner.id)
        .join(MediatorMembership, MediatorMembership.team_id == Team.id)
        .where(root.id.in_(ids), member_active)
        .group_by(root.id)
    ):
        result[uid]["mediators"] = n
    _counts_through_merges(units, day, result)
    return result


#: Units per statement when counting through merges (each a SELECT of a compound; SQLite allows 500).
_MERGED_PER_STATEMENT = 100


def _counts_through_merges(units: list[Unit], day: dt.date, result: dict[int, dict[str, int]]) -> None:
    """The teams and mediators of a unit that absorbed others by ``day`` are those of its ranges (a new commune's
    villages are kept under the old communes it absorbed): counted again for those units only, one statement per
    figure."""
    from ..history import in_ranges, merged_into, session_merges, unit_ranges

    merges = session_merges()
    if not merges:
        return
    ranged = [(u.id, unit_ranges(u.path, merges, day)) for u in units if merged_into(u.path, merges, day)]
    inner = db.aliased(Unit)
    for start in range(0, len(ranged), _MERGED_PER_STATEMENT):
        chunk = ranged[start:start + _MERGED_PER_STATEMENT]
        for key, model, active in (("teams", Team, Team.active_clause(day)), ("mediators", MediatorMembership, MediatorMembership.active_clause(day))):
            parts = []
            for uid, ranges in chunk:
                result[uid][key] = 0
                stmt = select(literal(uid).label("uid"), model.id.label("rid"))
                stmt = stmt.join(inner, inner.id == Team.unit_id) if model is Team else (
                    stmt.join(Team, Team.id == MediatorMembership.team_id).join(inner, inner.id == Team.unit_id)
                )
                parts.append(stmt.where(in_ranges(inner.path, ranges), active))
            rows = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
            for uid, n in db.session.execute(select(rows.c.uid, func.count()).group_by(rows.c.uid)):
                result[uid][key] = n


# --------------------------------------------------------------------------- teams


def default_team_name(unit_name: str) -> str:
    """The name of a team created without one: ``Tổ hòa giải <village>``."""
    return f"Tổ hòa giải {unit_name}"


def create_team(*, unit: Unit, name: str | None = None, established_on: dt.date | None = None, implicit: bool = False) -> Team:
    if unit.kind not in (UnitKind.VILLAGE, UnitKind.COMMUNE):
        raise ServiceError("Tổ hòa giải phải thuộc một thôn / tổ dân phố (hoặc xã).", "unit")
    name = nfc(name) or default_team_name(unit.name)
    team = Team(name=name, search_key=fold(name), unit=unit, established_on=established_on, implicit=implicit)
    db.session.add(team)
    db.session.flush()  # foreign keys filled in, so the audit row shows them
    audit.record(team, "create")
    db.session.flush()
    return team


def update_team(team: Team, **fields) -> Team:
    if "name" in fields:
        fields["name"] = nfc(fields["name"]) or team.name
        team.search_key = fold(fields["name"])
    for key, value in fields.items():
        setattr(team, key, value)
    if team.established_on and team.dissolved_on and team.dissolved_on < team.established_on:
        raise ServiceError("Ngày giải thể phải sau ngày thành lập.", "dissolved_on")
    audit.record(team, "update")
    db.session.flush()
    return team


def end_team(team: Team, dissolved_on: dt.date) -> Team:
    if team.established_on and dissolved_on < team.established_on:
        raise ServiceError("Ngày giải thể phải sau ngày thành lập.", "dissolved_on")
    team.dissolved_on = dissolved_on
    audit.record(team, "end")
    db.session.flush()
    return team


def default_team(unit: Unit, create: bool = True) -> Team | None:
    """The village's team (the first one); created implicitly when missing."""
    team = db.session.scalar(select(Team).where(Team.unit_id == unit.id).order_by(Team.id).limit(1))
    if team is None and create:
        team = create_team(unit=unit, implicit=True)
    return team


@dataclass
class CompositionWarning:
    code: str
    message: str


def composition_warnings(team: Team, day: dt.date | None = None) -> list[CompositionWarning]:
    """Điều 12 Luật Hòa giải ở cơ sở: ≥3 mediators, ≥1 woman, ≥1 minority member where required."""
    day = day or clock.today()
    active = [m for m in team.memberships if m.is_active_on(day)]
    warnings = []
    if len(active) < 3:
        warnings.append(CompositionWarning("size", f"Tổ chỉ có {len(active)} hòa giải viên; cần ít nhất 3 (Điều 12 Luật Hòa giải ở cơ sở)."))
    if not any(m.person.gender == Gender.FEMALE for m in active):
        warnings.append(CompositionWarning("woman", "Tổ chưa có hòa giải viên nữ (Điều 12 Luật Hòa giải ở cơ sở)."))
    if team.unit.minority_area_effective and not any(m.person.is_minority for m in active):
        warnings.append(CompositionWarning("minority", "Địa bàn có đồng bào dân tộc thiểu số nhưng tổ chưa có hòa giải viên là người dân tộc thiểu số."))
    return warnings


# --------------------------------------------------------------------------- people


def _check_birth(birth_year: int | None, birth_date: dt.date | None) -> int | None:
    if birth_date is not None:
        birth_year = birth_date.year
    if birth_year is not None and not (1900 <= birth_year <= clock.today().year - 15):
        raise ServiceError(f"Năm sinh không hợp lệ: {birth_year}.", "birth_year")
    return birth_year


def create_person(
    *,
    full_name: str,
    unit: Unit,
    gender: Gender | None = None,
    birth_year: int | None = None,
    birth_date: dt.date | None = None,
    ethnicity: str | None = None,
    phone: str | None = None,
    email: str | None = None,
) -> Person:
    name = nfc(full_name)
    if not name:
        raise ServiceError("Thiếu họ và tên.", "full_name")
    person = Person(unit=unit, gender=gender, birth_date=birth_date, phone=normalize_phone(phone), email=nfc(email))
    person.birth_year = _check_birth(birth_year, birth_date)
    person.set_name(name)
    person.set_ethnicity(nfc(ethnicity) or "Kinh")
    db.session.add(person)
    db.session.flush()
    audit.record(person, "create")
    db.session.flush()
    return person


def update_person(person: Person, **fields) -> Person:
    if "full_name" in fields:
        name = nfc(fields.pop("full_name"))
        if not name:
            raise ServiceError("Thiếu họ và tên.", "full_name")
        person.set_name(name)
    if "ethnicity" in fields:
        person.set_ethnicity(nfc(fields.pop("ethnicity")) or "Kinh")
    if "phone" in fields:
        fields["phone"] = normalize_phone(fields["phone"])
    if "birth_year" in fields or "birth_date" in fields:
        fields["birth_year"] = _check_birth(fields.get("birth_year", person.birth_year), fields.get("birth_date", person.birth_date))
    for key, value in fields.items():
        setattr(person, key, value)
    audit.record(person, "update")
    db.session.flush()
    return person


def find_person(*, phone: str | None, full_name: str, birth_year: int | None, unit: Unit | None) -> Person | None:
    """The matching rule of the imports: by phone when there is one, else name + birth year + unit."""
    phone = normalize_phone(phone)
    if phone:
        return db.session.scalar(select(Person).where(Person.phone == phone).order_by(Person.id).limit(1))
    stmt = select(Person).where(Person.search_key == fold(full_name))
    if birth_year is not None:
        stmt = stmt.where(Person.birth_year == birth_year)
    if unit is not None:
        stmt = stmt.where(Person.unit_id == unit.id)
    return db.session.scalar(stmt.order_by(Person.id).limit(1))


def search_condition(query: str):
    """People whose accent-folded name contains the folded query (with or without diacritics)."""
    return Person.search_key.contains(fold(query), autoescape=True)


# --------------------------------------------------------------------------- roles


def recognize_mediator(
    *, person: Person, team: Team, recognized_on: dt.date, decision_no: str | None = None, is_leader: bool = False
) -> MediatorMembership:
    check_recognition(recognized_on, team.dissolved_on, [m for m in person.memberships if m.team_id == team.id])
    m = MediatorMembership(person=person, team=team, recognized_on=recognized_on, decision_no=nfc(decision_no), is_leader=is_leader)
    db.session.add(m)
    if moves_home(person, team.unit_id, m):
        person.unit_id = team.unit_id  # the person is registered where they mediate
        person.unit = team.unit
        audit.record(person, "update")
    db.session.flush()
    audit.record(m, "create")
    db.session.flush()
    return m


def check_recognition(recognized_on: dt.date, team_dissolved_on: dt.date | None, same_team: list, today: dt.date | None = None) -> None:
    """The rules of a new recognition; ``same_team``: the person's memberships of that team (records or rows with
    ``left_on``). Raises :class:`ServiceError`."""
    if recognized_on > (today or clock.today()):
        raise ServiceError("Ngày công nhận không được sau ngày hôm nay.", "recognized_on")
    if team_dissolved_on is not None and team_dissolved_on < recognized_on:
        raise ServiceError(f"Tổ hòa giải đã giải thể từ ngày {fmt.date(team_dissolved_on)}.", "team")
    if any(m.left_on is None or m.left_on >= recognized_on for m in same_team):
        raise ServiceError("Người này đang là hòa giải viên của tổ này.", "team")


def moves_home(person, team_unit_id: int, new, today: dt.date | None = None) -> bool:
    """Whether recognizing ``new`` registers the person where the team is: they are registered elsewhere and hold
    no other active membership. ``person.memberships`` may be model rows or import records."""
    if person.unit_id == team_unit_id:
        return False
    today = today or clock.today()
    return not any(
        MediatorMembership.is_active_on(x, today) for x in person.memberships if x is not new
    )


def update_membership(m: MediatorMembership, **fields) -> MediatorMembership:
    if fields.get("recognized_on") is not None and fields["recognized_on"] > clock.today():
        raise ServiceError("Ngày công nhận không được sau ngày hôm nay.", "recognized_on")
    if "decision_no" in fields:
        fields["decision_no"] = nfc(fields["decision_no"])
    for key, value in fields.items():
        setattr(m, key, value)
    if m.left_on is not None and m.left_on < m.recognized_on:
        raise ServiceError("Ngày thôi làm hòa giải viên phải sau ngày công nhận.", "left_on")
    audit.record(m, "update")
    db.session.flush()
    return m


def end_membership(
    m: MediatorMembership, *, left_on: dt.date, reason: LeaveReason | None, decision_no: str | None = None, note: str | None = None
) -> MediatorMembership:
    if left_on < m.recognized_on:
        raise ServiceError("Ngày thôi làm hòa giải viên phải sau ngày công nhận.", "left_on")
    m.left_on = left_on
    m.leave_reason = reason
    m.leave_decision_no = nfc(decision_no)
    m.leave_note = nfc(note)
    audit.record(m, "end")
    db.session.flush()
    return m


def appoint_trainer(
    *, person: Person, level: TrainerLevel, unit: Unit, started_on: dt.date, background: Background | None = None, ended_on: dt.date | None = None
) -> TrainerAppointment:
    expected = UnitKind.PROVINCE if level == TrainerLevel.PROVINCE else UnitKind.DISTRICT
    if unit.kind != expected:
        raise ServiceError(f"Tập huấn viên {level.title.lower()} phải thuộc đơn vị cấp {expected.title.lower()}.", "unit")
    if ended_on is not None and ended_on < started_on:
        raise ServiceError("Ngày kết thúc phải sau ngày bắt đầu.", "ended_on")
    a = TrainerAppointment(person=person, level=level, unit=unit, started_on=started_on, ended_on=ended_on, background=background)
    db.session.add(a)
    db.session.flush()
    audit.record(a, "create")
    db.session.flush()
    return a


def end_appointment(a: TrainerAppointment, ended_on: dt.date) -> TrainerAppointment:
    if ended_on < a.started_on:
        raise ServiceError("Ngày kết thúc phải sau ngày bắt đầu.", "ended_on")
    a.ended_on = ended_on
    audit.record(a, "end")
    db.session.flush()
    return a


def add_legal_support(
    *, person: Person, team: Team, from_on: dt.date, background: Background | None = None, to_on: dt.date | None = None
) -> LegalSupport:
    if to_on is not None and to_on < from_on:
        raise ServiceError("Ngày kết thúc phải sau ngày bắt đầu.", "to_on")
    if team.dissolved_on is not None and team.dissolved_on < from_on:
        raise ServiceError(f"Tổ hòa giải đã giải thể từ ngày {fmt.date(team.dissolved_on)}.", "team")
    s = LegalSupport(person=person, team=team, from_on=from_on, to_on=to_on, background=background)
    db.session.add(s)
    db.session.flush()
    audit.record(s, "create")
    db.session.flush()
    return s


def end_legal_support(s: LegalSupport, to_on: dt.date) -> LegalSupport:
    if to_on < s.from_on:
        raise ServiceError("Ngày kết thúc phải sau ngày bắt đầu.", "to_on")
    s.to_on = to_on
    audit.record(s, "end")
    db.session.flush()
    return s
