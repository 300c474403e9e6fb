"""The one clock. Nothing else reads the system date.

``LMS_TODAY=YYYY-MM-DD`` freezes "today" for demonstrations, tests and
back-dated operations. Tests use :func:`frozen`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator

_override: dt.date | None = None
#: Vietnam has one time zone, UTC+7, with no daylight saving.
LOCAL_OFFSET = dt.timedelta(hours=7)


def today() -> dt.date:
    if _override is not None:
        return _override
    value = os.environ.get("LMS_TODAY")
    if value:
        return dt.date.fromisoformat(value.strip())
    # the date in Vietnam (UTC+7), whatever the server's time zone
    return (dt.datetime.now(dt.UTC) + LOCAL_OFFSET).date()


def now() -> dt.datetime:
    """Current UTC timestamp; its date follows :func:`today` when frozen."""
    real = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if _override is not None or os.environ.get("LMS_TODAY"):
        return dt.datetime.combine(today(), real.time())
    return real


def now_local() -> dt.datetime:
    """Current local (Vietnam) wall-clock time, naive; its date follows :func:`today` when frozen."""
    real = dt.datetime.now(dt.UTC).replace(tzinfo=None) + LOCAL_OFFSET
    day = today()
    if _override is not None or os.environ.get("LMS_TODAY"):
        return dt.datetime.combine(day, real.time())
    return real


@contextlib.contextmanager
def frozen(day: dt.date | str) -> Iterator[dt.date]:
    global _override
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    previous, _override = _override, day
    try:
        yield day
    finally:
        _override = previous
