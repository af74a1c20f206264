"""API: challenges, clarifications, sealed submissions and files."""

import sqlalchemy as sa
from flask import request, send_file
from sqlalchemy.orm import joinedload

from marketplace.accounts.models import Role
from marketplace.api import api_user, endpoint, json_body
from marketplace.api.serializers import (
    challenge_json,
    money,
    question_json,
    receipt_json,
    round_json,
    submission_json,
)
from marketplace.challenges import operations as ops
from marketplace.challenges import permissions, queries
from marketplace.challenges.forms import (
    AnswerForm,
    ChallengeForm,
    ChallengeReasonForm,
    ExtendForm,
    QuestionForm,
    encode_plan,
)
from marketplace.challenges.models import Challenge, Question
from marketplace.challenges.states import AFTER_DEADLINE_STATES, PUBLIC_STATES, ChallengeState
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.forms import validate_json
from marketplace.core.pagination import page_args
from marketplace.core.permissions import require
from marketplace.core.timeutil import isoformat
from marketplace.extensions import db
from marketplace.files import operations as file_ops
from marketplace.files.models import StoredFile
from marketplace.projects import queries as project_queries
from marketplace.review import operations as review_ops
from marketplace.review import queries as review_queries
from marketplace.review import templates
from marketplace.submissions import operations as submission_ops
from marketplace.submissions import permissions as submission_permissions
from marketplace.submissions import queries as submission_queries
from marketplace.submissions.forms import SubmissionForm, UploadForm
from marketplace.submissions.models import Submission

LIST_QUERY = {"status": "状态", "domain": "领域", "department": "发榜单位 id", "q": "名称关键词",
              "budget_min": "预算下限（元）", "budget_max": "预算上限（元）",
              "sort": "newest | deadline | budget", "cursor": "游标分页：上一页返回的 next_cursor（任意深度都一样快；旧名 after）",
              "page": "页码（深页请改用 cursor）", "per_page": "每页条数（≤ 100）"}


def _challenge(challenge_id):
    challenge = db.session.get(Challenge, challenge_id)
    if challenge is None or not permissions.can_view_challenge(api_user(), challenge):
        raise NotFound()
    return challenge


def _detail(challenge):
    user = api_user()
    count = submission_queries.live_count(challenge) if permissions.can_see_submission_count(user, challenge) else None
    attachments = [file_ops.file_json(f) for f in file_ops.live_files("challenge", challenge.id)]
    data = challenge_json(challenge, submission_count=count, attachments=attachments)
    data["project_id"] = project_queries.challenge_project_id(challenge)
    return data


@endpoint("/challenges", ["POST"], roles=["department"], form=ChallengeForm, tag="榜单",
          summary="创建榜单（发榜单位），状态为 draft", success=201)
def create_challenge():
    body, template = _template_body(json_body())
    if isinstance(body, dict):
        body = {**body, "rounds": encode_plan(body.get("rounds"))}
    form = validate_json(ChallengeForm, body)
    values = form.values()
    if template is not None:
        templates.tag_plan(values["rounds"], template)
    return _detail(ops.create_challenge(api_user(), values)), 201


@endpoint("/challenges", auth=False, tag="榜单", summary="榜单列表（公众可见已发布及之后的榜单）", query=LIST_QUERY)
def list_challenges():
    user = api_user()
    department = user.organisation_id if user is not None and user.role == Role.department else None
    filters = queries.ChallengeFilters.from_args(request.args, public=not (user and user.role == Role.admin),
                                                 own_department_id=department)
    if filters.status_error:
        raise ValidationFailed(fields={"status": filters.status_error})
    if user is not None and user.role == Role.admin:
        states = list(ChallengeState)
    else:
        states = list(PUBLIC_STATES) if filters.status else [s for s in PUBLIC_STATES if s != ChallengeState.cancelled]
    query = queries.listing_query(filters, states)
    if user is not None and user.role == Role.department and not filters.status:
        # A department also sees its own drafts and challenges under review.
        query = queries.listing_query(filters, list(ChallengeState)).where(
            sa.or_(Challenge.state.in_(states), Challenge.department_id == user.organisation_id))
    per_page = min(max(request.args.get("per_page", 20, type=int) or 20, 1), 100)
    cursor = request.args.get("cursor", request.args.get("after"))
    # A department's list (its own drafts and reviews among the public ones) pages by offset only.
    department_view = user is not None and user.role == Role.department
    count_key = (repr(filters), tuple(states), user.organisation_id if department_view else None)
    if cursor is not None and not department_view:
        # Keyset paging: any depth costs what the first page costs; the total is cached.
        items, next_cursor = queries.public_page(filters, cursor=cursor, per_page=per_page, states=states)
        return {"items": [challenge_json(c, detail=False) for c in items], "next_cursor": next_cursor,
                "total": queries.count_cache.count(query, count_key), "per_page": per_page}
    page, per_page = page_args(20)
    # A deep page seeks from a cached anchor row (queries.positions) instead of OFFSET over
    # every row before it.
    items = db.session.scalars(queries.positions.page(
        query, filters.sort, count_key, offset=(page - 1) * per_page, limit=per_page,
    ).options(joinedload(Challenge.department, innerjoin=True))).all()
    next_cursor = None
    if len(items) == per_page and not department_view:
        next_cursor = queries.encode_cursor(items[-1], filters.sort)
    return {"items": [challenge_json(c, detail=False) for c in items], "total": queries.count_cache.count(query, count_key),
            "page": page, "per_page": per_page, "next_cursor": next_cursor}


