"""An evaluator scores a blind round in the browser: declaration first, no provider names,
totals as they type, a comment demanded for an extreme score, then the locked sheet."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from marketplace.challenges import operations as challenge_ops
from marketplace.challenges.models import Challenge
from marketplace.core.db import utcnow
from marketplace.extensions import db
from marketplace.review import operations as review_ops
from marketplace.submissions import operations as submission_ops
from tests import factories
from tests.e2e.people import log_in

pytestmark = pytest.mark.e2e

PROVIDER_NAMES = ("上海颐康智慧养老科技有限公司", "上海数智医联科技有限公司")


def _blind_round_ready():
    """A closed challenge with two entries and an open blind round; returns (evaluator, round id)."""
    admin = factories.create_user("admin")
    department = factories.create_user("department")
    providers = [factories.create_provider(domains=("养老",), admin=admin, name=name) for name in PROVIDER_NAMES]
    evaluators = [factories.create_user("evaluator", name=f"评审专家{i}") for i in range(1, 4)]
    challenge = challenge_ops.create_challenge(department, {
        "title": "为老服务一键通", "domain": "养老", "description": "独居老人一键呼叫。", "pain_points": "",
        "outcomes": "响应 15 分钟内", "budget_yuan": Decimal("600000"), "deadline": utcnow() + timedelta(days=2),
        "required_domains": ["养老"], "race_slots": 1, "min_submissions": 1, "notice_days": 5, "contact": "",
        "rounds": [{"name": "方案评审", "aggregation": "mean", "advance_top": None, "advance_threshold": None,
                    "blind": True, "min_panel": 3, "criteria": [
                        {"name": "技术方案", "description": "", "weight": 60, "max_points": 100},
                        {"name": "报价", "description": "", "weight": 40, "max_points": 10}]}],
    })
    challenge_ops.submit_for_review(department, challenge)
    challenge_ops.approve_challenge(admin, challenge)
    for index, (_org, user, _app) in enumerate(providers):
        submission_ops.submit_entry(user, challenge, summary=f"方案概述 {index + 1}：一键呼叫终端与平台",
                                    technical_plan="技术路线", price_yuan=Decimal("500000"), timeline="6 个月")
    db.session.execute(sa.update(Challenge).where(Challenge.id == challenge.id)
                       .values(deadline=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    db.session.refresh(challenge)
    challenge_ops.close_if_due(challenge)
    round_ = challenge.rounds[0]
    review_ops.set_panel(admin, round_, [e.id for e in evaluators])
    review_ops.open_round(admin, round_)
    db.session.commit()
    return evaluators[0], round_.id


def test_evaluator_scores_a_blind_round(new_page):
    evaluator, round_id = _blind_round_ready()
    page: Page = new_page()
    log_in(page, evaluator.email)
    page.get_by_role("link", name="我的评审").click()
    expect(page.get_by_text("待签署回避声明")).to_be_visible()
    page.get_by_role("link", name="为老服务一键通").click()

    # The declaration comes before any entry; it lists providers, not entries.
    expect(page.get_by_role("heading", name="回避声明", exact=False)).to_be_visible()
    expect(page.get_by_text("方案概述")).to_have_count(0)
    page.get_by_role("button", name="签署回避声明").click()
    expect(page.get_by_role("alert")).to_contain_text("回避声明已签署")

    # The sheet: entries by letter, no provider names anywhere on the page.
    expect(page.get_by_role("heading", name="方案 A")).to_be_visible()
    expect(page.get_by_role("heading", name="方案 B")).to_be_visible()
    for name in PROVIDER_NAMES:
        expect(page.get_by_text(name)).to_have_count(0)

    sections = page.locator("section[data-entry]")
    first, second = sections.nth(0), sections.nth(1)
    first.get_by_label("技术方案", exact=True).fill("80")
    first.get_by_label("报价", exact=True).fill("5")
    expect(first.locator("[data-total-for]")).to_have_text("68.00")  # 80/100×60 + 5/10×40, as typed
    second.get_by_label("技术方案", exact=True).fill("95")  # top 10%: needs a comment
    second.get_by_label("报价", exact=True).fill("6")
    expect(second.locator("[data-total-for]")).to_have_text("81.00")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="提交评分表").click()
    expect(page.get_by_role("alert")).to_contain_text("请填写评语")
    second.get_by_label("技术方案 评语").fill("架构成熟，已在两个街道试点")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="提交评分表").click()
    expect(page.get_by_role("alert").first).to_contain_text("评分表已提交并锁定")
    expect(page.get_by_role("button", name="提交评分表")).to_have_count(0)
    expect(sections.nth(1).get_by_label("技术方案", exact=True)).to_be_disabled()
    assert round_id
