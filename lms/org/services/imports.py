"""Roster imports from the spreadsheets officers already keep: units, mediators, trainers, legal supporters,
and the teams' mediation case statistics per quarter.

One engine serves every kind; an area to the right of org (certificates) adds its own kind with
:func:`register_kind`. A run streams the file once (openpyxl read-only, or CSV) and
validates and applies it row by row inside a SAVEPOINT, so rows may refer to what earlier rows
created (a commune defined above its villages, a person repeated on several rows). Every bad row
is collected, never only the first. On a dry run, or when any row is bad, the savepoint is rolled
back: nothing is written, and the counts say exactly what the real import would do.

Rules:
- a blank cell keeps what is already recorded (nothing is erased by an import); a flag column
  (``x`` or blank) that is present in the file is authoritative;
- units are matched by code; people by phone when the row has one, else by accent-folded name +
  birth year + unit (the village, or a trainer's unit); a membership by (person, team, recognition
  date), an appointment by (person, level, unit, start date), a support by (person, team, start date),
  a team's case statistics by (team, year, quarter);
- the same record met twice in one file with different values is a "conflicting duplicate";
- a re-import of the same file creates nothing, changes nothing and writes no audit row;
- everything read and written lies in the importer's scope (``scope=None``: everywhere).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from operator import attrgetter
from typing import IO, Any

from openpyxl import Workbook
from sqlalchemy import select, update

from ...core import audit, bulk, clock
from ...core.errors import ServiceError
from ...core.spreadsheet import Column, Row, RowError, SpreadsheetError, parse_date, parse_flag, parse_int, read_rows
from ...core.text import fold, fold_key, nfc, normalize_phone
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
    training_deadline,
)
from . import cases, roster

# --------------------------------------------------------------------------- columns

_NAME = Column("name", "Họ và tên", True, ("Họ tên", "Họ và tên hòa giải viên"), "Nguyễn Thị Lan")
_GENDER = Column("gender", "Giới tính", False, ("Nam / Nữ", "Phái"), "Nữ")
_BIRTH = Column("birth", "Năm sinh", False, ("Ngày sinh", "Ngày tháng năm sinh", "Năm sinh / ngày sinh"), 1975)
_PHONE = Column("phone", "Số điện thoại", False, ("Điện thoại", "SĐT", "Số ĐT", "Di động", "Điện thoại di động"), "0912345678")
_VILLAGE = Column("village", "Mã thôn", True, ("Mã thôn / tổ dân phố", "Mã ấp", "Mã tổ dân phố", "Mã thôn ấp"), "31117-01")
_TEAM = Column("team", "Tổ hòa giải", False, ("Tên tổ hòa giải", "Tổ HGCS"), None)
_BACKGROUND = Column("background", "Nguồn", False, ("Nguồn tập huấn viên", "Thành phần", "Lĩnh vực"), "Luật gia")

UNIT_COLUMNS = [
    Column("code", "Mã", True, ("Mã đơn vị", "Mã ĐVHC", "Mã số"), "31117-01"),
    Column("name", "Tên", True, ("Tên đơn vị",), "Khu vực 1"),
    Column("kind", "Cấp", True, ("Cấp đơn vị", "Loại đơn vị"), "thôn"),
    Column("parent", "Mã cấp trên", True, ("Mã đơn vị cấp trên", "Mã đơn vị trực thuộc"), "31117"),
    Column("is_pilot", "Điểm chỉ đạo", False, ("Xã điểm", "Điểm chỉ đạo thí điểm"), None),
    Column("minority", "Vùng đồng bào DTTS", False, ("Vùng đồng bào dân tộc thiểu số", "Vùng DTTS", "Địa bàn DTTS", "DTTS"), None),
    Column("model_year", "Năm đạt xã điển hình", False, ("Xã điển hình", "Năm công nhận xã điển hình"), None),
    Column("valid_from", "Hiệu lực từ", False, ("Hiệu lực từ ngày", "Ngày hiệu lực"), None),
    Column("valid_to", "Hiệu lực đến", False, ("Hiệu lực đến ngày", "Ngày hết hiệu lực"), None),
    Column("successor", "Mã đơn vị kế thừa", False, ("Mã kế thừa", "Đơn vị kế thừa"), None),
]

MEDIATOR_COLUMNS = [
    _NAME,
    _GENDER,
    _BIRTH,
    Column("ethnicity", "Dân tộc", False, (), "Kinh"),
    _PHONE,
    _VILLAGE,
    _TEAM,
    Column("decision_no", "Số quyết định công nhận", False, ("Số quyết định", "Số QĐ công nhận", "Số QĐ"), "12/QĐ-UBND"),
    Column("recognized_on", "Ngày công nhận", True, ("Ngày quyết định công nhận", "Ngày QĐ công nhận"), "15/01/2025"),
    Column("leader", "Tổ trưởng", False, ("Là tổ trưởng",), "x"),
    Column("left_on", "Ngày thôi", False, ("Ngày thôi làm hòa giải viên", "Ngày thôi làm HGV"), None),
    Column("leave_reason", "Lý do thôi", False, ("Lý do",), None),
]

TRAINER_COLUMNS = [
    _NAME,
    _GENDER,
    _BIRTH,
    _PHONE,
    Column("level", "Cấp", True, ("Cấp tập huấn viên",), "tỉnh"),
    Column("unit", "Mã đơn vị", True, ("Mã tỉnh / huyện", "Mã đơn vị công tác"), "92"),
    _BACKGROUND,
    Column("started_on", "Ngày bắt đầu", True, ("Từ ngày", "Ngày quyết định"), "01/03/2025"),
    Column("ended_on", "Ngày kết thúc", False, ("Đến ngày",), None),
]

CASE_COLUMNS = [
    _VILLAGE,
    _TEAM,
    Column("year", "Năm", True, ("Năm thống kê", "Năm báo cáo"), 2025),
    Column("quarter", "Quý", True, ("Quý thống kê", "Quý báo cáo"), 1),
    Column("received", "Tiếp nhận", True, ("Số vụ tiếp nhận", "Số vụ việc tiếp nhận", "Tổng số vụ việc", "Tổng số vụ"), 5),
    Column("successful", "Thành", True, ("Hòa giải thành", "Số vụ hòa giải thành", "Số vụ thành"), 3),
    Column("unsuccessful", "Không thành", True, ("Hòa giải không thành", "Số vụ hòa giải không thành", "Số vụ không thành"), 1),
    Column("open", "Đang giải quyết", True, ("Đang hòa giải", "Chưa giải quyết xong", "Số vụ đang giải quyết"), 1),
]

SUPPORTER_COLUMNS = [
    _NAME,
    _BACKGROUND,
    _VILLAGE,
    _TEAM,
    Column("from_on", "Từ ngày", True, ("Ngày bắt đầu",), "01/03/2025"),
    Column("to_on", "Đến ngày", False, ("Ngày kết thúc",), None),
]

ENTITY_TITLES = {
    "unit": "Đơn vị",
    "person": "Người",
    "team": "Tổ hòa giải",
    "membership": "Lượt công nhận hòa giải viên",
    "appointment": "Lượt tập huấn viên",
    "support": "Lượt hỗ trợ pháp lý",
    "case_stat": "Số liệu vụ việc của tổ trong quý",
}


# --------------------------------------------------------------------------- cell parsers


def _words(mapping: dict[Any, Iterable[str]]) -> dict[str, Any]:
    out = {}
    for value, names in mapping.items():
        for name in names:
            out[fold_key(name)] = value
    return out


_UNIT_KINDS = _words(
    {
        UnitKind.PROVINCE: ("tỉnh", "cấp tỉnh", "tỉnh / thành phố", "thành phố trực thuộc trung ương", "province", UnitKind.PROVINCE.title),
        UnitKind.DISTRICT: ("huyện", "cấp huyện", "quận", "thị xã", "thành phố thuộc tỉnh", "district", UnitKind.DISTRICT.title),
        UnitKind.COMMUNE: ("xã", "cấp xã", "phường", "thị trấn", "đặc khu", "commune", UnitKind.COMMUNE.title),
        UnitKind.VILLAGE: (
            "thôn", "ấp", "bản", "buôn", "làng", "xóm", "sóc", "khóm", "khu phố", "khu vực", "tổ dân phố",
            "cấp thôn", "village", UnitKind.VILLAGE.title,
        ),
    }
)
_TRAINER_LEVELS = _words(
    {
        TrainerLevel.PROVINCE: ("tỉnh", "cấp tỉnh", "tỉnh / thành phố", "thành phố trực thuộc trung ương", "province"),
        TrainerLevel.DISTRICT: ("huyện", "cấp huyện", "quận", "thị xã", "thành phố thuộc tỉnh", "district"),
    }
)
_GENDERS = _words({Gender.MALE: ("nam", "male", "m"), Gender.FEMALE: ("nữ", "female", "f")})
#: Keyword (accent-folded) → background, tried in this order against the folded cell.
_BACKGROUND_WORDS = [
    ("tham phan", Background.JUDGE),
    ("toa an", Background.JUDGE),
    ("kiem sat", Background.PROSECUTOR),
    ("dieu tra", Background.INVESTIGATOR),
    ("hoi tham", Background.ASSESSOR),
    ("luat su", Background.LAWYER),
    ("luat gia", Background.JURIST),
    ("cong an", Background.POLICE),
    ("quan su", Background.ARMY),
    ("quan doi", Background.ARMY),
    ("bo doi", Background.ARMY),
    ("tu phap", Background.JUSTICE_OFFICIAL),
    ("phap luat", Background.JUSTICE_OFFICIAL),
    ("cong chuc", Background.JUSTICE_OFFICIAL),
    ("khac", Background.OTHER),
]
_LEAVE_WORDS = [
    ("nguyen vong", LeaveReason.OWN_REQUEST),
    ("tu nguyen", LeaveReason.OWN_REQUEST),
    ("xin thoi", LeaveReason.OWN_REQUEST),
    ("ca nhan", LeaveReason.OWN_REQUEST),
    ("tieu chuan", LeaveReason.NOT_MEETING_STANDARDS),
    ("vi pham", LeaveReason.VIOLATED_PRINCIPLES),
]


def _cell_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfc(str(value)) or ""


def parse_unit_kind(value: Any) -> UnitKind:
    text = _cell_text(value)
    kind = _UNIT_KINDS.get(fold_key(text))
    if kind is None:
        raise ValueError(f"không hiểu cấp «{text}» (dùng tỉnh / huyện / xã / thôn)")
    return kind


def parse_trainer_level(value: Any) -> TrainerLevel:
    text = _cell_text(value)
    level = _TRAINER_LEVELS.get(fold_key(text))
    if level is None:
        raise ValueError(f"không hiểu cấp «{text}» (dùng tỉnh hoặc huyện)")
    return level


def parse_gender(value: Any) -> Gender:
    text = _cell_text(value)
    gender = _GENDERS.get(fold_key(text))
    if gender is None:
        raise ValueError(f"không hiểu giới tính «{text}» (dùng Nam hoặc Nữ)")
    return gender


def parse_background(value: Any) -> Background:
    text = _cell_text(value)
    folded = fold(text)
    for member in Background:
        if folded in (fold(member.title), member.value):
            return member
    for word, member in _BACKGROUND_WORDS:
        if word in folded:
            return member
    raise ValueError(
        f"không hiểu nguồn «{text}» (dùng: thẩm phán, kiểm sát viên, điều tra viên, hội thẩm, luật gia, luật sư, "
        "công an, quân sự, công chức tư pháp, khác)"
    )


def parse_leave_reason(value: Any) -> tuple[LeaveReason, str | None]:
    """The reason, and the cell's text as a note when it is none of the legal reasons."""
    text = _cell_text(value)
    folded = fold(text)
    for member in LeaveReason:
        if folded in (fold(member.title), member.value):
            return member, None
    for word, member in _LEAVE_WORDS:
        if word in folded:
            return member, None
    return LeaveReason.OTHER, text


