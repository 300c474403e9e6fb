"""The plan page: every staff role reads its province's plan; province and system admins edit the targets
(audited, all or nothing), and the dashboard follows."""

from __future__ import annotations

import datetime as dt

import pytest

from lms.core.audit import history
from lms.core.roles import Role
from lms.extensions import db as _db
from lms.org.models import Gender, Plan
from tests.conftest import csrf_token

D = dt.date


@pytest.fixture
def plan_world(db, tree, cantho_plan, make_user, make_mediator, make_certificate):
    plan = cantho_plan
    # E1: 3 of 5 trained = 60% (not met against 80%)
    ms = [make_mediator(tree.T1, recognized_on=D(2024, 9, 1), gender=Gender.FEMALE) for _ in range(5)]
    for m in ms[:3]:
        make_certificate(m.person, issued_on=D(2025, 1, 1))
    make_user(Role.PROVINCE_ADMIN, tree.P, username="so-tu-phap")
    make_user(Role.DISTRICT_ADMIN, tree.D, username="phong-tu-phap")
    make_user(Role.COMMUNE_OFFICER, tree.C1, username="cb-an-hoa")
    make_user(Role.TRAINER, tree.P, username="thv-tinh")
    make_user(Role.SYSTEM_ADMIN, tree.P, username="quan-tri")
    make_user(Role.PROVINCE_ADMIN, tree.Q, username="soc-trang")
    db.session.commit()
    return plan


def _targets(plan: Plan) -> dict:
    _db.session.refresh(plan)
    return {code: t["threshold"] for code, t in plan.data["targets"].items()}


def _form(plan_targets: dict, **changes) -> dict:
    data = {f"target-{code}": str(v) for code, v in plan_targets.items()}
    data.update({f"target-{code}": v for code, v in changes.items()})
    return data


def test_staff_read_the_plan(client, auth, plan_world):
    for user in ("cb-an-hoa", "phong-tu-phap", "thv-tinh"):
        auth.login(user)
        response = client.get("/reports/plan")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "Kế hoạch số 146/KH-UBND ngày 19/07/2024" in html
        assert "Giai đoạn 1 (2024 - 2026)" in html and "sơ kết năm 2026" in html
        assert "80–90%" in html and "Tổ hòa giải có người hỗ trợ pháp lý" in html and "≥ 10%" in html
        assert "Lưu chỉ tiêu" not in html and "Chỉ quản trị cấp tỉnh" in html
        auth.logout()


def test_province_admin_changes_a_target_and_the_dashboard_follows(client, auth, plan_world):
    auth.login("so-tu-phap")
    dash = client.get("/reports/").get_data(as_text=True)
    e1 = dash[dash.index('data-figure="E1"'):dash.index('data-figure="E2"')]
    assert 'data-status="not_met"' in e1 and "60%" in e1
    page = client.get("/reports/plan").get_data(as_text=True)
    assert "Lưu chỉ tiêu" in page and 'name="target-E1" id="target-E1"' in page
    before = _targets(plan_world)
    response = client.post("/reports/plan?unit=92", data={**_form(before, E1="55,5"), "csrf_token": csrf_token(page)})
    assert response.status_code == 302
    after = _targets(plan_world)
    assert after["E1"] == 55.5 and {k: v for k, v in after.items() if k != "E1"} == {k: v for k, v in before.items() if k != "E1"}
    assert plan_world.data["targets"]["E1"]["band_to"] == 90  # the rest of the target is kept
    rows = history(plan_world)
    assert rows[0].changes == {"target E1": [80, 55.5]} and rows[0].actor == "so-tu-phap"
    page = client.get("/reports/plan").get_data(as_text=True)
    assert "Đã lưu chỉ tiêu E1." in page and "Chỉ tiêu E1" in page and "80 → 55,5" in page
    dash = client.get("/reports/").get_data(as_text=True)
    e1 = dash[dash.index('data-figure="E1"'):dash.index('data-figure="E2"')]
    assert 'data-status="met"' in e1 and "Đạt" in e1


