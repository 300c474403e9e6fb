"""Forms for people and their roles (mediator, trainer, legal supporter)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from ...core.forms import DateField, IntegerField, SelectField, confirm_field
from ..models import Background, Gender, LeaveReason, TrainerLevel

PICK = ("", "— Chọn —")
UNIT_HELP = "Nhập mã đơn vị (ví dụ 31117-01); chỉ nhận đơn vị trong phạm vi quản lý của bạn."
TEAM_CODE_HELP = "Hoặc nhập mã thôn / tổ dân phố của tổ (nếu tổ không có trong danh sách trên)."


class PersonForm(FlaskForm):
    full_name = StringField("Họ và tên", validators=[DataRequired("Hãy nhập họ và tên."), Length(max=200, message="Họ và tên dài tối đa 200 ký tự.")])
    gender = SelectField("Giới tính", choices=[PICK, *Gender.choices()], validators=[DataRequired("Hãy chọn giới tính.")])
    birth_year = IntegerField(
        "Năm sinh", validators=[Optional(), NumberRange(min=1900, max=2100, message="Năm sinh không hợp lệ.")],
        description="Nhập năm sinh, hoặc ngày sinh đầy đủ ở ô dưới.",
    )
    birth_date = DateField("Ngày sinh", validators=[Optional()])
    ethnicity = StringField("Dân tộc", default="Kinh", validators=[Optional(), Length(max=60, message="Dân tộc dài tối đa 60 ký tự.")])
    phone = StringField("Số điện thoại", validators=[Optional(), Length(max=20, message="Số điện thoại dài tối đa 20 ký tự.")])
    email = StringField("Thư điện tử", validators=[Optional(), Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Địa chỉ thư điện tử không hợp lệ."), Length(max=200, message="Địa chỉ thư điện tử quá dài.")])
    unit_id = SelectField("Đơn vị (nơi đăng ký)", choices=[], validators=[DataRequired("Hãy chọn đơn vị.")])
    unit_code = StringField("Mã đơn vị (nơi đăng ký)", validators=[DataRequired("Hãy nhập mã đơn vị.")], description=UNIT_HELP)

    def validate_phone(self, field):
        from ...core.phones import PHONE_HELP, PhoneKind, phone_kind

        if (field.data or "").strip() and phone_kind(field.data) not in (PhoneKind.MOBILE, PhoneKind.LANDLINE):
            raise ValidationError(f"Số điện thoại không hợp lệ ({PHONE_HELP}).")


class RecognizeForm(FlaskForm):
    team_id = SelectField("Tổ hòa giải", choices=[], validators=[Optional()])
    unit_code = StringField("Mã thôn / tổ dân phố", validators=[Optional()], description=TEAM_CODE_HELP)
    decision_no = StringField("Số quyết định công nhận", validators=[Optional(), Length(max=60, message="Số quyết định dài tối đa 60 ký tự.")])
    recognized_on = DateField("Ngày quyết định công nhận", validators=[DataRequired("Hãy nhập ngày quyết định công nhận (dd/mm/yyyy).")])
    is_leader = BooleanField("Là tổ trưởng")


class MembershipForm(FlaskForm):
    decision_no = StringField("Số quyết định công nhận", validators=[Optional(), Length(max=60, message="Số quyết định dài tối đa 60 ký tự.")])
    recognized_on = DateField("Ngày quyết định công nhận", validators=[DataRequired("Hãy nhập ngày quyết định công nhận (dd/mm/yyyy).")])
    is_leader = BooleanField("Là tổ trưởng")


class MembershipEndForm(FlaskForm):
    left_on = DateField("Ngày quyết định thôi làm hòa giải viên", validators=[DataRequired("Hãy nhập ngày thôi làm hòa giải viên (dd/mm/yyyy).")])
    reason = SelectField("Lý do", choices=[PICK, *LeaveReason.choices()], validators=[DataRequired("Hãy chọn lý do.")])
    decision_no = StringField("Số quyết định", validators=[Optional(), Length(max=60, message="Số quyết định dài tối đa 60 ký tự.")])
    note = TextAreaField("Ghi chú", validators=[Optional(), Length(max=2000, message="Ghi chú dài tối đa 2000 ký tự.")])
    confirm = confirm_field("Tôi xác nhận người này thôi làm hòa giải viên của tổ từ ngày trên.")


class AppointForm(FlaskForm):
    level = SelectField("Cấp tập huấn viên", choices=[PICK, *TrainerLevel.choices()], validators=[DataRequired("Hãy chọn cấp tập huấn viên.")])
    unit_id = SelectField("Đơn vị (tỉnh hoặc huyện)", choices=[], validators=[DataRequired("Hãy chọn đơn vị.")])
    unit_code = StringField("Mã đơn vị (tỉnh hoặc huyện)", validators=[DataRequired("Hãy nhập mã đơn vị.")], description=UNIT_HELP)
    background = SelectField("Nguồn (chức danh, nghề nghiệp)", choices=[PICK, *Background.choices()], validators=[Optional()])
    started_on = DateField("Ngày bắt đầu", validators=[DataRequired("Hãy nhập ngày bắt đầu (dd/mm/yyyy).")])
    ended_on = DateField("Ngày kết thúc", validators=[Optional()])


class SupportForm(FlaskForm):
    team_id = SelectField("Tổ hòa giải được hỗ trợ", choices=[], validators=[Optional()])
    unit_code = StringField("Mã thôn / tổ dân phố", validators=[Optional()], description=TEAM_CODE_HELP)
    background = SelectField("Nguồn (chức danh, nghề nghiệp)", choices=[PICK, *Background.choices()], validators=[DataRequired("Hãy chọn nguồn của người hỗ trợ.")])
    from_on = DateField("Từ ngày", validators=[DataRequired("Hãy nhập ngày bắt đầu hỗ trợ (dd/mm/yyyy).")])
    to_on = DateField("Đến ngày", validators=[Optional()])


class EndDateForm(FlaskForm):
    """Ending a trainer appointment or a legal support."""

    ended_on = DateField("Ngày kết thúc", validators=[DataRequired("Hãy nhập ngày kết thúc (dd/mm/yyyy).")])
    confirm = confirm_field()
