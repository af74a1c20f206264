"""The public notice (公示), objections (异议) from the page, finalizing (挂帅) and what each
provider then sees on its own entry page."""

import re
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from marketplace.challenges.models import Challenge
from marketplace.core.db import utcnow
from marketplace.core.timeutil import format_until
from marketplace.extensions import db
from marketplace.notices.models import Notice, Objection
from marketplace.projects.models import Project
from marketplace.review.models import EvaluationRound, PanelMember
from tests import factories
from tests.review.pages.conftest import alerts, audit, field_errors, page, submit, text, visible

SHARES = (Decimal("0.8"), Decimal("0.6"), Decimal("0.5"))  # provider 0 wins with 80, then 60, 50


def _to_notice(world, flow, notice_days=5):
    w = world(n_providers=3, n_evaluators=3, notice_days=notice_days)
    f = flow(w)
    round_id = w.rounds[0].id
    f.open(round_id)
    share = {s.id: SHARES[i] for i, s in enumerate(w.submissions)}
    for evaluator in w.evaluators:
        f.score(evaluator, round_id, lambda sid, c: Decimal(c.max_points) * share[sid])
    f.close_and_publish(round_id)
    return w, f, round_id


def _state(w):
    return db.session.get(Challenge, w.challenge.id).state.value


def _stage(body):
    return re.search(r'data-testid="entry-stage">([^<]+)<', body).group(1)


