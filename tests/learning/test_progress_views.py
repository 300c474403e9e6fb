"""Officers' and trainers' progress report, CSV, person page and enrolling people (scope enforced)."""

from __future__ import annotations

import csv
import io
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import event, select

from lms.core.models import AuditLog
from lms.core.roles import Role
from lms.extensions import db as _db
from lms.learning import services
from lms.learning.models import Enrollment
from tests.conftest import csrf_token
from tests.fixtures.curriculum import program, program_dir, right_answers  # noqa: F401


def counts(html: str, unit: str) -> list[int]:
    """The numbers of the row ``data-unit=unit`` in the counts table."""
    m = re.search(rf'<tr[^>]*data-unit="{re.escape(unit)}"[^>]*>(.*?)</tr>', html, re.S)
    assert m, f"no row for {unit}"
    return [int(n) for n in re.findall(r'<td class="text-end">(\d+)</td>', m.group(1))]


def listed(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'data-person="(\d+)"', html)}


ACCOUNTS = {
    "cb-anhoa": (Role.COMMUNE_OFFICER, "C1"),
    "cb-thoibinh": (Role.COMMUNE_OFFICER, "C2"),
    "so-tuphap": (Role.PROVINCE_ADMIN, "P"),
    "thv-tinh": (Role.TRAINER, "P"),
    "hgv-huong": (Role.MEDIATOR, "V1"),
}


@pytest.fixture
def world(db, freeze, tree, program, make_mediator, make_user, auth):  # noqa: F811
    """Mediators under C1 (V1: two, V2: one), C2 (V3: one), and province Q; learning states set by the services."""
    freeze("2026-03-02")
    m1 = make_mediator(tree.T1, name="Nguyễn Thị Hương").person      # C1/V1: in progress
    m2 = make_mediator(tree.T1, name="Trần Văn Đức").person          # C1/V1: completed
    m3 = make_mediator(tree.T2, name="Lê Thị Ửng").person            # C1/V2: not enrolled
    m4 = make_mediator(tree.T3, name="Phạm Quốc Việt").person        # C2: enrolled, not started
    mq = make_mediator(tree.TQ, name="Đặng Văn Quế").person          # other province
    services.open_lesson(m1, program.lessons[0])
    for lesson in program.lessons:
        services.open_lesson(m2, lesson)
    services.submit_quiz(m2, program.final_module.quiz, right_answers(program.final_module.quiz))
    services.enroll(m4, program)
    services.open_lesson(mq, program.lessons[0])
    db.session.commit()
    assert services.enrollment_for(m2, "hgv").status == "completed"
    users = {}

    def login(username: str):
        """Create the account on first use (password hashing is slow) and sign in."""
        if username not in users:
            role, unit = ACCOUNTS[username]
            users[username] = make_user(role, getattr(tree, unit), person=m1 if role == Role.MEDIATOR else None, username=username)
            db.session.commit()
        return auth.login(username)

    return SimpleNamespace(m1=m1, m2=m2, m3=m3, m4=m4, mq=mq, users=users, login=login, program=program, tree=tree)


def test_commune_officer_sees_counts_per_village_and_only_their_people(client, auth, world):
    world.login("cb-anhoa")
    res = client.get("/learn/progress")
    assert res.status_code == 200
    html = res.get_data(as_text=True)
    assert "Tiến độ học tập: Phường An Hòa" in html
    # eligible, enrolled, not started, in progress, completed, accessed
    assert counts(html, "31117-01") == [2, 2, 0, 1, 1, 2]
    assert counts(html, "31117-02") == [1, 0, 0, 0, 0, 0]
    assert counts(html, "total") == [3, 2, 0, 1, 1, 2]
    assert listed(html) == {world.m1.id, world.m2.id, world.m3.id}
    assert "Nguyễn Thị Hương" in html and "Phạm Quốc Việt" not in html and "Đặng Văn Quế" not in html
    assert "Đang học" in html and "Hoàn thành" in html and "Chưa ghi danh" in html


def test_province_admin_sees_districts_and_communes(client, auth, world):
    world.login("so-tuphap")
    html = client.get("/learn/progress?program=hgv").get_data(as_text=True)
    assert counts(html, "916") == [4, 3, 1, 1, 1, 2]  # district: C1 + C2 (m4 has not opened anything)
    assert counts(html, "31150") == [0, 0, 0, 0, 0, 0]
    assert counts(html, "total") == [4, 3, 1, 1, 1, 2]
    assert world.mq.id not in listed(html)
    # drill down to a commune
    html = client.get("/learn/progress?program=hgv&unit=31120").get_data(as_text=True)
    assert listed(html) == {world.m4.id}
    assert counts(html, "31120-01") == [1, 1, 1, 0, 0, 0]


def test_officer_cannot_open_a_unit_outside_scope(client, auth, world):
    world.login("cb-anhoa")
    html = client.get("/learn/progress?unit=31120", follow_redirects=True).get_data(as_text=True)
    assert "trong phạm vi quản lý của bạn" in html
    assert world.m4.id not in listed(html)
    assert "Phường An Hòa" in html
    html = client.get("/learn/progress?unit=31500").get_data(as_text=True)
    assert world.mq.id not in listed(html)
    # a person of another commune or province: 404
    assert client.get(f"/learn/people/{world.m4.id}").status_code == 404
    assert client.get(f"/learn/people/{world.mq.id}").status_code == 404
    assert client.get(f"/learn/people/{world.m1.id}").status_code == 200


