"""The annual report on the plan, as a PDF in the layout of a Vietnamese administrative report.

Three variants (``?variant=``): ``nam`` (the year's results), ``so-ket`` (interim review of phase 1)
and ``tong-ket`` (final review of the whole 2024 – 2030 scheme). Section I holds a summary table
(figure, plan item, target, result, assessment), then a table per figure by unit (the unit's
children) with the plan's target beside them; the reviews add the trend of E1, E3 and H per year.

Numbers are printed the Vietnamese way: decimal comma, one decimal for percentages ("53,1"),
a dot between thousands ("1.234") — :mod:`lms.core.format` (the template's ``number``, ``integer``
and ``percent`` filters).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app, render_template

from ..certificates.models import CertificateSettings
from ..core import clock
from ..core import format as fmt
from ..core.pdf import render_pdf
from ..extensions import db
from ..org.models import Plan, Unit, UnitKind
from .figures import CODES, STATUS_TITLES, Coverage, Figure, coverage, figure_item, figure_title, plan_for

VARIANTS = {"nam": "Báo cáo năm", "so-ket": "Sơ kết giai đoạn 1", "tong-ket": "Tổng kết giai đoạn 2024 - 2030"}
TREND_CODES = ("E1", "E3", "H")
DEFAULT_PHASES = [{"code": "1", "title": "Giai đoạn 1 (2024 - 2026)", "from": 2024, "to": 2026},
                  {"code": "2", "title": "Giai đoạn 2 (2027 - 2030)", "from": 2027, "to": 2030}]


class ReportError(ValueError):
    """The report cannot be made for these parameters; the message is Vietnamese."""


# --------------------------------------------------------------------------- targets as printed


def target_value(value: float | None) -> str:
    """A target percentage without a useless ",0": ``80.0`` → ``"80"``, ``12.5`` → ``"12,5"``; ``None`` → ``""``."""
    if value is None:
        return ""
    return fmt.number(value, 0 if float(value).is_integer() else 1)


# --------------------------------------------------------------------------- what the report holds


@dataclass
class Heading:
    parent: str  # the line above the issuing body (may be empty)
    body: str  # the issuing body, bold
    number_suffix: str  # "BC-STP"
    place: str
    signer_title: str
    signer_for: str  # "KT. GIÁM ĐỐC" style line above the title (may be empty)
    signer_name: str
    recipients: list[str]
    speaker: str  # how the body names itself in the text: "Sở Tư pháp"
    stamp: bool = True

    @property
    def parent_lines(self) -> list[str]:
        """"ỦY BAN NHÂN DÂN THÀNH PHỐ CẦN THƠ" on two lines, as printed on an administrative document."""
        head = "ỦY BAN NHÂN DÂN"
        if self.parent.startswith(head + " "):
            return [head, self.parent[len(head) + 1:]]
        return [self.parent] if self.parent else []


def _province(unit: Unit) -> Unit:
    return db.session.get(Unit, unit.ancestor_ids[0]) if unit.ancestor_ids else unit


def _short(name: str) -> str:
    for prefix in ("Thành phố ", "Tỉnh ", "Quận ", "Huyện ", "Thị xã ", "Phường ", "Xã ", "Thị trấn "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def heading_for(unit: Unit) -> Heading:
    """Issuing body, place, signer and recipients by the unit's level (the province's certificate settings when set)."""
    province = _province(unit)
    settings = db.session.get(CertificateSettings, province.id)
    place = (settings.place if settings and settings.place else _short(province.name))
    if unit.kind == UnitKind.PROVINCE:
        return Heading(
            parent=(settings.issuer_parent if settings and settings.issuer_parent else f"ỦY BAN NHÂN DÂN {unit.name.upper()}"),
            body="SỞ TƯ PHÁP",
            number_suffix="BC-STP",
            place=place,
            signer_title=(settings.signer_title if settings and settings.signer_title else "GIÁM ĐỐC"),
            signer_for="",
            signer_name=(settings.signer_name if settings else ""),
            recipients=["Bộ Tư pháp (Vụ Phổ biến, giáo dục pháp luật);", f"UBND {unit.name} (để báo cáo);",
                        "Ban Giám đốc Sở;", "UBND các xã, phường, đặc khu;", "Lưu: VT, PBGDPL."],
            speaker="Sở Tư pháp",
        )
    if unit.kind == UnitKind.DISTRICT:
        return Heading(
            parent=f"ỦY BAN NHÂN DÂN {unit.name.upper()}", body="PHÒNG TƯ PHÁP", number_suffix="BC-PTP", place=place,
            signer_title="TRƯỞNG PHÒNG", signer_for="", signer_name="",
            recipients=["Sở Tư pháp;", f"UBND {unit.name} (để báo cáo);", "Lưu: VT."],
            speaker="Phòng Tư pháp",
        )
    return Heading(
        parent="ỦY BAN NHÂN DÂN", body=unit.name.upper(), number_suffix="BC-UBND", place=place,
        signer_title="CHỦ TỊCH", signer_for="TM. ỦY BAN NHÂN DÂN", signer_name="",
        recipients=["Sở Tư pháp;", "Đảng ủy, HĐND " + unit.name + ";", "Lưu: VT."],
        speaker=f"Ủy ban nhân dân {unit.name[:1].lower()}{unit.name[1:]}",
    )


def target_text(plan: Plan | None, code: str) -> str:
    """The plan's target as written in a report: "≥ 80% (phấn đấu 90%)", "100%", "≥ 85% (xã điểm: ≥ 90%)"."""
    if plan is None:
        return "Chưa có kế hoạch"
    t = plan.target(code)
    if not t or t.get("threshold") is None:
        return "—"
    threshold = float(t["threshold"])
    text = "100%" if threshold >= 100 else f"≥ {target_value(threshold)}%"
    if t.get("band_to") is not None:
        text += f" (phấn đấu {fmt.number(float(t['band_to']), 0)}%)"
    if code == "H" and t.get("pilot_threshold") is not None:
        text += f"; xã điểm ≥ {fmt.number(float(t['pilot_threshold']), 0)}%"
    if t.get("by_year"):
        text += f", đến năm {t['by_year']}"
    return text


