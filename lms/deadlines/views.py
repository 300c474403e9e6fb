"""The 6-month rule's work lists: counts per unit, the overdue / due-soon list with CSV,
"create a class for these people", picking people for an existing class, and the person-page panel.

Every status comes from :func:`.services.status_expr` (one SQL CASE); counts are GROUP BY
queries; every read goes through the scope helper.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import aliased, selectinload
from werkzeug.routing import BuildError

from ..certificates.models import Certificate
from ..certificates.views import commune_choices
from ..classes import services as classes
from ..classes.models import ClassEnrollment, TrainingClass
from ..core import clock
from ..core import format as fmt
from ..core.access import get_scoped_or_404, roles_required, scoped, subtree, under
from ..core.nav import register_nav
from ..core.pagination import paginate
from ..core.panels import register_panel
from ..core.roles import OFFICERS, STAFF, Role
from ..core.spreadsheet import csv_response
from ..core.web import breadcrumb, scoped_by_code, service_errors
from ..extensions import db
from ..org.models import MediatorMembership, Person, Team, Unit, UnitKind
from ..org.services.roster import search_condition
from . import services
from .services import MEDIATOR_PROGRAM, OPEN_STATUSES, DeadlineStatus, status_expr

bp = Blueprint("deadlines", __name__, url_prefix="/certificates", template_folder="templates")

register_nav(
    "Hạn bồi dưỡng 6 tháng", "deadlines.deadlines", OFFICERS + (Role.TRAINER,), order=28,
    match=("deadlines.",),
)

#: "Create a class for all filtered people" takes at most this many (earliest deadlines first).
CLASS_CAP = 200
#: Columns of the per-unit table, in order.
COUNT_STATUSES = (DeadlineStatus.OVERDUE, DeadlineStatus.DUE_SOON, DeadlineStatus.ON_TRACK, DeadlineStatus.MET_ON_TIME, DeadlineStatus.MET_LATE)
#: Column heads of the per-unit table (the full titles show on hover).
SHORT_TITLES = {"overdue": "Quá hạn", "due_soon": "Sắp đến hạn", "on_track": "Còn hạn", "met_on_time": "Bồi dưỡng đúng hạn", "met_late": "Bồi dưỡng trễ hạn"}
STATUS_FILTERS = {
    "urgent": "Quá hạn và sắp đến hạn",
    "overdue": DeadlineStatus.OVERDUE.title,
    "due_soon": DeadlineStatus.DUE_SOON.title,
    "on_track": DeadlineStatus.ON_TRACK.title,
    "open": "Chưa bồi dưỡng (mọi mức)",
    "met_on_time": DeadlineStatus.MET_ON_TIME.title,
    "met_late": DeadlineStatus.MET_LATE.title,
    "all": "Mọi trạng thái",
}
STATUS_SETS = {
    "urgent": (DeadlineStatus.OVERDUE, DeadlineStatus.DUE_SOON),
    "open": OPEN_STATUSES,
    "all": None,
    **{s.value: (s,) for s in COUNT_STATUSES},
}
CSV_HEADERS = [
    "Họ và tên", "Năm sinh", "Giới tính", "Số điện thoại", "Tổ hòa giải", "Thôn/ấp/tổ dân phố", "Xã/phường",
    "Ngày công nhận", "Số quyết định công nhận", "Hạn bồi dưỡng", "Số ngày còn lại (âm: quá hạn)", "Trạng thái",
]
MAX_WITHIN = 366


def days_text(deadline: dt.date | None, status: str, today: dt.date) -> str:
    """"Còn 12 ngày" / "Quá hạn 3 ngày" / "Hạn cuối hôm nay" for the untrained; "" otherwise."""
    if deadline is None or status not in OPEN_STATUSES:
        return ""
    days = (deadline - today).days
    if days < 0:
        return f"Quá hạn {-days} ngày"
    if days == 0:
        return "Hạn cuối hôm nay"
    return f"Còn {days} ngày"


def membership_rows(day: dt.date, root: Unit | None):
    """SQL (scoped): :func:`.services.membership_rows` under ``root``."""
    stmt = services.membership_rows(day)
    if root is not None:
        stmt = stmt.where(subtree(stmt.selected_columns.unit_path, root.path))
    return scoped(stmt, MediatorMembership)


def status_counts(sub) -> dict[str, int]:
    """Memberships per status (one GROUP BY)."""
    counts = dict.fromkeys(DeadlineStatus.TITLES, 0)
    for status, n in db.session.execute(select(sub.c.status, func.count()).group_by(sub.c.status)):
        counts[status] = n
    return counts


def child_counts(sub, root: Unit) -> list[tuple[Unit, dict[str, int]]]:
    """Per unit one level below ``root``: memberships per status (one aggregate query over the unit paths)."""
    children = list(db.session.scalars(scoped(select(Unit).where(Unit.parent_id == root.id), Unit).order_by(Unit.sort_key, Unit.id)))
    if not children:
        return []
    in_child = under(sub.c.unit_path, Unit.path)
    cols = [func.coalesce(func.sum(case((sub.c.status == s.value, 1), else_=0)), 0).label(s.value) for s in COUNT_STATUSES]
    per_child = {
        row.id: {s.value: getattr(row, s.value) for s in COUNT_STATUSES}
        for row in db.session.execute(
            scoped(select(Unit.id, *cols).join(sub, in_child).where(Unit.parent_id == root.id).group_by(Unit.id), Unit)
        )
    }
    empty = dict.fromkeys((s.value for s in COUNT_STATUSES), 0)
    return [(child, per_child.get(child.id, empty)) for child in children]


# --------------------------------------------------------------------------- filters


class DeadlineFilters:
    """The lists' filters from the query string: status, unit (commune) code, due within N days, name, team."""

    def __init__(self, args, default_status: str = "urgent") -> None:
        self.default_status = default_status
        status = args.get("status") or default_status
        self.status = status if status in STATUS_FILTERS else default_status
        self.commune_code = (args.get("commune") or "").strip().upper()
        self.q = (args.get("q") or "").strip()
        self.warnings: list[str] = []
        raw_within = (args.get("within") or "").strip()
        self.within = None
        if raw_within:
            try:
                self.within = int(raw_within)
            except ValueError:
                self.within = -1
            if not 0 <= self.within <= MAX_WITHIN:
                self.warnings.append(f"Số ngày «{raw_within}» không hợp lệ (từ 0 đến {MAX_WITHIN}); đang bỏ qua bộ lọc này.")
                self.within = None
        self.commune = scoped_by_code(Unit, self.commune_code) if self.commune_code else None
        if self.commune_code and self.commune is None:
            self.warnings.append(f"Không tìm thấy đơn vị có mã «{self.commune_code}» trong phạm vi quản lý của bạn; đang hiện toàn bộ phạm vi.")
        self.team = None
        team_id = args.get("team", type=int)
        if team_id:
            self.team = db.session.scalar(scoped(select(Team).where(Team.id == team_id), Team))
            if self.team is None:
                self.warnings.append("Không tìm thấy tổ hòa giải này trong phạm vi quản lý của bạn; đang hiện mọi tổ.")

    def root(self) -> Unit:
        return self.commune if self.commune is not None else get_scoped_or_404(Unit, current_user.unit_id)

    def conditions(self, sub, today: dt.date) -> list:
        """Conditions on the membership rows (``membership_rows`` subquery); the name search is separate (on Person)."""
        out = []
        statuses = STATUS_SETS[self.status]
        if statuses is not None:
            out.append(sub.c.status.in_(statuses))
        if self.within is not None:
            out.append(sub.c.deadline.between(today, today + dt.timedelta(days=self.within)))
        if self.team is not None:
            out.append(sub.c.team_id == self.team.id)
        return out

    def args(self) -> dict:
        values = {
            "status": self.status if self.status != self.default_status else "",
            "commune": self.commune.code if self.commune is not None else "",
            "within": self.within if self.within is not None else "",
            "q": self.q,
            "team": self.team.id if self.team is not None else "",
        }
        return {k: v for k, v in values.items() if v not in ("", None)}

    def flash_warnings(self) -> None:
        for message in self.warnings:
            flash(message, "warning")


