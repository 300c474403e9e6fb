"""Mediator import: one row per membership, people matched across rows and files, all or nothing."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata

import pytest
from sqlalchemy import func, select

from lms.core.models import AuditLog
from lms.org import imports
from lms.org.models import Gender, LeaveReason, MediatorMembership, Person, Team, UnitKind
from tests.fixtures.imports import build_file


def run(rows, scope=None, dry_run=False, fmt="xlsx", headers=None):
    data = build_file(rows, fmt=fmt, headers=headers)
    return imports.run_import("mediators", io.BytesIO(data), f"hgv.{fmt}", scope, dry_run=dry_run)


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def snapshot(db):
    return {m.__name__: count(db, m) for m in (Person, Team, MediatorMembership, AuditLog)}


@pytest.fixture
def ready(db, tree, freeze):
    freeze("2026-03-01")
    db.session.commit()
    return tree


GOOD = [
    {"Họ và tên": "Nguyễn Thị Lan", "Giới tính": "Nữ", "Năm sinh": 1975, "Dân tộc": "Kinh", "Số điện thoại": "0912 000 001",
     "Mã thôn": "31117-01", "Số quyết định công nhận": "12/QĐ-UBND", "Ngày công nhận": "15/01/2025", "Tổ trưởng": "x"},
    {"Họ và tên": "Trần Văn Bình", "Giới tính": "Nam", "Năm sinh": 1968, "Dân tộc": "Khmer", "Số điện thoại": 912000002,
     "Mã thôn": "31117-01", "Ngày công nhận": 45678},
    {"Họ và tên": "Lê Thị Cúc", "Giới tính": "nữ", "Năm sinh": dt.date(1980, 5, 4), "Mã thôn": "31117-02",
     "Ngày công nhận": dt.date(2024, 6, 1), "Ngày thôi": "01/12/2025", "Lý do thôi": "Theo nguyện vọng"},
    # the same person (no phone: name + birth year + village) recognized again after leaving
    {"Họ và tên": "Lê Thị Cúc", "Giới tính": "Nữ", "Năm sinh": 1980, "Mã thôn": "31117-02", "Ngày công nhận": "2026-01-10"},
]


def test_good_file_imports_exactly_its_rows(db, ready):
    before = snapshot(db)
    result = run(GOOD)
    assert result.ok, [str(e) for e in result.errors]
    db.session.commit()
    assert result.rows == 4
    assert result.counts["membership"].created == 4
    assert result.counts["person"].created == 3
    assert result.counts["team"].created == 0  # both villages already have their team
    assert count(db, MediatorMembership) == before["MediatorMembership"] + 4
    assert count(db, Person) == before["Person"] + 3

    lan = db.session.scalar(select(Person).where(Person.phone == "0912000001"))
    assert (lan.full_name, lan.gender, lan.birth_year, lan.is_minority) == ("Nguyễn Thị Lan", Gender.FEMALE, 1975, False)
    (m,) = lan.memberships
    assert (m.team_id, m.decision_no, m.recognized_on, m.is_leader) == (ready.T1.id, "12/QĐ-UBND", dt.date(2025, 1, 15), True)

    binh = db.session.scalar(select(Person).where(Person.phone == "0912000002"))  # Excel dropped the leading zero
    assert binh.is_minority and binh.memberships[0].recognized_on == dt.date(2025, 1, 21)  # Excel serial 45678

    cuc = db.session.scalar(select(Person).where(Person.full_name == "Lê Thị Cúc"))
    assert cuc.birth_date == dt.date(1980, 5, 4) and cuc.unit_id == ready.V2.id
    first, again = cuc.memberships
    assert (first.left_on, first.leave_reason) == (dt.date(2025, 12, 1), LeaveReason.OWN_REQUEST)
    assert again.recognized_on == dt.date(2026, 1, 10) and again.left_on is None
    actions = set(db.session.scalars(select(AuditLog.action).where(AuditLog.entity == "mediator_membership")))
    assert actions == {"create", "end"}


def test_dry_run_writes_nothing_but_counts_what_it_would_do(db, ready):
    before = snapshot(db)
    result = run(GOOD, dry_run=True)
    assert result.ok and result.dry_run
    assert (result.counts["membership"].created, result.counts["person"].created) == (4, 3)
    db.session.commit()
    assert snapshot(db) == before


def test_reimport_is_a_no_op(db, ready):
    assert run(GOOD).ok
    db.session.commit()
    before = snapshot(db)
    again = run(GOOD)
    assert again.ok
    db.session.commit()
    assert snapshot(db) == before  # not even an audit row
    assert all(c.created == 0 and c.updated == 0 for c in again.counts.values())
    assert again.counts["membership"].unchanged == 4
    assert again.counts["person"].unchanged == 3
    # and the CSV form of the same data is just as quiet
    assert run(GOOD, fmt="csv").changes == 0


def test_bad_rows_are_each_reported_and_nothing_changes(db, ready):
    before = snapshot(db)
    rows = [
        GOOD[0],
        {"Họ và tên": "Võ Văn Một", "Giới tính": "Nam", "Mã thôn": "99999-09", "Ngày công nhận": "15/01/2025"},  # 3 unknown code
        {"Họ và tên": "Võ Văn Hai", "Giới tính": "Nam", "Mã thôn": "31500-01", "Ngày công nhận": "15/01/2025"},  # 4 outside scope
        {"Họ và tên": None, "Giới tính": "Nữ", "Mã thôn": "31117-01", "Ngày công nhận": "15/01/2025"},  # 5 missing name
        {"Họ và tên": "Võ Thị Ba", "Giới tính": "Nữ", "Mã thôn": "31117-01", "Ngày công nhận": "31/02/2025"},  # 6 impossible date
        {"Họ và tên": "Võ Thị Bốn", "Giới tính": "Nữ", "Mã thôn": "31117-01", "Ngày công nhận": "15/01/2025",
         "Ngày thôi": "01/01/2025"},  # 7 leave before recognition
        {**GOOD[0], "Giới tính": "Nam"},  # 8 same phone, same membership, different gender: conflicting duplicate
        {"Họ và tên": "Võ Thị Năm", "Giới tính": "Nữ", "Mã thôn": "31117-01", "Ngày công nhận": "15/01/2027"},  # 9 in the future
    ]
    result = run(rows, scope=ready.P)
    assert not result.ok
    db.session.commit()
    assert snapshot(db) == before
    got = {(e.row, e.column): e.message for e in result.errors}
    assert set(got) == {
        (3, "Mã thôn"), (4, "Mã thôn"), (5, "Họ và tên"), (6, "Ngày công nhận"), (7, "Ngày thôi"), (8, "Giới tính"), (9, "Ngày công nhận"),
    }
    assert "không có đơn vị mã «99999-09»" in got[(3, "Mã thôn")]
    assert "đơn vị ngoài phạm vi quản lý của bạn" in got[(4, "Mã thôn")]
    assert got[(5, "Họ và tên")] == "thiếu họ và tên"
    assert "ngày không có thật" in got[(6, "Ngày công nhận")]
    assert got[(7, "Ngày thôi")] == "ngày thôi trước ngày công nhận"
    assert got[(8, "Giới tính")].startswith("trùng lặp mâu thuẫn với dòng 2")
    assert str(result.errors[0]).startswith("Dòng 3, cột «Mã thôn»: ")


def test_missing_required_column_rejects_the_file(db, ready):
    rows = [{k: v for k, v in GOOD[0].items() if k != "Ngày công nhận"}]
    result = run(rows)
    assert result.file_error == "Thiếu cột bắt buộc: «Ngày công nhận»"
    assert count(db, Person) == 0


def test_nfd_names_and_headers_arrive_nfc(db, ready):
    nfd = unicodedata.normalize("NFD", "Nguyễn Thị Huệ")
    assert nfd != "Nguyễn Thị Huệ"
    headers = [unicodedata.normalize("NFD", h) for h in ("Họ và tên", "Giới tính", "Mã thôn", "Ngày công nhận", "Tổ hòa giải")]
    row = dict(zip(headers, [nfd, unicodedata.normalize("NFD", "Nữ"), "31117-01", "15/01/2025", unicodedata.normalize("NFD", "Tổ hòa giải số 2")],
                   strict=True))
    result = run([row], fmt="csv")
    assert result.ok, [str(e) for e in result.errors]
    db.session.commit()
    person = db.session.scalar(select(Person))
    assert person.full_name == "Nguyễn Thị Huệ" and unicodedata.is_normalized("NFC", person.full_name)
    assert person.gender == Gender.FEMALE
    team = person.memberships[0].team
    assert team.name == "Tổ hòa giải số 2" and team.unit_id == ready.V1.id and team.implicit
    # the same team named without diacritics later is the same team
    again = run([{"Họ và tên": "Phạm Thị Mai", "Mã thôn": "31117-01", "Ngày công nhận": "15/01/2025", "Tổ hòa giải": "to hoa giai so 2"}])
    assert again.ok and again.counts["team"].created == 0


def test_serial_and_dmy_dates_in_csv(db, ready):
    rows = [
        {"Họ và tên": "A Một", "Mã thôn": "31117-01", "Ngày công nhận": "45678"},
        {"Họ và tên": "A Hai", "Mã thôn": "31117-01", "Ngày công nhận": "15/01/2025"},
        {"Họ và tên": "A Ba", "Mã thôn": "31117-01", "Ngày công nhận": "2025-01-15"},
    ]
    assert run(rows, fmt="csv").ok
    db.session.commit()
    days = sorted(db.session.scalars(select(MediatorMembership.recognized_on)))
    assert days == [dt.date(2025, 1, 15), dt.date(2025, 1, 15), dt.date(2025, 1, 21)]


def test_village_without_team_gets_one_created(db, ready, make_unit):
    village = make_unit(UnitKind.VILLAGE, ready.C2, "31120-09", "Khu vực 9")
    db.session.commit()
    rows = [{"Họ và tên": f"Người {i}", "Mã thôn": "31120-09", "Ngày công nhận": "15/01/2025"} for i in range(3)]
    result = run(rows)
    assert result.ok and result.counts["team"].created == 1
    db.session.commit()
    (team,) = db.session.scalars(select(Team).where(Team.unit_id == village.id))
    assert team.implicit and team.established_on is None and len(team.memberships) == 3


def test_updates_are_audited_as_import_and_blank_cells_keep_values(db, ready):
    assert run(GOOD[:1]).ok
    db.session.commit()
    row = {"Họ và tên": "Nguyễn Thị Lan", "Số điện thoại": "+84 912 000 001", "Dân tộc": "Tày", "Mã thôn": "31117-01",
           "Ngày công nhận": "15/01/2025", "Ngày thôi": "20/02/2026", "Lý do thôi": "chuyển nơi ở"}
    result = run([row])
    assert result.ok
    assert (result.counts["person"].updated, result.counts["membership"].updated) == (1, 1)
    db.session.commit()
    lan = db.session.scalar(select(Person).where(Person.phone == "0912000001"))
    assert (lan.ethnicity, lan.is_minority, lan.birth_year, lan.gender) == ("Tày", True, 1975, Gender.FEMALE)
    m = lan.memberships[0]
    assert (m.left_on, m.leave_reason, m.leave_note, m.decision_no) == (dt.date(2026, 2, 20), LeaveReason.OTHER, "chuyển nơi ở", "12/QĐ-UBND")
    logs = db.session.scalars(select(AuditLog).where(AuditLog.action == "import")).all()
    assert {(a.entity, a.entity_id) for a in logs} == {("person", lan.id), ("mediator_membership", m.id)}


def test_same_phone_different_name_is_refused(db, ready):
    assert run(GOOD[:1]).ok
    db.session.commit()
    result = run([{"Họ và tên": "Đỗ Văn Khác", "Số điện thoại": "0912000001", "Mã thôn": "31117-01", "Ngày công nhận": "15/01/2025"}])
    assert [(e.row, e.column) for e in result.errors] == [(2, "Số điện thoại")]
    assert "Nguyễn Thị Lan" in result.errors[0].message


def test_commune_officer_scope(db, ready, make_person):
    make_person(ready.V3, name="Người Ở Phường Khác", phone="0912999999")
    db.session.commit()
    rows = [
        {"Họ và tên": "Hồ Thị Một", "Mã thôn": "31117-01", "Ngày công nhận": "15/01/2025"},
        {"Họ và tên": "Hồ Thị Hai", "Mã thôn": "31120-01", "Ngày công nhận": "15/01/2025"},  # another commune
        {"Họ và tên": "Người Ở Phường Khác", "Số điện thoại": "0912999999", "Mã thôn": "31117-01", "Ngày công nhận": "15/01/2025"},
    ]
    result = run(rows, scope=ready.C1)
    assert [(e.row, e.column) for e in result.errors] == [(3, "Mã thôn"), (4, "Số điện thoại")]
    assert "ngoài phạm vi quản lý" in result.errors[1].message
    assert run(rows[:1], scope=ready.C1).ok


def test_a_later_row_may_fill_blanks_but_not_contradict(db, ready):
    base = {"Họ và tên": "Đinh Thị Hoa", "Số điện thoại": "0915000001", "Mã thôn": "31117-01", "Ngày công nhận": "15/01/2025"}
    rows = [base, {**base, "Giới tính": "Nữ", "Năm sinh": 1990}, {**base, "Mã thôn": "31117-02", "Giới tính": "Nữ"}]
    result = run(rows)
    assert result.ok, [str(e) for e in result.errors]
    assert (result.counts["person"].created, result.counts["person"].updated, result.counts["membership"].created) == (1, 0, 2)
    db.session.commit()
    hoa = db.session.scalar(select(Person).where(Person.phone == "0915000001"))
    assert (hoa.gender, hoa.birth_year) == (Gender.FEMALE, 1990)
    assert run(rows).changes == 0
    clash = run([base, {**base, "Giới tính": "Nữ"}, {**base, "Giới tính": "Nam"}])
    assert [(e.row, e.column) for e in clash.errors] == [(4, "Giới tính")]
