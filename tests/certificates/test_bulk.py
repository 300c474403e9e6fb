import datetime as dt
import io
import os
import zipfile

import pytest
from pypdf import PdfReader

from lms.core.models import Job
from lms.core.roles import Role
from tests.conftest import csrf_token, need


@pytest.fixture
def commune_certs(db, tree, make_person, make_certificate):
    names = ["Nguyễn Thị Ngọc Hường", "Đặng Quốc Việt", "Lò Thị Ửng"]
    certs = [make_certificate(make_person(tree.V1, name=n), issued_on=dt.date(2026, 3, 1)) for n in names]
    make_certificate(make_person(tree.V1, name="Năm Khác"), issued_on=dt.date(2025, 3, 1))
    make_certificate(make_person(tree.V3, name="Xã Khác"), issued_on=dt.date(2026, 3, 1))
    return certs


def _start(client, auth, user, unit_code, year):
    auth.login(user.username)
    page = client.get("/certificates/bulk")
    return client.post("/certificates/bulk", data={"unit": unit_code, "year": year, "csrf_token": csrf_token(page.get_data(as_text=True))})


def _zip_names(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def test_zip_of_a_commune_for_a_year_inline(client, auth, db, tree, commune_certs, make_user):
    officer = make_user(Role.COMMUNE_OFFICER, tree.C1)
    db.session.commit()
    resp = _start(client, auth, officer, tree.C1.code, 2026)
    assert resp.status_code == 302
    job_page = client.get(resp.headers["Location"])
    html = job_page.get_data(as_text=True)
    assert "Hoàn tất" in html and 'aria-valuenow="100"' in html
    job = db.session.scalar(db.select(Job))
    with client.get(f"/certificates/jobs/{job.id}/download") as download:
        assert download.status_code == 200
        files = _zip_names(download.data)
    assert sorted(n.split("_")[0] for n in files) == sorted(c.serial for c in commune_certs)
    for name, pdf in files.items():
        reader = PdfReader(io.BytesIO(pdf))
        assert len(reader.pages) == 1
        serial = name.split("_")[0]
        cert = next(c for c in commune_certs if c.serial == serial)
        assert cert.holder_name in reader.pages[0].extract_text()


def test_zip_refuses_a_unit_outside_scope(client, auth, db, tree, commune_certs, make_user):
    officer = make_user(Role.COMMUNE_OFFICER, tree.C1)
    db.session.commit()
    resp = _start(client, auth, officer, tree.C2.code, 2026)
    assert resp.status_code == 200
    assert "phạm vi quản lý" in resp.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Job.id))) == 0


def test_another_users_job_is_not_visible(client, auth, db, tree, commune_certs, make_user):
    a = make_user(Role.COMMUNE_OFFICER, tree.C1)
    b = make_user(Role.PROVINCE_ADMIN, tree.P)
    db.session.commit()
    _start(client, auth, a, tree.C1.code, 2026)
    job = db.session.scalar(db.select(Job))
    auth.logout()
    auth.login(b.username)
    assert client.get(f"/certificates/jobs/{job.id}").status_code == 404
    assert client.get(f"/certificates/jobs/{job.id}/download").status_code == 404


def test_zip_runs_as_an_rq_job_when_redis_is_configured(app, client, auth, db, tree, commune_certs, make_user, monkeypatch):
    url = os.environ.get("LMS_TEST_REDIS_URL")
    need(bool(url), "LMS_TEST_REDIS_URL is not set (Redis tests)")
    from redis import Redis
    from rq import Queue, SimpleWorker

    import lms

    conn = Redis.from_url(url)
    Queue("lms", connection=conn).empty()
    monkeypatch.setitem(app.config, "REDIS_URL", url)
    monkeypatch.setattr(lms, "create_app", lambda *a, **k: app)  # the worker builds the same (test) app
    officer = make_user(Role.COMMUNE_OFFICER, tree.C1)
    db.session.commit()
    resp = _start(client, auth, officer, tree.C1.code, 2026)
    job = db.session.scalar(db.select(Job))
    assert job.status == "queued"
    assert "Đang chờ" in client.get(resp.headers["Location"]).get_data(as_text=True)
    SimpleWorker([Queue("lms", connection=conn)], connection=conn).work(burst=True)
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status == "done" and job.total == 3
    with client.get(f"/certificates/jobs/{job.id}/download") as download:
        assert len(_zip_names(download.data)) == 3


def test_zip_of_a_class(client, auth, db, tree, program, make_mediator, make_user):
    from lms.classes import services as classes

    people = [make_mediator(tree.T1, name=n).person for n in ("Nguyễn Thị Ngọc Hường", "Đặng Quốc Việt", "Lò Thị Ửng")]
    klass = classes.create_class(title="Lớp An Hòa", program_code="hgv", unit=tree.C1, mode="in_person", starts_on=dt.date(2026, 3, 1),
                                 ends_on=dt.date(2026, 3, 1), capacity=10, assessment="pass_fail", min_attendance=0)
    classes.enroll(klass, people)
    rows = sorted(klass.enrollments, key=lambda r: r.person.full_name)
    for row in rows[:2]:
        classes.record_result(row, passed=True)  # two complete; the third has no result
    officer = make_user(Role.COMMUNE_OFFICER, tree.C1)
    db.session.commit()
    auth.login(officer.username)
    page = client.get(f"/learn/classes/{klass.id}").get_data(as_text=True)
    assert "Tải 2 giấy chứng nhận (ZIP)" in page
    resp = client.post(f"/certificates/bulk/class/{klass.id}", data={"csrf_token": csrf_token(page)})
    job = db.session.scalar(db.select(Job))
    assert resp.headers["Location"].endswith(f"/certificates/jobs/{job.id}") and job.status == "done" and job.total == 2
    with client.get(f"/certificates/jobs/{job.id}/download") as download:
        assert len(_zip_names(download.data)) == 2
