"""Configuration, read from ``LMS_*`` environment variables."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("LMS_INSTANCE_DIR", BASE_DIR / "instance"))


def _secret_key() -> str:
    """``LMS_SECRET_KEY`` or a key generated once into ``instance/secret_key``."""
    key = os.environ.get("LMS_SECRET_KEY")
    if key:
        return key
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    SECRET_KEY: str | None = None  # filled in by create_app via _secret_key()
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "LMS_DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'lms.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    PUBLIC_URL = os.environ.get("LMS_PUBLIC_URL", "http://127.0.0.1:5000")
    REDIS_URL = os.environ.get("LMS_REDIS_URL") or None
    SMTP_HOST = os.environ.get("LMS_SMTP_HOST") or None
    SMTP_PORT = int(os.environ.get("LMS_SMTP_PORT", "587"))
    SMTP_USER = os.environ.get("LMS_SMTP_USER") or None
    SMTP_PASSWORD = os.environ.get("LMS_SMTP_PASSWORD") or None
    SMTP_FROM = os.environ.get("LMS_SMTP_FROM", "lms@localhost")
    CONTENT_DIR = os.environ.get("LMS_CONTENT_DIR", str(BASE_DIR / "course_content"))
    PAGE_SIZE = int(os.environ.get("LMS_PAGE_SIZE", "50"))
    PDF_CACHE_DIR = os.environ.get("LMS_PDF_CACHE_DIR") or None  # default: instance/cache/pdf
    MAX_CONTENT_LENGTH = 32 * 1024 * 1024  # uploads (roster spreadsheets)

    # Sessions: signed cookies, HttpOnly, SameSite=Lax; Secure behind HTTPS.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("LMS_SECURE_COOKIES", PUBLIC_URL.startswith("https://"))
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # tied to the session, not a clock
    RATELIMIT_STORAGE_URI = os.environ.get("LMS_REDIS_URL") or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LMS_LOGIN_RATE_LIMIT", "10 per minute")

    BOOTSTRAP_SERVE_LOCAL = True
    # gzip for HTML, CSS, JSON and SVG (lesson pages must be light on a weak connection)
    COMPRESS_MIMETYPES = ["text/html", "text/css", "text/csv", "application/json", "image/svg+xml", "application/javascript"]
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_MIN_SIZE = 500
    SEND_FILE_MAX_AGE_DEFAULT = 7 * 24 * 3600  # static files carry ?v= on change
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"  # noqa: S105 (tests only)
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    RATELIMIT_ENABLED = False
    PAGE_SIZE = 20


def secret_key() -> str:
    return _secret_key()
