"""Unit import: codes, levels, parents earlier in the file, scope, successors, all or nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from lms.core.models import AuditLog
from lms.org import imports
from lms.org.models import Unit, UnitKind
from tests.fixtures.imports import build_file


def run(rows, scope=None, dry_run=False, fmt="xlsx", headers=None, confirm=False):
    data = build_file(rows, fmt=fmt, headers=headers)
    return imports.run_import("units", io.BytesIO(data), f"dv.{fmt}", scope, dry_run=dry_run, confirm_changes=confirm)


def snapshot(db):
    return (db.session.scalar(select(func.count(Unit.id))), db.session.scalar(select(func.count(AuditLog.id))))


@pytest.fixture
def ready(db, tree, freeze):
    freeze("2026-03-01")
    db.session.commit()
    return tree


def U(code, name, kind, parent, **extra):
    return {"Mã": code, "Tên": name, "Cấp": kind, "Mã cấp trên": parent, **extra}


GOOD = [
    U("31200", "Xã Mỹ Khánh", "xã", "92", **{"Điểm chỉ đạo": "x", "Vùng đồng bào DTTS": None, "Năm đạt xã điển hình": 2025,
                                            "Hiệu lực từ": "01/07/2025"}),
    U("31200-01", "Ấp Mỹ Ái", "ấp", "31200"),
    U("31200-02", "Ấp Mỹ Hòa", "Thôn", "31200", **{"Vùng đồng bào DTTS": "x"}),
    U("31201", "Phường Hưng Phú", "phường", "916", **{"Hiệu lực đến": 45838, "Mã đơn vị kế thừa": "31202"}),  # successor defined below
    U("31202", "Phường Cái Răng", "phường", "916", **{"Hiệu lực từ": "2025-07-01"}),
]


def test_good_file_imports_exactly_its_rows(db, ready):
    before = snapshot(db)
    result = run(GOOD, scope=ready.P)
    assert result.ok, [str(e) for e in result.errors]
    db.session.commit()
    assert result.counts["unit"].created == 5
    assert snapshot(db)[0] == before[0] + 5
    xa = db.session.scalar(select(Unit).where(Unit.code == "31200"))
    assert (xa.kind, xa.parent_id, xa.is_pilot, xa.ethnic_minority_area, xa.model_commune_year, xa.valid_from) == (
        UnitKind.COMMUNE, ready.P.id, True, False, 2025, dt.date(2025, 7, 1))
    ap = db.session.scalar(select(Unit).where(Unit.code == "31200-02"))
    assert ap.kind == UnitKind.VILLAGE and ap.parent_id == xa.id and ap.ethnic_minority_area and ap.path.startswith(xa.path)
    old = db.session.scalar(select(Unit).where(Unit.code == "31201"))
    new = db.session.scalar(select(Unit).where(Unit.code == "31202"))
    assert (old.valid_to, old.successor_id, old.parent_id) == (dt.date(2025, 6, 30), new.id, ready.D.id)


def test_reimport_is_a_no_op(db, ready):
    assert run(GOOD).ok
    db.session.commit()
    before = snapshot(db)
    again = run(GOOD)
    assert again.ok and again.changes == 0 and again.counts["unit"].unchanged == 5
    db.session.commit()
    assert snapshot(db) == before


def test_bad_rows_are_each_reported_and_nothing_changes(db, ready):
    before = snapshot(db)
    rows = [
        GOOD[0],
        U("31300", "Xã Lạ", "xã", "77"),  # 3 unknown parent
        U("31301", "Xã Ngoài", "xã", "94"),  # 4 parent outside scope
        U("31302", None, "xã", "92"),  # 5 missing name
        U("31303", "Xã Ngày Sai", "xã", "92", **{"Hiệu lực từ": "30/02/2025"}),  # 6 impossible date
        U("31304-01", "Ấp Trước Xã", "ấp", "31304"),  # 7 parent only defined on a later row
        U("31304", "Xã Sau", "xã", "92"),
        U("31305", "Thôn Dưới Huyện", "thôn", "916"),  # 9 a village cannot sit under a district
        U("31200", "Xã Mỹ Khánh Khác", "xã", "92"),  # 10 conflicting duplicate of row 2
        U("31150", "Xã Thạnh Phú", "huyện", "92"),  # 11 existing commune given another level
        U("31306", "Xã Không Cấp", "làng xã", "92"),  # 12 unknown level
        U("31500", "Xã Phú Mỹ", "xã", "94"),  # 13 an existing unit outside scope
    ]
    result = run(rows, scope=ready.P)
    db.session.commit()
    assert snapshot(db) == before
    got = {(e.row, e.column): e.message for e in result.errors}
    assert set(got) == {
        (3, "Mã cấp trên"), (4, "Mã cấp trên"), (5, "Tên"), (6, "Hiệu lực từ"), (7, "Mã cấp trên"), (9, "Mã cấp trên"),
        (10, "Tên"), (11, "Cấp"), (12, "Cấp"), (13, "Mã"),
    }
    assert "không có đơn vị mã «77»" in got[(3, "Mã cấp trên")]
    assert "đơn vị ngoài phạm vi quản lý của bạn" in got[(4, "Mã cấp trên")]
    assert "phía trên" in got[(7, "Mã cấp trên")]
    assert "không thể trực thuộc" in got[(9, "Mã cấp trên")]
    assert got[(10, "Tên")].startswith("trùng lặp mâu thuẫn với dòng 2")
    assert got[(13, "Mã")] == "đơn vị ngoài phạm vi quản lý của bạn"


def test_update_existing_unit_is_audited_as_import(db, ready):
    row = U("31150", "Xã Thạnh Phú Mới", "xã", None, **{"Điểm chỉ đạo": "x", "Vùng đồng bào DTTS": "x"})
    result = run([row], scope=ready.P, confirm=True)
    assert [(c.field, c.before, c.after) for c in result.changes_to_confirm] == [("Tên", "Xã Thạnh Phú", "Xã Thạnh Phú Mới")]
    assert result.ok and result.counts["unit"].updated == 1
    db.session.commit()
    unit = db.session.get(Unit, ready.C3.id)
    assert (unit.name, unit.search_key, unit.is_pilot, unit.parent_id) == ("Xã Thạnh Phú Mới", "xa thanh phu moi", True, ready.P.id)
    log = db.session.scalars(select(AuditLog).where(AuditLog.entity == "unit", AuditLog.entity_id == unit.id).order_by(AuditLog.id.desc())).first()
    assert log.action == "import" and log.changes == {
        "name": ["Xã Thạnh Phú", "Xã Thạnh Phú Mới"], "is_pilot": [False, True], "unit_type": [None, "xã"],  # the official type, filled in
    }


def test_moving_a_unit_moves_its_subtree(db, ready):
    result = run([U("31117", "Phường An Hòa", "phường", "92")], scope=ready.P, confirm=True)
    assert result.ok and result.counts["unit"].updated == 1
    db.session.commit()
    c1, v1 = db.session.get(Unit, ready.C1.id), db.session.get(Unit, ready.V1.id)
    assert c1.parent_id == ready.P.id and v1.path == f"{c1.path}{v1.id}/"


def test_new_province_needs_the_whole_installation(db, ready):
    row = U("95", "Tỉnh Bạc Liêu", "tỉnh", None)
    result = run([row], scope=ready.P)
    assert [(e.row, e.column) for e in result.errors] == [(2, "Mã")]
    assert run([row]).ok


def test_headers_ignore_case_diacritics_and_spacing(db, ready):
    headers = ["  MA ", "ten don vi", "CẤP", "ma  cap tren", "diem chi dao"]
    rows = [dict(zip(headers, ["31400", "Xã Nhơn Ái", "Xa", "92", "X"], strict=True))]
    result = run(rows, fmt="csv")
    assert result.ok, result.file_error
    db.session.commit()
    unit = db.session.scalar(select(Unit).where(Unit.code == "31400"))
    assert unit.kind == UnitKind.COMMUNE and unit.is_pilot
