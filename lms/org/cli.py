"""``flask lms ...`` commands of the org area (they call services and commit)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..core.errors import ServiceError
from ..core.roles import Role
from ..extensions import db
from .services import accounts, roster

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


def register(group: AppGroup) -> None:
    from .imports import cli as imports_cli

    group.add_command(users_cli)
    imports_cli.register(group)
