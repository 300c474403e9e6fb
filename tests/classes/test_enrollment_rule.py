"""The one class-enrollment rule: everyone enrolled in a class belongs to its organizing unit.

It lives in ``classes.services.enroll``; every entry point goes through it and is refused the same way: the
service itself, the class's enroll page, the overdue list's "pick people for a class" page, and creating a class
pre-filled with people. Nothing is enrolled when one person is outside.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.classes import services as classes
from lms.classes.models import ClassEnrollment, TrainingClass
from lms.core.errors import ServiceError
from lms.learning.models import Enrollment
from tests.conftest import csrf_token
from tests.fixtures.classes import class_form, make_class
from tests.fixtures.curriculum import program, program_dir  # noqa: F401


@pytest.fixture
def world(class_world):
    return class_world


def enrolled(db, klass) -> set[int]:
    return set(db.session.scalars(select(ClassEnrollment.person_id).where(ClassEnrollment.class_id == klass.id)))


def test_the_service_refuses_someone_outside_the_organizing_unit(db, world):
    klass = make_class(world.tree.C1, [])
    with pytest.raises(ServiceError) as exc:
        classes.enroll(klass, [world.m1, world.m3])  # m3 is in C2
    assert "không thuộc đơn vị tổ chức này" in exc.value.message and world.m3.full_name in exc.value.message
    assert exc.value.field == "unit"
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ClassEnrollment)) == 0


def test_the_class_enroll_page_refuses_and_enrolls_nobody(client, db, world):
    klass = make_class(world.tree.C1, [])
    db.session.commit()
    world.login("so-tuphap")  # the province: both communes are in scope
    url = f"/learn/classes/{klass.id}/enroll"
    token = csrf_token(client.get(url).get_data(as_text=True))
    res = client.post(url, data={"csrf_token": token, "person_id": [str(world.m1.id), str(world.m3.id)]}, follow_redirects=True)
    body = res.get_data(as_text=True)
    assert "không thuộc đơn vị tổ chức này" in body and "Chưa ghi danh ai." in body
    assert enrolled(db, klass) == set()


def test_the_overdue_lists_pick_page_refuses_and_enrolls_nobody(client, db, world):
    klass = make_class(world.tree.C1, [])
    db.session.commit()
    world.login("so-tuphap")
    url = f"/certificates/classes/{klass.id}/pick"
    token = csrf_token(client.get(url).get_data(as_text=True))
    res = client.post(url, data={"csrf_token": token, "person_id": [str(world.m1.id), str(world.m3.id)]})
    body = res.get_data(as_text=True)
    assert res.status_code == 200
    assert "không thuộc đơn vị tổ chức này" in body and "Chưa ghi danh ai." in body
    assert enrolled(db, klass) == set()
    # people of the organizing unit are enrolled from the same page
    res = client.post(url, data={"csrf_token": token, "person_id": [str(world.m1.id), str(world.m4.id)]})
    assert res.status_code == 302
    assert enrolled(db, klass) == {world.m1.id, world.m4.id}


def test_a_class_prefilled_with_someone_outside_is_not_created(client, db, world):
    world.login("thv-tinh")
    url = f"/learn/classes/new?person_id={world.m1.id}&person_id={world.m3.id}"
    html = client.get(url).get_data(as_text=True)
    res = client.post(url, data=class_form(html, world.tree.C1))
    assert res.status_code == 200
    assert "không thuộc đơn vị tổ chức này" in res.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(TrainingClass)) == 0
    assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 0