def parse_birth(value: Any, today: dt.date | None = None) -> tuple[int, dt.date | None]:
    """``Năm sinh`` or ``Ngày sinh``: a year (1975), or a date in any accepted form."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer() and 1000 <= value <= 2999:
        year, day = int(value), None
    elif isinstance(value, str) and value.strip().isdigit() and len(value.strip()) == 4:
        year, day = int(value.strip()), None
    else:
        day = parse_date(value)
        year = day.year
    if not 1900 <= year <= (today or clock.today()).year - 15:
        raise ValueError(f"năm sinh không hợp lệ: {year}")
    return year, day


def parse_count(value: Any) -> int:
    """A number of cases: a whole number, 0 or more."""
    text = _cell_text(value).replace(" ", "")
    if not isinstance(value, bool):
        if text.isdigit():
            return int(text)
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            number = None
        if number is not None and number.is_integer() and number >= 0:
            return int(number)
    raise ValueError(f"phải là số nguyên không âm (0, 1, 2, …), không phải «{_cell_text(value)}»")


_QUARTERS = {"1": 1, "2": 2, "3": 3, "4": 4, "i": 1, "ii": 2, "iii": 3, "iv": 4}


def parse_quarter(value: Any) -> int:
    """``1`` … ``4``, also written ``Quý II`` or ``Q2``."""
    text = fold(_cell_text(value)).replace(" ", "")
    for prefix in ("quy", "q"):
        if text.startswith(prefix):
            text = text[len(prefix):]
            break
    quarter = _QUARTERS.get(text)
    if quarter is None:
        raise ValueError(f"quý phải là 1, 2, 3 hoặc 4, không phải «{_cell_text(value)}»")
    return quarter


def parse_year(value: Any) -> int:
    try:
        return parse_int(value)
    except ValueError:
        raise ValueError(f"năm không hợp lệ: «{_cell_text(value)}»") from None


def parse_phone(value: Any) -> str:
    phone = normalize_phone(_cell_text(value))
    if not phone or not phone.startswith("0") or not 10 <= len(phone) <= 11:
        raise ValueError(f"số điện thoại không hợp lệ: «{_cell_text(value)}»")
    return phone


# --------------------------------------------------------------------------- results


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportResult:
    kind: str
    dry_run: bool
    rows: int = 0
    counts: dict[str, Counts] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    file_error: str | None = None
    #: When ``errors`` holds only the first ones (a result read back with :meth:`from_data`): how many there were.
    error_total: int | None = None
    bad_row_total: int | None = None

    @property
    def ok(self) -> bool:
        return self.file_error is None and not self.errors

    @property
    def error_count(self) -> int:
        return self.error_total if self.error_total is not None else len(self.errors)

    @property
    def bad_rows(self) -> int:
        return self.bad_row_total if self.bad_row_total is not None else len({e.row for e in self.errors})

    def as_data(self, max_errors: int = 10_000) -> dict[str, Any]:
        """The result as JSON-able data (a job keeps it), with the first ``max_errors`` bad cells."""
        return {
            "kind": self.kind, "dry_run": self.dry_run, "rows": self.rows, "file_error": self.file_error,
            "counts": {k: [c.created, c.updated, c.unchanged] for k, c in self.counts.items()},
            "errors": [[e.row, e.column, e.message] for e in self.errors[:max_errors]],
            "error_total": self.error_count, "bad_row_total": self.bad_rows,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ImportResult:
        return cls(
            kind=data["kind"], dry_run=data["dry_run"], rows=data["rows"], file_error=data["file_error"],
            counts={k: Counts(*v) for k, v in data["counts"].items()}, errors=[RowError(*e) for e in data["errors"]],
            error_total=data["error_total"], bad_row_total=data["bad_row_total"],
        )

    @property
    def changes(self) -> int:
        return sum(c.created + c.updated for c in self.counts.values())

    def count(self, entity: str) -> Counts:
        return self.counts.setdefault(entity, Counts())

    def summary(self) -> list[str]:
        """One Vietnamese line per kind of record."""
        verb = ("sẽ tạo mới", "sẽ cập nhật") if self.dry_run else ("tạo mới", "cập nhật")
        return [
            f"{ENTITY_TITLES.get(k, k)}: {verb[0]} {c.created}, {verb[1]} {c.updated}, không đổi {c.unchanged}"
            for k, c in self.counts.items()
        ]


# --------------------------------------------------------------------------- the engine


@dataclass(frozen=True, slots=True)
class _UnitRef:
    id: int
    code: str
    kind: UnitKind
    path: str
    name: str


OUT_OF_SCOPE = "đơn vị ngoài phạm vi quản lý của bạn"

#: Model attribute → column key, to put an error or a conflict on the right column.
_FIELD_COLUMNS = {
    "full_name": "name",
    "birth_year": "birth",
    "birth_date": "birth",
    "is_leader": "leader",
    "leave_reason": "leave_reason",
    "leave_note": "leave_reason",
    "ethnic_minority_area": "minority",
    "model_commune_year": "model_year",
    "successor_id": "successor",
    "successor": "successor",
}


class _Cells:
    """One row being read: parsed values, and whether any cell was bad."""

    def __init__(self, run: _Run, row: Row):
        self.run, self.row, self.bad = run, row, False

    def present(self, key: str) -> bool:
        return key in self.row.values

    def fail(self, key: str, message: str) -> None:
        self.run.error(self.row, key, message)
        self.bad = True

    def text(self, key: str, missing: str | None = None, max_len: int = 200) -> str | None:
        value = self.row.text(key)
        if value is None and missing:
            self.fail(key, missing)
        if value is not None and len(value) > max_len:
            self.fail(key, f"dài quá {max_len} ký tự")
            return None
        return value

    def parse(self, key: str, parser, missing: str | None = None):
        raw = self.row.values.get(key)
        if raw is None:
            if missing:
                self.fail(key, missing)
            return None
        try:
            return parser(raw)
        except ValueError as exc:
            self.fail(key, str(exc))
            return None

    def flag(self, key: str) -> bool | None:
        """``None`` when the column is not in the file (keep), else x → True, blank → False."""
        return parse_flag(self.row.values.get(key)) if self.present(key) else None


# --------------------------------------------------------------------------- records written in bulk


class _Rec:
    """A roster record as an import sees it: in the database (``id`` set) or still to be inserted (``id`` None).

    Plain objects with the model's column names, so the model's own helpers (``Person.set_name``…) work on them.
    The people, teams and memberships an import creates or changes are written by :meth:`_Run.flush_pending`,
    once per chunk of rows, in a few multi-row statements."""

    __slots__ = ("id",)
    model: Any = None
    fields: tuple[str, ...] = ()

    def __init__(self, id: int | None = None, **values: Any):  # noqa: A002
        self.id = id
        for name in self.fields:
            setattr(self, name, values.pop(name, None))
        for name, value in values.items():
            setattr(self, name, value)

    def __init_subclass__(cls, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        cls._get = staticmethod(attrgetter(*cls.fields))

    def values(self) -> dict[str, Any]:
        return dict(zip(self.fields, self._get(self), strict=True))


class _PersonRec(_Rec):
    model = Person
    fields = ("full_name", "search_key", "gender", "birth_year", "birth_date", "ethnicity", "is_minority", "phone", "email", "unit_id")
    __slots__ = (*fields, "unit_path", "memberships")
    set_name = Person.set_name
    set_ethnicity = Person.set_ethnicity


class _TeamRec(_Rec):
    model = Team
    fields = ("name", "search_key", "unit_id", "established_on", "dissolved_on", "implicit")
    __slots__ = fields


class _MembershipRec(_Rec):
    model = MediatorMembership
    fields = (
        "person_id", "team_id", "decision_no", "recognized_on", "deadline", "is_leader", "left_on", "leave_decision_no", "leave_reason",
        "leave_note",
    )
    __slots__ = (*fields, "person", "team")

    def of_team(self, team: _TeamRec) -> bool:
        return self.team is team or (team.id is not None and self.team_id == team.id)


#: What a membership's "end" audit row holds (the create row leaves these out, as roster.end_membership does).
_LEAVE_FIELDS = frozenset({"left_on", "leave_decision_no", "leave_reason", "leave_note"})
#: Rows read, looked up and written together: one round of SELECTs before the rows, one of INSERTs after.
CHUNK = 2000
#: Values per ``IN (…)`` list.
_IN_BATCH = 1000


def _batches(values: Iterable[Any], size: int = _IN_BATCH) -> Iterator[list[Any]]:
    it = iter(values)
    while batch := list(islice(it, size)):
        yield batch


def _id_order(rec: _Rec) -> tuple[bool, int]:
    """Records in the database by id, then the new ones (which will get higher ids)."""
    return (rec.id is None, rec.id or 0)


class _Run:
    entities: tuple[str, ...] = ()
    columns: list[Column] = []
    #: Columns holding unit codes: looked up once per chunk of rows.
    unit_keys: tuple[str, ...] = ("village", "unit")
    #: Whether rows name people (phone, name): looked up once per chunk of rows.
    finds_people: bool = False

    def __init__(self, result: ImportResult, scope: Unit | None):
        self.result = result
        self.scope_path = scope.path if scope is not None else None
        self.headers = {c.key: c.header for c in self.columns}
        self.today = clock.today()
        self._units: dict[str, _UnitRef | None] = {}
        self._teams: dict[tuple[int, str], _TeamRec] = {}
        self._village_teams: dict[int, list[_TeamRec]] = {}
        #: (entity, id, ...) → the row that first touched the record in this file
        self.seen: dict[tuple, int] = {}
        self._pending_keys: list[tuple] = []
        # the people the current chunk may name, by phone and by (unit, folded name), in id order
        self._people: dict[int, _PersonRec] = {}
        self._by_phone: dict[str, list[_PersonRec]] = {}
        self._by_name: dict[tuple[int, str], list[_PersonRec]] = {}
        # what flush_pending writes
        self._new: dict[type, list[_Rec]] = {}
        self._updates: dict[type, dict[int, dict[str, Any]]] = {}
        self._audits: list[tuple[_Rec, str, Any]] = []
        for entity in self.entities:
            result.count(entity)

    # ------------------------------------------------------------------ helpers

    def error(self, row: Row, key: str, message: str) -> None:
        self.result.errors.append(RowError(row.number, self.headers.get(key, ""), message))

    def in_scope(self, path: str) -> bool:
        return self.scope_path is None or path.startswith(self.scope_path)

    def parse_birth(self, value: Any) -> tuple[int, dt.date | None]:
        return parse_birth(value, self.today)

    def key(self, *parts: Any) -> tuple:
        """A key of :attr:`seen`; a record not yet written stands for itself until :meth:`flush_pending` gives it an id."""
        key = tuple(p.id if isinstance(p, _Rec) and p.id is not None else p for p in parts)
        if any(isinstance(p, _Rec) for p in key):
            self._pending_keys.append(key)
        return key

    # ------------------------------------------------------------------ lookups, once per chunk

    def prefetch(self, rows: list[Row]) -> None:
        """Load what the rows of a chunk refer to: units by code, the villages' teams, the people they may name."""
        codes = {code.upper() for row in rows for key in self.unit_keys if (code := row.text(key))}
        self.load_units(codes)
        units = [ref for code in codes if (ref := self._units.get(code)) is not None]
        if "team" in self.entities:
            self.load_teams(ref.id for ref in units if ref.kind in (UnitKind.VILLAGE, UnitKind.COMMUNE))
        if self.finds_people:
            self.load_people(rows, {ref.id for ref in units})

    def load_units(self, codes: Iterable[str]) -> None:
        missing = [code for code in codes if code not in self._units]
        for batch in _batches(missing):
            for found in db.session.execute(select(Unit.id, Unit.code, Unit.kind, Unit.path, Unit.name).where(Unit.code.in_(batch))):
                self._units[found.code] = _UnitRef(*found)
            for code in batch:
                self._units.setdefault(code, None)

    def load_teams(self, unit_ids: Iterable[int]) -> None:
        missing = [uid for uid in set(unit_ids) if uid not in self._village_teams]
        cols = [Team.id, *(getattr(Team, f) for f in _TeamRec.fields)]
        for batch in _batches(missing):
            for uid in batch:
                self._village_teams[uid] = []
            for found in db.session.execute(select(*cols).where(Team.unit_id.in_(batch)).order_by(Team.id)):
                self._village_teams[found.unit_id].append(_TeamRec(**found._asdict()))

    def load_people(self, rows: list[Row], homes: set[int]) -> None:
        """The people the rows may name: by phone (anywhere), or by folded name in the rows' units."""
        phones, names = set(), set()
        for row in rows:
            raw = row.values.get("phone")
            if raw is not None and (phone := normalize_phone(_cell_text(raw))):
                phones.add(phone)
            if name := row.text("name"):
                names.add(fold(name))
        self._people, self._by_phone, self._by_name = {}, {}, {}
        cols = [Person.id, *(getattr(Person, f) for f in _PersonRec.fields), Unit.path.label("unit_path")]
        base = select(*cols).join(Unit, Unit.id == Person.unit_id)
        stmts = [base.where(Person.phone.in_(batch)) for batch in _batches(phones)]
        if homes:
            home_list = sorted(homes)
            stmts += [base.where(Person.unit_id.in_(home_list), Person.search_key.in_(batch)) for batch in _batches(names)]
        for stmt in stmts:
            for found in db.session.execute(stmt):
                if found.id not in self._people:
                    self._people[found.id] = _PersonRec(**found._asdict(), memberships=[])
        for person in sorted(self._people.values(), key=lambda p: p.id):
            self._index(person)

    def _index(self, person: _PersonRec) -> None:
        if person.phone:
            self._by_phone.setdefault(person.phone, []).append(person)
        self._by_name.setdefault((person.unit_id, person.search_key), []).append(person)

    def _reindex(self, person: _PersonRec, before: Mapping[str, Any]) -> None:
        """Keep the chunk's indexes in step with a person whose phone, name or unit changed."""
        if before["phone"] == person.phone and before["search_key"] == person.search_key and before["unit_id"] == person.unit_id:
            return
        for index, old in ((self._by_phone, before["phone"]), (self._by_name, (before["unit_id"], before["search_key"]))):
            if old in index and person in index[old]:
                index[old].remove(person)
        if person.phone:
            self._by_phone.setdefault(person.phone, []).append(person)
            self._by_phone[person.phone].sort(key=_id_order)
        named = self._by_name.setdefault((person.unit_id, person.search_key), [])
        named.append(person)
        named.sort(key=_id_order)

    # ------------------------------------------------------------------ writes, once per chunk

    def add(self, rec: _Rec, audit_leaves_out: frozenset[str] = frozenset()) -> None:
        """A new record, inserted (and audited as created) by the next :meth:`flush_pending`."""
        self._new.setdefault(rec.model, []).append(rec)
        self._audits.append((rec, "create", audit_leaves_out))

    def change(self, rec: _Rec, changes: Mapping[str, tuple[Any, Any]], action: str) -> None:
        """Changed columns ``{field: (old, new)}`` of a record, written and audited by the next :meth:`flush_pending`."""
        if rec.id is None:
            return  # not written yet: inserted with its final values
        self._updates.setdefault(rec.model, {}).setdefault(rec.id, {}).update({k: new for k, (_, new) in changes.items()})
        self._audits.append((rec, action, audit.plain_changes(changes)))

    def orm(self, rec: _Rec):
        """The model object of a record (written first if it is new), for the services that need one."""
        self.flush_pending()
        return db.session.get(rec.model, rec.id, populate_existing=True)

    def flush_pending(self) -> None:
        """Insert the new records (people, then teams, then memberships), update the changed ones, write their
        audit rows: a few multi-row statements, whatever the number of rows."""
        if not (self._new or self._updates or self._audits):
            return
        now = clock.now()
        for model in (Person, Team, MediatorMembership):
            recs = self._new.pop(model, None)
            if not recs:
                continue
            if model is MediatorMembership:
                for m in recs:
                    m.person_id, m.team_id = m.person.id, m.team.id
                    m.deadline = training_deadline(m.recognized_on)  # the ORM event does this for ORM inserts only
            rows = [{**rec.values(), "created_at": now, "updated_at": now} for rec in recs]
            for rec, new_id in zip(recs, bulk.insert_rows(model, rows, returning_ids=True), strict=True):
                rec.id = new_id
        for model, by_id in self._updates.items():
            db.session.execute(update(model), [{"id": rid, **values, "updated_at": now} for rid, values in by_id.items()])
        self._updates.clear()
        audit.record_many(
            (
                rec.model.__tablename__, rec.id, action,
                audit.created_changes({k: v for k, v in rec.values().items() if k not in extra}) if action == "create" else extra,
            )
            for rec, action, extra in self._audits
        )
        self._audits.clear()
        for key in self._pending_keys:
            if key in self.seen:
                self.seen[tuple(p.id if isinstance(p, _Rec) else p for p in key)] = self.seen.pop(key)
        self._pending_keys.clear()

    # ------------------------------------------------------------------ units and teams

    def unit(self, code: str) -> _UnitRef | None:
        if code not in self._units:
            self.load_units([code])
        return self._units[code]

    def remember_unit(self, unit: Unit) -> None:
        self._units[unit.code] = _UnitRef(unit.id, unit.code, unit.kind, unit.path, unit.name)

    def resolve_unit(self, c: _Cells, key: str, missing: str | None = None) -> _UnitRef | None:
        code = c.text(key, missing, max_len=32)
        if code is None:
            return None
        code = code.upper()
        ref = self.unit(code)
        if ref is None:
            c.fail(key, f"không có đơn vị mã «{code}»")
        elif not self.in_scope(ref.path):
            c.fail(key, f"{OUT_OF_SCOPE} («{code}»)")
            return None
        return ref

    def resolve_village(self, c: _Cells) -> _UnitRef | None:
        ref = self.resolve_unit(c, "village", "thiếu mã thôn")
        if ref is not None and ref.kind not in (UnitKind.VILLAGE, UnitKind.COMMUNE):
            c.fail("village", f"«{ref.code}» là {ref.kind.title.lower()}, không phải thôn / tổ dân phố")
            return None
        return ref

    def team(self, village: _UnitRef, name: str | None) -> _TeamRec:
        """The named team of the village (matched ignoring accents), or its default team (the first); created when missing."""
        key = (village.id, fold(name))
        team = self._teams.get(key)
        if team is not None:
            return team
        self.load_teams([village.id])
        teams = self._village_teams[village.id]
        if name:
            wanted = {fold(name), fold(f"Tổ hòa giải {name}")}
            team = next((t for t in teams if t.search_key in wanted), None)
        else:
            team = teams[0] if teams else None
        if team is None:
            full = nfc(name) or roster.default_team_name(village.name)
            team = _TeamRec(name=full, search_key=fold(full), unit_id=village.id, implicit=True)
            teams.append(team)
            self.add(team)
            self.result.count("team").created += 1
        else:
            self.result.count("team").unchanged += 1
        self._teams[key] = team
        return team

    def column_for(self, attr: str | None) -> str:
        key = _FIELD_COLUMNS.get(attr or "", attr or "")
        return key if key in self.headers else ""

    def service_error(self, c: _Cells, exc: ServiceError, default: str = "") -> None:
        c.fail(self.column_for(exc.field) or default, exc.message.rstrip("."))

    def apply(self, c: _Cells, obj, desired: dict[str, Any], key: tuple, entity: str) -> bool:
        """Bring ``obj`` (a model object or a record) to ``desired`` (only what differs, audited as "import"). A later
        row for the same record may fill what is still blank; a different value is a conflicting duplicate.
        Each record is counted once per file."""
        diffs = {k: v for k, v in desired.items() if getattr(obj, k) != v}
        first = self.seen.get(key)
        if first is not None:
            # the record was already written from an earlier row: this row may fill its blanks, not contradict it
            clashes = [k for k in diffs if getattr(obj, k) is not None]
            if clashes:
                c.fail(self.column_for(clashes[0]), f"trùng lặp mâu thuẫn với dòng {first} (cùng một {ENTITY_TITLES[entity].lower()})")
                return False
            if not diffs:
                return True
        else:
            self.seen[key] = c.row.number
            if not diffs:
                self.result.count(entity).unchanged += 1
                return True
            self.result.count(entity).updated += 1
        before = obj.values() if isinstance(obj, _Rec) else None
        for attr, value in diffs.items():
            if attr == "full_name":
                obj.set_name(value)
            elif attr == "ethnicity":
                obj.set_ethnicity(value)
            elif attr == "name" and hasattr(obj, "search_key"):
                obj.name = value
                obj.search_key = fold(value)
            else:
                setattr(obj, attr, value)
        if before is None:
            audit.record(obj, "import")
            db.session.flush()
            return True
        after = obj.values()
        self.change(obj, {k: (before[k], after[k]) for k in obj.fields if before[k] != after[k]}, "import")
        if isinstance(obj, _PersonRec):
            self._reindex(obj, before)
        return True

    # ------------------------------------------------------------------ people

    def match_person(self, home_id: int | None, name: str | None, year: int | None, phone: str | None) -> tuple[_PersonRec | None, bool]:
        """The person a row means, and whether the phone found them: by phone when the row has one; else
        (or when nobody has that phone) by accent-folded name + birth year (when given) + home unit,
        among people without a phone when the row has one. Scope is the caller's to check.
        Looks in what :meth:`prefetch` loaded for the chunk and what earlier rows of it created."""
        person, by_phone = None, False
        if phone and (found := self._by_phone.get(phone)):
            person, by_phone = found[0], True
        if person is None and name and home_id is not None:
            for candidate in self._by_name.get((home_id, fold(name)), ()):
                if (year is None or candidate.birth_year == year) and not (phone and candidate.phone is not None):
                    person = candidate
                    break
        return person, by_phone

    def person(
        self,
        c: _Cells,
        home: _UnitRef,
        *,
        name: str,
        gender: Gender | None = None,
        birth: tuple[int, dt.date | None] | None = None,
        ethnicity: str | None = None,
        phone: str | None = None,
    ) -> _PersonRec | None:
        year, day = birth if birth else (None, None)
        person, by_phone = self.match_person(home.id, name, year, phone)
        if person is None:
            # as roster.create_person: NFC name and its folded key, "Kinh" when no ethnicity is given
            person = _PersonRec(unit_id=home.id, unit_path=home.path, gender=gender, birth_year=year, birth_date=day, phone=phone, memberships=[])
            person.set_name(nfc(name))
            person.set_ethnicity(nfc(ethnicity) or "Kinh")
            self.add(person)
            self._index(person)
            self.seen[self.key("person", person)] = c.row.number
            self.result.count("person").created += 1
            return person
        if not self.in_scope(person.unit_path):
            c.fail("phone" if by_phone else "name", "người có số điện thoại này thuộc đơn vị ngoài phạm vi quản lý của bạn")
            return None
        if by_phone and fold(name) != person.search_key:
            c.fail("phone", f"số điện thoại «{phone}» đã được dùng cho «{person.full_name}» (người khác tên)")
            return None
        desired: dict[str, Any] = {"full_name": name}
        if gender is not None:
            desired["gender"] = gender
        if day is not None:
            desired.update(birth_year=day.year, birth_date=day)
        elif year is not None:
            desired["birth_year"] = year
            if person.birth_date is not None and person.birth_date.year != year:
                desired["birth_date"] = None
        if ethnicity and fold(ethnicity) != fold(person.ethnicity):
            desired["ethnicity"] = ethnicity
        if phone:
            desired["phone"] = phone
        return person if self.apply(c, person, desired, self.key("person", person), "person") else None

    # ------------------------------------------------------------------ per kind

    def row(self, row: Row) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def finish(self) -> None:
        pass


