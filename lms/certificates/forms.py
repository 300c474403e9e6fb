"""Forms for revoking, re-issuing and recording certificates, and the per-province settings."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..core import clock
from ..core.forms import DateField, IntegerField, SelectField, confirm_field


def _not_future(message: str):
    def check(form, field):  # noqa: ARG001 (WTForms signature)
        if field.data is not None and field.data > clock.today():
            raise ValidationError(message)

    return check


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        "Lý do thu hồi",
        validators=[DataRequired("Hãy nêu lý do thu hồi."), Length(max=2000, message="Lý do dài tối đa 2000 ký tự.")],
    )
    revoked_on = DateField(
        "Ngày thu hồi",
        default=clock.today,
        validators=[DataRequired("Hãy nhập ngày thu hồi (dd/mm/yyyy)."), _not_future("Ngày thu hồi không được sau ngày hôm nay.")],
    )
    confirm = confirm_field("Tôi xác nhận thu hồi giấy chứng nhận này. Thao tác được ghi vào lịch sử và không thể hoàn tác.")


class ReissueForm(FlaskForm):
    holder_name = StringField(
        "Họ và tên (in trên giấy chứng nhận)",
        validators=[DataRequired("Hãy nhập họ và tên."), Length(max=200, message="Họ và tên dài tối đa 200 ký tự.")],
    )
    holder_birth_year = IntegerField(
        "Năm sinh", validators=[Optional(), NumberRange(min=1900, max=2100, message="Năm sinh không hợp lệ.")]
    )
    confirm = confirm_field("Tôi xác nhận cấp lại: giấy chứng nhận mới có số hiệu mới, giấy cũ được đánh dấu «đã được thay thế».")


class ExternalForm(FlaskForm):
    program_code = SelectField("Chương trình", choices=[], validators=[DataRequired("Hãy chọn chương trình.")])
    issued_on = DateField(
        "Ngày cấp",
        validators=[DataRequired("Hãy nhập ngày cấp (dd/mm/yyyy)."), _not_future("Ngày cấp không được sau ngày hôm nay.")],
    )
    external_serial = StringField(
        "Số hiệu (trên giấy)", validators=[Optional(), Length(max=60, message="Số hiệu dài tối đa 60 ký tự.")],
        description="Số hiệu in trên giấy chứng nhận bản giấy, giữ nguyên như trên giấy.",
    )
    issuer = StringField(
        "Đơn vị cấp", validators=[Optional(), Length(max=200, message="Tên đơn vị cấp dài tối đa 200 ký tự.")],
        description="Để trống nếu là Sở Tư pháp của tỉnh.",
    )
    basis = TextAreaField(
        "Căn cứ", validators=[Optional(), Length(max=2000, message="Căn cứ dài tối đa 2000 ký tự.")],
        description="Lớp tập huấn, quyết định hoặc văn bản làm căn cứ (ví dụ: Lớp tập huấn tháng 5/2023, Quyết định số 12/QĐ-STP).",
    )


class SettingsForm(FlaskForm):
    serial_prefix = StringField(
        "Tiền tố số hiệu",
        validators=[DataRequired("Hãy nhập tiền tố số hiệu."), Length(max=10, message="Tiền tố dài tối đa 10 ký tự.")],
        description="Ví dụ CT: số hiệu sẽ là CT-2026-000123.",
    )
    issuer_name = StringField(
        "Cơ quan cấp", validators=[DataRequired("Hãy nhập tên cơ quan cấp."), Length(max=200, message="Tên dài tối đa 200 ký tự.")],
        description="Ví dụ: SỞ TƯ PHÁP THÀNH PHỐ CẦN THƠ.",
    )
    issuer_parent = StringField(
        "Cơ quan chủ quản", validators=[Optional(), Length(max=200, message="Tên dài tối đa 200 ký tự.")],
        description="Ví dụ: ỦY BAN NHÂN DÂN THÀNH PHỐ CẦN THƠ.",
    )
    signer_title = StringField(
        "Chức danh người ký", validators=[DataRequired("Hãy nhập chức danh người ký."), Length(max=200, message="Chức danh dài tối đa 200 ký tự.")],
        description="Ví dụ: GIÁM ĐỐC hoặc KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC.",
    )
    signer_name = StringField("Họ và tên người ký", validators=[Optional(), Length(max=200, message="Họ và tên dài tối đa 200 ký tự.")])
    place = StringField(
        "Địa danh", validators=[DataRequired("Hãy nhập địa danh."), Length(max=100, message="Địa danh dài tối đa 100 ký tự.")],
        description="In ở dòng «…, ngày … tháng … năm …», ví dụ Cần Thơ.",
    )
