"""The cache stores and the data-generation hook (core/cache.py); the dashboard's use is in tests/reports/test_dashboard_cache.py."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from lms.core import cache
from lms.core.models import AuditLog
from lms.org.models import UnitKind
from lms.org.services import roster
from tests.conftest import need

NAME = "test-generation"


@pytest.fixture
def tracked():
    saved = {k: set(v) for k, v in cache._tracked.items()}
    cache.track(NAME, AuditLog.__table__)
    yield
    cache._tracked.clear()
    cache._tracked.update(saved)


def test_local_store_is_bounded_lru():
    s = cache.LocalStore(max_entries=2, max_bytes=10)
    s.set("a", "1234")
    s.set("b", "1234")
    assert s.get("a") == "1234"  # a is now the most recent
    s.set("c", "1234")
    assert s.get("b") is None and s.get("a") == "1234" and s.get("c") == "1234"
    s.set("d", "123456789")  # 13 bytes > 10: the oldest go
    assert len(s) == 1 and s.get("d") == "123456789"


def test_tracked_writes_change_the_generation_at_commit_only(db, tracked):
    start = cache.generation(NAME)
    roster.create_unit(code="92", name="Thành phố Cần Thơ", kind=UnitKind.PROVINCE, parent=None)  # writes an audit row
    assert cache.pending(NAME)
    assert cache.generation(NAME) == start  # not before commit
    db.session.commit()
    after = cache.generation(NAME)
    assert after != start and not cache.pending(NAME)
    db.session.execute(text("DELETE FROM audit_log"))
    db.session.rollback()
    assert cache.generation(NAME) == after  # rolled back: unchanged
    db.session.execute(text("SELECT count(*) FROM audit_log"))
    db.session.commit()
    assert cache.generation(NAME) == after  # a read changes nothing


def test_cached_recomputes_after_a_change(db, tracked):
    calls = []

    def compute():
        calls.append(1)
        return f"value {len(calls)}"

    db.session.commit()
    assert cache.cached(NAME, ("k",), compute) == "value 1"
    assert cache.cached(NAME, ("k",), compute) == "value 1"
    with db.engine.begin() as conn:  # another connection, plain SQL
        conn.execute(text("INSERT INTO audit_log (at, entity, entity_id, action, changes) VALUES (CURRENT_TIMESTAMP, 'x', 1, 'create', '{}')"))
    assert cache.cached(NAME, ("k",), compute) == "value 2"


def test_redis_store_round_trip(app):
    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.exceptions.RedisError:
        need(False, "Redis is not reachable on 127.0.0.1:6379")
    store = cache.RedisStore(url)
    key = ("test", uuid.uuid4().hex)
    assert store.get(key) is None
    store.set(key, {"html": "Xã An Hòa"}, ttl=30)
    assert store.get(key) == {"html": "Xã An Hòa"}
    store._redis.delete(store.PREFIX + repr(key))
