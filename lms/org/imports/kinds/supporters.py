"""Import kind "supporters": one row per legal support of a team, matched by (person, team, start date); people
are found or created, teams found or created (the village's default team when the row names none)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ....core.errors import ServiceError
from ....core.spreadsheet import Row, parse_date
from ....extensions import db
from ...models import LegalSupport
from ...services import roster
from ..columns import SUPPORTER_COLUMNS
from ..engine import Cells, ImportKind, ImportRun
from ..parsers import parse_background


class _Supporters(ImportRun):
    entities = ("person", "team", "support")
    columns = SUPPORTER_COLUMNS
    finds_people = True

    def row(self, row: Row) -> None:
        c = Cells(self, row)
        name = c.text("name", "thiếu họ và tên")
        background = c.parse("background", parse_background)
        village = self.resolve_village(c)
        team_name = c.text("team")
        from_on = c.parse("from_on", parse_date, "thiếu ngày bắt đầu hỗ trợ («Từ ngày»)")
        to_on = c.parse("to_on", parse_date)
        if from_on and to_on and to_on < from_on:
            c.fail("to_on", "ngày kết thúc trước ngày bắt đầu")
        if c.bad:
            return
        rec = self.person(c, village, name=name)
        if rec is None:
            return
        team_rec = self.team(village, team_name)
        person, team = self.orm(rec), self.orm(team_rec)
        key = ("support", person.id, team.id, from_on)
        s = db.session.scalar(
            select(LegalSupport).where(LegalSupport.person_id == person.id, LegalSupport.team_id == team.id, LegalSupport.from_on == from_on)
        )
        if s is None:
            try:
                roster.add_legal_support(person=person, team=team, from_on=from_on, background=background, to_on=to_on)
            except ServiceError as exc:
                self.service_error(c, exc, "from_on")
                return
            self.seen[key] = row.number
            self.result.count("support").created += 1
            return
        desired: dict[str, Any] = {}
        if background is not None:
            desired["background"] = background
        if to_on is not None:
            desired["to_on"] = to_on
        self.apply(c, s, desired, key, "support")


KIND = ImportKind(
    "supporters", "Người hỗ trợ pháp lý", SUPPORTER_COLUMNS, _Supporters,
    "Mỗi dòng một lần hỗ trợ một tổ hòa giải. Để trống «Tổ hòa giải» thì dùng tổ của thôn.",
)
