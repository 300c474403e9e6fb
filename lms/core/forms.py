"""The app's form base: WTForms fields that accept what people type and say what is wrong in Vietnamese.

Every area's forms use these instead of WTForms' own ``DateField``, ``TimeField``, ``IntegerField`` and
``SelectField``; :func:`confirm_field` is the "I confirm" box of every destructive action.
"""

from __future__ import annotations

import datetime as dt

from wtforms import BooleanField
from wtforms import DateField as _DateField
from wtforms import IntegerField as _IntegerField
from wtforms import SelectField as _SelectField
from wtforms import TimeField as _TimeField
from wtforms.validators import DataRequired, ValidationError

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
