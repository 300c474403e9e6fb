"""Cell parsers of the org imports: a spreadsheet cell (text, number or date, as calamine or the CSV reader
gives it) to a value of the roster, or ``ValueError`` with the Vietnamese message shown on the row.

Dates, flags and whole numbers are parsed by ``core.spreadsheet`` (``parse_date``, ``parse_flag``, ``parse_int``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from ...core import clock
from ...core.spreadsheet import parse_date, parse_int
from ...core.text import fold, fold_key, nfc, normalize_phone
from ..models import Background, Gender, LeaveReason, TrainerLevel, UnitKind


def _words(mapping: dict[Any, Iterable[str]]) -> dict[str, Any]:
    out = {}
    for value, names in mapping.items():
        for name in names:
            out[fold_key(name)] = value
    return out


_UNIT_KINDS = _words(
    {
        UnitKind.PROVINCE: ("tỉnh", "cấp tỉnh", "tỉnh / thành phố", "thành phố trực thuộc trung ương", "province", UnitKind.PROVINCE.title),
        UnitKind.DISTRICT: ("huyện", "cấp huyện", "quận", "thị xã", "thành phố thuộc tỉnh", "district", UnitKind.DISTRICT.title),
        UnitKind.COMMUNE: ("xã", "cấp xã", "phường", "thị trấn", "đặc khu", "commune", UnitKind.COMMUNE.title),
        UnitKind.VILLAGE: (
            "thôn", "ấp", "bản", "buôn", "làng", "xóm", "sóc", "khóm", "khu phố", "khu vực", "tổ dân phố",
            "cấp thôn", "village", UnitKind.VILLAGE.title,
        ),
    }
)
_TRAINER_LEVELS = _words(
    {
        TrainerLevel.PROVINCE: ("tỉnh", "cấp tỉnh", "tỉnh / thành phố", "thành phố trực thuộc trung ương", "province"),
        TrainerLevel.DISTRICT: ("huyện", "cấp huyện", "quận", "thị xã", "thành phố thuộc tỉnh", "district"),
    }
)
_GENDERS = _words({Gender.MALE: ("nam", "male", "m"), Gender.FEMALE: ("nữ", "female", "f")})
#: Keyword (accent-folded) → background, tried in this order against the folded cell.
_BACKGROUND_WORDS = [
    ("tham phan", Background.JUDGE),
    ("toa an", Background.JUDGE),
    ("kiem sat", Background.PROSECUTOR),
    ("dieu tra", Background.INVESTIGATOR),
    ("hoi tham", Background.ASSESSOR),
    ("luat su", Background.LAWYER),
    ("luat gia", Background.JURIST),
    ("cong an", Background.POLICE),
    ("quan su", Background.ARMY),
    ("quan doi", Background.ARMY),
    ("bo doi", Background.ARMY),
    ("tu phap", Background.JUSTICE_OFFICIAL),
    ("phap luat", Background.JUSTICE_OFFICIAL),
    ("cong chuc", Background.JUSTICE_OFFICIAL),
    ("khac", Background.OTHER),
]
_LEAVE_WORDS = [
    ("nguyen vong", LeaveReason.OWN_REQUEST),
    ("tu nguyen", LeaveReason.OWN_REQUEST),
    ("xin thoi", LeaveReason.OWN_REQUEST),
    ("ca nhan", LeaveReason.OWN_REQUEST),
    ("tieu chuan", LeaveReason.NOT_MEETING_STANDARDS),
    ("vi pham", LeaveReason.VIOLATED_PRINCIPLES),
]


def cell_text(value: Any) -> str:
    """The cell as NFC text (``1975.0`` → ``"1975"``)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfc(str(value)) or ""


def parse_unit_kind(value: Any) -> UnitKind:
    text = cell_text(value)
    kind = _UNIT_KINDS.get(fold_key(text))
    if kind is None:
        raise ValueError(f"không hiểu cấp «{text}» (dùng tỉnh / huyện / xã / thôn)")
    return kind


def parse_trainer_level(value: Any) -> TrainerLevel:
    text = cell_text(value)
    level = _TRAINER_LEVELS.get(fold_key(text))
    if level is None:
        raise ValueError(f"không hiểu cấp «{text}» (dùng tỉnh hoặc huyện)")
    return level


def parse_gender(value: Any) -> Gender:
    text = cell_text(value)
    gender = _GENDERS.get(fold_key(text))
    if gender is None:
        raise ValueError(f"không hiểu giới tính «{text}» (dùng Nam hoặc Nữ)")
    return gender


def parse_background(value: Any) -> Background:
    text = cell_text(value)
    folded = fold(text)
    for member in Background:
        if folded in (fold(member.title), member.value):
            return member
    for word, member in _BACKGROUND_WORDS:
        if word in folded:
            return member
    raise ValueError(
        f"không hiểu nguồn «{text}» (dùng: thẩm phán, kiểm sát viên, điều tra viên, hội thẩm, luật gia, luật sư, "
        "công an, quân sự, công chức tư pháp, khác)"
    )


def parse_leave_reason(value: Any) -> tuple[LeaveReason, str | None]:
    """The reason, and the cell's text as a note when it is none of the legal reasons."""
    text = cell_text(value)
    folded = fold(text)
    for member in LeaveReason:
        if folded in (fold(member.title), member.value):
            return member, None
    for word, member in _LEAVE_WORDS:
        if word in folded:
            return member, None
    return LeaveReason.OTHER, text


def parse_birth(value: Any, today: dt.date | None = None) -> tuple[int, dt.date | None]:
    """``Năm sinh`` or ``Ngày sinh``: a year (1975), or a date in any accepted form."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer() and 1000 <= value <= 2999:
        year, day = int(value), None
    elif isinstance(value, str) and value.strip().isdigit() and len(value.strip()) == 4:
        year, day = int(value.strip()), None
    else:
        day = parse_date(value)
        year = day.year
    if not 1900 <= year <= (today or clock.today()).year - 15:
        raise ValueError(f"năm sinh không hợp lệ: {year}")
    return year, day


def parse_count(value: Any) -> int:
    """A number of cases: a whole number, 0 or more."""
    text = cell_text(value).replace(" ", "")
    if not isinstance(value, bool):
        if text.isdigit():
            return int(text)
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            number = None
        if number is not None and number.is_integer() and number >= 0:
            return int(number)
    raise ValueError(f"phải là số nguyên không âm (0, 1, 2, …), không phải «{cell_text(value)}»")


_QUARTERS = {"1": 1, "2": 2, "3": 3, "4": 4, "i": 1, "ii": 2, "iii": 3, "iv": 4}


def parse_quarter(value: Any) -> int:
    """``1`` … ``4``, also written ``Quý II`` or ``Q2``."""
    text = fold(cell_text(value)).replace(" ", "")
    for prefix in ("quy", "q"):
        if text.startswith(prefix):
            text = text[len(prefix):]
            break
    quarter = _QUARTERS.get(text)
    if quarter is None:
        raise ValueError(f"quý phải là 1, 2, 3 hoặc 4, không phải «{cell_text(value)}»")
    return quarter


def parse_year(value: Any) -> int:
    try:
        return parse_int(value)
    except ValueError:
        raise ValueError(f"năm không hợp lệ: «{cell_text(value)}»") from None


def parse_phone(value: Any) -> str:
    phone = normalize_phone(cell_text(value))
    if not phone or not phone.startswith("0") or not 10 <= len(phone) <= 11:
        raise ValueError(f"số điện thoại không hợp lệ: «{cell_text(value)}»")
    return phone

