"""发榜 through the pages: draft → preview → edit → submit for review → approve or return;
clarifications, deadline extension and cancellation on the detail page."""

import re
from datetime import timedelta

import pytest

from marketplace.audit.models import AuditEvent
from marketplace.challenges.models import Challenge, Question
from marketplace.challenges.states import ChallengeState
from marketplace.core.db import utcnow
from marketplace.core.timeutil import format_datetime, to_shanghai
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.review.models import Criterion, EvaluationRound
from tests.challenges.pages.conftest import (
    challenge_form,
    count,
    field_errors,
    flashes,
    local,
    make_challenge,
    page,
    redirect_path,
    submit,
    visible,
)


def _only_challenge():
    db.session.expire_all()
    (challenge,) = db.session.scalars(db.select(Challenge)).all()
    return challenge


def test_department_drafts_previews_and_submits_for_review(browser_for, dept, admin):
    web = browser_for(dept)
    form_page = page(web, "/challenges/new")
    assert "发布榜单" in form_page
    # Every criteria input has a label naming its own round and row, not the column position.
    assert 'for="rounds-1-criteria-2-weight">第 2 轮 第 3 行 权重（%）</label>' in form_page

    response = submit(web, "/challenges/new", challenge_form())
    assert response.status_code == 302
    challenge = _only_challenge()
    assert redirect_path(response) == f"/challenges/{challenge.id}"
    assert challenge.state == ChallengeState.draft
    assert challenge.budget_fen == 125_000_050
    assert [(r.name, [(c.name, c.weight) for c in r.criteria]) for r in challenge.rounds] == \
        [("方案评审", [("技术方案", 60), ("报价合理性", 40)])]  # blank rows and rounds ignored

    preview = page(web, f"/challenges/{challenge.id}")
    text = visible(preview)
    assert ("success", "榜单草稿已保存。请预览后提交平台审核。") in flashes(preview)
    assert "预览：草稿仅发榜单位与管理员可见" in text
    assert "1,250,000.50 元" in text
    assert "技术方案 60% 100" in text and "报价合理性 40% 100" in text
    assert "<strong>智能分诊导诊</strong>" in preview  # Markdown rendered
    assert "提交平台审核" in text

    # Drafts are not public and not in the admin queue yet.
    assert browser_for(None).get(f"/challenges/{challenge.id}").status_code == 404
    assert "便捷就医服务2.0" not in visible(page(browser_for(admin), "/admin/challenges"))

    response = submit(web, f"/challenges/{challenge.id}/submit-for-review", page_url=f"/challenges/{challenge.id}",
                      follow=True)
    assert ("success", "已提交平台审核") in flashes(text_of(response))
    assert _only_challenge().state == ChallengeState.pending_review
    assert "编辑" not in visible(page(web, f"/challenges/{challenge.id}")).split("发榜单位操作")[1].split("平台")[0]
    # Editing a pending challenge is refused with a reason, not a form.
    response = web.get(f"/challenges/{challenge.id}/edit", follow_redirects=True)
    assert ("warning", "榜单状态为“待审核”，只有草稿可以修改") in flashes(text_of(response))

    queue = visible(page(browser_for(admin), "/admin/challenges"))
    assert "待审核（待审核队列）" in queue
    assert "便捷就医服务2.0：智能分诊导诊" in queue and "区卫生健康委" in queue


def text_of(response):
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_admin_approves_from_the_queue(browser_for, dept, admin):
    challenge = make_challenge(dept, "pending_review", title="智慧菜场")
    web = browser_for(admin)
    detail = page(web, f"/challenges/{challenge.id}")
    assert "审核通过并发布" in detail and "退回理由" in detail
    response = submit(web, f"/challenges/{challenge.id}/approve", page_url=f"/challenges/{challenge.id}", follow=True)
    assert ("success", "榜单已审核通过并公开发布") in flashes(text_of(response))
    assert _only_challenge().state == ChallengeState.published
    assert "没有符合条件的榜单" in visible(page(web, "/admin/challenges"))  # the queue is empty again
    assert "智慧菜场" in visible(page(web, "/admin/challenges?status=published"))
    assert "智慧菜场" in visible(page(browser_for(None), "/challenges"))
    assert count(Notification, Notification.user_id == dept.id, Notification.title == "榜单已审核通过并发布") == 1


