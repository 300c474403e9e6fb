"""Background jobs: RQ on Redis when ``LMS_REDIS_URL`` is set, inline otherwise.

A job is a row in ``job`` (progress for the page that waits on it) plus a
function registered here by name. Areas register their job functions with
:func:`job`; :func:`start` queues or runs one; the function receives the
:class:`Job` and reports progress with :func:`progress`.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable

from flask import abort, current_app
from flask_login import current_user

from ..extensions import db
from . import clock
from .models import JOB_PENDING, Job, JobStatus

log = logging.getLogger(__name__)
_registry: dict[str, Callable[[Job], None]] = {}


def job(kind: str):
    """Register ``func(job)`` as the runner of jobs of ``kind``."""

    def decorator(func: Callable[[Job], None]):
        _registry[kind] = func
        return func

    return decorator


def start(kind: str, params: dict, user_id: int | None = None) -> Job:
    """Create the job row, commit it, and queue it (RQ) or run it now (inline)."""
    if kind not in _registry:
        raise KeyError(kind)
    row = Job(kind=kind, params=params, user_id=user_id, status=JobStatus.QUEUED.value)
    db.session.add(row)
    db.session.commit()
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        from redis import Redis
        from rq import Queue

        Queue("lms", connection=Redis.from_url(redis_url)).enqueue(run_in_worker, row.id, job_timeout=3600)
    else:
        run(row.id)
    return row


def run(job_id: int) -> None:
    """Run a job in the current app context; commits its progress as it goes."""
    row = db.session.get(Job, job_id)
    if row is None or row.status not in JOB_PENDING:
        return
    row.status = JobStatus.RUNNING.value
    db.session.commit()
    try:
        _registry[row.kind](row)
    except Exception as exc:  # a job's failure is recorded, not raised into the page
        db.session.rollback()
        row = db.session.get(Job, job_id)
        row.status = JobStatus.FAILED.value
        row.error = f"{type(exc).__name__}: {exc}"[:1000]
        row.finished_at = clock.now()
        db.session.commit()
        log.error("job %s failed: %s", job_id, traceback.format_exc())
        return
    row.status = JobStatus.DONE.value
    row.finished_at = clock.now()
    db.session.commit()


def run_in_worker(job_id: int) -> None:  # pragma: no cover - runs inside `rq worker`
    from .. import create_app

    app = create_app()
    with app.app_context():
        run(job_id)


def progress(row: Job, done: int, total: int | None = None) -> None:
    row.done = done
    if total is not None:
        row.total = total
    db.session.commit()


def _progress_key(job_id: int) -> str:
    return f"lms:job:{job_id}:progress"


def report(row: Job, done: int, total: int | None = None) -> None:
    """Progress of a job that keeps one transaction open until it ends (an import: all or nothing), so
    :func:`progress`, which commits, must not be used. Kept in Redis, where the page reads it, when jobs run
    in a worker; when they run inline nobody can look before the job ends, and the row gets the final count."""
    row.done = done  # not committed here: seen when the job's own transaction is
    if total is not None:
        row.total = total
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        from redis import Redis
        from redis.exceptions import RedisError

        try:
            Redis.from_url(redis_url).set(_progress_key(row.id), f"{done}/{row.total or 0}", ex=24 * 3600)
        except RedisError:  # progress is a courtesy: the job goes on
            log.warning("job %s: progress not reported", row.id)


def live_progress(row: Job) -> tuple[int, int]:
    """``(done, total)`` of a job: what :func:`report` last said while it runs, else the row's own."""
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url and row.status in JOB_PENDING:
        from redis import Redis
        from redis.exceptions import RedisError

        try:
            value = Redis.from_url(redis_url).get(_progress_key(row.id))
        except RedisError:  # redis down: the page still shows the row
            value = None
        if value:
            done, total = value.decode().split("/")
            return int(done), int(total)
    return row.done, row.total


def get_own_job(job_id: int) -> Job:
    """A job of the current user (404 otherwise)."""
    row = db.session.get(Job, job_id)
    if row is None or row.user_id != current_user.id:
        abort(404)
    return row
