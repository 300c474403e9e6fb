"""Past trainings import (kind "certificates"): paper certificates recorded so that coverage counts them;
``flask lms certificates import`` and ``flask lms certificates revoke``."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from lms.certificates.models import Certificate
from lms.core.models import AuditLog
from lms.core.roles import Role
from lms.org import imports
from lms.org.models import Person, Unit
from lms.reports.figures import coverage
from tests.conftest import csrf_token
from tests.fixtures.imports import build_file

HEADERS = ["Số điện thoại", "Họ và tên", "Năm sinh", "Mã thôn", "Mã chương trình", "Ngày cấp", "Số hiệu", "Đơn vị cấp", "Căn cứ"]


@pytest.fixture
def people(db, tree, make_mediator, make_person, make_program, freeze):
    """Three mediators in An Hòa (C1), one without a phone; a trainer of the province; a mediator in Sóc Trăng."""
    freeze("2026-03-01")
    for code, audience in (("hgv", "mediator"), ("thv", "trainer"), ("qlnn", "official")):
        make_program(code=code, audience=audience)
    lan = make_mediator(tree.T1, name="Nguyễn Thị Lan", phone="0912000001", birth_year=1975).person
    binh = make_mediator(tree.T2, name="Trần Văn Bình", phone=None, birth_year=1968).person
    cuc = make_mediator(tree.T1, name="Lê Thị Cúc", phone="0912000003", birth_year=1980).person
    trainer = make_person(tree.P, name="Phạm Văn Hùng", phone="0912000004", birth_year=1970)
    other = make_mediator(tree.TQ, name="Đỗ Thị Mai", phone="0912000009", birth_year=1985).person
    db.session.commit()
    return {"lan": lan, "binh": binh, "cuc": cuc, "trainer": trainer, "other": other}


GOOD = [
    {"Số điện thoại": "0912 000 001", "Mã chương trình": "hgv", "Ngày cấp": "15/06/2023", "Số hiệu": "Số 125/2023/GCN-STP",
     "Đơn vị cấp": "Sở Tư pháp thành phố Cần Thơ", "Căn cứ": "Lớp tập huấn hòa giải viên 12–14/06/2023"},
    {"Họ và tên": "Tran Van Binh", "Năm sinh": 1968, "Mã thôn": "31117-02", "Mã chương trình": "HGV", "Ngày cấp": dt.date(2025, 9, 20),
     "Số hiệu": "07/GCN", "Căn cứ": "Quyết định số 45/QĐ-STP ngày 20/9/2024"},
    {"Số điện thoại": "0912000004", "Họ và tên": "Phạm Văn Hùng", "Mã chương trình": "thv", "Ngày cấp": "2024-11-02"},
]


def write(rows, fmt="xlsx") -> bytes:
    return build_file(rows, fmt=fmt, headers=HEADERS)


def run(rows, scope=None, dry_run=False, fmt="xlsx"):
    return imports.run_import("certificates", io.BytesIO(write(rows, fmt)), f"gcn.{fmt}", scope, dry_run=dry_run)


def certificates(db) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).order_by(Certificate.id)))


def test_the_kind_is_registered_with_the_issue_headers(app):
    kind = imports.KINDS["certificates"]
    assert [c.header for c in kind.columns] == HEADERS
    assert [c.header for c in kind.columns if c.required] == ["Mã chương trình", "Ngày cấp"]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_good_rows_import_exactly_their_certificates(db, people, fmt):
    dry = run(GOOD, dry_run=True, fmt=fmt)
    assert dry.ok, dry.errors
    assert dry.counts["certificate"].created == 3 and certificates(db) == []

    result = run(GOOD, fmt=fmt)
    assert result.ok, result.errors
    assert result.counts["certificate"].created == 3
    certs = certificates(db)
    assert [(c.person_id, c.program_code, c.issued_on, c.source) for c in certs] == [
        (people["lan"].id, "hgv", dt.date(2023, 6, 15), "external"),
        (people["binh"].id, "hgv", dt.date(2025, 9, 20), "external"),
        (people["trainer"].id, "thv", dt.date(2024, 11, 2), "external"),
    ]
    assert len({c.serial for c in certs}) == 3 and all(c.serial.startswith("CT-") for c in certs)
    lan, binh, hung = certs
    assert lan.external_serial == "Số 125/2023/GCN-STP" and binh.external_serial == "07/GCN" and hung.external_serial is None
    assert lan.issuer_name == "Sở Tư pháp thành phố Cần Thơ"
    assert binh.issuer_name == hung.issuer_name == "SỞ TƯ PHÁP CẦN THƠ"  # blank: the province's own
    assert lan.basis == "Lớp tập huấn hòa giải viên 12–14/06/2023" and binh.basis == "Quyết định số 45/QĐ-STP ngày 20/9/2024"
    assert db.session.scalar(select(func.count(Person.id))) == 5  # nobody created

    audits = db.session.scalar(select(func.count(AuditLog.id)))
    again = run(GOOD, fmt=fmt)
    assert again.ok and (again.counts["certificate"].created, again.counts["certificate"].unchanged) == (0, 3)
    assert len(certificates(db)) == 3 and db.session.scalar(select(func.count(AuditLog.id))) == audits


def test_imported_certificates_count_in_e1(db, tree, people):
    day = dt.date(2026, 3, 1)
    before = coverage(tree.P, day).root.figures["E1"]
    assert (before.numerator, before.denominator) == (0, 3)
    assert run(GOOD).ok
    db.session.commit()
    after = coverage(tree.P, day)
    assert (after.root.figures["E1"].numerator, after.root.figures["E1"].denominator) == (2, 3)  # Lan and Bình; the trainer is no mediator
    assert (after.root.figures["C"].numerator or 0) == 0  # Hùng holds thv but is no appointed trainer
    district = next(c for c in after.children if c.unit.id == tree.D.id)
    assert district.figures["E1"].numerator == 2
    # a certificate dated after D does not count at D
    assert coverage(tree.P, dt.date(2025, 6, 1)).root.figures["E1"].numerator == 1


def test_bad_rows_are_each_reported_and_nothing_changes(db, people):
    rows = [
        GOOD[0],
        {"Số điện thoại": "0999888777", "Mã chương trình": "hgv", "Ngày cấp": "01/02/2024"},  # 3: unknown phone
        {"Số điện thoại": "0912000003", "Mã chương trình": "abc", "Ngày cấp": "01/02/2024"},  # 4: unknown program
        {"Số điện thoại": "0912000003", "Mã chương trình": "hgv", "Ngày cấp": "02/03/2026"},  # 5: future date
        {"Mã chương trình": "hgv", "Ngày cấp": "01/02/2024"},  # 6: no phone and no name, birth year, village
        {"Họ và tên": "Lê Thị Cúc", "Mã chương trình": "hgv", "Ngày cấp": "01/02/2024"},  # 7: no phone: birth year + village missing
        {"Họ và tên": "Người Lạ", "Năm sinh": 1970, "Mã thôn": "31117-01", "Mã chương trình": "hgv", "Ngày cấp": "01/02/2024"},  # 8
        {"Số điện thoại": "0912000001", "Họ và tên": "Trần Thị Khác", "Mã chương trình": "hgv", "Ngày cấp": "01/02/2024"},  # 9
        {"Số điện thoại": "0912000003", "Mã chương trình": "hgv"},  # 10: no date
        {"Số điện thoại": "0912000003", "Mã chương trình": "hgv", "Ngày cấp": "31/02/2024"},  # 11: no such day
    ]
    result = run(rows)
    assert not result.ok
    got = {(e.row, e.column): e.message for e in result.errors}
    assert got == {
        (3, "Số điện thoại"): "không tìm thấy người này trong danh sách",
        (4, "Mã chương trình"): "không có chương trình mã «abc» (các mã hiện có: hgv, qlnn, thv)",
        (5, "Ngày cấp"): "ngày cấp sau ngày hôm nay",
        (6, "Họ và tên"): "thiếu họ và tên (bắt buộc khi không có số điện thoại)",
        (6, "Năm sinh"): "thiếu năm sinh (bắt buộc khi không có số điện thoại)",
        (6, "Mã thôn"): "thiếu mã thôn (bắt buộc khi không có số điện thoại)",
        (7, "Năm sinh"): "thiếu năm sinh (bắt buộc khi không có số điện thoại)",
        (7, "Mã thôn"): "thiếu mã thôn (bắt buộc khi không có số điện thoại)",
        (8, "Họ và tên"): "không tìm thấy người này trong danh sách",
        (9, "Số điện thoại"): "số điện thoại «0912000001» là của «Nguyễn Thị Lan», không phải «Trần Thị Khác»",
        (10, "Ngày cấp"): "thiếu ngày cấp",
        (11, "Ngày cấp"): "ngày không có thật: «31/02/2024»",
    }
    assert certificates(db) == []  # atomic: row 2 was good, yet nothing is written
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.entity == "certificate")) == 0


def test_scope_people_outside_are_unknown(db, tree, people):
    row = {"Số điện thoại": "0912000009", "Mã chương trình": "hgv", "Ngày cấp": "01/02/2024"}
    result = run([row], scope=tree.P)
    assert [(e.row, e.column, e.message) for e in result.errors] == [(2, "Số điện thoại", "không tìm thấy người này trong danh sách")]
    result = run([GOOD[0], {**GOOD[1]}], scope=tree.C2)  # neither Lan nor An Hòa's village is in Thới Bình
    assert {(e.row, e.column) for e in result.errors} == {(2, "Số điện thoại"), (3, "Mã thôn")}
    assert run([row]).ok  # the command line (no scope) finds her


def test_namesakes_need_a_phone(db, tree, people, make_mediator):
    make_mediator(tree.T2, name="Trần Văn Bình", phone=None, birth_year=1968)
    result = run([GOOD[1]])
    assert [(e.column, e.message) for e in result.errors] == [
        ("Họ và tên", "có nhiều người cùng họ tên và năm sinh ở đơn vị này; hãy ghi số điện thoại để phân biệt")
    ]


def test_certificates_on_the_org_imports_page(client, auth, db, tree, people, make_user, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_UPLOAD_DIR", str(tmp_path / "uploads"))
    user = make_user(Role.COMMUNE_OFFICER, tree.C1)
    db.session.commit()
    auth.login(user.username)
    page = client.get("/org/imports").get_data(as_text=True)
    assert 'id="import-certificates"' in page and "Giấy chứng nhận đã cấp (tập huấn trước đây)" in page
    template = client.get("/org/imports/certificates/template.csv")
    assert template.status_code == 200 and "mau-nhap-giay-chung-nhan.csv" in template.headers["Content-Disposition"]
    assert template.data.decode("utf-8-sig").splitlines()[0] == ",".join(HEADERS)
    data = {"csrf_token": csrf_token(page), "certificates-file": (io.BytesIO(write(GOOD)), "gcn.xlsx")}
    checked = client.post("/org/imports/certificates", data=data, content_type="multipart/form-data", follow_redirects=True)
    html = checked.get_data(as_text=True)
    # the trainer belongs to the province: outside a commune officer's scope
    assert checked.status_code == 422 and "Tệp có 1 lỗi ở 1 dòng" in html
    assert '<td class="text-end">4</td><td>Số điện thoại</td><td>không tìm thấy người này trong danh sách</td>' in html
    data = {"csrf_token": csrf_token(page), "certificates-file": (io.BytesIO(write(GOOD[:2])), "gcn.xlsx")}
    html = client.post("/org/imports/certificates", data=data, content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "Tệp hợp lệ: 2 dòng." in html and "Giấy chứng nhận (cấp ngoài hệ thống)" in html
    file_token = html.split('name="token" type="hidden" value="', 1)[1].split('"', 1)[0]
    done = client.post("/org/imports/certificates/run", data={"csrf_token": csrf_token(html), "token": file_token}, follow_redirects=True)
    assert "Đã nhập 2 dòng" in done.get_data(as_text=True)
    db.session.expire_all()
    certs = certificates(db)
    assert len(certs) == 2 and all(c.created_by_id == user.id for c in certs)
    create = db.session.scalar(select(AuditLog).where(AuditLog.entity == "certificate", AuditLog.action == "create"))
    assert create.actor == user.username


# --------------------------------------------------------------------------- command line


def test_cli_import_exit_codes(runner, db, people, tmp_path):
    good, bad = tmp_path / "good.xlsx", tmp_path / "bad.csv"
    good.write_bytes(write(GOOD))
    bad.write_bytes(write([GOOD[0], {"Số điện thoại": "0999888777", "Mã chương trình": "hgv", "Ngày cấp": "01/02/2024"}], fmt="csv"))
    result = runner.invoke(args=["lms", "certificates", "import", str(good), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Chạy thử: 3 dòng hợp lệ" in result.output and "sẽ tạo mới 3" in result.output
    assert certificates(db) == []
    result = runner.invoke(args=["lms", "certificates", "import", str(bad)])
    assert result.exit_code == 1
    assert "Dòng 3, cột «Số điện thoại»: không tìm thấy người này trong danh sách" in result.output
    db.session.remove()
    assert certificates(db) == []
    result = runner.invoke(args=["lms", "certificates", "import", str(good)])
    assert result.exit_code == 0 and "Đã nhập 3 dòng." in result.output
    db.session.remove()
    assert len(certificates(db)) == 3
    result = runner.invoke(args=["lms", "certificates", "import", str(good)])
    assert result.exit_code == 0 and "tạo mới 0, cập nhật 0, không đổi 3" in result.output
    assert runner.invoke(args=["lms", "certificates", "import", str(tmp_path / "missing.xlsx")]).exit_code != 0


def test_cli_revoke(runner, db, tree, people, freeze):
    assert run(GOOD).ok
    db.session.commit()
    cert = certificates(db)[0]
    serial, province_id = cert.serial, tree.P.id
    before = coverage(tree.P, dt.date(2026, 3, 1)).root.figures["E1"].numerator

    result = runner.invoke(args=["lms", "certificates", "revoke", serial])
    assert result.exit_code != 0 and "--reason" in result.output
    result = runner.invoke(args=["lms", "certificates", "revoke", "CT-1999-000001", "--reason", "Nhầm"])
    assert result.exit_code == 1 and "Không có giấy chứng nhận số hiệu «CT-1999-000001»." in result.output

    result = runner.invoke(args=["lms", "certificates", "revoke", serial.lower(), "--reason", "Cấp nhầm người"])
    assert result.exit_code == 0, result.output
    assert f"Đã thu hồi giấy chứng nhận số {serial}" in result.output and "01/03/2026" in result.output
    db.session.remove()
    cert = db.session.scalar(select(Certificate).where(Certificate.serial == serial))
    assert cert.revoked_on == dt.date(2026, 3, 1) and cert.revoke_reason == "Cấp nhầm người" and cert.status == "revoked"
    row = db.session.scalar(select(AuditLog).where(AuditLog.entity == "certificate", AuditLog.entity_id == cert.id, AuditLog.action == "revoke"))
    assert row is not None and row.actor == "cli" and row.changes["revoke_reason"] == [None, "Cấp nhầm người"]
    assert coverage(db.session.get(Unit, province_id), dt.date(2026, 3, 1)).root.figures["E1"].numerator == before - 1

    result = runner.invoke(args=["lms", "certificates", "revoke", serial, "--reason", "Lần nữa"])
    assert result.exit_code == 1 and f"Giấy chứng nhận số {serial} đã bị thu hồi ngày 01/03/2026" in result.output
    assert "--date" in runner.invoke(args=["lms", "certificates", "revoke", "--help"]).output
    result = runner.invoke(args=["lms", "certificates", "revoke", certificates(db)[1].serial, "--reason", "x", "--date", "2020-01-01"])
    assert result.exit_code == 1 and "Ngày thu hồi không được trước ngày cấp." in result.output
