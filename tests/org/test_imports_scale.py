"""A large mediator import is looked up and written in batches: the number of SQL statements does not grow with the rows."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import event, func, select

from lms.core.models import AuditLog
from lms.org import imports
from lms.org.imports import engine
from lms.org.models import MediatorMembership, Person, Team, UnitKind, training_deadline
from tests.fixtures.imports import build_file


@pytest.fixture
def villages(db, tree, freeze, make_unit):
    """Twenty villages without a team in commune C1."""
    freeze("2026-03-01")
    made = [make_unit(UnitKind.VILLAGE, tree.C1, f"31117-{i + 10:02d}", f"Khu vực {i + 10}") for i in range(20)]
    db.session.commit()
    return made


def roster_rows(n: int) -> list[dict]:
    rows = []
    for i in range(n):
        row = {"Họ và tên": f"Nguyễn Thị Số {i}", "Giới tính": "Nữ" if i % 2 else "Nam", "Năm sinh": 1960 + i % 30,
               "Số điện thoại": f"0915{i:06d}" if i % 10 else None, "Mã thôn": f"31117-{i % 20 + 10:02d}",
               "Ngày công nhận": dt.date(2024, 1, 1) + dt.timedelta(days=i % 400), "Tổ trưởng": "x" if i < 20 else None}
        if i % 25 == 0:
            row.update({"Ngày thôi": dt.date(2025, 6, 1), "Lý do thôi": "Theo nguyện vọng"})
        rows.append(row)
    return rows


class Statements:
    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, *args, **kwargs):
        self.count += 1


def run(db, rows, dry_run=False):
    data = build_file(rows)
    with Statements(db.engine) as statements:
        result = imports.run_import("mediators", io.BytesIO(data), "hgv.xlsx", None, dry_run=dry_run)
    return result, statements.count


def audit_counts(db):
    return dict(db.session.execute(select(AuditLog.entity, func.count()).group_by(AuditLog.entity)).all())


def test_several_hundred_rows_take_a_bounded_number_of_statements(db, villages):
    rows = roster_rows(600)
    before = audit_counts(db)
    result, statements = run(db, rows)
    assert result.ok, [str(e) for e in result.errors[:5]]
    assert (result.counts["person"].created, result.counts["team"].created, result.counts["membership"].created) == (600, 20, 600)
    # per chunk of rows: a handful of look-ups and one insert per table, never one statement per row
    assert statements < 40, statements
    db.session.commit()
    assert db.session.scalar(select(func.count(Person.id))) == 600
    assert db.session.scalar(select(func.count(Team.id)).where(Team.implicit.is_(True))) == 20
    memberships = db.session.scalars(select(MediatorMembership)).all()
    assert len(memberships) == 600
    assert all(m.deadline == training_deadline(m.recognized_on) for m in memberships)  # set without the ORM event
    assert sum(m.left_on is not None for m in memberships) == 24
    created = {k: n for k, v in audit_counts(db).items() if (n := v - before.get(k, 0))}
    assert created == {"person": 600, "team": 20, "mediator_membership": 600 + 24}  # each created, 24 ended
    assert set(db.session.scalars(select(AuditLog.action).where(AuditLog.entity == "mediator_membership"))) == {"create", "end"}
    total = db.session.scalar(select(func.count(AuditLog.id)))

    again, statements = run(db, rows)
    assert again.ok and again.changes == 0 and statements < 40, statements
    db.session.commit()
    assert db.session.scalar(select(func.count(AuditLog.id))) == total  # a re-import writes nothing


def test_rows_in_later_chunks_find_what_earlier_chunks_created(db, villages, monkeypatch):
    monkeypatch.setattr(engine, "CHUNK", 7)
    rows = roster_rows(30)
    # two people (found by phone) recognized in another village's team further down the file: one had left their team
    rows += [{**rows[i], "Ngày công nhận": dt.date(2025, 9, 1), "Mã thôn": "31117-29", "Ngày thôi": None, "Lý do thôi": None,
              "Tổ trưởng": None} for i in (25, 3)]
    result, _ = run(db, rows)
    assert result.ok, [str(e) for e in result.errors[:5]]
    assert (result.counts["person"].created, result.counts["membership"].created) == (30, 32)
    db.session.commit()
    again, _ = run(db, rows)
    assert again.changes == 0 and again.counts["person"].unchanged == 30 and again.counts["membership"].unchanged == 32
    moved = db.session.scalar(select(Person).where(Person.full_name == "Nguyễn Thị Số 25"))
    assert moved.unit.code == "31117-29"  # left their first team: registered where they mediate now
    stays = db.session.scalar(select(Person).where(Person.full_name == "Nguyễn Thị Số 3"))
    assert stays.unit.code == "31117-13" and len(stays.memberships) == 2  # still active in their first team
    assert [(a.entity, a.action) for a in db.session.scalars(select(AuditLog).where(AuditLog.entity_id == moved.id,
                                                                                      AuditLog.entity == "person"))] == [
        ("person", "create"), ("person", "update")]
