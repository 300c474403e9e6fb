"""Audit rows: who changed which fields of a record, and when."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import inspect, select

from ..extensions import db
from .models import AuditLog


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


SKIP = {"id", "created_at", "updated_at", "password_hash", "search_key", "path"}


def changed_fields(obj, created: bool = False) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for the column attributes changed on ``obj`` (pending or dirty)."""
    state = inspect(obj)
    out: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in SKIP:
            continue
        if created:
            value = getattr(obj, key)
            if value is not None:
                out[key] = [None, _plain(value)]
            continue
        hist = state.attrs[key].history
        if hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if old != new:
                out[key] = [_plain(old), _plain(new)]
    return out


def _actor() -> tuple[int | None, str]:
    if has_request_context() and getattr(current_user, "is_authenticated", False):
        return current_user.id, current_user.username
    return None, "cli"


def record(obj, action: str, changes: dict[str, Any] | None = None) -> AuditLog | None:
    """Record an audit row for ``obj`` (call before flush so changes are visible).

    ``changes`` defaults to the changed column values; an update that changed
    nothing records nothing.
    """
    if changes is None:
        changes = changed_fields(obj, created=(action == "create"))
    if action == "update" and not changes:
        return None
    if obj.id is None:
        db.session.flush()
    user_id, actor = _actor()
    row = AuditLog(
        user_id=user_id,
        actor=actor,
        entity=obj.__tablename__,
        entity_id=obj.id,
        action=action,
        changes=changes,
    )
    db.session.add(row)
    return row


def history(obj, limit: int = 100) -> list[AuditLog]:
    stmt = (
        select(AuditLog)
        .where(AuditLog.entity == obj.__tablename__, AuditLog.entity_id == obj.id)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
