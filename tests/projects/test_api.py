"""Functional: the project API — the contract in API.md, every role's denials, 409s and 422s."""

import io
from datetime import timedelta

import pytest

from marketplace.core.timeutil import today_shanghai
from marketplace.projects.states import ProjectStage
from tests.projects.conftest import PDF

S = ProjectStage


def _chinese(text):
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _error(response, status, code=None):
    assert response.status_code == status, response.get_data(as_text=True)[:1000]
    body = response.get_json()["error"]
    assert _chinese(body["message"])
    if code:
        assert body["code"] == code
    return body


def _upload(client_api, url, stage, title="可研报告", data=PDF, name="report.pdf"):
    return client_api.client.post(
        f"/api/v1{url}", data={"stage": stage, "title": title, "file": (io.BytesIO(data), name)},
        headers={"Authorization": f"Bearer {client_api.token}"}, content_type="multipart/form-data")


def test_department_creates_and_walks_a_project(api, dept, provider, admin):
    d = api(dept[1])
    response = d.post("/projects", json={"title": "便捷就医服务2.0", "domain": "医疗", "approved_budget_yuan": "1250000.50",
                                         "provider_id": provider[0].id, "description": "智能分诊导诊"})
    assert response.status_code == 201, response.get_json()
    project = response.get_json()
    assert project["stage"] == "application" and project["budget"] == {
        "approved_yuan": "1250000.50", "paid_yuan": "0.00", "remaining_yuan": "1250000.50"}
    pid = project["id"]
    assert d.post(f"/projects/{pid}/advance", json={"to_stage": "feasibility", "note": "同意"}).get_json()["stage"] == "feasibility"
    # leaving 可研 needs its document: 409 naming it
    body = _error(d.post(f"/projects/{pid}/advance", json={"to_stage": "approval"}), 409, "documents_missing")
    assert "可行性研究报告" in body["message"]
    assert _upload(d, f"/projects/{pid}/documents", "feasibility").status_code == 201
    assert d.post(f"/projects/{pid}/advance", json={"to_stage": "approval"}).get_json()["stage"] == "approval"
    _error(d.post(f"/projects/{pid}/advance", json={"to_stage": "build"}), 409, "invalid_transition")
    assert _upload(d, f"/projects/{pid}/documents", "approval", title="立项批复").status_code == 201
    after_dept = d.post(f"/projects/{pid}/advance", json={"to_stage": "procurement"}).get_json()
    assert after_dept["stage"] == "approval" and after_dept["pending_gate_roles"] == ["admin"]
    after_admin = api(admin).post(f"/projects/{pid}/advance", json={"to_stage": "procurement"}).get_json()
    assert after_admin["stage"] == "procurement"
    got = d.get(f"/projects/{pid}").get_json()
    assert [g["role"] for g in got["gate_approvals"]] == ["department", "department", "department", "admin"]
    assert {doc["stage"] for doc in got["documents"]} == {"feasibility", "approval"}


def test_field_errors_in_chinese(api, dept):
    d = api(dept[1])
    body = _error(d.post("/projects", json={"title": "", "domain": "火星", "approved_budget_yuan": "12.345"}), 422)
    assert set(body["fields"]) == {"title", "domain", "approved_budget_yuan"}
    assert all(_chinese(m) for m in body["fields"].values())
    _error(d.post("/projects", data="{not json", content_type="application/json"), 400)


