"""Learning pages ("Học tập") and officers' progress views."""

from __future__ import annotations

from flask import Blueprint

from . import models  # noqa: F401  (tables)

bp = Blueprint("learn", __name__, url_prefix="/learn", template_folder="templates")


def init_app(app) -> None:
    app.register_blueprint(bp)
