"""The JSON API (``/api/v1``): coverage figures for scheduled reports, and its OpenAPI document.

Authentication: ``Authorization: Bearer <token>`` (a personal token made on the profile page,
see :mod:`lms.org.services.tokens`) or a signed-in session (so the browser can call it too).
A token reaches exactly its owner's scope. The blueprint is GET-only and token-authenticated,
so it is exempt from CSRF.
"""

from __future__ import annotations

import datetime as dt
import re

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user

from ..core import clock
from ..core.access import public, roles_required
from ..core.roles import STAFF
from ..core.web import scoped_by_code
from ..extensions import csrf, limiter, login_manager
from ..org.models import Unit
from ..org.services.tokens import hash_token, user_for_token
from .figures import CODES, STATUS_TITLES, coverage_data

api_bp = Blueprint("api", __name__, url_prefix="/api/v1", template_folder="templates")  # reports/ templates, whatever views.py declares

#: Who may read figures: officers and trainers (mediators get 403).
FIGURE_ROLES = STAFF
RATE_LIMIT = "120 per minute"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class BadParameter(ValueError):
    """A query parameter is missing or malformed; the message is Vietnamese."""


# --------------------------------------------------------------------------- parameters (shared with exports, the report, the CLI)


def parse_day(value: str | None) -> dt.date:
    """``YYYY-MM-DD`` → date; empty → today (the one clock)."""
    value = (value or "").strip()
    if not value:
        return clock.today()
    if not _DATE.match(value):
        raise BadParameter(f"Ngày «{value}» không hợp lệ; hãy ghi theo dạng YYYY-MM-DD (ví dụ 2025-12-31).")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadParameter(f"Ngày «{value}» không tồn tại.") from None


def parse_year(value: str | None, day: dt.date) -> int:
    """A year between 2000 and 2100; empty → the year of ``day``."""
    value = (value or "").strip()
    if not value:
        return day.year
    if not value.isdigit() or not 2000 <= int(value) <= 2100:
        raise BadParameter(f"Năm «{value}» không hợp lệ (từ 2000 đến 2100).")
    return int(value)


def find_unit(code: str | None, user=None, day: dt.date | None = None) -> Unit | None:
    """The unit with this code on ``day`` (codes are reused: default today) if it lies in ``user``'s scope
    (default: the signed-in user), else ``None``."""
    return scoped_by_code(Unit, code, user=user, day=day)


# --------------------------------------------------------------------------- authentication


def _bearer() -> str | None:
    """The token of an ``Authorization: Bearer …`` header; ``""`` for any other Authorization header."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _token_user():
    """The owner of the request's bearer token (looked up once per request), or ``None``."""
    key = "lms.api_token_user"  # on the request (``g`` may outlive a request when an app context is already pushed)
    if key not in request.environ:
        token = _bearer()
        request.environ[key] = user_for_token(token) if token else None
    return request.environ[key]


def _load_user_from_request(req):
    """Flask-Login's request loader: a bearer token, on API routes only (nothing else accepts tokens).

    A signed-in session is looked at first (Flask-Login's order); a token that is sent must be valid either way.
    """
    if req.blueprint != "api":
        return None
    return _token_user()


def _error(status: int, error: str, message: str):
    response = jsonify({"error": error, "message": message})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def _unauthorized():
    return _error(401, "Chưa xác thực", "Cần mã truy cập hợp lệ (Authorization: Bearer <mã>) hoặc đăng nhập. Mã đã thu hồi hoặc tài khoản bị khóa không dùng được.")


@api_bp.before_request
def _authenticate():
    if request.endpoint in _PUBLIC:
        return None
    token = _bearer()
    if token is not None:
        # a token that is given must be valid, whatever session cookie comes with it
        if not token or _token_user() is None:
            return _unauthorized()
    if not current_user.is_authenticated:
        return _unauthorized()
    if current_user.must_change_password:
        return _error(403, "Không có quyền truy cập", "Tài khoản đang dùng mật khẩu một lần; hãy đăng nhập và đổi mật khẩu trước khi dùng API.")
    return None


