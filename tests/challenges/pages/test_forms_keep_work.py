"""Forms never lose work (issue 16 item 3): a refusal — the deadline passed a second ago, the
challenge moved on meanwhile, a value refused — brings the same form back with every typed
value in it and the reason at the field or at the top of the form, never a bare error page."""

import html
import re
from decimal import Decimal

from marketplace.challenges import operations as challenge_ops
from marketplace.challenges.models import Question
from marketplace.extensions import db
from marketplace.submissions import operations as submission_ops
from marketplace.submissions.models import Submission
from tests.challenges.pages.conftest import ENTRY, count, field_errors, pass_deadline, submit, token, visible

_TOP = re.compile(r'<div class="alert alert-danger"[^>]*data-testid="form-errors?"[^>]*>(.*?)</div>\s*(?=<|$)', re.S)


def top_errors(body):
    """The messages at the top of the refused form(s)."""
    parts = [part for block in _TOP.findall(body) for part in re.split(r"；|</div>", block)]
    return [text for text in (visible(part).strip() for part in parts) if text]


def _edited():
    return {**ENTRY, "summary": "第二版：AI 分诊 + 院内导航 + 候诊提醒", "technical_plan": "## 新架构\n多模态分诊，截止前最后一刻写成"}


def test_entry_edit_one_second_after_the_deadline_keeps_every_typed_word(browser_for, provider, published):
    _, user, _ = provider
    submission, _ = submission_ops.submit_entry(user, published, **{**ENTRY, "price_yuan": Decimal(ENTRY["price_yuan"])})
    db.session.commit()
    web = browser_for(user)
    url = f"/submissions/{submission.id}/edit"
    csrf = token(web, url)  # the form was opened before the deadline …
    pass_deadline(published, seconds=1)  # … and sent one second after it
    edited = _edited()
    response = web.post(url, data={**edited, "csrf_token": csrf})
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert any(m.startswith("揭榜已截止（截止时间") for m in top_errors(body)), top_errors(body)
    # The text typed is all there (read-only: it can no longer be sent), to copy and keep.
    for name in ("summary", "technical_plan", "timeline", "team"):
        assert html.escape(edited[name], quote=False) in body, name
    assert 'value="980000.00"' in body
    assert 'data-testid="kept-text"' in body and "保存为新版本" not in visible(body)
    assert re.search(r'<textarea[^>]*id="summary"[^>]*readonly', body)
    db.session.expire_all()
    assert db.session.get(Submission, submission.id).version == 1


def test_new_entry_after_the_deadline_keeps_the_text(browser_for, provider, published):
    web = browser_for(provider[1])
    url = f"/challenges/{published.id}/submit"
    csrf = token(web, url)
    pass_deadline(published, seconds=1)
    response = web.post(url, data={**ENTRY, "csrf_token": csrf})
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert any("揭榜已截止" in m for m in top_errors(body))
    assert html.escape(ENTRY["technical_plan"], quote=False) in body and ENTRY["summary"] in body
    assert count(Submission) == 0


