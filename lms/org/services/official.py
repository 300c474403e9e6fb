"""The state's official list of administrative units, and the history of the July 2025 reform.

``load_official``: the provinces and communes of the official list (the pinned ``vietnam-provinces`` package:
34 provinces, 3,321 communes, data of 18 October 2025), with the state's codes and types. What is missing is
created (communes valid from 1 July 2025, the day the two-level system began); what differs from the
official list is shown, never overwritten.

``load_history``: the old units of a province merged on 1 July 2025 (shipped for Cần Thơ, which absorbed Hậu Giang
and Sóc Trăng: ``lms/org/data/reform_2025_can_tho.csv``), loaded through the units import, so it follows the
import's rules (codes by day, successors, confirmation of changes).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from ...core.errors import ServiceError
from ...core.text import fold, nfc
from ...extensions import db
from ..models import Unit, UnitKind
from . import roster

#: The day the two-level local government began (Luật Tổ chức chính quyền địa phương 2025).
REFORM_DAY = dt.date(2025, 7, 1)
DATA_DIR = Path(__file__).resolve().parent.parent / "data"
#: Province code → the shipped history of its reform.
HISTORY_FILES = {"92": DATA_DIR / "reform_2025_can_tho.csv"}
PROGRESS_EVERY = 250


@dataclass(frozen=True)
class OfficialUnit:
    code: str
    name: str
    kind: UnitKind
    unit_type: str
    parent_code: str | None


@dataclass(frozen=True)
class Difference:
    code: str
    field: str
    ours: str
    official: str

    def __str__(self) -> str:
        return f"{self.code}: {self.field} «{self.ours}» — danh mục: «{self.official}»"


@dataclass
class OfficialReport:
    created: list[OfficialUnit] = field(default_factory=list)
    unchanged: int = 0
    differences: list[Difference] = field(default_factory=list)
    data_version: str = ""

    def created_by_type(self) -> dict[str, int]:
        """How many units of each official type were created ("xã": 72, "phường": 31…)."""
        counts: dict[str, int] = {}
        for unit in self.created:
            counts[unit.unit_type] = counts.get(unit.unit_type, 0) + 1
        return counts

    def as_data(self, max_differences: int = 2000) -> dict:
        """JSON-able (a job keeps it): counts by type, the first ``max_differences`` differences."""
        return {
            "data_version": self.data_version, "created": self.created_by_type(), "created_total": len(self.created),
            "unchanged": self.unchanged, "differences_total": len(self.differences),
            "differences": [[d.code, d.field, d.ours, d.official] for d in self.differences[:max_differences]],
        }


def official_code_arg(value: str | None) -> str | None:
    """A province code as typed (``92``, ``4`` for Cao Bằng ``04``), or ``None``."""
    value = (value or "").strip()
    return value.zfill(2) if value.isdigit() else (value or None)


def official_units(province_code: str | None = None) -> list[OfficialUnit]:
    """The official list (provinces, then each province's communes in the list's order), or one province's."""
    import vietnam_provinces

    data = json.loads(Path(vietnam_provinces.NESTED_DIVISIONS_JSON_PATH).read_text(encoding="utf-8"))
    out: list[OfficialUnit] = []
    for p in data:
        code = f"{p['code']:02d}"
        if province_code and code != province_code:
            continue
        out.append(OfficialUnit(code, _with_type(nfc(p["name"]), p["division_type"]), UnitKind.PROVINCE, p["division_type"], None))
        # nfc: the list has a few doubled spaces ("Xã  Phú Hữu")
        out.extend(OfficialUnit(f"{w['code']:05d}", nfc(w["name"]), UnitKind.COMMUNE, w["division_type"], code) for w in p["wards"])
    if province_code and not out:
        raise ServiceError(f"Danh mục không có tỉnh / thành phố mã «{province_code}».", "province")
    return out


