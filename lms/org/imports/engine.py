"""The import engine: :class:`ImportRun` (what every kind's runner shares: cells, lookups, writes, people and
team matching), :class:`ImportKind` and the registry of kinds (:data:`KINDS`, :func:`register_kind`), and
:func:`run_import`.

A run reads the file once (``core.spreadsheet.read_rows``: calamine for XLSX, or CSV) in chunks of :data:`CHUNK`
rows, inside one SAVEPOINT. For each chunk, what its rows refer to (units, teams, people) is looked up in a few
queries; then its rows are checked and applied in order, so rows may refer to what earlier rows created (a
commune defined above its villages, a person repeated on several rows); then the people, teams and memberships
they created or changed are written in a few multi-row statements (``core.bulk``) with their audit rows. Every
bad row is collected, never only the first. On a dry run, or when any row is bad, the savepoint is rolled back:
nothing is written, and the counts say exactly what the real import would do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import IO, Any

from sqlalchemy import select, update

from ...core import audit, bulk, clock
from ...core.collation import team_sort_key
from ...core.errors import ServiceError
from ...core.phones import normalize_phone
from ...core.spreadsheet import Column, Row, RowError, SpreadsheetError, parse_flag, read_rows
from ...core.text import fold, nfc
from ...extensions import db
from ..history import in_any, scope_ranges
from ..models import Gender, MediatorMembership, Person, Team, Unit, UnitKind, training_deadline
from ..services import roster
from .parsers import cell_text, parse_birth
from .records import PersonRecord, Record, TeamRecord
from .result import ENTITY_TITLES, Change, ImportResult

# --------------------------------------------------------------------------- cells of a row


@dataclass(frozen=True, slots=True)
class UnitRef:
    """A unit as a run looks it up by code (not an ORM object)."""

    id: int
    code: str
    kind: UnitKind
    path: str
    name: str
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)

    def overlaps(self, valid_from: dt.date | None, valid_to: dt.date | None) -> bool:
        return (valid_to is None or self.valid_from is None or self.valid_from <= valid_to) and (
            valid_from is None or self.valid_to is None or valid_from <= self.valid_to
        )


_UNIT_REF_COLUMNS = (Unit.id, Unit.code, Unit.kind, Unit.path, Unit.name, Unit.valid_from, Unit.valid_to)


OUT_OF_SCOPE = "đơn vị ngoài phạm vi quản lý của bạn"


def _shown(value: Any) -> str:
    """A value as a change lists it: dates as dd/mm/yyyy, nothing as "(trống)"."""
    if value is None or value == "":
        return "(trống)"
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    title = getattr(value, "title", None)
    return title if isinstance(title, str) else str(value)

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


class Cells:
    """One row being read: parsed values, and whether any cell was bad."""

    def __init__(self, run: ImportRun, row: Row):
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


# --------------------------------------------------------------------------- runs

#: Rows read, looked up and written together: one round of SELECTs before the rows, one of INSERTs after.
CHUNK = 2000
#: Values per ``IN (…)`` list.
_IN_BATCH = 1000


def batches(values: Iterable[Any], size: int = _IN_BATCH) -> Iterator[list[Any]]:
    """``values`` in lists of at most ``size`` (an ``IN (…)`` list, a chunk of rows)."""
    it = iter(values)
    while batch := list(islice(it, size)):
        yield batch


def _id_order(rec: Record) -> tuple[bool, int]:
    """Records in the database by id, then the new ones (which will get higher ids)."""
    return (rec.id is None, rec.id or 0)


class ImportRun:
    """One import of one file: the base of every kind's runner (``kinds``; ``certificates.imports``).

    A runner sets :attr:`entities` (the kinds of record it counts) and :attr:`columns`, and implements
    :meth:`row` (and :meth:`finish` for what can only be checked at the end of the file)."""

    entities: tuple[str, ...] = ()
    columns: list[Column] = []
    #: Columns holding unit codes: looked up once per chunk of rows.
    unit_keys: tuple[str, ...] = ("village", "unit")
    #: Whether rows name people (phone, name): looked up once per chunk of rows.
    finds_people: bool = False

    def __init__(self, result: ImportResult, scope: Unit | None):
        self.result = result
        #: the path ranges the importer sees (its unit's subtree and what merged into it), ``None``: everywhere
        self.scope_ranges = scope_ranges(scope.path) if scope is not None else None
        self.headers = {c.key: c.header for c in self.columns}
        self.today = clock.today()
        #: code → every unit with that code (the state reuses codes: a code names a unit together with the day)
        self._units: dict[str, list[UnitRef]] = {}
        self._teams: dict[tuple[int, str], TeamRecord] = {}
        self._village_teams: dict[int, list[TeamRecord]] = {}
        #: (entity, id, ...) → the row that first touched the record in this file
        self.seen: dict[tuple, int] = {}
        self._pending_keys: list[tuple] = []
        # the people the current chunk may name, by phone and by (unit, folded name), in id order
        self._people: dict[int, PersonRecord] = {}
        self._by_phone: dict[str, list[PersonRecord]] = {}
        self._by_name: dict[tuple[int, str], list[PersonRecord]] = {}
        # what flush_pending writes
        self._new: dict[type, list[Record]] = {}
        self._updates: dict[type, dict[int, dict[str, Any]]] = {}
        self._audits: list[tuple[Record, str, Any]] = []
        for entity in self.entities:
            result.count(entity)

    # ------------------------------------------------------------------ helpers

    def error(self, row: Row, key: str, message: str) -> None:
        self.result.errors.append(RowError(row.number, self.headers.get(key, ""), message))

    def in_scope(self, path: str) -> bool:
        return self.scope_ranges is None or in_any(path, self.scope_ranges)

    def parse_birth(self, value: Any) -> tuple[int, dt.date | None]:
        return parse_birth(value, self.today)

    def key(self, *parts: Any) -> tuple:
        """A key of :attr:`seen`; a record not yet written stands for itself until :meth:`flush_pending` gives it an id."""
        key = tuple(p.id if isinstance(p, Record) and p.id is not None else p for p in parts)
        if any(isinstance(p, Record) for p in key):
            self._pending_keys.append(key)
        return key

    # ------------------------------------------------------------------ lookups, once per chunk

    def prefetch(self, rows: list[Row]) -> None:
        """Load what the rows of a chunk refer to: units by code, the villages' teams, the people they may name."""
        codes = {code.upper() for row in rows for key in self.unit_keys if (code := row.text(key))}
        self.load_units(codes)
        units = [ref for code in codes for ref in self._units.get(code, ())]
        if "team" in self.entities:
            self.load_teams(ref.id for ref in units if ref.kind in (UnitKind.VILLAGE, UnitKind.COMMUNE))
        if self.finds_people:
            self.load_people(rows, {ref.id for ref in units})

    def load_units(self, codes: Iterable[str]) -> None:
        missing = [code for code in codes if code not in self._units]
        for batch in batches(missing):
            for code in batch:
                self._units[code] = []
            for found in db.session.execute(select(*_UNIT_REF_COLUMNS).where(Unit.code.in_(batch)).order_by(Unit.id)):
                self._units[found.code].append(UnitRef(*found))

    def load_teams(self, unit_ids: Iterable[int]) -> None:
        missing = [uid for uid in set(unit_ids) if uid not in self._village_teams]
        cols = [Team.id, *(getattr(Team, f) for f in TeamRecord.fields)]
        for batch in batches(missing):
            for uid in batch:
                self._village_teams[uid] = []
            for found in db.session.execute(select(*cols).where(Team.unit_id.in_(batch)).order_by(Team.id)):
                self._village_teams[found.unit_id].append(TeamRecord(**found._asdict()))

    def load_people(self, rows: list[Row], homes: set[int]) -> None:
        """The people the rows may name: by phone (anywhere), or by folded name in the rows' units."""
        phones, names = set(), set()
        for row in rows:
            raw = row.values.get("phone")
            if raw is not None and (phone := normalize_phone(cell_text(raw))):
                phones.add(phone)
            if name := row.text("name"):
                names.add(fold(name))
        self._people, self._by_phone, self._by_name = {}, {}, {}
        cols = [Person.id, *(getattr(Person, f) for f in PersonRecord.fields), Unit.path.label("unit_path")]
        base = select(*cols).join(Unit, Unit.id == Person.unit_id)
        stmts = [base.where(Person.phone.in_(batch)) for batch in batches(phones)]
        if homes:
            home_list = sorted(homes)
            stmts += [base.where(Person.unit_id.in_(home_list), Person.search_key.in_(batch)) for batch in batches(names)]
        for stmt in stmts:
            for found in db.session.execute(stmt):
                if found.id not in self._people:
                    self._people[found.id] = PersonRecord(**found._asdict(), memberships=[])
        for person in sorted(self._people.values(), key=lambda p: p.id):
            self._index(person)

    def _index(self, person: PersonRecord) -> None:
        if person.phone:
            self._by_phone.setdefault(person.phone, []).append(person)
        self._by_name.setdefault((person.unit_id, person.search_key), []).append(person)

    def _reindex(self, person: PersonRecord, before: Mapping[str, Any]) -> None:
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

    def add(self, rec: Record, audit_leaves_out: frozenset[str] = frozenset()) -> None:
        """A new record, inserted (and audited as created) by the next :meth:`flush_pending`."""
        self._new.setdefault(rec.model, []).append(rec)
        self._audits.append((rec, "create", audit_leaves_out))

    def change(self, rec: Record, changes: Mapping[str, tuple[Any, Any]], action: str) -> None:
        """Changed columns ``{field: (old, new)}`` of a record, written and audited by the next :meth:`flush_pending`."""
        if rec.id is None:
            return  # not written yet: inserted with its final values
        self._updates.setdefault(rec.model, {}).setdefault(rec.id, {}).update({k: new for k, (_, new) in changes.items()})
        self._audits.append((rec, action, audit.plain_changes(changes)))

    def orm(self, rec: Record):
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
                self.seen[tuple(p.id if isinstance(p, Record) else p for p in key)] = self.seen.pop(key)
        self._pending_keys.clear()

    # ------------------------------------------------------------------ units and teams

    def units_with_code(self, code: str) -> list[UnitRef]:
        """Every unit with this code, old and current."""
        if code not in self._units:
            self.load_units([code])
        return self._units[code]

    def unit(self, code: str, day: dt.date | None = None) -> UnitRef | None:
        """The unit with this code on ``day`` (default today); when none is valid that day, the latest one
        (the same choice as ``Unit.code_order``)."""
        units = self.units_with_code(code)
        if not units:
            return None
        day = day or self.today
        return min(units, key=lambda u: (not u.valid_on(day), u.valid_to is not None, -(u.valid_to or dt.date.min).toordinal(), -u.id))

    def remember_unit(self, unit: Unit | UnitRef) -> None:
        """Look ``unit`` up as it is now (created, or its name or validity changed in this file)."""
        refs = [r for r in self.units_with_code(unit.code) if r.id != unit.id]
        refs.append(UnitRef(unit.id, unit.code, unit.kind, unit.path, unit.name, unit.valid_from, unit.valid_to))
        self._units[unit.code] = refs

    def forget_units(self) -> None:
        """Paths or validity changed (a unit moved or ended): look units up again."""
        self._units.clear()

    def resolve_unit(self, c: Cells, key: str, missing: str | None = None) -> UnitRef | None:
        code = c.text(key, missing, max_len=32)
        if code is None:
            return None
        code = code.upper()
        ref = self.unit(code)
        if ref is None and code.isdigit():
            # a number that lost its leading zeros in Excel: a commune's 5 digits, else a district's 3 or a province's 2
            ref = next((r for d in (5, 3, 2) if len(code) < d and (r := self.unit(code.zfill(d))) is not None), None)
        if ref is None:
            c.fail(key, f"không có đơn vị mã «{code}»")
        elif not self.in_scope(ref.path):
            c.fail(key, f"{OUT_OF_SCOPE} («{code}»)")
            return None
        return ref

    def resolve_village(self, c: Cells) -> UnitRef | None:
        ref = self.resolve_unit(c, "village", "thiếu mã thôn")
        if ref is not None and ref.kind not in (UnitKind.VILLAGE, UnitKind.COMMUNE):
            c.fail("village", f"«{ref.code}» là {ref.kind.title.lower()}, không phải thôn / tổ dân phố")
            return None
        return ref

    def team(self, village: UnitRef, name: str | None) -> TeamRecord:
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
            team = TeamRecord(name=full, search_key=fold(full), sort_key=team_sort_key(full), unit_id=village.id, implicit=True)
            teams.append(team)
            self.add(team)
            self.result.count("team").created += 1
        else:
            self.result.count("team").unchanged += 1
        self._teams[key] = team
        return team

    def needs_confirmation(self, c: Cells, record: str, key: str, before: Any, after: Any) -> bool:
        """A change that rewrites what an existing record was: listed in the result, and applied (``True``) only
        when the officer confirmed the changes of this import; otherwise it is an error of the row."""
        before, after = _shown(before), _shown(after)
        self.result.changes_to_confirm.append(Change(c.row.number, record, self.headers.get(key, key), before, after))
        if self.result.confirmed:
            return True
        c.fail(key, f"sẽ đổi «{before}» thành «{after}»: thay đổi này cần được xác nhận (nếu đúng, nhập lại và xác nhận các thay đổi)")
        return False

    def column_for(self, attr: str | None) -> str:
        key = _FIELD_COLUMNS.get(attr or "", attr or "")
        return key if key in self.headers else ""

    def service_error(self, c: Cells, exc: ServiceError, default: str = "") -> None:
        c.fail(self.column_for(exc.field) or default, exc.message.rstrip("."))

    def apply(self, c: Cells, obj, desired: dict[str, Any], key: tuple, entity: str) -> bool:
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
        before = obj.values() if isinstance(obj, Record) else None
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
        if isinstance(obj, PersonRecord):
            self._reindex(obj, before)
        return True

    # ------------------------------------------------------------------ people

    def match_person(self, home_id: int | None, name: str | None, year: int | None, phone: str | None) -> tuple[PersonRecord | None, bool]:
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
        c: Cells,
        home: UnitRef,
        *,
        name: str,
        gender: Gender | None = None,
        birth: tuple[int, dt.date | None] | None = None,
        ethnicity: str | None = None,
        phone: str | None = None,
    ) -> PersonRecord | None:
        year, day = birth if birth else (None, None)
        person, by_phone = self.match_person(home.id, name, year, phone)
        if person is None:
            # as roster.create_person: NFC name and its folded key, "Kinh" when no ethnicity is given
            person = PersonRecord(unit_id=home.id, unit_path=home.path, gender=gender, birth_year=year, birth_date=day, phone=phone, memberships=[])
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