def test_entry_edit_with_a_refused_value_keeps_the_rest(browser_for, provider, published):
    _, user, _ = provider
    submission, _ = submission_ops.submit_entry(user, published, **{**ENTRY, "price_yuan": Decimal(ENTRY["price_yuan"])})
    db.session.commit()
    web = browser_for(user)
    url = f"/submissions/{submission.id}/edit"
    response = submit(web, url, {**_edited(), "price_yuan": "12.345"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "price_yuan" in field_errors(body)
    assert _edited()["summary"] in body and 'value="12.345"' in body


def test_extend_after_the_close_keeps_the_typed_time_and_says_why(browser_for, dept, published):
    web = browser_for(dept)
    url = f"/challenges/{published.id}"
    csrf = token(web, url)
    pass_deadline(published)
    response = web.post(f"{url}/extend", data={"deadline": "2099-03-01T17:30", "csrf_token": csrf})
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert any("不能延长截止时间" in m for m in top_errors(body)), top_errors(body)
    assert 'name="deadline" value="2099-03-01T17:30"' in body


def test_cancel_of_a_closed_challenge_keeps_the_reason_typed(browser_for, dept, published):
    web = browser_for(dept)
    url = f"/challenges/{published.id}"
    csrf = token(web, url)
    pass_deadline(published)
    reason = "需求已由市级平台统一建设，本区不再单独建设"
    response = web.post(f"{url}/cancel", data={"reason": reason, "csrf_token": csrf})
    body = response.get_data(as_text=True)
    assert response.status_code == 409 and top_errors(body)
    assert re.search(r'<textarea[^>]*id="cancel-reason"[^>]*>' + re.escape(reason) + "</textarea>", body)


def test_return_of_a_challenge_approved_meanwhile_keeps_the_reason(browser_for, dept, admin):
    from tests.challenges.pages.conftest import make_challenge

    challenge = make_challenge(dept, "pending_review")
    web = browser_for(admin)
    url = f"/challenges/{challenge.id}"
    csrf = token(web, url)
    challenge_ops.approve_challenge(admin, challenge)  # another admin was quicker
    db.session.commit()
    reason = "预算测算依据不足，请补充分项说明"
    response = web.post(f"{url}/return", data={"reason": reason, "csrf_token": csrf})
    body = response.get_data(as_text=True)
    assert response.status_code == 409 and top_errors(body)
    assert re.search(r'<textarea[^>]*id="return-reason"[^>]*>' + re.escape(reason) + "</textarea>", body)


def test_question_after_the_deadline_keeps_the_text(browser_for, provider, published):
    web = browser_for(provider[1])
    url = f"/challenges/{published.id}"
    csrf = token(web, url)
    pass_deadline(published)
    question = "是否需要对接区属医院的 HIS 系统？接口文档能否提供？"
    response = web.post(f"{url}/questions", data={"text": question, "csrf_token": csrf})
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "榜单已不在征集期，不能再提问" in top_errors(body)
    assert question in body
    assert count(Question) == 0


def test_answer_to_a_question_answered_meanwhile_keeps_the_text(browser_for, dept, provider, published):
    question = challenge_ops.ask_question(provider[1], published, text="是否需要对接 HIS？")
    db.session.commit()
    web = browser_for(dept)
    url = f"/challenges/{published.id}"
    csrf = token(web, url)
    challenge_ops.answer_question(dept, question, text="需要。")  # a colleague answered first
    db.session.commit()
    mine = "需要对接，接口文档见附件二，测试环境开放到 6 月底。"
    response = web.post(f"/questions/{question.id}/answer", data={"text": mine, "csrf_token": csrf})
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "该问题已经答复" in top_errors(body)
    assert re.search(rf'<textarea[^>]*id="answer-{question.id}"[^>]*>' + re.escape(mine) + "</textarea>", body)


def test_an_empty_answer_is_refused_at_its_field(browser_for, dept, provider, published):
    question = challenge_ops.ask_question(provider[1], published, text="是否需要对接 HIS？")
    db.session.commit()
    web = browser_for(dept)
    response = submit(web, f"/questions/{question.id}/answer", {"text": " "}, page_url=f"/challenges/{published.id}")
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True)) == {"text": ["请填写答复"]}


def test_editing_a_draft_a_colleague_submitted_meanwhile_keeps_the_edits(browser_for, dept):
    from tests.challenges.pages.conftest import challenge_form, make_challenge

    challenge = make_challenge(dept, "draft")
    web = browser_for(dept)
    url = f"/challenges/{challenge.id}/edit"
    csrf = token(web, url)
    challenge_ops.submit_for_review(dept, challenge)  # a colleague submitted it for review
    db.session.commit()
    data = challenge_form(title="为老服务一键通（修订：增加夜间巡查）", csrf_token=csrf)
    response = web.post(url, data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert top_errors(body) == ["榜单状态为“待审核”，只有草稿可以修改"]
    assert 'value="为老服务一键通（修订：增加夜间巡查）"' in body
    assert html.escape(data["description"], quote=False) in body


def test_withdrawing_after_the_deadline_says_why_on_the_entry_page(browser_for, provider, published):
    _, user, _ = provider
    submission, _ = submission_ops.submit_entry(user, published, **{**ENTRY, "price_yuan": Decimal(ENTRY["price_yuan"])})
    db.session.commit()
    web = browser_for(user)
    url = f"/submissions/{submission.id}"
    csrf = token(web, url)
    pass_deadline(published)
    response = web.post(f"{url}/withdraw", data={"csrf_token": csrf})
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "揭榜已截止" in visible(body) and 'data-testid="receipt"' in body  # the entry page, not a bare 409
    db.session.expire_all()
    assert db.session.get(Submission, submission.id).state.value == "submitted"
