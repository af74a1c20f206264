"""Gate requests (申请进入下一阶段): the project's department or provider asks, the approvers at
the gate approve (the project moves on) or return the request with a reason — the table, every
pair, the 立项 gate's two approvers, denials, audit, notifications, API and page."""

import pytest
import sqlalchemy as sa

from marketplace.audit.models import AuditEvent
from marketplace.core.errors import Conflict, InvalidTransition, NotAllowed, ValidationFailed
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.projects import operations as ops
from marketplace.projects.models import GateRequest
from marketplace.projects.states import GATE_REQUEST_MACHINE, GATE_ROLES, GateRequestStatus, ProjectStage
from tests.conftest import login
from tests.page_helpers import field_errors, page, submit
from tests.projects.conftest import pdf

S = ProjectStage
G = GateRequestStatus
PAIRS = [(status, action) for status in G for action in GATE_REQUEST_MACHINE.actions]


def _actions(action):
    return [e for e in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)
                                          .order_by(AuditEvent.id))]


@pytest.mark.parametrize(("status", "action"), PAIRS, ids=[f"{s.value}-{a}" for s, a in PAIRS])
def test_transition_table(status, action):
    """Decided once: a pending request is approved or returned; nothing leaves a decision."""
    if status == G.pending:
        assert GATE_REQUEST_MACHINE.target(status, action) == (G.approved if action == "approve" else G.returned)
    else:
        with pytest.raises(InvalidTransition):
            GATE_REQUEST_MACHINE.target(status, action)


@pytest.mark.parametrize(("status", "action"), PAIRS, ids=[f"{s.value}-{a}" for s, a in PAIRS])
def test_every_pair_through_the_operations(status, action, make_project, dept, provider):
    project = make_project(S.application)
    request = ops.request_gate(provider[1], project, note="材料已齐备")
    if status == G.approved:
        ops.advance_project(dept[1], project, to_stage="feasibility")
    elif status == G.returned:
        ops.return_gate_request(dept[1], project, reason="材料不全")
    assert request.status == status
    if action == "approve":
        if status == G.pending:
            ops.advance_project(dept[1], project, to_stage="feasibility")
            assert request.status == G.approved and project.stage == S.feasibility
        else:  # a decided request is never approved again: the next gate approval leaves it as it was
            if project.stage == S.application:
                ops.advance_project(dept[1], project, to_stage="feasibility")
            assert request.status == status
    else:
        if status == G.pending:
            ops.return_gate_request(dept[1], project, reason="请补充申报书")
            assert request.status == G.returned and request.reason == "请补充申报书"
        else:
            with pytest.raises(Conflict, match="没有待审批的关口申请"):
                ops.return_gate_request(dept[1], project, reason="再退一次")
            assert request.status == status


def test_request_then_return_then_request_again(make_project, dept, provider):
    project = make_project(S.application)
    request = ops.request_gate(provider[1], project, note="申报材料已提交")
    db.session.commit()
    assert request.status == G.pending and project.stage == S.application
    with pytest.raises(Conflict, match="已有待审批"):
        ops.request_gate(dept[1], project)
    with pytest.raises(ValidationFailed) as caught:
        ops.return_gate_request(dept[1], project, reason="  ")
    assert "reason" in caught.value.fields
    ops.return_gate_request(dept[1], project, reason="缺少项目申报书盖章页")
    db.session.commit()
    assert request.status == G.returned and request.decided_by_id == dept[1].id and request.decided_at
    assert project.stage == S.application  # the stage stays
    note = db.session.scalars(sa.select(Notification).where(Notification.user_id == provider[1].id,
                                                             Notification.kind == "project.gate_returned")).one()
    assert "缺少项目申报书盖章页" in note.body
    event = _actions("gate_request.return")[-1]
    assert event.object_type == "gate_request" and event.after["reason"] == "缺少项目申报书盖章页"
    assert _actions("gate_request.create")
    # asked again, and this time approved by the gate
    again = ops.request_gate(provider[1], project)
    ops.advance_project(dept[1], project, to_stage="feasibility")
    assert again.status == G.approved and project.stage == S.feasibility
    assert [g.status for g in ops.gate_requests(project)] == [G.returned, G.approved]