@endpoint("/challenges/<int:challenge_id>", auth=False, tag="榜单", summary="榜单详情（含状态、截止时间、方案数量）")
def get_challenge(challenge_id):
    return _detail(_challenge(challenge_id))


def _merge_body(challenge):
    from marketplace.core.timeutil import isoformat as iso

    current = {
        "title": challenge.title, "domain": challenge.domain, "description": challenge.description,
        "pain_points": challenge.pain_points, "outcomes": challenge.outcomes,
        "budget_yuan": str(challenge.budget_yuan), "deadline": iso(challenge.deadline),
        "required_domains": challenge.required_domains, "race_slots": challenge.race_slots,
        "min_submissions": challenge.min_submissions, "notice_days": challenge.notice_days,
        "contact": challenge.contact,
        "pilot_budget_yuan": str(challenge.pilot_budget_yuan) if challenge.pilot_budget_fen is not None else None,
        "race_milestones": [{"title": m.title, "due_days": m.due_days, "evidence": m.evidence}
                            for m in challenge.race_milestones],
        "rounds": [{k: v for k, v in round_json(r).items() if k in ("name", "aggregation", "blind", "advance_top",
                                                                     "advance_threshold", "min_panel", "criteria", "tie_break",
                                                                     "normalise")}
                   for r in challenge.rounds],
    }
    for r in current["rounds"]:
        r["criteria"] = [{k: c[k] for k in ("name", "description", "weight", "max_points", "kind", "formula", "guidance")
                          if k in c} for c in r["criteria"]]
    current.update(json_body())
    current["rounds"] = encode_plan(current.get("rounds"))
    return current


def _template_body(body):
    """POST /challenges with `template_id` instead of `rounds`: the template's current version's
    rounds are copied into the challenge (and checked like typed ones). Returns (body, template)."""
    if not isinstance(body, dict) or body.get("template_id") in (None, ""):
        return body, None
    if body.get("rounds"):
        raise ValidationFailed(fields={"template_id": "请只提供 template_id 或 rounds 之一"})
    try:
        template = templates.get_current(int(body["template_id"]))
    except (TypeError, ValueError, NotFound):
        raise ValidationFailed(fields={"template_id": "未找到该评审方案模板"}) from None
    return {**body, "rounds": template.rounds}, template


@endpoint("/challenges/<int:challenge_id>", ["PATCH"], roles=["department"], form=ChallengeForm, tag="榜单",
          summary="修改榜单（仅草稿，发榜单位）")
def update_challenge(challenge_id):
    challenge = _challenge(challenge_id)
    require(permissions.is_owner_department(api_user(), challenge))
    form = validate_json(ChallengeForm, _merge_body(challenge))
    return _detail(ops.update_challenge(api_user(), challenge, form.values()))


@endpoint("/challenges/<int:challenge_id>/submit-for-review", ["POST"], roles=["department"], tag="榜单",
          summary="提交审核")
def submit_for_review(challenge_id):
    challenge = _challenge(challenge_id)
    require(permissions.can_manage_challenge(api_user(), challenge))
    return _detail(ops.submit_for_review(api_user(), challenge))


@endpoint("/challenges/<int:challenge_id>/approve", ["POST"], roles=["admin"], tag="榜单",
          summary="审核通过并发布（管理员）")
def approve(challenge_id):
    return _detail(ops.approve_challenge(api_user(), _challenge(challenge_id)))


@endpoint("/challenges/<int:challenge_id>/return", ["POST"], roles=["admin"], form=ChallengeReasonForm,
          tag="榜单", summary="退回修改（管理员），需给出理由")
def return_challenge(challenge_id):
    challenge = _challenge(challenge_id)
    form = validate_json(ChallengeReasonForm, json_body())
    return _detail(ops.return_challenge(api_user(), challenge, reason=form.reason.data))


