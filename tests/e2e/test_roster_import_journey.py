"""Issue 2's journey: a commune officer imports a roster file, sees the dry run's errors, fixes the file,
imports it, and finds a mediator by a name typed without diacritics."""

import datetime as dt
import unicodedata

import pytest

from lms.core.roles import Role
from lms.org.models import MediatorMembership, Person
from tests.e2e.conftest import login
from tests.fixtures.imports import build_file

pytestmark = pytest.mark.e2e


def _rows(village_code: str, bad: bool):
    nfd = unicodedata.normalize("NFD", "Nguyễn Văn Ân")  # typed on a phone: decomposed
    return [
        {"Họ và tên": nfd, "Giới tính": "Nam", "Năm sinh": 1968, "Dân tộc": "Kinh", "Số điện thoại": "0912345678",
         "Mã thôn": village_code, "Số quyết định công nhận": "12/QĐ-UBND", "Ngày công nhận": "15/01/2025", "Tổ trưởng": "x"},
        {"Họ và tên": "Trần Thị Bích", "Giới tính": "Nữ", "Năm sinh": 1975, "Số điện thoại": "0987654321",
         "Mã thôn": "31117-99" if bad else village_code, "Ngày công nhận": 45678},  # an Excel serial date
        {"Họ và tên": "Lê Văn Cường", "Giới tính": "Nam", "Năm sinh": 1980, "Mã thôn": village_code,
         "Ngày công nhận": "31/02/2025" if bad else dt.date(2025, 2, 28)},
    ]


def test_officer_imports_fixes_and_finds(live_server, desktop_page, tree, make_user, db, tmp_path):
    page = desktop_page
    officer = make_user(Role.COMMUNE_OFFICER, tree.C1)
    db.session.commit()
    bad = tmp_path / "hoa-giai-vien.xlsx"
    bad.write_bytes(build_file(_rows(tree.V1.code, bad=True)))
    good = tmp_path / "hoa-giai-vien-da-sua.xlsx"
    good.write_bytes(build_file(_rows(tree.V1.code, bad=False)))

    login(page, live_server, officer.username)
    page.goto(f"{live_server}/org/imports")
    form = page.locator("form[action$='/imports/mediators']")
    form.locator("input[type=file]").set_input_files(str(bad))
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    body = page.locator("main").inner_text()
    assert "lỗi" in body and "Không có dữ liệu nào được ghi" in body
    errors = page.locator("table.table-striped tbody tr").all_inner_texts()
    assert any(e.startswith("3") and "Mã thôn" in e for e in errors), errors
    assert any(e.startswith("4") and "Ngày công nhận" in e for e in errors), errors
    assert page.locator("text=Nhập dữ liệu").count() == 0 or not page.locator("form[action$='/run']").count()
    db.session.expire_all()
    assert db.session.query(Person).count() == 0

    # fix the file and upload it again from the result page
    page.locator("form[action$='/imports/mediators'] input[type=file]").set_input_files(str(good))
    page.locator("form[action$='/imports/mediators'] button[type=submit]").click()
    page.wait_for_load_state()
    assert "Tệp hợp lệ: 3 dòng" in page.locator("main").inner_text()
    page.locator("form[action$='/run'] button[type=submit]").click()
    page.wait_for_load_state()
    assert "Đã nhập 3 dòng" in page.locator("main").inner_text()
    db.session.expire_all()
    assert db.session.query(MediatorMembership).count() == 3
    name = db.session.query(Person).filter_by(phone="0912345678").one().full_name
    assert name == "Nguyễn Văn Ân" and unicodedata.is_normalized("NFC", name)

    # find the mediator by a name typed without diacritics
    page.goto(f"{live_server}/org/people?q=nguyen van an")
    assert "Nguyễn Văn Ân" in page.locator("main").inner_text()
    assert "Trần Thị Bích" not in page.locator("main").inner_text()
