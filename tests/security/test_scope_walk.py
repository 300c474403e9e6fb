"""Every route, every role: a record just outside the user's scope can be neither read nor
changed (403 or 404); one inside can be read by the roles the route declares; an anonymous
visitor is sent to the login page.

Routes are discovered from the app's URL map. A route argument whose name this test does
not know fails the test, so a new kind of route cannot slip past it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from lms.core.access import ACCESS_ATTR
from lms.core.roles import Role
from lms.extensions import db as _db
from lms.org.models import Background, TrainerLevel, UnitKind
from lms.org.services import roster
from tests.conftest import csrf_token

#: Route arguments that name a record in the scope of a unit, and which bundle attribute fills them.
SCOPED_ARGS = {
    "unit_id": "village",
    "commune_id": "commune",
    "village_id": "village",
    "team_id": "team",
    "person_id": "person",
    "membership_id": "membership",
    "appointment_id": "appointment",
    "support_id": "support",
    "user_id": "user",
    "account_id": "user",
    "certificate_id": "certificate",
    "cert_id": "certificate",
    "attempt_id": "attempt",
    "class_id": "klass",
    "session_id": "session",
}
#: Arguments that address content or files, not records in anyone's scope.
UNSCOPED_ARGS = {"code", "slug", "filename", "kind", "fmt", "token", "quiz_id", "module_slug", "job_id", "program_code", "lesson_slug"}


@dataclass
class Bundle:
    commune: object
    village: object
    team: object
    person: object
    membership: object
    appointment: object
    support: object
    user: object
    certificate: object
    attempt: object | None = None
    klass: object | None = None
    session: object | None = None


def _attempt(person, quiz):
    from lms.learning.models import QuizAttempt

    attempt = QuizAttempt(person_id=person.id, quiz=quiz, program_code="hgv", quiz_hash=quiz.content_hash, score=50, correct_count=1,
                          total=2, passed=False, answers={})
    _db.session.add(attempt)
    _db.session.flush()
    return attempt


def _quiz(make_program):
    from lms.curriculum.models import Module, Question, Quiz

    program = make_program()
    module = Module(program=program, slug="kien-thuc", position=1, title="Kiến thức chung")
    module.quiz = Quiz(title="Kiểm tra", pass_score=70, content_hash="q1",
                       questions=[Question(position=1, text="Câu 1", choices=["A", "B"], correct=[0])])
    _db.session.add(module)
    _db.session.flush()
    return module.quiz


def _class(commune, person):
    from lms.classes import services as classes

    klass = classes.create_class(
        title=f"Lớp tập huấn {commune.name}", program_code="hgv", unit=commune, mode="in_person", starts_on=dt.date(2025, 3, 1),
        ends_on=dt.date(2025, 3, 2), capacity=30, venue="Hội trường UBND",
    )
    session = classes.add_session(klass, dt.date(2025, 3, 1), dt.time(8, 0), dt.time(11, 0), "Kiến thức chung")
    classes.enroll(klass, [person])
    return klass, session


def _bundle(place, trainer_unit, make_person, make_user, make_certificate, name):
    village = roster.create_unit(code=f"{place.code}-W", name=f"Thôn {name}", kind=UnitKind.VILLAGE, parent=place)
    team = roster.create_team(unit=village, name=f"Tổ {name}")
    person = make_person(village, name=f"Người {name}", phone=None)
    membership = roster.recognize_mediator(person=person, team=team, recognized_on=dt.date(2025, 1, 10))
    helper = make_person(village, name=f"Luật sư {name}")
    support = roster.add_legal_support(person=helper, team=team, from_on=dt.date(2025, 1, 1), background=Background.LAWYER)
    trainer_person = make_person(trainer_unit, name=f"Tập huấn viên {name}")
    level = TrainerLevel.PROVINCE if trainer_unit.kind == UnitKind.PROVINCE else TrainerLevel.DISTRICT
    appointment = roster.appoint_trainer(person=trainer_person, level=level, unit=trainer_unit, started_on=dt.date(2025, 1, 1))
    user = make_user(Role.MEDIATOR, village, person=person)
    certificate = make_certificate(person)
    return Bundle(place, village, team, person, membership, appointment, support, user, certificate)


@pytest.fixture
def world(db, tree, make_person, make_user, make_certificate, make_program):
    w = SimpleNamespace(tree=tree)
    quiz = _quiz(make_program)
    w.C1 = _bundle(tree.C1, tree.D, make_person, make_user, make_certificate, "Trong")
    w.C2 = _bundle(tree.C2, tree.D, make_person, make_user, make_certificate, "Xã bên")
    w.C3 = _bundle(tree.C3, tree.P, make_person, make_user, make_certificate, "Ngoài huyện")
    w.CQ = _bundle(tree.CQ, tree.Q, make_person, make_user, make_certificate, "Tỉnh khác")
    # a second mediator in the same village as C1's: outside the first mediator's own records
    neighbour = make_person(w.C1.village, name="Người hàng xóm")
    w.C1b = Bundle(
        tree.C1, w.C1.village, w.C1.team, neighbour,
        roster.recognize_mediator(person=neighbour, team=w.C1.team, recognized_on=dt.date(2025, 2, 1)),
        w.C1.appointment, w.C1.support, make_user(Role.MEDIATOR, w.C1.village, person=neighbour), make_certificate(neighbour),
    )
    for b in (w.C1, w.C2, w.C3, w.CQ, w.C1b):
        b.attempt = _attempt(b.person, quiz)
    for b in (w.C1, w.C2, w.C3, w.CQ):
        b.klass, b.session = _class(b.commune, b.person)
    # the neighbour is not in C1's class: the first mediator's own class is not theirs
    w.C1b.klass, w.C1b.session = _class(tree.C1, w.C1b.person)
    trainer_person = make_person(tree.P, name="Tập huấn viên tỉnh")
    roster.appoint_trainer(person=trainer_person, level=TrainerLevel.PROVINCE, unit=tree.P, started_on=dt.date(2024, 1, 1))
    w.users = {
        Role.PROVINCE_ADMIN: (make_user(Role.PROVINCE_ADMIN, tree.P), w.C1, w.CQ),
        Role.DISTRICT_ADMIN: (make_user(Role.DISTRICT_ADMIN, tree.D), w.C1, w.C3),
        # trainers are appointed at province or district level: none lies inside a commune
        Role.COMMUNE_OFFICER: (make_user(Role.COMMUNE_OFFICER, tree.C1), dataclasses.replace(w.C1, appointment=None), w.C2),
        Role.TRAINER: (make_user(Role.TRAINER, tree.P, person=trainer_person), w.C1, w.CQ),
        Role.MEDIATOR: (w.C1.user, w.C1, w.C1b),
    }
    db.session.commit()
    return w


def _routes(app):
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        args = set(rule.arguments)
        unknown = args - set(SCOPED_ARGS) - UNSCOPED_ARGS
        assert not unknown, f"{rule.rule}: argument(s) {unknown} unknown to the scope walk; add them to SCOPED_ARGS or UNSCOPED_ARGS"
        scoped_args = args & set(SCOPED_ARGS)
        if scoped_args and not (args - scoped_args):
            out.append(rule)
    return out


def _url(rule, bundle):
    """The URL of ``rule`` filled from ``bundle``, or None when the bundle has no such record."""
    records = {arg: getattr(bundle, SCOPED_ARGS[arg]) for arg in rule.arguments}
    if any(r is None for r in records.values()):
        return None
    return rule.build({arg: r.id for arg, r in records.items()}, append_unknown=False)[1]


def _row_counts():
    return {t.name: _db.session.execute(select(func.count()).select_from(t)).scalar() for t in _db.metadata.sorted_tables}


def test_scope_walk(app, client, auth, world):
    rules = _routes(app)
    assert len(rules) >= 10, "the walk found suspiciously few routes"
    failures = []
    for role, (user, inside, outside) in world.users.items():
        client.cookie_jar.clear() if hasattr(client, "cookie_jar") else None
        auth.login(user.username)
        token = csrf_token(client.get("/auth/password").get_data(as_text=True))
        for rule in rules:
            allowed = getattr(app.view_functions[rule.endpoint], ACCESS_ATTR)
            allowed = set(Role) if allowed == "public" else set(allowed)
            out_url, in_url = _url(rule, outside), _url(rule, inside)
            if "GET" in rule.methods:
                status = client.get(out_url).status_code
                if status not in (403, 404):
                    failures.append(f"{role.value} GET {out_url} ({rule.endpoint}) outside scope -> {status}")
            if "GET" in rule.methods and in_url is not None:
                status = client.get(in_url).status_code
                expected = {200, 302} if role in allowed else {403}
                if status not in expected:
                    failures.append(f"{role.value} GET {in_url} ({rule.endpoint}) inside scope -> {status}, expected {sorted(expected)}")
            if "POST" in rule.methods:
                before = _row_counts()
                status = client.post(out_url, data={"csrf_token": token, "confirm": "1", "reason": "x"}).status_code
                _db.session.expire_all()
                if status not in (403, 404):
                    failures.append(f"{role.value} POST {out_url} ({rule.endpoint}) outside scope -> {status}")
                if _row_counts() != before:
                    failures.append(f"{role.value} POST {out_url} ({rule.endpoint}) outside scope changed the database")
        auth.logout()
    assert not failures, "\n".join(failures)


def test_anonymous_is_sent_to_login_everywhere(app, client, world):
    for rule in _routes(app):
        if getattr(app.view_functions[rule.endpoint], ACCESS_ATTR) == "public":
            continue
        url = _url(rule, world.C1)
        for method in ("GET", "POST") if "POST" in rule.methods else ("GET",):
            if method not in rule.methods:
                continue
            resp = client.open(url, method=method)
            if method == "POST" and resp.status_code == 400:
                continue  # refused before login: no CSRF token
            assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"], f"{method} {url} -> {resp.status_code}"
