"""Units, teams, people, their roles over time, and user accounts."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    and_,
    case,
    event,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..core import clock
from ..core import format as fmt
from ..core.collation import person_sort_key, team_sort_key, unit_sort_key
from ..core.models import IdMixin, TimestampMixin, TitledEnum, binary_string
from ..core.roles import Role
from ..core.text import fold
from ..extensions import db


def _enum(cls, name: str):
    return Enum(cls, name=name, native_enum=False, values_callable=lambda e: [m.value for m in e], length=32, validate_strings=True)


def _sort_key_default(key, *columns: str):
    """A ``sort_key`` column's default for Core inserts that leave it out (``insert(Person)`` with rows of dicts):
    computed from the row's own values. ORM flushes set it in ``before_insert``; raw SQL and ``COPY`` must pass it."""

    def default(context):
        params = context.get_current_parameters()
        return key(*(params.get(c) for c in columns))

    return default


class UnitKind(TitledEnum):
    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"
    VILLAGE = "village"


UnitKind.TITLES = {"province": "Tỉnh / thành phố", "district": "Huyện / quận", "commune": "Xã / phường / thị trấn", "village": "Thôn / ấp / tổ dân phố"}
#: Which kinds may sit under which (the district level is optional).
ALLOWED_PARENTS = {
    UnitKind.PROVINCE: (None,),
    UnitKind.DISTRICT: (UnitKind.PROVINCE,),
    UnitKind.COMMUNE: (UnitKind.PROVINCE, UnitKind.DISTRICT),
    UnitKind.VILLAGE: (UnitKind.COMMUNE,),
}


class Gender(TitledEnum):
    MALE = "male"
    FEMALE = "female"


Gender.TITLES = {"male": "Nam", "female": "Nữ"}


class Background(TitledEnum):
    JUDGE = "judge"
    PROSECUTOR = "prosecutor"
    INVESTIGATOR = "investigator"
    ASSESSOR = "assessor"
    JURIST = "jurist"
    LAWYER = "lawyer"
    POLICE = "police"
    ARMY = "army"
    JUSTICE_OFFICIAL = "justice_official"
    OTHER = "other"


Background.TITLES = {
    "judge": "Thẩm phán (kể cả đã nghỉ hưu)",
    "prosecutor": "Kiểm sát viên (kể cả đã nghỉ hưu)",
    "investigator": "Điều tra viên (kể cả đã nghỉ hưu)",
    "assessor": "Hội thẩm nhân dân",
    "jurist": "Luật gia",
    "lawyer": "Luật sư",
    "police": "Công an",
    "army": "Quân sự",
    "justice_official": "Công chức làm công tác pháp luật, tư pháp",
    "other": "Khác",
}


class LeaveReason(TitledEnum):
    OWN_REQUEST = "own_request"
    NOT_MEETING_STANDARDS = "not_meeting_standards"
    VIOLATED_PRINCIPLES = "violated_principles"
    OTHER = "other"


LeaveReason.TITLES = {
    "own_request": "Theo nguyện vọng",
    "not_meeting_standards": "Không còn đáp ứng tiêu chuẩn",
    "violated_principles": "Vi phạm nguyên tắc hòa giải",
    "other": "Lý do khác",
}


class TrainerLevel(TitledEnum):
    PROVINCE = "province"
    DISTRICT = "district"


TrainerLevel.TITLES = {"province": "Cấp tỉnh", "district": "Cấp huyện"}


def _unit_ids_in(path: str):
    """Ids of the units in the scope of the unit at ``path`` (:meth:`Unit.scope_clause`)."""
    return select(Unit.id).where(Unit.scope_clause(path))


# --------------------------------------------------------------------------- units


