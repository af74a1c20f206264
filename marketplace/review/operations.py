"""Evaluation rounds (评审), the horse race (赛马) and the move to the public notice.

Panels are formed by hand or by a seeded random draw from the expert pool; an evaluator signs a
conflict declaration (回避声明) before seeing any entry; sheets are drafts until submitted, then
locked unless the admin returns them; closing a round computes and stores the results once.
"""

import hashlib
import random
import secrets
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

from marketplace.accounts.models import Role, User
from marketplace.audit.operations import record
from marketplace.challenges import operations as challenge_ops
from marketplace.challenges.models import EvaluationRound
from marketplace.challenges.states import ChallengeState, RoundStatus
from marketplace.core.db import utcnow
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.notifications.operations import admins, notify, organisation_users
from marketplace.review import scoring
from marketplace.review.models import DeclaredConflict, EvaluatorDomain, PanelMember, RoundEntry, Score, SheetStatus
from marketplace.submissions.models import Submission, SubmissionState

S = ChallengeState
PANEL_STATES = (S.closed, S.evaluating, S.racing)


def _link(round_):
    return f"/review/rounds/{round_.id}"


def participating_provider_ids(challenge) -> set[int]:
    return set(db.session.scalars(sa.select(Submission.provider_id).where(
        Submission.challenge_id == challenge.id, Submission.state == SubmissionState.submitted)))


def members(round_) -> list[PanelMember]:
    return db.session.scalars(sa.select(PanelMember).where(PanelMember.round_id == round_.id)
                              .order_by(PanelMember.id)).all()


def membership(user, round_) -> PanelMember | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(sa.select(PanelMember).where(
        PanelMember.round_id == round_.id, PanelMember.evaluator_id == user.id))


def require_membership(user, round_) -> PanelMember:
    member = membership(user, round_)
    if member is None:
        raise NotFound()
    return member


def round_entries(round_) -> list[RoundEntry]:
    return db.session.scalars(sa.select(RoundEntry).where(RoundEntry.round_id == round_.id)
                              .order_by(RoundEntry.label)).all()


def _conflicted(member: PanelMember, provider_id: int) -> bool:
    return provider_id in member.conflict_provider_ids or member.evaluator.organisation_id == provider_id


def entries_for(member: PanelMember) -> list[RoundEntry]:
    """The entries this evaluator may see and score: declared or organisational conflicts removed."""
    return [e for e in round_entries(member.round) if not _conflicted(member, e.submission.provider_id)]


# --- the expert pool and the panel ---------------------------------------------------------

def set_expert_domains(actor, evaluator, domains):
    from marketplace.core.domains import DOMAINS

    if evaluator.role != Role.evaluator:
        raise ValidationFailed(fields={"user_id": "只能为评审专家设置专业领域"})
    unknown = [d for d in domains if d not in DOMAINS]
    if unknown:
        raise ValidationFailed(fields={"domains": f"未知的领域“{unknown[0]}”"})
    before = sorted(db.session.scalars(sa.select(EvaluatorDomain.domain).where(EvaluatorDomain.user_id == evaluator.id)))
    db.session.execute(sa.delete(EvaluatorDomain).where(EvaluatorDomain.user_id == evaluator.id))
    db.session.add_all(EvaluatorDomain(user_id=evaluator.id, domain=d) for d in sorted(set(domains)))
    record(actor, "user.expert_domains", evaluator, before={"domains": before}, after={"domains": sorted(set(domains))})


def _check_panel_editable(round_):
    if round_.status != RoundStatus.setup:
        raise Conflict(f"本轮状态为“{round_.status.label}”，不能再调整专家组")
    challenge_ops.close_if_due(round_.challenge)
    if round_.challenge.state not in PANEL_STATES:
        raise Conflict(f"榜单状态为“{round_.challenge.state.label}”，截止后才能组建专家组")


