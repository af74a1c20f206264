"""Issue 9, "No input gives a 500": ids no column can hold, a whitespace amount, NUL bytes and lone
surrogates, cleaned or refused once at the input boundary for pages and API alike — a field error,
never a 500, and nothing half written. Runs on SQLite (ids overflow from 2^63) and PostgreSQL
(from 2^31)."""

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.core.timeutil import today_shanghai
from marketplace.extensions import db
from marketplace.projects.models import Milestone, Payment, Project
from marketplace.projects.states import ProjectStage
from marketplace.review.models import Score
from tests.api.conftest import assert_error
from tests.conftest import login
from tests.page_helpers import field_errors, submit
from tests.review.conftest import round_plan

OUT_OF_RANGE = [2**31, 2**63, 2**64, 0, -1]


def _count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _raw_post(api_client, url, body):
    # json.dumps escapes lone surrogates (\ud800), which the test client could not encode raw.
    headers = api_client._headers({"Content-Type": "application/json"})
    return api_client.client.post(f"/api/v1{url}", data=json.dumps(body), headers=headers)


@pytest.mark.parametrize("bad", OUT_OF_RANGE)
def test_out_of_range_ids_in_project_forms_are_field_errors_in_the_api(api, make_project, dept, bad):
    project = make_project(ProjectStage.build)
    client = api(dept[1])
    projects, milestones = _count(Project), _count(Milestone)
    base = {"title": "智慧养老", "domain": "养老", "approved_budget_yuan": "1000.00"}
    for field in ("provider_id", "solution_id"):
        assert_error(client.post("/projects", json={**base, field: bad}), 422, field=field)
        assert_error(client.post("/projects", json={**base, field: str(bad)}), 422, field=field)
    due = (today_shanghai() + timedelta(days=5)).isoformat()
    assert_error(client.post(f"/projects/{project.id}/milestones", json={"title": "上线", "due_date": due,
                                                                      "owner_id": bad}), 422, field="owner_id")
    assert_error(client.post(f"/projects/{project.id}/acceptance", json={
        "panel_ids": [bad], "checklist": [{"item": "功能上线"}]}), 422, field="panel_ids")
    assert_error(client.post(f"/projects/{project.id}/provider", json={"provider_id": bad}), 422, field="provider_id")
    assert (_count(Project), _count(Milestone)) == (projects, milestones)


def test_out_of_range_ids_on_the_project_pages_are_field_errors(client, make_project, dept):
    project = make_project(ProjectStage.build)
    login(client, dept[1])
    projects = _count(Project)
    for field in ("provider_id", "solution_id"):
        response = submit(client, "/projects/new", {"title": "智慧养老", "domain": "养老",
                                                    "approved_budget_yuan": "1000.00", field: str(2**63)})
        assert response.status_code == 422 and field in field_errors(response.get_data(as_text=True))
    url = f"/projects/{project.id}"
    response = submit(client, f"{url}/milestones", {"title": "上线", "due_date": "2030-01-01",
                                                   "owner_id": str(2**31)}, page_url=url)
    assert response.status_code == 422 and "owner_id" in field_errors(response.get_data(as_text=True))
    assert _count(Project) == projects and _count(Milestone) == 0


@pytest.mark.parametrize("blank", [" ", "   ", "\t", "\u3000"])
def test_a_whitespace_amount_is_a_field_error(api, client, make_project, dept, blank):
    project = make_project(ProjectStage.build)
    error = assert_error(api(dept[1]).post(f"/projects/{project.id}/payments", json={"amount_yuan": blank}),
                         422, field="amount_yuan")
    assert "必填" in error["fields"]["amount_yuan"]
    assert_error(api(dept[1]).post("/projects", json={"title": "智慧养老", "domain": "养老",
                                                      "approved_budget_yuan": blank}), 422, field="approved_budget_yuan")
    login(client, dept[1])
    url = f"/projects/{project.id}"
    response = submit(client, f"{url}/payments", {"amount_yuan": blank}, page_url=url)
    assert response.status_code == 422 and "amount_yuan" in field_errors(response.get_data(as_text=True))
    assert _count(Payment) == 0


def test_json_nan_and_infinity_are_malformed_json(api, dept):
    for raw in ('{"amount_yuan": NaN}', '{"title": Infinity}', '{"a": -Infinity}'):
        response = api(dept[1]).client.post("/api/v1/projects", data=raw, content_type="application/json",
                                            headers=api(dept[1])._headers())
        assert_error(response, 400, code="malformed_json")


def _open_round_with_declared_evaluator(world, as_user):
    w = world(n_providers=1, n_evaluators=3, rounds=[round_plan()])
    round_id = w.rounds[0].id
    admin = as_user(w.admin)
    assert admin.post(f"/rounds/{round_id}/panel", json={"evaluator_ids": [e.id for e in w.evaluators]}).status_code == 200
    assert admin.post(f"/rounds/{round_id}/open").status_code == 200
    evaluator = as_user(w.evaluators[0])
    assert evaluator.post(f"/rounds/{round_id}/declaration", json={"conflict_provider_ids": []}).status_code == 200
    criterion = evaluator.get(f"/rounds/{round_id}").get_json()["criteria"][0]
    return w, round_id, evaluator, criterion


def test_nul_and_lone_surrogates_in_score_sheet_comments_are_cleaned(world, as_user, client):
    w, round_id, evaluator, criterion = _open_round_with_declared_evaluator(world, as_user)
    submission_id = w.submissions[0].id
    body = {"scores": [{"submission_id": submission_id, "criterion_id": criterion["id"], "points": "5",
                        "comment": "理由\x00充分\ud800好\udfff"}]}
    response = evaluator.client.put(f"/api/v1/rounds/{round_id}/sheet", data=json.dumps(body),
                                    headers=evaluator._headers({"Content-Type": "application/json"}))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.get_json()["scores"][0]["comment"] == "理由充分好"

    # The page posts the comment as form data, outside any WTForms field.
    login(client, w.evaluators[0])
    key = f"{submission_id}-{criterion['id']}"
    response = submit(client, f"/review/rounds/{round_id}/sheet", {f"p-{key}": "6", f"c-{key}": "页面\x00评语"},
                      page_url=f"/review/rounds/{round_id}")
    assert response.status_code < 500
    db.session.expire_all()
    assert db.session.scalar(sa.select(Score.comment)) == "页面评语"


def test_nul_and_surrogates_in_json_keys_and_nested_values_never_500(api, admin):
    body = {"name\x00": "x", "kind": "department\x00", "credit_code": "\ud800", "nested": {"\udfff": ["\x00"]}}
    response = _raw_post(api(admin), "/organisations", body)
    assert response.status_code in (201, 422), response.get_data(as_text=True)[:500]
