"""Certificate PDFs: rendered on demand and cached; the certificate record, not the file, is the truth."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import segno
from flask import current_app, render_template

from ..core import format as fmt
from ..core.pdf import render_pdf
from .models import Certificate, CertificateSource
from .services import settings_for, verification_url


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as inline SVG (scales with CSS)."""
    return segno.make(url, error="m").svg_inline(scale=1, border=2, omitsize=True)


def _context(cert: Certificate) -> dict:
    url = verification_url(cert)
    settings = settings_for(cert.issuing_unit)
    return {
        "cert": cert,
        "qr": qr_svg(url),
        "short_url": url.split("://", 1)[-1],
        "hours": fmt.number(cert.hours, 2, trim=True) if cert.hours else "",
        "mode_title": cert.mode_title,
        "issuer_parent": settings.issuer_parent if cert.source != CertificateSource.EXTERNAL else "",
    }


def certificates_html(certs: Iterable[Certificate]) -> str:
    return render_template("certificates/pdf.html", certs=[_context(c) for c in certs])


def render_certificates(certs: Iterable[Certificate]) -> bytes:
    """One PDF with one A4 landscape page per certificate."""
    return render_pdf(certificates_html(certs))


def fingerprint(cert: Certificate) -> str:
    """Changes whenever anything printed on the certificate changes (the cache key)."""
    fields = (
        cert.serial, cert.verification_code, cert.holder_name, cert.holder_birth_year, cert.program_title, cert.hours, cert.mode,
        cert.training_from, cert.training_to, cert.issued_on, cert.issuer_name, cert.signer_title, cert.signer_name, cert.place,
        cert.external_serial, current_app.config["PUBLIC_URL"],
    )
    return hashlib.sha256(repr(fields).encode()).hexdigest()[:16]


def _cache_dir() -> Path:
    path = Path(current_app.instance_path) / "cache" / "certificates"
    path.mkdir(parents=True, exist_ok=True)
    return path


def certificate_pdf(cert: Certificate) -> bytes:
    """The PDF of one certificate, from the cache when nothing printed has changed."""
    path = _cache_dir() / f"{cert.serial}-{fingerprint(cert)}.pdf"
    if path.exists():
        return path.read_bytes()
    data = render_certificates([cert])
    _atomic_write(path, data)
    return data


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def split_pages(pdf: bytes) -> Iterator[bytes]:
    """Each page of a PDF as a PDF of its own."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        writer = PdfWriter()
        writer.add_page(page)
        buf = io.BytesIO()
        writer.write(buf)
        yield buf.getvalue()
