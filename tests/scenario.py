"""One scenario builder: a challenge put into any state of its life by the real operations.

    s = Scenario(admin=admin, department=dept).create(values).approve()   # published
    s.enter(provider_user).enter().deadline_passes()                       # closed, two entries
    s.run_round()                                                          # panel → open → declarations
                                                                           # and sheets → close → every
                                                                           # member signs → publish
    s.notice_ends().finalize()                                             # awarded
    Scenario(department=dept).to("racing")                                 # or straight to a state

Each step is the operation a person would trigger (the same the pages and the API call), so audit
events, notifications and the workflow's cross-area moves happen as in production, and each step
commits, as the request would. The only thing not done by an operation is the passing of time:
`deadline_passes` and `notice_ends` move the stored deadline / notice end into the past with a
plain UPDATE, as time going by would (`set_deadline`).

People missing when a step needs them are made by tests/factories.py: the admin, the department
user, a provider per entry, the round's `min_panel` evaluators (with the challenge's domain).

Used by the builders of tests/challenges/conftest.py (`create_challenge`, `move_deadline`),
tests/challenges/pages/conftest.py (`make_challenge`, `pass_deadline`) and tests/review/conftest.py
(`world`). The demo (marketplace/demo.py) is a builder of its own kind: it tells stories on a story
clock (each step at a chosen moment of the past), with hand-written marks and remarks; it calls
the same operations, and the application package does not import the tests.
"""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.challenges import operations as challenge_ops
from marketplace.challenges.models import Challenge
from marketplace.challenges.states import ChallengeState
from marketplace.core.db import utcnow
from marketplace.extensions import db
from marketplace.notices import operations as notice_ops
from marketplace.notices.models import Notice
from marketplace.review import operations as review_ops
from marketplace.review.models import EvaluatorDomain, RoundStatus
from marketplace.submissions import operations as submission_ops
from marketplace.submissions import queries as submission_queries
from tests import factories

S = ChallengeState

# The states `to()` reaches, in the order of a challenge's life.
ORDER = ["draft", "pending_review", "published", "closed", "evaluating", "racing", "notice", "awarded"]

# The unified pilot milestones (统一里程碑) of a race built by `race_values`.
RACE_MILESTONES = [
    {"title": "试点环境部署完成", "due_days": 30, "evidence": "部署报告与现场照片"},
    {"title": "试点运行满一个月", "due_days": 60, "evidence": "运行日志与量化指标实测"},
]


def round_plan(name="方案评审", *, aggregation="mean", blind=False, advance_top=None, min_panel=3, criteria=None,
               tie_break_position=None):
    """One round of the evaluation plan, as the form gives it."""
    return {"name": name, "aggregation": aggregation, "advance_top": advance_top, "advance_threshold": None,
            "blind": blind, "min_panel": min_panel, "tie_break_position": tie_break_position,
            "criteria": criteria or [
                {"name": "技术方案", "description": "", "weight": 60, "max_points": 100},
                {"name": "报价", "description": "", "weight": 40, "max_points": 10},
            ]}


def challenge_values(**overrides):
    """Valid values for `create_challenge` (as ChallengeForm.values() returns them): one round."""
    values = {
        "title": "便捷就医服务2.0 智能分诊导诊", "domain": "医疗", "description": "院内导航与智能分诊。",
        "pain_points": "", "outcomes": "候诊时间缩短 30%", "budget_yuan": Decimal("1000000.00"),
        "deadline": utcnow() + timedelta(days=3), "required_domains": ["医疗"], "race_slots": 1,
        "min_submissions": 1, "notice_days": 5, "contact": "", "rounds": [round_plan()],
    }
    values.update(overrides)
    return values


def race_values(values, slots=2):
    """`values` made a horse race: `slots` racers, pilot funding, the unified milestones, and a
    mid-term round after the proposal round when the plan has only one."""
    values = dict(values)
    values["race_slots"] = slots
    values.setdefault("pilot_budget_yuan", Decimal(values["budget_yuan"]) / 10)
    if not values.get("race_milestones"):
        values["race_milestones"] = RACE_MILESTONES
    if len(values["rounds"]) < 2:
        values["rounds"] = [*values["rounds"], round_plan("中期评审", min_panel=values["rounds"][0]["min_panel"])]
    return values


def entry_values(index=0, **overrides):
    values = {"summary": f"方案摘要 {index}", "technical_plan": "技术方案正文",
              "price_yuan": Decimal("900000.00") - index * 1000, "timeline": "6 个月"}
    values.update(overrides)
    return values


def set_deadline(challenge, deadline):
    """Move the stored deadline as the passing of time would (no operation, no audit)."""
    db.session.execute(sa.update(Challenge).where(Challenge.id == challenge.id).values(deadline=deadline))
    db.session.commit()
    db.session.refresh(challenge)
    return challenge


