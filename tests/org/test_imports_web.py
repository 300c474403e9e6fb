"""Import screens (template, upload + dry run, confirm) and the ``flask lms ... import`` commands."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from lms.core.models import Job
from lms.core.roles import Role
from lms.org import imports
from lms.org.imports import engine
from lms.org.models import MediatorMembership, Person, Unit
from tests.conftest import csrf_token
from tests.fixtures.imports import build_file

ROWS = [
    {"Họ và tên": "Nguyễn Thị Lan", "Giới tính": "Nữ", "Năm sinh": 1975, "Mã thôn": "31117-01", "Ngày công nhận": "15/01/2025"},
    {"Họ và tên": "Trần Văn Bình", "Giới tính": "Nam", "Năm sinh": 1968, "Mã thôn": "31117-02", "Ngày công nhận": 45678},
]
BAD = [ROWS[0], {**ROWS[1], "Mã thôn": "31120-01"}, {**ROWS[1], "Họ và tên": None}]


@pytest.fixture
def officer(app, db, tree, make_user, auth, freeze, tmp_path, monkeypatch):
    freeze("2026-03-01")
    monkeypatch.setitem(app.config, "IMPORT_UPLOAD_DIR", str(tmp_path / "uploads"))
    user = make_user(Role.COMMUNE_OFFICER, tree.C1)
    db.session.commit()
    auth.login(user.username)
    return user


def memberships(db):
    return db.session.scalar(select(func.count(MediatorMembership.id)))


def upload(client, kind, rows, fmt="xlsx"):
    page = client.get("/org/imports")
    token = csrf_token(page.get_data(as_text=True))
    data = {"csrf_token": token, f"{kind}-file": (io.BytesIO(build_file(rows, fmt=fmt)), f"danh-sach.{fmt}")}
    return client.post(f"/org/imports/{kind}", data=data, content_type="multipart/form-data", follow_redirects=True)


def test_index_lists_the_four_kinds_with_templates(client, officer):
    html = client.get("/org/imports").get_data(as_text=True)
    for title in ("Đơn vị hành chính", "Hòa giải viên", "Tập huấn viên", "Người hỗ trợ pháp lý"):
        assert title in html
    assert "Kiểm tra (chạy thử)" in html and 'enctype="multipart/form-data"' in html and "Đang xử lý…" in html
    assert 'href="/org/imports"' in html and "Nhập dữ liệu" in html  # the menu entry
    for kind in imports.KINDS:
        assert f"/org/imports/{kind}/template.xlsx" in html


@pytest.mark.parametrize("kind", sorted(imports.KINDS))
def test_templates_download_with_the_vietnamese_headers(client, officer, kind):
    resp = client.get(f"/org/imports/{kind}/template.xlsx")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(resp.data), read_only=True).worksheets[0]
    header = next(ws.iter_rows(values_only=True))
    assert list(header) == [c.header for c in imports.KINDS[kind].columns]
    csv_resp = client.get(f"/org/imports/{kind}/template.csv")
    assert csv_resp.status_code == 200
    assert csv_resp.data.decode("utf-8-sig").splitlines()[0].split(",")[0] == imports.KINDS[kind].columns[0].header
    assert client.get(f"/org/imports/{kind}/template.pdf").status_code == 404
    assert client.get("/org/imports/nothing/template.xlsx").status_code == 404


def test_check_then_import(client, officer, db, tmp_path):
    resp = upload(client, "mediators", ROWS)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, html
    assert "Tệp hợp lệ: 2 dòng." in html and "Nhập dữ liệu" in html
    assert memberships(db) == 0  # a dry run writes nothing
    token = csrf_token(html)
    file_token = html.split('name="token" type="hidden" value="', 1)[1].split('"', 1)[0]
    assert len(list((tmp_path / "uploads").iterdir())) == 1

    done = client.post("/org/imports/mediators/run", data={"csrf_token": token, "token": file_token}, follow_redirects=True)
    assert done.status_code == 200
    assert "Đã nhập 2 dòng" in done.get_data(as_text=True)
    assert memberships(db) == 2
    assert list((tmp_path / "uploads").iterdir()) == []  # cleaned up
    # the same token cannot be used twice
    assert client.post("/org/imports/mediators/run", data={"csrf_token": token, "token": file_token}).status_code == 404


def test_bad_file_lists_every_bad_row_and_writes_nothing(client, officer, db):
    resp = upload(client, "mediators", BAD, fmt="csv")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Tệp có 2 lỗi ở 2 dòng" in html and "Không có dữ liệu nào được ghi" in html
    assert "<td class=\"text-end\">3</td><td>Mã thôn</td><td>đơn vị ngoài phạm vi quản lý của bạn («31120-01»)</td>" in html
    assert "<td class=\"text-end\">4</td><td>Họ và tên</td><td>thiếu họ và tên</td>" in html
    assert 'action="/org/imports/mediators/run"' not in html
    assert memberships(db) == 0 and db.session.scalar(select(func.count(Person.id))) == 0
    link = html.split("/errors.csv")[0].rsplit('href="', 1)[1] + "/errors.csv"
    errors = client.get(link)
    assert errors.status_code == 200
    lines = errors.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "Dòng,Cột,Lỗi" and lines[1].startswith("3,Mã thôn,") and lines[2] == "4,Họ và tên,thiếu họ và tên"


def test_missing_column_and_wrong_file_type(client, officer, db):
    resp = upload(client, "units", [{"Mã": "X1", "Tên": "Thôn X"}])
    assert resp.status_code == 422
    assert "Thiếu cột bắt buộc: «Cấp», «Mã cấp trên»" in resp.get_data(as_text=True)
    page = client.get("/org/imports")
    data = {"csrf_token": csrf_token(page.get_data(as_text=True)), "units-file": (io.BytesIO(b"%PDF"), "ds.pdf")}
    resp = client.post("/org/imports/units", data=data, content_type="multipart/form-data")
    assert resp.status_code == 400 and "Chỉ nhận tệp .xlsx hoặc .csv." in resp.get_data(as_text=True)
    resp = client.post("/org/imports/units", data={"csrf_token": csrf_token(page.get_data(as_text=True))}, content_type="multipart/form-data")
    assert resp.status_code == 400 and "Hãy chọn tệp cần nhập." in resp.get_data(as_text=True)


def test_a_file_token_belongs_to_its_uploader(client, officer, db, auth, make_user, tree):
    html = upload(client, "mediators", ROWS).get_data(as_text=True)
    file_token = html.split('name="token" type="hidden" value="', 1)[1].split('"', 1)[0]
    auth.logout()
    other = make_user(Role.PROVINCE_ADMIN, tree.P)
    db.session.commit()
    auth.login(other.username)
    token = csrf_token(client.get("/org/imports").get_data(as_text=True))
    assert client.post("/org/imports/mediators/run", data={"csrf_token": token, "token": file_token}).status_code == 404
    assert client.get(f"/org/imports/mediators/{file_token}/errors.csv").status_code == 404
    assert client.get("/org/imports/mediators/..%2F..%2Fsecret/errors.csv").status_code == 404
    assert memberships(db) == 0


def test_only_officers(client, db, tree, make_user, auth):
    user = make_user(Role.TRAINER, tree.P)
    db.session.commit()
    auth.login(user.username)
    denied = client.get("/org/imports")
    assert denied.status_code == 403
    assert 'href="/org/imports"' not in denied.get_data(as_text=True)  # no menu entry either
    assert client.get("/org/imports/units/template.xlsx").status_code == 403


# --------------------------------------------------------------------------- CLI


def write(tmp_path, name, rows, fmt="xlsx"):
    path = tmp_path / f"{name}.{fmt}"
    path.write_bytes(build_file(rows, fmt=fmt))
    return str(path)


def test_cli_dry_run_import_and_reimport(runner, db, tree, freeze, tmp_path):
    freeze("2026-03-01")
    db.session.commit()
    path = write(tmp_path, "hgv", ROWS)
    result = runner.invoke(args=["lms", "mediators", "import", path, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Chạy thử: 2 dòng hợp lệ" in result.output and "sẽ tạo mới 2" in result.output
    assert memberships(db) == 0
    result = runner.invoke(args=["lms", "mediators", "import", path])
    assert result.exit_code == 0, result.output
    assert "Đã nhập 2 dòng." in result.output
    db.session.remove()
    assert memberships(db) == 2
    result = runner.invoke(args=["lms", "mediators", "import", path])
    assert result.exit_code == 0 and "tạo mới 0, cập nhật 0, không đổi 2" in result.output


def test_cli_bad_file_exits_non_zero_with_each_row(runner, db, tree, freeze, tmp_path):
    freeze("2026-03-01")
    db.session.commit()
    path = write(tmp_path, "dv", [{"Mã": "31999", "Tên": "Xã Mới", "Cấp": "xã", "Mã cấp trên": "77"},
                                  {"Mã": "31998", "Tên": "Xã Mới 2", "Cấp": "xã", "Mã cấp trên": "92", "Hiệu lực từ": "31/04/2025"}], fmt="csv")
    result = runner.invoke(args=["lms", "units", "import", path])
    assert result.exit_code == 1
    assert "Dòng 2, cột «Mã cấp trên»: không có đơn vị mã «77»" in result.output
    assert "Dòng 3, cột «Hiệu lực từ»: ngày không có thật: «31/04/2025»" in result.output
    db.session.remove()
    assert db.session.scalar(select(func.count(Unit.id)).where(Unit.code.in_(["31999", "31998"]))) == 0


@pytest.mark.parametrize("kind", ["trainers", "supporters"])
def test_cli_groups_exist(runner, kind):
    result = runner.invoke(args=["lms", kind, "import", "--help"])
    assert result.exit_code == 0 and "--dry-run" in result.output


# --------------------------------------------------------------------------- background jobs


def test_check_and_import_run_as_jobs_that_keep_their_result(client, officer, db, monkeypatch):
    from lms.core import jobs
    from lms.core.models import AuditLog, Job

    reports = []
    monkeypatch.setattr(engine, "CHUNK", 1)
    monkeypatch.setattr(jobs, "report", lambda row, done, total=None: reports.append((row.params["dry_run"], done, total)))
    page = client.get("/org/imports")
    data = {"csrf_token": csrf_token(page.get_data(as_text=True)), "mediators-file": (io.BytesIO(build_file(ROWS)), "ds.xlsx")}
    resp = client.post("/org/imports/mediators", data=data, content_type="multipart/form-data")
    check = db.session.scalar(select(Job).order_by(Job.id.desc()))
    assert resp.status_code == 302 and resp.headers["Location"] == f"/org/imports/jobs/{check.id}"
    assert (check.kind, check.status, check.user_id, check.params["dry_run"]) == ("import", "done", officer.id, True)
    assert check.result["rows"] == 2 and check.result["counts"]["membership"] == [2, 0, 0] and check.result["errors"] == []
    assert reports == [(True, 1, 2), (True, 2, 2)]  # after every chunk of rows
    assert memberships(db) == 0

    html = client.get(f"/org/imports/jobs/{check.id}").get_data(as_text=True)
    file_token = html.split('name="token" type="hidden" value="', 1)[1].split('"', 1)[0]
    resp = client.post("/org/imports/mediators/run", data={"csrf_token": csrf_token(html), "token": file_token})
    run = db.session.scalar(select(Job).order_by(Job.id.desc()))
    assert resp.headers["Location"] == f"/org/imports/jobs/{run.id}" and run.id != check.id
    assert run.status == "done" and run.result["dry_run"] is False and run.result["counts"]["person"] == [2, 0, 0]
    assert memberships(db) == 2
    done = client.get(f"/org/imports/jobs/{run.id}").get_data(as_text=True)
    assert "Đã nhập 2 dòng (hòa giải viên)." in done and "Lượt công nhận hòa giải viên: tạo mới 2" in done
    # the audit rows name the officer who uploaded, not "cli"
    assert set(db.session.scalars(select(AuditLog.actor).where(AuditLog.entity == "person"))) == {officer.username}


def test_a_failing_file_writes_nothing_and_its_job_keeps_every_bad_row(client, officer, db):
    from lms.core.models import Job

    rows = [ROWS[0], *({**ROWS[1], "Họ và tên": None, "Số điện thoại": f"09120000{i:02d}"} for i in range(12))]
    resp = upload(client, "mediators", rows)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Tệp có 12 lỗi ở 12 dòng" in html and 'action="/org/imports/mediators/run"' not in html
    job = db.session.scalar(select(Job).order_by(Job.id.desc()))
    assert job.result["error_total"] == 12 and job.result["errors"][0] == [3, "Họ và tên", "thiếu họ và tên"]
    assert memberships(db) == 0 and db.session.scalar(select(func.count(Person.id))) == 0  # not even the good row


def test_a_running_job_shows_its_progress_and_refreshes_itself(client, officer, db, tmp_path):
    from lms.core.models import Job

    job = Job(kind="import", status="running", done=4000, total=100000, user_id=officer.id,
              params={"kind": "mediators", "path": str(tmp_path / "x.xlsx"), "filename": "ds.xlsx", "token": "t", "dry_run": False})
    db.session.add(job)
    db.session.commit()
    resp = client.get(f"/org/imports/jobs/{job.id}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert '<meta http-equiv="refresh" content="2">' in html and "Đang nhập dữ liệu" in html
    assert "đã xử lý 4.000/100.000 dòng" in html and "4%" in html
    assert client.get(f"/org/imports/jobs/{job.id}/errors.csv").status_code == 404  # no result yet
    job.status = "failed"
    db.session.commit()
    html = client.get(f"/org/imports/jobs/{job.id}").get_data(as_text=True)
    assert "lỗi hệ thống" in html and "Không có dữ liệu nào được ghi" in html and 'http-equiv="refresh"' not in html


def test_another_users_job_is_not_found(client, officer, db, auth, make_user, tree):
    from lms.core.models import Job

    upload(client, "mediators", ROWS)
    job = db.session.scalar(select(Job).order_by(Job.id.desc()))
    auth.logout()
    other = make_user(Role.COMMUNE_OFFICER, tree.C1)
    db.session.commit()
    auth.login(other.username)
    assert client.get(f"/org/imports/jobs/{job.id}").status_code == 404
    assert client.get(f"/org/imports/jobs/{job.id}/errors.csv").status_code == 404


def test_a_file_confirmed_twice_at_once_is_imported_once(client, officer, db, tmp_path):
    """The second confirmation finds the file claimed by the first (a double click, two tabs): no second import."""
    html = upload(client, "mediators", ROWS).get_data(as_text=True)
    token = csrf_token(html)
    file_token = html.split('name="token" type="hidden" value="', 1)[1].split('"', 1)[0]
    (stored,) = (tmp_path / "uploads").iterdir()
    (stored.parent / (stored.name + ".claimed")).touch()  # the first confirmation, still running
    jobs_before = db.session.scalar(select(func.count(Job.id)))
    resp = client.post("/org/imports/mediators/run", data={"csrf_token": token, "token": file_token}, follow_redirects=True)
    assert resp.status_code == 200 and "Tệp này đang được nhập" in resp.get_data(as_text=True)
    assert memberships(db) == 0 and db.session.scalar(select(func.count(Job.id))) == jobs_before
    (stored.parent / (stored.name + ".claimed")).unlink()  # the first one failed: the file may be confirmed again
    done = client.post("/org/imports/mediators/run", data={"csrf_token": token, "token": file_token}, follow_redirects=True)
    assert "Đã nhập 2 dòng" in done.get_data(as_text=True) and memberships(db) == 2
    assert list((tmp_path / "uploads").iterdir()) == []  # the file and its claim are gone


def test_a_failed_import_releases_its_claim(client, officer, db, tmp_path, monkeypatch):
    html = upload(client, "mediators", ROWS).get_data(as_text=True)
    token = csrf_token(html)
    file_token = html.split('name="token" type="hidden" value="', 1)[1].split('"', 1)[0]
    from lms.org.imports import jobs as import_jobs

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(import_jobs, "run_import", broken)
    client.post("/org/imports/mediators/run", data={"csrf_token": token, "token": file_token})
    assert [p.name.endswith(".claimed") for p in (tmp_path / "uploads").iterdir()] == [False]  # the file stays, unclaimed
    assert memberships(db) == 0
