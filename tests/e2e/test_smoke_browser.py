import pytest

from lms.core.roles import Role
from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


def test_officer_sees_unit_tree_in_browser(live_server, phone_page, tree, make_user, db):
    user = make_user(Role.PROVINCE_ADMIN, tree.P)
    db.session.commit()
    login(phone_page, live_server, user.username)
    phone_page.goto(f"{live_server}/org/units/{tree.P.id}")
    assert "Quận Ninh Kiều" in phone_page.content()
    assert phone_page.locator("h1").inner_text().startswith("Thành phố Cần Thơ")
