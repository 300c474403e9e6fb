"""The Alembic tree: upgrade from empty to head, a real downgrade to base, and models that match it.

Run on a fresh SQLite file and, with ``LMS_TEST_POSTGRES_URL``, on a fresh
PostgreSQL database (the ``pg_url`` fixture skips without one, or fails under
``LMS_TEST_REQUIRE_ALL=1``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from lms import MIGRATIONS_DIR
from lms.extensions import db
from tests.conftest import make_app


def app_tables() -> set[str]:
    return {t.name for t in db.metadata.sorted_tables}


def db_tables() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def schema_diff() -> list:
    """What ``flask db migrate`` would write: differences between the models and the migrated schema.

    Nothing is ignored. The options are those ``create_app`` gives Flask-Migrate
    (``compare_type=True``), so a changed column type counts as a difference.
    """
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "target_metadata": db.metadata})
        return compare_metadata(context, db.metadata)


def check_round_trip(url: str) -> None:
    app = make_app(url)
    with app.app_context():
        try:
            assert db_tables() == set()  # empty before

            upgrade()
            tables = db_tables()
            assert app_tables() <= tables, f"tables missing after upgrade: {sorted(app_tables() - tables)}"
            assert tables - app_tables() == {"alembic_version"}, f"tables no model declares: {sorted(tables - app_tables() - {'alembic_version'})}"
            with db.engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1

            diff = schema_diff()
            assert diff == [], f"models and migrations differ (write a migration): {diff}"

            downgrade(revision="base")
            assert db_tables() - {"alembic_version"} == set()
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect() as conn:
                    types = conn.execute(text("SELECT typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                                              "WHERE n.nspname = 'public' AND t.typtype = 'e'")).scalars().all()
                assert types == [], f"enum types left after downgrade: {types}"

            # the downgrade left a database that upgrades again
            upgrade()
            assert app_tables() <= db_tables()
            downgrade(revision="base")
            assert db_tables() - {"alembic_version"} == set()
        finally:
            db.session.remove()
            db.engine.dispose()


def test_upgrade_and_downgrade_on_sqlite(tmp_path):
    check_round_trip(f"sqlite:///{tmp_path / 'migrations.sqlite3'}")


@pytest.mark.postgres
def test_upgrade_and_downgrade_on_postgresql(pg_url):
    check_round_trip(pg_url)


def test_revision_files_are_named_and_titled():
    """Date-prefixed file names, a docstring title, and a downgrade that does something."""
    files = sorted(Path(MIGRATIONS_DIR, "versions").glob("*.py"))
    assert files
    for path in files:
        source = path.read_text(encoding="utf-8")
        assert re.match(r"^\d{8}_[0-9a-f]+_\w+\.py$", path.name), path.name
        assert source.startswith('"""') and source.splitlines()[0].strip('"').strip(), f"{path.name}: no docstring title"
        body = source.split("def downgrade():", 1)[1]
        assert re.search(r"op\.\w+\(", body), f"{path.name}: downgrade() does nothing"


def test_file_names_list_the_chain_in_order():
    """``YYYYMMDD_HHMM_<rev>_<slug>.py``: sorting the files by name walks the chain from base to head."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIR)
    chain = [s.revision for s in reversed(list(ScriptDirectory.from_config(config).walk_revisions()))]
    files = sorted(p.name for p in (Path(MIGRATIONS_DIR) / "versions").glob("*.py"))
    assert all(re.fullmatch(r"\d{8}_\d{4}_[0-9a-f]{12}_[a-z0-9_]+\.py", name) for name in files), files
    assert [name.split("_")[2] for name in files] == chain


def test_upgrade_keeps_rows_on_a_populated_sqlite_database(tmp_path):
    """A batch migration (a table copied, the old one dropped) on SQLite with rows that refer to that table.

    ``a8d4e2c6b1f9`` copies ``unit`` (its unique code constraint dropped); people and teams refer to it.
    With foreign keys on during the copy, the drop of the old table fails ("FOREIGN KEY constraint
    failed"): migrations/env.py turns them off around the migrations and checks the references after.
    """
    app = make_app(f"sqlite:///{tmp_path / 'populated.sqlite3'}")
    with app.app_context():
        try:
            upgrade(revision="f1a2c3d4e5b6")
            with db.engine.begin() as conn:
                conn.execute(text(
                    "INSERT INTO unit (id, code, name, kind, parent_id, path, depth, search_key, sort_key, is_pilot,"
                    " ethnic_minority_area, created_at, updated_at) VALUES"
                    " (1, '92', 'Thành phố Cần Thơ', 'province', NULL, '0001/', 0, 'thanh pho can tho', X'01', 0, 0,"
                    "  '2025-01-01', '2025-01-01'),"
                    " (2, '31120', 'Phường An Hòa', 'commune', 1, '0001/0002/', 1, 'phuong an hoa', X'02', 0, 0,"
                    "  '2025-01-01', '2025-01-01')"))
                conn.execute(text(
                    "INSERT INTO person (id, full_name, search_key, sort_key, is_minority, unit_id, created_at, updated_at)"
                    " VALUES (1, 'Đặng Thị Ánh', 'dang thi anh', X'03', 0, 2, '2025-01-01', '2025-01-01')"))

            upgrade()

            with db.engine.connect() as conn:
                assert conn.execute(text("SELECT id, code, name, unit_type FROM unit ORDER BY id")).all() == [
                    (1, "92", "Thành phố Cần Thơ", None), (2, "31120", "Phường An Hòa", None)]
                assert conn.execute(text("SELECT full_name, unit_id FROM person")).all() == [("Đặng Thị Ánh", 2)]
                assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
                # connections keep foreign keys on after the migrations
                assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        finally:
            db.session.remove()
            db.engine.dispose()
