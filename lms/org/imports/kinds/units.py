"""Import kind "units": administrative units (province, district, commune, village) with the state's codes.

A code names a unit together with the day (the state reuses codes: old Phường An Hòa 31120, ended 30 June 2025,
and today's Phường Cái Khế 31120 are two units). A row is the existing unit with its code whose validity overlaps
the row's (``Hiệu lực từ`` / ``Hiệu lực đến``), else a new unit. A parent is the unit with its code valid while the
row's unit is (at its end, for an ended unit); a successor is the unit with its code valid the day after the row's
``Hiệu lực đến``, and may be defined further down the file. A village of a commune split among several new
communes names its own successor: the same village under the commune it went to, on a row of its own.

Codes are text as the state writes them; a number that lost its leading zeros in Excel is padded by the row's
level (``4`` on a commune row is ``00004``). A unit's level cannot be changed by an import; renaming, moving,
ending or retyping an existing unit rewrites what it was, so it is applied only when the officer confirms the
changes of the import (listed field by field in the dry run), else reported as errors and nothing is written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from ....core import audit
from ....core.errors import ServiceError
from ....core.spreadsheet import Row, parse_date, parse_int
from ....extensions import db
from ...models import ALLOWED_PARENTS, Unit, UnitKind
from ...services import roster
from ..columns import UNIT_COLUMNS
from ..engine import OUT_OF_SCOPE, Cells, ImportKind, ImportRun, UnitRef
from ..parsers import OFFICIAL_CODE_DIGITS, cell_text, official_code, parse_unit_type

_DAY = dt.timedelta(days=1)


def _date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


class _Units(ImportRun):
    entities = ("unit",)
    columns = UNIT_COLUMNS
    unit_keys = ("code", "parent", "successor")

    def __init__(self, result, scope):
        super().__init__(result, scope)
        self.failed: dict[str, int] = {}
        #: (row, unit id, successor code, kind, the day the successor must be valid)
        self.deferred: list[tuple[int, int, str, UnitKind, dt.date]] = []
        #: Units whose changes wait for the officer's confirmation (nothing will be written): later rows see them
        #: as they would be, so the dry run lists each change once and nothing that follows from it
        self.pending_ids: set[int] = set()

    # ------------------------------------------------------------------ lookups by code and day

    def existing(self, code: str, valid_from: dt.date | None, valid_to: dt.date | None) -> UnitRef | None:
        """The unit with ``code`` whose validity overlaps the row's; when several do (an undated row), the one
        valid on the row's first day, else today's."""
        overlapping = [u for u in self.units_with_code(code) if u.overlaps(valid_from, valid_to)]
        if len(overlapping) <= 1:
            return overlapping[0] if overlapping else None
        day = valid_from or valid_to or self.today
        return next((u for u in overlapping if u.valid_on(day)), None) or self.unit(code)

    def lookup(self, raw: Any, kinds: tuple[UnitKind | None, ...], day: dt.date) -> tuple[str | None, UnitRef | None, list[UnitRef]]:
        """A code cell naming a unit of one of ``kinds``: (the code as written or padded, the unit valid on ``day``,
        the units with the code valid on other days)."""
        written = cell_text(raw).upper() if raw is not None else ""
        if not written:
            return None, None, []
        candidates = [written]
        if isinstance(raw, (int, float)) or written.isdigit():
            candidates += [c for k in kinds if k in OFFICIAL_CODE_DIGITS and (c := official_code(written, k)) not in candidates]
        for code in candidates:
            units = self.units_with_code(code)
            valid = [u for u in units if u.valid_on(day)]
            if valid:
                return code, valid[0], []
            if units:
                return code, None, units
        return next((code for code in candidates if code in self.failed), written), None, []

    # ------------------------------------------------------------------ a row

    def row(self, row: Row) -> None:  # noqa: C901, PLR0912, PLR0915 (one row's checks, in the order of the columns)
        c = Cells(self, row)
        name = c.text("name", "thiếu tên đơn vị")
        kind_type = c.parse("kind", lambda v: parse_unit_type(v, name), "thiếu cấp đơn vị")
        kind, unit_type = kind_type if kind_type else (None, None)
        code = official_code(row.values.get("code"), kind)
        if not code:
            c.fail("code", "thiếu mã đơn vị")
        elif len(code) > 32:
            c.fail("code", "dài quá 32 ký tự")
            code = None
        is_pilot, minority = c.flag("is_pilot"), c.flag("minority")
        model_year = c.parse("model_year", lambda v: parse_int(v, 1990, 2100))
        valid_from = c.parse("valid_from", parse_date)
        valid_to = c.parse("valid_to", parse_date)
        if valid_from and valid_to and valid_to < valid_from:
            c.fail("valid_to", "ngày hết hiệu lực trước ngày bắt đầu hiệu lực")

        existing = self.existing(code, valid_from, valid_to) if code else None
        if existing is not None and not self.in_scope(existing.path):
            c.fail("code", OUT_OF_SCOPE)  # nothing else about a unit that is not yours
            return
        if existing is not None and kind is not None and existing.kind != kind:
            c.fail("kind", f"đơn vị «{code}» đã có với cấp «{existing.kind.title}»; không thể đổi cấp bằng tệp nhập")
        ends = valid_to or (existing.valid_to if existing else None)
        starts = valid_from or (existing.valid_from if existing else None)
        on = ends or starts or self.today  # the parent must be valid while the unit is (at its end, for an ended unit)

        parent = None
        parent_raw = row.values.get("parent")
        if parent_raw is not None and kind is not None:
            parent_code, parent, other_days = self.lookup(parent_raw, ALLOWED_PARENTS[kind], on)
            if parent_code == code and (parent is None or (existing is not None and parent.id == existing.id)):
                c.fail("parent", "đơn vị không thể là cấp trên của chính nó")
                parent = None
            elif parent is None and other_days:
                spans = "; ".join(_span(u) for u in other_days)
                c.fail("parent", f"đơn vị cấp trên «{parent_code}» không có hiệu lực ngày {_date(on)} ({spans})")
            elif parent is None:
                if parent_code in self.failed:
                    c.fail("parent", f"đơn vị cấp trên «{parent_code}» ở dòng {self.failed[parent_code]} bị lỗi")
                else:
                    c.fail("parent", f"không có đơn vị mã «{parent_code}» (đơn vị cấp trên phải có sẵn hoặc nằm ở dòng phía trên)")
            elif not self.in_scope(parent.path):
                c.fail("parent", f"{OUT_OF_SCOPE} («{parent_code}»)")
                parent = None
            elif parent.kind not in ALLOWED_PARENTS[kind]:
                c.fail("parent", f"{kind.title.lower()} không thể trực thuộc {parent.kind.title.lower()} «{parent.name}»")
                parent = None
        elif existing is None and code and kind is not None:
            if kind != UnitKind.PROVINCE:
                c.fail("parent", "thiếu mã cấp trên")
            elif self.scope_ranges is not None:
                c.fail("code", f"{OUT_OF_SCOPE} (chỉ quản trị hệ thống tạo được tỉnh mới)")

        # the successor is looked up at the end of the file, once every row has set its units' validity
        successor_code, successor_day = None, None
        if row.values.get("successor") is not None and kind is not None:
            if ends is None:
                c.fail("successor", "ghi đơn vị kế thừa thì phải có ngày hết hiệu lực (cột «Hiệu lực đến»)")
            else:
                successor_code, successor_day = official_code(row.values["successor"], kind), ends + _DAY
        if existing is not None and not self._confirmed(c, existing, name, unit_type, valid_from, valid_to, parent):
            self._pending(existing, name, valid_from, valid_to)
        if c.bad:
            if code:
                self.failed.setdefault(code, row.number)
            return

        parent_obj = db.session.get(Unit, parent.id) if parent else None
        if existing is None:
            if self.pending_ids and (other := roster.code_clash(code, valid_from, valid_to)) is not None and other.id in self.pending_ids:
                self.result.count("unit").created += 1  # once the unconfirmed end of the unit that had the code is confirmed
                return
            try:
                unit = roster.create_unit(
                    code=code, name=name, kind=kind, parent=parent_obj, is_pilot=bool(is_pilot), ethnic_minority_area=bool(minority),
                    model_commune_year=model_year, valid_from=valid_from, valid_to=valid_to, unit_type=unit_type,
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
                ("valid_from", valid_from), ("valid_to", valid_to), ("unit_type", unit_type),
            ):
                if value is not None:
                    desired[attr] = value
            if roster.code_clash(code, desired.get("valid_from", unit.valid_from), desired.get("valid_to", unit.valid_to), unit.id):
                c.fail("valid_from", f"mã «{code}» đã thuộc một đơn vị khác trong khoảng thời gian này")
                return
            if parent_obj is not None and parent_obj.id != unit.parent_id:
                if not self._move(c, unit, parent_obj, desired):
                    return
            elif not self.apply(c, unit, desired, ("unit", unit.id), "unit"):
                return
            self.remember_unit(unit)
        if successor_code:
            self.deferred.append((row.number, unit.id, successor_code, kind, successor_day))

    def _pending(self, ref: UnitRef, name, valid_from, valid_to) -> None:
        self.pending_ids.add(ref.id)
        self.remember_unit(dataclasses.replace(ref, name=name or ref.name, valid_from=valid_from or ref.valid_from, valid_to=valid_to or ref.valid_to))

    def _confirmed(self, c: Cells, ref: UnitRef, name, unit_type, valid_from, valid_to, parent: UnitRef | None) -> bool:
        """Every change that rewrites what the unit was (name, type, parent, validity) is listed; all of them
        must be confirmed for the row to apply (a new successor of a unit ended before: :meth:`finish`)."""
        unit = db.session.get(Unit, ref.id)
        if ("unit", unit.id) in self.seen:
            return True  # a later row for the same unit: it may fill blanks, not contradict the first (``apply``)
        record = f"{unit.name} ({unit.code})"
        ok = True
        changes = [
            ("name", unit.name, name, name is not None and name != unit.name),
            ("kind", unit.type_title, _title(unit_type), unit_type is not None and unit_type != unit.unit_type and unit.unit_type is not None),
            ("parent", _label(unit.parent), _label(parent), parent is not None and parent.id != unit.parent_id),
            ("valid_from", unit.valid_from, valid_from, valid_from is not None and valid_from != unit.valid_from),
            ("valid_to", unit.valid_to, valid_to, valid_to is not None and valid_to != unit.valid_to),
        ]
        for key, before, after, changed in changes:
            if changed and not self.needs_confirmation(c, record, key, before, after):
                ok = False
        return ok

    def _move(self, c: Cells, unit: Unit, parent: Unit, desired: dict[str, Any]) -> bool:
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
        self.forget_units()  # paths below the moved unit changed
        self.seen[("unit", unit.id)] = c.row.number
        self.result.count("unit").updated += 1
        return True

    def finish(self) -> None:
        """Successors: the unit with the code valid the day after the end, wherever in the file it is defined."""
        for number, unit_id, code, kind, day in self.deferred:
            c = Cells(self, Row(number=number, values={"successor": code}))
            successor = next((u for u in self.units_with_code(code) if u.valid_on(day) and u.id != unit_id), None)
            if successor is None and code in self.failed:
                c.fail("successor", f"đơn vị kế thừa «{code}» ở dòng {self.failed[code]} bị lỗi")
            elif successor is None and any(u.id == unit_id and u.valid_on(day) for u in self.units_with_code(code)):
                c.fail("successor", "đơn vị kế thừa phải là đơn vị khác")
            elif successor is None and self.pending_ids:
                continue  # it waits for an unconfirmed change (already reported)
            elif successor is None:
                c.fail("successor", f"không có đơn vị mã «{code}» có hiệu lực từ ngày {_date(day)}")
            elif not self.in_scope(successor.path):
                c.fail("successor", f"{OUT_OF_SCOPE} («{code}»)")
            elif successor.kind != kind:
                c.fail("successor", "đơn vị kế thừa phải cùng cấp")
            else:
                unit = db.session.get(Unit, unit_id)
                if unit.successor_id == successor.id:
                    continue
                if unit.successor_id is not None and not self.needs_confirmation(
                    c, f"{unit.name} ({unit.code})", "successor", _label(unit.successor), f"{successor.name} ({successor.code})"
                ):
                    continue
                unit.successor_id = successor.id
                audit.record(unit, "import")
                db.session.flush()


def _span(u: UnitRef) -> str:
    start = _date(u.valid_from) if u.valid_from else "…"
    end = _date(u.valid_to) if u.valid_to else "nay"
    return f"{u.name}: {start} – {end}"


def _label(unit: Unit | UnitRef | None) -> str | None:
    return f"{unit.name} ({unit.code})" if unit is not None else None


def _title(unit_type: str | None) -> str | None:
    return unit_type[:1].upper() + unit_type[1:] if unit_type else None


KIND = ImportKind(
    "units", "Đơn vị hành chính", UNIT_COLUMNS, _Units,
    "Mỗi dòng một đơn vị, mã theo danh mục của Nhà nước (tỉnh 2 số, huyện 3 số, xã 5 số). Đơn vị cấp trên phải có sẵn "
    "hoặc nằm ở dòng phía trên. Cấp: tỉnh, thành phố trung ương, quận, huyện, thị xã, xã, phường, thị trấn, đặc khu, "
    "thôn, ấp, bản, tổ dân phố, khu vực… Một mã dùng lại cho đơn vị mới: ghi ngày hết hiệu lực của đơn vị cũ "
    "ở dòng phía trên. Đổi tên, chuyển, kết thúc một đơn vị đã có cần xác nhận.",
)
