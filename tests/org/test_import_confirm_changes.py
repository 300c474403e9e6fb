"""Changes a units file makes to existing units (a rename): listed, and applied only when confirmed, on the command line
(``--confirm-changes``) and on the web (the check lists them; the officer ticks that they agree)."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from lms.core.models import Job
from lms.core.roles import Role
from lms.org.models import Unit
from tests.conftest import csrf_token
from tests.fixtures.imports import build_file

RENAME = [{"Mã": "31120", "Tên": "Phường Cái Khế", "Cấp": "phường", "Mã cấp trên": "916"}]
LISTED = "Dòng 2: Phường Thới Bình (31120) — Tên: «Phường Thới Bình» → «Phường Cái Khế»"
ROW = "<td>Phường Thới Bình (31120)</td><td>Tên</td><td>Phường Thới Bình</td><td>Phường Cái Khế</td>"
CHECKBOX = "Tôi đã kiểm tra và đồng ý các thay đổi trên"


def name_of(db, code):
    db.session.remove()
    return db.session.scalar(select(Unit.name).where(Unit.code == code))


# --------------------------------------------------------------------------- CLI


def test_cli_lists_the_rename_and_applies_it_only_with_confirm_changes(runner, db, tree, freeze, tmp_path):
    freeze("2026-03-01")
    db.session.commit()
    path = tmp_path / "don-vi.xlsx"
    path.write_bytes(build_file(RENAME))

    for args in ([], ["--dry-run"]):
        result = runner.invoke(args=["lms", "units", "import", str(path), *args])
        assert result.exit_code == 1, result.output
        assert LISTED in result.output
        assert "Có 1 thay đổi đơn vị đã có cần xác nhận: chạy lại với --confirm-changes để áp dụng." in result.output
        assert name_of(db, "31120") == "Phường Thới Bình"

    result = runner.invoke(args=["lms", "units", "import", str(path), "--dry-run", "--confirm-changes"])
    assert result.exit_code == 0, result.output
    assert LISTED in result.output and "--confirm-changes để áp dụng" not in result.output
    assert name_of(db, "31120") == "Phường Thới Bình"

    result = runner.invoke(args=["lms", "units", "import", str(path), "--confirm-changes"])
    assert result.exit_code == 0, result.output
    assert "Đã nhập 1 dòng." in result.output and LISTED in result.output
    assert name_of(db, "31120") == "Phường Cái Khế"


def test_cli_help_names_the_flag(runner):
    result = runner.invoke(args=["lms", "units", "import", "--help"])
    assert result.exit_code == 0 and "--confirm-changes" in result.output


# --------------------------------------------------------------------------- web


@pytest.fixture
def officer(app, db, tree, make_user, auth, freeze, tmp_path, monkeypatch):
    freeze("2026-03-01")
    monkeypatch.setitem(app.config, "IMPORT_UPLOAD_DIR", str(tmp_path / "uploads"))
    user = make_user(Role.PROVINCE_ADMIN, tree.P)
    db.session.commit()
    auth.login(user.username)
    return user


def check(client, rows):
    page = client.get("/org/imports")
    data = {"csrf_token": csrf_token(page.get_data(as_text=True)), "units-file": (io.BytesIO(build_file(rows)), "don-vi.xlsx")}
    return client.post("/org/imports/units", data=data, content_type="multipart/form-data", follow_redirects=True)


def hidden(html, name):
    return html.split(f'name="{name}" type="hidden" value="', 1)[1].split('"', 1)[0]


def confirm(client, html, ticked):
    data = {"csrf_token": csrf_token(html), "token": hidden(html, "token"), "job": hidden(html, "job")}
    if ticked:
        data["confirm_changes"] = "y"
    return client.post("/org/imports/units/run", data=data, follow_redirects=True)


def test_the_check_lists_the_changes_and_offers_to_confirm_them(client, officer, db):
    resp = check(client, RENAME)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, html
    assert "Tệp hợp lệ, nhưng có 1 thay đổi đối với đơn vị đã có" in html and "Chưa có dữ liệu nào được ghi" in html
    assert "<th>Đơn vị</th><th>Trường</th><th>Trước</th><th>Sau</th>" in html and ROW in html
    assert 'action="/org/imports/units/run"' in html and CHECKBOX in html and 'name="confirm_changes"' in html
    assert "Các dòng bị lỗi" not in html  # the changes are the only "errors": listed once, as changes
    assert name_of(db, "31120") == "Phường Thới Bình"


def test_confirming_with_the_box_ticked_applies_the_rename(client, officer, db):
    html = check(client, RENAME).get_data(as_text=True)
    done = confirm(client, html, ticked=True)
    page = done.get_data(as_text=True)
    assert done.status_code == 200 and "Đã nhập 1 dòng" in page, page
    assert "Các thay đổi đã áp dụng cho đơn vị đã có" in page and ROW in page
    run = db.session.scalar(select(Job).order_by(Job.id.desc()))
    assert run.params["confirm_changes"] is True and run.result["confirmed"] is True
    assert name_of(db, "31120") == "Phường Cái Khế"


def test_without_the_box_ticked_the_page_asks_again_and_nothing_changes(client, officer, db, tmp_path):
    html = check(client, RENAME).get_data(as_text=True)
    jobs_before = db.session.scalar(select(Job.id).order_by(Job.id.desc()))
    resp = confirm(client, html, ticked=False)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Hãy đánh dấu đồng ý các thay đổi trước khi nhập." in page and ROW in page and CHECKBOX in page
    assert db.session.scalar(select(Job.id).order_by(Job.id.desc())) == jobs_before  # no import started
    assert len(list((tmp_path / "uploads").iterdir())) == 1  # the file can still be confirmed
    assert name_of(db, "31120") == "Phường Thới Bình"

    # the same form without the check's job (an old page): the import runs unconfirmed and fails, writing nothing
    data = {"csrf_token": csrf_token(html), "token": hidden(html, "token")}
    failed = client.post("/org/imports/units/run", data=data, follow_redirects=True)
    text = failed.get_data(as_text=True)
    assert failed.status_code == 422
    assert "Các thay đổi đơn vị đã có chưa được đồng ý nên không có dữ liệu nào được ghi." in text and CHECKBOX in text
    assert name_of(db, "31120") == "Phường Thới Bình"
    # ... and may then be confirmed from that page
    done = confirm(client, text, ticked=True)
    assert "Đã nhập 1 dòng" in done.get_data(as_text=True)
    assert name_of(db, "31120") == "Phường Cái Khế"


def test_a_job_of_another_file_is_not_found(client, officer, db):
    first = check(client, RENAME).get_data(as_text=True)
    second = check(client, RENAME).get_data(as_text=True)
    data = {"csrf_token": csrf_token(second), "token": hidden(second, "token"), "job": hidden(first, "job"), "confirm_changes": "y"}
    assert client.post("/org/imports/units/run", data=data).status_code == 404
    assert name_of(db, "31120") == "Phường Thới Bình"
