"""Forms of the roster import screens."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import DataRequired, Regexp

TOKEN_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"  # noqa: S105 (a file token format, not a secret)


class ImportUploadForm(FlaskForm):
    file = FileField(
        "Tệp dữ liệu (.xlsx hoặc .csv)",
        validators=[FileRequired("Hãy chọn tệp cần nhập."), FileAllowed(["xlsx", "csv"], "Chỉ nhận tệp .xlsx hoặc .csv.")],
        description="Dùng tệp mẫu ở trên, hoặc bảng tính sẵn có với cùng tên cột (không phân biệt hoa thường, có dấu hay không dấu).",
    )


class ImportConfirmForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Regexp(TOKEN_PATTERN)])
