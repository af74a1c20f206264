"""The public notice (公示), objections (异议) and the award (挂帅)."""

from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app

from marketplace.audit.operations import record
from marketplace.challenges.states import ChallengeState
from marketplace.core.db import utcnow
from marketplace.core.errors import Conflict, NotAllowed, ValidationFailed
from marketplace.core.timeutil import SHANGHAI, format_datetime, to_shanghai
from marketplace.extensions import db
from marketplace.notices import events
from marketplace.notices.models import Notice, Objection, ObjectionState
from marketplace.notices.states import OBJECTION_MACHINE
from marketplace.notices.workdays import add_working_days, parse_dates
from marketplace.submissions import queries as submission_queries
from marketplace.submissions.models import Submission

S = ChallengeState


def notice_end(published_at: datetime, days: int) -> datetime | None:
    """The notice runs through the `days`-th working day after publication (Shanghai dates);
    it ends at 24:00 of that day. 0 days: no fixed end, the admin finalizes."""
    if days == 0:
        return None
    config = current_app.config
    last_day = add_working_days(to_shanghai(published_at).date(), days,
                                parse_dates(config.get("NOTICE_HOLIDAYS", "")),
                                parse_dates(config.get("NOTICE_WORKDAYS", "")))
    return datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=SHANGHAI)


def minimum_notice_end(notice) -> datetime | None:
    """The earliest moment the award may be confirmed under NOTICE_MIN_WORKING_DAYS (24:00 of the
    minimum's last working day after publication); None without a minimum."""
    minimum = current_app.config.get("NOTICE_MIN_WORKING_DAYS", 0) or 0
    return notice_end(notice.published_at, minimum) if minimum > 0 else None


def withdrawn_notice(challenge) -> Notice | None:
    """The last notice, withdrawn after an upheld objection, while the challenge is re-evaluated."""
    if challenge.state != S.evaluating:
        return None
    return db.session.scalar(sa.select(Notice).where(Notice.challenge_id == challenge.id,
                                                     Notice.withdrawn_at.is_not(None))
                             .order_by(Notice.id.desc()).limit(1))


def current_notice(challenge) -> Notice | None:
    return db.session.scalar(sa.select(Notice).where(Notice.challenge_id == challenge.id, Notice.withdrawn_at.is_(None),
                                                     Notice.superseded_at.is_(None))
                             .order_by(Notice.id.desc()).limit(1))


def publish_notice(actor, challenge, round_, ranked_entries):
    """After the last round (the challenge already moved to `notice` by the workflow): ranking and
    proposed winner are published for the notice period. `ranked_entries`: RoundEntry rows, best first."""
    if challenge.state != S.notice:
        raise Conflict(f"榜单状态为“{challenge.state.label}”，不能发布公示")
    now = utcnow()
    ranking = [{"rank": entry.rank, "submission_id": entry.submission_id, "provider_id": entry.submission.provider_id,
                "provider_name": entry.submission.provider.name, "score": f"{entry.score_centi / 100:.2f}"}
               for entry in ranked_entries]
    winner = ranked_entries[0].submission
    notice = Notice(challenge_id=challenge.id, round_id=round_.id, published_at=now,
                    ends_at=notice_end(now, challenge.notice_days), ranking=ranking, winner_submission_id=winner.id)
    db.session.add(notice)
    record(actor, "notice.publish", notice, after={"challenge_id": challenge.id, "winner_submission_id": winner.id,
                                                    "ends_at": notice.ends_at, "ranking": ranking})
    events.notice_published.send(challenge, notice=notice)
    return notice


def notice_open(notice, now=None) -> bool:
    return notice.ends_at is None or (now or utcnow()) < notice.ends_at


def lodge_objection(actor, challenge, *, reason):
    """A participating provider lodges an objection during the notice period."""
    if not reason:
        raise ValidationFailed(fields={"reason": "请填写异议理由"})
    if actor.organisation_id not in submission_queries.live_provider_ids(challenge):
        raise NotAllowed("只有参与揭榜的服务商可以提出异议")
    notice = current_notice(challenge)
    if challenge.state != S.notice or notice is None or not notice_open(notice):
        raise Conflict("不在公示期内，不能提出异议")
    objection = Objection(challenge_id=challenge.id, notice_id=notice.id, provider_id=actor.organisation_id,
                          submitted_by_id=actor.id, reason=reason, state=ObjectionState.pending)
    db.session.add(objection)
    record(actor, "objection.lodge", objection, after={"challenge_id": challenge.id, "state": objection.state})
    events.objection_lodged.send(objection)
    return objection


