"""The work lists behind the figures, on hand-built data: D (teams failing composition and why), B (short of
trainers), C (untrained trainers), E1 / G (communes under target, with the shortfall), E3 (the deadline list)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook

from lms.core.roles import Role
from lms.learning.models import MaterialAccess
from lms.learning.services import record_access
from lms.org.models import Gender, TrainerLevel, UnitKind
from lms.org.services import roster
from lms.reports.figures import coverage
from lms.reports.worklists import needed

D = dt.date
TODAY = D(2025, 10, 15)


@pytest.fixture
def setup(db, tree, cantho_plan, make_user):
    make_user(Role.PROVINCE_ADMIN, tree.P, username="so-tu-phap")
    make_user(Role.COMMUNE_OFFICER, tree.C1, username="cb-an-hoa")
    make_user(Role.DISTRICT_ADMIN, tree.D, username="phong-tu-phap")
    return tree


def rows_of(html: str) -> list[str]:
    body = html[html.index("<tbody>"): html.index("</tbody>")] if "<tbody>" in html else ""
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r)).strip() for r in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


# --------------------------------------------------------------------------- D


def test_d_lists_exactly_the_failing_teams_with_the_reason(client, auth, db, setup, make_unit, make_mediator):
    tree = setup
    for g in (Gender.FEMALE, Gender.MALE, Gender.MALE):  # T1: fine
        make_mediator(tree.T1, gender=g)
    make_mediator(tree.T2, gender=Gender.FEMALE)  # T2: too few
    make_mediator(tree.T2, gender=Gender.MALE)
    for _ in range(3):  # T3: no woman
        make_mediator(tree.T3, gender=Gender.MALE)
    for _ in range(3):  # T4 (minority-area commune): women, none from a minority
        make_mediator(tree.T4, gender=Gender.FEMALE, ethnicity="Kinh")
    empty = roster.create_team(unit=make_unit(UnitKind.VILLAGE, tree.C2, "31120-02", "Khu vực 5"), name="Tổ hòa giải trống")
    dissolved = roster.create_team(unit=make_unit(UnitKind.VILLAGE, tree.C2, "31120-03", "Khu vực 6"), name="Tổ đã giải thể")
    roster.end_team(dissolved, D(2025, 1, 1))
    make_mediator(tree.TQ, gender=Gender.MALE)  # another province: never listed
    db.session.commit()
    auth.login("so-tu-phap")
    html = client.get("/reports/worklists/d?date=2025-10-15").get_data(as_text=True)
    rows = rows_of(html)
    assert len(rows) == 4 == coverage(tree.P, TODAY).figures["D"].denominator - coverage(tree.P, TODAY).figures["D"].numerator
    by_team = {name: r for r in rows for name in ("Tổ hòa giải Khu vực 2", "Tổ hòa giải Khu vực 3", "Tổ hòa giải Ấp Thạnh Lợi",
                                                  "Tổ hòa giải trống") if r.startswith(name)}
    assert len(by_team) == 4
    assert "Dưới 3 hòa giải viên (có 2)" in by_team["Tổ hòa giải Khu vực 2"]
    assert "Không có hòa giải viên nữ" in by_team["Tổ hòa giải Khu vực 3"]
    assert "Dưới 3" not in by_team["Tổ hòa giải Khu vực 3"]
    assert "Không có hòa giải viên người dân tộc thiểu số" in by_team["Tổ hòa giải Ấp Thạnh Lợi"]
    assert "Không có hòa giải viên nữ" not in by_team["Tổ hòa giải Ấp Thạnh Lợi"]
    assert "Dưới 3 hòa giải viên (có 0); Không có hòa giải viên nữ" in by_team["Tổ hòa giải trống"]
    assert "Khu vực 1 " not in " ".join(rows) and "Tổ đã giải thể" not in html and "Phú Hòa" not in html
    assert f'href="/org/teams/{empty.id}"' in html and f'href="/org/teams/{tree.T2.id}"' in html
    # the card links here
    dash = client.get("/reports/").get_data(as_text=True)
    assert 'href="/reports/worklists/d?unit=92&amp;date=2025-10-15"' in dash
    # a commune officer sees only their commune's teams, and not another commune's list
    auth.logout()
    auth.login("cb-an-hoa")
    rows = rows_of(client.get("/reports/worklists/d").get_data(as_text=True))
    assert len(rows) == 1 and "Khu vực 2" in rows[0]
    assert client.get("/reports/worklists/d?unit=31120").status_code == 404
    assert client.get("/reports/worklists/c?unit=92").status_code == 404


def test_d_is_paginated(client, auth, db, setup, make_unit, monkeypatch, app):
    tree = setup
    for i in range(5):
        roster.create_team(unit=make_unit(UnitKind.VILLAGE, tree.C2, f"31120-1{i}", f"Khu vực 1{i}"), name=f"Tổ trống {i}")
    db.session.commit()
    monkeypatch.setitem(app.config, "PAGE_SIZE", 3)
    auth.login("so-tu-phap")
    first = client.get("/reports/worklists/d").get_data(as_text=True)
    second = client.get("/reports/worklists/d?page=2").get_data(as_text=True)
    third = client.get("/reports/worklists/d?page=3").get_data(as_text=True)
    assert len(rows_of(first)) == 3 and len(rows_of(second)) == 3 and len(rows_of(third)) == 3  # 4 old + 5 new empty teams
    assert "Trang 1/3" in first and "9 bản ghi" in first
    names = set(rows_of(first) + rows_of(second) + rows_of(third))
    assert len(names) == 9


# --------------------------------------------------------------------------- C and B


def test_c_lists_active_trainers_without_a_valid_trainer_certificate(client, auth, db, setup, make_person, make_certificate):
    tree = setup
    trained = make_person(tree.P, name="Trần Văn Đã Học")
    untrained = make_person(tree.P, name="Lê Thị Chưa Học", phone="0907000001")
    mediator_only = make_person(tree.D, name="Phạm Văn Chỉ Có HGV")
    ended = make_person(tree.P, name="Võ Văn Đã Thôi")
    revoked = make_person(tree.D, name="Đỗ Thị Bị Thu Hồi")
    for p in (trained, untrained, ended):
        roster.appoint_trainer(person=p, level=TrainerLevel.PROVINCE, unit=tree.P, started_on=D(2024, 8, 1))
    for p in (mediator_only, revoked):
        roster.appoint_trainer(person=p, level=TrainerLevel.DISTRICT, unit=tree.D, started_on=D(2024, 9, 3))
    roster.end_appointment(ended.appointments[0], ended_on=D(2025, 1, 1))
    make_certificate(trained, code="thv", issued_on=D(2025, 1, 1))
    make_certificate(mediator_only, code="hgv", issued_on=D(2025, 1, 1))
    from lms.certificates.services import revoke

    revoke(make_certificate(revoked, code="thv", issued_on=D(2025, 1, 1)), "Cấp nhầm", on=D(2025, 6, 1))
    db.session.commit()
    auth.login("so-tu-phap")
    html = client.get("/reports/worklists/c").get_data(as_text=True)
    rows = rows_of(html)
    assert len(rows) == 3
    text = " ".join(rows)
    assert "Lê Thị Chưa Học" in text and "Phạm Văn Chỉ Có HGV" in text and "Đỗ Thị Bị Thu Hồi" in text
    assert "Trần Văn Đã Học" not in text and "Võ Văn Đã Thôi" not in text
    assert "01/08/2024" in text and "03/09/2024" in text and "0907000001" in text
    assert f'href="/org/people/{untrained.id}"' in html
    cov = coverage(tree.P, TODAY).figures["C"]
    assert cov.denominator - cov.numerator == 3
    # before the revocation the revoked one still counted as trained
    assert "Đỗ Thị Bị Thu Hồi" not in client.get("/reports/worklists/c?date=2025-05-31").get_data(as_text=True)
    # the district's list has the district's trainers only
    assert len(rows_of(client.get("/reports/worklists/c?unit=916").get_data(as_text=True))) == 2


def test_b_lists_the_district_and_province_short_of_trainers(client, auth, db, setup, make_person):
    tree = setup
    auth.login("so-tu-phap")
    rows = rows_of(client.get("/reports/worklists/b").get_data(as_text=True))
    # district 916: 3 active teams need 1 district trainer, has 0; the province: 4 teams need 1 province trainer, has 0
    assert len(rows) == 2
    assert rows[0].startswith("Thành phố Cần Thơ (92)") and "B2" in rows[0] and rows[0].endswith("4 100 1 0 1")
    assert rows[1].startswith("Quận Ninh Kiều (916)") and "B1" in rows[1] and rows[1].endswith("3 80 1 0 1")
    p = make_person(tree.P, name="Tập huấn viên Tỉnh")
    roster.appoint_trainer(person=p, level=TrainerLevel.PROVINCE, unit=tree.P, started_on=D(2024, 8, 1))
    db.session.commit()
    rows = rows_of(client.get("/reports/worklists/b").get_data(as_text=True))
    assert len(rows) == 1 and rows[0].startswith("Quận Ninh Kiều")
    # below a district it does not apply
    assert "Không áp dụng" in client.get("/reports/worklists/b?unit=31117").get_data(as_text=True)


# --------------------------------------------------------------------------- E1, G


def test_e1_and_g_list_communes_under_target_with_the_shortfall(client, auth, db, setup, make_mediator, make_certificate):
    tree = setup
    c1 = [make_mediator(tree.T1, recognized_on=D(2024, 9, 1)) for _ in range(3)] + [make_mediator(tree.T2, recognized_on=D(2024, 9, 1)) for _ in range(2)]
    c2 = [make_mediator(tree.T3, recognized_on=D(2024, 9, 1)) for _ in range(3)]
    c3 = [make_mediator(tree.T4, recognized_on=D(2024, 9, 1)) for _ in range(2)]
    for m in c1[:2] + c2 + c3[:1]:
        make_certificate(m.person, issued_on=D(2025, 1, 1))
    for m in c1[:4] + c2[:1]:
        record_access(m.person, MaterialAccess.ONLINE, on=D(2025, 2, 1))
    db.session.commit()
    auth.login("so-tu-phap")
    html = client.get("/reports/worklists/e1").get_data(as_text=True)
    rows = rows_of(html)
    # C1: 2 of 5 trained (40%), 80% needs 4 -> 2 short; C3: 1 of 2 (50%), needs 2 -> 1 short; C2: 3 of 3, not listed
    assert rows == ["Phường An Hòa Quận Ninh Kiều 5 2 40 80 2", "Xã Thạnh Phú Thành phố Cần Thơ 2 1 50 80 1"]
    assert 'href="/reports/?unit=31117&amp;date=2025-10-15"' in html
    rows = rows_of(client.get("/reports/worklists/g").get_data(as_text=True))
    # G (100%): C2 1 of 3 -> 2 short; C3 0 of 2 -> 2 short; C1 4 of 5 -> 1 short (worst first)
    assert rows == ["Phường Thới Bình Quận Ninh Kiều 3 1 33,3 100 2", "Xã Thạnh Phú Thành phố Cần Thơ 2 0 0 100 2",
                    "Phường An Hòa Quận Ninh Kiều 5 4 80 100 1"]
    # the commune's own list, and another date (nobody trained yet)
    auth.logout()
    auth.login("cb-an-hoa")
    assert rows_of(client.get("/reports/worklists/e1").get_data(as_text=True)) == ["Phường An Hòa Quận Ninh Kiều 5 2 40 80 2"]
    assert rows_of(client.get("/reports/worklists/e1?date=2024-12-31").get_data(as_text=True)) == ["Phường An Hòa Quận Ninh Kiều 5 0 0 80 4"]


def test_needed_has_no_float_noise():
    assert needed(80, 5) == 4 and needed(80, 6) == 5 and needed(100, 3) == 3 and needed(10, 1) == 1 and needed(85.5, 200) == 171


def test_a_list_with_nothing_to_do(client, auth, db, setup):
    auth.login("so-tu-phap")
    html = client.get("/reports/worklists/e1").get_data(as_text=True)
    assert "Không có mục nào cần xử lý" in html


# --------------------------------------------------------------------------- E3, exports


def test_e3_goes_to_the_deadline_list(client, auth, db, setup):
    auth.login("so-tu-phap")
    response = client.get("/reports/worklists/e3?unit=31117")
    assert response.status_code == 302
    assert response.headers["Location"] == "/certificates/deadlines?commune=31117&status=urgent"
    assert client.get("/reports/worklists/e3?unit=94").status_code == 404


def test_work_list_export_has_the_page_rows(client, auth, db, setup, app, make_mediator):
    tree = setup
    make_mediator(tree.T2, gender=Gender.MALE)
    db.session.commit()
    auth.login("so-tu-phap")
    with client.get("/reports/export/worklist/d.xlsx?unit=92&date=2025-10-15") as response:
        assert response.status_code == 200
        data = response.data
    ws = load_workbook(io.BytesIO(data)).active
    values = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    assert values[0][0] == "Tổ hòa giải" and values[0][-1] == "Chưa đạt vì"
    teams = [r[0] for r in values[1:] if len(r) > 3 and isinstance(r[3], int)]
    assert sorted(teams) == sorted(["Tổ hòa giải Khu vực 1", "Tổ hòa giải Khu vực 2", "Tổ hòa giải Khu vực 3", "Tổ hòa giải Ấp Thạnh Lợi"])
    k2 = next(r for r in values if r and r[0] == "Tổ hòa giải Khu vực 2")
    assert k2[3] == 1 and "Dưới 3 hòa giải viên (có 1)" in k2[-1] and "Không có hòa giải viên nữ" in k2[-1]
