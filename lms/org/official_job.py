"""The official list of units from the web, as a background job (the whole country takes seconds).

The job loads the official list (``services.official.load_official``) and, for a province that has one, the shipped
history of its reform (``load_history``), in one transaction: a check writes nothing, a load writes both or, when
the history has errors (changes to existing units not confirmed), nothing. Its result is data for the page that
waits on it (``org/units_official_job.html``).
"""

from __future__ import annotations

from contextlib import nullcontext

from ..core import audit, jobs
from ..core.models import Job
from ..extensions import db
from .models import User
from .services import official

KIND = "units_official"


def start(province_code: str | None, history: bool, confirm_changes: bool, dry_run: bool, user: User) -> Job:
    params = {"province": province_code, "history": history, "confirm_changes": confirm_changes, "dry_run": dry_run}
    return jobs.start(KIND, params, user_id=user.id)


@jobs.job(KIND)
def run_official_job(row: Job) -> None:
    params = row.params
    user = db.session.get(User, row.user_id) if row.user_id else None
    total = [0]

    def report(done: int, size: int | None, offset: int = 0) -> None:
        total[0] = max(total[0], (size or 0) + offset)
        jobs.report(row, done + offset, total[0])

    with audit.acting_as(user.id, user.username) if user else nullcontext():
        loaded = official.load_official(params["province"], on_progress=report)
        result = {"official": loaded.as_data(), "history": None}
        ok = True
        if params["history"]:
            listed = total[0]  # the units of the list, then the rows of the history
            history = official.load_history(
                params["province"], confirm_changes=params["confirm_changes"],
                on_progress=lambda done, size: report(done, size, offset=listed),
            )
            result["history"] = history.as_data(max_errors=500)
            ok = history.ok
    if params["dry_run"] or not ok:
        db.session.rollback()
        row = db.session.get(Job, row.id)
    result["written"] = ok and not params["dry_run"]
    row.result = result
    db.session.commit()  # the units and the job's result together
