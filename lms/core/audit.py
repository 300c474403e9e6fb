"""Audit rows: who changed which fields of a record, and when."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import inspect, select

from ..extensions import db
from . import bulk, clock
from . import format as fmt
from .models import AuditLog

#: The account a background job acts for (set with :func:`acting_as`); outside a job, the signed-in user.
_acting: ContextVar[tuple[int | None, str] | None] = ContextVar("audit_acting", default=None)


_AS_IS = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    if type(value) in _AS_IS:  # most values: no isinstance chain (bulk imports audit hundreds of thousands)
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


SKIP = {"id", "created_at", "updated_at", "password_hash", "search_key", "sort_key", "path"}


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


@contextmanager
def acting_as(user_id: int | None, username: str | None) -> Iterator[None]:
    """Audit rows written inside the block name this account (a job run for a user, e.g. an import)."""
    token = _acting.set((user_id, username or "cli") if user_id is not None else None)
    try:
        yield
    finally:
        _acting.reset(token)


def acting_user_id() -> int | None:
    """The account a running job acts for (:func:`acting_as`), or ``None``."""
    acting = _acting.get()
    return acting[0] if acting else None


def _actor() -> tuple[int | None, str]:
    acting = _acting.get()
    if acting is not None:
        return acting
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


def created_changes(values: Mapping[str, Any]) -> dict[str, list[Any]]:
    """What :func:`record` stores for a record created with these column values (``changed_fields(created=True)``)."""
    return {k: [None, _plain(v)] for k, v in values.items() if k not in SKIP and v is not None}


def plain_changes(changes: Mapping[str, tuple[Any, Any]]) -> dict[str, list[Any]]:
    """``{field: (old, new)}`` as stored in an audit row."""
    return {k: [_plain(old), _plain(new)] for k, (old, new) in changes.items() if k not in SKIP and old != new}


def record_many(entries: Iterable[tuple[str, int, str, dict[str, Any]]]) -> int:
    """Audit rows for records written in bulk (without ORM objects): ``(entity, entity_id, action, changes)``
    each, inserted in batches with one statement per batch. Returns how many."""
    user_id, actor = _actor()
    at = clock.now()
    rows = [
        {"at": at, "user_id": user_id, "actor": actor, "entity": entity, "entity_id": entity_id, "action": action, "changes": changes}
        for entity, entity_id, action, changes in entries
    ]
    bulk.insert_rows(AuditLog, rows)
    return len(rows)


def history(obj, limit: int = 100) -> list[AuditLog]:
    stmt = (
        select(AuditLog)
        .where(AuditLog.entity == obj.__tablename__, AuditLog.entity_id == obj.id)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


#: Vietnamese titles of the fields that audit rows name (shown in "Lịch sử thay đổi").
FIELD_TITLES = {
    "code": "Mã", "name": "Tên", "kind": "Cấp", "parent_id": "Đơn vị cấp trên", "is_pilot": "Điểm chỉ đạo",
    "ethnic_minority_area": "Vùng đồng bào DTTS", "model_commune_year": "Năm đạt xã điển hình", "valid_from": "Hiệu lực từ",
    "valid_to": "Hiệu lực đến", "successor_id": "Đơn vị kế thừa", "successor": "Đơn vị kế thừa", "depth": "Cấp độ",
    "unit_id": "Đơn vị", "unit": "Đơn vị", "established_on": "Ngày thành lập", "dissolved_on": "Ngày giải thể", "implicit": "Tạo tự động",
    "full_name": "Họ và tên", "gender": "Giới tính", "birth_year": "Năm sinh", "birth_date": "Ngày sinh", "ethnicity": "Dân tộc",
    "is_minority": "Người DTTS", "phone": "Số điện thoại", "email": "Thư điện tử", "person_id": "Người", "team_id": "Tổ hòa giải",
    "decision_no": "Số quyết định công nhận", "recognized_on": "Ngày công nhận", "deadline": "Hạn bồi dưỡng", "is_leader": "Tổ trưởng",
    "left_on": "Ngày thôi", "leave_decision_no": "Số quyết định thôi", "leave_reason": "Lý do thôi", "leave_note": "Ghi chú",
    "level": "Cấp", "background": "Nguồn", "started_on": "Ngày bắt đầu", "ended_on": "Ngày kết thúc", "from_on": "Từ ngày",
    "to_on": "Đến ngày", "username": "Tên đăng nhập", "role": "Vai trò", "is_active": "Đang hoạt động",
    "must_change_password": "Phải đổi mật khẩu", "status": "Trạng thái", "serial": "Số hiệu", "holder_name": "Họ và tên trên giấy",
    "holder_birth_year": "Năm sinh trên giấy", "issued_on": "Ngày cấp", "revoked_on": "Ngày thu hồi", "revoke_reason": "Lý do thu hồi",
    "replaced_by": "Được thay bằng", "program_code": "Chương trình", "completed_on": "Ngày hoàn thành", "score": "Điểm",
    "passed": "Đạt", "withdraw_reason": "Lý do rút", "title": "Tên lớp", "capacity": "Sĩ số tối đa", "venue": "Địa điểm",
    "starts_on": "Ngày bắt đầu", "ends_on": "Ngày kết thúc", "mode": "Hình thức", "accessed_on": "Ngày nhận", "note": "Ghi chú",
    "received": "Tiếp nhận", "successful": "Thành", "unsuccessful": "Không thành", "open": "Đang giải quyết", "year": "Năm",
    "quarter": "Quý",
}


def field_title(key: str) -> str:
    return FIELD_TITLES.get(key, key)


_VALUE_TITLES = {True: "có", False: "không", None: "—", "male": "Nam", "female": "Nữ"}


def audit_value(value: Any) -> str:
    """A stored audit value as an officer reads it (dates dd/mm/yyyy, booleans có/không)."""
    if isinstance(value, bool) or value is None:
        return _VALUE_TITLES[value]
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return fmt.date(dt.date.fromisoformat(value))
        except ValueError:
            return value
    return str(_VALUE_TITLES.get(value, value)) if isinstance(value, str) else str(value)
