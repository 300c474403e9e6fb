"""core.pdf: Vietnamese text survives, and the URL fetcher reads only the app's static files."""

from __future__ import annotations

import builtins
import io
import logging
import socket
import unicodedata
import urllib.request
from pathlib import Path

import pytest
from pypdf import PdfReader

from lms.core import pdf
from lms.core.pdf import FONT_STACK, STATIC_BASE_URL, RefusedURL, SafeURLFetcher, render_pdf

NAMES = "Nguyễn Thị Ngọc Hường, Đặng Quốc Việt, Lò Thị Ửng"


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def doc(body: str, head: str = "") -> str:
    return (
        f'<!doctype html><html lang="vi"><head><meta charset="utf-8">{head}'
        f"<style>body {{ font-family: {FONT_STACK}; }}</style></head><body>{body}</body></html>"
    )


def test_vietnamese_diacritics_extract_exactly(app):
    data = render_pdf(doc(f"<h1>Danh sách</h1><p>{NAMES}</p>"))
    assert data.startswith(b"%PDF")
    text = unicodedata.normalize("NFC", pdf_text(data))
    assert unicodedata.normalize("NFC", NAMES) in text


def test_nfd_input_renders_the_same_letters(app):
    data = render_pdf(doc(f"<p>{unicodedata.normalize('NFC', NAMES)}</p>"))
    assert "Hường" in unicodedata.normalize("NFC", pdf_text(data))


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "http://example.com/x.css",
        "https://evil/x.png",
        "https://evil.example/static/css/lms.css",
        f"https://{pdf.STATIC_HOST}:8443/static/css/lms.css",
        "ftp://example.com/x.png",
        "gopher://example.com/",
        "javascript:alert(1)",
        f"{STATIC_BASE_URL}static/../../../../etc/passwd",
        f"{STATIC_BASE_URL}static/%2e%2e/%2e%2e/etc/passwd",
        f"{STATIC_BASE_URL}etc/passwd",
        "static:../../../etc/passwd",
        "static:/static/../lms/config.py",
        "static://etc/passwd",
        "static:css/nonexistent.css",
        "static:css/",
    ],
)
def test_fetcher_refuses(app, url):
    fetcher = SafeURLFetcher(app)
    with pytest.raises(RefusedURL):
        fetcher.fetch(url)
    with pytest.raises(RefusedURL):
        fetcher.open(url)


def test_fetcher_refuses_symlink_out_of_static(app, tmp_path, monkeypatch):
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "ok.css").write_text("p { color: red }")
    (tmp_path / "secret.txt").write_text("secret")
    (static / "css" / "leak.css").symlink_to(tmp_path / "secret.txt")
    fetcher = SafeURLFetcher(app)
    monkeypatch.setattr(fetcher, "roots", [("/static/", static.resolve())])
    assert fetcher.fetch("static:css/ok.css").read() == b"p { color: red }"
    with pytest.raises(RefusedURL):
        fetcher.fetch("static:css/leak.css")


def test_fetcher_serves_app_and_bootstrap_static(app):
    fetcher = SafeURLFetcher(app)
    css = (Path(app.static_folder) / "css" / "lms.css").read_bytes()
    for url in ("static:css/lms.css", "static:/static/css/lms.css", f"{STATIC_BASE_URL}static/css/lms.css"):
        response = fetcher.fetch(url)
        assert response.read() == css
        assert response.content_type == "text/css"
    with app.test_request_context():
        from flask import url_for

        bootstrap_css = url_for("bootstrap.static", filename="css/bootstrap.min.css")
    response = fetcher.fetch(STATIC_BASE_URL + bootstrap_css.lstrip("/"))
    assert b"Bootstrap" in response.read(200)


def test_fetcher_decodes_data_uris_in_memory(app):
    fetcher = SafeURLFetcher(app)
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>'
    response = fetcher.fetch("data:image/svg+xml;base64," + __import__("base64").b64encode(svg.encode()).decode())
    assert response.read() == svg.encode()
    assert response.content_type == "image/svg+xml"
    assert fetcher.fetch("data:,a%20b").read() == b"a b"
    with pytest.raises(RefusedURL):
        fetcher.fetch("data:image/png;base64")


def test_render_reads_no_file_and_opens_no_connection(app, monkeypatch, caplog):
    """Refused resources are logged and skipped; the PDF is produced; nothing outside static is touched."""
    opened_files: list[str] = []
    connections: list[object] = []
    fetched: list[tuple[str, str]] = []
    real_open = builtins.open
    real_fetch = SafeURLFetcher.fetch

    def spy_open(file, *args, **kwargs):
        opened_files.append(str(file))
        return real_open(file, *args, **kwargs)

    def spy_fetch(self, url, headers=None):
        try:
            response = real_fetch(self, url, headers)
        except RefusedURL:
            fetched.append((url, "refused"))
            raise
        fetched.append((url, "served"))
        return response

    def no_connect(*args, **kwargs):
        connections.append(args)
        raise AssertionError("network access attempted")

    # Alembic's fileConfig() (run by the test database set-up) disables loggers that already exist
    monkeypatch.setattr(logging.getLogger("weasyprint"), "disabled", False)
    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(SafeURLFetcher, "fetch", spy_fetch)
    monkeypatch.setattr(socket, "create_connection", no_connect)
    monkeypatch.setattr(socket.socket, "connect", no_connect)
    monkeypatch.setattr(urllib.request, "urlopen", no_connect)
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", no_connect)

    html = doc(
        f'<p>{NAMES}</p><img src="file:///etc/passwd"><img src="https://evil/x.png">'
        '<img src="/static/../../../../etc/passwd">',
        head='<link rel="stylesheet" href="http://example.com/x.css"><link rel="stylesheet" href="/static/css/lms.css">',
    )
    with caplog.at_level("ERROR", logger="weasyprint"):
        data = render_pdf(html)

    assert NAMES in unicodedata.normalize("NFC", pdf_text(data))
    assert connections == []
    assert not any("passwd" in f for f in opened_files)
    outcome = dict(fetched)
    assert outcome["file:///etc/passwd"] == "refused"
    assert outcome["http://example.com/x.css"] == "refused"
    assert outcome["https://evil/x.png"] == "refused"
    assert outcome[f"{STATIC_BASE_URL}static/css/lms.css"] == "served"
    assert all(state == "refused" for url, state in fetched if "passwd" in url)
    assert "x.css" in caplog.text and "evil" in caplog.text
    # no image made it into the PDF
    assert all(not page.images for page in PdfReader(io.BytesIO(data)).pages)
