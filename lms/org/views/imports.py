"""Roster imports: template downloads, upload + dry run (kiểm tra), then the real import (nhập).

Both the check and the import run as background jobs (``org.imports.jobs``): the upload and the confirmation
start one and redirect to its page, which shows the progress and then the result (counts, every bad row).
The uploaded file is kept under ``instance/uploads/`` (or ``IMPORT_UPLOAD_DIR``) between the check and the import, named by
the uploader's id and a random token; it is deleted after a successful import, and files older
than a day are swept on every upload. When the check lists changes to existing units (a unit renamed, moved,
ended), the import applies them only if the officer ticks that they agree to them.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from ...core import jobs
from ...core.access import roles_required, user_scope_path
from ...core.nav import register_nav
from ...core.roles import OFFICERS
from ...core.spreadsheet import csv_response, template_csv, template_xlsx
from ..forms.imports import TOKEN_PATTERN, ImportConfirmForm, ImportUploadForm
from ..imports import ENTITY_TITLES, KINDS, ImportResult
from ..imports.jobs import claim  # (importing the module registers the job)
from . import bp

register_nav("Nhập dữ liệu", "org.imports", OFFICERS, order=80)

#: How many bad rows the result page shows (the CSV download has them all).
ERRORS_SHOWN = 1000
MAX_AGE_SECONDS = 24 * 3600
FILE_SLUGS = {"units": "don-vi", "mediators": "hoa-giai-vien", "trainers": "tap-huan-vien", "supporters": "nguoi-ho-tro-phap-ly"}


def _spec(kind: str):
    spec = KINDS.get(kind)
    if spec is None:
        abort(404)
    return spec


def _slug(spec) -> str:
    return FILE_SLUGS.get(spec.key) or spec.slug or spec.key


def _scope():
    """The importer's unit, or ``None`` for a system administrator (everywhere)."""
    return None if user_scope_path() is None else current_user.unit


def _upload_dir() -> Path:
    path = Path(current_app.config.get("IMPORT_UPLOAD_DIR") or Path(current_app.instance_path) / "uploads")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sweep(directory: Path) -> None:
    limit = time.time() - MAX_AGE_SECONDS  # wall clock: file ages
    for old in directory.glob("import-*"):
        try:
            if old.stat().st_mtime < limit:
                old.unlink()
        except OSError:
            continue


def _stored(kind: str, token: str) -> Path:
    """The file this user uploaded under ``token`` (404 for anything else)."""
    if not re.fullmatch(TOKEN_PATTERN, token):
        abort(404)
    for ext in (".xlsx", ".csv"):
        path = _upload_dir() / f"import-{kind}-{current_user.id}-{token}{ext}"
        if path.is_file():
            return path
    abort(404)


def _index(forms: dict | None = None, status: int = 200):
    forms = forms or {}
    for kind in KINDS:
        forms.setdefault(kind, ImportUploadForm(prefix=kind, formdata=None))
    return render_template("org/imports.html", kinds=KINDS, forms=forms), status


def _result(spec, result, token: str | None, filename: str | None, status: int = 200, job_id: int | None = None, confirm_form=None):
    return (
        render_template(
            "org/import_result.html",
            spec=spec,
            result=result,
            token=token,
            filename=filename,
            job_id=job_id,
            entity_titles=ENTITY_TITLES,
            errors=result.errors[:ERRORS_SHOWN],
            confirm_form=confirm_form or (ImportConfirmForm(data={"token": token, "job": job_id}) if token else None),
            upload_form=ImportUploadForm(prefix=spec.key, formdata=None),
        ),
        status,
    )


def _start(kind: str, path: Path, filename: str, token: str, dry_run: bool, confirm_changes: bool = False):
    """Check or import ``path`` as a job in the user's scope; its page shows the progress, then the result."""
    scope = _scope()
    row = jobs.start(
        "import",
        {"kind": kind, "path": str(path), "filename": filename, "token": token, "dry_run": dry_run,
         "confirm_changes": confirm_changes, "scope_unit_id": scope.id if scope else None},
        user_id=current_user.id,
    )
    return redirect(url_for("org.import_job", job_id=row.id))


def _import_job(job_id: int):
    row = jobs.get_own_job(job_id)
    if row.kind != "import":
        abort(404)
    return row


def _confirmed_job(kind: str, form: ImportConfirmForm):
    """The finished job of this file whose result the officer confirms (the check), when the form names it."""
    if not form.job.data:
        return None
    row = _import_job(int(form.job.data))
    if row.result is None or row.params.get("kind") != kind or row.params.get("token") != form.token.data:
        abort(404)
    return row


