"""The real list of units: official kinds and types, codes as Excel leaves them, codes the state reuses after the
July 2025 reform, no silent rename / move / end, and the official list and Cần Thơ's shipped history."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from lms.org import imports
from lms.org.models import Unit, UnitKind
from lms.org.services import official
from tests.fixtures.imports import build_file

OLD_END = "30/06/2025"
NEW_START = "01/07/2025"


def run(rows, scope=None, dry_run=False, confirm=False, fmt="xlsx"):
    return imports.run_import("units", io.BytesIO(build_file(rows, fmt=fmt)), f"dv.{fmt}", scope, dry_run=dry_run, confirm_changes=confirm)


def U(code, name, kind, parent, **extra):
    return {"Mã": code, "Tên": name, "Cấp": kind, "Mã cấp trên": parent, **extra}


def units(code):
    from lms.extensions import db

    return list(db.session.scalars(select(Unit).where(Unit.code == code).order_by(Unit.id)))


@pytest.fixture
def today(freeze):
    return freeze("2026-03-01")


def test_official_kinds_are_understood_and_kept_as_the_units_type(db, today):
    rows = [
        U("92", "Thành phố Cần Thơ", "thành phố trung ương", None),
        U("31120", "Phường Cái Khế", "phường", "92"),
        U("31999", "Đặc khu Thử", "đặc khu", "92"),
        U("31200", "Xã Mỹ Khánh", "Xã / phường / thị trấn", "92"),  # a level word: the type comes from the name
        U("31120-01", "Khu vực 1", "khu vực", "31120"),
        U("31200-01", "Ấp Mỹ Ái", "ấp", "31200"),
    ]
    result = run(rows)
    assert result.ok, result.errors
    got = {u.code: (u.kind, u.unit_type, u.type_title) for u in db.session.scalars(select(Unit))}
    assert got == {
        "92": (UnitKind.PROVINCE, "thành phố trung ương", "Thành phố trung ương"),
        "31120": (UnitKind.COMMUNE, "phường", "Phường"),
        "31999": (UnitKind.COMMUNE, "đặc khu", "Đặc khu"),
        "31200": (UnitKind.COMMUNE, "xã", "Xã"),
        "31120-01": (UnitKind.VILLAGE, "khu vực", "Khu vực"),
        "31200-01": (UnitKind.VILLAGE, "ấp", "Ấp"),
    }


def test_numbers_that_lost_their_leading_zeros_are_padded_by_level(db, today):
    """Commune 00004 and Cao Bằng 04 both reach the file as the number 4: two different units."""
    rows = [
        U(1, "Thành phố Hà Nội", "thành phố trung ương", None),
        U(4, "Tỉnh Cao Bằng", "tỉnh", None),
        U(4, "Phường Ba Đình", "phường", 1),
        U(1045.0, "Xã Thử Cao Bằng", "xã", 4.0),
    ]
    result = run(rows)
    assert result.ok, result.errors
    got = {(u.code, u.name) for u in db.session.scalars(select(Unit))}
    assert got == {("01", "Thành phố Hà Nội"), ("04", "Tỉnh Cao Bằng"), ("00004", "Phường Ba Đình"), ("01045", "Xã Thử Cao Bằng")}
    ba_dinh, ha_noi = units("00004")[0], units("01")[0]
    assert ba_dinh.parent_id == ha_noi.id
    assert units("01045")[0].parent.code == "04"


def test_a_reused_code_is_a_new_unit_and_the_successor_is_the_one_valid_the_day_after(db, tree, today):
    """Old Phường An Hòa 31120 ends on 30 June 2025; today's Phường Cái Khế keeps its code 31120."""
    rows = [
        U("916", "Quận Ninh Kiều", "quận", "92", **{"Hiệu lực đến": OLD_END}),
        U("31117", "Phường An Hòa", "phường", "916", **{"Hiệu lực đến": OLD_END, "Mã đơn vị kế thừa": "31120"}),
        U("31120", "Phường Thới Bình", "phường", "916", **{"Hiệu lực đến": OLD_END, "Mã đơn vị kế thừa": "31120"}),
        U("31120", "Phường Cái Khế", "phường", "92", **{"Hiệu lực từ": NEW_START}),
    ]
    refused = run(rows, scope=tree.P)
    assert not refused.ok  # ending three existing units needs the officer's confirmation
    assert {(c.record, c.field, c.before, c.after) for c in refused.changes_to_confirm} == {
        ("Quận Ninh Kiều (916)", "Hiệu lực đến", "(trống)", OLD_END),
        ("Phường An Hòa (31117)", "Hiệu lực đến", "(trống)", OLD_END),
        ("Phường Thới Bình (31120)", "Hiệu lực đến", "(trống)", OLD_END),
    }
    assert len(units("31120")) == 1

    result = run(rows, scope=tree.P, confirm=True)
    assert result.ok, result.errors
    assert (result.counts["unit"].created, result.counts["unit"].updated) == (1, 3)
    old, new = units("31120")
    assert (old.id, old.name, old.valid_to) == (tree.C2.id, "Phường Thới Bình", dt.date(2025, 6, 30))
    assert (new.name, new.valid_from, new.parent_id) == ("Phường Cái Khế", dt.date(2025, 7, 1), tree.P.id)
    assert old.successor_id == new.id and units("31117")[0].successor_id == new.id
    # the old commune keeps its parent and its villages: the past is not rewritten
    assert old.parent_id == tree.D.id and db.session.get(Unit, tree.V3.id).parent_id == tree.C2.id


