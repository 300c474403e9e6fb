"""Figures on the tree as it was that day: importing the July 2025 reform later (merges, a split commune whose
villages go to different successors, codes reused) changes no figure for a day before it."""

from __future__ import annotations

import datetime as dt
import io

from lms.org import imports
from lms.reports.figures import coverage
from tests.fixtures.imports import build_file

BEFORE, AFTER = dt.date(2025, 5, 31), dt.date(2025, 12, 31)


def U(code, name, kind, parent, **extra):
    return {"Mã": code, "Tên": name, "Cấp": kind, "Mã cấp trên": parent, **extra}


REFORM = [
    U("916", "Quận Ninh Kiều", "quận", None, **{"Hiệu lực đến": "30/06/2025"}),
    # An Hòa is split: Khu vực 1 goes with it into the new Phường Cái Khế (which reuses Thới Bình's code 31120),
    # Khu vực 2 goes to Xã Thạnh Phú
    U("31117", "Phường An Hòa", "phường", None, **{"Hiệu lực đến": "30/06/2025", "Mã đơn vị kế thừa": "31120"}),
    U("31117-02", "Khu vực 2", "khu vực", None, **{"Hiệu lực đến": "30/06/2025", "Mã đơn vị kế thừa": "31117-02"}),
    U("31120", "Phường Thới Bình", "phường", None, **{"Hiệu lực đến": "30/06/2025", "Mã đơn vị kế thừa": "31120"}),
    U("31120", "Phường Cái Khế", "phường", "92", **{"Hiệu lực từ": "01/07/2025"}),
    U("31117-02", "Khu vực 2", "khu vực", "31150", **{"Hiệu lực từ": "01/07/2025"}),
]


def figures(unit, day):
    cov = coverage(unit, day)
    return {
        (uf.unit.code, uf.unit.name, code): (f.numerator, f.denominator)
        for uf in [cov.root, *cov.children] for code, f in uf.figures.items()
    }


def test_a_later_reform_changes_no_figure_of_an_earlier_day(db, tree, make_mediator, make_certificate, freeze):
    freeze("2026-03-01")
    people = {}
    for team, n in ((tree.T1, 3), (tree.T2, 4), (tree.T3, 2), (tree.T4, 3)):
        for k in range(n):
            m = make_mediator(team, recognized_on=dt.date(2024, 9, 1))
            people.setdefault(team.name, []).append(m.person)
            if k % 2 == 0:
                make_certificate(m.person, issued_on=dt.date(2025, 2, 1))
    db.session.commit()
    past = {day: {u.code: figures(u, day) for u in (tree.P, tree.D, tree.C1, tree.C2, tree.C3)} for day in (BEFORE, dt.date(2025, 6, 30))}

    result = imports.run_import("units", io.BytesIO(build_file(REFORM)), "caicach.xlsx", tree.P, confirm_changes=True)
    assert result.ok, result.errors
    db.session.commit()

    for day, expected in past.items():
        for u in (tree.P, tree.D, tree.C1, tree.C2, tree.C3):
            assert figures(u, day) == expected[u.code], (day, u.code)

    # after the reform: the new communes, each with what went to it
    after = coverage(tree.P, AFTER)
    children = {uf.unit.name: uf.figures for uf in after.children}
    assert set(children) == {"Phường Cái Khế", "Xã Thạnh Phú"}  # the ended district is no child of a later day
    # Cái Khế: Khu vực 1 of An Hòa (3 mediators) and Thới Bình (2); Thạnh Phú: its own 3 and Khu vực 2 (4)
    assert (children["Phường Cái Khế"]["E1"].numerator, children["Phường Cái Khế"]["E1"].denominator) == (2 + 1, 5)
    assert (children["Xã Thạnh Phú"]["E1"].numerator, children["Xã Thạnh Phú"]["E1"].denominator) == (2 + 2, 7)
    assert after.root.figures["E1"].denominator == 12  # nobody lost, nobody counted twice
    assert (after.root.figures["D"].denominator, children["Xã Thạnh Phú"]["D"].denominator) == (4, 2)


