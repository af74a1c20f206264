"""Evaluation rounds (评审), the horse race (赛马) and the move to the public notice.

Panels are formed by hand or by a seeded random draw from the expert pool; an evaluator signs a
conflict declaration (回避声明) before seeing any entry; sheets are drafts until submitted, then
locked unless the admin returns them; closing a round computes and stores the results once.
"""

import hashlib
import json
import random
import secrets
from datetime import timedelta
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

from marketplace.accounts.models import Role, User
from marketplace.audit.operations import record
from marketplace.challenges import operations as challenge_ops
from marketplace.challenges.states import ChallengeState
from marketplace.core.db import utcnow
from marketplace.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from marketplace.core.money import yuan_to_fen
from marketplace.core.timeutil import format_datetime
from marketplace.extensions import db
from marketplace.review import events, scoring
from marketplace.review.models import (
    Criterion,
    DeclaredConflict,
    EntryMetric,
    EvaluationRound,
    EvaluatorDomain,
    MetricCheck,
    PanelDraw,
    PanelMember,
    RoundEntry,
    Score,
)
from marketplace.review.states import ROUND_MACHINE, SHEET_MACHINE, Aggregation, RoundStatus, SheetStatus
from marketplace.submissions import queries as submission_queries

S = ChallengeState
PANEL_STATES = (S.closed, S.evaluating, S.racing)


def participating_provider_ids(challenge) -> set[int]:
    return submission_queries.live_provider_ids(challenge)


def _move_round(round_, action):
    round_.status = ROUND_MACHINE.target(round_.status, action)


def _move_sheet(member, action):
    member.sheet_status = SHEET_MACHINE.target(member.sheet_status, action)


# --- the evaluation plan (written when the challenge is drafted or edited) --------------------

def write_plan(challenge, plan):
    """The rounds and criteria of a challenge, from the challenge form's plan (already checked).

    Once a round has left setup (scoring started) its criteria are frozen: the plan is not rewritten.
    """
    started = [r.name for r in challenge.rounds if r.status != RoundStatus.setup]
    if started:
        raise Conflict(f"“{started[0]}”已开始评审，评分项已冻结，不能修改评审方案")
    challenge.rounds.clear()
    db.session.flush()
    for position, values in enumerate(plan, start=1):
        threshold = values.get("advance_threshold")
        challenge.rounds.append(EvaluationRound(
            position=position, name=values["name"], aggregation=Aggregation(values["aggregation"]),
            advance_top=values.get("advance_top"), blind=bool(values.get("blind")),
            advance_threshold_centi=None if threshold is None else yuan_to_fen(threshold),
            min_panel=values.get("min_panel") or 3, tie_break_position=values.get("tie_break_position"),
            normalise=bool(values.get("normalise")), template_id=values.get("template_id"),
            criteria=[Criterion(position=i, name=c["name"], description=c.get("description") or "",
                                weight=c["weight"], max_points=c["max_points"], kind=c.get("kind") or "judged",
                                formula=c.get("formula") if c.get("kind") == "metric" else None,
                                guidance=c.get("guidance") or None)
                      for i, c in enumerate(values["criteria"], start=1)],
        ))


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
    events.panel_assigned.send(round_, added=added)
    return members(round_)


def panel_draws(round_):
    return db.session.scalars(sa.select(PanelDraw).where(PanelDraw.round_id == round_.id)
                              .order_by(PanelDraw.id)).all()


