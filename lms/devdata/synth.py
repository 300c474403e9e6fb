"""``flask lms synth --scale national|province [--seed N]``: a deterministic synthetic roster for benchmarks.

National scale: 34 provinces, 3,321 communes, ~63,000 villages, ~87,000 teams, ~550,000 mediator
memberships (some ended, some re-recognized), ~3,000 trainers, ~10,000 legal supporters, ~450,000
certificates (some revoked), ~5,000,000 lesson-progress rows, quarterly case statistics 2024Q1–2026Q3,
material access. Province scale: one province of about a hundred communes.

Everything is drawn from ``random.Random(seed)`` in a fixed order, so a seed always gives the same
rows (ids, counts and figures). Rows are bulk loaded, bypassing the ORM and the roster services:
``COPY`` on PostgreSQL, ``executemany`` in batches of 10,000 on SQLite. Ids of units, teams and people
are assigned here (and the PostgreSQL sequences moved past them afterwards); the materialized paths
and the memberships' training deadlines are computed here too (the ORM events do not run).

Lives in the certificates area because it writes org, training and certificates tables
(certificates may import all three). Refuses to run when any unit exists.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterable

import click
from sqlalchemy import func, select, text

from ..certificates.models import Certificate, CertificateSettings, SerialCounter
from ..core import cache, clock
from ..core.collation import person_sort_key, team_sort_key, unit_sort_key
from ..core.text import fold
from ..curriculum.models import Lesson
from ..curriculum.services import current_program
from ..extensions import db
from ..learning.models import LessonView, MaterialAccess
from ..org.models import (
    CaseStat,
    Gender,
    LegalSupport,
    MediatorMembership,
    Person,
    Team,
    TrainerAppointment,
    TrainerLevel,
    Unit,
    UnitKind,
    training_deadline,
)
from . import demo as names

BATCH = 10_000
DEFAULT_SEED = 2026

#: The 34 provinces since 1 July 2025: (code, name).
PROVINCES = [
    ("01", "Thành phố Hà Nội"), ("04", "Tỉnh Cao Bằng"), ("08", "Tỉnh Tuyên Quang"), ("11", "Tỉnh Điện Biên"),
    ("12", "Tỉnh Lai Châu"), ("14", "Tỉnh Sơn La"), ("15", "Tỉnh Lào Cai"), ("19", "Tỉnh Thái Nguyên"),
    ("20", "Tỉnh Lạng Sơn"), ("22", "Tỉnh Quảng Ninh"), ("24", "Tỉnh Bắc Ninh"), ("25", "Tỉnh Phú Thọ"),
    ("31", "Thành phố Hải Phòng"), ("33", "Tỉnh Hưng Yên"), ("37", "Tỉnh Ninh Bình"), ("38", "Tỉnh Thanh Hóa"),
    ("40", "Tỉnh Nghệ An"), ("42", "Tỉnh Hà Tĩnh"), ("44", "Tỉnh Quảng Trị"), ("46", "Thành phố Huế"),
    ("48", "Thành phố Đà Nẵng"), ("51", "Tỉnh Quảng Ngãi"), ("52", "Tỉnh Gia Lai"), ("56", "Tỉnh Khánh Hòa"),
    ("66", "Tỉnh Đắk Lắk"), ("68", "Tỉnh Lâm Đồng"), ("75", "Tỉnh Đồng Nai"), ("79", "Thành phố Hồ Chí Minh"),
    ("80", "Tỉnh Tây Ninh"), ("82", "Tỉnh Đồng Tháp"), ("86", "Tỉnh Vĩnh Long"), ("91", "Tỉnh An Giang"),
    ("92", "Thành phố Cần Thơ"), ("96", "Tỉnh Cà Mau"),
]
SCALES = {
    "national": {"provinces": [p[0] for p in PROVINCES], "communes": 3321, "trainers": 3000, "supporters": 10_000},
    "province": {"provinces": ["92"], "communes": 100, "trainers": 90, "supporters": 300},
}
MINORITIES = ["Khmer", "Tày", "Thái", "Mường", "H'Mông", "Nùng", "Dao", "Ê Đê", "Gia Rai", "Ba Na", "Chăm"]
#: Team sizes (mean ≈ 6.2 mediators).
TEAM_SIZES = [3, 4, 5, 5, 6, 6, 6, 7, 7, 8, 8, 9]
FIRST_RECOGNITION, LAST_RECOGNITION = dt.date(2023, 1, 1), dt.date(2026, 10, 31)
#: Nothing happens after this day (so the data does not depend on the day it is generated).
DATA_END = dt.date(2026, 11, 15)
QUARTERS = [(y, q) for y in (2024, 2025, 2026) for q in (1, 2, 3, 4) if (y, q) <= (2026, 3)]
#: Share of the certified mediators trained online (they opened every lesson); the rest hold paper certificates.
ONLINE_SHARE = 0.27
#: Share of the others who opened some lessons.
PARTIAL_SHARE = 0.35


class Loader:
    """Bulk insert through the session's own connection (same transaction): COPY or executemany."""

    def __init__(self, echo=click.echo, progress: bool = True):
        conn = db.session.connection()
        self.dialect = conn.dialect.name
        self.raw = conn.connection.driver_connection
        self.echo = echo
        self.progress = progress
        self.timings: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        pg = self.dialect == "postgresql"
        # SQLite stores dates and datetimes as ISO strings (the format SQLAlchemy writes and reads)
        self.d = (lambda v: v) if pg else (lambda v: None if v is None else v.isoformat())
        self.ts = (lambda v: v) if pg else (lambda v: None if v is None else v.strftime("%Y-%m-%d %H:%M:%S.%f"))

    def load(self, model, columns: list[str], rows: Iterable[tuple], total: int) -> None:
        table = model.__table__
        cache.wrote(model)  # the DBAPI cursor below is out of sight of the data-generation hook
        missing = [c.name for c in table.columns if not c.nullable and not c.primary_key and c.server_default is None and c.name not in columns]
        if missing:
            raise RuntimeError(f"synth: {table.name} lacks values for {missing}")
        started = time.perf_counter()
        count = 0
        with click.progressbar(length=total, label=f"{table.name:<28}", file=None if self.progress else _Null()) as bar:
            if self.dialect == "postgresql":
                with self.raw.cursor() as cur, cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
                        if count % BATCH == 0:
                            bar.update(BATCH)
            else:
                sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608 (model names)
                cur = self.raw.cursor()
                batch: list[tuple] = []
                for row in rows:
                    batch.append(row)
                    if len(batch) == BATCH:
                        cur.executemany(sql, batch)
                        count += len(batch)
                        bar.update(len(batch))
                        batch = []
                if batch:
                    cur.executemany(sql, batch)
                    count += len(batch)
                cur.close()
            bar.update(count % BATCH)
        self.timings[table.name] = self.timings.get(table.name, 0.0) + time.perf_counter() - started
        self.counts[table.name] = self.counts.get(table.name, 0) + count


