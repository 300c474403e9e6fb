"""Issuing, numbering, revoking and re-issuing certificates. Flush, never commit."""

from __future__ import annotations

import datetime as dt
import secrets

from flask import current_app
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from ..classes.models import ClassMode
from ..core import audit, clock
from ..core.errors import ServiceError
from ..core.signals import program_completed
from ..core.text import nfc
from ..curriculum.models import Program
from ..curriculum.services import current_program
from ..extensions import db
from ..org.models import Person, Unit, UnitKind, User
from .models import Certificate, CertificateSettings, CertificateSource, SerialCounter

# --------------------------------------------------------------------------- settings


def province_of(unit: Unit) -> Unit:
    """The province a unit belongs to (the root of its path)."""
    root_id = unit.ancestor_ids[0]
    return unit if unit.id == root_id else db.session.get(Unit, root_id)


def default_prefix(province: Unit) -> str:
    words = [w for w in province.name.split() if w.lower() not in {"thành", "phố", "tỉnh"}]
    from ..core.text import fold

    letters = "".join(fold(w)[:1] for w in words).upper()
    return letters or province.code


def settings_for(province: Unit) -> CertificateSettings:
    """The province's settings, created with sensible defaults the first time."""
    settings = db.session.get(CertificateSettings, province.id)
    if settings is None:
        place = province.name.replace("Thành phố ", "").replace("Tỉnh ", "")
        settings = CertificateSettings(
            unit_id=province.id,
            serial_prefix=default_prefix(province),
            issuer_name=f"SỞ TƯ PHÁP {place.upper()}",
            issuer_parent=f"ỦY BAN NHÂN DÂN {province.name.upper()}",
            signer_title="GIÁM ĐỐC",
            signer_name="",
            place=place,
        )
        try:
            with db.session.begin_nested():
                db.session.add(settings)
        except IntegrityError:  # created meanwhile by a concurrent issuer
            settings = db.session.get(CertificateSettings, province.id)
    return settings


def update_settings(settings: CertificateSettings, **fields) -> CertificateSettings:
    for key, value in fields.items():
        setattr(settings, key, (nfc(value) or "") if isinstance(value, str) else value)
    if not settings.serial_prefix or not settings.serial_prefix.replace("-", "").isalnum():
        raise ServiceError("Tiền tố số hiệu chỉ gồm chữ cái và chữ số.", "serial_prefix")
    db.session.flush()
    return settings


# --------------------------------------------------------------------------- numbering


def allocate_serial(province: Unit, year: int) -> str:
    """The next serial for a province and year, e.g. ``CT-2026-000123``.

    One atomic ``UPDATE … SET last = last + 1 RETURNING last``: the row lock
    (PostgreSQL) or the write lock (SQLite) makes concurrent issuers wait, so
    no two certificates get the same number.
    """
    settings = settings_for(province)
    stmt = (
        update(SerialCounter)
        .where(SerialCounter.unit_id == province.id, SerialCounter.year == year)
        .values(last=SerialCounter.last + 1)
        .returning(SerialCounter.last)
    )
    number = db.session.execute(stmt).scalar()
    if number is None:
        try:
            with db.session.begin_nested():
                db.session.execute(insert(SerialCounter).values(unit_id=province.id, year=year, last=0))
        except IntegrityError:
            pass  # another transaction created it first
        number = db.session.execute(stmt).scalar()
    return f"{settings.serial_prefix}-{year}-{number:06d}"


def new_verification_code() -> str:
    """128 random bits, URL-safe (22 characters)."""
    return secrets.token_urlsafe(16)


# --------------------------------------------------------------------------- issuing


def _holder_fields(person: Person) -> dict:
    return {"holder_name": person.full_name, "holder_birth_year": person.birth_year}


def issue(
    *,
    person: Person,
    program: Program,
    issued_on: dt.date | None = None,
    source: str = CertificateSource.ONLINE.value,
    mode: str = ClassMode.ONLINE.value,
    enrollment=None,
    training_from: dt.date | None = None,
    training_to: dt.date | None = None,
    by: User | None = None,
    holder: dict | None = None,
) -> Certificate:
    issued_on = issued_on or clock.today()
    province = province_of(person.unit)
    settings = settings_for(province)
    cert = Certificate(
        serial=allocate_serial(province, issued_on.year),
        verification_code=new_verification_code(),
        person=person,
        program_code=program.code,
        program=program,
        program_title=program.title,
        hours=program.hours,
        issued_on=issued_on,
        issuing_unit=province,
        issuer_name=settings.issuer_name,
        signer_title=settings.signer_title,
        signer_name=settings.signer_name,
        place=settings.place,
        mode=mode,
        source=source,
        training_from=training_from,
        training_to=training_to or issued_on,
        enrollment_id=enrollment.id if enrollment is not None else None,
        created_by_id=by.id if by else None,
        **(holder or _holder_fields(person)),
    )
    db.session.add(cert)
    audit.record(cert, "create")
    db.session.flush()
    return cert


