"""An officer revokes a certificate in the browser; the public page (the QR target) says so without login."""

from __future__ import annotations

import datetime as dt

import pytest

from lms.core.roles import Role
from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


@pytest.fixture
def certificate(db, tree, make_person, make_user, make_certificate, freeze):
    freeze("2026-03-10")
    person = make_person(tree.V1, name="Nguyễn Thị Ngọc Hường", birth_year=1971)
    cert = make_certificate(person, issued_on=dt.date(2026, 2, 1))
    make_user(Role.COMMUNE_OFFICER, tree.C1, username="cb-an-hoa")
    db.session.commit()
    return cert


def test_officer_revokes_and_the_public_page_shows_it(live_server, browser, certificate, db):
    anonymous = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    officer = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    try:
        public = anonymous.new_page()
        public.set_default_timeout(15000)
        verify_url = f"{live_server}/verify/{certificate.verification_code}"

        # the QR URL opened without login: valid
        public.goto(verify_url)
        status = public.locator("[data-status]")
        assert status.get_attribute("data-status") == "valid"
        assert "Còn hiệu lực" in status.inner_text()
        body = public.locator("main").inner_text()
        assert "Nguyễn Thị Ngọc Hường" in body and "01/02/2026" in body and "1971" not in body
        assert public.locator("nav").get_by_text("Đăng nhập").count() == 1  # nobody is signed in here

        # the officer finds it in the list and revokes it with a reason
        page = officer.new_page()
        page.set_default_timeout(15000)
        login(page, live_server, "cb-an-hoa")
        page.click("nav a.nav-link:has-text('Giấy chứng nhận')")
        assert page.locator("h1").inner_text().startswith("Giấy chứng nhận")
        page.click(f"a:has-text('{certificate.serial}')")
        assert page.locator("h1").inner_text() == f"Giấy chứng nhận số {certificate.serial}"
        page.click("a:has-text('Thu hồi')")
        page.fill("textarea[name=reason]", "Cấp nhầm người")
        page.check("input[name=confirm]")
        page.click("button[type=submit]:has-text('Thu hồi')")
        page.wait_for_load_state()
        assert "Đã thu hồi giấy chứng nhận số" in page.locator(".alert-success").inner_text()
        assert "Đã thu hồi (10/03/2026)" in page.locator("main").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

        # the same public page now says revoked, with the date
        public.reload()
        status = public.locator("[data-status]")
        assert status.get_attribute("data-status") == "revoked"
        assert "Đã thu hồi ngày 10/03/2026" in status.inner_text()
        assert "Cấp nhầm người" not in public.content()
    finally:
        officer.close()
        anonymous.close()
