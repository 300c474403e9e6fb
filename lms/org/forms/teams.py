"""Forms for mediation teams."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional

from ...core.forms import DateField, confirm_field


class TeamForm(FlaskForm):
    name = StringField(
        "Tên tổ hòa giải",
        validators=[Optional(), Length(max=200, message="Tên tổ dài tối đa 200 ký tự.")],
        description="Để trống để dùng tên mặc định «Tổ hòa giải + tên thôn / tổ dân phố».",
    )
    established_on = DateField("Ngày thành lập", validators=[Optional()])


class TeamEndForm(FlaskForm):
    dissolved_on = DateField("Ngày giải thể", validators=[DataRequired("Hãy nhập ngày giải thể (dd/mm/yyyy).")])
    confirm = confirm_field("Tôi xác nhận giải thể tổ hòa giải này từ ngày trên.")
