"""The evaluation report on the pages: results for review, signing with dissent or refusal,
publishing after every signature, replacing a panel member, conflicts carried into later rounds,
and the evaluator conflicted with every entry."""

import re
from decimal import Decimal

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.review.models import EvaluationRound, PanelMember
from tests.review.pages.conftest import (
    audit,
    field_errors,
    form_errors,
    page,
    round_plan,
    submit,
    text,
    visible,
)


def _scored(world, flow, n_evaluators=3, **kwargs):
    w = world(n_providers=2, n_evaluators=n_evaluators, notice_days=0, **kwargs)
    f = flow(w)
    round_id = w.rounds[0].id
    f.open(round_id, w.evaluators[:3])
    for evaluator in w.evaluators[:3]:
        f.score(evaluator, round_id, lambda sid, c: Decimal(c.max_points) / 2)
    return w, f, round_id


def test_sign_the_report_with_dissent_or_refusal_then_publish(world, flow):
    w, f, round_id = _scored(world, flow)
    closed = f.close(round_id)
    assert closed.status_code == 200 and "评分已结束，结果待确认" in text(closed)
    manage = page(f.admin, f.manage_url)
    assert "发布本轮结果" in manage and "结果待确认" in manage
    report_url = f"/review/rounds/{round_id}/report"
    first = page(f.browser(w.evaluators[0]), report_url)
    assert 'data-testid="report-ranking"' in first and "提交签署" in first and "报告待专家签署" in first
    refused = submit(f.admin, f"/admin/rounds/{round_id}/publish", page_url=f.manage_url)
    assert refused.status_code == 409 and "尚有 3 名专家未签署评审报告" in visible(text(refused))
    f.sign_report(w.evaluators[0], round_id, {"dissent": "对方案A的报价分保留意见"})
    no_reason = f.sign_report(w.evaluators[1], round_id, {"refuse": "y"})
    # at the field, the refusal still ticked (issue 16: the form comes back as it was sent)
    assert no_reason.status_code == 422 and field_errors(text(no_reason)) == {"dissent": "拒绝签署时请写明理由"}
    assert re.search(r'<input[^>]*checked[^>]*name="refuse"|<input[^>]*name="refuse"[^>]*checked', text(no_reason))
    # signing twice: the second comes back with the reason at the top, the typed dissent kept
    twice = f.sign_report(w.evaluators[0], round_id, {"dissent": "补充：评分偏离需说明"})
    assert twice.status_code == 409 and form_errors(text(twice)) and "补充：评分偏离需说明</textarea>" in text(twice)
    refusal = f.sign_report(w.evaluators[1], round_id, {"refuse": "y", "dissent": "汇总方法不当"})
    assert "已拒绝签署" in text(refusal)
    f.sign_report(w.evaluators[2], round_id)
    frozen = page(f.admin, report_url)
    sha = db.session.get(EvaluationRound, round_id).report_sha256
    assert 'data-testid="report-frozen"' in frozen and sha in frozen
    assert "对方案A的报价分保留意见" in frozen and "拒签" in frozen
    published = submit(f.admin, f"/admin/rounds/{round_id}/publish", page_url=f.manage_url)
    assert published.status_code == 200 and "本轮结果已发布" in text(published)
    assert db.session.get(EvaluationRound, round_id).status.value == "closed"


def test_replace_a_panel_member_on_the_page(world, flow):
    w = world(n_providers=2, n_evaluators=4)
    f = flow(w)
    round_id = w.rounds[0].id
    f.open(round_id, w.evaluators[:3])
    old, new = w.evaluators[2], w.evaluators[3]
    manage = page(f.admin, f.manage_url)
    assert "更换（记入审计日志）" in manage
    done = submit(f.admin, f"/admin/rounds/{round_id}/panel/replace",
                  {f"x{round_id}-old_evaluator_id": str(old.id), f"x{round_id}-new_evaluator_id": str(new.id)},
                  page_url=f.manage_url)
    assert done.status_code == 200 and "专家已更换" in text(done)
    panel = set(db.session.scalars(sa.select(PanelMember.evaluator_id).where(PanelMember.round_id == round_id)))
    assert panel == {w.evaluators[0].id, w.evaluators[1].id, new.id}
    assert audit("round.panel_replace")
    assert "回避声明" in page(f.browser(new), f"/review/rounds/{round_id}")
    assert f.browser(old).get(f"/review/rounds/{round_id}").status_code == 404


