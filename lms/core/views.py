"""The home page, the health check, and "Thông báo": the signed-in user's notifications, and marking them read.

A notification belongs to an account (``user_id``); one stored for a person before they had an
account (``user_id`` empty, ``person_id`` set) shows to the account later bound to that person.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select, text, update

from ..extensions import db
from . import clock
from .access import login_required, public
from .nav import register_nav
from .notifications import Notification, own_condition, unread_count
from .pagination import paginate
from .roles import ALL_ROLES
from .web import safe_next

bp = Blueprint("core", __name__, template_folder="templates")


@bp.route("/")
@public
def index():
    if current_user.is_authenticated:
        return redirect(url_for("org.home"))
    return render_template("core/index.html")


@bp.route("/healthz")
@public
def healthz():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


@bp.route("/learn/notifications")
@login_required
def notifications():
    stmt = select(Notification).where(own_condition()).order_by(Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id.desc())
    if request.args.get("unread") == "1":
        stmt = stmt.where(Notification.read_at.is_(None))
    page = paginate(stmt)
    return render_template("core/notifications.html", page=page, unread=unread_count(), only_unread=request.args.get("unread") == "1")


@bp.route("/learn/notifications/read", methods=["POST"])
@login_required
def notification_read():
    """Mark one notification (``id``) or all of them (``all=1``) as read."""
    now = clock.now()
    back = safe_next(request.form.get("next"), url_for("core.notifications"))
    if request.form.get("all"):
        result = db.session.execute(
            update(Notification).where(own_condition(), Notification.read_at.is_(None)).values(read_at=now).execution_options(synchronize_session=False)
        )
        flash(f"Đã đánh dấu {result.rowcount} thông báo là đã đọc." if result.rowcount else "Không có thông báo nào chưa đọc.", "success")
        return redirect(back)
    note_id = request.form.get("id", type=int)
    note = db.session.scalar(select(Notification).where(Notification.id == note_id, own_condition())) if note_id else None
    if note is None:
        abort(404)
    if note.read_at is None:
        note.read_at = now
    if request.form.get("open") and note.link:
        return redirect(safe_next(request.script_root + note.link, url_for("core.notifications")))
    return redirect(back)


register_nav("Thông báo", "core.notifications", ALL_ROLES, order=90, badge=unread_count)
