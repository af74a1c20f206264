"""The needs pages with CSRF on: a 街道 submits and revises, the office triages and publishes,
the responsible unit converts, the public browses."""

import io
import re

import sqlalchemy as sa
from openpyxl import load_workbook

from marketplace.challenges.models import Challenge
from marketplace.extensions import db
from marketplace.needs import operations as ops
from marketplace.needs.models import Need, NeedBatch
from marketplace.needs.states import NeedState
from tests.conftest import csrf_token, login, make_client

S = NeedState
_FIELD_ERROR = re.compile(r'data-field="([^"]+)">([^<]*)</div>')
FORM = {
    "title": "智慧菜场：菜市场摊位数字化", "domain": "经济", "problem": "菜价不透明，无法追溯。",
    "scenario": "摊位联网电子秤。", "beneficiaries": "周边 5 万居民。", "expected_outcomes": "菜价每日公示。",
    "data_available": "", "keywords": "智慧菜场，食品安全 追溯", "budget_yuan": "", "budget_source": "",
}


def browser(app, user=None):
    client = make_client(app)
    if user is not None:
        login(client, user)
    return client


def post(client, url, data, page):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page)})


def text(response):
    return response.get_data(as_text=True)


def test_street_submits_with_the_guided_form(app, street, office):
    client = browser(app, street)
    assert "需求征集" in text(client.get("/"))
    response = post(client, "/needs/new", FORM, "/needs/new")
    assert response.status_code == 302
    need = db.session.scalar(sa.select(Need))
    assert response.headers["Location"].endswith(f"/needs/{need.id}")
    assert need.keyword_list == ["智慧菜场", "食品安全", "追溯"] and need.state == S.submitted
    page = text(client.get(f"/needs/{need.id}"))
    assert "待审查" in page and "智慧菜场" in page
    assert need.title in text(client.get("/dept/needs"))


def test_bad_input_is_shown_at_the_field_keeping_what_was_typed(app, street):
    client = browser(app, street)
    data = {**FORM, "keywords": "一 二 三 四 五 六", "budget_yuan": "12abc", "problem": ""}
    response = post(client, "/needs/new", data, "/needs/new")
    assert response.status_code == 422
    errors = dict(_FIELD_ERROR.findall(text(response)))
    assert errors["keywords"] == "关键词最多 5 个（当前 6 个）"
    assert "金额格式不正确" in errors["budget_yuan"] and errors["problem"] == "此项为必填项"
    assert 'value="智慧菜场：菜市场摊位数字化"' in text(response)
    response = post(client, "/needs/new", {**FORM, "budget_yuan": "1000"}, "/needs/new")
    assert dict(_FIELD_ERROR.findall(text(response)))["budget_source"] == "填写了预算时请说明资金来源"
    assert db.session.scalar(sa.select(sa.func.count(Need.id))) == 0


def test_providers_cannot_submit(app, db):
    from tests import factories

    _, provider_user, _ = factories.create_provider()
    assert browser(app, provider_user).get("/needs/new").status_code == 403


def test_office_triages_from_the_queue(app, submit, office, bureau, street):
    need = submit()
    old = submit(title="独居老人用水用电异常预警", domain="养老", keywords=["独居老人"])
    client = browser(app, office)
    queue = text(client.get("/admin/needs"))
    assert need.title in queue and old.title in queue
    filtered = text(client.get("/admin/needs?domain=养老"))
    assert old.title in filtered and need.title not in filtered
    assert need.title not in text(client.get("/admin/needs?age=30"))
    response = post(client, f"/needs/{need.id}/accept",
                    {"assignee_org_id": bureau.organisation_id, "note": "交商务委", "triage_note": "内部：优先"},
                    f"/needs/{need.id}")
    assert response.status_code == 302
    db.session.refresh(need)
    assert need.state == S.accepted and need.assignee_id == bureau.organisation_id
    assert need.title not in text(client.get("/admin/needs"))  # default: waiting ones only
    # return without saying what to fix: flashed, nothing changes
    response = post(client, f"/needs/{old.id}/return", {"note": ""}, f"/needs/{old.id}")
    db.session.refresh(old)
    assert old.state == S.submitted
    response = post(client, f"/needs/{old.id}/merge", {"into_id": need.id}, f"/needs/{old.id}")
    db.session.refresh(old)
    assert old.state == S.merged and old.merged_into_id == need.id


def test_return_revise_resubmit_through_the_pages(app, submit, office, street):
    need = submit()
    ops.return_need(office, need, note="请写明菜市场数量")
    db.session.commit()
    client = browser(app, street)
    page = text(client.get(f"/needs/{need.id}"))
    assert "请写明菜市场数量" in page and "修改并重新提交" in page
    form = text(client.get(f"/needs/{need.id}/edit"))
    assert "智慧菜场 食品安全 追溯" in form
    response = post(client, f"/needs/{need.id}/edit", {**FORM, "beneficiaries": "3 家菜市场、5 万居民"},
                    f"/needs/{need.id}/edit")
    assert response.status_code == 302
    db.session.refresh(need)
    assert need.state == S.submitted and need.beneficiaries == "3 家菜市场、5 万居民"


