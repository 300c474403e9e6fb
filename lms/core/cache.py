"""Caches of computed results (figures, rendered fragments) that any worker can rebuild, and their invalidation.

A cached value is stored under a key that includes a **data generation**: a token kept in the database
(table ``data_generation``, one row per name) that changes in the same transaction as any row the value
depends on. A writer's new token becomes visible exactly when its rows do, in every process, so an entry
computed from old rows is never read again (it ages out of the store).

- An area declares what a generation depends on: ``track("figures", Certificate, Team, …)`` (by table).
- A Core-level hook on the app's engine sees every INSERT / UPDATE / DELETE statement (ORM flushes, ORM bulk
  statements, Core ``insert()``/``update()``/``delete()`` through the session or a connection, and plain SQL
  text starting with those verbs) and marks the connection when one targets a tracked table; just before that
  connection commits, the generation gets a new random token (an upsert, on the same connection and transaction).
  A path that writes around that hook (PostgreSQL ``COPY`` through the DBAPI cursor, ``exec_driver_sql``, which
  SQLAlchemy does not pass to ``before_execute``) calls :func:`wrote` (``core/bulk.py`` does).
- Tokens are random rather than counted, so a database restored from a backup, or emptied by the tests, never
  meets an entry made for other rows under the same number.
- Store: Redis when ``LMS_REDIS_URL`` is set (shared by every worker and server), else a dict in the process
  with an LRU bound. Both only ever hold values keyed by a generation, so neither can serve stale rows.
- A request that has written tracked rows and not committed them yet reads and writes no cache entry (its
  own uncommitted rows must not be cached under the old token).

:func:`memo` is a separate, process-local LRU for values keyed by their own content (e.g. a program version's
outline, keyed by id and content hash): nothing needs to invalidate those.
"""

from __future__ import annotations

import pickle
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.dml import UpdateBase

from ..extensions import db
from .models import DataGeneration

#: Execution option that turns the hook off for a connection (the migrations' own).
OFF = "lms_generation_off"
_INFO_KEY = "lms_dirty_generations"
#: table name → generation names that depend on it
_tracked: dict[str, set[str]] = {}
_SQL_DML = re.compile(r'^\s*(?:insert\s+into|update|delete\s+from)\s+(?:only\s+)?"?(\w+)"?', re.I)
_SQL_TRUNCATE = re.compile(r"^\s*truncate\b", re.I)


def track(name: str, *models) -> None:
    """Declare that generation ``name`` changes whenever a row of any of ``models`` (or tables) changes."""
    for m in models:
        table = getattr(m, "__table__", m)
        _tracked.setdefault(table.name, set()).add(name)


# --------------------------------------------------------------------------- the hook on the engine


def _names_written(statement) -> set[str]:
    """The generations an INSERT / UPDATE / DELETE (clause or SQL text) changes; TRUNCATE changes all of them."""
    if isinstance(statement, UpdateBase):
        return _tracked.get(getattr(getattr(statement, "table", None), "name", None), set())
    text = statement if isinstance(statement, str) else getattr(statement, "text", None)
    if not isinstance(text, str):
        return set()
    m = _SQL_DML.match(text)
    if m:
        return _tracked.get(m.group(1).lower(), set())
    if _SQL_TRUNCATE.match(text):
        return set().union(*_tracked.values())
    return set()


def _mark(conn: Connection, names) -> None:
    conn.info.setdefault(_INFO_KEY, set()).update(names)


def _before_execute(conn, clauseelement, multiparams, params, execution_options):  # noqa: ARG001
    names = _names_written(clauseelement)
    if names and not conn.get_execution_options().get(OFF):
        _mark(conn, names)


def _upsert_sql(dialect) -> str:
    ph = "?" if dialect.paramstyle == "qmark" else "%s"
    return (
        f"INSERT INTO data_generation (name, value) VALUES ({ph}, {ph}) "  # noqa: S608 (fixed text)
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value"
    )


def _on_commit(conn: Connection) -> None:
    names = conn.info.pop(_INFO_KEY, None)
    if not names or conn.get_execution_options().get(OFF):
        return
    cursor = conn.connection.cursor()
    try:
        sql = _upsert_sql(conn.dialect)
        for name in sorted(names):
            cursor.execute(sql, (name, new_token()))
    finally:
        cursor.close()


def _on_rollback(conn: Connection) -> None:
    conn.info.pop(_INFO_KEY, None)


