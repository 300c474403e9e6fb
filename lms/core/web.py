"""What every area's views share: the request's transaction, service errors on forms, scoped look-ups by code,
breadcrumbs, and safe "back" links.

**One transaction per request.** A view never commits. :func:`init_app` installs the one place that does: after
the view returns, a request that wrote (a flush, or an INSERT/UPDATE/DELETE statement) is committed when the
response is a success or a redirect (status < 400) and rolled back otherwise; an exception rolls it back (the error
handlers, ``core.errors``, roll back before rendering, and Flask-SQLAlchemy discards the session at the end of the
request). A request that only read ends without a commit, so the rows it loaded stay loaded while a streamed
response (a CSV export) is written. A rule broken in a service raises
``ServiceError``; :func:`service_errors` rolls back what the request had changed and shows the message on the form
field it names, or as a flash::

    with service_errors(form, {"unit": "name"}) as outcome:
        team = roster.create_team(unit=unit, name=form.name.data)
    if outcome.ok:
        flash("Đã thêm.", "success")
        return redirect(...)
    return render_template(...)  # the form, with the error on its field
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import flash
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from ..extensions import db
from .access import scoped
from .errors import ServiceError
from .text import nfc

WROTE = "lms_request_wrote"


def mark_written(session) -> None:
    """The request has written (and is committed at its end): called by the session's events, and by the paths
    that write around them (``core.bulk``'s ``COPY``)."""
    session.info[WROTE] = True


@event.listens_for(Session, "after_flush")
def _flushed(session, _flush_context) -> None:
    mark_written(session)


@event.listens_for(Session, "do_orm_execute")
def _executed(state) -> None:
    if not state.is_select:
        mark_written(state.session)


def init_app(app) -> None:
    @app.before_request
    def _begin_request() -> None:
        db.session.info[WROTE] = False

    @app.after_request
    def _end_transaction(response):
        session = db.session
        if session.info.pop(WROTE, False) or session.new or session.dirty or session.deleted:
            if response.status_code < 400:
                session.commit()
            else:
                session.rollback()
        return response


def apply_service_error(form, exc: ServiceError, aliases: dict[str, str] | None = None, flash_as: str = "{}") -> None:
    """Show a ``ServiceError`` on the form field it names (``aliases`` maps service names to form names), else flash
    it (``flash_as`` words the flash around the message, e.g. ``"{} Chưa lưu gì."``)."""
    name = (aliases or {}).get(exc.field or "", exc.field)
    field = getattr(form, name, None) if (name and form is not None) else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, exc.message]
    else:
        flash(flash_as.format(exc.message), "danger")


@dataclass
class Outcome:
    """What :func:`service_errors` saw: ``ok`` unless a ``ServiceError`` was raised (then ``error`` holds it)."""

    error: ServiceError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@contextmanager
def service_errors(form=None, aliases: dict[str, str] | None = None, flash_as: str | None = "{}") -> Iterator[Outcome]:
    """Run service calls; on a ``ServiceError`` roll back the request's changes and show the message (see the module):
    on the form's field, else as a flash worded by ``flash_as``; ``flash_as=None`` shows nothing (the view uses
    ``outcome.error``)."""
    outcome = Outcome()
    try:
        yield outcome
    except ServiceError as exc:
        db.session.rollback()
        if flash_as is not None:
            apply_service_error(form, exc, aliases, flash_as)
        outcome.error = exc


def scoped_by_code(model, code: str | None, kinds: Iterable | None = None, user=None, day=None):
    """The row of ``model`` (a unit) with this code, if it lies in the scope of ``user`` (default: the signed-in
    one) and, when given, is of one of ``kinds``; else ``None``. Codes are reused over time: the unit valid on
    ``day`` (default today) is taken, else the latest one with the code (``model.code_order``).

    The code is typed by people: NFC-normalized, trimmed and upper-cased first.
    """
    code = (nfc(code) or "").strip().upper()
    if not code:
        return None
    stmt = scoped(select(model), model, user).where(model.code == code)
    if kinds:
        stmt = stmt.where(model.kind.in_(list(kinds)))
    if hasattr(model, "code_order"):
        stmt = stmt.order_by(*model.code_order(day))
    return db.session.scalar(stmt.limit(1))


#: Above this many choices a filter shows a code box instead of a select.
PICKER_LIMIT = 200


def scoped_choices(model, *conditions, order_by=(), options=()) -> list | None:
    """The rows of ``model`` in the user's scope meeting ``conditions``, for a select; ``None`` when there are more
    than :data:`PICKER_LIMIT` (the form then shows a code box). Ordered by ``order_by``, by default in Vietnamese
    order (the model's ``sort_key``, then id) when it has one."""
    if not order_by and hasattr(model, "sort_key"):
        order_by = (model.sort_key, model.id)
    stmt = scoped(select(model), model).where(*conditions)
    count = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    if count > PICKER_LIMIT:
        return None
    return list(db.session.scalars(stmt.options(*options).order_by(*order_by)))


def breadcrumb(model, node) -> list:
    """The ancestors of ``node`` (a unit, with ``ancestor_ids`` from its path) that the user may open, top first; one query."""
    ids = node.ancestor_ids[:-1]
    if not ids:
        return []
    return list(db.session.scalars(scoped(select(model), model).where(model.id.in_(ids)).order_by(model.depth)))


def safe_next(target: str | None, default: str | None = None) -> str | None:
    """A local path to go to next (after signing in, after a POST), else ``default``: never another site
    (``//evil.com``, ``/\\evil.com``, ``https://…``) and no control characters."""
    if not target:
        return default
    target = target.strip()
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target
