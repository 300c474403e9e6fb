"""PostgreSQL connection settings and planner statistics (found by the soak test, ``bench/soak.py``)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from lms.core.cli import refresh_statistics
from lms.extensions import db
from lms.org.models import UnitKind
from lms.org.services import roster


@pytest.mark.postgres
def test_the_apps_connections_run_without_jit_or_parallel_workers(pg_app):
    with pg_app.app_context():
        assert db.session.scalar(text("SHOW jit")) == "off"
        assert db.session.scalar(text("SHOW max_parallel_workers_per_gather")) == "0"
        db.session.remove()


@pytest.mark.postgres
def test_refresh_statistics_analyzes_postgresql_too(pg_app):
    """``lms setup`` ends with it: without statistics (autovacuum off, or not run yet) the planner takes every table for empty."""
    with pg_app.app_context():
        province = roster.create_unit(code="92", name="Thành phố Cần Thơ", kind=UnitKind.PROVINCE, parent=None)
        for n in range(1, 4):
            roster.create_unit(code=f"3111{n}", name=f"Phường {n}", kind=UnitKind.COMMUNE, parent=province)
        db.session.commit()
        refresh_statistics()
        assert db.session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'unit'")) == 4
        db.session.remove()
