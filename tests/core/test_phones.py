"""Vietnamese phone numbers in every form people type them, with ``phonenumbers`` (lms.core.phones)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms.core.errors import ServiceError
from lms.core.phones import OLD_MOBILE_PREFIXES, PhoneKind, normalize_phone, phone_kind
from lms.core.roles import Role
from lms.org import imports
from lms.org.services import accounts

FORMS = {
    # mobile, as typed
    "0912345678": "0912345678",
    "0912 345 678": "0912345678",
    "0912.345.678": "0912345678",
    "0912-345-678": "0912345678",
    "+84 912 345 678": "0912345678",
    "+84912345678": "0912345678",
    "0084 912 345 678": "0912345678",
    "84912345678": "0912345678",
    "(+84) 912-345-678": "0912345678",
    # as Excel leaves it: a number, the leading zero lost, perhaps a float
    "912345678": "0912345678",
    "912345678.0": "0912345678",
    # landlines with their area code (Cần Thơ 0292)
    "0292 3831 234": "02923831234",
    "(0292) 3831234": "02923831234",
    "+84 292 3831 234": "02923831234",
    "0084 292 3831 234": "02923831234",
    "2923831234": "02923831234",
    # the old 11-digit mobile numbers, converted as the carriers did in 2018
    "0121 234 5678": "0792345678",
    "01212345678": "0792345678",
    "+84 121 234 5678": "0792345678",
    "0169 123 4567": "0391234567",
    "0188 123 4567": "0581234567",
    "0199 123 4567": "0591234567",
    "0123 456 7890": "0834567890",
}


@pytest.mark.parametrize(("typed", "stored"), FORMS.items())
def test_every_form_of_a_number_has_one_stored_form(typed, stored):
    assert normalize_phone(typed) == stored
    assert normalize_phone(stored) == stored  # idempotent


def test_kinds():
    assert phone_kind("0912 345 678") == PhoneKind.MOBILE
    assert phone_kind("0121 234 5678") == PhoneKind.MOBILE
    assert phone_kind("+84 292 3831 234") == PhoneKind.LANDLINE
    assert phone_kind("1900 1234") == PhoneKind.OTHER
    for bad in ("12345", "0912", "0000000000", "abc", "", None, "+1 202 555 0100"):
        assert phone_kind(bad) is None, bad


def test_every_old_prefix_becomes_a_valid_mobile():
    for old, new in OLD_MOBILE_PREFIXES.items():
        assert normalize_phone(f"0{old}1234567") == f"0{new}1234567"
        assert phone_kind(f"0{old}1234567") == PhoneKind.MOBILE, old


def test_what_is_not_a_number_keeps_its_digits_for_search():
    assert normalize_phone("0912") == "0912" and normalize_phone(" ") is None and normalize_phone(None) is None


@given(st.sampled_from(["32", "39", "56", "70", "79", "81", "86", "88", "90", "91", "96", "98"]), st.integers(0, 9_999_999))
def test_imports_keep_the_leading_zero_whatever_the_cell(prefix, rest):
    n = int(f"{prefix}{rest:07d}")
    assert imports.parse_phone(n) == f"0{n}"
    assert imports.parse_phone(float(n)) == f"0{n}"
    assert imports.parse_phone(f"+84 {n}") == f"0{n}"
    assert imports.parse_phone(f"0084{n}") == f"0{n}"


def test_imports_accept_a_landline_and_refuse_what_is_no_number():
    assert imports.parse_phone("0292 3831 234") == "02923831234"
    with pytest.raises(ValueError, match="số điện thoại không hợp lệ: «0292 38» .*0292 3831 234"):
        imports.parse_phone("0292 38")


def test_a_landline_is_a_contact_not_a_username(db, tree, make_mediator):
    person = make_mediator(tree.T1, phone="+84 292 3831 234", name="Đặng Thị Ánh").person
    assert person.phone == "02923831234"  # kept as a contact
    with pytest.raises(ServiceError, match="«Đặng Thị Ánh» có số máy bàn «02923831234»: tên đăng nhập phải là số di động"):
        accounts.create_mediator_account(person)
    plan = accounts.plan_commune_accounts(tree.C1)
    assert [(p.full_name, reason) for p, reason in plan.skipped] == [
        ("Đặng Thị Ánh", "Có số máy bàn «02923831234»: tên đăng nhập phải là số di động, hãy ghi số di động của người này.")]


def test_an_old_number_and_any_typed_form_sign_in(db, client, tree, make_mediator):
    person = make_mediator(tree.T1, phone="0121 234 5678", name="Lưu Văn Ơn").person
    user, password = accounts.create_mediator_account(person)
    assert user.username == "0792345678"
    db.session.commit()
    for typed in ("0792 345 678", "+84 79 234 5678", "01212345678"):
        assert accounts.user_by_username(typed) == user, typed
    page = client.get("/auth/login")
    from tests.conftest import csrf_token

    resp = client.post("/auth/login", data={"username": "+84 121 234 5678", "password": password,
                                            "csrf_token": csrf_token(page.get_data(as_text=True))})
    assert resp.status_code == 302 and user.role == Role.MEDIATOR