def _with_type(name: str, division_type: str) -> str:
    """The list names provinces "Cao Bằng" but cities "Thành phố Hà Nội": every name starts with its type."""
    if fold(name).startswith(("tinh ", "thanh pho ")):
        return name
    return ("Tỉnh " if division_type == "tỉnh" else "Thành phố ") + name


def data_version() -> str:
    import vietnam_provinces

    return str(vietnam_provinces.__data_version__)


def load_official(province_code: str | None = None, on_progress: Callable[[int, int], None] | None = None) -> OfficialReport:
    """Create the official units that are missing; list where ours differ (name, type, parent). Flushes, does not commit.

    ``on_progress(units done, units in the list)`` is called every :data:`PROGRESS_EVERY` units."""
    report = OfficialReport(data_version=data_version())
    wanted = official_units(province_code)
    existing: dict[str, Unit] = {}
    for unit in db.session.scalars(select(Unit).where(Unit.code.in_({u.code for u in wanted})).order_by(*Unit.code_order(REFORM_DAY))):
        if unit.overlaps(REFORM_DAY, None):  # not an old unit that ended before the reform and left its code
            existing.setdefault(unit.code, unit)
    for done, official in enumerate(wanted):
        if on_progress and done % PROGRESS_EVERY == 0:
            on_progress(done, len(wanted))
        ours = existing.get(official.code)
        if ours is not None and ours.kind != official.kind:
            report.differences.append(Difference(official.code, "Cấp", ours.kind.title, official.kind.title))
            continue
        if ours is None:
            parent = existing.get(official.parent_code) if official.parent_code else None
            if official.parent_code and parent is None:
                continue  # its province differs from the list: shown on the province's line
            unit = roster.create_unit(
                code=official.code, name=official.name, kind=official.kind, parent=parent, unit_type=official.unit_type,
                valid_from=REFORM_DAY if official.kind == UnitKind.COMMUNE else None,
            )
            existing[official.code] = unit
            report.created.append(official)
            continue
        diffs = [
            ("Tên", ours.name, official.name),
            ("Loại", ours.unit_type or "", official.unit_type),
            ("Cấp trên", ours.parent.code if ours.parent else "", official.parent_code or ""),
        ]
        found = [Difference(official.code, f, a, b) for f, a, b in diffs if a != b]
        report.differences.extend(found)
        report.unchanged += not found
    return report


def load_history(
    province_code: str, confirm_changes: bool = False, dry_run: bool = False, on_progress=None, successors: set[str] | None = None
):
    """Load the shipped history of ``province_code``'s reform through the units import (an ``ImportResult``).

    ``successors``: only the old units that went into one of these codes, with the districts and provinces above
    them (a province holding some of today's communes only, as the small demo does); ``None``: the whole file."""
    from ..imports.engine import run_import

    path = HISTORY_FILES.get(province_code)
    if path is None:
        raise ServiceError(f"Chưa có lịch sử sắp xếp đơn vị của tỉnh mã «{province_code}» (có: {', '.join(HISTORY_FILES)}).", "province")
    data = path.read_bytes()
    if successors is not None:
        data = _history_into(data, successors)
    return run_import("units", io.BytesIO(data), path.name, None, dry_run=dry_run, confirm_changes=confirm_changes, on_progress=on_progress)


def _history_into(data: bytes, successors: set[str]) -> bytes:
    """The rows of a history file (CSV) whose unit went into one of ``successors``, and the rows above them."""
    header, *rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    code, parent, successor = (header.index(h) for h in ("Mã", "Mã cấp trên", "Mã đơn vị kế thừa"))
    kept = {r[code] for r in rows if r[successor] in successors}
    parents = {r[code]: r[parent] for r in rows}
    for unit in list(kept):
        while (unit := parents.get(unit)) in parents:  # its district, its old province
            kept.add(unit)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *(r for r in rows if r[code] in kept)])
    return out.getvalue().encode("utf-8")