def test_the_dashboard_takes_a_reused_code_as_the_unit_of_the_pages_date(client, auth, db, tree, make_user, make_mediator, freeze):
    """31120 is Phường Thới Bình until 30 June 2025 and Phường Cái Khế from 1 July; the page's date says which."""
    from lms.core.roles import Role

    freeze("2026-03-01")
    make_mediator(tree.T3, recognized_on=dt.date(2024, 9, 1))
    assert imports.run_import("units", io.BytesIO(build_file(REFORM)), "caicach.xlsx", tree.P, confirm_changes=True).ok
    make_user(Role.PROVINCE_ADMIN, tree.P, username="so-tu-phap")
    db.session.commit()
    auth.login("so-tu-phap")
    before = client.get("/reports/?unit=31120&date=2025-05-31").get_data(as_text=True)
    assert "<h1" in before and "Phường Thới Bình" in before and "Phường Cái Khế" not in before
    after = client.get("/reports/?unit=31120&date=2025-12-31").get_data(as_text=True)
    assert "Phường Cái Khế" in after
    # the province before and after: the district and its communes, then the new communes
    province_before = client.get("/reports/?unit=92&date=2025-05-31").get_data(as_text=True)
    province_after = client.get("/reports/?unit=92&date=2025-12-31").get_data(as_text=True)
    assert "Quận Ninh Kiều" in province_before and "Phường Cái Khế" not in province_before
    assert "Phường Cái Khế" in province_after and "Xã Thạnh Phú" in province_after
    # an ended unit after its end: marked, with its successor and its last day
    district = client.get("/reports/?unit=916&date=2025-12-31").get_data(as_text=True)
    assert 'data-testid="ended"' in district and "Hết hiệu lực</strong> từ ngày 01/07/2025" in district
    assert "đến ngày 30/06/2025" in district
    thoi_binh = client.get("/reports/?unit=31117&date=2025-12-31").get_data(as_text=True)
    assert "Đơn vị kế thừa:" in thoi_binh and "Phường Cái Khế</a>" in thoi_binh
    assert 'data-testid="ended"' not in before
    # filters offer today's communes only: 31120 is Cái Khế there, not the ended Thới Bình
    for url in ("/certificates/", "/certificates/deadlines"):
        options = client.get(url).get_data(as_text=True)
        assert "Phường Cái Khế (31120)" in options and "Phường Thới Bình (31120)" not in options, url
    csv = client.get("/reports/export/figures.csv?unit=31120&date=2025-05-31").get_data(as_text=True)
    assert "Phường Thới Bình" in csv and "Phường Cái Khế" not in csv


def test_many_ranges_read_the_units_first_and_give_the_same_figures(db, tree, make_mediator, make_certificate, freeze, monkeypatch):
    """Above RESOLVE_ABOVE ranges the units of the ranges are read first and joined by id: the same numbers."""
    from lms.reports.figures import buckets

    freeze("2026-03-01")
    for team, n in ((tree.T1, 3), (tree.T2, 4), (tree.T3, 2), (tree.T4, 3)):
        for k in range(n):
            m = make_mediator(team, recognized_on=dt.date(2024, 9, 1))
            if k % 2 == 0:
                make_certificate(m.person, issued_on=dt.date(2025, 2, 1))
    assert imports.run_import("units", io.BytesIO(build_file(REFORM)), "caicach.xlsx", tree.P, confirm_changes=True).ok
    db.session.commit()
    units = (tree.P, tree.D, tree.C1, tree.C3)
    plain = {(u.code, day): figures(u, day) for u in units for day in (BEFORE, AFTER)}
    monkeypatch.setattr(buckets, "RESOLVE_ABOVE", 0)
    resolved = {(u.code, day): figures(u, day) for u in units for day in (BEFORE, AFTER)}
    assert resolved == plain
    assert plain[("92", AFTER)][("92", "Thành phố Cần Thơ", "E1")] == (2 + 2 + 1 + 2, 12)


def test_a_pilot_commune_counts_the_villages_of_the_old_communes_it_absorbed(db, tree, make_mediator, freeze, monkeypatch):
    """E2 (pilot communes): the new Cái Khế is a pilot; after 1 July 2025 the mediators of the villages kept under
    its old communes are in a pilot commune, before it they were not (neither old commune was one)."""
    from sqlalchemy import select

    from lms.org.models import Unit

    freeze("2026-03-01")
    for team, n in ((tree.T1, 3), (tree.T2, 4), (tree.T3, 2), (tree.T4, 3)):
        for _ in range(n):
            make_mediator(team, recognized_on=dt.date(2024, 9, 1))
    assert imports.run_import("units", io.BytesIO(build_file(REFORM)), "caicach.xlsx", tree.P, confirm_changes=True).ok
    cai_khe = db.session.scalar(select(Unit).where(Unit.code == "31120", Unit.valid_from.is_not(None)))
    cai_khe.is_pilot = True
    db.session.commit()

    assert coverage(tree.P, BEFORE).root.figures["E2"].denominator in (0, None)
    after = coverage(tree.P, AFTER)
    assert after.root.figures["E2"].denominator == 3 + 2  # Khu vực 1 of An Hòa, Khu vực 3 of Thới Bình
    assert {uf.unit.name: uf.figures["E2"].denominator or 0 for uf in after.children} == {"Phường Cái Khế": 5, "Xã Thạnh Phú": 0}
    from lms.reports.figures import queries

    monkeypatch.setattr(queries, "FEW_RANGES", 0)  # many pilot ranges: the units of the ranges joined instead
    assert coverage(tree.P, AFTER).root.figures["E2"].denominator == 5
    monkeypatch.undo()

    # one level below the new commune: the villages kept under its old communes (not Khu vực 2, which went to
    # Thạnh Phú), each named with the old commune it lies under; before the reform it had none
    below = coverage(cai_khe, AFTER)
    assert [(uf.label, uf.figures["E1"].denominator) for uf in below.children] == [
        ("Khu vực 1 (Phường An Hòa)", 3), ("Khu vực 3 (Phường Thới Bình)", 2),
    ]
    assert below.root.figures["E1"].denominator == 5
    assert coverage(cai_khe, dt.date(2025, 7, 1)).children and not coverage(cai_khe, dt.date(2025, 6, 30)).children
