"""A small province with every figure populated, shared by the API, export, report and CLI tests.

Province 92 (the Cần Thơ plan loaded from its YAML file): district 916 with communes C1 (31117) and
C2 (31120), commune C3 (31150) directly under the province; province 94 outside. Today is 15/10/2025.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from lms.core.roles import Role
from lms.org.models import Background, CaseStat, Gender, TrainerLevel
from lms.org.services import roster
from lms.org.services.plans import load_plan_file
from lms.reports.cli import PLANS_DIR

D = dt.date
TODAY = D(2025, 10, 15)


def build(db, tree, freeze, make_person, make_mediator, make_certificate, make_user) -> SimpleNamespace:
    freeze(TODAY.isoformat())
    plan, _ = load_plan_file(PLANS_DIR / "can-tho-146-2024.yaml")
    assert plan is not None
    w = SimpleNamespace(tree=tree, plan=plan, today=TODAY)
    # C1 / T1: four mediators recognized 1/9/2024 (deadline 1/3/2025): on time, late, overdue, overdue
    on_time = make_mediator(tree.T1, recognized_on=D(2024, 9, 1), name="Trần Thị Đúng Hạn", phone="0901000001", is_leader=True)
    late = make_mediator(tree.T1, recognized_on=D(2024, 9, 1), name="Lê Văn Trễ", gender=Gender.MALE)
    w.overdue = make_mediator(tree.T1, recognized_on=D(2024, 9, 1), name="Phạm Văn Quá Hạn", gender=Gender.MALE, phone="0901000003")
    make_mediator(tree.T1, recognized_on=D(2024, 9, 1), name="Võ Thị Chưa Học")
    make_certificate(on_time.person, issued_on=D(2025, 2, 20))
    make_certificate(late.person, issued_on=D(2025, 4, 2))
    # C1 / T2: one recognized 20/4/2025 (deadline 20/10/2025: due soon), one before the plan
    w.due_soon = make_mediator(tree.T2, recognized_on=D(2025, 4, 20), name="Ngô Thị Sắp Hạn", phone="0901000005")
    make_mediator(tree.T2, recognized_on=D(2024, 5, 2), name="Đỗ Văn Cũ", gender=Gender.MALE)
    # C2 / T3: three mediators, one trained
    trained = make_mediator(tree.T3, recognized_on=D(2024, 10, 1), name="Huỳnh Thị Ba")
    make_mediator(tree.T3, recognized_on=D(2024, 10, 1), name="Mai Văn Bốn", gender=Gender.MALE)
    w.other_overdue = make_mediator(tree.T3, recognized_on=D(2024, 10, 1), name="Lý Thị Năm")
    make_certificate(trained.person, issued_on=D(2025, 3, 1))
    # C3 / T4 (ethnic-minority area): two mediators, none from a minority; a legal supporter
    make_mediator(tree.T4, recognized_on=D(2025, 1, 10), name="Thạch Thị Sáu")
    make_mediator(tree.T4, recognized_on=D(2025, 1, 10), name="Danh Văn Bảy", gender=Gender.MALE)
    roster.add_legal_support(person=make_person(tree.V4, name="Luật sư Tám"), team=tree.T4, from_on=D(2025, 1, 1), background=Background.LAWYER)
    # trainers: one province-level (trained), one district-level (not)
    pt = make_person(tree.P, name="Tập huấn viên Tỉnh")
    roster.appoint_trainer(person=pt, level=TrainerLevel.PROVINCE, unit=tree.P, started_on=D(2024, 8, 1))
    make_certificate(pt, code="thv", issued_on=D(2024, 12, 1))
    dt_person = make_person(tree.D, name="Tập huấn viên Huyện")
    roster.appoint_trainer(person=dt_person, level=TrainerLevel.DISTRICT, unit=tree.D, started_on=D(2024, 8, 1))
    # cases (H): T1 17 successful of 32 closed in 2025 -> 53.1 %; T3 9 of 10
    db.session.add_all([
        CaseStat(team_id=tree.T1.id, year=2025, quarter=1, received=20, successful=9, unsuccessful=8, open=3),
        CaseStat(team_id=tree.T1.id, year=2025, quarter=2, received=18, successful=8, unsuccessful=7, open=3),
        CaseStat(team_id=tree.T3.id, year=2025, quarter=1, received=10, successful=9, unsuccessful=1, open=0),
        CaseStat(team_id=tree.T1.id, year=2024, quarter=4, received=5, successful=4, unsuccessful=1, open=0),
        CaseStat(team_id=tree.TQ.id, year=2025, quarter=1, received=3, successful=1, unsuccessful=2, open=0),
    ])
    tree.C1.model_commune_year = 2025
    w.users = SimpleNamespace(
        province=make_user(Role.PROVINCE_ADMIN, tree.P, username="so-tu-phap"),
        district=make_user(Role.DISTRICT_ADMIN, tree.D, username="phong-tu-phap"),
        commune=make_user(Role.COMMUNE_OFFICER, tree.C1, username="cb-an-hoa"),
        other_commune=make_user(Role.COMMUNE_OFFICER, tree.C2, username="cb-thoi-binh"),
        trainer=make_user(Role.TRAINER, tree.P, person=pt, username="thv-tinh"),
        mediator=make_user(Role.MEDIATOR, tree.V1, person=on_time.person, username="hgv-an-hoa"),
        outside=make_user(Role.PROVINCE_ADMIN, tree.Q, username="soc-trang"),
    )
    db.session.commit()
    return w
