"""Illegal challenge transitions through the API: 409 with a clear Chinese message."""

import pytest

from tests.challenges.conftest import assert_error, challenge_payload, move_deadline, set_state

# --- through the API: illegal transitions are 409 with a Chinese message ---------------------------

@pytest.fixture
def draft(api, dept):
    response = api(dept).post("/challenges", json=challenge_payload())
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["status"] == "draft"
    return response.get_json()["id"]


def test_happy_path_through_the_api(api, dept, admin, draft):
    as_dept, as_admin = api(dept), api(admin)
    assert as_dept.post(f"/challenges/{draft}/submit-for-review").get_json()["status"] == "pending_review"
    returned = as_admin.post(f"/challenges/{draft}/return", json={"reason": "预算依据不足"})
    assert returned.status_code == 200 and returned.get_json()["status"] == "draft"
    assert returned.get_json()["reason"] == "预算依据不足"
    assert as_dept.patch(f"/challenges/{draft}", json={"budget_yuan": "700000"}).status_code == 200
    as_dept.post(f"/challenges/{draft}/submit-for-review")
    approved = as_admin.post(f"/challenges/{draft}/approve")
    assert approved.status_code == 200 and approved.get_json()["status"] == "published"
    assert approved.get_json()["budget_yuan"] == "700000.00"
    cancelled = as_dept.post(f"/challenges/{draft}/cancel", json={"reason": "需求调整"})
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"


def test_approve_a_draft_is_409(api, admin, draft):
    assert_error(api(admin).post(f"/challenges/{draft}/approve"), 409)


def test_submit_for_review_twice_is_409(api, dept, draft):
    assert api(dept).post(f"/challenges/{draft}/submit-for-review").status_code == 200
    error = assert_error(api(dept).post(f"/challenges/{draft}/submit-for-review"), 409)
    assert "待审核" in error["message"]


def test_cancel_a_draft_is_409(api, dept, draft):
    assert_error(api(dept).post(f"/challenges/{draft}/cancel", json={"reason": "不需要了"}), 409)


def test_return_a_published_one_is_409(api, admin, dept, create_challenge):
    challenge = create_challenge(dept)
    assert_error(api(admin).post(f"/challenges/{challenge.id}/return", json={"reason": "再看看"}), 409)
    assert_error(api(admin).post(f"/challenges/{challenge.id}/approve"), 409)


def test_extend_a_closed_one_is_409(api, dept, create_challenge):
    challenge = create_challenge(dept)
    move_deadline(challenge, to=challenge.deadline.replace(year=2020))
    later = "2099-01-01T12:00:00+08:00"
    assert_error(api(dept).post(f"/challenges/{challenge.id}/extend", json={"deadline": later}), 409)


def test_edit_after_submission_is_409(api, dept, draft):
    api(dept).post(f"/challenges/{draft}/submit-for-review")
    assert_error(api(dept).patch(f"/challenges/{draft}", json={"title": "改个名"}), 409)


def test_late_states_refuse_every_posting_action(api, admin, dept, create_challenge):
    as_dept, as_admin = api(dept), api(admin)
    for state in ("closed", "evaluating", "racing", "notice", "awarded", "failed", "cancelled"):
        challenge = set_state(create_challenge(dept), state)
        assert_error(as_dept.post(f"/challenges/{challenge.id}/submit-for-review"), 409)
        assert_error(as_admin.post(f"/challenges/{challenge.id}/approve"), 409)
        assert_error(as_admin.post(f"/challenges/{challenge.id}/return", json={"reason": "x理由"}), 409)
        assert_error(as_dept.post(f"/challenges/{challenge.id}/cancel", json={"reason": "撤了"}), 409)
        assert_error(as_dept.post(f"/challenges/{challenge.id}/extend",
                                  json={"deadline": "2099-01-01T12:00:00+08:00"}), 409)
        assert as_dept.get(f"/challenges/{challenge.id}").get_json()["status"] == state


def test_roles_are_refused_not_conflicted(api, dept, other_dept, provider, draft):
    _, provider_user, _ = provider
    assert_error(api(provider_user).post(f"/challenges/{draft}/submit-for-review"), 403)
    assert_error(api(dept).post(f"/challenges/{draft}/approve"), 403)
    # Another department cannot even see someone else's draft.
    assert_error(api(other_dept).post(f"/challenges/{draft}/submit-for-review"), 404)
    assert_error(api().get(f"/challenges/{draft}"), 404)