def set_panel(actor, round_, evaluator_ids, *, action="round.panel", extra=None):
    """Form the round's panel by hand. An evaluator from a participating provider is refused (409)."""
    _check_panel_editable(round_)
    ids = list(dict.fromkeys(int(i) for i in evaluator_ids))
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))} if ids else {}
    bad = [i for i in ids if i not in users or users[i].role != Role.evaluator or not users[i].is_active]
    if not ids:
        raise ValidationFailed(fields={"evaluator_ids": "请至少选择一名评审专家"})
    if bad:
        raise ValidationFailed(fields={"evaluator_ids": f"用户 {bad[0]} 不是在岗的评审专家"})
    participating = participating_provider_ids(round_.challenge)
    conflicted = [users[i] for i in ids if users[i].organisation_id in participating]
    if conflicted:
        raise Conflict(f"评审专家“{conflicted[0].name}”属于参与揭榜的服务商单位，须回避，不能进入专家组")
    current = {m.evaluator_id: m for m in members(round_)}
    for evaluator_id, member in current.items():
        if evaluator_id not in ids:
            db.session.delete(member)
    added = []
    for evaluator_id in ids:
        if evaluator_id not in current:
            db.session.add(PanelMember(round_id=round_.id, evaluator_id=evaluator_id))
            added.append(users[evaluator_id])
    record(actor, action, round_, before={"panel": sorted(current)}, after={"panel": sorted(ids), **(extra or {})})
    notify(added, "round.assigned", "您被选入评审专家组",
           f"榜单“{round_.challenge.title}”第 {round_.position} 轮“{round_.name}”。评审开始后请先签署回避声明。",
           link=_link(round_))
    return members(round_)


def draw_panel(actor, round_, *, size, seed=None):
    """专家库随机抽取: a seeded draw from active evaluators of the challenge's domain, conflicts
    excluded. The seed and the candidate list go into the audit log, so the draw can be replayed."""
    _check_panel_editable(round_)
    challenge = round_.challenge
    participating = participating_provider_ids(challenge)
    candidates = sorted(db.session.scalars(
        sa.select(User.id).join(EvaluatorDomain, EvaluatorDomain.user_id == User.id).where(
            User.role == Role.evaluator, User.is_active, EvaluatorDomain.domain == challenge.domain,
            sa.or_(User.organisation_id.is_(None), User.organisation_id.not_in(participating or {-1})))))
    if size < 1:
        raise ValidationFailed(fields={"size": "抽取人数至少为 1"})
    if len(candidates) < size:
        raise Conflict(f"专家库中“{challenge.domain}”领域可抽取的专家只有 {len(candidates)} 名，不足 {size} 名")
    seed = secrets.randbits(48) if seed is None else seed
    chosen = random.Random(seed).sample(candidates, size)
    return set_panel(actor, round_, chosen, action="round.panel_draw",
                     extra={"seed": seed, "candidates": candidates, "size": size}), seed


# --- opening a round -------------------------------------------------------------------------

def _blind_order(round_id, submission_id):
    return hashlib.sha256(f"{round_id}:{submission_id}".encode()).hexdigest()


def _label(index):
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    return letters[index] if index < len(letters) else f"{index + 1}"


def open_round(actor, round_):
    """Open a round: the challenge is closed (first round) or racing/evaluating (later rounds),
    earlier rounds are closed and the panel has at least min_panel evaluators."""
    challenge = round_.challenge
    challenge_ops.close_if_due(challenge)
    if round_.status != RoundStatus.setup:
        raise Conflict(f"本轮状态为“{round_.status.label}”，不能开启")
    earlier = [r for r in challenge.rounds if r.position < round_.position]
    if any(r.status != RoundStatus.closed for r in earlier):
        raise Conflict("上一轮评审尚未结束")
    if challenge.state not in PANEL_STATES:
        raise Conflict(f"榜单状态为“{challenge.state.label}”，不能开启评审")
    panel = members(round_)
    if len(panel) < round_.min_panel:
        raise Conflict(f"专家组只有 {len(panel)} 人，本轮至少需要 {round_.min_panel} 人")
    if earlier:
        previous = earlier[-1]
        submission_ids = [e.submission_id for e in round_entries(previous) if e.advanced]
    else:
        submission_ids = [s.id for s in db.session.scalars(sa.select(Submission).where(
            Submission.challenge_id == challenge.id, Submission.state == SubmissionState.submitted))]
    if not submission_ids:
        raise Conflict("没有可参加本轮评审的方案")
    for index, submission_id in enumerate(sorted(submission_ids, key=lambda sid: _blind_order(round_.id, sid))):
        db.session.add(RoundEntry(round_id=round_.id, submission_id=submission_id, label=_label(index)))
    if challenge.state == S.closed:
        challenge_ops._transition(actor, challenge, "start_evaluation")
    round_.status, round_.opened_at = RoundStatus.open, utcnow()
    record(actor, "round.open", round_, before={"status": RoundStatus.setup},
           after={"status": RoundStatus.open, "entries": sorted(submission_ids), "panel": [m.evaluator_id for m in panel]})
    notify([m.evaluator for m in panel], "round.opened", "评审已开始",
           f"榜单“{challenge.title}”第 {round_.position} 轮“{round_.name}”已开始，请先签署回避声明再评分。", link=_link(round_))
    return round_


