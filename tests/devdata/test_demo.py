"""``flask lms demo``: the demo province, at small scale."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from lms.core.roles import Role
from lms.devdata import demo
from lms.org.models import (
    Gender,
    LegalSupport,
    MediatorMembership,
    Person,
    Team,
    TrainerAppointment,
    TrainerLevel,
    Unit,
    UnitKind,
    User,
)
from lms.org.services import roster
from lms.org.services.official import REFORM_DAY
from lms.reports.figures import coverage
from tests.conftest import Auth, truncate_all

TODAY = "2026-06-15"


def run(runner, *extra):
    result = runner.invoke(args=["lms", "demo", "--communes", "3", *extra])
    return result


def count(db, stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


def snapshot(db) -> tuple:
    """What a seed determines: unit names and flags, people, recognition dates and decisions."""
    units = db.session.execute(select(Unit.code, Unit.name, Unit.is_pilot, Unit.ethnic_minority_area).order_by(Unit.code)).all()
    people = db.session.execute(
        select(Person.full_name, Person.phone, Person.birth_year, Person.gender, Person.ethnicity).order_by(Person.phone)
    ).all()
    members = db.session.execute(
        select(Person.phone, MediatorMembership.recognized_on, MediatorMembership.decision_no, MediatorMembership.is_leader,
               MediatorMembership.left_on)
        .join(Person, Person.id == MediatorMembership.person_id)
        .order_by(Person.phone)
    ).all()
    users = db.session.scalars(select(User.username).order_by(User.username)).all()
    return tuple(units), tuple(people), tuple(members), tuple(users)


def fresh_login(app, username, password, follow=False):
    """Sign in on a new client, in a new app context: the ``app`` fixture keeps one app context
    pushed and requests share it, so its ``g`` (Flask-Login's user, the CSRF token) would leak."""
    with app.app_context():
        return Auth(app.test_client()).login(username, password, follow=follow)


def test_small_demo_province(app, runner, db, freeze):
    freeze(TODAY)
    result = run(runner)
    assert result.exit_code == 0, result.output
    assert "Seeded the demo province Thành phố Cần Thơ" in result.output
    for name in ("admin", "sotuphap", "tuphap.ninhkieu", "taphuanvien", demo.DEMO_PASSWORD, "Hòa giải viên"):
        assert name in result.output

    # today's tree: province -> 3 communes (phường and xã); no district level
    current = Unit.valid_to.is_(None)
    province = db.session.scalar(select(Unit).where(Unit.kind == UnitKind.PROVINCE, current))
    assert (province.code, province.name) == ("92", "Thành phố Cần Thơ")
    assert count(db, select(Unit).where(Unit.kind == UnitKind.PROVINCE, current)) == 1
    assert count(db, select(Unit).where(Unit.kind == UnitKind.DISTRICT, current)) == 0
    communes = db.session.scalars(select(Unit).where(Unit.kind == UnitKind.COMMUNE, current).order_by(Unit.code)).all()
    assert [c.name for c in communes] == ["Phường Ninh Kiều", "Xã Phong Điền", "Xã Lai Hòa"]
    # the real communes of Cần Thơ since 1 July 2025, with the state's codes and types
    assert [(c.code, c.unit_type) for c in communes] == [("31135", "phường"), ("31299", "xã"), ("31810", "xã")]
    assert all(c.parent_id == province.id and c.valid_from == REFORM_DAY for c in communes)
    assert any(c.ethnic_minority_area for c in communes)  # a Khmer area
    assert any(c.is_pilot for c in communes)

    # the past: the old communes that went into them (the shipped history), under their districts and provinces,
    # ended on 30 June 2025; Lai Hòa was in Sóc Trăng
    old = db.session.scalars(select(Unit).where(Unit.kind == UnitKind.COMMUNE, ~current).order_by(Unit.code)).all()
    assert {(u.code, u.name, u.successor.code) for u in old if u.successor.code == "31135"} == {
        ("31123", "Phường Thới Bình", "31135"), ("31135", "Phường Tân An", "31135"), ("31144", "Phường Xuân Khánh", "31135"),
    }
    assert {u.successor_id for u in old} == {c.id for c in communes}
    assert all(u.valid_to == REFORM_DAY - dt.timedelta(days=1) for u in old)
    assert {u.parent.parent.code for u in old} == {"92", "94"}
    assert db.session.scalar(select(Unit).where(Unit.code == "94")).successor_id == province.id
    assert count(db, select(Unit).where(Unit.kind == UnitKind.DISTRICT)) == len({u.parent_id for u in old})

    # ~10 villages per new commune, under its old communes (each old commune has some)
    villages = db.session.scalars(select(Unit).where(Unit.kind == UnitKind.VILLAGE)).all()
    assert 24 <= len(villages) <= 36
    assert {v.parent_id for v in villages} == {u.id for u in old}
    assert all(v.path.startswith(v.parent.path) and v.depth == 3 and v.code.startswith(v.parent.code + "-") for v in villages)
    assert {v.name.split()[0] for v in villages} <= {"Khu", "Ấp"}

    # one team per village
    teams = db.session.scalars(select(Team)).all()
    assert len(teams) == len(villages)
    assert sorted(t.unit_id for t in teams) == sorted(v.id for v in villages)

    # 5-7 mediators per team, except the deliberate composition failures
    failing = {}
    for team in teams:
        n = len(team.memberships)
        codes = {w.code for w in roster.composition_warnings(team)}
        if codes:
            failing[team.id] = codes
        if not 5 <= n <= 7:
            assert n < 3 and "size" in codes, (team.name, n)
        assert sum(m.is_leader for m in team.memberships) == 1
    assert sorted(c for codes in failing.values() for c in codes) == ["minority", "size", "woman"]

    mediators = db.session.scalars(select(Person).join(MediatorMembership, MediatorMembership.person_id == Person.id)).all()
    assert 5 * (len(teams) - 1) <= len(mediators) <= 7 * len(teams)
    women = sum(p.gender == Gender.FEMALE for p in mediators) / len(mediators)
    assert 0.25 <= women <= 0.6
    assert any(p.ethnicity == "Khmer" and p.full_name.split()[0] in {"Thạch", "Sơn", "Lâm", "Danh", "Kim", "Lý", "Trần"} for p in mediators)
    assert all(1950 <= p.birth_year <= 2000 for p in mediators)
    phones = db.session.scalars(select(Person.phone)).all()
    assert len(set(phones)) == len(phones)
    assert all(len(p) == 10 and p.startswith("09") and p.isdigit() for p in phones)
    dates = db.session.scalars(select(MediatorMembership.recognized_on)).all()
    assert min(dates) >= dt.date(2023, 1, 1) and max(dates) <= dt.date.fromisoformat(TODAY)
    left = db.session.scalars(select(MediatorMembership).where(MediatorMembership.left_on.is_not(None))).all()
    assert all(m.leave_reason is not None and m.recognized_on < m.left_on <= dt.date.fromisoformat(TODAY) for m in left)

    # trainers at province level, legal supporters on some teams
    appointments = db.session.scalars(select(TrainerAppointment)).all()
    assert len(appointments) >= 3
    assert all(a.level == TrainerLevel.PROVINCE and a.unit_id == province.id and a.background for a in appointments)
    assert len({a.background for a in appointments}) >= 2
    supports = db.session.scalars(select(LegalSupport)).all()
    assert 1 <= len(supports) <= len(teams)

    # one account per role; each logs in with the printed password
    users = {u.role: u for u in db.session.scalars(select(User))}
    assert set(users) == {Role.SYSTEM_ADMIN, Role.PROVINCE_ADMIN, Role.COMMUNE_OFFICER, Role.TRAINER, Role.MEDIATOR}
    assert users[Role.COMMUNE_OFFICER].unit_id == communes[0].id
    assert users[Role.TRAINER].person.appointments[0].is_active
    mediator = users[Role.MEDIATOR]
    assert mediator.username == mediator.person.phone
    assert mediator.person.unit.parent.successor_id == communes[0].id  # a village of one of Ninh Kiều's old communes
    assert mediator.username in result.output
    for user in users.values():
        assert not user.must_change_password
        resp = fresh_login(app, user.username, demo.DEMO_PASSWORD)
        assert resp.status_code == 302, user.username
        assert "/auth/" not in resp.headers["Location"], user.username
    page = fresh_login(app, "sotuphap", demo.DEMO_PASSWORD, follow=True)
    assert page.status_code == 200
    assert "Phường Ninh Kiều" in page.get_data(as_text=True)
    assert fresh_login(app, "admin", "wrong-password").status_code == 200

    # the officer of the new Ninh Kiều sees the villages of its old communes, and can open their mediators
    with app.app_context():
        officer = Auth(app.test_client())
        officer.login(users[Role.COMMUNE_OFFICER].username, demo.DEMO_PASSWORD)
        page = officer.client.get(f"/org/units/{mediator.person.unit_id}")
        assert page.status_code == 200 and mediator.person.unit.name in page.get_data(as_text=True)
        assert officer.client.get(f"/org/people/{mediator.person_id}").status_code == 200
        # its own page lists the old communes it absorbed, and counts their teams and mediators as its own
        page = officer.client.get(f"/org/units/{communes[0].id}").get_data(as_text=True)
        merged = page[page.index('data-testid="merged"'):]
        assert all(name in merged for name in ("Phường Thới Bình", "Phường Tân An", "Phường Xuân Khánh"))
        ours = [v for v in villages if v.parent.successor_id == communes[0].id]
        assert f"{len(ours)} tổ hòa giải · " in page
        other = next(v for v in villages if v.parent.successor_id != communes[0].id)
        assert officer.client.get(f"/org/units/{other.id}").status_code == 404


def test_demo_figures_are_the_old_communes_before_the_reform_and_the_new_after(runner, db, freeze):
    freeze(TODAY)
    assert run(runner).exit_code == 0
    province = db.session.scalar(select(Unit).where(Unit.code == "92"))
    ninh_kieu = db.session.scalar(select(Unit).where(Unit.code == "31135", Unit.valid_to.is_(None)))
    old = db.session.scalars(select(Unit).where(Unit.successor_id == ninh_kieu.id)).all()

    def mediators(unit, day):
        return coverage(unit, day).figures["E1"].denominator or 0

    def active(units, day):
        villages = select(Unit.id).where(Unit.parent_id.in_([u.id for u in units]))
        return count(db, select(MediatorMembership.person_id).distinct().join(Team).where(
            Team.unit_id.in_(villages), MediatorMembership.recognized_on <= day,
            (MediatorMembership.left_on.is_(None)) | (MediatorMembership.left_on > day)))

    before, after = dt.date(2024, 12, 31), dt.date.fromisoformat(TODAY)
    assert active(old, before) > 0
    # 2024: the new commune did not exist; its mediators counted in their old communes
    assert mediators(ninh_kieu, before) == 0
    assert sum(mediators(u, before) for u in old) == active(old, before)
    # today: all of them in the new commune, and the province counts those of old Sóc Trăng too
    assert mediators(ninh_kieu, after) == active(old, after)
    # its dashboard lists those villages, each with its old commune
    labels = [uf.label for uf in coverage(ninh_kieu, after).children]
    assert len(labels) == count(db, select(Unit).where(Unit.parent_id.in_([u.id for u in old])))
    assert "Khu vực 1 (Phường Thới Bình)" in labels and "Khu vực 1 (Phường Tân An)" in labels
    lai_hoa = db.session.scalar(select(Unit).where(Unit.code == "31810", Unit.valid_to.is_(None)))
    assert mediators(lai_hoa, after) > 0
    assert mediators(province, after) == count(db, select(MediatorMembership.person_id).distinct().where(
        (MediatorMembership.left_on.is_(None)) | (MediatorMembership.left_on > after)))


def test_same_seed_gives_same_province(runner, db, freeze):
    freeze(TODAY)
    assert run(runner, "--seed", "7").exit_code == 0
    first = snapshot(db)
    assert len(first[1]) > 100

    # --force replaces the demo province with the same one
    result = run(runner, "--seed", "7", "--force")
    assert result.exit_code == 0, result.output
    assert snapshot(db) == first
    assert count(db, select(Unit).where(Unit.code == "92")) == 1

    # on an emptied database
    db.session.remove()
    truncate_all()
    assert run(runner, "--seed", "7").exit_code == 0
    assert snapshot(db) == first

    # another seed, another province
    assert run(runner, "--seed", "8", "--force").exit_code == 0
    other = snapshot(db)
    assert ("92", "Thành phố Cần Thơ", False, False) in set(other[0]) & set(first[0])  # the province itself
    assert {p.full_name for p in other[1]} != {p.full_name for p in first[1]}


def test_existing_demo_needs_force(runner, db, freeze):
    freeze(TODAY)
    assert run(runner).exit_code == 0
    people = count(db, select(Person))
    result = run(runner)
    assert result.exit_code == 1
    assert "already exists; use --force" in result.output
    assert count(db, select(Person)) == people


def test_if_empty_seeds_once(runner, db, freeze):
    freeze(TODAY)
    result = run(runner, "--if-empty")
    assert result.exit_code == 0, result.output
    before = snapshot(db)
    audit_rows = db.session.scalar(select(func.count()).select_from(demo.AuditLog))

    result = run(runner, "--if-empty", "--seed", "99")
    assert result.exit_code == 0, result.output
    assert "not seeded" in result.output
    assert "tuphap.ninhkieu" in result.output  # the logins again
    assert snapshot(db) == before
    assert db.session.scalar(select(func.count()).select_from(demo.AuditLog)) == audit_rows


def test_if_empty_leaves_real_data_alone(runner, db, make_unit):
    make_unit(UnitKind.PROVINCE, None, "94", "Tỉnh Sóc Trăng")
    db.session.commit()
    result = run(runner, "--if-empty")
    assert result.exit_code == 0
    assert "not seeded" in result.output
    assert "Demo logins" not in result.output
    assert count(db, select(Unit)) == 1


def test_setup_step_seeds_then_prints_logins(app, db, freeze, capsys):
    from lms.core.cli import _setup_steps

    assert (90, "demo province", demo.setup_step) in _setup_steps
    freeze(TODAY)
    # small scale for the test: the step itself uses the defaults, so seed first
    demo.run_demo(communes=2)
    capsys.readouterr()
    demo.setup_step()
    out = capsys.readouterr().out
    assert "not seeded again" in out
    for name in ("admin", "sotuphap", "tuphap.ninhkieu", "taphuanvien", demo.DEMO_PASSWORD):
        assert name in out

    # an account whose password was changed is no longer listed with the demo password
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    admin.set_password("a-new-secret-1")
    db.session.commit()
    logins = demo.demo_logins()
    assert "admin" not in {lg.username for lg in logins}
    assert len(logins) == 4


def test_the_demo_communes_are_cantho_s_real_ones_then_made_up_ones():
    from lms.devdata.demo import DemoBuilder
    from lms.org.services import official

    real = {u.code: u.name for u in official.official_units("92") if u.kind.value == "commune"}
    names = DemoBuilder(seed=1, communes=105).commune_names()
    assert len(real) == 103 and {code: name for code, name, _, _ in names[:105] if code in real} == real
    made_up = [(code, name) for code, name, _, _ in names if code not in real]
    assert len(made_up) == 2 and all(code.startswith("9") and len(code) == 5 and name.endswith(" 2") for code, name in made_up)
    assert len({code for code, *_ in names}) == 105
