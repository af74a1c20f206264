"""The scenario builder reaches every state of a challenge's life through the real operations."""

import pytest
import sqlalchemy as sa

from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.notices.models import Notice
from marketplace.projects.models import Project
from marketplace.review import operations as review_ops
from marketplace.review.models import RoundStatus
from tests import factories
from tests.scenario import Scenario, challenge_values, race_values


def _actions(challenge):
    return set(db.session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.object_type == "challenge", AuditEvent.object_id == challenge.id)))


@pytest.mark.parametrize("state", ["draft", "pending_review", "published", "cancelled", "failed", "closed",
                                   "evaluating", "notice", "awarded"])
def test_every_state_of_a_single_slot_challenge(db, state):
    s = Scenario().to(state)
    assert s.state == state
    assert "challenge.create" in _actions(s.challenge)


def test_awarded_went_through_every_step(db):
    s = Scenario().to("awarded")
    (round_,) = s.rounds
    assert round_.status == RoundStatus.closed and round_.report_sha256
    assert len(s.evaluators[1]) == round_.min_panel
    notice = db.session.scalar(sa.select(Notice).where(Notice.challenge_id == s.challenge.id))
    assert notice.winner_submission_id == s.submissions[0].id
    project = db.session.scalar(sa.select(Project).where(Project.challenge_id == s.challenge.id))
    assert project is not None and project.provider_id == s.submissions[0].provider_id


def test_the_race_and_its_notice(db):
    s = Scenario().to("racing")
    assert s.challenge.race_slots == 2 and s.state == "racing"
    first, midterm = s.rounds
    assert first.status == RoundStatus.closed and midterm.status == RoundStatus.setup
    s.to("notice")
    assert s.state == "notice" and all(r.status == RoundStatus.closed for r in s.rounds)


def test_steps_one_by_one_with_chosen_people(db, admin, department_user):
    providers = [factories.create_provider(admin=admin, domains=("医疗",))[1] for _ in range(2)]
    experts = [factories.create_user("evaluator") for _ in range(3)]
    s = Scenario(admin=admin, department=department_user).create(race_values(challenge_values())).approve()
    for user in providers:
        s.enter(user)
    s.deadline_passes()
    assert s.state == "closed"
    s.run_round(evaluators=experts)
    assert s.state == "racing"
    assert {m.evaluator_id for m in review_ops.members(s.rounds[0])} == {e.id for e in experts}
    assert [e.submission.provider.id for e in review_ops.ranked_entries(s.rounds[0])][0] == \
        providers[0].organisation_id
