"""Trainer and legal-supporter imports."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from lms.core.models import AuditLog
from lms.org import imports
from lms.org.models import Background, Gender, LegalSupport, Person, Team, TrainerAppointment, TrainerLevel
from tests.fixtures.imports import build_file


def run(kind, rows, scope=None, dry_run=False, fmt="xlsx"):
    data = build_file(rows, fmt=fmt)
    return imports.run_import(kind, io.BytesIO(data), f"f.{fmt}", scope, dry_run=dry_run)


def snapshot(db):
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Person, Team, TrainerAppointment, LegalSupport, AuditLog))


@pytest.fixture
def ready(db, tree, freeze):
    freeze("2026-03-01")
    db.session.commit()
    return tree


TRAINERS = [
    {"Họ và tên": "Phan Văn Tòa", "Giới tính": "Nam", "Năm sinh": 1965, "Số điện thoại": "0913000001", "Cấp": "tỉnh",
     "Mã đơn vị": "92", "Nguồn": "Thẩm phán", "Ngày bắt đầu": "01/03/2025"},
    {"Họ và tên": "Mai Thị Luật", "Giới tính": "Nữ", "Năm sinh": 1979, "Cấp": "Cấp huyện", "Mã đơn vị": "916",
     "Nguồn": "luat su", "Ngày bắt đầu": 45717, "Ngày kết thúc": "30/06/2025"},
    {"Họ và tên": "Phan Văn Tòa", "Số điện thoại": "0913000001", "Cấp": "huyện", "Mã đơn vị": "916",
     "Nguồn": "Hội thẩm nhân dân", "Ngày bắt đầu": "2025-03-01"},
]


def test_trainers_good_file_and_reimport(db, ready):
    before = snapshot(db)
    result = run("trainers", TRAINERS, scope=ready.P)
    assert result.ok, [str(e) for e in result.errors]
    assert (result.counts["appointment"].created, result.counts["person"].created) == (3, 2)
    db.session.commit()
    assert snapshot(db)[2] == before[2] + 3
    toa = db.session.scalar(select(Person).where(Person.phone == "0913000001"))
    assert (toa.gender, toa.birth_year, toa.unit_id) == (Gender.MALE, 1965, ready.P.id)
    assert [(a.level, a.unit_id, a.background, a.started_on) for a in toa.appointments] == [
        (TrainerLevel.PROVINCE, ready.P.id, Background.JUDGE, dt.date(2025, 3, 1)),
        (TrainerLevel.DISTRICT, ready.D.id, Background.ASSESSOR, dt.date(2025, 3, 1)),
    ]
    luat = db.session.scalar(select(Person).where(Person.full_name == "Mai Thị Luật"))
    (a,) = luat.appointments
    assert (a.background, a.started_on, a.ended_on) == (Background.LAWYER, dt.date(2025, 3, 1), dt.date(2025, 6, 30))

    after = snapshot(db)
    again = run("trainers", TRAINERS, scope=ready.P)
    assert again.ok and again.changes == 0
    db.session.commit()
    assert snapshot(db) == after


def test_trainers_bad_rows_change_nothing(db, ready):
    before = snapshot(db)
    rows = [
        TRAINERS[0],
        {**TRAINERS[1], "Mã đơn vị": "92"},  # 3 district level at a province
        {**TRAINERS[1], "Họ và tên": "Người Ngoài", "Cấp": "tỉnh", "Mã đơn vị": "94"},  # 4 outside scope
        {**TRAINERS[1], "Họ và tên": "Người Lạ", "Mã đơn vị": "000"},  # 5 unknown unit
        {**TRAINERS[1], "Họ và tên": "Ngày Sai", "Ngày bắt đầu": "29/02/2025"},  # 6 impossible date
        {**TRAINERS[1], "Họ và tên": "Kết Sớm", "Ngày kết thúc": "01/01/2025"},  # 7 ends before it starts
        {**TRAINERS[1], "Họ và tên": "Nguồn Lạ", "Nguồn": "giáo viên"},  # 8 unknown background
        {**TRAINERS[1], "Họ và tên": None},  # 9 missing name
        {**TRAINERS[0], "Nguồn": "Luật gia"},  # 10 conflicting duplicate of row 2
    ]
    result = run("trainers", rows, scope=ready.P)
    db.session.commit()
    assert snapshot(db) == before
    got = {(e.row, e.column): e.message for e in result.errors}
    assert set(got) == {(3, "Mã đơn vị"), (4, "Mã đơn vị"), (5, "Mã đơn vị"), (6, "Ngày bắt đầu"), (7, "Ngày kết thúc"), (8, "Nguồn"),
                        (9, "Họ và tên"), (10, "Nguồn")}
    assert "ngoài phạm vi quản lý" in got[(4, "Mã đơn vị")]
    assert "không có đơn vị mã «000»" in got[(5, "Mã đơn vị")]
    assert got[(10, "Nguồn")].startswith("trùng lặp mâu thuẫn với dòng 2")


def test_a_mediator_becomes_a_trainer_matched_by_phone(db, ready):
    mediators = [{"Họ và tên": "Ngô Thị Hai Vai", "Giới tính": "Nữ", "Số điện thoại": "0914000001", "Mã thôn": "31117-01",
                  "Ngày công nhận": "15/01/2025"}]
    assert run("mediators", mediators).ok
    trainers = [{"Họ và tên": "Ngô Thị Hai Vai", "Số điện thoại": "84914000001", "Cấp": "tỉnh", "Mã đơn vị": "92",
                 "Nguồn": "Công chức tư pháp", "Ngày bắt đầu": "01/03/2025"}]
    result = run("trainers", trainers)
    assert result.ok and result.counts["person"].unchanged == 1 and result.counts["appointment"].created == 1
    db.session.commit()
    (person,) = db.session.scalars(select(Person)).all()
    assert person.unit_id == ready.V1.id  # still registered where they mediate
    assert len(person.memberships) == 1 and person.appointments[0].background == Background.JUSTICE_OFFICIAL


SUPPORTERS = [
    {"Họ và tên": "Đặng Văn Sư", "Nguồn": "Luật sư", "Mã thôn": "31117-01", "Từ ngày": "01/02/2025"},
    {"Họ và tên": "Đặng Văn Sư", "Nguồn": "Luật sư", "Mã thôn": "31117-02", "Từ ngày": 45717, "Đến ngày": "31/12/2025"},
    {"Họ và tên": "Bùi Thị Công", "Nguồn": "công an xã", "Mã thôn": "31150-01", "Tổ hòa giải": "Tổ hòa giải Ấp Thạnh Lợi",
     "Từ ngày": "2025-04-01"},
]


def test_supporters_good_file_and_reimport(db, ready):
    result = run("supporters", SUPPORTERS, scope=ready.P)
    assert result.ok, [str(e) for e in result.errors]
    # a person is matched by name + village: the same name in another village is another person
    assert (result.counts["support"].created, result.counts["person"].created, result.counts["team"].created) == (3, 3, 0)
    db.session.commit()
    supports = db.session.scalars(select(LegalSupport).order_by(LegalSupport.id)).all()
    assert [(s.team_id, s.background, s.from_on, s.to_on) for s in supports] == [
        (ready.T1.id, Background.LAWYER, dt.date(2025, 2, 1), None),
        (ready.T2.id, Background.LAWYER, dt.date(2025, 3, 1), dt.date(2025, 12, 31)),
        (ready.T4.id, Background.POLICE, dt.date(2025, 4, 1), None),
    ]
    after = snapshot(db)
    again = run("supporters", SUPPORTERS, scope=ready.P)
    assert again.ok and again.changes == 0 and again.counts["support"].unchanged == 3
    db.session.commit()
    assert snapshot(db) == after


def test_supporters_bad_rows_change_nothing(db, ready):
    before = snapshot(db)
    rows = [
        SUPPORTERS[0],
        {**SUPPORTERS[0], "Mã thôn": "31500-01"},  # 3 outside scope
        {**SUPPORTERS[0], "Mã thôn": "31117"},  # 4 accepted: a commune may have its own (commune-level) team
        {**SUPPORTERS[0], "Mã thôn": "916"},  # 5 a district is not a village
        {**SUPPORTERS[0], "Từ ngày": "32/01/2025"},  # 6 impossible date
        {**SUPPORTERS[0], "Đến ngày": "01/01/2025"},  # 7 ends before it starts
        {**SUPPORTERS[0], "Nguồn": "Công an"},  # 8 conflicting duplicate of row 2
    ]
    result = run("supporters", rows, scope=ready.P)
    db.session.commit()
    assert snapshot(db) == before
    got = {(e.row, e.column): e.message for e in result.errors}
    assert set(got) == {(3, "Mã thôn"), (5, "Mã thôn"), (6, "Từ ngày"), (7, "Đến ngày"), (8, "Nguồn")}
    assert "không phải thôn" in got[(5, "Mã thôn")]
    assert got[(8, "Nguồn")].startswith("trùng lặp mâu thuẫn với dòng 2")
