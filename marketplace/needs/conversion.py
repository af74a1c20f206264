"""需求 → 榜单草稿: the one cross-area move of the needs area.

This belongs in `marketplace/workflow.py` (issue 10) once that module exists; it lives here
until the lead moves it. It creates the challenge through the challenges area's own operation
and then marks the need converted through ours, in the caller's transaction.
"""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from marketplace.challenges import operations as challenge_ops
from marketplace.core.errors import Conflict, NotAllowed
from marketplace.core.timeutil import SHANGHAI, today_shanghai
from marketplace.extensions import db
from marketplace.needs import operations as need_ops
from marketplace.needs.states import CONVERTIBLE_STATES

DEFAULT_DAYS = 30  # a draft's first deadline; the department sets the real one before review

# A plain 综合评分 plan so the draft is complete; the department adapts it like any draft.
DEFAULT_ROUNDS = [{
    "name": "方案评审", "aggregation": "mean", "blind": False, "min_panel": 3, "advance_top": 1,
    "advance_threshold": None, "tie_break_position": None,
    "criteria": [
        {"name": "技术方案", "description": "技术路线、可行性与数据安全", "weight": 40, "max_points": 100},
        {"name": "场景理解与预期成效", "description": "对需求所述问题与成效的回应", "weight": 30, "max_points": 100},
        {"name": "实施能力与案例", "description": "团队与同类场景落地经验", "weight": 20, "max_points": 100},
        {"name": "报价合理性", "description": "", "weight": 10, "max_points": 100},
    ],
}]


def _default_deadline():
    day = today_shanghai() + timedelta(days=DEFAULT_DAYS)
    return datetime.combine(day, time(17, 0), tzinfo=SHANGHAI).astimezone(UTC)


def challenge_values(need):
    """The challenge draft's fields, carried over from the need."""
    description = "\n\n".join(part for part in (
        f"**应用场景**\n\n{need.scenario}",
        f"**受益对象**\n\n{need.beneficiaries}",
        f"**可提供的数据**\n\n{need.data_available}" if need.data_available else "",
    ) if part)
    return {
        "title": need.title, "domain": need.domain, "description": description,
        "pain_points": need.problem, "outcomes": need.expected_outcomes,
        "budget_yuan": need.budget_yuan if need.budget_fen is not None else Decimal("0.00"),
        "deadline": _default_deadline(), "required_domains": [need.domain],
        "race_slots": 1, "min_submissions": 1, "notice_days": 5, "contact": "",
        "rounds": DEFAULT_ROUNDS,
    }


def convert_need(actor, need):
    """One click for the assignee department: a challenge draft from the need, linked both ways."""
    # A double click must find the need converted (409), not race to a second challenge: the
    # row lock makes the second request wait for the first and then read its outcome.
    db.session.refresh(need, with_for_update=True)
    if need.state not in CONVERTIBLE_STATES:
        raise Conflict(f"需求状态为“{need.state.label}”，不能转为榜单")
    if not need_ops.can_convert(actor, need):
        raise NotAllowed("只有责任单位可以将需求转为榜单")
    challenge = challenge_ops.create_challenge(actor, challenge_values(need))
    challenge.need_id = need.id
    db.session.flush()
    need_ops.mark_converted(actor, need, challenge)
    return challenge
