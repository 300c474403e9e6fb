"""Forms of the roster import screens."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, HiddenField
from wtforms.validators import DataRequired, Optional, Regexp

TOKEN_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"  # noqa: S105 (a file token format, not a secret)


class ImportUploadForm(FlaskForm):
    file = FileField(
        "Tệp dữ liệu (.xlsx hoặc .csv)",
        validators=[FileRequired("Hãy chọn tệp cần nhập."), FileAllowed(["xlsx", "csv"], "Chỉ nhận tệp .xlsx hoặc .csv.")],
        description="Dùng tệp mẫu ở trên, hoặc bảng tính sẵn có với cùng tên cột (không phân biệt hoa thường, có dấu hay không dấu).",
    )


class ImportConfirmForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Regexp(TOKEN_PATTERN)])
    #: The job whose result the officer saw (the check): its changes to existing units need ``confirm_changes``.
    job = HiddenField(validators=[Optional(), Regexp(r"^[0-9]{1,18}$")])
    confirm_changes = BooleanField("Tôi đã kiểm tra và đồng ý các thay đổi trên")
