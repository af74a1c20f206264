"""Issue 9, "Sealed means sealed": before a round closes an evaluator sees neither the other
members' sheet status nor a return reason written about another member."""

import json

from tests.review.conftest import round_plan

REASON = "第二项评分理由过于简略，请补充"


def _score_and_submit(client, round_id):
    assert client.post(f"/rounds/{round_id}/declaration", json={"conflict_provider_ids": []}).status_code == 200
    entries = client.get(f"/rounds/{round_id}/entries").get_json()["items"]
    criteria = client.get(f"/rounds/{round_id}").get_json()["criteria"]
    scores = [{"submission_id": e["id"], "criterion_id": c["id"], "points": str(c["max_points"] // 2),
               "comment": "理由充分"} for e in entries for c in criteria]
    assert client.put(f"/rounds/{round_id}/sheet", json={"scores": scores}).status_code == 200
    assert client.post(f"/rounds/{round_id}/sheet/submit").status_code == 200


def test_an_evaluator_sees_only_its_own_progress_and_return_reason(world, as_user):
    w = world(n_providers=2, n_evaluators=3, rounds=[round_plan()])
    round_id = w.rounds[0].id
    admin = as_user(w.admin)
    assert admin.post(f"/rounds/{round_id}/panel", json={"evaluator_ids": [e.id for e in w.evaluators]}).status_code == 200
    assert admin.post(f"/rounds/{round_id}/open").status_code == 200
    first, second = w.evaluators[0], w.evaluators[1]
    _score_and_submit(as_user(second), round_id)
    response = admin.post(f"/rounds/{round_id}/sheets/{second.id}/return", json={"reason": REASON})
    assert response.status_code == 200, response.get_json()
    assert as_user(first).post(f"/rounds/{round_id}/declaration", json={"conflict_provider_ids": []}).status_code == 200

    seen = as_user(first).get(f"/rounds/{round_id}")
    assert seen.status_code == 200
    assert REASON not in json.dumps(seen.get_json(), ensure_ascii=False)
    panel = {p["evaluator_id"]: p for p in seen.get_json()["panel"]}
    assert set(panel) == {e.id for e in w.evaluators}
    for other in (second, w.evaluators[2]):
        assert set(panel[other.id]) == {"evaluator_id", "name"}, panel[other.id]
    assert panel[first.id]["declared"] is True and panel[first.id]["sheet_status"] == "pending"

    own = {p["evaluator_id"]: p for p in as_user(second).get(f"/rounds/{round_id}").get_json()["panel"]}
    assert own[second.id]["return_reason"] == REASON and own[second.id]["sheet_status"] == "draft"
    assert set(own[first.id]) == {"evaluator_id", "name"}
    assert as_user(second).get(f"/rounds/{round_id}/sheet").get_json()["return_reason"] == REASON

    # The admin (and the owning department) still follow everyone's progress.
    everyone = {p["evaluator_id"]: p for p in admin.get(f"/rounds/{round_id}").get_json()["panel"]}
    assert everyone[second.id]["return_reason"] == REASON and everyone[first.id]["declared"] is True
    by_department = as_user(w.department).get(f"/rounds/{round_id}").get_json()["panel"]
    assert {p["sheet_status"] for p in by_department} >= {"draft"}
