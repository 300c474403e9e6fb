"""The one clock: ``LMS_TODAY``, ``frozen``, the ``freeze`` fixture, and nobody else reading the date."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from lms.core import clock

LMS_DIR = Path(__file__).resolve().parents[2] / "lms"


def _vietnam_date() -> dt.date:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(hours=7)).date()


def test_today_is_the_date_in_vietnam_by_default(monkeypatch):
    monkeypatch.delenv("LMS_TODAY", raising=False)
    before = _vietnam_date()
    assert clock.today() in {before, _vietnam_date()}


def test_now_is_utc_and_now_local_is_vietnam_time(monkeypatch):
    monkeypatch.delenv("LMS_TODAY", raising=False)
    utc = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert abs((clock.now() - utc).total_seconds()) < 5
    assert abs((clock.now_local() - utc - dt.timedelta(hours=7)).total_seconds()) < 5
    assert clock.now_local().date() in {clock.today(), _vietnam_date()}


def test_lms_today_sets_the_date(monkeypatch):
    monkeypatch.setenv("LMS_TODAY", "2026-03-01")
    assert clock.today() == dt.date(2026, 3, 1)
    monkeypatch.setenv("LMS_TODAY", " 2024-07-19 ")
    assert clock.today() == dt.date(2024, 7, 19)
    # now() keeps the time of day but takes its date from today()
    now = clock.now()
    assert now.date() == dt.date(2024, 7, 19)
    assert now.tzinfo is None


def test_lms_today_must_be_an_iso_date(monkeypatch):
    monkeypatch.setenv("LMS_TODAY", "01/03/2026")
    with pytest.raises(ValueError):
        clock.today()


def test_frozen_overrides_the_environment_and_nests(monkeypatch):
    monkeypatch.setenv("LMS_TODAY", "2026-03-01")
    with clock.frozen("2025-12-31") as day:
        assert day == dt.date(2025, 12, 31)
        assert clock.today() == day
        assert clock.now().date() == day
        with clock.frozen(dt.date(2030, 1, 1)):
            assert clock.today() == dt.date(2030, 1, 1)
        assert clock.today() == dt.date(2025, 12, 31)
    assert clock.today() == dt.date(2026, 3, 1)


def test_frozen_is_undone_after_an_error():
    outside = clock.today()
    with pytest.raises(RuntimeError), clock.frozen("2001-01-01"):
        raise RuntimeError
    assert clock.today() == outside


def test_freeze_fixture(freeze):
    assert freeze("2026-08-31") == dt.date(2026, 8, 31)
    assert clock.today() == dt.date(2026, 8, 31)
    freeze(dt.date(2027, 2, 28))  # a second call wins until the test ends
    assert clock.today() == dt.date(2027, 2, 28)


def test_freeze_fixture_does_not_leak(monkeypatch):
    monkeypatch.delenv("LMS_TODAY", raising=False)
    assert clock._override is None


#: Ways of reading the system date or time other than through the clock.
FORBIDDEN = re.compile(
    r"\b(?:date|datetime)\s*\.\s*(?:today|now|utcnow|utcfromtimestamp|fromtimestamp)\s*\("
    r"|\btime\s*\.\s*(?:time|localtime|gmtime|strftime|ctime)\s*\("
    r"|\bfrom\s+time\s+import\b[^\n]*\b(?:time|localtime|gmtime|strftime|ctime)\b"
)


#: A line may read real time when it says why, e.g. comparing with file modification times:
#: ``limit = time.time() - MAX_AGE  # wall clock: file ages``. Dates never do.
WALL_CLOCK = re.compile(r"#\s*wall clock:\s*\S")


def test_only_the_clock_reads_the_system_date():
    offenders = []
    for path in sorted(LMS_DIR.rglob("*.py")):
        if path == LMS_DIR / "core" / "clock.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            code = line.split("#", 1)[0]
            if FORBIDDEN.search(code) and not WALL_CLOCK.search(line):
                offenders.append(f"{path.relative_to(LMS_DIR.parent)}:{n}: {line.strip()}")
    assert offenders == [], "use lms.core.clock.today()/now() instead:\n" + "\n".join(offenders)


@pytest.mark.parametrize(
    ("line", "bad"),
    [
        ("x = date.today()", True),
        ("x = dt.date.today()", True),
        ("x = datetime.datetime.now(dt.UTC)", True),
        ("x = datetime.utcnow()", True),
        ("stamp = time.time()", True),
        ("from time import time", True),
        ("x = clock.today()", False),
        ("t0 = time.perf_counter()", False),
        ("d = dt.date.fromisoformat(s)", False),
        ("today = clock.today()  # not date.today()", False),
        ("limit = time.time() - MAX_AGE  # wall clock: file ages", False),
        ("limit = time.time() - MAX_AGE  # wall clock:", True),
    ],
)
def test_the_source_check_catches_the_usual_ways(line, bad):
    code = line.split("#", 1)[0]
    assert bool(FORBIDDEN.search(code) and not WALL_CLOCK.search(line)) is bad