class Unit(IdMixin, TimestampMixin, db.Model):
    """An administrative unit: province, (district), commune, village."""

    __tablename__ = "unit"
    __table_args__ = (Index("ix_unit_parent_id", "parent_id"),)

    #: The state's code as the state writes it (2 digits for a province, 3 for an old district, 5 for a commune),
    #: or the province's own code for a village. The state reuses codes, so a code names a unit together with
    #: the day: two units may share a code when their validity periods do not overlap (checked by the services).
    code: Mapped[str] = mapped_column(binary_string(32), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[UnitKind] = mapped_column(_enum(UnitKind, "unit_kind"))
    #: The unit's own type as the official list words it ("thành phố trung ương", "phường", "đặc khu", "ấp"…)
    unit_type: Mapped[str | None] = mapped_column(String(40))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    #: Materialized path of ids, ``/1/7/42/``; subtree = an index range scan.
    path: Mapped[str] = mapped_column(binary_string(255), unique=True, default="")
    depth: Mapped[int] = mapped_column(Integer, default=0)
    search_key: Mapped[str] = mapped_column(String(200), default="", index=True)
    #: Vietnamese order (``collation.unit_sort_key``: official code, else name); kept in step by ``_set_sort_keys``.
    sort_key: Mapped[bytes] = mapped_column(LargeBinary, default=_sort_key_default(unit_sort_key, "kind", "code", "name"), index=True)
    is_pilot: Mapped[bool] = mapped_column(Boolean, default=False)
    ethnic_minority_area: Mapped[bool] = mapped_column(Boolean, default=False)
    model_commune_year: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))

    parent: Mapped[Unit | None] = relationship(remote_side="Unit.id", foreign_keys=[parent_id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(foreign_keys=[parent_id], back_populates="parent", order_by="(Unit.sort_key, Unit.id)")
    successor: Mapped[Unit | None] = relationship(remote_side="Unit.id", foreign_keys=[successor_id])

    def __repr__(self) -> str:
        return f"<Unit {self.code} {self.name}>"

    @classmethod
    def scope_clause(cls, path: str):
        """The units an account bound to the unit at ``path`` sees today: its subtree, and the subtrees of the units
        merged into it by today (``org.history.scope_ranges``; one indexed range scan per range, one when nothing merged)."""
        from .history import in_ranges, scope_ranges

        return in_ranges(cls.path, scope_ranges(path))

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p]

    def is_active_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or self.valid_to >= day)

    @classmethod
    def active_clause(cls, day: dt.date):
        """SQL: the unit is valid on ``day`` (both ends inclusive, either may be open)."""
        return and_(or_(cls.valid_from.is_(None), cls.valid_from <= day), or_(cls.valid_to.is_(None), cls.valid_to >= day))

    @property
    def is_current(self) -> bool:
        return self.is_active_on(clock.today())

    @property
    def minority_area_effective(self) -> bool:
        """The flag on the unit or on any ancestor (a commune's flag covers its villages)."""
        unit: Unit | None = self
        while unit is not None:
            if unit.ethnic_minority_area:
                return True
            unit = unit.parent
        return False

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def gone_from(self) -> dt.date | None:
        """The first day the unit no longer exists (the day after ``valid_to``), or ``None`` when it has no end."""
        return self.valid_to + dt.timedelta(days=1) if self.valid_to is not None else None

    @property
    def ended_since(self) -> dt.date | None:
        """The first day the unit no longer exists, when that day has come ("hết hiệu lực từ …")."""
        if self.valid_to is not None and self.valid_to < clock.today():
            return self.gone_from
        return None

    @property
    def type_title(self) -> str:
        """The unit's own type ("Phường", "Thành phố trung ương"), else its level's title."""
        return self.unit_type[:1].upper() + self.unit_type[1:] if self.unit_type else self.kind.title

    def overlaps(self, valid_from: dt.date | None, valid_to: dt.date | None) -> bool:
        """Does the period [valid_from, valid_to] (either end open) overlap the unit's validity?"""
        return (valid_to is None or self.valid_from is None or self.valid_from <= valid_to) and (
            valid_from is None or self.valid_to is None or valid_from <= self.valid_to
        )

    @classmethod
    def code_order(cls, day: dt.date | None = None):
        """ORDER BY for the units sharing a code: the one valid on ``day`` (default today) first, then the latest."""
        day = day or clock.today()
        return (case((cls.active_clause(day), 0), else_=1), case((cls.valid_to.is_(None), 0), else_=1), cls.valid_to.desc(), cls.id.desc())


# --------------------------------------------------------------------------- teams


