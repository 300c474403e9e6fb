"""The roster's lists in Vietnamese alphabetical order (stored ICU keys, ``lms.core.collation``): people by given
name, villages with numbers in numeric order, units with a state code in code order, teams; also after an import
(which writes people and teams in bulk, around the ORM events that keep the keys)."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from lms.core.collation import person_sort_key, team_sort_key
from lms.core.roles import Role
from lms.org import imports
from lms.org.models import Person, Team, UnitKind
from tests.fixtures.imports import build_file
from tests.fixtures.vietnamese import PEOPLE_IN_ORDER, PEOPLE_SHUFFLED, VILLAGES_IN_ORDER, in_page_order


def login_as(auth, make_user, db, role, unit):
    user = make_user(role, unit)
    db.session.commit()
    auth.login(user.username)
    return user


def options(html: str, field: str) -> list[str]:
    """The labels of a select's options, in order (the "— Chọn —" prompt left out)."""
    m = re.search(rf'<select[^>]*name="{field}"[^>]*>(.*?)</select>', html, re.S)
    assert m, f"no select {field}"
    return [label for value, label in re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', m.group(1)) if value]


@pytest.fixture
def villages(tree, make_unit):
    """Commune C1 has Khu vực 1 and 2 (the tree's); more are added out of order."""
    for code, name in (("31117-11", "Khu vực 11"), ("31117-10", "Khu vực 10"), ("31117-03", "Khu vực 3"),
                       ("31117-05", "Ấp Ông Chưởng"), ("31117-04", "Ấp An Bình")):
        make_unit(UnitKind.VILLAGE, tree.C1, code=code, name=name)
    return tree


def test_people_list_by_given_name_in_vietnamese_order(client, auth, tree, make_user, make_person, db):
    for name in PEOPLE_SHUFFLED:
        make_person(tree.V1, name=name)
    login_as(auth, make_user, db, Role.PROVINCE_ADMIN, tree.P)
    html = client.get("/org/people").get_data(as_text=True)
    assert in_page_order(html, PEOPLE_IN_ORDER) == PEOPLE_IN_ORDER


def test_villages_in_vietnamese_order_numbers_numeric(client, auth, villages, make_user, db):
    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, villages.C1)
    html = client.get(f"/org/units/{villages.C1.id}").get_data(as_text=True)
    assert in_page_order(html, VILLAGES_IN_ORDER) == VILLAGES_IN_ORDER
    db.session.expire_all()
    assert [u.name for u in villages.C1.children] == VILLAGES_IN_ORDER


def test_teams_of_a_unit_in_order(client, auth, tree, make_user, db):
    from lms.org.services import roster

    for n in (10, 2):
        roster.create_team(unit=tree.V1, name=f"Tổ hòa giải số {n}")
    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    html = client.get(f"/org/units/{tree.V1.id}").get_data(as_text=True)
    teams = ["Tổ hòa giải Khu vực 1", "Tổ hòa giải số 2", "Tổ hòa giải số 10"]
    assert in_page_order(html, teams) == teams


def test_provinces_in_the_states_code_order(client, auth, tree, make_user, make_unit, db):
    make_unit(UnitKind.PROVINCE, None, "11", "Tỉnh Điện Biên")
    make_unit(UnitKind.PROVINCE, None, "01", "Thành phố Hà Nội")
    login_as(auth, make_user, db, Role.SYSTEM_ADMIN, tree.P)
    html = client.get("/org/units").get_data(as_text=True)
    provinces = ["Thành phố Hà Nội", "Tỉnh Điện Biên", "Thành phố Cần Thơ", "Tỉnh Sóc Trăng"]  # 01, 11, 92, 94
    assert in_page_order(html, provinces) == provinces


def test_unit_picker_lists_units_in_order(client, auth, villages, make_user, db):
    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, villages.C1)
    labels = options(client.get("/org/people/add").get_data(as_text=True), "unit_id")
    assert [label.split(" – ")[0] for label in labels] == ["Phường An Hòa", *VILLAGES_IN_ORDER]


def test_import_writes_the_keys_of_the_people_and_teams_it_creates(client, auth, tree, make_user, db, freeze):
    freeze("2026-03-01")
    db.session.commit()
    rows = [{"Họ và tên": name, "Giới tính": "Nữ", "Năm sinh": 1970 + n, "Mã thôn": "31117-02", "Tổ hòa giải": f"Tổ hòa giải số {n % 3 + 9}",
             "Ngày công nhận": "15/01/2025"} for n, name in enumerate(PEOPLE_SHUFFLED)]
    result = imports.run_import("mediators", io.BytesIO(build_file(rows)), "hgv.xlsx", None)
    assert result.ok, [str(e) for e in result.errors]
    db.session.commit()
    people = db.session.execute(select(Person.full_name, Person.sort_key)).all()
    assert {name: key for name, key in people} == {name: person_sort_key(name) for name in PEOPLE_SHUFFLED}
    teams = db.session.execute(select(Team.name, Team.sort_key).where(Team.name.like("Tổ hòa giải số %"))).all()
    assert {name: key for name, key in teams} == {f"Tổ hòa giải số {n}": team_sort_key(f"Tổ hòa giải số {n}") for n in (9, 10, 11)}
    # a name the import corrects (same person: same name but for its accents, same birth year) gets its new key
    assert PEOPLE_SHUFFLED[1] == "Trần Thị Đào"
    rows = [{**rows[1], "Họ và tên": "Trần Thị Đáo"}]
    result = imports.run_import("mediators", io.BytesIO(build_file(rows)), "hgv.xlsx", None, confirm_changes=True)
    assert result.ok, [str(e) for e in result.errors]
    db.session.commit()
    db.session.expire_all()
    assert db.session.scalar(select(Person.sort_key).where(Person.full_name == "Trần Thị Đáo")) == person_sort_key("Trần Thị Đáo")
    assert db.session.scalar(select(Person.id).where(Person.full_name == "Trần Thị Đào")) is None
    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    html = client.get("/org/people").get_data(as_text=True)
    expected = [name.replace("Đào", "Đáo") for name in PEOPLE_IN_ORDER]  # Đáo after Đào: still between Dung and Hoa
    assert in_page_order(html, expected) == expected
