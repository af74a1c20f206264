"""Operations: checks, the change, the audit event, and who is told."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from marketplace.audit.models import AuditEvent
from marketplace.challenges.states import ChallengeState
from marketplace.core.errors import Conflict, InvalidTransition, NotAllowed, ValidationFailed
from marketplace.extensions import db
from marketplace.needs import operations as ops
from marketplace.needs.conversion import convert_need
from marketplace.needs.models import Need
from marketplace.needs.states import NeedState
from marketplace.notifications.models import Notification
from tests import factories
from tests.needs.conftest import need_values

S = NeedState


def notes(user, kind=None):
    query = sa.select(Notification).where(Notification.user_id == user.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return db.session.scalars(query.order_by(Notification.id)).all()  # in the order they were sent


def audit_actions(need):
    return db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.object_type == "need",
                                                                 AuditEvent.object_id == need.id)
                              .order_by(AuditEvent.seq)).all()


def test_submit_records_tells_the_office_and_keeps_the_fields(submit, street, office):
    need = submit(budget_yuan=Decimal("500000.00"), budget_source="区商务发展专项资金",
                  keywords=["智慧菜场", "智慧菜场", "追溯"])
    assert need.state == S.submitted and need.submitter_id == street.organisation_id
    assert need.keyword_list == ["智慧菜场", "追溯"]
    assert need.budget_fen == 50_000_000
    assert audit_actions(need) == ["need.submit"]
    assert [n.title for n in notes(office)] == ["新的场景需求待审查"]


@pytest.mark.parametrize("overrides, field", [
    ({"keywords": []}, "keywords"),
    ({"keywords": ["一", "二", "三", "四", "五", "六"]}, "keywords"),
    ({"domain": "航天"}, "domain"),
    ({"budget_yuan": Decimal("1.00"), "budget_source": ""}, "budget_source"),
])
def test_submit_refuses_bad_values_at_the_field(street, overrides, field):
    with pytest.raises(ValidationFailed) as exc:
        ops.submit_need(street, need_values(**overrides))
    assert field in exc.value.fields


def test_only_department_users_submit(db):
    _, provider_user, _ = factories.create_provider()
    with pytest.raises(NotAllowed):
        ops.submit_need(provider_user, need_values())


def test_accept_routes_to_the_responsible_unit_and_tells_both(submit, office, street, bureau):
    need = submit()
    ops.accept_need(office, need, assignee_id=bureau.organisation_id, note="交区商务委办理", triage_note="与已有榜单相关")
    db.session.commit()
    assert (need.state, need.assignee_id, need.feedback) == (S.accepted, bureau.organisation_id, "交区商务委办理")
    assert need.triage_note == "与已有榜单相关"
    assert [n.kind for n in notes(street)] == ["need.accepted"]
    assert [n.kind for n in notes(bureau)] == ["need.assigned"]
    assert audit_actions(need) == ["need.submit", "need.accept"]


def test_accept_defaults_to_the_submitter_and_refuses_a_provider_as_assignee(submit, office, street):
    need = submit()
    provider_org, _, _ = factories.create_provider()
    with pytest.raises(ValidationFailed):
        ops.accept_need(office, need, assignee_id=provider_org.id)
    ops.accept_need(office, need)
    assert need.assignee_id == street.organisation_id


def test_only_the_office_triages(submit, street):
    need = submit()
    with pytest.raises(NotAllowed):
        ops.accept_need(street, need)


def test_return_then_revise_and_resubmit(submit, office, street, other_street):
    need = submit()
    with pytest.raises(ValidationFailed):
        ops.return_need(office, need, note="  ")
    ops.return_need(office, need, note="请补充量化成效")
    db.session.commit()
    assert need.state == S.returned
    assert "请补充量化成效" in notes(street, "need.returned")[0].body
    with pytest.raises(NotAllowed):
        ops.update_need(other_street, need, need_values(title="别人改的"))
    ops.update_need(street, need, need_values(expected_outcomes="菜价公示率 100%"))
    ops.resubmit_need(street, need)
    db.session.commit()
    assert need.state == S.submitted and need.expected_outcomes == "菜价公示率 100%"
    assert audit_actions(need)[-3:] == ["need.return", "need.update", "need.resubmit"]
    assert [n.title for n in notes(office)][-1] == "退回的场景需求已重新提交"


def test_update_only_while_returned(submit, street):
    need = submit()
    with pytest.raises(Conflict):
        ops.update_need(street, need, need_values(title="改名"))


def test_reject_needs_a_reason_and_tells_the_submitter(submit, office, street):
    need = submit()
    with pytest.raises(ValidationFailed):
        ops.reject_need(office, need, note="")
    ops.reject_need(office, need, note="属于常规设备采购")
    assert need.state == S.rejected
    assert "属于常规设备采购" in notes(street, "need.rejected")[0].body


def test_merge_points_to_the_survivor_and_tells_both_submitters(submit, accepted, office, street, other_street):
    survivor = accepted()
    duplicate = submit(user=other_street, title="农贸市场电子秤联网与菜价公示")
    ops.merge_need(office, duplicate, survivor)
    db.session.commit()
    assert duplicate.state == S.merged and duplicate.merged_into_id == survivor.id
    assert survivor.merged_needs == [duplicate]
    told = notes(other_street, "need.merged")[0]
    assert told.link == f"/needs/{survivor.id}" and survivor.title in told.body
    assert notes(street, "need.merged_into")


def test_merge_refuses_itself_and_dead_ends(submit, office):
    need, other = submit(), submit(title="另一条")
    with pytest.raises(ValidationFailed):
        ops.merge_need(office, need, need)
    ops.reject_need(office, other, note="重复")
    with pytest.raises(ValidationFailed):
        ops.merge_need(office, need, other)
    assert need.state == S.submitted


def test_a_stale_decision_loses_to_the_first(submit, office):
    """Two admins on the same need: the second decision was made on a state that has gone."""
    need = submit()
    # The first admin's decision lands in the database; this session still holds "submitted".
    db.session.execute(sa.update(Need).where(Need.id == need.id).values(state=S.rejected, feedback="先到")
                       .execution_options(synchronize_session=False))
    assert need.state == S.submitted
    with pytest.raises(Conflict):
        ops.accept_need(office, need)
    assert need.state == S.rejected


def test_batches_take_accepted_needs_once_and_number_themselves(accepted, submit, office):
    first, second = accepted(), accepted(title="学校食堂明厨亮灶")
    with pytest.raises(ValidationFailed):
        ops.create_batch(office, need_ids=[submit().id])
    with pytest.raises(ValidationFailed):
        ops.create_batch(office, need_ids=[])
    batch = ops.create_batch(office, need_ids=[first.id])
    with pytest.raises(ValidationFailed):
        ops.create_batch(office, need_ids=[first.id, second.id])
    later = ops.create_batch(office, need_ids=[second.id], title="十二月机会清单")
    assert (batch.number, batch.title) == (1, "第1批场景需求清单")
    assert (later.number, later.title) == (2, "十二月机会清单")


def test_publish_makes_needs_public_once_and_tells_subscribers_once(accepted, office, street, bureau):
    _, subscriber, _ = factories.create_provider()
    _, uninterested, _ = factories.create_provider()
    ops.set_subscriptions(subscriber, ["经济", "教育"])
    ops.set_subscriptions(uninterested, ["医疗"])
    needs = [accepted(), accepted(title="学校食堂明厨亮灶", domain="教育")]
    batch = ops.create_batch(office, need_ids=[n.id for n in needs])
    ops.publish_batch(office, batch)
    db.session.commit()
    assert all(n.state == S.published and n.published_at == batch.published_at for n in needs)
    told = notes(subscriber, "need_batch.published")
    assert len(told) == 1 and "经济" in told[0].body and "教育" in told[0].body
    assert notes(uninterested, "need_batch.published") == []
    assert len(notes(street, "need.published")) == 2 and len(notes(bureau, "need.published")) == 2
    with pytest.raises(Conflict):
        ops.publish_batch(office, batch)


def test_convert_carries_the_fields_over_and_links_both_ways(published, bureau, street):
    need = published(budget_yuan=Decimal("500000.00"), budget_source="专项资金")
    challenge = convert_need(bureau, need)
    db.session.commit()
    assert challenge.state == ChallengeState.draft and challenge.department_id == bureau.organisation_id
    assert (challenge.title, challenge.domain, challenge.budget_fen) == (need.title, "经济", 50_000_000)
    assert challenge.outcomes == need.expected_outcomes and need.scenario in challenge.description
    assert challenge.need_id == need.id and challenge.rounds
    assert need.state == S.converted and need.converted_at is not None
    assert "need.convert" in audit_actions(need)
    assert notes(street, "need.converted")


def test_convert_straight_from_accepted(accepted, bureau):
    need = accepted()
    convert_need(bureau, need)
    assert need.state == S.converted and need.published_at is None


def test_only_the_assignee_converts_and_only_once(accepted, bureau, street):
    need = accepted()
    with pytest.raises(NotAllowed):
        convert_need(street, need)
    convert_need(bureau, need)
    db.session.commit()
    with pytest.raises(Conflict):
        convert_need(bureau, need)


def test_subscriptions_replace_the_set_and_refuse_unknown_domains(street):
    assert ops.set_subscriptions(street, ["养老", "医疗"]) == ["医疗", "养老"]
    assert ops.set_subscriptions(street, ["医疗"]) == ["医疗"]
    with pytest.raises(ValidationFailed):
        ops.set_subscriptions(street, ["航天"])


# Every operation against every state, through the real operations.
def _need_in(state, submit, office, street, bureau):
    need = submit()
    if state == S.submitted:
        return need
    if state == S.returned:
        return ops.return_need(office, need, note="补充")
    if state == S.rejected:
        return ops.reject_need(office, need, note="不采纳")
    if state == S.merged:
        return ops.merge_need(office, need, submit(title="存活的需求"))
    ops.accept_need(office, need, assignee_id=bureau.organisation_id)
    if state == S.accepted:
        return need
    if state == S.published:
        ops.publish_batch(office, ops.create_batch(office, need_ids=[need.id]))
        return need
    convert_need(bureau, need)
    return need


OPERATIONS = {
    "accept": lambda need, w: ops.accept_need(w["office"], need),
    "return": lambda need, w: ops.return_need(w["office"], need, note="补充"),
    "reject": lambda need, w: ops.reject_need(w["office"], need, note="不采纳"),
    "merge": lambda need, w: ops.merge_need(w["office"], need, w["survivor"]),
    "resubmit": lambda need, w: ops.resubmit_need(w["street"], need),
    "convert": lambda need, w: convert_need(w["bureau"], need),
}
ALLOWED = {("submitted", "accept"), ("submitted", "return"), ("submitted", "reject"), ("submitted", "merge"),
           ("returned", "resubmit"), ("accepted", "convert"), ("published", "convert")}


@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize("action", list(OPERATIONS))
def test_every_operation_in_every_state(state, action, submit, office, street, bureau):
    need = _need_in(state, submit, office, street, bureau)
    survivor = submit(title="合并目标")
    world = {"office": office, "street": street, "bureau": bureau, "survivor": survivor}
    if (state.value, action) in ALLOWED:
        OPERATIONS[action](need, world)
        assert need.state != state
    else:
        with pytest.raises((InvalidTransition, Conflict)):
            OPERATIONS[action](need, world)
        assert need.state == state


def test_a_batch_number_taken_meanwhile_gives_way_to_the_next(accepted, office, monkeypatch):
    ops.create_batch(office, need_ids=[accepted().id])
    second = accepted(title="学校食堂明厨亮灶")
    real = ops._next_batch_number
    answers = iter([1])  # what a concurrent admin's stale read of max(number) + 1 would give
    monkeypatch.setattr(ops, "_next_batch_number", lambda: next(answers, None) or real())
    batch = ops.create_batch(office, need_ids=[second.id])
    db.session.commit()
    assert batch.number == 2 and second.batch_id == batch.id
