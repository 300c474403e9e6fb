"""The home page and health check."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text

from ..extensions import db
from .access import public

bp = Blueprint("core", __name__, template_folder="templates")


@bp.route("/")
@public
def index():
    if current_user.is_authenticated:
        return redirect(url_for("org.home"))
    return render_template("core/index.html")


@bp.route("/healthz")
@public
def healthz():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
