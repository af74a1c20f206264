"""Clarifications (答疑): providers ask, the owning department answers, answers are public and never
name the asker; followers and entrants are told."""

import json

import pytest

from marketplace.challenges import operations as challenge_ops
from marketplace.extensions import db as _db
from tests.challenges.conftest import assert_error, notification_count

QUESTION = "试点医院是否已具备院内定位基站？"
ANSWER = "三家试点医院均已部署蓝牙信标，接口文档见附件。"


@pytest.fixture
def asked(api, create_challenge, submit_entry, dept, provider, rival, create_provider, admin):
    """The provider asks; the rival has entered; a third provider follows; a fourth is a bystander."""
    asker_org, asker, _ = provider
    _, entrant, _ = rival
    _, follower, _ = create_provider(admin=admin, name="上海云睿数字科技有限公司")
    _, bystander, _ = create_provider(admin=admin)
    challenge = create_challenge(dept)
    submit_entry(entrant, challenge)
    challenge_ops.follow_challenge(follower, challenge)
    _db.session.commit()
    response = api(asker).post(f"/challenges/{challenge.id}/questions", json={"text": QUESTION})
    assert response.status_code == 201, response.get_json()
    return {"challenge": challenge, "question": response.get_json(), "asker": asker, "asker_org": asker_org,
            "entrant": entrant, "follower": follower, "bystander": bystander}


def _leaks(text, asked):
    asker, org = asked["asker"], asked["asker_org"]
    return [value for value in (asker.name, asker.email, org.name, org.credit_code) if value and value in text]


def test_question_json_never_names_the_asker(asked):
    question = asked["question"]
    assert question["text"] == QUESTION and question["answered"] is False and question["answer"] is None
    assert not {"asked_by_id", "asked_by", "user_id", "organisation_id", "provider_org_id"} & set(question)
    assert not _leaks(json.dumps(question, ensure_ascii=False), asked)


def test_unanswered_questions_are_not_public(api, asked, dept):
    challenge_id = asked["challenge"].id
    for user in (None, asked["entrant"], dept):
        body = api(user).get(f"/challenges/{challenge_id}/clarifications").get_json()
        assert body["items"] == [] and body["total"] == 0


def test_department_notified_of_a_question(asked, dept):
    assert notification_count(dept, "question.asked") == 1


def test_answer_is_published_without_the_asker_and_people_are_told(api, browser, asked, dept):
    challenge_id = asked["challenge"].id
    response = api(dept).post(f"/questions/{asked['question']['id']}/answer", json={"text": ANSWER})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["answer"] == ANSWER

    listing = api().get(f"/challenges/{challenge_id}/clarifications")
    assert listing.status_code == 200
    items = listing.get_json()["items"]
    assert [(q["text"], q["answer"]) for q in items] == [(QUESTION, ANSWER)]
    raw = listing.get_data(as_text=True)
    assert not _leaks(json.dumps(listing.get_json(), ensure_ascii=False), asked) and not _leaks(raw, asked)
    for item in items:
        assert not {"asked_by_id", "asked_by", "user_id", "organisation_id", "answered_by_id"} & set(item)
        assert str(asked["asker"].id) not in {str(v) for k, v in item.items() if k != "id" and k != "challenge_id"}

    page = browser().get(f"/challenges/{challenge_id}").get_data(as_text=True)
    assert QUESTION in page and ANSWER in page and not _leaks(page, asked)
    entrant_page = browser(asked["entrant"]).get(f"/challenges/{challenge_id}").get_data(as_text=True)
    assert ANSWER in entrant_page and not _leaks(entrant_page, asked)

    for who in ("entrant", "follower", "asker"):
        assert notification_count(asked[who], "question.answered") == 1, who
    assert notification_count(asked["bystander"], "question.answered") == 0


def test_only_the_owning_department_answers(api, asked, other_dept, admin):
    question_id = asked["question"]["id"]
    assert_error(api(other_dept).post(f"/questions/{question_id}/answer", json={"text": "越权答复"}), 404)
    assert_error(api(asked["entrant"]).post(f"/questions/{question_id}/answer", json={"text": "越权"}), 403)
    assert_error(api(admin).post(f"/questions/{question_id}/answer", json={"text": "越权"}), 403)
    assert_error(api(other_dept).post("/questions/99999/answer", json={"text": "不存在"}), 404)
    assert api().get(f"/challenges/{asked['challenge'].id}/clarifications").get_json()["items"] == []


def test_answer_twice_and_blank_answer(api, asked, dept):
    question_id = asked["question"]["id"]
    assert_error(api(dept).post(f"/questions/{question_id}/answer", json={"text": ""}), 422, field="text")
    assert_error(api(dept).post(f"/questions/{question_id}/answer", json={"text": "   "}), 422, field="text")
    assert api(dept).post(f"/questions/{question_id}/answer", json={"text": ANSWER}).status_code == 200
    assert_error(api(dept).post(f"/questions/{question_id}/answer", json={"text": "再答一次"}), 409)


def test_who_may_ask(api, create_challenge, dept, admin, provider):
    _, user, _ = provider
    published = create_challenge(dept)
    draft = create_challenge(dept, state="draft")
    assert_error(api(dept).post(f"/challenges/{published.id}/questions", json={"text": "部门自问"}), 403)
    assert_error(api(admin).post(f"/challenges/{published.id}/questions", json={"text": "管理员问"}), 403)
    assert api().post(f"/challenges/{published.id}/questions", json={"text": "匿名"}).status_code == 401
    assert_error(api(user).post(f"/challenges/{draft.id}/questions", json={"text": "草稿"}), 404)
    assert_error(api(user).post(f"/challenges/{published.id}/questions", json={"text": ""}), 422, field="text")
    assert_error(api(user).post(f"/challenges/{published.id}/questions", json={"text": "  "}), 422, field="text")
    cancelled = create_challenge(dept, title="已撤榜")
    challenge_ops.cancel_challenge(dept, cancelled, reason="需求取消")
    _db.session.commit()
    assert_error(api(user).post(f"/challenges/{cancelled.id}/questions", json={"text": "还能问吗"}), 409)
