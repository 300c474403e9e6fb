"""In-app notifications (also e-mailed when possible) to an account, or to a person before they have one."""

from __future__ import annotations

import datetime as dt

from flask_login import current_user
from sqlalchemy import DateTime, ForeignKey, Index, String, Text, UniqueConstraint, func, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from . import clock
from .models import IdMixin, TitledEnum


class Delivery(TitledEnum):
    """How a notification went out (``Notification.delivery``)."""

    APP = "app"  # in the app only (no email address)
    EMAIL = "email"  # also emailed (the SMTP server accepted it)
    LOG = "log"  # written to the mail log (no SMTP, a refused message, or nobody to read it in the app)


Delivery.TITLES = {"app": "Trong ứng dụng", "email": "Thư điện tử", "log": "Ghi vào nhật ký"}


class Notification(IdMixin, db.Model):
    """An in-app notification (also emailed when possible). ``key`` makes sending idempotent."""

    __tablename__ = "notification"
    __table_args__ = (UniqueConstraint("key"), Index("ix_notification_user_read", "user_id", "read_at"))

    key: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[str] = mapped_column(String(40))  # a value of the sending area's kinds (deadlines: ReminderKind)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.now)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    emailed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    delivery: Mapped[str] = mapped_column(String(20), default=Delivery.APP.value)  # a Delivery value


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
