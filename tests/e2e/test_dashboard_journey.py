"""The province admin opens the dashboard, sees E3 not met, drills into a commune, opens the overdue list
and exports it as XLSX."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

from lms.core.roles import Role
from lms.org.models import Gender
from lms.org.services.plans import load_plan_file
from lms.reports.cli import PLANS_DIR
from tests.e2e.conftest import login

pytestmark = [
    pytest.mark.e2e,
    # Flask-Compress drops the file handle of a compressed (streamed) static response without closing it (see test_learning_journey).
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning", "ignore::ResourceWarning"),
]

D = dt.date


@pytest.fixture
def province(db, tree, freeze, make_mediator, make_certificate, make_user):
    """E3 is not met: in Xã Thạnh Phú (C3) two mediators recognized 10/01/2025 are past their deadline (10/07/2025)."""
    freeze("2025-10-15")
    load_plan_file(PLANS_DIR / "can-tho-146-2024.yaml")
    on_time = make_mediator(tree.T1, recognized_on=D(2024, 9, 1), name="Trần Thị Đúng Hạn")
    make_certificate(on_time.person, issued_on=D(2025, 2, 1))
    make_mediator(tree.T4, recognized_on=D(2025, 1, 10), name="Thạch Thị Sáu")
    make_mediator(tree.T4, recognized_on=D(2025, 1, 10), name="Danh Văn Bảy", gender=Gender.MALE)
    make_user(Role.PROVINCE_ADMIN, tree.P, username="so-tu-phap")
    db.session.commit()
    return tree


def _card(page, code):
    return page.locator(f".figure-card[data-figure='{code}']")


def test_province_admin_follows_e3_to_the_overdue_list_and_exports_it(live_server, desktop_page, province, app, tmp_path):
    page = desktop_page
    login(page, live_server, "so-tu-phap")
    page.click("nav a.nav-link:has-text('Bảng điều khiển')")
    assert page.locator("h1").inner_text().startswith("Kết quả thực hiện kế hoạch: Thành phố Cần Thơ")
    e3 = _card(page, "E3")
    assert e3.get_attribute("data-status") == "not_met"
    assert "Chưa đạt" in e3.locator(".status-badge").inner_text()
    assert "1/3" in e3.inner_text()

    # drill down: the commune in the children table
    page.locator("table.children-table a:has-text('Xã Thạnh Phú')").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("Kết quả thực hiện kế hoạch: Xã Thạnh Phú")
    e3 = _card(page, "E3")
    assert e3.get_attribute("data-status") == "not_met" and "0/2" in e3.inner_text()
    commune_dashboard = page.url

    # the work list behind E3: the deadline list of the certificates area, filtered to the commune
    e3.locator("a:has-text('Danh sách cần xử lý')").click()
    page.wait_for_load_state()
    assert "/certificates/deadlines" in page.url and "commune=31150" in page.url
    main = page.locator("main").inner_text()
    assert "Thạch Thị Sáu" in main and "Danh Văn Bảy" in main and "Trần Thị Đúng Hạn" not in main

    # the export as XLSX (from the dashboard card, where the E3 list's exports are offered)
    page.goto(commune_dashboard)
    with page.expect_download() as info:
        _card(page, "E3").locator("a:has-text('XLSX')").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    wb = load_workbook(path, read_only=True)
    try:
        names = [row[0] for row in wb.active.iter_rows(min_row=2, values_only=True) if row and row[0]]
    finally:
        wb.close()
    assert "Thạch Thị Sáu" in names and "Danh Văn Bảy" in names and "Trần Thị Đúng Hạn" not in names


def test_the_dashboard_fits_a_phone(live_server, phone_page, province):
    page = phone_page
    login(page, live_server, "so-tu-phap")
    page.goto(f"{live_server}/reports/")
    assert page.locator("svg.chart-bars").count() == 1 and page.locator("svg.chart-trend").count() == 3
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

