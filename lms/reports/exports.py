"""Exports of the figures and the work lists (XLSX and CSV), and the annual report PDF route.

Routes sit on the dashboard's blueprint (``reports.``): ``reports.export_figures``,
``reports.export_worklist`` and ``reports.annual_report``. Officers and trainers only;
the unit (``?unit=CODE``, default the user's own) must lie in the user's scope, else 404.

XLSX files are written by openpyxl in write-only mode into a temporary file (rows go
to disk as they are appended); CSV is streamed (``core.spreadsheet.csv_response``: UTF-8 with BOM, so Excel reads the diacritics).
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from flask import Response, abort, make_response, render_template, request, send_file
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from sqlalchemy import select
from sqlalchemy.orm import aliased

from ..core.access import roles_required, scoped
from ..core.format import date as format_date  # not ``fmt``: the routes' ``fmt`` is the file format
from ..core.roles import STAFF
from ..core.spreadsheet import csv_response
from ..deadlines.services import DeadlineStatus, status_expr
from ..extensions import db
from ..org.models import MediatorMembership, Person, Team, Unit, UnitKind
from .api import BadParameter, parse_day, parse_year
from .figures import (
    CODES,
    STATUS_TITLES,
    Coverage,
    Figure,
    coverage,
    figure_item,
    figure_title,
    in_ranges,
    merged_predecessors,
    unit_ranges,
)
from .views import bp, unit_or_404
from .worklists import EXPORT_BUILDERS, WorkList

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIGURE_HEADERS = ["Đơn vị", "Mã", "Tử số", "Mẫu số", "Tỷ lệ (%)", "Chỉ tiêu (%)", "Đánh giá", "Ghi chú"]
SUMMARY_HEADERS = ["Chỉ tiêu", "Nội dung", "Mục kế hoạch", "Tử số", "Mẫu số", "Tỷ lệ (%)", "Chỉ tiêu (%)", "Đánh giá", "Ghi chú"]
CSV_FIGURE_HEADERS = ["Mã đơn vị", "Đơn vị", "Cấp", "Mã chỉ tiêu", "Chỉ tiêu", "Tử số", "Mẫu số", "Tỷ lệ (%)", "Chỉ tiêu (%)", "Đánh giá", "Ghi chú"]
SUMMARY_SHEET = "Tổng hợp"
STATUS_FILLS = {"met": "C6EFCE", "not_met": "FFC7CE", "not_applicable": "EDEDED"}


# --------------------------------------------------------------------------- request parameters


def _bad_request(message: str):
    """Stop with a 400 page that says what was wrong (in Vietnamese); ``abort(response)`` bypasses the generic 400 page."""
    abort(make_response(render_template("core/error.html", code=400, title="Yêu cầu không hợp lệ", message=message), 400))


def _day_and_year() -> tuple[dt.date, int]:
    try:
        day = parse_day(request.args.get("date"))
        return day, parse_year(request.args.get("year"), day)
    except BadParameter as exc:
        _bad_request(str(exc))


# --------------------------------------------------------------------------- writers


class TextSheet:
    """A write-only sheet whose text cells stay text: openpyxl stores a string starting with ``=`` as a formula, so a
    team named ``=HYPERLINK(…)`` would become a live link in the officer's spreadsheet (formula injection)."""

    def __init__(self, ws) -> None:
        self.ws = ws

    def __getattr__(self, name: str):
        return getattr(self.ws, name)

    def append(self, values: Sequence[Any]) -> None:
        self.ws.append([XlsxBook.cell(self.ws, v) if isinstance(v, str) else v for v in values])


class XlsxBook:
    """A write-only workbook saved to a temporary file: each sheet's rows go to disk as they are appended."""

    def __init__(self) -> None:
        self.wb = Workbook(write_only=True)

    def sheet(self, title: str, headers: Sequence[str], widths: Sequence[int] = ()) -> TextSheet:
        ws = self.wb.create_sheet(title=title[:31])
        for idx, width in enumerate(widths):
            ws.column_dimensions[chr(ord("A") + idx)].width = width
        ws.freeze_panes = "A2"
        ws.append([self.cell(ws, h, bold=True, fill="DDEBF7") for h in headers])
        return TextSheet(ws)

    @staticmethod
    def cell(ws, value: Any, bold: bool = False, fill: str | None = None, number_format: str | None = None, wrap: bool = False):
        c = WriteOnlyCell(getattr(ws, "ws", ws), value=value)
        if isinstance(value, str):
            c.data_type = "s"  # text, never a formula (see TextSheet)
        if bold:
            c.font = Font(bold=True)
        if fill:
            c.fill = PatternFill("solid", fgColor=fill)
        if number_format:
            c.number_format = number_format
        if wrap:
            c.alignment = Alignment(wrap_text=True, vertical="top")
        return c

    def response(self, filename: str) -> Response:
        tmp = tempfile.TemporaryFile()
        self.wb.save(tmp)
        tmp.seek(0)
        return send_file(tmp, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=filename, max_age=0)


