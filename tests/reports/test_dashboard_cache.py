"""The dashboard's cache: figures are served from it until a row they read changes, by any path, in any process."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import insert, select, text, update

from lms.certificates import services as cert_services
from lms.certificates.models import Certificate
from lms.core import cache
from lms.core.roles import Role
from lms.extensions import db as _db
from lms.org.models import MediatorMembership, UnitKind
from lms.org.services import roster
from lms.reports import figures
from lms.reports import views as report_views
from tests.conftest import IsolatedClient, csrf_token, make_app

D = dt.date
URL = "/reports/?unit=92"


@pytest.fixture
def world(db, make_unit, make_mediator, make_user, make_certificate, freeze):
    """Province 92 → commune → village → one team of 3 active mediators, one of them certified; committed."""
    freeze("2025-10-15")
    P = make_unit(UnitKind.PROVINCE, None, "92", "Thành phố Cần Thơ")
    C = make_unit(UnitKind.COMMUNE, P, "31117", "Phường An Hòa")
    V = make_unit(UnitKind.VILLAGE, C, "31117-01", "Khu vực 1")
    team = roster.create_team(unit=V, name="Tổ hòa giải Khu vực 1")
    members = [make_mediator(team, recognized_on=D(2024, 9, 1)) for _ in range(3)]
    cert = make_certificate(members[0].person, issued_on=D(2025, 6, 1))
    make_user(Role.PROVINCE_ADMIN, P, username="so-tu-phap")
    db.session.commit()
    return SimpleNamespace(P=P, C=C, V=V, team=team, members=members, cert=cert)


@pytest.fixture
def computed(monkeypatch):
    """How many times the dashboard computed figures (``coverage()`` calls)."""
    calls = []
    real = report_views.coverage

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(report_views, "coverage", counting)
    return calls


def ratio(html: str, code: str) -> str:
    """The numerator/denominator on the province's card of ``code``."""
    card = re.search(rf'data-figure="{code}" data-status="[^"]*">(.*?)</div>\s*</div>', html, re.S)
    assert card, f"no card {code}"
    m = re.search(r'<span class="figure-ratio">([^<]+)</span>', card.group(1))
    return m.group(1) if m else ""


def dashboard(client) -> str:
    _db.session.expire_all()  # as in a fresh request (the test shares one session with the requests)
    response = client.get(URL)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_served_from_the_cache_until_a_row_changes(world, client, auth, computed):
    auth.login("so-tu-phap")
    assert ratio(dashboard(client), "E1") == "1/3"
    first = len(computed)
    assert first > 0
    html = dashboard(client)
    assert ratio(html, "E1") == "1/3"
    assert len(computed) == first  # not computed again
    before = cache.generation(figures.FIGURES)
    cert_services.issue(person=world.members[1].person, program=world.cert.program, issued_on=D(2025, 7, 1))
    _db.session.commit()
    assert cache.generation(figures.FIGURES) != before
    assert ratio(dashboard(client), "E1") == "2/3"
    assert len(computed) > first


def test_revoked_through_the_web(world, client, auth):
    auth.login("so-tu-phap")
    assert ratio(dashboard(client), "E1") == "1/3"
    page = client.get(f"/certificates/{world.cert.id}/revoke")
    r = client.post(
        f"/certificates/{world.cert.id}/revoke",
        data={"csrf_token": csrf_token(page.get_data(as_text=True)), "reason": "Cấp nhầm người", "revoked_on": "2025-10-01", "confirm": "1"},
    )
    assert r.status_code == 302
    assert ratio(dashboard(client), "E1") == "0/3"


def test_membership_ended_through_the_web(world, client, auth):
    auth.login("so-tu-phap")
    assert ratio(dashboard(client), "E1") == "1/3"
    m = world.members[2]
    page = client.get(f"/org/memberships/{m.id}/end")
    r = client.post(
        f"/org/memberships/{m.id}/end",
        data={"csrf_token": csrf_token(page.get_data(as_text=True)), "left_on": "2025-10-01", "reason": "own_request", "confirm": "y"},
    )
    assert r.status_code == 302
    assert ratio(dashboard(client), "E1") == "1/2"


def test_team_added_through_the_web(world, client, auth):
    auth.login("so-tu-phap")
    html = dashboard(client)
    assert ratio(html, "D") == "1/1"
    page = client.get(f"/org/units/{world.V.id}/teams/add")
    r = client.post(f"/org/units/{world.V.id}/teams/add", data={"csrf_token": csrf_token(page.get_data(as_text=True)), "name": "Tổ hòa giải số 2"})
    assert r.status_code == 302
    assert ratio(dashboard(client), "D") == "1/2"  # a new team with no mediator fails D


