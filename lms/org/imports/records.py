"""The roster records an import writes in bulk (people, teams, memberships): plain objects, not ORM objects.

The engine loads them once per chunk of rows and writes them (``engine.ImportRun.flush_pending``)."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from ..models import MediatorMembership, Person, Team


class Record:
    """A roster record as an import sees it: in the database (``id`` set) or still to be inserted (``id`` None).

    Plain objects with the model's column names, so the model's own helpers (``Person.set_name``…) work on them.
    The people, teams and memberships an import creates or changes are written by ``engine.ImportRun.flush_pending``,
    once per chunk of rows, in a few multi-row statements."""

    __slots__ = ("id",)
    model: Any = None
    fields: tuple[str, ...] = ()

    def __init__(self, id: int | None = None, **values: Any):  # noqa: A002
        self.id = id
        for name in self.fields:
            setattr(self, name, values.pop(name, None))
        for name, value in values.items():
            setattr(self, name, value)

    def __init_subclass__(cls, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        cls._get = staticmethod(attrgetter(*cls.fields))

    def values(self) -> dict[str, Any]:
        return dict(zip(self.fields, self._get(self), strict=True))


class PersonRecord(Record):
    model = Person
    #: ``sort_key`` is set by ``set_name`` (``Person.set_name``): the bulk insert skips the ORM events that keep it
    fields = (
        "full_name", "search_key", "sort_key", "gender", "birth_year", "birth_date", "ethnicity", "is_minority", "phone", "email", "unit_id",
    )
    __slots__ = (*fields, "unit_path", "memberships")
    set_name = Person.set_name
    set_ethnicity = Person.set_ethnicity


class TeamRecord(Record):
    model = Team
    #: ``sort_key``: ``collation.team_sort_key(name)``, set by whoever names the record (no ORM event runs)
    fields = ("name", "search_key", "sort_key", "unit_id", "established_on", "dissolved_on", "implicit")
    __slots__ = fields


class MembershipRecord(Record):
    model = MediatorMembership
    fields = (
        "person_id", "team_id", "decision_no", "recognized_on", "deadline", "is_leader", "left_on", "leave_decision_no", "leave_reason",
        "leave_note",
    )
    __slots__ = (*fields, "person", "team")

    def of_team(self, team: TeamRecord) -> bool:
        return self.team is team or (team.id is not None and self.team_id == team.id)


