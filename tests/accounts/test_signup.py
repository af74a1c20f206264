"""Sign-up does not reveal which emails are registered, and is throttled per address."""

import sqlalchemy as sa

from marketplace.accounts.models import Organisation, User
from marketplace.audit.models import AuditEvent
from tests import factories
from tests.conftest import login
from tests.factories import PASSWORD
from tests.page_helpers import field_errors, page, submit, text

NEW_PASSWORD = "Shuzi-xiaoqu-2026"


def _data(n, **overrides):
    data = {"organisation_name": f"上海数字小区科技有限公司{n}", "credit_code": factories.valid_credit_code(9_200_000 + n),
            "contact_name": "王经理", "email": f"wang{n}@shuzi.example.cn", "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD}
    data.update(overrides)
    return data


def _counts(db):
    return tuple(db.session.scalar(sa.select(sa.func.count(model.id))) for model in (Organisation, User, AuditEvent))


def test_sign_up_answers_the_same_for_a_registered_email(new_client, create_user, db):
    someone = create_user("evaluator", email="someone@example.gov.cn")
    fresh, probe = new_client(), new_client()
    new_account = submit(fresh, "/signup", _data(1))
    before = _counts(db)
    existing = submit(probe, "/signup", _data(2, email="SomeOne@Example.gov.cn"))
    assert (existing.status_code, existing.headers["Location"]) == (new_account.status_code, new_account.headers["Location"])
    assert "该邮箱已注册" not in text(existing)
    assert "注册已提交" in page(fresh, "/login") and "注册已提交" in page(probe, "/login")
    # nothing was created or changed for the registered address
    assert _counts(db) == before
    login(new_client(), someone)
    db.session.refresh(someone)
    assert someone.role.value == "evaluator" and someone.organisation_id is None


def test_the_flash_after_sign_up_is_identical(new_client, create_user):
    create_user("evaluator", email="someone@example.gov.cn")
    bodies = []
    for n, email in ((3, "new@shuzi.example.cn"), (4, "someone@example.gov.cn")):
        client = new_client()
        submit(client, "/signup", _data(n, email=email))
        body = client.get("/login").get_data(as_text=True)
        bodies.append(body[body.index("<main"):body.index("</main>")].split('name="csrf_token"')[0])
    assert bodies[0] == bodies[1]


def test_sign_up_is_throttled_per_address(app, new_client, monkeypatch, db):
    monkeypatch.setitem(app.config, "SIGNUP_LIMIT_ADDRESS", "3 per hour")
    client = new_client()
    client.environ_base["REMOTE_ADDR"] = "45.77.9.9"
    for n in range(3):
        assert submit(client, "/signup", _data(10 + n)).status_code == 302
    response = submit(client, "/signup", _data(20))
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert "注册次数过多" in field_errors(text(response))["email"][0]
    assert not db.session.scalar(sa.select(User.id).where(User.email == "wang20@shuzi.example.cn"))
    other = new_client()
    other.environ_base["REMOTE_ADDR"] = "58.246.1.1"
    assert submit(other, "/signup", _data(21)).status_code == 302


def test_a_new_account_signs_in_with_its_password(client):
    submit(client, "/signup", _data(30))
    login(client, "wang30@shuzi.example.cn", NEW_PASSWORD)
    assert client.get("/account").status_code == 200
    assert PASSWORD != NEW_PASSWORD
