"""The plan's figures (B1 … I) for a unit U as of a date D (year Y for H and I), in aggregate SQL.

Definitions: each figure's is written here, beside the code that computes it — the docstring of the
count it is made of (:mod:`.queries`) and :func:`coverage` (:mod:`.compute`), which turns the counts into
figures against the plan's targets; ``docs/architecture.md`` ("Certificates, deadlines and figures")
gives the overview, and ``tests/reports/test_figures.py`` pins each figure on hand-built data.

Every figure is computed for U and for each unit one level below it with a fixed
number of queries, whatever the number of units: rows are mapped to "buckets"
(U and its children) by ranges of the units' materialized paths, and grouped.

- :mod:`.result`: :class:`Figure`, :class:`UnitFigures`, :class:`Coverage`, ``CODES``, ``STATUS_TITLES``;
- :mod:`.buckets`: the buckets and their path ranges (merged units count in their successor);
- :mod:`.queries`: the counts per bucket, one statement per group of figures, and the figures' data
  generation (``FIGURES``, the tables they read);
- :mod:`.plan`: the plan of a unit, its target, title and item for each figure;
- :mod:`.compute`: :func:`coverage`.

The work lists (:mod:`lms.reports.worklists`) and the exports build on the same helpers, so a list and its
figure agree; they import them from this package.
"""

from __future__ import annotations

import datetime as dt

from ...core import cache
from ...org.history import in_ranges, merged_predecessors, unit_ranges
from ...org.models import Unit
from .buckets import Buckets, inside, units_of_kind
from .compute import coverage
from .plan import DEFAULT_TITLES, figure_item, figure_title, plan_for, plan_target
from .queries import (
    FIGURES,
    MEDIATOR_PROGRAM,
    TRAINER_PROGRAM,
    appointment_active,
    certified,
    composition,
    level_counts,
    membership_active,
    people_figures,
    team_active,
)
from .result import CODES, STATUS_TITLES, Coverage, Figure, FigureStatus, UnitFigures, not_applicable

__all__ = [
    "CODES",
    "DEFAULT_TITLES",
    "FIGURES",
    "MEDIATOR_PROGRAM",
    "STATUS_TITLES",
    "TRAINER_PROGRAM",
    "Buckets",
    "Coverage",
    "Figure",
    "FigureStatus",
    "UnitFigures",
    "appointment_active",
    "certified",
    "composition",
    "coverage",
    "coverage_data",
    "figure_item",
    "figure_title",
    "in_ranges",
    "inside",
    "level_counts",
    "membership_active",
    "merged_predecessors",
    "not_applicable",
    "people_figures",
    "plan_for",
    "plan_target",
    "team_active",
    "unit_ranges",
    "units_of_kind",
]


def coverage_data(unit: Unit, day: dt.date, year: int) -> dict:
    """``coverage(unit, day, year).as_dict()`` (the API's answer), from the figure cache until a row the figures read changes.

    Defined here, not in :mod:`.compute`: it calls this package's ``coverage``, so whatever wraps
    ``lms.reports.figures.coverage`` (the tests count its calls) is what the cache runs.
    """
    return cache.cached(FIGURES, ("coverage", unit.id, day.isoformat(), year), lambda: coverage(unit, day, year).as_dict())
