"""Common and guessable passwords are refused wherever a password is set, with the reason in
Chinese at the field."""

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.accounts.passwords import check_password
from marketplace.accounts.strength import password_problem
from marketplace.demo import DEMO_PASSWORD
from tests import factories
from tests.api.conftest import assert_error
from tests.conftest import login
from tests.factories import PASSWORD
from tests.page_helpers import field_errors, submit, text

WEAK = ["password123", "12345678", "qwertyuiop", "1qaz2wsx3edc", "Aa12345678", "woaini1314", "aaaaaaaaaa"]


@pytest.mark.parametrize("password", WEAK)
def test_common_passwords_are_weak(password):
    assert password_problem(password).startswith("密码强度不足")


def test_the_persons_own_details_do_not_make_a_password():
    problem = password_problem("zhangweiming2026", ["zhangweiming@shuzi.example.cn", "张伟明"])
    assert "邮箱、姓名或单位名称" in problem
    assert password_problem("zhangweiming2026") is None  # strong for anyone else


@pytest.mark.parametrize("password", [PASSWORD, DEMO_PASSWORD, "Huangpu-river-2026", "shuzi-keji-2026"])
def test_good_passwords_pass(password):
    assert password_problem(password, ["admin@demo.gov.cn", "平台管理员"]) is None


def test_very_long_passwords_are_judged_not_refused():
    assert password_problem("k7#Qm2!xR9" * 12) is None
    assert password_problem("a" * 128) is not None


SIGNUP = {"organisation_name": "上海数字小区科技有限公司", "credit_code": factories.valid_credit_code(9_100_001),
          "contact_name": "张伟明", "email": "zhangweiming@shuzi.example.cn"}


@pytest.mark.parametrize("password, reason", [("password123", "非常常见"), ("zhangweiming2026", "邮箱、姓名")])
def test_sign_up_refuses_a_weak_password_at_the_field(client, db, password, reason):
    response = submit(client, "/signup", dict(SIGNUP, password=password, confirm=password))
    assert response.status_code == 200
    errors = field_errors(text(response))
    assert list(errors) == ["password"] and reason in errors["password"][0]
    assert "上海数字小区科技有限公司" in text(response)  # typed values are kept
    assert not db.session.scalar(sa.select(User.id).where(User.email == SIGNUP["email"]))


def test_password_change_refuses_a_weak_password(client, create_user, db):
    user = create_user("evaluator")
    login(client, user)
    response = submit(client, "/account", {"current_password": PASSWORD, "new_password": "password123",
                                           "confirm": "password123"})
    assert list(field_errors(text(response))) == ["new_password"]
    db.session.refresh(user)
    assert check_password(user.password_hash, PASSWORD)


def test_admin_page_refuses_a_weak_initial_password(client, admin, db):
    login(client, admin)
    response = submit(client, "/admin/users/new", {"email": "li@example.gov.cn", "name": "李经办",
                                                   "password": "abc12345678", "role": "evaluator"})
    assert list(field_errors(text(response))) == ["password"]
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_api_refuses_a_weak_password(api, admin):
    error = assert_error(api(admin).post("/users", json={
        "email": "expert@example.cn", "password": "12345678", "name": "王专家", "role": "evaluator"}),
        422, "validation_failed", field="password")
    assert "最常见" in error["fields"]["password"]


def test_create_admin_refuses_a_weak_password(app, db):
    result = app.test_cli_runner().invoke(args=["create-admin", "chief@example.gov.cn", "--password", "password123"])
    assert result.exit_code == 2
    assert "密码强度不足" in result.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0