def test_admin_returns_with_reason_and_department_edits_again(browser_for, dept, admin):
    challenge = make_challenge(dept, "pending_review", title="智慧工地监管")
    url = f"/challenges/{challenge.id}"
    admin_web = browser_for(admin)

    # A return without a reason is refused, in Chinese, and changes nothing.
    response = submit(admin_web, f"{url}/return", {"reason": "  "}, page_url=url, follow=True)
    # (the form or the operation refuses it, depending on whether blanks are stripped first);
    # the page comes back with the reason at the field (issue 16: no banner-only refusals)
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True)) in ({"reason": ["请填写理由"]}, {"reason": ["请填写退回理由"]})
    assert _only_challenge().state == ChallengeState.pending_review

    reason = "预算测算依据不足，请补充分项说明"
    response = submit(admin_web, f"{url}/return", {"reason": reason}, page_url=url, follow=True)
    assert ("success", "榜单已退回发榜单位") in flashes(text_of(response))
    assert _only_challenge().state == ChallengeState.draft

    web = browser_for(dept)
    detail = visible(page(web, url))
    assert f"退回理由：{reason}" in detail
    assert count(Notification, Notification.user_id == dept.id, Notification.title == "榜单被退回修改") == 1

    form = page(web, f"{url}/edit")
    assert 'value="智慧工地监管"' in form and 'value="800000.00"' in form
    assert 'value="方案评审"' in form and 'value="60"' in form  # the plan comes back filled in
    response = submit(web, f"{url}/edit", challenge_form(title="智慧工地监管（修订）", budget_yuan="750000"))
    assert response.status_code == 302 and redirect_path(response) == url
    assert _only_challenge().title == "智慧工地监管（修订）"
    assert _only_challenge().budget_fen == 75_000_000
    response = submit(web, f"{url}/submit-for-review", page_url=url, follow=True)
    assert ("success", "已提交平台审核") in flashes(text_of(response))
    assert "退回理由" not in visible(page(web, url))


WEIGHTS_79 = {"rounds-0-criteria-1-weight": "39"}


@pytest.mark.parametrize("overrides, field, message", [
    ({"title": ""}, "title", "此项为必填项"),
    ({"title": "长" * 201}, "title", "榜单名称不能超过 200 个字符"),
    ({"budget_yuan": "100.123"}, "budget_yuan", "金额最多保留两位小数"),
    ({"budget_yuan": "-1"}, "budget_yuan", "金额不能为负数"),
    ({"budget_yuan": "一百万"}, "budget_yuan", "金额格式不正确，请填写数字，例如 1250000.00"),
    ({"deadline": "2020-01-01T09:00"}, "deadline", "截止时间必须晚于当前时间"),
    ({"deadline": "明天"}, "deadline", "时间格式不正确，例如 2026-12-01T17:00（北京时间）"),
    ({"race_slots": "0"}, "race_slots", "赛马名额应为 1–20"),
    ({"notice_days": "31"}, "notice_days", "公示期应为 0–30 个工作日"),
    ({"domain": "航天"}, "domain", "不是有效的选择。"),
    (WEIGHTS_79, "rounds-0-criteria", "本轮各评分项权重之和应为 100（当前为 99）"),
    ({"rounds-0-criteria-0-max_points": "0"}, "rounds-0-criteria-0-max_points", "满分应为 1–1000 的正整数"),
    ({"rounds-0-criteria-1-max_points": ""}, "rounds-0-criteria-1-max_points", "请填写满分"),
    ({"rounds-0-name": ""}, "rounds-0-name", "请填写轮次名称"),
    ({"rounds-0-advance_threshold": "120"}, "rounds-0-advance_threshold", "分数线应为 0–100，最多两位小数"),
])
def test_invalid_challenge_is_explained_at_the_field_and_nothing_is_written(
        browser_for, dept, overrides, field, message):
    web = browser_for(dept)
    events = count(AuditEvent)
    response = submit(web, "/challenges/new", challenge_form(**overrides))
    body = response.get_data(as_text=True)
    assert response.status_code == 422, body[:1000]
    errors = field_errors(body)
    assert field in errors, errors
    if message:
        assert message in errors[field]
    assert "提交的内容有误，请检查标红的字段。" in visible(body)
    assert count(Challenge) == 0 and count(EvaluationRound) == 0 and count(Criterion) == 0
    assert count(AuditEvent) == events
    # What the user typed is kept.
    assert 'value="1250000.50"' in body or field == "budget_yuan"


