"""Forms never lose work (issue 16 item 3), in a browser: a provider edits its entry, the deadline
passes while it types, and 保存为新版本 one second too late brings back the form with every word
typed and the reason at its top — not a bare "409 状态冲突" page. The refused page passes axe."""

import os
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from marketplace.challenges import operations as challenge_ops
from marketplace.challenges.models import Challenge
from marketplace.core.db import utcnow
from marketplace.extensions import db as _db
from marketplace.submissions import operations as submission_ops
from tests import factories
from tests.challenges.pages.conftest import plan_values
from tests.e2e.conftest import RESULTS
from tests.e2e.people import log_in

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parents[2] / "static" / "vendor" / "axe" / "axe.min.js"
SERIOUS = """async () => (await axe.run(document, {runOnly: {type: 'tag',
    values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})).violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => v.id)"""

LATE_PLAN = "## 第二版架构\n多模态分诊 + 院内导航 + 候诊提醒。\n这段文字是截止前最后一分钟写的，不能丢。"


def test_entry_edit_after_the_deadline_keeps_the_text(new_page):
    department = factories.create_org("department", name="区卫生健康委")
    dept_user = factories.create_user("department", org=department, name="卫健委经办人")
    admin_user = factories.create_user("admin", name="平台管理员")
    _, provider_user, _ = factories.create_provider(admin=admin_user, domains=("医疗",), name="上海智慧医疗科技有限公司")
    challenge = challenge_ops.create_challenge(dept_user, plan_values(title="便捷就医服务2.0", domain="医疗",
                                                                      required_domains=["医疗"]))
    challenge_ops.submit_for_review(dept_user, challenge)
    challenge_ops.approve_challenge(admin_user, challenge)
    submission, _ = submission_ops.submit_entry(provider_user, challenge, summary="AI 分诊", technical_plan="第一版",
                                                price_yuan=Decimal("980000.00"), timeline="6 个月")
    _db.session.commit()

    page = new_page()
    log_in(page, provider_user.email)
    page.goto(f"/submissions/{submission.id}/edit")
    page.get_by_label("方案摘要").fill("AI 分诊 + 院内导航（第二版）")
    page.get_by_label("技术方案").fill(LATE_PLAN)

    # While the provider types, the deadline passes.
    _db.session.execute(sa.update(Challenge).where(Challenge.id == challenge.id).values(deadline=utcnow()))
    _db.session.commit()

    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="保存为新版本").click()
    assert posted.value.status == 409
    expect(page.get_by_role("alert").filter(has_text="揭榜已截止")).to_be_visible()
    expect(page.get_by_text("以下是您刚才填写的内容（未被接收），请复制保存。")).to_be_visible()
    expect(page.get_by_label("技术方案")).to_have_value(LATE_PLAN)
    expect(page.get_by_label("方案摘要")).to_have_value("AI 分诊 + 院内导航（第二版）")
    expect(page.get_by_role("button", name="保存为新版本")).to_have_count(0)

    if os.environ.get("E2E_SCREENSHOTS") == "1":  # for a human to look at
        RESULTS.mkdir(exist_ok=True)
        page.screenshot(path=str(RESULTS / "entry-edit-after-deadline.png"), full_page=True)
    page.evaluate(AXE.read_text(encoding="utf-8"))
    assert page.evaluate(SERIOUS) == []
    _db.session.expire_all()
    assert _db.session.get(type(submission), submission.id).version == 1
