"""The matching API as documented in API.md "Matching and invitations"."""

from marketplace.extensions import db
from tests import factories
from tests.challenges.conftest import assert_error


def test_matches_for_the_owner_and_admin_only(world, dept, api, admin):
    url = f"/challenges/{world['challenge'].id}/matches"
    body = api(dept).get(url).get_json()
    assert [i["name"] for i in body["items"]] == ["上海数智医联科技有限公司", "上海健康云数据服务有限公司", "上海通用软件有限公司"]
    for item in body["items"]:
        assert item["score"] == sum(r["points"] for r in item["reasons"])
        assert set(item["reasons"][0]) == {"factor", "detail", "points"}
    assert body["items"][0]["solutions"][0]["title"] == "智能分诊导诊系统"
    assert api(admin).get(url).status_code == 200
    other = factories.create_user("department", org=factories.create_org("department", name="区教育局"))
    assert_error(api(other).get(url), 404)
    assert_error(api(world["triage_user"]).get(url), 403)
    assert api().get(url).status_code == 401


def test_invitations_201_and_422_naming_an_ineligible_provider(world, dept, api):
    url = f"/challenges/{world['challenge'].id}/invitations"
    response = api(dept).post(url, json={"provider_org_ids": [world["triage"].id, world["care"].id]})
    assert response.status_code == 201
    assert {i["provider_org_id"] for i in response.get_json()["items"]} == {world["triage"].id, world["care"].id}
    wrong = world["ineligible"][1]
    error = assert_error(api(dept).post(url, json={"provider_org_ids": [wrong.id]}), 422, "provider_org_ids")
    assert wrong.name in error["fields"]["provider_org_ids"]
    assert_error(api(dept).post(url, json={"provider_org_ids": "1"}), 422, "provider_org_ids")
    assert_error(api(dept).post(url, json={"provider_org_ids": []}), 422, "provider_org_ids")
    listed = api(dept).get(url).get_json()["items"]
    assert [(i["status"], i["entered"]) for i in listed] == [("invited", False), ("invited", False)]

    mine = api(world["triage_user"]).get("/me/invitations").get_json()["items"]
    assert len(mine) == 1
    opened = api(world["triage_user"]).post(f"/invitations/{mine[0]['id']}/open")
    assert opened.get_json()["status"] == "opened"
    assert_error(api(world["care_user"]).post(f"/invitations/{mine[0]['id']}/open"), 404)


def test_recommendations_and_subscriptions(world, api, dept, publish):
    items = api(world["triage_user"]).get("/me/recommendations").get_json()["items"]
    assert [i["challenge_id"] for i in items] == [world["challenge"].id]
    assert items[0]["score"] == sum(r["points"] for r in items[0]["reasons"])
    assert api(world["triage_user"]).put("/me/subscriptions", json={"domains": ["医疗"]}).status_code == 200
    db.session.commit()
    publish(dept, title="互联网医院处方流转")
    inbox = api(world["triage_user"]).get("/notifications").get_json()
    kinds = [n["kind"] for n in inbox["items"]]
    assert kinds.count("challenge.published_subscribed") == 1
    assert_error(api(dept).get("/me/recommendations"), 403)
