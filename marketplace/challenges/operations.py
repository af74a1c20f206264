"""Posting a challenge (发榜), its review, clarifications (答疑), deadline and cancellation."""

from datetime import timedelta

import sqlalchemy as sa

from marketplace.accounts.models import Role
from marketplace.audit.operations import record
from marketplace.challenges import events
from marketplace.challenges.models import Challenge, ChallengeDomain, ChallengeFollow, Question, RaceMilestone
from marketplace.challenges.states import CHALLENGE_MACHINE, ChallengeState
from marketplace.core.db import utcnow
from marketplace.core.domains import DOMAINS
from marketplace.core.errors import Conflict, NotAllowed, ValidationFailed
from marketplace.core.money import yuan_to_fen
from marketplace.extensions import db

S = ChallengeState


def _snapshot(challenge):
    return {"state": challenge.state, "deadline": challenge.deadline, "reason": challenge.status_reason}


def _transition(actor, challenge, action, *, reason=None):
    before = _snapshot(challenge)
    challenge.state = CHALLENGE_MACHINE.target(challenge.state, action)
    if reason is not None:
        challenge.status_reason = reason
    record(actor, f"challenge.{action}", challenge, before=before, after=_snapshot(challenge))
    return challenge


def _check_future(deadline, field="deadline"):
    if deadline <= utcnow() + timedelta(minutes=1):
        raise ValidationFailed(fields={field: "截止时间必须晚于当前时间"})


def _check_domains(domain, required):
    if domain not in DOMAINS:
        raise ValidationFailed(fields={"domain": "请选择有效的场景领域"})
    unknown = [d for d in required if d not in DOMAINS]
    if unknown:
        raise ValidationFailed(fields={"required_domains": f"未知的领域“{unknown[0]}”"})


def _check_notice_days(days):
    """A fixed notice period is never shorter than the configured minimum (working days); 0 stays
    allowed: the notice is open until the admin finalizes, who must then wait that minimum."""
    from flask import current_app

    minimum = current_app.config.get("NOTICE_MIN_WORKING_DAYS", 0) or 0
    if days and minimum and days < minimum:
        raise ValidationFailed(fields={"notice_days": f"公示期不得少于 {minimum} 个工作日（填 0 表示不设固定期限，"
                                                      f"由管理员确认挂帅，但也须满 {minimum} 个工作日）"})


def _apply_values(challenge, values):
    _check_domains(values["domain"], values["required_domains"])
    _check_future(values["deadline"])
    _check_notice_days(values["notice_days"])
    for key in ("title", "domain", "description", "pain_points", "outcomes", "race_slots",
                "min_submissions", "notice_days", "contact", "deadline"):
        setattr(challenge, key, values[key])
    challenge.budget_fen = yuan_to_fen(values["budget_yuan"])
    _apply_race(challenge, values)
    challenge.domain_rows = [ChallengeDomain(domain=d) for d in sorted(set(values["required_domains"]))]
    db.session.flush()
    # The evaluation plan (rounds, criteria) is review's; the workflow has it written there.
    events.plan_written.send(challenge, plan=values["rounds"])


def _apply_race(challenge, values):
    """The horse race: unified pilot milestones and each racer's pilot budget, required with more
    than one race slot (racers × pilot budget ≤ budget); dropped without a race."""
    if challenge.race_slots <= 1:
        challenge.pilot_budget_fen = None
        challenge.race_milestones.clear()
        return
    rows = values.get("race_milestones") or []
    if not rows:
        raise ValidationFailed(fields={"race_milestones": "赛马名额大于 1 时须设置统一试点里程碑（至少一个）"})
    for index, row in enumerate(rows):
        if not row.get("title") or not isinstance(row.get("due_days"), int) or not 1 <= row["due_days"] <= 730:
            raise ValidationFailed(fields={f"race_milestones-{index}": "里程碑须有名称和 1–730 的到期天数"})
    pilot = values.get("pilot_budget_yuan")
    if pilot is None:
        raise ValidationFailed(fields={"pilot_budget_yuan": "赛马名额大于 1 时须填写每个团队的试点经费"})
    pilot_fen = yuan_to_fen(pilot)
    if pilot_fen * challenge.race_slots > challenge.budget_fen:
        raise ValidationFailed(fields={"pilot_budget_yuan": f"试点经费 × 赛马名额（{challenge.race_slots}）不能超过预算"})
    challenge.pilot_budget_fen = pilot_fen
    # Old rows go first: the new ones reuse their positions (unique per challenge).
    challenge.race_milestones.clear()
    db.session.flush()
    challenge.race_milestones.extend(
        RaceMilestone(position=i + 1, title=row["title"], due_days=row["due_days"], evidence=row.get("evidence") or "")
        for i, row in enumerate(rows))


def _plan_summary(challenge):
    return [{"name": r.name, "aggregation": r.aggregation, "blind": r.blind, "advance_top": r.advance_top,
             "criteria": [[c.name, c.weight, c.max_points] for c in r.criteria]} for r in challenge.rounds]


