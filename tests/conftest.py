"""Shared fixtures: ``app``, ``client``, ``db``, ``auth``, ``freeze``, and per-area factories.

The database is created once per run by running the Alembic migrations on an
empty database (SQLite by default; PostgreSQL with ``LMS_TEST_DB=postgres``
and ``LMS_TEST_POSTGRES_URL``); every test starts from empty tables.
"""

from __future__ import annotations

import os
import tempfile
import uuid

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from lms import create_app
from lms.config import TestingConfig
from lms.core import clock
from lms.extensions import db as _db

pytest_plugins = ["tests.fixtures.org", "tests.fixtures.curriculum", "tests.fixtures.learning", "tests.fixtures.classes", "tests.fixtures.certificates",
                  "tests.fixtures.reports"]

REQUIRE_ALL = os.environ.get("LMS_TEST_REQUIRE_ALL") == "1"


def need(condition: bool, reason: str) -> None:
    """Skip with a one-line reason, or fail when LMS_TEST_REQUIRE_ALL=1."""
    if condition:
        return
    if REQUIRE_ALL:
        pytest.fail(f"LMS_TEST_REQUIRE_ALL=1 but {reason}", pytrace=False)
    pytest.skip(reason)


# --------------------------------------------------------------------------- PostgreSQL


def _pg_admin_url() -> str | None:
    return os.environ.get("LMS_TEST_POSTGRES_URL")


def create_pg_database() -> str:
    """A fresh, empty PostgreSQL database for this run; returns its URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(_pg_admin_url())
    name = f"lms_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base.set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return base.set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = make_url(_pg_admin_url()).set(drivername="postgresql")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_url():
    """An empty PostgreSQL database (skips, or fails under LMS_TEST_REQUIRE_ALL, without one)."""
    need(bool(_pg_admin_url()), "LMS_TEST_POSTGRES_URL is not set (PostgreSQL tests)")
    url = create_pg_database()
    yield url
    drop_pg_database(url)


# --------------------------------------------------------------------------- the app


def _database_url(tmp_path_factory) -> tuple[str, str | None]:
    if os.environ.get("LMS_TEST_DB") == "postgres":
        need(bool(_pg_admin_url()), "LMS_TEST_DB=postgres needs LMS_TEST_POSTGRES_URL")
        url = create_pg_database()
        return url, url
    path = tmp_path_factory.mktemp("db") / "test.sqlite3"
    return f"sqlite:///{path}", None


_instance = tempfile.mkdtemp(prefix="lms-test-instance-")


def make_app(url: str, **extra):
    config = {k: getattr(TestingConfig, k) for k in dir(TestingConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=_instance, **extra)
    return create_app(config)


class IsolatedClient(FlaskClient):
    """Each request starts with a clean ``g``: the test's app context is shared by every request,
    and Flask-Login's cached user and Flask-WTF's CSRF token would otherwise leak between clients."""

    def open(self, *args, **kwargs):
        from flask import g

        for key in ("_login_user", "csrf_token", "csrf_valid"):
            g.pop(key, None)
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def _app(tmp_path_factory):
    from flask_migrate import upgrade

    url, pg = _database_url(tmp_path_factory)
    app = make_app(url)
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        _db.engine.dispose()
    if pg:
        drop_pg_database(pg)


def truncate_all() -> None:
    _db.session.rollback()
    tables = [t.name for t in _db.metadata.sorted_tables]
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                conn.execute(text(f'DELETE FROM "{name}"'))


@pytest.fixture
def app(_app):
    with _app.app_context():
        yield _app
        _db.session.remove()
        truncate_all()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def freeze():
    """``freeze("2026-03-01")`` sets what the one clock says for the rest of the test."""
    stack = []

    def _freeze(day):
        ctx = clock.frozen(day)
        ctx.__enter__()
        stack.append(ctx)
        return clock.today()

    yield _freeze
    while stack:
        stack.pop().__exit__(None, None, None)


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = "matkhau-123", follow: bool = False):
        page = self.client.get("/auth/login")
        token = csrf_token(page.get_data(as_text=True))
        return self.client.post(
            "/auth/login", data={"username": username, "password": password, "csrf_token": token}, follow_redirects=follow
        )

    def logout(self):
        page = self.client.get("/auth/password")  # any signed-in page carries the logout form's token
        token = csrf_token(page.get_data(as_text=True))
        return self.client.post("/auth/logout", data={"csrf_token": token})


def csrf_token(html: str) -> str:
    import re

    m = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    if not m:
        m = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def pg_app():
    """A separate app on a fresh, migrated PostgreSQL database (for concurrency tests)."""
    from flask_migrate import upgrade

    need(bool(_pg_admin_url()), "LMS_TEST_POSTGRES_URL is not set (PostgreSQL tests)")
    url = create_pg_database()
    app = make_app(url)
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()
    drop_pg_database(url)