def test_the_public_notice_objections_and_the_award(world, flow, browser, client, new_client):
    w, f, round_id = _to_notice(world, flow)
    url = f"/challenges/{w.challenge.id}/notice"
    notice = db.session.scalar(sa.select(Notice).where(Notice.challenge_id == w.challenge.id))
    assert notice.ends_at is not None

    public = page(client, url)  # anonymous
    assert "评审结果公示" in public
    winner_name, second_name, third_name = (org.name for org, _u, _a in w.providers)
    assert re.search(rf'data-testid="proposed-winner">{re.escape(winner_name)}<', public)
    assert f"至 <strong>{format_until(notice.ends_at)}</strong> 止" in public and "按工作日计算" in public
    ranking = " ".join(visible(public.split('data-testid="ranking">', 1)[1].split("</table>", 1)[0]).split())
    assert ranking == f"排名 服务商 得分 1 {winner_name} 80.00 2 {second_name} 60.00 3 {third_name} 50.00"
    assert 'action="' + url.replace("notice", "objections") not in public and "提交异议" not in public
    assert "确认挂帅" not in public
    anonymous = client.post(f"/challenges/{w.challenge.id}/objections", data={"reason": "x"})
    assert anonymous.status_code in (302, 400)  # no session, no token: never accepted
    assert not db.session.query(Objection).count()

    # A provider that did not take part sees no form, and a direct post is refused.
    outsider = browser(factories.create_provider(admin=w.admin)[1])
    outsider_page = page(outsider, url)
    assert "提交异议" not in outsider_page
    refused = submit(outsider, f"/challenges/{w.challenge.id}/objections", {"reason": "评审不公"}, page_url=url,
                     follow=False)
    assert refused.status_code == 403 and "参与揭榜的服务商" in visible(text(refused))
    assert not db.session.query(Objection).count()

    # The runner-up lodges one from the page; an empty reason first gets a Chinese message.
    loser = browser(w.providers[1][1])
    form_page = page(loser, url)
    assert "提交异议" in form_page and 'for="objection-reason"' in form_page
    empty = submit(loser, f"/challenges/{w.challenge.id}/objections", {"reason": ""}, page_url=url)
    assert empty.status_code == 422 and field_errors(text(empty)) == {"reason": "请填写异议理由"}
    lodged = submit(loser, f"/challenges/{w.challenge.id}/objections", {"reason": "技术方案评分有误"}, page_url=url)
    assert any("异议已提交" in m for _, m in alerts(text(lodged)))
    assert "技术方案评分有误" in text(lodged) and "待处理" in text(lodged)
    objection = db.session.scalars(sa.select(Objection)).one()
    assert objection.provider_id == w.providers[1][0].id and audit("objection.lodge")
    # Others do not see another provider's objection.
    assert "技术方案评分有误" not in page(browser(w.providers[0][1]), url)
    assert "技术方案评分有误" not in page(new_client(), url)

    # The admin: finalize is refused while an objection is pending.
    admin_page = page(f.admin, url)
    assert "技术方案评分有误" in admin_page and f'action="/objections/{objection.id}/resolve"' in admin_page
    assert f'for="decision-{objection.id}"' in admin_page and f'for="note-{objection.id}"' in admin_page
    pending = submit(f.admin, f"/challenges/{w.challenge.id}/finalize", page_url=url, follow=False)
    assert pending.status_code == 302 and pending.headers["Location"].endswith(url)  # back on the notice page
    assert any(c == "warning" and "1 条异议未处理" in m for c, m in alerts(page(f.admin, url)))
    assert "待处理异议 1 条" in visible(page(f.admin, f.manage_url))

    no_note = submit(f.admin, f"/objections/{objection.id}/resolve",
                     {"decision": "upheld", "note": "", "panel_note": "请复核第二项"}, page_url=url)
    assert no_note.status_code == 422 and field_errors(text(no_note)) == {"note": "请填写处理说明"}
    # what was chosen and typed is still there
    assert '<option value="upheld" selected>' in text(no_note) and "请复核第二项</textarea>" in text(no_note)
    dismissed = submit(f.admin, f"/objections/{objection.id}/resolve",
                       {"decision": "dismissed", "note": "经复核评分无误"}, page_url=url)
    assert any("异议已处理" in m for _, m in alerts(text(dismissed)))
    assert _state(w) == "notice" and audit("objection.dismissed")
    seen = page(loser, url)
    assert "经复核评分无误" in seen

    # Still inside the notice period: refused with the end date.
    early = submit(f.admin, f"/challenges/{w.challenge.id}/finalize", page_url=url, follow=False)
    assert early.status_code == 302 and early.headers["Location"].endswith(url)  # back on the notice page
    assert any(c == "warning" and "公示期尚未结束" in m for c, m in alerts(page(f.admin, url)))
    assert _state(w) == "notice"

    # Time passes: the notice period is over.
    db.session.execute(sa.update(Notice).where(Notice.id == notice.id).values(ends_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert "提交异议" not in page(loser, url)
    late = submit(loser, f"/challenges/{w.challenge.id}/objections", {"reason": "再议"}, page_url=url, follow=False)
    assert late.status_code == 409 and "不在公示期内" in visible(text(late))
    done = submit(f.admin, f"/challenges/{w.challenge.id}/finalize", page_url=url)
    assert done.status_code == 200 and any("已确认挂帅" in m for _, m in alerts(text(done)))
    assert _state(w) == "awarded"
    project = db.session.scalars(sa.select(Project)).one()
    assert project.challenge_id == w.challenge.id and project.submission_id == w.submissions[0].id
    awarded = page(client, url)
    assert f"挂帅单位： {winner_name}" in " ".join(visible(awarded).split()) and "确认挂帅" not in awarded
    assert "提交异议" not in page(loser, url)

    # Each provider's entry page: its stage and only its own scores.
    winner_entry = page(browser(w.providers[0][1]), f"/submissions/{w.submissions[0].id}")
    assert _stage(winner_entry) == "挂帅"
    assert "评审得分" in winner_entry and "80.00" in winner_entry and "1 / 3" in winner_entry
    assert "60.00" not in winner_entry
    loser_entry = page(loser, f"/submissions/{w.submissions[1].id}")
    assert _stage(loser_entry) == "未中选"
    assert "60.00" in loser_entry and "2 / 3" in loser_entry
    assert "80.00" not in loser_entry and "50.00" not in loser_entry
    assert loser.get(f"/submissions/{w.submissions[0].id}").status_code == 404


def test_entry_stage_and_no_scores_before_the_notice(world, flow, browser):
    w = world(n_providers=2, n_evaluators=3, notice_days=0)
    f = flow(w)
    round_id = w.rounds[0].id
    provider = browser(w.providers[0][1])
    entry = f"/submissions/{w.submissions[0].id}"
    f.open(round_id)
    body = page(provider, entry)
    assert _stage(body) == "评审中" and "评审得分" not in body
    for evaluator in w.evaluators:
        f.score(evaluator, round_id, lambda sid, c: Decimal(c.max_points) * Decimal("0.77"))
    body = page(provider, entry)
    assert "评审得分" not in body and "77.00" not in body  # every sheet is in, the round is still open
    assert provider.get(f"/challenges/{w.challenge.id}/notice").status_code == 404
    f.close(round_id)
    body = page(provider, entry)
    assert "77.00" not in body and _stage(body) == "评审中"  # results under review (待确认) are not the provider's yet
    assert provider.get(f"/challenges/{w.challenge.id}/notice").status_code == 404
    f.publish(round_id)
    body = page(provider, entry)
    assert _stage(body) in ("拟挂帅（公示中）", "未中选") and "77.00" in body


def test_no_fixed_notice_period_finalizes_from_the_page(world, flow, client):
    w, f, _ = _to_notice(world, flow, notice_days=0)
    url = f"/challenges/{w.challenge.id}/notice"
    assert "不设固定期限" in page(client, url)
    admin_page = page(f.admin, url)
    assert f'action="/challenges/{w.challenge.id}/finalize"' in admin_page
    done = submit(f.admin, f"/challenges/{w.challenge.id}/finalize", page_url=url)
    assert done.status_code == 200 and _state(w) == "awarded"
    assert audit("challenge.award_result")
    again = submit(f.admin, f"/challenges/{w.challenge.id}/finalize", page_url=url, follow=False)
    assert again.status_code == 302 and again.headers["Location"].endswith(url)  # clicked twice: the reason, no 409 page
    assert any(c == "warning" and "不能确认挂帅" in m for c, m in alerts(page(f.admin, url)))


def test_an_upheld_objection_sends_the_challenge_back_and_reopens_the_last_round(world, flow, browser):
    w, f, round_id = _to_notice(world, flow)
    url = f"/challenges/{w.challenge.id}/notice"
    loser = browser(w.providers[2][1])
    submit(loser, f"/challenges/{w.challenge.id}/objections", {"reason": "报价分计算错误"}, page_url=url)
    objection = db.session.scalars(sa.select(Objection)).one()
    upheld = submit(f.admin, f"/objections/{objection.id}/resolve",
                    {"decision": "upheld", "note": "复核发现计分错误", "scope": "round",
                     "panel_note": "专家甲的报价分请复核"}, page_url=url, follow=False)
    assert upheld.status_code == 302
    # The admin lands on a real page: the evaluation management page, which says what happened.
    landing = f.admin.get(upheld.headers["Location"])
    assert landing.status_code == 200 and "公示已撤回，重新评审中" in text(landing)
    assert _state(w) == "evaluating"
    assert db.session.get(EvaluationRound, round_id).status.value == "open"
    assert db.session.scalar(sa.select(Notice.withdrawn_at)) is not None
    assert audit("objection.upheld") and audit("round.reopen")
    # The notice page says it was withdrawn; the provider sees the public reason, never the panel note.
    withdrawn = page(loser, url)
    assert "公示已撤回，重新评审中" in withdrawn and "复核发现计分错误" in withdrawn
    assert "专家甲" not in withdrawn and "专家甲" not in page(loser, "/notifications")
    assert "异议成立" in page(loser, "/notifications")
    # The evaluators score again: the sheets are drafts with the panel note, the manage page can close again.
    sheet = page(browser(w.evaluators[0]), f"/review/rounds/{round_id}")
    assert "异议成立，重新评审：专家甲的报价分请复核" in sheet and 'value="submit"' in sheet
    statuses = {m.sheet_status.value for m in db.session.scalars(sa.select(PanelMember))}
    assert statuses == {"draft"}
    manage = page(f.admin, f.manage_url)
    assert "结束评分，结果待确认" in manage
    assert _stage(page(loser, f"/submissions/{w.submissions[2].id}")) == "评审中"
    # Results are not shown while the round is open again.
    assert "尚未结束" in page(f.admin, f"/rounds/{round_id}/results")


def test_an_objection_carries_evidence_checked_like_any_upload(world, flow, browser, new_client):
    import io

    from marketplace.files.models import StoredFile

    w, f, _round_id = _to_notice(world, flow)
    url = f"/challenges/{w.challenge.id}/notice"
    loser = browser(w.providers[2][1])
    evidence = b"%PDF-1.4 scoring sheet photo"
    # A file that is not what its name says refuses the whole objection: nothing half-written.
    bad = submit(loser, f"/challenges/{w.challenge.id}/objections",
                 {"reason": "报价分计算错误", "file": (io.BytesIO(b"MZ\x90\x00"), "证明.pdf")}, page_url=url)
    assert "不是有效的 PDF 文件" in visible(text(bad))  # flashed on the notice page it returns to
    assert db.session.scalar(sa.select(sa.func.count(Objection.id))) == 0
    submit(loser, f"/challenges/{w.challenge.id}/objections",
           {"reason": "报价分计算错误", "file": (io.BytesIO(evidence), "计分复核.pdf")}, page_url=url)
    objection = db.session.scalars(sa.select(Objection)).one()
    stored = db.session.scalars(sa.select(StoredFile).where(StoredFile.owner_type == "objection")).one()
    assert stored.owner_id == objection.id and stored.name == "计分复核.pdf"
    # More evidence later, while pending; the admin sees and downloads it; others cannot.
    submit(loser, f"/objections/{objection.id}/attachments",
           {"file": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"0" * 16), "截图.png")}, page_url=url)
    assert db.session.scalar(sa.select(sa.func.count(StoredFile.id)).where(StoredFile.owner_type == "objection")) == 2
    assert "计分复核.pdf" in page(f.admin, url) and "截图.png" in page(loser, url)
    assert f.admin.get(f"/files/{stored.id}").data == evidence
    winner = browser(w.providers[0][1])
    assert winner.get(f"/files/{stored.id}").status_code == 404
    assert new_client().get(f"/files/{stored.id}").status_code == 404
    other = submit(winner, f"/objections/{objection.id}/attachments",
                   {"file": (io.BytesIO(evidence), "x.pdf")}, page_url=url, follow=False)
    assert other.status_code == 404
    assert audit("objection.attach")


def test_an_objection_sent_a_minute_after_the_period_keeps_its_text(world, flow, browser):
    """Issue 16: the page was opened in the notice period, the objection sent after it ended:
    refused (409) with the reason at the top of the form and the text typed still in it."""
    w, f, _ = _to_notice(world, flow)
    url = f"/challenges/{w.challenge.id}/notice"
    loser = browser(w.providers[1][1])
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page(loser, url)).group(1)
    notice = db.session.scalars(sa.select(Notice).where(Notice.challenge_id == w.challenge.id)).one()
    db.session.execute(sa.update(Notice).where(Notice.id == notice.id).values(ends_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    reason = "第二名方案的技术方案评分明显偏低，请复核专家甲的打分依据。"
    response = loser.post(f"/challenges/{w.challenge.id}/objections", data={"reason": reason, "csrf_token": csrf})
    body = text(response)
    assert response.status_code == 409
    assert 'data-testid="form-errors"' in body
    assert re.search(r'<textarea[^>]*id="objection-reason"[^>]*>' + re.escape(reason) + "</textarea>", body)
    assert db.session.scalars(sa.select(Objection)).first() is None
