"""Many certificates in one ZIP: rendered as pages of a few large documents, then split.

WeasyPrint's cost is mostly per document (≈0.2 s here), not per page, so
rendering ``BATCH`` certificates as the pages of one document and splitting
the result is several times faster than one document per certificate.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from flask import current_app
from sqlalchemy import extract, select

from ..core.access import subtree
from ..core.jobs import job, progress
from ..core.models import Job
from ..core.pdf import render_pdf
from ..core.text import fold
from ..extensions import db
from ..org.models import Person, Unit
from .models import Certificate
from .pdf import certificates_html, split_pages

BATCH = 100


def entry_name(cert: Certificate) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(cert.holder_name)).strip("-") or "giay-chung-nhan"
    return f"{cert.serial}_{slug}.pdf"


_app = None  # the app, for forked renderer processes


def _render_split(html: str) -> list[bytes]:
    with _app.app_context():
        return list(split_pages(render_pdf(html)))


def write_zip(certs: Sequence[Certificate], path: Path, on_progress: Callable[[int, int], None] | None = None) -> int:
    """Render ``certs`` into a ZIP at ``path`` (one PDF each); returns the count.

    Batches are rendered in parallel, one process per core (fork: the children
    only turn HTML into PDF pages; the database is read here, in the parent).
    """
    global _app
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    total = len(certs)
    batches = [certs[i : i + BATCH] for i in range(0, total, BATCH)]
    workers = min(len(batches), os.cpu_count() or 1)
    _app = current_app._get_current_object()
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) if workers > 1 else None
    try:
        pending = []
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:  # PDFs are already compressed
            done = 0
            for batch in batches:
                html = certificates_html(batch)
                pending.append((batch, pool.submit(_render_split, html) if pool else None, html))
            for batch, future, html in pending:
                pages = future.result() if future else _render_split(html)
                for cert, page in zip(batch, pages, strict=True):
                    zf.writestr(entry_name(cert), page)
                done += len(batch)
                if on_progress:
                    on_progress(done, total)
    finally:
        if pool:
            pool.shutdown()
    tmp.replace(path)
    return total


def commune_year_certificates(unit: Unit, year: int) -> list[Certificate]:
    """Valid or replaced certificates issued in ``year`` to people registered in ``unit``'s subtree."""
    stmt = (
        select(Certificate)
        .join(Person, Person.id == Certificate.person_id)
        .join(Unit, Unit.id == Person.unit_id)
        .where(subtree(Unit.path, unit.path), extract("year", Certificate.issued_on) == year, Certificate.revoked_on.is_(None))
        .order_by(Certificate.serial)
    )
    return list(db.session.scalars(stmt))


def result_path(job_id: int) -> Path:
    return Path(current_app.instance_path) / "cache" / "bulk" / f"job-{job_id}.zip"


@job("certificates_zip")
def run_certificates_zip(row: Job) -> None:
    params = row.params
    if params.get("certificate_ids"):
        certs = list(db.session.scalars(select(Certificate).where(Certificate.id.in_(params["certificate_ids"])).order_by(Certificate.serial)))
    else:
        certs = commune_year_certificates(db.session.get(Unit, params["unit_id"]), int(params["year"]))
    progress(row, 0, len(certs))
    path = result_path(row.id)
    write_zip(certs, path, lambda done, total: progress(row, done, total))
    row.result_path = str(path)
    row.result_name = params.get("name") or f"giay-chung-nhan-{row.id}.zip"