@endpoint("/challenges/<int:challenge_id>/cancel", ["POST"], roles=["admin", "department"],
          form=ChallengeReasonForm, tag="榜单", summary="撤榜（发榜单位或管理员），需给出理由")
def cancel(challenge_id):
    challenge = _challenge(challenge_id)
    require(permissions.can_cancel_challenge(api_user(), challenge))
    form = validate_json(ChallengeReasonForm, json_body())
    return _detail(ops.cancel_challenge(api_user(), challenge, reason=form.reason.data))


@endpoint("/challenges/<int:challenge_id>/extend", ["POST"], roles=["department"], form=ExtendForm, tag="榜单",
          summary="延长截止时间（只能延后）")
def extend(challenge_id):
    challenge = _challenge(challenge_id)
    require(permissions.can_manage_challenge(api_user(), challenge))
    form = validate_json(ExtendForm, json_body())
    return _detail(ops.extend_deadline(api_user(), challenge, deadline=form.deadline.parsed))


@endpoint("/challenges/<int:challenge_id>/race", auth=False, tag="评审",
          summary="赛马进展（赛马开始后公开）：racers 的试点项目、里程碑完成数与状态 racing|eliminated|winner；"
                  "含盲评轮次的赛马在公示前不对外公开服务商身份（submission_id、provider_org_id 为 null）")
def race(challenge_id):
    challenge = _challenge(challenge_id)
    view = project_queries.race(challenge, api_user())
    if view is None:
        raise NotFound()
    return {
        "status": view["status"], "names_public": view["names_public"],
        "pilot_budget_yuan": money(view["pilot_budget_fen"]) if view["pilot_budget_fen"] is not None else None,
        "milestones": view["milestones"],
        "racers": [{**{k: v for k, v in r.items() if k != "ended_at"}, "ended_at": isoformat(r["ended_at"])}
                   for r in view["racers"]],
    }


@endpoint("/challenges/<int:challenge_id>/rounds", auth=False, tag="评审", summary="评审轮次与评分项")
def list_rounds(challenge_id):
    challenge = _challenge(challenge_id)
    return {"items": [round_json(r) for r in challenge.rounds]}


@endpoint("/challenges/<int:challenge_id>/questions", ["POST"], roles=["provider"], form=QuestionForm, tag="答疑",
          summary="提问（服务商），答复后公开且不显示提问人", success=201)
def ask(challenge_id):
    challenge = _challenge(challenge_id)
    form = validate_json(QuestionForm, json_body())
    return question_json(ops.ask_question(api_user(), challenge, text=form.text.data)), 201


@endpoint("/questions/<int:question_id>/answer", ["POST"], roles=["department"], form=AnswerForm, tag="答疑",
          summary="答复问题（发榜单位）")
def answer(question_id):
    question = db.session.get(Question, question_id)
    if question is None or not permissions.can_manage_challenge(api_user(), question.challenge):
        raise NotFound()
    form = validate_json(AnswerForm, json_body())
    return question_json(ops.answer_question(api_user(), question, text=form.text.data))


@endpoint("/challenges/<int:challenge_id>/clarifications", auth=False, tag="答疑", summary="已答复的答疑（不显示提问人）")
def clarifications(challenge_id):
    challenge = _challenge(challenge_id)
    items = [question_json(q) for q in queries.answered_questions(challenge.id)]
    return {"items": items, "total": len(items), "page": 1}


# --- submissions ----------------------------------------------------------------------------

def _submission(submission_id):
    submission = db.session.get(Submission, submission_id)
    if submission is None or not submission_permissions.can_view_submission(api_user(), submission):
        raise NotFound()
    return submission


def _submission_detail(submission):
    user = api_user()
    owner = submission_permissions.is_owner(user, submission)
    blind = submission_permissions.hides_provider(user, submission)
    files = [file_ops.file_json(f) for f in file_ops.live_files(submission_ops.OWNER_TYPE, submission.id)]
    if blind:
        files = [{**f, "name": f"附件-{f['id']}.{f['kind']}"} for f in files]
    data = submission_json(submission, versions=owner, files=files, hide_provider=blind)
    if owner:
        data["receipt"] = receipt_json(submission_ops.receipt(submission))
        # The provider's own score and rank per round, once that result was published to it.
        data["results"] = [{"round_id": r["round_id"], "round": r["round_name"], "position": r["position"],
                            "score": r["score"], "rank": r["rank"], "of": r["of"], "advanced": r["advanced"]}
                           for r in review_queries.own_results(submission)]
    return data


@endpoint("/challenges/<int:challenge_id>/submissions", ["POST"], roles=["provider"], form=SubmissionForm,
          tag="揭榜", summary="揭榜：提交方案（合格服务商，截止前），返回回执", success=201)
