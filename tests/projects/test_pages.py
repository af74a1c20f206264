"""Functional: the project pages, the dashboard and its exports, the public case library — with
every role's denials and field errors in Chinese."""

import io
import re
from datetime import timedelta

import openpyxl
import pytest
import sqlalchemy as sa

from marketplace.core.timeutil import today_shanghai
from marketplace.extensions import db
from marketplace.projects.models import Project
from marketplace.projects.states import ProjectStage
from tests.conftest import login
from tests.page_helpers import field_errors, page, submit
from tests.projects.conftest import PDF

S = ProjectStage


def test_department_enters_a_project(client, dept, provider):
    login(client, dept[1])
    body = page(client, "/projects/new")
    assert provider[0].name in body
    response = submit(client, "/projects/new", {"title": "", "domain": "医疗", "approved_budget_yuan": "abc"})
    assert response.status_code == 422
    errors = field_errors(response.get_data(as_text=True))
    assert set(errors) == {"title", "approved_budget_yuan"}
    response = submit(client, "/projects/new", {"title": "智慧养老院安全监测", "domain": "养老",
                                                "approved_budget_yuan": "680000.00", "provider_id": str(provider[0].id)})
    assert response.status_code == 302
    project = db.session.scalar(sa.select(Project))
    assert project.stage == S.application and project.approved_fen == 68_000_000
    body = page(client, f"/projects/{project.id}")
    assert "智慧养老院安全监测" in body and "申报" in body
    assert "智慧养老院安全监测" in page(client, "/projects")


