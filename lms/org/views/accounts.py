"""Accounts: list in scope, create (officers, trainers, mediators from the roster), reset, disable,
the printable sheet of new logins per commune, and the user's own profile."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...core import audit, clock
from ...core.access import get_scoped_or_404, login_required, roles_required, scoped
from ...core.errors import ServiceError
from ...core.nav import register_nav
from ...core.pagination import paginate
from ...core.phones import normalize_phone
from ...core.roles import ALL_ROLES, MANAGEABLE, OFFICERS, Role
from ...core.web import scoped_by_code, service_errors
from ...extensions import db
from ..forms.accounts import AccountForm, ActionForm, ConfirmForm
from ..models import Person, Unit, UnitKind, User
from ..services import accounts
from . import bp

register_nav("Tài khoản", "org.accounts", OFFICERS, order=80)
register_nav("Cá nhân", "org.profile", ALL_ROLES, order=95)

STATUSES = {"": "Tất cả trạng thái", "active": "Đang hoạt động", "disabled": "Đã khóa"}


def _scoped_commune_or_404(commune_id: int) -> Unit:
    commune = get_scoped_or_404(Unit, commune_id)
    if commune.kind != UnitKind.COMMUNE:
        abort(404)
    return commune


def _managed_or_403(user_id: int) -> User:
    """An account in scope (else 404) that the current user may manage (else 403)."""
    user = get_scoped_or_404(User, user_id)
    if not accounts.manageable(current_user, user):
        abort(403)
    return user


def _person_url(person: Person | None) -> str | None:
    if person is None or "org.person" not in current_app.view_functions:
        return None
    return url_for("org.person", person_id=person.id)


def _commune_of(unit: Unit | None) -> Unit | None:
    while unit is not None and unit.kind != UnitKind.COMMUNE:
        unit = unit.parent
    return unit


# --------------------------------------------------------------------------- list and detail


@bp.route("/accounts", endpoint="accounts")
@roles_required(*OFFICERS)
def accounts_list():
    """Endpoint ``org.accounts`` (the function is named so it does not shadow the service module)."""
    args = request.args
    role = Role(args["role"]) if args.get("role") in {r.value for r in Role} else None
    unit_code = args.get("unit", "").strip()
    unit = scoped_by_code(Unit, unit_code)
    if unit_code and unit is None:
        flash(f"Không tìm thấy đơn vị có mã «{unit_code}» trong phạm vi quản lý của bạn.", "warning")
    status = args.get("status", "") if args.get("status", "") in STATUSES else ""
    must_change = args.get("must_change") == "1"
    q = args.get("q", "").strip()
    stmt = accounts.accounts_query(current_user, role=role, unit=unit, q=q, status=status, must_change=must_change)
    page = paginate(stmt.options(selectinload(User.unit), selectinload(User.person)))
    # the commune whose bulk creation / login sheet to offer
    commune = unit if unit is not None and unit.kind == UnitKind.COMMUNE else None
    if commune is None and current_user.unit.kind == UnitKind.COMMUNE:
        commune = current_user.unit
    return render_template(
        "org/accounts.html",
        page=page,
        roles=list(Role),
        role=role,
        unit_code=unit_code,
        unit=unit,
        status=status,
        statuses=STATUSES,
        must_change=must_change,
        q=q,
        commune=commune,
        can_create=bool(_creatable_roles()),
        manageable=lambda u: accounts.manageable(current_user, u),
    )


@bp.route("/accounts/<int:user_id>")
@roles_required(*OFFICERS)
def account(user_id: int):
    user = get_scoped_or_404(User, user_id)
    return render_template(
        "org/account.html",
        user=user,
        can_manage=accounts.manageable(current_user, user),
        commune=_commune_of(user.unit),
        person_url=_person_url(user.person),
        history=audit.history(user),
    )


# --------------------------------------------------------------------------- create


def _creatable_roles() -> list[Role]:
    """Roles the current user may create on this screen (mediators come from the roster)."""
    return [r for r in MANAGEABLE[current_user.role] if r != Role.MEDIATOR]


@bp.route("/accounts/new", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def account_new():
    roles = _creatable_roles()
    if not roles:
        abort(403)
    form = AccountForm()
    form.set_roles(roles)
    if request.method == "GET":
        form.unit_code.data = current_user.unit.code
    if form.validate_on_submit():
        role = Role(form.role.data)
        with service_errors(form, {"person": "phone", "unit": "unit_code"}) as outcome:
            user, password = _create_from_form(form, role)
        if outcome.ok:
            return render_template("org/account_created.html", user=user, password=password, commune=_commune_of(user.unit),
                                   person_url=_person_url(user.person))
    return render_template("org/account_new.html", form=form)


def _create_from_form(form: AccountForm, role: Role) -> tuple[User, str]:
    if role == Role.TRAINER:
        phone = normalize_phone(form.phone.data)
        if not phone:
            raise ServiceError("Hãy nhập số điện thoại của tập huấn viên (như trong danh sách tập huấn viên).", "phone")
        person = db.session.scalar(scoped(select(Person).where(Person.phone == phone), Person).order_by(Person.id).limit(1))
        if person is None:
            raise ServiceError(f"Không tìm thấy người có số điện thoại {phone} trong danh sách thuộc phạm vi của bạn.", "phone")
        return accounts.create_mediator_account(person, current_user, role=Role.TRAINER)
    missing = False
    if not (form.username.data or "").strip():
        form.username.errors = [*form.username.errors, "Hãy nhập tên đăng nhập."]
        missing = True
    if not (form.full_name.data or "").strip():
        form.full_name.errors = [*form.full_name.errors, "Hãy nhập họ và tên."]
        missing = True
    unit = None
    if not (form.unit_code.data or "").strip():
        form.unit_code.errors = [*form.unit_code.errors, "Hãy nhập mã đơn vị."]
        missing = True
    else:
        unit = scoped_by_code(Unit, form.unit_code.data)
        if unit is None:
            raise ServiceError(f"Không tìm thấy đơn vị có mã «{form.unit_code.data.strip()}» trong phạm vi quản lý của bạn.", "unit")
    if missing or unit is None:
        raise ServiceError("Hãy sửa các ô được đánh dấu.", None)
    return accounts.create_user(username=form.username.data.strip(), role=role, unit=unit, full_name=form.full_name.data, by=current_user)


@bp.route("/accounts/person/<int:person_id>", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def person_account_create(person_id: int):
    """An account for one person of the roster (GET: confirm, POST: create)."""
    person = get_scoped_or_404(Person, person_id)
    form = ActionForm()
    error = None
    if form.validate_on_submit():
        with service_errors(flash_as=None) as outcome:
            user, password = accounts.create_mediator_account(person, current_user)
        if outcome.ok:
            return render_template("org/account_created.html", user=user, password=password, commune=_commune_of(user.unit),
                                   person_url=_person_url(person))
        error = outcome.error.message
    existing = accounts.account_of(person)
    target = accounts.account_role_for(person, current_user)
    if error is None:
        if existing is not None:
            error = f"«{person.full_name}» đã có tài khoản «{existing.username}»."
        elif problem := accounts.username_problem(person.phone):
            error = f"«{person.full_name}» {problem}."
        elif target is None:
            error = f"«{person.full_name}» hiện không là hòa giải viên hay tập huấn viên đang hoạt động mà bạn được cấp tài khoản."
    return render_template(
        "org/account_person.html",
        person=person,
        form=form,
        error=error,
        existing=existing,
        target=target,
        username=normalize_phone(person.phone),
        person_url=_person_url(person),
    )


@bp.route("/accounts/commune/<int:commune_id>/create", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def commune_accounts_create(commune_id: int):
    """Accounts for every mediator of the commune who has none yet (GET: who; POST: create)."""
    commune = _scoped_commune_or_404(commune_id)
    with service_errors() as outcome:
        plan = accounts.plan_commune_accounts(commune, current_user)
    if not outcome.ok:
        return redirect(url_for("org.accounts"))
    form = ActionForm()
    if form.validate_on_submit():
        if not plan.eligible:
            flash("Không có hòa giải viên nào cần tạo tài khoản.", "info")
            return redirect(url_for("org.commune_accounts_create", commune_id=commune.id))
        with service_errors(flash_as="Không tạo được tài khoản nào: {}") as outcome:
            created = accounts.create_commune_accounts(commune, current_user, plan=plan)
        if not outcome.ok:
            return redirect(url_for("org.commune_accounts_create", commune_id=commune.id))
        message = f"Đã tạo {len(created)} tài khoản hòa giải viên cho {commune.name}."
        if plan.skipped:
            message += f" Bỏ qua {len(plan.skipped)} người (xem danh sách bên dưới phiếu)."
        flash(message, "success")
        return redirect(url_for("org.login_sheet", commune_id=commune.id))
    return render_template("org/account_commune.html", commune=commune, plan=plan, form=form)


@bp.route("/accounts/commune/<int:commune_id>/sheet")
@roles_required(*OFFICERS)
def login_sheet(commune_id: int):
    """A printable (A4) sheet of the commune's logins whose one-time password is still unchanged."""
    commune = _scoped_commune_or_404(commune_id)
    rows = accounts.login_sheet_rows(commune, current_user)
    skipped = accounts.plan_commune_accounts(commune, current_user).skipped if Role.MEDIATOR in MANAGEABLE[current_user.role] else []
    login_url = current_app.config["PUBLIC_URL"].rstrip("/") + url_for("auth.login")
    return render_template(
        "org/login_sheet.html",
        commune=commune,
        rows=rows,
        skipped=skipped,
        login_url=login_url,
        today=clock.today(),
        min_password=accounts.MIN_PASSWORD,
    )


