"""Hòa giải LMS: the application factory (wiring only)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import INSTANCE_DIR, Config, secret_key
from .extensions import babel, bootstrap, compress, csrf, db, limiter, login_manager, migrate

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


@event.listens_for(Engine, "connect")
def _connection_settings(dbapi_connection, connection_record) -> None:  # noqa: ARG001
    module = type(dbapi_connection).__module__
    if module.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()
    elif module.startswith("psycopg"):
        # No JIT: the planner's cost estimates for the figures' aggregates (EXISTS per row) pass the JIT
        # threshold, and compiling took longer than running the query. No parallel workers: the app runs many
        # short statements side by side, and starting workers cost a province's figures a quarter of their time
        # (docs/PERFORMANCE.md, P1).
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET jit = off")
            cursor.execute("SET max_parallel_workers_per_gather = 0")
        dbapi_connection.commit()


def create_app(config: type | dict[str, Any] | None = None) -> Flask:
    instance = (config.get("INSTANCE_PATH") if isinstance(config, dict) else None) or INSTANCE_DIR
    app = Flask(__name__, instance_path=str(instance), instance_relative_config=True)
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key()
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    with app.app_context():
        from .core.cache import init_engine

        init_engine(db.engine)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app)
    bootstrap.init_app(app)
    compress.init_app(app)

    @app.after_request
    def _close_streamed_body(response):
        # Flask-Compress swaps a streamed (file) body for a compressed one without closing the file
        body = response.response
        if response.is_streamed and hasattr(body, "close"):
            response.call_on_close(body.close)
        return response

    proxies = int(os.environ.get("LMS_PROXY_COUNT", "0") or 0)
    if proxies:  # behind a reverse proxy: trust its X-Forwarded-For/-Proto (rate limits per client, Secure cookies)
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    from .core import web

    web.init_app(app)
    _register_areas(app)

    from .core.access import undeclared_endpoints

    missing = undeclared_endpoints(app)
    if missing:
        raise RuntimeError(f"Routes without an access declaration: {missing}")
    return app


def _register_areas(app: Flask) -> None:
    """Blueprints, CLI commands and setup steps of every area, left to right in the dependency order."""
    from .certificates import cli as certificates_cli
    from .certificates import views as certificates_views
    from .certificates import views_bulk  # noqa: F401  (routes on the certificates blueprint)
    from .classes import views as classes_views
    from .core import format as fmt
    from .core import views as core_views
    from .core.audit import audit_value, field_title
    from .core.cli import lms_cli
    from .core.errors import register_error_handlers
    from .core.nav import nav_items
    from .core.panels import panels
    from .core.roles import Role
    from .curriculum import cli as curriculum_cli
    from .deadlines import cli as deadlines_cli
    from .deadlines import views as deadlines_views
    from .devdata import cli as devdata_cli
    from .learning import views as learning_views
    from .org import cli as org_cli
    from .org import views as org_views
    from .reports import api as reports_api
    from .reports import cli as reports_cli
    from .reports import views as reports_views

    app.register_blueprint(core_views.bp)
    org_views.init_app(app)
    org_cli.register(lms_cli)
    curriculum_cli.register(lms_cli)
    learning_views.init_app(app)
    classes_views.init_app(app)
    certificates_views.init_app(app)
    certificates_cli.register(lms_cli)
    deadlines_views.init_app(app)
    deadlines_cli.register(lms_cli)
    reports_views.init_app(app)
    reports_api.init_app(app)
    reports_cli.register(lms_cli)
    devdata_cli.register(lms_cli)
    app.cli.add_command(lms_cli)
    register_error_handlers(app)

    css = Path(app.static_folder or "", "css", "lms.css")
    asset_version = hashlib.sha256(css.read_bytes()).hexdigest()[:10] if css.exists() else "0"

    @app.context_processor
    def _globals():
        return {"nav_items": nav_items, "Role": Role, "asset_version": asset_version, "panels": panels}

    # globals (not context): imported macros see these too
    app.jinja_env.globals.update(field_title=field_title, audit_value=audit_value)
    fmt.init_app(app)  # the filters number, integer, percent, date, datetime, time