def test_weights_error_is_shown_inside_its_round_block(browser_for, dept):
    data = challenge_form(**{"rounds-1-name": "终期评审", "rounds-1-criteria-0-name": "成效",
                             "rounds-1-criteria-0-weight": "50", "rounds-1-criteria-0-max_points": "10"})
    body = submit(browser_for(dept), "/challenges/new", data).get_data(as_text=True)
    errors = field_errors(body)
    assert errors == {"rounds-1-criteria": ["本轮各评分项权重之和应为 100（当前为 50）"]}
    blocks = re.split(r'<legend class="card-header[^"]*">', body)  # one per round block
    assert blocks[2].startswith("第 2 轮") and "本轮各评分项权重之和应为 100（当前为 50）" in blocks[2]
    assert "本轮各评分项权重之和" not in blocks[1]


def test_no_round_at_all_is_refused(browser_for, dept):
    data = {k: v for k, v in challenge_form().items() if not k.startswith("rounds-0")}
    body = submit(browser_for(dept), "/challenges/new", data).get_data(as_text=True)
    assert "评审方案至少需要一轮" in visible(body)
    assert count(Challenge) == 0


def test_draft_of_another_department_is_hidden(browser_for, dept, other_dept):
    challenge = make_challenge(dept, "draft")
    web = browser_for(other_dept)
    for url in (f"/challenges/{challenge.id}", f"/challenges/{challenge.id}/edit"):
        assert web.get(url).status_code == 404
    response = submit(web, f"/challenges/{challenge.id}/submit-for-review", page_url="/challenges/new")
    assert response.status_code == 404
    assert _only_challenge().state == ChallengeState.draft


def test_detail_shows_countdown_in_beijing_time(browser_for, dept, published):
    body = page(browser_for(None), f"/challenges/{published.id}")
    deadline = to_shanghai(published.deadline)
    match = re.search(r'<span class="countdown" data-deadline="([^"]+)">([^<]+)</span>', body)
    assert match, "no countdown element"
    assert match.group(1) == deadline.isoformat(timespec="seconds") and match.group(1).endswith("+08:00")
    assert match.group(2) == f"截止：{format_datetime(published.deadline)}（北京时间）"
    assert "已收到有效方案" not in body  # the public does not see the count


def test_clarification_asked_answered_and_published_without_the_asker(browser_for, dept, provider, published):
    url = f"/challenges/{published.id}"
    org, provider_user, _ = provider
    provider_web = browser_for(provider_user)

    response = submit(provider_web, f"{url}/questions", {"text": ""}, page_url=url, follow=True)
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True)) == {"text": ["请填写问题"]}
    response = submit(provider_web, f"{url}/questions", {"text": "是否需要对接 HIS 系统？"}, page_url=url, follow=True)
    body = text_of(response)
    assert ("success", "问题已提交，发榜单位答复后将公开（不显示提问单位）") in flashes(body)
    assert "是否需要对接 HIS 系统？ — 待答复" in visible(body)

    # The public does not see an unanswered question; the department does, with a form.
    assert "HIS" not in visible(page(browser_for(None), url))
    dept_web = browser_for(dept)
    dept_page = page(dept_web, url)
    assert "待答复的问题（1）" in visible(dept_page)
    question = db.session.scalars(db.select(Question)).one()
    assert f'<label class="form-label" for="answer-{question.id}">答复</label>' in dept_page
    response = submit(dept_web, f"/questions/{question.id}/answer", {"text": "需要，接口由区卫健委提供。"},
                      page_url=url, follow=True)
    assert ("success", "答复已发布") in flashes(text_of(response))

    public = visible(page(browser_for(None), url))
    assert "问： 是否需要对接 HIS 系统？" in public and "答： 需要，接口由区卫健委提供。" in public
    assert org.name not in public and provider_user.name not in public and provider_user.email not in public
    assert count(Notification, Notification.user_id == provider_user.id, Notification.title == "答疑有新的答复") == 1

    # A provider cannot answer; an answered question cannot be answered twice.
    response = submit(provider_web, f"/questions/{question.id}/answer", {"text": "我来答"}, page_url=url)
    assert response.status_code == 403
    response = submit(dept_web, f"/questions/{question.id}/answer", {"text": "再答一次"}, page_url=url)
    assert response.status_code == 409
    assert "该问题已经答复" in response.get_data(as_text=True)


