"""Admin pages: landing page, organisations, users (activation), the audit log."""

import sqlalchemy as sa

from marketplace.accounts.models import Organisation, User
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from tests import factories
from tests.page_helpers import field_errors, page, redirect_path, submit, text


def _last_action():
    return db.session.scalar(sa.select(AuditEvent.action).order_by(AuditEvent.seq.desc()).limit(1))


def test_admin_home_counts_and_links(client, login_as, admin):
    factories.create_provider("applied", admin=admin)
    factories.create_provider(admin=admin)
    login_as(admin)
    body = page(client, "/admin/")
    assert "平台管理" in body and "待审核的伙伴清单申请" in body
    for href in ("/admin/partner-applications?state=applied", "/admin/organisations", "/admin/users",
                 "/admin/audit"):
        assert f'href="{href}"' in body
    # the admin menu in the header
    assert "伙伴清单审核" in body and "审计日志" in body


def test_organisations_list_filter_create_edit(client, login_as, admin, department_org):
    provider_org, _, _ = factories.create_provider(admin=admin)
    login_as(admin)
    body = page(client, "/admin/organisations")
    assert department_org.name in body and provider_org.name in body
    body = page(client, "/admin/organisations?kind=department")
    assert department_org.name in body and provider_org.name not in body
    body = page(client, "/admin/organisations?q=卫生")
    assert department_org.name in body and provider_org.name not in body
    page(client, "/admin/organisations?kind=bogus&q=%25")

    page(client, "/admin/organisations/new")
    response = submit(client, "/admin/organisations/new", {"name": "区民政局", "kind": "department"})
    assert response.status_code == 302 and redirect_path(response) == "/admin/organisations"
    assert "已创建单位：区民政局" in page(client, "/admin/organisations")
    org = db.session.scalar(sa.select(Organisation).where(Organisation.name == "区民政局"))
    assert org.kind.value == "department"
    assert _last_action() == "organisation.create"

    # field errors: duplicate name, bad code, unknown kind
    response = submit(client, "/admin/organisations/new",
                      {"name": "区民政局", "kind": "department", "credit_code": "123"})
    assert response.status_code == 200
    errors = field_errors(text(response))
    assert "credit_code" in errors
    response = submit(client, "/admin/organisations/new", {"name": "区民政局", "kind": "department"})
    assert field_errors(text(response)) == {"name": ["已存在同名单位"]}
    response = submit(client, "/admin/organisations/new", {"name": "新单位", "kind": "planet"})
    assert list(field_errors(text(response))) == ["kind"]

    edit = f"/admin/organisations/{org.id}/edit"
    body = page(client, edit)
    assert "编辑单位" in body and 'value="区民政局"' in body
    response = submit(client, edit, {"name": "区民政局（养老服务处）", "contact_name": "李处长"})
    assert response.status_code == 302
    db.session.refresh(org)
    assert org.name == "区民政局（养老服务处）" and org.contact_name == "李处长"
    assert _last_action() == "organisation.update"
    response = submit(client, edit, {"name": provider_org.name})
    assert field_errors(text(response)) == {"name": ["已存在同名单位"]}
    # the provider's edit page lists its users
    body = page(client, f"/admin/organisations/{provider_org.id}/edit")
    assert "本单位用户" in body
    page(client, "/admin/organisations/999999/edit", status=404)


def test_users_list_filter_create_edit(client, login_as, admin, department_org):
    evaluator = factories.create_user("evaluator", name="张专家")
    login_as(admin)
    body = page(client, "/admin/users")
    assert "张专家" in body and admin.email in body
    assert "张专家" in page(client, "/admin/users?role=evaluator")
    assert "张专家" not in page(client, "/admin/users?role=department")
    assert "张专家" in page(client, "/admin/users?q=张")
    assert "张专家" in page(client, "/admin/users?status=active")
    assert "张专家" not in page(client, "/admin/users?status=inactive")

    body = page(client, "/admin/users/new")
    assert department_org.name in body
    response = submit(client, "/admin/users/new", {
        "email": "Li@Minzheng.example.gov.cn", "name": "李经办", "password": "initial-pass-1",
        "role": "department", "organisation_id": str(department_org.id)})
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "li@minzheng.example.gov.cn"))
    assert user is not None and user.organisation_id == department_org.id
    assert _last_action() == "user.create"

    # a department user without a department organisation, a duplicate email, a bad org id
    response = submit(client, "/admin/users/new", {
        "email": "x@example.cn", "name": "无单位", "password": "initial-pass-1", "role": "department"})
    assert field_errors(text(response)) == {"organisation_id": ["发榜单位用户必须属于一个发榜单位"]}
    response = submit(client, "/admin/users/new", {
        "email": "li@minzheng.example.gov.cn", "name": "重复", "password": "initial-pass-1", "role": "evaluator"})
    assert field_errors(text(response)) == {"email": ["该邮箱已注册"]}
    response = submit(client, "/admin/users/new", {
        "email": "y@example.cn", "name": "乱填", "password": "initial-pass-1", "role": "evaluator",
        "organisation_id": "abc"})
    errors = field_errors(text(response))
    assert list(errors) == ["organisation_id"], errors
    response = submit(client, "/admin/users/new", {
        "email": "y@example.cn", "name": "乱填", "password": "initial-pass-1", "role": "evaluator",
        "organisation_id": "999999"})
    assert response.status_code == 200
    assert field_errors(text(response)) == {"organisation_id": ["请选择有效的单位"]}
    assert db.session.scalar(sa.select(User).where(User.email == "y@example.cn")) is None
    response = submit(client, "/admin/users/new", {
        "email": "z@example.cn", "name": "乱填", "password": "initial-pass-1", "role": "superuser"})
    assert list(field_errors(text(response))) == ["role"]

    edit = f"/admin/users/{evaluator.id}/edit"
    body = page(client, edit)
    assert 'value="张专家"' in body
    assert '<option selected value="evaluator">' in body or 'value="evaluator" selected' in body
    response = submit(client, edit, {"name": "张教授", "role": "evaluator", "organisation_id": "999999"})
    assert field_errors(text(response)) == {"organisation_id": ["请选择有效的单位"]}
    response = submit(client, edit, {"name": "张教授", "role": "provider"})
    assert field_errors(text(response)) == {"organisation_id": ["服务商用户必须属于一个服务商"]}
    response = submit(client, edit, {"name": "张教授", "role": "evaluator"})
    assert response.status_code == 302
    db.session.refresh(evaluator)
    assert evaluator.name == "张教授"
    assert _last_action() == "user.update"
    # an admin cannot change their own role: a message, not a 500
    response = submit(client, f"/admin/users/{admin.id}/edit", {"name": admin.name, "role": "evaluator"})
    assert response.status_code == 200
    assert "不能修改自己的角色" in text(response)
    db.session.refresh(admin)
    assert admin.role.value == "admin"
    page(client, "/admin/users/999999/edit", status=404)


