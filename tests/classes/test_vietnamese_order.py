"""The class form's choices in Vietnamese order: organizing units (the state's codes in code order, a higher level
first, grouped by parent) and trainers (by given name)."""

from __future__ import annotations

import datetime as dt
import re

from lms.core.roles import Role
from lms.org.models import TrainerLevel, UnitKind
from lms.org.services import roster
from tests.fixtures.vietnamese import in_page_order


def options(html: str, field: str) -> list[str]:
    m = re.search(rf'<select[^>]*name="{field}"[^>]*>(.*?)</select>', html, re.S)
    assert m, f"no select {field}"
    return [label for value, label in re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', m.group(1)) if value]


def test_class_form_lists_organizers_and_trainers_in_order(client, auth, tree, make_unit, make_person, make_user, db, freeze):
    freeze("2026-03-01")
    # created after the tree's units: neither their ids nor their names give the state's order
    make_unit(UnitKind.COMMUNE, tree.D, "31108", "Phường Xuân Khánh")
    make_unit(UnitKind.COMMUNE, tree.P, "31105", "Xã Vĩnh Trinh")
    for name in ("Đặng Văn Tâm", "Lê Thị Ánh", "Võ Minh An"):
        roster.appoint_trainer(person=make_person(tree.P, name=name), level=TrainerLevel.PROVINCE, unit=tree.P, started_on=dt.date(2025, 1, 1))
    user = make_user(Role.PROVINCE_ADMIN, tree.P)
    db.session.commit()
    auth.login(user.username)
    html = client.get("/learn/classes/new").get_data(as_text=True)
    organizers = [label.split(" – ")[0].split(" (")[0] for label in options(html, "unit_id")]
    assert organizers == [
        "Thành phố Cần Thơ",
        "Quận Ninh Kiều", "Xã Vĩnh Trinh", "Xã Thạnh Phú",  # under the province: the district, then communes 31105, 31150
        "Phường Xuân Khánh", "Phường An Hòa", "Phường Thới Bình",  # under the district: 31108, 31117, 31120
    ]
    trainers = ["Võ Minh An", "Lê Thị Ánh", "Đặng Văn Tâm"]
    assert in_page_order(html, trainers) == trainers
