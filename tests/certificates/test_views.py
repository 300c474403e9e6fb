"""People's own certificates, officers' list / CSV, revoke, re-issue, past trainings, settings."""

import csv
import datetime as dt
import io

import pytest

from lms.certificates import services
from lms.certificates.models import Certificate, CertificateSettings
from lms.core.models import AuditLog
from lms.core.roles import Role
from tests.conftest import csrf_token


@pytest.fixture
def world(db, tree, make_person, make_user, make_certificate, freeze):
    freeze("2026-03-10")
    a = make_person(tree.V1, name="Nguyễn Thị Ngọc Hường", birth_year=1971)
    b = make_person(tree.V3, name="Đặng Quốc Việt", birth_year=1980)
    c = make_person(tree.C1, name="Lò Thị Ửng", birth_year=1990)
    certs = {
        "a": make_certificate(a, issued_on=dt.date(2026, 2, 1)),
        "a_old": make_certificate(a, code="thv", issued_on=dt.date(2025, 5, 2)),
        "b": make_certificate(b, issued_on=dt.date(2025, 7, 3)),
        "c": make_certificate(c, issued_on=dt.date(2026, 1, 4)),
    }
    users = {
        "mediator": make_user(Role.MEDIATOR, tree.V1, person=a, username="hgv-a"),
        "officer": make_user(Role.COMMUNE_OFFICER, tree.C1, username="cb-c1"),
        "district": make_user(Role.DISTRICT_ADMIN, tree.D, username="huyen"),
        "province": make_user(Role.PROVINCE_ADMIN, tree.P, username="tinh"),
        "trainer": make_user(Role.TRAINER, tree.P, username="thv"),
        "system": make_user(Role.SYSTEM_ADMIN, tree.P, username="root"),
    }
    db.session.commit()
    return {"people": {"a": a, "b": b, "c": c}, "certs": certs, "users": users}


def _html(r):
    return r.get_data(as_text=True)


# --------------------------------------------------------------------------- mine, download, detail


def test_mine_lists_own_certificates_with_download(client, auth, world):
    auth.login("hgv-a")
    html = _html(client.get("/certificates/mine"))
    assert "Giấy chứng nhận của tôi" in html
    a, a_old = world["certs"]["a"], world["certs"]["a_old"]
    assert a.serial in html and a_old.serial in html and world["certs"]["b"].serial not in html
    assert f"/certificates/{a.id}.pdf" in html
    # the menu entry points mediators to their own certificates
    assert 'href="/certificates/mine"' in html


def test_mine_without_certificates_says_so(client, auth, db, world, make_user, tree):
    make_user(Role.MEDIATOR, tree.V2, username="hgv-moi")
    db.session.commit()
    auth.login("hgv-moi")
    assert "Bạn chưa có giấy chứng nhận nào" in _html(client.get("/certificates/mine"))


def test_mine_for_an_officer_without_a_person(client, auth, world):
    auth.login("cb-c1")
    html = _html(client.get("/certificates/mine"))
    assert "chưa được gắn với một người" in html
    assert 'href="/certificates/"' in html  # officers' menu entry is the list


def test_download_sends_the_pdf_named_by_serial(client, auth, world):
    auth.login("hgv-a")
    cert = world["certs"]["a"]
    r = client.get(f"/certificates/{cert.id}.pdf")
    assert r.status_code == 200
    assert r.mimetype == "application/pdf" and r.data.startswith(b"%PDF")
    assert f"attachment; filename={cert.serial}.pdf" in r.headers["Content-Disposition"]


def test_detail_for_owner_has_no_audit_and_no_actions(client, auth, world):
    auth.login("hgv-a")
    cert = world["certs"]["a"]
    html = _html(client.get(f"/certificates/{cert.id}"))
    assert cert.serial in html and "Còn hiệu lực" in html
    assert f"/verify/{cert.verification_code}" in html
    assert "Lịch sử thay đổi" not in html and "/revoke" not in html and "/reissue" not in html


