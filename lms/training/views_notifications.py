"""Thông báo: the signed-in user's notifications (deadline reminders, weekly digests), and marking them read.

A notification belongs to an account (``user_id``); one stored for a person before they had an
account (``user_id`` empty, ``person_id`` set) shows to the account later bound to that person.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select, update

from ..core import clock
from ..core.access import login_required
from ..core.nav import register_nav
from ..core.pagination import paginate
from ..core.roles import ALL_ROLES
from ..extensions import db
from .models import Notification
from .views import bp


def own_condition(user=None):
    """SQL: the notifications of ``user`` (their account's, and their person's not yet bound to an account)."""
    user = user if user is not None else current_user
    mine = Notification.user_id == user.id
    if user.person_id is None:
        return mine
    return or_(mine, (Notification.user_id.is_(None)) & (Notification.person_id == user.person_id))


def unread_count(user=None) -> int:
    """Unread notifications of ``user`` (default: the signed-in one); 0 when nobody is signed in."""
    user = user if user is not None else current_user
    if not getattr(user, "is_authenticated", False):
        return 0
    return db.session.scalar(select(func.count(Notification.id)).where(own_condition(user), Notification.read_at.is_(None))) or 0


def _safe_back(url: str | None) -> str:
    if url and url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return url_for("learn.notifications")


@bp.route("/notifications")
@login_required
def notifications():
    stmt = select(Notification).where(own_condition()).order_by(Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id.desc())
    if request.args.get("unread") == "1":
        stmt = stmt.where(Notification.read_at.is_(None))
    page = paginate(stmt)
    return render_template("training/notifications.html", page=page, unread=unread_count(), only_unread=request.args.get("unread") == "1")


@bp.route("/notifications/read", methods=["POST"])
@login_required
def notification_read():
    """Mark one notification (``id``) or all of them (``all=1``) as read."""
    now = clock.now()
    back = _safe_back(request.form.get("next"))
    if request.form.get("all"):
        result = db.session.execute(
            update(Notification).where(own_condition(), Notification.read_at.is_(None)).values(read_at=now).execution_options(synchronize_session=False)
        )
        db.session.commit()
        flash(f"Đã đánh dấu {result.rowcount} thông báo là đã đọc." if result.rowcount else "Không có thông báo nào chưa đọc.", "success")
        return redirect(back)
    note_id = request.form.get("id", type=int)
    note = db.session.scalar(select(Notification).where(Notification.id == note_id, own_condition())) if note_id else None
    if note is None:
        abort(404)
    if note.read_at is None:
        note.read_at = now
        db.session.commit()
    if request.form.get("open") and note.link:
        return redirect(_safe_back(request.script_root + note.link))
    return redirect(back)


register_nav("Thông báo", "learn.notifications", ALL_ROLES, order=90, badge=unread_count)
