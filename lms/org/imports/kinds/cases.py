"""Import kind "cases": a team's mediation case statistics for a quarter (``services.cases``), matched by
(team, year, quarter); the team must exist. Importing the same quarter again replaces its figures."""

from __future__ import annotations

from sqlalchemy import select

from ....core.errors import ServiceError
from ....core.spreadsheet import Row
from ....core.text import fold
from ....extensions import db
from ...models import Team, Unit
from ...services import cases, roster
from ..columns import CASE_COLUMNS
from ..engine import Cells, ImportKind, ImportRun, UnitRef
from ..parsers import parse_count, parse_quarter, parse_year


class _Cases(ImportRun):
    """A team's mediation cases in a quarter; the team must exist (an import never creates one here)."""

    entities = ("case_stat",)
    columns = CASE_COLUMNS

    def __init__(self, result, scope):
        super().__init__(result, scope)
        self._team_ids: dict[tuple[int, str], int] = {}

    def find_team(self, c: Cells, village: UnitRef, name: str | None) -> Team | None:
        key = (village.id, fold(name))
        if key in self._team_ids:
            return db.session.get(Team, self._team_ids[key])
        unit = db.session.get(Unit, village.id)
        if name:
            wanted = {fold(name), fold(f"Tổ hòa giải {name}")}
            team = db.session.scalar(select(Team).where(Team.unit_id == unit.id, Team.search_key.in_(wanted)).order_by(Team.id).limit(1))
            if team is None:
                c.fail("team", f"không có tổ hòa giải «{name}» ở {unit.name} ({unit.code})")
                return None
        else:
            team = roster.default_team(unit, create=False)
            if team is None:
                c.fail("village", f"{unit.name} ({unit.code}) chưa có tổ hòa giải nào")
                return None
        self._team_ids[key] = team.id
        return team

    def row(self, row: Row) -> None:
        c = Cells(self, row)
        village = self.resolve_village(c)
        team_name = c.text("team")
        year = c.parse("year", parse_year, "thiếu năm")
        quarter = c.parse("quarter", parse_quarter, "thiếu quý")
        counts = {key: c.parse(key, parse_count, f"thiếu số «{cases.FIELD_TITLES[key]}»") for key in cases.COUNT_FIELDS}
        errors = cases.period_errors(year, quarter) if year is not None and quarter is not None else {}
        if all(v is not None for v in counts.values()):
            errors.update(cases.count_errors(**counts))
        for key, message in errors.items():
            c.fail(key, message.rstrip("."))
        if c.bad:
            return
        team = self.find_team(c, village, team_name)
        if team is None:
            return
        key = ("case_stat", team.id, year, quarter)
        first = self.seen.get(key)
        if first is not None:
            stat = cases.find_quarter(team, year, quarter)
            differ = [k for k, v in counts.items() if getattr(stat, k) != v]
            if differ:
                c.fail(differ[0], f"trùng lặp mâu thuẫn với dòng {first} (cùng tổ hòa giải, cùng quý {quarter}/{year})")
            return
        try:
            saved = cases.save_quarter(team, year, quarter, **counts)
        except ServiceError as exc:
            self.service_error(c, exc, "received")
            return
        self.seen[key] = row.number
        counted = self.result.count("case_stat")
        setattr(counted, saved.action, getattr(counted, saved.action) + 1)


KIND = ImportKind(
    "cases", "Thống kê vụ việc hòa giải", CASE_COLUMNS, _Cases,
    "Mỗi dòng là số vụ việc của một tổ hòa giải trong một quý. «Tiếp nhận» gồm mọi vụ việc tổ giải quyết trong quý "
    "(mới và kỳ trước chuyển sang), nên Thành + Không thành + Đang giải quyết = Tiếp nhận. Để trống «Tổ hòa giải» "
    "thì dùng tổ của thôn; tổ phải có sẵn. Nhập lại cùng quý thì số liệu được thay bằng số mới.",
    "thong-ke-vu-viec",
)
