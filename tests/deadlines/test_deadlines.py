"""The 6-month rule (figure E3 and its edge cases)."""

import datetime as dt

import pytest

from lms.certificates.services import revoke
from lms.deadlines.services import status_of
from lms.org.models import LeaveReason, training_deadline
from lms.org.services import roster

D = dt.date


@pytest.mark.parametrize(
    ("recognized", "deadline"),
    [(D(2025, 8, 31), D(2026, 2, 28)), (D(2023, 8, 31), D(2024, 2, 29)), (D(2025, 1, 15), D(2025, 7, 15)), (D(2024, 12, 31), D(2025, 6, 30))],
)
def test_deadline_is_six_calendar_months(recognized, deadline):
    assert training_deadline(recognized) == deadline


def test_deadline_is_stored_on_the_membership_and_follows_changes(db, tree, make_mediator):
    m = make_mediator(tree.T1, recognized_on=D(2025, 8, 31))
    assert m.deadline == D(2026, 2, 28)
    roster.update_membership(m, recognized_on=D(2023, 8, 31))
    assert m.deadline == D(2024, 2, 29)


@pytest.fixture
def m(db, tree, make_mediator):
    return make_mediator(tree.T1, recognized_on=D(2025, 8, 31))  # deadline 28 Feb 2026


@pytest.mark.parametrize(
    ("day", "status"),
    [(D(2025, 12, 1), "on_track"), (D(2026, 1, 29), "due_soon"), (D(2026, 2, 28), "due_soon"), (D(2026, 3, 1), "overdue")],
)
def test_statuses_without_certificate(freeze, m, day, status):
    freeze(day)
    assert status_of(m, day) == status


def test_met_on_time_and_late(freeze, db, tree, make_mediator, make_certificate):
    on_time = make_mediator(tree.T1, recognized_on=D(2025, 8, 31))
    late = make_mediator(tree.T1, recognized_on=D(2025, 8, 31))
    make_certificate(on_time.person, issued_on=D(2026, 2, 28))
    make_certificate(late.person, issued_on=D(2026, 3, 2))
    assert status_of(on_time, D(2026, 4, 1)) == "met_on_time"
    assert status_of(late, D(2026, 4, 1)) == "met_late"
    # before the late certificate was issued, it was overdue
    assert status_of(late, D(2026, 3, 1)) == "overdue"


def test_leaving_before_the_deadline_drops_out(db, m):
    roster.end_membership(m, left_on=D(2026, 1, 10), reason=LeaveReason.OWN_REQUEST)
    assert status_of(m, D(2026, 1, 9)) == "on_track"  # not yet left on that day
    assert status_of(m, D(2026, 4, 1)) == "left"


def test_recognized_again_gets_a_new_deadline_and_keeps_an_earlier_certificate(db, tree, make_mediator, make_certificate):
    first = make_mediator(tree.T1, recognized_on=D(2024, 9, 1))
    make_certificate(first.person, issued_on=D(2024, 12, 1))
    roster.end_membership(first, left_on=D(2025, 3, 1), reason=LeaveReason.OWN_REQUEST)
    again = roster.recognize_mediator(person=first.person, team=tree.T2, recognized_on=D(2025, 10, 1))
    assert again.deadline == D(2026, 4, 1)
    assert status_of(again, D(2026, 6, 1)) == "met_on_time"


def test_revoked_certificate_counts_only_before_its_revocation(db, m, make_certificate):
    cert = make_certificate(m.person, issued_on=D(2026, 1, 5))
    revoke(cert, "Cấp nhầm người", on=D(2026, 2, 10))
    assert status_of(m, D(2026, 2, 1)) == "met_on_time"
    assert status_of(m, D(2026, 3, 1)) == "overdue"