def end_notice(challenge):
    """The notice period (公示期) runs out: its stored end moves into the past (no end: nothing to do)."""
    notice = notice_ops.current_notice(challenge)
    if notice is not None and notice.ends_at is not None:
        db.session.execute(sa.update(Notice).where(Notice.id == notice.id)
                           .values(ends_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
        db.session.expire_all()
    return challenge


def default_points(entry_index, criterion):
    """The first entry scores 80% of each criterion, each later one 10 points of 100 less (≥ 30%)."""
    share = max(Decimal("0.8") - Decimal("0.1") * entry_index, Decimal("0.3"))
    return Decimal(criterion.max_points) * share


class Scenario:
    """A challenge and the people around it, moved on by the real operations (each step commits)."""

    def __init__(self, *, admin=None, department=None, challenge=None):
        self._admin, self._department = admin, department
        self.challenge = challenge
        self.submissions = []
        self.providers = []  # provider users who entered, in entry order
        self.evaluators = {}  # round position → the evaluators put on its panel

    @classmethod
    def of(cls, challenge, *, admin=None):
        """Carry on with an existing challenge (its department user is the one who created it)."""
        scenario = cls(admin=admin, department=db.session.get(User, challenge.created_by_id), challenge=challenge)
        scenario.submissions = list(submission_queries.live_entries(challenge))
        return scenario

    # --- people --------------------------------------------------------------------------------

    @property
    def admin(self):
        if self._admin is None:
            self._admin = factories.create_user("admin")
        return self._admin

    @property
    def department(self):
        if self._department is None:
            self._department = factories.create_user("department")
        return self._department

    @property
    def state(self):
        db.session.refresh(self.challenge)
        return self.challenge.state.value

    @property
    def rounds(self):
        return sorted(db.session.get(Challenge, self.challenge.id).rounds, key=lambda r: r.position)

    def round(self, position=None):
        """Round `position` (1-based), or the first one not closed yet."""
        rounds = self.rounds
        if position is not None:
            return rounds[position - 1]
        return next(r for r in rounds if r.status != RoundStatus.closed)

    def _commit(self):
        db.session.commit()
        return self

    # --- posting -------------------------------------------------------------------------------

    def create(self, values=None, **overrides):
        """Draft (草稿): `values` as the form gives them (default `challenge_values()`), `overrides` on top."""
        values = dict(values if values is not None else challenge_values())
        values.update(overrides)
        self.challenge = challenge_ops.create_challenge(self.department, values)
        return self._commit()

    def submit_for_review(self):
        challenge_ops.submit_for_review(self.department, self.challenge)
        return self._commit()

    def approve(self):
        """Published (征集中), by the admin; submitted for review first if still a draft."""
        if self.challenge.state == S.draft:
            self.submit_for_review()
        challenge_ops.approve_challenge(self.admin, self.challenge)
        return self._commit()

    def cancel(self, reason="需求调整，撤榜"):
        challenge_ops.cancel_challenge(self.department, self.challenge, reason=reason)
        return self._commit()

    def enter(self, user=None, **overrides):
        """An entry by `user` (default: a new admitted provider covering the challenge's domain)."""
        if user is None:
            _org, user, _app = factories.create_provider(domains=(self.challenge.domain, "养老"), admin=self.admin)
        submission, _ = submission_ops.submit_entry(user, self.challenge,
                                                    **entry_values(len(self.submissions), **overrides))
        self.submissions.append(submission)
        self.providers.append(user)
        return self._commit()

    def entries(self, n):
        for _ in range(n):
            self.enter()
        return self

    def deadline_passes(self, *, close=True, seconds=1):
        """Time passes beyond the deadline; with `close` the deadline check runs (closed, or 流标)."""
        set_deadline(self.challenge, utcnow() - timedelta(seconds=seconds))
        if close:
            challenge_ops.close_if_due(self.challenge)
            self._commit()
        return self

    # --- evaluation ----------------------------------------------------------------------------

    def panel(self, evaluators=None, *, round=None):
        """The round's panel: `evaluators` (default: `min_panel` new evaluators of the domain)."""
        round_ = self.round(round)
        if evaluators is None:
            evaluators = [factories.create_user("evaluator", name=f"专家{i + 1}") for i in range(round_.min_panel)]
            for evaluator in evaluators:
                db.session.add(EvaluatorDomain(user_id=evaluator.id, domain=self.challenge.domain))
        review_ops.set_panel(self.admin, round_, [e.id for e in evaluators])
        self.evaluators[round_.position] = list(evaluators)
        return self._commit()

    def open_round(self, *, round=None):
        """Opened by the admin (a panel is formed first if the round has none)."""
        round_ = self.round(round)
        if not review_ops.members(round_):
            self.panel(round=round_.position)
        review_ops.open_round(self.admin, round_)
        return self._commit()

    def score(self, points=default_points, *, conflicts=None, round=None, submit=True):
        """Every panel member signs the declaration (`conflicts`: evaluator id → provider ids) and
        fills the sheet with `points(entry_index, criterion)` for each entry shown; then submits."""
        round_ = self.round(round)
        order = {s.id: i for i, s in enumerate(self.submissions)}
        for member in review_ops.members(round_):
            evaluator = member.evaluator
            review_ops.sign_declaration(evaluator, round_,
                                        conflict_provider_ids=list((conflicts or {}).get(evaluator.id, ())))
            rows = [{"submission_id": entry.submission_id, "criterion_id": criterion.id, "comment": "理由充分",
                     "points": str(Decimal(points(order.get(entry.submission_id, 0), criterion))
                                   .quantize(Decimal("0.01"), ROUND_HALF_UP))}
                    for entry in review_ops.entries_for(member) for criterion in review_ops.judged_criteria(round_)]
            review_ops.save_sheet(evaluator, round_, rows)
            if submit:
                review_ops.submit_sheet(evaluator, round_)
            self._commit()
        return self

    def close_round(self, *, round=None):
        """Results for review (待确认)."""
        review_ops.close_round(self.admin, self.round(round))
        return self._commit()

    def sign(self, *, round=None):
        """Every panel member signs the evaluation report (评审报告)."""
        round_ = self.round(round)
        for member in review_ops.members(round_):
            review_ops.sign_report(member.evaluator, round_)
        return self._commit()

    def publish(self, *, round=None):
        """The admin publishes: the workflow advances, starts the race, or opens the notice (公示)."""
        review_ops.publish_round(self.admin, self.round(round))
        return self._commit()

    def finish_round(self, *, round=None):
        """Whatever the round still needs, in order: open (panel first), score, close, sign, publish."""
        round_ = self.round(round)
        position = round_.position
        if round_.status == RoundStatus.setup:
            self.open_round(round=position)
            round_ = self.round(position)
        if round_.status == RoundStatus.open:
            self.score(round=position).close_round(round=position)
        return self.sign(round=position).publish(round=position)

    def run_round(self, points=default_points, *, round=None, evaluators=None):
        """One round from panel to publication."""
        position = self.round(round).position
        if evaluators is not None:
            self.panel(evaluators, round=position)
        self.open_round(round=position).score(points, round=position)
        return self.close_round(round=position).sign(round=position).publish(round=position)

    # --- notice and award ----------------------------------------------------------------------

    def notice_ends(self):
        end_notice(self.challenge)
        return self

    def finalize(self):
        """挂帅: the award confirmed by the admin (the notice period must be over)."""
        notice_ops.finalize(self.admin, self.challenge)
        return self._commit()

    # --- straight to a state -------------------------------------------------------------------

    def to(self, state, **values):
        """Take the challenge (created from `values` if there is none yet) on to `state` through
        every step before it: draft, pending_review, published, cancelled, failed (no entry when
        the deadline passes), closed (one entry if none), evaluating (first round open), racing
        (needs race_slots > 1: the proposal round published), notice (every round published),
        awarded (the notice ended, finalized)."""
        state = S(state).value
        if self.challenge is None:
            if state == "racing" and values.get("race_slots", 1) < 2:
                values = race_values(challenge_values(**values))
            self.create(challenge_values(**values) if "rounds" not in values else values)
        if state == "racing" and self.challenge.race_slots < 2:
            raise ValueError("a single-slot challenge never races (赛马 needs race_slots > 1)")
        if state == "cancelled":
            self._until("published")
            return self.cancel()
        if state == "failed":
            self._until("published")
            return self.deadline_passes()
        return self._until(state)

    def _until(self, target):
        steps = {
            "draft": lambda: self,
            "pending_review": self.submit_for_review,
            "published": self.approve,
            "closed": self._close_with_an_entry,
            "evaluating": self.open_round,
            "racing": self.finish_round,
            "notice": self._last_rounds,
            "awarded": lambda: self.notice_ends().finalize(),
        }
        while ORDER.index(self.state) < ORDER.index(target):
            current = ORDER.index(self.state)
            following = ORDER[current + 1]
            if following == "racing" and self.challenge.race_slots < 2:
                following = "notice"
            steps[following]()
            if ORDER.index(self.state) <= current:
                raise RuntimeError(f"scenario stuck at {self.state} on the way to {target}")
        if self.state != target:
            raise RuntimeError(f"scenario reached {self.state}, not {target}")
        return self

    def _close_with_an_entry(self):
        if not self.submissions:
            self.enter()
        return self.deadline_passes()

    def _last_rounds(self):
        """Every round not yet published, in order."""
        while self.challenge.state in (S.closed, S.evaluating, S.racing):
            self.finish_round()
            db.session.refresh(self.challenge)
        return self