def test_batch_built_published_and_exported(app, accepted, office):
    first = accepted(title="=HYPERLINK(\"http://evil\")智慧菜场")
    second = accepted(title="学校食堂明厨亮灶", domain="教育")
    client = browser(app, office)
    page = text(client.get("/admin/need-batches"))
    assert first.title.replace('"', "&#34;") in page or "智慧菜场" in page
    response = post(client, "/admin/need-batches", {"need_ids": [first.id, second.id]}, "/admin/need-batches")
    assert response.status_code == 302
    batch = db.session.scalar(sa.select(NeedBatch))
    assert batch.title == "第1批场景需求清单" and not batch.is_published
    assert browser(app).get(f"/need-batches/{batch.id}.xlsx").status_code == 404  # not public yet
    response = post(client, f"/admin/need-batches/{batch.id}/publish", {}, "/admin/need-batches")
    assert response.status_code == 302
    db.session.refresh(first)
    assert first.state == S.published
    workbook = load_workbook(io.BytesIO(browser(app).get(f"/need-batches/{batch.id}.xlsx").data))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][0] == "第1批场景需求清单"
    titles = [r[2] for r in rows[2:]]
    assert titles == ["'=HYPERLINK(\"http://evil\")智慧菜场", "学校食堂明厨亮灶"]
    assert not any(cell.data_type == "f" for row in workbook.active.iter_rows() for cell in row)


def test_assignee_converts_with_one_click(app, published, bureau, street):
    need = published()
    assert "转为榜单草稿" not in text(browser(app, street).get(f"/needs/{need.id}"))
    client = browser(app, bureau)
    assert "转为榜单草稿" in text(client.get(f"/needs/{need.id}"))
    response = post(client, f"/needs/{need.id}/challenge", {}, f"/needs/{need.id}")
    challenge = db.session.scalar(sa.select(Challenge))
    assert response.headers["Location"].endswith(f"/challenges/{challenge.id}/edit")
    assert challenge.need_id == need.id
    detail = text(client.get(f"/challenges/{challenge.id}"))
    assert "来源需求" in detail and f"/needs/{need.id}" in detail
    # the submitter follows its need to the challenge once the challenge is public
    assert "已转为榜单" in text(browser(app, street).get(f"/needs/{need.id}"))


def test_public_list_by_batch_domain_and_words(app, published, accepted, submit):
    shown = published()
    other = published(title="学校食堂明厨亮灶AI监管", domain="教育", keywords=["明厨亮灶"],
                      problem="学校食堂后厨违规行为发现不及时。", scenario="后厨视频 AI 识别。")
    hidden = accepted(title="尚未发布的需求")
    draft = submit(title="刚提交的需求")
    anonymous = browser(app)
    page = text(anonymous.get("/needs"))
    assert shown.title in page and other.title in page
    assert hidden.title not in page and draft.title not in page
    assert other.title not in text(anonymous.get("/needs?domain=经济"))
    searched = text(anonymous.get("/needs?q=明厨亮灶"))
    assert other.title in searched and shown.title not in searched
    assert other.title not in text(anonymous.get(f"/needs?batch={shown.batch_id}"))


def test_subscriptions_page_in_the_account_menu(app, street):
    client = browser(app, street)
    assert "/me/subscriptions" in text(client.get("/"))
    response = post(client, "/me/subscriptions", {"domains": ["养老", "社区"]}, "/me/subscriptions")
    assert response.status_code == 302
    page = text(client.get("/me/subscriptions"))
    assert re.search(r'value="养老"[^>]*checked|checked[^>]*value="养老"', page)


def test_needs_statistics(app, published, office, bureau):
    need = published()
    from marketplace.needs.conversion import convert_need

    convert_need(bureau, need)
    db.session.commit()
    page = text(browser(app, office).get("/admin/needs/stats"))
    assert "共 1 条" in page and "徐家汇街道" in page and "经济" in page
    assert "场景需求统计" in text(browser(app, office).get("/admin/dashboard"))


def test_a_refused_triage_keeps_the_notes_typed(app, submit, office, bureau):
    """Issue 16: a return without its reason, and an accept after a colleague returned the need
    meanwhile, both come back with the typed notes and the reason (at the field / the form's top)."""
    need = submit()
    client = browser(app, office)
    page_url = f"/needs/{need.id}"
    response = post(client, f"/needs/{need.id}/return", {"note": " ", "triage_note": "电话沟通过，周五前补充"}, page_url)
    assert response.status_code == 422
    body = text(response)
    assert "note" in dict(_FIELD_ERROR.findall(body)) and "电话沟通过，周五前补充</textarea>" in body

    token = csrf_token(client, page_url)
    ops.return_need(office, need, note="请补充预算来源", triage_note="")  # a colleague was quicker
    db.session.commit()
    response = client.post(f"/needs/{need.id}/accept", data={
        "csrf_token": token, "assignee_org_id": str(bureau.organisation_id), "note": "同意受理，请区数据局牵头",
        "triage_note": "与去年的菜场需求合并考虑"})
    body = text(response)
    assert response.status_code == 409
    assert 'data-testid="form-errors"' in body
    assert "同意受理，请区数据局牵头</textarea>" in body and "与去年的菜场需求合并考虑</textarea>" in body
    db.session.expire_all()
    assert db.session.get(Need, need.id).state == S.returned
