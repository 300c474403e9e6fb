"""Reminders of the 6-month rule, and the commune officers' weekly digest of the overdue.

:func:`run_reminders` is idempotent and meant to run daily (``flask --app wsgi lms remind``,
see ``docs/reminders.md``):

- every active mediator membership not yet trained (status ``on_track`` or ``due_soon``)
  gets a reminder when its deadline is 60, 30 and 7 days away. Windows, so that a missed
  day still sends: stage ``60`` when 30 < days left ≤ 60, ``30`` when 7 < days left ≤ 30,
  ``7`` when 0 ≤ days left ≤ 7; each stage at most once per membership
  (``Notification.key = "deadline:<membership id>:<stage>"``);
- every active commune officer gets, once per ISO week, the list of the overdue mediators
  of their commune (``"digest:<user id>:<ISO year>-W<ISO week>"``), when there is at least one.

Every notification is stored (in-app, for the mediator's account when they have one, else
for the person alone) and emailed when the person has an email address (written to the
log when SMTP is not configured). Candidates are found with SQL (the status expression of
:mod:`.deadlines`, an anti-join on the notification keys), so a second run on the same day
finds nothing. Flushes, never commits: the CLI command and the background job commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from itertools import groupby

from flask import current_app
from sqlalchemy import String, case, cast, exists, func, literal, select
from sqlalchemy.orm import aliased

from ..core import clock, jobs
from ..core import format as fmt
from ..core.access import under
from ..core.mail import send_mail
from ..core.models import Job, TitledEnum
from ..core.notifications import Delivery, Notification
from ..core.roles import Role
from ..extensions import db
from ..org.models import MediatorMembership, Person, Unit, User
from .services import MEDIATOR_PROGRAM, membership_rows, status_expr

log = logging.getLogger("lms.mail")

#: Reminder stages and their windows: (days left greater than, days left at most).
STAGES = {"60": (30, 60), "30": (7, 30), "7": (-1, 7)}


class ReminderKind(TitledEnum):
    """The notifications this module sends (``Notification.kind``)."""

    DEADLINE_REMINDER = "deadline_reminder"
    OVERDUE_DIGEST = "overdue_digest"


ReminderKind.TITLES = {"deadline_reminder": "Nhắc hạn bồi dưỡng 6 tháng", "overdue_digest": "Danh sách quá hạn hằng tuần"}
REMINDER_KIND = ReminderKind.DEADLINE_REMINDER
DIGEST_KIND = ReminderKind.OVERDUE_DIGEST
#: How many overdue people a digest lists by name (the link opens the full list).
DIGEST_LIST_LIMIT = 100
FLUSH_EVERY = 500


def _path(endpoint: str, **values) -> str:
    """An application path (no request needed): notifications store paths, emails prefix LMS_PUBLIC_URL."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def _absolute(path: str) -> str:
    return (current_app.config.get("PUBLIC_URL") or "").rstrip("/") + path


def _active(day: dt.date):
    return MediatorMembership.active_clause(day)


def _not_sent(key):
    return ~exists().where(Notification.key == key)


def digest_key(user_id: int, day: dt.date) -> str:
    iso = day.isocalendar()
    return f"digest:{user_id}:{iso.year}-W{iso.week}"


def reminder_key(membership_id: int, stage: str) -> str:
    return f"deadline:{membership_id}:{stage}"


# --------------------------------------------------------------------------- delivery


def _deliver(note: Notification, email: str | None, has_account: bool) -> str:
    """Email the notification when the person has an address (log without SMTP); returns the delivery."""
    if email:
        body = note.body + (f"\n\nXem chi tiết: {_absolute(note.link)}" if note.link else "")
        note.delivery = send_mail(email, note.title, body).value
        if note.delivery == Delivery.EMAIL:
            note.emailed_at = clock.now()
    elif has_account:
        note.delivery = Delivery.APP.value
    else:  # nobody can read it in the app and there is no address: the log is the only trace
        log.info("Notification for person %s (no account, no email): %s\n%s", note.person_id, note.title, note.body)
        note.delivery = Delivery.LOG.value
    return note.delivery


