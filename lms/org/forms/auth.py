from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from ..services.accounts import MIN_PASSWORD


class LoginForm(FlaskForm):
    username = StringField("Tên đăng nhập hoặc số điện thoại", validators=[DataRequired("Hãy nhập tên đăng nhập hoặc số điện thoại.")])
    password = PasswordField("Mật khẩu", validators=[DataRequired("Hãy nhập mật khẩu.")])
    remember = BooleanField("Ghi nhớ đăng nhập trên máy này")


class ChangePasswordForm(FlaskForm):
    current = PasswordField("Mật khẩu hiện tại", validators=[DataRequired("Hãy nhập mật khẩu hiện tại.")])
    new = PasswordField(
        "Mật khẩu mới",
        validators=[DataRequired("Hãy nhập mật khẩu mới."), Length(min=MIN_PASSWORD, message=f"Mật khẩu mới phải có ít nhất {MIN_PASSWORD} ký tự.")],
    )
    confirm = PasswordField("Nhập lại mật khẩu mới", validators=[DataRequired("Hãy nhập lại mật khẩu mới."), EqualTo("new", "Hai lần nhập mật khẩu mới không khớp.")])
