"""Reading the spreadsheets officers already keep (XLSX or CSV), and writing templates.

XLSX files are read with calamine (``python-calamine``, Rust): about 15 times less CPU than openpyxl's
read-only mode for a 100,000-row roster (docs/PERFORMANCE.md, P4). openpyxl still writes the templates.
Headers are matched ignoring case, diacritics, spacing and punctuation.
Dates are accepted as real Excel dates, Excel serial numbers, ``dd/mm/yyyy``
and ISO ``yyyy-mm-dd``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from flask import Response, stream_with_context
from openpyxl import Workbook
from openpyxl.styles import Font
from python_calamine import CalamineError, CalamineWorkbook

from .text import fold_key, nfc


class SpreadsheetError(ValueError):
    """The file as a whole cannot be read (wrong type, missing required columns)."""


@dataclass
class Column:
    key: str  # internal name
    header: str  # the Vietnamese header as printed on the template
    required: bool = False
    aliases: Sequence[str] = ()
    example: Any = None


@dataclass
class Row:
    number: int  # the row number as the officer sees it in the spreadsheet (header = 1)
    values: dict[str, Any] = field(default_factory=dict)

    def text(self, key: str) -> str | None:
        value = self.values.get(key)
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return nfc(str(value))


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}

    def __str__(self) -> str:
        return f"Dòng {self.row}, cột «{self.column}»: {self.message}"


def _header_map(headers: Sequence[Any], columns: Sequence[Column]) -> dict[int, Column]:
    lookup: dict[str, Column] = {}
    for col in columns:
        for name in (col.header, *col.aliases):
            lookup[fold_key(name)] = col
    mapping: dict[int, Column] = {}
    for idx, header in enumerate(headers):
        col = lookup.get(fold_key(str(header))) if header is not None else None
        if col is not None and col not in mapping.values():
            mapping[idx] = col
    missing = [c.header for c in columns if c.required and c not in mapping.values()]
    if missing:
        raise SpreadsheetError("Thiếu cột bắt buộc: " + ", ".join(f"«{m}»" for m in missing))
    return mapping


def _raw_rows(stream: IO[bytes], filename: str, on_size: Callable[[int], None] | None = None) -> Iterator[Sequence[Any]]:
    """The rows of the first sheet (or of the CSV file) as lists of cell values; ``on_size`` gets the number of
    rows (header included) as soon as it is known."""
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")):
        try:
            wb = CalamineWorkbook.from_filelike(stream)
            sheet = wb.get_sheet_by_index(0)
        except (CalamineError, ValueError, OSError, IndexError) as exc:  # not a workbook, damaged, no sheet
            raise SpreadsheetError("Không đọc được tệp Excel (.xlsx). Hãy kiểm tra lại tệp.") from exc
        try:
            if on_size:
                on_size(sheet.height)
            yield from sheet.iter_rows()
        finally:
            wb.close()
    elif name.endswith((".csv", ".txt")):
        data = stream.read()
        for encoding in ("utf-8-sig", "cp1258", "latin-1"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        del data
        sample = text[:4096]
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        if on_size:
            on_size(text.count("\n") + (not text.endswith("\n")))
        yield from csv.reader(io.StringIO(text), dialect)
    else:
        raise SpreadsheetError("Chỉ nhận tệp .xlsx hoặc .csv.")


def read_rows(
    stream: IO[bytes], filename: str, columns: Sequence[Column], on_size: Callable[[int], None] | None = None
) -> Iterator[Row]:
    """Yield each non-empty data row as a :class:`Row` keyed by column key.

    ``on_size(n)``, when given, is called once with the number of rows below the header (an upper bound of the
    data rows: blank rows are skipped), for progress reports.
    """
    rows = _raw_rows(stream, filename, (lambda n: on_size(max(n - 1, 0))) if on_size else None)
    mapping: dict[int, Column] | None = None
    for number, raw in enumerate(rows, start=1):
        if mapping is None:
            if not any(v not in (None, "") for v in raw):
                continue
            mapping = _header_map(raw, columns)
            continue
        values = {}
        for idx, col in mapping.items():
            value = raw[idx] if idx < len(raw) else None
            if isinstance(value, str):
                value = value.strip() or None
            values[col.key] = value
        if all(v is None for v in values.values()):
            continue
        yield Row(number=number, values=values)
    if mapping is None:
        raise SpreadsheetError("Tệp trống: không có dòng tiêu đề.")


# --------------------------------------------------------------------------- values

EXCEL_EPOCH = dt.date(1899, 12, 30)
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")


def parse_date(value: Any) -> dt.date:
    """A date from a cell; raises ``ValueError`` with a Vietnamese message."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        serial = int(value)
        if 1 <= serial <= 80000:
            return EXCEL_EPOCH + dt.timedelta(days=serial)
        raise ValueError("ngày không hợp lệ")
    text = str(value).strip()
    if text.isdigit() and len(text) <= 5:
        return parse_date(int(text))
    m = _DMY.match(text)
    try:
        if m:
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        m = _ISO.match(text)
        if m:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise ValueError(f"ngày không có thật: «{text}»") from None
    raise ValueError(f"không hiểu ngày «{text}» (dùng dd/mm/yyyy)")


