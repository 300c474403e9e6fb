import threading

import pytest

from lms.certificates.services import allocate_serial, new_verification_code, settings_for
from lms.extensions import db as _db
from lms.org.models import Unit, UnitKind
from lms.org.services import roster


def test_serials_are_sequential_per_province_and_year(db, tree):
    assert allocate_serial(tree.P, 2026) == "CT-2026-000001"
    assert allocate_serial(tree.P, 2026) == "CT-2026-000002"
    assert allocate_serial(tree.P, 2025) == "CT-2025-000001"
    assert allocate_serial(tree.Q, 2026) == "ST-2026-000001"


def test_prefix_comes_from_the_province_settings(db, tree):
    settings_for(tree.P).serial_prefix = "CTH"
    assert allocate_serial(tree.P, 2026) == "CTH-2026-000001"


def test_verification_code_has_at_least_80_random_bits():
    codes = {new_verification_code() for _ in range(1000)}
    assert len(codes) == 1000
    code = next(iter(codes))
    assert len(code) >= 22  # 16 bytes = 128 bits, base64url
    assert all(c.isalnum() or c in "-_" for c in code)


def _allocate_many(app, province_id, n, out, errors):
    try:
        with app.app_context():
            for _ in range(n):
                province = _db.session.get(Unit, province_id)
                out.append(allocate_serial(province, 2026))
                _db.session.commit()
            _db.session.remove()
    except Exception as exc:  # pragma: no cover - reported by the assertion below
        errors.append(exc)


@pytest.mark.postgres
def test_serials_unique_under_concurrent_issuance_on_postgres(pg_app):
    with pg_app.app_context():
        province = roster.create_unit(code="92", name="Thành phố Cần Thơ", kind=UnitKind.PROVINCE, parent=None)
        _db.session.commit()
        pid = province.id
        _db.session.remove()
    serials: list[str] = []
    errors: list[Exception] = []
    threads = [threading.Thread(target=_allocate_many, args=(pg_app, pid, 25, serials, errors)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(serials) == 100
    assert sorted(serials) == [f"CT-2026-{n:06d}" for n in range(1, 101)]
