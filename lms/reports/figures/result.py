"""What the figures are reported as: a :class:`Figure` (numerator / denominator against a target),
a unit's figures, and the :class:`Coverage` of a unit and its children."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ...core.models import TitledEnum
from ...org.models import Plan, Unit

CODES = ("B1", "B2", "C", "D", "Đ", "E1", "E2", "E3", "G", "H", "I")


class FigureStatus(TitledEnum):
    """A figure against its target; ``COLORS`` are the Bootstrap contexts the pages show it in."""

    MET = "met"
    NOT_MET = "not_met"
    NOT_APPLICABLE = "not_applicable"


FigureStatus.TITLES = {"met": "Đạt", "not_met": "Chưa đạt", "not_applicable": "Không áp dụng"}
FigureStatus.COLORS = {"met": "success", "not_met": "danger", "not_applicable": "secondary"}
STATUS_TITLES = FigureStatus.TITLES


@dataclass
class Figure:
    code: str
    numerator: int | None
    denominator: int | None
    target: float | None
    value: float | None = None
    status: FigureStatus = FigureStatus.NOT_APPLICABLE
    note: str = ""

    def __post_init__(self) -> None:
        if not self.denominator:
            self.value, self.status = None, FigureStatus.NOT_APPLICABLE
            return
        self.value = round(100.0 * (self.numerator or 0) / self.denominator, 1)
        if self.target is None:
            self.status = FigureStatus.NOT_APPLICABLE
        else:
            met = 100.0 * (self.numerator or 0) >= self.target * self.denominator
            self.status = FigureStatus.MET if met else FigureStatus.NOT_MET

    @property
    def status_title(self) -> str:
        return self.status.title

    def as_dict(self) -> dict:
        return {"numerator": self.numerator, "denominator": self.denominator, "value": self.value, "target": self.target, "status": self.status.value}


def not_applicable(code: str, target: float | None, note: str = "") -> Figure:
    return Figure(code, None, None, target, note=note)


@dataclass
class UnitFigures:
    unit: Unit
    figures: dict[str, Figure] = field(default_factory=dict)
    #: the unit it lies under, when that is not the unit of the coverage but one merged into it (a village of an old
    #: commune, in the coverage of the new commune that absorbed it)
    via: Unit | None = None

    @property
    def label(self) -> str:
        """The unit's name, with the old unit it lies under when there is one ("Khu vực 1 (Phường Thới Bình)")."""
        return self.unit.name if self.via is None else f"{self.unit.name} ({self.via.name})"


@dataclass
class Coverage:
    unit: Unit
    day: dt.date
    year: int
    plan: Plan | None
    root: UnitFigures
    children: list[UnitFigures]

    @property
    def figures(self) -> dict[str, Figure]:
        return self.root.figures

    def as_dict(self) -> dict:
        return {
            "unit": self.unit.code,
            "unit_name": self.unit.name,
            "date": self.day.isoformat(),
            "year": self.year,
            "figures": {code: f.as_dict() for code, f in self.root.figures.items()},
            "children": [
                {"unit": c.unit.code, "name": c.unit.name, "figures": {code: f.as_dict() for code, f in c.figures.items()}} for c in self.children
            ],
        }