def _content_snapshot(challenge):
    return {"title": challenge.title, "domain": challenge.domain, "budget_fen": challenge.budget_fen,
            "deadline": challenge.deadline, "required_domains": challenge.required_domains,
            "race_slots": challenge.race_slots, "min_submissions": challenge.min_submissions,
            "notice_days": challenge.notice_days, "rounds": _plan_summary(challenge),
            "pilot_budget_fen": challenge.pilot_budget_fen,
            "race_milestones": [[m.title, m.due_days, m.evidence] for m in challenge.race_milestones]}


def create_challenge(actor, values):
    """A department drafts a challenge with its evaluation plan; it starts as a draft."""
    if actor.role != Role.department or actor.organisation_id is None:
        raise NotAllowed("只有发榜单位用户可以发布榜单")
    challenge = Challenge(department_id=actor.organisation_id, created_by_id=actor.id, state=S.draft)
    db.session.add(challenge)
    _apply_values(challenge, values)
    record(actor, "challenge.create", challenge, after=_content_snapshot(challenge))
    return challenge


def update_challenge(actor, challenge, values):
    """Edit while a draft (including after it was returned)."""
    if challenge.state != S.draft:
        raise Conflict(f"榜单状态为“{challenge.state.label}”，只有草稿可以修改")
    before = _content_snapshot(challenge)
    _apply_values(challenge, values)
    record(actor, "challenge.update", challenge, before=before, after=_content_snapshot(challenge))
    return challenge


def submit_for_review(actor, challenge):
    if challenge.state == S.draft and challenge.deadline_passed():
        raise Conflict("截止时间已过，请先修改截止时间再提交审核")
    _transition(actor, challenge, "submit_for_review", reason="")
    events.submitted_for_review.send(challenge, actor=actor)
    return challenge


def approve_challenge(actor, challenge):
    """Admin approves: the challenge is published (发榜)."""
    if challenge.state == S.pending_review and challenge.deadline_passed():
        raise Conflict("该榜单的截止时间已过，请退回发榜单位修改")
    _transition(actor, challenge, "approve", reason="")
    challenge.published_at = utcnow()
    events.approved.send(challenge, actor=actor)
    return challenge


def return_challenge(actor, challenge, *, reason):
    if not reason:
        raise ValidationFailed(fields={"reason": "请填写退回理由"})
    _transition(actor, challenge, "return", reason=reason)
    events.returned.send(challenge, actor=actor, reason=reason)
    return challenge


def cancel_challenge(actor, challenge, *, reason):
    """撤榜: a published challenge is withdrawn, with a reason; everyone who submitted is told."""
    if not reason:
        raise ValidationFailed(fields={"reason": "请填写撤榜理由"})
    lock_challenge(challenge)  # entries being written finish first, so their providers are told
    close_if_due(challenge)
    _transition(actor, challenge, "cancel", reason=reason)
    events.cancelled.send(challenge, actor=actor, reason=reason)
    return challenge


def extend_deadline(actor, challenge, *, deadline):
    """A deadline may be extended, never shortened, while published (and not yet passed)."""
    lock_challenge(challenge)
    close_if_due(challenge)
    if challenge.state != S.published:
        raise Conflict(f"榜单状态为“{challenge.state.label}”，不能延长截止时间")
    if deadline <= challenge.deadline:
        raise ValidationFailed(fields={"deadline": "新的截止时间必须晚于当前截止时间"})
    before = {"deadline": challenge.deadline}
    challenge.deadline = deadline
    challenge.reminder_sent_for = None
    record(actor, "challenge.extend", challenge, before=before, after={"deadline": deadline})
    events.deadline_extended.send(challenge, actor=actor)
    return challenge


def lock_challenge(challenge):
    """Hold the challenge row (`SELECT … FOR UPDATE`) until the transaction ends, and reload it.

    Every entry write and the close take this lock first, before anything else in their
    transaction (in particular before the audit head lock), so they run one after the other: a
    close counts every entry accepted before it, and no entry is accepted after it. Re-check the
    state and the deadline after calling this. A no-op lock on SQLite, where writers are
    serialised by the database anyway.
    """
    db.session.execute(sa.select(Challenge).where(Challenge.id == challenge.id).with_for_update()
                       .execution_options(populate_existing=True))
    return challenge


