"""Forms for classes: the class itself, its sessions, withdrawing a learner, closing the class."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..core.forms import DateField, IntegerField, SelectField, TimeField, confirm_field
from .models import Assessment, ClassMode

PICK = ("", "— Chọn —")
UNIT_HELP = "Nhập mã đơn vị cấp xã trở lên (ví dụ 31117); chỉ nhận đơn vị trong phạm vi quản lý của bạn."


class MultiCheckboxField(SelectMultipleField):
    """Several ids picked from ``choices`` (rendered as checkboxes by the template)."""

    def pre_validate(self, form):  # noqa: ARG002 (WTForms signature)
        values = {str(c[0]) for c in self.choices or []}
        for value in self.data or []:
            if str(value) not in values:
                raise ValidationError("Lựa chọn không hợp lệ.")

    def process_formdata(self, valuelist):
        out = []
        for raw in valuelist:
            try:
                out.append(int(raw))
            except (TypeError, ValueError):
                raise ValueError("Lựa chọn không hợp lệ.") from None
        self.data = out


class ClassForm(FlaskForm):
    title = StringField(
        "Tên lớp", validators=[DataRequired("Hãy nhập tên lớp."), Length(max=300, message="Tên lớp dài tối đa 300 ký tự.")],
        description="Ví dụ: Lớp bồi dưỡng hòa giải viên Phường An Hòa, đợt 1 năm 2026.",
    )
    program_code = SelectField("Chương trình", choices=[], validators=[DataRequired("Hãy chọn chương trình.")])
    unit_id = SelectField("Đơn vị tổ chức", choices=[], validators=[DataRequired("Hãy chọn đơn vị tổ chức.")])
    unit_code = StringField("Mã đơn vị tổ chức", validators=[DataRequired("Hãy nhập mã đơn vị tổ chức.")], description=UNIT_HELP)
    mode = SelectField("Hình thức", choices=ClassMode.choices(), default=ClassMode.IN_PERSON.value, validators=[DataRequired("Hãy chọn hình thức.")])
    trainer_ids = MultiCheckboxField("Tập huấn viên (giảng viên)", choices=[], coerce=int, validators=[Optional()])
    venue = StringField("Địa điểm", validators=[Optional(), Length(max=300, message="Địa điểm dài tối đa 300 ký tự.")])
    starts_on = DateField("Ngày bắt đầu", validators=[InputRequired("Hãy nhập ngày bắt đầu (dd/mm/yyyy).")])
    ends_on = DateField("Ngày kết thúc", validators=[InputRequired("Hãy nhập ngày kết thúc (dd/mm/yyyy).")])
    capacity = IntegerField(
        "Sĩ số tối đa", default=40,
        validators=[InputRequired("Hãy nhập sĩ số tối đa."), NumberRange(min=1, max=1000, message="Sĩ số tối đa phải từ 1 đến 1000.")],
    )
    min_attendance = IntegerField(
        "Tỷ lệ chuyên cần tối thiểu (%)", default=80,
        validators=[Optional(), NumberRange(min=0, max=100, message="Tỷ lệ chuyên cần phải từ 0 đến 100%.")],
        description="Tỷ lệ số buổi có mặt trên tổng số buổi học; mặc định 80%. Vắng có phép vẫn tính là vắng.",
    )
    assessment = SelectField("Đánh giá cuối khóa", choices=Assessment.choices(), default=Assessment.SCORE.value,
                             validators=[DataRequired("Hãy chọn cách đánh giá.")])
    pass_score = IntegerField(
        "Điểm đạt (thang 100)", default=50,
        validators=[Optional(), NumberRange(min=0, max=100, message="Điểm đạt phải từ 0 đến 100.")],
        description="Chỉ dùng khi đánh giá bằng điểm bài kiểm tra.",
    )

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError("Ngày kết thúc phải từ ngày bắt đầu trở đi.")

    def validate_assessment(self, field):
        if field.data == Assessment.ONLINE and self.mode.data == ClassMode.IN_PERSON:
            raise ValidationError("Lớp trực tiếp không thể đánh giá theo quy định của chương trình trực tuyến; hãy chọn hình thức trực tuyến hoặc kết hợp.")


class SessionForm(FlaskForm):
    on = DateField("Ngày học", validators=[InputRequired("Hãy nhập ngày học (dd/mm/yyyy).")])
    starts_at = TimeField("Từ giờ", validators=[InputRequired("Hãy nhập giờ bắt đầu (ví dụ 08:00).")])
    ends_at = TimeField("Đến giờ", validators=[InputRequired("Hãy nhập giờ kết thúc (ví dụ 11:00).")])
    topic = StringField("Nội dung", validators=[Optional(), Length(max=300, message="Nội dung dài tối đa 300 ký tự.")])

    def validate_ends_at(self, field):
        if field.data and self.starts_at.data and field.data <= self.starts_at.data:
            raise ValidationError("Giờ kết thúc phải sau giờ bắt đầu.")


class SessionRemoveForm(FlaskForm):
    confirm = confirm_field("Tôi xác nhận xóa buổi học này.")


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        "Lý do rút khỏi lớp", validators=[DataRequired("Hãy nêu lý do rút khỏi lớp."), Length(max=2000, message="Lý do dài tối đa 2000 ký tự.")]
    )
    confirm = confirm_field("Tôi xác nhận rút người này khỏi lớp.")


class FinishForm(FlaskForm):
    confirm = confirm_field("Tôi xác nhận kết thúc lớp. Sau khi kết thúc, lớp không nhận ghi danh thêm.")
