"""Who may use a route, and the one scope helper every query goes through.

Every view function declares its audience with :func:`roles_required`,
:func:`login_required` or :func:`public`; ``create_app`` refuses to start when
a route declares nothing.

Scope: each account is bound to a unit; units carry a materialized ``path``
(``/1/7/42/``). A model that can be scoped implements
``scope_clause(path) -> SQL condition`` ("the row lies in the subtree whose
root has this path") and, when it holds personal data, may implement
``owner_clause(person_id)`` (what a mediator may see: their own rows).
:func:`scoped` applies the right clause for the current user.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import ColumnElement, and_, false, func, select, true

from .roles import Role

F = TypeVar("F", bound=Callable[..., Any])
ACCESS_ATTR = "_lms_access"


def _mark(func: F, audience: Iterable[Role] | str) -> F:
    setattr(func, ACCESS_ATTR, audience)
    return func


def public(func: F) -> F:
    """Anyone, signed in or not."""
    return _mark(func, "public")


def login_required(func: F) -> F:
    """Any signed-in account."""
    return roles_required(*Role)(func)


def roles_required(*roles: Role) -> Callable[[F], F]:
    allowed = frozenset(roles)

    def decorator(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            if current_user.must_change_password and request.endpoint not in _PASSWORD_EXEMPT:
                return redirect(url_for("auth.change_password", next=request.full_path))
            if current_user.role not in allowed:
                abort(403)
            return func(*args, **kwargs)

        return _mark(wrapper, allowed)  # type: ignore[return-value]

    return decorator


_PASSWORD_EXEMPT = {"auth.change_password", "auth.logout"}


def undeclared_endpoints(app) -> list[str]:
    """Endpoints whose view declares no audience (static files excepted)."""
    missing = []
    for endpoint, view in app.view_functions.items():
        if endpoint == "static" or endpoint.endswith(".static"):
            continue
        if endpoint.startswith("bootstrap."):
            continue
        if not hasattr(view, ACCESS_ATTR):
            missing.append(endpoint)
    return sorted(missing)


# --------------------------------------------------------------------------- scope


def subtree_range(path: str) -> tuple[str, str]:
    """``[lo, hi)``: every path in the subtree rooted at ``path`` sorts in it (see :func:`subtree`)."""
    return path, path[:-1] + "0"


def subtree(column: ColumnElement, path: str) -> ColumnElement[bool]:
    """``column`` (a materialized path) lies in the subtree rooted at ``path``.

    Paths are ``/``-separated ids ending in ``/``; every descendant's path sorts
    between ``path`` and ``path`` with its last ``/`` replaced by ``0`` (the
    next character), so this is an index range scan on both databases
    (the column uses binary collation).
    """
    lo, hi = subtree_range(path)
    return and_(column >= lo, column < hi)


def under(column: ColumnElement, root_path: ColumnElement) -> ColumnElement[bool]:
    """``column`` (a materialized path) lies in the subtree rooted at the path held by ``root_path``, another column:
    the same range as :func:`subtree`, built in SQL because the root is only known row by row (a join)."""
    return and_(column >= root_path, column < func.substr(root_path, 1, func.length(root_path) - 1) + "0")


def user_scope_path(user=None) -> str | None:
    """The path of the user's scope root, or ``None`` for the whole installation."""
    user = user or current_user
    if user.role == Role.SYSTEM_ADMIN:
        return None
    return user.unit.path


def scope_condition(model, user=None) -> ColumnElement[bool]:
    user = user if user is not None else current_user
    if not getattr(user, "is_authenticated", False):
        return false()
    if user.role == Role.MEDIATOR and hasattr(model, "owner_clause"):
        return model.owner_clause(user.person_id)
    path = user_scope_path(user)
    if path is None:
        return true()
    return model.scope_clause(path)


def scoped(stmt, model, user=None):
    """Limit a ``select()`` over ``model`` to the user's scope."""
    return stmt.where(scope_condition(model, user))


def get_scoped_or_404(model, ident, user=None):
    """The row with this primary key, if it lies in the user's scope; else 404."""
    from ..extensions import db

    obj = db.session.scalar(scoped(select(model).where(model.id == ident), model, user))
    if obj is None:
        abort(404)
    return obj


def in_scope(obj, user=None) -> bool:
    from ..extensions import db

    model = type(obj)
    stmt = scoped(select(model.id).where(model.id == obj.id), model, user)
    return db.session.scalar(stmt) is not None
