"""P1 with a merged history: one province's coverage when every commune absorbed old communes on 1 July 2025.

Run against a database loaded by ``synth --scale province`` (one province, code 92, 100 communes):

    export LMS_DATABASE_URL=sqlite:////tmp/lms-reform.sqlite3     # or postgresql+psycopg://postgres@127.0.0.1:5432/lms_reform
    .venv/bin/flask --app wsgi lms init && .venv/bin/flask --app wsgi lms content import
    .venv/bin/flask --app wsgi lms synth --scale province
    .venv/bin/python bench/p1_reform.py [--old-per-commune 5] [--repeat 5]

It times ``coverage()`` of the province for a day after the reform and a day before it, first on the synthetic
tree, then with ``--old-per-commune`` old communes per commune added (each ended 30 June 2025 under an old district,
its successor that commune, with one village, one team and five mediators recognized in 2024, three of them
certified): 100 × 5 old communes give the province's buckets more than 600 path ranges, past SQLite's 500-term
limit on a compound SELECT that the figures once hit. The added rows are flushed, never committed: the database is
left as it was. Checked: after the reform each commune's E1 denominator grew by its old communes' mediators; before
it, the old districts hold them. Goal: P1's, one province ≤ 150 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

END = dt.date(2025, 6, 30)
BEFORE, AFTER = dt.date(2025, 3, 31), dt.date(2026, 11, 15)


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--old-per-commune", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from sqlalchemy import select

    from lms import create_app
    from lms.extensions import db
    from lms.org.models import Unit, UnitKind
    from lms.org.services import roster
    from lms.reports.figures import Buckets, coverage, merged_predecessors, unit_ranges

    app = create_app()
    with app.app_context():
        province = db.session.scalar(select(Unit).where(Unit.code == "92", Unit.kind == UnitKind.PROVINCE))
        if province is None:
            sys.exit("No province 92: run `flask --app wsgi lms synth --scale province` first.")
        dialect = db.session.get_bind().dialect.name
        communes = list(db.session.scalars(select(Unit).where(Unit.parent_id == province.id, Unit.kind == UnitKind.COMMUNE).order_by(Unit.path)))
        base = {day: median_ms(lambda d=day: coverage(province, d), args.repeat) for day in (BEFORE, AFTER)}
        base_e1 = {c.unit.id: c.figures["E1"].denominator for c in coverage(province, AFTER).children}

        t = time.perf_counter()
        n = 0
        district = roster.create_unit(code="9B0", name="Huyện Cũ", kind=UnitKind.DISTRICT, parent=province, valid_to=END)
        for commune in communes:
            for _ in range(args.old_per_commune):
                n += 1
                old = roster.create_unit(code=f"9B{n:04d}", name=f"Xã Cũ {n}", kind=UnitKind.COMMUNE, parent=district, valid_to=END, successor=commune)
                village = roster.create_unit(code=f"9B{n:04d}-01", name="Ấp 1", kind=UnitKind.VILLAGE, parent=old)
                team = roster.create_team(unit=village, name=f"Tổ hòa giải ấp 1 xã cũ {n}")
                for j in range(5):
                    person = roster.create_person(full_name=f"Nguyễn Thị Cũ {n}-{j}", unit=village, birth_year=1980)
                    roster.recognize_mediator(person=person, team=team, recognized_on=dt.date(2024, 9, 1))
        db.session.flush()
        built = time.perf_counter() - t

        merges = merged_predecessors()
        children = [(c.id, unit_ranges(c, merges, AFTER)) for c in communes]
        b = Buckets.for_coverage(province, unit_ranges(province, merges, AFTER), children, [district])
        ranges = len(b.rows)
        after_cov = coverage(province, AFTER)
        grown = {c.unit.id: c.figures["E1"].denominator - base_e1.get(c.unit.id, 0) for c in after_cov.children}
        assert set(grown.values()) == {5 * args.old_per_commune}, sorted(set(grown.values()))
        before_cov = coverage(province, BEFORE)
        old_district = next(c for c in before_cov.children if c.unit.id == district.id)
        assert old_district.figures["E1"].denominator == 5 * n, old_district.figures["E1"]
        merged = {day: median_ms(lambda d=day: coverage(province, d), args.repeat) for day in (BEFORE, AFTER)}
        db.session.rollback()

        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {dialect}; load {os.getloadavg()[0]:.2f}")
        print(f"province 92: {len(communes)} communes; added {n} old communes ({n * 5:,} mediators) in {built:.1f} s, not committed")
        print(f"bucket ranges on {AFTER}: {ranges}")
        for day in (BEFORE, AFTER):
            print(f"coverage(92, {day}): synthetic tree {base[day]:.0f} ms, with the merged history {merged[day]:.0f} ms (goal ≤ 150 ms)")


if __name__ == "__main__":
    main()
