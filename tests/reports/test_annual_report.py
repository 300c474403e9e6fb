"""The annual report PDF: layout of a Vietnamese administrative report, every figure's value as printed
(decimal comma: "53,1"), the sơ kết / tổng kết variants with the per-year trend of E1, E3 and H."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from lms.core.format import integer as vn_int
from lms.core.format import number as vn_number
from lms.reports.figures import CODES, coverage
from tests.fixtures import reports as world_mod


def pdf_text(client, url) -> str:
    resp = client.get(url)
    assert resp.status_code == 200, resp.status_code
    assert resp.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(resp.get_data()))
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=1)  # A4 portrait
    assert reader.pages[0].mediabox.height == pytest.approx(841.89, abs=1)
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_vietnamese_number_format():
    assert vn_number(53.125) == "53,1"
    assert vn_number(100.0) == "100,0"
    assert vn_number(1234.56) == "1.234,6"
    assert vn_number(None) == ""
    assert vn_int(1234567) == "1.234.567"


def test_annual_report_layout_and_every_value(client, auth, db, world):
    auth.login(world.users.province.username)
    text = pdf_text(client, "/reports/annual-report.pdf?unit=92&year=2025")
    for words in ("ỦY BAN NHÂN DÂN", "THÀNH PHỐ CẦN THƠ", "SỞ TƯ PHÁP", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                  "/BC-STP", "Cần Thơ, ngày", "năm 2025", "BÁO CÁO", "Kết quả thực hiện Kế hoạch số 146/KH-UBND năm 2025",
                  "I. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU", "Nơi nhận:", "GIÁM ĐỐC", "Lưu: VT"):
        assert words in text, words
    cov = coverage(world.tree.P, world.today, 2025)
    for uf in [cov.root, *cov.children]:
        for code in CODES:
            f = uf.figures[code]
            if f.value is not None:
                assert vn_number(f.value) in text, (uf.unit.code, code, vn_number(f.value))
    # the summary shows value (numerator/denominator) beside the plan's target
    assert "27,3% (3/11)" in text and "≥ 80% (phấn đấu 90%)" in text
    assert "61,9% (26/42)" in text
    for uf in cov.children:
        assert uf.unit.name in text
    assert "Chưa đạt" in text and "Đạt" in text and "Không áp dụng" in text
    assert "Sơ kết" not in text


def test_a_commune_report_shows_its_own_figures(client, auth, db, world):
    auth.login(world.users.commune.username)
    text = pdf_text(client, "/reports/annual-report.pdf?unit=31117&year=2025")
    cov = coverage(world.tree.C1, world.today, 2025)
    assert cov.figures["H"].value == 53.1
    assert "53,1" in text  # H: 17 successful of 32 closed cases
    for code in CODES:
        f = cov.figures[code]
        if f.value is not None:
            assert vn_number(f.value) in text
    assert "ỦY BAN NHÂN DÂN" in text and "PHƯỜNG AN HÒA" in text and "/BC-UBND" in text and "CHỦ TỊCH" in text
    # B1, B2 and I do not apply to villages: one sentence instead of a table of "Không áp dụng"
    assert "Không áp dụng cho từng đơn vị cấp dưới" in text
    assert "Khu vực 1" in text and "Khu vực 2" in text  # E1 by village
    assert client.get("/reports/annual-report.pdf?unit=31120").status_code == 404
    assert client.get("/reports/annual-report.pdf?unit=92").status_code == 404


def test_the_figures_of_an_earlier_year(client, auth, db, world):
    auth.login(world.users.province.username)
    text = pdf_text(client, "/reports/annual-report.pdf?unit=31117&year=2024")
    assert "Kết quả thực hiện Kế hoạch số 146/KH-UBND năm 2024" in text
    assert "80,0% (4/5)" in text  # H in 2024
    assert "31/12/2024" in text


def test_so_ket_and_tong_ket(client, auth, db, world):
    auth.login(world.users.province.username)
    so_ket = pdf_text(client, "/reports/annual-report.pdf?unit=92&variant=so-ket")
    assert "Sơ kết giai đoạn 1 (2024 - 2026) thực hiện Kế hoạch số 146/KH-UBND" in so_ket
    tong_ket = pdf_text(client, "/reports/annual-report.pdf?unit=92&variant=tong-ket")
    assert "Tổng kết giai đoạn 2024 - 2030 thực hiện Kế hoạch số 146/KH-UBND" in tong_ket
    for text in (so_ket, tong_ket):
        assert "Kết quả qua các năm" in text
        trend = text[text.index("Kết quả qua các năm"):]
        # one row per year of the phase so far (today is 2025): E1, E3, H
        y2024 = [coverage(world.tree.P, world_mod.D(2024, 12, 31), 2024).figures[c] for c in ("E1", "E3", "H")]
        y2025 = [coverage(world.tree.P, world.today, 2025).figures[c] for c in ("E1", "E3", "H")]
        assert re.search(r"\b2024\b", trend) and re.search(r"\b2025\b", trend) and not re.search(r"\b2026 \d", trend)
        for f in y2024 + y2025:
            assert (vn_number(f.value) if f.value is not None else "Không áp dụng") in trend
        assert f"{y2024[2].numerator}/{y2024[2].denominator}" in trend and "26/42" in trend


def test_bad_variant_or_year(client, auth, db, world):
    auth.login(world.users.province.username)
    assert client.get("/reports/annual-report.pdf?unit=92&variant=quy").status_code == 400
    assert client.get("/reports/annual-report.pdf?unit=92&year=hai").status_code == 400
    resp = client.get("/reports/annual-report.pdf?unit=92&year=2027")
    assert resp.status_code == 400 and "Năm 2027 chưa đến" in resp.get_data(as_text=True)
    auth.logout()
    auth.login(world.users.mediator.username)
    assert client.get("/reports/annual-report.pdf?unit=31117-01").status_code == 403