def _filtered_memberships(filters: DeadlineFilters, today: dt.date):
    """``(select(MediatorMembership) with the filters, ordered deadline first; the rows subquery)``."""
    sub = membership_rows(today, filters.root()).subquery("deadline_rows")
    stmt = (
        scoped(select(MediatorMembership), MediatorMembership)
        .join(sub, sub.c.membership_id == MediatorMembership.id)
        .join(Person, Person.id == MediatorMembership.person_id)
        .where(*filters.conditions(sub, today))
    )
    if filters.q:
        stmt = stmt.where(search_condition(filters.q))
    return stmt.order_by(sub.c.deadline, Person.sort_key, MediatorMembership.id), sub


def _status_of_ids(sub, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(sub.c.membership_id, sub.c.status).where(sub.c.membership_id.in_(ids))).all())


# --------------------------------------------------------------------------- the list


@bp.route("/deadlines")
@roles_required(*STAFF)
def deadlines():
    """Hạn bồi dưỡng 6 tháng: counts per status and per unit below, and the (by default overdue + due soon) list."""
    today = clock.today()
    filters = DeadlineFilters(request.args)
    filters.flash_warnings()
    root = filters.root()
    counts_sub = membership_rows(today, root).subquery("counts_rows")
    totals = status_counts(counts_sub)
    rows = child_counts(counts_sub, root)
    direct = {s: totals[s] - sum(c[s] for _, c in rows) for s in COUNT_STATUSES}
    stmt, sub = _filtered_memberships(filters, today)
    page = paginate(
        stmt.options(
            selectinload(MediatorMembership.person),
            selectinload(MediatorMembership.team).selectinload(Team.unit).selectinload(Unit.parent),
        )
    )
    statuses = _status_of_ids(sub, [m.id for m in page.items])
    return render_template(
        "deadlines/deadlines.html",
        today=today,
        root=root,
        filters=filters,
        totals=totals,
        rows=rows,
        direct=direct if any(direct.values()) else None,
        page=page,
        statuses=statuses,
        status_filters=STATUS_FILTERS,
        count_statuses=COUNT_STATUSES,
        short_titles=SHORT_TITLES,
        titles=DeadlineStatus.TITLES,
        colors=DeadlineStatus.COLORS,
        communes=commune_choices(),
        days_text=days_text,
        class_cap=CLASS_CAP,
        chain=breadcrumb(Unit, root),
    )