class _Units(_Run):
    entities = ("unit",)
    columns = UNIT_COLUMNS
    unit_keys = ("code", "parent", "successor")

    def __init__(self, result, scope):
        super().__init__(result, scope)
        self.failed: dict[str, int] = {}
        self.deferred: list[tuple[int, int, str, UnitKind]] = []  # (row, unit id, successor code, kind)

    def row(self, row: Row) -> None:
        c = _Cells(self, row)
        code = c.text("code", "thiếu mã đơn vị", max_len=32)
        code = code.upper() if code else None
        name = c.text("name", "thiếu tên đơn vị")
        kind = c.parse("kind", parse_unit_kind, "thiếu cấp đơn vị")
        parent_code = c.text("parent", max_len=32)
        parent_code = parent_code.upper() if parent_code else None
        is_pilot, minority = c.flag("is_pilot"), c.flag("minority")
        model_year = c.parse("model_year", lambda v: parse_int(v, 1990, 2100))
        valid_from = c.parse("valid_from", parse_date)
        valid_to = c.parse("valid_to", parse_date)
        successor_code = c.text("successor", max_len=32)
        successor_code = successor_code.upper() if successor_code else None

        existing = self.unit(code) if code else None
        if existing is not None and not self.in_scope(existing.path):
            c.fail("code", OUT_OF_SCOPE)  # nothing else about a unit that is not yours
            return
        if existing is not None and kind is not None and existing.kind != kind:
            c.fail("kind", f"đơn vị «{code}» đã có với cấp «{existing.kind.title}»; không thể đổi cấp bằng tệp nhập")
        parent = None
        if parent_code:
            if parent_code == code:
                c.fail("parent", "đơn vị không thể là cấp trên của chính nó")
            elif (parent := self.unit(parent_code)) is None:
                if parent_code in self.failed:
                    c.fail("parent", f"đơn vị cấp trên «{parent_code}» ở dòng {self.failed[parent_code]} bị lỗi")
                else:
                    c.fail("parent", f"không có đơn vị mã «{parent_code}» (đơn vị cấp trên phải có sẵn hoặc nằm ở dòng phía trên)")
            elif not self.in_scope(parent.path):
                c.fail("parent", f"{OUT_OF_SCOPE} («{parent_code}»)")
                parent = None
            elif kind is not None and parent.kind not in ALLOWED_PARENTS[kind]:
                c.fail("parent", f"{kind.title.lower()} không thể trực thuộc {parent.kind.title.lower()} «{parent.name}»")
        elif existing is None and code and kind is not None:
            if kind != UnitKind.PROVINCE:
                c.fail("parent", "thiếu mã cấp trên")
            elif self.scope_path is not None:
                c.fail("code", f"{OUT_OF_SCOPE} (chỉ quản trị hệ thống tạo được tỉnh mới)")
        if valid_from and valid_to and valid_to < valid_from:
            c.fail("valid_to", "ngày hết hiệu lực trước ngày bắt đầu hiệu lực")
        successor = None
        if successor_code:
            if successor_code == code:
                c.fail("successor", "đơn vị kế thừa phải là đơn vị khác")
            elif (successor := self.unit(successor_code)) is not None:
                if not self.in_scope(successor.path):
                    c.fail("successor", f"{OUT_OF_SCOPE} («{successor_code}»)")
                elif kind is not None and successor.kind != kind:
                    c.fail("successor", "đơn vị kế thừa phải cùng cấp")
        if c.bad:
            if code:
                self.failed.setdefault(code, row.number)
            return

        parent_obj = db.session.get(Unit, parent.id) if parent else None
        successor_obj = db.session.get(Unit, successor.id) if successor else None
        if existing is None:
            try:
                unit = roster.create_unit(
                    code=code, name=name, kind=kind, parent=parent_obj, is_pilot=bool(is_pilot), ethnic_minority_area=bool(minority),
                    model_commune_year=model_year, valid_from=valid_from, valid_to=valid_to, successor=successor_obj,
                )
            except ServiceError as exc:
                self.service_error(c, exc, "code")
                self.failed.setdefault(code, row.number)
                return
            self.remember_unit(unit)
            self.seen[("unit", unit.id)] = row.number
            self.result.count("unit").created += 1
        else:
            unit = db.session.get(Unit, existing.id)
            desired: dict[str, Any] = {"name": name}
            for attr, value in (
                ("is_pilot", is_pilot), ("ethnic_minority_area", minority), ("model_commune_year", model_year),
                ("valid_from", valid_from), ("valid_to", valid_to),
            ):
                if value is not None:
                    desired[attr] = value
            if successor is not None:
                desired["successor_id"] = successor.id
            vf, vt = desired.get("valid_from", unit.valid_from), desired.get("valid_to", unit.valid_to)
            if vf and vt and vt < vf:
                c.fail("valid_to", "ngày hết hiệu lực trước ngày bắt đầu hiệu lực")
                return
            if parent_obj is not None and parent_obj.id != unit.parent_id:
                if not self._move(c, unit, parent_obj, desired):
                    return
            elif not self.apply(c, unit, desired, ("unit", unit.id), "unit"):
                return
        if successor_code and successor is None:
            self.deferred.append((row.number, unit.id, successor_code, kind))

    def _move(self, c: _Cells, unit: Unit, parent: Unit, desired: dict[str, Any]) -> bool:
        first = self.seen.get(("unit", unit.id))
        if first is not None:
            c.fail("parent", f"trùng lặp mâu thuẫn với dòng {first} (cùng một đơn vị)")
            return False
        if parent.path.startswith(unit.path):
            c.fail("parent", "không thể chuyển đơn vị vào chính cấp dưới của nó")
            return False
        changed = {k: v for k, v in desired.items() if getattr(unit, k) != v}
        successor_id = changed.pop("successor_id", None)
        if successor_id is not None:
            unit.successor_id = successor_id
        try:
            roster.update_unit(unit, parent=parent, **changed)
        except ServiceError as exc:
            self.service_error(c, exc, "parent")
            return False
        self._units.clear()  # paths below the moved unit changed
        self.seen[("unit", unit.id)] = c.row.number
        self.result.count("unit").updated += 1
        return True

    def finish(self) -> None:
        """Successors named before the row that defines them."""
        for number, unit_id, code, kind in self.deferred:
            row = Row(number=number, values={"successor": code})
            c = _Cells(self, row)
            successor = self.unit(code)
            if successor is None and code in self.failed:
                c.fail("successor", f"đơn vị kế thừa «{code}» ở dòng {self.failed[code]} bị lỗi")
            elif successor is None:
                c.fail("successor", f"không có đơn vị mã «{code}»")
            elif not self.in_scope(successor.path):
                c.fail("successor", f"{OUT_OF_SCOPE} («{code}»)")
            elif successor.kind != kind:
                c.fail("successor", "đơn vị kế thừa phải cùng cấp")
            elif successor.id == unit_id:
                c.fail("successor", "đơn vị kế thừa phải là đơn vị khác")
            else:
                unit = db.session.get(Unit, unit_id)
                if unit.successor_id != successor.id:
                    unit.successor_id = successor.id
                    audit.record(unit, "import")
                    db.session.flush()


