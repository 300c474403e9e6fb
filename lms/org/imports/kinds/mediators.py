"""Import kind "mediators": one row per recognition of a mediator in a village's team (and, when the row has
left, the end of it). People are found or created, teams found or created (the village's default team when the
row names none); the memberships are written in bulk with the people and teams (``records``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from ....core import audit
from ....core.errors import ServiceError
from ....core.spreadsheet import Row, parse_date
from ....core.text import nfc
from ....extensions import db
from ...models import MediatorMembership
from ...services import roster
from ..columns import MEDIATOR_COLUMNS
from ..engine import Cells, ImportKind, ImportRun, UnitRef, batches
from ..parsers import parse_gender, parse_leave_reason, parse_phone
from ..records import MembershipRecord, PersonRecord, TeamRecord

#: What a membership's "end" audit row holds (the create row leaves these out, as roster.end_membership does).
_LEAVE_FIELDS = frozenset({"left_on", "leave_decision_no", "leave_reason", "leave_note"})


class _Mediators(ImportRun):
    entities = ("person", "team", "membership")
    columns = MEDIATOR_COLUMNS
    finds_people = True

    def prefetch(self, rows: list[Row]) -> None:
        """Also the memberships of the people the chunk may name."""
        super().prefetch(rows)
        cols = [MediatorMembership.id, *(getattr(MediatorMembership, f) for f in MembershipRecord.fields)]
        for batch in batches(self._people):
            stmt = select(*cols).where(MediatorMembership.person_id.in_(batch)).order_by(MediatorMembership.recognized_on, MediatorMembership.id)
            for found in db.session.execute(stmt):
                person = self._people[found.person_id]
                person.memberships.append(MembershipRecord(**found._asdict(), person=person, team=None))

    def row(self, row: Row) -> None:
        c = Cells(self, row)
        name = c.text("name", "thiếu họ và tên")
        gender = c.parse("gender", parse_gender)
        birth = c.parse("birth", self.parse_birth)
        ethnicity = c.text("ethnicity", max_len=60)
        phone = c.parse("phone", parse_phone)
        village = self.resolve_village(c)
        team_name = c.text("team")
        decision_no = c.text("decision_no", max_len=60)
        recognized_on = c.parse("recognized_on", parse_date, "thiếu ngày công nhận")
        leader = c.flag("leader")
        left_on = c.parse("left_on", parse_date)
        reason = c.parse("leave_reason", parse_leave_reason)
        if recognized_on and recognized_on > self.today:
            c.fail("recognized_on", "ngày công nhận sau ngày hôm nay")
        if left_on and recognized_on and left_on < recognized_on:
            c.fail("left_on", "ngày thôi trước ngày công nhận")
        if reason and row.values.get("left_on") is None:
            c.fail("left_on", "có lý do thôi nhưng thiếu ngày thôi")
        if c.bad:
            return
        person = self.person(c, village, name=name, gender=gender, birth=birth, ethnicity=ethnicity, phone=phone)
        if person is None:
            return
        team = self.team(village, team_name)
        key = self.key("membership", person, team, recognized_on)
        m = next((x for x in person.memberships if x.recognized_on == recognized_on and x.of_team(team)), None)
        if m is None:
            self.recognize(c, person, team, village, recognized_on, decision_no, bool(leader), left_on, reason)
            if not c.bad:
                self.seen[key] = row.number
                self.result.count("membership").created += 1
            return
        desired: dict[str, Any] = {}
        if decision_no:
            desired["decision_no"] = decision_no
        if leader is not None:
            desired["is_leader"] = leader
        if left_on:
            desired["left_on"] = left_on
        if reason:
            desired.update(leave_reason=reason[0], leave_note=reason[1])
        self.apply(c, m, desired, key, "membership")

    def recognize(self, c: Cells, person: PersonRecord, team: TeamRecord, village: UnitRef, recognized_on: dt.date,
                  decision_no: str | None, leader: bool, left_on: dt.date | None, reason: tuple | None) -> None:
        """roster.recognize_mediator (and end_membership when the row has left), on records written in bulk."""
        try:
            roster.check_recognition(recognized_on, team.dissolved_on, [x for x in person.memberships if x.of_team(team)], self.today)
        except ServiceError as exc:
            self.service_error(c, exc, "recognized_on")
            return
        m = MembershipRecord(person=person, team=team, decision_no=nfc(decision_no), recognized_on=recognized_on, is_leader=leader)
        if roster.moves_home(person, team.unit_id, m, self.today):  # registered where they mediate
            before = person.values()
            person.unit_id, person.unit_path = team.unit_id, village.path
            self.change(person, {"unit_id": (before["unit_id"], person.unit_id)}, "update")
            self._reindex(person, before)
        person.memberships.append(m)
        self.add(m, audit_leaves_out=_LEAVE_FIELDS)
        if left_on:
            m.left_on = left_on
            m.leave_reason, m.leave_note = (reason[0], nfc(reason[1])) if reason else (None, None)
            self._audits.append((m, "end", audit.plain_changes({k: (None, getattr(m, k)) for k in _LEAVE_FIELDS})))


KIND = ImportKind(
    "mediators", "Hòa giải viên", MEDIATOR_COLUMNS, _Mediators,
    "Mỗi dòng một lần được công nhận. Để trống «Tổ hòa giải» thì dùng tổ của thôn (tự tạo nếu chưa có).",
)
