"""Mediation case statistics: a team's cases per quarter (sổ theo dõi hoạt động hòa giải), for figure H.

``received`` counts every case the team handled in the quarter, new and carried over, so the
parts add up: successful + unsuccessful + open == received. Flush, never commit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from sqlalchemy import select

from ...core import audit, clock
from ...core.errors import ServiceError
from ...extensions import db
from ..models import CaseStat, Team

#: The four counts, in the order of the grid and of the import file.
COUNT_FIELDS = ("received", "successful", "unsuccessful", "open")
FIELD_TITLES = {"received": "Tiếp nhận", "successful": "Thành", "unsuccessful": "Không thành", "open": "Đang giải quyết"}
SUM_MESSAGE = "Thành + Không thành + Đang giải quyết phải bằng Tiếp nhận"
FIRST_YEAR = 2000
#: A sanity bound: no team handles this many cases in a quarter (catches a pasted phone number).
MAX_COUNT = 100_000


class Saved(NamedTuple):
    stat: CaseStat
    action: str  # "created" | "updated" | "unchanged"


def quarter_of(day: dt.date) -> int:
    return (day.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    """The first and last day of a quarter."""
    first = dt.date(year, 3 * quarter - 2, 1)
    last = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
    return first, last - dt.timedelta(days=1)


def current_period(day: dt.date | None = None) -> tuple[int, int]:
    day = day or clock.today()
    return day.year, quarter_of(day)


def period_errors(year: Any, quarter: Any) -> dict[str, str]:
    """``{field: Vietnamese message}`` for a bad year or quarter (none: the period may be recorded)."""
    today = clock.today()
    errors: dict[str, str] = {}
    if not _is_int(year) or not FIRST_YEAR <= year <= today.year:
        errors["year"] = f"Năm phải là số nguyên từ {FIRST_YEAR} đến {today.year}."
    if not _is_int(quarter) or not 1 <= quarter <= 4:
        errors["quarter"] = "Quý phải là 1, 2, 3 hoặc 4."
    if not errors and (year, quarter) > current_period(today):
        errors["quarter"] = f"Quý {quarter}/{year} chưa đến: chỉ ghi được số liệu của quý hiện tại hoặc các quý đã qua."
    return errors


def count_errors(received: Any, successful: Any, unsuccessful: Any, open: Any) -> dict[str, str]:  # noqa: A002 (the column's name)
    """``{field: Vietnamese message}``: each count a whole number ≥ 0, and the parts adding up to ``received``."""
    values = {"received": received, "successful": successful, "unsuccessful": unsuccessful, "open": open}
    errors: dict[str, str] = {}
    for key, value in values.items():
        title = FIELD_TITLES[key]
        if value is None:
            errors[key] = f"Thiếu số «{title}»."
        elif not _is_int(value) or value < 0:
            errors[key] = f"«{title}» phải là số nguyên không âm."
        elif value > MAX_COUNT:
            errors[key] = f"«{title}» quá lớn ({value}); hãy kiểm tra lại."
    if not errors and successful + unsuccessful + open != received:
        errors["received"] = f"{SUM_MESSAGE}."
    return errors


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def find_quarter(team: Team, year: int, quarter: int) -> CaseStat | None:
    return db.session.scalar(select(CaseStat).where(CaseStat.team_id == team.id, CaseStat.year == year, CaseStat.quarter == quarter))


def save_quarter(team: Team, year: int, quarter: int, received: int, successful: int, unsuccessful: int, open: int) -> Saved:  # noqa: A002
    """Record a team's cases for a quarter: created, updated, or left as is when nothing differs (idempotent).

    Raises :class:`ServiceError` (Vietnamese, naming the field) for a bad period or bad counts;
    audited ``create`` / ``update`` (an unchanged quarter writes no audit row).
    """
    errors = {**period_errors(year, quarter), **count_errors(received, successful, unsuccessful, open)}
    if errors:
        field, message = next(iter(errors.items()))
        raise ServiceError(message, field)
    values = {"received": received, "successful": successful, "unsuccessful": unsuccessful, "open": open}
    stat = find_quarter(team, year, quarter)
    if stat is None:
        stat = CaseStat(team_id=team.id, year=year, quarter=quarter, **values)
        db.session.add(stat)
        audit.record(stat, "create")
        db.session.flush()
        return Saved(stat, "created")
    if all(getattr(stat, k) == v for k, v in values.items()):
        return Saved(stat, "unchanged")
    for key, value in values.items():
        setattr(stat, key, value)
    audit.record(stat, "update")
    db.session.flush()
    return Saved(stat, "updated")


def success_rate(successful: int, unsuccessful: int) -> float | None:
    """Figure H's ratio for some counts: successful / (successful + unsuccessful), in percent (None when no case closed)."""
    closed = successful + unsuccessful
    return round(100.0 * successful / closed, 1) if closed else None