def test_admin_returns_the_approval_gate_and_the_department_approval_is_withdrawn(make_project, dept, admin,
                                                                                  provider):
    project = make_project(S.approval)
    ops.add_document(dept[1], project, stage="approval", title="立项批复", upload=pdf())
    ops.request_gate(dept[1], project, note="已取得立项批复")
    ops.advance_project(dept[1], project, to_stage="procurement")
    assert ops.pending_gate_roles(project) == ["admin"] and project.stage == S.approval
    ops.return_gate_request(admin, project, reason="批复文件未加盖公章")
    db.session.commit()
    assert project.stage == S.approval
    assert ops.pending_gate_roles(project) == ["department", "admin"]  # the gate starts again
    reset = _actions("project.gate_reset")[-1]
    assert reset.before["approvals"][0]["role"] == "department" and reset.after["approvals"] == []


def test_who_may_request_and_return(make_project, dept, provider, other_provider, other_dept, panel):
    project = make_project(S.application)
    for outsider in (other_provider[1], other_dept[1], panel[0]):
        with pytest.raises(NotAllowed):
            ops.request_gate(outsider, project)
    ops.request_gate(provider[1], project)
    for not_approver in (provider[1], other_dept[1]):
        with pytest.raises(NotAllowed):
            ops.return_gate_request(not_approver, project, reason="不同意")


@pytest.mark.parametrize("stage", [S.acceptance, S.operation, S.terminated])
def test_no_request_where_there_is_no_gate(stage, make_project, dept):
    assert stage not in GATE_ROLES
    project = make_project(stage)
    with pytest.raises(Conflict):
        ops.request_gate(dept[1], project)


def test_termination_closes_a_pending_request(make_project, dept, admin):
    project = make_project(S.build)
    request = ops.request_gate(dept[1], project)
    ops.terminate_project(admin, project, reason="预算调整")
    assert request.status == G.returned and "预算调整" in request.reason


def test_the_api(api, make_project, dept, provider, other_provider, admin):
    project = make_project(S.application)
    p, d = api(provider[1]), api(dept[1])
    url = f"/projects/{project.id}"
    assert api(other_provider[1]).post(f"{url}/gate/request", json={}).status_code == 404
    created = p.post(f"{url}/gate/request", json={"note": "申报材料齐全"})
    assert created.status_code == 201 and created.get_json()["status"] == "pending"
    assert p.post(f"{url}/gate/request", json={}).status_code == 409
    assert p.post(f"{url}/gate/return", json={"reason": "x"}).status_code == 403
    missing = d.post(f"{url}/gate/return", json={})
    assert missing.status_code == 422 and "reason" in missing.get_json()["error"]["fields"]
    returned = d.post(f"{url}/gate/return", json={"reason": "申报书缺页"})
    assert returned.status_code == 200
    assert returned.get_json()["status"] == "returned" and returned.get_json()["reason"] == "申报书缺页"
    detail = p.get(url).get_json()
    assert detail["stage"] == "application"
    assert [(g["status"], g["reason"]) for g in detail["gate_requests"]] == [("returned", "申报书缺页")]
    assert d.post(f"{url}/gate/return", json={"reason": "再退"}).status_code == 409
    # the contract's direct approval keeps working with or without a request
    assert d.post(f"{url}/advance", json={"to_stage": "feasibility"}).get_json()["stage"] == "feasibility"


def test_the_page(client, new_client, make_project, dept, provider):
    project = make_project(S.build)
    url = f"/projects/{project.id}"
    p = new_client()
    login(p, provider[1])
    assert f'action="{url}/gate/request"' in page(p, url)
    login(client, dept[1])
    assert f'action="{url}/gate/request"' not in page(client, url)  # the department alone opens this gate
    assert submit(p, f"{url}/gate/request", {"gq-note": "建设内容已完成"}, page_url=url).status_code == 302
    body = page(p, url)
    assert 'data-testid="gate-request"' in body and "建设内容已完成" in body and "退回申请" not in body
    body = page(client, url)
    assert "退回申请" in body and "审批通过，进入“实施”" in body
    empty = submit(client, f"{url}/gate/return", {"gr-reason": ""}, page_url=url)
    assert empty.status_code == 422 and "gr-reason" in field_errors(empty.get_data(as_text=True))
    assert submit(client, f"{url}/gate/return", {"gr-reason": "尚缺竣工报告"}, page_url=url).status_code == 302
    body = page(p, url)
    assert 'data-testid="gate-returns"' in body and "尚缺竣工报告" in body
    assert db.session.scalars(sa.select(GateRequest)).one().status == G.returned