def test_an_undated_old_list_cannot_silently_rename_or_move_todays_units(db, tree, today):
    reform = [
        U("916", "Quận Ninh Kiều", "quận", "92", **{"Hiệu lực đến": OLD_END}),
        U("31120", "Phường Thới Bình", "phường", "916", **{"Hiệu lực đến": OLD_END}),
        U("31120", "Phường Cái Khế", "phường", "92", **{"Hiệu lực từ": NEW_START}),
    ]
    assert run(reform, scope=tree.P, confirm=True).ok
    db.session.commit()
    before = db.session.scalar(select(func.count(Unit.id)))

    old_list = [U("31120", "Phường An Hòa", "phường", "916")]  # a 2024 list of Ninh Kiều, with no dates
    dry = run(old_list, scope=tree.P, dry_run=True)
    assert not dry.ok
    messages = " | ".join(e.message for e in dry.errors)
    assert "Phường Cái Khế" in messages and "Phường An Hòa" in messages  # the rename, field by field
    assert "không có hiệu lực ngày" in messages  # and the abolished district as its parent
    assert [(c.field, c.before, c.after) for c in dry.changes_to_confirm] == [("Tên", "Phường Cái Khế", "Phường An Hòa")]
    # confirming does not help: a unit cannot be put under a district that no longer exists
    assert not run(old_list, scope=tree.P, confirm=True).ok
    db.session.rollback()
    assert db.session.scalar(select(func.count(Unit.id))) == before
    assert units("31120")[1].name == "Phường Cái Khế"


def test_a_code_cannot_name_two_units_at_once(db, tree, today):
    result = run([U("31120", "Phường Khác", "phường", "92", **{"Hiệu lực từ": "01/01/2026", "Hiệu lực đến": "31/12/2026"})], scope=tree.P)
    assert not result.ok  # it overlaps Phường Thới Bình (31120), open-ended: an update of it, listed for confirmation
    assert {c.field for c in result.changes_to_confirm} >= {"Tên", "Hiệu lực từ"}


def test_successor_needs_an_end_date(db, tree, today):
    result = run([U("31117", "Phường An Hòa", "phường", None, **{"Mã đơn vị kế thừa": "31150"})], scope=tree.P)
    assert [e.column for e in result.errors] == ["Mã đơn vị kế thừa"]
    assert "Hiệu lực đến" in result.errors[0].message


