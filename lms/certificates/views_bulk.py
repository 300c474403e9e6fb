"""Bulk ZIP of certificates (a commune for a year, or a list), with a progress page."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select

from ..classes.models import ClassEnrollment, TrainingClass
from ..core import jobs
from ..core.access import get_scoped_or_404, roles_required, scoped
from ..core.models import JobStatus
from ..core.panels import register_panel
from ..core.roles import OFFICERS, STAFF
from ..extensions import db
from ..org.models import Unit
from ..org.services.roster import unit_by_code
from . import bulk  # noqa: F401  (registers the job)
from .models import Certificate
from .views import bp


@bp.route("/bulk", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def bulk_zip():
    """Start a ZIP of every certificate of a unit (commune) issued in a year."""
    code = (request.values.get("unit") or "").strip().upper()
    year = request.values.get("year", type=int)
    errors = {}
    if request.method == "POST":
        unit = unit_by_code(code) if code else None
        if unit is None or db.session.scalar(scoped(db.select(Unit.id).where(Unit.id == unit.id), Unit)) is None:
            errors["unit"] = "Không tìm thấy đơn vị có mã này trong phạm vi quản lý của bạn."
        if not year or not 2000 <= year <= 2100:
            errors["year"] = "Năm không hợp lệ."
        if not errors:
            unit = get_scoped_or_404(Unit, unit.id)
            row = jobs.start(
                "certificates_zip",
                {"unit_id": unit.id, "year": year, "name": f"giay-chung-nhan-{unit.code}-{year}.zip"},
                user_id=current_user.id,
            )
            return redirect(url_for("certificates.job", job_id=row.id))
    return render_template("certificates/bulk.html", code=code, year=year, errors=errors)


@bp.route("/jobs/<int:job_id>")
@roles_required(*STAFF)
def job(job_id: int):
    row = jobs.get_own_job(job_id)
    return render_template("certificates/job.html", job=row)


@bp.route("/jobs/<int:job_id>/download")
@roles_required(*STAFF)
def job_download(job_id: int):
    row = jobs.get_own_job(job_id)
    if row.status != JobStatus.DONE or not row.result_path:
        flash("Tệp chưa sẵn sàng.", "warning")
        return redirect(url_for("certificates.job", job_id=row.id))
    return send_file(row.result_path, mimetype="application/zip", as_attachment=True, download_name=row.result_name)


def class_certificates(klass: TrainingClass) -> list[int]:
    """Ids of the valid certificates of the class's program held by the people who completed the class."""
    completed = select(ClassEnrollment.person_id).where(ClassEnrollment.class_id == klass.id, ClassEnrollment.status == ClassEnrollment.COMPLETED)
    stmt = select(Certificate.id).where(
        Certificate.person_id.in_(completed), Certificate.program_code == klass.program_code, Certificate.revoked_on.is_(None),
        Certificate.replaced_by_id.is_(None),
    )
    return list(db.session.scalars(stmt.order_by(Certificate.serial)))


@bp.route("/bulk/class/<int:class_id>", methods=["POST"])
@roles_required(*STAFF)
def bulk_class_zip(class_id: int):
    """A ZIP of the certificates of everyone who completed a class."""
    klass = get_scoped_or_404(TrainingClass, class_id)
    ids = class_certificates(klass)
    if not ids:
        flash("Chưa có giấy chứng nhận nào của lớp này.", "warning")
        return redirect(url_for("classes.class_detail", class_id=klass.id))
    row = jobs.start("certificates_zip", {"certificate_ids": ids, "name": f"giay-chung-nhan-lop-{klass.id}.zip"}, user_id=current_user.id)
    return redirect(url_for("certificates.job", job_id=row.id))


def _class_panel(klass: TrainingClass):
    if not current_user.is_authenticated or current_user.role not in STAFF:
        return None
    return render_template("certificates/_class_panel.html", klass=klass, count=len(class_certificates(klass)))


register_panel("class", _class_panel)
