"""Functional: hostile or malformed bodies on every project write route give a 4xx in Chinese,
never a 500."""

import pytest

from marketplace.projects.states import ProjectStage

BODIES = [
    ("/projects", {"title": "x", "domain": "医疗", "approved_budget_yuan": "1e309"}),
    ("/projects", {"title": "x", "domain": "医疗", "approved_budget_yuan": "1", "provider_id": "abc"}),
    ("/projects", {"title": "x", "domain": "医疗", "approved_budget_yuan": "1", "provider_id": 999999}),
    ("/projects", {"title": "x", "domain": "医疗", "approved_budget_yuan": "1", "solution_id": "zz"}),
    ("/projects", {"title": ["a"], "domain": None, "approved_budget_yuan": {"a": 1}}),
    ("/projects/{pid}/milestones", {"title": "x", "due_date": 123, "owner_id": "x"}),
    ("/projects/{pid}/milestones", {"title": "x", "due_date": "99999-01-01", "owner_id": 99999999999}),
    ("/projects/{pid}/payments", {"amount_yuan": "NaN"}),
    ("/projects/{pid}/payments", {"amount_yuan": True}),
    ("/projects/{pid}/acceptance", {"panel_ids": ["abc"], "checklist": "x"}),
    ("/projects/{pid}/acceptance", {"panel_ids": [1], "checklist": [{"item": ["a"]}], "conclusion": "pass",
                                    "rectify_by": "x"}),
    ("/projects/{pid}/advance", {"to_stage": None}),
    ("/projects/{pid}/case", {"summary": "s", "outcomes": "o", "replication": "r", "solution_id": -1}),
    ("/projects/{pid}/provider", {"provider_id": "x"}),
]


def _chinese(text):
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize(("url", "body"), BODIES)
def test_hostile_bodies(api, make_project, dept, admin, url, body):
    project = make_project(ProjectStage.build)
    for user in (dept[1], admin):
        response = api(user).post(url.format(pid=project.id), json=body)
        assert response.status_code in (400, 403, 404, 409, 422), response.get_data(as_text=True)[:500]
        error = response.get_json()["error"]
        assert all(_chinese(text) for text in [error["message"], *error["fields"].values()]), error
