from lms.core.access import undeclared_endpoints


def test_every_route_declares_its_audience(app):
    assert undeclared_endpoints(app) == []


def test_anonymous_is_sent_to_login(client):
    resp = client.get("/org/units")
    assert resp.status_code == 302
    assert "/auth/login" in resp.headers["Location"]


def test_login_and_unit_page(client, auth, tree, make_user, db):
    from lms.core.roles import Role

    user = make_user(Role.PROVINCE_ADMIN, tree.P)
    db.session.commit()
    resp = auth.login(user.username)
    assert resp.status_code == 302
    page = client.get(f"/org/units/{tree.P.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Thành phố Cần Thơ" in html and "Quận Ninh Kiều" in html
    assert client.get(f"/org/units/{tree.Q.id}").status_code == 404
