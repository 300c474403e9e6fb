"""Property tests (hypothesis) for the importers' parsers: dates, birth years, levels, headers."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.core import clock
from lms.core.spreadsheet import EXCEL_EPOCH, parse_date, read_rows
from lms.core.text import fold
from lms.org import imports
from lms.org.models import Gender, TrainerLevel, UnitKind
from tests.fixtures.imports import build_file

DATES = st.dates(min_value=dt.date(1901, 1, 1), max_value=dt.date(2099, 12, 31))


@given(DATES, st.sampled_from(["dmy", "dmy-dots", "iso", "serial", "serial-text", "date", "datetime"]))
def test_every_accepted_date_form_parses_back(day, form):
    value = {
        "dmy": day.strftime("%d/%m/%Y"),
        "dmy-dots": f"{day.day}.{day.month}.{day.year}",
        "iso": day.isoformat(),
        "serial": float((day - EXCEL_EPOCH).days),
        "serial-text": str((day - EXCEL_EPOCH).days),
        "date": day,
        "datetime": dt.datetime.combine(day, dt.time(8, 30)),
    }[form]
    assert parse_date(value) == day


@given(st.integers(1, 31), st.integers(1, 12), st.integers(1901, 2099))
def test_impossible_dates_are_refused_in_vietnamese(d, m, y):
    try:
        expected = dt.date(y, m, d)
    except ValueError:
        with pytest.raises(ValueError, match="ngày không có thật"):
            parse_date(f"{d:02d}/{m:02d}/{y}")
    else:
        assert parse_date(f"{d:02d}/{m:02d}/{y}") == expected


@given(st.text(alphabet="abcxyz!?- ", min_size=1, max_size=12))
def test_garbage_dates_raise_value_error(text):
    if text.strip().isdigit():
        return
    with pytest.raises(ValueError):
        parse_date(text)


@given(st.integers(1900, 2010), st.sampled_from(["int", "float", "text"]))
def test_birth_year_forms(year, form):
    value = {"int": year, "float": float(year), "text": f" {year} "}[form]
    assert imports.parse_birth(value) == (year, None)


@given(st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2005, 12, 31)))
def test_birth_date_forms(day):
    for value in (day, day.strftime("%d/%m/%Y"), (day - EXCEL_EPOCH).days):
        assert imports.parse_birth(value) == (day.year, day)


def test_birth_year_out_of_range():
    with clock.frozen("2026-03-01"):
        for bad in (1850, 2020, "1899"):
            with pytest.raises(ValueError, match="năm sinh không hợp lệ"):
                imports.parse_birth(bad)


def variants(text: str):
    """Strategies for how an officer may have typed ``text``: case, accents, spacing, NFD."""
    return st.tuples(st.sampled_from(["same", "lower", "upper", "title"]), st.booleans(), st.booleans(), st.booleans()).map(
        lambda t: _variant(text, *t)
    )


def _variant(text, case, strip_accents, extra_spaces, nfd):
    if strip_accents:
        text = "".join(c for c in unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D")) if unicodedata.category(c) != "Mn")
    text = {"same": text, "lower": text.lower(), "upper": text.upper(), "title": text.title()}[case]
    if extra_spaces:
        text = "  " + text.replace(" ", "   ") + " "
    if nfd:
        text = unicodedata.normalize("NFD", text)
    return text


@given(st.data())
@settings(max_examples=60)
def test_headers_match_ignoring_case_accents_and_spacing(data):
    kind = data.draw(st.sampled_from(sorted(imports.KINDS)))
    columns = imports.KINDS[kind].columns
    headers = []
    for col in columns:
        name = data.draw(st.sampled_from([col.header, *col.aliases]))
        headers.append(data.draw(variants(name)))
    order = data.draw(st.permutations(range(len(columns))))
    body = build_file([{headers[i]: f"v{i}" for i in order}], fmt="csv")
    (row,) = read_rows(io.BytesIO(body), "x.csv", columns)
    assert row.values == {columns[i].key: f"v{i}" for i in order}


def test_header_names_are_unambiguous_within_each_kind():
    from lms.core.text import fold_key

    for spec in imports.KINDS.values():
        keys = [fold_key(n) for c in spec.columns for n in (c.header, *c.aliases)]
        assert len(keys) == len(set(keys)), spec.key


@given(st.sampled_from(["tỉnh", "huyện", "xã", "phường", "thị trấn", "thôn", "ấp", "tổ dân phố", "quận", "bản", "khu vực"]), st.data())
def test_unit_levels(word, data):
    expected = {
        "tỉnh": UnitKind.PROVINCE, "huyện": UnitKind.DISTRICT, "quận": UnitKind.DISTRICT,
        "xã": UnitKind.COMMUNE, "phường": UnitKind.COMMUNE, "thị trấn": UnitKind.COMMUNE,
    }.get(word, UnitKind.VILLAGE)
    assert imports.parse_unit_kind(data.draw(variants(word))) == expected


@given(st.sampled_from(["Nam", "Nữ"]), st.data())
def test_gender_and_trainer_level(word, data):
    assert imports.parse_gender(data.draw(variants(word))) == (Gender.MALE if word == "Nam" else Gender.FEMALE)
    level = data.draw(st.sampled_from(["tỉnh", "cấp tỉnh", "huyện", "Cấp huyện"]))
    assert imports.parse_trainer_level(data.draw(variants(level))) == (TrainerLevel.PROVINCE if "tỉnh" in level else TrainerLevel.DISTRICT)


def test_unknown_words_are_refused_with_the_accepted_ones():
    with pytest.raises(ValueError, match="dùng tên loại đơn vị: tỉnh, thành phố trung ương, huyện"):
        imports.parse_unit_kind("vùng")
    with pytest.raises(ValueError, match="Nam hoặc Nữ"):
        imports.parse_gender("khác")
    with pytest.raises(ValueError, match="luật gia"):
        imports.parse_background("giáo viên")
    with pytest.raises(ValueError, match="số điện thoại không hợp lệ"):
        imports.parse_phone("12345")


def test_backgrounds_and_leave_reasons():
    from lms.org.models import Background, LeaveReason

    for member in Background:
        assert imports.parse_background(member.title) == member
        assert imports.parse_background(fold(member.title).upper()) == member
    words = {"thẩm phán": Background.JUDGE, "kiểm sát viên": Background.PROSECUTOR, "hội thẩm": Background.ASSESSOR,
             "luật gia": Background.JURIST, "Luật sư": Background.LAWYER, "công an": Background.POLICE, "quân sự": Background.ARMY,
             "công chức tư pháp": Background.JUSTICE_OFFICIAL, "khác": Background.OTHER}
    for word, member in words.items():
        assert imports.parse_background(word) == member
    for member in LeaveReason:
        assert imports.parse_leave_reason(member.title) == (member, None)
    assert imports.parse_leave_reason("Xin thôi vì tuổi cao") == (LeaveReason.OWN_REQUEST, None)
    assert imports.parse_leave_reason("Chuyển công tác") == (LeaveReason.OTHER, "Chuyển công tác")
