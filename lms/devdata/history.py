"""The demo province's training history (``make run``): past certificates, access to materials,
trainers' training and quarterly case statistics, so that the dashboard has something to show.

Runs once, after the demo province is seeded (setup step 92), only when the demo province
exists and has no certificates yet. Deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import random

import click
from sqlalchemy import func, insert, select

from ..certificates.models import Certificate, SerialCounter
from ..certificates.services import new_verification_code, settings_for
from ..core import clock
from ..core.cli import register_setup_step
from ..curriculum.services import current_program
from ..extensions import db
from ..learning.models import MaterialAccess
from ..org.models import CaseStat, MediatorMembership, Person, Team, TrainerAppointment, Unit
from ..org.services.roster import unit_by_code
from .demo import PROVINCE_CODE


def seed_history(seed: int = 2026) -> str:
    province = unit_by_code(PROVINCE_CODE)
    if province is None:
        return "no demo province"
    hgv, thv = current_program("hgv"), current_program("thv")
    if hgv is None or thv is None:
        return "curriculum not imported"
    in_demo = Unit.scope_clause(province.path)  # with the old communes merged into it, where the villages are
    in_province = Person.unit_id.in_(select(Unit.id).where(in_demo))
    if db.session.scalar(select(func.count(Certificate.id)).join(Person).where(in_province)):
        return "already there"
    rng = random.Random(seed)
    today = clock.today()
    settings = settings_for(province)
    settings.signer_name = settings.signer_name or "Nguyễn Văn Hòa"
    members = db.session.execute(
        select(MediatorMembership.person_id, func.min(MediatorMembership.recognized_on)).join(Person).where(in_province).group_by(MediatorMembership.person_id)
    ).all()
    trainers = db.session.execute(
        select(TrainerAppointment.person_id, func.min(TrainerAppointment.started_on)).join(Person).where(in_province).group_by(TrainerAppointment.person_id)
    ).all()
    counters: dict[int, int] = {}
    certs, access = [], []

    def cert(person_id: int, program, issued_on: dt.date, name_birth) -> None:
        counters[issued_on.year] = counters.get(issued_on.year, 0) + 1
        certs.append({
            "serial": f"{settings.serial_prefix}-{issued_on.year}-{counters[issued_on.year]:06d}", "verification_code": new_verification_code(),
            "person_id": person_id, "program_code": program.code, "program_id": program.id, "issued_on": issued_on,
            "issuing_unit_id": province.id, "holder_name": name_birth[0], "holder_birth_year": name_birth[1], "issuer_name": settings.issuer_name,
            "signer_title": settings.signer_title, "signer_name": settings.signer_name, "place": settings.place, "program_title": program.title,
            "hours": program.hours, "mode": "in_person", "training_from": issued_on - dt.timedelta(days=2), "training_to": issued_on,
            "source": "external", "basis": "Lớp tập huấn tại xã (giấy chứng nhận giấy)",
            "created_at": clock.now(), "updated_at": clock.now(),
        })

    names = dict((pid, (n, y)) for pid, n, y in db.session.execute(select(Person.id, Person.full_name, Person.birth_year).where(in_province)))
    for person_id, recognized in members:
        if rng.random() < 0.62:
            issued = recognized + dt.timedelta(days=rng.randint(20, 260))
            if issued <= today:
                cert(person_id, hgv, issued, names[person_id])
        if rng.random() < 0.75:
            day = recognized + dt.timedelta(days=rng.randint(1, 120))
            if day <= today:
                access.append({"person_id": person_id, "kind": rng.choice(["online", "printed"]), "accessed_on": day, "recorded_at": clock.now()})
    for person_id, started in trainers:
        if rng.random() < 0.7:
            cert(person_id, thv, min(today, started + dt.timedelta(days=rng.randint(10, 200))), names[person_id])
    certs.sort(key=lambda c: c["serial"])
    for n in range(0, len(certs), 1000):
        db.session.execute(insert(Certificate), certs[n:n + 1000])
    for n in range(0, len(access), 1000):
        db.session.execute(insert(MaterialAccess), access[n:n + 1000])
    for year, last in counters.items():
        db.session.merge(SerialCounter(unit_id=province.id, year=year, last=last))

    teams = db.session.scalars(select(Team.id).join(Unit, Unit.id == Team.unit_id).where(in_demo)).all()
    quarters = [(y, q) for y in range(2024, today.year + 1) for q in range(1, 5) if dt.date(y, 3 * q - 2, 1) <= today and (y, q) >= (2024, 1)]
    cases = []
    for team_id in teams:
        for y, q in quarters:
            received = rng.choice([0, 0, 1, 1, 2, 2, 3, 4, 5])
            if not received:
                continue
            current = (y, q) == quarters[-1]
            open_ = rng.randint(0, min(2, received)) if current else 0
            ok = sum(rng.random() < 0.84 for _ in range(received - open_))
            cases.append({"team_id": team_id, "year": y, "quarter": q, "received": received, "successful": ok,
                          "unsuccessful": received - open_ - ok, "open": open_, "created_at": clock.now(), "updated_at": clock.now()})
    for n in range(0, len(cases), 1000):
        db.session.execute(insert(CaseStat), cases[n:n + 1000])
    db.session.flush()
    return f"{len(certs)} certificates, {len(access)} access records, {len(cases)} quarterly case rows"


def setup_step() -> None:
    click.echo(f"  {seed_history()}")
    db.session.commit()


def register(group) -> None:
    @group.command("demo-history")
    def demo_history_command() -> None:
        """Seed the demo province's past certificates, access records and case statistics (once)."""
        setup_step()

    register_setup_step(92, "demo training history", setup_step)