# --------------------------------------------------------------------------- reminders to mediators


def reminder_candidates(day: dt.date):
    """SQL: memberships due a reminder on ``day`` that has not been sent, with the person and their account."""
    m = MediatorMembership
    upper = {stage: day + dt.timedelta(days=hi) for stage, (_, hi) in STAGES.items()}
    stage = case((m.deadline <= upper["7"], "7"), (m.deadline <= upper["30"], "30"), else_="60")
    account = (
        select(func.min(User.id))
        .where(User.person_id == m.person_id, User.is_active.is_(True))
        .correlate(m)
        .scalar_subquery()
    )
    inner = (
        select(
            m.id.label("membership_id"),
            m.person_id.label("person_id"),
            m.recognized_on.label("recognized_on"),
            m.decision_no.label("decision_no"),
            m.deadline.label("deadline"),
            status_expr(day).label("status"),
            stage.label("stage"),
            account.label("user_id"),
        )
        .where(_active(day), m.deadline >= day, m.deadline <= upper["60"])
        .subquery("due")
    )
    key = literal("deadline:") + cast(inner.c.membership_id, String) + literal(":") + inner.c.stage
    return (
        select(inner, Person.full_name, Person.email)
        .join(Person, Person.id == inner.c.person_id)
        .where(inner.c.status.in_(("on_track", "due_soon")), _not_sent(key))
        .order_by(inner.c.membership_id)
    )


def _reminder_text(row, day: dt.date) -> tuple[str, str]:
    days = (row.deadline - day).days
    if days == 0:
        title = "Hôm nay là hạn cuối bồi dưỡng kiến thức, kỹ năng hòa giải"
        remaining = "hôm nay là ngày cuối cùng"
    else:
        title = f"Còn {days} ngày đến hạn bồi dưỡng kiến thức, kỹ năng hòa giải"
        remaining = f"còn {days} ngày"
    decision = f" (quyết định số {row.decision_no})" if row.decision_no else ""
    body = (
        f"Kính gửi {row.full_name},\n\n"
        f"Ông/bà được công nhận là hòa giải viên ngày {fmt.date(row.recognized_on)}{decision}. "
        "Hòa giải viên mới được công nhận phải được bồi dưỡng kiến thức, kỹ năng hòa giải ở cơ sở trong vòng 6 tháng, "
        f"tức là chậm nhất ngày {fmt.date(row.deadline)} ({remaining}).\n\n"
        "Ông/bà có thể học trực tuyến trên hệ thống, hoặc liên hệ công chức Tư pháp - Hộ tịch của xã để được xếp lớp bồi dưỡng."
    )
    return title, body


def send_reminders(day: dt.date) -> dict:
    counts: Counter = Counter()
    link = _path("learn.program", code=MEDIATOR_PROGRAM)
    for n, row in enumerate(db.session.execute(reminder_candidates(day)).all(), start=1):
        title, body = _reminder_text(row, day)
        note = Notification(
            key=reminder_key(row.membership_id, row.stage), user_id=row.user_id, person_id=row.person_id, kind=REMINDER_KIND.value,
            title=title, body=body, link=link, created_at=clock.now(),
        )
        db.session.add(note)
        counts[row.stage] += 1
        counts[_deliver(note, (row.email or "").strip() or None, row.user_id is not None)] += 1
        if n % FLUSH_EVERY == 0:
            db.session.flush()
    db.session.flush()
    return counts


# --------------------------------------------------------------------------- weekly digest to commune officers


def digest_rows(day: dt.date):
    """SQL: (officer, overdue membership) pairs for commune officers without this week's digest, officer by officer."""
    overdue = membership_rows(day).where(MediatorMembership.deadline < day).subquery("overdue")
    officer_unit = aliased(Unit)
    officer_person = aliased(Person)
    in_subtree = under(overdue.c.unit_path, officer_unit.path)
    iso = day.isocalendar()
    key = literal("digest:") + cast(User.id, String) + literal(f":{iso.year}-W{iso.week}")
    return (
        select(
            User.id.label("user_id"),
            User.person_id.label("officer_person_id"),
            officer_person.email.label("officer_email"),
            officer_unit.name.label("commune"),
            overdue.c.membership_id,
            overdue.c.deadline,
            overdue.c.unit_name,
            Person.full_name,
        )
        .select_from(User)
        .join(officer_unit, officer_unit.id == User.unit_id)
        .join(overdue, in_subtree)
        .join(Person, Person.id == overdue.c.person_id)
        .outerjoin(officer_person, officer_person.id == User.person_id)
        .where(User.role == Role.COMMUNE_OFFICER, User.is_active.is_(True), overdue.c.status == "overdue", _not_sent(key))
        .order_by(User.id, overdue.c.deadline, Person.sort_key, overdue.c.membership_id)
    )


