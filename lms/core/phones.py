"""Vietnamese phone numbers, with Google's ``phonenumbers``: one form for every way people type them.

A number is kept as its national form in digits, trunk zero first (``0912345678``, ``02923831234``), whatever
was typed: ``+84 912 345 678``, ``0084…``, ``84912345678``, spaces, dots, dashes, parentheses, a cell Excel
turned into a number (the leading zero lost, perhaps ``912345678.0``). The 11-digit mobile numbers of before
2018 are converted to their 10-digit form (``0121 234 5678`` → ``0792345678``), as the carriers did
(Bộ Thông tin và Truyền thông, Quyết định 798/QĐ-BTTTT, 2018). Phone numbers are mediators' usernames; only
a mobile can be one, a landline (with its area code) is accepted as a contact.
"""

from __future__ import annotations

import re
from enum import StrEnum

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

REGION = "VN"

#: the old 3-digit mobile prefixes (after the trunk 0) → today's 2-digit ones
OLD_MOBILE_PREFIXES = {
    "120": "70", "121": "79", "122": "77", "126": "76", "128": "78",  # MobiFone
    "123": "83", "124": "84", "125": "85", "127": "81", "129": "82",  # VinaPhone
    "162": "32", "163": "33", "164": "34", "165": "35", "166": "36", "167": "37", "168": "38", "169": "39",  # Viettel
    "186": "56", "188": "58",  # Vietnamobile
    "199": "59",  # Gmobile
}  # fmt: skip

#: what a valid number looks like, for error messages
PHONE_HELP = "cần số di động 10 chữ số như 0912 345 678, hoặc số máy bàn có mã vùng như 0292 3831 234"

_EXCEL_FLOAT = re.compile(r"\d+\.0+")


class PhoneKind(StrEnum):
    MOBILE = "mobile"
    LANDLINE = "landline"
    OTHER = "other"  # a valid number of another kind (1900…, a toll-free number)


_KINDS = {
    PhoneNumberType.MOBILE: PhoneKind.MOBILE,
    PhoneNumberType.FIXED_LINE: PhoneKind.LANDLINE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE: PhoneKind.MOBILE,
}


def _parse(value: object) -> phonenumbers.PhoneNumber | None:
    """The Vietnamese number ``value`` is, or ``None`` when it is not one."""
    text = str(value).strip()
    if _EXCEL_FLOAT.fullmatch(text):
        text = text.split(".", 1)[0]
    if not re.search(r"\d", text):
        return None
    try:
        number = phonenumbers.parse(text, REGION)
    except NumberParseException:
        return None
    if number.country_code != 84:
        return None
    national = str(number.national_number)
    if len(national) == 10 and national[:3] in OLD_MOBILE_PREFIXES:
        number = phonenumbers.parse("0" + OLD_MOBILE_PREFIXES[national[:3]] + national[3:], REGION)
    return number if phonenumbers.is_valid_number(number) else None


def normalize_phone(value: object) -> str | None:
    """The one stored form of a phone number: its national digits, with the trunk zero (none for 1900…).

    A value that is not a valid Vietnamese number keeps its digits only (what a search by part of a number
    needs; :func:`phone_kind` says whether it is a number at all); blanks give ``None``.
    """
    if value is None:
        return None
    number = _parse(value)
    if number is not None:
        return re.sub(r"\D", "", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))
    text = str(value).strip()
    if _EXCEL_FLOAT.fullmatch(text):
        text = text.split(".", 1)[0]
    return re.sub(r"\D", "", text) or None


def phone_kind(value: object) -> PhoneKind | None:
    """Mobile, landline or another valid kind; ``None`` when ``value`` is not a valid Vietnamese number."""
    if value is None:
        return None
    number = _parse(value)
    if number is None:
        return None
    return _KINDS.get(phonenumbers.number_type(number), PhoneKind.OTHER)
