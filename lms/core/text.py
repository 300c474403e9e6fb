"""Vietnamese text: NFC on the way in, an accent-folded key for search."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"\s+")


def nfc(value: str | None) -> str | None:
    """NFC-normalize and collapse white space; ``None`` and blanks give ``None``."""
    if value is None:
        return None
    value = _SPACES.sub(" ", unicodedata.normalize("NFC", str(value))).strip()
    return value or None


@lru_cache(maxsize=65536)  # pure; names and villages repeat down a roster
def fold(value: str | None) -> str:
    """Lower-case, diacritics removed (đ → d), single spaces: ``Nguyễn Thị`` → ``nguyen thi``."""
    if not value:
        return ""
    value = unicodedata.normalize("NFD", str(value).replace("đ", "d").replace("Đ", "D"))
    value = "".join(c for c in value if unicodedata.category(c) != "Mn")
    return _SPACES.sub(" ", value.lower()).strip()


def fold_key(value: str | None) -> str:
    """:func:`fold` without any spaces or punctuation, for matching headers and codes."""
    return re.sub(r"[^0-9a-z]", "", fold(value))


def normalize_phone(value: str | None) -> str | None:
    """Digits only, Vietnamese mobile form (``+84 912…`` → ``0912…``)."""
    if value is None:
        return None
    digits = re.sub(r"\D", "", str(value))
    if digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if len(digits) == 9 and not digits.startswith("0"):
        digits = "0" + digits  # Excel dropped the leading zero
    return digits or None
