"""Vietnamese alphabetical order (``lms.core.collation``): ICU's keys, the order they give, and that both databases
sort the stored keys the same way (byte-wise); the migration that back-fills them."""

from __future__ import annotations

import datetime as dt
import threading
import unicodedata

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from lms.core.collation import has_official_code, person_sort_key, sort_key, team_sort_key, unit_sort_key
from lms.extensions import db as _db
from lms.org.models import Person, Team, Unit, UnitKind
from lms.org.services import roster
from tests.conftest import _pg_admin_url, create_pg_database, drop_pg_database, make_app, need
from tests.fixtures.vietnamese import PEOPLE_IN_ORDER, PEOPLE_SHUFFLED, VILLAGES_IN_ORDER

ALPHABET = "a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y".split()


def ordered(words, key=sort_key):
    return sorted(words, key=key)


# --------------------------------------------------------------------------- the keys


def test_vietnamese_alphabet():
    assert ordered(reversed(ALPHABET)) == ALPHABET
    assert ordered([w.upper() for w in reversed(ALPHABET)]) == [w.upper() for w in ALPHABET]


def test_tones_come_after_the_letter_in_vietnamese_order():
    # ngang, huyền, hỏi, ngã, sắc, nặng: all forms of "ma" before "man", before "mă…"
    assert ordered(["mạ", "mă", "má", "man", "mã", "mà", "ma", "mả"]) == ["ma", "mà", "mả", "mã", "má", "mạ", "man", "mă"]


def test_d_before_dd_and_u_before_uw():
    assert ordered(["Đặng", "Dung", "Đào", "Dương", "Duy"]) == ["Dung", "Duy", "Dương", "Đào", "Đặng"]


def test_numbers_in_numeric_order():
    assert ordered(["Khu vực 11", "Khu vực 2", "Khu vực 10", "Khu vực 1"]) == ["Khu vực 1", "Khu vực 2", "Khu vực 10", "Khu vực 11"]
    assert ordered(["Tổ hòa giải số 10", "Tổ hòa giải số 9"], key=team_sort_key) == ["Tổ hòa giải số 9", "Tổ hòa giải số 10"]


def test_keys_are_of_the_normalized_text():
    assert sort_key(unicodedata.normalize("NFD", "Trần Thị Đào")) == sort_key("Trần Thị Đào")
    assert person_sort_key("  Trần  Thị   Đào ") == person_sort_key("Trần Thị Đào")
    assert sort_key(None) == sort_key("") < sort_key("a")
    assert person_sort_key(None) == person_sort_key("")


def test_people_by_given_name_then_family_and_middle_name():
    assert ordered(PEOPLE_SHUFFLED, key=person_sort_key) == PEOPLE_IN_ORDER
    an, anh, aan = person_sort_key("Lê Văn An"), person_sort_key("Đặng Văn Anh"), person_sort_key("Hồ Văn Ân")
    assert an < anh < aan
    # same given name: by family name, Dung before Đặng
    assert person_sort_key("Dung Văn Hòa") < person_sort_key("Đặng Văn Hòa")
    # a one-word name is its own given name
    assert person_sort_key("An") < person_sort_key("Lê Văn An") < person_sort_key("Anh")


def test_units_with_an_official_code_sort_by_code_others_by_name():
    communes = [("31150", "Xã Thạnh Phú"), ("31105", "Xã Vĩnh Trinh"), ("31117", "Phường An Hòa")]
    assert [c for c, _ in sorted(communes, key=lambda c: unit_sort_key(UnitKind.COMMUNE, *c))] == ["31105", "31117", "31150"]
    villages = [("31117-11", "Khu vực 2"), ("31117-02", "Khu vực 10"), ("31117-03", "Ấp An Bình"), ("31117-01", "Khu vực 1")]
    keyed = sorted(villages, key=lambda v: unit_sort_key("village", *v))
    assert [n for _, n in keyed] == ["Ấp An Bình", "Khu vực 1", "Khu vực 2", "Khu vực 10"]
    # codes a province makes up, or not of the level's length, are not the state's: by name
    assert not has_official_code(UnitKind.COMMUNE, "C0001") and not has_official_code(UnitKind.COMMUNE, "311170")
    assert not has_official_code(UnitKind.VILLAGE, "00001") and has_official_code("province", "92")
    assert unit_sort_key(UnitKind.COMMUNE, "C0002", "Xã An") < unit_sort_key(UnitKind.COMMUNE, "C0001", "Xã Bình")
    # coded units first, then named ones; a higher level first
    assert unit_sort_key(UnitKind.COMMUNE, "31999", "Xã Z") < unit_sort_key(UnitKind.COMMUNE, "X1", "Xã A")
    assert unit_sort_key(UnitKind.PROVINCE, "96", "Tỉnh Cà Mau") < unit_sort_key(UnitKind.DISTRICT, "001", "Quận Ba Đình")
    assert unit_sort_key(UnitKind.COMMUNE, "X1", "Xã Z") < unit_sort_key(UnitKind.VILLAGE, None, "Ấp A")


