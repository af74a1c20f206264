"""The horse race in the browser: the department defines the unified pilot milestones on the
challenge form, a racer reports on its pilot project with measured indicators, an evaluator of the
final round sees that evidence next to the entry, and the admin publishes after every signature.
The steps between (entries, the proposal round, scoring) run through the real operations."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from marketplace.challenges import operations as challenge_ops
from marketplace.challenges.models import Challenge
from marketplace.core.db import utcnow
from marketplace.core.timeutil import to_shanghai
from marketplace.extensions import db
from marketplace.projects import operations as project_ops
from marketplace.projects.models import Project
from marketplace.review import operations as review_ops
from marketplace.submissions import operations as submission_ops
from tests import factories
from tests.e2e.people import log_in

pytestmark = pytest.mark.e2e


def _fill_challenge(page: Page):
    deadline = to_shanghai(utcnow() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    values = {
        "#title": "老旧小区电梯智能监测", "#description": "电梯与消防设施在线监测。", "#outcomes": "困人响应 10 分钟内",
        "#budget_yuan": "1000000", "#deadline": deadline, "#race_slots": "2", "#min_submissions": "1",
        "#pilot_budget_yuan": "150000",
        "#race_milestones-0-title": "试点部署完成", "#race_milestones-0-due_days": "30",
        "#race_milestones-0-evidence": "部署报告与现场照片",
        "#rounds-0-name": "方案评审",
        "#rounds-0-criteria-0-name": "技术方案", "#rounds-0-criteria-0-weight": "60",
        "#rounds-0-criteria-0-max_points": "100",
        "#rounds-0-criteria-1-name": "报价", "#rounds-0-criteria-1-weight": "40", "#rounds-0-criteria-1-max_points": "100",
        "#rounds-1-name": "终期评审",
        "#rounds-1-criteria-0-name": "试点成效", "#rounds-1-criteria-0-weight": "100",
        "#rounds-1-criteria-0-max_points": "100",
    }
    page.select_option("#domain", "社区")
    for selector, value in values.items():
        page.fill(selector, value)


def _score_all(round_, order):
    for member in review_ops.members(round_):
        evaluator = member.evaluator
        if member.declared_at is None:
            review_ops.sign_declaration(evaluator, round_, conflict_provider_ids=[])
        rows = [{"submission_id": e.submission_id, "criterion_id": c.id,
                 "points": str(c.max_points * (Decimal("0.9") - Decimal("0.1") * order.index(e.submission_id))),
                 "comment": "依据试点佐证评分"} for e in review_ops.entries_for(member) for c in round_.criteria]
        review_ops.save_sheet(evaluator, round_, rows)
        review_ops.submit_sheet(evaluator, round_)


def test_race_from_milestones_to_publication(new_page):
    admin = factories.create_user("admin")
    org = factories.create_org("department", name="区建管委")
    department = factories.create_user("department", org=org)
    providers = [factories.create_provider(domains=("社区",), admin=admin) for _ in range(3)]
    evaluators = [factories.create_user("evaluator", name=f"评审专家{i}") for i in range(1, 4)]

    page = new_page()
    log_in(page, department.email)
    page.goto("/challenges/new")
    _fill_challenge(page)
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_role("alert").first).to_contain_text("榜单草稿已保存")
    expect(page.locator("#race")).to_contain_text("试点部署完成")

    challenge = db.session.scalars(sa.select(Challenge)).one()
    challenge_ops.submit_for_review(department, challenge)
    challenge_ops.approve_challenge(admin, challenge)
    entries = [submission_ops.submit_entry(user, challenge, summary=f"方案 {i}", technical_plan="物联网监测",
                                           price_yuan=Decimal("800000"), timeline="6 个月")[0]
               for i, (_o, user, _a) in enumerate(providers)]
    db.session.execute(sa.update(Challenge).where(Challenge.id == challenge.id)
                       .values(deadline=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    db.session.refresh(challenge)
    challenge_ops.close_if_due(challenge)
    proposal, final = challenge.rounds
    order = [e.id for e in entries]
    review_ops.set_panel(admin, proposal, [e.id for e in evaluators])
    review_ops.open_round(admin, proposal)
    _score_all(proposal, order)
    review_ops.close_round(admin, proposal)
    for evaluator in evaluators:
        review_ops.sign_report(evaluator, proposal)
    review_ops.publish_round(admin, proposal)
    db.session.commit()
    pilot = db.session.scalar(sa.select(Project).where(Project.submission_id == entries[0].id))
    assert pilot is not None and pilot.kind.value == "pilot"

    # The racer reports on its pilot's first milestone, with measured indicators.
    racer = new_page()
    log_in(racer, providers[0][1].email)
    racer.goto(f"/projects/{pilot.id}")
    expect(racer.get_by_test_id("pilot-badge")).to_be_visible()
    racer.get_by_role("link", name="报告进度").first.click()
    racer.get_by_label("完成进度（%）").fill("100")
    racer.get_by_label("进度说明").fill("两个试点小区部署完成")
    racer.get_by_label("实测指标（对照榜单量化指标，可选）").fill("困人平均响应 8 分钟")
    racer.get_by_role("button", name="提交进度报告").click()
    expect(racer.get_by_role("alert").first).to_contain_text("进度报告已提交")
    db.session.expire_all()
    report = db.session.get(Project, pilot.id).milestones[0].reports[0]
    project_ops.confirm_report(department, report)
    review_ops.set_panel(admin, final, [e.id for e in evaluators])
    review_ops.open_round(admin, final)
    db.session.commit()

    # An evaluator of the final round sees the confirmed pilot evidence next to the entry.
    expert = new_page()
    log_in(expert, evaluators[0].email)
    expert.goto(f"/review/rounds/{final.id}")
    expert.get_by_role("button", name="签署回避声明").click()
    reached = expert.get_by_test_id("pilot-evidence").filter(has_text="困人平均响应 8 分钟")
    expect(reached).to_have_count(1)
    expect(reached).to_contain_text("已完成里程碑 1 / 1")
    expect(expert.get_by_test_id("pilot-evidence")).to_have_count(2)

    db.session.expire_all()
    final = db.session.get(type(final), final.id)
    _score_all(final, [e.id for e in entries[:2]])
    review_ops.close_round(admin, final)
    for evaluator in evaluators:
        review_ops.sign_report(evaluator, final)
    db.session.commit()

    # The admin publishes once every member has signed: the notice opens.
    office = new_page()
    log_in(office, admin.email)
    office.goto(f"/admin/challenges/{challenge.id}/evaluation")
    office.once("dialog", lambda dialog: dialog.accept())
    office.get_by_role("button", name="发布本轮结果").click()
    expect(office.get_by_role("alert").first).to_contain_text("本轮结果已发布")
    db.session.expire_all()
    assert db.session.get(Challenge, challenge.id).state.value == "notice"