SCOPES = {"evaluators": "指定专家重新评分", "round": "整轮重新评审"}


def _check_scope(challenge, scope, evaluator_ids, panel_note):
    from marketplace.review.operations import members

    errors = {}
    if scope not in SCOPES:
        errors["scope"] = "请选择重新评审的范围：evaluators（指定专家）或 round（整轮）"
    if not panel_note:
        errors["panel_note"] = "请填写给专家组的说明（仅专家组可见）"
    ids = sorted(set(evaluator_ids or []))
    if scope == "evaluators":
        last = max(challenge.rounds, key=lambda r: r.position)
        panel = {m.evaluator_id for m in members(last)}
        if not ids:
            errors["evaluator_ids"] = "请选择需要重新评分的专家"
        elif any(i not in panel for i in ids):
            errors["evaluator_ids"] = "所选专家不在最后一轮的专家组中"
    if errors:
        raise ValidationFailed(fields=errors)
    return ids if scope == "evaluators" else None


def resolve_objection(actor, objection, *, decision, note, scope=None, evaluator_ids=None, panel_note=None):
    """Dismiss, or uphold. Either way the objector gets the written answer (`note`, public).
    Upheld: the notice is withdrawn; the admin names the scope of the re-evaluation (named
    evaluators, or the whole round) and writes a separate note for the panel only; the workflow
    sends the challenge back to evaluation and reopens the last round."""
    if objection.state != ObjectionState.pending:
        raise Conflict("该异议已处理")
    if decision not in ("dismissed", "upheld"):
        raise ValidationFailed(fields={"decision": "处理结果应为 dismissed（驳回）或 upheld（异议成立）"})
    if not note:
        raise ValidationFailed(fields={"note": "请填写处理说明"})
    challenge = objection.challenge
    if decision == "upheld" and challenge.state != S.notice:
        raise Conflict(f"榜单状态为“{challenge.state.label}”，不能支持异议")
    if decision == "upheld":
        objection.scope = scope
        objection.rescore_evaluator_ids = _check_scope(challenge, scope, evaluator_ids, (panel_note or "").strip())
        objection.panel_note = panel_note.strip()
    objection.state = OBJECTION_MACHINE.target(objection.state, "uphold" if decision == "upheld" else "dismiss")
    objection.resolution_note, objection.resolved_by_id, objection.resolved_at = note, actor.id, utcnow()
    record(actor, f"objection.{decision}", objection, before={"state": ObjectionState.pending},
           after={"state": objection.state, "note": note, "scope": objection.scope,
                  "rescore_evaluator_ids": objection.rescore_evaluator_ids})
    if decision == "upheld":
        notice = current_notice(challenge)
        if notice is not None:
            notice.withdrawn_at = utcnow()
        events.objection_upheld.send(objection, actor=actor)
    else:
        events.objection_dismissed.send(objection)
    return objection


def pending_objections(challenge):
    return db.session.scalars(sa.select(Objection).where(
        Objection.challenge_id == challenge.id, Objection.state == ObjectionState.pending)).all()


def finalize(actor, challenge):
    """挂帅: after the notice period with no objection pending the award is confirmed; the
    workflow awards the challenge and creates the winner's project (stage application)."""
    notice = current_notice(challenge)
    if challenge.state != S.notice or notice is None:
        raise Conflict(f"榜单状态为“{challenge.state.label}”，不能确认挂帅")
    pending = pending_objections(challenge)
    if pending:
        raise Conflict(f"尚有 {len(pending)} 条异议未处理，不能确认挂帅")
    if not (notice.ends_at is None or utcnow() >= notice.ends_at):
        raise Conflict(f"公示期尚未结束（至 {format_datetime(notice.ends_at)}），不能确认挂帅")
    earliest = minimum_notice_end(notice)
    if earliest is not None and utcnow() < earliest:
        minimum = current_app.config["NOTICE_MIN_WORKING_DAYS"]
        last_day = (to_shanghai(earliest) - timedelta(days=1)).date().isoformat()
        raise Conflict(f"公示未满最短公示期 {minimum} 个工作日（至 {last_day} 24:00 止），"
                       f"最早可于 {to_shanghai(earliest).date().isoformat()} 确认挂帅", code="notice_minimum")
    winner = db.session.get(Submission, notice.winner_submission_id)
    events.award_confirmed.send(challenge, actor=actor, notice=notice, winner=winner)
    return challenge


