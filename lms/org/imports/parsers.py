"""Cell parsers of the org imports: a spreadsheet cell (text, number or date, as calamine or the CSV reader
gives it) to a value of the roster, or ``ValueError`` with the Vietnamese message shown on the row.

Dates, flags and whole numbers are parsed by ``core.spreadsheet`` (``parse_date``, ``parse_flag``, ``parse_int``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from ...core import clock
from ...core.phones import PHONE_HELP, PhoneKind, normalize_phone, phone_kind
from ...core.spreadsheet import parse_date, parse_int
from ...core.text import fold, fold_key, nfc
from ..models import Background, Gender, LeaveReason, TrainerLevel, UnitKind


def _words(mapping: dict[Any, Iterable[str]]) -> dict[str, Any]:
    out = {}
    for value, names in mapping.items():
        for name in names:
            out[fold_key(name)] = value
    return out


#: The official types of unit, as the state's lists word them, by level (the first of each level is its plain word).
UNIT_TYPES: dict[UnitKind, tuple[str, ...]] = {
    UnitKind.PROVINCE: ("tỉnh", "thành phố trung ương"),
    UnitKind.DISTRICT: ("huyện", "quận", "thị xã", "thành phố thuộc tỉnh", "thành phố thuộc thành phố trung ương"),
    UnitKind.COMMUNE: ("xã", "phường", "thị trấn", "đặc khu"),
    UnitKind.VILLAGE: (
        "thôn", "ấp", "bản", "buôn", "làng", "xóm", "sóc", "khóm", "khu phố", "khu vực", "tổ dân phố", "tổ", "khu", "phum",
        "plei", "bon", "đội",
    ),
}
#: Other spellings of a type (the official list's long forms, abbreviations) → the type.
_TYPE_SPELLINGS = {
    "thành phố trực thuộc trung ương": "thành phố trung ương", "tp trực thuộc trung ương": "thành phố trung ương",
    "thành phố thuộc trung ương": "thành phố trung ương", "tp trung ương": "thành phố trung ương",
    "tp thuộc tỉnh": "thành phố thuộc tỉnh", "tx": "thị xã", "tt": "thị trấn", "tdp": "tổ dân phố", "kp": "khu phố",
}
_UNIT_TYPES = _words({(kind, t): (t,) for kind, types in UNIT_TYPES.items() for t in types})
_UNIT_TYPES.update({fold_key(k): next((kind, t) for kind, types in UNIT_TYPES.items() for t in types if t == v) for k, v in _TYPE_SPELLINGS.items()})
#: Words that name a level only (the unit's own type is then read from its name, "Phường Cái Khế").
_UNIT_LEVELS = _words(
    {
        UnitKind.PROVINCE: ("cấp tỉnh", "tỉnh / thành phố", "province", UnitKind.PROVINCE.title),
        UnitKind.DISTRICT: ("cấp huyện", "district", UnitKind.DISTRICT.title),
        UnitKind.COMMUNE: ("cấp xã", "commune", UnitKind.COMMUNE.title),
        UnitKind.VILLAGE: ("cấp thôn", "village", UnitKind.VILLAGE.title),
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


def type_in_name(kind: UnitKind, name: str | None) -> str | None:
    """The official type a unit's name starts with ("Phường Cái Khế" → "phường"), among the types of ``kind``."""
    folded = fold(name)
    for t in sorted(UNIT_TYPES[kind], key=len, reverse=True):
        if folded == fold(t) or folded.startswith(fold(t) + " "):
            return t
    return None


def parse_unit_type(value: Any, name: str | None = None) -> tuple[UnitKind, str | None]:
    """``Cấp``: the level and the unit's own type. An official type word ("thành phố trung ương", "phường", "ấp")
    gives both; a level word ("cấp xã", "Xã / phường / thị trấn") gives the level, and the type is read from the name."""
    text = cell_text(value)
    key = fold_key(text)
    if key in _UNIT_TYPES:
        return _UNIT_TYPES[key]
    kind = _UNIT_LEVELS.get(key)
    if kind is None:
        words = ", ".join(t for types in UNIT_TYPES.values() for t in types[:4])
        raise ValueError(f"không hiểu cấp «{text}» (dùng tên loại đơn vị: {words}, …)")
    return kind, type_in_name(kind, name)


def parse_unit_kind(value: Any) -> UnitKind:
    return parse_unit_type(value)[0]


#: How many digits the state's code of a unit of each level has.
OFFICIAL_CODE_DIGITS = {UnitKind.PROVINCE: 2, UnitKind.DISTRICT: 3, UnitKind.COMMUNE: 5}


def official_code(value: Any, kind: UnitKind | None) -> str | None:
    """A unit code as the state writes it: text, upper-case; a number that lost its leading zeros in Excel
    (``4`` for commune ``00004``, ``4.0`` for Cao Bằng ``04``) is padded to the digits of ``kind``'s level."""
    text = cell_text(value).upper() if value is not None else ""
    if not text:
        return None
    digits = OFFICIAL_CODE_DIGITS.get(kind) if kind is not None else None
    if digits and text.isdigit() and len(text) < digits:
        text = text.zfill(digits)
    return text


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
    """A mobile or a landline with its area code, in the one stored form (``lms.core.phones``)."""
    if phone_kind(cell_text(value)) not in (PhoneKind.MOBILE, PhoneKind.LANDLINE):
        raise ValueError(f"số điện thoại không hợp lệ: «{cell_text(value)}» ({PHONE_HELP})")
    return normalize_phone(cell_text(value))

