"""Enrollment in programs and what a learner has done online: lessons opened, quiz attempts, access to materials."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core import clock
from ..core.models import IdMixin, TitledEnum
from ..curriculum.models import Program, Quiz
from ..extensions import db
from ..org.models import Person, PersonScoped, User


class EnrollmentStatus(TitledEnum):
    ENROLLED = "enrolled"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


EnrollmentStatus.TITLES = {"enrolled": "Đang học", "completed": "Đã hoàn thành", "withdrawn": "Đã rút"}


class Enrollment(PersonScoped, IdMixin, db.Model):
    """A person's enrollment in a program (by code: it follows the program's versions)."""

    __tablename__ = "enrollment"
    __table_args__ = (
        UniqueConstraint("person_id", "program_code"),
        Index("ix_enrollment_program_code_status", "program_code", "status"),
    )

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    program_code: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default=EnrollmentStatus.ENROLLED.value)
    enrolled_on: Mapped[dt.date] = mapped_column(Date, default=clock.today)
    enrolled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    #: The program version the completion was recorded against.
    completed_program_id: Mapped[int | None] = mapped_column(ForeignKey("program.id"))
    via: Mapped[str] = mapped_column(String(20), default="online")  # online | class

    person: Mapped[Person] = relationship()
    completed_program: Mapped[Program | None] = relationship()
    enrolled_by: Mapped[User | None] = relationship()

    @property
    def status_title(self) -> str:
        return EnrollmentStatus(self.status).title


class LessonView(PersonScoped, IdMixin, db.Model):
    """The first time a person opened a lesson (by program code and lesson slug, so it survives new versions)."""

    __tablename__ = "lesson_view"
    __table_args__ = (UniqueConstraint("person_id", "program_code", "lesson_slug"),)

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    program_code: Mapped[str] = mapped_column(String(40))
    lesson_slug: Mapped[str] = mapped_column(String(120))
    first_opened_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.now)


class QuizAttempt(PersonScoped, IdMixin, db.Model):
    """Every submission of a quiz is kept."""

    __tablename__ = "quiz_attempt"
    __table_args__ = (Index("ix_quiz_attempt_person_quiz", "person_id", "quiz_id"),)

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id"))
    #: Identity of the quiz across versions: an unchanged quiz file keeps its attempts.
    program_code: Mapped[str] = mapped_column(String(40))
    quiz_hash: Mapped[str] = mapped_column(String(64))
    score: Mapped[int] = mapped_column(Integer)  # percent, rounded down
    correct_count: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.now)

    quiz: Mapped[Quiz] = relationship()


class AccessKind(TitledEnum):
    """How a person got to the materials (``MaterialAccess.kind``)."""

    ONLINE = "online"
    PRINTED = "printed"


AccessKind.TITLES = {"online": "Mở tài liệu trực tuyến", "printed": "Nhận bộ tài liệu in"}


class MaterialAccess(PersonScoped, IdMixin, db.Model):
    """Access to the materials (figure G): the first lesson or attachment opened online, or the printed set received."""

    __tablename__ = "material_access"
    __table_args__ = (UniqueConstraint("person_id", "kind"), Index("ix_material_access_accessed_on", "accessed_on"))

    # the kinds, as members of AccessKind
    ONLINE = AccessKind.ONLINE
    PRINTED = AccessKind.PRINTED

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[str] = mapped_column(String(20))  # an AccessKind value
    accessed_on: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.now)

    person: Mapped[Person] = relationship()

    @property
    def kind_title(self) -> str:
        return AccessKind.TITLES.get(self.kind, self.kind)
