"""The province admin of Cần Thơ loads the state's official list with the history of the July 2025 reform, then sees
the reform on the dashboard: before 1 July 2025 the old district and its communes, after it the new communes,
each with the mediators that went to it."""

from __future__ import annotations

import datetime as dt

import pytest

from lms.core.roles import Role
from lms.org.models import UnitKind
from lms.org.services import roster
from tests.e2e.conftest import login

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning", "ignore::ResourceWarning"),
]

D = dt.date


@pytest.fixture
def can_tho(db, freeze, make_unit, make_user):
    freeze("2026-03-01")
    province = make_unit(UnitKind.PROVINCE, None, "92", "Thành phố Cần Thơ")
    make_user(Role.PROVINCE_ADMIN, province, username="so-tu-phap")
    db.session.commit()
    return province


def _children(page) -> dict[str, str]:
    """The children table, the unit's own row first left out: unit name → E1 as "trained/mediators"."""
    rows = page.locator("table.children-table tbody tr")
    out = {}
    for k in range(1, rows.count()):
        row = rows.nth(k)
        e1 = row.locator("td[data-figure=E1]")
        out[row.locator("th").inner_text().strip()] = f"{e1.get_attribute('data-numerator')}/{e1.get_attribute('data-denominator')}"
    return out


def test_province_admin_loads_the_official_list_and_sees_the_reform(live_server, desktop_page, can_tho, db, make_mediator, make_certificate):
    page = desktop_page
    login(page, live_server, "so-tu-phap")
    page.goto(f"{live_server}/org/units/{can_tho.id}")
    page.click("a:has-text('Nạp danh mục của Nhà nước')")
    page.wait_for_load_state()
    page.check("input[name=history]")
    page.click("button:has-text('Kiểm tra (chưa ghi)')")
    page.wait_for_load_state()
    main = page.locator("main").inner_text()
    assert "Kết quả kiểm tra: Thành phố Cần Thơ" in main and "Chưa ghi gì." in main
    page.click("button:has-text('Nạp')")
    page.wait_for_load_state()
    assert "Đã nạp." in page.locator("main").inner_text()

    # 2024: two mediators of a village of old Phường An Hòa (31120, Quận Ninh Kiều), one trained in December
    db.session.expire_all()
    an_hoa = roster.unit_by_code("31120", D(2025, 3, 1))
    assert an_hoa.name == "Phường An Hòa"
    village = roster.create_unit(code="31120-01", name="Khu vực 1", kind=UnitKind.VILLAGE, parent=an_hoa)
    team = roster.create_team(unit=village, name="Tổ hòa giải khu vực 1")
    trained = make_mediator(team, recognized_on=D(2024, 9, 1), name="Đặng Thị Ánh")
    make_mediator(team, recognized_on=D(2024, 9, 1), name="Ông Văn Ơn")
    make_certificate(trained.person, issued_on=D(2024, 12, 1))
    db.session.commit()

    page.click("a:has-text('Xem bảng điều khiển')")
    page.wait_for_load_state()
    page.fill("#date-input", "2025-03-31")
    page.click("button:has-text('Xem')")
    page.wait_for_load_state()
    before = _children(page)
    assert "Quận Ninh Kiều" in before and "Phường Cái Khế" not in before
    assert before["Quận Ninh Kiều"] == "1/2"

    page.fill("#date-input", "2025-12-31")
    page.click("button:has-text('Xem')")
    page.wait_for_load_state()
    after = _children(page)
    assert "Quận Ninh Kiều" not in after and len(after) == 103
    assert after["Phường Cái Khế"] == "1/2"  # An Hòa went into Cái Khế, with its mediators
