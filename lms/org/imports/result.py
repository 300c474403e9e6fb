"""What an import reports: counts of records created / updated / unchanged by kind of record, and every bad cell
(``core.spreadsheet.RowError``: row, column, message); kept on the job row as JSON-able data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...core.spreadsheet import RowError

#: Kind of record → its title in a result; an area that registers an import kind adds its own (``register_kind``).
ENTITY_TITLES = {
    "unit": "Đơn vị",
    "person": "Người",
    "team": "Tổ hòa giải",
    "membership": "Lượt công nhận hòa giải viên",
    "appointment": "Lượt tập huấn viên",
    "support": "Lượt hỗ trợ pháp lý",
    "case_stat": "Số liệu vụ việc của tổ trong quý",
}


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class Change:
    """A change to an existing record that an import applies only when the officer confirms it (a unit renamed,
    moved, ended, retyped): shown field by field in the dry run."""

    row: int
    record: str  # "Phường Cái Khế (31120)"
    field: str  # the column's header
    before: str
    after: str

    def __str__(self) -> str:
        return f"Dòng {self.row}: {self.record} — {self.field}: «{self.before}» → «{self.after}»"


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
    #: Changes to existing records that need the officer's confirmation (``confirm_changes``).
    changes_to_confirm: list[Change] = field(default_factory=list)
    #: Whether the officer confirmed them; unconfirmed, each is also an error and nothing is written.
    confirmed: bool = False

    @property
    def ok(self) -> bool:
        return self.file_error is None and not self.errors

    @property
    def only_changes_to_confirm(self) -> bool:
        """Whether the only errors are the unconfirmed changes (each is one error): confirming them may make it good."""
        return (
            self.file_error is None and not self.confirmed and bool(self.changes_to_confirm)
            and self.error_count == len(self.changes_to_confirm)
        )

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
            "changes": [[c.row, c.record, c.field, c.before, c.after] for c in self.changes_to_confirm[:max_errors]],
            "confirmed": self.confirmed,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ImportResult:
        return cls(
            kind=data["kind"], dry_run=data["dry_run"], rows=data["rows"], file_error=data["file_error"],
            counts={k: Counts(*v) for k, v in data["counts"].items()}, errors=[RowError(*e) for e in data["errors"]],
            error_total=data["error_total"], bad_row_total=data["bad_row_total"],
            changes_to_confirm=[Change(*c) for c in data.get("changes", ())], confirmed=bool(data.get("confirmed")),
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