def test_a_village_of_a_split_commune_goes_to_its_own_successor(db, tree, today):
    """Phường An Hòa is split: Khu vực 1 goes with it to the new Phường Cái Khế, Khu vực 2 to Xã Thạnh Phú."""
    rows = [
        U("31117", "Phường An Hòa", "phường", "916", **{"Hiệu lực đến": OLD_END, "Mã đơn vị kế thừa": "31120"}),
        U("31117-02", "Khu vực 2", "khu vực", "31117", **{"Hiệu lực đến": OLD_END, "Mã đơn vị kế thừa": "31117-02"}),
        U("31120", "Phường Thới Bình", "phường", "916", **{"Hiệu lực đến": OLD_END, "Mã đơn vị kế thừa": "31120"}),
        U("31120", "Phường Cái Khế", "phường", "92", **{"Hiệu lực từ": NEW_START}),
        U("31117-02", "Khu vực 2", "khu vực", "31150", **{"Hiệu lực từ": NEW_START}),
    ]
    result = run(rows, scope=tree.P, confirm=True)
    assert result.ok, result.errors
    old_v2, new_v2 = units("31117-02")
    assert old_v2.id == tree.V2.id and old_v2.parent_id == tree.C1.id and old_v2.valid_to == dt.date(2025, 6, 30)
    assert new_v2.parent_id == tree.C3.id and new_v2.valid_from == dt.date(2025, 7, 1) and old_v2.successor_id == new_v2.id


def test_the_official_list_creates_what_is_missing_and_shows_what_differs(db, tree, today):
    report = official.load_official("92")
    assert report.data_version == "2025-10-18"
    communes = [u for u in report.created if u.kind == UnitKind.COMMUNE]
    ours = {"31117", "31120", "31150"} & {u.code for u in official.official_units("92")}
    assert len(communes) == 103 - len(ours) and not any(u.kind == UnitKind.PROVINCE for u in report.created)
    assert {u.unit_type for u in communes} == {"phường", "xã"}
    # ours: "Phường Thới Bình" 31120 under the district, open-ended; the list: "Phường Cái Khế" under the province
    assert {(d.code, d.field) for d in report.differences} >= {("31120", "Tên"), ("31120", "Cấp trên"), ("92", "Loại")}
    assert units("31120")[0].name == "Phường Thới Bình"  # never overwritten
    cai_rang = units("31153")  # a commune we did not have: created, valid from the reform
    assert cai_rang and cai_rang[0].valid_from == official.REFORM_DAY and cai_rang[0].parent_id == tree.P.id


def test_the_whole_country_loads(db, today):
    report = official.load_official()
    assert len([u for u in report.created if u.kind == UnitKind.PROVINCE]) == 34
    counts = {}
    for u in report.created:
        counts[u.unit_type] = counts.get(u.unit_type, 0) + 1
    assert (counts["xã"], counts["phường"], counts["đặc khu"]) == (2621, 687, 13)
    assert units("04")[0].name == "Tỉnh Cao Bằng" and units("00004")[0].name == "Phường Ba Đình"


def test_can_tho_with_its_history(db, make_unit, today):
    make_unit(UnitKind.PROVINCE, None, "92", "Thành phố Cần Thơ")
    official.load_official("92")
    result = official.load_history("92")
    assert result.ok, result.errors[:5]
    assert result.counts["unit"].created == 293  # 2 old provinces, 28 districts, 263 communes
    cai_khe, an_hoa = units("31120")  # the official list first, then the history
    assert (an_hoa.name, an_hoa.valid_to, an_hoa.parent.code) == ("Phường An Hòa", dt.date(2025, 6, 30), "916")
    assert (cai_khe.name, cai_khe.valid_from) == ("Phường Cái Khế", dt.date(2025, 7, 1)) and an_hoa.successor_id == cai_khe.id
    hau_giang = units("93")[0]
    assert hau_giang.successor.code == "92" and hau_giang.valid_to == dt.date(2025, 6, 30)
    # loading it again changes nothing
    again = official.load_history("92")
    assert again.ok and again.counts["unit"].created == 0 and again.counts["unit"].updated == 0


def test_the_unit_page_shows_the_official_type_and_marks_ended_units(client, auth, tree, make_user, db, today):
    from lms.core.roles import Role

    assert run([U("916", "Quận Ninh Kiều", "quận", "92", **{"Hiệu lực đến": OLD_END})], scope=tree.P, confirm=True).ok
    db.session.commit()
    user = make_user(role=Role.PROVINCE_ADMIN, unit=tree.P)
    db.session.commit()
    auth.login(user.username)
    html = client.get(f"/org/units/{tree.P.id}").get_data(as_text=True)
    assert 'Quận <span class="text-muted">· Huyện / quận' in html and "Hết hiệu lực từ 01/07/2025" in html


