"""Forms for units."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ...core.forms import DateField, IntegerField, SelectField, confirm_field
from ..models import UnitKind


class UnitForm(FlaskForm):
    kind = SelectField("Cấp đơn vị", choices=[], validators=[DataRequired("Hãy chọn cấp đơn vị.")])
    code = StringField(
        "Mã đơn vị",
        validators=[DataRequired("Hãy nhập mã đơn vị."), Length(max=32, message="Mã đơn vị dài tối đa 32 ký tự.")],
        description="Mã hành chính chính thức (ví dụ 31117), hoặc mã tự đặt cho thôn / tổ dân phố (ví dụ 31117-01).",
    )
    name = StringField("Tên đơn vị", validators=[DataRequired("Hãy nhập tên đơn vị."), Length(max=200, message="Tên đơn vị dài tối đa 200 ký tự.")])
    parent_code = StringField(
        "Mã đơn vị cấp trên",
        validators=[Optional(), Length(max=32, message="Mã đơn vị dài tối đa 32 ký tự.")],
        description="Chỉ nhập khi cần chuyển đơn vị sang đơn vị cấp trên khác (trong phạm vi quản lý của bạn).",
    )
    valid_from = DateField("Hiệu lực từ ngày", validators=[Optional()])
    is_pilot = BooleanField("Điểm chỉ đạo (xã thí điểm của Kế hoạch)")
    ethnic_minority_area = BooleanField("Địa bàn có đông đồng bào dân tộc thiểu số")
    model_commune_year = IntegerField(
        "Năm được công nhận «cấp xã điển hình về hòa giải ở cơ sở»",
        validators=[Optional(), NumberRange(min=2000, max=2100, message="Năm phải trong khoảng 2000–2100.")],
    )

    def set_kinds(self, kinds: list[UnitKind]) -> None:
        self.kind.choices = [(k.value, k.title) for k in kinds]


class UnitEndForm(FlaskForm):
    valid_to = DateField("Hết hiệu lực từ ngày", validators=[DataRequired("Hãy nhập ngày hết hiệu lực (dd/mm/yyyy).")])
    successor_code = StringField(
        "Mã đơn vị kế thừa (khi sáp nhập)",
        validators=[Optional(), Length(max=32, message="Mã đơn vị dài tối đa 32 ký tự.")],
        description="Để trống nếu đơn vị giải thể mà không sáp nhập vào đơn vị nào.",
    )
    confirm = confirm_field("Tôi xác nhận đơn vị này hết hiệu lực từ ngày trên.")


class OfficialListForm(FlaskForm):
    """Load the state's official list of units (and a province's reform history) from the web."""

    province = SelectField("Tỉnh / thành phố", choices=[], validators=[Optional()])
    history = BooleanField("Nạp cả lịch sử sắp xếp đơn vị ngày 01/07/2025 (các đơn vị cũ và đơn vị kế thừa)")
    confirm_changes = BooleanField("Tôi đã kiểm tra và đồng ý các thay đổi đối với đơn vị đã có (đổi tên, chuyển cấp trên, kết thúc hiệu lực)")
