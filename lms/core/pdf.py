"""HTML → PDF with WeasyPrint, and a URL fetcher that reads nothing but the app's own static files.

Templates rendered to PDF use ``font-family: "DejaVu Sans", "Noto Sans", sans-serif``
(:data:`FONT_STACK`): DejaVu ships with the OS and covers every Vietnamese letter.

What a PDF may load (:class:`SafeURLFetcher`):

* the app's static files and every blueprint's static files (Bootstrap-Flask's
  local copy included), addressed either by their URL path (``/static/css/lms.css``,
  resolved against :data:`STATIC_BASE_URL`, the default ``base_url``) or with the
  ``static:`` scheme (``static:css/lms.css`` = the app's static folder,
  ``static:/bootstrap/static/...`` = any static URL path). The file must lie inside
  its static folder: ``..``, absolute paths and symlinks out of the folder are refused;
* ``data:`` URIs (inline SVG such as a QR code, small images): they are decoded in
  memory and read no file and no network;
* nothing else: ``file:``, ``http:``, ``https:``, ``ftp:`` and any other scheme raise
  :class:`RefusedURL`, which WeasyPrint logs and skips (the resource is left out,
  the PDF is still produced).
"""

from __future__ import annotations

import base64
import mimetypes
import posixpath
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from flask import Flask, current_app
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

#: The CSS font stack for every PDF.
FONT_STACK = '"DejaVu Sans", "Noto Sans", sans-serif'
#: The default base URL: relative and root-relative URLs in a document resolve here.
#: ``.invalid`` can never be a real host (RFC 2606); only this host is served, from disk.
STATIC_HOST = "lms-static.invalid"
STATIC_BASE_URL = f"https://{STATIC_HOST}/"


class RefusedURL(ValueError):
    """A PDF tried to load something other than the app's own static files."""


def _static_roots(app: Flask) -> list[tuple[str, Path]]:
    """``(url path prefix, folder)`` of every static route of ``app``, longest prefix first."""
    roots: list[tuple[str, Path]] = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static" and not rule.endpoint.endswith(".static"):
            continue
        prefix = rule.rule.split("<", 1)[0]
        if rule.endpoint == "static":
            folder = app.static_folder
        else:
            blueprint = app.blueprints.get(rule.endpoint.rsplit(".", 1)[0])
            folder = blueprint.static_folder if blueprint is not None else None
        if folder and prefix.startswith("/") and prefix.endswith("/"):
            roots.append((prefix, Path(folder).resolve()))
    roots.sort(key=lambda r: len(r[0]), reverse=True)
    return roots


class SafeURLFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves only static files of ``app`` and ``data:`` URIs.

    It never calls the parent class's network or file handlers: :meth:`fetch` is the
    only entry point and it either reads a file inside a static folder or raises
    :class:`RefusedURL`.
    """

    def __init__(self, app: Flask | None = None):
        super().__init__(allowed_protocols=("https", "static", "data"), allow_redirects=False, fail_on_errors=False)
        app = app or current_app._get_current_object()  # type: ignore[attr-defined]
        self.roots = _static_roots(app)
        self.static_url_path = (app.static_url_path or "/static").rstrip("/")

    # the only way in -------------------------------------------------------------

    def fetch(self, url, headers=None):  # noqa: ARG002 (WeasyPrint's signature)
        path, body, content_type = self.resolve(url)
        if path is not None:
            body = path.read_bytes()
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body, {"Content-Type": content_type})

    def __call__(self, url):
        return self.fetch(url)

    def open(self, url, data=None, timeout=None):  # noqa: ARG002
        """Never open anything through urllib (the parent class is an ``OpenerDirector``)."""
        raise RefusedURL(f"URL bị từ chối: {url}")

    # resolving --------------------------------------------------------------------

    def resolve(self, url: str) -> tuple[Path | None, bytes | None, str]:
        """``(file, None, "")`` for a static file, ``(None, data, type)`` for a ``data:`` URI; else :class:`RefusedURL`."""
        if not isinstance(url, str):
            raise RefusedURL("URL không hợp lệ")
        scheme, _, rest = url.partition(":")
        scheme = scheme.lower()
        if scheme == "data":
            return (None, *_decode_data_uri(rest))
        if scheme == "static":
            path = rest.split("?", 1)[0].split("#", 1)[0]
            if not path.startswith("/"):
                path = f"{self.static_url_path}/{path}"
            return self._static_file(path, url), None, ""
        if scheme == "https":
            parts = urlsplit(url)
            if parts.hostname == STATIC_HOST and parts.port is None and not parts.username:
                return self._static_file(parts.path, url), None, ""
        raise RefusedURL(f"URL bị từ chối (chỉ cho phép tệp tĩnh của ứng dụng): {url}")

    def _static_file(self, url_path: str, url: str) -> Path:
        path = unquote(url_path)
        if "\\" in path or "\0" in path:
            raise RefusedURL(f"Đường dẫn không hợp lệ: {url}")
        segments = path.split("/")
        if any(s in ("..", ".") for s in segments):
            raise RefusedURL(f"Đường dẫn không hợp lệ: {url}")
        path = posixpath.normpath(path)
        for prefix, folder in self.roots:
            if not (path + "/").startswith(prefix):
                continue
            relative = path[len(prefix):]
            if not relative:
                break
            candidate = (folder / relative).resolve()
            if not candidate.is_relative_to(folder) or not candidate.is_file():
                break
            return candidate
        raise RefusedURL(f"Không tìm thấy tệp tĩnh: {url}")


def _decode_data_uri(rest: str) -> tuple[bytes, str]:
    """``data:[<type>][;base64],<payload>`` → ``(bytes, type)`` (RFC 2397), in memory."""
    meta, sep, payload = rest.partition(",")
    if not sep:
        raise RefusedURL("URI data: không hợp lệ")
    params = [p.strip() for p in meta.split(";")]
    is_base64 = bool(params) and params[-1].lower() == "base64"
    if is_base64:
        params = params[:-1]
    content_type = params[0] if params and params[0] else "text/plain"
    raw = unquote_to_bytes(payload)
    if is_base64:
        try:
            raw = base64.b64decode(raw, validate=False)
        except ValueError as exc:
            raise RefusedURL("URI data: base64 không hợp lệ") from exc
    return raw, content_type


def render_pdf(html: str, base_url: str | None = None, app: Flask | None = None) -> bytes:
    """Render ``html`` (a full document) to PDF bytes; resources load only through :class:`SafeURLFetcher`.

    ``base_url`` defaults to :data:`STATIC_BASE_URL`, so ``url_for('static', ...)`` paths work as is.
    """
    fetcher = SafeURLFetcher(app)
    return HTML(string=html, base_url=base_url or STATIC_BASE_URL, url_fetcher=fetcher).write_pdf()
