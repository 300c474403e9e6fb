"""Roster imports from the spreadsheets officers already keep: units, mediators, trainers, legal supporters,
and the teams' mediation case statistics per quarter.

What is where:

- ``columns``  the columns of each kind (header, other spellings, required, template example);
- ``parsers``  cell → value (``parse_phone``, ``parse_birth``, ``parse_unit_kind``…), or ``ValueError`` with the message;
- ``result``   :class:`ImportResult` (counts by kind of record, bad cells) and :data:`ENTITY_TITLES`;
- ``records``  the people, teams and memberships an import writes in bulk;
- ``engine``   :func:`run_import`, :class:`ImportRun` (what every kind's runner shares), :class:`ImportKind`,
  the registry (:data:`KINDS`, :func:`register_kind`);
- ``kinds``    one module per kind of the org area, registered when this package is imported;
- ``jobs``     imports from the web as background jobs (importing it registers the job);
- ``cli``      ``flask lms <kind> import FILE [--dry-run]``.

One engine serves every kind; an area to the right of org (certificates) adds its own kind with
:func:`register_kind`, on :class:`ImportRun` with :class:`Cells` and :class:`UnitRef` (the names below are the
package's API; the modules' own are not to be imported from outside it).

Rules:
- a blank cell keeps what is already recorded (nothing is erased by an import); a flag column
  (``x`` or blank) that is present in the file is authoritative;
- units are matched by code; people by phone when the row has one, else by accent-folded name +
  birth year + unit (the village, or a trainer's unit); a membership by (person, team, recognition
  date), an appointment by (person, level, unit, start date), a support by (person, team, start date),
  a team's case statistics by (team, year, quarter);
- the same record met twice in one file with different values is a "conflicting duplicate";
- a re-import of the same file creates nothing, changes nothing and writes no audit row;
- everything read and written lies in the importer's scope (``scope=None``: everywhere);
- nothing is written unless the whole file is good; the caller commits (``engine`` says how a run goes).
"""

from __future__ import annotations

from . import kinds  # noqa: F401  (registers the org area's kinds in KINDS)
from .columns import CASE_COLUMNS, MEDIATOR_COLUMNS, SUPPORTER_COLUMNS, TRAINER_COLUMNS, UNIT_COLUMNS
from .engine import KINDS, OUT_OF_SCOPE, Cells, ImportKind, ImportRun, UnitRef, register_kind, run_import
from .parsers import (
    parse_background,
    parse_birth,
    parse_count,
    parse_gender,
    parse_leave_reason,
    parse_phone,
    parse_quarter,
    parse_trainer_level,
    parse_unit_kind,
    parse_year,
)
from .result import ENTITY_TITLES, Counts, ImportResult

__all__ = [
    "CASE_COLUMNS",
    "ENTITY_TITLES",
    "KINDS",
    "MEDIATOR_COLUMNS",
    "OUT_OF_SCOPE",
    "SUPPORTER_COLUMNS",
    "TRAINER_COLUMNS",
    "UNIT_COLUMNS",
    "Cells",
    "Counts",
    "ImportKind",
    "ImportResult",
    "ImportRun",
    "UnitRef",
    "parse_background",
    "parse_birth",
    "parse_count",
    "parse_gender",
    "parse_leave_reason",
    "parse_phone",
    "parse_quarter",
    "parse_trainer_level",
    "parse_unit_kind",
    "parse_year",
    "register_kind",
    "run_import",
]
