"""Certificates: the learner's list, officers' lists, verification (public)."""

from __future__ import annotations

import datetime as dt
import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased, selectinload

from ..core import audit, clock
from ..core import format as fmt
from ..core.access import get_scoped_or_404, login_required, public, roles_required, scoped
from ..core.nav import register_nav
from ..core.pagination import paginate
from ..core.panels import register_panel
from ..core.roles import OFFICERS, STAFF, Role
from ..core.spreadsheet import csv_response
from ..core.text import nfc
from ..core.web import scoped_by_code, scoped_choices, service_errors
from ..curriculum.models import Program
from ..extensions import db, limiter
from ..org.models import Person, Unit, UnitKind
from ..org.services import roster
from . import imports as _imports  # noqa: F401  (registers the "certificates" import kind)
from . import services  # noqa: F401  (connects the program_completed receiver)
from .forms import ExternalForm, ReissueForm, RevokeForm, SettingsForm
from .models import Certificate, CertificateSource, CertificateStatus

bp = Blueprint("certificates", __name__, url_prefix="/certificates", template_folder="templates")
#: Public verification (the QR code's target) and its JSON twin: no prefix, no login.
verify_bp = Blueprint("verify", __name__, template_folder="templates")

register_nav("Giấy chứng nhận", "certificates.mine", (Role.MEDIATOR, Role.TRAINER), order=20)
register_nav("Giấy chứng nhận", "certificates.list", OFFICERS, order=20, match=("certificates.list", "certificates.detail", "certificates.revoke", "certificates.reissue", "certificates.bulk", "certificates.job"))

VERIFY_LIMIT = "60 per minute"
#: Above this many communes in scope the list filter asks for a commune code instead of offering a select.
STATUS_FILTERS = {"": "Mọi trạng thái", **CertificateStatus.TITLES}
SETTINGS_FIELDS = ("serial_prefix", "issuer_name", "issuer_parent", "signer_title", "signer_name", "place")
CSV_HEADERS = [
    "Số hiệu", "Họ và tên", "Năm sinh", "Chương trình", "Ngày cấp", "Đơn vị cấp", "Xã", "Thôn",
    "Trạng thái", "Ngày thu hồi", "Lý do thu hồi", "Nguồn",
]


def init_app(app) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(verify_bp)


# --------------------------------------------------------------------------- helpers


def _user():
    return current_user._get_current_object()


def _is_staff() -> bool:
    return current_user.role in STAFF


def _is_officer() -> bool:
    return current_user.role in OFFICERS


def _revoked_by(today: dt.date):
    return and_(Certificate.revoked_on.is_not(None), Certificate.revoked_on <= today)


def _status_condition(status: str, today: dt.date):
    """SQL for :attr:`Certificate.status` (revoked wins over replaced)."""
    not_revoked = or_(Certificate.revoked_on.is_(None), Certificate.revoked_on > today)
    if status == CertificateStatus.REVOKED:
        return _revoked_by(today)
    if status == CertificateStatus.REPLACED:
        return and_(not_revoked, Certificate.replaced_by_id.is_not(None))
    return and_(not_revoked, Certificate.replaced_by_id.is_(None))


def _status_of(revoked_on: dt.date | None, replaced_by_id: int | None, today: dt.date) -> CertificateStatus:
    if revoked_on is not None and revoked_on <= today:
        return CertificateStatus.REVOKED
    if replaced_by_id is not None:
        return CertificateStatus.REPLACED
    return CertificateStatus.VALID


def _current_programs() -> list[Program]:
    return list(db.session.scalars(select(Program).where(Program.is_current.is_(True)).order_by(Program.code)))


def commune_choices() -> list[Unit] | None:
    """The communes in scope valid today for a filter's select (not those a reform ended: their codes may name
    today's communes), or ``None`` when there are too many (a code box then)."""
    return scoped_choices(Unit, Unit.kind == UnitKind.COMMUNE, Unit.active_clause(clock.today()), order_by=(Unit.sort_key, Unit.id))


