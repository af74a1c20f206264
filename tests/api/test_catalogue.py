"""Solution catalogue (解决方案清单): admitted providers list solutions; the public sees only
the solutions of providers admitted in effect."""

import pytest

from tests.api.conftest import assert_error, assert_page, assert_time

SOLUTION = {"title": "智慧养老服务平台", "domain": "养老", "summary": "为老服务一键通：紧急呼叫、助餐、健康监测"}


def _create(client, **extra):
    return client.post("/catalogue", json={**SOLUTION, **extra})


def test_admitted_provider_creates_a_solution(api, create_provider):
    org, user, _ = create_provider()
    response = _create(api(user))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert isinstance(body["id"], int)
    assert body["organisation_id"] == org.id
    assert body["provider_name"] == org.name
    assert body["title"] == SOLUTION["title"]
    assert body["domain"] == "养老"
    assert body["status"] == "active"
    assert_time(body["created_at"])
    assert api().get(f"/catalogue/{body['id']}").get_json() == body


@pytest.mark.parametrize("state", ["applied", "rejected", "suspended", "expired", "removed"])
def test_unlisted_provider_cannot_create(api, admin, create_provider, state):
    _, user, _ = create_provider(state=state, admin=admin)
    assert_error(_create(api(user)), 409)
    assert api().get("/catalogue").get_json()["total"] == 0


@pytest.mark.parametrize("role", ["admin", "department", "evaluator"])
def test_other_roles_cannot_create(api, create_user, role):
    assert_error(_create(api(create_user(role=role))), 403)


def test_anonymous_cannot_create(api):
    assert_error(_create(api()), 401)


@pytest.mark.parametrize("body,field", [
    ({"title": ""}, "title"),
    ({"title": "长" * 201}, "title"),
    ({"domain": "火星"}, "domain"),
    ({"domain": ""}, "domain"),
    ({"summary": ""}, "summary"),
    ({"summary": "长" * 10001}, "summary"),
])
def test_solution_field_errors(api, create_provider, body, field):
    _, user, _ = create_provider()
    assert_error(_create(api(user), **body), 422, "validation_failed", field=field)


def test_catalogue_shows_only_admitted_providers(api, admin, create_provider):
    org, user, _ = create_provider(admin=admin)
    other_org, other_user, _ = create_provider(admin=admin)
    mine = _create(api(user)).get_json()
    theirs = _create(api(other_user), title="智慧菜场", domain="经济").get_json()
    body = api().get("/catalogue").get_json()
    assert {s["id"] for s in assert_page(body, total=2)} == {mine["id"], theirs["id"]}

    api(admin).post(f"/providers/{org.id}/suspend", json={"reason": "核查中"})
    body = api().get("/catalogue").get_json()
    assert [s["id"] for s in assert_page(body, total=1)] == [theirs["id"]]
    assert_error(api().get(f"/catalogue/{mine['id']}"), 404)
    assert_error(api(other_user).get(f"/catalogue/{mine['id']}"), 404)
    # the owner and the admin still see it
    assert api(user).get(f"/catalogue/{mine['id']}").status_code == 200
    assert api(admin).get(f"/catalogue/{mine['id']}").status_code == 200

    api(admin).post(f"/providers/{org.id}/reinstate", json={})
    assert api().get("/catalogue").get_json()["total"] == 2

    api(admin).post(f"/providers/{other_org.id}/remove", json={"reason": "严重违约"})
    assert [s["id"] for s in api().get("/catalogue").get_json()["items"]] == [mine["id"]]


def test_expired_providers_solutions_disappear(api, admin, create_provider, db):
    org, user, app = create_provider(admin=admin)
    solution = _create(api(user)).get_json()
    from datetime import timedelta

    from marketplace.core.timeutil import today_shanghai

    app.valid_until = today_shanghai() - timedelta(days=1)
    db.session.commit()
    assert api().get("/catalogue").get_json()["total"] == 0
    assert_error(api().get(f"/catalogue/{solution['id']}"), 404)


def test_catalogue_filters_and_paging(api, create_provider):
    _, user, _ = create_provider()
    client = api(user)
    for n in range(3):
        _create(client, title=f"养老方案{n}")
    _create(client, title="智慧校园", domain="教育")
    assert api().get("/catalogue?domain=养老").get_json()["total"] == 3
    assert [s["title"] for s in api().get("/catalogue?domain=教育").get_json()["items"]] == ["智慧校园"]
    assert api().get("/catalogue?q=校园").get_json()["total"] == 1
    page = api().get("/catalogue?per_page=3&page=2").get_json()
    assert page["page"] == 2 and page["total"] == 4 and len(page["items"]) == 1


def test_update_and_withdraw_own_solution(api, create_provider, create_user):
    org, user, _ = create_provider()
    colleague = create_user("provider", org=org)
    solution = _create(api(user)).get_json()
    response = api(colleague).patch(f"/catalogue/{solution['id']}", json={"title": "智慧养老服务平台 2.0"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["title"] == "智慧养老服务平台 2.0" and body["summary"] == SOLUTION["summary"]
    assert_error(api(user).patch(f"/catalogue/{solution['id']}", json={"domain": "火星"}), 422, field="domain")
    response = api(user).post(f"/catalogue/{solution['id']}/withdraw")
    assert response.status_code == 200
    assert response.get_json()["status"] == "withdrawn"
    assert api().get("/catalogue").get_json()["total"] == 0
    assert_error(api().get(f"/catalogue/{solution['id']}"), 404)
    assert_error(api(user).post(f"/catalogue/{solution['id']}/withdraw"), 409)
    assert_error(api(user).patch(f"/catalogue/{solution['id']}", json={"title": "再改"}), 409)


def test_others_cannot_touch_a_solution(api, admin, create_provider, create_user):
    _, user, _ = create_provider()
    _, stranger, _ = create_provider()
    solution = _create(api(user)).get_json()
    sid = solution["id"]
    assert_error(api(stranger).patch(f"/catalogue/{sid}", json={"title": "抢注"}), 404)
    assert_error(api(stranger).post(f"/catalogue/{sid}/withdraw"), 403)
    for role in ("department", "evaluator"):
        assert_error(api(create_user(role=role)).patch(f"/catalogue/{sid}", json={"title": "x"}), 403)
    assert_error(api(admin).patch(f"/catalogue/{sid}", json={"title": "x"}), 403)
    assert_error(api().patch(f"/catalogue/{sid}", json={"title": "x"}), 401)
    assert api().get(f"/catalogue/{sid}").get_json()["title"] == SOLUTION["title"]


def test_unknown_solution_is_404(api, create_provider):
    _, user, _ = create_provider()
    assert_error(api().get("/catalogue/987654"), 404)
    assert_error(api(user).patch("/catalogue/987654", json={"title": "x"}), 404)
    assert_error(api(user).post("/catalogue/987654/withdraw"), 404)