def _rate_key() -> str:
    token = _bearer()
    if token:
        return "api-token:" + hash_token(token)[:24]
    if current_user.is_authenticated:
        return f"api-user:{current_user.id}"
    return "api-ip:" + (request.remote_addr or "")


@api_bp.errorhandler(401)
def _unauthorized_error(_e):
    return _unauthorized()


# --------------------------------------------------------------------------- routes


@api_bp.route("/coverage", endpoint="coverage")
@roles_required(*FIGURE_ROLES)
@limiter.limit(RATE_LIMIT, key_func=_rate_key)
def coverage_view():
    """Every figure for a unit and each unit one level below it (``coverage(unit, day, year).as_dict()``)."""
    try:
        day = parse_day(request.args.get("date"))
        year = parse_year(request.args.get("year"), day)
    except BadParameter as exc:
        return _error(400, "Tham số không hợp lệ", str(exc))
    code = (request.args.get("unit") or "").strip()
    if not code:
        return _error(400, "Tham số không hợp lệ", "Thiếu mã đơn vị (unit=MÃ).")
    unit = find_unit(code, current_user._get_current_object(), day)
    if unit is None:
        return _error(404, "Không tìm thấy", f"Không có đơn vị mã «{code}» trong phạm vi quản lý của tài khoản.")
    data = coverage_data(unit, day, year)  # the token's last use is saved with the request's transaction
    return jsonify(data)


@api_bp.route("/openapi.json")
@public
def openapi():
    """The OpenAPI 3.0.3 document of every ``/api/v1`` route."""
    return jsonify(openapi_document())


_PUBLIC = {"api.openapi"}


def init_app(app) -> None:
    csrf.exempt(api_bp)
    login_manager.request_loader(_load_user_from_request)
    login_manager.blueprint_login_views["api"] = None  # no redirect to the login page: 401
    app.register_blueprint(api_bp)


# --------------------------------------------------------------------------- OpenAPI