def test_a_conflict_from_round_one_is_ticked_and_locked_in_round_two(world, flow):
    w = world(n_providers=3, n_evaluators=3, race_slots=2, notice_days=0,
              rounds=[round_plan("方案评审"), round_plan("终期评审")])
    f = flow(w)
    first, second = [r.id for r in w.rounds]
    f.open(first)
    conflicted = w.providers[0][0].id
    f.score(w.evaluators[0], first, lambda sid, c: Decimal(c.max_points) / 2, conflicts=[conflicted])
    for evaluator in w.evaluators[1:]:
        f.score(evaluator, first, lambda sid, c: Decimal(c.max_points) * (
            Decimal("0.9") if sid == w.submissions[0].id else Decimal("0.5")))
    f.close_and_publish(first)
    f.open(second)
    declaration = page(f.browser(w.evaluators[0]), f"/review/rounds/{second}")
    assert f'id="conflict-{conflicted}" checked disabled' in declaration and "前一轮已声明回避" in declaration
    f.declare(w.evaluators[0], second)  # the form sends the locked conflict again; dropping it is impossible
    sheet_ids = f.score(w.evaluators[0], second, lambda sid, c: Decimal(c.max_points) / 2, declare=False)
    assert w.submissions[0].id not in sheet_ids


def test_an_evaluator_conflicted_with_every_entry_is_done(world, flow):
    w = world(n_providers=2, n_evaluators=4)
    f = flow(w)
    round_id = w.rounds[0].id
    f.open(round_id, w.evaluators)
    f.declare(w.evaluators[0], round_id, [org.id for org, _u, _a in w.providers])
    sheet = page(f.browser(w.evaluators[0]), f"/review/rounds/{round_id}")
    assert 'data-testid="conflicted-all"' in sheet and "本轮无需评分" in sheet
    for evaluator in w.evaluators[1:]:
        f.score(evaluator, round_id, lambda sid, c: Decimal(c.max_points) / 2)
    assert "与全部方案回避，本轮无需评分" in page(f.admin, f.manage_url)
    closed = f.close(round_id)
    assert closed.status_code == 200 and "评分已结束，结果待确认" in text(closed)


def test_the_signed_report_downloads_as_a_pdf_with_its_digest(world, flow):
    from tests.pdf_text import flat, pdf_text, printed_sha

    w, f, round_id = _scored(world, flow)
    f.close(round_id)
    pdf_url = f"/review/rounds/{round_id}/report.pdf"
    assert f.admin.get(pdf_url).status_code == 404  # not before every member has signed
    f.sign_report(w.evaluators[0], round_id, {"dissent": "对方案A的报价分保留意见"})
    for evaluator in w.evaluators[1:3]:
        f.sign_report(evaluator, round_id)
    report_page = page(f.admin, f"/review/rounds/{round_id}/report")
    assert 'data-testid="report-pdf"' in report_page
    response = f.admin.get(pdf_url)
    body = flat(pdf_text(response))
    round_ = db.session.get(EvaluationRound, round_id)
    assert "评审报告" in body and w.challenge.title in body and round_.report_sha256 in body
    assert "对方案A的报价分保留意见" in body and w.evaluators[0].name in body
    assert len(printed_sha(pdf_text(response))) == 64
    assert audit("document.pdf_issued")
    assert f.browser(w.providers[0][1]).get(pdf_url).status_code == 404