class _Mediators(_Run):
    entities = ("person", "team", "membership")
    columns = MEDIATOR_COLUMNS
    finds_people = True

    def prefetch(self, rows: list[Row]) -> None:
        """Also the memberships of the people the chunk may name."""
        super().prefetch(rows)
        cols = [MediatorMembership.id, *(getattr(MediatorMembership, f) for f in _MembershipRec.fields)]
        for batch in _batches(self._people):
            stmt = select(*cols).where(MediatorMembership.person_id.in_(batch)).order_by(MediatorMembership.recognized_on, MediatorMembership.id)
            for found in db.session.execute(stmt):
                person = self._people[found.person_id]
                person.memberships.append(_MembershipRec(**found._asdict(), person=person, team=None))

    def row(self, row: Row) -> None:
        c = _Cells(self, row)
        name = c.text("name", "thiếu họ và tên")
        gender = c.parse("gender", parse_gender)
        birth = c.parse("birth", self.parse_birth)
        ethnicity = c.text("ethnicity", max_len=60)
        phone = c.parse("phone", parse_phone)
        village = self.resolve_village(c)
        team_name = c.text("team")
        decision_no = c.text("decision_no", max_len=60)
        recognized_on = c.parse("recognized_on", parse_date, "thiếu ngày công nhận")
        leader = c.flag("leader")
        left_on = c.parse("left_on", parse_date)
        reason = c.parse("leave_reason", parse_leave_reason)
        if recognized_on and recognized_on > self.today:
            c.fail("recognized_on", "ngày công nhận sau ngày hôm nay")
        if left_on and recognized_on and left_on < recognized_on:
            c.fail("left_on", "ngày thôi trước ngày công nhận")
        if reason and row.values.get("left_on") is None:
            c.fail("left_on", "có lý do thôi nhưng thiếu ngày thôi")
        if c.bad:
            return
        person = self.person(c, village, name=name, gender=gender, birth=birth, ethnicity=ethnicity, phone=phone)
        if person is None:
            return
        team = self.team(village, team_name)
        key = self.key("membership", person, team, recognized_on)
        m = next((x for x in person.memberships if x.recognized_on == recognized_on and x.of_team(team)), None)
        if m is None:
            self.recognize(c, person, team, village, recognized_on, decision_no, bool(leader), left_on, reason)
            if not c.bad:
                self.seen[key] = row.number
                self.result.count("membership").created += 1
            return
        desired: dict[str, Any] = {}
        if decision_no:
            desired["decision_no"] = decision_no
        if leader is not None:
            desired["is_leader"] = leader
        if left_on:
            desired["left_on"] = left_on
        if reason:
            desired.update(leave_reason=reason[0], leave_note=reason[1])
        self.apply(c, m, desired, key, "membership")

    def recognize(self, c: _Cells, person: _PersonRec, team: _TeamRec, village: _UnitRef, recognized_on: dt.date,
                  decision_no: str | None, leader: bool, left_on: dt.date | None, reason: tuple | None) -> None:
        """roster.recognize_mediator (and end_membership when the row has left), on records written in bulk."""
        try:
            roster.check_recognition(recognized_on, team.dissolved_on, [x for x in person.memberships if x.of_team(team)], self.today)
        except ServiceError as exc:
            self.service_error(c, exc, "recognized_on")
            return
        m = _MembershipRec(person=person, team=team, decision_no=nfc(decision_no), recognized_on=recognized_on, is_leader=leader)
        if roster.moves_home(person, team.unit_id, m, self.today):  # registered where they mediate
            before = person.values()
            person.unit_id, person.unit_path = team.unit_id, village.path
            self.change(person, {"unit_id": (before["unit_id"], person.unit_id)}, "update")
            self._reindex(person, before)
        person.memberships.append(m)
        self.add(m, audit_leaves_out=_LEAVE_FIELDS)
        if left_on:
            m.left_on = left_on
            m.leave_reason, m.leave_note = (reason[0], nfc(reason[1])) if reason else (None, None)
            self._audits.append((m, "end", audit.plain_changes({k: (None, getattr(m, k)) for k in _LEAVE_FIELDS})))


