"""A module as one PDF for reading offline: Vietnamese text intact, cached per program version, counts as access."""

from __future__ import annotations

import io
import unicodedata

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from lms.core.roles import Role
from lms.learning.models import MaterialAccess
from lms.learning.views import progress as views_officer
from tests.fixtures.curriculum import program, program_dir  # noqa: F401

URL = "/learn/p/hgv/m/kien-thuc-chung.pdf"


def text_of(data: bytes) -> str:
    return unicodedata.normalize("NFC", "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages))


@pytest.fixture
def cache_dir(app, tmp_path, monkeypatch):
    path = tmp_path / "pdf-cache"
    monkeypatch.setitem(app.config, "PDF_CACHE_DIR", str(path))
    return path


@pytest.fixture
def learner(db, freeze, tree, program, make_mediator, make_user):  # noqa: F811
    freeze("2026-05-04")
    person = make_mediator(tree.T1, name="Lò Thị Ửng").person
    make_user(Role.MEDIATOR, tree.V1, person=person, username="hgv-ung")
    db.session.commit()
    return person


def test_module_pdf_has_vietnamese_lessons_and_questions_without_answers(client, auth, learner, cache_dir, db):
    auth.login("hgv-ung")
    res = client.get(URL)
    assert res.status_code == 200
    assert res.mimetype == "application/pdf"
    assert "attachment" in res.headers["Content-Disposition"] and "hgv-01-kien-thuc-chung.pdf" in res.headers["Content-Disposition"]
    data = res.get_data()
    reader = PdfReader(io.BytesIO(data))
    assert reader.pages[0].mediabox.width == pytest.approx(595, abs=1)  # A4 portrait
    assert reader.pages[0].mediabox.height == pytest.approx(842, abs=1)
    text = text_of(data)
    for expected in ("Kiến thức chung về hòa giải ở cơ sở", "Khái niệm hòa giải ở cơ sở", "Phạm vi hòa giải",
                     "Chương trình bồi dưỡng hòa giải viên ở cơ sở", "Ai quyết định nội dung thỏa thuận hòa giải?", "Mâu thuẫn giữa hàng xóm"):
        assert unicodedata.normalize("NFC", expected) in text, expected
    assert "Giải thích:" not in text  # explanations (and so the answers) are not printed
    assert "Lắng nghe tích cực" not in text  # another module
    # downloading the PDF counts as access to the materials (figure G)
    db.session.expire_all()
    access = db.session.scalar(select(MaterialAccess).where(MaterialAccess.person_id == learner.id))
    assert access is not None and access.kind == "online" and access.accessed_on.isoformat() == "2026-05-04"


def test_second_request_is_served_from_cache(client, auth, learner, cache_dir, monkeypatch):
    calls = []
    real = views_officer.render_pdf

    def counting(html, *args, **kwargs):
        calls.append(1)
        return real(html, *args, **kwargs)

    monkeypatch.setattr(views_officer, "render_pdf", counting)
    auth.login("hgv-ung")
    first = client.get(URL)
    assert first.status_code == 200 and len(calls) == 1
    files = [p for p in cache_dir.iterdir()]
    assert len(files) == 1 and files[0].suffix == ".pdf" and not files[0].name.startswith(".tmp")
    mtime = files[0].stat().st_mtime_ns
    second = client.get(URL)
    assert second.status_code == 200
    assert len(calls) == 1
    assert second.get_data() == first.get_data()
    assert files[0].stat().st_mtime_ns == mtime
    # another module renders its own file
    other = client.get("/learn/p/hgv/m/ky-nang.pdf")
    assert other.status_code == 200 and "Lắng nghe tích cực" in text_of(other.get_data())
    assert len(calls) == 2 and len(list(cache_dir.iterdir())) == 2


def test_final_module_pdf_and_unknown_ones(client, auth, learner, cache_dir):
    auth.login("hgv-ung")
    res = client.get("/learn/p/hgv/m/kiem-tra-cuoi-khoa.pdf")
    assert res.status_code == 200
    text = text_of(res.get_data())
    assert "Câu hỏi kiểm tra cuối khóa" in text and "(chọn tất cả phương án đúng)" in text
    assert client.get("/learn/p/hgv/m/khong-co.pdf").status_code == 404
    assert client.get("/learn/p/xyz/m/kien-thuc-chung.pdf").status_code == 404


def test_login_required_and_staff_without_person(client, auth, tree, program, make_user, cache_dir, db):  # noqa: F811
    res = client.get(URL)
    assert res.status_code == 302 and "/auth/login" in res.headers["Location"]
    make_user(Role.COMMUNE_OFFICER, tree.C1, username="cb")
    db.session.commit()
    auth.login("cb")
    res = client.get(URL)
    assert res.status_code == 200 and res.get_data().startswith(b"%PDF")
    assert db.session.scalar(select(MaterialAccess)) is None
