"""``flask lms plans load`` and ``flask lms coverage``; plans are loaded by ``make run``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from ..core.cli import register_setup_step
from ..core.errors import ServiceError
from ..core.spreadsheet import safe_text
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


@click.command("coverage")
@click.option("--unit", "unit_code", required=True, help="Mã đơn vị (ví dụ 92, 31117).")
@click.option("--date", "day", default=None, help="Ngày tính số liệu, YYYY-MM-DD (mặc định: hôm nay).")
@click.option("--year", default=None, help="Năm cho chỉ tiêu H và I (mặc định: năm của --date).")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
def coverage_command(unit_code: str, day: str | None, year: str | None, fmt: str) -> None:
    """Every figure for a unit and each unit below it, as the API's JSON or as CSV (for scheduled reports)."""
    import csv
    import io
    import json

    from ..org.services.roster import unit_by_code
    from .api import BadParameter, parse_day, parse_year
    from .figures import coverage

    try:
        on = parse_day(day)
        for_year = parse_year(year, on)
    except BadParameter as exc:
        raise click.BadParameter(str(exc)) from None
    unit = unit_by_code(unit_code.strip().upper())
    if unit is None:
        raise click.ClickException(f"Không có đơn vị mã «{unit_code}».")
    data = coverage(unit, on, for_year).as_dict()
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["unit_code", "unit_name", "figure", "numerator", "denominator", "value", "target", "status"])
    for code, name, figures in [(data["unit"], data["unit_name"], data["figures"])] + [(c["unit"], c["name"], c["figures"]) for c in data["children"]]:
        for figure, f in figures.items():
            values = ("" if f[k] is None else f[k] for k in ("numerator", "denominator", "value", "target", "status"))
            writer.writerow([safe_text(code), safe_text(name), figure, *values])
    click.echo(buf.getvalue(), nl=False)


def register(group: AppGroup) -> None:
    group.add_command(plans_cli)
    group.add_command(coverage_command)
    # after the demo province exists (step 90), so the plan finds its province
    register_setup_step(95, "plans (lms/reports/plans/)", load_plans)
