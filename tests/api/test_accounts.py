"""Accounts and organisations (admin only): POST/GET /organisations, /users, activation."""

import pytest

from tests.api.conftest import assert_error, assert_page, assert_time
from tests.factories import valid_credit_code

ADMIN_ENDPOINTS = [
    ("get", "/organisations"),
    ("post", "/organisations"),
    ("get", "/organisations/{org}"),
    ("get", "/users"),
    ("post", "/users"),
    ("get", "/users/{user}"),
    ("patch", "/users/{user}"),
    ("post", "/users/{user}/deactivate"),
    ("post", "/users/{user}/activate"),
]


@pytest.fixture
def targets(create_user):
    user = create_user(role="department")
    return {"org": user.organisation_id, "user": user.id}


def _call(client, method, url, targets):
    url = url.format(**targets)
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, json={"name": "x"})


@pytest.mark.parametrize("method,url", ADMIN_ENDPOINTS)
def test_anonymous_is_401(api, targets, method, url):
    assert_error(_call(api(), method, url, targets), 401)


@pytest.mark.parametrize("method,url", ADMIN_ENDPOINTS)
def test_non_admins_are_403(api, create_user, targets, method, url):
    for role in ("department", "provider", "evaluator"):
        assert_error(_call(api(create_user(role=role)), method, url, targets), 403, "forbidden")


# --- organisations ------------------------------------------------------------------------------

