"""Posting a challenge (发榜), its review, clarifications (答疑), deadline and cancellation."""

from datetime import timedelta

import sqlalchemy as sa

from marketplace.accounts.models import Role, User
from marketplace.audit.operations import record
from marketplace.challenges import events
from marketplace.challenges.models import (
    Challenge,
    ChallengeDomain,
    ChallengeFollow,
    Criterion,
    EvaluationRound,
    Question,
)
from marketplace.challenges.states import CHALLENGE_MACHINE, Aggregation, ChallengeState
from marketplace.core.db import utcnow
from marketplace.core.domains import DOMAINS
from marketplace.core.errors import Conflict, NotAllowed, ValidationFailed
from marketplace.core.money import yuan_to_fen
from marketplace.core.timeutil import format_datetime
from marketplace.extensions import db
from marketplace.notifications.operations import admins, notify, organisation_users

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


def _link(challenge):
    return f"/challenges/{challenge.id}"


def _check_future(deadline, field="deadline"):
    if deadline <= utcnow() + timedelta(minutes=1):
        raise ValidationFailed(fields={field: "截止时间必须晚于当前时间"})


def _check_domains(domain, required):
    if domain not in DOMAINS:
        raise ValidationFailed(fields={"domain": "请选择有效的场景领域"})
    unknown = [d for d in required if d not in DOMAINS]
    if unknown:
        raise ValidationFailed(fields={"required_domains": f"未知的领域“{unknown[0]}”"})


def _apply_values(challenge, values):
    _check_domains(values["domain"], values["required_domains"])
    _check_future(values["deadline"])
    for key in ("title", "domain", "description", "pain_points", "outcomes", "race_slots",
                "min_submissions", "notice_days", "contact", "deadline"):
        setattr(challenge, key, values[key])
    challenge.budget_fen = yuan_to_fen(values["budget_yuan"])
    challenge.domain_rows = [ChallengeDomain(domain=d) for d in sorted(set(values["required_domains"]))]
    challenge.rounds.clear()
    db.session.flush()
    for position, plan in enumerate(values["rounds"], start=1):
        threshold = plan.get("advance_threshold")
        challenge.rounds.append(EvaluationRound(
            position=position, name=plan["name"], aggregation=Aggregation(plan["aggregation"]),
            advance_top=plan.get("advance_top"), blind=bool(plan.get("blind")),
            advance_threshold_centi=None if threshold is None else yuan_to_fen(threshold),
            min_panel=plan.get("min_panel") or 3, tie_break_position=plan.get("tie_break_position"),
            criteria=[Criterion(position=i, name=c["name"], description=c.get("description") or "",
                                weight=c["weight"], max_points=c["max_points"])
                      for i, c in enumerate(plan["criteria"], start=1)],
        ))


def _plan_summary(challenge):
    return [{"name": r.name, "aggregation": r.aggregation, "blind": r.blind, "advance_top": r.advance_top,
             "criteria": [[c.name, c.weight, c.max_points] for c in r.criteria]} for r in challenge.rounds]


def _content_snapshot(challenge):
    return {"title": challenge.title, "domain": challenge.domain, "budget_fen": challenge.budget_fen,
            "deadline": challenge.deadline, "required_domains": challenge.required_domains,
            "race_slots": challenge.race_slots, "min_submissions": challenge.min_submissions,
            "notice_days": challenge.notice_days, "rounds": _plan_summary(challenge)}


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
    notify(admins(), "challenge.pending_review", "新的榜单待审核",
           f"{challenge.department.name} 提交了榜单“{challenge.title}”。", link=_link(challenge))
    return challenge


def approve_challenge(actor, challenge):
    """Admin approves: the challenge is published (发榜)."""
    if challenge.state == S.pending_review and challenge.deadline_passed():
        raise Conflict("该榜单的截止时间已过，请退回发榜单位修改")
    _transition(actor, challenge, "approve", reason="")
    challenge.published_at = utcnow()
    notify(organisation_users(challenge.department_id), "challenge.approved", "榜单已审核通过并发布",
           f"榜单“{challenge.title}”已公开发布，揭榜截止时间 {format_datetime(challenge.deadline)}。",
           link=_link(challenge))
    events.challenge_published.send(challenge, actor=actor)
    return challenge


def return_challenge(actor, challenge, *, reason):
    if not reason:
        raise ValidationFailed(fields={"reason": "请填写退回理由"})
    _transition(actor, challenge, "return", reason=reason)
    notify(organisation_users(challenge.department_id), "challenge.returned", "榜单被退回修改",
           f"榜单“{challenge.title}”被退回。理由：{reason}", link=_link(challenge))
    return challenge


