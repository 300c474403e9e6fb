"""Forms of the commune's case-statistics grid: the period picker (GET) and the grid itself (POST)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from flask_wtf import FlaskForm
from wtforms import SelectField

from ..models import CaseStat, Team
from ..services.cases import COUNT_FIELDS, FIELD_TITLES, FIRST_YEAR, count_errors


class PeriodForm(FlaskForm):
    """Year and quarter, read from the query string (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    year = SelectField("Năm", choices=[])
    quarter = SelectField("Quý", choices=[(str(q), f"Quý {q}") for q in range(1, 5)])

    def set_years(self, last_year: int) -> None:
        self.year.choices = [(str(y), str(y)) for y in range(last_year, FIRST_YEAR - 1, -1)]


class CaseGridForm(FlaskForm):
    """The grid's CSRF token; the rows' inputs are read by :func:`read_grid`."""


def input_name(team_id: int, key: str) -> str:
    return f"t{team_id}-{key}"


@dataclass
class GridRow:
    """One team's line of the grid: what was typed (or saved), the parsed numbers, and the errors."""

    team: Team
    raw: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, int | None] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    saved: CaseStat | None = None

    @property
    def blank(self) -> bool:
        return all(not self.raw.get(k) for k in COUNT_FIELDS)

    @property
    def messages(self) -> list[str]:
        return list(dict.fromkeys(self.errors.values()))


def rows_from_saved(teams: Sequence[Team], saved: Mapping[int, CaseStat]) -> list[GridRow]:
    rows = []
    for team in teams:
        stat = saved.get(team.id)
        raw = {k: str(getattr(stat, k)) for k in COUNT_FIELDS} if stat is not None else {k: "" for k in COUNT_FIELDS}
        rows.append(GridRow(team=team, raw=raw, saved=stat))
    return rows


def read_grid(formdata: Mapping[str, str], teams: Sequence[Team], saved: Mapping[int, CaseStat]) -> list[GridRow]:
    """Every team's row as posted, checked: a row left wholly blank is skipped (what is saved stays);
    a row with any number must have all four, whole and ≥ 0, the parts adding up to «Tiếp nhận»."""
    rows = []
    for team in teams:
        row = GridRow(team=team, saved=saved.get(team.id))
        for key in COUNT_FIELDS:
            text = (formdata.get(input_name(team.id, key)) or "").strip()
            row.raw[key] = text
            row.numbers[key] = None
            if not text:
                continue
            if text.isdigit():
                row.numbers[key] = int(text)
            else:
                row.errors[key] = f"«{FIELD_TITLES[key]}»: «{text}» không phải là số nguyên không âm."
        if not row.blank:
            for key in COUNT_FIELDS:
                if not row.raw[key]:
                    row.errors[key] = f"Thiếu số «{FIELD_TITLES[key]}» (nhập 0 nếu không có)."
            if not row.errors:
                row.errors.update(count_errors(**row.numbers))
        rows.append(row)
    return rows