def test_detail_for_officer_has_audit_and_actions(client, auth, world):
    auth.login("cb-c1")
    cert = world["certs"]["a"]
    html = _html(client.get(f"/certificates/{cert.id}"))
    assert "Lịch sử thay đổi" in html and "Tạo mới" in html
    assert f"/certificates/{cert.id}/revoke" in html and f"/certificates/{cert.id}/reissue" in html


def test_trainer_reads_but_does_not_change(client, auth, world):
    auth.login("thv")
    cert = world["certs"]["a"]
    assert client.get("/certificates/").status_code == 200
    html = _html(client.get(f"/certificates/{cert.id}"))
    assert "Lịch sử thay đổi" in html and "/revoke" not in html
    assert client.get(f"/certificates/{cert.id}/revoke").status_code == 403
    assert client.get(f"/certificates/{cert.id}/reissue").status_code == 403
    assert client.get(f"/certificates/external/{world['people']['a'].id}").status_code == 403


def test_mediator_may_not_open_the_list(client, auth, world):
    auth.login("hgv-a")
    assert client.get("/certificates/").status_code == 403
    assert client.get("/certificates/export.csv").status_code == 403


# --------------------------------------------------------------------------- list and CSV


def test_list_filters(client, auth, world, tree):
    certs = world["certs"]
    auth.login("tinh")

    def serials(**args):
        html = _html(client.get("/certificates/", query_string=args))
        return {k for k, c in certs.items() if c.serial in html}

    assert serials() == {"a", "a_old", "b", "c"}
    assert serials(program="thv") == {"a_old"}
    assert serials(year=2026) == {"a", "c"}
    assert serials(commune=tree.C1.code) == {"a", "a_old", "c"}
    assert serials(commune=tree.C2.code, year=2025) == {"b"}
    assert serials(q="nguyen thi ngoc") == {"a", "a_old"}
    assert serials(q=certs["b"].serial) == {"b"}
    assert serials(status="valid") == {"a", "a_old", "b", "c"}
    assert serials(status="revoked") == set()


def test_list_status_filter_after_revoke_and_reissue(client, auth, db, world):
    certs = world["certs"]
    services.revoke(certs["b"], "Sai sót", on=dt.date(2026, 3, 1))
    new = services.reissue(certs["c"], holder_name="Lò Thị Ửng Mới")
    db.session.commit()
    auth.login("tinh")

    def serials(**args):
        html = _html(client.get("/certificates/", query_string=args))
        found = {k for k, c in certs.items() if c.serial in html}
        return found | ({"new"} if new.serial in html else set())

    assert serials(status="revoked") == {"b"}
    assert serials(status="replaced") == {"c"}
    assert serials(status="valid") == {"a", "a_old", "new"}


def test_list_bad_year_and_unknown_commune_warn(client, auth, world):
    auth.login("tinh")
    html = _html(client.get("/certificates/", query_string={"year": "abc", "commune": "KHONGCO"}))
    assert "Năm «abc» không hợp lệ" in html
    assert "Không tìm thấy đơn vị có mã «KHONGCO»" in html
    assert world["certs"]["b"].serial in html


def test_list_is_paginated(client, auth, db, world, make_certificate):
    for _ in range(25):
        make_certificate(world["people"]["c"], issued_on=dt.date(2024, 1, 1))
    db.session.commit()
    auth.login("tinh")
    html = _html(client.get("/certificates/"))
    assert "Trang 1/2" in html and "29 bản ghi" in html
    assert "Trang 2/2" in _html(client.get("/certificates/?page=2"))