def test_bad_values_are_refused_whole(client, auth, plan_world):
    auth.login("so-tu-phap")
    page = client.get("/reports/plan").get_data(as_text=True)
    before = _targets(plan_world)
    response = client.post("/reports/plan", data={**_form(before, D="95", E1="abc", C="120", G=""), "csrf_token": csrf_token(page)})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "«abc» không phải là một số" in html and "Chỉ tiêu phải từ 0 đến 100%." in html and "Hãy nhập chỉ tiêu" in html
    assert "Chưa lưu" in html
    assert _targets(plan_world) == before  # D's valid change was not saved either
    assert len(history(plan_world)) == 1  # only the load
    # nothing changed: nothing recorded
    client.post("/reports/plan", data={**_form(before), "csrf_token": csrf_token(page)})
    assert len(history(plan_world)) == 1


def test_only_province_and_system_admins_may_edit(client, auth, plan_world):
    auth.login("cb-an-hoa")
    page = client.get("/reports/plan").get_data(as_text=True)
    token = csrf_token(page)
    before = _targets(plan_world)
    assert client.post("/reports/plan", data={**_form(before, E1="10"), "csrf_token": token}).status_code == 403
    auth.logout()
    for user in ("phong-tu-phap", "thv-tinh"):
        auth.login(user)
        token = csrf_token(client.get("/reports/plan").get_data(as_text=True))
        assert client.post("/reports/plan", data={**_form(before, E1="10"), "csrf_token": token}).status_code == 403
        auth.logout()
    # another province's admin cannot even see this plan through a unit code
    auth.login("soc-trang")
    assert client.get("/reports/plan?unit=92").status_code == 404
    token = csrf_token(client.get("/reports/plan").get_data(as_text=True))
    assert client.post("/reports/plan?unit=92", data={**_form(before, E1="10"), "csrf_token": token}).status_code == 404
    assert "Quyết định số 315/QĐ-TTg" in client.get("/reports/plan").get_data(as_text=True)  # its own: the national scheme
    assert _targets(plan_world) == before
    auth.logout()
    # a system admin may
    auth.login("quan-tri")
    page = client.get("/reports/plan?unit=92").get_data(as_text=True)
    assert client.post("/reports/plan?unit=92", data={**_form(before, H="90"), "csrf_token": csrf_token(page)}).status_code == 302
    assert _targets(plan_world)["H"] == 90


def test_the_post_needs_the_csrf_token(client, auth, plan_world):
    auth.login("so-tu-phap")
    before = _targets(plan_world)
    assert client.post("/reports/plan", data=_form(before, E1="10")).status_code == 400
    assert _targets(plan_world) == before


def test_a_province_without_a_plan_is_judged_by_the_national_scheme(client, auth, plan_world, tree, make_mediator, make_certificate):
    """Quyết định 315/QĐ-TTg of 17 April 2024: its targets, and its date as E3's start (DOMAIN.md, the plan in force)."""
    from lms.reports.figures import coverage

    make_mediator(tree.TQ, recognized_on=D(2024, 4, 16))  # before the scheme: not in E3
    counted = make_mediator(tree.TQ, recognized_on=D(2024, 4, 17))  # deadline 17 Oct 2024
    make_certificate(counted.person, issued_on=D(2024, 10, 17))
    make_mediator(tree.T1, recognized_on=D(2024, 5, 2))  # in Cần Thơ, before its own plan (19 July 2024): not in E3
    _db.session.commit()
    soc_trang = coverage(tree.Q, D(2025, 6, 1))
    assert soc_trang.plan.is_national and soc_trang.plan.number == "315/QĐ-TTg" and soc_trang.plan.start_date == D(2024, 4, 17)
    e3, e1 = soc_trang.figures["E3"], soc_trang.figures["E1"]
    assert (e3.numerator, e3.denominator, e3.status) == (1, 1, "met")
    assert e1.target == 80 and (e1.numerator, e1.denominator) == (1, 2)
    can_tho = coverage(tree.P, D(2025, 6, 1))
    assert can_tho.plan.number == "146/KH-UBND" and can_tho.figures["E3"].denominator == 5  # plan_world's, not the one of 2 May

    auth.login("soc-trang")
    html = client.get("/reports/plan").get_data(as_text=True)
    assert "Quyết định số 315/QĐ-TTg ngày 17/04/2024" in html and "chưa có kế hoạch riêng" in html
    assert "Lưu chỉ tiêu" not in html and "80–90%" in html
    token = csrf_token(html)
    assert client.post("/reports/plan", data={"target-E1": "10", "csrf_token": token}).status_code == 403
    dash = client.get("/reports/").get_data(as_text=True)
    assert "Quyết định số 315/QĐ-TTg ngày 17/04/2024" in dash and "(tỉnh chưa có kế hoạch riêng)" in dash