def draw_panel(actor, round_, *, size, seed=None, reason=""):
    """专家库随机抽取: a seeded draw from active evaluators of the challenge's domain, conflicts
    excluded. Never below the round's panel minimum (a pool that small is refused, saying how many
    could be drawn). A redraw — after an earlier draw, or over a panel already formed — needs a
    reason; the draw it replaces stays on record. The seed, the candidates and the members go into
    the draw record and the audit log, so every draw can be replayed."""
    _check_panel_editable(round_)
    challenge = round_.challenge
    participating = participating_provider_ids(challenge)
    candidates = sorted(db.session.scalars(
        sa.select(User.id).join(EvaluatorDomain, EvaluatorDomain.user_id == User.id).where(
            User.role == Role.evaluator, User.is_active, EvaluatorDomain.domain == challenge.domain,
            sa.or_(User.organisation_id.is_(None), User.organisation_id.not_in(participating or {-1})))))
    if size < 1:
        raise ValidationFailed(fields={"size": "抽取人数至少为 1"})
    if len(candidates) < round_.min_panel:
        raise Conflict(f"专家库中“{challenge.domain}”领域可抽取的专家只有 {len(candidates)} 名，"
                       f"少于本轮专家组最少人数 {round_.min_panel} 名，不能随机抽取；请先补充专家库")
    if size < round_.min_panel:
        raise ValidationFailed(fields={"size": f"抽取人数不能少于本轮专家组最少人数 {round_.min_panel} 名"
                                               f"（专家库可抽取 {len(candidates)} 名）"})
    if len(candidates) < size:
        raise Conflict(f"专家库中“{challenge.domain}”领域可抽取的专家只有 {len(candidates)} 名，不足 {size} 名")
    previous = sorted(m.evaluator_id for m in members(round_))
    redraw = bool(previous) or bool(panel_draws(round_))
    reason = (reason or "").strip()
    if redraw and not reason:
        raise ValidationFailed(fields={"reason": "重新抽取须说明理由（原抽取结果将保留备查）"})
    seed = secrets.randbits(48) if seed is None else seed
    chosen = random.Random(seed).sample(candidates, size)
    draw = PanelDraw(round_id=round_.id, seed=seed, size=size, candidates=candidates, members=sorted(chosen),
                     previous_members=previous, reason=reason, drawn_by_id=getattr(actor, "id", None),
                     drawn_at=utcnow())
    db.session.add(draw)
    db.session.flush()
    extra = {"seed": seed, "candidates": candidates, "size": size, "draw_id": draw.id}
    if redraw:
        extra.update({"redraw": True, "reason": reason})
    return set_panel(actor, round_, chosen, action="round.panel_draw", extra=extra), seed


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
        submission_ids = [s.id for s in submission_queries.live_entries(challenge)]
    if not submission_ids:
        raise Conflict("没有可参加本轮评审的方案")
    for index, submission_id in enumerate(sorted(submission_ids, key=lambda sid: _blind_order(round_.id, sid))):
        db.session.add(RoundEntry(round_id=round_.id, submission_id=submission_id, label=_label(index)))
    _move_round(round_, "open")
    round_.opened_at = utcnow()
    record(actor, "round.open", round_, before={"status": RoundStatus.setup},
           after={"status": RoundStatus.open, "entries": sorted(submission_ids), "panel": [m.evaluator_id for m in panel]})
    events.round_opened.send(round_, actor=actor)
    return round_


# --- the evaluator's declaration and sheet --------------------------------------------------

def _require_open(round_):
    if round_.status != RoundStatus.open:
        raise Conflict(f"本轮状态为“{round_.status.label}”，不能评分")


def earlier_conflicts(member) -> set[int]:
    """Providers this evaluator declared a conflict with in an earlier round of the same challenge:
    a conflict, once declared, holds for the whole challenge."""
    round_ = member.round
    return set(db.session.scalars(
        sa.select(DeclaredConflict.provider_id)
        .join(PanelMember, PanelMember.id == DeclaredConflict.member_id)
        .join(EvaluationRound, EvaluationRound.id == PanelMember.round_id)
        .where(PanelMember.evaluator_id == member.evaluator_id, EvaluationRound.challenge_id == round_.challenge_id,
               EvaluationRound.position < round_.position)))


def sign_declaration(actor, round_, *, conflict_provider_ids):
    """回避声明: signed before seeing any entry; names the providers the evaluator must not score.
    Conflicts declared in earlier rounds of the challenge are kept: a declaration may add, never drop."""
    member = require_membership(actor, round_)
    _require_open(round_)
    if member.declared_at is not None:
        raise Conflict("回避声明已签署，如需更改请联系平台管理员")
    in_round = {e.submission.provider_id for e in round_entries(round_)}
    carried = earlier_conflicts(member)
    ids = sorted(set(int(i) for i in conflict_provider_ids))
    unknown = [i for i in ids if i not in in_round and i not in carried]
    if unknown:
        raise ValidationFailed(fields={"conflict_provider_ids": f"服务商 {unknown[0]} 未参加本轮评审"})
    ids = sorted(set(ids) | carried)
    member.conflicts = [DeclaredConflict(provider_id=i) for i in ids]
    member.declared_at = utcnow()
    record(actor, "round.declaration", member, after={"round_id": round_.id, "conflict_provider_ids": ids,
                                                       "carried": sorted(carried)})
    return member


def conflicted_with_all(member) -> bool:
    """Declared, and conflicted with every entry of the round: nothing to score, done for the round."""
    return member.declared_at is not None and not entries_for(member)


def sheet_done(member) -> bool:
    return member.sheet_status == SheetStatus.submitted or conflicted_with_all(member)


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


VERDICTS = {"plausible": "数值可信", "doubtful": "存疑"}


def metric_checks(member) -> dict:
    """{(submission_id, criterion_id): MetricCheck} of this member's sheet."""
    return panel_metric_checks([member])[member.id]


def panel_metric_checks(panel) -> dict:
    """{member_id: {(submission_id, criterion_id): MetricCheck}} for the whole panel, one query."""
    out = {m.id: {} for m in panel}
    rows = db.session.scalars(sa.select(MetricCheck).where(MetricCheck.member_id.in_(list(out))))
    for c in rows:
        out[c.member_id][(c.submission_id, c.criterion_id)] = c
    return out


