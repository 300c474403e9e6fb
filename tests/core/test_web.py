"""The request's transaction (``core.web``): a request that wrote is committed when it succeeds and rolled back
when it fails; a ``ServiceError`` inside ``service_errors`` rolls back and lands on the form; a request that
only read ends without a commit. Checked from another connection, on an app of its own (routes added before its
first request)."""

from __future__ import annotations

import pytest
from flask import abort
from flask_migrate import upgrade
from flask_wtf import FlaskForm
from sqlalchemy import create_engine, text
from wtforms import StringField

from lms.core.access import public
from lms.core.errors import ServiceError
from lms.core.models import Job
from lms.core.web import safe_next, service_errors
from lms.extensions import db
from tests.conftest import make_app


class NameForm(FlaskForm):
    name = StringField()


@pytest.fixture
def web(tmp_path):
    url = f"sqlite:///{tmp_path / 'web.sqlite3'}"
    app = make_app(url, WTF_CSRF_ENABLED=False)

    @app.route("/t/write")
    @public
    def write():
        db.session.add(Job(kind="t-write"))
        db.session.flush()
        return "ok"

    @app.route("/t/write-then-404")
    @public
    def write_then_404():
        db.session.add(Job(kind="t-404"))
        db.session.flush()
        abort(404)

    @app.route("/t/write-then-422")
    @public
    def write_then_422():
        db.session.add(Job(kind="t-422"))
        db.session.flush()
        return "refused", 422

    @app.route("/t/refused", methods=["POST"])
    @public
    def refused():
        form = NameForm()
        db.session.add(Job(kind="t-before-refusal"))
        with service_errors(form) as outcome:
            db.session.add(Job(kind="t-refused"))
            db.session.flush()
            raise ServiceError("Tên đã có người dùng.", "name")
        assert not outcome.ok and outcome.error.field == "name"
        return "; ".join(form.name.errors)

    @app.route("/t/flashed", methods=["POST"])
    @public
    def flashed():
        with service_errors(flash_as="{} Chưa lưu gì.") as outcome:
            raise ServiceError("Lớp đã kết thúc.")
        from flask import get_flashed_messages

        return f"{outcome.ok}|{get_flashed_messages()[0]}"

    with app.app_context():
        upgrade(directory=str(app.extensions["migrate"].directory))
    engine = create_engine(url)
    yield app, engine
    engine.dispose()
    with app.app_context():
        db.engine.dispose()


def kinds(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.scalars(text("SELECT kind FROM job")))


def test_a_request_that_wrote_and_succeeded_is_committed(web):
    app, engine = web
    assert app.test_client().get("/t/write").status_code == 200
    assert kinds(engine) == {"t-write"}


def test_a_request_that_wrote_and_failed_is_rolled_back(web):
    app, engine = web
    client = app.test_client()
    assert client.get("/t/write-then-404").status_code == 404
    assert client.get("/t/write-then-422").status_code == 422
    assert kinds(engine) == set()


def test_a_service_error_rolls_back_the_request_and_shows_on_the_field(web):
    app, engine = web
    res = app.test_client().post("/t/refused", data={"name": "Tổ 1"})
    assert res.status_code == 200
    assert res.get_data(as_text=True) == "Tên đã có người dùng."
    assert kinds(engine) == set()  # nothing of the request is saved, not even what came before the refusal


def test_a_service_error_without_a_field_is_flashed_in_the_views_words(web):
    app, _ = web
    res = app.test_client().post("/t/flashed")
    assert res.get_data(as_text=True) == "False|Lớp đã kết thúc. Chưa lưu gì."


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "https://evil.example/", "/a\nb", "/\t/evil.example", "", None, "learn"])
def test_safe_next_refuses_other_sites(target):
    assert safe_next(target, "/home") == "/home"


def test_safe_next_keeps_a_local_path():
    assert safe_next(" /learn/notifications?unread=1 ", "/home") == "/learn/notifications?unread=1"


def test_notification_read_does_not_follow_a_tab_to_another_site(client, auth, make_user, tree, db):
    """``next="/\\t/evil.com"``: browsers drop the tab and go to //evil.com; the one safe-redirect helper refuses it."""
    from lms.core.roles import Role
    from tests.conftest import csrf_token

    make_user(Role.COMMUNE_OFFICER, tree.C1, username="cb-tab")
    db.session.commit()
    auth.login("cb-tab")
    token = csrf_token(client.get("/learn/notifications").get_data(as_text=True))
    res = client.post("/learn/notifications/read", data={"csrf_token": token, "all": "1", "next": "/\t/evil.com"})
    assert res.status_code == 302
    assert res.headers["Location"] == "/learn/notifications"
