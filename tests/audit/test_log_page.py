"""Issue 16 item 2: the audit log is readable for auditors — Chinese action names, before → after as
differences, Beijing time, filters by person, organisation, challenge and dates, an XLSX export
(redacted like the page, formulas neutralised) and the latest checkpoint beside the verification."""

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from marketplace.accounts import operations as account_ops
from marketplace.audit.checkpoints import publish_checkpoint
from marketplace.audit.labels import ACTION_LABELS, changes
from marketplace.audit.models import AuditEvent
from marketplace.audit.operations import record
from marketplace.core.exports import safe_cell as _safe
from marketplace.core.timeutil import format_datetime
from marketplace.extensions import db as _db
from tests import factories
from tests.conftest import login, post_form

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def auditor(client, admin):
    login(client, admin)
    return client


def _html(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_every_recorded_action_has_a_chinese_name():
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "marketplace").rglob("*.py"))
    literal = set(re.findall(r"record\([^,()]+,\s*\"([a-z_]+\.[a-z_]+)\"", source))
    assert len(literal) > 40
    from marketplace.challenges.states import ACTIONS as CHALLENGE_ACTIONS
    from marketplace.projects.states import ACTIONS as PROJECT_ACTIONS
    from marketplace.providers.states import PARTNER_MACHINE

    dynamic = ({f"challenge.{a}" for a in CHALLENGE_ACTIONS} | {f"project.{a}" for a in PROJECT_ACTIONS}
               | {f"partner_application.{a}" for a in PARTNER_MACHINE.actions}
               | {"objection.dismissed", "objection.upheld", "round.panel", "round.panel_draw"})
    missing = sorted((literal | dynamic) - set(ACTION_LABELS))
    assert missing == []
    assert all(re.search(r"[\u4e00-\u9fff]", label) for label in ACTION_LABELS.values())


def test_changes_are_differences():
    assert changes({"name": "旧名", "role": "department", "is_active": True},
                   {"name": "新名", "role": "department", "is_active": False, "reason": "调岗"}) == [
        ("名称", "旧名", "新名"), ("启用", "是", "否"), ("理由", None, "调岗")]
    assert changes({"file": "a.pdf"}, None) == [("文件", "a.pdf", None)]


def test_page_in_chinese_with_beijing_time_and_differences(auditor, admin, db):
    user = factories.create_user("department", name="张三")
    account_ops.update_user(admin, user, name="张三丰", role="department", organisation=user.organisation)
    db.session.commit()
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user.update")).one()
    html = _html(auditor, "/admin/audit")
    assert "修改账号" in html and "创建账号" in html
    assert format_datetime(event.created_at, "%Y-%m-%d %H:%M:%S") in html
    assert event.created_at.strftime("%Y-%m-%d %H:%M:%S") not in html  # not UTC
    assert re.search(r"名称：<del[^>]*>张三</del> → <ins>张三丰</ins>", html)
    assert "&#34;name&#34;" not in html and '"name":' not in html  # no raw JSON


def test_filters_by_person_organisation_challenge_and_dates(auditor, db):
    org = factories.create_org("department", name="区数据局")
    clerk = factories.create_user("department", org=org, name="李数据", email="li@example.gov.cn")
    other = factories.create_user("department", name="王其他", email="wang@example.gov.cn")
    record(clerk, "user.change_password", clerk)
    record(other, "user.change_password", other)
    db.session.commit()

    def actors(query):
        html = _html(auditor, "/admin/audit?action=user.change_password&" + query)
        return {email for email in ("li@example.gov.cn", "wang@example.gov.cn") if email in html}

    assert actors("person=李数") == {"li@example.gov.cn"}
    assert actors("person=WANG@example") == {"wang@example.gov.cn"}
    assert actors("organisation=数据局") == {"li@example.gov.cn"}
    today = format_datetime(clerk.created_at, "%Y-%m-%d")
    assert actors(f"date_from={today}&date_to={today}") == {"li@example.gov.cn", "wang@example.gov.cn"}
    yesterday = format_datetime(clerk.created_at - timedelta(days=1), "%Y-%m-%d")
    assert actors(f"date_to={yesterday}") == set()
    assert actors("person=%25") == set()  # a wildcard is a character, not "everyone"


def test_filter_by_challenge_title(auditor, dept, create_challenge, db):
    first = create_challenge(dept, title="智慧养老一键通")
    create_challenge(dept, title="校园食堂明厨亮灶")
    html = _html(auditor, "/admin/audit?challenge=养老&object_type=challenge")
    assert f"榜单 #{first.id}" in html and "创建榜单" in html
    ids = set(re.findall(r"榜单 #(\d+)", html))
    assert ids == {str(first.id)}


def test_page_shows_the_latest_checkpoint_and_the_verification_result(auditor, db):
    record(None, "platform.tick")
    db.session.commit()
    checkpoint = publish_checkpoint()
    html = _html(auditor, "/admin/audit")
    assert "最新检查点" in html and checkpoint.head_hash in html
    response = post_form(auditor, "/admin/audit/verify", page="/admin/audit")
    html = _html(auditor, response.headers["Location"])
    assert "审计链完整" in html and "1 个已发布检查点一致" in html and f"第 {checkpoint.seq} 号事件" in html


def _sheet(response):
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    return rows[0], rows[1:]


def test_xlsx_export_is_readable_and_filtered(auditor, admin, db):
    account_ops.create_user(admin, email="zhao@example.gov.cn", password="Long-Enough-9", name="赵导出",
                            role="department", organisation=factories.create_org("department"))
    db.session.commit()
    headers, rows = _sheet(auditor.get("/admin/audit/export.xlsx?action=user.create&person=管理员"))
    assert headers[:4] == ("序号", "时间（北京时间）", "操作人", "动作")
    assert len(rows) == 1
    assert rows[0][3] == "创建账号" and rows[0][4] == "user.create"
    assert "邮箱：zhao@example.gov.cn" in rows[0][6]


@pytest.mark.parametrize("value", ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_safe_cell_keeps_formulas_as_text(value):
    assert _safe(value) == "'" + value
    assert _safe("普通文本") == "普通文本" and _safe(42) == 42 and _safe(None) is None


def test_xlsx_export_neutralises_formulas(auditor, admin, db):
    org = factories.create_org("department", name='=HYPERLINK("http://evil.example","点我")')
    record(None, '=HYPERLINK("http://evil.example")', org)  # a code is shown as is when it has no name
    db.session.commit()
    _, rows = _sheet(auditor.get("/admin/audit/export.xlsx?object_type=organisation"))
    cells = [c for row in rows for c in row if isinstance(c, str)]
    assert not any(c[:1] in "=+-@" for c in cells)
    assert "'=HYPERLINK(\"http://evil.example\")" in cells
    assert any("=HYPERLINK" in c for c in cells)


def test_xlsx_export_redacts_sealed_entries(auditor, dept, provider, create_challenge, submit_entry, db):
    _, user, _ = provider
    challenge = create_challenge(dept)
    submit_entry(user, challenge)
    _, rows = _sheet(auditor.get("/admin/audit/export.xlsx"))
    entry = [row for row in rows if row[4] == "submission.submit"]
    assert len(entry) == 1
    assert user.email not in str(entry[0]) and "密封" in entry[0][5]
    assert entry[0][6] in (None, "")


def test_export_is_for_the_admin_only(client, db):
    login(client, factories.create_user("department"))
    assert client.get("/admin/audit/export.xlsx").status_code in (403, 404)
    _db.session.rollback()