class _Trainers(_Run):
    entities = ("person", "appointment")
    columns = TRAINER_COLUMNS
    finds_people = True

    def row(self, row: Row) -> None:
        c = _Cells(self, row)
        name = c.text("name", "thiếu họ và tên")
        gender = c.parse("gender", parse_gender)
        birth = c.parse("birth", parse_birth)
        phone = c.parse("phone", parse_phone)
        level = c.parse("level", parse_trainer_level, "thiếu cấp (tỉnh / huyện)")
        unit = self.resolve_unit(c, "unit", "thiếu mã đơn vị")
        background = c.parse("background", parse_background)
        started_on = c.parse("started_on", parse_date, "thiếu ngày bắt đầu")
        ended_on = c.parse("ended_on", parse_date)
        if unit is not None and level is not None:
            expected = UnitKind.PROVINCE if level == TrainerLevel.PROVINCE else UnitKind.DISTRICT
            if unit.kind != expected:
                c.fail("unit", f"«{unit.code}» là {unit.kind.title.lower()}; tập huấn viên {level.title.lower()} phải thuộc đơn vị {expected.title.lower()}")
        if started_on and ended_on and ended_on < started_on:
            c.fail("ended_on", "ngày kết thúc trước ngày bắt đầu")
        if c.bad:
            return
        rec = self.person(c, unit, name=name, gender=gender, birth=birth, phone=phone)
        if rec is None:
            return
        person = self.orm(rec)
        key = ("appointment", person.id, level, unit.id, started_on)
        a = db.session.scalar(
            select(TrainerAppointment).where(
                TrainerAppointment.person_id == person.id, TrainerAppointment.level == level, TrainerAppointment.unit_id == unit.id,
                TrainerAppointment.started_on == started_on,
            )
        )
        if a is None:
            try:
                roster.appoint_trainer(
                    person=person, level=level, unit=db.session.get(Unit, unit.id), started_on=started_on, background=background, ended_on=ended_on
                )
            except ServiceError as exc:
                self.service_error(c, exc, "unit")
                return
            self.seen[key] = row.number
            self.result.count("appointment").created += 1
            return
        desired: dict[str, Any] = {}
        if background is not None:
            desired["background"] = background
        if ended_on is not None:
            desired["ended_on"] = ended_on
        self.apply(c, a, desired, key, "appointment")


