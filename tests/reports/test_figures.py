"""Each figure of the plan (B1 … I) on hand-built data, with the edge cases the domain pins."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event

from lms.certificates.services import revoke
from lms.learning.models import MaterialAccess
from lms.learning.services import record_access
from lms.org.models import Background, CaseStat, Gender, LeaveReason, Plan, TrainerLevel, UnitKind
from lms.org.services import roster
from lms.reports.figures import coverage

D = dt.date
TARGETS = {
    "B1": {"threshold": 100, "teams_per_trainer": 80}, "B2": {"threshold": 100, "teams_per_trainer": 100}, "C": {"threshold": 100},
    "D": {"threshold": 100}, "Đ": {"threshold": 10}, "E1": {"threshold": 80, "band_to": 90}, "E2": {"threshold": 100},
    "E3": {"threshold": 100}, "G": {"threshold": 100}, "H": {"threshold": 85, "pilot_threshold": 90}, "I": {"threshold": 10},
}


@pytest.fixture
def province(db, make_unit):
    p = make_unit(UnitKind.PROVINCE, None, "92", "Thành phố Cần Thơ")
    db.session.add(Plan(slug="ct", unit_id=p.id, number="146/KH-UBND", title="Kế hoạch", issued_on=D(2024, 7, 19),
                        start_date=D(2024, 7, 19), data={"targets": TARGETS}))
    return p


@pytest.fixture
def commune(db, make_unit, province):
    def _make(code, parent=None, **kw):
        c = make_unit(UnitKind.COMMUNE, parent or province, code, f"Xã {code}", **kw)
        v = make_unit(UnitKind.VILLAGE, c, f"{code}-01", f"Ấp {code}")
        return c, roster.create_team(unit=v, name=f"Tổ {code}")

    return _make


def fig(cov, code):
    f = cov.figures[code]
    return (f.numerator, f.denominator, f.status)


def child(cov, unit, code):
    f = next(c for c in cov.children if c.unit.id == unit.id).figures[code]
    return (f.numerator, f.denominator, f.status)


# --------------------------------------------------------------------------- E1, E2, G (people)


def test_e1_counts_people_trained_by_a_valid_hgv_certificate(db, province, commune, make_mediator, make_certificate):
    c, team = commune("C1")
    trained = make_mediator(team, recognized_on=D(2024, 9, 1))
    revoked = make_mediator(team, recognized_on=D(2024, 9, 1))
    untrained = make_mediator(team, recognized_on=D(2024, 9, 1))
    left = make_mediator(team, recognized_on=D(2024, 9, 1))
    trainer_only = make_mediator(team, recognized_on=D(2024, 9, 1))
    make_certificate(trained.person, issued_on=D(2025, 1, 10))
    make_certificate(left.person, issued_on=D(2025, 1, 10))
    make_certificate(trainer_only.person, code="thv", issued_on=D(2025, 1, 10))
    revoke(make_certificate(revoked.person, issued_on=D(2025, 1, 10)), "Sai thông tin", on=D(2025, 6, 1))
    roster.end_membership(left.person.memberships[0], left_on=D(2025, 3, 1), reason=LeaveReason.OWN_REQUEST)
    _ = untrained
    # before the revocation: trained, revoked (still valid) count; left has left
    assert fig(coverage(province, D(2025, 5, 31)), "E1") == (2, 4, "not_met")
    # the revoked certificate stops counting on its revocation date
    assert fig(coverage(province, D(2025, 6, 1)), "E1") == (1, 4, "not_met")
    # on the day before leaving the leaver was active and trained
    assert fig(coverage(province, D(2025, 2, 28)), "E1") == (3, 5, "not_met")
    assert child(coverage(province, D(2025, 6, 1)), c, "E1") == (1, 4, "not_met")


def test_e1_counts_a_person_once_and_a_certificate_before_recognition(db, province, commune, make_mediator, make_certificate):
    _, t1 = commune("C1")
    _, t2 = commune("C2")
    m = make_mediator(t1, recognized_on=D(2024, 9, 1))
    roster.recognize_mediator(person=m.person, team=t2, recognized_on=D(2024, 10, 1))
    make_certificate(m.person, issued_on=D(2024, 1, 5))  # trained before recognition: a certificate is personal
    cov = coverage(province, D(2025, 1, 1))
    assert fig(cov, "E1") == (1, 1, "met")
    assert [c.figures["E1"].denominator for c in cov.children] == [1, 1]


def test_leave_and_return(db, province, commune, make_mediator, make_certificate):
    _, team = commune("C1")
    m = make_mediator(team, recognized_on=D(2024, 9, 1))
    roster.end_membership(m, left_on=D(2025, 2, 1), reason=LeaveReason.OWN_REQUEST)
    roster.recognize_mediator(person=m.person, team=team, recognized_on=D(2025, 9, 1))
    make_certificate(m.person, issued_on=D(2024, 12, 1))
    assert fig(coverage(province, D(2025, 5, 1)), "E1")[1] == 0
    assert fig(coverage(province, D(2025, 5, 1)), "E1")[2] == "not_applicable"
    assert fig(coverage(province, D(2025, 10, 1)), "E1") == (1, 1, "met")


def test_e2_counts_only_pilot_communes(db, province, commune, make_mediator, make_certificate):
    _, pilot_team = commune("C1", is_pilot=True)
    _, other_team = commune("C2")
    a = make_mediator(pilot_team, recognized_on=D(2024, 9, 1))
    make_mediator(pilot_team, recognized_on=D(2024, 9, 1))
    b = make_mediator(other_team, recognized_on=D(2024, 9, 1))
    make_certificate(a.person, issued_on=D(2025, 1, 1))
    make_certificate(b.person, issued_on=D(2025, 1, 1))
    cov = coverage(province, D(2025, 6, 1))
    assert fig(cov, "E2") == (1, 2, "not_met")
    assert fig(cov, "E1") == (2, 3, "not_met")


def test_g_counts_online_and_printed_access_up_to_the_date(db, province, commune, make_mediator):
    _, team = commune("C1")
    online = make_mediator(team, recognized_on=D(2024, 9, 1))
    printed = make_mediator(team, recognized_on=D(2024, 9, 1))
    make_mediator(team, recognized_on=D(2024, 9, 1))
    record_access(online.person, MaterialAccess.ONLINE, on=D(2025, 3, 1))
    record_access(printed.person, MaterialAccess.PRINTED, on=D(2025, 5, 1), note="Nhận tại lớp")
    assert fig(coverage(province, D(2025, 4, 1)), "G") == (1, 3, "not_met")
    assert fig(coverage(province, D(2025, 6, 1)), "G") == (2, 3, "not_met")


# --------------------------------------------------------------------------- E3 (memberships, the 6-month rule)


def test_e3(db, province, commune, make_mediator, make_certificate):
    _, team = commune("C1")
    before_plan = make_mediator(team, recognized_on=D(2024, 7, 18))  # before the plan's start: not counted
    on_time = make_mediator(team, recognized_on=D(2024, 8, 31))  # deadline 28 Feb 2025
    late = make_mediator(team, recognized_on=D(2024, 8, 31))
    overdue = make_mediator(team, recognized_on=D(2024, 8, 31))
    left = make_mediator(team, recognized_on=D(2024, 8, 31))
    not_due = make_mediator(team, recognized_on=D(2025, 3, 1))  # deadline 1 Sep 2025
    make_certificate(on_time.person, issued_on=D(2025, 2, 28))
    make_certificate(late.person, issued_on=D(2025, 3, 1))
    roster.end_membership(left, left_on=D(2025, 1, 1), reason=LeaveReason.OWN_REQUEST)
    _ = (before_plan, overdue, not_due)
    assert fig(coverage(province, D(2025, 6, 1)), "E3") == (1, 3, "not_met")
    # before the late certificate existed the late one was overdue too; the numerator is the same
    assert fig(coverage(province, D(2025, 2, 28)), "E3") == (1, 3, "not_met")
    assert fig(coverage(province, D(2025, 2, 27)), "E3") == (0, 0, "not_applicable")


def test_e3_recognized_again_keeps_an_earlier_certificate(db, province, commune, make_mediator, make_certificate):
    _, team = commune("C1")
    m = make_mediator(team, recognized_on=D(2024, 8, 1))
    make_certificate(m.person, issued_on=D(2024, 12, 1))
    roster.end_membership(m, left_on=D(2025, 2, 1), reason=LeaveReason.OWN_REQUEST)
    roster.recognize_mediator(person=m.person, team=team, recognized_on=D(2025, 4, 1))  # new deadline 1 Oct 2025
    assert fig(coverage(province, D(2025, 12, 1)), "E3") == (2, 2, "met")


# --------------------------------------------------------------------------- D, Đ (teams)


def test_d_composition_and_dj_supporters(db, province, commune, make_unit, make_mediator, make_person):
    c, ok = commune("C1")
    _, too_small = commune("C2")
    _, no_woman = commune("C3")
    cm, minority = commune("C4", ethnic_minority_area=True)  # a commune's flag covers its villages
    _, empty = commune("C5")
    _, dissolved = commune("C6")
    for _ in range(2):
        make_mediator(ok, gender=Gender.MALE)
    make_mediator(ok, gender=Gender.FEMALE)
    make_mediator(too_small, gender=Gender.FEMALE)
    make_mediator(too_small, gender=Gender.MALE)
    for _ in range(3):
        make_mediator(no_woman, gender=Gender.MALE)
    for _ in range(3):
        make_mediator(minority, gender=Gender.FEMALE, ethnicity="Kinh")
    roster.end_team(dissolved, D(2025, 1, 1))
    _ = empty
    supporter = make_person(ok.unit, name="Luật sư Trần Văn Bình")
    roster.add_legal_support(person=supporter, team=ok, from_on=D(2025, 1, 1), background=Background.LAWYER)
    expired = make_person(no_woman.unit, name="Luật gia Lê Văn An")
    roster.add_legal_support(person=expired, team=no_woman, from_on=D(2024, 1, 1), to_on=D(2024, 12, 31), background=Background.JURIST)
    cov = coverage(province, D(2025, 6, 1))
    assert fig(cov, "D") == (1, 5, "not_met")  # ok only; empty team counts and fails; dissolved team does not count
    assert fig(cov, "Đ") == (1, 5, "met")  # 20% ≥ 10%
    assert child(cov, c, "D") == (1, 1, "met")
    # a minority member makes the minority-area team pass
    make_mediator(minority, gender=Gender.MALE, ethnicity="Khmer")
    assert child(coverage(province, D(2025, 6, 1)), cm, "D") == (1, 1, "met")


# --------------------------------------------------------------------------- B1, B2, C (trainers)


def _trainer(make_person, unit, level, start=D(2024, 1, 1), end=None):
    p = make_person(unit, name="Tập huấn viên")
    roster.appoint_trainer(person=p, level=level, unit=unit, started_on=start, ended_on=end, background=Background.JUSTICE_OFFICIAL)
    return p


def test_b1_b2_trainers_per_teams(db, province, make_unit, make_person):
    district = make_unit(UnitKind.DISTRICT, province, "916", "Quận Ninh Kiều")
    small = make_unit(UnitKind.DISTRICT, province, "917", "Quận Bình Thủy")
    c = make_unit(UnitKind.COMMUNE, district, "31117", "Phường An Hòa")
    for i in range(81):  # 81 teams need 2 district trainers (80 per trainer) and 1 province trainer... (101 → 2)
        roster.create_team(unit=make_unit(UnitKind.VILLAGE, c, f"31117-{i:02d}", f"Khu vực {i}"))
    cs = make_unit(UnitKind.COMMUNE, small, "31200", "Phường Trà An")
    for i in range(20):
        roster.create_team(unit=make_unit(UnitKind.VILLAGE, cs, f"31200-{i:02d}", f"Khu vực {i}"))
    _trainer(make_person, district, TrainerLevel.DISTRICT)
    _trainer(make_person, small, TrainerLevel.DISTRICT)
    _trainer(make_person, province, TrainerLevel.PROVINCE)
    _trainer(make_person, province, TrainerLevel.PROVINCE, end=D(2025, 1, 1))  # ended: not active
    cov = coverage(province, D(2025, 6, 1))
    assert fig(cov, "B1") == (1, 2, "not_met")  # the 81-team district has 1 of 2 needed
    assert fig(cov, "B2") == (1, 2, "not_met")  # 101 teams need 2 province trainers
    assert child(cov, district, "B1") == (0, 1, "not_met")
    assert child(cov, small, "B1") == (1, 1, "met")
    assert child(cov, district, "B2")[2] == "not_applicable"
    _trainer(make_person, district, TrainerLevel.DISTRICT)
    _trainer(make_person, province, TrainerLevel.PROVINCE)
    cov = coverage(province, D(2025, 6, 1))
    assert fig(cov, "B1") == (2, 2, "met") and fig(cov, "B2") == (2, 2, "met")
    # below a district, and in a province without districts, B1 does not apply
    assert fig(coverage(c, D(2025, 6, 1)), "B1")[2] == "not_applicable"


def test_b1_not_applicable_without_districts_and_c_counts_trainers(db, province, commune, make_person, make_certificate):
    c, _ = commune("C1")
    t1 = _trainer(make_person, province, TrainerLevel.PROVINCE)
    t2 = _trainer(make_person, province, TrainerLevel.PROVINCE)
    make_certificate(t1, code="thv", issued_on=D(2025, 1, 1))
    make_certificate(t2, code="hgv", issued_on=D(2025, 1, 1))  # the mediator program does not train a trainer
    cov = coverage(province, D(2025, 6, 1))
    assert fig(cov, "B1")[2] == "not_applicable"
    assert fig(cov, "C") == (1, 2, "not_met")
    # province-level trainers belong to the province, not to a commune
    assert child(cov, c, "C") == (0, 0, "not_applicable")


def test_a_mediator_who_is_also_a_trainer_counts_in_each_role(db, province, commune, make_mediator, make_certificate):
    _, team = commune("C1")
    m = make_mediator(team, recognized_on=D(2024, 9, 1))
    roster.appoint_trainer(person=m.person, level=TrainerLevel.PROVINCE, unit=province, started_on=D(2024, 9, 1))
    make_certificate(m.person, code="thv", issued_on=D(2025, 1, 1))
    cov = coverage(province, D(2025, 6, 1))
    assert fig(cov, "C") == (1, 1, "met")
    assert fig(cov, "E1") == (0, 1, "not_met")


# --------------------------------------------------------------------------- H, I


def test_h_success_rate_for_the_year(db, province, commune):
    c1, t1 = commune("C1", is_pilot=True)
    _, t2 = commune("C2")
    db.session.add_all([
        CaseStat(team_id=t1.id, year=2025, quarter=1, received=10, successful=9, unsuccessful=1, open=0),
        CaseStat(team_id=t2.id, year=2025, quarter=2, received=12, successful=8, unsuccessful=2, open=2),
        CaseStat(team_id=t2.id, year=2024, quarter=4, received=5, successful=0, unsuccessful=5, open=0),
    ])
    db.session.flush()
    cov = coverage(province, D(2025, 12, 31), year=2025)
    assert fig(cov, "H") == (17, 20, "met")  # 85%
    assert child(cov, c1, "H") == (9, 10, "met")  # a pilot commune's target is 90%
    assert cov.children[0].figures["H"].target == 90.0
    assert fig(coverage(province, D(2025, 12, 31), year=2024), "H") == (0, 5, "not_met")


def test_i_per_district_or_over_the_province(db, province, make_unit):
    d1 = make_unit(UnitKind.DISTRICT, province, "916", "Quận 1")
    d2 = make_unit(UnitKind.DISTRICT, province, "917", "Quận 2")
    for i in range(10):
        make_unit(UnitKind.COMMUNE, d1, f"A{i}", f"Xã A{i}", model_commune_year=2025 if i == 0 else None)
        make_unit(UnitKind.COMMUNE, d2, f"B{i}", f"Xã B{i}", model_commune_year=2031 if i == 0 else None)
    cov = coverage(province, D(2025, 12, 31), year=2025)
    assert fig(cov, "I") == (1, 2, "not_met")  # d1 reaches 10%, d2 does not (its model commune comes later)
    assert child(cov, d1, "I") == (1, 10, "met")
    assert child(cov, d2, "I") == (0, 10, "not_met")


def test_i_over_the_province_without_districts(db, province, make_unit):
    for i in range(5):
        make_unit(UnitKind.COMMUNE, province, f"X{i}", f"Xã {i}", model_commune_year=2026 if i < 1 else None)
    assert fig(coverage(province, D(2026, 12, 31), year=2026), "I") == (1, 5, "met")
    assert fig(coverage(province, D(2025, 12, 31), year=2025), "I") == (0, 5, "not_met")


# --------------------------------------------------------------------------- merged units


def test_merged_units_before_and_after_the_merge_date(db, province, commune, make_unit, make_mediator, make_certificate):
    a, ta = commune("A1", valid_to=D(2025, 6, 30))
    b, tb = commune("B1", valid_to=D(2025, 6, 30))
    c = make_unit(UnitKind.COMMUNE, province, "C9", "Phường Mới", valid_from=D(2025, 7, 1))
    roster.end_unit(a, D(2025, 6, 30), successor=c)
    roster.end_unit(b, D(2025, 6, 30), successor=c)
    ma = make_mediator(ta, recognized_on=D(2024, 9, 1))
    make_mediator(tb, recognized_on=D(2024, 9, 1))
    make_certificate(ma.person, issued_on=D(2025, 1, 1))
    before = coverage(province, D(2025, 6, 1))
    assert [ch.unit.code for ch in before.children] == ["A1", "B1"]
    assert child(before, a, "E1") == (1, 1, "met") and child(before, b, "E1") == (0, 1, "not_met")
    after = coverage(province, D(2025, 8, 1))
    assert [ch.unit.code for ch in after.children] == ["C9"]
    assert child(after, c, "E1") == (1, 2, "not_met")
    assert fig(after, "E1") == fig(before, "E1") == (1, 2, "not_met")


# --------------------------------------------------------------------------- cost


def _statements(db, func):
    count = [0]

    def before(*_):
        count[0] += 1

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        func()
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    return count[0]


def test_query_count_does_not_grow_with_units(db, province, commune, make_mediator):
    for i in range(2):
        _, t = commune(f"S{i}")
        make_mediator(t)
    db.session.commit()
    small = _statements(db, lambda: coverage(province, D(2025, 6, 1)))
    for i in range(2, 12):
        _, t = commune(f"S{i}")
        make_mediator(t)
    db.session.commit()
    large = _statements(db, lambda: coverage(province, D(2025, 6, 1)))
    assert small == large <= 20
