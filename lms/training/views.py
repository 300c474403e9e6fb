"""Learning pages ("Học tập") and officers' progress views."""

from __future__ import annotations

from flask import Blueprint

from . import models  # noqa: F401  (tables)

bp = Blueprint("learn", __name__, url_prefix="/learn", template_folder="templates")


def init_app(app) -> None:
    from . import views_officer  # noqa: F401  (officers' routes register on bp)

    app.register_blueprint(bp)