@bp.route("/imports")
@roles_required(*OFFICERS)
def imports():
    return _index()


@bp.route("/imports/<kind>/template.<fmt>")
@roles_required(*OFFICERS)
def import_template(kind: str, fmt: str):
    spec = _spec(kind)
    name = f"mau-nhap-{_slug(spec)}.{fmt}"
    if fmt == "xlsx":
        body = template_xlsx(spec.columns, spec.title)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "csv":
        body, mimetype = template_csv(spec.columns), "text/csv; charset=utf-8"
    else:
        abort(404)
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.route("/imports/<kind>", methods=["POST"])
@roles_required(*OFFICERS)
def import_check(kind: str):
    """Upload, then the dry run as a job: every bad row, or what the import would create."""
    _spec(kind)
    form = ImportUploadForm(prefix=kind)
    if not form.validate_on_submit():
        return _index({kind: form}, 400)
    upload = form.file.data
    filename = Path(upload.filename or "").name
    ext = ".xlsx" if filename.lower().endswith(".xlsx") else ".csv"
    directory = _upload_dir()
    _sweep(directory)
    token = secrets.token_urlsafe(24)
    path = directory / f"import-{kind}-{current_user.id}-{token}{ext}"
    upload.save(path)
    return _start(kind, path, filename, token, dry_run=True)


@bp.route("/imports/<kind>/run", methods=["POST"])
@roles_required(*OFFICERS)
def import_run(kind: str):
    """The real import of a checked file, as a job: all rows in one transaction, or nothing."""
    spec = _spec(kind)
    form = ImportConfirmForm()
    if not form.validate_on_submit():
        flash("Yêu cầu nhập dữ liệu không hợp lệ. Hãy tải tệp lên lại.", "danger")
        return redirect(url_for("org.imports"))
    path = _stored(kind, form.token.data)
    seen = _confirmed_job(kind, form)
    if seen is not None and seen.result.get("changes") and not form.confirm_changes.data:
        form.confirm_changes.errors.append("Hãy đánh dấu đồng ý các thay đổi trước khi nhập.")
        return _result(spec, ImportResult.from_data(seen.result), form.token.data, seen.params.get("filename"), 400, seen.id, form)
    if not claim(path):
        flash("Tệp này đang được nhập (có thể bạn đã bấm «Nhập dữ liệu» hai lần). Hãy chờ kết quả của lần nhập trước.", "warning")
        return redirect(url_for("org.imports"))
    return _start(kind, path, "", form.token.data, dry_run=False, confirm_changes=form.confirm_changes.data)


@bp.route("/imports/jobs/<int:job_id>")
@roles_required(*OFFICERS)
def import_job(job_id: int):
    """A check or an import: its progress while it runs, then its result."""
    row = _import_job(job_id)
    params = row.params
    spec = _spec(params["kind"])
    if row.status != "done" or row.result is None:
        done, total = jobs.live_progress(row)
        percent = 100 if row.status == "done" else (100 * done) // total if total else 0
        return render_template("org/import_job.html", job=row, spec=spec, done=done, total=total, percent=percent)
    result = ImportResult.from_data(row.result)
    if result.dry_run:
        still_there = not result.file_error and Path(params["path"]).is_file()
        status = 200 if result.ok or result.only_changes_to_confirm else 422
        return _result(spec, result, params["token"] if still_there else None, params.get("filename"), status, row.id)
    if not result.ok:
        if result.only_changes_to_confirm:
            flash("Các thay đổi đơn vị đã có chưa được đồng ý nên không có dữ liệu nào được ghi.", "danger")
        else:
            flash("Dữ liệu đã thay đổi từ lúc kiểm tra và tệp không còn hợp lệ. Không có dữ liệu nào được ghi.", "danger")
        still_there = Path(params["path"]).is_file()
        return _result(spec, result, params["token"] if still_there and result.errors else None, None, 422, row.id)
    return render_template("org/import_done.html", spec=spec, result=result, entity_titles=ENTITY_TITLES)


@bp.route("/imports/jobs/<int:job_id>/errors.csv")
@roles_required(*OFFICERS)
def import_errors(job_id: int):
    """The bad rows a check found, as CSV (the page shows the first ones)."""
    row = _import_job(job_id)
    if row.result is None:
        abort(404)
    result = ImportResult.from_data(row.result)
    rows = ([["", "", result.file_error]] if result.file_error else []) + [[e.row, e.column, e.message] for e in result.errors]
    return csv_response(["Dòng", "Cột", "Lỗi"], rows, f"loi-nhap-{_slug(_spec(result.kind))}.csv")
