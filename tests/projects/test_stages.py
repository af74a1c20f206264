"""Unit: the stage table, every (stage, action) pair, gate roles, and the documents a gate needs."""

import pytest

from marketplace.core.errors import Conflict, InvalidTransition, NotAllowed, ValidationFailed
from marketplace.extensions import db
from marketplace.projects import operations as ops
from marketplace.projects.states import DOCUMENT_REQUIRED, GATE_ROLES, ORDER, PROJECT_MACHINE, ProjectStage
from tests.projects.conftest import pdf

S = ProjectStage
PAIRS = [(stage, action) for stage in ProjectStage for action in PROJECT_MACHINE.actions]


@pytest.mark.parametrize(("stage", "action"), PAIRS, ids=[f"{s.value}-{a}" for s, a in PAIRS])
def test_transition_table(stage, action):
    """Only to the next stage; terminate from any stage before operation; nothing leaves the ends."""
    if action == "advance":
        if stage in (S.operation, S.terminated):
            assert not PROJECT_MACHINE.allowed(stage, action)
        else:
            assert PROJECT_MACHINE.target(stage, action) == ORDER[ORDER.index(stage) + 1]
    else:
        assert PROJECT_MACHINE.allowed(stage, action) == (stage not in (S.operation, S.terminated))
        if PROJECT_MACHINE.allowed(stage, action):
            assert PROJECT_MACHINE.target(stage, action) == S.terminated


@pytest.mark.parametrize(("stage", "action"), PAIRS, ids=[f"{s.value}-{a}" for s, a in PAIRS])
def test_every_pair_through_the_operations(stage, action, make_project, dept, admin):
    project = make_project(stage)
    if action == "terminate":
        if stage in (S.operation, S.terminated):
            with pytest.raises(InvalidTransition):
                ops.terminate_project(admin, project, reason="预算调整")
        else:
            ops.terminate_project(admin, project, reason="预算调整")
            assert project.stage == S.terminated and project.status_reason == "预算调整"
        return
    if stage in DOCUMENT_REQUIRED:
        ops.add_document(dept[1], project, stage=stage, title=DOCUMENT_REQUIRED[stage], upload=pdf())
    if stage in (S.operation, S.terminated, S.acceptance):
        with pytest.raises(InvalidTransition):
            ops.advance_project(dept[1], project, to_stage=S.operation.value)
        return
    nxt = ORDER[ORDER.index(stage) + 1]
    ops.advance_project(dept[1], project, to_stage=nxt.value)
    if stage == S.approval:  # 立项: the department's approval alone does not move it
        assert project.stage == S.approval
        ops.advance_project(admin, project, to_stage=nxt.value)
    assert project.stage == nxt


@pytest.mark.parametrize("stage", [S.application, S.feasibility, S.build])
def test_only_the_next_stage(stage, make_project, dept):
    project = make_project(stage)
    skip = ORDER[ORDER.index(stage) + 2]
    with pytest.raises(InvalidTransition, match="只能进入下一阶段"):
        ops.advance_project(dept[1], project, to_stage=skip.value)
    with pytest.raises(InvalidTransition):
        ops.advance_project(dept[1], project, to_stage=S.terminated.value)
    with pytest.raises(ValidationFailed):
        ops.advance_project(dept[1], project, to_stage="nowhere")
    assert project.stage == stage


@pytest.mark.parametrize("stage", list(DOCUMENT_REQUIRED))
def test_leaving_a_document_stage_needs_its_document(stage, make_project, dept, admin, panel):
    project = make_project(stage)
    with pytest.raises(Conflict) as caught:
        if stage == S.acceptance:
            ops.convene_acceptance(dept[1], project, panel_ids=[panel[0].id], conclusion="pass",
                                   checklist=[{"item": "功能", "passed": True}])
        else:
            ops.advance_project(dept[1], project, to_stage=ORDER[ORDER.index(stage) + 1].value)
    assert DOCUMENT_REQUIRED[stage] in caught.value.message
    assert caught.value.status == 409 and caught.value.code == "documents_missing"
    db.session.rollback()
    assert project.stage == stage


def test_gate_roles(make_project, dept, admin, provider, other_dept):
    project = make_project(S.application)
    with pytest.raises(NotAllowed):
        ops.advance_project(provider[1], project, to_stage="feasibility")
    with pytest.raises(NotAllowed):
        ops.advance_project(other_dept[1], project, to_stage="feasibility")
    with pytest.raises(NotAllowed):  # the admin opens only the 立项 gate
        ops.advance_project(admin, project, to_stage="feasibility")
    assert GATE_ROLES[S.approval] == ("department", "admin")


def test_approval_gate_needs_both_in_either_order(make_project, dept, admin):
    project = make_project(S.approval)
    ops.add_document(dept[1], project, stage="approval", title="立项批复", upload=pdf())
    ops.advance_project(admin, project, to_stage="procurement", note="同意立项")
    assert project.stage == S.approval and ops.pending_gate_roles(project) == ["department"]
    with pytest.raises(Conflict, match="已审批"):
        ops.advance_project(admin, project, to_stage="procurement")
    ops.advance_project(dept[1], project, to_stage="procurement")
    assert project.stage == S.procurement


def test_documents_only_for_reached_stages(make_project, dept):
    project = make_project(S.feasibility)
    with pytest.raises(ValidationFailed) as caught:
        ops.add_document(dept[1], project, stage="build", title="建设方案", upload=pdf())
    assert "stage" in caught.value.fields
    ops.add_document(dept[1], project, stage="application", title="申报书", upload=pdf())


def test_every_change_is_audited(make_project, admin):
    import sqlalchemy as sa

    from marketplace.audit.models import AuditEvent
    from marketplace.audit.operations import verify_chain

    project = make_project(S.procurement)
    actions = db.session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.object_type == "project", AuditEvent.object_id == project.id).order_by(AuditEvent.seq)).all()
    assert actions[0] == "project.create"
    assert actions.count("project.advance") == 3 and "project.gate_approve" in actions
    assert verify_chain().ok
