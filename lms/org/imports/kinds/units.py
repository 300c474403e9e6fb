"""Import kind "units": administrative units (province, district, commune, village), matched by code.

A unit's parent must be recorded already or defined on a row above; a successor may be named before the row
that defines it (checked at the end of the file). A unit's level cannot be changed by an import.
"""

from __future__ import annotations

from typing import Any

from ....core import audit
from ....core.errors import ServiceError
from ....core.spreadsheet import Row, parse_date, parse_int
from ....extensions import db
from ...models import ALLOWED_PARENTS, Unit, UnitKind
from ...services import roster
from ..columns import UNIT_COLUMNS
from ..engine import OUT_OF_SCOPE, Cells, ImportKind, ImportRun
from ..parsers import parse_unit_kind


class _Units(ImportRun):
    entities = ("unit",)
    columns = UNIT_COLUMNS
    unit_keys = ("code", "parent", "successor")

    def __init__(self, result, scope):
        super().__init__(result, scope)
        self.failed: dict[str, int] = {}
        self.deferred: list[tuple[int, int, str, UnitKind]] = []  # (row, unit id, successor code, kind)

    def row(self, row: Row) -> None:
        c = Cells(self, row)
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
        self._units.clear()  # paths below the moved unit changed
        self.seen[("unit", unit.id)] = c.row.number
        self.result.count("unit").updated += 1
        return True

    def finish(self) -> None:
        """Successors named before the row that defines them."""
        for number, unit_id, code, kind in self.deferred:
            row = Row(number=number, values={"successor": code})
            c = Cells(self, row)
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


KIND = ImportKind(
    "units", "Đơn vị hành chính", UNIT_COLUMNS, _Units,
    "Mỗi dòng một đơn vị. Đơn vị cấp trên phải có sẵn hoặc nằm ở dòng phía trên. Cấp: tỉnh / huyện / xã / thôn.",
)