def result_text(f: Figure) -> str:
    if f.value is None:
        return "Không áp dụng"
    return f"{fmt.percent(f.value)} ({fmt.integer(f.numerator)}/{fmt.integer(f.denominator)})"


def phases_of(plan: Plan | None) -> list[dict]:
    return (plan.data.get("phases") if plan is not None and plan.data else None) or DEFAULT_PHASES


@dataclass
class Report:
    unit: Unit
    variant: str
    year: int
    day: dt.date
    cov: Coverage
    heading: Heading
    title: str
    period: str
    years: list[int]
    trend: list[tuple[int, dict[str, Figure]]]


def build_report(unit: Unit, year: int | None, variant: str) -> Report:
    """Everything the template needs (figures as of the end of the period, or today when it is not over)."""
    if variant not in VARIANTS:
        raise ReportError("Loại báo cáo không hợp lệ (nam, so-ket hoặc tong-ket).")
    today = clock.today()
    plan = plan_for(unit)
    number = plan.reference if plan else "Kế hoạch số …"
    phases = phases_of(plan)
    if variant == "nam":
        year = year or today.year
        if year > today.year:
            raise ReportError(f"Năm {year} chưa đến; chưa lập được báo cáo.")
        first, last = year, year
        title = f"Kết quả thực hiện {number} năm {year}"
        period = f"năm {year}"
    else:
        if variant == "so-ket":
            phase = phases[0]
            first, last = int(phase["from"]), int(phase.get("review_year") or phase["to"])
            title = f"Sơ kết giai đoạn 1 ({first} - {int(phase['to'])}) thực hiện {number}"
            period = f"giai đoạn 1 ({first} - {int(phase['to'])})"
        else:
            first, last = int(phases[0]["from"]), int(phases[-1].get("review_year") or phases[-1]["to"])
            title = f"Tổng kết giai đoạn {first} - {last} thực hiện {number}"
            period = f"giai đoạn {first} - {last}"
        if first > today.year:
            raise ReportError(f"Giai đoạn bắt đầu từ năm {first}, chưa lập được báo cáo.")
        year = min(last, today.year)
    day = min(dt.date(year, 12, 31), today)
    cov = coverage(unit, day, year, plan)
    years = list(range(first, min(last, today.year) + 1))
    trend: list[tuple[int, dict[str, Figure]]] = []
    if variant != "nam":
        for y in years:
            c = cov if y == year else coverage(unit, min(dt.date(y, 12, 31), today), y, plan)
            trend.append((y, {code: c.figures[code] for code in TREND_CODES}))
    return Report(unit, variant, year, day, cov, heading_for(unit), title, period, years, trend)


def render_report_html(report: Report) -> str:
    cov = report.cov
    rows = [
        {"code": code, "title": figure_title(cov.plan, code), "item": figure_item(cov.plan, code), "target": target_text(cov.plan, code),
         "figure": cov.figures[code], "result": result_text(cov.figures[code]),
         # a table of "Không áp dụng" rows says nothing: such a figure gets one sentence instead
         "by_unit": any(c.figures[code].status != "not_applicable" for c in cov.children),
         "child_note": next((c.figures[code].note for c in cov.children if c.figures[code].note), "")}
        for code in CODES
    ]
    not_met = [r for r in rows if r["figure"].status == "not_met"]
    met = [r for r in rows if r["figure"].status == "met"]
    return render_template(
        "reports/annual_report.html",
        r=report,
        cov=cov,
        plan=cov.plan,
        rows=rows,
        met=met,
        not_met=not_met,
        codes=CODES,
        trend_codes=TREND_CODES,
        status_titles=STATUS_TITLES,
        target_value=target_value,
        result_text=result_text,
        issued_year=clock.today().year,
    )


def annual_report_pdf(unit: Unit, year: int | None = None, variant: str = "nam") -> bytes:
    report = build_report(unit, year, variant)
    return render_pdf(render_report_html(report), app=current_app._get_current_object())