def test_create_provider_organisation(api, admin):
    code = valid_credit_code()
    response = api(admin).post("/organisations", json={
        "name": "上海数智养老科技有限公司", "kind": "provider", "credit_code": code.lower(),
        "contact_name": "张三"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert isinstance(body["id"], int)
    assert body["name"] == "上海数智养老科技有限公司"
    assert body["kind"] == "provider"
    assert body["credit_code"] == code
    assert_time(body["created_at"])
    again = api(admin).get(f"/organisations/{body['id']}")
    assert again.status_code == 200 and again.get_json() == body


def test_create_department_without_code(api, admin):
    response = api(admin).post("/organisations", json={"name": "区卫生健康委", "kind": "department"})
    assert response.status_code == 201
    assert response.get_json()["credit_code"] is None


@pytest.mark.parametrize("code", [
    "91310104MA1FL8XQ3", "91310104MA1FL8XQ300", "91310104MA1FL8XQ3I", "ABCDEFGHIJKLMNOPQR", "123",
])
def test_invalid_credit_code_is_422(api, admin, code):
    response = api(admin).post("/organisations", json={"name": "某公司", "kind": "provider", "credit_code": code})
    assert_error(response, 422, "validation_failed", field="credit_code")


def test_wrong_check_character_is_422(api, admin):
    code = valid_credit_code()
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    error = assert_error(api(admin).post("/organisations", json={
        "name": "某公司", "kind": "provider", "credit_code": wrong}), 422, field="credit_code")
    assert "校验" in error["fields"]["credit_code"]


def test_duplicate_credit_code_and_name_are_422(api, admin, create_org):
    org = create_org("provider")
    assert_error(api(admin).post("/organisations", json={
        "name": "另一家公司", "kind": "provider", "credit_code": org.credit_code}), 422, field="credit_code")
    assert_error(api(admin).post("/organisations", json={"name": org.name, "kind": "provider"}), 422,
                 field="name")


@pytest.mark.parametrize("body,field", [
    ({"kind": "provider"}, "name"),
    ({"name": "某单位"}, "kind"),
    ({"name": "某单位", "kind": "government"}, "kind"),
    ({"name": "长" * 201, "kind": "department"}, "name"),
])
def test_organisation_field_errors(api, admin, body, field):
    assert_error(api(admin).post("/organisations", json=body), 422, field=field)


def test_list_organisations(api, admin, create_org):
    create_org("provider", name="甲服务商")
    create_org("department", name="区民政局")
    client = api(admin)
    items = assert_page(client.get("/organisations").get_json(), total=2)
    assert {i["name"] for i in items} == {"甲服务商", "区民政局"}
    items = assert_page(client.get("/organisations?kind=department").get_json(), total=1)
    assert items[0]["name"] == "区民政局"
    assert assert_page(client.get("/organisations?q=民政").get_json(), total=1)[0]["kind"] == "department"
    assert assert_page(client.get("/organisations?q=%25").get_json(), total=0) == []


def test_unknown_organisation_is_404(api, admin):
    assert_error(api(admin).get("/organisations/424242"), 404, "not_found")


# --- users ----------------------------------------------------------------------------------------

def test_create_user(api, admin, create_org):
    org = create_org("department", name="区大数据中心")
    response = api(admin).post("/users", json={
        "email": "Li.Si@Example.GOV.cn", "password": "a-long-password", "name": "李四",
        "role": "department", "organisation_id": org.id})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert isinstance(body["id"], int)
    assert body["email"] == "li.si@example.gov.cn"
    assert body["role"] == "department"
    assert body["organisation_id"] == org.id
    assert body["organisation"]["name"] == "区大数据中心"
    assert body["is_active"] is True
    assert "password" not in body and "password_hash" not in body
    assert_time(body["created_at"])
    assert api(admin).get(f"/users/{body['id']}").get_json() == body


def test_created_user_can_log_in(client, api, admin):
    api(admin).post("/users", json={"email": "expert@example.cn", "password": "a-long-password",
                                    "name": "王专家", "role": "evaluator"})
    response = client.post("/api/v1/auth/token", json={"email": "expert@example.cn", "password": "a-long-password"})
    assert response.status_code == 200


@pytest.mark.parametrize("body,field", [
    ({"email": "bad", "password": "a-long-password", "name": "甲", "role": "evaluator"}, "email"),
    ({"email": "a@example.cn", "password": "short", "name": "甲", "role": "evaluator"}, "password"),
    ({"email": "a@example.cn", "password": "a-long-password", "name": "甲", "role": "root"}, "role"),
    ({"email": "a@example.cn", "password": "a-long-password", "role": "evaluator"}, "name"),
    ({"email": "a@example.cn", "password": "a-long-password", "name": "甲", "role": "department"},
     "organisation_id"),
    ({"email": "a@example.cn", "password": "a-long-password", "name": "甲", "role": "evaluator",
      "organisation_id": 999999}, "organisation_id"),
    ({"email": "a@example.cn", "password": "a-long-password", "name": "甲", "role": "evaluator",
      "organisation_id": "abc"}, "organisation_id"),
    ({"email": "a@example.cn", "password": "a-long-password", "name": "甲", "role": "evaluator",
      "organisation_id": 99999999999999999999}, "organisation_id"),
])
def test_user_field_errors(api, admin, body, field):
    assert_error(api(admin).post("/users", json=body), 422, "validation_failed", field=field)


def test_provider_user_must_belong_to_a_provider(api, admin, create_org):
    dept = create_org("department")
    assert_error(api(admin).post("/users", json={
        "email": "p@example.cn", "password": "a-long-password", "name": "甲", "role": "provider",
        "organisation_id": dept.id}), 422, field="organisation_id")


def test_duplicate_email_is_422(api, admin):
    assert_error(api(admin).post("/users", json={
        "email": admin.email.upper(), "password": "a-long-password", "name": "甲", "role": "admin"}),
        422, field="email")


def test_list_and_filter_users(api, admin, create_user):
    dept = create_user(role="department")
    create_user(role="evaluator")
    client = api(admin)
    assert_page(client.get("/users").get_json(), total=3)
    assert [u["id"] for u in client.get("/users?role=department").get_json()["items"]] == [dept.id]
    items = client.get(f"/users?organisation_id={dept.organisation_id}").get_json()["items"]
    assert [u["id"] for u in items] == [dept.id]


def test_update_user(api, admin, create_user, create_org):
    user = create_user(role="evaluator")
    org = create_org("department")
    response = api(admin).patch(f"/users/{user.id}", json={"name": "新名字"})
    assert response.status_code == 200
    assert response.get_json()["name"] == "新名字"
    assert response.get_json()["role"] == "evaluator"
    response = api(admin).patch(f"/users/{user.id}", json={"role": "department", "organisation_id": org.id})
    assert response.status_code == 200
    assert response.get_json()["role"] == "department"
    assert_error(api(admin).patch(f"/users/{user.id}", json={"role": "wizard"}), 422, field="role")


def test_admin_cannot_change_own_role_or_deactivate_self(api, admin):
    assert_error(api(admin).patch(f"/users/{admin.id}", json={"role": "evaluator"}), 409)
    assert_error(api(admin).post(f"/users/{admin.id}/deactivate"), 409)


def test_activation_transitions(api, admin, create_user):
    user = create_user(role="evaluator")
    client = api(admin)
    assert_error(client.post(f"/users/{user.id}/activate"), 409)
    assert client.post(f"/users/{user.id}/deactivate").get_json()["is_active"] is False
    assert_error(client.post(f"/users/{user.id}/deactivate"), 409)
    assert client.post(f"/users/{user.id}/activate").get_json()["is_active"] is True


@pytest.mark.parametrize("method,url", [m for m in ADMIN_ENDPOINTS if "{" in m[1]])
def test_unknown_ids_are_404(api, admin, method, url):
    response = _call(api(admin), method, url, {"org": 987654, "user": 987654})
    assert_error(response, 404)
    response = _call(api(admin), method, url, {"org": 99999999999999999999, "user": 99999999999999999999})
    assert_error(response, 404)
