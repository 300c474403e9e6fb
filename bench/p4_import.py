"""P4: a 100,000-row roster (mediators) XLSX import: goal ≤ 30 s and peak memory ≤ 300 MB, on SQLite and PostgreSQL.

    .venv/bin/python bench/p4_import.py                                   # SQLite file in a temporary directory
    .venv/bin/python bench/p4_import.py --db postgresql+psycopg://postgres@127.0.0.1:5432/lms_p4_bench

What it does:
1. writes a deterministic mediators XLSX (``--rows``, default 100,000; ``--seed``) for a province of ``--villages``
   villages (default 16,000, about 6 mediators each as in the national figures): one row per recognition, ≈ 90 % with
   a phone, ≈ 4 % who left (date and reason), ≈ 1 % recognized a second time after leaving, the first of each village
   its team leader; the villages have no team yet, so the import creates them;
2. creates a fresh database (the SQLite file, or drops and re-creates the PostgreSQL database named in ``--db``),
   migrates it and loads the province, its communes and villages directly (ids and paths computed here);
3. runs, each in a **child process** that does only that (so its peak RSS, ``ru_maxrss``, is the import's):
   reading the file alone (the reader, no database), the real import (``run_import`` + commit), and a re-import
   of the same file (nothing may change: no row, no audit row);
4. prints wall time and peak memory against the goals, and checks the row counts.

The PostgreSQL database is dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL_SECONDS = 30.0
GOAL_MB = 300.0
TODAY = "2026-11-15"
PROVINCE = ("92", "Thành phố Cần Thơ")
MINORITIES = ["Khmer", "Tày", "Thái", "Mường", "Chăm"]
REASONS = ["Theo nguyện vọng", "Không còn đủ tiêu chuẩn", "Chuyển nơi ở"]


# --------------------------------------------------------------------------- the file


def village_code(i: int) -> str:
    return f"V{i:05d}"


def commune_code(i: int) -> str:
    return f"C{i:04d}"


def generate(path: Path, rows: int, villages: int, seed: int) -> None:
    """A deterministic mediators XLSX (openpyxl write-only) with ``rows`` data rows."""
    from openpyxl import Workbook

    from lms.devdata import demo as names
    from lms.org.imports import MEDIATOR_COLUMNS

    rng = random.Random(seed)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Hòa giải viên")
    ws.append([c.header for c in MEDIATOR_COLUMNS])
    leaders: set[int] = set()
    phone = 0
    written = 0
    again: list[list] = []  # people who left and are recognized a second time, further down the file
    while written < rows:
        if again and (rng.random() < 0.01 or written + len(again) >= rows):
            ws.append(again.pop())
            written += 1
            continue
        v = written * villages // rows  # ≈ rows / villages consecutive rows per village
        female = rng.random() < 0.45
        middle = names._pick(rng, names.MIDDLE_FEMALE if female else names.MIDDLE_MALE)
        given = rng.choice(names.GIVEN_FEMALE if female else names.GIVEN_MALE)
        name = f"{names._pick(rng, names.FAMILY)} {middle} {given}"
        minority = rng.random() < 0.05
        number = None
        if rng.random() < 0.9:
            phone += 1
            number = f"09{phone:08d}"
        recognized = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(0, 7 * 365))
        row = [
            name, "Nữ" if female else "Nam", rng.randint(1950, 2000), rng.choice(MINORITIES) if minority else "Kinh", number,
            village_code(v), None, f"{rng.randint(1, 300)}/QĐ-UBND", recognized.strftime("%d/%m/%Y"),
            "x" if v not in leaders else None, None, None,
        ]
        leaders.add(v)
        if rng.random() < 0.04:
            left = recognized + dt.timedelta(days=rng.randrange(30, 700))
            if left < dt.date(2026, 10, 1):
                row[10], row[11] = left.strftime("%d/%m/%Y"), rng.choice(REASONS)
                if rng.random() < 0.25:
                    back = left + dt.timedelta(days=rng.randrange(30, 300))
                    if back < dt.date(2026, 11, 1):
                        again.append([*row[:8], back.strftime("%d/%m/%Y"), None, None, None])
        ws.append(row)
        written += 1
    wb.save(path)


# --------------------------------------------------------------------------- the database


def make_app(url: str):
    os.environ["LMS_TODAY"] = TODAY
    from lms import create_app

    instance = Path(tempfile.gettempdir()) / "lms-p4-instance"
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance), "REDIS_URL": None, "SECRET_KEY": "bench"})


def fresh_database(url: str) -> None:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        Path(u.database).unlink(missing_ok=True)
        return
    import psycopg

    admin = u.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{u.database}"')


def drop_database(url: str) -> None:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        Path(u.database).unlink(missing_ok=True)
        return
    import psycopg

    admin = u.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')


def load_units(url: str, villages: int) -> None:
    """Migrate, then the province, its communes (80 villages each) and the villages, in one transaction."""
    from flask_migrate import upgrade
    from sqlalchemy import insert, text

    from lms.core import clock
    from lms.extensions import db
    from lms.org.models import Unit, UnitKind

    app = make_app(url)
    with app.app_context():
        upgrade()
        now = clock.now()
        rows = [dict(id=1, code=PROVINCE[0], name=PROVINCE[1], kind=UnitKind.PROVINCE, parent_id=None, path="/1/", depth=0)]
        communes = (villages + 79) // 80
        for c in range(communes):
            uid = 2 + c
            rows.append(dict(id=uid, code=commune_code(c), name=f"Xã Số {c + 1}", kind=UnitKind.COMMUNE, parent_id=1, path=f"/1/{uid}/", depth=1))
        for v in range(villages):
            uid = 2 + communes + v
            parent = 2 + v // 80
            rows.append(dict(id=uid, code=village_code(v), name=f"Ấp Số {v % 80 + 1}", kind=UnitKind.VILLAGE, parent_id=parent,
                             path=f"/1/{parent}/{uid}/", depth=2))
        for r in rows:
            r.update(search_key=r["name"].lower(), is_pilot=False, ethnic_minority_area=False, created_at=now, updated_at=now)
        db.session.execute(insert(Unit), rows)
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("SELECT setval(pg_get_serial_sequence('unit', 'id'), (SELECT max(id) FROM unit))"))
        db.session.commit()
        if db.engine.dialect.name == "sqlite":
            db.session.execute(text("ANALYZE"))
        else:
            db.session.execute(text("ANALYZE unit"))
        db.session.commit()


def counts(url: str) -> dict[str, int]:
    from sqlalchemy import func, select

    from lms.core.models import AuditLog
    from lms.extensions import db
    from lms.org.models import MediatorMembership, Person, Team

    app = make_app(url)
    with app.app_context():
        return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in (Person, Team, MediatorMembership, AuditLog)}


# --------------------------------------------------------------------------- the child processes


def child(step: str, url: str, file: Path) -> None:
    """One measured step in this process; prints one JSON line."""
    started = time.perf_counter()
    out: dict = {"step": step}
    if step == "read":
        from lms.core.spreadsheet import read_rows
        from lms.org.imports import MEDIATOR_COLUMNS

        with file.open("rb") as stream:
            out["rows"] = sum(1 for _ in read_rows(stream, file.name, MEDIATOR_COLUMNS))
    else:
        from lms.extensions import db
        from lms.org.imports import run_import

        app = make_app(url)
        with app.app_context():
            loaded = time.perf_counter()
            with file.open("rb") as stream:
                result = run_import("mediators", stream, file.name, None, dry_run=(step == "dry-run"))
            if result.ok and step != "dry-run":
                db.session.commit()
            else:
                db.session.rollback()
            out.update(
                rows=result.rows, ok=result.ok, errors=[str(e) for e in result.errors[:5]], file_error=result.file_error,
                counts={k: [c.created, c.updated, c.unchanged] for k, c in result.counts.items()},
                app_start_s=round(loaded - started, 2),
            )
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out["seconds"] = round(time.perf_counter() - started, 2)
    out["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 2)
    out["max_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    print(json.dumps(out))


def measure(step: str, url: str, file: Path) -> dict:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", step, "--db", url, "--file", str(file)], capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"{step} failed:\n{proc.stdout}\n{proc.stderr}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall_s"] = round(wall, 2)
    return out


def verdict(seconds: float, mb: float) -> str:
    ok = seconds <= GOAL_SECONDS and mb <= GOAL_MB
    return "met" if ok else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="database URL (default: a SQLite file in a temporary directory)")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--villages", type=int, default=16_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--file", type=Path, help="where the XLSX goes (kept); default: the temporary directory")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.db, args.file)
        return

    tmp = Path(tempfile.mkdtemp(prefix="lms-p4-"))
    url = args.db or f"sqlite:///{tmp / 'p4.sqlite3'}"
    file = args.file or tmp / f"hoa-giai-vien-{args.rows}.xlsx"
    print(f"P4 roster import — {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"database: {url.split('@')[-1]}")
    if not file.exists():
        t = time.perf_counter()
        generate(file, args.rows, args.villages, args.seed)
        print(f"generated {file.name} ({file.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s")
    fresh_database(url)
    t = time.perf_counter()
    load_units(url, args.villages)
    print(f"loaded 1 province, {(args.villages + 79) // 80} communes, {args.villages} villages in {time.perf_counter() - t:.1f} s")
    try:
        read = measure("read", url, file)
        first = measure("import", url, file)
        if not first.get("ok"):
            sys.exit(f"the import reported errors: {first}")
        after_first = counts(url)
        again = measure("import", url, file)
        after_again = counts(url)
    finally:
        if not args.keep:
            drop_database(url)

    changed = {k: v for k, v in again["counts"].items() if v[0] or v[1]}
    print()
    print(f"{'step':<28}{'wall (process)':>16}{'in process':>12}{'CPU':>9}{'peak RSS':>11}")
    for label, r in (("read the XLSX only", read), ("import (run_import + commit)", first), ("re-import (no change)", again)):
        print(f"{label:<28}{r['wall_s']:>14.1f} s{r['seconds']:>10.1f} s{r['cpu_s']:>7.1f} s{r['max_rss_mb']:>8.0f} MB")
    print("(wall: the whole child process, Python start and imports included; CPU: its user + system time;"
          " a database server's own CPU is not counted)")
    print()
    print(f"rows: {first['rows']:,}; created: " + ", ".join(f"{k} {v[0]:,}" for k, v in first["counts"].items()))
    print("tables after the import:     " + ", ".join(f"{k} {v:,}" for k, v in after_first.items()))
    print("tables after the re-import:  " + ", ".join(f"{k} {v:,}" for k, v in after_again.items()))
    assert after_first == after_again, "the re-import changed the database"
    assert not changed, f"the re-import reported changes: {changed}"
    print()
    print(f"goal: ≤ {GOAL_SECONDS:.0f} s and ≤ {GOAL_MB:.0f} MB peak memory")
    print(f"import:    {first['wall_s']:.1f} s, {first['max_rss_mb']:.0f} MB — {verdict(first['wall_s'], first['max_rss_mb'])}")
    print(f"re-import: {again['wall_s']:.1f} s, {again['max_rss_mb']:.0f} MB — {verdict(again['wall_s'], again['max_rss_mb'])}")


if __name__ == "__main__":
    main()