class _Null:
    def write(self, _s: str) -> int:
        return 0

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """``total`` split into ``parts`` uneven, positive shares (largest remainder)."""
    weights = [rng.uniform(0.6, 1.4) for _ in range(parts)]
    raw = [total * w / sum(weights) for w in weights]
    out = [max(1, int(r)) for r in raw]
    order = sorted(range(parts), key=lambda i: raw[i] - int(raw[i]), reverse=True)
    for i in order[: max(0, total - sum(out))]:
        out[i] += 1
    return out


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=int(rng.random() * ((end - start).days + 1)))


def synthesize(scale: str = "province", seed: int = DEFAULT_SEED, communes: int | None = None, echo=click.echo, progress: bool = True) -> dict[str, int]:
    """Generate and bulk load; flushes, never commits. Returns the row count per table."""
    if db.session.scalar(select(func.count(Unit.id))):
        raise click.ClickException("Cơ sở dữ liệu đã có đơn vị hành chính: synth chỉ chạy trên danh sách trống (the roster must be empty).")
    hgv, thv = current_program("hgv"), current_program("thv")
    if hgv is None or thv is None:
        raise click.ClickException("Chưa nhập chương trình hgv và thv: chạy `flask lms content import` trước.")
    spec = SCALES[scale]
    rng = random.Random(seed)
    codes = random.Random(seed * 7919 + 1)  # verification codes: their own stream
    now = clock.now()
    cap = min(clock.today(), DATA_END)
    started = time.perf_counter()
    loader = Loader(echo, progress)
    d, ts = loader.d, loader.ts
    hgv_lessons = list(db.session.scalars(select(Lesson.slug).where(Lesson.program_id == hgv.id).order_by(Lesson.position)))
    thv_lessons = list(db.session.scalars(select(Lesson.slug).where(Lesson.program_id == thv.id).order_by(Lesson.position)))

    next_id = {m: (db.session.scalar(select(func.max(m.id))) or 0) + 1 for m in (Unit, Team, Person)}
    folded: dict[str, str] = {}

    def key(name: str) -> str:
        k = folded.get(name)
        if k is None:
            k = folded[name] = fold(name)
        return k

    def new_id(model) -> int:
        i = next_id[model]
        next_id[model] = i + 1
        return i

    provinces = [p for p in PROVINCES if p[0] in spec["provinces"]]
    n_communes = [communes] * len(provinces) if communes else _split(spec["communes"], len(provinces), rng)
    n_trainers = _split(spec["trainers"], len(provinces), rng) if not communes else [max(3, communes)] * len(provinces)
    n_supporters = _split(spec["supporters"], len(provinces), rng) if not communes else [max(3, 3 * communes)] * len(provinces)
    commune_names = [n for n, _ in names.PHUONG + names.XA]
    village_names = names.AP + names.AP_KHMER

    units, teams, people, members, appointments, supports, cases = [], [], [], [], [], [], []
    certs, access, counters, settings = [], [], {}, []
    views: list[tuple] = []  # (person_id, program_code, lessons, first day); expanded while loading
    phone = [0]

    def person(unit_id: int, minority_area: bool, gender: Gender | None = None) -> tuple[int, str, int]:
        gender = gender or (Gender.FEMALE if rng.random() < 0.42 else Gender.MALE)
        minority = rng.random() < (0.55 if minority_area else 0.04)
        female = gender == Gender.FEMALE
        middle = names._pick(rng, names.MIDDLE_FEMALE if female else names.MIDDLE_MALE)
        given = rng.choice(names.GIVEN_FEMALE if female else names.GIVEN_MALE)
        name = f"{names._pick(rng, names.FAMILY)} {middle} {given}"
        ethnicity = rng.choice(MINORITIES) if minority else "Kinh"
        birth_year = rng.randint(1950, 1998)
        phone[0] += 1
        pid = new_id(Person)
        people.append((pid, name, key(name), person_sort_key(name), gender.value, birth_year, ethnicity, minority, f"09{phone[0]:08d}", unit_id, ts(now), ts(now)))
        return pid, name, birth_year

    def certificate(province, pid: int, holder: tuple[str, int], program, issued: dt.date, online: bool) -> None:
        pcode, prov_id, pname = province
        number = counters[(prov_id, issued.year)] = counters.get((prov_id, issued.year), 0) + 1
        revoked = issued + dt.timedelta(days=rng.randint(5, 300)) if rng.random() < 0.01 else None
        if revoked is not None and revoked > cap:
            revoked = cap
        certs.append((
            f"P{pcode}-{issued.year}-{number:06d}", f"{codes.getrandbits(128):032x}", pid, program.code, program.id, d(issued),
            prov_id, holder[0], holder[1], f"SỞ TƯ PHÁP {pname.upper()}", "GIÁM ĐỐC", "Nguyễn Văn Hòa", pname, program.title, program.hours,
            "online" if online else "in_person", d(issued - dt.timedelta(days=3)), d(issued), "online" if online else "external",
            None if online else "Lớp tập huấn (giấy chứng nhận giấy)", d(revoked), "Cấp sai đối tượng" if revoked else None, ts(now), ts(now),
        ))

    for (pcode, pname), nc, ntr, nsup in zip(provinces, n_communes, n_trainers, n_supporters, strict=True):
        prov_id = new_id(Unit)
        prov_path = f"/{prov_id}/"
        units.append((prov_id, pcode, pname, UnitKind.PROVINCE.value, None, prov_path, 0, key(pname), unit_sort_key(UnitKind.PROVINCE, pcode, pname), False, False, None, ts(now), ts(now)))
        settings.append(CertificateSettings(unit_id=prov_id, serial_prefix=f"P{pcode}", issuer_name=f"SỞ TƯ PHÁP {pname.upper()}",
                                            issuer_parent=f"ỦY BAN NHÂN DÂN {pname.upper()}", signer_title="GIÁM ĐỐC",
                                            signer_name="Nguyễn Văn Hòa", place=pname))
        province = (pcode, prov_id, pname)
        prov_teams: list[tuple[int, int, bool]] = []  # (team id, village id, minority area)
        for ci in range(nc):
            cid = new_id(Unit)
            ward = rng.random() < 0.3
            cname = f"{'Phường' if ward else 'Xã'} {rng.choice(commune_names)}"
            minority_area = rng.random() < 0.15
            pilot = rng.random() < 0.05
            model_year = rng.choice([2024, 2025, 2026]) if rng.random() < 0.3 else None
            cpath = f"{prov_path}{cid}/"
            ccode = f"{pcode}{ci + 1:04d}"
            units.append((cid, ccode, cname, UnitKind.COMMUNE.value, prov_id, cpath, 1, key(cname), unit_sort_key(UnitKind.COMMUNE, ccode, cname), pilot, minority_area, model_year, ts(now), ts(now)))
            for vi in range(rng.randint(12, 26)):
                vid = new_id(Unit)
                vname = f"{'Tổ dân phố' if ward else 'Ấp'} {rng.choice(village_names)}"
                units.append((vid, f"{pcode}{ci + 1:04d}{vi + 1:03d}", vname, UnitKind.VILLAGE.value, cid, f"{cpath}{vid}/", 2, key(vname),
                              unit_sort_key(UnitKind.VILLAGE, None, vname), False, False, None, ts(now), ts(now)))
                for t in range(2 if rng.random() < 0.4 else 1):
                    tid = new_id(Team)
                    tname = f"Tổ hòa giải {vname}" + (f" số {t + 1}" if t else "")
                    established = _day(rng, dt.date(2015, 1, 1), dt.date(2022, 12, 31))
                    teams.append((tid, tname, key(tname), team_sort_key(tname), vid, d(established), False, ts(now), ts(now)))
                    prov_teams.append((tid, vid, minority_area))
                    for mi in range(rng.choice(TEAM_SIZES)):
                        gender = Gender.FEMALE if mi == 1 else None  # most teams have a woman
                        pid, name, by = person(vid, minority_area, gender)
                        recognized = _day(rng, FIRST_RECOGNITION, LAST_RECOGNITION)
                        left = reason = None
                        if rng.random() < 0.04:
                            left = recognized + dt.timedelta(days=rng.randint(20, 600))
                            if left > cap:
                                left = None
                            else:
                                reason = names._pick(rng, names.LEAVE_REASONS).value
                        members.append((pid, tid, f"{rng.randint(1, 999)}/QĐ-UBND", d(recognized), d(training_deadline(recognized)), mi == 0,
                                        d(left), reason, ts(now), ts(now)))
                        if left is not None and rng.random() < 0.25:  # re-recognized later
                            again = left + dt.timedelta(days=rng.randint(30, 365))
                            if again <= LAST_RECOGNITION:
                                members.append((pid, tid, f"{rng.randint(1, 999)}/QĐ-UBND", d(again), d(training_deadline(again)), False,
                                                None, None, ts(now), ts(now)))
                        certified = online = False
                        if rng.random() < 0.88:
                            issued = recognized + dt.timedelta(days=rng.randint(-200, 300))
                            online = rng.random() < ONLINE_SHARE
                            if issued <= cap:
                                certified = True
                                certificate(province, pid, (name, by), hgv, issued, online)
                                if online:
                                    views.append((pid, "hgv", hgv_lessons, issued - dt.timedelta(days=rng.randint(3, 40))))
                        if not (certified and online) and rng.random() < PARTIAL_SHARE:
                            first = recognized + dt.timedelta(days=rng.randint(1, 200))
                            if first <= cap:
                                views.append((pid, "hgv", hgv_lessons[: rng.randint(1, len(hgv_lessons) - 1)], first))
                        if rng.random() < 0.85:
                            day = recognized + dt.timedelta(days=rng.randint(1, 120))
                            kind = "online" if rng.random() < 0.6 else "printed"
                            if day <= cap:
                                access.append((pid, kind, d(day), ts(now)))
                    for y, q in QUARTERS:
                        received = rng.choice([0, 0, 1, 1, 2, 2, 3, 4, 5])
                        open_ = rng.randint(0, min(2, received)) if (y, q) == QUARTERS[-1] else 0
                        ok = sum(rng.random() < 0.84 for _ in range(received - open_))
                        cases.append((tid, y, q, received, ok, received - open_ - ok, open_, ts(now), ts(now)))
        for _ in range(ntr):
            pid, name, by = person(prov_id, False)
            started_on = _day(rng, FIRST_RECOGNITION, dt.date(2026, 9, 30))
            ended = started_on + dt.timedelta(days=rng.randint(60, 700)) if rng.random() < 0.05 else None
            if ended is not None and ended > cap:
                ended = None
            appointments.append((pid, TrainerLevel.PROVINCE.value, prov_id, names._pick(rng, names.TRAINER_BACKGROUNDS).value,
                                 d(started_on), d(ended), ts(now), ts(now)))
            if rng.random() < 0.9:
                issued = started_on + dt.timedelta(days=rng.randint(-100, 200))
                online = rng.random() < 0.5
                if issued <= cap:
                    certificate(province, pid, (name, by), thv, issued, online)
                    if online:
                        views.append((pid, "thv", thv_lessons, issued - dt.timedelta(days=rng.randint(3, 40))))
        for _ in range(nsup):
            tid, vid, minority_area = rng.choice(prov_teams)
            pid, _name, _by = person(vid, minority_area)
            from_on = _day(rng, dt.date(2022, 1, 1), dt.date(2026, 9, 30))
            to_on = from_on + dt.timedelta(days=rng.randint(90, 900)) if rng.random() < 0.05 else None
            if to_on is not None and to_on > cap:
                to_on = None
            supports.append((pid, tid, names._pick(rng, names.SUPPORTER_BACKGROUNDS).value, d(from_on), d(to_on), ts(now), ts(now)))

    generated = time.perf_counter() - started
    echo(f"generated in {generated:.1f} s; loading ({loader.dialect})")
    ts_cols = ["created_at", "updated_at"]
    loader.load(Unit, ["id", "code", "name", "kind", "parent_id", "path", "depth", "search_key", "sort_key", "is_pilot", "ethnic_minority_area",
                       "model_commune_year", *ts_cols], units, len(units))
    db.session.add_all(settings)
    db.session.flush()
    loader.load(Team, ["id", "name", "search_key", "sort_key", "unit_id", "established_on", "implicit", *ts_cols], teams, len(teams))
    loader.load(Person, ["id", "full_name", "search_key", "sort_key", "gender", "birth_year", "ethnicity", "is_minority", "phone", "unit_id", *ts_cols],
                people, len(people))
    loader.load(MediatorMembership, ["person_id", "team_id", "decision_no", "recognized_on", "deadline", "is_leader", "left_on", "leave_reason",
                                     *ts_cols], members, len(members))
    loader.load(TrainerAppointment, ["person_id", "level", "unit_id", "background", "started_on", "ended_on", *ts_cols], appointments, len(appointments))
    loader.load(LegalSupport, ["person_id", "team_id", "background", "from_on", "to_on", *ts_cols], supports, len(supports))
    certs.sort(key=lambda c: c[0])
    loader.load(Certificate, ["serial", "verification_code", "person_id", "program_code", "program_id", "issued_on", "issuing_unit_id",
                              "holder_name", "holder_birth_year", "issuer_name", "signer_title", "signer_name", "place", "program_title",
                              "hours", "mode", "training_from", "training_to", "source", "basis", "revoked_on", "revoke_reason", *ts_cols],
                certs, len(certs))
    loader.load(SerialCounter, ["unit_id", "year", "last"], sorted((u, y, n) for (u, y), n in counters.items()), len(counters))
    loader.load(MaterialAccess, ["person_id", "kind", "accessed_on", "recorded_at"], access, len(access))
    loader.load(CaseStat, ["team_id", "year", "quarter", "received", "successful", "unsuccessful", "open", *ts_cols], cases, len(cases))

    def lesson_rows():
        for pid, code, slugs, first in views:
            base = dt.datetime.combine(first, dt.time(9, 0))
            for i, slug in enumerate(slugs):
                yield (pid, code, slug, ts(base + dt.timedelta(hours=6 * i)))

    loader.load(LessonView, ["person_id", "program_code", "lesson_slug", "first_opened_at"], lesson_rows(), sum(len(v[2]) for v in views))

    tables = ["unit", "team", "person", "mediator_membership", "trainer_appointment", "legal_support", "certificate", "material_access",
              "case_stat", "lesson_view", "certificate_serial_counter", "certificate_settings"]
    t0 = time.perf_counter()
    conn = db.session.connection()
    if loader.dialect == "postgresql":
        for table in ("unit", "team", "person"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))  # noqa: S608
        for table in tables:
            conn.execute(text(f"ANALYZE {table}"))
    else:
        conn.execute(text("ANALYZE"))
    loader.timings["(setval + ANALYZE)"] = time.perf_counter() - t0
    loader.counts["certificate_settings"] = len(settings)
    echo(f"{'table':<28} {'rows':>10} {'seconds':>8}")
    for table, seconds in loader.timings.items():
        echo(f"{table:<28} {loader.counts.get(table, 0):>10,} {seconds:>8.1f}")
    echo(f"total {time.perf_counter() - started:.1f} s (generation {generated:.1f} s)")
    return dict(loader.counts)


def register(group) -> None:
    @group.command("synth")
    @click.option("--scale", type=click.Choice(sorted(SCALES)), default="province", show_default=True)
    @click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True)
    @click.option("--communes", type=int, default=None, hidden=True, help="Communes per province (tests).")
    def synth_command(scale: str, seed: int, communes: int | None) -> None:
        """Load a deterministic synthetic roster (benchmarks); the roster must be empty."""
        synthesize(scale, seed, communes)
        started = time.perf_counter()
        db.session.commit()
        click.echo(f"committed in {time.perf_counter() - started:.1f} s")
