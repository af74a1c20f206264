"""揭榜 through the pages: submit → receipt → edit (versions) → attachments → withdraw; who is
not eligible and why; what the department sees before and after the deadline."""

import io
import re
from datetime import timedelta

import pytest

from marketplace.core.db import utcnow
from marketplace.core.timeutil import to_shanghai
from marketplace.extensions import db
from marketplace.files.models import StoredFile
from marketplace.submissions.models import Submission, SubmissionState, SubmissionVersion
from tests import factories
from tests.challenges.pages.conftest import (
    ENTRY,
    count,
    field_errors,
    flashes,
    page,
    pass_deadline,
    redirect_path,
    submit,
    token,
    visible,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _submission():
    db.session.expire_all()
    return db.session.scalars(db.select(Submission)).one()


def _ok(response):
    assert response.status_code == 200, (response.status_code, response.get_data(as_text=True)[:1000])
    return response.get_data(as_text=True)


def _upload(web, submission_id, name, content):
    url = f"/submissions/{submission_id}"
    data = {"csrf_token": token(web, url), "file": (io.BytesIO(content), name)}
    return web.post(f"{url}/attachments", data=data, content_type="multipart/form-data", follow_redirects=True)


def test_provider_submits_edits_uploads_and_withdraws(browser_for, provider, published):
    org, user, _ = provider
    web = browser_for(user)
    detail = page(web, f"/challenges/{published.id}")
    assert f'href="/challenges/{published.id}/submit">我要揭榜</a>' in detail

    form = page(web, f"/challenges/{published.id}/submit")
    for name, label in (("summary", "方案摘要"), ("technical_plan", "技术方案"), ("price_yuan", "报价（元）"),
                        ("timeline", "实施周期与进度安排"), ("team", "项目团队")):
        assert f'<label class="form-label" for="{name}">{label}</label>' in form

    # Bad input: at the field, in Chinese, nothing written.
    response = submit(web, f"/challenges/{published.id}/submit", {**ENTRY, "price_yuan": "9.999", "summary": ""})
    assert response.status_code == 422
    errors = field_errors(response.get_data(as_text=True))
    assert errors == {"price_yuan": ["金额最多保留两位小数"], "summary": ["此项为必填项"]}
    assert count(Submission) == 0

    before = utcnow().replace(microsecond=0)
    response = submit(web, f"/challenges/{published.id}/submit", ENTRY)
    assert response.status_code == 302
    submission = _submission()
    assert redirect_path(response) == f"/submissions/{submission.id}"
    receipt_page = _ok(web.get(f"/submissions/{submission.id}"))
    number = submission.entry_number
    assert re.fullmatch(r"JB-\d{6}-\d{4}", number)
    assert ("success", f"方案已提交。回执编号 {number}，第 1 版。") in flashes(receipt_page)
    text = visible(receipt_page)
    assert f"回执编号 {number}" in text and "版本 第 1 版" in text
    received = re.search(r"服务器接收时间 (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)（北京时间）", text)
    assert received, text
    shown = received.group(1)
    assert to_shanghai(before).strftime("%Y-%m-%d %H:%M:%S") <= shown <= \
        to_shanghai(utcnow() + timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S")
    assert "980,000.00 元" in text

    # A second visit to the submit page leads to the existing entry (one live entry).
    response = web.get(f"/challenges/{published.id}/submit", follow_redirects=True)
    assert ("info", "贵单位已提交方案，可在此修改或撤回") in flashes(_ok(response))

    # Edit: version 2, history kept.
    edit_page = page(web, f"/submissions/{submission.id}/edit")
    assert "修改方案（将生成第 2 版）" in edit_page and 'value="980000.00"' in edit_page
    response = submit(web, f"/submissions/{submission.id}/edit", {**ENTRY, "price_yuan": "950000"}, follow=True)
    body = _ok(response)
    assert ("success", "方案已更新为第 2 版，回执已生成。") in flashes(body)
    assert "版本 第 2 版" in visible(body)
    versions = visible(body.split("版本记录")[1])
    # each version row links to that version and its receipt (submissions.version)
    assert re.search(r"2 修改 \S+ \S+ 950,000.00 0 查看第 2 版及回执 1 首次提交 \S+ \S+ 980,000.00 0 查看第 1 版及回执",
                     versions), versions

    # Attachments: bad files are explained at the file field (422), a good one gets its SHA-256
    # on the receipt.
    for name, content, message in [
        ("方案.pdf", b"MZ\x90\x00 not a pdf", "文件内容与扩展名不符：“方案.pdf”不是有效的 PDF 文件"),
        ("setup.exe", PDF, "不支持的文件类型，仅允许：docx、jpg、pdf、png、pptx、xlsx、zip"),
        ("空.pdf", b"", "文件为空"),
    ]:
        response = _upload(web, submission.id, name, content)
        assert response.status_code == 422
        assert field_errors(response.get_data(as_text=True)) == {"file": [message]}
    response = web.post(f"/submissions/{submission.id}/attachments",
                        data={"csrf_token": _csrf(web, submission.id)}, follow_redirects=True)
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True)) == {"file": ["请选择要上传的文件"]}
    assert count(StoredFile) == 0 and _submission().version == 2

    body = _ok(_upload(web, submission.id, "技术方案.pdf", PDF))
    stored = db.session.scalars(db.select(StoredFile)).one()
    assert ("success", f"附件“技术方案.pdf”已上传（SHA-256 {stored.sha256[:16]}…），方案更新为第 3 版。") in flashes(body)
    assert f"技术方案.pdf： {stored.sha256}" in visible(body)
    download = web.get(f"/files/{stored.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert count(SubmissionVersion) == 3

    # Withdraw: back to the challenge, which may be taken again before the deadline.
    response = submit(web, f"/submissions/{submission.id}/withdraw", page_url=f"/submissions/{submission.id}",
                      follow=True)
    body = _ok(response)
    assert ("success", "方案已撤回。截止前可以重新提交。") in flashes(body)
    assert "我要揭榜" in visible(body)
    assert _submission().state == SubmissionState.withdrawn
    mine = visible(page(web, "/my/submissions"))
    assert f"{number} 已撤回" in mine and "便捷就医服务2.0" in mine
    # A withdrawn entry cannot be changed any more.
    response = submit(web, f"/submissions/{submission.id}/edit", ENTRY, page_url=f"/submissions/{submission.id}")
    assert response.status_code == 409 and "方案已撤回，不能修改" in visible(response.get_data(as_text=True))
    assert "修改方案" not in visible(page(web, f"/submissions/{submission.id}"))


def _csrf(web, submission_id):
    return token(web, f"/submissions/{submission_id}")


@pytest.mark.parametrize("state, domains, reason", [
    ("applied", ("医疗",), "贵单位的伙伴清单申请尚在审核中"),
    ("suspended", ("医疗",), "贵单位的伙伴清单资格已被暂停"),
    ("expired", ("医疗",), "贵单位的伙伴清单资格已过期"),
    ("admitted", ("养老", "教育"), "贵单位入库的能力领域未覆盖本榜单要求的领域：医疗"),
])
def test_ineligible_provider_sees_exactly_why(browser_for, admin, published, state, domains, reason):
    _, user, _ = factories.create_provider(state=state, domains=domains, admin=admin)
    web = browser_for(user)
    detail = page(web, f"/challenges/{published.id}")
    block = re.search(r'<ul class="small text-danger mb-0" data-testid="ineligible">(.*?)</ul>', detail, re.S)
    assert block and visible(block.group(1)).strip() == reason
    assert "我要揭榜" not in visible(detail)

    form = page(web, f"/challenges/{published.id}/submit")
    assert "贵单位暂不符合揭榜条件：" in visible(form) and reason in visible(form)
    assert 'name="summary"' not in form
    # Posting anyway changes nothing: refused (403), the reason said, and what was typed kept.
    response = submit(web, f"/challenges/{published.id}/submit", ENTRY)
    body = response.get_data(as_text=True)
    assert response.status_code == 403 and reason in visible(body)
    assert ENTRY["summary"] in body and 'data-testid="kept-text"' in body
    assert count(Submission) == 0


def test_department_sees_only_the_count_before_the_deadline_and_entries_after(
        browser_for, dept, admin, provider, published):
    _, user, _ = provider
    assert submit(browser_for(user), f"/challenges/{published.id}/submit", ENTRY).status_code == 302
    submission = _submission()
    dept_web, admin_web = browser_for(dept), browser_for(admin)

    for web in (dept_web, admin_web):
        detail = page(web, f"/challenges/{published.id}")
        assert re.search(r'data-testid="submission-count">1</strong> 份（截止前方案密封，仅显示数量）', detail)
        assert ENTRY["summary"] not in detail and "查看揭榜方案" not in detail
        assert web.get(f"/submissions/{submission.id}").status_code == 404
        response = web.get(f"/challenges/{published.id}/submissions", follow_redirects=True)
        assert ("info", "揭榜截止前方案密封，只能看到数量") in flashes(_ok(response))
        assert ENTRY["summary"] not in response.get_data(as_text=True)

    pass_deadline(published)

    detail = visible(page(dept_web, f"/challenges/{published.id}"))
    assert "已截止" in detail and "已收到有效方案： 1 份" in detail and "查看揭榜方案" in detail
    for web in (dept_web, admin_web):
        entries = visible(page(web, f"/challenges/{published.id}/submissions"))
        assert "揭榜方案（1 份）" in entries and submission.entry_number in entries
        entry = visible(page(web, f"/submissions/{submission.id}"))
        assert ENTRY["summary"] in entry and "回执编号" not in entry  # the receipt is the provider's

    # The provider can no longer change anything: one second late is refused.
    provider_web = browser_for(user)
    assert "修改方案" not in visible(page(provider_web, f"/submissions/{submission.id}"))
    response = submit(provider_web, f"/submissions/{submission.id}/edit", ENTRY,
                      page_url=f"/submissions/{submission.id}")
    assert response.status_code == 409
    assert "揭榜已截止" in visible(response.get_data(as_text=True))
    assert _submission().version == 1


def test_submitting_one_second_after_the_deadline_is_refused(browser_for, provider, published):
    web = browser_for(provider[1])
    token_page = f"/challenges/{published.id}/submit"
    csrf = token(web, token_page)
    pass_deadline(published, seconds=1)
    response = web.post(token_page, data={**ENTRY, "csrf_token": csrf})
    assert response.status_code == 409
    assert "揭榜已截止（截止时间" in visible(response.get_data(as_text=True))
    assert count(Submission) == 0
    # Reopening the page says so instead of offering a form that cannot be sent.
    body = page(web, token_page)
    assert "本榜单已截止（当前状态：流标），不能再提交或修改方案。" in visible(body)
    assert 'name="summary"' not in body


def test_department_can_also_attach_documents_with_checks(browser_for, dept, published):
    web = browser_for(dept)
    url = f"/challenges/{published.id}"
    data = {"csrf_token": _challenge_csrf(web, url), "file": (io.BytesIO(b"not really"), "需求说明.docx")}
    response = web.post(f"{url}/attachments", data=data, content_type="multipart/form-data", follow_redirects=True)
    assert ("danger", "文件内容与扩展名不符：“需求说明.docx”不是有效的 Word（docx） 文件") in flashes(_ok(response))
    assert count(StoredFile) == 0
    data = {"csrf_token": _challenge_csrf(web, url), "file": (io.BytesIO(PDF), "需求说明.pdf")}
    response = web.post(f"{url}/attachments", data=data, content_type="multipart/form-data", follow_redirects=True)
    body = _ok(response)
    assert ("success", "附件已上传") in flashes(body)
    assert "需求说明.pdf" in visible(page(browser_for(None), url))


def _challenge_csrf(web, url):
    return token(web, url)
