"""The 6-month rule: each mediator membership's deadline and its status on a date.

A newly recognized mediator must be trained (hold a valid ``hgv`` certificate)
within 6 calendar months of the recognition decision. Statuses on day D:

- ``met_on_time``: certified (a certificate valid on D) on or before the deadline —
  a certificate held from before the recognition counts;
- ``met_late``: certified after the deadline (by D);
- ``left``: left before the deadline (and by D), not certified — drops out of the rule;
- ``overdue``: deadline passed (before D), not certified;
- ``due_soon``: deadline within the next 30 days, not certified;
- ``on_track``: deadline further away.

Everything is one SQL expression (:func:`status_expr`) so lists, counts and
figures filter and group in the database.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import case, func, select

from ..certificates.models import Certificate
from ..core import clock
from ..org.models import MediatorMembership

MEDIATOR_PROGRAM = "hgv"
DUE_SOON_DAYS = 30

STATUS_TITLES = {
    "on_track": "Còn hạn",
    "due_soon": "Sắp đến hạn (≤ 30 ngày)",
    "overdue": "Quá hạn",
    "met_on_time": "Đã bồi dưỡng đúng hạn",
    "met_late": "Đã bồi dưỡng nhưng trễ hạn",
    "left": "Đã thôi trước hạn",
}
STATUS_COLORS = {"on_track": "secondary", "due_soon": "warning", "overdue": "danger", "met_on_time": "success", "met_late": "info", "left": "light"}
OPEN_STATUSES = ("overdue", "due_soon", "on_track")


def first_certified_on(day: dt.date):
    """SQL: the earliest issue date of a certificate of the mediator program valid on ``day`` (per membership's person)."""
    return (
        select(func.min(Certificate.issued_on))
        .where(Certificate.person_id == MediatorMembership.person_id, Certificate.program_code == MEDIATOR_PROGRAM, Certificate.valid_on(day))
        .correlate(MediatorMembership)
        .scalar_subquery()
    )


def status_expr(day: dt.date | None = None):
    day = day or clock.today()
    certified = first_certified_on(day)
    m = MediatorMembership
    return case(
        (m.left_on.is_not(None) & (m.left_on < m.deadline) & (m.left_on <= day), "left"),
        (certified.is_not(None) & (certified <= m.deadline), "met_on_time"),
        (certified.is_not(None), "met_late"),
        (m.deadline < day, "overdue"),
        (m.deadline <= day + dt.timedelta(days=DUE_SOON_DAYS), "due_soon"),
        else_="on_track",
    )


def status_of(membership: MediatorMembership, day: dt.date | None = None) -> str:
    """One membership's status (the same SQL, for a single row)."""
    from ..extensions import db

    day = day or clock.today()
    return db.session.scalar(select(status_expr(day)).where(MediatorMembership.id == membership.id))


def days_left(membership: MediatorMembership, day: dt.date | None = None) -> int:
    return (membership.deadline - (day or clock.today())).days