def parse_flag(value: Any) -> bool:
    """``x`` (or có / yes / 1 / true) is true; blank is false."""
    if value is None:
        return False
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number cell: 1.0
    return fold_key(str(value)) in {"x", "co", "yes", "y", "1", "true", "dung"}


def parse_int(value: Any, lo: int | None = None, hi: int | None = None) -> int:
    try:
        number = int(float(str(value).strip().replace(",", ".")))
    except ValueError:
        raise ValueError(f"không phải số: «{value}»") from None
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        raise ValueError(f"số ngoài khoảng cho phép: {number}")
    return number


def template_xlsx(columns: Sequence[Column], sheet_title: str = "Mẫu") -> bytes:
    """An XLSX with the headers (required ones marked) and one example row."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title[:31]
    ws.append([c.header for c in columns])
    ws.append([c.example for c in columns])
    for idx, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=idx)
        cell.font = Font(bold=True, color="C00000" if col.required else "000000")
        ws.column_dimensions[cell.column_letter].width = max(14, len(col.header) + 4)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def template_csv(columns: Sequence[Column]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([c.header for c in columns])
    writer.writerow(["" if c.example is None else c.example for c in columns])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


# --------------------------------------------------------------------------- streamed exports

#: A text cell starting with one of these is read by spreadsheet programs as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: Any) -> Any:
    """A cell value for a CSV export: text that a spreadsheet would run as a formula (``=HYPERLINK(…)``, ``+1…``,
    ``@SUM…``) is prefixed with ``'`` so that it is shown as text; anything else is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


#: A streamed CSV is sent in pieces of about this many bytes.
CSV_CHUNK = 64 * 1024


def csv_chunks(headers: Sequence[str], rows: Iterable[Sequence[Any]], chunk: int = CSV_CHUNK) -> Iterator[str]:
    """``headers`` then ``rows`` as CSV text (UTF-8 BOM first, so Excel reads the diacritics), in pieces of about ``chunk``
    characters; ``None`` is written as an empty cell. Rows are consumed one at a time: pass a generator over a query run
    with ``execution_options(yield_per=...)`` and the export never holds more than a chunk and a batch of rows."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    buf.write("\ufeff")
    writer.writerow([safe_text(h) for h in headers])
    for row in rows:
        writer.writerow(["" if v is None else safe_text(v) for v in row])
        if buf.tell() > chunk:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def csv_response(headers: Sequence[str], rows: Iterable[Sequence[Any]], filename: str) -> Response:
    """A streamed CSV download of :func:`csv_chunks` (the request context stays open while the rows are read)."""
    return Response(
        stream_with_context(csv_chunks(headers, rows)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Content-Type": "text/csv; charset=utf-8",
                 "Cache-Control": "no-store"},
    )
