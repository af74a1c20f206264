"""Similarity is useful, not decorative: on the demo data a need that restates an existing
challenge or need finds it first. The demo is seeded once for the module (seeding takes seconds);
each test's own rows are rolled back."""

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.challenges.models import Challenge
from marketplace.extensions import db as _db
from marketplace.needs.models import Need
from marketplace.needs.similarity import similar_to
from tests.demo_world import _clean, _seeded_once  # noqa: F401  (the seeded demo, once per module)
from tests.needs.test_similarity import _restated


@pytest.fixture
def street():
    """湖南路街道 from the demo; what the tests submit is flushed, never committed."""
    return _db.session.scalar(sa.select(User).where(User.email == "hnl@demo.gov.cn"))


def _titles(items, n=5):
    return [i["title"] for i in items[:n]]


def test_a_new_market_need_finds_the_market_challenge_and_need_first(street):
    items = similar_to(_restated(street))
    market_challenge = _db.session.scalar(sa.select(Challenge).where(Challenge.title.startswith("智慧菜场")))
    market_need = _db.session.scalar(sa.select(Need).where(Need.title.startswith("智慧菜场")))
    assert {(i["type"], i["id"]) for i in items[:2]} == {("challenge", market_challenge.id),
                                                       ("need", market_need.id)}, _titles(items)


def test_a_restated_city_operations_need_finds_that_challenge_first(street):
    need = _restated(street, title="街面秩序AI识别：占道经营与垃圾满溢自动发现", domain="数字治理",
                     keywords=["一网统管", "占道经营", "垃圾满溢"],
                     problem="城管巡查靠人工，占道经营、垃圾桶满溢发现慢。",
                     scenario="利用街面摄像头做算法识别，自动派单到一网统管平台。",
                     beneficiaries="街道城管中队、网格员和沿街居民。", expected_outcomes="问题发现时间缩短到 10 分钟以内。",
                     data_available="街面视频点位清单")
    items = similar_to(need)
    assert items[0]["type"] == "challenge" and items[0]["title"].startswith("一网统管：城市运行体征"), _titles(items)


def test_an_unrelated_need_does_not_find_the_market(street):
    need = _restated(street, title="中小学课后服务在线选课", domain="教育", keywords=["课后服务", "选课"],
                     problem="家长排队报名课后服务，名额分配不透明。", scenario="家长在线选课，系统按规则分配名额。",
                     expected_outcomes="报名全程线上。", beneficiaries="全区中小学生家长。", data_available="")
    assert not any("菜" in t for t in _titles(similar_to(need), 3))


def test_the_demo_has_every_need_state_two_batches_and_a_running_challenge():
    from marketplace.challenges.states import ChallengeState
    from marketplace.needs.models import NeedBatch
    from marketplace.needs.states import NeedState

    needs = _db.session.scalars(sa.select(Need)).all()
    assert {n.state for n in needs} == set(NeedState)
    batches = _db.session.scalars(sa.select(NeedBatch)).all()
    assert len([b for b in batches if b.is_published]) == 2
    converted = [n for n in needs if n.state == NeedState.converted]
    challenge = _db.session.scalar(sa.select(Challenge).where(Challenge.need_id == converted[0].id))
    assert challenge.state == ChallengeState.published and converted[0].published_at is not None
    merged = next(n for n in needs if n.state == NeedState.merged)
    assert merged.merged_into.title.startswith("智慧菜场")