def test_core_bulk_statements(world, client, auth):
    auth.login("so-tu-phap")
    assert ratio(dashboard(client), "E1") == "1/3"
    # an UPDATE statement (no ORM instance) through the session
    _db.session.execute(update(MediatorMembership).where(MediatorMembership.id == world.members[2].id).values(left_on=D(2025, 9, 1)))
    _db.session.commit()
    assert ratio(dashboard(client), "E1") == "1/2"
    # an INSERT of many rows, copied from the certificate the fixture issued
    row = _db.session.execute(select(Certificate.__table__).where(Certificate.id == world.cert.id)).mappings().one()
    copy = {k: v for k, v in row.items() if k != "id"} | {"person_id": world.members[1].person_id, "serial": "CT-2025-999999",
                                                           "verification_code": "bulk-copy-1", "enrollment_id": None}
    _db.session.execute(insert(Certificate), [copy])
    _db.session.commit()
    assert ratio(dashboard(client), "E1") == "2/2"
    # plain SQL through a connection of its own, outside the session
    with _db.engine.begin() as conn:
        conn.execute(text("UPDATE certificate SET revoked_on = :d, revoke_reason = 'x'"), {"d": D(2025, 9, 2)})
    assert ratio(dashboard(client), "E1") == "0/2"


def test_raw_dbapi_writes_call_wrote(world, client, auth):
    """Writes SQLAlchemy cannot see (the synthetic loader's COPY) mark the transaction with ``cache.wrote``."""
    auth.login("so-tu-phap")
    assert ratio(dashboard(client), "E1") == "1/3"
    conn = _db.session.connection()
    cur = conn.connection.driver_connection.cursor()
    ph = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    cur.execute(f"UPDATE certificate SET revoked_on = {ph} WHERE id = {ph}", (D(2025, 9, 2).isoformat(), world.cert.id))  # noqa: S608
    cur.close()
    cache.wrote(Certificate)
    _db.session.commit()
    assert ratio(dashboard(client), "E1") == "0/3"


def test_uncommitted_rows_are_neither_served_from_nor_stored_in_the_cache(world, client, auth):
    auth.login("so-tu-phap")
    assert ratio(dashboard(client), "E1") == "1/3"
    roster.end_membership(world.members[2], left_on=D(2025, 9, 1), reason=None)  # flushed, not committed
    assert cache.pending(figures.FIGURES)
    assert ratio(dashboard(client), "E1") == "1/2"  # this transaction sees its own rows
    _db.session.rollback()
    assert not cache.pending(figures.FIGURES)
    assert ratio(dashboard(client), "E1") == "1/3"  # and nothing of them was cached


def test_another_process_sees_the_change(world, app, client, auth):
    """Two app instances (two engines, two in-process stores) on one database: the generation is in the database."""
    auth.login("so-tu-phap")
    assert ratio(dashboard(client), "E1") == "1/3"
    other = make_app(app.config["SQLALCHEMY_DATABASE_URI"])
    other.test_client_class = IsolatedClient
    try:
        other_client = other.test_client()
        page = other_client.get("/auth/login")
        other_client.post("/auth/login", data={"username": "so-tu-phap", "password": "matkhau-123", "csrf_token": csrf_token(page.get_data(as_text=True))})
        assert ratio(other_client.get(URL).get_data(as_text=True), "E1") == "1/3"
        cert_services.revoke(_db.session.merge(world.cert), "Cấp nhầm", on=D(2025, 10, 1))
        _db.session.commit()
        assert ratio(other_client.get(URL).get_data(as_text=True), "E1") == "0/3"
        assert ratio(dashboard(client), "E1") == "0/3"
    finally:
        with other.app_context():
            _db.engine.dispose()


def test_a_roster_import_changes_the_figures(world, client, auth):
    """An import writes through core.bulk (COPY on PostgreSQL, around SQLAlchemy): the dashboard must hear of it."""
    import io

    from lms.org import imports
    from tests.fixtures.imports import build_file

    auth.login("so-tu-phap")
    assert ratio(dashboard(client), "E1") == "1/3"
    data = build_file([
        {"Họ và tên": f"Người Mới {i}", "Giới tính": "Nữ", "Năm sinh": 1980 + i, "Mã thôn": "31117-01", "Ngày công nhận": D(2025, 3, 1)}
        for i in range(2)
    ])
    result = imports.run_import("mediators", io.BytesIO(data), "hgv.xlsx", None)
    assert result.ok, result.errors
    _db.session.commit()
    assert ratio(dashboard(client), "E1") == "1/5"


def test_the_api_answer_comes_from_the_cache_until_a_row_changes(world, client, auth, monkeypatch):
    calls = []
    real = figures.coverage
    monkeypatch.setattr(figures, "coverage", lambda *a, **k: calls.append(a) or real(*a, **k))
    auth.login("so-tu-phap")

    def e1() -> tuple:
        _db.session.expire_all()
        data = client.get("/api/v1/coverage?unit=92").get_json()
        return data["figures"]["E1"]["numerator"], data["figures"]["E1"]["denominator"]

    assert e1() == (1, 3)
    assert e1() == (1, 3)
    assert len(calls) == 1  # the second answer came from the cache
    cert_services.issue(person=world.members[1].person, program=world.cert.program, issued_on=D(2025, 7, 1))
    _db.session.commit()
    assert e1() == (2, 3)
    assert len(calls) == 2
