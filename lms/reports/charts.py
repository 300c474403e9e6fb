"""Server-rendered SVG charts for the dashboard: readable without JavaScript, on a phone and on paper.

Each chart is an inline ``<svg role="img" aria-label="…">`` with a ``<title>`` per bar (the tooltip
and what a screen reader's user can explore), black text on white, and colours that print
(``print-color-adjust: exact``). Everything that goes into the markup is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from ..core import format as fmt
from .figures import FigureStatus

#: Bar colours by status (Bootstrap's success / danger / secondary-subtle, which print well).
COLORS = {"met": "#198754", "not_met": "#dc3545", "not_applicable": "#adb5bd"}
STATUS_WORDS = {status: title.lower() for status, title in FigureStatus.TITLES.items()}
TEXT = "#212529"
MUTED = "#6c757d"
TRACK = "#e9ecef"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'DejaVu Sans', sans-serif"
SVG_STYLE = "width:100%;height:auto;-webkit-print-color-adjust:exact;print-color-adjust:exact"
#: How the dashboard shows a figure's percentage (:func:`lms.core.format.percent`): "82,5%", "80%", "—" when not applicable.
SHOWN = {"trim": True, "empty": "—"}


def _f(x: float) -> str:
    """A coordinate, short."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _svg(width: int, height: int, label: str, body: list[str], css_class: str) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="{css_class}" role="img" '
        f'aria-label="{escape(label)}" style="{SVG_STYLE}" font-family="{escape(FONT)}">'
        f"<title>{escape(label)}</title>"
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704  (every text part is escaped above)


# --------------------------------------------------------------------------- horizontal bars (one per child unit)


@dataclass
class Bar:
    label: str
    value: float | None
    status: str
    detail: str = ""  # "3/4"
    target: float | None = None


def bar_chart(bars: Sequence[Bar], target: float | None, title: str) -> Markup:
    """One horizontal bar per unit (label above its bar, value at the right), and a vertical target line."""
    width, left, value_col, top, row = 360, 4, 58, 22, 31
    plot = width - left - value_col
    scale = max([100.0] + [b.value for b in bars if b.value is not None])
    height = top + row * max(len(bars), 1) + 6

    def x(v: float) -> float:
        return left + plot * min(max(v, 0.0), scale) / scale

    body: list[str] = []
    summary = []
    for i, b in enumerate(bars):
        y = top + i * row
        status_word = STATUS_WORDS.get(b.status, "")
        tip = f"{b.label}: {fmt.percent(b.value, **SHOWN)}" + (f" ({b.detail})" if b.detail else "") + f", {status_word}"
        if b.target is not None and b.target != target:
            tip += f" (chỉ tiêu {fmt.percent(b.target, **SHOWN)})"
        summary.append(f"{b.label} {fmt.percent(b.value, **SHOWN)} {status_word}")
        body.append(f"<g><title>{escape(tip)}</title>")
        body.append(f'<text x="{left}" y="{y + 11}" font-size="12" fill="{TEXT}">{escape(_clip(b.label, 50))}</text>')
        body.append(f'<rect x="{left}" y="{y + 14}" width="{_f(plot)}" height="12" fill="{TRACK}"/>')
        if b.value is not None:
            body.append(f'<rect x="{left}" y="{y + 14}" width="{_f(x(b.value) - left)}" height="12" fill="{COLORS.get(b.status, MUTED)}"/>')
            value_text = fmt.percent(b.value, **SHOWN)
        else:
            value_text = "Không áp dụng"
        size = 12 if b.value is not None else 9
        body.append(f'<text x="{width - 2}" y="{y + 24}" font-size="{size}" text-anchor="end" fill="{TEXT}">{escape(value_text)}</text>')
        body.append("</g>")
    if not bars:
        body.append(f'<text x="{left}" y="{top + 14}" font-size="12" fill="{MUTED}">Không có đơn vị cấp dưới.</text>')
    if target is not None:
        tx = x(target)
        anchor = "end" if tx > width / 2 else "start"
        label_x = tx - 3 if anchor == "end" else tx + 3
        body.append(f'<line x1="{_f(tx)}" y1="14" x2="{_f(tx)}" y2="{height - 4}" stroke="{TEXT}" stroke-width="1.5" stroke-dasharray="4 3"/>')
        body.append(f'<text x="{_f(label_x)}" y="11" font-size="11" text-anchor="{anchor}" fill="{TEXT}">Chỉ tiêu {escape(fmt.percent(target, **SHOWN))}</text>')
    label = f"{title}. " + (f"Chỉ tiêu {fmt.percent(target, **SHOWN)}. " if target is not None else "") + "; ".join(summary)
    return _svg(width, height, label, body, "chart chart-bars")


# --------------------------------------------------------------------------- trend per year (the plan's phases)