def test_one_collator_serves_many_threads():
    """The shared collator is only read (``getSortKey`` is const in ICU): threads get the keys one thread gets."""
    words = [f"{name} {n}" for n in range(400) for name in PEOPLE_IN_ORDER[:5]]
    compute = sort_key.__wrapped__  # past the cache: every call reaches ICU
    expected = [compute(w) for w in words]
    results: dict[int, list[bytes]] = {}

    def work(i: int) -> None:
        results[i] = [compute(w) for w in words]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results[i] == expected for i in range(8))


# --------------------------------------------------------------------------- the databases sort the stored keys


def check_database_order() -> None:
    """People, villages and teams created out of order come back from ORDER BY sort_key in Vietnamese order."""
    province = roster.create_unit(code="92", name="Thành phố Cần Thơ", kind=UnitKind.PROVINCE, parent=None)
    commune = roster.create_unit(code="31117", name="Phường An Hòa", kind=UnitKind.COMMUNE, parent=province)
    shuffled = [VILLAGES_IN_ORDER[i] for i in (6, 3, 0, 5, 2, 4, 1)]
    villages = [roster.create_unit(code=f"V{n:03d}", name=name, kind=UnitKind.VILLAGE, parent=commune) for n, name in enumerate(shuffled)]
    for name in PEOPLE_SHUFFLED:
        roster.create_person(full_name=name, unit=villages[0])
    for n in (10, 2, 1):
        roster.create_team(unit=villages[1], name=f"Tổ hòa giải số {n}")
    _db.session.commit()
    assert list(_db.session.scalars(select(Person.full_name).order_by(Person.sort_key, Person.id))) == PEOPLE_IN_ORDER
    names = _db.session.scalars(select(Unit.name).where(Unit.parent_id == commune.id).order_by(Unit.sort_key, Unit.id))
    assert list(names) == VILLAGES_IN_ORDER
    assert list(_db.session.scalars(select(Team.name).order_by(Team.sort_key, Team.id))) == [f"Tổ hòa giải số {n}" for n in (1, 2, 10)]
    _db.session.expire_all()
    assert [u.name for u in _db.session.get(Unit, commune.id).children] == VILLAGES_IN_ORDER
    # the stored keys are the keys, and the database compares them as Python compares bytes
    stored = dict(_db.session.execute(select(Person.full_name, Person.sort_key)).all())
    assert stored == {name: person_sort_key(name) for name in PEOPLE_IN_ORDER}
    assert [k for k in _db.session.scalars(select(Person.sort_key).order_by(Person.sort_key))] == sorted(stored.values())


def test_sqlite_orders_by_the_keys(db):
    check_database_order()


@pytest.mark.postgres
def test_postgresql_orders_by_the_keys(pg_app):
    with pg_app.app_context():
        check_database_order()