class Filters:
    """The list's filters from the query string, applied to any ``select`` that has ``Certificate`` in it."""

    def __init__(self, args) -> None:
        self.program = (args.get("program") or "").strip()
        self.year = args.get("year", type=int)
        self.commune_code = (args.get("commune") or "").strip().upper()
        self.status = args.get("status", "")
        self.status = self.status if self.status in CertificateStatus.TITLES else ""
        self.q = (args.get("q") or "").strip()
        self.warnings: list[str] = []
        if args.get("year") and (self.year is None or not 1990 <= self.year <= 2100):
            self.warnings.append(f"Năm «{args.get('year')}» không hợp lệ; đang hiện mọi năm.")
            self.year = None
        self.commune = scoped_by_code(Unit, self.commune_code) if self.commune_code else None
        if self.commune_code and self.commune is None:
            self.warnings.append(f"Không tìm thấy đơn vị có mã «{self.commune_code}» trong phạm vi quản lý của bạn; đang hiện mọi đơn vị.")

    def apply(self, stmt):
        today = clock.today()
        if self.program:
            stmt = stmt.where(Certificate.program_code == self.program)
        if self.year:
            stmt = stmt.where(Certificate.issued_on.between(dt.date(self.year, 1, 1), dt.date(self.year, 12, 31)))
        if self.commune is not None:
            stmt = stmt.where(Certificate.scope_clause(self.commune.path))
        if self.status:
            stmt = stmt.where(_status_condition(self.status, today))
        if self.q:
            text = nfc(self.q) or ""
            stmt = stmt.where(
                or_(
                    Certificate.person_id.in_(select(Person.id).where(roster.search_condition(text))),
                    Certificate.serial == text.upper(),
                    Certificate.external_serial == text,
                )
            )
        return stmt

    def args(self) -> dict:
        values = {"program": self.program, "year": self.year, "commune": self.commune_code if self.commune else "", "status": self.status, "q": self.q}
        return {k: v for k, v in values.items() if v}


# --------------------------------------------------------------------------- public verification


def _verify_payload(code: str, cert: Certificate | None) -> dict:
    if cert is None:
        return {"code": code, "status": "unknown", "serial": None, "name": None, "program": None, "issued_on": None, "issuer": None, "revoked_on": None}
    status = cert.status
    return {
        "code": code,
        "status": status.value,
        "serial": cert.serial,
        "name": cert.holder_name,
        "program": cert.program_title,
        "issued_on": cert.issued_on.isoformat(),
        "issuer": cert.issuer_name,
        "revoked_on": cert.revoked_on.isoformat() if status == CertificateStatus.REVOKED else None,
    }


@verify_bp.route("/verify/<code>")
@public
@limiter.limit(VERIFY_LIMIT)
def verify(code: str):
    """The page the QR code opens: valid, revoked (with date), replaced or unknown, and nothing personal beyond the name."""
    cert = services.by_code(code)
    response = render_template("certificates/verify.html", cert=cert, status=cert.status if cert else "unknown", code=code)
    return response, (200 if cert is not None else 404)


@verify_bp.route("/api/v1/certificates/<code>")
@public
@limiter.limit(VERIFY_LIMIT)
def api_certificate(code: str):
    cert = services.by_code(code)
    return _verify_payload(code, cert), (200 if cert is not None else 404)


# --------------------------------------------------------------------------- a person's own


@bp.route("/mine")
@login_required
def mine():
    """Giấy chứng nhận của tôi."""
    certs = []
    if current_user.person_id is not None:
        certs = db.session.scalars(
            scoped(select(Certificate), Certificate)
            .where(Certificate.owner_clause(current_user.person_id))
            .order_by(Certificate.issued_on.desc(), Certificate.id.desc())
        ).all()
    return render_template("certificates/mine.html", certs=certs, has_person=current_user.person_id is not None, is_staff=_is_staff())


@bp.route("/<int:cert_id>.pdf")
@login_required
def download(cert_id: int):
    from .pdf import certificate_pdf

    cert = get_scoped_or_404(Certificate, cert_id)
    data = certificate_pdf(cert)
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=f"{cert.serial}.pdf")


@bp.route("/<int:cert_id>")
@login_required
def detail(cert_id: int):
    cert = get_scoped_or_404(Certificate, cert_id)
    replaces = db.session.scalars(
        scoped(select(Certificate), Certificate).where(Certificate.replaced_by_id == cert.id).order_by(Certificate.id)
    ).all()
    replacement = get_scoped_or_404(Certificate, cert.replaced_by_id) if cert.replaced_by_id else None
    return render_template(
        "certificates/detail.html",
        cert=cert,
        replaces=replaces,
        replacement=replacement,
        history=audit.history(cert) if _is_staff() else [],
        is_staff=_is_staff(),
        can_change=_is_officer(),
        verify_url=services.verification_url(cert),
        source_title=cert.source_title,
        mode_title=cert.mode_title,
    )