class Team(IdMixin, TimestampMixin, db.Model):
    """A mediation team (tổ hòa giải) of a village (or commune)."""

    __tablename__ = "team"
    __table_args__ = (Index("ix_team_unit_id", "unit_id"),)

    name: Mapped[str] = mapped_column(String(200))
    search_key: Mapped[str] = mapped_column(String(200), default="")
    #: Vietnamese order of the name (``collation.team_sort_key``); kept in step by ``_set_sort_keys``.
    sort_key: Mapped[bytes] = mapped_column(LargeBinary, default=_sort_key_default(team_sort_key, "name"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    established_on: Mapped[dt.date | None] = mapped_column(Date)
    dissolved_on: Mapped[dt.date | None] = mapped_column(Date)
    #: Created by an import with no establishment date (active from the start).
    implicit: Mapped[bool] = mapped_column(Boolean, default=False)

    unit: Mapped[Unit] = relationship()
    memberships: Mapped[list[MediatorMembership]] = relationship(back_populates="team", order_by="MediatorMembership.recognized_on")
    supports: Mapped[list[LegalSupport]] = relationship(back_populates="team")

    @classmethod
    def scope_clause(cls, path: str):
        return cls.unit_id.in_(_unit_ids_in(path))

    def is_active_on(self, day: dt.date) -> bool:
        return (self.established_on is None or self.established_on <= day) and (self.dissolved_on is None or self.dissolved_on >= day)

    @classmethod
    def active_clause(cls, day: dt.date):
        """SQL: active on ``day`` — a team with no establishment date (created by an import) is active from the start."""
        return and_(or_(cls.established_on.is_(None), cls.established_on <= day), or_(cls.dissolved_on.is_(None), cls.dissolved_on >= day))

    @property
    def is_active(self) -> bool:
        return self.is_active_on(clock.today())


# --------------------------------------------------------------------------- people


class Person(IdMixin, TimestampMixin, db.Model):
    """A person on the roster; roles over time hang off it."""

    __tablename__ = "person"
    __table_args__ = (
        Index("ix_person_unit_id", "unit_id"),
        Index("ix_person_phone", "phone"),
        Index("ix_person_search_key", "search_key"),
    )

    full_name: Mapped[str] = mapped_column(String(200))
    search_key: Mapped[str] = mapped_column(String(200), default="")
    #: Vietnamese order: given name, then the rest (``collation.person_sort_key``); kept in step by ``set_name``
    #: and ``_set_sort_keys``.
    sort_key: Mapped[bytes] = mapped_column(LargeBinary, default=_sort_key_default(person_sort_key, "full_name"), index=True)
    gender: Mapped[Gender | None] = mapped_column(_enum(Gender, "gender"))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    ethnicity: Mapped[str | None] = mapped_column(String(60))
    is_minority: Mapped[bool] = mapped_column(Boolean, default=False)
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(200))
    #: The unit the person is registered under (their village, or a trainer's unit): scope.
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))

    unit: Mapped[Unit] = relationship()
    memberships: Mapped[list[MediatorMembership]] = relationship(back_populates="person", order_by="MediatorMembership.recognized_on")
    appointments: Mapped[list[TrainerAppointment]] = relationship(back_populates="person", order_by="TrainerAppointment.started_on")
    supports: Mapped[list[LegalSupport]] = relationship(back_populates="person", order_by="LegalSupport.from_on")

    def __repr__(self) -> str:
        return f"<Person {self.full_name}>"

    @classmethod
    def scope_clause(cls, path: str):
        return cls.unit_id.in_(_unit_ids_in(path))

    @classmethod
    def owner_clause(cls, person_id: int | None):
        return cls.id == person_id

    def set_name(self, name: str) -> None:
        self.full_name = name
        self.search_key = fold(name)
        self.sort_key = person_sort_key(name)

    def set_ethnicity(self, ethnicity: str | None) -> None:
        self.ethnicity = ethnicity
        self.is_minority = bool(ethnicity) and fold(ethnicity) not in {"kinh", ""}

    @property
    def birth_label(self) -> str:
        if self.birth_date:
            return fmt.date(self.birth_date)
        return str(self.birth_year or "")


class PersonScoped:
    """Rows that belong to a person: in a unit's scope when the person is; a mediator sees their own."""

    person_id: Mapped[int]

    @classmethod
    def scope_clause(cls, path: str):
        return cls.person_id.in_(select(Person.id).where(Person.scope_clause(path)))

    @classmethod
    def owner_clause(cls, person_id: int | None):
        return cls.person_id == person_id