def test_figures_of_can_tho_with_its_whole_history(db, make_unit, today):
    """641 path ranges for the merged province (263 old communes of three provinces): more than SQLite's 500 terms
    of a compound SELECT, which the figures once hit (a 500 page for the province's administrator)."""
    from lms.reports.figures import coverage

    province = make_unit(UnitKind.PROVINCE, None, "92", "Thành phố Cần Thơ")
    official.load_official("92")
    assert official.load_history("92").ok
    after = coverage(province, dt.date(2025, 12, 31))
    before = coverage(province, dt.date(2025, 3, 31))
    assert after.unit.id == before.unit.id == province.id
    assert len(after.children) == 103 and {"B1", "E3"} <= set(after.figures)
    assert len(before.children) == 9  # old Cần Thơ's districts; Hậu Giang and Sóc Trăng were provinces of their own


# --------------------------------------------------------------------------- the official list from the web


def _post(client, url, data):
    from tests.conftest import csrf_token

    page = client.get(url)
    return client.post(url, data={**data, "csrf_token": csrf_token(page.get_data(as_text=True))})


def test_a_province_admin_checks_then_loads_the_official_list_and_history(client, auth, db, make_unit, make_user, today):
    from lms.core.roles import Role

    province = make_unit(UnitKind.PROVINCE, None, "92", "Thành phố Cần Thơ")
    make_user(Role.PROVINCE_ADMIN, province, username="so-tu-phap-ct")
    db.session.commit()
    auth.login("so-tu-phap-ct")
    form = client.get("/org/units/official").get_data(as_text=True)
    assert "Nạp danh mục đơn vị hành chính của Nhà nước" in form and "Thành phố Cần Thơ" in form and "Cả nước" not in form

    check = _post(client, "/org/units/official", {"province": "92", "history": "y", "action": "check"})
    assert check.status_code == 302
    html = client.get(check.headers["Location"]).get_data(as_text=True)
    assert "Kết quả kiểm tra: Thành phố Cần Thơ" in html and "Chưa ghi gì." in html
    assert "Sẽ tạo mới" in html and "phường: 31" in html and "xã: 72" in html
    assert db.session.scalar(select(func.count()).select_from(Unit)) == 1  # a check writes nothing

    load = _post(client, "/org/units/official", {"province": "92", "history": "y", "action": "load"})
    html = client.get(load.headers["Location"]).get_data(as_text=True)
    assert "Đã nạp." in html and "Xem bảng điều khiển" in html
    assert db.session.scalar(select(func.count()).select_from(Unit)) == 1 + 103 + 293
    cai_khe, an_hoa = units("31120")
    assert (an_hoa.name, cai_khe.name) == ("Phường An Hòa", "Phường Cái Khế")
    # the province before and after the reform, on the dashboard
    before = client.get("/reports/?unit=92&date=2025-03-31").get_data(as_text=True)
    after = client.get("/reports/?unit=92&date=2025-12-31").get_data(as_text=True)
    assert "Quận Ninh Kiều" in before and "Phường Cái Khế" not in before
    assert "Phường Cái Khế" in after and "Quận Ninh Kiều" not in after


def test_only_system_and_province_admins_load_the_list_and_only_their_province(client, auth, db, tree, make_user, today):
    from lms.core.roles import Role

    make_user(Role.PROVINCE_ADMIN, tree.P, username="so-tu-phap")
    make_user(Role.COMMUNE_OFFICER, tree.C1, username="can-bo-xa")
    make_user(Role.SYSTEM_ADMIN, tree.P, username="quan-tri")
    db.session.commit()
    auth.login("can-bo-xa")
    assert client.get("/org/units/official").status_code == 403
    auth.logout()
    auth.login("so-tu-phap")
    other = _post(client, "/org/units/official", {"province": "01", "action": "load"})
    assert other.status_code == 400 and not units("01")  # Hà Nội is not theirs
    auth.logout()
    auth.login("quan-tri")
    page = client.get("/org/units/official").get_data(as_text=True)
    assert "Cả nước (34 tỉnh, thành phố)" in page and "01 · Thành phố Hà Nội" in page
    load = _post(client, "/org/units/official", {"province": "04", "action": "load"})
    html = client.get(load.headers["Location"]).get_data(as_text=True)
    assert "Đã nạp." in html and units("04")[0].name == "Tỉnh Cao Bằng"
