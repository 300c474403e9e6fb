"""P1: coverage figures for the whole country and for one province, against hand-written aggregate SQL.

Run against a database already loaded by ``synth`` (it reads LMS_DATABASE_URL like the app):

    export LMS_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/lms_bench   # or sqlite:////path/db.sqlite3
    .venv/bin/flask --app wsgi lms init && .venv/bin/flask --app wsgi lms content import
    .venv/bin/flask --app wsgi lms synth --scale national        # or --scale province
    .venv/bin/python bench/p1_coverage.py [--repeat 3] [--day 2026-11-15]

"Whole country" = ``coverage()`` of every province (there is no country unit), summed.
The lower bound computes the same numbers — E1, G, E2, E3, D, Đ, C and H for every province and every
commune — with plain SQL text (no ORM, no path ranges: it joins village → commune → province through
``parent_id``, which only works on the synthetic three-level tree), one GROUP BY per figure and level.
The numbers are asserted equal to the app's; then the ratio app / lower bound is printed
(goal ≤ 1.5×) and the one-province time (goal ≤ 150 ms). B1, B2 and I are computed in Python from
a few rows and are left out of the lower bound.
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

ACTIVE = "m.recognized_on <= :d AND (m.left_on IS NULL OR m.left_on >= :d)"
CERT = (
    "EXISTS (SELECT 1 FROM certificate x WHERE x.person_id = {pid} AND x.program_code = '{prog}'"
    " AND x.issued_on <= :d AND (x.revoked_on IS NULL OR x.revoked_on > :d){extra})"
)
TREE = "FROM mediator_membership m JOIN team t ON t.id = m.team_id JOIN unit v ON v.id = t.unit_id JOIN unit c ON c.id = v.parent_id"
TEAM_TREE = "FROM team t JOIN unit v ON v.id = t.unit_id JOIN unit c ON c.id = v.parent_id"


def lower_bound_queries(key: str, where: str) -> dict[str, str]:
    """SQL per figure group; ``key`` is ``c.id`` (communes) or ``c.parent_id`` (provinces)."""
    people = (
        "SELECT k, count(*), sum(CASE WHEN " + CERT.format(pid="p.person_id", prog="hgv", extra="") + " THEN 1 ELSE 0 END),"
        " sum(CASE WHEN EXISTS (SELECT 1 FROM material_access a WHERE a.person_id = p.person_id AND a.accessed_on <= :d) THEN 1 ELSE 0 END)"
        f" FROM (SELECT DISTINCT {key} AS k, m.person_id {TREE} WHERE {ACTIVE} {where} {{pilot}}) p GROUP BY k"
    )
    return {
        "E1_G": people.format(pilot=""),
        "E2": people.format(pilot="AND (v.is_pilot OR (v.kind = 'village' AND c.is_pilot))"),
        "E3": (
            f"SELECT {key}, count(m.id), sum(CASE WHEN " + CERT.format(pid="m.person_id", prog="hgv", extra=" AND x.issued_on <= m.deadline")
            + f" THEN 1 ELSE 0 END) {TREE} WHERE m.recognized_on >= :start AND m.deadline <= :d"
            f" AND NOT (m.left_on IS NOT NULL AND m.left_on < m.deadline) {where} GROUP BY {key}"
        ),
        "D_Đ": (
            f"SELECT {key}, count(t.id),"
            " sum(CASE WHEN coalesce(s.n, 0) >= 3 AND coalesce(s.women, 0) >= 1"
            " AND (NOT (v.ethnic_minority_area OR (v.kind = 'village' AND c.ethnic_minority_area)) OR coalesce(s.minority, 0) >= 1) THEN 1 ELSE 0 END),"
            " sum(CASE WHEN EXISTS (SELECT 1 FROM legal_support l WHERE l.team_id = t.id AND l.from_on <= :d AND (l.to_on IS NULL OR l.to_on >= :d))"
            " THEN 1 ELSE 0 END)"
            f" {TEAM_TREE} LEFT JOIN (SELECT m.team_id, count(m.id) AS n, sum(CASE WHEN p.gender = 'female' THEN 1 ELSE 0 END) AS women,"
            " sum(CASE WHEN p.is_minority THEN 1 ELSE 0 END) AS minority FROM mediator_membership m JOIN person p ON p.id = m.person_id"
            f" WHERE {ACTIVE} GROUP BY m.team_id) s ON s.team_id = t.id"
            f" WHERE (t.established_on IS NULL OR t.established_on <= :d) AND (t.dissolved_on IS NULL OR t.dissolved_on >= :d) {where} GROUP BY {key}"
        ),
        "H": f"SELECT {key}, sum(s.successful), sum(s.unsuccessful) {TEAM_TREE} JOIN case_stat s ON s.team_id = t.id WHERE s.year = :y {where} GROUP BY {key}",
    }


TRAINERS = (
    "SELECT k, count(*), sum(CASE WHEN " + CERT.format(pid="q.person_id", prog="thv", extra="") + " THEN 1 ELSE 0 END)"
    " FROM (SELECT DISTINCT a.unit_id AS k, a.person_id FROM trainer_appointment a JOIN unit u ON u.id = a.unit_id"
    " WHERE u.kind = 'province' AND a.started_on <= :d AND (a.ended_on IS NULL OR a.ended_on >= :d) {where}) q GROUP BY k"
)


def lower_bound(conn, params: dict, province_id: int | None) -> dict[str, dict[int, tuple]]:
    from sqlalchemy import text

    out: dict[str, dict[int, tuple]] = {}
    for key in ("c.id", "c.parent_id"):
        where = "AND c.parent_id = :pid" if province_id else ""
        for name, sql in lower_bound_queries(key, where).items():
            rows = conn.execute(text(sql), {**params, "pid": province_id}).all()
            out.setdefault(name, {}).update({r[0]: tuple(r[1:]) for r in rows})
    sql = TRAINERS.format(where="AND a.unit_id = :pid" if province_id else "")
    out["C"] = {r[0]: tuple(r[1:]) for r in conn.execute(text(sql), {**params, "pid": province_id}).all()}
    return out


def expected(lb: dict[str, dict[int, tuple]], unit_id: int) -> dict[str, tuple[int, int]]:
    def get(name: str, width: int) -> tuple:
        return tuple(int(v or 0) for v in lb[name].get(unit_id, (0,) * width))

    n, trained, accessed = get("E1_G", 3)
    pn, pt, _ = get("E2", 3)
    due, on_time = get("E3", 2)
    teams, meets, supported = get("D_Đ", 3)
    tn, tt = get("C", 2)
    ok, failed = get("H", 2)
    return {"E1": (trained, n), "G": (accessed, n), "E2": (pt, pn), "E3": (on_time, due), "D": (meets, teams), "Đ": (supported, teams),
            "C": (tt, tn), "H": (ok, ok + failed)}


def check(cov, lb) -> int:
    checked = 0
    for uf in [cov.root, *cov.children]:
        want = expected(lb, uf.unit.id)
        for code, (num, den) in want.items():
            f = uf.figures[code]
            got = (int(f.numerator or 0), int(f.denominator or 0))
            assert got == (num, den), f"{uf.unit.code} {code}: app {got} ≠ lower bound {(num, den)}"
            checked += 1
    return checked


def median_time(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        func()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--day", type=dt.date.fromisoformat, default=dt.date(2026, 11, 15))
    args = parser.parse_args()

    from sqlalchemy import func, select

    from lms import create_app
    from lms.extensions import db
    from lms.org.models import Team, Unit, UnitKind
    from lms.reports.figures import coverage, plan_for

    app = create_app()
    with app.app_context():
        day, year = args.day, args.day.year
        provinces = list(db.session.scalars(select(Unit).where(Unit.kind == UnitKind.PROVINCE).order_by(Unit.code)))
        if not provinces:
            sys.exit("No units: run `flask --app wsgi lms synth --scale province|national` first.")
        sizes = dict(db.session.execute(
            select(Unit.parent_id, func.count(Team.id)).join(Team, Team.unit_id == Unit.id).where(Unit.kind == UnitKind.VILLAGE).group_by(Unit.parent_id)
        ).all())
        commune_parent = dict(db.session.execute(select(Unit.id, Unit.parent_id).where(Unit.kind == UnitKind.COMMUNE)).all())
        per_province: dict[int, int] = {}
        for cid, n in sizes.items():
            per_province[commune_parent[cid]] = per_province.get(commune_parent[cid], 0) + n
        biggest = max(provinces, key=lambda p: per_province.get(p.id, 0))
        plan = plan_for(biggest)
        start = plan.start_date if plan else dt.date(2024, 1, 1)
        params = {"d": day, "y": year, "start": start}
        conn = db.session.connection()
        dialect = conn.dialect.name

        def say(msg: str) -> None:
            print(msg, flush=True)

        say(f"{dialect}: {len(provinces)} provinces; day {day}, year {year}")
        # the whole country: each province once, timed, then checked against the lower bound
        t = time.perf_counter()
        lb_all = lower_bound(conn, params, None)
        lb_country = time.perf_counter() - t
        say(f"lower bound, whole country: {lb_country * 1000:.0f} ms")
        app_country, checked = 0.0, 0
        for p in provinces:
            t = time.perf_counter()
            cov = coverage(p, day, year)
            spent = time.perf_counter() - t
            app_country += spent
            checked += check(cov, lb_all)
            say(f"  coverage({p.code}): {spent * 1000:.0f} ms")
        for _ in range(args.repeat - 1):  # the best of --repeat passes, for both sides
            lb_country = min(lb_country, median_time(lambda: lower_bound(conn, params, None), 1))
            app_country = min(app_country, median_time(lambda: [coverage(p, day, year) for p in provinces], 1))
        lb_one = lower_bound(conn, params, biggest.id)
        checked += check(coverage(biggest, day, year), lb_one)
        app_one = median_time(lambda: coverage(biggest, day, year), max(args.repeat, 3))
        lb_one_t = median_time(lambda: lower_bound(conn, params, biggest.id), max(args.repeat, 3))

        counts = {t: db.session.execute(db.text(f"SELECT count(*) FROM {t}")).scalar() for t in (  # noqa: S608 (fixed names)
            "unit", "team", "person", "mediator_membership", "certificate", "lesson_view", "case_stat")}
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}, {dialect}")
        print("data: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
        print(f"{checked} numerator/denominator pairs equal to the lower bound")
        print(f"whole country ({len(provinces)} provinces): app {app_country * 1000:.0f} ms, lower bound {lb_country * 1000:.0f} ms, "
              f"ratio {app_country / lb_country:.2f}× (goal ≤ 1.5×)")
        print(f"one province ({biggest.code}, {per_province.get(biggest.id, 0):,} teams): app {app_one * 1000:.0f} ms (goal ≤ 150 ms), "
              f"lower bound {lb_one_t * 1000:.0f} ms, ratio {app_one / lb_one_t:.2f}×")


if __name__ == "__main__":
    main()
