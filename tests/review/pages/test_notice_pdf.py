"""The public notice (公示) printed as a PDF: issuing office, the period "至 … 24:00 止", the objection
channel and a SHA-256 that the audit log records once."""

import sqlalchemy as sa

from marketplace.audit.models import AuditEvent
from marketplace.core.pdf import PDF_ISSUED
from marketplace.core.timeutil import to_shanghai
from marketplace.extensions import db
from marketplace.notices.models import Notice
from tests.pdf_text import flat, pdf_text, printed_sha
from tests.review.pages.conftest import page
from tests.review.pages.test_notice_pages import _to_notice


def test_the_notice_pdf_says_who_until_when_and_how_to_object(world, flow, client):
    w, _f, _round_id = _to_notice(world, flow)
    notice = db.session.scalar(sa.select(Notice).where(Notice.challenge_id == w.challenge.id))
    last_day = (to_shanghai(notice.ends_at) - to_shanghai(notice.ends_at).resolution).strftime("%Y-%m-%d")
    assert to_shanghai(notice.ends_at).strftime("%H:%M") == "00:00"

    html = page(client, f"/challenges/{w.challenge.id}/notice")
    assert f'href="/challenges/{w.challenge.id}/notice.pdf"' in html and f"至 {last_day} 24:00 止" in html

    text = flat(pdf_text(client.get(f"/challenges/{w.challenge.id}/notice.pdf")))  # anonymous, as published
    assert "揭榜评审结果公示" in text and w.challenge.title in text
    assert f"发布单位：{w.challenge.department.name}" in text
    assert f"至{last_day} 24:00止" in text.replace(" 24:00 止", " 24:00止").replace("至 ", "至")
    assert "异议渠道" in text and "公示期内登录揭榜挂帅场景平台" in text
    winner = w.providers[0][0].name
    assert f"拟挂帅单位为 {winner}" in text or f"拟挂帅单位为{winner}" in text

    sha = printed_sha(text)
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == PDF_ISSUED)).all()
    assert [(e.object_type, e.object_id, e.after, e.actor_id) for e in events] == \
        [("notice", notice.id, {"document": "notice", "sha256": sha}, None)]
    assert printed_sha(pdf_text(client.get(f"/challenges/{w.challenge.id}/notice.pdf"))) == sha
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == PDF_ISSUED)) == 1
    assert client.get("/challenges/999999/notice.pdf").status_code == 404


def test_public_list_of_notices_in_the_header(world, flow, client):
    w, _f, _round_id = _to_notice(world, flow)
    home = page(client, "/")
    assert 'href="/notices">结果公示</a>' in home
    listing = page(client, "/notices")  # anonymous
    notice = db.session.scalar(sa.select(Notice).where(Notice.challenge_id == w.challenge.id))
    assert "共 1 条公示" in listing and f'href="/challenges/{w.challenge.id}/notice"' in listing
    assert w.challenge.title in listing and "公示中" in listing and w.providers[0][0].name in listing
    assert notice.published_at.astimezone(to_shanghai(notice.published_at).tzinfo).strftime("%Y-%m-%d") in listing


def test_the_notice_list_is_empty_before_any_result(client, db):
    assert "目前没有结果公示" in page(client, "/notices")
