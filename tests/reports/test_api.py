"""GET /api/v1/coverage (tokens scoped like their owner, sessions too) and the OpenAPI document."""

from __future__ import annotations

import json
import re

from lms.org.models import ApiToken
from lms.org.services import accounts
from lms.org.services.tokens import create_token, revoke_token
from lms.reports.figures import CODES, coverage
from tests.fixtures import reports as world_mod


def token_for(db, user, name="Báo cáo") -> str:
    _, plaintext = create_token(user, name)
    db.session.commit()
    return plaintext


def get(client, token, **params):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.get("/api/v1/coverage", query_string=params, headers=headers)


def roundtrip(data: dict) -> dict:
    return json.loads(json.dumps(data))


def test_the_json_is_exactly_coverage_as_dict(client, db, world):
    token = token_for(db, world.users.province)
    resp = get(client, token, unit="92", date="2025-10-15")
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    expected = coverage(world.tree.P, world.today).as_dict()
    assert resp.get_json() == roundtrip(expected)
    body = resp.get_json()
    assert set(body["figures"]) == set(CODES)
    assert sorted(c["unit"] for c in body["children"]) == ["31150", "916"]
    # the figures are populated, not all "not applicable"
    assert body["figures"]["E1"] == {"numerator": 3, "denominator": 11, "value": 27.3, "target": 80.0, "status": "not_met"}
    assert body["figures"]["H"]["value"] == round(100 * 26 / 42, 1)


def test_date_and_year_are_passed_through(client, db, world):
    token = token_for(db, world.users.province)
    body = get(client, token, unit="31117", date="2025-03-31", year="2024").get_json()
    assert body["date"] == "2025-03-31" and body["year"] == 2024
    assert body == roundtrip(coverage(world.tree.C1, world_mod.D(2025, 3, 31), 2024).as_dict())
    assert body["figures"]["H"]["numerator"] == 4 and body["figures"]["H"]["denominator"] == 5
    # without a date: today (the one clock)
    assert get(client, token, unit="31117").get_json()["date"] == "2025-10-15"


def test_a_commune_officer_token_stays_in_its_commune(client, db, world):
    token = token_for(db, world.users.commune)
    own = get(client, token, unit="31117", date="2025-10-15")
    assert own.status_code == 200
    assert own.get_json() == roundtrip(coverage(world.tree.C1, world.today).as_dict())
    for code in ("31120", "92", "916", "31150", "94", "31500", "khong-co"):
        resp = get(client, token, unit=code, date="2025-10-15")
        assert resp.status_code == 404, code
        assert resp.get_json()["error"] == "Không tìm thấy"
        assert "figures" not in resp.get_json()
    # the village below it is inside the scope
    assert get(client, token, unit="31117-01").status_code == 200


def test_district_and_other_province_tokens(client, db, world):
    district = token_for(db, world.users.district)
    assert get(client, district, unit="916").status_code == 200
    assert get(client, district, unit="31120").status_code == 200
    assert get(client, district, unit="31150").status_code == 404
    assert get(client, district, unit="92").status_code == 404
    outside = token_for(db, world.users.outside)
    assert get(client, outside, unit="94").status_code == 200
    assert get(client, outside, unit="92").status_code == 404


def test_trainers_may_read_mediators_may_not(client, db, world):
    assert get(client, token_for(db, world.users.trainer), unit="92").status_code == 200
    resp = get(client, token_for(db, world.users.mediator), unit="31117-01")
    assert resp.status_code == 403
    assert resp.get_json()["error"] == "Không có quyền truy cập"


def test_without_valid_authentication_401(client, db, world):
    token = token_for(db, world.users.commune)
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer sai-ma"}, {"Authorization": f"Basic {token}"},
                    {"Authorization": token}):
        resp = client.get("/api/v1/coverage?unit=31117", headers=headers)
        assert resp.status_code == 401, headers
        assert resp.get_json()["error"] == "Chưa xác thực"
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        assert "Set-Cookie" not in resp.headers


def test_revoked_token_and_disabled_owner_get_401(client, db, world):
    token = token_for(db, world.users.commune)
    assert get(client, token, unit="31117").status_code == 200
    revoke_token(db.session.query(ApiToken).one())
    db.session.commit()
    assert get(client, token, unit="31117").status_code == 401
    other = token_for(db, world.users.commune, "Khác")
    assert get(client, other, unit="31117").status_code == 200
    accounts.set_active(world.users.commune, False)
    db.session.commit()
    assert get(client, other, unit="31117").status_code == 401


