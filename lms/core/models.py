"""Model mixins, the audit log and the data generations (the tables core owns)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from . import clock

#: A string column compared byte-wise on both databases (materialized paths, codes).
BinaryString = String().with_variant(String(collation="C"), "postgresql")


def binary_string(length: int):
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class TitledEnum(enum.StrEnum):
    """A string enum whose members have a Vietnamese ``title`` (set ``Cls.TITLES`` after the class)."""

    @property
    def title(self) -> str:
        return self.TITLES[self.value]  # type: ignore[attr-defined]

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.title) for m in cls]


class AuditAction(TitledEnum):
    """What an audit log row records (``AuditLog.action``; areas may write others, shown as they are)."""

    CREATE = "create"
    UPDATE = "update"
    END = "end"
    IMPORT = "import"
    RESET_PASSWORD = "reset_password"  # noqa: S105 (not a password)
    DISABLE = "disable"
    ENABLE = "enable"
    REVOKE = "revoke"
    REPLACE = "replace"


AuditAction.TITLES = {
    "create": "Tạo mới",
    "update": "Cập nhật",
    "end": "Kết thúc",
    "import": "Nhập từ tệp",
    "reset_password": "Đặt lại mật khẩu",
    "disable": "Khóa tài khoản",
    "enable": "Mở khóa tài khoản",
    "revoke": "Thu hồi",
    "replace": "Được cấp lại (thay thế)",
}


class JobStatus(TitledEnum):
    """A background job's state (``Job.status``)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


JobStatus.TITLES = {"queued": "Đang chờ", "running": "Đang xử lý", "done": "Hoàn tất", "failed": "Lỗi"}
#: States in which a job has not finished (still to run, or running).
JOB_PENDING = (JobStatus.QUEUED, JobStatus.RUNNING)


class IdMixin:
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.now, onupdate=clock.now)


class AuditLog(IdMixin, db.Model):
    """Who changed what, when: one row per create / update / end of a record."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)

    at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.now)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    actor: Mapped[str | None] = mapped_column(String(120))  # username at the time, or "cli"
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))  # create | update | end | import | ...
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    @property
    def action_title(self) -> str:
        return AuditAction.TITLES.get(self.action, self.action)


class Job(IdMixin, db.Model):
    """A background job (RQ when LMS_REDIS_URL is set, inline otherwise) and its progress."""

    __tablename__ = "job"

    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.QUEUED.value)  # a JobStatus value
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    result_path: Mapped[str | None] = mapped_column(String(500))
    result_name: Mapped[str | None] = mapped_column(String(200))
    #: What the job found, as data (e.g. an import's counts and bad rows), for the page that shows it.
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(String(1000))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.now)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        return (100 * self.done) // self.total if self.total else 0

    @property
    def status_title(self) -> str:
        return JobStatus.TITLES.get(self.status, self.status)


class DataGeneration(db.Model):
    """The current token of each named data generation; it changes with the rows a cache depends on (``core/cache.py``)."""

    __tablename__ = "data_generation"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
