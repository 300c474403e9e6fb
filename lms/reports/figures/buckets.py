"""Buckets: the unit U and each of its children, as ranges of the units' materialized paths.

Every figure maps its rows to buckets by the path of the unit they belong to, and groups by bucket, so
U and all its children cost one statement per figure.

Merged units: at D, the children of U are the units valid on D; a unit that was
merged (``valid_to`` < D, ``successor``) counts inside its successor from then on,
so a bucket is its own path range plus the ranges of its predecessors.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re

from sqlalchemy import Integer, String, and_, case, func, literal, select, text, union_all

from ...core.access import subtree_range
from ...extensions import db
from ...org.history import in_any, in_ranges, outer_first, range_minus
from ...org.models import Unit, UnitKind


def _valid_on(model, day: dt.date):
    return model.active_clause(day)


def _nested(ranges: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The ranges inside another of ``ranges`` (path ranges nest or are disjoint): one walk in path order."""
    out, open_ = set(), []
    for lo, hi in outer_first(ranges):
        while open_ and open_[-1][1] <= lo:
            open_.pop()
        if open_ and open_[-1][0] <= lo and hi <= open_[-1][1]:
            out.add((lo, hi))
        open_.append((lo, hi))
    return out


_PATH_BOUND = re.compile(r"[/0-9]*[ 0]?")


def _path_literal(value: str) -> str:
    """A range bound as an SQL string literal: a path (ids and slashes) with perhaps its last character replaced."""
    if not _PATH_BOUND.fullmatch(value):
        raise ValueError(f"not a path bound: {value!r}")
    return f"'{value}'"


def _exactly(path: str) -> tuple[str, str]:
    """The range holding ``path`` alone (a space sorts before ``/`` and the digits, the only characters of a path)."""
    return path, path + " "


def keyed_rows(stmt) -> dict[int, tuple]:
    """Run ``stmt``: its first column → the rest of the row."""
    return {row[0]: tuple(row[1:]) for row in db.session.execute(stmt)}


#: Above this many ranges, the units of the ranges are read first (:meth:`Buckets._resolved_units`).
RESOLVE_ABOVE = 300
#: Ranges per statement when they are read (SQLite parses ``a OR b OR …`` as a tree as deep as the list is long).
RANGES_PER_READ = 200


