"""The ``flask lms`` command group; areas add their commands to it."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup
from flask_migrate import upgrade

lms_cli = AppGroup("lms", help="Hòa giải LMS commands.")


@lms_cli.command("init")
def init_command() -> None:
    """Create or upgrade the database to the latest schema."""
    upgrade()
    click.echo("Database is at the latest revision.")


#: Steps of ``flask lms setup`` (run by ``make run``), registered by the areas: (order, name, function).
_setup_steps: list[tuple[int, str, object]] = []


def parse_day(_ctx, _param, value: str | None) -> dt.date | None:
    """Click callback of a ``--date YYYY-MM-DD`` option: a ``date``, or ``None`` when not given."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"«{value}» không phải ngày dạng YYYY-MM-DD.") from None


def register_setup_step(order: int, name: str, func) -> None:
    if all(n != name for _, n, _ in _setup_steps):
        _setup_steps.append((order, name, func))


@lms_cli.command("setup")
def setup_command() -> None:
    """Everything ``make run`` needs after ``init``: load the curriculum, plans, and a demo province once."""
    for _, name, func in sorted(_setup_steps, key=lambda s: s[0]):
        click.echo(f"== {name}")
        func()
    refresh_statistics()


def refresh_statistics() -> None:
    """Let the query planner see the data just loaded.

    SQLite keeps no statistics by itself; PostgreSQL's autovacuum would gather them some time later,
    or never where it is turned off, and until then the planner takes every table for empty (the
    province's progress report took 3 s instead of 0.1 s on the demo province without them)."""
    from ..extensions import db

    with db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
