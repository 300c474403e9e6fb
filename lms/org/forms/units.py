"""Forms for units, plus small helpers the roster forms share."""

from __future__ import annotations

import datetime as dt

from flask import flash
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms import DateField as _DateField
from wtforms import IntegerField as _IntegerField
from wtforms import SelectField as _SelectField
from wtforms import TimeField as _TimeField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..models import UnitKind

# WTForms has no Vietnamese catalogue: the few built-in messages a user can meet are replaced here.


class _TypedTextMixin:
    """Try each of the field's formats on the typed text; blank is ``None``; anything else a Vietnamese error."""

    invalid = "«{text}» không hợp lệ."

    def _convert(self, parsed: dt.datetime):
        return parsed

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = " ".join(valuelist).strip()
        self.data = None
        if not text:
            return
        for fmt in self.strptime_format:
            try:
                self.data = self._convert(dt.datetime.strptime(text, fmt))
                return
            except ValueError:
                continue
        raise ValueError(self.invalid.format(text=text))


class DateField(_TypedTextMixin, _DateField):
    """An HTML date input that also accepts dd/mm/yyyy typed by hand; errors in Vietnamese."""

    invalid = "Ngày «{text}» không hợp lệ (dùng dd/mm/yyyy)."

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%d", "%d/%m/%Y"])
        super().__init__(*args, **kwargs)

    def _convert(self, parsed: dt.datetime) -> dt.date:
        return parsed.date()


class TimeField(_TypedTextMixin, _TimeField):
    """An HTML time input (``HH:MM``; also 8h30 or 8.30 typed by hand); errors in Vietnamese."""

    invalid = "Giờ «{text}» không hợp lệ (dùng giờ:phút, ví dụ 08:00)."

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", ["%H:%M", "%H:%M:%S", "%Hh%M", "%H.%M"])
        super().__init__(*args, **kwargs)

    def _convert(self, parsed: dt.datetime) -> dt.time:
        return parsed.time()


class IntegerField(_IntegerField):
    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = int(valuelist[0].strip())
        except ValueError:
            self.data = None
            raise ValueError(f"«{valuelist[0]}» không phải là số nguyên.") from None


class SelectField(_SelectField):
    def pre_validate(self, form):  # noqa: ARG002 (WTForms signature)
        if self.validate_choice and self.choices is not None and self.data not in (None, ""):
            values = {str(c[0]) for c in self.choices}
            if str(self.data) not in values:
                raise ValidationError("Lựa chọn không hợp lệ.")


def confirm_field(label: str = "Tôi xác nhận thao tác này và hiểu rằng nó sẽ được ghi vào lịch sử thay đổi.") -> BooleanField:
    return BooleanField(label, validators=[DataRequired("Hãy đánh dấu ô xác nhận để tiếp tục.")])


def apply_service_error(form: FlaskForm, exc, aliases: dict[str, str] | None = None) -> None:
    """Show a ``ServiceError`` on the form field it names (``aliases`` maps service names to form names), else flash it."""
    name = (aliases or {}).get(exc.field or "", exc.field)
    field = getattr(form, name, None) if name else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, exc.message]
    else:
        flash(exc.message, "danger")


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
