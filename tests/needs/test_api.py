"""API.md "Scenario needs" end to end, with field errors and refusals."""

from marketplace.extensions import db
from marketplace.needs.models import Need
from marketplace.needs.states import NeedState
from marketplace.notifications.models import Notification
from tests import factories

S = NeedState
BODY = {
    "title": "智慧菜场：菜市场摊位数字化", "domain": "经济", "problem": "菜价不透明。", "scenario": "摊位联网电子秤。",
    "beneficiaries": "周边居民。", "expected_outcomes": "菜价每日公示。", "keywords": ["智慧菜场", "追溯"],
    "budget_yuan": "500000.00", "budget_source": "区商务发展专项资金",
}


def test_the_whole_chain_through_the_api(api, street, other_street, office, bureau):
    dept, admin = api(street), api(office)
    created = dept.post("/needs", json=BODY)
    assert created.status_code == 201, created.get_json()
    need = created.get_json()
    assert (need["status"], need["keywords"], need["budget_yuan"]) == ("submitted", ["智慧菜场", "追溯"], "500000.00")
    duplicate = api(other_street).post("/needs", json={**BODY, "title": "菜市场电子秤联网"}).get_json()

    similar = admin.get(f"/needs/{duplicate['id']}/similar").get_json()["items"]
    assert similar[0] == {"type": "need", "id": need["id"], "title": BODY["title"], "score": similar[0]["score"]}

    merged = admin.post(f"/needs/{duplicate['id']}/merge", json={"into_id": need["id"]}).get_json()
    assert (merged["status"], merged["merged_into_id"]) == ("merged", need["id"])
    assert admin.get(f"/needs/{need['id']}").get_json()["merged_need_ids"] == [duplicate["id"]]

    returned = admin.post(f"/needs/{need['id']}/triage", json={"decision": "return", "note": "请补充数据情况"})
    assert returned.get_json()["status"] == "returned"
    patched = dept.patch(f"/needs/{need['id']}", json={"data_available": "摊位清单"})
    assert patched.status_code == 200 and patched.get_json()["data_available"] == "摊位清单"
    assert dept.post(f"/needs/{need['id']}/resubmit").get_json()["status"] == "submitted"

    accepted = admin.post(f"/needs/{need['id']}/triage",
                          json={"decision": "accept", "note": "同意", "assignee_org_id": bureau.organisation_id})
    assert accepted.get_json()["assignee_org_id"] == bureau.organisation_id

    batch = admin.post("/need-batches", json={"title": "第1批场景需求清单", "need_ids": [need["id"]]})
    assert batch.status_code == 201 and batch.get_json()["status"] == "draft"
    assert api().get("/need-batches").get_json()["items"] == []
    published = admin.post(f"/need-batches/{batch.get_json()['id']}/publish").get_json()
    assert published["status"] == "published"
    assert [b["id"] for b in api().get("/need-batches").get_json()["items"]] == [published["id"]]
    assert api().get(f"/needs/{need['id']}").get_json()["status"] == "published"

    assert dept.post(f"/needs/{need['id']}/challenge").status_code == 403  # not the responsible unit
    challenge = api(bureau).post(f"/needs/{need['id']}/challenge")
    assert challenge.status_code == 201
    assert (challenge.get_json()["status"], challenge.get_json()["title"]) == ("draft", BODY["title"])
    detail = dept.get(f"/needs/{need['id']}").get_json()
    assert detail["status"] == "converted"
    assert api(bureau).get(f"/needs/{need['id']}").get_json()["challenge_id"] == challenge.get_json()["id"]
    assert api(bureau).post(f"/needs/{need['id']}/challenge").status_code == 409


def test_field_errors_are_422_in_chinese(api, street, office):
    response = api(street).post("/needs", json={**BODY, "keywords": [], "domain": "航天"})
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert fields["keywords"] == "请填写 1–5 个关键词" and "domain" in fields
    need = api(street).post("/needs", json=BODY).get_json()
    response = api(office).post(f"/needs/{need['id']}/triage", json={"decision": "reject"})
    assert response.status_code == 422 and "note" in response.get_json()["error"]["fields"]
    response = api(office).post(f"/needs/{need['id']}/merge", json={"into_id": need["id"]})
    assert response.status_code == 422 and "into_id" in response.get_json()["error"]["fields"]
    response = api(office).post(f"/needs/{need['id']}/merge", json={"into_id": 99999999999})
    assert response.status_code == 422
    response = api(office).post("/need-batches", json={"need_ids": [need["id"]]})
    assert response.status_code == 422 and "need_ids" in response.get_json()["error"]["fields"]


def test_roles_are_checked(api, street, office):
    need = api(street).post("/needs", json=BODY).get_json()
    _, provider_user, _ = factories.create_provider()
    assert api(provider_user).post("/needs", json=BODY).status_code == 403
    assert api(street).post(f"/needs/{need['id']}/triage", json={"decision": "accept"}).status_code == 403
    assert api(street).get(f"/needs/{need['id']}/similar").status_code == 403
    assert api().post("/need-batches", json={"need_ids": [need["id"]]}).status_code == 401
    assert api(office).post(f"/needs/{need['id']}/resubmit").status_code == 403
    assert api(street).patch(f"/needs/{need['id']}", json={"title": "x"}).status_code == 409  # not returned


def test_department_lists_its_own_and_assigned(api, street, other_street, office):
    mine = api(street).post("/needs", json=BODY).get_json()
    theirs = api(other_street).post("/needs", json={**BODY, "title": "另一个街道"}).get_json()
    api(office).post(f"/needs/{theirs['id']}/triage",
                     json={"decision": "accept", "assignee_org_id": street.organisation_id})
    ids = {n["id"] for n in api(street).get("/needs").get_json()["items"]}
    assert ids == {mine["id"], theirs["id"]}
    assert {n["id"] for n in api(office).get("/needs?status=submitted").get_json()["items"]} == {mine["id"]}


def test_subscriptions_put_and_get(api, street, office, accepted):
    _, provider_user, _ = factories.create_provider()
    provider = api(provider_user)
    response = provider.put("/me/subscriptions", json={"domains": ["经济", "养老"]})
    assert response.status_code == 200 and response.get_json() == {"domains": ["养老", "经济"]}
    assert provider.get("/me/subscriptions").get_json() == {"domains": ["养老", "经济"]}
    assert provider.put("/me/subscriptions", json={"domains": ["航天"]}).status_code == 422
    need = accepted()
    batch = api(office).post("/need-batches", json={"need_ids": [need.id]}).get_json()
    api(office).post(f"/need-batches/{batch['id']}/publish")
    told = db.session.query(Notification).filter_by(user_id=provider_user.id, kind="need_batch.published").all()
    assert len(told) == 1
    assert db.session.get(Need, need.id).state == S.published


def test_hostile_keywords_and_ids(api, street, office):
    response = api(street).post("/needs", json={**BODY, "keywords": ["菜场\x00", "\u0007", "追溯"]})
    assert response.status_code == 201 and response.get_json()["keywords"] == ["菜场", "追溯"]
    assert api(street).post("/needs", json={**BODY, "keywords": {"a": "b"}}).status_code == 422
    assert api(street).post("/needs", json={**BODY, "keywords": "智慧菜场，追溯"}).get_json()["keywords"] == ["智慧菜场", "追溯"]
    assert api(street).post("/needs", json={**BODY, "keywords": ["词" * 21]}).status_code == 422
    assert api(office).post("/need-batches", json={"need_ids": ["x"]}).status_code == 422
    assert api(office).get("/needs/2147483648").status_code == 404
