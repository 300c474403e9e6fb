"""``flask lms plans load`` and ``flask lms coverage``; plans are loaded by ``make run``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from ..core.cli import register_setup_step
from ..core.errors import ServiceError
from ..extensions import db
from ..org.services.plans import load_plan_file

PLANS_DIR = Path(__file__).resolve().parent / "plans"
plans_cli = AppGroup("plans", help="Province plans (targets).")


def load_plans(directory: Path = PLANS_DIR) -> None:
    for path in sorted(directory.glob("*.yaml")):
        try:
            _, message = load_plan_file(path)
        except ServiceError as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from None
        click.echo(f"  {message}")
    db.session.commit()


@plans_cli.command("load")
@click.argument("directory", required=False, type=click.Path(file_okay=False, exists=True))
def load_command(directory: str | None) -> None:
    """Load every plan YAML file (default: lms/reports/plans/)."""
    load_plans(Path(directory) if directory else PLANS_DIR)


def register(group: AppGroup) -> None:
    group.add_command(plans_cli)
    # after the demo province exists (step 90), so the plan finds its province
    register_setup_step(95, "plans (lms/reports/plans/)", load_plans)
