"""The ``learn`` blueprint: the learner's pages (:mod:`.lessons`) and officers' progress views (:mod:`.progress`)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("learn", __name__, url_prefix="/learn", template_folder="../templates")


def init_app(app) -> None:
    from . import lessons, progress  # noqa: F401  (routes register on bp)

    app.register_blueprint(bp)
