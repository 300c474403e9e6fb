"""Every GET page, every role: the number of SQL statements a page runs does not grow with the rows it shows.

Each page is requested as each role that may see it, once on the small world of the scope walk and once more
after :func:`grow` has added many more rows of every kind a page lists (villages, teams, people, mediators,
trainers, legal supporters, accounts, certificates, classes, class enrollments, attendance, results, online
enrollments, quiz attempts, notifications, case statistics, API tokens). The statements are counted with a
``before_cursor_execute`` listener on the engine. A page whose count grows has an N+1 query.

Pages are discovered from the app's URL map: every GET rule whose arguments :data:`FILL` can fill is measured
(``any(...)`` arguments for each of their values). A GET rule that cannot be measured must be listed in
:data:`EXCLUDED` with the reason, so a new page cannot slip past this test.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from contextlib import contextmanager
from itertools import product

import pytest
from sqlalchemy import event
from werkzeug.routing.converters import AnyConverter

from lms.classes import services as classes
from lms.classes.models import Attendance
from lms.core.access import ACCESS_ATTR
from lms.core.notifications import Notification
from lms.core.roles import Role
from lms.extensions import db as _db
from lms.learning import services as training
from lms.org.models import ApiToken, Background, Plan, TrainerLevel, UnitKind
from lms.org.services import cases, roster
from tests.reports.test_figures import TARGETS
from tests.security.test_scope_walk import _attempt, world  # noqa: F401 (the scope walk's world is this test's fixture)

#: Rows of each kind per commune in the small world (so that every list and section shows) and in the large one.
SMALL, LARGE = 2, 12
#: Statements a page may run beyond its small-world count after growth (sections that appear only when there are rows).
SLACK = 0

#: GET pages that are not measured, and why.
EXCLUDED = {
    "core.healthz": "health check: no rows",
    "core.index": "redirects to the role's home page",
    "auth.login": "sign-in form: no rows",
    "auth.change_password": "password form: no rows",
    "api.openapi": "static API description",
    "verify.api_certificate": "one certificate by its code (public API)",
    "verify.verify": "one certificate by its code (public page)",
    "certificates.download": "one certificate's PDF",
    "certificates.job": "one background job's progress",
    "certificates.job_download": "one background job's file",
    "learn.attachment": "one course file from course_content/",
    "learn.module_pdf": "one module's PDF from course_content/",
    "learn.lesson": "one lesson from course_content/ (the world has no lessons)",
    "classes.checkin": "one session's QR check-in form",
    "org.import_errors": "one import job's bad rows, kept on the job row (org/views/imports.py)",
    "org.import_job": "one import job's progress, then its result kept on the job row (one statement for the job)",
    "org.import_template": "an empty template spreadsheet",
    "org.units_official_job": "one official-list job's progress, then its result kept on the job row (org/views/official.py)",
    "org.token_revoke": "confirmation form for one token",
    "reports.annual_report": "PDF built from reports/figures/ (a fixed number of statements, "
    "tests/reports/test_figures.py) and the same tables as the dashboard",
}

#: Route arguments :func:`_fill` knows how to fill, from the role's bundle ``b`` and the world ``w``.
FILL: dict[str, Callable] = {
    "unit_id": lambda b, w: b.commune.id,  # a commune: the unit page lists its villages and teams
    "commune_id": lambda b, w: b.commune.id,
    "team_id": lambda b, w: b.team.id,
    "person_id": lambda b, w: b.person.id,
    "membership_id": lambda b, w: b.membership.id,
    "appointment_id": lambda b, w: b.appointment.id if b.appointment else None,
    "support_id": lambda b, w: b.support.id,
    "user_id": lambda b, w: b.user.id,
    "cert_id": lambda b, w: b.certificate.id,
    "attempt_id": lambda b, w: b.attempt.id,
    "class_id": lambda b, w: b.klass.id,
    "session_id": lambda b, w: b.session.id,
    "quiz_id": lambda b, w: b.attempt.quiz_id,
    "code": lambda b, w: "hgv",
}


#: Query strings a page needs, from the signed-in user.
QUERY: dict[str, Callable] = {
    "api.coverage": lambda user: {"unit": user.unit.code},
}


def _get(client, url, query) -> int:
    """GET ``url`` and read the whole body (a streamed export runs its queries while it is read)."""
    resp = client.get(url, query_string=query)
    resp.get_data()
    resp.close()
    _db.session.expire_all()
    return resp.status_code


@contextmanager
def count_statements():
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        statements.append(statement)

    engine = _db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def _get_rules(app):
    return [r for r in app.url_map.iter_rules() if "GET" in r.methods and not r.endpoint.endswith("static") and not r.endpoint.startswith("bootstrap.")]


def _fill(rule, bundle, w) -> list[str]:
    """Every URL of ``rule`` for ``bundle`` (one per value of each ``any(...)`` argument), or [] when it has no such record."""
    choices = {}
    for arg in rule.arguments:
        converter = rule._converters.get(arg)
        if isinstance(converter, AnyConverter):
            choices[arg] = sorted(converter.items)
        else:
            value = FILL[arg](bundle, w)
            if value is None:
                return []
            choices[arg] = [value]
    names = list(choices)
    return [rule.build(dict(zip(names, values, strict=True)), append_unknown=False)[1] for values in product(*(choices[n] for n in names))]


def _fillable(rule) -> bool:
    return all(arg in FILL or isinstance(rule._converters.get(arg), AnyConverter) for arg in rule.arguments)


def test_every_get_page_is_measured_or_excluded(app):
    unknown, stale = [], set(EXCLUDED)
    for rule in _get_rules(app):
        stale.discard(rule.endpoint)
        if rule.endpoint not in EXCLUDED and not _fillable(rule):
            unknown.append(f"{rule.rule} ({rule.endpoint})")
    assert not unknown, "GET pages neither measured nor excluded (teach FILL their arguments, or add them to EXCLUDED with a reason):\n" + "\n".join(unknown)
    assert not stale, f"EXCLUDED names endpoints that no longer exist: {sorted(stale)}"


def grow(w, make_person, make_user, make_certificate, start: int, stop: int) -> None:
    """Add rows ``start`` to ``stop - 1`` of every kind the pages list, in each commune of province P and for each signed-in user."""
    quiz = w.C1.attempt.quiz
    program = quiz.module.program
    for b in (w.C1, w.C2, w.C3):
        for i in range(start, stop):
            village = roster.create_unit(code=f"{b.commune.code}-G{i:02d}", name=f"Thôn mới {i}", kind=UnitKind.VILLAGE, parent=b.commune)
            team = roster.create_team(unit=village, name=f"Tổ hòa giải mới {i}")
            cases.save_quarter(team, 2025, 1, 3, 2, 1, 0)
            person = make_person(b.village, name=f"Hòa giải viên {b.commune.name} {i}")
            roster.recognize_mediator(person=person, team=b.team if i % 2 else team, recognized_on=dt.date(2025, 1, 10) + dt.timedelta(days=i))
            if i % 2:
                make_certificate(person)
            make_user(Role.MEDIATOR, b.village, person=person)
            helper = make_person(b.village, name=f"Luật sư {i}")
            roster.add_legal_support(person=helper, team=b.team, from_on=dt.date(2025, 1, 1), background=Background.LAWYER)
            trainer_unit = b.appointment.unit
            level = TrainerLevel.PROVINCE if trainer_unit.kind == UnitKind.PROVINCE else TrainerLevel.DISTRICT
            roster.appoint_trainer(person=make_person(trainer_unit, name=f"Tập huấn viên {i}"), level=level, unit=trainer_unit,
                                   started_on=dt.date(2025, 1, 1))
            training.enroll(person, program, check_audience=False)
            _attempt(person, quiz)
            _attempt(b.person, quiz)
            (row,) = classes.enroll(b.klass, [person])
            _db.session.add(Attendance(session_id=b.session.id, person_id=person.id, status=Attendance.PRESENT))
            row.score = 60 + i
            klass = classes.create_class(
                title=f"Lớp mới {i}", program_code="hgv", unit=b.commune, mode="in_person", starts_on=dt.date(2025, 4, 1),
                ends_on=dt.date(2025, 4, 2), capacity=30, venue="Nhà văn hóa", trainers=[w.trainer_person],
            )
            classes.add_session(klass, dt.date(2025, 4, 1), dt.time(8, 0), dt.time(11, 0), f"Buổi {i}")
            classes.enroll(klass, [b.person, person])
    for i in range(start, stop):  # more communes (and districts' children) for the tree, dashboard and report pages
        commune = roster.create_unit(code=f"39{i:03d}", name=f"Xã mới {i}", kind=UnitKind.COMMUNE, parent=w.tree.D)
        village = roster.create_unit(code=f"39{i:03d}-01", name=f"Ấp mới {i}", kind=UnitKind.VILLAGE, parent=commune)
        make_certificate(roster.recognize_mediator(person=make_person(village), team=roster.create_team(unit=village),
                                                   recognized_on=dt.date(2025, 2, 1)).person)
    for user in {u.id: u for u, _, _ in w.users.values()}.values():
        for i in range(start, stop):
            _db.session.add(Notification(key=f"qc-{user.id}-{i}", user_id=user.id, person_id=user.person_id, kind="reminder",
                                         title=f"Thông báo {i}", body="Nội dung", link="/learn/"))
            _db.session.add(ApiToken(user_id=user.id, name=f"Mã {i}", token_hash=f"{user.id:04d}{i:04d}".ljust(64, "0"), prefix=f"p{user.id}{i}"))
    _db.session.commit()


def _measure(app, client, auth, w) -> dict[tuple[str, str], tuple[int, int]]:
    """(role, url) → (status, statements) for every measured page as every role allowed to see it."""
    out = {}
    for role, (user, inside, _outside) in w.users.items():
        auth.login(user.username)
        for rule in _get_rules(app):
            if rule.endpoint in EXCLUDED:
                continue
            allowed = getattr(app.view_functions[rule.endpoint], ACCESS_ATTR)
            if allowed != "public" and role not in allowed:
                continue
            query = QUERY.get(rule.endpoint, lambda u: {})(user)
            for url in _fill(rule, inside, w):
                _get(client, url, query)  # warm: first-request work (settings rows, caches) is not the page's
                with count_statements() as statements:
                    status = _get(client, url, query)
                out[(role.value, url)] = (status, len(statements))
                if os.environ.get("QC_DEBUG") and url.split("?")[0].endswith(os.environ["QC_DEBUG"]):
                    print(f"\n=== {role.value} {url} {len(statements)}")
                    for st in statements:
                        print("   ", " ".join(st.split())[:300])
        auth.logout()
    return out


@pytest.fixture
def qc_world(world, app, make_user, make_person):  # noqa: F811 (the imported fixture)
    from lms.org.models import Person

    world.users[Role.SYSTEM_ADMIN] = (make_user(Role.SYSTEM_ADMIN, world.tree.P), world.C1, world.CQ)
    world.trainer_person = _db.session.scalar(_db.select(Person).where(Person.full_name == "Tập huấn viên tỉnh"))
    # a plan with every target, so the dashboard and every work list apply
    _db.session.add(Plan(slug="ct", unit_id=world.tree.P.id, number="146/KH-UBND", title="Kế hoạch", issued_on=dt.date(2024, 7, 19),
                         start_date=dt.date(2024, 7, 19), data={"targets": TARGETS}))
    _db.session.commit()
    return world


def test_query_counts_do_not_grow_with_rows(app, client, auth, qc_world, make_person, make_user, make_certificate, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 10)  # lists longer than a page are paginated in the grown world
    w = qc_world
    grow(w, make_person, make_user, make_certificate, 0, SMALL)
    small = _measure(app, client, auth, w)
    grow(w, make_person, make_user, make_certificate, SMALL, LARGE)
    large = _measure(app, client, auth, w)
    assert small.keys() == large.keys()
    assert len({url for _, url in small}) >= 60, "the walk measured suspiciously few pages"
    failures = []
    for key, (status, count) in sorted(small.items()):
        status2, count2 = large[key]
        if status != status2 or status not in (200, 302, 403):
            failures.append(f"{key[0]} GET {key[1]}: status {status} then {status2}")
        elif count2 > count + SLACK:
            failures.append(f"{key[0]} GET {key[1]}: {count} statements, {count2} with more rows")
    assert not failures, "\n".join(failures)


#: Exports whose rows come from one query per list (streamed in batches), and those built from a bounded aggregate.
STREAMED_EXPORTS = {"certificates.list_csv", "deadlines.deadlines_csv", "learn.progress_csv", "reports.export_worklist"}
AGGREGATE_EXPORTS = {"reports.export_figures"}  # the unit and each unit below it: reports/figures/, a fixed number of statements


def test_every_export_is_known(app):
    exports = {r.endpoint for r in _get_rules(app) if r.rule.endswith((".csv", ".xlsx", ".<fmt>")) or "export" in r.endpoint}
    exports -= {"org.import_errors", "org.import_template"}  # a dry run's errors, an empty template: not lists of the roster
    assert exports == STREAMED_EXPORTS | AGGREGATE_EXPORTS


def test_exports_stream_their_rows(app, client, auth, qc_world, make_person, make_user, make_certificate):
    """Every export is a streamed response (a CSV generator, or an XLSX written to a temporary file), and the list
    exports read their rows with ``yield_per`` (a server-side cursor on PostgreSQL), never all at once."""
    from sqlalchemy.orm import Session

    w = qc_world
    grow(w, make_person, make_user, make_certificate, 0, SMALL)
    user, inside, _ = w.users[Role.PROVINCE_ADMIN]
    auth.login(user.username)
    batched: list[int] = []

    def listener(state):
        if state.is_select and state.execution_options.get("yield_per"):
            batched.append(state.execution_options["yield_per"])

    event.listen(Session, "do_orm_execute", listener)
    try:
        checked = 0
        for rule in _get_rules(app):
            if rule.endpoint not in STREAMED_EXPORTS | AGGREGATE_EXPORTS:
                continue
            for url in _fill(rule, inside, w):
                batched.clear()
                resp = client.get(url)
                assert resp.status_code == 200, url
                assert resp.is_streamed, f"{url}: the whole file was built in memory"
                body = resp.get_data()
                resp.close()
                assert body, url
                if rule.endpoint in STREAMED_EXPORTS:
                    assert batched and all(n <= 1000 for n in batched), f"{url}: rows not read in batches (yield_per)"
                checked += 1
    finally:
        event.remove(Session, "do_orm_execute", listener)
    assert checked == 17  # 3 list CSVs, figures as CSV and XLSX, 6 work lists as CSV and XLSX