class MediatorMembership(IdMixin, TimestampMixin, db.Model):
    """A mediator's membership of a team: from recognition to leaving."""

    __tablename__ = "mediator_membership"
    __table_args__ = (
        Index("ix_mediator_membership_team_id", "team_id"),
        Index("ix_mediator_membership_person_id", "person_id"),
        Index("ix_mediator_membership_recognized_on", "recognized_on"),
    )

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    decision_no: Mapped[str | None] = mapped_column(String(60))
    recognized_on: Mapped[dt.date] = mapped_column(Date)
    #: recognized_on + 6 calendar months (the 6-month training rule); kept in step by an ORM event.
    deadline: Mapped[dt.date | None] = mapped_column(Date, index=True)
    is_leader: Mapped[bool] = mapped_column(Boolean, default=False)
    left_on: Mapped[dt.date | None] = mapped_column(Date)
    leave_decision_no: Mapped[str | None] = mapped_column(String(60))
    leave_reason: Mapped[LeaveReason | None] = mapped_column(_enum(LeaveReason, "leave_reason"))
    leave_note: Mapped[str | None] = mapped_column(Text)

    person: Mapped[Person] = relationship(back_populates="memberships")
    team: Mapped[Team] = relationship(back_populates="memberships")

    @classmethod
    def scope_clause(cls, path: str):
        return cls.team_id.in_(select(Team.id).where(Team.scope_clause(path)))

    @classmethod
    def owner_clause(cls, person_id: int | None):
        return cls.person_id == person_id

    def is_active_on(self, day: dt.date) -> bool:
        return self.recognized_on <= day and (self.left_on is None or self.left_on >= day)

    @classmethod
    def active_clause(cls, day: dt.date):
        """SQL: "active at D" — recognized on or before D and not left before D."""
        return and_(cls.recognized_on <= day, or_(cls.left_on.is_(None), cls.left_on >= day))

    @property
    def is_active(self) -> bool:
        return self.is_active_on(clock.today())


def training_deadline(recognized_on: dt.date) -> dt.date:
    """Recognition date + 6 calendar months (31 Aug → 28/29 Feb), the 6-month rule (figure E3)."""
    return recognized_on + relativedelta(months=6)


@event.listens_for(MediatorMembership, "before_insert")
@event.listens_for(MediatorMembership, "before_update")
def _set_deadline(mapper, connection, target: MediatorMembership) -> None:  # noqa: ARG001
    target.deadline = training_deadline(target.recognized_on) if target.recognized_on else None


@event.listens_for(Unit, "before_insert")
@event.listens_for(Unit, "before_update")
@event.listens_for(Team, "before_insert")
@event.listens_for(Team, "before_update")
@event.listens_for(Person, "before_insert")
@event.listens_for(Person, "before_update")
def _set_sort_keys(mapper, connection, target) -> None:  # noqa: ARG001
    """The Vietnamese sort key from the name (and a unit's code and kind), on every ORM insert and update.
    Writes around the ORM (``core.bulk``, the import's records, ``devdata.synth``) compute it themselves."""
    if isinstance(target, Person):
        target.sort_key = person_sort_key(target.full_name)
    elif isinstance(target, Unit):
        target.sort_key = unit_sort_key(target.kind, target.code, target.name)
    else:
        target.sort_key = team_sort_key(target.name)