# --------------------------------------------------------------------------- officers' list and export


@bp.route("/", endpoint="list")
@roles_required(*STAFF)
def certificate_list():
    filters = Filters(request.args)
    for message in filters.warnings:
        flash(message, "warning")
    stmt = filters.apply(scoped(select(Certificate), Certificate))
    stmt = stmt.options(selectinload(Certificate.person).selectinload(Person.unit)).order_by(Certificate.issued_on.desc(), Certificate.id.desc())
    page = paginate(stmt)
    return render_template(
        "certificates/list.html",
        page=page,
        filters=filters,
        programs=_current_programs(),
        communes=commune_choices(),
        status_filters=STATUS_FILTERS,
        can_change=_is_officer(),
        can_settings=current_user.role in (Role.PROVINCE_ADMIN, Role.SYSTEM_ADMIN),
    )


@bp.route("/export.csv")
@roles_required(*STAFF)
def list_csv():
    """The filtered list as CSV (UTF-8 with BOM so Excel reads the diacritics), streamed in chunks."""
    filters = Filters(request.args)
    home = aliased(Unit)
    parent = aliased(Unit)
    stmt = (
        select(
            Certificate.serial, Certificate.holder_name, Certificate.holder_birth_year, Certificate.program_title, Certificate.issued_on,
            Certificate.issuer_name, Certificate.revoked_on, Certificate.revoke_reason, Certificate.replaced_by_id, Certificate.source,
            home.name, home.kind, parent.name,
        )
        .join(Person, Person.id == Certificate.person_id)
        .join(home, home.id == Person.unit_id)
        .outerjoin(parent, parent.id == home.parent_id)
    )
    stmt = filters.apply(scoped(stmt, Certificate)).order_by(Certificate.issued_on, Certificate.id)
    today = clock.today()

    def rows():
        for r in db.session.execute(stmt.execution_options(yield_per=1000)):
            (serial, name, birth_year, program, issued_on, issuer, revoked_on, reason, replaced_by_id, source, home_name, home_kind, parent_name) = r
            if home_kind == UnitKind.VILLAGE:
                commune, village = parent_name or "", home_name
            elif home_kind == UnitKind.COMMUNE:
                commune, village = home_name, ""
            else:
                commune, village = "", ""
            status = _status_of(revoked_on, replaced_by_id, today)
            yield [
                serial, name, birth_year or "", program, fmt.date(issued_on), issuer, commune, village,
                status.title, fmt.date(revoked_on) if status == CertificateStatus.REVOKED else "",
                (reason or "") if status == CertificateStatus.REVOKED else "",
                CertificateSource.TITLES.get(source, source),
            ]

    name = f"giay-chung-nhan-{filters.commune.code if filters.commune else 'tat-ca'}-{today:%Y%m%d}.csv"
    return csv_response(CSV_HEADERS, rows(), name)


# --------------------------------------------------------------------------- revoke, re-issue


