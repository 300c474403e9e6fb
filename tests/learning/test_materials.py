"""Figure G: access to the materials, online (first lesson opened) or the printed set recorded by an officer."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from lms.core.roles import Role
from lms.learning.models import MaterialAccess
from tests.conftest import csrf_token
from tests.fixtures.curriculum import program, program_dir  # noqa: F401


def access_rows(db, person) -> dict[str, MaterialAccess]:
    db.session.expire_all()
    return {a.kind: a for a in db.session.scalars(select(MaterialAccess).where(MaterialAccess.person_id == person.id))}


@pytest.fixture
def setup(db, freeze, tree, program, make_mediator, make_user):  # noqa: F811
    freeze("2026-04-10")
    learner = make_mediator(tree.T1, name="Nguyễn Thị Ngọc Hường").person
    offline = make_mediator(tree.T2, name="Lò Thị Ửng").person
    elsewhere = make_mediator(tree.T3, name="Đặng Quốc Việt").person
    accounts = SimpleNamespace(
        learner=make_user(Role.MEDIATOR, tree.V1, person=learner, username="hgv-huong"),
        officer=make_user(Role.COMMUNE_OFFICER, tree.C1, username="cb-anhoa"),
    )
    db.session.commit()
    return SimpleNamespace(learner=learner, offline=offline, elsewhere=elsewhere, accounts=accounts, program=program, tree=tree)


def test_first_lesson_opened_online_is_recorded_once(client, auth, setup, db, freeze):
    assert access_rows(db, setup.learner) == {}
    auth.login("hgv-huong")
    first, second = setup.program.lessons[0], setup.program.lessons[1]
    assert client.get(f"/learn/p/hgv/{first.slug}").status_code == 200
    rows = access_rows(db, setup.learner)
    assert set(rows) == {"online"}
    assert rows["online"].accessed_on == dt.date(2026, 4, 10)
    assert rows["online"].recorded_by_id is None
    freeze("2026-04-20")
    client.get(f"/learn/p/hgv/{second.slug}")
    rows = access_rows(db, setup.learner)
    assert len(rows) == 1 and rows["online"].accessed_on == dt.date(2026, 4, 10)


def test_officer_records_printed_materials(client, auth, setup, db):
    auth.login("cb-anhoa")
    url = f"/learn/people/{setup.offline.id}/printed"
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Ghi nhận nhận bộ tài liệu in" in html and "Lò Thị Ửng" in html
    assert 'value="2026-04-10"' in html  # today by default
    note = unicodedata.normalize("NFD", "Nhận tại buổi sinh hoạt tổ, 1 bộ")
    res = client.post(url, data={"csrf_token": csrf_token(html), "accessed_on": "2026-04-08", "note": note}, follow_redirects=True)
    assert res.status_code == 200
    body = res.get_data(as_text=True)
    assert "đã nhận bộ tài liệu in ngày 08/04/2026" in body
    rows = access_rows(db, setup.offline)
    assert set(rows) == {"printed"}
    printed = rows["printed"]
    assert printed.accessed_on == dt.date(2026, 4, 8)
    assert printed.note == "Nhận tại buổi sinh hoạt tổ, 1 bộ"  # NFC
    assert printed.recorded_by_id == setup.accounts.officer.id
    # shown on the person's progress page
    html = client.get(f"/learn/people/{setup.offline.id}").get_data(as_text=True)
    assert "Nhận bộ tài liệu in" in html and "08/04/2026" in html and "Nhận tại buổi sinh hoạt tổ" in html
    # recording again changes nothing
    page = client.get(url).get_data(as_text=True)
    assert "Đã ghi nhận nhận bộ tài liệu in ngày 08/04/2026" in page
    client.post(url, data={"csrf_token": csrf_token(page), "accessed_on": "2026-04-09", "note": "lần hai"})
    rows = access_rows(db, setup.offline)
    assert len(rows) == 1 and rows["printed"].accessed_on == dt.date(2026, 4, 8)


def test_online_and_printed_both_shown_online_first(client, auth, setup, db):
    auth.login("hgv-huong")
    client.get(f"/learn/p/hgv/{setup.program.lessons[0].slug}")
    auth.logout()
    auth.login("cb-anhoa")
    url = f"/learn/people/{setup.learner.id}/printed"
    client.post(url, data={"csrf_token": csrf_token(client.get(url).get_data(as_text=True)), "accessed_on": "10/04/2026", "note": ""})
    assert set(access_rows(db, setup.learner)) == {"online", "printed"}
    html = client.get(f"/learn/people/{setup.learner.id}").get_data(as_text=True)
    kinds = re.findall(r'data-kind="(\w+)"', html)
    assert kinds == ["online", "printed"]
    assert "Mở tài liệu trực tuyến" in html and "Nhận bộ tài liệu in" in html


def test_bad_dates_are_refused_in_vietnamese_and_nothing_saved(client, auth, setup, db):
    auth.login("cb-anhoa")
    url = f"/learn/people/{setup.offline.id}/printed"
    token = csrf_token(client.get(url).get_data(as_text=True))
    res = client.post(url, data={"csrf_token": token, "accessed_on": "2026-04-11", "note": "x"})
    assert res.status_code == 200
    assert "không được sau ngày hôm nay" in res.get_data(as_text=True)
    res = client.post(url, data={"csrf_token": token, "accessed_on": "31/02/2026", "note": "x"})
    assert "Ngày «31/02/2026» không hợp lệ" in res.get_data(as_text=True)
    res = client.post(url, data={"csrf_token": token, "accessed_on": "", "note": "x"})
    assert "Hãy nhập ngày nhận tài liệu" in res.get_data(as_text=True)
    res = client.post(url, data={"csrf_token": token, "accessed_on": "2026-04-01", "note": "a" * 1001})
    assert "tối đa 1000 ký tự" in res.get_data(as_text=True)
    assert access_rows(db, setup.offline) == {}


def test_printed_materials_scope_and_roles(client, auth, setup, db, make_user):
    auth.login("cb-anhoa")
    assert client.get(f"/learn/people/{setup.elsewhere.id}/printed").status_code == 404
    html = client.get(f"/learn/people/{setup.offline.id}/printed").get_data(as_text=True)
    res = client.post(f"/learn/people/{setup.elsewhere.id}/printed", data={"csrf_token": csrf_token(html), "accessed_on": "2026-04-01"})
    assert res.status_code == 404
    assert access_rows(db, setup.elsewhere) == {}
    auth.logout()
    auth.login("hgv-huong")
    assert client.get(f"/learn/people/{setup.learner.id}/printed").status_code == 403
    auth.logout()
    make_user(Role.TRAINER, setup.tree.P, username="thv")
    db.session.commit()
    auth.login("thv")
    assert client.get(f"/learn/people/{setup.offline.id}/printed").status_code == 403
    assert client.get(f"/learn/people/{setup.offline.id}").status_code == 200


def test_both_kinds_count_as_access_in_the_report(client, auth, setup, db):
    """The report's access column counts a person with either kind of record once."""
    auth.login("hgv-huong")
    client.get(f"/learn/p/hgv/{setup.program.lessons[0].slug}")
    auth.logout()
    auth.login("cb-anhoa")
    for person in (setup.offline, setup.learner):
        url = f"/learn/people/{person.id}/printed"
        client.post(url, data={"csrf_token": csrf_token(client.get(url).get_data(as_text=True)), "accessed_on": "2026-04-09"})
    html = client.get("/learn/progress").get_data(as_text=True)
    total = re.search(r'<tr[^>]*data-unit="total"[^>]*>(.*?)</tr>', html, re.S).group(1)
    numbers = [int(n) for n in re.findall(r'<td class="text-end">(\d+)</td>', total)]
    assert numbers[0] == 2  # eligible in C1: the learner and the offline mediator
    assert numbers[-1] == 2  # both accessed: one online + printed, one printed only
    row = re.search(rf'<tr data-person="{setup.offline.id}">(.*?)</tr>', html, re.S).group(1)
    assert "09/04/2026" in row
