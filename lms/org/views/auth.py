"""Sign in, sign out, change password."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from ...core.access import login_required, public
from ...core.web import safe_next, service_errors
from ...extensions import limiter
from ..forms.auth import ChangePasswordForm, LoginForm
from ..services import accounts
from . import auth_bp


@auth_bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("org.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.username.data, form.password.data)
        if user is None:
            flash("Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đã bị khóa.", "danger")
        else:
            login_user(user, remember=form.remember.data)
            target = safe_next(request.args.get("next"))
            if user.must_change_password:
                flash("Bạn đang dùng mật khẩu một lần. Hãy đặt mật khẩu mới để tiếp tục.", "info")
                return redirect(url_for("auth.change_password", next=target) if target else url_for("auth.change_password"))
            return redirect(target or url_for("org.home"))
    return render_template("auth/login.html", form=form)


@auth_bp.route("/logout", methods=["POST"])
@public
def logout():
    logout_user()
    flash("Bạn đã đăng xuất.", "info")
    return redirect(url_for("auth.login"))


@auth_bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        with service_errors(form, {"": "new"}) as outcome:
            accounts.change_password(current_user, form.current.data, form.new.data)
        if outcome.ok:
            flash("Đã đổi mật khẩu.", "success")
            return redirect(safe_next(request.args.get("next")) or url_for("org.home"))
    return render_template("auth/change_password.html", form=form)
