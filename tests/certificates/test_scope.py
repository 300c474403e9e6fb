"""Nobody reads or changes a certificate outside their scope (no IDOR)."""

import datetime as dt

import pytest

from lms.certificates.models import Certificate
from lms.core.roles import Role
from tests.conftest import csrf_token


@pytest.fixture
def world(db, tree, make_person, make_user, make_certificate, freeze):
    freeze("2026-03-10")
    a = make_person(tree.V1, name="Người A")
    b = make_person(tree.V1, name="Người B")
    c2 = make_person(tree.V3, name="Người C2")
    q = make_person(tree.VQ, name="Người Sóc Trăng")
    certs = {k: make_certificate(p, issued_on=dt.date(2026, 1, 5)) for k, p in {"a": a, "b": b, "c2": c2, "q": q}.items()}
    make_user(Role.MEDIATOR, tree.V1, person=a, username="hgv-a")
    make_user(Role.MEDIATOR, tree.V1, person=b, username="hgv-b")
    make_user(Role.COMMUNE_OFFICER, tree.C1, username="cb-c1")
    make_user(Role.COMMUNE_OFFICER, tree.C2, username="cb-c2")
    make_user(Role.PROVINCE_ADMIN, tree.P, username="tinh")
    make_user(Role.TRAINER, tree.D, username="thv-huyen")
    db.session.commit()
    return {"certs": certs, "people": {"a": a, "b": b, "c2": c2, "q": q}}


def _ids(world, *keys):
    return [world["certs"][k].id for k in keys]


def test_mediator_cannot_download_or_open_another_persons_certificate(client, auth, world):
    auth.login("hgv-a")
    b = world["certs"]["b"]
    assert client.get(f"/certificates/{b.id}.pdf").status_code == 404
    assert client.get(f"/certificates/{b.id}").status_code == 404
    own = world["certs"]["a"]
    assert client.get(f"/certificates/{own.id}.pdf").status_code == 200
    assert client.get(f"/certificates/{own.id}").status_code == 200
    html = client.get("/certificates/mine").get_data(as_text=True)
    assert own.serial in html and b.serial not in html


def test_commune_officer_cannot_see_another_communes_certificate(client, auth, world, tree):
    auth.login("cb-c1")
    other = world["certs"]["c2"]
    for url in (f"/certificates/{other.id}", f"/certificates/{other.id}.pdf", f"/certificates/{other.id}/revoke",
                f"/certificates/{other.id}/reissue", f"/certificates/external/{world['people']['c2'].id}"):
        assert client.get(url).status_code == 404, url
    html = client.get("/certificates/").get_data(as_text=True)
    assert world["certs"]["a"].serial in html and other.serial not in html and world["certs"]["q"].serial not in html
    csv_text = client.get("/certificates/export.csv").get_data(as_text=True)
    assert world["certs"]["a"].serial in csv_text and other.serial not in csv_text
    # a commune filter outside the scope is ignored with a warning, not used to peek
    html = client.get("/certificates/", query_string={"commune": tree.C2.code}).get_data(as_text=True)
    assert "trong phạm vi quản lý của bạn" in html and other.serial not in html
    csv_text = client.get("/certificates/export.csv", query_string={"commune": tree.C2.code}).get_data(as_text=True)
    assert other.serial not in csv_text


def test_commune_officer_cannot_revoke_outside_scope_by_post(client, auth, db, world):
    auth.login("cb-c1")
    own = world["certs"]["a"]
    token = csrf_token(client.get(f"/certificates/{own.id}/revoke").get_data(as_text=True))
    other = world["certs"]["c2"]
    r = client.post(f"/certificates/{other.id}/revoke", data={"csrf_token": token, "reason": "x", "revoked_on": "2026-03-10", "confirm": "y"})
    assert r.status_code == 404
    r = client.post(f"/certificates/{other.id}/reissue", data={"csrf_token": token, "holder_name": "X", "confirm": "y"})
    assert r.status_code == 404
    r = client.post(f"/certificates/external/{world['people']['c2'].id}",
                    data={"csrf_token": token, "program_code": "hgv", "issued_on": "2025-01-01"})
    assert r.status_code == 404
    db.session.expire_all()
    assert db.session.get(Certificate, other.id).revoked_on is None
    assert db.session.query(Certificate).count() == 4


def test_province_admin_sees_the_whole_province_but_not_another(client, auth, world):
    auth.login("tinh")
    for key in ("a", "b", "c2"):
        cert = world["certs"][key]
        assert client.get(f"/certificates/{cert.id}").status_code == 200
    assert client.get(f"/certificates/{world['certs']['c2'].id}.pdf").status_code == 200
    q = world["certs"]["q"]
    assert client.get(f"/certificates/{q.id}").status_code == 404
    assert client.get(f"/certificates/{q.id}.pdf").status_code == 404
    html = client.get("/certificates/").get_data(as_text=True)
    assert world["certs"]["c2"].serial in html and q.serial not in html


def test_trainer_reads_within_the_district_only(client, auth, world):
    auth.login("thv-huyen")
    assert client.get(f"/certificates/{world['certs']['c2'].id}").status_code == 200
    assert client.get(f"/certificates/{world['certs']['q'].id}").status_code == 404


def test_anonymous_is_sent_to_login(client, world):
    cert = world["certs"]["a"]
    for url in ("/certificates/mine", f"/certificates/{cert.id}.pdf", f"/certificates/{cert.id}", "/certificates/", "/certificates/export.csv"):
        r = client.get(url)
        assert r.status_code == 302 and "/auth/login" in r.headers["Location"], url