# --------------------------------------------------------------------------- figures


def figure_row(unit: Unit, f: Figure) -> list[Any]:
    """The values of one unit × figure row (as in :data:`FIGURE_HEADERS`)."""
    return [unit.name, unit.code, f.numerator, f.denominator, f.value, f.target, STATUS_TITLES[f.status], f.note or None]


def figures_xlsx(cov: Coverage) -> XlsxBook:
    """A summary sheet "Tổng hợp" and one sheet per figure (the unit, then each child, as rows)."""
    book = XlsxBook()
    ws = book.sheet(SUMMARY_SHEET, SUMMARY_HEADERS, widths=(9, 50, 12, 10, 10, 11, 12, 14, 30))
    for code in CODES:
        f = cov.figures[code]
        ws.append([
            book.cell(ws, code, bold=True), book.cell(ws, figure_title(cov.plan, code), wrap=True), figure_item(cov.plan, code),
            f.numerator, f.denominator, book.cell(ws, f.value, number_format="0.0"), book.cell(ws, f.target, number_format="0.0"),
            book.cell(ws, STATUS_TITLES[f.status], fill=STATUS_FILLS[f.status]), f.note or None,
        ])
    ws.append([])
    ws.append([f"Đơn vị: {cov.unit.name} ({cov.unit.code}). Số liệu tính đến ngày {format_date(cov.day)}; chỉ tiêu H và I tính cho năm {cov.year}."])
    if cov.plan is not None:
        ws.append([f"Chỉ tiêu theo {cov.plan.reference} ngày {format_date(cov.plan.issued_on)}."])
    for code in CODES:
        ws = book.sheet(code, FIGURE_HEADERS, widths=(36, 12, 10, 10, 11, 12, 14, 30))
        for i, uf in enumerate([cov.root, *cov.children]):
            f = uf.figures[code]
            row = figure_row(uf.unit, f)
            ws.append([
                book.cell(ws, row[0], bold=i == 0), row[1], row[2], row[3], book.cell(ws, row[4], number_format="0.0"),
                book.cell(ws, row[5], number_format="0.0"), book.cell(ws, row[6], fill=STATUS_FILLS[f.status]), row[7],
            ])
        ws.append([])
        ws.append([f"{code}: {figure_title(cov.plan, code)}. Dòng đầu: {cov.unit.name}; các dòng sau: đơn vị cấp dưới trực tiếp. "
                   f"Tính đến ngày {format_date(cov.day)}" + (f" (năm {cov.year})" if code in ("H", "I") else "") + "."])
    return book


def figures_csv_rows(cov: Coverage) -> Iterator[list[Any]]:
    for level, uf in [("Đơn vị đang xem", cov.root)] + [("Đơn vị cấp dưới", c) for c in cov.children]:
        for code in CODES:
            f = uf.figures[code]
            yield [uf.unit.code, uf.label, level, code, figure_title(cov.plan, code), f.numerator, f.denominator, f.value, f.target,
                   STATUS_TITLES[f.status], f.note]


@bp.route("/export/figures.<any(xlsx, csv):fmt>")
@roles_required(*STAFF)
def export_figures(fmt: str):
    """Every figure for the unit and each unit below it, as XLSX (a sheet per figure) or CSV (a row per unit × figure)."""
    day, year = _day_and_year()
    unit = unit_or_404(request.args.get("unit"), day)
    cov = coverage(unit, day, year)
    name = f"chi-tieu-{unit.code}-{day:%Y%m%d}"
    if fmt == "csv":
        return csv_response(CSV_FIGURE_HEADERS, figures_csv_rows(cov), f"{name}.csv")
    return figures_xlsx(cov).response(f"{name}.xlsx")


# --------------------------------------------------------------------------- work lists


E3_STATUSES = (DeadlineStatus.OVERDUE, DeadlineStatus.DUE_SOON)
E3_HEADERS = ["Họ và tên", "Năm sinh", "Số điện thoại", "Tổ hòa giải", "Thôn/ấp/tổ dân phố", "Xã/phường/thị trấn",
              "Ngày công nhận", "Số quyết định công nhận", "Hạn bồi dưỡng", "Số ngày còn lại (âm: quá hạn)", "Trạng thái"]