def test_status_filter_and_search(client, auth, world):
    world.login("cb-anhoa")
    assert listed(client.get("/learn/progress?status=in_progress").get_data(as_text=True)) == {world.m1.id}
    assert listed(client.get("/learn/progress?status=completed").get_data(as_text=True)) == {world.m2.id}
    assert listed(client.get("/learn/progress?status=not_enrolled").get_data(as_text=True)) == {world.m3.id}
    assert listed(client.get("/learn/progress?status=not_started_all").get_data(as_text=True)) == {world.m3.id}
    # accent-folded search: "ung" finds "Ửng", "đuc" finds "Đức"
    assert listed(client.get("/learn/progress?q=ung").get_data(as_text=True)) == {world.m3.id}
    assert listed(client.get("/learn/progress?q=Tr%E1%BA%A7n%20V%C4%83n%20%C4%90%E1%BB%A9c").get_data(as_text=True)) == {world.m2.id}
    assert listed(client.get("/learn/progress?q=duc&status=in_progress").get_data(as_text=True)) == set()
    # an unknown status is ignored, not an error
    assert len(listed(client.get("/learn/progress?status=bogus").get_data(as_text=True))) == 3


def test_person_list_is_paginated(app, client, auth, world, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    world.login("cb-anhoa")
    first = client.get("/learn/progress").get_data(as_text=True)
    second = client.get("/learn/progress?page=2").get_data(as_text=True)
    assert len(listed(first)) == 2 and len(listed(second)) == 1
    assert listed(first) | listed(second) == {world.m1.id, world.m2.id, world.m3.id}
    assert "Trang 1/2" in first and "page=2" in first


def test_counts_are_aggregate_queries(app, client, auth, world, make_mediator, db):
    """The number of SQL statements does not grow with the number of people."""
    world.login("cb-anhoa")

    def statements() -> int:
        seen = []
        db.session.expire_all()  # the test shares the session: start each request from the same state

        def count(*args, **kwargs):
            seen.append(1)

        event.listen(_db.engine, "before_cursor_execute", count)
        try:
            assert client.get("/learn/progress").status_code == 200
        finally:
            event.remove(_db.engine, "before_cursor_execute", count)
        return len(seen)

    before = statements()
    for _ in range(12):
        services.enroll(make_mediator(world.tree.T2).person, world.program)
    db.session.commit()
    assert statements() == before


def test_csv_export_has_bom_vietnamese_headers_and_scope(client, auth, world):
    world.login("cb-anhoa")
    res = client.get("/learn/progress.csv?program=hgv")
    assert res.status_code == 200
    assert res.mimetype == "text/csv"
    assert "attachment" in res.headers["Content-Disposition"]
    raw = res.get_data()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Họ và tên", "Năm sinh", "Giới tính"]
    assert "Ngày hoàn thành" in rows[0]
    names = {r[0]: r for r in rows[1:]}
    assert set(names) == {"Nguyễn Thị Hương", "Trần Văn Đức", "Lê Thị Ửng"}
    done = names["Trần Văn Đức"]
    header = rows[0]
    assert done[header.index("Trạng thái")] == "Hoàn thành"
    assert done[header.index("Ngày hoàn thành")] == "02/03/2026"
    assert done[header.index("Điểm cao nhất bài kiểm tra cuối khóa")] == "100"
    assert done[header.index("Số bài đã mở")] == done[header.index("Tổng số bài")] == str(len(world.program.lessons))
    assert names["Nguyễn Thị Hương"][header.index("Trạng thái")] == "Đang học"
    assert names["Lê Thị Ửng"][header.index("Xã/phường (đơn vị cấp trên)")] == "Phường An Hòa"
    # same filters as the page
    filtered = list(csv.reader(io.StringIO(client.get("/learn/progress.csv?status=completed").get_data().decode("utf-8-sig"))))
    assert [r[0] for r in filtered[1:]] == ["Trần Văn Đức"]


def test_mediator_cannot_see_another_persons_progress(client, auth, world):
    world.login("hgv-huong")
    own = client.get(f"/learn/people/{world.m1.id}")
    assert own.status_code == 200
    assert "Tiến độ học tập của tôi" in own.get_data(as_text=True)
    assert "Đang học" in own.get_data(as_text=True)
    for other in (world.m2, world.m3, world.m4, world.mq):
        assert client.get(f"/learn/people/{other.id}").status_code == 404
    assert client.get("/learn/progress").status_code == 403
    assert client.get("/learn/progress.csv").status_code == 403
    assert client.get(f"/learn/people/{world.m1.id}/printed").status_code == 403


def test_trainer_reads_but_cannot_enroll(client, auth, world):
    world.login("thv-tinh")
    html = client.get("/learn/progress").get_data(as_text=True)
    assert counts(html, "total")[0] == 4
    assert 'name="person_id"' not in html
    assert client.get(f"/learn/people/{world.m4.id}").status_code == 200
    token = csrf_token(html)
    res = client.post("/learn/enroll", data={"csrf_token": token, "program": "hgv", "person_id": world.m3.id, "confirm": "1"})
    assert res.status_code == 403
    assert services.enrollment_for(world.m3, "hgv") is None


def test_officer_enrolls_selected_people_after_confirmation(client, auth, world, db):
    world.login("cb-anhoa")
    html = client.get("/learn/progress").get_data(as_text=True)
    assert f'name="person_id" value="{world.m3.id}"' in html
    assert f'name="person_id" value="{world.m1.id}"' not in html  # already enrolled
    token = csrf_token(html)
    data = {"csrf_token": token, "program": "hgv", "unit": "31117", "mode": "selected", "person_id": [world.m3.id, world.m4.id]}
    confirm = client.post("/learn/enroll", data=data)
    assert confirm.status_code == 200
    page = confirm.get_data(as_text=True)
    assert "Xác nhận ghi danh" in page and "Lê Thị Ửng" in page
    assert "Phạm Quốc Việt" not in page  # out of scope: silently left out
    assert services.enrollment_for(world.m3, "hgv") is None
    # without ticking the box nothing happens
    res = client.post("/learn/enroll", data={**data, "step": "confirm"})
    assert "Hãy đánh dấu ô xác nhận" in res.get_data(as_text=True)
    assert services.enrollment_for(world.m3, "hgv") is None
    res = client.post("/learn/enroll", data={**data, "step": "confirm", "confirm": "1"}, follow_redirects=True)
    assert "Đã ghi danh 1 người" in res.get_data(as_text=True)
    db.session.expire_all()
    enrollment = services.enrollment_for(world.m3, "hgv")
    assert enrollment is not None and enrollment.enrolled_by_id == world.users["cb-anhoa"].id
    assert services.enrollment_for(world.m4, "hgv").enrolled_by_id is None  # untouched
    assert db.session.scalar(select(AuditLog).where(AuditLog.entity_id == enrollment.id, AuditLog.action == "create", AuditLog.actor == "cb-anhoa"))


def test_officer_enrolls_everyone_eligible_in_a_commune(client, auth, world, make_mediator, db):
    extra = make_mediator(world.tree.T2, name="Võ Thị Mai").person
    db.session.commit()
    world.login("cb-anhoa")
    html = client.get("/learn/progress").get_data(as_text=True)
    token = csrf_token(html)
    data = {"csrf_token": token, "program": "hgv", "unit": "31117", "mode": "all"}
    page = client.post("/learn/enroll", data=data).get_data(as_text=True)
    assert "Ghi danh <strong>2</strong> người" in page
    client.post("/learn/enroll", data={**data, "confirm": "1"})
    db.session.expire_all()
    assert {e.person_id for e in db.session.scalars(select(Enrollment))} >= {world.m3.id, extra.id}
    assert services.enrollment_for(world.mq, "hgv").enrolled_by_id is None
    # nobody left: a clear message
    res = client.post("/learn/enroll", data=data, follow_redirects=True)
    assert "đều đã được ghi danh" in res.get_data(as_text=True)


def test_enroll_everyone_is_per_commune(client, auth, world):
    world.login("so-tuphap")
    html = client.get("/learn/progress").get_data(as_text=True)
    assert 'value="all"' not in html  # no bulk button at province level
    res = client.post("/learn/enroll", data={"csrf_token": csrf_token(html), "program": "hgv", "unit": "92", "mode": "all", "confirm": "1"},
                      follow_redirects=True)
    assert "Chỉ ghi danh toàn bộ theo từng xã" in res.get_data(as_text=True)
    assert services.enrollment_for(world.m3, "hgv") is None


def test_officer_enrolls_from_the_person_page(client, auth, world, db):
    world.login("cb-anhoa")
    html = client.get(f"/learn/people/{world.m3.id}").get_data(as_text=True)
    assert "Chưa ghi danh" in html and "Ghi danh vào chương trình này" in html
    data = {"csrf_token": csrf_token(html), "program": "hgv", "unit": "31117-02", "mode": "selected", "person_id": world.m3.id,
            "back": f"/learn/people/{world.m3.id}", "confirm": "1"}
    res = client.post("/learn/enroll", data=data)
    assert res.status_code == 302 and res.headers["Location"].endswith(f"/learn/people/{world.m3.id}")
    db.session.expire_all()
    assert services.enrollment_for(world.m3, "hgv") is not None
    # an absolute "back" is not followed (no open redirect)
    data["back"] = "https://evil.example/"
    res = client.post("/learn/enroll", data={**data, "person_id": world.m4.id})
    assert "evil" not in res.headers.get("Location", "")


def test_nav_entry_for_staff_only(client, auth, world):
    world.login("cb-anhoa")
    assert "Tiến độ học tập" in client.get("/learn/").get_data(as_text=True)
    auth.logout()
    world.login("hgv-huong")
    html = client.get("/learn/").get_data(as_text=True)
    assert 'href="/learn/progress"' not in html
