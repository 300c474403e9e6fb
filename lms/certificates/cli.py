"""``flask lms certificates import FILE [--dry-run]`` and ``flask lms certificates revoke SERIAL --reason TEXT``.

The command line acts for the whole installation (no scope); changes are audited with the actor "cli".
"""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..core import clock
from ..core import format as fmt
from ..core.cli import parse_day
from ..core.errors import ServiceError
from ..core.text import nfc
from ..extensions import db
from ..org.imports.cli import import_command, kind_group
from . import services
from .imports import KIND
from .models import Certificate


@click.command("revoke")
@click.argument("serial")
@click.option("--reason", required=True, help="Lý do thu hồi (bắt buộc).")
@click.option("--date", "day", callback=parse_day, metavar="YYYY-MM-DD", help="Ngày thu hồi (mặc định: hôm nay).")
def revoke_command(serial: str, reason: str, day: dt.date | None) -> None:
    """Revoke the certificate with this serial, such as CT-2026-000123 (it stops counting from that day)."""
    typed = nfc(serial) or ""
    cert = db.session.scalar(select(Certificate).where(Certificate.serial.in_(sorted({typed, typed.upper()}))).limit(1)) if typed else None
    if cert is None:
        click.echo(f"Không có giấy chứng nhận số hiệu «{serial}».", err=True)
        raise SystemExit(1)
    if cert.revoked_on is not None:
        click.echo(f"Giấy chứng nhận số {cert.serial} đã bị thu hồi ngày {fmt.date(cert.revoked_on)} ({cert.revoke_reason}).", err=True)
        raise SystemExit(1)
    try:
        services.revoke(cert, reason, on=day or clock.today())
    except ServiceError as exc:
        db.session.rollback()
        click.echo(exc.message, err=True)
        raise SystemExit(1) from None
    db.session.commit()
    click.echo(
        f"Đã thu hồi giấy chứng nhận số {cert.serial} ({cert.holder_name}, {cert.program_title}) "
        f"từ ngày {fmt.date(cert.revoked_on)}. Lý do: {cert.revoke_reason}"
    )


def register(group: AppGroup) -> None:
    sub = kind_group(group, "certificates", "")
    sub.help = "Giấy chứng nhận: nhập giấy đã cấp trước đây (import), thu hồi (revoke)."
    sub.add_command(import_command(KIND.key))
    sub.add_command(revoke_command)
