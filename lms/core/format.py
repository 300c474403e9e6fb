"""Numbers, percentages, dates and times as people read them (Vietnamese, ``vi_VN``): the one place.

Every page, chart, PDF, notification and text cell of an export formats through here (and the
templates through the filters :func:`init_app` registers). Babel's ``vi_VN`` data: a dot between
thousands and a decimal comma (``1.234.567,5``), dates ``dd/mm/yyyy``, times ``HH:MM`` (24 hours).

- :func:`number` ``(value, digits=1, *, trim=False, empty="")``: ``1234.56`` → ``"1.234,6"``;
  ``trim=True`` drops the trailing zeros of the decimals (``80.0`` → ``"80"``, ``82.50`` → ``"82,5"``);
- :func:`integer` ``(value, empty="")``: ``1234567`` → ``"1.234.567"``;
- :func:`percent` ``(value, digits=1, *, trim=False, empty="")``: :func:`number` followed by ``%``;
- :func:`date` ``(value, empty="")``: ``"05/03/2026"``; :func:`datetime`: ``"05/03/2026 08:07"``;
  :func:`time`: ``"08:07"``.

``empty`` is what ``None`` shows as (``""`` in documents and exports, ``"—"`` on the dashboard).
Rounding is that of Python's own formatting (``f"{x:.1f}"``): the float's exact value, half to even.
Date and time values are printed as they are (no time-zone conversion), like ``strftime`` did.
Spreadsheet cells that should stay numeric must not go through here.

The locale and the patterns are parsed once (Babel's ``format_*`` functions parse them on every call).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.dates import parse_pattern as _date_pattern
from babel.numbers import NumberPattern
from babel.numbers import parse_pattern as _number_pattern

LOCALE = Locale.parse("vi_VN")
_DATE = _date_pattern("dd/MM/yyyy")
_DATETIME = _date_pattern("dd/MM/yyyy HH:mm")
_TIME = _date_pattern("HH:mm")


@lru_cache(maxsize=64)
def _pattern(digits: int, trim: bool) -> NumberPattern:
    decimals = ("#" if trim else "0") * digits
    return _number_pattern("#,##0" + (f".{decimals}" if digits else ""))


def _decimal(value: float | int | Decimal) -> Decimal:
    if isinstance(value, Decimal):
        return value
    # an int as is; a float by its exact binary value, so that 1.15 rounds to "1,1" as f"{1.15:.1f}" does
    return Decimal(value) if isinstance(value, int) else Decimal(float(value))


def number(value: float | int | Decimal | None, digits: int = 1, *, trim: bool = False, empty: str = "") -> str:
    """``53.125`` → ``"53,1"``, ``1234.56`` → ``"1.234,6"``, ``100.0`` → ``"100,0"`` (``trim``: ``"100"``); ``None`` → ``empty``."""
    if value is None:
        return empty
    return _pattern(digits, trim).apply(_decimal(value), LOCALE)


def integer(value: float | int | None, empty: str = "") -> str:
    """A count: ``1234567`` → ``"1.234.567"`` (a float is truncated, as ``int()`` does); ``None`` → ``empty``."""
    if value is None:
        return empty
    return _pattern(0, False).apply(Decimal(int(value)), LOCALE)


def percent(value: float | int | Decimal | None, digits: int = 1, *, trim: bool = False, empty: str = "") -> str:
    """A value already in percent: ``53.125`` → ``"53,1%"`` (``trim``: ``80.0`` → ``"80%"``); ``None`` → ``empty``."""
    if value is None:
        return empty
    return number(value, digits, trim=trim) + "%"


def date(value: dt.date | None, empty: str = "") -> str:
    """``dd/mm/yyyy`` (a datetime: its day); ``None`` → ``empty``."""
    if not value:
        return empty
    return _date(value)


@lru_cache(maxsize=4096)
def _date(value: dt.date) -> str:  # exports print the same few hundred days over and over
    return _DATE.apply(value, LOCALE)


def datetime(value: dt.datetime | None, empty: str = "") -> str:
    """``dd/mm/yyyy HH:MM``; ``None`` → ``empty``."""
    if not value:
        return empty
    return _DATETIME.apply(value, LOCALE)


def time(value: dt.time | dt.datetime | None, empty: str = "") -> str:
    """``HH:MM`` (24 hours); ``None`` → ``empty``."""
    if value is None:
        return empty
    return _TIME.apply(value, LOCALE)


FILTERS = {"number": number, "integer": integer, "percent": percent, "date": date, "datetime": datetime, "time": time}


def init_app(app) -> None:
    """The formatters as Jinja filters (``{{ day|date }}``, ``{{ rate|percent(trim=True, empty='—') }}``)."""
    app.jinja_env.filters.update(FILTERS)
