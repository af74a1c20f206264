"""A department enters a project into the library and walks it through two gates in a browser:
申报 → 可研 (no document needed), then 可研 → 立项, which is refused (409) until the 可研 report is
uploaded."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from marketplace.extensions import db
from marketplace.projects.models import Project
from tests import factories
from tests.e2e.people import log_in, unit_menu

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"






def stage(page: Page):
    return page.get_by_role("heading", level=1).get_by_test_id("stage")


def stored_stage(title):
    db.session.remove()  # read what the server committed
    return db.session.scalar(sa.select(Project.stage).where(Project.title == title))


def test_department_walks_a_project_through_two_gates(new_page, tmp_path):
    org = factories.create_org("department", name="区卫生健康委")
    user = factories.create_user("department", org=org, name="卫健委经办人")
    provider_org, _, _ = factories.create_provider(name="上海数智医联科技有限公司", domains=("医疗",))
    title = "便捷就医服务2.0 智能分诊导诊"

    page = new_page()
    log_in(page, user.email)
    unit_menu(page, "项目库")
    expect(page.get_by_role("heading", level=1)).to_contain_text("重点项目库")
    page.get_by_role("link", name="申报项目").click()

    # A mistake first: the budget has three decimals; the message stands next to the field.
    page.get_by_label("项目名称").fill(title)
    page.get_by_label("场景领域").select_option("医疗")
    page.get_by_label("建设内容与目标").fill("智能分诊导诊、院内导航、医疗收费电子票据。")
    page.get_by_label("批复预算（元）").fill("2600000.125")
    page.get_by_label("承建服务商（可在招标后确定）").select_option(label=provider_org.name)
    page.get_by_role("button", name="提交申报").click()
    expect(page.locator('[data-field="approved_budget_yuan"]')).to_contain_text("最多保留两位小数")
    page.get_by_label("批复预算（元）").fill("2600000.00")
    page.get_by_role("button", name="提交申报").click()
    expect(page.get_by_role("alert").first).to_contain_text("项目已进入项目库")
    expect(stage(page)).to_have_text("申报")
    assert stored_stage(title).value == "application"

    # Gate 1: 申报 → 可研.
    page.get_by_label("审批意见").fill("同意开展可行性研究")
    page.get_by_role("button", name="审批通过，进入“可研”").click()
    expect(page.get_by_role("alert").first).to_contain_text("关口审批已提交")
    expect(stage(page)).to_have_text("可研")
    expect(page.get_by_test_id("missing-documents")).to_contain_text("可行性研究报告")

    # Gate 2 without the 可研 report: refused, naming what is missing.
    page.get_by_role("button", name="审批通过，进入“立项”").click()
    expect(page.get_by_text(re.compile("须上传本阶段文件：可行性研究报告"))).to_be_visible()
    assert stored_stage(title).value == "feasibility"
    page.go_back()

    # Upload the report to the 可研 stage, then the gate opens.
    report = tmp_path / "可行性研究报告.pdf"
    report.write_bytes(PDF)
    page.get_by_label("所属阶段").select_option("feasibility")
    page.get_by_label("文件名称").fill("可行性研究报告")
    page.get_by_label("文件", exact=True).set_input_files(str(report))
    page.get_by_role("button", name="上传文件").click()
    expect(page.get_by_role("alert").first).to_contain_text("文件已上传")
    expect(page.get_by_role("link", name="可行性研究报告")).to_be_visible()
    page.get_by_role("button", name="审批通过，进入“立项”").click()
    expect(page.get_by_role("alert").first).to_contain_text("关口审批已提交")
    expect(stage(page)).to_have_text("立项")
    assert stored_stage(title).value == "approval"
    # The next gate (立项) also waits for the platform admin.
    expect(page.locator("#stages")).to_contain_text("平台管理员")

    # The project list shows it in its new stage.
    unit_menu(page, "项目库")
    expect(page.get_by_role("row", name=re.compile(re.escape(title)))).to_contain_text("立项")