SUBSTITUTE_CAUSES = {"withdrawn": "主动放弃", "disqualified": "被取消资格"}


def substitute_candidate(challenge, notice) -> Submission | None:
    """递补: the entry ranked next after the notice's winner in the final ranking that still
    counts (not withdrawn or excluded). Winners replaced before rank above the current one."""
    ids = [row["submission_id"] for row in notice.ranking]
    if notice.winner_submission_id not in ids:
        return None
    later = ids[ids.index(notice.winner_submission_id) + 1:]
    live = set(db.session.scalars(submission_queries.live_entries_query(challenge.id)
                                  .where(Submission.id.in_(later)).with_only_columns(Submission.id)))
    return next((db.session.get(Submission, i) for i in later if i in live), None)


def withdraw_winner(actor, challenge, *, reason, cause="withdrawn"):
    """递补: the admin records that the awarded winner withdrew or was disqualified before the
    contract. The workflow ends the winner's project (409 once it is past 招标, i.e. contracted),
    sends the challenge back to `notice` and publishes a new notice for the next-ranked entry."""
    if actor is None or actor.role.value != "admin":
        raise NotAllowed("只有平台管理员可以办理递补")
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = "请填写挂帅单位退出或被取消资格的理由"
    if cause not in SUBSTITUTE_CAUSES:
        errors["cause"] = "情形应为 withdrawn（主动放弃）或 disqualified（被取消资格）"
    if errors:
        raise ValidationFailed(fields=errors)
    notice = current_notice(challenge)
    if challenge.state != S.awarded or notice is None:
        raise Conflict(f"榜单状态为“{challenge.state.label}”，只有已挂帅的榜单可以递补")
    withdrawn = db.session.get(Submission, notice.winner_submission_id)
    substitute = substitute_candidate(challenge, notice)
    if substitute is None:
        raise Conflict("最终排名中已没有可递补的候选单位（其余方案已撤回、未计入或已被递补），不能递补")
    record(actor, "notice.withdraw_winner", notice, before={"winner_submission_id": withdrawn.id},
           after={"cause": cause, "reason": reason, "substitute_submission_id": substitute.id})
    events.winner_withdrawn.send(challenge, actor=actor, notice=notice, withdrawn=withdrawn, substitute=substitute,
                                 cause=cause, reason=reason)
    return challenge


def publish_substitute_notice(actor, challenge, previous, substitute, *, cause, reason):
    """递补公示: the challenge is back in `notice` (moved by the workflow); the previous notice is
    superseded and a new one, with the same final ranking, proposes the substitute for the
    challenge's notice period. Objections and the award then work as for any notice."""
    if challenge.state != S.notice:
        raise Conflict(f"榜单状态为“{challenge.state.label}”，不能发布递补公示")
    now = utcnow()
    previous.superseded_at = now
    notice = Notice(challenge_id=challenge.id, round_id=previous.round_id, published_at=now,
                    ends_at=notice_end(now, challenge.notice_days), ranking=previous.ranking,
                    winner_submission_id=substitute.id, replaced_submission_id=previous.winner_submission_id,
                    substitute_cause=cause, substitute_reason=reason)
    db.session.add(notice)
    db.session.flush()
    record(actor, "notice.publish_substitute", notice, after={
        "challenge_id": challenge.id, "winner_submission_id": substitute.id, "ends_at": notice.ends_at,
        "replaced_submission_id": previous.winner_submission_id, "superseded_notice_id": previous.id,
        "cause": cause, "reason": reason})
    return notice


def replaced_submission_ids(challenge) -> set[int]:
    """Entries whose award was withdrawn for a substitute (递补)."""
    return set(db.session.scalars(sa.select(Notice.replaced_submission_id).where(
        Notice.challenge_id == challenge.id, Notice.replaced_submission_id.is_not(None))))


def attach_to_objection(actor, objection, upload):
    """Evidence for an objection, by its provider while it is pending (checked like every upload)."""
    from marketplace.files.operations import store_upload

    if getattr(actor, "organisation_id", None) != objection.provider_id:
        raise NotAllowed("只有提出异议的服务商可以上传证明材料")
    if objection.state != ObjectionState.pending:
        raise Conflict("异议已处理，不能再上传材料")
    stored = store_upload(actor, upload, owner_type="objection", owner_id=objection.id)
    record(actor, "objection.attach", objection, after={"file": stored.name, "sha256": stored.sha256})
    return stored