def _place(kind, unit_name, parent_name) -> tuple[str, str]:
    """(village, commune) names from a team's unit."""
    if kind == UnitKind.VILLAGE:
        return unit_name or "", parent_name or ""
    if kind == UnitKind.COMMUNE:
        return "", unit_name or ""
    return "", ""


@bp.route("/deadlines.csv")
@roles_required(*STAFF)
def deadlines_csv():
    """The filtered list as CSV (UTF-8 with BOM for Excel), streamed."""
    today = clock.today()
    filters = DeadlineFilters(request.args)
    stmt, sub = _filtered_memberships(filters, today)
    village, parent = aliased(Unit), aliased(Unit)
    m = MediatorMembership
    stmt = (
        stmt.with_only_columns(
            Person.full_name, Person.birth_year, Person.gender, Person.phone, Team.name, village.kind, village.name, parent.name,
            m.recognized_on, m.decision_no, m.deadline, sub.c.status,
            maintain_column_froms=True,
        )
        .join(Team, Team.id == m.team_id)
        .join(village, village.id == Team.unit_id)
        .outerjoin(parent, parent.id == village.parent_id)
    )

    def rows():
        for row in db.session.execute(stmt.execution_options(yield_per=1000)):
            (name, birth_year, gender, phone, team, kind, unit_name, parent_name, recognized_on, decision_no, deadline, status) = row
            village_name, commune_name = _place(kind, unit_name, parent_name)
            left = (deadline - today).days if deadline is not None and status in OPEN_STATUSES else ""
            yield [
                name, birth_year or "", gender.title if gender else "", phone or "", team, village_name, commune_name,
                fmt.date(recognized_on), decision_no or "", fmt.date(deadline), left, DeadlineStatus.TITLES.get(status, status),
            ]

    code = filters.commune.code if filters.commune is not None else "pham-vi"
    return csv_response(CSV_HEADERS, rows(), f"han-boi-duong-{code}-{today.isoformat()}.csv")


