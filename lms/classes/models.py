"""Classes (lớp tập huấn / bồi dưỡng): their sessions, trainers, enrollment and attendance."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, Time, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core import clock
from ..core.models import IdMixin, TitledEnum
from ..extensions import db
from ..org.models import Person, PersonScoped, Unit


class ClassMode(TitledEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    BLENDED = "blended"


ClassMode.TITLES = {"in_person": "Trực tiếp", "online": "Trực tuyến", "blended": "Kết hợp"}


class ClassStatus(TitledEnum):
    PLANNED = "planned"
    OPEN = "open"
    FINISHED = "finished"


ClassStatus.TITLES = {"planned": "Dự kiến", "open": "Đang diễn ra", "finished": "Đã kết thúc"}


class Assessment(TitledEnum):
    SCORE = "score"
    PASS_FAIL = "pass_fail"  # noqa: S105 (not a password)
    ONLINE = "online"


Assessment.TITLES = {"score": "Điểm bài kiểm tra cuối khóa", "pass_fail": "Đạt / không đạt", "online": "Theo quy định hoàn thành của chương trình trực tuyến"}


class ClassEnrollmentStatus(TitledEnum):
    """A person's state in a class (``ClassEnrollment.status``)."""

    ENROLLED = "enrolled"
    WITHDRAWN = "withdrawn"
    COMPLETED = "completed"


ClassEnrollmentStatus.TITLES = {"enrolled": "Đang học", "withdrawn": "Đã rút", "completed": "Đã hoàn thành"}


class AttendanceStatus(TitledEnum):
    """A person's attendance at a session (``Attendance.status``)."""

    PRESENT = "present"
    ABSENT = "absent"
    EXCUSED = "excused"


AttendanceStatus.TITLES = {"present": "Có mặt", "absent": "Vắng", "excused": "Vắng có phép"}


class TrainingClass(IdMixin, db.Model):
    """A class (lớp tập huấn / bồi dưỡng) run by trainers for a program."""

    __tablename__ = "training_class"
    __table_args__ = (Index("ix_training_class_unit_id", "unit_id"), Index("ix_training_class_starts_on", "starts_on"))

    title: Mapped[str] = mapped_column(String(300))
    program_code: Mapped[str] = mapped_column(String(40))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))  # organizing unit
    mode: Mapped[str] = mapped_column(String(20), default=ClassMode.IN_PERSON.value)
    venue: Mapped[str | None] = mapped_column(String(300))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    capacity: Mapped[int] = mapped_column(Integer, default=40)
    status: Mapped[str] = mapped_column(String(20), default=ClassStatus.PLANNED.value)
    min_attendance: Mapped[int] = mapped_column(Integer, default=80)  # percent of sessions
    assessment: Mapped[str] = mapped_column(String(20), default=Assessment.SCORE.value)
    pass_score: Mapped[int] = mapped_column(Integer, default=50)  # out of 100, when assessment == score
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.now)

    unit: Mapped[Unit] = relationship()
    trainers: Mapped[list[Person]] = relationship(secondary="class_trainer", order_by="(Person.sort_key, Person.id)")
    sessions: Mapped[list[ClassSession]] = relationship(back_populates="klass", order_by="(ClassSession.on, ClassSession.starts_at)", cascade="all, delete-orphan")
    enrollments: Mapped[list[ClassEnrollment]] = relationship(back_populates="klass", cascade="all, delete-orphan")

    @classmethod
    def scope_clause(cls, path: str):
        return cls.unit_id.in_(select(Unit.id).where(Unit.scope_clause(path)))

    @classmethod
    def owner_clause(cls, person_id: int | None):
        """A learner sees the classes they are enrolled in."""
        return cls.id.in_(select(ClassEnrollment.class_id).where(ClassEnrollment.person_id == person_id))

    @property
    def mode_title(self) -> str:
        return ClassMode(self.mode).title

    @property
    def status_title(self) -> str:
        return ClassStatus(self.status).title


class ClassTrainer(db.Model):
    __tablename__ = "class_trainer"

    class_id: Mapped[int] = mapped_column(ForeignKey("training_class.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)


class ClassSession(IdMixin, db.Model):
    """A session (buổi học) of a class; its check-in code makes the attendance QR."""

    __tablename__ = "class_session"
    __table_args__ = (Index("ix_class_session_class_id", "class_id"),)

    class_id: Mapped[int] = mapped_column(ForeignKey("training_class.id", ondelete="CASCADE"))
    on: Mapped[dt.date] = mapped_column(Date)
    starts_at: Mapped[dt.time] = mapped_column(Time)
    ends_at: Mapped[dt.time] = mapped_column(Time)
    topic: Mapped[str | None] = mapped_column(String(300))
    checkin_code: Mapped[str] = mapped_column(String(40), unique=True)

    klass: Mapped[TrainingClass] = relationship(back_populates="sessions")
    attendance: Mapped[list[Attendance]] = relationship(back_populates="session", cascade="all, delete-orphan")

    @property
    def starts(self) -> dt.datetime:
        return dt.datetime.combine(self.on, self.starts_at)

    @property
    def ends(self) -> dt.datetime:
        return dt.datetime.combine(self.on, self.ends_at)


class ClassEnrollment(PersonScoped, IdMixin, db.Model):
    """A person in a class, their result, and whether the class's rule was met."""

    __tablename__ = "class_enrollment"
    __table_args__ = (UniqueConstraint("class_id", "person_id"), Index("ix_class_enrollment_person_id", "person_id"))

    # the statuses, as members of ClassEnrollmentStatus
    ENROLLED = ClassEnrollmentStatus.ENROLLED
    WITHDRAWN = ClassEnrollmentStatus.WITHDRAWN
    COMPLETED = ClassEnrollmentStatus.COMPLETED

    class_id: Mapped[int] = mapped_column(ForeignKey("training_class.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    status: Mapped[str] = mapped_column(String(20), default=ClassEnrollmentStatus.ENROLLED.value)
    enrolled_on: Mapped[dt.date] = mapped_column(Date, default=clock.today)
    withdraw_reason: Mapped[str | None] = mapped_column(Text)
    score: Mapped[int | None] = mapped_column(Integer)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    completed_on: Mapped[dt.date | None] = mapped_column(Date)

    klass: Mapped[TrainingClass] = relationship(back_populates="enrollments")
    person: Mapped[Person] = relationship()

    @property
    def status_title(self) -> str:
        return ClassEnrollmentStatus.TITLES.get(self.status, self.status)


class Attendance(db.Model):
    __tablename__ = "attendance"

    # the statuses, as members of AttendanceStatus
    PRESENT = AttendanceStatus.PRESENT
    ABSENT = AttendanceStatus.ABSENT
    EXCUSED = AttendanceStatus.EXCUSED

    session_id: Mapped[int] = mapped_column(ForeignKey("class_session.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))  # an AttendanceStatus value
    via: Mapped[str] = mapped_column(String(20), default="grid")  # grid | qr
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.now)

    session: Mapped[ClassSession] = relationship(back_populates="attendance")