class TrainerAppointment(IdMixin, TimestampMixin, db.Model):
    """A trainer (tập huấn viên) appointment at province or district level."""

    __tablename__ = "trainer_appointment"
    __table_args__ = (Index("ix_trainer_appointment_unit_id", "unit_id"), Index("ix_trainer_appointment_person_id", "person_id"))

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    level: Mapped[TrainerLevel] = mapped_column(_enum(TrainerLevel, "trainer_level"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    background: Mapped[Background | None] = mapped_column(_enum(Background, "background"))
    started_on: Mapped[dt.date] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)

    person: Mapped[Person] = relationship(back_populates="appointments")
    unit: Mapped[Unit] = relationship()

    @classmethod
    def scope_clause(cls, path: str):
        return cls.unit_id.in_(_unit_ids_in(path))

    @classmethod
    def owner_clause(cls, person_id: int | None):
        return cls.person_id == person_id

    def is_active_on(self, day: dt.date) -> bool:
        return self.started_on <= day and (self.ended_on is None or self.ended_on >= day)

    @classmethod
    def active_clause(cls, day: dt.date):
        return and_(cls.started_on <= day, or_(cls.ended_on.is_(None), cls.ended_on >= day))

    @property
    def is_active(self) -> bool:
        return self.is_active_on(clock.today())


class LegalSupport(IdMixin, TimestampMixin, db.Model):
    """A legal professional supporting a team (người hỗ trợ pháp lý)."""

    __tablename__ = "legal_support"
    __table_args__ = (Index("ix_legal_support_team_id", "team_id"), Index("ix_legal_support_person_id", "person_id"))

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    background: Mapped[Background | None] = mapped_column(_enum(Background, "background"))
    from_on: Mapped[dt.date] = mapped_column(Date)
    to_on: Mapped[dt.date | None] = mapped_column(Date)

    person: Mapped[Person] = relationship(back_populates="supports")
    team: Mapped[Team] = relationship(back_populates="supports")

    @classmethod
    def scope_clause(cls, path: str):
        return cls.team_id.in_(select(Team.id).where(Team.scope_clause(path)))

    @classmethod
    def owner_clause(cls, person_id: int | None):
        return cls.person_id == person_id

    def is_active_on(self, day: dt.date) -> bool:
        return self.from_on <= day and (self.to_on is None or self.to_on >= day)

    @classmethod
    def active_clause(cls, day: dt.date):
        return and_(cls.from_on <= day, or_(cls.to_on.is_(None), cls.to_on >= day))

    @property
    def is_active(self) -> bool:
        return self.is_active_on(clock.today())


# --------------------------------------------------------------------------- accounts


class User(UserMixin, IdMixin, TimestampMixin, db.Model):
    """A login. Bound to a unit (its scope) and, for mediators and trainers, to a person."""

    __tablename__ = "user_account"
    __table_args__ = (Index("ix_user_account_unit_id", "unit_id"), Index("ix_user_account_person_id", "person_id"))

    username: Mapped[str] = mapped_column(String(120), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The one-time password, kept only until it is printed on the sheet or changed.
    initial_password: Mapped[str | None] = mapped_column(String(40))
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    unit: Mapped[Unit] = relationship()
    person: Mapped[Person | None] = relationship()

    @classmethod
    def scope_clause(cls, path: str):
        return cls.unit_id.in_(_unit_ids_in(path))

    @classmethod
    def owner_clause(cls, person_id: int | None):
        return cls.person_id == person_id

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def display_name(self) -> str:
        if self.person is not None:
            return self.person.full_name
        return self.full_name or self.username

    @property
    def scope_path(self) -> str:
        return self.unit.path


# --------------------------------------------------------------------------- plans, case statistics, API tokens


class Plan(IdMixin, TimestampMixin, db.Model):
    """A province's plan implementing the 2024–2030 scheme (e.g. Kế hoạch 146/KH-UBND of Cần Thơ).

    Loaded from ``lms/reports/plans/*.yaml``; the targets may be edited by the province admin.
    """

    __tablename__ = "plan"

    slug: Mapped[str] = mapped_column(String(80), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))  # the province
    number: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(300))
    issued_on: Mapped[dt.date] = mapped_column(Date)
    start_date: Mapped[dt.date] = mapped_column(Date)
    #: phases, review years and each figure's target (see the YAML files for the shape)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    source_hash: Mapped[str] = mapped_column(String(64), default="")

    unit: Mapped[Unit] = relationship()

    @classmethod
    def scope_clause(cls, path: str):
        return cls.unit_id.in_(_unit_ids_in(path))

    def target(self, code: str) -> dict:
        return (self.data.get("targets") or {}).get(code) or {}

    @property
    def reference(self) -> str:
        """How documents cite it: "Kế hoạch số 146/KH-UBND", "Quyết định số 315/QĐ-TTg"."""
        return f"{'Quyết định' if self.is_national else 'Kế hoạch'} số {self.number}"

    @property
    def is_national(self) -> bool:
        """The national scheme (Quyết định 315/QĐ-TTg), in force where a province has no plan of its own."""
        return self.unit_id is None


class CaseStat(IdMixin, TimestampMixin, db.Model):
    """A team's mediation cases in a quarter (sổ theo dõi hoạt động hòa giải)."""

    __tablename__ = "case_stat"
    __table_args__ = (UniqueConstraint("team_id", "year", "quarter"), Index("ix_case_stat_year", "year"))

    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)
    received: Mapped[int] = mapped_column(Integer, default=0)  # every case handled in the quarter, new and carried over
    successful: Mapped[int] = mapped_column(Integer, default=0)
    unsuccessful: Mapped[int] = mapped_column(Integer, default=0)
    open: Mapped[int] = mapped_column(Integer, default=0)

    team: Mapped[Team] = relationship()

    @classmethod
    def scope_clause(cls, path: str):
        return cls.team_id.in_(select(Team.id).where(Team.scope_clause(path)))


class ApiToken(IdMixin, db.Model):
    """A personal API token: scoped like its owner; only its hash is stored."""

    __tablename__ = "api_token"
    __table_args__ = (Index("ix_api_token_user_id", "user_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # shown so the owner can tell tokens apart
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.now)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()
