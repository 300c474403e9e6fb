"""The public verification page (the QR target) and its JSON twin."""

import datetime as dt

import pytest

from lms.certificates import services
from lms.core.roles import Role

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def cert(db, tree, make_person, make_certificate, freeze):
    freeze("2026-03-10")
    person = make_person(tree.V1, name="Nguyễn Thị Ngọc Hường", birth_year=1971, phone="0912345678")
    c = make_certificate(person, issued_on=dt.date(2026, 2, 1))
    db.session.commit()
    return c


def test_valid_page_shows_only_name_program_date_issuer(client, cert):
    r = client.get(f"/verify/{cert.verification_code}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'data-status="valid"' in html and "Còn hiệu lực" in html
    for shown in ("Nguyễn Thị Ngọc Hường", cert.program_title, "01/02/2026", cert.issuer_name, cert.serial):
        assert shown in html
    for hidden in ("1971", "0912345678", "Khu vực 1", "Năm sinh"):
        assert hidden not in html
    assert '<meta name="robots" content="noindex">' in html


def test_valid_json(client, cert):
    r = client.get(f"/api/v1/certificates/{cert.verification_code}")
    assert r.status_code == 200
    assert r.json == {
        "code": cert.verification_code, "status": "valid", "serial": cert.serial, "name": "Nguyễn Thị Ngọc Hường",
        "program": cert.program_title, "issued_on": "2026-02-01", "issuer": cert.issuer_name, "revoked_on": None,
    }


def test_revoked_page_and_json_show_the_date(client, db, cert):
    services.revoke(cert, "Cấp nhầm người", on=dt.date(2026, 3, 5))
    db.session.commit()
    html = client.get(f"/verify/{cert.verification_code}").get_data(as_text=True)
    assert 'data-status="revoked"' in html and "Đã thu hồi ngày 05/03/2026" in html
    assert "Còn hiệu lực" not in html
    assert "Cấp nhầm người" not in html  # the reason is internal
    data = client.get(f"/api/v1/certificates/{cert.verification_code}").json
    assert data["status"] == "revoked" and data["revoked_on"] == "2026-03-05"


def test_replaced_page_and_json(client, db, cert):
    new = services.reissue(cert, holder_name="Nguyễn Thị Ngọc Hương")
    db.session.commit()
    html = client.get(f"/verify/{cert.verification_code}").get_data(as_text=True)
    assert 'data-status="replaced"' in html and "Đã được thay thế bằng giấy chứng nhận khác" in html
    assert client.get(f"/api/v1/certificates/{cert.verification_code}").json["status"] == "replaced"
    fresh = client.get(f"/api/v1/certificates/{new.verification_code}").json
    assert fresh["status"] == "valid" and fresh["name"] == "Nguyễn Thị Ngọc Hương" and fresh["serial"] == new.serial


@pytest.mark.parametrize("code", ["khong-co-ma-nay", "x" * 60])
def test_unknown_code_is_a_friendly_404(client, cert, code):
    r = client.get(f"/verify/{code}")
    assert r.status_code == 404
    html = r.get_data(as_text=True)
    assert "Không tìm thấy giấy chứng nhận" in html and cert.holder_name not in html
    assert '<meta name="robots" content="noindex">' in html
    j = client.get(f"/api/v1/certificates/{code}")
    assert j.status_code == 404
    assert j.json["status"] == "unknown" and j.json["name"] is None and j.json["code"] == code


def test_verification_needs_no_login_even_for_a_signed_in_stranger(client, auth, db, cert, make_user, tree):
    stranger = make_user(Role.MEDIATOR, tree.VQ)
    db.session.commit()
    auth.login(stranger.username)
    assert client.get(f"/verify/{cert.verification_code}").status_code == 200


def test_verification_is_rate_limited(app, cert):
    from lms.extensions import db, limiter
    from tests.conftest import make_app

    limited = make_app(app.config["SQLALCHEMY_DATABASE_URI"], RATELIMIT_ENABLED=True)
    try:
        with limited.test_client() as c:
            codes = [c.get("/verify/khong-co").status_code for _ in range(61)]
            assert codes[:60] == [404] * 60 and codes[60] == 429
            api = [c.get("/api/v1/certificates/khong-co").status_code for _ in range(61)]
            assert api[-1] == 429
    finally:
        with limited.app_context():
            db.engine.dispose()
        limiter.enabled = False  # the limiter object is shared with the session-wide test app