# --- the evaluator's declaration and sheet --------------------------------------------------

def _require_open(round_):
    if round_.status != RoundStatus.open:
        raise Conflict(f"本轮状态为“{round_.status.label}”，不能评分")


def sign_declaration(actor, round_, *, conflict_provider_ids):
    """回避声明: signed before seeing any entry; names the providers the evaluator must not score."""
    member = require_membership(actor, round_)
    _require_open(round_)
    if member.declared_at is not None:
        raise Conflict("回避声明已签署，如需更改请联系平台管理员")
    in_round = {e.submission.provider_id for e in round_entries(round_)}
    ids = sorted(set(int(i) for i in conflict_provider_ids))
    unknown = [i for i in ids if i not in in_round]
    if unknown:
        raise ValidationFailed(fields={"conflict_provider_ids": f"服务商 {unknown[0]} 未参加本轮评审"})
    member.conflicts = [DeclaredConflict(provider_id=i) for i in ids]
    member.declared_at = utcnow()
    record(actor, "round.declaration", member, after={"round_id": round_.id, "conflict_provider_ids": ids})
    return member


def require_declared(member):
    if member.declared_at is None:
        raise Conflict("请先签署回避声明，再查看和评审方案", code="declaration_required")


def parse_points(value):
    try:
        points = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not points.is_finite() or points != points.quantize(Decimal("0.01")):
        return None
    return points


def sheet_scores(member) -> dict:
    """{(submission_id, criterion_id): Score} of this member's sheet."""
    rows = db.session.scalars(sa.select(Score).where(Score.member_id == member.id))
    return {(s.submission_id, s.criterion_id): s for s in rows}


def save_sheet(actor, round_, scores):
    """Save a draft of the sheet. Points must lie within [0, max] (422 otherwise)."""
    member = require_membership(actor, round_)
    _require_open(round_)
    require_declared(member)
    if member.sheet_status == SheetStatus.submitted:
        raise Conflict("评分表已提交并锁定；如需修改请联系平台管理员退回")
    allowed = {e.submission_id for e in entries_for(member)}
    criteria = {c.id: c for c in round_.criteria}
    existing = sheet_scores(member)
    errors = {}
    for index, item in enumerate(scores):
        if not isinstance(item, dict):
            errors[f"scores.{index}"] = "评分格式不正确"
            continue
        try:
            submission_id, criterion_id = int(item.get("submission_id")), int(item.get("criterion_id"))
        except (TypeError, ValueError):
            errors[f"scores.{index}"] = "请指明方案和评分项"
            continue
        criterion = criteria.get(criterion_id)
        if submission_id not in allowed:
            errors[f"scores.{index}.submission_id"] = "该方案不在您的评分表中"
            continue
        if criterion is None:
            errors[f"scores.{index}.criterion_id"] = "该评分项不属于本轮"
            continue
        raw = item.get("points")
        if raw in (None, ""):
            continue  # left blank in a draft
        points = parse_points(raw)
        if points is None or points < 0 or points > criterion.max_points:
            errors[f"scores.{index}.points"] = f"“{criterion.name}”的分数应在 0–{criterion.max_points} 之间，最多两位小数"
            continue
        comment = str(item.get("comment") or "").strip()[:2000]
        row = existing.get((submission_id, criterion_id))
        if row is None:
            row = Score(member_id=member.id, submission_id=submission_id, criterion_id=criterion_id,
                        points_centi=0, comment="")
            db.session.add(row)
            existing[(submission_id, criterion_id)] = row
        row.points_centi, row.comment = int(points * 100), comment
    if errors:
        raise ValidationFailed(fields=errors)
    if member.sheet_status == SheetStatus.pending:
        member.sheet_status = SheetStatus.draft
    return member


def sheet_totals(member, entries=None) -> dict:
    """{submission_id: total on 0–100} over the criteria scored so far."""
    scores = sheet_scores(member)
    out = {}
    for entry in entries or entries_for(member):
        points = {c.id: Decimal(scores[(entry.submission_id, c.id)].points_centi) / 100
                  for c in member.round.criteria if (entry.submission_id, c.id) in scores}
        criteria = [(c.id, c.weight, c.max_points) for c in member.round.criteria if c.id in points]
        out[entry.submission_id] = scoring.round2(scoring.evaluator_total(points, criteria))
    return out


