"""API: scenario needs (需求征集), their triage, the published batches and domain subscriptions."""

import sqlalchemy as sa
from flask import request

from marketplace.accounts.models import Role
from marketplace.api import api_user, endpoint, json_body, paged
from marketplace.core.errors import NotFound
from marketplace.core.forms import validate_json
from marketplace.core.money import fen_to_yuan
from marketplace.core.permissions import require
from marketplace.core.timeutil import isoformat
from marketplace.extensions import db
from marketplace.needs import operations as ops
from marketplace.needs import permissions, queries, similarity
from marketplace.needs.conversion import convert_need
from marketplace.needs.forms import BatchForm, MergeForm, NeedForm, SubscriptionForm, TriageForm
from marketplace.needs.models import Need, NeedBatch
from marketplace.needs.states import NeedState

TAG = "场景需求"


def need_json(need, detail=True):
    user = api_user()
    data = {
        "id": need.id, "title": need.title, "domain": need.domain, "status": need.state.value,
        "keywords": need.keyword_list, "submitter_org_id": need.submitter_id, "submitter_name": need.submitter.name,
        "assignee_org_id": need.assignee_id, "assignee_name": need.assignee.name if need.assignee else None,
        "budget_yuan": None if need.budget_fen is None else str(fen_to_yuan(need.budget_fen)),
        "budget_source": need.budget_source or None, "batch_id": need.batch_id,
        "merged_into_id": need.merged_into_id, "submitted_at": isoformat(need.submitted_at),
        "published_at": isoformat(need.published_at),
    }
    if detail:
        challenge = queries.challenge_of(need)
        from marketplace.challenges.permissions import can_view_challenge

        data.update({
            "problem": need.problem, "scenario": need.scenario, "beneficiaries": need.beneficiaries,
            "expected_outcomes": need.expected_outcomes, "data_available": need.data_available or None,
            "challenge_id": challenge.id if challenge is not None and can_view_challenge(user, challenge) else None,
            "merged_need_ids": [m.id for m in need.merged_needs] if permissions.can_see_feedback(user, need) else [],
        })
        if permissions.can_see_feedback(user, need):
            data["feedback"] = need.feedback
        if permissions.can_see_triage_note(user, need):
            data["triage_note"] = need.triage_note
    return data


def batch_json(batch):
    return {"id": batch.id, "number": batch.number, "title": batch.title,
            "status": "published" if batch.is_published else "draft",
            "published_at": isoformat(batch.published_at),
            "need_ids": [n.id for n in batch.needs if n.is_public or permissions.is_admin(api_user())]}


def _need(need_id):
    need = db.session.get(Need, need_id)
    if need is None or not permissions.can_view_need(api_user(), need):
        raise NotFound()
    return need


def _batch(batch_id):
    batch = db.session.get(NeedBatch, batch_id)
    if batch is None or not permissions.can_view_batch(api_user(), batch):
        raise NotFound()
    return batch


@endpoint("/needs", ["POST"], roles=["department"], form=NeedForm, tag=TAG,
          summary="创建场景需求（委办局、街道用户），状态为 submitted", success=201)
def create_need():
    form = validate_json(NeedForm, json_body())
    return need_json(ops.submit_need(api_user(), form.values())), 201


@endpoint("/needs", auth=False, tag=TAG, summary="需求列表（管理员：全部；单位：本单位提出或负责的；公众：已发布）",
          query={"status": "状态", "domain": "领域", "batch": "批次 id", "q": "关键词（已发布需求）"})
def list_needs():
    user = api_user()
    status, domain = request.args.get("status"), request.args.get("domain")
    if user is not None and user.role == Role.admin:
        query = sa.select(Need).order_by(Need.id.desc())
    elif user is not None and user.role == Role.department:
        query = queries.unit_query(user.organisation_id)
    else:
        query = queries.public_query(batch_id=request.args.get("batch", type=int), domain=domain)
        q = (request.args.get("q") or "").strip()[:100]
        if q:
            items = similarity.search_public(db.session.scalars(query).all(), q)
            return {"items": [need_json(n, detail=False) for n in items], "total": len(items), "page": 1,
                    "per_page": len(items)}
    if NeedState.get(status):
        query = query.where(Need.state == NeedState(status))
    if domain:
        query = query.where(Need.domain == domain)
    if request.args.get("batch", type=int):
        query = query.where(Need.batch_id == request.args.get("batch", type=int))
    return paged(query, lambda n: need_json(n, detail=False))


