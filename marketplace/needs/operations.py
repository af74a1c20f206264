"""需求征集: submitting a need, triage by the office (accept and route, return, reject, merge),
batches of the public 场景需求清单, and marking a need converted into a challenge.

Each operation checks, changes, flushes, writes the audit event and announces what happened
(events.py); notifications.py turns the announcements into messages. State changes are
conditional UPDATEs on the state read, so two admins acting at once cannot both win.
"""

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import Organisation, OrganisationKind, Role
from marketplace.audit.operations import record
from marketplace.core.db import utcnow
from marketplace.core.domains import DOMAINS
from marketplace.core.errors import Conflict, NotAllowed, ValidationFailed
from marketplace.core.money import yuan_to_fen
from marketplace.extensions import db
from marketplace.needs import events
from marketplace.needs.models import KEYWORD_SEPARATOR, DomainSubscription, Need, NeedBatch
from marketplace.needs.states import CONVERTIBLE_STATES, NEED_MACHINE, SURVIVOR_STATES, NeedState

S = NeedState
MAX_KEYWORDS = 5
CONTENT_FIELDS = ("title", "domain", "problem", "scenario", "beneficiaries", "expected_outcomes",
                  "data_available", "budget_source")


def _snapshot(need):
    return {"state": need.state, "assignee_id": need.assignee_id, "merged_into_id": need.merged_into_id,
            "batch_id": need.batch_id, "feedback": need.feedback}


def _content(need):
    return {**{key: getattr(need, key) for key in ("title", "domain", "budget_source")},
            "keywords": need.keyword_list, "budget_fen": need.budget_fen}


def _require_admin(actor):
    if actor is None or actor.role != Role.admin:
        raise NotAllowed("只有平台管理员可以审查需求")


