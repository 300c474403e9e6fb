"""The notifications page: one's own notifications, unread first and bold, marking one or all read."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from lms.core.notifications import Notification
from lms.core.roles import Role
from tests.conftest import csrf_token


def html_of(r) -> str:
    return r.get_data(as_text=True)


def shown(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-notification="(\d+)"', html)]


@pytest.fixture
def world(db, freeze, tree, make_person, make_user):
    freeze("2026-06-01")
    person = make_person(tree.V1, name="Nguyễn Thị Nhận Tin")
    me = make_user(Role.MEDIATOR, tree.V1, person=person, username="hgv-me")
    other = make_user(Role.MEDIATOR, tree.V1, username="hgv-other")

    def note(key, user=None, person_id=None, read=False, at=dt.datetime(2026, 6, 1, 8, 0), **kw):
        n = Notification(
            key=key, user_id=user.id if user else None, person_id=person_id, kind="deadline_reminder", title=kw.get("title", f"Tiêu đề {key}"),
            body=kw.get("body", "Nội dung"), link=kw.get("link"), created_at=at, read_at=at if read else None,
        )
        db.session.add(n)
        return n

    notes = {
        "old_read": note("a", me, person.id, read=True, at=dt.datetime(2026, 5, 1, 8, 0), title="Thông báo đã đọc"),
        "unread": note("b", me, person.id, title="Còn 30 ngày đến hạn bồi dưỡng", link="/learn/"),
        "person_only": note("c", None, person.id, at=dt.datetime(2026, 5, 20, 8, 0), title="Gửi trước khi có tài khoản"),
        "others": note("d", other, None, title="Của người khác"),
    }
    db.session.commit()
    return {"me": me, "other": other, "notes": notes}


def test_list_shows_own_notifications_unread_first_and_bold(client, auth, world):
    auth.login("hgv-me")
    html = html_of(client.get("/learn/notifications"))
    n = world["notes"]
    assert shown(html) == [n["unread"].id, n["person_only"].id, n["old_read"].id]
    assert "Của người khác" not in html
    assert '<span class="badge text-bg-danger" id="unread-count">2 chưa đọc</span>' in html
    assert '<div class="fw-bold"><span class="visually-hidden">Chưa đọc: </span>Còn 30 ngày đến hạn bồi dưỡng</div>' in html
    assert re.search(r'<div class="">\s*Thông báo đã đọc</div>', html)
    # the menu entry
    assert 'href="/learn/notifications"' in html and "Thông báo" in html


def test_only_unread_filter(client, auth, world):
    auth.login("hgv-me")
    html = html_of(client.get("/learn/notifications?unread=1"))
    assert set(shown(html)) == {world["notes"]["unread"].id, world["notes"]["person_only"].id}


def test_mark_one_read(db, client, auth, world):
    auth.login("hgv-me")
    token = csrf_token(html_of(client.get("/learn/notifications")))
    target = world["notes"]["unread"]
    r = client.post("/learn/notifications/read", data={"csrf_token": token, "id": target.id, "next": "/learn/notifications"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/learn/notifications")
    db.session.expire_all()
    assert db.session.get(Notification, target.id).read_at is not None
    assert db.session.get(Notification, world["notes"]["person_only"].id).read_at is None
    assert "1 chưa đọc" in html_of(client.get("/learn/notifications"))


def test_open_marks_read_and_follows_the_link(db, client, auth, world):
    auth.login("hgv-me")
    token = csrf_token(html_of(client.get("/learn/notifications")))
    target = world["notes"]["unread"]
    r = client.post("/learn/notifications/read", data={"csrf_token": token, "id": target.id, "open": "1"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/learn/")
    db.session.expire_all()
    assert db.session.get(Notification, target.id).read_at is not None


def test_mark_all_read_touches_only_mine(db, client, auth, world):
    auth.login("hgv-me")
    token = csrf_token(html_of(client.get("/learn/notifications")))
    r = client.post("/learn/notifications/read", data={"csrf_token": token, "all": "1"}, follow_redirects=True)
    assert "Đã đánh dấu 2 thông báo là đã đọc." in html_of(r)
    db.session.expire_all()
    unread = db.session.scalars(select(Notification.key).where(Notification.read_at.is_(None))).all()
    assert unread == ["d"]  # the other user's stays unread


def test_cannot_mark_someone_elses(db, client, auth, world):
    auth.login("hgv-me")
    token = csrf_token(html_of(client.get("/learn/notifications")))
    theirs = world["notes"]["others"]
    r = client.post("/learn/notifications/read", data={"csrf_token": token, "id": theirs.id})
    assert r.status_code == 404
    db.session.expire_all()
    assert db.session.get(Notification, theirs.id).read_at is None


def test_no_open_redirect(client, auth, world):
    auth.login("hgv-me")
    token = csrf_token(html_of(client.get("/learn/notifications")))
    r = client.post("/learn/notifications/read", data={"csrf_token": token, "id": world["notes"]["unread"].id, "next": "//evil.example"})
    assert r.headers["Location"].endswith("/learn/notifications")


def test_empty_list_and_anonymous(client, auth, world, make_user, db, tree):
    make_user(Role.COMMUNE_OFFICER, tree.C1, username="cb-c1")
    db.session.commit()
    assert client.get("/learn/notifications").status_code == 302
    auth.login("cb-c1")
    html = html_of(client.get("/learn/notifications"))
    assert "Bạn chưa có thông báo nào." in html and "unread-count" not in html


def test_unread_count_helper(app, world):
    from lms.core.notifications import unread_count

    assert unread_count(world["me"]) == 2
    assert unread_count(world["other"]) == 1
    with app.test_request_context():
        assert unread_count() == 0  # nobody signed in


def test_unread_count_badge_in_the_menu(client, auth, db, tree, make_user):
    from lms.core.notifications import Notification
    from lms.core.roles import Role

    user = make_user(Role.MEDIATOR, tree.V1)
    db.session.add_all([Notification(key=f"k{i}", user_id=user.id, kind="deadline", title=f"Nhắc hạn {i}") for i in range(3)])
    db.session.commit()
    auth.login(user.username)
    html = client.get("/learn/notifications").get_data(as_text=True)
    assert 'Thông báo <span class="badge rounded-pill text-bg-danger">3<span class="visually-hidden"> chưa đọc</span>' in html
