"""The state's official list of units from the web: a check first (what would be created, what differs), then the load.

A system administrator loads any province or the whole country; a province administrator loads their own
province. Both run as a background job (``org.official_job``) whose page shows the progress, then the result.
"""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from ...core import jobs
from ...core.access import roles_required
from ...core.roles import Role
from ...extensions import db
from .. import official_job
from ..forms.units import OfficialListForm
from ..imports.result import ImportResult
from ..models import Unit, UnitKind
from ..services import official, roster
from . import bp

LOADERS = (Role.SYSTEM_ADMIN, Role.PROVINCE_ADMIN)


def _own_province() -> Unit | None:
    """A province administrator's province (``None`` for a system administrator: any province)."""
    if current_user.role == Role.SYSTEM_ADMIN:
        return None
    unit = db.session.get(Unit, current_user.unit_id)
    if unit is None or unit.kind != UnitKind.PROVINCE:
        abort(403)
    return unit


def _form() -> OfficialListForm:
    form = OfficialListForm()
    own = _own_province()
    if own is not None:
        form.province.choices = [(own.code, own.name)]
    else:
        provinces = [u for u in official.official_units() if u.kind == UnitKind.PROVINCE]
        form.province.choices = [("", "Cả nước (34 tỉnh, thành phố)")] + [(u.code, f"{u.code} · {u.name}") for u in provinces]
    return form


@bp.route("/units/official", methods=["GET", "POST"])
@roles_required(*LOADERS)
def units_official():
    """GET: the form; POST: start the check (``action=check``) or the load (``action=load``)."""
    form = _form()
    own = _own_province()
    if form.validate_on_submit():
        code = own.code if own is not None else official.official_code_arg(form.province.data)
        history = bool(form.history.data) and code in official.HISTORY_FILES
        row = official_job.start(code, history, bool(form.confirm_changes.data), request.form.get("action") != "load", current_user)
        return redirect(url_for("org.units_official_job", job_id=row.id))
    return render_template(
        "org/units_official.html", form=form, own=own, history_provinces=official.HISTORY_FILES, data_version=official.data_version(),
    ), 400 if form.errors else 200


@bp.route("/units/official/jobs/<int:job_id>")
@roles_required(*LOADERS)
def units_official_job(job_id: int):
    """The check or the load: its progress while it runs, then what it found or did."""
    row = jobs.get_own_job(job_id)
    if row.kind != official_job.KIND:
        abort(404)
    if row.status != "done" or row.result is None:
        done, total = jobs.live_progress(row)
        percent = 100 if row.status == "done" else (100 * done) // total if total else 0
        return render_template("org/units_official_job.html", job=row, done=done, total=total, percent=percent)
    history = ImportResult.from_data(row.result["history"]) if row.result.get("history") else None
    form = _form()
    form.province.data = row.params["province"] or ""
    form.history.data = row.params["history"]
    form.confirm_changes.data = row.params["confirm_changes"]
    province = roster.unit_by_code(row.params["province"]) if row.params["province"] else None
    return render_template(
        "org/units_official_result.html", job=row, params=row.params, report=row.result["official"], history=history,
        written=row.result.get("written"), form=form, province=province,
    )
