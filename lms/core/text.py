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