def test_gate_pages_and_the_409(client, make_project, dept, admin, new_client):
    project = make_project(S.feasibility)
    login(client, dept[1])
    url = f"/projects/{project.id}"
    response = submit(client, f"{url}/advance", {"to_stage": "approval", "note": ""}, page_url=url)
    assert response.status_code == 409
    assert "可行性研究报告" in response.get_data(as_text=True)
    response = client.post(f"{url}/documents", data={
        "csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page(client, url)).group(1),
        "stage": "feasibility", "title": "可研报告", "file": (io.BytesIO(PDF), "可研.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    assert submit(client, f"{url}/advance", {"to_stage": "approval"}, page_url=url).status_code == 302
    db.session.expire_all()
    assert db.session.get(Project, project.id).stage == S.approval
    # a bad upload shows the error at the field
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page(client, url)).group(1)
    response = client.post(f"{url}/documents", data={"csrf_token": token, "stage": "approval", "title": "立项批复",
                                                     "file": (io.BytesIO(b"not a pdf"), "批复.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "file" in field_errors(response.get_data(as_text=True))


def test_milestones_overdue_in_red_and_payments(client, make_project, dept, provider):
    project = make_project(S.build)
    login(client, dept[1])
    url = f"/projects/{project.id}"
    response = submit(client, f"{url}/milestones", {"title": "", "due_date": "2026-13-01", "owner_id": ""}, page_url=url)
    assert response.status_code == 422
    assert {"title", "due_date", "owner_id"} <= set(field_errors(response.get_data(as_text=True)))
    due = (today_shanghai() + timedelta(days=5)).isoformat()
    assert submit(client, f"{url}/milestones", {"title": "上线试运行", "due_date": due,
                                               "owner_id": str(provider[1].id)}, page_url=url).status_code == 302
    milestone = db.session.get(Project, project.id).milestones[0]
    milestone.due_date = today_shanghai() - timedelta(days=2)
    db.session.commit()
    body = page(client, url)
    assert 'class="table-danger"' in body and 'data-testid="overdue"' in body
    assert "便捷就医服务2.0" in page(client, "/projects?overdue=1")
    assert "便捷就医服务2.0" not in page(client, "/projects?stage=rollout")
    today = today_shanghai().isoformat()
    response = submit(client, f"{url}/payments", {"amount_yuan": "2000000.00", "paid_on": today,
                                                  "voucher_no": "记-2026-001"}, page_url=url)
    assert response.status_code == 422
    assert "超出批复预算" in field_errors(response.get_data(as_text=True))["amount_yuan"][0]
    assert submit(client, f"{url}/payments", {"amount_yuan": "300000.00", "note": "首付款", "paid_on": today,
                                              "voucher_no": "记-2026-001"}, page_url=url).status_code == 302
    assert "300,000.00" in page(client, url)


def test_provider_reports_and_department_confirms(client, new_client, milestone, dept, provider):
    p = new_client()
    login(p, provider[1])
    url = f"/milestones/{milestone.id}/report"
    response = submit(p, url, {"percent": "150", "narrative": ""})
    assert response.status_code == 422
    assert set(field_errors(response.get_data(as_text=True))) == {"percent", "narrative"}
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page(p, url)).group(1)
    response = p.post(url, data={"csrf_token": token, "percent": "100", "narrative": "上线完成",
                                 "file": (io.BytesIO(PDF), "上线报告.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    from marketplace.projects.models import ProgressReport

    report = db.session.scalar(sa.select(ProgressReport))
    login(client, dept[1])
    project_url = f"/projects/{milestone.project_id}"
    assert "上线报告.pdf" in page(client, project_url)
    assert submit(client, f"/reports/{report.id}/confirm", {}, page_url=project_url).status_code == 302
    db.session.expire_all()
    assert db.session.get(ProgressReport, report.id).status.value == "confirmed"


def test_denials_on_pages(client, new_client, make_project, other_dept, other_provider, provider, panel, dept):
    project = make_project(S.build)
    url = f"/projects/{project.id}"
    for user in (other_dept[1], other_provider[1], panel[0]):
        c = new_client()
        login(c, user)
        assert c.get(url).status_code == 404
        assert c.post(f"{url}/payments", data={"amount_yuan": "1"}).status_code in (400, 404)
    c = new_client()
    login(c, provider[1])
    page(c, url)
    assert submit(c, f"{url}/payments", {"amount_yuan": "1"}, page_url=url).status_code == 403
    assert submit(c, f"{url}/advance", {"to_stage": "rollout"}, page_url=url).status_code == 403
    assert c.get("/projects/new").status_code == 403
    assert c.get("/admin/dashboard").status_code == 403
    anonymous = new_client()
    assert anonymous.get(url).status_code == 302


def test_acceptance_pages(client, new_client, make_project, dept, panel):
    project = make_project(S.acceptance)
    login(client, dept[1])
    url = f"/projects/{project.id}/acceptance"
    response = submit(client, url, {"checklist-0-item": ""})
    assert response.status_code == 422
    assert {"panel_ids", "checklist"} <= set(field_errors(response.get_data(as_text=True)))
    assert submit(client, url, {"panel_ids": [str(panel[0].id)], "checklist-0-item": "功能全部上线",
                                "checklist-1-item": "指标达标"}).status_code == 302
    from marketplace.projects.models import Acceptance

    acceptance = db.session.scalar(sa.select(Acceptance))
    outsider = new_client()
    login(outsider, panel[1])
    assert outsider.get(f"/acceptances/{acceptance.id}").status_code == 404
    member = new_client()
    login(member, panel[0])
    a_url = f"/acceptances/{acceptance.id}"
    assert "功能全部上线" in page(member, a_url)
    response = submit(member, a_url, {"conclusion": "conditional"})
    assert response.status_code == 422 and "rectify_by" in field_errors(response.get_data(as_text=True))
    rectify = (today_shanghai() + timedelta(days=30)).isoformat()
    assert submit(member, a_url, {"conclusion": "conditional", "rectify_by": rectify, "note": "文档待补",
                                  "passed-1": "y"}).status_code == 302
    body = page(member, a_url)
    assert "有条件通过" in body
    assert "整改" in page(client, f"/projects/{project.id}")


def test_dashboard_and_exports(client, make_project, admin, dept, provider):
    project = make_project(S.build)
    from marketplace.projects import operations as ops

    m = ops.add_milestone(dept[1], project, title="逾期的里程碑", due_date=today_shanghai(), owner_id=provider[1].id)
    m.due_date = today_shanghai() - timedelta(days=3)
    db.session.commit()
    login(client, admin)
    body = page(client, "/admin/dashboard")
    assert body.count("<svg") >= 3 and "style=" not in body.split("<main", 1)[1]
    assert "逾期的里程碑" in body and "项目阶段漏斗" in body
    assert "<script>" not in body
    for name in ("challenges-by-state", "projects-by-stage", "overdue-milestones", "budget-by-department",
                 "budget-by-domain"):
        csv_response = client.get(f"/admin/dashboard/{name}.csv")
        assert csv_response.status_code == 200 and csv_response.mimetype == "text/csv"
        book = openpyxl.load_workbook(io.BytesIO(client.get(f"/admin/dashboard/{name}.xlsx").data))
        assert book.active.max_row >= 1
    csv_text = client.get("/admin/dashboard/budget-by-department.csv").get_data(as_text=True)
    assert "区卫生健康委,1,1000000.00,0.00" in csv_text
    assert "逾期的里程碑" in client.get("/admin/dashboard/overdue-milestones.csv").get_data(as_text=True)
    assert client.get("/admin/dashboard/nothing.csv").status_code == 404


def test_admin_terminates_and_publishes_a_case(client, new_client, make_project, admin, provider):
    done = make_project(S.operation, title="已验收的项目")
    live = make_project(S.build, title="在建项目")
    login(client, admin)
    url = f"/projects/{live.id}"
    response = submit(client, f"{url}/terminate", {"reason": ""}, page_url=url)
    assert response.status_code == 422 and "reason" in field_errors(response.get_data(as_text=True))
    assert submit(client, f"{url}/terminate", {"reason": "预算取消"}, page_url=url).status_code == 302
    assert "预算取消" in page(client, url)
    case_url = f"/projects/{done.id}/case"
    response = submit(client, case_url, {"summary": "", "outcomes": "", "replication": ""})
    assert response.status_code == 422
    assert {"summary", "outcomes", "replication"} <= set(field_errors(response.get_data(as_text=True)))
    response = submit(client, case_url, {"title": "便捷就医 2.0 最佳实践", "summary": "概述", "outcomes": "候诊缩短 57%",
                                         "replication": "先试点后推广"})
    assert response.status_code == 302
    public = new_client()
    assert "便捷就医 2.0 最佳实践" in page(public, "/cases")
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert provider[0].name in page(public, f"/cases/{case_id}")
    assert provider[0].name in page(public, "/excellent-providers")
    page(public, f"/excellent-providers/{provider[0].id}")
    assert public.get(f"/projects/{done.id}").status_code == 302  # the project itself stays private


@pytest.mark.parametrize("url", ["/cases", "/excellent-providers", "/cases?domain=医疗&q=智慧"])
def test_public_pages_render_empty(client, url):
    page(client, url)