def e3_rows(unit: Unit, day: dt.date, statuses: Sequence[str] = E3_STATUSES) -> Iterator[list[Any]]:
    """Mediators (memberships active on ``day``) under ``unit`` whose 6-month deadline is passed or within 30 days, not certified."""
    m = MediatorMembership
    home, parent = aliased(Unit), aliased(Unit)
    status = status_expr(day).label("status")
    stmt = (
        select(Person.full_name, Person.birth_year, Person.phone, Team.name, home.name, home.kind, parent.name,
               m.recognized_on, m.decision_no, m.deadline, status)
        .join(Person, Person.id == m.person_id)
        .join(Team, Team.id == m.team_id)
        .join(home, home.id == Team.unit_id)
        .outerjoin(parent, parent.id == home.parent_id)
        .where(m.active_clause(day), status.in_(statuses),
               # the unit's subtree and those of the units merged into it (as the figures count them)
               in_ranges(home.path, unit_ranges(unit, merged_predecessors(), day)))
        .order_by(m.deadline, Person.sort_key, m.id)
    )
    stmt = scoped(stmt, MediatorMembership)
    for r in db.session.execute(stmt.execution_options(yield_per=1000)):
        name, birth_year, phone, team, home_name, home_kind, parent_name, recognized_on, decision_no, deadline, st = r
        village, commune = (home_name, parent_name) if home_kind == UnitKind.VILLAGE else ("", home_name)
        yield [name, birth_year, phone, team, village, commune, recognized_on, decision_no, deadline, (deadline - day).days, DeadlineStatus(st).title]


def _e3_list(unit: Unit, day: dt.date) -> WorkList:
    status = request.args.get("status") or ""
    statuses = (status,) if status in E3_STATUSES else E3_STATUSES
    title = "Hòa giải viên quá hạn và sắp đến hạn bồi dưỡng (6 tháng)" if len(statuses) > 1 else f"Hòa giải viên: {DeadlineStatus(statuses[0]).title.lower()}"
    return WorkList(title, E3_HEADERS, e3_rows(unit, day, statuses), widths=(28, 9, 14, 26, 22, 22, 14, 18, 14, 12, 26), date_columns=(6, 8))


#: Work lists by kind: a builder ``(unit, day) -> WorkList``. E3 is built here; the others come from ``worklists.py``
#: (the same listings as the dashboard's work-list pages, so a page and its export agree).
WORKLISTS: dict[str, Callable[[Unit, dt.date], WorkList]] = {**EXPORT_BUILDERS, "e3": _e3_list}
#: XLSX sheet names (at most 31 characters) by kind.
SHEET_NAMES = {
    "e3": "E3 - Hạn bồi dưỡng 6 tháng", "d": "D - Tổ chưa đủ cơ cấu", "b": "B1, B2 - Thiếu tập huấn viên",
    "c": "C - THV chưa được bồi dưỡng", "e1": "E1 - Xã chưa đạt", "g": "G - Xã chưa đạt",
}


def _worklist(kind: str, unit: Unit, day: dt.date) -> WorkList:
    builder = WORKLISTS.get(kind)
    if builder is None:
        abort(404)
    return builder(unit, day)


@bp.route("/export/worklist/<any(e3, d, b, c, e1, g):kind>.<any(xlsx, csv):fmt>")
@roles_required(*STAFF)
def export_worklist(kind: str, fmt: str):
    """A work list behind a figure, as XLSX or CSV."""
    day, _ = _day_and_year()
    unit = unit_or_404(request.args.get("unit"), day)
    wl = _worklist(kind, unit, day)
    name = f"danh-sach-{kind}-{unit.code}-{day:%Y%m%d}"
    if fmt == "csv":
        dates = set(wl.date_columns)
        rows = ([format_date(v) if i in dates else v for i, v in enumerate(row)] for row in wl.rows)
        return csv_response(wl.headers, rows, f"{name}.csv")
    book = XlsxBook()
    ws = book.sheet(SHEET_NAMES.get(kind, "Danh sách"), wl.headers, wl.widths)
    dates = set(wl.date_columns)
    for row in wl.rows:
        ws.append([book.cell(ws, v, number_format="DD/MM/YYYY") if i in dates and v is not None else v for i, v in enumerate(row)])
    ws.append([])
    ws.append([f"{wl.title}. Đơn vị: {unit.name} ({unit.code}); tính đến ngày {format_date(day)}."])
    return book.response(f"{name}.xlsx")


# --------------------------------------------------------------------------- the annual report


@bp.route("/annual-report.pdf")
@roles_required(*STAFF)
def annual_report():
    """The annual report (or the sơ kết / tổng kết variant) as a PDF."""
    from .report import VARIANTS, ReportError, annual_report_pdf

    unit = unit_or_404(request.args.get("unit"))
    variant = request.args.get("variant") or "nam"
    if variant not in VARIANTS:
        _bad_request("Loại báo cáo không hợp lệ (nam, so-ket hoặc tong-ket).")
    raw_year = (request.args.get("year") or "").strip()
    try:
        year = parse_year(raw_year, parse_day(None)) if raw_year else None
    except BadParameter as exc:
        _bad_request(str(exc))
    try:
        data = annual_report_pdf(unit, year, variant)
    except ReportError as exc:
        _bad_request(str(exc))
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                     download_name=f"bao-cao-{variant}-{unit.code}-{year or 'nam-nay'}.pdf", max_age=0)
