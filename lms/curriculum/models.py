"""The curriculum as imported from ``course_content/``: versioned programs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core import clock
from ..core.models import IdMixin, TitledEnum
from ..extensions import db


class Audience(TitledEnum):
    """Who a program is for (``Program.audience``)."""

    MEDIATOR = "mediator"
    TRAINER = "trainer"
    OFFICIAL = "official"


Audience.TITLES = {"mediator": "Hòa giải viên", "trainer": "Tập huấn viên", "official": "Lãnh đạo, công chức cấp xã"}


class Program(IdMixin, db.Model):
    """One version of a program (``hgv``, ``thv``, ``qlnn``…)."""

    __tablename__ = "program"
    __table_args__ = (UniqueConstraint("code", "version"), Index("ix_program_code_current", "code", "is_current"))

    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    audience: Mapped[str] = mapped_column(String(20))  # an Audience value
    hours: Mapped[float] = mapped_column(Float, default=0)
    description: Mapped[str] = mapped_column(Text, default="")
    notice: Mapped[str] = mapped_column(Text, default="")
    completion: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    content_hash: Mapped[str] = mapped_column(String(64))
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.now)

    modules: Mapped[list[Module]] = relationship(back_populates="program", order_by="Module.position", cascade="all, delete-orphan")
    lessons: Mapped[list[Lesson]] = relationship(order_by="Lesson.position", viewonly=True)

    @property
    def audience_title(self) -> str:
        return Audience.TITLES.get(self.audience, self.audience)

    @property
    def min_score(self) -> int:
        return int(self.completion.get("quiz_min_score", 70))

    @property
    def final_module(self) -> Module | None:
        return next((m for m in self.modules if m.is_final), None)


class Module(IdMixin, db.Model):
    __tablename__ = "program_module"
    __table_args__ = (Index("ix_program_module_program_id", "program_id"),)

    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    hours: Mapped[float] = mapped_column(Float, default=0)
    summary: Mapped[str] = mapped_column(Text, default="")
    is_final: Mapped[bool] = mapped_column(Boolean, default=False)

    program: Mapped[Program] = relationship(back_populates="modules")
    lessons: Mapped[list[Lesson]] = relationship(back_populates="module", order_by="Lesson.position", cascade="all, delete-orphan")
    quiz: Mapped[Quiz | None] = relationship(back_populates="module", cascade="all, delete-orphan", uselist=False)
    attachments: Mapped[list[Attachment]] = relationship(back_populates="module", order_by="Attachment.filename", cascade="all, delete-orphan")


class Lesson(IdMixin, db.Model):
    __tablename__ = "lesson"
    __table_args__ = (Index("ix_lesson_program_slug", "program_id", "slug"), Index("ix_lesson_module_id", "module_id"))

    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("program_module.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer)  # order within the program
    title: Mapped[str] = mapped_column(String(300))
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    #: Rendered and sanitized once, at import.
    body_html: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64))

    program: Mapped[Program] = relationship()
    module: Mapped[Module] = relationship(back_populates="lessons")


class Quiz(IdMixin, db.Model):
    __tablename__ = "quiz"

    module_id: Mapped[int] = mapped_column(ForeignKey("program_module.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    pass_score: Mapped[int] = mapped_column(Integer, default=70)
    content_hash: Mapped[str] = mapped_column(String(64))

    module: Mapped[Module] = relationship(back_populates="quiz")
    questions: Mapped[list[Question]] = relationship(back_populates="quiz", order_by="Question.position", cascade="all, delete-orphan")


class Question(IdMixin, db.Model):
    __tablename__ = "quiz_question"
    __table_args__ = (Index("ix_quiz_question_quiz_id", "quiz_id"),)

    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    choices: Mapped[list[str]] = mapped_column(JSON)
    correct: Mapped[list[int]] = mapped_column(JSON)
    explanation: Mapped[str] = mapped_column(Text, default="")

    quiz: Mapped[Quiz] = relationship(back_populates="questions")

    @property
    def multiple(self) -> bool:
        return len(self.correct) > 1


class Attachment(IdMixin, db.Model):
    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_module_id", "module_id"),)

    module_id: Mapped[int] = mapped_column(ForeignKey("program_module.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)

    module: Mapped[Module] = relationship(back_populates="attachments")