def entrant_users(challenge):
    """Users of the providers with a live entry."""
    from marketplace.submissions.models import Submission, SubmissionState

    provider_ids = sa.select(Submission.provider_id).where(
        Submission.challenge_id == challenge.id, Submission.state == SubmissionState.submitted)
    return db.session.scalars(sa.select(User).where(User.organisation_id.in_(provider_ids), User.is_active)).all()


def follower_users(challenge):
    return db.session.scalars(
        sa.select(User).join(ChallengeFollow, ChallengeFollow.user_id == User.id)
        .where(ChallengeFollow.challenge_id == challenge.id, User.is_active)
    ).all()


def interested_users(challenge):
    return {u.id: u for u in [*follower_users(challenge), *entrant_users(challenge)]}.values()


def cancel_challenge(actor, challenge, *, reason):
    """撤榜: a published challenge is withdrawn, with a reason; everyone who submitted is told."""
    if not reason:
        raise ValidationFailed(fields={"reason": "请填写撤榜理由"})
    close_if_due(challenge)
    _transition(actor, challenge, "cancel", reason=reason)
    notify([*interested_users(challenge), *organisation_users(challenge.department_id)],
           "challenge.cancelled", "榜单已撤销", f"榜单“{challenge.title}”已撤榜。理由：{reason}", link=_link(challenge))
    return challenge


def extend_deadline(actor, challenge, *, deadline):
    """A deadline may be extended, never shortened, while published (and not yet passed)."""
    close_if_due(challenge)
    if challenge.state != S.published:
        raise Conflict(f"榜单状态为“{challenge.state.label}”，不能延长截止时间")
    if deadline <= challenge.deadline:
        raise ValidationFailed(fields={"deadline": "新的截止时间必须晚于当前截止时间"})
    before = {"deadline": challenge.deadline}
    challenge.deadline = deadline
    challenge.reminder_sent_for = None
    record(actor, "challenge.extend", challenge, before=before, after={"deadline": deadline})
    notify(interested_users(challenge), "challenge.extended", "揭榜截止时间已延长",
           f"榜单“{challenge.title}”的截止时间延长至 {format_datetime(deadline)}（北京时间）。", link=_link(challenge))
    return challenge


def live_submission_count(challenge) -> int:
    from marketplace.submissions.models import Submission, SubmissionState

    return db.session.scalar(sa.select(sa.func.count(Submission.id)).where(
        Submission.challenge_id == challenge.id, Submission.state == SubmissionState.submitted))


def close_if_due(challenge, now=None):
    """At the deadline a published challenge closes (流标 below min_submissions).

    Happens on the first touch after the deadline; a conditional UPDATE makes sure the close is
    recorded exactly once even when several requests race.
    """
    now = now or utcnow()
    if challenge.state != S.published or now < challenge.deadline:
        return False
    claimed = db.session.execute(
        sa.update(Challenge).where(Challenge.id == challenge.id, Challenge.state == S.published)
        .values(state=S.closed, closed_at=now).execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(challenge)
    if claimed != 1:
        return False
    count = live_submission_count(challenge)
    record(None, "challenge.close", challenge, before={"state": S.published},
           after={"state": S.closed, "submissions": count, "deadline": challenge.deadline, "unsealed": True})
    if count < challenge.min_submissions:
        _transition(None, challenge, "fail",
                    reason=f"有效方案 {count} 份，少于最少 {challenge.min_submissions} 份")
        title, body = "榜单流标", f"榜单“{challenge.title}”截止时收到 {count} 份有效方案，少于要求的 {challenge.min_submissions} 份，已流标。"
    else:
        title, body = "榜单已截止", f"榜单“{challenge.title}”已截止，共收到 {count} 份有效方案，进入评审准备。"
    notify([*organisation_users(challenge.department_id), *entrant_users(challenge)],
           "challenge.closed", title, body, link=_link(challenge))
    return True


def close_due_challenges(now=None) -> int:
    """Close every published challenge whose deadline has passed (cheap when there are none)."""
    now = now or utcnow()
    due = db.session.scalars(sa.select(Challenge).where(Challenge.state == S.published,
                                                        Challenge.deadline <= now)).all()
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
    notify(organisation_users(challenge.department_id), "question.asked", "收到新的答疑问题",
           f"榜单“{challenge.title}”收到一个新问题，请及时答复。", link=_link(challenge) + "#clarifications")
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
    asker = db.session.get(User, question.asked_by_id)
    notify([*interested_users(challenge), asker], "question.answered", "答疑有新的答复",
           f"榜单“{challenge.title}”发布了新的答疑答复。", link=_link(challenge) + "#clarifications")
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
        notify([*interested_users(challenge), *organisation_users(challenge.department_id)],
               "challenge.deadline_soon", "揭榜即将截止",
               f"榜单“{challenge.title}”将于 {format_datetime(challenge.deadline)}（北京时间）截止。", link=_link(challenge))
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