class _Supporters(_Run):
    entities = ("person", "team", "support")
    columns = SUPPORTER_COLUMNS
    finds_people = True

    def row(self, row: Row) -> None:
        c = _Cells(self, row)
        name = c.text("name", "thiếu họ và tên")
        background = c.parse("background", parse_background)
        village = self.resolve_village(c)
        team_name = c.text("team")
        from_on = c.parse("from_on", parse_date, "thiếu ngày bắt đầu hỗ trợ («Từ ngày»)")
        to_on = c.parse("to_on", parse_date)
        if from_on and to_on and to_on < from_on:
            c.fail("to_on", "ngày kết thúc trước ngày bắt đầu")
        if c.bad:
            return
        rec = self.person(c, village, name=name)
        if rec is None:
            return
        team_rec = self.team(village, team_name)
        person, team = self.orm(rec), self.orm(team_rec)
        key = ("support", person.id, team.id, from_on)
        s = db.session.scalar(
            select(LegalSupport).where(LegalSupport.person_id == person.id, LegalSupport.team_id == team.id, LegalSupport.from_on == from_on)
        )
        if s is None:
            try:
                roster.add_legal_support(person=person, team=team, from_on=from_on, background=background, to_on=to_on)
            except ServiceError as exc:
                self.service_error(c, exc, "from_on")
                return
            self.seen[key] = row.number
            self.result.count("support").created += 1
            return
        desired: dict[str, Any] = {}
        if background is not None:
            desired["background"] = background
        if to_on is not None:
            desired["to_on"] = to_on
        self.apply(c, s, desired, key, "support")


