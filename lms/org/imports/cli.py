"""``flask lms units|mediators|trainers|supporters|cases import FILE [--dry-run]``: imports from the command line.

Every kind in ``KINDS`` when the app is created gets ``flask lms <kind> import``; an area that registers its own kind
may instead add :func:`import_command` to its own group (``flask lms certificates import``).

The command line acts for the whole installation (no scope). Exit status 1 and one line per bad
row when the file is bad; nothing is written unless the whole file is good. The changes a units file makes to
existing units (renames, moves, ends) are listed, and applied only with ``--confirm-changes``.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from ...extensions import db
from .engine import KINDS, run_import


def import_command(kind: str) -> click.Command:
    """``import FILE [--dry-run] [--confirm-changes]`` for one kind (looked up in ``KINDS`` when the command is built)."""
    spec = KINDS[kind]

    @click.command("import", help=f"Import {kind} from an .xlsx or .csv file ({spec.title}).")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Check the whole file and report; write nothing.")
    @click.option(
        "--confirm-changes", is_flag=True,
        help="Apply the renames, moves, ends and changes of kind this file makes to existing units (listed by --dry-run).",
    )
    def command(file: Path, dry_run: bool, confirm_changes: bool) -> None:
        with file.open("rb") as stream:
            try:
                result = run_import(kind, stream, file.name, None, dry_run=dry_run, confirm_changes=confirm_changes)
            except Exception:
                db.session.rollback()
                raise
        for change in result.changes_to_confirm:  # renames, moves, ends of existing units
            click.echo(str(change), err=not result.ok)
        if not result.ok:
            db.session.rollback()
            if result.file_error:
                click.echo(result.file_error, err=True)
            for error in result.errors:
                click.echo(str(error), err=True)
            if result.errors:
                click.echo(f"{len(result.errors)} lỗi ở {result.bad_rows} dòng (trên {result.rows} dòng). Không có dữ liệu nào được ghi.", err=True)
            if result.changes_to_confirm and not result.confirmed:
                click.echo(f"Có {len(result.changes_to_confirm)} thay đổi đơn vị đã có cần xác nhận: "
                           "chạy lại với --confirm-changes để áp dụng.", err=True)
            raise SystemExit(1)
        if dry_run:
            db.session.rollback()
            click.echo(f"Chạy thử: {result.rows} dòng hợp lệ. Chưa ghi gì.")
        else:
            db.session.commit()
            click.echo(f"Đã nhập {result.rows} dòng.")
        for line in result.summary():
            click.echo(line)

    return command


def kind_group(group: AppGroup, name: str, help_text: str) -> AppGroup:
    """The sub-group ``name`` of ``group``, created when missing (several areas may add commands to it)."""
    sub = group.commands.get(name)
    if sub is None:
        sub = AppGroup(name, help=help_text)
        group.add_command(sub)
    return sub


def register(group: AppGroup) -> None:
    for kind, spec in list(KINDS.items()):
        kind_group(group, kind, f"{spec.title}.").add_command(import_command(kind))
