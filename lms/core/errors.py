"""Error pages: roll back first, then render in Vietnamese."""

from __future__ import annotations

from flask import render_template, request
from flask_wtf.csrf import CSRFError

from ..extensions import db

MESSAGES = {
    400: ("Yêu cầu không hợp lệ", "Dữ liệu gửi lên không hợp lệ."),
    403: ("Không có quyền truy cập", "Tài khoản của bạn không có quyền xem hoặc thay đổi nội dung này."),
    404: ("Không tìm thấy", "Trang hoặc bản ghi bạn tìm không tồn tại hoặc nằm ngoài phạm vi quản lý của bạn."),
    405: ("Phương thức không được phép", "Thao tác này không được hỗ trợ."),
    413: ("Tệp quá lớn", "Tệp tải lên vượt quá giới hạn cho phép (32 MB)."),
    429: ("Quá nhiều yêu cầu", "Bạn đã thử quá nhiều lần. Vui lòng đợi một lát rồi thử lại."),
    500: ("Lỗi hệ thống", "Đã có lỗi xảy ra. Không có dữ liệu nào bị lưu dở dang; vui lòng thử lại."),
}


def _render(code: int, detail: str | None = None):
    db.session.rollback()
    title, message = MESSAGES.get(code, MESSAGES[500])
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
        return {"error": title, "message": detail or message}, code
    return render_template("core/error.html", code=code, title=title, message=detail or message), code


def register_error_handlers(app) -> None:
    for code in MESSAGES:
        app.register_error_handler(code, lambda _e, code=code: _render(code))

    @app.errorhandler(CSRFError)
    def csrf_error(e):  # noqa: ARG001
        return _render(400, "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ (thiếu mã CSRF). Hãy tải lại trang và thử lại.")


class ServiceError(Exception):
    """A rule was broken; ``message`` is Vietnamese and shown to the user as is."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