def _digest_text(rows: list, day: dt.date) -> tuple[str, str]:
    iso = day.isocalendar()
    first = rows[0]
    title = f"Tuần {iso.week}/{iso.year}: {len(rows)} hòa giải viên của {first.commune} quá hạn bồi dưỡng"
    lines = [
        f"- {r.full_name} ({r.unit_name}): hạn {fmt.date(r.deadline)}, quá hạn {(day - r.deadline).days} ngày" for r in rows[:DIGEST_LIST_LIMIT]
    ]
    if len(rows) > DIGEST_LIST_LIMIT:
        lines.append(f"… và {len(rows) - DIGEST_LIST_LIMIT} người khác (xem đầy đủ trong danh sách).")
    body = (
        f"Tính đến ngày {fmt.date(day)}, {first.commune} có {len(rows)} hòa giải viên đã quá hạn 6 tháng kể từ ngày được công nhận "
        "mà chưa được bồi dưỡng (chưa có giấy chứng nhận):\n\n" + "\n".join(lines) + "\n\n"
        "Đề nghị đồng chí phối hợp xếp lớp bồi dưỡng cho những người này."
    )
    return title, body


def send_digests(day: dt.date) -> Counter:
    sent = Counter()
    link = _path("deadlines.deadlines", status="overdue")
    officer_rows = groupby(db.session.execute(digest_rows(day)).all(), key=lambda r: r.user_id)
    for user_id, rows in officer_rows:
        rows = list(rows)
        title, body = _digest_text(rows, day)
        note = Notification(
            key=digest_key(user_id, day), user_id=user_id, person_id=rows[0].officer_person_id, kind=DIGEST_KIND.value,
            title=title, body=body, link=link, created_at=clock.now(),
        )
        db.session.add(note)
        sent["digests"] += 1
        sent[_deliver(note, (rows[0].officer_email or "").strip() or None, True)] += 1
    db.session.flush()
    return sent


# --------------------------------------------------------------------------- the daily run


def run_reminders(today: dt.date | None = None) -> dict:
    """Send what is due on ``today`` (default: the clock's today) and not sent yet; flush, never commit."""
    day = today or clock.today()
    reminders = send_reminders(day)
    digests = send_digests(day)
    return {
        "date": day.isoformat(),
        "reminders": sum(reminders[s] for s in STAGES),
        "by_stage": {s: reminders[s] for s in STAGES},
        "digests": digests["digests"],
        "emailed": reminders[Delivery.EMAIL] + digests[Delivery.EMAIL],
        "logged": reminders[Delivery.LOG] + digests[Delivery.LOG],
    }


def summary_text(summary: dict) -> str:
    stages = ", ".join(f"{s} days: {n}" for s, n in summary["by_stage"].items())
    return (
        f"{summary['date']}: reminders sent {summary['reminders']} ({stages}); weekly digests {summary['digests']}; "
        f"emailed {summary['emailed']}; written to the log {summary['logged']}"
    )


@jobs.job("reminders")
def reminders_job(row: Job) -> None:
    """Background job (``rq worker``): ``params = {"date": "YYYY-MM-DD"}``; the summary lands in ``params``."""
    day = dt.date.fromisoformat(row.params["date"]) if row.params.get("date") else clock.today()
    summary = run_reminders(day)
    row.params = {**row.params, "summary": summary}
    row.result_name = summary_text(summary)[:200]
    total = summary["reminders"] + summary["digests"]
    jobs.progress(row, total, total)  # commits
