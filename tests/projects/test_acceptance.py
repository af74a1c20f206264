"""Unit: acceptance by a panel working a checklist — pass, conditional, fail — and the case."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.cases import operations as case_ops
from marketplace.cases import queries as case_queries
from marketplace.core.errors import Conflict, NotAllowed, ValidationFailed
from marketplace.core.timeutil import today_shanghai
from marketplace.extensions import db
from marketplace.projects import operations as ops
from marketplace.projects.states import AcceptanceStatus, Conclusion, ProjectStage
from tests.projects.conftest import pdf

S = ProjectStage
CHECKLIST = [{"item": "功能按合同全部上线"}, {"item": "量化指标达到预期"}]


@pytest.fixture
def in_acceptance(make_project, dept):
    project = make_project(S.acceptance)
    ops.add_document(dept[1], project, stage="acceptance", title="验收报告", upload=pdf())
    return project


def test_panel_signs_pass_and_the_project_operates(in_acceptance, dept, panel):
    acceptance = ops.convene_acceptance(dept[1], in_acceptance, panel_ids=[u.id for u in panel], checklist=CHECKLIST)
    assert [i.passed for i in acceptance.items] == [None, None]
    for user in panel[:2]:
        ops.sign_acceptance(user, acceptance, conclusion="pass", results={1: (True, "已上线"), 2: (True, "")})
    assert acceptance.status == AcceptanceStatus.open and in_acceptance.stage == S.acceptance
    ops.sign_acceptance(panel[2], acceptance, conclusion="pass")
    assert acceptance.conclusion == Conclusion.passed and in_acceptance.stage == S.operation
    assert acceptance.items[0].passed is True and acceptance.items[0].note == "已上线"
    with pytest.raises(Conflict):
        ops.sign_acceptance(panel[0], acceptance, conclusion="pass")


def test_the_strictest_signature_decides(in_acceptance, dept, panel):
    acceptance = ops.convene_acceptance(dept[1], in_acceptance, panel_ids=[u.id for u in panel], checklist=CHECKLIST)
    later, sooner = today_shanghai() + timedelta(days=60), today_shanghai() + timedelta(days=30)
    ops.sign_acceptance(panel[0], acceptance, conclusion="pass")
    ops.sign_acceptance(panel[1], acceptance, conclusion="conditional", rectify_by=later, note="文档不全")
    ops.sign_acceptance(panel[2], acceptance, conclusion="conditional", rectify_by=sooner, note="性能待优化")
    assert acceptance.conclusion == Conclusion.conditional and acceptance.rectify_by == sooner
    assert in_acceptance.stage == S.acceptance and in_acceptance.rectify_by == sooner
    assert "性能待优化" in acceptance.findings
    # the follow-up acceptance (复验) passes
    follow_up = ops.convene_acceptance(dept[1], in_acceptance, panel_ids=[panel[0].id], checklist=CHECKLIST,
                                       conclusion="pass")
    assert follow_up.attempt == 2 and in_acceptance.stage == S.operation and in_acceptance.rectify_by is None


def test_fail_keeps_it_in_acceptance_with_findings(in_acceptance, dept, panel):
    acceptance = ops.convene_acceptance(dept[1], in_acceptance, panel_ids=[panel[0].id], checklist=CHECKLIST)
    with pytest.raises(ValidationFailed) as caught:
        ops.sign_acceptance(panel[0], acceptance, conclusion="fail")
    assert "note" in caught.value.fields
    ops.sign_acceptance(panel[0], acceptance, conclusion="fail", note="核心功能未实现")
    assert acceptance.conclusion == Conclusion.failed and in_acceptance.stage == S.acceptance
    assert "核心功能未实现" in acceptance.findings


def test_conditional_needs_a_future_deadline(in_acceptance, dept, panel):
    with pytest.raises(ValidationFailed) as caught:
        ops.convene_acceptance(dept[1], in_acceptance, panel_ids=[panel[0].id], checklist=CHECKLIST,
                               conclusion="conditional")
    assert "rectify_by" in caught.value.fields
    with pytest.raises(ValidationFailed):
        ops.convene_acceptance(dept[1], in_acceptance, panel_ids=[panel[0].id], checklist=CHECKLIST,
                               conclusion="conditional", rectify_by=today_shanghai())


def test_panel_and_checklist_rules(in_acceptance, dept, panel, provider, admin):
    with pytest.raises(ValidationFailed) as caught:
        ops.convene_acceptance(dept[1], in_acceptance, panel_ids=[provider[1].id], checklist=CHECKLIST)
    assert "panel_ids" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        ops.convene_acceptance(dept[1], in_acceptance, panel_ids=[panel[0].id], checklist=[{"item": " "}])
    assert "checklist" in caught.value.fields
    with pytest.raises(NotAllowed):
        ops.convene_acceptance(provider[1], in_acceptance, panel_ids=[panel[0].id], checklist=CHECKLIST)
    acceptance = ops.convene_acceptance(admin, in_acceptance, panel_ids=[panel[0].id], checklist=CHECKLIST)
    with pytest.raises(Conflict):  # one open acceptance at a time
        ops.convene_acceptance(dept[1], in_acceptance, panel_ids=[panel[1].id], checklist=CHECKLIST)
    with pytest.raises(NotAllowed):  # not on the panel
        ops.sign_acceptance(panel[1], acceptance, conclusion="pass")


def test_acceptance_only_in_the_acceptance_stage(make_project, dept, panel):
    project = make_project(S.rollout)
    with pytest.raises(Conflict):
        ops.convene_acceptance(dept[1], project, panel_ids=[panel[0].id], checklist=CHECKLIST, conclusion="pass")


def test_publish_case_after_acceptance(make_project, admin, provider, dept):
    from marketplace.providers.operations import create_solution

    solution = create_solution(provider[1], title="智能分诊导诊", domain="医疗", summary="分诊")
    project = make_project(S.rollout)
    with pytest.raises(Conflict):
        case_ops.publish_case(admin, project, summary="s", outcomes="o", replication="r")
    project = make_project(S.operation, title="已验收项目")
    with pytest.raises(NotAllowed):
        case_ops.publish_case(dept[1], project, summary="s", outcomes="o", replication="r")
    with pytest.raises(ValidationFailed) as caught:
        case_ops.publish_case(admin, project, summary="", outcomes="o", replication="")
    assert set(caught.value.fields) == {"summary", "replication"}
    case = case_ops.publish_case(admin, project, summary="概述", outcomes="候诊时间缩短 57%", replication="先试点",
                                 solution_id=solution.id)
    assert case.provider_id == provider[0].id and case.solution_id == solution.id
    with pytest.raises(Conflict):
        case_ops.publish_case(admin, project, summary="s", outcomes="o", replication="r")
    rows = case_queries.excellent_providers()
    assert [(org.id, count) for org, count, _ in rows] == [(provider[0].id, 1)]


def test_create_project_from_award(dept, provider, admin):
    from datetime import timedelta as td

    from marketplace.challenges.models import Challenge
    from marketplace.core.db import utcnow
    from marketplace.notifications.models import Notification
    from marketplace.submissions.models import Submission

    challenge = Challenge(department_id=dept[0].id, title="智慧养老揭榜", domain="养老", budget_fen=80_000_000,
                          deadline=utcnow() + td(days=1), state="awarded")
    db.session.add(challenge)
    db.session.flush()
    submission = Submission(challenge_id=challenge.id, provider_id=provider[0].id, summary="s", technical_plan="p",
                            price_fen=95_000_000, timeline="t", submitted_at=utcnow())
    db.session.add(submission)
    db.session.flush()
    project = ops.create_project_from_award(admin, challenge, submission)
    assert (project.stage, project.title, project.challenge_id, project.submission_id) == (
        S.application, "智慧养老揭榜", challenge.id, submission.id)
    assert project.department_id == dept[0].id and project.provider_id == provider[0].id
    assert project.approved_fen == 80_000_000  # the entry's price, but not above the challenge budget
    assert ops.create_project_from_award(admin, challenge, submission) is project
    # No notice of its own: the award (workflow) tells the winner and the department once each.
    told = set(db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "project.created")))
    assert not {dept[1].id, provider[1].id} & told
    submission.price_fen = 50_000_000
    other = Submission(challenge_id=challenge.id, provider_id=provider[0].id, summary="s", technical_plan="p",
                       price_fen=50_000_000, timeline="t", submitted_at=utcnow(), state="withdrawn")
    db.session.add(other)
    db.session.flush()
    assert ops.create_project_from_award(admin, challenge, other).approved_fen == 50_000_000