@bp.route("/<int:cert_id>/revoke", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def revoke(cert_id: int):
    cert = get_scoped_or_404(Certificate, cert_id)
    if cert.revoked_on is not None:
        flash(f"Giấy chứng nhận này đã bị thu hồi từ ngày {fmt.date(cert.revoked_on)}.", "warning")
        return redirect(url_for("certificates.detail", cert_id=cert.id))
    form = RevokeForm()
    if form.validate_on_submit():
        with service_errors(form) as outcome:
            services.revoke(cert, form.reason.data, by=_user(), on=form.revoked_on.data)
        if outcome.ok:
            flash(f"Đã thu hồi giấy chứng nhận số {cert.serial} từ ngày {fmt.date(cert.revoked_on)}.", "success")
            return redirect(url_for("certificates.detail", cert_id=cert.id))
    return render_template("certificates/revoke.html", cert=cert, form=form)


@bp.route("/<int:cert_id>/reissue", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def reissue(cert_id: int):
    cert = get_scoped_or_404(Certificate, cert_id)
    if cert.revoked_on is not None or cert.replaced_by_id is not None:
        flash(
            "Không thể cấp lại giấy chứng nhận đã bị thu hồi." if cert.revoked_on is not None
            else "Giấy chứng nhận này đã được cấp lại; hãy cấp lại từ bản mới nhất.",
            "warning",
        )
        return redirect(url_for("certificates.detail", cert_id=cert.id))
    form = ReissueForm(holder_name=cert.holder_name, holder_birth_year=cert.holder_birth_year)
    if form.validate_on_submit():
        with service_errors(form) as outcome:
            new = services.reissue(cert, holder_name=form.holder_name.data, holder_birth_year=form.holder_birth_year.data, by=_user())
        if outcome.ok:
            flash(f"Đã cấp lại giấy chứng nhận số {new.serial}; giấy số {cert.serial} được đánh dấu đã được thay thế.", "success")
            return redirect(url_for("certificates.detail", cert_id=new.id))
    return render_template("certificates/reissue.html", cert=cert, form=form)


# --------------------------------------------------------------------------- past trainings


@bp.route("/external/<int:person_id>", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def record_external(person_id: int):
    """A certificate issued outside the system (on paper), recorded one by one so that coverage counts it."""
    person = get_scoped_or_404(Person, person_id)
    form = ExternalForm()
    form.program_code.choices = [("", "— Chọn —")] + [(p.code, f"{p.title} ({p.code})") for p in _current_programs()]
    if form.validate_on_submit():
        with service_errors(form) as outcome:
            cert = services.record_external(
                person=person,
                program_code=form.program_code.data,
                issued_on=form.issued_on.data,
                external_serial=form.external_serial.data,
                issuer=form.issuer.data,
                basis=form.basis.data,
                by=_user(),
            )
        if outcome.ok:
            flash(f"Đã ghi nhận giấy chứng nhận cấp ngoài hệ thống cho {person.full_name} (số hiệu trong hệ thống {cert.serial}).", "success")
            return redirect(url_for("certificates.detail", cert_id=cert.id))
    existing = db.session.scalars(
        scoped(select(Certificate), Certificate).where(Certificate.person_id == person.id).order_by(Certificate.issued_on.desc())
    ).all()
    return render_template("certificates/external.html", person=person, form=form, existing=existing)


# --------------------------------------------------------------------------- per-province settings


@bp.route("/settings", methods=["GET", "POST"])
@roles_required(Role.PROVINCE_ADMIN, Role.SYSTEM_ADMIN)
def settings():
    """What every certificate of a province prints: serial prefix, issuing body, signer, place."""
    if current_user.role == Role.SYSTEM_ADMIN:
        code = (request.args.get("unit") or "").strip().upper()
        if not code:
            provinces = paginate(scoped(select(Unit), Unit).where(Unit.kind == UnitKind.PROVINCE).order_by(Unit.sort_key, Unit.id))
            return render_template("certificates/settings_choose.html", page=provinces)
        province = scoped_by_code(Unit, code, [UnitKind.PROVINCE])
        if province is None:
            abort(404)
    else:
        province = get_scoped_or_404(Unit, services.province_of(current_user.unit).id)
    current = services.settings_for(province)
    form = SettingsForm(obj=current)
    if form.validate_on_submit():
        fields = {name: (getattr(form, name).data or "").strip() for name in SETTINGS_FIELDS}
        fields["serial_prefix"] = fields["serial_prefix"].upper()
        with service_errors(form) as outcome:
            services.update_settings(current, **fields)
        if outcome.ok:
            flash(f"Đã lưu mẫu giấy chứng nhận của {province.name}. Giấy cấp từ nay dùng các thông tin mới.", "success")
            return redirect(url_for("certificates.settings", unit=province.code if current_user.role == Role.SYSTEM_ADMIN else None))
    return render_template("certificates/settings.html", form=form, province=province)


def _certificates_panel(person: Person):
    """On the roster's person page: the person's certificates, and recording a past (paper) one."""
    if not current_user.is_authenticated:
        return None
    certs = db.session.scalars(
        scoped(select(Certificate), Certificate).where(Certificate.person_id == person.id).order_by(Certificate.issued_on.desc())
    ).all()
    return render_template("certificates/_person_panel.html", person=person, certs=certs, is_officer=current_user.role in OFFICERS)


register_panel("person", _certificates_panel, order=30)


def _completion_panel(person_and_code):
    """On the learner's result and program pages: the certificate just issued, to download at once."""
    person, code = person_and_code
    if person is None or not current_user.is_authenticated:
        return None
    cert = db.session.scalar(
        scoped(select(Certificate), Certificate)
        .where(Certificate.person_id == person.id, Certificate.program_code == code, Certificate.revoked_on.is_(None),
               Certificate.replaced_by_id.is_(None))
        .order_by(Certificate.issued_on.desc())
        .limit(1)
    )
    return render_template("certificates/_completion_panel.html", cert=cert) if cert else None


register_panel("program_completed", _completion_panel)
