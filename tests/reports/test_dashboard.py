"""The dashboard: one card per figure, the children's chart and table (drill down), the trend, scope, query count."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import event

from lms.core import cache
from lms.core.roles import Role
from lms.org.models import Gender, Plan, TrainerLevel, UnitKind
from lms.org.services import roster
from lms.reports.figures import CODES, coverage

D = dt.date
TODAY = D(2025, 10, 15)


@pytest.fixture
def world(db, tree, cantho_plan, make_mediator, make_certificate, make_person, make_user):
    """Province 92 (the Cần Thơ plan): C1 has 4 mediators (2 trained on time), C2 has 3 (all trained on time),
    C3 has 2 (none trained). E1 = E3 = 5/9 (not met)."""
    plan = cantho_plan
    c1 = [make_mediator(tree.T1, recognized_on=D(2024, 9, 1), name=f"Hòa giải viên An Hòa {i}",
                        gender=Gender.FEMALE if i < 3 else Gender.MALE) for i in range(4)]
    for m in c1[:2]:
        make_certificate(m.person, issued_on=D(2025, 2, 1))
    c2 = [make_mediator(tree.T3, recognized_on=D(2024, 9, 1), name=f"Hòa giải viên Thới Bình {i}") for i in range(3)]
    for m in c2:
        make_certificate(m.person, issued_on=D(2025, 2, 15))
    for i in range(2):
        make_mediator(tree.T4, recognized_on=D(2025, 1, 10), name=f"Hòa giải viên Thạnh Phú {i}")
    trainer = make_person(tree.P, name="Tập huấn viên Tỉnh")
    roster.appoint_trainer(person=trainer, level=TrainerLevel.PROVINCE, unit=tree.P, started_on=D(2024, 8, 1))
    make_certificate(trainer, code="thv", issued_on=D(2024, 12, 1))
    users = SimpleNamespace(
        province=make_user(Role.PROVINCE_ADMIN, tree.P, username="so-tu-phap"),
        district=make_user(Role.DISTRICT_ADMIN, tree.D, username="phong-tu-phap"),
        commune=make_user(Role.COMMUNE_OFFICER, tree.C1, username="cb-an-hoa"),
        trainer=make_user(Role.TRAINER, tree.P, person=trainer, username="thv-tinh"),
        mediator=make_user(Role.MEDIATOR, tree.V1, person=c1[0].person, username="hgv-an-hoa"),
        admin=make_user(Role.SYSTEM_ADMIN, tree.P, username="quan-tri"),
    )
    db.session.commit()
    return SimpleNamespace(tree=tree, plan=plan, users=users)


def card(html: str, code: str) -> str:
    """The HTML of one figure's card."""
    start = html.index(f'data-figure="{code}"')
    nxt = html.find("data-figure=", start + 10)
    return html[start: nxt if nxt != -1 else len(html)]


def vn(value: float | None) -> str:
    if value is None:
        return "—"
    return (f"{value:.1f}".rstrip("0").rstrip(".")).replace(".", ",") + "%"


def test_cards_show_each_figure_value_ratio_target_and_status(client, auth, world):
    auth.login("so-tu-phap")
    html = client.get("/reports/").get_data(as_text=True)
    assert "Kết quả thực hiện kế hoạch: Thành phố Cần Thơ" in html
    cov = coverage(world.tree.P, TODAY)
    titles = {"met": "Đạt", "not_met": "Chưa đạt", "not_applicable": "Không áp dụng"}
    positions = [html.index(f'data-figure="{code}"') for code in CODES]
    assert positions == sorted(positions)  # in CODES order
    for code in CODES:
        f = cov.figures[code]
        c = card(html, code)
        assert f'data-status="{f.status}"' in c, code
        assert titles[f.status] in c, code
        assert vn(f.value) in c, code
        if f.denominator:
            assert f"{f.numerator}/{f.denominator}" in c, code
    e1 = card(html, "E1")
    assert 'data-status="not_met"' in e1 and "55,6%" in e1 and "5/9" in e1
    assert "80–90%" in e1 and "II.1.e" in e1 and "Hòa giải viên được tập huấn, bồi dưỡng" in e1
    e3 = card(html, "E3")
    assert "Chưa đạt" in e3 and "5/9" in e3 and "Danh sách cần xử lý" in e3
    c = card(html, "C")
    assert 'data-status="met"' in c and "100%" in c and "1/1" in c
    assert "≥ 10%" in card(html, "Đ")
    assert "Không áp dụng" in card(html, "H")  # no cases recorded
    # the status colours
    assert "text-bg-danger status-badge" in e1 and "text-bg-success status-badge" in c


