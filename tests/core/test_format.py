"""The one formatter of numbers, percentages and dates (``lms.core.format``, Babel ``vi_VN``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import render_template_string

from lms.core import format as fmt


def test_numbers_group_with_a_dot_and_use_a_decimal_comma():
    assert fmt.number(1234567.5) == "1.234.567,5"
    assert fmt.number(53.125) == "53,1"  # half to even on the float's exact value, as f"{x:.1f}" rounds
    assert fmt.number(1.15) == "1,1" and fmt.number(2.675, 2) == "2,67"
    assert fmt.number(100.0) == "100,0" and fmt.number(100.0, trim=True) == "100"
    assert fmt.number(82.54, trim=True) == "82,5" and fmt.number(0.0, trim=True) == "0"
    assert fmt.number(Decimal("12.25")) == "12,2" and fmt.number(7, 0) == "7"
    assert fmt.integer(1234567) == "1.234.567" and fmt.integer(12.9) == "12"
    assert fmt.number(None) == "" and fmt.number(None, empty="—") == "—" and fmt.integer(None) == ""


def test_percentages():
    assert fmt.percent(55.55555) == "55,6%" and fmt.percent(80.0, trim=True) == "80%"
    assert fmt.percent(None) == "" and fmt.percent(None, trim=True, empty="—") == "—"


def test_dates_and_times():
    assert fmt.date(dt.date(2026, 3, 5)) == "05/03/2026" and fmt.date(dt.datetime(2026, 3, 5, 23, 59)) == "05/03/2026"
    assert fmt.datetime(dt.datetime(2026, 3, 5, 8, 7)) == "05/03/2026 08:07"
    assert fmt.time(dt.time(8, 0)) == "08:00" and fmt.time(dt.time(0, 0)) == "00:00"
    assert fmt.date(None) == "" and fmt.datetime(None) == "" and fmt.time(None) == ""


def test_the_template_filters(app):
    with app.test_request_context():
        text = render_template_string(
            "{{ d|date }} {{ t|datetime }} {{ t|time }} {{ x|number }} {{ n|integer }} {{ p|percent(trim=True) }} {{ none|percent(empty='—') }}",
            d=dt.date(2026, 3, 5), t=dt.datetime(2026, 3, 5, 8, 7), x=1234.56, n=1234567, p=80.0, none=None,
        )
    assert text == "05/03/2026 05/03/2026 08:07 08:07 1.234,6 1.234.567 80% —"
