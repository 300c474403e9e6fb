"""``flask lms content import [DIR]``: validate all, then import in one transaction."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from ..core.cli import register_setup_step
from ..extensions import db
from .services import ContentInvalid, import_content

content_cli = AppGroup("content", help="The curriculum in course_content/.")


def _import(directory: str | None) -> None:
    root = Path(directory or current_app.config["CONTENT_DIR"])
    try:
        report = import_content(root)
    except ContentInvalid as exc:
        db.session.rollback()
        for error in exc.errors:
            click.echo(f"  {error}", err=True)
        raise click.ClickException(f"{len(exc.errors)} error(s) in {root}; nothing was imported.") from None
    db.session.commit()
    for p in report.created:
        click.echo(f"  {p.code}: imported as version {p.version} ({len(p.lessons)} lessons)")
    for p in report.unchanged:
        click.echo(f"  {p.code}: unchanged (version {p.version})")


@content_cli.command("import")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def import_command(directory: str | None) -> None:
    """Import (or update) every program under DIRECTORY (default: LMS_CONTENT_DIR or course_content/)."""
    _import(directory)


def register(group: AppGroup) -> None:
    group.add_command(content_cli)
    register_setup_step(10, "curriculum (course_content/)", lambda: _import(None))
