"""A provider opens each earlier version of its entry and prints that version's receipt (回执) as a
PDF whose SHA-256 is recorded in the audit log; nobody else can open either."""

import sqlalchemy as sa

from marketplace.audit.models import AuditEvent
from marketplace.core.pdf import PDF_ISSUED
from marketplace.extensions import db
from marketplace.submissions.models import Submission
from tests import factories
from tests.challenges.pages.conftest import ENTRY, page, submit, visible
from tests.pdf_text import flat, pdf_text, printed_sha


def _issued():
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == PDF_ISSUED).order_by(AuditEvent.seq)).all()


def test_earlier_versions_and_their_printed_receipts(browser_for, admin, provider, dept, published):
    org, user, _ = provider
    web = browser_for(user)
    assert submit(web, f"/challenges/{published.id}/submit", ENTRY).status_code == 302
    submission = db.session.scalars(sa.select(Submission)).one()
    assert submit(web, f"/submissions/{submission.id}/edit", {**ENTRY, "summary": "第二版摘要：增加语音问诊",
                                                              "price_yuan": "990000.00"}).status_code == 302

    detail = page(web, f"/submissions/{submission.id}")
    assert f'href="/submissions/{submission.id}/versions/1"' in detail
    first = visible(page(web, f"/submissions/{submission.id}/versions/1"))
    assert "第 1 版" in first and "历史版本" in first and ENTRY["summary"] in first and "980,000.00" in first
    assert "第二版摘要" not in first
    second = visible(page(web, f"/submissions/{submission.id}/versions/2"))
    assert "当前版本" in second and "第二版摘要：增加语音问诊" in second

    text = pdf_text(web.get(f"/submissions/{submission.id}/versions/1/receipt.pdf"))
    assert "揭榜方案提交回执" in text and submission.entry_number in text
    assert "第 1 版（首次提交）" in text and "980,000.00 元" in text and org.name in flat(text)
    sha_v1 = printed_sha(text)
    events = _issued()
    assert [(e.after["document"], e.after["sha256"], e.actor_id) for e in events] == [("receipt", sha_v1, user.id)]

    # Printing the same version again records nothing new; another version has its own hash.
    assert printed_sha(pdf_text(web.get(f"/submissions/{submission.id}/versions/1/receipt.pdf"))) == sha_v1
    assert len(_issued()) == 1
    sha_v2 = printed_sha(pdf_text(web.get(f"/submissions/{submission.id}/versions/2/receipt.pdf")))
    assert sha_v2 != sha_v1 and [e.after["sha256"] for e in _issued()] == [sha_v1, sha_v2]

    assert web.get(f"/submissions/{submission.id}/versions/3").status_code == 404
    # Sealed: another provider and the department (before the deadline) see nothing.
    rival = factories.create_provider(admin=admin, domains=("医疗",), name="上海另一家医疗科技有限公司")
    for outsider in (browser_for(rival[1]), browser_for(dept)):
        assert outsider.get(f"/submissions/{submission.id}/versions/1").status_code == 404
        assert outsider.get(f"/submissions/{submission.id}/versions/1/receipt.pdf").status_code == 404
    assert len(_issued()) == 2


def test_visitor_sees_login_to_take_an_open_challenge(browser_for, published):
    body = page(browser_for(None), f"/challenges/{published.id}")
    assert f'href="/login?next=/challenges/{published.id}/submit">登录后揭榜</a>' in body
    assert "发布于" in page(browser_for(None), "/challenges")