def _csv(r):
    text = r.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_export(client, auth, db, world, tree):
    certs = world["certs"]
    services.revoke(certs["b"], "Cấp nhầm người", on=dt.date(2026, 3, 2))
    db.session.commit()
    auth.login("tinh")
    r = client.get("/certificates/export.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    rows = _csv(r)
    assert rows[0] == ["Số hiệu", "Họ và tên", "Năm sinh", "Chương trình", "Ngày cấp", "Đơn vị cấp", "Xã", "Thôn",
                       "Trạng thái", "Ngày thu hồi", "Lý do thu hồi", "Nguồn"]
    by_serial = {row[0]: row for row in rows[1:]}
    assert len(by_serial) == 4
    a = by_serial[certs["a"].serial]
    assert a[1:9] == ["Nguyễn Thị Ngọc Hường", "1971", certs["a"].program_title, "01/02/2026", certs["a"].issuer_name,
                      "Phường An Hòa", "Khu vực 1", "Còn hiệu lực"]
    assert a[11] == "Học trực tuyến"
    b = by_serial[certs["b"].serial]
    assert b[6:11] == ["Phường Thới Bình", "Khu vực 3", "Đã thu hồi", "02/03/2026", "Cấp nhầm người"]
    c = by_serial[certs["c"].serial]
    assert c[6:8] == ["Phường An Hòa", ""]  # registered at the commune itself


def test_csv_export_uses_the_same_filters(client, auth, world, tree):
    auth.login("tinh")
    rows = _csv(client.get("/certificates/export.csv", query_string={"commune": tree.C2.code}))
    assert [row[0] for row in rows[1:]] == [world["certs"]["b"].serial]
    rows = _csv(client.get("/certificates/export.csv", query_string={"program": "thv"}))
    assert [row[0] for row in rows[1:]] == [world["certs"]["a_old"].serial]


# --------------------------------------------------------------------------- revoke


def test_revoke_needs_a_reason_and_confirmation(client, auth, db, world):
    cert = world["certs"]["a"]
    auth.login("cb-c1")
    page = client.get(f"/certificates/{cert.id}/revoke")
    html = _html(page)
    assert page.status_code == 200 and "Lý do thu hồi" in html and 'value="2026-03-10"' in html
    token = csrf_token(html)
    r = client.post(f"/certificates/{cert.id}/revoke", data={"csrf_token": token, "reason": "  ", "revoked_on": "2026-03-10", "confirm": "1"})
    assert r.status_code == 200 and "Hãy nêu lý do thu hồi." in _html(r)
    r = client.post(f"/certificates/{cert.id}/revoke", data={"csrf_token": token, "reason": "Sai tên", "revoked_on": "2026-03-10"})
    assert "Hãy đánh dấu ô xác nhận để tiếp tục." in _html(r)
    r = client.post(f"/certificates/{cert.id}/revoke", data={"csrf_token": token, "reason": "Sai tên", "revoked_on": "2026-04-01", "confirm": "1"})
    assert "Ngày thu hồi không được sau ngày hôm nay." in _html(r)
    r = client.post(f"/certificates/{cert.id}/revoke", data={"csrf_token": token, "reason": "Sai tên", "revoked_on": "2026-01-01", "confirm": "1"})
    assert "Ngày thu hồi không được trước ngày cấp." in _html(r)
    db.session.expire_all()
    assert db.session.get(Certificate, cert.id).revoked_on is None


def test_revoke_records_reason_date_and_audit(client, auth, db, world):
    cert = world["certs"]["a"]
    auth.login("cb-c1")
    token = csrf_token(_html(client.get(f"/certificates/{cert.id}/revoke")))
    r = client.post(
        f"/certificates/{cert.id}/revoke",
        data={"csrf_token": token, "reason": "Cấp nhầm người", "revoked_on": "05/03/2026", "confirm": "y"},
    )
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/certificates/{cert.id}")
    db.session.expire_all()
    cert = db.session.get(Certificate, cert.id)
    assert cert.revoked_on == dt.date(2026, 3, 5) and cert.revoke_reason == "Cấp nhầm người"
    assert cert.revoked_by_id == world["users"]["officer"].id
    log = db.session.query(AuditLog).filter_by(entity="certificate", entity_id=cert.id, action="revoke").one()
    assert log.actor == "cb-c1"
    # figures stop counting it from that date
    assert db.session.query(Certificate).filter(Certificate.id == cert.id, Certificate.valid_on(dt.date(2026, 3, 4))).count() == 1
    assert db.session.query(Certificate).filter(Certificate.id == cert.id, Certificate.valid_on(dt.date(2026, 3, 5))).count() == 0
    html = _html(client.get(f"/certificates/{cert.id}"))
    assert "Đã thu hồi (05/03/2026)" in html and "Cấp nhầm người" in html and "/revoke" not in html
    # a second revoke is refused
    r = client.get(f"/certificates/{cert.id}/revoke", follow_redirects=True)
    assert "đã bị thu hồi" in _html(r)


# --------------------------------------------------------------------------- re-issue


def test_reissue_gives_a_new_serial_and_marks_the_old_replaced(client, auth, db, world):
    cert = world["certs"]["a"]
    auth.login("cb-c1")
    html = _html(client.get(f"/certificates/{cert.id}/reissue"))
    assert 'value="Nguyễn Thị Ngọc Hường"' in html
    token = csrf_token(html)
    r = client.post(
        f"/certificates/{cert.id}/reissue",
        data={"csrf_token": token, "holder_name": "Nguyễn Thị Ngọc Hương", "holder_birth_year": "1972", "confirm": "y"},
    )
    assert r.status_code == 302
    db.session.expire_all()
    old = db.session.get(Certificate, cert.id)
    new = db.session.get(Certificate, old.replaced_by_id)
    assert r.headers["Location"].endswith(f"/certificates/{new.id}")
    assert new.serial != old.serial and new.holder_name == "Nguyễn Thị Ngọc Hương" and new.holder_birth_year == 1972
    assert old.status == "replaced" and new.status == "valid"
    html = _html(client.get(f"/certificates/{new.id}"))
    assert "Cấp lại thay cho giấy chứng nhận" in html and old.serial in html
    html = _html(client.get(f"/certificates/{old.id}"))
    assert "Đã được thay thế" in html and new.serial in html
    # re-issuing the old one again is refused
    assert "hãy cấp lại từ bản mới nhất" in _html(client.get(f"/certificates/{old.id}/reissue", follow_redirects=True))


def test_reissue_requires_a_name(client, auth, db, world):
    cert = world["certs"]["a"]
    auth.login("cb-c1")
    token = csrf_token(_html(client.get(f"/certificates/{cert.id}/reissue")))
    r = client.post(f"/certificates/{cert.id}/reissue", data={"csrf_token": token, "holder_name": "", "confirm": "y"})
    assert "Hãy nhập họ và tên." in _html(r)
    assert db.session.query(Certificate).count() == 4


# --------------------------------------------------------------------------- past trainings


def test_record_external(client, auth, db, world):
    person = world["people"]["a"]
    auth.login("cb-c1")
    html = _html(client.get(f"/certificates/external/{person.id}"))
    assert "Ghi nhận giấy chứng nhận cấp ngoài hệ thống" in html and '<option value="hgv">' in html
    assert world["certs"]["a"].serial in html  # existing certificates are listed
    token = csrf_token(html)
    r = client.post(
        f"/certificates/external/{person.id}",
        data={"csrf_token": token, "program_code": "hgv", "issued_on": "2023-05-20", "external_serial": "123/GCN-STP",
              "issuer": "Sở Tư pháp thành phố Cần Thơ", "basis": "Lớp tập huấn tháng 5/2023"},
    )
    assert r.status_code == 302
    cert = db.session.query(Certificate).filter_by(external_serial="123/GCN-STP").one()
    assert r.headers["Location"].endswith(f"/certificates/{cert.id}")
    assert cert.source == "external" and cert.issued_on == dt.date(2023, 5, 20) and cert.person_id == person.id
    assert cert.issuer_name == "Sở Tư pháp thành phố Cần Thơ" and cert.basis == "Lớp tập huấn tháng 5/2023"
    assert cert.created_by_id == world["users"]["officer"].id
    html = _html(client.get(f"/certificates/{cert.id}"))
    assert "Cấp ngoài hệ thống (giấy)" in html and "123/GCN-STP" in html


def test_record_external_errors(client, auth, db, world):
    person = world["people"]["a"]
    auth.login("cb-c1")
    token = csrf_token(_html(client.get(f"/certificates/external/{person.id}")))
    r = client.post(f"/certificates/external/{person.id}", data={"csrf_token": token, "program_code": "", "issued_on": ""})
    html = _html(r)
    assert "Hãy chọn chương trình." in html and "Hãy nhập ngày cấp" in html
    r = client.post(f"/certificates/external/{person.id}", data={"csrf_token": token, "program_code": "hgv", "issued_on": "2026-12-01"})
    assert "Ngày cấp không được sau ngày hôm nay." in _html(r)
    r = client.post(f"/certificates/external/{person.id}", data={"csrf_token": token, "program_code": "xyz", "issued_on": "2026-01-01"})
    assert "Lựa chọn không hợp lệ." in _html(r)
    assert db.session.query(Certificate).count() == 4


# --------------------------------------------------------------------------- settings


def test_province_admin_edits_settings(client, auth, db, world, tree):
    auth.login("tinh")
    html = _html(client.get("/certificates/settings"))
    assert "Mẫu giấy chứng nhận – Thành phố Cần Thơ" in html and 'value="SỞ TƯ PHÁP CẦN THƠ"' in html
    token = csrf_token(html)
    data = {"csrf_token": token, "serial_prefix": "ct", "issuer_name": "SỞ TƯ PHÁP THÀNH PHỐ CẦN THƠ", "issuer_parent": "",
            "signer_title": "KT. GIÁM ĐỐC", "signer_name": "", "place": "Cần Thơ"}
    r = client.post("/certificates/settings", data=data)
    assert r.status_code == 302
    db.session.expire_all()
    s = db.session.get(CertificateSettings, tree.P.id)
    assert (s.serial_prefix, s.issuer_name, s.issuer_parent, s.signer_title, s.signer_name) == ("CT", "SỞ TƯ PHÁP THÀNH PHỐ CẦN THƠ", "", "KT. GIÁM ĐỐC", "")
    r = client.post("/certificates/settings", data={**data, "serial_prefix": "C T!"})
    assert "Tiền tố số hiệu chỉ gồm chữ cái và chữ số." in _html(r)
    r = client.post("/certificates/settings", data={**data, "issuer_name": ""})
    assert "Hãy nhập tên cơ quan cấp." in _html(r)
    db.session.expire_all()
    assert db.session.get(CertificateSettings, tree.P.id).serial_prefix == "CT"


def test_system_admin_chooses_a_province(client, auth, world, tree):
    auth.login("root")
    html = _html(client.get("/certificates/settings"))
    assert "Thành phố Cần Thơ" in html and "Tỉnh Sóc Trăng" in html
    html = _html(client.get("/certificates/settings?unit=94"))
    assert "Mẫu giấy chứng nhận – Tỉnh Sóc Trăng" in html
    assert client.get(f"/certificates/settings?unit={tree.C1.code}").status_code == 404


@pytest.mark.parametrize("username", ["huyen", "cb-c1", "thv", "hgv-a"])
def test_settings_only_for_province_and_system_admins(client, auth, world, username):
    auth.login(username)
    assert client.get("/certificates/settings").status_code == 403


def test_person_page_lists_certificates_and_offers_past_record(client, auth, db, tree, make_user, make_person, make_certificate):
    from lms.core.roles import Role

    person = make_person(tree.V1, name="Lò Thị Ửng")
    cert = make_certificate(person)
    officer = make_user(Role.COMMUNE_OFFICER, tree.C1)
    db.session.commit()
    auth.login(officer.username)
    html = client.get(f"/org/people/{person.id}").get_data(as_text=True)
    assert cert.serial in html and "Còn hiệu lực" in html
    assert f"/certificates/external/{person.id}" in html