def certificate_for_enrollment(enrollment_id: int) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.enrollment_id == enrollment_id))


@program_completed.connect
def _on_program_completed(sender, enrollment=None, person=None, program=None, completed_on=None, via="online", **extra) -> None:  # noqa: ARG001
    """Issue the certificate in the same transaction as the completion (no cron, no click)."""
    if enrollment is not None and certificate_for_enrollment(enrollment.id) is not None:
        return  # exactly once per completion
    mode = extra.get("mode") or (ClassMode.ONLINE.value if via == "online" else ClassMode.IN_PERSON.value)
    issue(
        person=person,
        program=program,
        issued_on=completed_on,
        source=CertificateSource.ONLINE.value if via == "online" else CertificateSource.CLASS.value,
        mode=mode,
        enrollment=enrollment,
        training_from=extra.get("training_from") or (enrollment.enrolled_on if enrollment is not None else None),
        training_to=extra.get("training_to") or completed_on,
    )


# --------------------------------------------------------------------------- revoking, re-issuing


def revoke(cert: Certificate, reason: str, by: User | None = None, on: dt.date | None = None) -> Certificate:
    reason = nfc(reason)
    if not reason:
        raise ServiceError("Phải nêu lý do thu hồi.", "reason")
    if cert.revoked_on is not None:
        raise ServiceError("Giấy chứng nhận này đã bị thu hồi.")
    on = on or clock.today()
    if on < cert.issued_on:
        raise ServiceError("Ngày thu hồi không được trước ngày cấp.", "revoked_on")
    cert.revoked_on = on
    cert.revoke_reason = reason
    cert.revoked_by_id = by.id if by else None
    audit.record(cert, "revoke")
    db.session.flush()
    return cert


def reissue(cert: Certificate, *, holder_name: str | None = None, holder_birth_year: int | None = None, by: User | None = None) -> Certificate:
    """A corrected certificate with a new serial; the old one is marked replaced (and stays on record)."""
    if cert.revoked_on is not None:
        raise ServiceError("Không thể cấp lại giấy chứng nhận đã bị thu hồi.")
    if cert.replaced_by_id is not None:
        raise ServiceError("Giấy chứng nhận này đã được cấp lại; hãy cấp lại từ bản mới nhất.")
    name = nfc(holder_name) or cert.holder_name
    today = clock.today()
    province = cert.issuing_unit
    new = Certificate(
        serial=allocate_serial(province, today.year),
        verification_code=new_verification_code(),
        person_id=cert.person_id,
        program_code=cert.program_code,
        program_id=cert.program_id,
        program_title=cert.program_title,
        hours=cert.hours,
        issued_on=today,
        issuing_unit_id=cert.issuing_unit_id,
        issuer_name=cert.issuer_name,
        signer_title=cert.signer_title,
        signer_name=cert.signer_name,
        place=cert.place,
        mode=cert.mode,
        source=cert.source,
        training_from=cert.training_from,
        training_to=cert.training_to,
        external_serial=cert.external_serial,
        basis=cert.basis,
        holder_name=name,
        holder_birth_year=holder_birth_year if holder_birth_year is not None else cert.holder_birth_year,
        created_by_id=by.id if by else None,
    )
    db.session.add(new)
    db.session.flush()
    cert.replaced_by_id = new.id
    cert.replaced_on = today
    audit.record(new, "create")
    audit.record(cert, "replace", {"replaced_by": [None, new.serial]})
    db.session.flush()
    return new


def by_code(code: str) -> Certificate | None:
    if not code or len(code) > 40:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.verification_code == code))


def verification_url(cert: Certificate) -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/") + f"/verify/{cert.verification_code}"


def record_external(
    *,
    person: Person,
    program_code: str,
    issued_on: dt.date,
    external_serial: str | None,
    issuer: str | None,
    basis: str | None,
    by: User | None = None,
) -> Certificate:
    """A certificate issued outside the system (on paper), so that coverage counts it."""
    program = current_program(program_code)
    if program is None:
        raise ServiceError(f"Không có chương trình mã «{program_code}».", "program_code")
    if issued_on > clock.today():
        raise ServiceError("Ngày cấp không được sau ngày hôm nay.", "issued_on")
    cert = issue(person=person, program=program, issued_on=issued_on, source=CertificateSource.EXTERNAL.value, mode=ClassMode.IN_PERSON.value, by=by, training_to=issued_on)
    cert.external_serial = nfc(external_serial)
    cert.basis = nfc(basis)
    if nfc(issuer):
        cert.issuer_name = nfc(issuer)
    audit.record(cert, "update")  # the paper serial, issuer and reference, set after the create row
    db.session.flush()
    return cert


def is_province(unit: Unit) -> bool:
    return unit.kind == UnitKind.PROVINCE
