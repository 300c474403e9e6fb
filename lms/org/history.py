"""The history of the unit tree: units that ended with a successor (merges, splits, moves) and the path ranges that
count in a unit on a day because of them.

Used by the figures (a bucket is a unit's ranges on the figure's date) and by the scope (an account sees, today,
what merged into its unit: the officer of a new commune sees the villages of the old communes it absorbed).
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass

from flask import has_request_context, request
from sqlalchemy import and_, event, false, or_, select
from sqlalchemy.orm import Session, aliased

from ..core import clock
from ..core.access import subtree_range
from ..extensions import db
from .models import Unit


@dataclass(frozen=True)
class Merge:
    """A unit that ended with a successor: from the day after ``valid_to`` its subtree counts where the successor is."""

    path: str
    valid_to: dt.date
    successor_path: str


def in_any(path: str, ranges: list[tuple[str, str]]) -> bool:
    """``path`` lies in one of ``ranges`` (in Python; :func:`in_ranges` is the SQL form)."""
    return any(lo <= path < hi for lo, hi in ranges)


class Merges(list):
    """The merged units (:class:`Merge`), with, per day, those done by then sorted by successor path and by path,
    so :func:`unit_ranges` finds the merges inside a range by bisection instead of walking them all (a province with
    its whole history has hundreds, and a coverage asks for the ranges of every child)."""

    def __init__(self, merges=()):
        super().__init__(merges)
        self._by_day: dict[dt.date, tuple[list, list]] = {}

    def done_by(self, day: dt.date) -> tuple[list[tuple[str, Merge]], list[tuple[str, Merge]]]:
        if day not in self._by_day:
            done = [m for m in self if m.valid_to < day]
            self._by_day[day] = (
                sorted(((m.successor_path, m) for m in done), key=lambda t: t[0]),
                sorted(((m.path, m) for m in done), key=lambda t: t[0]),
            )
        return self._by_day[day]


def _inside(index: list[tuple[str, Merge]], lo: str, hi: str) -> list[Merge]:
    """The merges of ``index`` whose key (a path) lies in ``[lo, hi)``."""
    start = bisect.bisect_left(index, lo, key=lambda t: t[0])
    end = bisect.bisect_left(index, hi, key=lambda t: t[0])
    return [m for _, m in index[start:end]]


def outer_first(ranges) -> list[tuple[str, str]]:
    """Path order, a range before those it holds (same start: the larger end first)."""
    return sorted(sorted(ranges, key=lambda r: r[1], reverse=True), key=lambda r: r[0])


def outermost(ranges: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``ranges`` without those inside another (path ranges nest or are disjoint), in path order."""
    out: list[tuple[str, str]] = []
    for lo, hi in outer_first(set(ranges)):
        if out and out[-1][0] <= lo and hi <= out[-1][1]:
            continue
        out.append((lo, hi))
    return out


def unit_ranges(unit: Unit | str, merges: list[Merge], day: dt.date) -> list[tuple[str, str]]:
    """The path ranges that count in ``unit`` on ``day``: its own subtree, plus the subtree of every unit that ended
    before ``day`` with its successor in those ranges (transitively: a commune merged into it, a village that moved
    to one of its communes), minus the subtree of every such unit inside them whose successor lies outside (a
    village of a merged commune that went to another commune: a split; transitively too). Before a merge, nothing
    moves, so figures for a past day never change when the tree is reorganized later."""
    if not isinstance(merges, Merges):
        merges = Merges(merges)
    by_successor, by_path = merges.done_by(day)
    out = [subtree_range(unit if isinstance(unit, str) else unit.path)]
    queue = list(out)
    while queue:  # what merged into the ranges found so far, and into what merged into them
        lo, hi = queue.pop()
        for m in _inside(by_successor, lo, hi):
            if not in_any(m.path, out):
                out.append(subtree_range(m.path))
                queue.append(out[-1])
    out = outermost(out)
    changed = True
    while changed:  # a unit inside whose successor lies outside leaves, with what merged into it
        changed = False
        for lo, hi in list(out):
            for m in _inside(by_path, lo, hi):
                if not in_any(m.successor_path, out):
                    gone = subtree_range(m.path)
                    out = [piece for a, b in out for piece in (range_minus(a, b, [gone]) if a <= gone[0] and gone[1] <= b else [(a, b)])]
                    changed = True
                    break
            if changed:
                break
    return out