def test_deactivate_and_activate(client, new_client, login_as, admin, provider):
    _, user, _ = provider
    login_as(admin)
    body = page(client, "/admin/users")
    assert f'action="/admin/users/{user.id}/deactivate"' in body
    assert f'action="/admin/users/{admin.id}/deactivate"' not in body  # not offered on oneself
    response = submit(client, f"/admin/users/{user.id}/deactivate", page_url="/admin/users")
    assert redirect_path(response) == "/admin/users"
    body = page(client, "/admin/users")
    assert f"已停用账号 {user.email}" in body
    assert f'action="/admin/users/{user.id}/activate"' in body
    db.session.refresh(user)
    assert not user.is_active
    assert _last_action() == "user.deactivate"

    # deactivating twice: back on the user list with the reason (a warning), not a 409 page or a 500
    response = submit(client, f"/admin/users/{user.id}/deactivate", page_url="/admin/users")
    assert response.status_code == 302 and redirect_path(response) == "/admin/users"
    body = page(client, "/admin/users")
    assert 'alert-warning' in body and "账号已经停用" in body
    # nor can an admin deactivate themselves
    response = submit(client, f"/admin/users/{admin.id}/deactivate", page_url="/admin/users")
    assert response.status_code == 302 and "不能停用自己的账号" in page(client, "/admin/users")

    response = submit(client, f"/admin/users/{user.id}/activate", page_url="/admin/users")
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.is_active
    assert _last_action() == "user.activate"
    from tests.conftest import login

    login(new_client(), user)
    assert client.get(f"/admin/users/{user.id}/deactivate").status_code == 405


def _audit_rows(client, url):
    """The table of events only: the filter form lists every action code as an option."""
    body = page(client, url)
    return body.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in body else body


def test_audit_log_filters_and_verify(client, login_as, admin, provider):
    org, user, app = provider
    login_as(admin)
    body = page(client, "/admin/audit")
    assert "审计日志" in body and "partner_application.admit" in _audit_rows(client, "/admin/audit") and "校验哈希链" in body
    assert "127.0.0.1" in body or "—" in body

    body = _audit_rows(client, f"/admin/audit?object_type=partner_application&object_id={app.id}")
    assert "partner_application.admit" in body and "user.create" not in body
    body = _audit_rows(client, "/admin/audit?action=user.")
    assert "user.create" in body and "partner_application.admit" not in body
    body = _audit_rows(client, f"/admin/audit?actor_id={user.id}")
    assert "partner_application.submit" in body and "partner_application.admit" not in body
    body = page(client, "/admin/audit?date_from=2000-01-01&date_to=2000-01-02")
    assert "没有符合条件的审计事件" in body
    # nonsense filters are ignored, never a 500
    page(client, "/admin/audit?object_id=abc&actor_id=-1&date_from=yesterday&page=0&per_page=100000")
    page(client, "/admin/audit?object_id=99999999999999&action=%25%27%20OR%201%3D1")

    response = submit(client, "/admin/audit/verify", page_url="/admin/audit")
    assert redirect_path(response) == "/admin/audit"
    assert "审计链完整" in page(client, "/admin/audit")

    # tamper with history: the verify button names the first bad event
    first = db.session.scalar(sa.select(AuditEvent).order_by(AuditEvent.seq).limit(1))
    postgres = db.engine.dialect.name == "postgresql"
    if postgres:  # the append-only trigger has to be switched off to tamper (as an attacker with DDL rights)
        db.session.execute(sa.text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
    db.session.execute(sa.update(AuditEvent).where(AuditEvent.id == first.id).values(action="tampered"))
    if postgres:
        db.session.execute(sa.text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))
    db.session.commit()
    submit(client, "/admin/audit/verify", page_url="/admin/audit")
    body = page(client, "/admin/audit")
    assert "审计链被破坏" in body and f"id={first.id}" in body


def test_audit_log_paging(client, login_as, admin):
    for i in range(55):
        factories.create_org("department", name=f"分页街道{i:02d}")
    login_as(admin)
    body = page(client, "/admin/audit")
    assert "第 1 / 2 页" in body
    assert 'href="/admin/audit?page=2"' in body
    body = page(client, "/admin/audit?action=organisation.&page=2")
    assert "organisation.create" in body