def submit_entry(challenge_id):
    challenge = _challenge(challenge_id)
    body = json_body()
    form = validate_json(SubmissionForm, body)
    submission, _ = submission_ops.submit_entry(api_user(), challenge, **form.values())
    _declare_metrics(submission, body)
    return _submission_detail(submission), 201


def _declare_metrics(submission, body):
    """`metrics`: {criterion id: value} for the challenge's metric criteria (e.g. designed PUE)."""
    metrics = body.get("metrics") if isinstance(body, dict) else None
    if metrics is None:
        return
    if not isinstance(metrics, dict):
        raise ValidationFailed(fields={"metrics": "metrics 应为 {评分项 id: 数值}"})
    review_ops.declare_metrics(api_user(), submission, metrics)


@endpoint("/challenges/<int:challenge_id>/submissions", ["GET"], roles=["admin", "department"], tag="揭榜",
          summary="榜单的有效方案（截止后，管理员和发榜单位）")
def challenge_submissions(challenge_id):
    challenge = _challenge(challenge_id)
    user = api_user()
    require(permissions.is_admin(user) or permissions.is_owner_department(user, challenge))
    if challenge.state not in AFTER_DEADLINE_STATES:
        return {"items": [], "total": 0, "page": 1, "sealed": True,
                "submission_count": submission_queries.live_count(challenge)}
    items = [submission_json(s) for s in submission_ops.challenge_submissions(challenge)]
    return {"items": items, "total": len(items), "page": 1, "sealed": False}


@endpoint("/submissions/<int:submission_id>", tag="揭榜", summary="方案详情（截止前仅本单位可见）")
def get_submission(submission_id):
    return _submission_detail(_submission(submission_id))


@endpoint("/submissions/<int:submission_id>", ["PUT"], roles=["provider"], form=SubmissionForm, tag="揭榜",
          summary="修改方案（截止前），生成新版本")
def update_submission(submission_id):
    submission = _submission(submission_id)
    require(submission_permissions.can_change_submission(api_user(), submission), hide=True)
    body = {"summary": submission.summary, "technical_plan": submission.technical_plan,
            "price_yuan": str(submission.price_yuan), "timeline": submission.timeline, "team": submission.team}
    body.update(json_body())
    form = validate_json(SubmissionForm, body)
    submission_ops.update_entry(api_user(), submission, **form.values())
    _declare_metrics(submission, body)
    return _submission_detail(submission)


@endpoint("/submissions/<int:submission_id>/withdraw", ["POST"], roles=["provider"], tag="揭榜",
          summary="撤回方案（截止前）")
def withdraw_submission(submission_id):
    submission = _submission(submission_id)
    require(submission_permissions.can_change_submission(api_user(), submission), hide=True)
    return _submission_detail(submission_ops.withdraw_entry(api_user(), submission))


# --- files ----------------------------------------------------------------------------------

def _upload():
    form = UploadForm(meta={"csrf": False})
    if not form.validate():
        from marketplace.core.errors import ValidationFailed

        raise ValidationFailed(fields={"file": "请用 multipart/form-data 上传字段 file"})
    return form.file.data


@endpoint("/challenges/<int:challenge_id>/attachments", ["POST"], roles=["department"], form=UploadForm,
          multipart=True, tag="文件", summary="上传榜单附件（发榜单位）", success=201)
def attach_to_challenge(challenge_id):
    challenge = _challenge(challenge_id)
    require(permissions.is_owner_department(api_user(), challenge))
    return file_ops.file_json(ops.attach_document(api_user(), challenge, _upload())), 201


@endpoint("/submissions/<int:submission_id>/attachments", ["POST"], roles=["provider"], form=UploadForm,
          multipart=True, tag="文件", summary="上传方案附件（截止前），生成新版本", success=201)
def attach_to_submission(submission_id):
    submission = _submission(submission_id)
    require(submission_permissions.can_change_submission(api_user(), submission), hide=True)
    stored, version = submission_ops.attach_file(api_user(), submission, _upload())
    return {**file_ops.file_json(stored), "version": version.version,
            "received_at": isoformat(version.created_at)}, 201


@endpoint("/files/<int:file_id>", auth=False, tag="文件", summary="下载文件（按所属对象的权限）")
def download_file(file_id):
    stored = db.session.get(StoredFile, file_id)
    if stored is None or not file_ops.can_read_file(api_user(), stored):
        raise NotFound()
    return send_file(file_ops.open_path(stored), mimetype=file_ops.MIMETYPES[stored.kind], as_attachment=True,
                     download_name=file_ops.download_name(api_user(), stored), max_age=0)