def _error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def openapi_document() -> dict:
    figure_props = {code: {"$ref": "#/components/schemas/Figure"} for code in CODES}
    public_url = (current_app.config.get("PUBLIC_URL") or "").rstrip("/") or "/"
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Hòa giải LMS API",
            "version": "1.0.0",
            "description": (
                "Số liệu thực hiện kế hoạch (các chỉ tiêu B1 … I) theo đơn vị và ngày, và tra cứu giấy chứng nhận. "
                "Xác thực bằng mã truy cập cá nhân (tạo ở trang Thông tin cá nhân → Mã truy cập API) gửi trong tiêu đề "
                "`Authorization: Bearer <mã>`, hoặc bằng phiên đăng nhập. Mã truy cập có cùng phạm vi với tài khoản đã tạo ra nó."
            ),
        },
        "servers": [{"url": public_url}],
        "paths": {
            "/api/v1/coverage": {
                "get": {
                    "operationId": "getCoverage",
                    "summary": "Các chỉ tiêu của một đơn vị và các đơn vị cấp dưới trực tiếp",
                    "description": (
                        "Tử số, mẫu số, tỷ lệ (%), chỉ tiêu và đánh giá của từng chỉ tiêu cho đơn vị `unit` tính đến ngày `date` "
                        "(năm `year` cho H và I), và cho từng đơn vị ngay dưới nó. Chỉ cán bộ và tập huấn viên; "
                        f"giới hạn {RATE_LIMIT.replace(' per minute', '')} yêu cầu mỗi phút cho mỗi mã truy cập."
                    ),
                    "security": [{"bearerAuth": []}, {"sessionCookie": []}],
                    "parameters": [
                        {"name": "unit", "in": "query", "required": True, "description": "Mã đơn vị (ví dụ 92, 31117)", "schema": {"type": "string"}},
                        {"name": "date", "in": "query", "required": False, "description": "Ngày tính số liệu, YYYY-MM-DD (mặc định: hôm nay)",
                         "schema": {"type": "string", "format": "date"}},
                        {"name": "year", "in": "query", "required": False, "description": "Năm cho chỉ tiêu H và I (mặc định: năm của `date`)",
                         "schema": {"type": "integer", "minimum": 2000, "maximum": 2100}},
                    ],
                    "responses": {
                        "200": {"description": "Số liệu", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Coverage"}}}},
                        "400": _error_response("Tham số không hợp lệ (thiếu mã đơn vị, ngày hoặc năm sai)"),
                        "401": _error_response("Thiếu mã truy cập, mã không hợp lệ, đã thu hồi, hoặc tài khoản bị khóa"),
                        "403": _error_response("Vai trò không được xem số liệu (hòa giải viên), hoặc tài khoản phải đổi mật khẩu"),
                        "404": _error_response("Không có đơn vị mã này trong phạm vi của tài khoản"),
                        "429": _error_response("Quá nhiều yêu cầu"),
                    },
                }
            },
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "Tài liệu OpenAPI này",
                    "security": [],
                    "responses": {"200": {"description": "Tài liệu OpenAPI 3.0.3", "content": {"application/json": {"schema": {"type": "object"}}}}},
                }
            },
            "/api/v1/certificates/{code}": {
                "get": {
                    "operationId": "verifyCertificate",
                    "summary": "Tra cứu giấy chứng nhận theo mã xác minh (mã QR)",
                    "description": "Công khai, không cần đăng nhập; giới hạn 60 yêu cầu mỗi phút.",
                    "security": [],
                    "parameters": [
                        {"name": "code", "in": "path", "required": True, "description": "Mã xác minh in trên giấy chứng nhận", "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": {"description": "Giấy chứng nhận tìm thấy",
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CertificateVerification"}}}},
                        "404": {"description": "Không có giấy chứng nhận với mã này (status = unknown)",
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CertificateVerification"}}}},
                        "429": _error_response("Quá nhiều yêu cầu"),
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "Mã truy cập cá nhân (tạo ở trang Thông tin cá nhân)"},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": current_app.config.get("SESSION_COOKIE_NAME", "session"),
                                  "description": "Phiên đăng nhập của trình duyệt"},
            },
            "schemas": {
                "Figure": {
                    "type": "object",
                    "required": ["numerator", "denominator", "value", "target", "status"],
                    "properties": {
                        "numerator": {"type": "integer", "nullable": True, "description": "Tử số"},
                        "denominator": {"type": "integer", "nullable": True, "description": "Mẫu số (0 hoặc null: không áp dụng)"},
                        "value": {"type": "number", "nullable": True, "description": "Tỷ lệ (%), 1 chữ số thập phân; null khi không áp dụng"},
                        "target": {"type": "number", "nullable": True, "description": "Chỉ tiêu của kế hoạch (%)"},
                        "status": {"type": "string", "enum": list(STATUS_TITLES),
                                   "description": "; ".join(f"{k}: {v}" for k, v in STATUS_TITLES.items())},
                    },
                },
                "Figures": {"type": "object", "properties": figure_props, "description": "Các chỉ tiêu theo mã: " + ", ".join(CODES)},
                "ChildCoverage": {
                    "type": "object",
                    "required": ["unit", "name", "figures"],
                    "properties": {
                        "unit": {"type": "string", "description": "Mã đơn vị"},
                        "name": {"type": "string"},
                        "figures": {"$ref": "#/components/schemas/Figures"},
                    },
                },
                "Coverage": {
                    "type": "object",
                    "required": ["unit", "unit_name", "date", "year", "figures", "children"],
                    "properties": {
                        "unit": {"type": "string", "description": "Mã đơn vị"},
                        "unit_name": {"type": "string"},
                        "date": {"type": "string", "format": "date"},
                        "year": {"type": "integer", "description": "Năm của chỉ tiêu H và I"},
                        "figures": {"$ref": "#/components/schemas/Figures"},
                        "children": {"type": "array", "items": {"$ref": "#/components/schemas/ChildCoverage"}},
                    },
                },
                "CertificateVerification": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string"},
                        "status": {"type": "string", "enum": ["valid", "revoked", "replaced", "unknown"]},
                        "serial": {"type": "string", "nullable": True},
                        "name": {"type": "string", "nullable": True},
                        "program": {"type": "string", "nullable": True},
                        "issued_on": {"type": "string", "format": "date", "nullable": True},
                        "issuer": {"type": "string", "nullable": True},
                        "revoked_on": {"type": "string", "format": "date", "nullable": True},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
                },
            },
        },
    }
