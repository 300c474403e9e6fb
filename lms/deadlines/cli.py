"""``flask lms remind``: the daily reminders of the 6-month rule (see docs/reminders.md)."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app

from ..core import clock, jobs
from ..core.cli import parse_day
from ..extensions import db
from . import reminders


def register(group) -> None:
    @group.command("remind")
    @click.option("--date", "day", callback=parse_day, metavar="YYYY-MM-DD", help="Send what is due on this day (default: today).")
    def remind_command(day: dt.date | None) -> None:
        """Send the 60/30/7-day deadline reminders and the weekly overdue digests (idempotent; run daily)."""
        day = day or clock.today()
        if current_app.config.get("REDIS_URL"):
            row = jobs.start("reminders", {"date": day.isoformat()})
            click.echo(f"Queued reminders for {day.isoformat()} as job {row.id} (run by `rq worker lms`).")
            return
        summary = reminders.run_reminders(day)
        db.session.commit()
        click.echo(reminders.summary_text(summary))
