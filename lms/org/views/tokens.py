"""Personal API tokens on the profile page: list, create (the plaintext is shown once), revoke (confirmed).

A token belongs to the signed-in account: every read here is limited to ``user_id == current_user.id``
(tokens are not roster records, so the unit scope does not apply; the API itself uses the owner's scope).
"""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import case, select
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ...core import clock
from ...core.access import roles_required
from ...core.pagination import paginate
from ...core.roles import STAFF
from ...core.web import service_errors
from ...extensions import db
from ..forms.accounts import ConfirmForm
from ..models import ApiToken
from ..services import tokens as token_service
from . import bp


class TokenForm(FlaskForm):
    name = StringField(
        "Tên mã truy cập",
        validators=[DataRequired("Hãy đặt tên cho mã truy cập."), Length(max=token_service.MAX_NAME, message="Tên dài tối đa 100 ký tự.")],
        description="Để phân biệt các mã, ví dụ «Báo cáo tự động hằng tháng».",
    )


def _own_token_or_404(token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    return token


def _page(form: TokenForm, created: tuple[ApiToken, str] | None = None, status: int = 200):
    stmt = (
        select(ApiToken)
        .where(ApiToken.user_id == current_user.id)
        .order_by(case((ApiToken.revoked_at.is_(None), 0), else_=1), ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    unit_code = current_user.unit.code if current_user.unit else ""
    html = render_template(
        "org/tokens.html",
        form=form,
        page=paginate(stmt),
        created=created,
        example_url=url_for("api.coverage", unit=unit_code, date=clock.today().isoformat(), _external=True),
        openapi_url=url_for("api.openapi", _external=True),
    )
    response = make_response(html, status)
    response.headers["Cache-Control"] = "no-store"  # the page may show a token's plaintext
    return response


@bp.route("/profile/tokens", methods=["GET", "POST"])
@roles_required(*STAFF)
def tokens():
    """Mã truy cập API: the list, and a form to create one (the new token is shown once, on this response)."""
    form = TokenForm()
    if form.validate_on_submit():
        with service_errors(form) as outcome:
            token, plaintext = token_service.create_token(current_user._get_current_object(), form.name.data)
        if not outcome.ok:
            return _page(form, status=422)
        return _page(TokenForm(formdata=None), created=(token, plaintext))
    return _page(form, status=422 if form.errors else 200)


@bp.route("/profile/tokens/<int:token>/revoke", methods=["GET", "POST"])
@roles_required(*STAFF)
def token_revoke(token: int):
    """Thu hồi mã truy cập (asks for confirmation)."""
    api_token = _own_token_or_404(token)
    if api_token.revoked_at is not None:
        flash("Mã truy cập này đã bị thu hồi trước đó.", "info")
        return redirect(url_for("org.tokens"))
    form = ConfirmForm()
    if form.validate_on_submit():
        with service_errors() as outcome:
            token_service.revoke_token(api_token)
        if not outcome.ok:
            return redirect(url_for("org.tokens"))
        flash(f"Đã thu hồi mã truy cập «{api_token.name}». Các chương trình đang dùng mã này sẽ không truy cập được nữa.", "success")
        return redirect(url_for("org.tokens"))
    return render_template("org/token_revoke.html", token=api_token, form=form)