def test_milestones_reports_payments(api, make_project, dept, provider, other_provider):
    project = make_project(S.build)
    d, p = api(dept[1]), api(provider[1])
    due = (today_shanghai() + timedelta(days=20)).isoformat()
    body = _error(d.post(f"/projects/{project.id}/milestones", json={"title": "上线", "due_date": "2026-02-30",
                                                                    "owner_id": provider[1].id}), 422)
    assert "due_date" in body["fields"]
    body = _error(d.post(f"/projects/{project.id}/milestones", json={"title": "上线", "due_date": due,
                                                                    "owner_id": other_provider[1].id}), 422)
    assert "owner_id" in body["fields"]
    created = d.post(f"/projects/{project.id}/milestones", json={"title": "上线", "due_date": due,
                                                                 "owner_id": provider[1].id})
    assert created.status_code == 201 and created.get_json()["overdue"] is False
    mid = created.get_json()["id"]
    body = _error(p.post(f"/milestones/{mid}/reports", json={"percent": 101, "narrative": "x"}), 422)
    assert body["fields"]["percent"] == "进度应为 0–100 的整数"
    report = p.post(f"/milestones/{mid}/reports", json={"percent": 50, "narrative": "开发过半"})
    assert report.status_code == 201
    rid = report.get_json()["id"]
    attach = p.client.post(f"/api/v1/reports/{rid}/attachments", data={"file": (io.BytesIO(PDF), "周报.pdf")},
                           headers={"Authorization": f"Bearer {p.token}"}, content_type="multipart/form-data")
    assert attach.status_code == 201
    file_id = attach.get_json()["id"]
    assert d.get(f"/files/{file_id}").status_code == 200
    assert api(other_provider[1]).get(f"/files/{file_id}").status_code == 404
    assert api().get(f"/files/{file_id}").status_code == 404
    _error(p.post(f"/reports/{rid}/confirm"), 403)
    body = _error(d.post(f"/reports/{rid}/return", json={"reason": ""}), 422)
    assert "reason" in body["fields"]
    assert d.post(f"/reports/{rid}/return", json={"reason": "缺少测试记录"}).get_json()["status"] == "returned"
    rid = p.post(f"/milestones/{mid}/reports", json={"percent": 100, "narrative": "完成"}).get_json()["id"]
    assert d.post(f"/reports/{rid}/confirm").get_json()["status"] == "confirmed"
    milestone = d.get(f"/projects/{project.id}").get_json()["milestones"][0]
    assert milestone["status"] == "completed" and milestone["percent"] == 100
    # payments
    paid = d.post(f"/projects/{project.id}/payments", json={"amount_yuan": "250000.25", "note": "首付款"})
    assert paid.status_code == 201 and paid.get_json()["budget"]["paid_yuan"] == "250000.25"
    body = _error(d.post(f"/projects/{project.id}/payments", json={"amount_yuan": "750000.00"}), 422)
    assert "超出批复预算" in body["fields"]["amount_yuan"]
    body = _error(d.post(f"/projects/{project.id}/payments", json={"amount_yuan": "-5"}), 422)
    assert "amount_yuan" in body["fields"]
    assert p.get(f"/projects/{project.id}/payments").get_json()["budget"]["paid_yuan"] == "250000.25"
    _error(p.post(f"/projects/{project.id}/payments", json={"amount_yuan": "1"}), 403)


def test_denials(api, make_project, dept, other_dept, provider, other_provider, panel, admin):
    project = make_project(S.acceptance)
    pid = project.id
    for user in (other_dept[1], other_provider[1], panel[0]):
        _error(api(user).get(f"/projects/{pid}"), 404)
        assert pid not in [p["id"] for p in api(user).get("/projects").get_json()["items"]]
    _error(api().get(f"/projects/{pid}"), 401)
    _error(api(other_dept[1]).post(f"/projects/{pid}/payments", json={"amount_yuan": "1"}), 404)
    _error(api(provider[1]).post(f"/projects/{pid}/advance", json={"to_stage": "operation"}), 403)
    _error(api(provider[1]).post("/projects", json={"title": "x", "domain": "医疗", "approved_budget_yuan": "1"}), 403)
    _error(api(dept[1]).post(f"/projects/{pid}/terminate", json={"reason": "x"}), 403)
    _error(api(dept[1]).post(f"/projects/{pid}/case", json={"summary": "s", "outcomes": "o", "replication": "r"}), 403)
    # an evaluator on the panel sees it; one not on it does not
    acceptance = api(dept[1]).post(f"/projects/{pid}/acceptance", json={
        "panel_ids": [panel[0].id], "checklist": [{"item": "功能上线"}]}).get_json()
    assert api(panel[0]).get(f"/projects/{pid}").status_code == 200
    _error(api(panel[1]).get(f"/acceptances/{acceptance['id']}"), 404)
    _error(api(panel[1]).post(f"/acceptances/{acceptance['id']}/sign", json={"conclusion": "pass"}), 404)
    admin_list = api(admin).get("/projects?stage=acceptance").get_json()
    assert admin_list["total"] == 1


