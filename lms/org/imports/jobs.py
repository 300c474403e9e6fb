"""Imports from the web run as background jobs (``core.jobs``): the check (dry run) and the import of an uploaded file.

A 100,000-row roster takes tens of seconds, which is too long for a web request: the page that
uploads or confirms starts the job and shows its progress (``org/import_job.html``) until the result is there.
The job runs the engine with the uploader's scope and writes its audit rows in the uploader's name; the
result (counts, bad rows) is kept on the job row. Progress is reported every chunk of rows
(``engine.CHUNK``) without committing: the import stays one transaction, all or nothing. The import applies the
changes to existing units its check listed only when the officer agreed to them (``params["confirm_changes"]``).
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

from ...core import audit, jobs
from ...core.models import Job
from ...extensions import db
from ..models import Unit, User
from .engine import run_import


def claim(path: Path) -> bool:
    """Take the right to import the checked file at ``path``; ``False`` when another confirmation already has it.

    Two confirmations of one file at once (a double click, two tabs) would otherwise both import it: people
    have no unique key to stop the second. The claim is a marker file created exclusively (atomic on every
    file system); the job removes it when the import did not happen, so the file can be confirmed again.
    """
    try:
        _claim_marker(path).open("x").close()
    except FileExistsError:
        return False
    return True


def _claim_marker(path: Path) -> Path:
    return path.with_name(path.name + ".claimed")


@jobs.job("import")
def run_import_job(row: Job) -> None:
    params = row.params
    path = Path(params["path"])
    dry_run = bool(params["dry_run"])
    try:
        _run(row, path, dry_run)
    finally:
        if not dry_run:  # imported (the file is gone too) or not (it may be confirmed again): the claim ends
            _claim_marker(path).unlink(missing_ok=True)


def _run(row: Job, path: Path, dry_run: bool) -> None:
    params = row.params
    scope = db.session.get(Unit, params["scope_unit_id"]) if params.get("scope_unit_id") else None
    user = db.session.get(User, row.user_id) if row.user_id else None
    with audit.acting_as(user.id, user.username) if user else nullcontext(), path.open("rb") as stream:
        result = run_import(
            params["kind"], stream, path.name, scope, dry_run=dry_run, confirm_changes=bool(params.get("confirm_changes")),
            on_progress=lambda done, total: jobs.report(row, done, total),
        )
    if dry_run or not result.ok:
        db.session.rollback()  # run_import has undone its own work; nothing else was written
        row = db.session.get(Job, row.id)
    row.result = result.as_data()
    row.done = row.total = result.rows
    db.session.commit()  # the import and its result together
    if result.file_error or (result.ok and not dry_run):
        path.unlink(missing_ok=True)  # unreadable, or imported: nothing left to confirm