# --------------------------------------------------------------------------- reset, disable, enable


@bp.route("/accounts/<int:user_id>/reset", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def account_reset(user_id: int):
    user = _managed_or_403(user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        password = accounts.reset_password(user)
        return render_template("org/account_password.html", user=user, password=password, commune=_commune_of(user.unit))
    return render_template(
        "org/account_confirm.html",
        user=user,
        form=form,
        title="Đặt lại mật khẩu",
        message=(
            "Mật khẩu hiện tại của tài khoản sẽ ngừng hoạt động ngay. Một mật khẩu một lần mới sẽ được tạo và chỉ hiện một lần; "
            "người dùng phải đổi mật khẩu khi đăng nhập lần đầu."
        ),
        submit="Đặt lại mật khẩu",
        danger=True,
    )


@bp.route("/accounts/<int:user_id>/disable", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def account_disable(user_id: int):
    user = _managed_or_403(user_id)
    if not user.is_active:
        flash("Tài khoản này đã bị khóa.", "info")
        return redirect(url_for("org.account", user_id=user.id))
    form = ConfirmForm()
    if form.validate_on_submit():
        accounts.set_active(user, False)
        flash(f"Đã khóa tài khoản «{user.username}». Người dùng không thể đăng nhập cho đến khi được mở khóa.", "success")
        return redirect(url_for("org.account", user_id=user.id))
    return render_template(
        "org/account_confirm.html",
        user=user,
        form=form,
        title="Khóa tài khoản",
        message="Người dùng sẽ bị đăng xuất và không thể đăng nhập cho đến khi tài khoản được mở khóa. Dữ liệu học tập vẫn được giữ nguyên.",
        submit="Khóa tài khoản",
        danger=True,
    )


@bp.route("/accounts/<int:user_id>/enable", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def account_enable(user_id: int):
    user = _managed_or_403(user_id)
    if user.is_active:
        flash("Tài khoản này đang hoạt động.", "info")
        return redirect(url_for("org.account", user_id=user.id))
    form = ConfirmForm()
    if form.validate_on_submit():
        accounts.set_active(user, True)
        flash(f"Đã mở khóa tài khoản «{user.username}».", "success")
        return redirect(url_for("org.account", user_id=user.id))
    return render_template(
        "org/account_confirm.html",
        user=user,
        form=form,
        title="Mở khóa tài khoản",
        message="Người dùng sẽ đăng nhập lại được bằng mật khẩu hiện có của mình.",
        submit="Mở khóa tài khoản",
        danger=False,
    )


# --------------------------------------------------------------------------- profile


@bp.route("/profile")
@login_required
def profile():
    user = current_user._get_current_object()
    return render_template("org/account_profile.html", user=user, person_url=_person_url(user.person))