def _transition(actor, need, action, *, audit=None, **values):
    """Move `need` by `action` if nobody moved it since it was read; audit the move."""
    before = _snapshot(need)
    target = NEED_MACHINE.target(need.state, action)
    db.session.flush()
    moved = db.session.execute(
        sa.update(Need).where(Need.id == need.id, Need.state == need.state)
        .values(state=target, updated_at=utcnow(), **values).execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(need)
    if moved != 1:
        raise Conflict(f"需求状态已变为“{need.state.label}”，请刷新页面后再操作")
    record(actor, f"need.{action}", need, before=before, after={**_snapshot(need), **(audit or {})})
    return need


def _clean_keywords(keywords):
    words, seen = [], set()
    for word in keywords or []:
        word = (word or "").strip()
        if word and word not in seen:
            seen.add(word)
            words.append(word)
    if not words:
        raise ValidationFailed(fields={"keywords": "请填写 1–5 个关键词"})
    if len(words) > MAX_KEYWORDS:
        raise ValidationFailed(fields={"keywords": f"关键词最多 {MAX_KEYWORDS} 个（当前 {len(words)} 个）"})
    if any(len(w) > 20 for w in words):
        raise ValidationFailed(fields={"keywords": "每个关键词不超过 20 个字"})
    return words


def _apply_values(need, values):
    if values["domain"] not in DOMAINS:
        raise ValidationFailed(fields={"domain": "请选择有效的场景领域"})
    keywords = _clean_keywords(values["keywords"])
    budget = values.get("budget_yuan")
    if budget is not None and not (values.get("budget_source") or "").strip():
        raise ValidationFailed(fields={"budget_source": "填写了预算时请说明资金来源"})
    for key in CONTENT_FIELDS:
        setattr(need, key, values.get(key) or "")
    need.keywords = KEYWORD_SEPARATOR.join(keywords)
    need.budget_fen = None if budget is None else yuan_to_fen(budget)


def submit_need(actor, values):
    """A department or 街道 user submits a need for its unit; it waits for the office."""
    if actor.role != Role.department or actor.organisation_id is None:
        raise NotAllowed("只有委办局、街道等单位用户可以提交场景需求")
    need = Need(submitter_id=actor.organisation_id, submitted_by_id=actor.id, state=S.submitted,
                submitted_at=utcnow())
    _apply_values(need, values)
    db.session.add(need)
    db.session.flush()
    record(actor, "need.submit", need, after={**_content(need), "state": need.state})
    events.need_submitted.send(need, actor=actor, resubmitted=False)
    return need


def _require_submitter(actor, need):
    if actor.role != Role.department or actor.organisation_id != need.submitter_id:
        raise NotAllowed("只有提出需求的单位可以修改")


def update_need(actor, need, values):
    """The submitting unit revises a returned need (then resubmits it)."""
    _require_submitter(actor, need)
    if need.state != S.returned:
        raise Conflict(f"需求状态为“{need.state.label}”，只有退回修改的需求可以修改")
    before = _content(need)
    _apply_values(need, values)
    db.session.flush()
    record(actor, "need.update", need, before=before, after=_content(need))
    return need


def resubmit_need(actor, need):
    _require_submitter(actor, need)
    _transition(actor, need, "resubmit")
    events.need_submitted.send(need, actor=actor, resubmitted=True)
    return need


def _department(org_id):
    org = db.session.get(Organisation, org_id) if org_id else None
    if org is None or org.kind != OrganisationKind.department:
        raise ValidationFailed(fields={"assignee_org_id": "请选择有效的责任单位"})
    return org


def accept_need(actor, need, *, note=None, assignee_id=None, triage_note=None):
    """形式审查通过: routed to the responsible unit (责任单位), by default the submitter."""
    _require_admin(actor)
    assignee = _department(assignee_id or need.submitter_id)
    _transition(actor, need, "accept", assignee_id=assignee.id, feedback=note or None,
                triage_note=triage_note or need.triage_note, decided_at=utcnow())
    events.need_accepted.send(need, actor=actor)
    return need


def return_need(actor, need, *, note, triage_note=None):
    _require_admin(actor)
    if not (note or "").strip():
        raise ValidationFailed(fields={"note": "请写明需要补充或修改的内容"})
    _transition(actor, need, "return", feedback=note, triage_note=triage_note or need.triage_note,
                decided_at=utcnow())
    events.need_returned.send(need, actor=actor)
    return need


def reject_need(actor, need, *, note, triage_note=None):
    _require_admin(actor)
    if not (note or "").strip():
        raise ValidationFailed(fields={"note": "请填写不予采纳的理由"})
    _transition(actor, need, "reject", feedback=note, triage_note=triage_note or need.triage_note,
                decided_at=utcnow())
    events.need_rejected.send(need, actor=actor)
    return need


TRIAGE = {"accept": accept_need, "return": return_need, "reject": reject_need}


def triage_need(actor, need, *, decision, note=None, assignee_id=None, triage_note=None):
    if decision not in TRIAGE:
        raise ValidationFailed(fields={"decision": "处理结果应为 accept、return 或 reject"})
    if decision == "accept":
        return accept_need(actor, need, note=note, assignee_id=assignee_id, triage_note=triage_note)
    return TRIAGE[decision](actor, need, note=note, triage_note=triage_note)


def merge_need(actor, need, into, *, note=None):
    """A duplicate (雷同、交叉) is merged into the need that lives on; its submitter is told."""
    _require_admin(actor)
    if into is None or into.id == need.id:
        raise ValidationFailed(fields={"into_id": "请选择另一条需求作为合并目标"})
    if into.state not in SURVIVOR_STATES:
        raise ValidationFailed(fields={"into_id": f"目标需求状态为“{into.state.label}”，不能作为合并目标"})
    feedback = note or f"与需求“{into.title}”（编号 {into.id}）雷同，已合并办理。"
    _transition(actor, need, "merge", merged_into_id=into.id, feedback=feedback, decided_at=utcnow())
    events.need_merged.send(need, actor=actor, into=into)
    return need


def _next_batch_number():
    return (db.session.scalar(sa.select(sa.func.max(NeedBatch.number))) or 0) + 1


def create_batch(actor, *, title=None, need_ids):
    """A batch (第N批场景需求清单) of accepted needs not yet in another batch."""
    _require_admin(actor)
    ids = sorted(set(need_ids or []))
    if not ids:
        raise ValidationFailed(fields={"need_ids": "请至少选择一条已受理的需求"})
    needs = db.session.scalars(sa.select(Need).where(Need.id.in_(ids)).with_for_update()).all()
    found = {n.id: n for n in needs}
    for need_id in ids:
        need = found.get(need_id)
        if need is None or need.state != S.accepted:
            raise ValidationFailed(fields={"need_ids": f"需求 {need_id} 不是已受理状态，不能列入清单"})
        if need.batch_id is not None:
            raise ValidationFailed(fields={"need_ids": f"需求“{need.title}”已列入第 {need.batch.number} 批清单"})
    for attempt in range(3):
        number = _next_batch_number()
        batch = NeedBatch(number=number, title=title or f"第{number}批场景需求清单", created_by_id=actor.id)
        try:
            # Two admins numbering at once: the unique number refuses the second, which takes the next.
            with db.session.begin_nested():
                db.session.add(batch)
        except IntegrityError:
            if attempt == 2:
                raise Conflict("其他管理员正在生成批次，请稍后重试") from None
            continue
        break
    for need in needs:
        need.batch_id = batch.id
    record(actor, "need_batch.create", batch, after={"number": number, "title": batch.title, "need_ids": ids})
    return batch


def publish_batch(actor, batch):
    """The batch becomes the public 场景需求清单; its accepted needs become published."""
    _require_admin(actor)
    now = utcnow()
    claimed = db.session.execute(
        sa.update(NeedBatch).where(NeedBatch.id == batch.id, NeedBatch.published_at.is_(None))
        .values(published_at=now).execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(batch)
    if claimed != 1:
        raise Conflict("该清单已经发布")
    published = []
    for need in db.session.scalars(sa.select(Need).where(Need.batch_id == batch.id).order_by(Need.id)):
        if need.state == S.accepted:
            _transition(actor, need, "publish", published_at=now, audit={"batch": batch.number})
            published.append(need)
        elif need.state == S.converted and need.published_at is None:
            # Turned into a challenge between batching and publishing: listed (and public) too.
            need.published_at = now
            published.append(need)
    if not published:
        raise ValidationFailed(fields={"need_ids": "清单中没有可发布的需求"})
    record(actor, "need_batch.publish", batch, after={"number": batch.number, "need_ids": [n.id for n in published]})
    events.batch_published.send(batch, actor=actor, needs=published)
    return batch


def can_convert(actor, need):
    return (actor is not None and actor.role == Role.department and need.assignee_id is not None
            and actor.organisation_id == need.assignee_id and need.state in CONVERTIBLE_STATES)


def mark_converted(actor, need, challenge):
    """The need has become `challenge` (a draft of the assignee department)."""
    if not can_convert(actor, need):
        if need.state not in CONVERTIBLE_STATES:
            raise Conflict(f"需求状态为“{need.state.label}”，不能转为榜单")
        raise NotAllowed("只有责任单位可以将需求转为榜单")
    _transition(actor, need, "convert", converted_at=utcnow(), audit={"challenge_id": challenge.id})
    events.need_converted.send(need, actor=actor, challenge=challenge)
    return need


def set_subscriptions(actor, domains):
    """The domains a user follows (replaces the previous set)."""
    wanted = set(domains or [])
    unknown = sorted(wanted - set(DOMAINS))
    if unknown:
        raise ValidationFailed(fields={"domains": f"未知的领域“{unknown[0]}”"})
    rows = db.session.scalars(sa.select(DomainSubscription).where(DomainSubscription.user_id == actor.id)).all()
    current = {row.domain for row in rows}
    for row in rows:
        if row.domain not in wanted:
            db.session.delete(row)
    for domain in sorted(wanted - current):
        db.session.add(DomainSubscription(user_id=actor.id, domain=domain))
    db.session.flush()
    if wanted != current:
        record(actor, "subscriptions.update", actor, before={"domains": sorted(current)},
               after={"domains": sorted(wanted)}, object_type="user")
    return [d for d in DOMAINS if d in wanted]
