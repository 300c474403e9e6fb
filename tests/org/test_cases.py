"""Mediation case statistics: the service, the commune grid, the "cases" import kind (web and CLI),
and the province admin's pilot / model-commune flags on a commune."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from sqlalchemy import func, select

from lms.core.errors import ServiceError
from lms.core.models import AuditLog
from lms.core.roles import Role
from lms.org import imports
from lms.org.models import CaseStat, Team, Unit
from lms.org.services import cases, roster
from tests.conftest import csrf_token
from tests.fixtures.imports import build_file


def stats(db) -> list[tuple]:
    rows = db.session.execute(
        select(CaseStat.team_id, CaseStat.year, CaseStat.quarter, CaseStat.received, CaseStat.successful, CaseStat.unsuccessful, CaseStat.open)
        .order_by(CaseStat.team_id, CaseStat.year, CaseStat.quarter)
    )
    return [tuple(r) for r in rows]


def audit_rows(db, action=None) -> int:
    stmt = select(func.count(AuditLog.id)).where(AuditLog.entity == "case_stat")
    if action:
        stmt = stmt.where(AuditLog.action == action)
    return db.session.scalar(stmt)


def login_as(auth, make_user, db, role, unit):
    user = make_user(role, unit)
    db.session.commit()
    auth.login(user.username)
    return user


# --------------------------------------------------------------------------- the service


def test_save_quarter_creates_updates_and_is_idempotent(db, tree, freeze):
    freeze("2026-03-01")
    saved = cases.save_quarter(tree.T1, 2025, 4, received=10, successful=7, unsuccessful=2, open=1)
    assert saved.action == "created"
    assert stats(db) == [(tree.T1.id, 2025, 4, 10, 7, 2, 1)]
    create = db.session.scalar(select(AuditLog).where(AuditLog.entity == "case_stat", AuditLog.action == "create"))
    assert create.entity_id == saved.stat.id and create.changes["received"] == [None, 10]

    again = cases.save_quarter(tree.T1, 2025, 4, received=10, successful=7, unsuccessful=2, open=1)
    assert again.action == "unchanged" and again.stat.id == saved.stat.id
    assert audit_rows(db) == 1  # nothing changed, nothing audited

    changed = cases.save_quarter(tree.T1, 2025, 4, received=11, successful=8, unsuccessful=2, open=1)
    assert changed.action == "updated"
    assert stats(db) == [(tree.T1.id, 2025, 4, 11, 8, 2, 1)]
    update = db.session.scalar(select(AuditLog).where(AuditLog.entity == "case_stat", AuditLog.action == "update"))
    assert update.changes == {"received": [10, 11], "successful": [7, 8]}
    # the current quarter may be recorded (1/2026 on 01/03/2026)
    assert cases.save_quarter(tree.T1, 2026, 1, received=0, successful=0, unsuccessful=0, open=0).action == "created"


@pytest.mark.parametrize(
    ("args", "field", "message"),
    [
        ((2025, 4, 5, 3, 1, 0), "received", "Thành + Không thành + Đang giải quyết phải bằng Tiếp nhận."),
        ((2025, 4, -1, 0, 0, 0), "received", "«Tiếp nhận» phải là số nguyên không âm."),
        ((2025, 4, 2, 1, -1, 2), "unsuccessful", "«Không thành» phải là số nguyên không âm."),
        ((2025, 4, 2, 1.5, 0, 0), "successful", "«Thành» phải là số nguyên không âm."),
        ((2025, 4, 2, 1, 1, None), "open", "Thiếu số «Đang giải quyết»."),
        ((1999, 4, 0, 0, 0, 0), "year", "Năm phải là số nguyên từ 2000 đến 2026."),
        ((2027, 1, 0, 0, 0, 0), "year", "Năm phải là số nguyên từ 2000 đến 2026."),
        ((2025, 5, 0, 0, 0, 0), "quarter", "Quý phải là 1, 2, 3 hoặc 4."),
        ((2026, 2, 0, 0, 0, 0), "quarter", "Quý 2/2026 chưa đến: chỉ ghi được số liệu của quý hiện tại hoặc các quý đã qua."),
    ],
)
def test_save_quarter_refuses_bad_input_in_vietnamese(db, tree, freeze, args, field, message):
    freeze("2026-03-01")
    year, quarter, received, successful, unsuccessful, open_ = args
    with pytest.raises(ServiceError) as exc:
        cases.save_quarter(tree.T1, year, quarter, received, successful, unsuccessful, open_)
    assert exc.value.field == field and exc.value.message == message
    assert stats(db) == [] and audit_rows(db) == 0


def test_quarter_helpers():
    assert cases.quarter_bounds(2025, 1) == (dt.date(2025, 1, 1), dt.date(2025, 3, 31))
    assert cases.quarter_bounds(2024, 4) == (dt.date(2024, 10, 1), dt.date(2024, 12, 31))
    assert [cases.quarter_of(dt.date(2025, m, 1)) for m in (1, 3, 4, 6, 7, 9, 10, 12)] == [1, 1, 2, 2, 3, 3, 4, 4]
    assert cases.success_rate(17, 3) == 85.0 and cases.success_rate(0, 0) is None


# --------------------------------------------------------------------------- the grid


def grid_url(unit, year=2025, quarter=4):
    return f"/org/units/{unit.id}/cases?year={year}&quarter={quarter}"


def grid_data(html, **rows):
    """Form data for the grid: ``rows`` maps a team id to its four values (text)."""
    data = {"csrf_token": csrf_token(html)}
    for team_id, values in rows.items():
        for key, value in zip(cases.COUNT_FIELDS, values, strict=True):
            data[f"t{team_id}-{key}"] = value
    return data


def test_grid_lists_the_communes_teams_and_saves_all_rows(client, auth, db, tree, make_user, freeze):
    freeze("2026-03-01")
    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    unit_page = client.get(f"/org/units/{tree.C1.id}").get_data(as_text=True)
    assert "Thống kê vụ việc hòa giải" in unit_page and f"/org/units/{tree.C1.id}/cases" in unit_page
    assert "Thống kê vụ việc hòa giải" not in client.get(f"/org/units/{tree.V1.id}").get_data(as_text=True)

    resp = client.get(grid_url(tree.C1))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    for text in ("Quý 4/2025", "Tổ hòa giải Khu vực 1", "Tổ hòa giải Khu vực 2", "Tiếp nhận", "Thành", "Không thành", "Đang giải quyết"):
        assert text in html
    assert "Khu vực 3" not in html  # another commune's team
    assert html.count('inputmode="numeric"') == 8 and f'name="t{tree.T1.id}-received"' in html
    assert 'name="csrf_token"' in html

    data = grid_data(html, **{str(tree.T1.id): ("5", "3", "1", "1"), str(tree.T2.id): ("2", "2", "0", "0")})
    resp = client.post(grid_url(tree.C1), data=data)
    assert resp.status_code == 302 and "year=2025" in resp.headers["Location"] and "quarter=4" in resp.headers["Location"]
    db.session.expire_all()
    assert stats(db) == [(tree.T1.id, 2025, 4, 5, 3, 1, 1), (tree.T2.id, 2025, 4, 2, 2, 0, 0)]
    page = client.get(grid_url(tree.C1)).get_data(as_text=True)
    assert "Đã lưu số liệu quý 4/2025 của Phường An Hòa: 2 tổ mới nhập, 0 tổ cập nhật, 0 tổ không đổi." in page
    assert f'name="t{tree.T1.id}-received" value="5"' in page  # prefilled with what was saved
    assert "Tỷ lệ hòa giải thành quý 4/2025" in page and "83,3%" in page  # 5 / (5 + 1)

    # saving the same again changes nothing; a blank row keeps what is saved
    data = grid_data(page, **{str(tree.T1.id): ("5", "3", "1", "1"), str(tree.T2.id): ("", "", "", "")})
    client.post(grid_url(tree.C1), data=data)
    assert "0 tổ mới nhập, 0 tổ cập nhật, 1 tổ không đổi." in client.get(grid_url(tree.C1)).get_data(as_text=True)
    db.session.expire_all()
    assert len(stats(db)) == 2 and audit_rows(db) == 2


def test_grid_is_all_or_nothing_with_per_row_errors(client, auth, db, tree, make_user, freeze):
    freeze("2026-03-01")
    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    html = client.get(grid_url(tree.C1)).get_data(as_text=True)
    data = grid_data(html, **{str(tree.T1.id): ("5", "3", "1", "1"), str(tree.T2.id): ("4", "2", "1", "0")})
    resp = client.post(grid_url(tree.C1), data=data)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Có 1 dòng chưa đúng" in page and "Chưa lưu số liệu nào" in page
    assert "Tổ hòa giải Khu vực 2: Thành + Không thành + Đang giải quyết phải bằng Tiếp nhận." in page
    assert f'name="t{tree.T1.id}-received" value="5"' in page  # what was typed is kept
    db.session.expire_all()
    assert stats(db) == []

    data = grid_data(html, **{str(tree.T1.id): ("5", "3", "", "1"), str(tree.T2.id): ("-2", "0", "0", "0")})
    page = client.post(grid_url(tree.C1), data=data).get_data(as_text=True)
    assert "Có 2 dòng chưa đúng" in page
    assert "Thiếu số «Không thành» (nhập 0 nếu không có)." in page
    assert "«Tiếp nhận»: «-2» không phải là số nguyên không âm." in page
    assert page.count("text-end is-invalid") == 2
    db.session.expire_all()
    assert stats(db) == []


def test_grid_period_selector_and_future_quarter(client, auth, db, tree, make_user, freeze):
    freeze("2026-03-01")
    login_as(auth, make_user, db, Role.DISTRICT_ADMIN, tree.D)
    html = client.get(f"/org/units/{tree.C1.id}/cases").get_data(as_text=True)
    assert "Quý 1/2026" in html  # default: the current quarter
    assert '<option selected value="2026">2026</option>' in html and '<option value="2027">' not in html
    resp = client.get(grid_url(tree.C1, 2026, 2))
    page = resp.get_data(as_text=True)
    assert "Quý 2/2026 chưa đến" in page and "inputmode" not in page
    html = client.get(grid_url(tree.C1))
    data = grid_data(html.get_data(as_text=True), **{str(tree.T1.id): ("1", "1", "0", "0")})
    assert client.post(grid_url(tree.C1, 2026, 2), data=data).status_code == 422
    assert "không hợp lệ" in client.get(f"/org/units/{tree.C1.id}/cases?year=abc").get_data(as_text=True)
    db.session.expire_all()
    assert stats(db) == []


def test_grid_shows_teams_active_in_the_quarter(client, auth, db, tree, make_user, freeze):
    freeze("2026-03-01")
    old = roster.create_team(unit=tree.V1, name="Tổ hòa giải cũ")
    old.dissolved_on = dt.date(2025, 6, 30)
    new = roster.create_team(unit=tree.V2, name="Tổ hòa giải mới")
    new.established_on = dt.date(2026, 1, 10)
    db.session.flush()
    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    q4 = client.get(grid_url(tree.C1, 2025, 4)).get_data(as_text=True)
    assert "Tổ hòa giải cũ" not in q4 and "Tổ hòa giải mới" not in q4
    q2 = client.get(grid_url(tree.C1, 2025, 2)).get_data(as_text=True)
    assert "Tổ hòa giải cũ" in q2 and "đã giải thể" in q2
    assert "Tổ hòa giải mới" in client.get(grid_url(tree.C1, 2026, 1)).get_data(as_text=True)


def test_grid_access(client, auth, db, tree, make_user, freeze):
    freeze("2026-03-01")
    cases.save_quarter(tree.T4, 2025, 4, 3, 2, 1, 0)
    login_as(auth, make_user, db, Role.TRAINER, tree.P)
    html = client.get(grid_url(tree.C3)).get_data(as_text=True)
    assert "Tổ hòa giải Ấp Thạnh Lợi" in html and "inputmode" not in html and "Lưu số liệu" not in html
    assert re.search(r'<td class="text-end">\s*3\s*</td>', html)  # read-only values
    token = csrf_token(client.get("/auth/password").get_data(as_text=True))
    assert client.post(grid_url(tree.C3), data={"csrf_token": token, f"t{tree.T4.id}-received": "9"}).status_code == 403
    auth.logout()

    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    assert client.get(grid_url(tree.C2)).status_code == 404  # another commune
    assert client.get(grid_url(tree.CQ)).status_code == 404  # another province
    village = client.get(grid_url(tree.V1))  # a village: its commune's grid
    assert village.status_code == 302 and village.headers["Location"].endswith(grid_url(tree.C1))
    assert client.get(grid_url(tree.V3)).status_code == 404
    assert client.get(grid_url(tree.D)).status_code in (403, 404)
    auth.logout()
    login_as(auth, make_user, db, Role.MEDIATOR, tree.V1)
    assert client.get(grid_url(tree.C1)).status_code == 403
    db.session.expire_all()
    assert stats(db) == [(tree.T4.id, 2025, 4, 3, 2, 1, 0)]


# --------------------------------------------------------------------------- the import kind

GOOD = [
    {"Mã thôn": "31117-01", "Năm": 2025, "Quý": 4, "Tiếp nhận": 6, "Thành": 4, "Không thành": 1, "Đang giải quyết": 1},
    {"Mã thôn": "31117-02", "Tổ hòa giải": "Khu vực 2", "Năm": 2025, "Quý": "IV", "Tiếp nhận": 3, "Thành": 3, "Không thành": 0, "Đang giải quyết": 0},
    {"Mã thôn": "31117-01", "Năm": "2025", "Quý": "Quý 3", "Tiếp nhận": "2", "Thành": "1", "Không thành": "1", "Đang giải quyết": "0"},
]
HEADERS = ["Mã thôn", "Tổ hòa giải", "Năm", "Quý", "Tiếp nhận", "Thành", "Không thành", "Đang giải quyết"]


def run(rows, scope=None, dry_run=False, fmt="xlsx"):
    data = build_file(rows, fmt=fmt, headers=HEADERS)
    return imports.run_import("cases", io.BytesIO(data), f"f.{fmt}", scope, dry_run=dry_run)


def test_cases_columns_are_the_issue_headers():
    assert [c.header for c in imports.KINDS["cases"].columns] == HEADERS
    assert [c.header for c in imports.KINDS["cases"].columns if c.required] == [h for h in HEADERS if h != "Tổ hòa giải"]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_import_cases_then_reimport_changes_nothing(db, tree, freeze, fmt):
    freeze("2026-03-01")
    dry = run(GOOD, dry_run=True, fmt=fmt)
    assert dry.ok and dry.counts["case_stat"].created == 3 and stats(db) == []
    result = run(GOOD, fmt=fmt)
    assert result.ok, result.errors
    assert stats(db) == [(tree.T1.id, 2025, 3, 2, 1, 1, 0), (tree.T1.id, 2025, 4, 6, 4, 1, 1), (tree.T2.id, 2025, 4, 3, 3, 0, 0)]
    audits = audit_rows(db)
    again = run(GOOD, fmt=fmt)
    assert again.ok and (again.counts["case_stat"].created, again.counts["case_stat"].updated, again.counts["case_stat"].unchanged) == (0, 0, 3)
    assert audit_rows(db) == audits
    changed = run([{**GOOD[0], "Tiếp nhận": 7, "Đang giải quyết": 2}])
    assert changed.ok and changed.counts["case_stat"].updated == 1
    assert (tree.T1.id, 2025, 4, 7, 4, 1, 2) in stats(db)
    assert db.session.scalar(select(func.count(Team.id))) == 5  # no team created


def test_import_cases_reports_every_bad_row_and_writes_nothing(db, tree, freeze):
    freeze("2026-03-01")
    base = GOOD[0]
    rows = [
        base,
        {**base, "Tiếp nhận": 5},  # 3: parts do not add up
        {**base, "Mã thôn": "31117-02", "Tổ hòa giải": "Tổ không có"},  # 4: unknown team, not created
        {**base, "Mã thôn": "31120-01", "Quý": 5},  # 5: bad quarter
        {**base, "Năm": 2026, "Quý": 2},  # 6: future quarter
        {**base, "Thành": -1, "Không thành": "hai"},  # 7: negative, not a number
        {**base, "Mã thôn": "31500-01"},  # 8: another province
        {**base, "Mã thôn": "99999"},  # 9: unknown code
        {**base, "Năm": None, "Đang giải quyết": None},  # 10: missing
        {**base, "Tiếp nhận": 8, "Thành": 6},  # 11: same team and quarter as row 2, other figures
        {**base, "Mã thôn": "31117"},  # 12: a commune with no team of its own
        {**base, "Mã thôn": "916"},  # 13: a district
    ]
    result = run(rows, scope=tree.P)
    assert not result.ok
    got = {(e.row, e.column): e.message for e in result.errors}
    assert got[(3, "Tiếp nhận")] == "Thành + Không thành + Đang giải quyết phải bằng Tiếp nhận"
    assert got[(4, "Tổ hòa giải")] == "không có tổ hòa giải «Tổ không có» ở Khu vực 2 (31117-02)"
    assert got[(5, "Quý")] == "quý phải là 1, 2, 3 hoặc 4, không phải «5»"
    assert got[(6, "Quý")].startswith("Quý 2/2026 chưa đến")
    assert got[(7, "Thành")].startswith("phải là số nguyên không âm") and "«-1»" in got[(7, "Thành")]
    assert "«hai»" in got[(7, "Không thành")]
    assert got[(8, "Mã thôn")] == "đơn vị ngoài phạm vi quản lý của bạn («31500-01»)"
    assert got[(9, "Mã thôn")] == "không có đơn vị mã «99999»"
    assert got[(10, "Năm")] == "thiếu năm" and got[(10, "Đang giải quyết")] == "thiếu số «Đang giải quyết»"
    assert got[(11, "Tiếp nhận")].startswith("trùng lặp mâu thuẫn với dòng 2")
    assert got[(12, "Mã thôn")] == "Phường An Hòa (31117) chưa có tổ hòa giải nào"
    assert "không phải thôn" in got[(13, "Mã thôn")]
    assert 2 not in {e.row for e in result.errors}
    assert stats(db) == [] and audit_rows(db) == 0
    assert db.session.scalar(select(func.count(Team.id))) == 5


def test_import_cases_by_commune_officer_stays_in_scope(db, tree, freeze):
    freeze("2026-03-01")
    result = run([GOOD[0], {**GOOD[0], "Mã thôn": "31120-01"}], scope=tree.C1)
    assert [(e.row, e.column) for e in result.errors] == [(3, "Mã thôn")]
    assert stats(db) == []


def test_cases_on_the_imports_page_and_web_flow(client, auth, db, tree, make_user, freeze, app, tmp_path, monkeypatch):
    freeze("2026-03-01")
    monkeypatch.setitem(app.config, "IMPORT_UPLOAD_DIR", str(tmp_path / "uploads"))
    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    page = client.get("/org/imports").get_data(as_text=True)
    assert 'id="import-cases"' in page and "Thống kê vụ việc hòa giải" in page
    template = client.get("/org/imports/cases/template.xlsx")
    assert template.status_code == 200 and "mau-nhap-thong-ke-vu-viec.xlsx" in template.headers["Content-Disposition"]
    data = {"csrf_token": csrf_token(page), "cases-file": (io.BytesIO(build_file(GOOD, headers=HEADERS)), "quy.xlsx")}
    checked = client.post("/org/imports/cases", data=data, content_type="multipart/form-data", follow_redirects=True)  # a job's page
    html = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "Tệp hợp lệ: 3 dòng." in html and "Số liệu vụ việc của tổ trong quý" in html
    file_token = html.split('name="token" type="hidden" value="', 1)[1].split('"', 1)[0]
    done = client.post("/org/imports/cases/run", data={"csrf_token": csrf_token(html), "token": file_token}, follow_redirects=True)
    assert "Đã nhập 3 dòng" in done.get_data(as_text=True)
    db.session.expire_all()
    assert len(stats(db)) == 3


def test_cases_cli(runner, db, tree, freeze, tmp_path):
    freeze("2026-03-01")
    db.session.commit()
    path = tmp_path / "cases.csv"
    path.write_bytes(build_file(GOOD, fmt="csv", headers=HEADERS))
    result = runner.invoke(args=["lms", "cases", "import", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Chạy thử: 3 dòng hợp lệ" in result.output and stats(db) == []
    result = runner.invoke(args=["lms", "cases", "import", str(path)])
    assert result.exit_code == 0 and "Đã nhập 3 dòng." in result.output
    db.session.remove()
    assert len(stats(db)) == 3
    bad = tmp_path / "bad.csv"
    bad.write_bytes(build_file([{**GOOD[0], "Tiếp nhận": 9}], fmt="csv", headers=HEADERS))
    result = runner.invoke(args=["lms", "cases", "import", str(bad)])
    assert result.exit_code == 1
    assert "Dòng 2, cột «Tiếp nhận»: Thành + Không thành + Đang giải quyết phải bằng Tiếp nhận" in result.output


# --------------------------------------------------------------------------- pilot communes (E2, H) and model communes (I)


def test_province_admin_sets_pilot_and_model_commune_a_commune_officer_cannot(client, auth, db, tree, make_user):
    login_as(auth, make_user, db, Role.PROVINCE_ADMIN, tree.P)
    url = f"/org/units/{tree.C1.id}/edit"
    form = client.get(url).get_data(as_text=True)
    assert 'name="is_pilot"' in form and 'name="model_commune_year"' in form
    resp = client.post(url, data={"csrf_token": csrf_token(form), "code": "31117", "name": "Phường An Hòa", "is_pilot": "y", "model_commune_year": "2026"})
    assert resp.status_code == 302
    db.session.expire_all()
    c1 = db.session.get(Unit, tree.C1.id)
    assert c1.is_pilot and c1.model_commune_year == 2026
    page = client.get(f"/org/units/{tree.C1.id}").get_data(as_text=True)
    assert "Điểm chỉ đạo" in page and "Xã điển hình 2026" in page
    auth.logout()

    login_as(auth, make_user, db, Role.COMMUNE_OFFICER, tree.C1)
    assert client.get(url).status_code == 403
    token = csrf_token(client.get("/auth/password").get_data(as_text=True))
    assert client.post(url, data={"csrf_token": token, "code": "31117", "name": "Phường An Hòa", "model_commune_year": ""}).status_code == 403
    assert client.get(f"/org/units/{tree.C2.id}/edit").status_code == 404
    db.session.expire_all()
    c1 = db.session.get(Unit, tree.C1.id)
    assert c1.is_pilot and c1.model_commune_year == 2026


def test_only_the_province_decides_pilot_and_model_communes(client, auth, db, tree, make_user):
    from lms.core.roles import Role
    from tests.conftest import csrf_token

    district = make_user(Role.DISTRICT_ADMIN, tree.D)
    db.session.commit()
    auth.login(district.username)
    page = client.get(f"/org/units/{tree.C1.id}/edit").get_data(as_text=True)
    assert 'name="is_pilot"' not in page and 'name="model_commune_year"' not in page
    client.post(f"/org/units/{tree.C1.id}/edit", data={
        "csrf_token": csrf_token(page), "code": tree.C1.code, "name": tree.C1.name, "parent_code": tree.D.code,
        "is_pilot": "y", "model_commune_year": "2026",
    })
    db.session.expire_all()
    assert tree.C1.is_pilot is False and tree.C1.model_commune_year is None
