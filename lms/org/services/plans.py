"""Province plans: loaded from YAML files, targets editable by the province admin."""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy import select

from ...core import audit
from ...core.errors import ServiceError
from ...extensions import db
from ..models import Plan, UnitKind
from .roster import unit_by_code

#: the national scheme, Quyết định 315/QĐ-TTg of 17 April 2024 (beside the provinces' plans, not loaded with them)
NATIONAL_PLAN_FILE = Path(__file__).resolve().parents[2] / "reports" / "plans" / "national" / "qd-315-ttg-2024.yaml"

REQUIRED = ("slug", "province_code", "number", "title", "issued_on", "start_date", "targets")


def load_plan_file(path: Path) -> tuple[Plan | None, str]:
    """Create or update the plan described by a YAML file; returns (plan, what happened).

    A file whose content is unchanged since it was last loaded changes nothing, so
    targets edited in the application are kept until the file itself changes.
    """
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    data = yaml.safe_load(raw) or {}
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise ServiceError(f"{path.name}: thiếu {', '.join(missing)}")
    province = unit_by_code(str(data["province_code"]))
    if province is None or province.kind != UnitKind.PROVINCE:
        return None, f"{path.name}: province {data['province_code']} not found, skipped"
    plan = db.session.scalar(select(Plan).where(Plan.slug == data["slug"]))
    if plan is not None and plan.source_hash == digest:
        return plan, f"{plan.slug}: unchanged"
    payload = {"phases": data.get("phases", []), "targets": data["targets"]}
    fields = dict(
        unit_id=province.id, number=str(data["number"]), title=str(data["title"]), issued_on=_date(data["issued_on"]),
        start_date=_date(data["start_date"]), data=payload, source_hash=digest,
    )
    if plan is None:
        plan = Plan(slug=data["slug"], **fields)
        db.session.add(plan)
        db.session.flush()
        audit.record(plan, "create", {"slug": [None, plan.slug]})
        return plan, f"{plan.slug}: loaded"
    for key, value in fields.items():
        setattr(plan, key, value)
    audit.record(plan, "update", {"source": [None, path.name]})
    db.session.flush()
    return plan, f"{plan.slug}: updated from file"


@lru_cache(maxsize=1)
def national_plan() -> Plan:
    """The national scheme as a plan: read from its file, never stored (it belongs to no province, no one edits it).

    A transient ``Plan`` (``unit_id`` None, :attr:`Plan.is_national`): the figures read its targets and start date
    as they read a province's plan.
    """
    data = yaml.safe_load(NATIONAL_PLAN_FILE.read_text(encoding="utf-8"))
    return Plan(
        slug=data["slug"], unit_id=None, number=str(data["number"]), title=str(data["title"]),
        issued_on=_date(data["issued_on"]), start_date=_date(data["start_date"]),
        data={"phases": data.get("phases", []), "targets": data["targets"]},
    )


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def set_target(plan: Plan, code: str, threshold: float) -> Plan:
    """Change one figure's target threshold (percent)."""
    targets = dict(plan.data.get("targets") or {})
    if code not in targets:
        raise ServiceError(f"Kế hoạch không có chỉ tiêu {code}.", "code")
    if not 0 <= threshold <= 100:
        raise ServiceError("Chỉ tiêu phải từ 0 đến 100%.", "threshold")
    old = targets[code].get("threshold")
    if old == threshold:
        return plan
    targets[code] = {**targets[code], "threshold": threshold}
    plan.data = {**plan.data, "targets": targets}
    audit.record(plan, "update", {f"target {code}": [old, threshold]})
    db.session.flush()
    return plan
