"""One rule for email addresses: login, sign-up, the admin's form, the API and `create-admin`
accept exactly the same addresses and store them in the form login looks them up by."""

import pytest
import sqlalchemy as sa

from marketplace.accounts.emails import InvalidEmail, normalise_email
from marketplace.accounts.models import User
from tests.api.conftest import assert_error
from tests.factories import PASSWORD

DECOMPOSED = "jose\u0301@example.cn"  # é typed as e + combining accent (some keyboards, pasted text)
COMPOSED = "jos\u00e9@example.cn"


@pytest.mark.parametrize("raw, stored", [
    ("  Li.Si@Example.GOV.cn ", "li.si@example.gov.cn"),
    (DECOMPOSED, COMPOSED),
    ("用户@例子.中国", "用户@例子.中国"),
])
def test_normal_form(raw, stored):
    assert normalise_email(raw) == stored


@pytest.mark.parametrize("raw", ["admin", "admin@localhost", "x@example.test", "a..b@example.cn", "a@b", "",
                                 "x" * 250 + "@a.cn"])
def test_refused(raw):
    with pytest.raises(InvalidEmail) as exc:
        normalise_email(raw)
    assert any("\u4e00" <= c <= "\u9fff" for c in str(exc.value))


@pytest.mark.parametrize("email", ["admin@localhost", "root", "x@example.test"])
def test_create_admin_refuses_what_login_refuses(app, db, client, email):
    result = app.test_cli_runner().invoke(args=["create-admin", email, "--password", PASSWORD])
    assert result.exit_code == 2, result.output
    assert "邮箱" in result.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0
    assert_error(client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD}), 422, field="email")


def test_create_admin_stores_the_form_login_finds(app, db, client):
    result = app.test_cli_runner().invoke(args=["create-admin", DECOMPOSED, "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert client.post("/api/v1/auth/token", json={"email": COMPOSED, "password": PASSWORD}).status_code == 200


def test_api_stores_the_form_login_finds(api, admin, client):
    response = api(admin).post("/users", json={"email": DECOMPOSED, "password": PASSWORD, "name": "何塞",
                                                "role": "evaluator"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["email"] == COMPOSED
    for typed in (COMPOSED, DECOMPOSED, COMPOSED.upper()):
        assert client.post("/api/v1/auth/token", json={"email": typed, "password": PASSWORD}).status_code == 200


def test_api_refuses_what_login_refuses(api, admin):
    assert_error(api(admin).post("/users", json={"email": "admin@localhost", "password": PASSWORD, "name": "甲",
                                                 "role": "evaluator"}), 422, field="email")