@dataclass
class Point:
    year: int
    value: float | None
    status: str = "not_applicable"
    detail: str = ""
    future: bool = False


@dataclass
class Phase:
    title: str
    start: int
    end: int


def trend_chart(points: Sequence[Point], target: float | None, phases: Sequence[Phase], title: str) -> Markup:
    """A column per year, shaded bands for the plan's phases, and the target as a horizontal line."""
    width, height = 360, 190
    left, right, top, bottom = 30, 6, 30, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(points), 1)
    slot = plot_w / n
    scale = max([100.0] + [p.value for p in points if p.value is not None])
    first_year = points[0].year if points else 0

    def y(v: float) -> float:
        return top + plot_h * (1 - min(max(v, 0.0), scale) / scale)

    def slot_x(year: int) -> float:
        return left + (year - first_year) * slot

    body: list[str] = []
    for i, ph in enumerate(phases):
        start, end = max(ph.start, first_year), min(ph.end, first_year + n - 1)
        if end < start:
            continue
        x0, x1 = slot_x(start), slot_x(end) + slot
        body.append(f'<rect x="{_f(x0)}" y="{top - 18}" width="{_f(x1 - x0)}" height="{_f(plot_h + 18)}" '
                    f'fill="{"#f1f3f5" if i % 2 == 0 else "#ffffff"}" stroke="#ced4da" stroke-width="0.5"/>')
        body.append(f'<text x="{_f((x0 + x1) / 2)}" y="{top - 6}" font-size="10" text-anchor="middle" fill="{TEXT}">'
                    f"{escape(_clip(ph.title, int((x1 - x0) / 5)))}</text>")
    for tick in (0, 50, 100):
        ty = y(tick)
        body.append(f'<line x1="{left}" y1="{_f(ty)}" x2="{width - right}" y2="{_f(ty)}" stroke="#dee2e6" stroke-width="0.5"/>')
        body.append(f'<text x="{left - 3}" y="{_f(ty + 3)}" font-size="9" text-anchor="end" fill="{MUTED}">{tick}%</text>')
    summary = []
    for p in points:
        cx = slot_x(p.year) + slot / 2
        bw = slot * 0.56
        if p.future:
            text, tip = "", f"{p.year}: chưa đến"
        elif p.value is None:
            text, tip = "—", f"{p.year}: không áp dụng"
        else:
            text = fmt.number(p.value, trim=True)
            tip = f"{p.year}: {fmt.percent(p.value, **SHOWN)}" + (f" ({p.detail})" if p.detail else "") + f", {STATUS_WORDS.get(p.status, '')}"
        summary.append(tip)
        body.append(f"<g><title>{escape(tip)}</title>")
        if p.value is not None:
            body.append(f'<rect x="{_f(cx - bw / 2)}" y="{_f(y(p.value))}" width="{_f(bw)}" height="{_f(top + plot_h - y(p.value))}" '
                        f'fill="{COLORS.get(p.status, MUTED)}"/>')
            body.append(f'<text x="{_f(cx)}" y="{_f(y(p.value) - 3)}" font-size="10" text-anchor="middle" fill="{TEXT}">{escape(text)}</text>')
        elif text:
            body.append(f'<text x="{_f(cx)}" y="{_f(top + plot_h - 3)}" font-size="10" text-anchor="middle" fill="{MUTED}">{escape(text)}</text>')
        else:
            body.append(f'<rect x="{_f(cx - bw / 2)}" y="{top}" width="{_f(bw)}" height="{plot_h}" fill="none" stroke="#ced4da" stroke-dasharray="2 2"/>')
        body.append(f'<text x="{_f(cx)}" y="{height - 7}" font-size="10" text-anchor="middle" fill="{TEXT if not p.future else MUTED}">{p.year}</text>')
        body.append("</g>")
    body.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="{TEXT}" stroke-width="1"/>')
    if target is not None:
        ty = y(target)
        body.append(f'<line x1="{left}" y1="{_f(ty)}" x2="{width - right}" y2="{_f(ty)}" stroke="{TEXT}" stroke-width="1.5" stroke-dasharray="4 3"/>')
        label_y = ty + 10 if ty - top < 12 else ty - 3  # below the line when it runs along the top
        body.append(f'<text x="{width - right - 2}" y="{_f(label_y)}" font-size="9" text-anchor="end" fill="{TEXT}" stroke="#ffffff" '
                    f'stroke-width="3" paint-order="stroke">Chỉ tiêu {escape(fmt.percent(target, **SHOWN))}</text>')
    label = f"{title}. " + (f"Chỉ tiêu {fmt.percent(target, **SHOWN)}. " if target is not None else "") + "; ".join(summary)
    return _svg(width, height, label, body, "chart chart-trend")
