"""The dashboard and the API say the same thing, for every figure, the unit and each child."""

from __future__ import annotations

import re

import pytest

from lms.reports.figures import CODES

CELL = re.compile(r'<tr data-unit="(?P<unit>[^"]+)".*?</tr>', re.S)
FIG = re.compile(r'data-figure="(?P<code>[^"]+)" data-status="(?P<status>[^"]+)" data-numerator="(?P<num>[^"]*)"\s+data-denominator="(?P<den>[^"]*)"')


def dashboard_table(html: str) -> dict[str, dict[str, tuple]]:
    out = {}
    for row in CELL.finditer(html):
        out[row["unit"]] = {m["code"]: (m["status"], m["num"] or None, m["den"] or None) for m in FIG.finditer(row.group(0))}
    return out


def api_table(body: dict) -> dict[str, dict[str, tuple]]:
    def cells(figs):
        return {c: (f["status"], str(f["numerator"]) if f["numerator"] is not None else None,
                    str(f["denominator"]) if f["denominator"] is not None else None) for c, f in figs.items()}

    out = {body["unit"]: cells(body["figures"])}
    for child in body["children"]:
        out[child["unit"]] = cells(child["figures"])
    return out


@pytest.mark.parametrize("unit_attr", ["P", "D", "C1"])
def test_dashboard_and_api_agree(client, auth, db, world, unit_attr):
    unit = getattr(world.tree, unit_attr)
    db.session.commit()
    auth.login(world.users.province.username)
    date = world.today.isoformat()
    html = client.get("/reports/", query_string={"unit": unit.code, "date": date}).get_data(as_text=True)
    body = client.get("/api/v1/coverage", query_string={"unit": unit.code, "date": date}).get_json()
    page, api = dashboard_table(html), api_table(body)
    assert set(page) == set(api)
    assert len(page) == 1 + len(body["children"]) >= 2
    for code in api:
        assert set(page[code]) == set(CODES)
        assert page[code] == api[code], code
    # and the cards show the unit's own figures
    for code in CODES:
        assert f'data-figure="{code}" data-status="{body["figures"][code]["status"]}"' in html
