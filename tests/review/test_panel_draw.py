"""The random panel draw (专家库随机抽取): never below the round's panel minimum (the message says
how many could be drawn), a redraw needs a reason, and every draw is kept with the panel it
replaced — operations and API (the admin page: tests/review/pages/test_panel_draw_page.py)."""

import pytest
import sqlalchemy as sa

from marketplace.audit.models import AuditEvent
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.extensions import db
from marketplace.review import operations as ops
from marketplace.review.models import PanelDraw


def _draw_events():
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "round.panel_draw")
                              .order_by(AuditEvent.id)).all()


def test_a_pool_smaller_than_the_minimum_is_refused_with_the_counts(world):
    w = world(n_evaluators=2)  # min_panel 3
    round_ = w.rounds[0]
    with pytest.raises(Conflict) as caught:
        ops.draw_panel(w.admin, round_, size=3)
    assert "只有 2 名" in caught.value.message and "最少人数 3 名" in caught.value.message
    assert ops.members(round_) == [] and db.session.scalar(sa.select(sa.func.count(PanelDraw.id))) == 0


def test_a_draw_smaller_than_the_minimum_is_refused_at_the_size(world):
    w = world(n_evaluators=5)
    with pytest.raises(ValidationFailed) as caught:
        ops.draw_panel(w.admin, w.rounds[0], size=2)
    assert "不能少于本轮专家组最少人数 3 名" in caught.value.fields["size"]
    assert "可抽取 5 名" in caught.value.fields["size"]


def test_a_redraw_needs_a_reason_and_keeps_the_previous_draw(world):
    w = world(n_evaluators=6)
    round_ = w.rounds[0]
    ops.draw_panel(w.admin, round_, size=3, seed=1)
    db.session.commit()
    first = sorted(m.evaluator_id for m in ops.members(round_))
    with pytest.raises(ValidationFailed) as caught:
        ops.draw_panel(w.admin, round_, size=3, seed=2)
    assert "reason" in caught.value.fields
    db.session.rollback()
    assert sorted(m.evaluator_id for m in ops.members(round_)) == first
    ops.draw_panel(w.admin, round_, size=4, seed=2, reason="专家甲临时出差")
    db.session.commit()
    draws = ops.panel_draws(round_)
    assert [d.reason for d in draws] == ["", "专家甲临时出差"]
    assert draws[0].members == first and draws[1].previous_members == first
    assert draws[1].members == sorted(m.evaluator_id for m in ops.members(round_)) and len(draws[1].members) == 4
    events = _draw_events()
    assert events[-1].after["reason"] == "专家甲临时出差" and events[-1].before["panel"] == first
    assert "redraw" not in events[0].after


def test_a_draw_over_a_hand_made_panel_is_a_redraw(world):
    w = world(n_evaluators=5)
    round_ = w.rounds[0]
    ops.set_panel(w.admin, round_, [e.id for e in w.evaluators[:3]])
    with pytest.raises(ValidationFailed) as caught:
        ops.draw_panel(w.admin, round_, size=3)
    assert "reason" in caught.value.fields


def test_the_api(world, as_user):
    w = world(n_evaluators=5)
    round_id = w.rounds[0].id
    admin = as_user(w.admin)
    small = admin.post(f"/rounds/{round_id}/panel/draw", json={"size": 2})
    assert small.status_code == 422 and "size" in small.json["error"]["fields"]
    first = admin.post(f"/rounds/{round_id}/panel/draw", json={"size": 3, "seed": 7})
    assert first.status_code == 200 and len(first.json["draws"]) == 1
    no_reason = admin.post(f"/rounds/{round_id}/panel/draw", json={"size": 3, "seed": 8})
    assert no_reason.status_code == 422 and "reason" in no_reason.json["error"]["fields"]
    assert admin.post(f"/rounds/{round_id}/panel/draw", json={"size": 3, "reason": 5}).status_code == 422
    again = admin.post(f"/rounds/{round_id}/panel/draw", json={"size": 3, "seed": 8, "reason": "回避情况变化"})
    assert again.status_code == 200
    listed = admin.get(f"/rounds/{round_id}/panel/draws").json
    assert listed["total"] == 2 and listed["items"][1]["reason"] == "回避情况变化"
    assert listed["items"][1]["previous_members"] == listed["items"][0]["members"]
    assert as_user(w.department).get(f"/rounds/{round_id}/panel/draws").status_code == 403
    assert as_user(w.evaluators[0]).get(f"/rounds/{round_id}/panel/draws").status_code == 403
    assert admin.get("/rounds/999999/panel/draws").status_code == 404
