"""Fixtures for evaluation (issue 4): a challenge past its deadline with entries from several
providers, a pool of evaluators, and API clients per person. Built through the operations."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from marketplace.challenges import operations as challenge_ops
from marketplace.challenges.models import Challenge
from marketplace.core.db import utcnow
from marketplace.extensions import db as _db
from marketplace.review.models import EvaluatorDomain
from marketplace.submissions import operations as submission_ops
from tests import factories


def round_plan(name="方案评审", *, aggregation="mean", blind=False, advance_top=None, min_panel=3, criteria=None,
               tie_break_position=None):
    return {"name": name, "aggregation": aggregation, "advance_top": advance_top, "advance_threshold": None,
            "blind": blind, "min_panel": min_panel, "tie_break_position": tie_break_position,
            "criteria": criteria or [
                {"name": "技术方案", "description": "", "weight": 60, "max_points": 100},
                {"name": "报价", "description": "", "weight": 40, "max_points": 10},
            ]}


# The unified pilot milestones (统一里程碑) of every race built here.
RACE_MILESTONES = [
    {"title": "试点环境部署完成", "due_days": 30, "evidence": "部署报告与现场照片"},
    {"title": "试点运行满一个月", "due_days": 60, "evidence": "运行日志与量化指标实测"},
]


class World:
    """Everyone taking part in one evaluated challenge."""

    def __init__(self, admin, department, providers, evaluators, challenge, submissions):
        self.admin, self.department = admin, department
        self.providers, self.evaluators = providers, evaluators
        self.challenge, self.submissions = challenge, submissions

    @property
    def rounds(self):
        return sorted(_db.session.get(Challenge, self.challenge.id).rounds, key=lambda r: r.position)


@pytest.fixture
def world(db, admin):
    """`world(n_providers=3, n_evaluators=5, rounds=[...], race_slots=1, notice_days=5)`:
    a challenge whose deadline has just passed (state closed) with one entry per provider."""

    def _build(n_providers=3, n_evaluators=5, rounds=None, race_slots=1, notice_days=5, budget="1000000.00",
               prices=None, domain="医疗"):
        department = factories.create_user("department")
        providers = [factories.create_provider(domains=(domain, "养老"), admin=admin) for _ in range(n_providers)]
        evaluators = [factories.create_user("evaluator", name=f"专家{i + 1}") for i in range(n_evaluators)]
        for evaluator in evaluators:
            _db.session.add(EvaluatorDomain(user_id=evaluator.id, domain=domain))
        values = {
            "title": "便捷就医服务2.0 智能分诊导诊", "domain": domain, "description": "院内导航与智能分诊。",
            "pain_points": "", "outcomes": "候诊时间缩短 30%", "budget_yuan": Decimal(budget),
            "deadline": utcnow() + timedelta(days=3), "required_domains": [domain], "race_slots": race_slots,
            "min_submissions": 1, "notice_days": notice_days, "contact": "",
            "rounds": rounds or [round_plan()],
        }
        if race_slots > 1:
            values["pilot_budget_yuan"] = Decimal(budget) / 10
            values["race_milestones"] = RACE_MILESTONES
        challenge = challenge_ops.create_challenge(department, values)
        challenge_ops.submit_for_review(department, challenge)
        challenge_ops.approve_challenge(admin, challenge)
        _db.session.commit()
        submissions = []
        for index, (_org, user, _app) in enumerate(providers):
            price = Decimal(prices[index]) if prices else Decimal("900000.00") - index * 1000
            submission, _ = submission_ops.submit_entry(user, challenge, summary=f"方案摘要 {index}",
                                                        technical_plan="技术方案正文", price_yuan=price, timeline="6 个月")
            submissions.append(submission)
        _db.session.commit()
        # Time passes: the deadline is behind us.
        _db.session.execute(sa.update(Challenge).where(Challenge.id == challenge.id)
                            .values(deadline=utcnow() - timedelta(seconds=1)))
        _db.session.commit()
        _db.session.refresh(challenge)
        challenge_ops.close_if_due(challenge)
        _db.session.commit()
        return World(admin, department, providers, evaluators, challenge, submissions)

    return _build


@pytest.fixture
def as_user(api):
    """Cache one API client per user."""
    clients = {}

    def _as(user):
        if user.id not in clients:
            clients[user.id] = api(user)
        return clients[user.id]

    return _as