def submit_sheet(actor, round_):
    """Submit the sheet: every entry scored on every criterion, comments on extreme scores. Locked."""
    member = require_membership(actor, round_)
    _require_open(round_)
    require_declared(member)
    if member.sheet_status == SheetStatus.submitted:
        raise Conflict("评分表已经提交")
    scores = sheet_scores(member)
    entries = entries_for(member)
    errors = {}
    for entry in entries:
        for criterion in round_.criteria:
            key = f"scores.{entry.submission_id}.{criterion.id}"
            row = scores.get((entry.submission_id, criterion.id))
            if row is None:
                errors[key] = f"方案 {entry.label}“{criterion.name}”尚未评分"
            elif scoring.needs_comment(Decimal(row.points_centi) / 100, criterion.max_points) and not row.comment:
                errors[key] = f"方案 {entry.label}“{criterion.name}”的分数处于最低或最高 10% 区间，请填写评语"
    if errors:
        raise ValidationFailed("评分表不完整，不能提交", fields=errors)
    member.sheet_status, member.submitted_at, member.return_reason = SheetStatus.submitted, utcnow(), None
    record(actor, "round.sheet_submit", member, after={
        "round_id": round_.id, "totals": {str(k): str(v) for k, v in sheet_totals(member, entries).items()},
        "scores": [[s.submission_id, s.criterion_id, s.points_centi] for s in sorted(
            scores.values(), key=lambda s: (s.submission_id, s.criterion_id))]})
    return member


def return_sheet(actor, round_, evaluator_id, *, reason):
    """The admin returns a submitted sheet for correction, with a reason (audited)."""
    if not reason:
        raise ValidationFailed(fields={"reason": "请填写退回理由"})
    _require_open(round_)
    member = db.session.scalar(sa.select(PanelMember).where(
        PanelMember.round_id == round_.id, PanelMember.evaluator_id == evaluator_id))
    if member is None:
        raise NotFound("该专家不在本轮专家组中")
    if member.sheet_status != SheetStatus.submitted:
        raise Conflict("该专家的评分表尚未提交，无需退回")
    member.sheet_status, member.return_reason = SheetStatus.draft, reason
    record(actor, "round.sheet_return", member, before={"sheet_status": SheetStatus.submitted},
           after={"sheet_status": SheetStatus.draft, "reason": reason, "round_id": round_.id})
    notify([member.evaluator], "round.sheet_returned", "评分表被退回修改",
           f"第 {round_.position} 轮“{round_.name}”的评分表被退回。理由：{reason}", link=_link(round_))
    return member


# --- closing a round -------------------------------------------------------------------------

def compute_results(round_, panel, entries):
    """Pure-ish computation over loaded rows: per entry the evaluators' totals, aggregate, spread,
    deviation flags and conflicts; then ranks. Returns (ranked [(rank, RankInput)], notes)."""
    criteria = [(c.id, c.weight, c.max_points) for c in round_.criteria]
    tie = round_.tie_break_criterion
    from marketplace.review.queries import panel_points, preload_round

    preload_round(panel, entries)
    sheets = panel_points(panel)
    inputs, notes = [], set()
    for entry in entries:
        submission = entry.submission
        totals, tie_values, conflicts = {}, {}, []
        for member in panel:
            if _conflicted(member, submission.provider_id):
                conflicts.append(member.evaluator_id)
                continue
            scores = sheets[member.id]
            points = {cid: Decimal(scores[(submission.id, cid)]) / 100 for cid, _, _ in criteria}
            totals[member.evaluator_id] = scoring.evaluator_total(points, criteria)
            tie_values[member.evaluator_id] = scoring.evaluator_total(
                {tie.id: points[tie.id]}, [(tie.id, tie.weight, tie.max_points)])
        if not totals:
            raise Conflict(f"方案 {entry.label} 的所有评审专家均已回避，无法计算结果，请调整专家组")
        agg = scoring.aggregate(list(totals.values()), round_.aggregation.value)
        if agg.note:
            notes.add(agg.note)
        tie_agg = scoring.aggregate(list(tie_values.values()), round_.aggregation.value)
        inputs.append(scoring.RankInput(
            entry_id=entry.id, score=agg.value, tie_break=tie_agg.value, submitted_at=submission.submitted_at,
            extra={
                "evaluator_totals": {str(k): str(scoring.round2(v)) for k, v in totals.items()},
                "spread": str(scoring.round2(scoring.std_dev(list(totals.values())))),
                "flags": [f"评分偏离：专家 {eid}" for eid in scoring.deviations(totals, agg.value)],
                "deviating_evaluators": scoring.deviations(totals, agg.value),
                "conflicts": conflicts, "method": agg.method, "note": agg.note,
                "tie_break": str(scoring.round2(tie_agg.value)),
            }))
    return scoring.rank(inputs), sorted(notes)


