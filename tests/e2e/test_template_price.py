"""A department starts a challenge from the 综合评分法 template in the browser (weight total shown
live), and the admin closes a round in which the price score decides the ranking (issue 13)."""

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
from marketplace.review import operations as review_ops
from marketplace.review import templates
from marketplace.submissions import operations as submission_ops
from tests import factories
from tests.e2e.people import log_in

pytestmark = pytest.mark.e2e

TITLE = "政务云机房节能改造"


def test_challenge_from_the_zonghe_template_ranked_by_price(new_page):
    templates.seed_templates()
    admin = factories.create_user("admin")
    department = factories.create_user("department")
    db.session.commit()

    dept: Page = new_page()
    log_in(dept, department.email)
    dept.goto("/challenges/new")
    dept.get_by_label("评审方案模板").select_option(label="综合评分法（标准）（第 1 版）")
    dept.get_by_role("button", name="套用模板").click()
    expect(dept.get_by_test_id("plan-started-from")).to_contain_text("综合评分法（标准）")
    first_round = dept.locator("[data-plan-round]").first
    total = first_round.locator("[data-weight-total]")
    expect(total).to_have_text("100")
    first_round.get_by_label("第 1 轮 第 1 行 权重（%）", exact=True).fill("45")
    expect(total).to_have_text("105")  # live, before any submit
    first_round.get_by_label("第 1 轮 第 1 行 权重（%）", exact=True).fill("40")
    expect(total).to_have_text("100")
    first_round.get_by_label("专家组最少人数").fill("3")
    dept.get_by_label("榜单名称").fill(TITLE)
    dept.get_by_label("场景领域").select_option("医疗")
    dept.get_by_label("场景描述").fill("机房制冷改造，降低能耗。")
    dept.get_by_label("预期成效与量化指标").fill("PUE 降至 1.3 以下")
    dept.get_by_label("预算 / 奖励（元）").fill("1200000")
    deadline = to_shanghai(utcnow() + timedelta(days=20)).replace(second=0, microsecond=0)
    dept.get_by_label("揭榜截止时间（北京时间）").fill(deadline.strftime("%Y-%m-%dT%H:%M"))
    dept.get_by_role("button", name="保存草稿").click()
    expect(dept.get_by_role("alert")).to_contain_text("榜单草稿已保存")

    challenge = db.session.scalar(sa.select(Challenge).where(Challenge.title == TITLE))
    round_ = challenge.rounds[0]
    assert [c.kind for c in round_.criteria] == ["judged", "judged", "judged", "judged", "price"]
    challenge_ops.submit_for_review(department, challenge)
    challenge_ops.approve_challenge(admin, challenge)
    providers = [factories.create_provider(domains=("医疗",), admin=admin) for _ in range(3)]
    prices = ["1000000", "750000", "900000"]
    entries = []
    for (_org, user, _app), price in zip(providers, prices, strict=True):
        entry, _ = submission_ops.submit_entry(user, challenge, summary="节能改造方案", technical_plan="液冷",
                                               price_yuan=Decimal(price), timeline="6 个月")
        entries.append(entry)
    db.session.execute(sa.update(Challenge).where(Challenge.id == challenge.id)
                       .values(deadline=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    db.session.refresh(challenge)
    challenge_ops.close_if_due(challenge)
    evaluators = [factories.create_user("evaluator", name=f"评审专家{i}") for i in range(1, 4)]
    review_ops.set_panel(admin, round_, [e.id for e in evaluators])
    review_ops.open_round(admin, round_)
    for evaluator in evaluators:
        review_ops.sign_declaration(evaluator, round_, conflict_provider_ids=[])
        # Every judged criterion the same for everyone: only the price can separate the entries.
        review_ops.save_sheet(evaluator, round_, [
            {"submission_id": e.id, "criterion_id": c.id, "points": str(c.max_points * Decimal("0.8")), "comment": ""}
            for e in entries for c in round_.criteria if c.kind == "judged"])
        review_ops.submit_sheet(evaluator, round_)
    db.session.commit()

    boss: Page = new_page()
    log_in(boss, admin.email)
    boss.goto(f"/admin/challenges/{challenge.id}/evaluation")
    boss.once("dialog", lambda dialog: dialog.accept())
    boss.get_by_role("button", name="结束评分，结果待确认").click()
    boss.goto(f"/rounds/{round_.id}/results")
    expect(boss.get_by_test_id("computed-criteria")).to_contain_text("最低有效报价 750000.00 元")
    rows = boss.get_by_test_id("results").locator("tbody tr")
    # 56 judged points each; price 30, 25, 22.50 of 30.
    expect(rows.nth(0)).to_contain_text(providers[1][0].name)
    expect(rows.nth(0)).to_contain_text("86.00")
    expect(rows.nth(1)).to_contain_text(providers[2][0].name)
    expect(rows.nth(1)).to_contain_text("81.00")
    expect(rows.nth(2)).to_contain_text("78.50")
