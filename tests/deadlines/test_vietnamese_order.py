"""The 6-month rule's lists in Vietnamese order: people with the same deadline by given name, the commune filter in
the state's code order."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from lms.core.roles import Role
from lms.org.models import UnitKind
from tests.fixtures.vietnamese import PEOPLE_IN_ORDER, PEOPLE_SHUFFLED, in_page_order


def test_same_deadline_by_given_name_and_communes_by_code(client, auth, tree, make_unit, make_mediator, make_user, make_program, db, freeze):
    freeze("2026-06-01")
    make_program("hgv", audience="mediator")
    make_unit(UnitKind.COMMUNE, tree.P, "31105", "Xã Vĩnh Trinh")
    for name in PEOPLE_SHUFFLED:
        make_mediator(tree.T1, recognized_on=dt.date(2025, 11, 10), name=name)  # all due 10/05/2026: overdue
    user = make_user(Role.PROVINCE_ADMIN, tree.P)
    db.session.commit()
    auth.login(user.username)
    html = client.get("/certificates/deadlines?status=all").get_data(as_text=True)
    assert in_page_order(html, PEOPLE_IN_ORDER) == PEOPLE_IN_ORDER
    communes = re.search(r'<select[^>]*name="commune"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert re.findall(r'<option value="(\d+)"', communes) == ["31105", "31117", "31120", "31150"]
    rows = list(csv.reader(io.StringIO(client.get("/certificates/deadlines.csv?status=all").get_data(as_text=True).lstrip("\ufeff"))))
    assert [row[0] for row in rows[1:]] == PEOPLE_IN_ORDER
