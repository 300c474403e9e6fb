"""Writing rows safely when the same request arrives twice at once (a double tap, two tabs, a retry).

Services check "does the row exist?" and then insert it. Two concurrent transactions can both see
"no" and both insert; the unique constraint then fails one of them with an error page. These helpers
make such writes idempotent without losing the transaction's other work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError

from ..extensions import db

T = TypeVar("T")


def insert_once(obj: T, find: Callable[[], T | None]) -> T:
    """Insert ``obj``; if a concurrent transaction inserted the same unique key first, return its row instead.

    The INSERT runs in a SAVEPOINT, so a unique violation rolls back only that savepoint (and ``obj``
    is expunged). On PostgreSQL the INSERT waits for the other transaction, so ``find()`` then reads
    its committed row. Build ``obj`` with foreign-key ids, not relationships, so no loaded collection
    keeps a reference to it. Any other integrity error is raised as it is.
    """
    try:
        with db.session.begin_nested():
            db.session.add(obj)
        return obj
    except IntegrityError:
        row = find()
        if row is None:
            raise
        return row


def lock(obj) -> None:
    """Lock ``obj``'s row until the end of the transaction and reload it (``SELECT … FOR UPDATE``).

    Pending changes are flushed first, so nothing is lost by the reload. A concurrent transaction that
    holds the lock is waited for, and its committed values are what ``obj`` then shows. On SQLite,
    which has no row locks, this only reloads (its writers are serialized by the database lock).
    """
    db.session.flush()
    db.session.refresh(obj, with_for_update=True)
