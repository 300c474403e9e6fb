import io
import unicodedata

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from lms.certificates.pdf import certificate_pdf, render_certificates
from lms.certificates.services import verification_url

NAMES = ["Nguyễn Thị Ngọc Hường", "Đặng Quốc Việt", "Lò Thị Ửng"]


def _text(pdf: bytes) -> str:
    return unicodedata.normalize("NFC", "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))


@pytest.fixture
def certs(db, tree, make_person, make_certificate):
    return [make_certificate(make_person(tree.V1, name=n, birth_year=1970 + i)) for i, n in enumerate(NAMES)]


def test_every_diacritic_of_every_name_is_in_the_pdf_text(app, certs):
    text = _text(render_certificates(certs))
    for name in NAMES:
        assert unicodedata.is_normalized("NFC", name)
        assert name in text
    for needle in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "GIẤY CHỨNG NHẬN", certs[0].serial,
                   "Cần Thơ, ngày 1 tháng 6 năm 2025", "SỞ TƯ PHÁP CẦN THƠ", "Năm sinh: 1970", "(24 giờ)"):
        assert needle in text


def test_one_page_per_certificate_a4_landscape(app, certs):
    reader = PdfReader(io.BytesIO(render_certificates(certs)))
    assert len(reader.pages) == 3
    box = reader.pages[0].mediabox
    assert round(float(box.width)) == 842 and round(float(box.height)) == 595


def test_qr_decodes_to_the_verification_url(app, certs):
    pdf = pypdfium2.PdfDocument(certificate_pdf(certs[1]))
    image = pdf[0].render(scale=2).to_pil()
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == [verification_url(certs[1])]
    assert results[0].text.endswith("/verify/" + certs[1].verification_code)


def test_pdf_is_cached_until_something_printed_changes(app, certs, monkeypatch):
    import lms.certificates.pdf as pdfmod

    calls = []
    real = pdfmod.render_certificates
    monkeypatch.setattr(pdfmod, "render_certificates", lambda cs: calls.append(1) or real(cs))
    first = pdfmod.certificate_pdf(certs[0])
    assert pdfmod.certificate_pdf(certs[0]) == first and len(calls) == 1
    certs[0].holder_name = "Nguyễn Thị Ngọc Hương"
    assert pdfmod.certificate_pdf(certs[0]) != first and len(calls) == 2


def test_markup_in_a_name_is_printed_as_text_and_fetches_nothing(app, db, tree, make_person, make_certificate, monkeypatch):
    import lms.core.pdf as corepdf

    fetched = []
    real = corepdf.SafeURLFetcher.fetch
    monkeypatch.setattr(corepdf.SafeURLFetcher, "fetch", lambda self, url, headers=None: fetched.append(url) or real(self, url, headers))
    name = 'Lò Thị Ửng <img src="file:///etc/passwd"> <link rel=stylesheet href="https://evil.example/x.css">'
    cert = make_certificate(make_person(tree.V1, name=name))
    text = _text(render_certificates([cert]))
    assert "Lò Thị Ửng" in text and "file:///etc/passwd" in text  # shown as text
    assert fetched == []  # nothing was loaded: the markup never became a tag
