"""``flask lms ...`` commands of the org area (they call services and commit)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..core.errors import ServiceError
from ..core.roles import Role
from ..extensions import db
from .services import accounts, official, roster

users_cli = AppGroup("users", help="User accounts.")


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--unit", "unit_code", required=True, help="Code of the unit the account is bound to.")
@click.option("--name", "full_name", default=None)
@click.option("--password", default=None, help="Default: a generated one-time password.")
def users_create(username: str, role: str, unit_code: str, full_name: str | None, password: str | None) -> None:
    """Create an account (e.g. the first system administrator)."""
    unit = roster.unit_by_code(unit_code.upper())
    if unit is None:
        raise click.ClickException(f"Unknown unit code: {unit_code}")
    try:
        user, pw = accounts.create_user(
            username=username, role=Role(role), unit=unit, full_name=full_name, password=password, must_change_password=password is None
        )
    except ServiceError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"Created {user.username} ({user.role.value}) at {unit.code}; password: {pw}")


@click.command("official")
@click.option("--province", "province_code", default=None, help="Only this province (its 2-digit code, e.g. 92).")
@click.option("--history", is_flag=True, help="Also load the province's shipped history of the July 2025 reform (old units).")
@click.option("--confirm-changes", is_flag=True, help="Apply the renames, moves and ends of existing units the history lists.")
@click.option("--dry-run", is_flag=True, help="Report; write nothing.")
def units_official(province_code: str | None, history: bool, confirm_changes: bool, dry_run: bool) -> None:
    """Load the state's official list of provinces and communes (vietnam-provinces), creating what is missing."""
    code = official.official_code_arg(province_code)
    if history and code is None:
        raise click.ClickException("--history needs --province (e.g. --province 92).")
    try:
        report = official.load_official(code)
    except ServiceError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"Danh mục đơn vị hành chính (dữ liệu ngày {report.data_version}): tạo mới {len(report.created)}, "
               f"không đổi {report.unchanged}, khác danh mục {len(report.differences)} (không ghi đè).")
    for diff in report.differences:
        click.echo(f"  khác: {diff}")
    if history:
        result = official.load_history(code, confirm_changes=confirm_changes)
        for change in result.changes_to_confirm:
            click.echo(f"  thay đổi: {change}")
        if not result.ok:
            db.session.rollback()
            if result.file_error:
                click.echo(result.file_error, err=True)
            for error in result.errors[:50]:
                click.echo(str(error), err=True)
            hint = " (xem lại rồi chạy lại với --confirm-changes)" if result.changes_to_confirm and not confirm_changes else ""
            raise click.ClickException(f"Lịch sử sắp xếp: {len(result.errors)} lỗi; không ghi gì{hint}.")
        for line in result.summary():
            click.echo(f"Lịch sử sắp xếp — {line}")
    if dry_run:
        db.session.rollback()
        click.echo("Chạy thử: chưa ghi gì.")
    else:
        db.session.commit()


def register(group: AppGroup) -> None:
    from .imports import cli as imports_cli

    group.add_command(users_cli)
    imports_cli.register(group)
    imports_cli.kind_group(group, "units", "Đơn vị hành chính.").add_command(units_official)
