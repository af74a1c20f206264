"""Fixtures for evaluation (issue 4): a challenge past its deadline with entries from several
providers, a pool of evaluators, and API clients per person. Built through the operations."""

from datetime import timedelta
from decimal import Decimal

import pytest

from marketplace.challenges.models import Challenge
from marketplace.core.db import utcnow
from marketplace.extensions import db as _db
from marketplace.review.models import EvaluatorDomain
from tests import factories
from tests.scenario import RACE_MILESTONES, Scenario, round_plan

# The round plan and the race milestones are the scenario builder's (re-exported: many tests
# import them from here).
__all__ = ["RACE_MILESTONES", "round_plan"]


class World:
    """Everyone taking part in one evaluated challenge."""

    def __init__(self, admin, department, providers, evaluators, challenge, submissions, scenario=None):
        self.admin, self.department = admin, department
        self.providers, self.evaluators = providers, evaluators
        self.challenge, self.submissions = challenge, submissions
        # The builder that made it: carry on with `w.scenario.panel(w.evaluators).open_round()`, …
        self.scenario = scenario or Scenario(admin=admin, department=department, challenge=challenge)
        self.scenario.submissions = list(submissions)

    @property
    def rounds(self):
        return sorted(_db.session.get(Challenge, self.challenge.id).rounds, key=lambda r: r.position)


@pytest.fixture
def world(db, admin):
    """`world(n_providers=3, n_evaluators=5, rounds=[...], race_slots=1, notice_days=5)`:
    a challenge whose deadline has just passed (state closed) with one entry per provider, built
    by tests/scenario.py (the evaluators are only made here: the tests form the panels)."""

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
        scenario = Scenario(admin=admin, department=department).create(values).approve()
        for index, (_org, user, _app) in enumerate(providers):
            scenario.enter(user, **({"price_yuan": Decimal(prices[index])} if prices else {}))
        # Time passes: the deadline is behind us.
        scenario.deadline_passes()
        return World(admin, department, providers, evaluators, scenario.challenge, scenario.submissions, scenario)

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