def merged_into(path: str, merges: list[Merge], day: dt.date) -> list[str]:
    """The paths of the units that ended before ``day`` with the unit at ``path`` as successor, and of those that
    ended into them (an old district's communes would not: they have their own successors)."""
    if not isinstance(merges, Merges):
        merges = Merges(merges)
    by_successor, _ = merges.done_by(day)
    out, queue = [], [path]
    while queue:
        key = queue.pop()
        for m in _inside(by_successor, key, key + "\0"):  # exactly ``key``: no string lies between it and key + NUL
            if m.path not in out:
                out.append(m.path)
                queue.append(m.path)
    return out


def merged_predecessors() -> Merges:
    """Every unit that ended with a successor (whatever the date; :func:`unit_ranges` picks by date), in one query."""
    successor = aliased(Unit)
    rows = db.session.execute(
        select(Unit.path, Unit.valid_to, successor.path)
        .join(successor, successor.id == Unit.successor_id)
        .where(Unit.valid_to.is_not(None))
    )
    return Merges(Merge(path, valid_to, successor_path) for path, valid_to, successor_path in rows)


def range_minus(lo: str, hi: str, covered: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The range ``[lo, hi)`` without the ``covered`` ranges (path ranges nest or are disjoint)."""
    out, cur = [], lo
    for a, b in sorted(r for r in covered if r[0] < hi and r[1] > lo):
        if a > cur:
            out.append((cur, a))
        cur = max(cur, b)
    if cur < hi:
        out.append((cur, hi))
    return out


def in_ranges(column, ranges: list[tuple[str, str]]):
    """``column`` (a path) lies in one of ``ranges`` (none: false, as for a unit after its end whose whole
    subtree went to other units)."""
    return or_(false(), *[and_(column >= lo, column < hi) for lo, hi in ranges])


# --------------------------------------------------------------------------- scope

#: ``Session.info`` key of the merges read once per session (until a unit is written, or the transaction ends).
_MERGES = "lms_merges"


def session_merges() -> Merges:
    """:func:`merged_predecessors`, read once per request (or session, outside one) and forgotten when the session
    writes or its transaction ends."""
    info = db.session.info
    owner = request._get_current_object() if has_request_context() else None  # held, so never mistaken for a later one
    memo = info.get(_MERGES)
    if memo is None or memo[0] is not owner:
        memo = info[_MERGES] = (owner, merged_predecessors())
    return memo[1]


def scope_ranges(path: str) -> list[tuple[str, str]]:
    """The path ranges an account bound to the unit at ``path`` sees today: its own subtree, plus the subtrees of the
    units merged into it by today (transitively, less the villages of a split that went elsewhere), as the figures
    count them. So the officer of a commune formed on 1 July 2025 sees the villages, teams and mediators of the old
    communes it absorbed, and the province what came with the provinces merged into it; an account of an old unit
    still sees its own subtree."""
    own = subtree_range(path)
    merges = session_merges()
    if not merges:
        return [own]
    return outermost([*unit_ranges(path, merges, clock.today()), own])


def _forget(session) -> None:
    session.info.pop(_MERGES, None)


@event.listens_for(Session, "after_flush")
def _after_flush(session, flush_context) -> None:  # noqa: ARG001
    if any(isinstance(obj, Unit) for obj in (*session.new, *session.dirty, *session.deleted)):
        _forget(session)


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        _forget(state.session)


for _name in ("after_commit", "after_rollback", "after_soft_rollback"):
    event.listen(Session, _name, lambda session, *args: _forget(session))  # noqa: ARG005