class _Cases(_Run):
    """A team's mediation cases in a quarter; the team must exist (an import never creates one here)."""

    entities = ("case_stat",)
    columns = CASE_COLUMNS

    def __init__(self, result, scope):
        super().__init__(result, scope)
        self._team_ids: dict[tuple[int, str], int] = {}

    def find_team(self, c: _Cells, village: _UnitRef, name: str | None) -> Team | None:
        key = (village.id, fold(name))
        if key in self._team_ids:
            return db.session.get(Team, self._team_ids[key])
        unit = db.session.get(Unit, village.id)
        if name:
            wanted = {fold(name), fold(f"Tổ hòa giải {name}")}
            team = db.session.scalar(select(Team).where(Team.unit_id == unit.id, Team.search_key.in_(wanted)).order_by(Team.id).limit(1))
            if team is None:
                c.fail("team", f"không có tổ hòa giải «{name}» ở {unit.name} ({unit.code})")
                return None
        else:
            team = roster.default_team(unit, create=False)
            if team is None:
                c.fail("village", f"{unit.name} ({unit.code}) chưa có tổ hòa giải nào")
                return None
        self._team_ids[key] = team.id
        return team

    def row(self, row: Row) -> None:
        c = _Cells(self, row)
        village = self.resolve_village(c)
        team_name = c.text("team")
        year = c.parse("year", parse_year, "thiếu năm")
        quarter = c.parse("quarter", parse_quarter, "thiếu quý")
        counts = {key: c.parse(key, parse_count, f"thiếu số «{cases.FIELD_TITLES[key]}»") for key in cases.COUNT_FIELDS}
        errors = cases.period_errors(year, quarter) if year is not None and quarter is not None else {}
        if all(v is not None for v in counts.values()):
            errors.update(cases.count_errors(**counts))
        for key, message in errors.items():
            c.fail(key, message.rstrip("."))
        if c.bad:
            return
        team = self.find_team(c, village, team_name)
        if team is None:
            return
        key = ("case_stat", team.id, year, quarter)
        first = self.seen.get(key)
        if first is not None:
            stat = cases.find_quarter(team, year, quarter)
            differ = [k for k, v in counts.items() if getattr(stat, k) != v]
            if differ:
                c.fail(differ[0], f"trùng lặp mâu thuẫn với dòng {first} (cùng tổ hòa giải, cùng quý {quarter}/{year})")
            return
        try:
            saved = cases.save_quarter(team, year, quarter, **counts)
        except ServiceError as exc:
            self.service_error(c, exc, "received")
            return
        self.seen[key] = row.number
        counted = self.result.count("case_stat")
        setattr(counted, saved.action, getattr(counted, saved.action) + 1)


