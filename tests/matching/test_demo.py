"""Matching on the demo data: the expected orderings, ineligible providers never shown, every
score the sum of its reasons; and the demo events (full with a waitlist, past, draft). The demo
is seeded once for the module."""

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.challenges.models import Challenge
from marketplace.challenges.states import ChallengeState
from marketplace.extensions import db as _db
from marketplace.matching import queries
from marketplace.meetings import operations as meeting_ops
from marketplace.meetings import queries as meeting_queries
from marketplace.meetings.models import Event
from marketplace.meetings.states import EventState, RegistrationState
from tests.demo_world import _clean, _seeded_once  # noqa: F401  (the seeded demo, once per module)

NEVER = {"上海申文旅数字科技有限公司", "上海智学教育科技有限公司", "上海慧通政务服务有限公司", "上海菜篮子智慧零售有限公司"}



def _challenge(prefix):
    return _db.session.scalar(sa.select(Challenge).where(Challenge.title.startswith(prefix)))


def _org(slug):
    return _db.session.scalar(sa.select(User).where(User.email == f"{slug}@demo-provider.cn")).organisation_id


@pytest.mark.parametrize("prefix, expected", [
    ("便捷就医服务2.0", ["上海数智医联科技有限公司", "上海健康云数据服务有限公司"]),
    ("为老服务一键通", ["上海颐康智慧养老科技有限公司", "上海健康云数据服务有限公司"]),
    ("一网统管：城市运行体征", ["上海城市云图数字技术有限公司", "上海安澜消防科技有限公司"]),
    ("社区长者食堂助餐", ["上海健康云数据服务有限公司", "上海颐康智慧养老科技有限公司"]),
])
def test_expected_orderings(prefix, expected):
    matches = queries.matches(_challenge(prefix))
    assert [m.organisation.name for m in matches] == expected
    assert matches[0].score > matches[1].score


def test_every_published_challenge_ineligible_never_scores_sum():
    for challenge in _db.session.scalars(sa.select(Challenge).where(Challenge.state == ChallengeState.published)):
        for m in queries.matches(challenge):
            assert m.organisation.name not in NEVER
            assert m.score == sum(r.points for r in m.reasons)


def test_recommendations_on_demo():
    titles = [r.challenge.title for r in queries.recommendations(_org("yikang"))]
    assert titles[0].startswith("为老服务一键通") and titles[1].startswith("社区长者食堂助餐")
    assert queries.recommendations(_org("shenwen")) == []  # suspended
    assert queries.recommendations(_org("cailanzi")) == []  # expired


def test_demo_events_and_invitations():
    events = {e.title: e for e in _db.session.scalars(sa.select(Event))}
    full = events["便捷就医服务2.0 揭榜方案路演"]
    assert meeting_ops.seats_left(full) == 0
    assert [r.state for r in full.registrations].count(RegistrationState.waitlisted) == 2
    past = [e.title for e in _db.session.scalars(meeting_queries.public_query("past"))]
    upcoming = [e.title for e in _db.session.scalars(meeting_queries.public_query("upcoming"))]
    assert past == ["2026 数字治理创新大赛（初赛）"]
    assert upcoming == ["智慧养老场景供需对接会", "便捷就医服务2.0 揭榜方案路演"]
    assert events["年度应用场景开放日（筹备中）"].state == EventState.draft
    rows = queries.invitations_of_challenge(_challenge("便捷就医服务2.0"))
    assert [inv.provider.name for inv, _ in rows] == ["上海数智医联科技有限公司", "上海健康云数据服务有限公司"]
    assert rows[0][1] is True  # 数智医联 has entered that challenge in the demo
