"""P3: certificate PDFs against a bare WeasyPrint page, measured in the same run.

    .venv/bin/python bench/certificates.py [--bulk 1000]

Prints, with the machine's details:
- the baseline: WeasyPrint rendering a bare one-page A4 document with the same fonts;
- one certificate on demand (uncached), and its ratio to the baseline (goal ≤ 1.2×);
- a bulk ZIP of N certificates (goal: 1,000 in ≤ 40 s, i.e. ≈ 5× faster per certificate
  than one document each), and the per-certificate ratio.
Results are recorded in docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BARE = """<!doctype html><html lang="vi"><head><meta charset="utf-8"><style>
@page { size: A4 landscape; margin: 12mm; } body { font-family: "DejaVu Serif", serif; }
.s { font-family: "DejaVu Sans", sans-serif; }</style></head>
<body><p>Nguyễn Thị Ngọc Hường</p><p class="s">Đặng Quốc Việt</p></body></html>"""


def median_time(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        func()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def cold(html: str, repeat: int) -> float:
    """Median wall time of a fresh Python process that imports WeasyPrint and renders ``html`` once."""
    import subprocess

    with tempfile.NamedTemporaryFile("w", suffix=".html", delete=False, encoding="utf-8") as fh:
        fh.write(html)
    code = f"from weasyprint import HTML; HTML(filename={fh.name!r}).write_pdf()"
    times = []
    for _ in range(max(3, repeat // 2)):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bulk", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    from flask_migrate import upgrade
    from weasyprint import HTML

    from lms.certificates import bulk, pdf, services
    from lms.curriculum.models import Program
    from lms.extensions import db
    from lms.org.models import Gender, UnitKind
    from lms.org.services import roster
    from tests.conftest import make_app

    tmp = tempfile.mkdtemp()
    app = make_app(f"sqlite:///{tmp}/bench.sqlite3")
    with app.app_context():
        upgrade()
        province = roster.create_unit(code="92", name="Thành phố Cần Thơ", kind=UnitKind.PROVINCE, parent=None)
        commune = roster.create_unit(code="31117", name="Phường An Hòa", kind=UnitKind.COMMUNE, parent=province)
        village = roster.create_unit(code="31117-01", name="Khu vực 1", kind=UnitKind.VILLAGE, parent=commune)
        program = Program(code="hgv", version=1, title="Chương trình bồi dưỡng hòa giải viên ở cơ sở", audience="mediator", hours=24,
                          content_hash="bench", completion={})
        db.session.add(program)
        services.settings_for(province).signer_name = "Trần Văn Minh"
        names = ["Nguyễn Thị Ngọc Hường", "Đặng Quốc Việt", "Lò Thị Ửng", "Thạch Thị Sà Rương"]
        certs = []
        for i in range(args.bulk):
            person = roster.create_person(full_name=f"{names[i % 4]} {i}", unit=village, gender=Gender.FEMALE, birth_year=1960 + i % 40)
            certs.append(services.issue(person=person, program=program, issued_on=dt.date(2026, 3, 14)))
        db.session.commit()

        HTML(string=BARE).write_pdf()  # warm up fonts
        pdf.render_certificates(certs[:1])
        baseline = median_time(lambda: HTML(string=BARE).write_pdf(), args.repeat)
        one = median_time(lambda: pdf.render_certificates(certs[:1]), args.repeat)
        t = time.perf_counter()
        bulk.write_zip(certs, Path(tmp) / "bulk.zip")
        bulk_s = time.perf_counter() - t
        per_cert = bulk_s / len(certs)

        cert_html = pdf.certificates_html(certs[:1])

    cold_bare = cold(BARE, args.repeat)
    cold_cert = cold(cert_html, args.repeat)
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"baseline (bare one-page A4, WeasyPrint): {baseline * 1000:.0f} ms")
    print(f"one certificate on demand: {one * 1000:.0f} ms  ratio {one / baseline:.2f}x  (goal <= 1.2x)")
    print(f"cold process (python + import weasyprint + render): bare {cold_bare * 1000:.0f} ms, certificate {cold_cert * 1000:.0f} ms, "
          f"ratio {cold_cert / cold_bare:.2f}x")
    print(f"bulk ZIP of {len(certs)}: {bulk_s:.1f} s  ({per_cert * 1000:.1f} ms each; "
          f"{one / per_cert:.1f}x faster per certificate than one certificate document each)  (goal: 1,000 in <= 40 s)")


if __name__ == "__main__":
    main()
