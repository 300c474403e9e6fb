"""``flask lms synth``: the synthetic roster is deterministic for a seed (same rows, counts and figures twice)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import select, text

from lms.core import clock
from lms.core.collation import person_sort_key, team_sort_key, unit_sort_key
from lms.curriculum.services import import_content
from lms.extensions import db
from lms.org.models import MediatorMembership, Person, Team, Unit, UnitKind, training_deadline
from lms.reports.figures import coverage
from tests.conftest import make_app

CONTENT = Path(__file__).resolve().parents[2] / "course_content"
TABLES = ["unit", "team", "person", "mediator_membership", "trainer_appointment", "legal_support", "certificate",
          "certificate_serial_counter", "certificate_settings", "material_access", "case_stat", "lesson_view"]
DAY = dt.date(2026, 11, 15)


def _synthesize(tmp_path: Path, name: str, seed: int = 7) -> dict:
    app = make_app(f"sqlite:///{tmp_path / name}.sqlite3")
    try:
        with app.app_context(), clock.frozen(dt.date(2026, 11, 27)):
            upgrade()
            import_content(CONTENT)
            db.session.commit()
            result = app.test_cli_runner().invoke(args=["lms", "synth", "--scale", "province", "--seed", str(seed), "--communes", "3"])
            assert result.exit_code == 0, result.output
            assert "lesson_view" in result.output
            counts = {t: db.session.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES}  # noqa: S608 (fixed names)
            province = db.session.scalar(select(Unit).where(Unit.kind == UnitKind.PROVINCE))
            figures = coverage(province, DAY).as_dict()
            fingerprint = {
                "serials": db.session.scalars(text("SELECT serial || verification_code FROM certificate ORDER BY serial")).all(),
                "memberships": db.session.execute(
                    text("SELECT person_id, team_id, recognized_on, left_on, deadline FROM mediator_membership ORDER BY id")
                ).all(),
                "paths": db.session.scalars(text("SELECT path FROM unit ORDER BY id")).all(),
            }
            # deadlines are set (the ORM event does not run for bulk inserts), paths are real ids
            first = db.session.scalars(select(MediatorMembership).order_by(MediatorMembership.id).limit(50)).all()
            assert all(m.deadline == training_deadline(m.recognized_on) for m in first)
            roots = db.session.execute(select(Unit.id, Unit.path).where(Unit.parent_id.is_(None))).all()
            assert roots and all(path == f"/{uid}/" for uid, path in roots)
            village = db.session.scalar(select(Unit).where(Unit.kind == UnitKind.VILLAGE).limit(1))
            assert village.path == f"{village.parent.parent.path}{village.parent_id}/{village.id}/"
            # and the Vietnamese sort keys
            assert all(p.sort_key == person_sort_key(p.full_name) for p in db.session.scalars(select(Person).limit(200)))
            assert all(u.sort_key == unit_sort_key(u.kind, u.code, u.name) for u in db.session.scalars(select(Unit).limit(200)))
            assert all(t.sort_key == team_sort_key(t.name) for t in db.session.scalars(select(Team).limit(200)))
            # a second run refuses: the roster is not empty
            again = app.test_cli_runner().invoke(args=["lms", "synth", "--scale", "province", "--communes", "3"])
            assert again.exit_code != 0
            assert "synth chỉ chạy trên danh sách trống" in again.output
            db.session.remove()
            return {"counts": counts, "figures": figures, "fingerprint": fingerprint}
    finally:
        with app.app_context():
            db.engine.dispose()


def test_synth_province_is_deterministic(tmp_path):
    one = _synthesize(tmp_path, "one")
    two = _synthesize(tmp_path, "two")
    assert one["counts"] == two["counts"]
    assert one["figures"] == two["figures"]
    assert one["fingerprint"] == two["fingerprint"]
    counts = one["counts"]
    assert counts["unit"] > 3 * 12 and counts["team"] >= counts["unit"] - 4  # every village has a team
    assert counts["mediator_membership"] > 3 * counts["team"]
    assert counts["certificate"] > 0 and counts["lesson_view"] > counts["certificate"]
    assert counts["case_stat"] == 11 * counts["team"]  # 2024Q1 … 2026Q3
    e1 = one["figures"]["figures"]["E1"]
    assert e1["denominator"] > 0 and 0 < e1["numerator"] < e1["denominator"]
    assert len(one["figures"]["children"]) == 3


def test_synth_seed_changes_the_roster(tmp_path):
    assert _synthesize(tmp_path, "a", seed=1)["fingerprint"] != _synthesize(tmp_path, "b", seed=2)["fingerprint"]
