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
from sqlalchemy.orm import aliased

from ..certificates.models import Certificate
from ..core import clock
from ..core.models import TitledEnum
from ..org.models import MediatorMembership, Team, Unit

MEDIATOR_PROGRAM = "hgv"
DUE_SOON_DAYS = 30



class DeadlineStatus(TitledEnum):
    """A membership's status under the 6-month rule on a day (computed by :func:`status_expr`, not stored)."""

    ON_TRACK = "on_track"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    MET_ON_TIME = "met_on_time"
    MET_LATE = "met_late"
    LEFT = "left"


DeadlineStatus.TITLES = {
    "on_track": "Còn hạn",
    "due_soon": "Sắp đến hạn (≤ 30 ngày)",
    "overdue": "Quá hạn",
    "met_on_time": "Đã bồi dưỡng đúng hạn",
    "met_late": "Đã bồi dưỡng nhưng trễ hạn",
    "left": "Đã thôi trước hạn",
}
DeadlineStatus.COLORS = {"on_track": "secondary", "due_soon": "warning", "overdue": "danger", "met_on_time": "success", "met_late": "info", "left": "light"}
#: Not trained yet (the deadline still matters), most urgent first.
OPEN_STATUSES = (DeadlineStatus.OVERDUE, DeadlineStatus.DUE_SOON, DeadlineStatus.ON_TRACK)


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
    s = DeadlineStatus
    return case(
        (m.left_on.is_not(None) & (m.left_on < m.deadline) & (m.left_on <= day), s.LEFT.value),
        (certified.is_not(None) & (certified <= m.deadline), s.MET_ON_TIME.value),
        (certified.is_not(None), s.MET_LATE.value),
        (m.deadline < day, s.OVERDUE.value),
        (m.deadline <= day + dt.timedelta(days=DUE_SOON_DAYS), s.DUE_SOON.value),
        else_=s.ON_TRACK.value,
    )


def membership_rows(day: dt.date):
    """SQL: the memberships active on ``day``, each with its status and where its team is.

    Columns: membership_id, person_id, team_id, deadline, unit_path and unit_name (the team's unit), status. The
    work lists scope it and keep a subtree; the officers' digest keeps the overdue.
    """
    m = MediatorMembership
    home = aliased(Unit)
    return (
        select(
            m.id.label("membership_id"),
            m.person_id.label("person_id"),
            m.team_id.label("team_id"),
            m.deadline.label("deadline"),
            home.path.label("unit_path"),
            home.name.label("unit_name"),
            status_expr(day).label("status"),
        )
        .join(Team, Team.id == m.team_id)
        .join(home, home.id == Team.unit_id)
        .where(m.active_clause(day))
    )


def status_of(membership: MediatorMembership, day: dt.date | None = None) -> str:
    """One membership's status (the same SQL, for a single row)."""
    from ..extensions import db

    day = day or clock.today()
    return db.session.scalar(select(status_expr(day)).where(MediatorMembership.id == membership.id))


def days_left(membership: MediatorMembership, day: dt.date | None = None) -> int:
    return (membership.deadline - (day or clock.today())).days
