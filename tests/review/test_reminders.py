"""提醒 (催办): the admin reminds the evaluators who still owe a round their sheet or their signature.
Only admins; only late evaluators are told; the same evaluator is not reminded twice for the same
round within REMIND_INTERVAL_HOURS; every reminder is audited."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.audit.models import AuditEvent
from marketplace.core.errors import Conflict, NotAllowed, ValidationFailed
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.review import operations as ops
from marketplace.review.models import PanelMember
from tests.main.conftest import open_first_round, score


def _reminders(user):
    return db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id,
                                                            Notification.kind == "round.reminder")).all()


@pytest.fixture
def scoring(world):
    """An open round: the first evaluator submitted, the second has a draft, the third has not declared."""
    w = world(n_providers=2, n_evaluators=3)
    round_ = open_first_round(w)
    done, drafting, silent = w.evaluators
    score(round_, done)
    score(round_, drafting, submit=False)
    return w, round_, (done, drafting, silent)


def test_only_late_evaluators_are_reminded_and_it_is_audited(scoring):
    w, round_, (done, drafting, silent) = scoring
    reminded = ops.remind_evaluators(w.admin, round_, [drafting.id, silent.id])
    db.session.commit()
    assert {m.evaluator_id for m in reminded} == {drafting.id, silent.id}
    for evaluator in (drafting, silent):
        [note] = _reminders(evaluator)
        assert note.link == f"/review/rounds/{round_.id}" and "评分期限" in note.body and round_.challenge.title in note.body
    assert _reminders(done) == [] and _reminders(w.admin) == []
    [event] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "round.remind")).all()
    assert event.actor_id == w.admin.id and event.object_id == round_.id
    assert sorted(event.after["evaluator_ids"]) == sorted([drafting.id, silent.id]) and event.after["owed"] == "sheet"


def test_an_evaluator_who_is_done_or_not_on_the_panel_is_refused(scoring, create_user):
    w, round_, (done, _drafting, silent) = scoring
    with pytest.raises(ValidationFailed) as exc:
        ops.remind_evaluators(w.admin, round_, [silent.id, done.id])
    assert "已提交评分表，无需提醒" in exc.value.fields["evaluator_ids"]
    outsider = create_user("evaluator")
    with pytest.raises(ValidationFailed) as exc:
        ops.remind_evaluators(w.admin, round_, [outsider.id])
    assert "不在本轮专家组中" in exc.value.fields["evaluator_ids"]
    with pytest.raises(ValidationFailed):
        ops.remind_evaluators(w.admin, round_, [])
    db.session.rollback()
    assert _reminders(silent) == []  # refused as a whole: nobody was told


def test_only_the_admin_may_remind(scoring):
    w, round_, (_done, drafting, _silent) = scoring
    for actor in (w.department, drafting, w.providers[0][1], None):
        with pytest.raises(NotAllowed):
            ops.remind_evaluators(actor, round_, [drafting.id])
    assert _reminders(drafting) == []


def test_a_second_reminder_within_the_interval_is_refused_with_a_clear_message(scoring):
    w, round_, (_done, drafting, silent) = scoring
    ops.remind_evaluators(w.admin, round_, [drafting.id])
    db.session.commit()
    with pytest.raises(Conflict, match=r"已于 .* 提醒过专家“.*”，12 小时内不再重复提醒"):
        ops.remind_evaluators(w.admin, round_, [silent.id, drafting.id])
    db.session.rollback()
    assert len(_reminders(drafting)) == 1 and _reminders(silent) == []
    # Thirteen hours later the same evaluator may be reminded again.
    member = db.session.scalar(sa.select(PanelMember).where(PanelMember.evaluator_id == drafting.id))
    member.reminded_at -= timedelta(hours=13)
    db.session.commit()
    ops.remind_evaluators(w.admin, round_, [drafting.id])
    db.session.commit()
    assert len(_reminders(drafting)) == 2


def test_under_review_the_unsigned_are_reminded_to_sign_the_report(world):
    w = world(n_providers=2, n_evaluators=3)
    round_ = open_first_round(w)
    for evaluator in w.evaluators:
        score(round_, evaluator)
    ops.close_round(w.admin, round_)
    ops.sign_report(w.evaluators[0], round_)
    db.session.commit()
    with pytest.raises(ValidationFailed) as exc:
        ops.remind_evaluators(w.admin, round_, [w.evaluators[0].id])
    assert "已签署评审报告，无需提醒" in exc.value.fields["evaluator_ids"]
    db.session.rollback()
    ops.remind_evaluators(w.admin, round_, [w.evaluators[1].id])
    db.session.commit()
    [note] = _reminders(w.evaluators[1])
    assert note.title == "请尽快签署评审报告" and note.link == f"/review/rounds/{round_.id}/report"


def test_a_round_not_being_scored_needs_no_reminder(world):
    w = world(n_providers=2, n_evaluators=3)
    round_ = w.rounds[0]
    ops.set_panel(w.admin, round_, [e.id for e in w.evaluators])
    db.session.commit()
    with pytest.raises(Conflict, match="无需提醒"):
        ops.remind_evaluators(w.admin, round_, [w.evaluators[0].id])


def test_reminders_through_the_api(scoring, as_user):
    w, round_, (done, drafting, _silent) = scoring
    url = f"/rounds/{round_.id}/reminders"
    assert as_user(w.department).post(url, json={"evaluator_ids": [drafting.id]}).status_code == 403
    response = as_user(w.admin).post(url, json={"evaluator_ids": [done.id]})
    assert response.status_code == 422 and "无需提醒" in response.json["error"]["fields"]["evaluator_ids"]
    response = as_user(w.admin).post(url, json={"evaluator_ids": [drafting.id]})
    assert response.status_code == 200, response.json
    assert [r["evaluator_id"] for r in response.json["reminded"]] == [drafting.id]
    assert response.json["reminded"][0]["reminded_at"].endswith("+08:00")
    again = as_user(w.admin).post(url, json={"evaluator_ids": [drafting.id]})
    assert again.status_code == 409 and "12 小时内不再重复提醒" in again.json["error"]["message"]
    assert len(_reminders(drafting)) == 1
