"""Certificates: the learner's list, officers' lists, verification (public)."""

from __future__ import annotations

from flask import Blueprint

from . import services  # noqa: F401  (connects the program_completed receiver)

bp = Blueprint("certificates", __name__, url_prefix="/certificates", template_folder="templates")


def init_app(app) -> None:
    app.register_blueprint(bp)
