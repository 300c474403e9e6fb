"""One way to paginate a list."""

from __future__ import annotations

from flask import current_app, request

from ..extensions import db


def paginate(stmt, per_page: int | None = None):
    """A Flask-SQLAlchemy ``Pagination`` for ``stmt``; page from ``?page=``."""
    per_page = per_page or current_app.config["PAGE_SIZE"]
    return db.paginate(stmt, page=request.args.get("page", 1, type=int), per_page=per_page, error_out=False)
