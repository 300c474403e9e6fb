"""Import kind "certificates": paper certificates of past trainings, so that coverage counts them.

Registered on the org import engine (``org.imports.register_kind``) when this module is
imported (``certificates.views`` imports it at start-up): the kind then appears on the org import
page (scope: the importer's unit) and as ``flask lms certificates import FILE [--dry-run]``.

A row names a person already on the roster (by phone; or by name + birth year + village code when
there is no phone; nobody is created), a current program, the issue date, and optionally the paper
serial (kept as is), the issuing body and the basis (class or decision). A certificate already
recorded for the same person, program and date from paper is left as it is, so a re-import changes
nothing.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import func, select

from ..core import audit
from ..core.errors import ServiceError
from ..core.spreadsheet import Column, Row, parse_date
from ..core.text import fold
from ..curriculum.models import Program
from ..extensions import db
from ..org.imports import Cells, ImportKind, ImportRun, UnitRef, parse_birth, parse_phone, register_kind
from ..org.models import Person, User
from . import services
from .models import Certificate

NOT_FOUND = "không tìm thấy người này trong danh sách"
#: Paper certificates older than this are surely a typing error.
FIRST_YEAR = 1990

CERTIFICATE_COLUMNS = [
    Column("phone", "Số điện thoại", False, ("Điện thoại", "SĐT", "Số ĐT", "Di động", "Điện thoại di động"), "0912345678"),
    Column("name", "Họ và tên", False, ("Họ tên",), "Nguyễn Thị Lan"),
    Column("birth", "Năm sinh", False, ("Ngày sinh", "Ngày tháng năm sinh"), 1975),
    Column("village", "Mã thôn", False, ("Mã thôn / tổ dân phố", "Mã ấp", "Mã tổ dân phố", "Mã đơn vị"), "31117-01"),
    Column("program", "Mã chương trình", True, ("Chương trình", "Mã CT"), "hgv"),
    Column("issued_on", "Ngày cấp", True, ("Ngày cấp giấy chứng nhận", "Ngày cấp GCN"), "15/06/2023"),
    Column("external_serial", "Số hiệu", False, ("Số hiệu giấy chứng nhận", "Số GCN", "Số giấy chứng nhận", "Số hiệu trên giấy"), "125/GCN-STP"),
    Column("issuer", "Đơn vị cấp", False, ("Cơ quan cấp", "Nơi cấp"), "Sở Tư pháp thành phố Cần Thơ"),
    Column("basis", "Căn cứ", False, ("Lớp tập huấn", "Căn cứ cấp", "Quyết định"), "Lớp tập huấn hòa giải viên 12–14/06/2023"),
]


def _importer() -> User | None:
    """The officer running a web import: signed in, or the one a background job acts for (the command line has none)."""
    if has_request_context() and getattr(current_user, "is_authenticated", False):
        return current_user._get_current_object()
    user_id = audit.acting_user_id()
    return db.session.get(User, user_id) if user_id is not None else None


class _Certificates(ImportRun):
    entities = ("certificate",)
    columns = CERTIFICATE_COLUMNS
    finds_people = True

    def __init__(self, result, scope):
        super().__init__(result, scope)
        self.programs: dict[str, Program] = {
            p.code.lower(): p for p in db.session.scalars(select(Program).where(Program.is_current.is_(True)))
        }
        self.by = _importer()

    def program(self, c: Cells) -> Program | None:
        code = c.text("program", "thiếu mã chương trình", max_len=40)
        if code is None:
            return None
        program = self.programs.get(code.lower())
        if program is None:
            known = ", ".join(sorted(self.programs)) or "chưa có chương trình nào"
            c.fail("program", f"không có chương trình mã «{code}» (các mã hiện có: {known})")
        return program

    def find(self, c: Cells, home: UnitRef | None, name: str | None, year: int | None, phone: str | None) -> Person | None:
        """The engine's person matching, in the importer's scope; nobody is created."""
        person, by_phone = self.match_person(home.id if home else None, name, year, phone)
        if person is not None and not self.in_scope(person.unit_path):
            person = None  # someone else's: as good as unknown here
        key = "phone" if phone else "name"
        if person is None:
            c.fail(key, NOT_FOUND)
            return None
        if by_phone and name and fold(name) != person.search_key:
            c.fail("phone", f"số điện thoại «{phone}» là của «{person.full_name}», không phải «{name}»")
            return None
        if not by_phone:
            namesakes = db.session.scalar(
                select(func.count(Person.id)).where(
                    Person.search_key == person.search_key, Person.unit_id == person.unit_id, Person.birth_year == person.birth_year
                )
            )
            if namesakes > 1:
                c.fail("name", "có nhiều người cùng họ tên và năm sinh ở đơn vị này; hãy ghi số điện thoại để phân biệt")
                return None
        return self.orm(person)

    def row(self, row: Row) -> None:
        c = Cells(self, row)
        phone = c.parse("phone", parse_phone)
        name = c.text("name")
        birth = c.parse("birth", parse_birth)
        home = self.resolve_unit(c, "village") if c.present("village") else None
        program = self.program(c)
        issued_on = c.parse("issued_on", parse_date, "thiếu ngày cấp")
        external_serial = c.text("external_serial", max_len=60)
        issuer = c.text("issuer", max_len=200)
        basis = c.text("basis", max_len=2000)
        if row.values.get("phone") is None:
            needed = "(bắt buộc khi không có số điện thoại)"
            if name is None:
                c.fail("name", f"thiếu họ và tên {needed}")
            if row.values.get("birth") is None:
                c.fail("birth", f"thiếu năm sinh {needed}")
            if row.values.get("village") is None:
                c.fail("village", f"thiếu mã thôn {needed}")
        if issued_on is not None:
            if issued_on > self.today:
                c.fail("issued_on", "ngày cấp sau ngày hôm nay")
            elif issued_on.year < FIRST_YEAR:
                c.fail("issued_on", f"ngày cấp trước năm {FIRST_YEAR}: hãy kiểm tra lại")
        if c.bad:
            return
        person = self.find(c, home, name, birth[0] if birth else None, phone)
        if person is None:
            return
        self.record(c, person, program, issued_on, external_serial=external_serial, issuer=issuer, basis=basis)

    def record(self, c: Cells, person: Person, program: Program, issued_on, **paper: Any) -> None:
        key = ("certificate", person.id, program.code, issued_on)
        existing = db.session.scalar(
            select(Certificate)
            .where(
                Certificate.person_id == person.id, Certificate.program_code == program.code, Certificate.issued_on == issued_on,
                Certificate.source == "external",
            )
            .order_by(Certificate.id)
            .limit(1)
        )
        first = self.seen.get(key)
        if first is not None:
            serial = paper["external_serial"]
            if serial and existing is not None and existing.external_serial and serial != existing.external_serial:
                c.fail("external_serial", f"trùng lặp mâu thuẫn với dòng {first} (cùng người, chương trình và ngày cấp, khác số hiệu)")
            return
        self.seen[key] = c.row.number
        if existing is not None:
            self.result.count("certificate").unchanged += 1
            return
        try:
            services.record_external(person=person, program_code=program.code, issued_on=issued_on, by=self.by, **paper)
        except ServiceError as exc:
            self.service_error(c, exc, "program")
            return
        self.result.count("certificate").created += 1


KIND = ImportKind(
    "certificates",
    "Giấy chứng nhận đã cấp (tập huấn trước đây)",
    CERTIFICATE_COLUMNS,
    _Certificates,
    "Mỗi dòng một giấy chứng nhận bản giấy đã cấp, để được tính vào tỷ lệ đã bồi dưỡng. Người phải có sẵn trong danh sách: "
    "tìm theo số điện thoại, hoặc (khi không có số điện thoại) theo họ và tên + năm sinh + mã thôn. Mã chương trình: "
    "hgv (hòa giải viên), thv (tập huấn viên), qlnn (quản lý nhà nước). «Số hiệu» được giữ nguyên như trên giấy.",
    "giay-chung-nhan",
)

register_kind(KIND, {"certificate": "Giấy chứng nhận (cấp ngoài hệ thống)"})