class Buckets:
    """Path ranges, each with the bucket its units count in, as a SQL subquery ``(bucket, in_root, unit_id)``.

    For a unit U and its children (:meth:`for_coverage`), every unit is read once: a child's ranges carry the
    child's id, and ``in_root`` says whether they also count in U; what lies in U but in no child (U itself,
    children not valid on D) has the bucket NULL. U's figures are then the sums over ``in_root`` (the people
    figures count distinct people), so no row is joined twice. ``Buckets(spec)`` is the plain form: each
    bucket its own ranges, no root.
    """

    def __init__(self, buckets: list[tuple[int, list[tuple[str, str]]]] = (), root_id: int | None = None):
        self.rows: list[tuple[int | None, int, str, str]] = [(bid, 0, lo, hi) for bid, ranges in buckets for lo, hi in ranges]
        self.root_id = root_id
        self._units = None

    @classmethod
    def for_coverage(cls, root: Unit, root_ranges, children: list[tuple[int, list[tuple[str, str]]]], others: list[Unit]) -> Buckets:
        """``others``: the root's children that are not buckets (not valid on D); what of them no bucket covers counts in the root."""
        self = cls(root_id=root.id)
        child_ranges = [(cid, lo, hi) for cid, ranges in children for lo, hi in ranges]
        counted: set[tuple[str, str]] = set()
        nested = _nested({(lo, hi) for _, lo, hi in child_ranges})
        for cid, lo, hi in child_ranges:
            inside_root = any(a <= lo and hi <= b for a, b in root_ranges)
            # a range inside another child's (a merged unit moved across), or listed twice, counts in the root once
            self.rows.append((cid, int(inside_root and (lo, hi) not in nested and (lo, hi) not in counted), lo, hi))
            counted.add((lo, hi))
        covered = [(lo, hi) for _, lo, hi in child_ranges]
        own = subtree_range(root.path)
        root_only = [_exactly(root.path)] + [subtree_range(u.path) for u in others]
        root_only += [r for r in root_ranges if r != own]  # units merged into the root
        for lo, hi in root_only:
            self.rows.extend((None, 1, a, b) for a, b in range_minus(lo, hi, covered))
        return self

    def units(self):
        """``(bucket, in_root, unit_id)`` for every unit inside a range.

        The two databases want different shapes (measured: docs/PERFORMANCE.md, P1):
        - PostgreSQL: one index range scan on ``unit.path`` per range, glued with ``UNION ALL``. The planner
          estimates each scan from the path statistics and walks units → teams → memberships through their
          indexes. Joined to a list of literal ranges instead, it cannot estimate the join and hashed every
          membership in the country once per bucket (39× the hand-written SQL at national scale).
        - SQLite: the list of ranges joined to ``unit`` (a range search per bucket); the ``UNION ALL`` shape
          runs the same steps but takes twice the CPU time there.

        Both are written as SQL text: built as a SQLAlchemy ``union_all`` of a hundred selects, each column's
        proxy set grows with every part, which cost ~70 ms of Python per call.
        """
        if self._units is None:
            self._units = self._build_units()
        return self._units

    def _build_units(self):
        postgres = db.session.get_bind().dialect.name == "postgresql"
        if len(self.rows) > RESOLVE_ABOVE:
            return self._resolved_units(postgres)
        parts = []
        for bid, in_root, lo, hi in self.rows:
            # written into the text, not bound: psycopg re-parses a long statement's placeholders on every run
            bucket = "NULL" if bid is None else str(int(bid))
            lo, hi = _path_literal(lo), _path_literal(hi)
            if postgres:
                parts.append(f"SELECT CAST({bucket} AS INTEGER) AS bucket, {int(in_root)} AS in_root, id AS unit_id FROM unit WHERE path >= {lo} AND path < {hi}")  # noqa: S608, E501 (checked literals)
            else:
                parts.append(f"({bucket}, {int(in_root)}, {lo}, {hi})")
        if postgres:
            return text(" UNION ALL ".join(parts)).columns(bucket=Integer, in_root=Integer, unit_id=Integer).subquery("bucket_units")
        # One VALUES list, not a UNION ALL of one-row selects: SQLite refuses a compound SELECT of more than 500
        # terms (a province with its merged old units has more ranges than that); a VALUES list has no such limit.
        values = f"SELECT column1 AS bucket, column2 AS in_root, column3 AS lo, column4 AS hi FROM (VALUES {', '.join(parts)})"  # noqa: S608 (checked literals)
        b = text(values).columns(bucket=Integer, in_root=Integer, lo=String, hi=String).subquery("buckets")
        return (
            select(b.c.bucket, b.c.in_root, Unit.id.label("unit_id"))
            .join(Unit, and_(Unit.path >= b.c.lo, Unit.path < b.c.hi))
            .subquery("bucket_units")
        )

    def _resolved_units(self, postgres: bool):
        """Many ranges (a unit with its merged history): the units inside them are read once (an index range scan
        on ``unit.path`` per range, ids and paths only), assigned to their buckets here, and given to the figures as
        one VALUES list of ``(bucket, in_root, unit_id)``, which every figure joins on ``unit_id``. Measured in
        docs/PERFORMANCE.md ("P1 with a merged history"): with 1,102 ranges, the UNION ALL of range scans inside
        each figure cost PostgreSQL 784 ms for one province."""
        ranges = sorted({(lo, hi) for _, _, lo, hi in self.rows})
        found: dict[int, str] = {}
        for start in range(0, len(ranges), RANGES_PER_READ):
            cond = " OR ".join(f"(path >= {_path_literal(lo)} AND path < {_path_literal(hi)})" for lo, hi in ranges[start:start + RANGES_PER_READ])
            found.update(db.session.execute(text(f"SELECT id, path FROM unit WHERE {cond}")).all())  # noqa: S608 (checked literals)
        units = sorted((path, uid) for uid, path in found.items())
        paths = [p for p, _ in units]
        values = []
        for bid, in_root, lo, hi in self.rows:
            bucket = "NULL" if bid is None else str(int(bid))
            for _, uid in units[bisect.bisect_left(paths, lo):bisect.bisect_left(paths, hi)]:
                values.append(f"({bucket}, {int(in_root)}, {int(uid)})")
        if not values:
            values.append("(NULL, 0, NULL)")  # no unit at all: one row that matches nothing
        if postgres:
            values[0] = "(CAST({} AS INTEGER), {}, CAST({} AS INTEGER))".format(*values[0][1:-1].split(", "))
            sql = f"SELECT * FROM (VALUES {', '.join(values)}) AS bucket_units (bucket, in_root, unit_id)"  # noqa: S608 (integers)
        else:
            sql = f"SELECT column1 AS bucket, column2 AS in_root, column3 AS unit_id FROM (VALUES {', '.join(values)})"  # noqa: S608 (integers)
        return text(sql).columns(bucket=Integer, in_root=Integer, unit_id=Integer).subquery("bucket_units")

    def fold(self, stmt) -> dict[int, tuple]:
        """Run ``stmt`` — ``(bucket, in_root, sums…)`` grouped by both — and add the root: the sums over ``in_root``."""
        out: dict[int, list] = {}
        for bucket, in_root, *sums in db.session.execute(stmt):
            for key in ([bucket] if bucket is not None else []) + ([self.root_id] if in_root and self.root_id is not None else []):
                acc = out.setdefault(key, [0] * len(sums))
                for k, v in enumerate(sums):
                    acc[k] += v or 0
        return {k: tuple(v) for k, v in out.items()}

    def distinct_people(self, rows, *flags) -> dict[int, tuple]:
        """Per bucket, and for the root: distinct people of ``rows`` — ``(bucket, in_root, person_id)`` — and
        how many of them meet each of ``flags`` (conditions on ``person_id``, evaluated once per row)."""
        f = select(rows.c.bucket, rows.c.in_root, rows.c.person_id, *[case((cond(rows.c.person_id), 1), else_=0).label(f"f{k}") for k, cond in enumerate(flags)]).cte("flagged")
        counts = [func.count(func.distinct(f.c.person_id))] + [func.count(func.distinct(case((f.c[f"f{k}"] == 1, f.c.person_id)))) for k in range(len(flags))]
        per = select(f.c.bucket, *counts).where(f.c.bucket.is_not(None)).group_by(f.c.bucket)
        if self.root_id is None:
            return keyed_rows(per)
        return keyed_rows(union_all(per, select(literal(self.root_id, Integer), *counts).where(f.c.in_root == 1)))


def units_of_kind(kind: UnitKind, ranges: list[tuple[str, str]], day: dt.date) -> list[Unit]:
    """The units of ``kind`` valid on ``day`` inside ``ranges``, by path."""
    return list(db.session.scalars(select(Unit).where(Unit.kind == kind, _valid_on(Unit, day), in_ranges(Unit.path, ranges)).order_by(Unit.path)))


def inside(unit: Unit, ranges: list[tuple[str, str]]) -> bool:
    """Does ``unit`` lie in one of ``ranges``?"""
    return in_any(unit.path, ranges)