def close_round(actor, round_):
    """Close the round: refused while any sheet is outstanding; the results are computed and
    stored once; entries advance; the challenge races or goes to the public notice."""
    from marketplace.notices.operations import publish_notice

    _require_open(round_)
    panel = members(round_)
    outstanding = [m.evaluator.name for m in panel if m.sheet_status != SheetStatus.submitted]
    if outstanding:
        raise Conflict(f"尚有 {len(outstanding)} 名专家未提交评分表：{'、'.join(outstanding)}")
    entries = {e.id: e for e in round_entries(round_)}
    ranked, notes = compute_results(round_, panel, list(entries.values()))
    challenge = round_.challenge
    last = round_.is_last
    if last:
        advancing = {ranked[0][1].entry_id}
    else:
        top = round_.advance_top
        if top is None and round_.position == 1 and challenge.race_slots > 1:
            top = challenge.race_slots
        advancing = set(scoring.advancing(ranked, advance_top=top, threshold=round_.advance_threshold))
    for position, item in ranked:
        entry = entries[item.entry_id]
        entry.score_centi = int(scoring.round2(item.score) * 100)
        entry.rank = position
        entry.advanced = item.entry_id in advancing
        entry.details = item.extra
    round_.status, round_.closed_at = RoundStatus.closed, utcnow()
    round_.results_note = "；".join(notes) or None
    record(actor, "round.close", round_, before={"status": RoundStatus.open}, after={
        "status": RoundStatus.closed, "aggregation": round_.aggregation, "note": round_.results_note,
        "results": [[entries[i.entry_id].submission_id, str(scoring.round2(i.score)), p,
                     i.entry_id in advancing] for p, i in ranked]})
    advanced_subs = [entries[i].submission for i in advancing]
    eliminated_subs = [entries[i.entry_id].submission for _, i in ranked if i.entry_id not in advancing]
    if last:
        publish_notice(actor, challenge, round_, [(p, entries[i.entry_id]) for p, i in ranked])
    else:
        if challenge.race_slots > 1 and challenge.state == S.evaluating:
            challenge_ops._transition(actor, challenge, "start_race")
            title_in, title_out = "入围赛马", "未入围赛马"
            body_in = f"贵单位的方案在“{round_.name}”中入围，进入赛马阶段，请按统一里程碑开展试点。"
        else:
            title_in, title_out = "方案晋级", "方案未晋级"
            body_in = f"贵单位的方案在“{round_.name}”中晋级下一轮评审。"
        for submission in advanced_subs:
            notify(organisation_users(submission.provider_id), "round.advanced", title_in, body_in,
                   link=f"/submissions/{submission.id}")
        for submission in eliminated_subs:
            notify(organisation_users(submission.provider_id), "round.eliminated", title_out,
                   f"贵单位的方案在“{round_.name}”中未晋级。感谢参与。", link=f"/submissions/{submission.id}")
    notify([*organisation_users(challenge.department_id), *admins()], "round.closed", "评审轮次已结束",
           f"榜单“{challenge.title}”第 {round_.position} 轮“{round_.name}”结果已生成。",
           link=f"/rounds/{round_.id}/results")
    return round_


def reopen_last_round(actor, challenge, reason):
    """After an upheld objection: the last round opens again and every sheet returns to draft."""
    round_ = max(challenge.rounds, key=lambda r: r.position)
    before = {"status": round_.status}
    round_.status, round_.closed_at, round_.results_note = RoundStatus.open, None, None
    for entry in round_entries(round_):
        entry.score_centi = entry.rank = entry.advanced = entry.details = None
    panel = members(round_)
    for member in panel:
        member.sheet_status, member.return_reason = SheetStatus.draft, f"异议成立，重新评审：{reason}"
    record(actor, "round.reopen", round_, before=before, after={"status": RoundStatus.open, "reason": reason})
    notify([m.evaluator for m in panel], "round.reopened", "评审重新开启",
           f"榜单“{challenge.title}”的异议成立，第 {round_.position} 轮“{round_.name}”重新评审。理由：{reason}",
           link=_link(round_))
    return round_


def get_round(round_id) -> EvaluationRound:
    round_ = db.session.get(EvaluationRound, round_id)
    if round_ is None:
        raise NotFound()
    return round_
