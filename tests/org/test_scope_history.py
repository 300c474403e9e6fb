"""Scope through the July 2025 reform: from the day after an old unit's end, the accounts of its successor see its
subtree (the villages, teams and mediators of the old communes a new commune absorbed), as the figures count them;
before that day they do not; a village of a split commune that went to the other successor stays out; an account of
the old unit still sees its own subtree."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from lms.core.access import scoped
from lms.core.roles import Role
from lms.org.models import Person, UnitKind
from lms.org.services import roster

D = dt.date
OLD_END, NEW_START = D(2025, 6, 30), D(2025, 7, 1)


@pytest.fixture
def reform(db, make_unit, make_mediator, make_user):
    """Old Phường An Hòa (31120) and old Phường Thới Bình (31117) both merge into the new Phường Cái Khế, which
    keeps An Hòa's code; Thới Bình is split: its Khu vực 2 goes to the new Phường Ninh Kiều instead."""
    province = make_unit(UnitKind.PROVINCE, None, "92", "Thành phố Cần Thơ")
    district = make_unit(UnitKind.DISTRICT, province, "916", "Quận Ninh Kiều", valid_to=OLD_END)
    cai_khe = make_unit(UnitKind.COMMUNE, province, "31120", "Phường Cái Khế", valid_from=NEW_START)
    ninh_kieu = make_unit(UnitKind.COMMUNE, province, "31135", "Phường Ninh Kiều", valid_from=NEW_START)
    ninh_kieu_kv = make_unit(UnitKind.VILLAGE, ninh_kieu, "31135-01", "Khu vực 1", valid_from=NEW_START)
    an_hoa = make_unit(UnitKind.COMMUNE, district, "31120", "Phường An Hòa", valid_to=OLD_END, successor=cai_khe)
    thoi_binh = make_unit(UnitKind.COMMUNE, district, "31117", "Phường Thới Bình", valid_to=OLD_END, successor=cai_khe)
    an_hoa_kv = make_unit(UnitKind.VILLAGE, an_hoa, "31120-01", "Khu vực 1")
    thoi_binh_kv = make_unit(UnitKind.VILLAGE, thoi_binh, "31117-02", "Khu vực 2", valid_to=OLD_END, successor=ninh_kieu_kv)
    people = {}
    for name, village in (("Đặng Thị Ánh", an_hoa_kv), ("Trương Văn Ơn", thoi_binh_kv)):
        people[name] = make_mediator(roster.create_team(unit=village, name=f"Tổ hòa giải {village.name}"), recognized_on=D(2024, 9, 1), name=name).person
    users = {
        "cai-khe": make_user(Role.COMMUNE_OFFICER, cai_khe, username="tuphap.caikhe"),
        "ninh-kieu": make_user(Role.COMMUNE_OFFICER, ninh_kieu, username="tuphap.ninhkieu"),
        "an-hoa": make_user(Role.COMMUNE_OFFICER, an_hoa, username="tuphap.anhoa"),
        "province": make_user(Role.PROVINCE_ADMIN, province, username="sotuphap"),
    }
    db.session.commit()
    return people, users


def _seen(db, user) -> set[str]:
    return set(db.session.scalars(scoped(select(Person.full_name), Person, user)))


def test_before_the_reform_day_each_sees_its_own_subtree(db, freeze, reform):
    freeze("2025-06-30")
    _, users = reform
    assert _seen(db, users["cai-khe"]) == set()
    assert _seen(db, users["ninh-kieu"]) == set()
    assert _seen(db, users["an-hoa"]) == {"Đặng Thị Ánh"}
    assert _seen(db, users["province"]) == {"Đặng Thị Ánh", "Trương Văn Ơn"}


def test_after_it_the_successor_sees_what_merged_into_it_and_a_split_village_goes_to_its_own_successor(db, freeze, reform):
    freeze("2025-07-01")
    _, users = reform
    assert _seen(db, users["cai-khe"]) == {"Đặng Thị Ánh"}  # An Hòa's village; Thới Bình's went to Ninh Kiều
    assert _seen(db, users["ninh-kieu"]) == {"Trương Văn Ơn"}
    assert _seen(db, users["an-hoa"]) == {"Đặng Thị Ánh"}  # the old unit's account still sees its own
    assert _seen(db, users["province"]) == {"Đặng Thị Ánh", "Trương Văn Ơn"}


def test_the_new_communes_officer_opens_the_old_communes_mediator_and_lists_them(db, client, auth, freeze, reform):
    people, _ = reform
    anh = people["Đặng Thị Ánh"]
    freeze("2025-06-15")
    auth.login("tuphap.caikhe")
    assert client.get(f"/org/people/{anh.id}").status_code == 404
    freeze("2025-08-01")
    page = client.get(f"/org/people/{anh.id}")
    assert page.status_code == 200 and "Đặng Thị Ánh" in page.get_data(as_text=True)
    listing = client.get("/org/people").get_data(as_text=True)
    assert "Đặng Thị Ánh" in listing and "Trương Văn Ơn" not in listing
    assert client.get(f"/org/people/{people['Trương Văn Ơn'].id}").status_code == 404