def test_department_extends_deadline_never_earlier(browser_for, dept, provider, published):
    url = f"/challenges/{published.id}"
    web = browser_for(dept)
    old = published.deadline
    body = page(web, url)
    assert '<label class="form-label small" for="extend-deadline">延长截止时间（北京时间）</label>' in body

    # Refusals come back at the field, the typed time still in it (issue 16).
    earlier = local(old - timedelta(days=1))
    for typed, message in ((earlier, "新的截止时间必须晚于当前截止时间"), ("2020-01-01T00:00", "截止时间必须晚于当前时间"),
                           ("", "此项为必填项")):
        response = submit(web, f"{url}/extend", {"deadline": typed}, page_url=url, follow=True)
        body = response.get_data(as_text=True)
        assert response.status_code == 422 and field_errors(body) == {"deadline": [message]}
        assert f'id="extend-deadline" name="deadline" value="{typed}"' in body
    assert _only_challenge().deadline == old

    later = old + timedelta(days=7)
    response = submit(web, f"{url}/extend", {"deadline": local(later)}, page_url=url, follow=True)
    body = text_of(response)
    assert ("success", "截止时间已延长，已通知关注和揭榜的服务商") in flashes(body)
    assert f"截止：{format_datetime(later)}（北京时间）" in visible(body)
    assert _only_challenge().deadline > old

    # Other people cannot extend.
    response = submit(browser_for(provider[1]), f"{url}/extend", {"deadline": local(later + timedelta(days=1))},
                      page_url=url)
    assert response.status_code == 403


def test_department_cancels_with_reason(browser_for, dept, provider, published):
    url = f"/challenges/{published.id}"
    web = browser_for(dept)
    response = submit(web, f"{url}/cancel", {"reason": ""}, page_url=url, follow=True)
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True)) == {"reason": ["请填写理由"]}
    assert _only_challenge().state == ChallengeState.published

    response = submit(web, f"{url}/cancel", {"reason": "需求已由市级平台统一建设"}, page_url=url, follow=True)
    body = visible(text_of(response))
    assert "榜单已撤销" in body and "撤榜理由：需求已由市级平台统一建设" in body
    assert _only_challenge().state == ChallengeState.cancelled
    public = visible(page(browser_for(None), url))
    assert "已撤榜" in public and "撤榜理由：需求已由市级平台统一建设" in public
    assert "我要揭榜" not in visible(page(browser_for(provider[1]), url))
    # Cancelling twice is a conflict with a message, not a 500.
    response = submit(web, f"{url}/cancel", {"reason": "再撤一次"}, page_url=url)
    assert response.status_code == 409


def test_pending_challenge_cannot_be_approved_by_a_department(browser_for, dept):
    challenge = make_challenge(dept, "pending_review")
    url = f"/challenges/{challenge.id}"
    assert submit(browser_for(dept), f"{url}/approve", page_url=url).status_code == 403
    assert _only_challenge().state == ChallengeState.pending_review
    assert utcnow() < challenge.deadline
