"""A provider's own pages: solutions (new / edit / withdraw) and the account page."""

import sqlalchemy as sa

from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.providers.models import Solution
from tests import factories
from tests.page_helpers import field_errors, page, redirect_path, submit, text

SOLUTION = {"title": "智能分诊导诊系统", "domain": "医疗", "summary": "便捷就医服务2.0：智能分诊、院内导航"}


def _actions():
    return db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.seq)).all()


def test_my_solutions_new_edit_withdraw(client, login_as, provider):
    org, user, _ = provider
    login_as(user)
    body = page(client, "/my/solutions")
    assert "我的解决方案" in body and "还没有发布解决方案" in body and 'href="/my/solutions/new"' in body
    page(client, "/my/solutions/new")

    response = submit(client, "/my/solutions/new", {"title": "", "domain": "火星", "summary": ""})
    assert response.status_code == 200
    assert set(field_errors(text(response))) == {"title", "domain", "summary"}
    assert db.session.scalar(sa.select(sa.func.count(Solution.id))) == 0

    response = submit(client, "/my/solutions/new", SOLUTION)
    solution = db.session.scalar(sa.select(Solution))
    assert redirect_path(response) == f"/catalogue/{solution.id}"
    body = page(client, f"/catalogue/{solution.id}")
    assert "解决方案已发布到解决方案清单" in body and "院内导航" in body
    assert solution.organisation_id == org.id
    assert "solution.create" in _actions()

    edit = f"/my/solutions/{solution.id}/edit"
    body = page(client, edit)
    assert 'value="智能分诊导诊系统"' in body and "编辑解决方案" in body
    response = submit(client, edit, dict(SOLUTION, title="x" * 201))
    assert list(field_errors(text(response))) == ["title"]
    response = submit(client, edit, dict(SOLUTION, title="智能分诊导诊系统 2.0"))
    assert redirect_path(response) == "/my/solutions"
    assert "智能分诊导诊系统 2.0" in page(client, "/my/solutions")
    assert "智能分诊导诊系统 2.0" in page(client, "/catalogue")
    assert "solution.update" in _actions()

    response = submit(client, f"/my/solutions/{solution.id}/withdraw", page_url="/my/solutions")
    assert redirect_path(response) == "/my/solutions"
    body = page(client, "/my/solutions")
    assert "解决方案已下架" in body and "已下架" in body
    assert "智能分诊导诊系统" not in page(client, "/catalogue")
    # the owner still sees the withdrawn solution; withdrawing twice is a conflict, not a 500
    page(client, f"/catalogue/{solution.id}")
    response = submit(client, f"/my/solutions/{solution.id}/withdraw", page_url="/my/solutions")
    assert response.status_code == 302 and redirect_path(response) == "/my/solutions"  # back, with the reason
    body = page(client, "/my/solutions")
    assert "alert-warning" in body and "已下架" in body
    response = submit(client, edit, SOLUTION)
    assert response.status_code == 200
    assert "该解决方案已下架" in text(response)
    assert "solution.withdraw" in _actions()
    page(client, "/my/solutions/999999/edit", status=404)


def test_unlisted_provider_cannot_publish_solutions(client, login_as, admin):
    _, user, _ = factories.create_provider("applied", admin=admin)
    login_as(user)
    body = page(client, "/my/solutions")
    assert "尚在审核中" in body and 'href="/my/solutions/new"' not in body
    body = page(client, "/my/solutions/new")
    assert "暂不能发布" in body
    response = submit(client, "/my/solutions/new", SOLUTION)
    assert response.status_code == 200
    assert "不能发布解决方案" in text(response)
    assert db.session.scalar(sa.select(sa.func.count(Solution.id))) == 0


def test_provider_application_page_states(client, login_as, admin):
    org = factories.create_org("provider")
    user = factories.create_user("provider", org=org)
    login_as(user)
    body = page(client, "/partner/application")
    assert "尚未申请" in body
    body = page(client, "/partner/apply")
    assert org.credit_code in body and "能力领域" in body
    for domain in ("数字治理", "养老", "文旅"):
        assert f'value="{domain}"' in body


def test_account_page_and_password_change(client, login_as, provider, new_client):
    from tests.conftest import PASSWORD, login

    _, user, _ = provider
    login_as(user)
    body = page(client, "/account")
    assert user.email in body and "服务商用户" in body and "修改密码" in body
    response = submit(client, "/account", {"current_password": "wrong-one", "new_password": "new-password-9",
                                           "confirm": "new-password-9"})
    assert field_errors(text(response)) == {"current_password": ["当前密码不正确"]}
    response = submit(client, "/account", {"current_password": PASSWORD, "new_password": "short",
                                           "confirm": "different"})
    assert set(field_errors(text(response))) == {"new_password", "confirm"}
    response = submit(client, "/account", {"current_password": PASSWORD, "new_password": "new-password-9",
                                           "confirm": "new-password-9"})
    assert redirect_path(response) == "/account"
    assert "密码已修改" in page(client, "/account")
    login(new_client(), user, password="new-password-9")
    response = submit(new_client(), "/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 200 and "邮箱或密码不正确" in text(response)


def test_logout(client, login_as, provider):
    login_as(provider[1])
    response = submit(client, "/logout", page_url="/account")
    assert redirect_path(response) == "/"
    assert "您已退出登录" in page(client, "/")
    assert client.get("/account").status_code == 302
    # logging out without the token does nothing harmful and never logs out by GET
    assert client.get("/logout").status_code == 405
