"""Certificates (giấy chứng nhận): the single source of "trained"."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..classes.models import ClassMode
from ..core import clock
from ..core.models import IdMixin, TimestampMixin, TitledEnum
from ..curriculum.models import Program
from ..extensions import db
from ..org.models import Person, PersonScoped, Unit, User


class CertificateStatus(TitledEnum):
    """A certificate's status on a day (from its dates, not stored): revoked wins over replaced."""

    VALID = "valid"
    REVOKED = "revoked"
    REPLACED = "replaced"


CertificateStatus.TITLES = {"valid": "Còn hiệu lực", "revoked": "Đã thu hồi", "replaced": "Đã được thay thế"}


class CertificateSource(TitledEnum):
    """How the certificate came to be (``Certificate.source``)."""

    ONLINE = "online"
    CLASS = "class"
    EXTERNAL = "external"  # a past training on paper, recorded afterwards


CertificateSource.TITLES = {"online": "Học trực tuyến", "class": "Lớp tập huấn", "external": "Cấp ngoài hệ thống (giấy)"}


class CertificateSettings(db.Model):
    """Per issuing province: serial prefix, issuing body, signer, place name."""

    __tablename__ = "certificate_settings"

    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), primary_key=True)
    serial_prefix: Mapped[str] = mapped_column(String(10))
    issuer_name: Mapped[str] = mapped_column(String(200))  # e.g. SỞ TƯ PHÁP THÀNH PHỐ CẦN THƠ
    issuer_parent: Mapped[str] = mapped_column(String(200), default="")  # e.g. UBND THÀNH PHỐ CẦN THƠ
    signer_title: Mapped[str] = mapped_column(String(200))  # e.g. GIÁM ĐỐC
    signer_name: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(100))  # e.g. Cần Thơ

    unit: Mapped[Unit] = relationship()


class SerialCounter(db.Model):
    """The last serial number used per issuing province and year (allocated with one atomic UPDATE)."""

    __tablename__ = "certificate_serial_counter"

    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Certificate(PersonScoped, IdMixin, TimestampMixin, db.Model):
    __tablename__ = "certificate"
    __table_args__ = (
        UniqueConstraint("serial"),
        UniqueConstraint("verification_code"),
        UniqueConstraint("enrollment_id"),
        Index("ix_certificate_person_program", "person_id", "program_code", "issued_on"),
        Index("ix_certificate_program_issued", "program_code", "issued_on"),
        Index("ix_certificate_issuing_unit_id", "issuing_unit_id"),
    )

    serial: Mapped[str] = mapped_column(String(40))
    verification_code: Mapped[str] = mapped_column(String(40))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    program_code: Mapped[str] = mapped_column(String(40))
    program_id: Mapped[int | None] = mapped_column(ForeignKey("program.id"))
    issued_on: Mapped[dt.date] = mapped_column(Date)
    issuing_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    #: The name and birth year as printed (a re-issue corrects them).
    holder_name: Mapped[str] = mapped_column(String(200))
    holder_birth_year: Mapped[int | None] = mapped_column(Integer)
    issuer_name: Mapped[str] = mapped_column(String(200))
    signer_title: Mapped[str] = mapped_column(String(200))
    signer_name: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(100))
    program_title: Mapped[str] = mapped_column(String(300))
    hours: Mapped[float | None] = mapped_column()
    mode: Mapped[str] = mapped_column(String(20), default=ClassMode.ONLINE.value)  # a ClassMode value (hình thức)
    training_from: Mapped[dt.date | None] = mapped_column(Date)
    training_to: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(20), default=CertificateSource.ONLINE.value)  # a CertificateSource value
    enrollment_id: Mapped[int | None] = mapped_column(ForeignKey("enrollment.id"))
    #: Past trainings on paper: the paper serial kept as is, and the class or decision reference.
    external_serial: Mapped[str | None] = mapped_column(String(60))
    basis: Mapped[str | None] = mapped_column(Text)
    revoked_on: Mapped[dt.date | None] = mapped_column(Date)
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"))
    replaced_on: Mapped[dt.date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    person: Mapped[Person] = relationship()
    program: Mapped[Program | None] = relationship()
    issuing_unit: Mapped[Unit] = relationship()
    replaced_by: Mapped[Certificate | None] = relationship(remote_side="Certificate.id")
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    @classmethod
    def valid_on(cls, day: dt.date):
        """SQL: issued on or before ``day`` and not revoked by then (figures count these)."""
        return (cls.issued_on <= day) & (cls.revoked_on.is_(None) | (cls.revoked_on > day))

    @property
    def status(self) -> CertificateStatus:
        if self.revoked_on is not None and self.revoked_on <= clock.today():
            return CertificateStatus.REVOKED
        if self.replaced_by_id is not None:
            return CertificateStatus.REPLACED
        return CertificateStatus.VALID

    @property
    def status_title(self) -> str:
        return self.status.title

    @property
    def source_title(self) -> str:
        return CertificateSource.TITLES.get(self.source, self.source)

    @property
    def mode_title(self) -> str:
        return ClassMode.TITLES.get(self.mode, self.mode)

    @property
    def created(self) -> dt.datetime:
        return self.created_at
