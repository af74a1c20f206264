"""The evaluation page's panel, draw and replace-member forms: a refusal is shown at the form
(its field, or its top) with what was chosen or typed kept; round buttons clicked twice land on
the evaluation page with the reason, never on a bare 409 page."""

import re

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.review.models import EvaluationRound, PanelMember
from tests import factories
from tests.review.pages.conftest import alerts, audit, field_errors, form_errors, page, submit, text, visible


def _selected(body, name):
    select = re.search(rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', body, re.S).group(1)
    return re.findall(r'<option value="(\d+)" selected>', select)


def test_a_refused_replacement_keeps_both_choices_and_says_why_at_the_form(world, flow):
    w = world(n_evaluators=4)
    f = flow(w)
    round_id = w.rounds[0].id
    f.open(round_id, w.evaluators[:3])
    insider = factories.create_user("evaluator", org=w.providers[0][0], name="内部专家丙")
    url = f"/admin/rounds/{round_id}/panel/replace"
    old, new = f"x{round_id}-old_evaluator_id", f"x{round_id}-new_evaluator_id"

    refused = submit(f.admin, url, {old: str(w.evaluators[1].id), new: str(insider.id)}, page_url=f.manage_url)
    body = text(refused)
    assert refused.status_code == 409 and "状态冲突" not in visible(body)
    assert "内部专家丙" in form_errors(body) and "回避" in form_errors(body)
    assert _selected(body, old) == [str(w.evaluators[1].id)] and _selected(body, new) == [str(insider.id)]

    # A field error (the new expert is already on the panel): at that field, the choices kept.
    on_panel = submit(f.admin, url, {old: str(w.evaluators[1].id), new: str(w.evaluators[2].id)}, page_url=f.manage_url)
    body = text(on_panel)
    assert on_panel.status_code == 422 and field_errors(body) == {new: "该专家已在本轮专家组中"}
    assert _selected(body, old) == [str(w.evaluators[1].id)] and _selected(body, new) == [str(w.evaluators[2].id)]
    assert not alerts(body)  # at the form, not a banner

    members = sorted(db.session.scalars(sa.select(PanelMember.evaluator_id).where(PanelMember.round_id == round_id)))
    assert members == sorted(e.id for e in w.evaluators[:3]) and not audit("round.panel_replace")

    done = submit(f.admin, url, {old: str(w.evaluators[1].id), new: str(w.evaluators[3].id)}, page_url=f.manage_url,
                  follow=True)
    assert done.status_code == 200 and any(c == "success" and "专家已更换" in m for c, m in alerts(text(done)))


def test_a_panel_form_refused_after_the_round_opened_is_still_shown_with_the_reason(world, flow, browser):
    """Another admin opened the round meanwhile: the panel form, no longer offered, comes back
    with the choice and the reason, so nothing chosen is silently lost."""
    w = world(n_evaluators=4)
    f = flow(w)
    round_id = w.rounds[0].id
    f.open(round_id, w.evaluators[:3])
    late = submit(f.admin, f"/admin/rounds/{round_id}/panel",
                  {f"r{round_id}-evaluator_ids": [str(e.id) for e in w.evaluators[1:]]}, page_url=f.manage_url)
    body = text(late)
    assert late.status_code == 409 and form_errors(body)
    checked = set(re.findall(rf'name="r{round_id}-evaluator_ids" value="(\d+)" id="[^"]+" checked', body))
    assert checked == {str(e.id) for e in w.evaluators[1:]}


def test_closing_a_round_twice_lands_on_the_evaluation_page_with_the_reason(world, flow, browser):
    w = world(n_evaluators=3)
    f = flow(w)
    round_id = w.rounds[0].id
    f.open(round_id)
    for evaluator in w.evaluators:
        f.score(evaluator, round_id, lambda sid, c: c.max_points * 0.8)
    other = browser(factories.create_user("admin", name="另一位管理员"))
    page(other, f.manage_url)  # both admins have the page open
    assert f.close(round_id).status_code == 200
    assert db.session.get(EvaluationRound, round_id).status.value == "review"
    closes = len(audit("round.close"))

    again = submit(other, f"/admin/rounds/{round_id}/close", page_url=f.manage_url)
    body = text(again)
    assert again.status_code == 409 and "状态冲突" not in visible(body)
    assert "评审管理" in visible(body) and "核对结果" in visible(body)  # the evaluation page, as it is now
    [(category, message)] = alerts(body)
    assert category == "warning" and re.search(r"[\u4e00-\u9fff]", message)
    assert closes == 1 and len(audit("round.close")) == 1
    # Publishing twice likewise.
    for evaluator in w.evaluators:
        f.sign_report(evaluator, round_id)
    assert submit(f.admin, f"/admin/rounds/{round_id}/publish", page_url=f.manage_url).status_code == 200
    twice = submit(other, f"/admin/rounds/{round_id}/publish", page_url=f.manage_url)
    assert twice.status_code == 409 and [c for c, _ in alerts(text(twice))] == ["warning"]