@bp.route("/deadlines/class")
@roles_required(*STAFF)
def deadlines_class():
    """"Tạo lớp cho những người này": the ticked people (or every filtered one, capped) → the new-class form, pre-filled."""
    today = clock.today()
    filters = DeadlineFilters(request.args)
    back = url_for("deadlines.deadlines", **filters.args())
    if request.args.get("all"):
        stmt, sub = _filtered_memberships(filters, today)
        earliest = func.min(sub.c.deadline)
        ids_stmt = stmt.with_only_columns(MediatorMembership.person_id, maintain_column_froms=True).group_by(MediatorMembership.person_id)
        ids_stmt = ids_stmt.order_by(None).order_by(earliest, MediatorMembership.person_id).limit(CLASS_CAP + 1)
        ids = list(db.session.scalars(ids_stmt))
    else:
        wanted = set(request.args.getlist("person_id", type=int))
        ids = []
        if wanted:
            ids = list(db.session.scalars(scoped(select(Person.id).where(Person.id.in_(wanted)), Person).order_by(Person.sort_key, Person.id)))
    if not ids:
        flash("Hãy chọn ít nhất một người trong danh sách (hoặc dùng nút tạo lớp cho tất cả người đang lọc).", "warning")
        return redirect(back)
    if len(ids) > CLASS_CAP:
        ids = ids[:CLASS_CAP]
        flash(
            f"Danh sách lọc có hơn {CLASS_CAP} người; lớp mới chỉ lấy {CLASS_CAP} người có hạn bồi dưỡng sớm nhất. "
            "Hãy tạo thêm lớp cho những người còn lại.",
            "warning",
        )
    try:
        target = url_for("classes.class_new", person_id=ids, program=MEDIATOR_PROGRAM)
    except BuildError:  # the classes screens are not installed
        flash("Chức năng tạo lớp chưa sẵn sàng.", "danger")
        return redirect(back)
    return redirect(target)


# --------------------------------------------------------------------------- pick people for a class


def _candidates(klass: TrainingClass, filters: DeadlineFilters, include_trained: bool, today: dt.date):
    """``(select(Person) of mediators that may join the class, ordered earliest deadline first; rows subquery)``."""
    sub = membership_rows(today, filters.root()).subquery("pick_rows")
    conditions = filters.conditions(sub, today)
    if not include_trained:
        conditions.append(
            ~exists().where(
                Certificate.person_id == sub.c.person_id, Certificate.program_code == klass.program_code, Certificate.valid_on(today)
            )
        )
    per_person = (
        select(sub.c.person_id.label("person_id"), func.min(sub.c.deadline).label("deadline"))
        .where(*conditions)
        .group_by(sub.c.person_id)
        .subquery("per_person")
    )
    in_class = select(ClassEnrollment.person_id).where(ClassEnrollment.class_id == klass.id, ClassEnrollment.status != ClassEnrollment.WITHDRAWN)
    stmt = (
        scoped(select(Person), Person)
        .join(per_person, per_person.c.person_id == Person.id)
        .where(Person.id.not_in(in_class))
    )
    if filters.q:
        stmt = stmt.where(search_condition(filters.q))
    return stmt.order_by(per_person.c.deadline, Person.sort_key, Person.id), sub


def _earliest(sub, person_ids: list[int]) -> dict[int, tuple[dt.date, str]]:
    """Per person: (earliest deadline, its status) among the listed memberships."""
    out: dict[int, tuple[dt.date, str]] = {}
    if not person_ids:
        return out
    for person_id, deadline, status in db.session.execute(
        select(sub.c.person_id, sub.c.deadline, sub.c.status).where(sub.c.person_id.in_(person_ids)).order_by(sub.c.deadline)
    ):
        out.setdefault(person_id, (deadline, status))
    return out