@dataclass(frozen=True)
class ImportKind:
    key: str
    title: str
    columns: list[Column]
    runner: type[_Run]
    note: str
    #: Part of the template's file name (``mau-nhap-<slug>.xlsx``); default: the key.
    slug: str = ""


KINDS: dict[str, ImportKind] = {
    "units": ImportKind(
        "units", "Đơn vị hành chính", UNIT_COLUMNS, _Units,
        "Mỗi dòng một đơn vị. Đơn vị cấp trên phải có sẵn hoặc nằm ở dòng phía trên. Cấp: tỉnh / huyện / xã / thôn.",
    ),
    "mediators": ImportKind(
        "mediators", "Hòa giải viên", MEDIATOR_COLUMNS, _Mediators,
        "Mỗi dòng một lần được công nhận. Để trống «Tổ hòa giải» thì dùng tổ của thôn (tự tạo nếu chưa có).",
    ),
    "trainers": ImportKind(
        "trainers", "Tập huấn viên", TRAINER_COLUMNS, _Trainers,
        "Mỗi dòng một lần bổ nhiệm. Cấp tỉnh thì «Mã đơn vị» là mã tỉnh; cấp huyện thì là mã huyện.",
    ),
    "supporters": ImportKind(
        "supporters", "Người hỗ trợ pháp lý", SUPPORTER_COLUMNS, _Supporters,
        "Mỗi dòng một lần hỗ trợ một tổ hòa giải. Để trống «Tổ hòa giải» thì dùng tổ của thôn.",
    ),
    "cases": ImportKind(
        "cases", "Thống kê vụ việc hòa giải", CASE_COLUMNS, _Cases,
        "Mỗi dòng là số vụ việc của một tổ hòa giải trong một quý. «Tiếp nhận» gồm mọi vụ việc tổ giải quyết trong quý "
        "(mới và kỳ trước chuyển sang), nên Thành + Không thành + Đang giải quyết = Tiếp nhận. Để trống «Tổ hòa giải» "
        "thì dùng tổ của thôn; tổ phải có sẵn. Nhập lại cùng quý thì số liệu được thay bằng số mới.",
        "thong-ke-vu-viec",
    ),
}


def register_kind(kind: ImportKind, entity_titles: Mapping[str, str] | None = None) -> None:
    """Add an import kind from another area (e.g. certificates, which org must not import).

    ``KINDS`` is updated in place: the screens and commands look kinds up in it when used.
    ``entity_titles`` names the kind's records in the result (``{"certificate": "Giấy chứng nhận"}``).
    """
    KINDS[kind.key] = kind
    ENTITY_TITLES.update(entity_titles or {})


def run_import(
    kind: str,
    stream: IO[bytes],
    filename: str,
    scope: Unit | None = None,
    dry_run: bool = False,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> ImportResult:
    """Validate the whole file and, unless ``dry_run`` or any row is bad, apply it (flushed, not committed).

    ``scope`` is the importer's unit (its subtree is what may be read and changed); ``None`` means
    everywhere (system administrator, command line). The rows are handled in chunks of :data:`CHUNK`: what a
    chunk refers to is looked up first, then its rows are checked and applied in order, then what they created
    or changed is written; ``on_progress(rows done, rows in the file or None)`` is called after each chunk.
    Raises only on unexpected database errors, after undoing its own work; the caller commits or rolls back.
    """
    spec = KINDS[kind]
    result = ImportResult(kind=kind, dry_run=dry_run)
    size: list[int | None] = [None]
    savepoint = db.session.begin_nested()
    try:
        run = spec.runner(result, scope)
        rows = read_rows(stream, filename, spec.columns, on_size=lambda n: size.__setitem__(0, n))
        for chunk in _batches(rows, CHUNK):
            run.prefetch(chunk)
            for row in chunk:
                result.rows += 1
                run.row(row)
            run.flush_pending()
            if on_progress:
                on_progress(result.rows, size[0])
        run.finish()
        run.flush_pending()
        if result.rows == 0:
            result.file_error = "Tệp không có dòng dữ liệu nào (chỉ có dòng tiêu đề)."
    except SpreadsheetError as exc:
        result.file_error = str(exc)
    except BaseException:
        savepoint.rollback()
        raise
    if dry_run or not result.ok:
        savepoint.rollback()
    else:
        savepoint.commit()
    return result


def build_file(rows: Sequence[Mapping[str, Any]], fmt: str = "xlsx", headers: Sequence[str] | None = None) -> bytes:
    """A spreadsheet (``xlsx`` or ``csv``) whose columns are the rows' keys, for tests and demo data.

    ``headers`` (default: the keys in order of first appearance) are written as they are, so any
    spelling of a header can be tried; values may be dates, numbers or text.
    """
    if headers is None:
        headers = list(dict.fromkeys(k for r in rows for k in r))
    table = [[r.get(h) for h in headers] for r in rows]
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(headers)
        for values in table:
            writer.writerow(["" if v is None else v.strftime("%d/%m/%Y") if isinstance(v, dt.date) else v for v in values])
        return buf.getvalue().encode("utf-8")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Dữ liệu")
    ws.append(list(headers))
    for values in table:
        ws.append(values)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