def test_not_applicable_shows_the_note(client, auth, world):
    auth.login("cb-an-hoa")
    html = client.get("/reports/").get_data(as_text=True)
    assert "Phường An Hòa" in html
    i = card(html, "I")
    assert 'data-status="not_applicable"' in i and "Không áp dụng" in i and "Đo theo cấp huyện hoặc cấp tỉnh" in i
    assert "Chỉ áp dụng cho cấp tỉnh" in card(html, "B2")


def test_drill_down_to_a_child_keeps_the_date(client, auth, world):
    auth.login("so-tu-phap")
    html = client.get("/reports/?date=2025-06-30&figure=E3").get_data(as_text=True)
    link = re.search(r'<a href="(/reports/\?unit=916[^"]*)">Quận Ninh Kiều</a>', html)
    assert link, "the district is linked in the children table"
    url = link.group(1).replace("&amp;", "&")
    assert "date=2025-06-30" in url and "figure=E3" in url
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Kết quả thực hiện kế hoạch: Quận Ninh Kiều" in html
    assert "30/06/2025" in html
    # breadcrumb back to the province, and the district's own children
    assert re.search(r'<a href="/reports/\?unit=92[^"]*">Thành phố Cần Thơ</a>', html)
    assert ">Phường An Hòa</a>" in html and ">Phường Thới Bình</a>" in html
    cov = coverage(world.tree.D, D(2025, 6, 30))
    assert f"{cov.figures['E1'].numerator}/{cov.figures['E1'].denominator}" in card(html, "E1")


def test_scope_a_commune_officer_and_a_district_admin_see_only_their_subtree(client, auth, world, make_unit, make_user, db):
    other_district = make_unit(UnitKind.DISTRICT, world.tree.P, "918", "Quận Cái Răng")
    db.session.commit()
    auth.login("cb-an-hoa")
    assert client.get("/reports/?unit=31117").status_code == 200
    assert client.get("/reports/?unit=31120").status_code == 404  # another commune
    assert client.get("/reports/?unit=92").status_code == 404  # its province
    assert client.get("/reports/?unit=94").status_code == 404
    assert client.get("/reports/?unit=KHONG-CO").status_code == 404
    auth.logout()
    auth.login("phong-tu-phap")
    assert client.get("/reports/").status_code == 200
    assert client.get("/reports/?unit=31117").status_code == 200
    assert client.get(f"/reports/?unit={other_district.code}").status_code == 404
    assert client.get("/reports/?unit=31150").status_code == 404  # a commune of the province outside the district
    auth.logout()
    auth.login("hgv-an-hoa")
    assert client.get("/reports/").status_code == 403


def test_trainer_and_system_admin(client, auth, world):
    auth.login("thv-tinh")
    assert "Kết quả thực hiện kế hoạch: Thành phố Cần Thơ" in client.get("/reports/").get_data(as_text=True)
    auth.logout()
    auth.login("quan-tri")
    html = client.get("/reports/").get_data(as_text=True)
    assert "Chọn tỉnh, thành phố" in html
    assert 'href="/reports/?unit=92"' in html and 'href="/reports/?unit=94"' in html
    assert "Kết quả thực hiện kế hoạch: Tỉnh Sóc Trăng" in client.get("/reports/?unit=94").get_data(as_text=True)


def test_date_picker_and_bad_input(client, auth, world):
    auth.login("so-tu-phap")
    html = client.get("/reports/?date=2025-02-27").get_data(as_text=True)
    assert 'type="date"' in html and 'value="2025-02-27"' in html
    assert 'data-status="not_applicable"' in card(html, "E3")  # no deadline had passed yet
    html = client.get("/reports/?date=2025-13-01&year=abc").get_data(as_text=True)
    assert "Ngày «2025-13-01» không hợp lệ" in html and "Năm «abc» không hợp lệ" in html
    assert 'value="2025-10-15"' in html