@bp.route("/classes/<int:class_id>/pick", methods=["GET", "POST"])
@roles_required(*STAFF)
def class_pick(class_id: int):
    """Chọn học viên cho lớp: mediators in scope, not yet trained, overdue first; enroll the ticked (capacity enforced)."""
    klass = get_scoped_or_404(TrainingClass, class_id)
    today = clock.today()
    filters = DeadlineFilters(request.args, default_status="all")  # "not yet trained" is its own filter
    include_trained = request.args.get("trained") == "1"
    stmt, sub = _candidates(klass, filters, include_trained, today)
    args = dict(filters.args(), **({"trained": "1"} if include_trained else {}))
    selected: set[int] = set()
    if request.method == "POST":
        if request.form.get("all"):
            wanted = list(db.session.scalars(stmt.with_only_columns(Person.id, maintain_column_froms=True).limit(klass.capacity + 1)))
        else:
            wanted = list(dict.fromkeys(request.form.getlist("person_id", type=int)))
        selected = set(wanted)
        if not wanted:
            flash("Hãy chọn ít nhất một người để ghi danh.", "warning")
        else:
            people = list(db.session.scalars(scoped(select(Person).where(Person.id.in_(wanted)), Person)))
            order = {pid: n for n, pid in enumerate(wanted)}
            people.sort(key=lambda p: order[p.id])
            with service_errors(flash_as="{} Chưa ghi danh ai.") as outcome:
                added = classes.enroll(klass, people, by=current_user._get_current_object())
            if outcome.ok:
                skipped = len(people) - len(added)
                message = f"Đã ghi danh {len(added)} người vào lớp «{klass.title}»."
                if skipped:
                    message += f" {skipped} người đã có trong lớp nên được bỏ qua."
                flash(message, "success")
                return redirect(url_for("deadlines.class_pick", class_id=klass.id, **args))
        filters.warnings = []  # already shown on the GET
    else:
        filters.flash_warnings()
    page = paginate(stmt.options(selectinload(Person.unit).selectinload(Unit.parent)))
    root = filters.root()
    teams = []
    if root.kind in (UnitKind.COMMUNE, UnitKind.VILLAGE):
        teams = list(db.session.scalars(scoped(select(Team).join(Unit, Unit.id == Team.unit_id).where(subtree(Unit.path, root.path)), Team).order_by(Team.sort_key, Team.id)))
    return render_template(
        "deadlines/deadline_class_pick.html",
        klass=klass,
        today=today,
        filters=filters,
        args=args,
        include_trained=include_trained,
        page=page,
        earliest=_earliest(sub, [p.id for p in page.items]),
        selected=selected,
        taken=classes.active_count(klass),
        teams=teams,
        status_filters=STATUS_FILTERS,
        titles=DeadlineStatus.TITLES,
        colors=DeadlineStatus.COLORS,
        communes=commune_choices(),
        days_text=days_text,
        is_mediator_program=klass.program_code == MEDIATOR_PROGRAM,
    )


# --------------------------------------------------------------------------- person page panel


def _deadline_panel(person: Person):
    """On the person page: each mediator membership's recognition date, deadline and status (the page checked access)."""
    if not current_user.is_authenticated:
        return None
    today = clock.today()
    rows = db.session.execute(
        scoped(select(MediatorMembership, status_expr(today).label("status")), MediatorMembership)
        .where(MediatorMembership.person_id == person.id)
        .options(selectinload(MediatorMembership.team))
        .order_by(MediatorMembership.recognized_on.desc(), MediatorMembership.id.desc())
    ).all()
    if not rows:
        return None
    return render_template(
        "deadlines/_deadline_panel.html", rows=rows, today=today, titles=DeadlineStatus.TITLES, colors=DeadlineStatus.COLORS, days_text=days_text,
        can_pick=current_user.role in STAFF,
    )


register_panel("person", _deadline_panel, order=25)


def init_app(app) -> None:
    app.register_blueprint(bp)