def round_metric_criteria(round_):
    return [c for c in round_.criteria if c.kind == "metric"]


def declared_values(round_, entries) -> dict:
    """{(submission_id, criterion_id): declared value text} of the round's metric criteria."""
    ids = [c.id for c in round_metric_criteria(round_)]
    if not ids:
        return {}
    rows = db.session.scalars(sa.select(EntryMetric).where(
        EntryMetric.submission_id.in_([e.submission_id for e in entries]), EntryMetric.criterion_id.in_(ids)))
    return {(m.submission_id, m.criterion_id): m.value for m in rows}


def _save_checks(member, round_, checks, errors):
    """The evaluator's plausibility checks of the declared metric values: 数值可信, or 存疑 with a
    note. Blank verdicts are left open in a draft."""
    allowed = {e.submission_id for e in entries_for(member)}
    criteria = {c.id: c for c in round_metric_criteria(round_)}
    existing = metric_checks(member)
    for index, item in enumerate(checks):
        key = f"metric_checks.{index}"
        if not isinstance(item, dict):
            errors[key] = "指标核验格式不正确"
            continue
        try:
            submission_id, criterion_id = int(item.get("submission_id")), int(item.get("criterion_id"))
        except (TypeError, ValueError):
            errors[key] = "请指明方案和指标"
            continue
        if submission_id not in allowed:
            errors[f"{key}.submission_id"] = "该方案不在您的评分表中"
            continue
        criterion = criteria.get(criterion_id)
        if criterion is None:
            errors[f"{key}.criterion_id"] = "该评分项不是本轮的指标类评分项"
            continue
        verdict = item.get("verdict") or ""
        if verdict == "":
            continue
        if verdict not in VERDICTS:
            errors[f"{key}.verdict"] = f"“{criterion.name}”的核验结果应为 plausible（数值可信）或 doubtful（存疑）"
            continue
        note = str(item.get("note") or "").strip()[:2000]
        if verdict == "doubtful" and not note:
            errors[f"{key}.note"] = f"“{criterion.name}”标记存疑时请写明理由"
            continue
        row = existing.get((submission_id, criterion_id))
        if row is None:
            row = MetricCheck(member_id=member.id, submission_id=submission_id, criterion_id=criterion_id)
            db.session.add(row)
            existing[(submission_id, criterion_id)] = row
        row.verdict, row.note = verdict, note