def test_names_changed_later_get_new_keys(db, tree, make_person):
    village = tree.V1
    person = make_person(village, name="Trần Thị Đào")
    team = roster.create_team(unit=village, name="Tổ hòa giải số 10")
    db.session.commit()
    roster.update_person(person, full_name="Lê Văn An")
    roster.update_unit(village, name="Khu vực 20")
    roster.update_team(team, name="Tổ hòa giải số 2")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Person, person.id).sort_key == person_sort_key("Lê Văn An")
    assert db.session.get(Unit, village.id).sort_key == unit_sort_key(UnitKind.VILLAGE, "31117-01", "Khu vực 20")
    roster.update_unit(tree.C1, code="31101")  # a commune's key is its code
    db.session.commit()
    assert db.session.get(Unit, tree.C1.id).sort_key == unit_sort_key(UnitKind.COMMUNE, "31101", "Phường An Hòa")
    assert db.session.get(Team, team.id).sort_key == team_sort_key("Tổ hòa giải số 2")


# --------------------------------------------------------------------------- the migration back-fills existing rows

BEFORE, REVISION = "e7b2c4d91f03", "f1a2c3d4e5b6"


def check_backfill(url: str) -> None:
    app = make_app(url)
    with app.app_context():
        try:
            upgrade(revision=BEFORE)
            now = dt.datetime(2026, 1, 1)
            common = {"created_at": now, "updated_at": now}
            units = [("92", "Thành phố Cần Thơ", "province", "/1/"), ("31117", "Phường An Hòa", "commune", "/1/2/"),
                     ("V-1", "Khu vực 10", "village", "/1/2/3/"), ("V-2", "Khu vực 2", "village", "/1/2/4/")]
            people = [f"Người Số {n}" for n in range(5003)] + PEOPLE_SHUFFLED  # more than one batch
            with _db.engine.begin() as conn:
                conn.execute(
                    text("INSERT INTO unit (id, code, name, kind, path, depth, search_key, is_pilot, ethnic_minority_area, created_at, updated_at) "
                         "VALUES (:id, :code, :name, :kind, :path, 0, '', false, false, :created_at, :updated_at)"),
                    [{"id": i, "code": c, "name": n, "kind": k, "path": p, **common} for i, (c, n, k, p) in enumerate(units, start=1)],
                )
                conn.execute(text("INSERT INTO team (name, search_key, unit_id, implicit, created_at, updated_at) "
                                  "VALUES ('Tổ hòa giải số 10', '', 3, false, :created_at, :updated_at)"), common)
                conn.execute(text("INSERT INTO person (full_name, search_key, is_minority, unit_id, created_at, updated_at) "
                                  "VALUES (:name, '', false, 3, :created_at, :updated_at)"), [{"name": n, **common} for n in people])
            upgrade(revision=REVISION)
            with _db.engine.connect() as conn:
                keys = dict(conn.execute(text("SELECT full_name, sort_key FROM person")).all())
                assert {n: bytes(k) for n, k in keys.items()} == {n: person_sort_key(n) for n in people}
                unit_keys = {c: bytes(k) for c, k in conn.execute(text("SELECT code, sort_key FROM unit"))}
                assert unit_keys == {c: unit_sort_key(k, c, n) for c, n, k, _ in units}
                assert [bytes(k) for k in conn.execute(text("SELECT sort_key FROM team")).scalars()] == [team_sort_key("Tổ hòa giải số 10")]
                ordered_names = conn.execute(text("SELECT full_name FROM person WHERE full_name NOT LIKE 'Người Số %' ORDER BY sort_key")).scalars()
                assert list(ordered_names) == PEOPLE_IN_ORDER
            columns = {c["name"]: c for c in inspect(_db.engine).get_columns("person")}
            assert columns["sort_key"]["nullable"] is False
            assert "ix_person_sort_key" in {i["name"] for i in inspect(_db.engine).get_indexes("person")}
            downgrade(revision=BEFORE)
            for table in ("person", "unit", "team"):
                assert "sort_key" not in {c["name"] for c in inspect(_db.engine).get_columns(table)}
        finally:
            _db.session.remove()
            _db.engine.dispose()


def test_migration_backfills_keys_on_sqlite(tmp_path):
    check_backfill(f"sqlite:///{tmp_path / 'backfill.sqlite3'}")


@pytest.mark.postgres
def test_migration_backfills_keys_on_postgresql():
    need(bool(_pg_admin_url()), "LMS_TEST_POSTGRES_URL is not set (PostgreSQL tests)")
    url = create_pg_database()
    try:
        check_backfill(url)
    finally:
        drop_pg_database(url)
