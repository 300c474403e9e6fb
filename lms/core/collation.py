"""Vietnamese alphabetical order, computed once by ICU and stored, so that the database sorts by it.

The order is the Vietnamese alphabet ``a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y``, tones after
the letter (a, à, á… of the same word), and digits compared as numbers (``Khu vực 2`` before ``Khu vực 10``):
ICU's ``vi`` collation with ``NUMERIC_COLLATION`` on. Its sort keys are byte strings whose byte-wise order
(``memcmp``, then the shorter first) is the collation order, which is how SQLite compares a ``BLOB`` and
PostgreSQL a ``bytea``: the ``sort_key`` columns of people, units and teams are such keys, and lists
``ORDER BY`` them (then by id, so that pages stay deterministic) on both databases.

Thread safety: the collator is created and configured once, when this module is imported (imports are
serialized), and never changed afterwards. ``getSortKey`` is a ``const`` method, and ICU4C makes its service
objects safe for concurrent use as long as every thread calls only ``const`` APIs ("Thread-safe const APIs",
ICU Architectural Design); so the one collator is shared by all threads without a lock or per-thread clones.
Code that needs other settings must create its own collator, never call ``setAttribute`` on this one.

The keys depend on ICU's collation data (``ICU_VERSION``: the libicu PyICU was built against): after an ICU
upgrade that changes the Vietnamese collation, the stored keys must be computed again (as the migration that
added them does), or new rows would sort by other keys than old ones.
"""

from __future__ import annotations

from functools import lru_cache

import icu

from .text import nfc

LOCALE = "vi_VN"


def _make_collator() -> icu.Collator:
    collator = icu.Collator.createInstance(icu.Locale(LOCALE))
    collator.setAttribute(icu.UCollAttribute.NUMERIC_COLLATION, icu.UCollAttributeValue.ON)
    return collator


_COLLATOR = _make_collator()
#: The ICU library the keys come from (its collation data changes with it).
ICU_VERSION = icu.ICU_VERSION

#: An official code of the state, by level: 2 digits for a province, 3 for a district, 5 for a commune.
_OFFICIAL_CODE_LENGTHS = {"province": 2, "district": 3, "commune": 5}
#: Lists of mixed levels put the higher level first.
_LEVELS = {"province": 1, "district": 2, "commune": 3, "village": 4}


@lru_cache(maxsize=65536)  # pure; names and villages repeat down a roster
def sort_key(text: str | None) -> bytes:
    """ICU's Vietnamese sort key of ``text`` (NFC, white space collapsed; ``None`` is the empty text)."""
    return _COLLATOR.getSortKey(nfc(text) or "")


def person_sort_key(full_name: str | None) -> bytes:
    """People sort by given name (tên: the last word), then by the rest of the name as written (họ and tên đệm).

    The key is the given name's key followed by the rest's: an ICU key ends with its only zero byte, so two such
    pairs compare given name first, in full (``An`` before ``Án`` before ``Anh``), then the rest."""
    words = (nfc(full_name) or "").split(" ")
    return sort_key(words[-1]) + sort_key(" ".join(words[:-1]))


def team_sort_key(name: str | None) -> bytes:
    """Teams sort by name, numbers in numeric order (``Tổ hòa giải số 2`` before ``số 10``)."""
    return sort_key(name)


def has_official_code(kind, code: str | None) -> bool:
    """Does a unit of ``kind`` carry a code of the state (all digits, of its level's length)?"""
    kind = getattr(kind, "value", kind)
    length = _OFFICIAL_CODE_LENGTHS.get(kind)
    code = (code or "").strip()
    return length is not None and len(code) == length and code.isascii() and code.isdigit()


def unit_sort_key(kind, code: str | None, name: str | None) -> bytes:
    """Units in the state's code order when they carry an official code, else by name (numbers in numeric
    order: ``Khu vực 2`` before ``Khu vực 10``); a higher level first, and coded units before named ones.

    ``kind`` is a ``UnitKind`` or its value."""
    kind = getattr(kind, "value", kind)
    level = bytes([_LEVELS.get(kind, len(_LEVELS) + 1)])
    if has_official_code(kind, code):
        return level + b"\x01" + code.strip().encode("ascii") + b"\x00"
    return level + b"\x02" + sort_key(name)