def save_sheet(actor, round_, scores, checks=()):
    """Save a draft of the sheet. Points must lie within [0, max] (422 otherwise). `checks`: the
    plausibility checks of declared metric values ({submission_id, criterion_id, verdict, note})."""
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
        if criterion.computed:
            errors[f"scores.{index}.criterion_id"] = f"“{criterion.name}”{COMPUTED_LABEL[criterion.kind]}，无需评分"
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
    if checks:
        _save_checks(member, round_, checks, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    _move_sheet(member, "save")
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
        for criterion in judged_criteria(round_):
            key = f"scores.{entry.submission_id}.{criterion.id}"
            row = scores.get((entry.submission_id, criterion.id))
            if row is None:
                errors[key] = f"方案 {entry.label}“{criterion.name}”尚未评分"
            elif scoring.needs_comment(Decimal(row.points_centi) / 100, criterion.max_points) and not row.comment:
                errors[key] = f"方案 {entry.label}“{criterion.name}”的分数处于最低或最高 10% 区间，请填写评语"
    checks = metric_checks(member)
    for entry in entries:
        for criterion in round_metric_criteria(round_):
            if (entry.submission_id, criterion.id) not in checks:
                errors[f"metric_checks.{entry.submission_id}.{criterion.id}"] = (
                    f"方案 {entry.label}“{criterion.name}”的申报值尚未核验（数值可信 / 存疑）")
    if errors:
        raise ValidationFailed("评分表不完整，不能提交", fields=errors)
    _move_sheet(member, "submit")
    member.submitted_at, member.return_reason = utcnow(), None
    record(actor, "round.sheet_submit", member, after={
        "round_id": round_.id, "totals": {str(k): str(v) for k, v in sheet_totals(member, entries).items()},
        "scores": [[s.submission_id, s.criterion_id, s.points_centi] for s in sorted(
            scores.values(), key=lambda s: (s.submission_id, s.criterion_id))],
        **({"metric_checks": [[c.submission_id, c.criterion_id, c.verdict, c.note] for c in sorted(
            checks.values(), key=lambda c: (c.submission_id, c.criterion_id))]} if checks else {})})
    return member


def return_sheet(actor, round_, evaluator_id, *, reason):
    """The admin returns a submitted sheet for correction, with a reason (audited)."""
    if not reason:
        raise ValidationFailed(fields={"reason": "请填写退回理由"})
    if round_.status not in (RoundStatus.open, RoundStatus.review):
        raise Conflict(f"本轮状态为“{round_.status.label}”，不能退回评分表")
    member = db.session.scalar(sa.select(PanelMember).where(
        PanelMember.round_id == round_.id, PanelMember.evaluator_id == evaluator_id))
    if member is None:
        raise NotFound("该专家不在本轮专家组中")
    if member.sheet_status != SheetStatus.submitted:
        raise Conflict("该专家的评分表尚未提交，无需退回")
    _move_sheet(member, "return")
    member.return_reason = reason
    if round_.status == RoundStatus.review:
        # The results under review are void: the round goes back to scoring.
        _move_round(round_, "return_sheet")
        _clear_results(round_)
    record(actor, "round.sheet_return", member, before={"sheet_status": SheetStatus.submitted},
           after={"sheet_status": SheetStatus.draft, "reason": reason, "round_id": round_.id,
                  "round_status": round_.status})
    events.sheet_returned.send(member, reason=reason)
    return member


# --- reminders (催办) ------------------------------------------------------------------------

def _config(name, default):
    from flask import current_app

    return current_app.config.get(name, default)


def scoring_due_at(round_):
    """评分期限: REVIEW_SCORING_DAYS after the round opened; None before it opens."""
    if round_.opened_at is None:
        return None
    return round_.opened_at + timedelta(days=_config("REVIEW_SCORING_DAYS", 7))


def owes(member, round_=None) -> str | None:
    """What a panel member still owes the round: "sheet" while scoring (the declaration and the
    sheet), "report" under review (a signature on the report), None when nothing."""
    round_ = round_ or member.round
    if round_.status == RoundStatus.open and not sheet_done(member):
        return "sheet"
    if round_.status == RoundStatus.review and member.report_signed_at is None:
        return "report"
    return None


def remind_evaluators(actor, round_, evaluator_ids):
    """The admin reminds (催办) panel members who still owe the round their sheet (while scoring)
    or their signature on the report (under review). Anyone else named is refused, and nobody is
    reminded twice for the same round within REMIND_INTERVAL_HOURS."""
    if getattr(actor, "role", None) != Role.admin:
        raise NotAllowed("只有平台管理员可以提醒评审专家")
    if round_.status not in (RoundStatus.open, RoundStatus.review):
        raise Conflict(f"本轮状态为“{round_.status.label}”，无需提醒专家")
    try:
        ids = list(dict.fromkeys(int(i) for i in evaluator_ids or []))
    except (TypeError, ValueError):
        raise ValidationFailed(fields={"evaluator_ids": "请选择要提醒的专家"}) from None
    if not ids:
        raise ValidationFailed(fields={"evaluator_ids": "请选择要提醒的专家"})
    panel = {m.evaluator_id: m for m in members(round_)}
    chosen = []
    for evaluator_id in ids:
        member = panel.get(evaluator_id)
        if member is None:
            raise ValidationFailed(fields={"evaluator_ids": f"用户 {evaluator_id} 不在本轮专家组中"})
        if owes(member, round_) is None:
            done = "已提交评分表" if round_.status == RoundStatus.open else "已签署评审报告"
            raise ValidationFailed(fields={"evaluator_ids": f"专家“{member.evaluator.name}”{done}，无需提醒"})
        chosen.append(member)
    hours = _config("REMIND_INTERVAL_HOURS", 12)
    now = utcnow()
    recent = [m for m in chosen if m.reminded_at is not None and now - m.reminded_at < timedelta(hours=hours)]
    if recent:
        raise Conflict(f"已于 {format_datetime(recent[0].reminded_at)} 提醒过专家“{recent[0].evaluator.name}”，"
                       f"{hours} 小时内不再重复提醒")
    owed = "sheet" if round_.status == RoundStatus.open else "report"
    before = {str(m.evaluator_id): m.reminded_at.isoformat() if m.reminded_at else None for m in chosen}
    for member in chosen:
        member.reminded_at = now
    due_at = scoring_due_at(round_) if owed == "sheet" else None
    record(actor, "round.remind", round_, before={"reminded_at": before}, after={
        "evaluator_ids": [m.evaluator_id for m in chosen], "owed": owed,
        "due_at": due_at.isoformat() if due_at else None})
    events.evaluators_reminded.send(round_, evaluators=[m.evaluator for m in chosen], owed=owed, due_at=due_at)
    return chosen


# --- computed criteria (price, metric) --------------------------------------------------------

COMPUTED_LABEL = {"price": "按报价自动计算", "metric": "按申报指标自动计算"}


def judged_criteria(round_):
    return [c for c in round_.criteria if not c.computed]


def metric_criteria(challenge):
    return [c for r in challenge.rounds for c in r.criteria if c.kind == "metric"]


def declared_metrics(submission) -> dict:
    """{criterion_id: value text} the provider declared for this entry."""
    rows = db.session.scalars(sa.select(EntryMetric).where(EntryMetric.submission_id == submission.id))
    return {m.criterion_id: m.value for m in rows}


def declare_metrics(actor, submission, values):
    """The provider's declared metric values (e.g. designed PUE) for the challenge's metric criteria.
    Called with the entry write, under the same checks (the entry operation ran first)."""
    criteria = {c.id: c for c in metric_criteria(submission.challenge)}
    errors, clean = {}, {}
    for key, raw in (values or {}).items():
        try:
            criterion = criteria.get(int(key))
        except (TypeError, ValueError):
            criterion = None
        if criterion is None:
            errors[f"metrics.{key}"] = "该指标不属于本榜单的评审方案"
            continue
        if raw in (None, ""):
            continue
        value = parse_points(raw) if not isinstance(raw, bool) else None
        if value is None or abs(value) >= Decimal("1e12"):
            errors[f"metrics.{key}"] = f"“{criterion.name}”应为数字，最多两位小数"
            continue
        clean[criterion.id] = str(value)
    if errors:
        raise ValidationFailed(fields=errors)
    before = declared_metrics(submission)
    for criterion_id, value in clean.items():
        row = db.session.get(EntryMetric, (submission.id, criterion_id))
        if row is None:
            db.session.add(EntryMetric(submission_id=submission.id, criterion_id=criterion_id, value=value))
        else:
            row.value, row.declared_at = value, utcnow()
    db.session.flush()
    if clean != {k: v for k, v in before.items() if k in clean}:
        record(actor, "entry.metrics", submission, before={str(k): v for k, v in before.items()},
               after={str(k): v for k, v in declared_metrics(submission).items()})
    return declared_metrics(submission)


def computed_points(round_, entries):
    """({(submission_id, criterion_id): points}, {criterion_id: how}) for the round's price and metric
    criteria. A zero price is not a valid price: that entry scores 0 on the price criterion, with a
    note naming it (no valid price at all refuses the close, 409); a metric value not declared
    scores 0, with a note."""
    points, how = {}, {}
    declared = {}  # {(submission_id, criterion_id): value text}, one query for every entry
    if any(c.kind == "metric" for c in round_.criteria):
        wanted = [e.submission_id for e in entries]
        for start in range(0, len(wanted), 500):
            for m in db.session.scalars(sa.select(EntryMetric).where(EntryMetric.submission_id.in_(wanted[start:start + 500]))):
                declared[(m.submission_id, m.criterion_id)] = m.value
    for criterion in round_.criteria:
        if criterion.kind == "price":
            # A zero price is not a valid price (综合评分法: the benchmark is the lowest *valid* one):
            # such an entry scores 0 on this criterion, and the results name it. With no valid
            # price at all there is no benchmark, and the close is refused.
            invalid = [e for e in entries if not e.submission.price_fen]
            prices = {e.submission_id: Decimal(e.submission.price_fen) / 100 for e in entries if e.submission.price_fen}
            try:
                values, benchmark = scoring.price_scores(prices, criterion.max_points)
            except scoring.ScoringError:
                raise Conflict(f"没有有效报价，无法计算“{criterion.name}”，请核实各方案的报价", code="price_missing") from None
            for submission_id, value in values.items():
                points[(submission_id, criterion.id)] = value
            for entry in invalid:
                points[(entry.submission_id, criterion.id)] = Decimal(0)
            how[criterion.id] = {"kind": "price", "benchmark": f"{benchmark:.2f}", "max_points": criterion.max_points,
                                 "formula": f"报价得分 = 评标基准价（最低有效报价 {benchmark:.2f} 元）÷ 投标报价 × {criterion.max_points}"}
            if invalid:
                how[criterion.id]["note"] = (f"方案 {'、'.join(e.label for e in invalid)} 的报价为零，不是有效报价，"
                                             f"“{criterion.name}”按 0 分计")
        elif criterion.kind == "metric":
            missing = []
            for entry in entries:
                value = declared.get((entry.submission_id, criterion.id))
                if value is None:
                    missing.append(entry.label)
                    points[(entry.submission_id, criterion.id)] = Decimal(0)
                else:
                    points[(entry.submission_id, criterion.id)] = scoring.metric_score(
                        criterion.formula, Decimal(value), criterion.max_points)
            how[criterion.id] = {"kind": "metric", "formula": criterion.formula, "max_points": criterion.max_points,
                                 "missing": missing}
    return points, how


def preview_computed(round_) -> dict:
    """{(submission_id, criterion_id): points} of the computed criteria as they stand, for the sheet
    (evaluators see them filled in). Empty for a price criterion while a price is missing: the
    close will say which."""
    try:
        points, _ = computed_points(round_, round_entries(round_))
    except Conflict:
        return {}
    return {key: scoring.round2(value) for key, value in points.items()}


# --- closing a round -------------------------------------------------------------------------

def deviation_margin() -> Decimal:
    """How far (points on 0–100) a total may stray from the aggregate before it is flagged
    评分偏离: `DEVIATION_MARGIN` from the configuration."""
    from flask import current_app

    return Decimal(str(current_app.config.get("DEVIATION_MARGIN", scoring.DEFAULT_DEVIATION_MARGIN)))


def compute_results(round_, panel, entries, margin=scoring.DEFAULT_DEVIATION_MARGIN):
    """Pure-ish computation over loaded rows: per entry the evaluators' totals, aggregate, spread,
    deviation flags (beyond `margin` points) and conflicts; then ranks. Returns (ranked
    [(rank, RankInput)], notes).

    Computed criteria (price, metric) count the same for every evaluator; judged ones come from
    the sheets."""
    criteria = [(c.id, c.weight, c.max_points) for c in round_.criteria]
    tie = round_.tie_break_criterion
    from marketplace.review.queries import panel_points, preload_round

    # Submissions, providers and evaluators attached up front, every sheet's points as plain
    # rows in one query: no statement per entry or per score (issue 15).
    preload_round(panel, entries)
    sheets = panel_points(panel)
    metric_names = {c.id: c.name for c in round_metric_criteria(round_)}
    checks = panel_metric_checks(panel) if metric_names else {}
    declared = declared_values(round_, entries) if metric_names else {}
    computed, how = computed_points(round_, entries)
    for criterion_id, info in how.items():
        if info.get("missing"):
            name = next(c.name for c in round_.criteria if c.id == criterion_id)
            how[criterion_id]["note"] = f"方案 {'、'.join(info['missing'])} 未申报“{name}”的指标值，该项按 0 分计"
    inputs, notes = [], {i["note"] for i in how.values() if i.get("note")}
    for entry in entries:
        submission = entry.submission
        totals, tie_values, conflicts = {}, {}, []
        for member in panel:
            if _conflicted(member, submission.provider_id):
                conflicts.append(member.evaluator_id)
                continue
            scores = sheets[member.id]
            points = {cid: computed[(submission.id, cid)] if (submission.id, cid) in computed
                      else Decimal(scores[(submission.id, cid)]) / 100 for cid, _, _ in criteria}
            totals[member.evaluator_id] = scoring.evaluator_total(points, criteria)
            tie_values[member.evaluator_id] = scoring.evaluator_total(
                {tie.id: points[tie.id]}, [(tie.id, tie.weight, tie.max_points)])
        if not totals:
            raise Conflict(f"方案 {entry.label} 的所有评审专家均已回避，无法计算结果，请调整专家组")
        # Declared metric values an evaluator doubted (存疑): flagged for the admin's review.
        doubts = [{"evaluator_id": member.evaluator_id, "criterion_id": cid, "criterion": name,
                   "value": declared.get((submission.id, cid)), "note": check.note}
                  for member in panel if member.evaluator_id in totals
                  for cid, name in metric_names.items()
                  if (check := checks[member.id].get((submission.id, cid))) is not None and check.verdict == "doubtful"]
        agg = scoring.aggregate(list(totals.values()), round_.aggregation.value)
        if agg.note:
            notes.add(agg.note)
        tie_agg = scoring.aggregate(list(tie_values.values()), round_.aggregation.value)
        inputs.append(scoring.RankInput(
            entry_id=entry.id, score=agg.value, tie_break=tie_agg.value, submitted_at=submission.submitted_at,
            extra={
                "evaluator_totals": {str(k): str(scoring.round2(v)) for k, v in totals.items()},
                "spread": str(scoring.round2(scoring.std_dev(list(totals.values())))),
                "flags": [f"评分偏离：专家 {eid}" for eid in scoring.deviations(totals, agg.value, margin)]
                + [f"申报值存疑：专家 {d['evaluator_id']}（{d['criterion']} {d['value'] or '未申报'}：{d['note']}）"
                   for d in doubts],
                **({"metric_doubts": doubts} if doubts else {}),
                "deviating_evaluators": scoring.deviations(totals, agg.value, margin),
                "conflicts": conflicts, "method": agg.method, "note": agg.note,
                "tie_break": str(scoring.round2(tie_agg.value)),
                "computed": {str(cid): str(scoring.round2(computed[(submission.id, cid)]))
                             for cid in how if (submission.id, cid) in computed},
                "price_yuan": f"{Decimal(submission.price_fen) / 100:.2f}",
                "raw_totals": totals,
            }))
    normalised = None
    if round_.normalise:
        by_evaluator = {}
        for item in inputs:
            for evaluator_id, total in item.extra.pop("raw_totals").items():
                by_evaluator.setdefault(evaluator_id, {})[item.entry_id] = total
        normalised = scoring.normalised_means(by_evaluator)
        if normalised is None:
            notes.add(f"每名专家评分的方案少于 {scoring.NORMALISE_MIN} 个，未计算标准化参考分")
    for item in inputs:
        item.extra.pop("raw_totals", None)
        if normalised is not None and item.entry_id in normalised:
            item.extra["normalised"] = str(normalised[item.entry_id].quantize(Decimal("0.001")))
    round_computed = {str(cid): {k: v for k, v in info.items() if k != "missing"} for cid, info in how.items()}
    for item in inputs:
        item.extra["computed_how"] = round_computed
    return scoring.rank(inputs), sorted(notes)


def close_round(actor, round_):
    """Close the scoring: refused while any sheet is outstanding (an evaluator conflicted with every
    entry has none). The results are computed and stored for review (待确认): visible to the admin
    and the department, signed by the panel, published by the admin; nothing moves yet."""
    _require_open(round_)
    panel = members(round_)
    outstanding = [m.evaluator.name for m in panel if not sheet_done(m)]
    if outstanding:
        raise Conflict(f"尚有 {len(outstanding)} 名专家未提交评分表：{'、'.join(outstanding)}")
    entries = {e.id: e for e in round_entries(round_)}
    ranked, notes = compute_results(round_, panel, list(entries.values()), deviation_margin())
    challenge = round_.challenge
    if round_.is_last:
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
    _move_round(round_, "close")
    round_.results_note = "；".join(notes) or None
    for member in panel:
        member.report_signed_at, member.report_dissent, member.report_refused = None, None, False
    record(actor, "round.close", round_, before={"status": RoundStatus.open}, after={
        "status": RoundStatus.review, "aggregation": round_.aggregation, "note": round_.results_note,
        "results": [[entries[i.entry_id].submission_id, str(scoring.round2(i.score)), p,
                     i.entry_id in advancing] for p, i in ranked]})
    events.round_closed.send(round_, actor=actor)
    return round_


def _clear_results(round_):
    round_.results_note = round_.report = round_.report_sha256 = round_.report_frozen_at = None
    for entry in round_entries(round_):
        entry.score_centi = entry.rank = entry.advanced = entry.details = None
    for member in members(round_):
        member.report_signed_at, member.report_dissent, member.report_refused = None, None, False


# --- the evaluation report (评审报告) and publication -----------------------------------------

def report_content(round_) -> dict:
    """What every panel member signs: ranking, per-evaluator totals, the aggregation note, dissent."""
    panel = members(round_)
    names = {m.evaluator_id: m.evaluator.name for m in panel}
    return {
        "round_id": round_.id, "challenge_id": round_.challenge_id, "round": round_.name,
        "aggregation": round_.aggregation.value, "aggregation_label": round_.aggregation.label,
        "note": round_.results_note,
        "entries": [{"submission_id": e.submission_id, "label": e.label, "score": f"{e.score_centi / 100:.2f}",
                     "rank": e.rank, "advanced": e.advanced,
                     "evaluator_totals": (e.details or {}).get("evaluator_totals", {}),
                     "flags": (e.details or {}).get("flags", []),
                     "conflicts": (e.details or {}).get("conflicts", []),
                     **({"computed": e.details["computed"]} if (e.details or {}).get("computed") else {}),
                     **({"normalised": e.details["normalised"]} if (e.details or {}).get("normalised") else {}),
                     **({"metric_doubts": e.details["metric_doubts"]}
                        if (e.details or {}).get("metric_doubts") else {}),
                     } for e in ranked_entries(round_)],
        **({"computed_criteria": computed_explanations(round_)} if computed_explanations(round_) else {}),
        "panel": [{"evaluator_id": m.evaluator_id, "name": names[m.evaluator_id]} for m in panel],
        "signatures": [{"evaluator_id": m.evaluator_id, "signed_at": m.report_signed_at.isoformat()
                        if m.report_signed_at else None, "dissent": m.report_dissent, "refused": m.report_refused}
                       for m in panel],
    }


def computed_explanations(round_) -> list[dict]:
    """How the computed criteria of a closed round were scored (benchmark price, formula), for the
    results page and the report."""
    entries = ranked_entries(round_)
    how = (entries[0].details or {}).get("computed_how", {}) if entries else {}
    out = []
    for criterion in round_.criteria:
        info = how.get(str(criterion.id))
        if info:
            out.append({"criterion_id": criterion.id, "name": criterion.name, **info})
    return out


def report_digest(content) -> str:
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def sign_report(actor, round_, *, dissent=None, refuse=False):
    """A panel member signs the report (with dissent in writing, if any) or refuses to sign (the
    refusal is recorded in the report). When every member has answered the report is frozen and
    its SHA-256 written to the audit log."""
    member = require_membership(actor, round_)
    if round_.status != RoundStatus.review:
        raise Conflict(f"本轮状态为“{round_.status.label}”，评审报告尚不能签署")
    if member.report_signed_at is not None:
        raise Conflict("您已签署（或拒签）本轮评审报告")
    dissent = (dissent or "").strip()[:4000] or None
    if refuse and not dissent:
        raise ValidationFailed(fields={"dissent": "拒绝签署时请写明理由"})
    member.report_signed_at, member.report_dissent, member.report_refused = utcnow(), dissent, bool(refuse)
    record(actor, "round.report_refuse" if refuse else "round.report_sign", member,
           after={"round_id": round_.id, "dissent": dissent})
    if all(m.report_signed_at is not None for m in members(round_)):
        content = report_content(round_)
        round_.report, round_.report_sha256, round_.report_frozen_at = content, report_digest(content), utcnow()
        record(None, "round.report_frozen", round_, after={"sha256": round_.report_sha256})
    return member


def publish_round(actor, round_):
    """The admin publishes a round whose report every member has signed: the round is closed and
    the workflow moves the challenge on (advance, race, notice)."""
    if round_.status != RoundStatus.review:
        raise Conflict(f"本轮状态为“{round_.status.label}”，不能发布结果")
    unsigned = [m.evaluator.name for m in members(round_) if m.report_signed_at is None]
    if unsigned or round_.report_sha256 is None:
        raise Conflict(f"尚有 {len(unsigned)} 名专家未签署评审报告：{'、'.join(unsigned)}")
    _move_round(round_, "publish")
    round_.closed_at = utcnow()
    record(actor, "round.publish", round_, before={"status": RoundStatus.review},
           after={"status": RoundStatus.closed, "report_sha256": round_.report_sha256})
    _announce_published(actor, round_)
    return round_


def replace_member(actor, round_, *, old_evaluator_id, new_evaluator_id):
    """Replace a panel member while the round is open (illness, a late conflict): the newcomer
    signs a declaration before seeing entries; the panel rules apply as when it was formed."""
    if round_.status != RoundStatus.open:
        raise Conflict(f"本轮状态为“{round_.status.label}”，只有评审进行中可以更换专家")
    old = db.session.scalar(sa.select(PanelMember).where(
        PanelMember.round_id == round_.id, PanelMember.evaluator_id == old_evaluator_id))
    if old is None:
        raise ValidationFailed(fields={"old_evaluator_id": "该专家不在本轮专家组中"})
    new = db.session.get(User, new_evaluator_id)
    if new is None or new.role != Role.evaluator or not new.is_active:
        raise ValidationFailed(fields={"new_evaluator_id": "请选择在岗的评审专家"})
    if membership(new, round_) is not None:
        raise ValidationFailed(fields={"new_evaluator_id": "该专家已在本轮专家组中"})
    if new.organisation_id in participating_provider_ids(round_.challenge):
        raise Conflict(f"评审专家“{new.name}”属于参与揭榜的服务商单位，须回避，不能进入专家组")
    before = {"panel": sorted(m.evaluator_id for m in members(round_)),
              "replaced": {"evaluator_id": old.evaluator_id, "sheet_status": old.sheet_status}}
    db.session.delete(old)
    db.session.flush()
    db.session.add(PanelMember(round_id=round_.id, evaluator_id=new.id))
    db.session.flush()
    record(actor, "round.panel_replace", round_, before=before,
           after={"panel": sorted(m.evaluator_id for m in members(round_)), "old_evaluator_id": old_evaluator_id,
                  "new_evaluator_id": new.id})
    events.panel_assigned.send(round_, added=[new])
    return members(round_)


def ranked_entries(round_) -> list[RoundEntry]:
    """The stored results of a round, best first."""
    return sorted((e for e in round_entries(round_) if e.rank is not None), key=lambda e: (e.rank, e.label))


def _announce_published(actor, round_):
    ranked = ranked_entries(round_)
    events.round_published.send(round_, actor=actor, ranked=ranked,
                                advanced=[e.submission for e in ranked if e.advanced],
                                eliminated=[e.submission for e in ranked if not e.advanced])


def reopen_last_round(actor, challenge, panel_note, evaluator_ids=None):
    """After an upheld objection: the last round opens again. The named evaluators' sheets (all,
    when none are named) return to draft with the panel note, which only the panel sees."""
    round_ = max(challenge.rounds, key=lambda r: r.position)
    before = {"status": round_.status}
    _move_round(round_, "reopen")
    round_.closed_at = None
    _clear_results(round_)
    panel = members(round_)
    rescoring = [m for m in panel if evaluator_ids is None or m.evaluator_id in evaluator_ids]
    for member in rescoring:
        if member.sheet_status == SheetStatus.submitted:
            _move_sheet(member, "return")
        member.return_reason = f"异议成立，重新评审：{panel_note}"
    record(actor, "round.reopen", round_, before=before, after={
        "status": RoundStatus.open, "rescore": sorted(m.evaluator_id for m in rescoring)})
    events.round_reopened.send(round_, reason=panel_note, evaluators=[m.evaluator for m in rescoring])
    return round_


def get_round(round_id) -> EvaluationRound:
    round_ = db.session.get(EvaluationRound, round_id)
    if round_ is None:
        raise NotFound()
    return round_