def test_acceptance_terminate_case_and_public_lists(api, make_project, dept, panel, admin, provider):
    project = make_project(S.acceptance)
    pid = project.id
    d = api(dept[1])
    created = d.post(f"/projects/{pid}/acceptance", json={
        "panel_ids": [panel[0].id, panel[1].id], "checklist": [{"item": "功能上线"}, {"item": "指标达标"}]})
    assert created.status_code == 201, created.get_json()
    aid = created.get_json()["id"]
    e0, e1 = api(panel[0]), api(panel[1])
    body = _error(e0.post(f"/acceptances/{aid}/sign", json={"conclusion": "conditional"}), 422)
    assert "rectify_by" in body["fields"]
    body = _error(e0.post(f"/acceptances/{aid}/sign", json={"conclusion": "maybe"}), 422)
    assert "conclusion" in body["fields"]
    assert e0.post(f"/acceptances/{aid}/sign", json={
        "conclusion": "pass", "checklist": [{"position": 1, "passed": True, "note": "已上线"}]}).status_code == 200
    _error(e0.post(f"/acceptances/{aid}/sign", json={"conclusion": "pass"}), 409)
    # the last signature would pass the project, but the 验收报告 is missing
    body = _error(e1.post(f"/acceptances/{aid}/sign", json={"conclusion": "pass"}), 409, "documents_missing")
    assert "验收报告" in body["message"]
    assert _upload(d, f"/projects/{pid}/documents", "acceptance", title="验收报告").status_code == 201
    signed = e1.post(f"/acceptances/{aid}/sign", json={"conclusion": "pass"}).get_json()
    assert signed["conclusion"] == "pass" and signed["checklist"][0]["passed"] is True
    assert d.get(f"/projects/{pid}").get_json()["stage"] == "operation"
    _error(api(admin).post(f"/projects/{pid}/terminate", json={"reason": "x"}), 409)
    # the case
    a = api(admin)
    body = _error(a.post(f"/projects/{pid}/case", json={"summary": "", "outcomes": "o", "replication": "r"}), 422)
    assert "summary" in body["fields"]
    case = a.post(f"/projects/{pid}/case", json={"summary": "概述", "outcomes": "候诊时间缩短 57%", "replication": "先试点"})
    assert case.status_code == 201, case.get_json()
    _error(a.post(f"/projects/{pid}/case", json={"summary": "s", "outcomes": "o", "replication": "r"}), 409)
    public = api()
    assert public.get("/cases").get_json()["items"][0]["provider_id"] == provider[0].id
    assert public.get(f"/cases/{case.get_json()['id']}").status_code == 200
    assert public.get("/excellent-providers").get_json()["items"][0]["case_count"] == 1
    # terminating another project
    other = make_project(S.build, title="另一项目")
    body = _error(a.post(f"/projects/{other.id}/terminate", json={"reason": ""}), 422)
    assert "reason" in body["fields"]
    assert a.post(f"/projects/{other.id}/terminate", json={"reason": "预算取消"}).get_json()["stage"] == "terminated"
    _error(d.post(f"/projects/{other.id}/payments", json={"amount_yuan": "1"}), 409)


def test_dashboard_api(api, make_project, admin, dept):
    make_project(S.build)
    tables = api(admin).get("/dashboard").get_json()
    assert set(tables) == {"challenges-by-state", "projects-by-stage", "overdue-milestones", "budget-by-department",
                           "budget-by-domain"}
    assert tables["budget-by-department"]["rows"] == [["区卫生健康委", 1, "1000000.00", "0.00"]]
    _error(api(dept[1]).get("/dashboard"), 403)


@pytest.mark.parametrize("payload", [{"to_stage": ["a"]}, {"to_stage": {"x": 1}}, {"note": "x" * 3000}])
def test_hostile_advance_bodies(api, make_project, dept, payload):
    project = make_project(S.application)
    response = api(dept[1]).post(f"/projects/{project.id}/advance", json=payload)
    assert response.status_code in (400, 409, 422)


def test_openapi_lists_project_routes(api):
    doc = api().get("/openapi.json").get_json()
    for path in ("/projects", "/projects/{project_id}/advance", "/projects/{project_id}/documents",
                 "/milestones/{milestone_id}/reports", "/reports/{report_id}/confirm", "/projects/{project_id}/payments",
                 "/projects/{project_id}/acceptance", "/acceptances/{acceptance_id}/sign", "/projects/{project_id}/case",
                 "/cases", "/excellent-providers"):
        assert path in doc["paths"], path


def test_openapi_lists_the_issue16_additions(api):
    doc = api().get("/openapi.json").get_json()
    for path in ("/projects/{project_id}/gate/request", "/projects/{project_id}/gate/return",
                 "/payments/{payment_id}/void", "/acceptances/{acceptance_id}/refusal",
                 "/rounds/{round_id}/panel/draws"):
        assert path in doc["paths"], path
    payment = doc["paths"]["/projects/{project_id}/payments"]["post"]
    schema = payment["requestBody"]["content"]["application/json"]["schema"]
    assert {"paid_on", "voucher_no"} <= set(schema["properties"])
    assert not {"paid_on", "voucher_no"} & set(schema.get("required", []))  # optional in the API
    sign = doc["paths"]["/acceptances/{acceptance_id}/sign"]["post"]["requestBody"]["content"]["application/json"]
    assert "dissent" in sign["schema"]["properties"]
