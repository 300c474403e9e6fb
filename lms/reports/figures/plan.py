"""What the province's plan says about each figure: its target, its title and the plan's item for it."""

from __future__ import annotations

from sqlalchemy import select

from ...extensions import db
from ...org.models import Plan, Unit
from ...org.services.plans import national_plan

#: Figure titles when the plan gives none.
DEFAULT_TITLES = {
    "B1": "Tập huấn viên cấp huyện (tối thiểu 01/80 tổ hòa giải)",
    "B2": "Tập huấn viên cấp tỉnh (tối thiểu 01/100 tổ hòa giải)",
    "C": "Tập huấn viên được tập huấn, bồi dưỡng",
    "D": "Tổ hòa giải đủ số lượng, thành phần cơ cấu",
    "Đ": "Tổ hòa giải có người hỗ trợ pháp lý",
    "E1": "Hòa giải viên được tập huấn, bồi dưỡng",
    "E2": "Hòa giải viên được bồi dưỡng ở xã điểm chỉ đạo",
    "E3": "Hòa giải viên mới được bồi dưỡng trong 6 tháng",
    "G": "Hòa giải viên được tiếp cận Bộ tài liệu",
    "H": "Tỷ lệ hòa giải thành",
    "I": "Đơn vị cấp xã điển hình về hòa giải ở cơ sở",
}


def plan_for(unit: Unit) -> Plan:
    """The plan in force for ``unit``: its province's plan that starts last, else the national scheme."""
    province_id = unit.ancestor_ids[0]
    own = db.session.scalar(select(Plan).where(Plan.unit_id == province_id).order_by(Plan.start_date.desc()).limit(1))
    return own if own is not None else national_plan()




def plan_target(plan: Plan | None, code: str, unit: Unit | None = None) -> float | None:
    """The plan's target for figure ``code`` in percent (H: the pilot threshold for a pilot ``unit``), or ``None``."""
    if plan is None:
        return None
    t = plan.target(code)
    if not t:
        return None
    if code == "H" and unit is not None and unit.is_pilot and t.get("pilot_threshold") is not None:
        return float(t["pilot_threshold"])
    return float(t["threshold"])


def figure_title(plan: Plan | None, code: str) -> str:
    """The plan's title for figure ``code``, else :data:`DEFAULT_TITLES`."""
    return ((plan.target(code) if plan is not None else {}) or {}).get("title") or DEFAULT_TITLES[code]


def figure_item(plan: Plan | None, code: str) -> str:
    """The plan's item (section) for figure ``code``, or ""."""
    return ((plan.target(code) if plan is not None else {}) or {}).get("item") or ""