def test_bar_chart_and_children_table(client, auth, world):
    auth.login("so-tu-phap")
    html = client.get("/reports/?figure=E1").get_data(as_text=True)
    svg = re.search(r'<svg[^>]*class="chart chart-bars"[^>]*>.*?</svg>', html, re.S).group(0)
    assert 'role="img"' in svg and 'aria-label="E1' in svg
    assert "<title>Quận Ninh Kiều: 71,4% (5/7), chưa đạt</title>" in svg
    assert "<title>Xã Thạnh Phú: 0% (0/2), chưa đạt</title>" in svg
    assert "Chỉ tiêu 80%" in svg  # the target line
    table = html[html.index("children-table"):]
    assert "table-danger" in table and "71,4%" in table
    # another figure on the chart
    html = client.get("/reports/?figure=C").get_data(as_text=True)
    assert 'aria-label="C – Tập huấn viên được tập huấn' in html
    assert "@media print" in html


def test_trend_per_year_over_the_phases(client, auth, world):
    auth.login("so-tu-phap")
    html = client.get("/reports/").get_data(as_text=True)
    trends = re.findall(r'<svg[^>]*class="chart chart-trend"[^>]*>.*?</svg>', html, re.S)
    assert len(trends) == 3
    e1, e3, h = trends
    assert 'aria-label="E1' in e1 and 'aria-label="E3' in e3 and 'aria-label="H' in h
    assert "Giai đoạn 1 (2024 - 2026)" in html and "Giai đoạn 2 (2027 - 2030)" in html
    # 2024: nobody trained yet on 31/12/2024 (7 mediators recognized in 2024); 2025: 5/9 as of today; later years empty
    assert "<title>2024: 0% (0/7), chưa đạt</title>" in e1
    assert "<title>2025: 55,6% (5/9), chưa đạt</title>" in e1
    assert "<title>2026: chưa đến</title>" in e1 and "<title>2030: chưa đến</title>" in e1
    assert "<title>2024: không áp dụng</title>" in e3  # no deadline had passed by 31/12/2024


# --------------------------------------------------------------------------- cost


def _count_statements(db, func) -> int:
    count = [0]

    def before(*_):
        count[0] += 1

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        func()
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    return count[0]


def test_query_count_does_not_grow_with_units(db, client, auth, make_unit, make_mediator, make_user, freeze):
    freeze("2025-10-15")
    province = make_unit(UnitKind.PROVINCE, None, "92", "Thành phố Cần Thơ")
    db.session.add(Plan(slug="ct", unit_id=province.id, number="146/KH-UBND", title="Kế hoạch", issued_on=D(2024, 7, 19),
                        start_date=D(2024, 7, 19), data={"targets": {"E1": {"threshold": 80}, "E3": {"threshold": 100}},
                                                         "phases": [{"title": "Giai đoạn 1", "from": 2024, "to": 2026}]}))

    def add_communes(start, stop):
        for i in range(start, stop):
            c = make_unit(UnitKind.COMMUNE, province, f"C{i:03d}", f"Xã {i}")
            v = make_unit(UnitKind.VILLAGE, c, f"C{i:03d}-01", f"Ấp {i}")
            make_mediator(roster.create_team(unit=v, name=f"Tổ {i}"), recognized_on=D(2024, 9, 1))

    add_communes(0, 3)
    make_user(Role.PROVINCE_ADMIN, province, username="so-tu-phap")
    db.session.commit()
    auth.login("so-tu-phap")
    url = "/reports/?unit=92&date=2025-10-15"

    def get():
        db.session.expire_all()  # as in a fresh request: nothing cached in the (shared) session
        cache.store().clear()  # the figures computed, not read from the dashboard's cache
        response = client.get(url)
        assert response.status_code == 200

    get()  # warm up (first-request work is not the page's)
    small = _count_statements(db, get)
    add_communes(3, 12)
    db.session.commit()
    large = _count_statements(db, get)
    assert small == large
    assert "Xã 11" in client.get(url).get_data(as_text=True)