@endpoint("/needs/<int:need_id>", auth=False, tag=TAG, summary="需求详情")
def get_need(need_id):
    return need_json(_need(need_id))


@endpoint("/needs/<int:need_id>", ["PATCH"], roles=["department"], form=NeedForm, tag=TAG,
          summary="修改被退回的需求（提出单位），之后调用 resubmit")
def update_need(need_id):
    need = _need(need_id)
    require(permissions.is_submitter(api_user(), need))
    current = {
        "title": need.title, "domain": need.domain, "problem": need.problem, "scenario": need.scenario,
        "beneficiaries": need.beneficiaries, "expected_outcomes": need.expected_outcomes,
        "data_available": need.data_available, "keywords": need.keyword_list,
        "budget_yuan": None if need.budget_fen is None else str(need.budget_yuan), "budget_source": need.budget_source,
    }
    current.update(json_body())
    form = validate_json(NeedForm, current)
    return need_json(ops.update_need(api_user(), need, form.values()))


@endpoint("/needs/<int:need_id>/resubmit", ["POST"], roles=["department"], tag=TAG, summary="重新提交被退回的需求")
def resubmit_need(need_id):
    need = _need(need_id)
    require(permissions.is_submitter(api_user(), need))
    return need_json(ops.resubmit_need(api_user(), need))


@endpoint("/needs/<int:need_id>/similar", roles=["admin"], tag=TAG, summary="相似的需求与榜单（管理员），最相似的在前")
def similar_needs(need_id):
    items = similarity.similar_to(_need(need_id))
    return {"items": [{k: v for k, v in item.items() if k != "object"} for item in items]}


@endpoint("/needs/<int:need_id>/triage", ["POST"], roles=["admin"], form=TriageForm, tag=TAG,
          summary="形式审查（管理员）：accept（交责任单位）、return（退回修改）或 reject（不予采纳）")
def triage_need(need_id):
    need = _need(need_id)
    form = validate_json(TriageForm, json_body())
    return need_json(ops.triage_need(api_user(), need, decision=form.decision.data, note=form.note.data,
                                     assignee_id=form.assignee_org_id.data, triage_note=form.triage_note.data))


@endpoint("/needs/<int:need_id>/merge", ["POST"], roles=["admin"], form=MergeForm, tag=TAG,
          summary="合并雷同需求（管理员）")
def merge_need(need_id):
    need = _need(need_id)
    form = validate_json(MergeForm, json_body())
    into = db.session.get(Need, form.into_id.data)
    return need_json(ops.merge_need(api_user(), need, into, note=form.note.data))


@endpoint("/needs/<int:need_id>/challenge", ["POST"], roles=["department"], tag=TAG,
          summary="创建榜单草稿：由需求一键生成（责任单位）", success=201)
def convert(need_id):
    from marketplace.api.challenges import _detail

    need = _need(need_id)
    return _detail(convert_need(api_user(), need)), 201


@endpoint("/need-batches", ["POST"], roles=["admin"], form=BatchForm, tag=TAG,
          summary="创建场景需求清单批次（管理员）", success=201)
def create_batch():
    form = validate_json(BatchForm, json_body())
    return batch_json(ops.create_batch(api_user(), title=form.title.data, need_ids=form.need_ids.data)), 201


@endpoint("/need-batches/<int:batch_id>/publish", ["POST"], roles=["admin"], tag=TAG,
          summary="发布批次（管理员）：其中已受理的需求变为 published")
def publish_batch(batch_id):
    return batch_json(ops.publish_batch(api_user(), _batch(batch_id)))


@endpoint("/need-batches", auth=False, tag=TAG, summary="场景需求清单批次（公众：已发布的）")
def list_batches():
    user = api_user()
    batches = queries.all_batches() if user is not None and user.role == Role.admin else queries.published_batches()
    return {"items": [batch_json(b) for b in batches]}


@endpoint("/need-batches/<int:batch_id>", auth=False, tag=TAG, summary="批次详情")
def get_batch(batch_id):
    return batch_json(_batch(batch_id))


@endpoint("/me/subscriptions", tag=TAG, summary="我关注的领域")
def get_subscriptions():
    return {"domains": queries.subscribed_domains(api_user())}


@endpoint("/me/subscriptions", ["PUT"], form=SubscriptionForm, tag=TAG,
          summary="设置关注的领域：新清单含这些领域的需求时通知一次")
def put_subscriptions():
    form = validate_json(SubscriptionForm, json_body())
    return {"domains": ops.set_subscriptions(api_user(), form.domains.data or [])}