def close_if_due(challenge, now=None):
    """At the deadline a published challenge closes (the workflow then fails it below min_submissions).

    Happens on the first touch after the deadline. The close holds the challenge row lock that
    entry writes take (`lock_challenge`), so the count includes every entry with a receipt; a
    conditional UPDATE also makes sure the close is recorded exactly once.
    """
    now = now or utcnow()
    if challenge.state != S.published or now < challenge.deadline:
        return False
    lock_challenge(challenge)
    if challenge.state != S.published or now < challenge.deadline:
        return False
    claimed = db.session.execute(
        sa.update(Challenge).where(Challenge.id == challenge.id, Challenge.state == S.published)
        .values(state=S.closed, closed_at=now).execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(challenge)
    if claimed != 1:
        return False
    record(None, "challenge.close", challenge, before={"state": S.published},
           after={"state": S.closed, "deadline": challenge.deadline, "unsealed": True})
    events.challenge_closed.send(challenge)
    return True


def fail_challenge(challenge, *, count):
    """流标: closed with fewer live entries than the challenge asked for (decided by the workflow)."""
    return _transition(None, challenge, "fail", reason=f"有效方案 {count} 份，少于最少 {challenge.min_submissions} 份")


def start_evaluation(actor, challenge):
    return _transition(actor, challenge, "start_evaluation")


def start_race(actor, challenge):
    return _transition(actor, challenge, "start_race")


def open_notice(actor, challenge):
    return _transition(actor, challenge, "publish_notice")


def reopen_evaluation(actor, challenge, *, reason):
    """An objection was upheld: the challenge goes back to evaluation."""
    return _transition(actor, challenge, "uphold_objection", reason=reason)


def award(actor, challenge):
    return _transition(actor, challenge, "award")


def reopen_notice(actor, challenge, *, reason):
    """递补: the winner withdrew or was disqualified before the contract; the challenge goes back
    to `notice` for the next-ranked entry (decided by the workflow)."""
    return _transition(actor, challenge, "substitute", reason=reason)


def close_due_challenges(now=None) -> int:
    """Close every published challenge whose deadline has passed (cheap when there are none)."""
    now = now or utcnow()
    due_ids = db.session.scalars(sa.select(Challenge.id).where(Challenge.state == S.published,
                                                               Challenge.deadline <= now)).all()
    if not due_ids:
        return 0
    # Lock them all, in id order, before the first close writes to the audit chain: holding the
    # audit head while waiting for another challenge's row (held by an entry write that waits
    # for the audit head) would deadlock.
    due = db.session.scalars(sa.select(Challenge).where(Challenge.id.in_(due_ids)).order_by(Challenge.id)
                             .with_for_update().execution_options(populate_existing=True)).all()
    return sum(1 for challenge in due if close_if_due(challenge, now))


def follow_challenge(actor, challenge, follow=True):
    existing = db.session.get(ChallengeFollow, (challenge.id, actor.id))
    if follow and existing is None:
        db.session.add(ChallengeFollow(challenge_id=challenge.id, user_id=actor.id))
    elif not follow and existing is not None:
        db.session.delete(existing)


def ask_question(actor, challenge, *, text):
    """A provider asks a clarification question while the challenge is open."""
    close_if_due(challenge)
    if actor.role != Role.provider:
        raise NotAllowed("只有服务商可以提问")
    if challenge.state != S.published:
        raise Conflict("榜单已不在征集期，不能再提问")
    question = Question(challenge_id=challenge.id, asked_by_id=actor.id, text=text)
    db.session.add(question)
    follow_challenge(actor, challenge)
    record(actor, "question.ask", question, after={"challenge_id": challenge.id})
    events.question_asked.send(challenge, question=question)
    return question


def answer_question(actor, question, *, text):
    """The department answers; the answer is published to every interested provider, the asker
    never named."""
    challenge = question.challenge
    if question.answer is not None:
        raise Conflict("该问题已经答复")
    if challenge.state not in (S.published, S.closed, S.failed, S.evaluating):
        raise Conflict(f"榜单状态为“{challenge.state.label}”，不能答复")
    question.answer, question.answered_by_id, question.answered_at = text, actor.id, utcnow()
    record(actor, "question.answer", question, after={"challenge_id": challenge.id})
    events.question_answered.send(challenge, question=question)
    return question


def remind_due(now=None) -> int:
    """Tell followers and entrants when a deadline is within 24 hours (once per deadline)."""
    now = now or utcnow()
    due = db.session.scalars(sa.select(Challenge).where(
        Challenge.state == S.published, Challenge.deadline > now, Challenge.deadline <= now + timedelta(hours=24),
    )).all()
    sent = 0
    for challenge in due:
        if challenge.reminder_sent_for == challenge.deadline:
            continue
        challenge.reminder_sent_for = challenge.deadline
        events.deadline_soon.send(challenge)
        sent += 1
    return sent


DOCUMENT_STATES = (S.draft, S.published)


def attach_document(actor, challenge, upload):
    """Attach a document to the challenge while it is a draft, or published before its deadline."""
    close_if_due(challenge)
    if challenge.state not in DOCUMENT_STATES:
        raise Conflict(f"榜单状态为“{challenge.state.label}”，不能再添加附件")
    from marketplace.files.operations import store_upload

    stored = store_upload(actor, upload, owner_type="challenge", owner_id=challenge.id)
    record(actor, "challenge.attach", challenge, after={"file": stored.name, "sha256": stored.sha256})
    return stored


def remove_document(actor, challenge, stored):
    close_if_due(challenge)
    if challenge.state not in DOCUMENT_STATES:
        raise Conflict(f"榜单状态为“{challenge.state.label}”，不能删除附件")
    from marketplace.files.operations import remove_file

    remove_file(actor, stored)
    record(actor, "challenge.detach", challenge, before={"file": stored.name, "sha256": stored.sha256})
