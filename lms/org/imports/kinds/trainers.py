"""Import kind "trainers": one row per appointment of a trainer at province or district level, matched by
(person, level, unit, start date); people are found or created."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ....core.errors import ServiceError
from ....core.spreadsheet import Row, parse_date
from ....extensions import db
from ...models import TrainerAppointment, TrainerLevel, Unit, UnitKind
from ...services import roster
from ..columns import TRAINER_COLUMNS
from ..engine import Cells, ImportKind, ImportRun
from ..parsers import parse_background, parse_birth, parse_gender, parse_phone, parse_trainer_level


class _Trainers(ImportRun):
    entities = ("person", "appointment")
    columns = TRAINER_COLUMNS
    finds_people = True

    def row(self, row: Row) -> None:
        c = Cells(self, row)
        name = c.text("name", "thiếu họ và tên")
        gender = c.parse("gender", parse_gender)
        birth = c.parse("birth", parse_birth)
        phone = c.parse("phone", parse_phone)
        level = c.parse("level", parse_trainer_level, "thiếu cấp (tỉnh / huyện)")
        unit = self.resolve_unit(c, "unit", "thiếu mã đơn vị")
        background = c.parse("background", parse_background)
        started_on = c.parse("started_on", parse_date, "thiếu ngày bắt đầu")
        ended_on = c.parse("ended_on", parse_date)
        if unit is not None and level is not None:
            expected = UnitKind.PROVINCE if level == TrainerLevel.PROVINCE else UnitKind.DISTRICT
            if unit.kind != expected:
                c.fail("unit", f"«{unit.code}» là {unit.kind.title.lower()}; tập huấn viên {level.title.lower()} phải thuộc đơn vị {expected.title.lower()}")
        if started_on and ended_on and ended_on < started_on:
            c.fail("ended_on", "ngày kết thúc trước ngày bắt đầu")
        if c.bad:
            return
        rec = self.person(c, unit, name=name, gender=gender, birth=birth, phone=phone)
        if rec is None:
            return
        person = self.orm(rec)
        key = ("appointment", person.id, level, unit.id, started_on)
        a = db.session.scalar(
            select(TrainerAppointment).where(
                TrainerAppointment.person_id == person.id, TrainerAppointment.level == level, TrainerAppointment.unit_id == unit.id,
                TrainerAppointment.started_on == started_on,
            )
        )
        if a is None:
            try:
                roster.appoint_trainer(
                    person=person, level=level, unit=db.session.get(Unit, unit.id), started_on=started_on, background=background, ended_on=ended_on
                )
            except ServiceError as exc:
                self.service_error(c, exc, "unit")
                return
            self.seen[key] = row.number
            self.result.count("appointment").created += 1
            return
        desired: dict[str, Any] = {}
        if background is not None:
            desired["background"] = background
        if ended_on is not None:
            desired["ended_on"] = ended_on
        self.apply(c, a, desired, key, "appointment")


KIND = ImportKind(
    "trainers", "Tập huấn viên", TRAINER_COLUMNS, _Trainers,
    "Mỗi dòng một lần bổ nhiệm. Cấp tỉnh thì «Mã đơn vị» là mã tỉnh; cấp huyện thì là mã huyện.",
)