def _on_reset(dbapi_connection, connection_record, reset_state) -> None:  # noqa: ARG001
    connection_record.info.pop(_INFO_KEY, None)


def new_token() -> int:
    return secrets.randbits(62) + 1


def init_engine(engine: Engine) -> None:
    """Install the hook on the app's engine (once)."""
    if event.contains(engine, "before_execute", _before_execute):
        return
    event.listen(engine, "before_execute", _before_execute)
    event.listen(engine, "commit", _on_commit)
    event.listen(engine, "rollback", _on_rollback)
    event.listen(engine.pool, "reset", _on_reset)


def wrote(*models, session=None) -> None:
    """Mark the current transaction as having written rows of ``models`` around SQLAlchemy (a DBAPI ``COPY``)."""
    names = set().union(*(_tracked.get(getattr(m, "__table__", m).name, set()) for m in models))
    if names:
        _mark((session or db.session).connection(), names)


def pending(name: str, session=None) -> bool:
    """Has the current transaction written rows that ``name`` depends on, not committed yet?"""
    session = db.session() if session is None else session
    if not session.in_transaction():
        return False
    return name in session.connection().info.get(_INFO_KEY, ())


def generation(name: str, session=None) -> int:
    """The current token of generation ``name`` (0 before any tracked change was ever committed)."""
    return (session or db.session).scalar(select(DataGeneration.value).where(DataGeneration.name == name)) or 0


# --------------------------------------------------------------------------- stores


class LocalStore:
    """A thread-safe LRU dict bounded by entries and by an estimate of their size."""

    def __init__(self, max_entries: int = 256, max_bytes: int = 64 * 1024 * 1024):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._data: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @staticmethod
    def _size(value) -> int:
        return len(value) if isinstance(value, str | bytes) else 1024

    def get(self, key):
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return None
            self._data.move_to_end(key)
            return item[0]

    def set(self, key, value, ttl: int | None = None) -> None:  # noqa: ARG002 (entries only age out by LRU)
        size = self._size(value)
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._data[key] = (value, size)
            self._bytes += size
            while self._data and (len(self._data) > self.max_entries or self._bytes > self.max_bytes):
                _, (_, dropped) = self._data.popitem(last=False)
                self._bytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._data)


class RedisStore:
    """Pickled values in Redis with a time to live; an unreachable Redis is a cache miss, not an error."""

    PREFIX = "lms:cache:"

    def __init__(self, url: str):
        from redis import Redis

        self._redis = Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)

    def get(self, key):
        from redis.exceptions import RedisError

        try:
            raw = self._redis.get(self.PREFIX + repr(key))
        except RedisError:
            current_app.logger.warning("cache: Redis unreachable, computing without the cache")
            return None
        return None if raw is None else pickle.loads(raw)  # noqa: S301 (our own values)

    def set(self, key, value, ttl: int | None = None) -> None:
        from redis.exceptions import RedisError

        try:
            self._redis.set(self.PREFIX + repr(key), pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), ex=ttl)
        except RedisError:
            current_app.logger.warning("cache: Redis unreachable, value not stored")

    def clear(self) -> None:
        for key in self._redis.scan_iter(self.PREFIX + "*"):
            self._redis.delete(key)


def store():
    """The app's store: Redis when ``REDIS_URL`` is set (``CACHE_REDIS=False`` keeps it in the process)."""
    ext = current_app.extensions
    if "lms_cache" not in ext:
        url = current_app.config.get("REDIS_URL")
        ext["lms_cache"] = RedisStore(url) if url and current_app.config.get("CACHE_REDIS", True) else LocalStore()
    return ext["lms_cache"]


#: Default time to live of an entry in Redis (a superseded generation's entries just age out).
TTL = 24 * 3600


def cached(name: str, key: tuple, compute: Callable[[], Any], ttl: int = TTL):
    """``compute()``, stored under ``key`` and the current token of generation ``name``."""
    if pending(name):
        return compute()
    full = (name, generation(name), *key)
    s = store()
    value = s.get(full)
    if value is None:
        value = compute()
        s.set(full, value, ttl)
    return value


# --------------------------------------------------------------------------- content-addressed memo

_memo = LocalStore(max_entries=64, max_bytes=32 * 1024 * 1024)


def memo(key: tuple, compute: Callable[[], Any]):
    """A process-local LRU for values fully determined by ``key`` (e.g. an id and a content hash)."""
    value = _memo.get(key)
    if value is None:
        value = compute()
        _memo.set(key, value)
    return value
