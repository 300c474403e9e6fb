"""Điều 12 Luật Hòa giải ở cơ sở: each composition rule, and a team that meets them all."""

from __future__ import annotations

import datetime as dt

from lms.core.roles import Role
from lms.org.models import Gender, LeaveReason
from lms.org.services import roster


def codes(team, day=None):
    return {w.code for w in roster.composition_warnings(team, day)}


def test_fewer_than_three_active_mediators(tree, make_mediator, freeze):
    freeze("2026-03-01")
    assert "size" in codes(tree.T1)  # an empty team fails
    make_mediator(tree.T1, gender=Gender.FEMALE)
    make_mediator(tree.T1, gender=Gender.MALE)
    warnings = roster.composition_warnings(tree.T1)
    assert [w.code for w in warnings] == ["size"]
    assert "Tổ chỉ có 2 hòa giải viên; cần ít nhất 3" in warnings[0].message
    make_mediator(tree.T1, gender=Gender.MALE)
    assert codes(tree.T1) == set()


def test_a_mediator_who_left_no_longer_counts(tree, make_mediator, freeze):
    freeze("2026-03-01")
    make_mediator(tree.T1, gender=Gender.FEMALE)
    make_mediator(tree.T1, gender=Gender.MALE)
    third = make_mediator(tree.T1, gender=Gender.MALE)
    assert codes(tree.T1) == set()
    roster.end_membership(third, left_on=dt.date(2026, 2, 1), reason=LeaveReason.OWN_REQUEST)
    assert codes(tree.T1) == {"size"}
    # as of a date before the leave the team still met the rule
    assert codes(tree.T1, dt.date(2026, 1, 15)) == set()


def test_no_woman(tree, make_mediator, freeze):
    freeze("2026-03-01")
    for _ in range(3):
        make_mediator(tree.T1, gender=Gender.MALE)
    assert codes(tree.T1) == {"woman"}
    woman = make_mediator(tree.T1, gender=Gender.FEMALE)
    assert codes(tree.T1) == set()
    roster.end_membership(woman, left_on=dt.date(2026, 2, 1), reason=LeaveReason.OWN_REQUEST)
    assert codes(tree.T1) == {"woman"}


def test_no_minority_member_where_the_commune_is_flagged(tree, make_mediator, freeze):
    # T4's village Ấp Thạnh Lợi lies in Xã Thạnh Phú, flagged as an ethnic-minority area
    freeze("2026-03-01")
    make_mediator(tree.T4, gender=Gender.FEMALE, ethnicity="Kinh")
    make_mediator(tree.T4, gender=Gender.MALE, ethnicity="Kinh")
    make_mediator(tree.T4, gender=Gender.MALE, ethnicity="Kinh")
    warnings = roster.composition_warnings(tree.T4)
    assert [w.code for w in warnings] == ["minority"]
    assert "dân tộc thiểu số" in warnings[0].message
    make_mediator(tree.T4, gender=Gender.MALE, ethnicity="Khmer")
    assert codes(tree.T4) == set()


def test_no_minority_member_where_the_village_itself_is_flagged(tree, make_mediator, freeze):
    freeze("2026-03-01")
    roster.update_unit(tree.V1, ethnic_minority_area=True)
    make_mediator(tree.T1, gender=Gender.FEMALE)
    make_mediator(tree.T1, gender=Gender.MALE)
    make_mediator(tree.T1, gender=Gender.MALE)
    assert codes(tree.T1) == {"minority"}
    # the sibling village in the same (unflagged) commune does not need one
    make_mediator(tree.T2, gender=Gender.FEMALE)
    make_mediator(tree.T2, gender=Gender.MALE)
    make_mediator(tree.T2, gender=Gender.MALE)
    assert codes(tree.T2) == set()


def test_minority_rule_does_not_apply_outside_flagged_areas(tree, make_mediator, freeze):
    freeze("2026-03-01")
    for g in (Gender.FEMALE, Gender.MALE, Gender.MALE):
        make_mediator(tree.T3, gender=g, ethnicity="Kinh")
    assert codes(tree.T3) == set()


def test_all_rules_broken_at_once(tree, make_mediator, freeze):
    freeze("2026-03-01")
    make_mediator(tree.T4, gender=Gender.MALE)
    assert codes(tree.T4) == {"size", "woman", "minority"}


def test_team_meeting_every_rule_is_shown_as_compliant(client, auth, tree, make_user, make_mediator, db, freeze):
    freeze("2026-03-01")
    make_mediator(tree.T4, gender=Gender.FEMALE, ethnicity="Kinh", is_leader=True)
    make_mediator(tree.T4, gender=Gender.MALE, ethnicity="Khmer")
    make_mediator(tree.T4, gender=Gender.MALE, ethnicity="Kinh")
    assert roster.composition_warnings(tree.T4) == []
    user = make_user(Role.COMMUNE_OFFICER, tree.C3)
    db.session.commit()
    auth.login(user.username)
    html = client.get(f"/org/teams/{tree.T4.id}").get_data(as_text=True)
    assert "Thành phần tổ đạt yêu cầu" in html and "có hòa giải viên người dân tộc thiểu số" in html
    assert "Thành phần tổ chưa đạt yêu cầu" not in html


def test_failing_team_shows_each_warning(client, auth, tree, make_user, make_mediator, db, freeze):
    freeze("2026-03-01")
    make_mediator(tree.T4, gender=Gender.MALE)
    user = make_user(Role.COMMUNE_OFFICER, tree.C3)
    db.session.commit()
    auth.login(user.username)
    html = client.get(f"/org/teams/{tree.T4.id}").get_data(as_text=True)
    assert "Thành phần tổ chưa đạt yêu cầu" in html
    for code in ("size", "woman", "minority"):
        assert f'data-warning="{code}"' in html
