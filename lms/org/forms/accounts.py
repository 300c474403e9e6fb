"""Forms of the accounts screens."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms import SelectField as _SelectField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError


class SelectField(_SelectField):
    """A select whose "not a valid choice" message is Vietnamese."""

    def pre_validate(self, form):  # noqa: ARG002
        values = {str(c[0]) for c in self.choices or []}
        if self.data not in (None, "") and str(self.data) not in values:
            raise ValidationError("Lựa chọn không hợp lệ.")


class AccountForm(FlaskForm):
    """A new officer or trainer account (mediators get theirs from the roster)."""

    role = SelectField("Vai trò", validators=[DataRequired("Hãy chọn vai trò.")])
    username = StringField(
        "Tên đăng nhập",
        validators=[
            Optional(),
            Length(min=3, max=60, message="Tên đăng nhập phải có từ 3 đến 60 ký tự."),
            Regexp(r"^[A-Za-z0-9._@-]+$", message="Tên đăng nhập chỉ gồm chữ không dấu, chữ số và các ký tự . _ @ -"),
        ],
        description="Bắt buộc với tài khoản cán bộ. Tập huấn viên đăng nhập bằng số điện thoại nên để trống.",
    )
    full_name = StringField("Họ và tên", validators=[Optional(), Length(max=200, message="Họ và tên quá dài.")],
                            description="Bắt buộc với tài khoản cán bộ.")
    unit_code = StringField(
        "Mã đơn vị",
        validators=[Optional(), Length(max=32, message="Mã đơn vị quá dài.")],
        description="Mã của tỉnh, huyện hoặc xã mà tài khoản quản lý (bắt buộc với tài khoản cán bộ).",
    )
    phone = StringField(
        "Số điện thoại của tập huấn viên",
        validators=[Optional(), Length(max=20, message="Số điện thoại quá dài.")],
        description="Chỉ với vai trò tập huấn viên: số điện thoại ghi trong danh sách tập huấn viên.",
    )

    def set_roles(self, roles) -> None:
        self.role.choices = [(r.value, r.title) for r in roles]


class ConfirmForm(FlaskForm):
    """A destructive action: the box must be ticked."""

    confirm = BooleanField("Tôi xác nhận thực hiện thao tác này", validators=[DataRequired("Hãy đánh dấu ô xác nhận.")])


class ActionForm(FlaskForm):
    """A plain POST button (CSRF only)."""