# --------------------------------------------------------------------------- kinds


@dataclass(frozen=True)
class ImportKind:
    """What the import page, the template downloads and the commands know of a kind; ``runner`` does the work."""

    key: str
    title: str
    columns: list[Column]
    runner: type[ImportRun]
    note: str
    #: Part of the template's file name (``mau-nhap-<slug>.xlsx``); default: the key.
    slug: str = ""


#: Every import kind by key, in the order of the import page: the org area's (``kinds``), then those other areas
#: register at start-up (certificates).
KINDS: dict[str, ImportKind] = {}


def register_kind(kind: ImportKind, entity_titles: Mapping[str, str] | None = None) -> None:
    """Add an import kind: the org area's own (``kinds``), or another area's (certificates, which org must not import).

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
    confirm_changes: bool = False,
) -> ImportResult:
    """Validate the whole file and, unless ``dry_run`` or any row is bad, apply it (flushed, not committed).

    ``scope`` is the importer's unit (what it sees, :func:`~lms.org.history.scope_ranges`, is what may be read and changed); ``None`` means
    everywhere (system administrator, command line). The rows are handled in chunks of :data:`CHUNK`: what a
    chunk refers to is looked up first, then its rows are checked and applied in order, then what they created
    or changed is written; ``on_progress(rows done, rows in the file or None)`` is called after each chunk.
    Changes to existing records that rewrite what they were (a unit renamed, moved, ended) are listed in
    ``result.changes_to_confirm``; unless ``confirm_changes``, each is also a row error, so nothing is written.
    Raises only on unexpected database errors, after undoing its own work; the caller commits or rolls back.
    """
    spec = KINDS[kind]
    result = ImportResult(kind=kind, dry_run=dry_run, confirmed=confirm_changes)
    size: list[int | None] = [None]
    savepoint = db.session.begin_nested()
    try:
        run = spec.runner(result, scope)
        rows = read_rows(stream, filename, spec.columns, on_size=lambda n: size.__setitem__(0, n))
        for chunk in batches(rows, CHUNK):
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

