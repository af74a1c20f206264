"""The 推荐服务商 panel, invitations and subscriptions through the operations."""

import pytest
import sqlalchemy as sa

from marketplace.audit.models import AuditEvent
from marketplace.core.errors import Conflict, NotAllowed, ValidationFailed
from marketplace.extensions import db
from marketplace.matching import operations as ops
from marketplace.matching import queries
from marketplace.matching.states import InvitationState
from marketplace.needs import operations as need_ops
from marketplace.notifications.models import Notification
from tests import factories


def _notes(user, kind):
    return db.session.scalars(sa.select(Notification).where(
        Notification.user_id == user.id, Notification.kind == kind)).all()


def test_only_eligible_providers_best_first_scores_sum_their_reasons(world):
    matches = queries.matches(world["challenge"])
    names = [m.organisation.name for m in matches]
    assert names == ["上海数智医联科技有限公司", "上海健康云数据服务有限公司", "上海通用软件有限公司"]
    for org in world["ineligible"]:
        assert org.id not in {m.organisation.id for m in matches}
    for m in matches:
        assert m.score == sum(r.points for r in m.reasons)
    top = {r.factor: r for r in matches[0].reasons}
    assert top["similarity"].points == 40 and "智能分诊导诊系统" in top["similarity"].detail
    assert "similarity" not in {r.factor for r in matches[2].reasons}  # 校园一卡通 shares no word
    assert matches[0].solutions[0][0].title == "智能分诊导诊系统"


def test_every_required_domain_must_be_covered(world, dept, publish):
    both = publish(dept, title="医养结合：社区卫生服务中心与养老院联动", required_domains=["医疗", "养老"])
    assert [m.organisation.name for m in queries.matches(both)] == ["上海健康云数据服务有限公司"]


def test_invite_tells_the_provider_and_the_panel_shows_opened_and_entered(world, dept):
    challenge = world["challenge"]
    created = ops.invite_providers(dept, challenge, [world["triage"].id, world["care"].id])
    db.session.commit()
    assert len(created) == 2
    assert len(_notes(world["triage_user"], "invitation.created")) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "invitation.create")) == 2
    # Inviting again changes nothing and tells nobody twice.
    assert ops.invite_providers(dept, challenge, [world["triage"].id]) == []
    db.session.commit()
    assert len(_notes(world["triage_user"], "invitation.created")) == 1

    ops.open_invitation(world["triage_user"], created[0])
    db.session.commit()
    from marketplace.submissions import operations as submission_ops
    from tests.challenges.conftest import entry_values

    submission_ops.submit_entry(world["care_user"], challenge, **entry_values())
    db.session.commit()
    rows = {inv.provider_id: (inv.state, entered) for inv, entered in queries.invitations_of_challenge(challenge)}
    assert rows == {world["triage"].id: (InvitationState.opened, False),
                    world["care"].id: (InvitationState.invited, True)}


def test_inviting_an_ineligible_provider_names_it(world, dept):
    wrong = world["ineligible"][0]
    with pytest.raises(ValidationFailed) as exc:
        ops.invite_providers(dept, world["challenge"], [world["triage"].id, wrong.id])
    assert "上海颐康智慧养老科技有限公司" in exc.value.fields["provider_org_ids"]


def test_only_the_owning_department_invites(world):
    other = factories.create_user("department", org=factories.create_org("department", name="区教育局"))
    with pytest.raises(NotAllowed):
        ops.invite_providers(other, world["challenge"], [world["triage"].id])


def test_no_invitations_after_the_deadline(world, dept):
    from datetime import timedelta

    from tests.challenges.conftest import move_deadline

    move_deadline(world["challenge"], -timedelta(minutes=1))
    with pytest.raises(Conflict):
        ops.invite_providers(dept, world["challenge"], [world["triage"].id])


def test_recommendations_for_a_provider_best_first_with_reasons(world, dept, publish):
    other = publish(dept, title="校园食堂一卡通升级", domain="医疗", description="学生食堂消费与门禁一卡通。",
                    pain_points="", outcomes="")
    ops.invite_providers(dept, other, [world["triage"].id])
    db.session.commit()
    items = queries.recommendations(world["triage"].id)
    assert [r.challenge.id for r in items] == [world["challenge"].id, other.id]
    assert [r.score for r in items] == [60, 30]
    for r in items:
        assert r.score == sum(x.points for x in r.reasons)
    invited = next(r for r in items if r.challenge.id == other.id)
    assert "invited" in {x.factor for x in invited.reasons}
    # A provider in another domain sees neither challenge.
    assert queries.recommendations(world["ineligible"][0].id) == []


def test_subscribers_told_once_when_a_challenge_in_their_domain_is_published(dept, publish, make_provider):
    _, follower = make_provider("上海关注者科技有限公司", ["医疗"])
    _, stranger = make_provider("上海不相关科技有限公司", ["教育"])
    need_ops.set_subscriptions(follower, ["医疗", "养老"])
    need_ops.set_subscriptions(stranger, ["教育"])
    db.session.commit()
    publish(dept, required_domains=["医疗", "养老"])
    notes = _notes(follower, "challenge.published_subscribed")
    assert len(notes) == 1 and ("医疗、养老" in notes[0].body or "养老、医疗" in notes[0].body)
    assert _notes(stranger, "challenge.published_subscribed") == []