def test_a_token_notes_its_last_use_and_sets_no_session(client, db, world):
    token = token_for(db, world.users.commune)
    row = db.session.query(ApiToken).one()
    assert row.last_used_at is None
    resp = get(client, token, unit="31117")
    assert "Set-Cookie" not in resp.headers
    db.session.refresh(row)
    assert row.last_used_at is not None
    # a token is accepted on the API only: the HTML pages still ask for a login
    page = client.get("/org/profile", headers={"Authorization": f"Bearer {token}"})
    assert page.status_code == 302 and "/auth/login" in page.headers["Location"]


def test_bad_parameters_400(client, db, world):
    token = token_for(db, world.users.province)
    for params, words in (
        ({"unit": "92", "date": "15/10/2025"}, "YYYY-MM-DD"),
        ({"unit": "92", "date": "2025-02-30"}, "không tồn tại"),
        ({"unit": "92", "year": "hai"}, "Năm"),
        ({"unit": "92", "year": "1999"}, "Năm"),
        ({"date": "2025-10-15"}, "Thiếu mã đơn vị"),
    ):
        resp = get(client, token, **params)
        assert resp.status_code == 400, params
        assert words in resp.get_json()["message"]


def test_a_signed_in_session_works_too(client, auth, db, world):
    auth.login(world.users.commune.username)
    assert client.get("/api/v1/coverage?unit=31117&date=2025-10-15").get_json() == roundtrip(coverage(world.tree.C1, world.today).as_dict())
    assert client.get("/api/v1/coverage?unit=31120").status_code == 404
    # a token that is sent must be valid, session or not
    assert client.get("/api/v1/coverage?unit=31117", headers={"Authorization": "Bearer sai"}).status_code == 401


def test_rate_limit_per_token(app, db, world):
    from lms.extensions import db as _db
    from lms.extensions import limiter
    from tests.conftest import make_app

    first = token_for(db, world.users.commune, "Một")
    second = token_for(db, world.users.commune, "Hai")
    limited = make_app(app.config["SQLALCHEMY_DATABASE_URI"], RATELIMIT_ENABLED=True)
    try:
        with limited.test_client() as c:
            codes = [get(c, first, unit="31117").status_code for _ in range(121)]
            assert codes[:120] == [200] * 120 and codes[120] == 429
            assert get(c, second, unit="31117").status_code == 200
    finally:
        with limited.app_context():
            _db.engine.dispose()
        limiter.enabled = False  # the limiter object is shared with the session-wide test app


# --------------------------------------------------------------------------- OpenAPI


def test_openapi_describes_every_api_route(app, client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    doc = resp.get_json()
    assert doc["openapi"] == "3.0.3"
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1")]
    assert {r.endpoint for r in rules} >= {"api.coverage", "api.openapi", "verify.api_certificate"}
    for rule in rules:
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        assert path in doc["paths"], f"{rule.rule} ({rule.endpoint}) is not in the OpenAPI document"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = doc["paths"][path].get(method.lower())
            assert operation is not None, f"{method} {path} is not described"
            assert operation["responses"]
            for arg in rule.arguments:
                assert any(p["name"] == arg and p["in"] == "path" for p in operation["parameters"])
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {**doc["components"]["securitySchemes"]["bearerAuth"], "type": "http", "scheme": "bearer"}
    schemas = doc["components"]["schemas"]
    assert set(schemas["Figures"]["properties"]) == set(CODES)
    assert set(schemas["Figure"]["required"]) == {"numerator", "denominator", "value", "target", "status"}
    # every $ref resolves
    for ref in re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(doc)):
        assert ref in schemas


def test_the_coverage_response_matches_its_schema(client, db, world):
    doc = client.get("/api/v1/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    body = get(client, token_for(db, world.users.province), unit="92").get_json()
    assert set(body) == set(schemas["Coverage"]["properties"]) and set(schemas["Coverage"]["required"]) <= set(body)
    for figures in [body["figures"], *(c["figures"] for c in body["children"])]:
        for figure in figures.values():
            assert set(figure) == set(schemas["Figure"]["properties"])
            assert figure["status"] in schemas["Figure"]["properties"]["status"]["enum"]
    assert set(body["children"][0]) == set(schemas["ChildCoverage"]["properties"])
