"""The org area's blueprints: ``auth`` (sign in/out) and ``org`` (roster, units, accounts).

Routes are split by screen group into modules that all register on these blueprints.
"""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy.orm import joinedload

from ...core.nav import register_nav
from ...core.roles import OFFICERS, STAFF, Role
from ...extensions import db, login_manager

bp = Blueprint("org", __name__, url_prefix="/org", template_folder="../templates")
auth_bp = Blueprint("auth", __name__, url_prefix="/auth", template_folder="../templates")


def init_app(app) -> None:
    from ..models import User
    from . import accounts, auth, cases, imports, official, people, teams, tokens, units  # noqa: F401  (routes register on import)

    @login_manager.user_loader
    def load_user(user_id: str):
        # person and unit in the same statement: every page shows the name and most check the scope
        user = db.session.get(User, int(user_id), options=[joinedload(User.person), joinedload(User.unit)])
        return user if user is not None and user.is_active else None

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Vui lòng đăng nhập để tiếp tục."
    login_manager.login_message_category = "warning"

    app.register_blueprint(auth_bp)
    app.register_blueprint(bp)
    register_nav("Đơn vị", "org.units", STAFF, order=10, match=("org.unit", "org.team"))
    _ = (OFFICERS, Role)
