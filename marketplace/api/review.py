"""API: evaluation rounds, sheets, results; the public notice, objections and the award."""

from marketplace.api import api_user, endpoint, json_body
from marketplace.api.serializers import money, round_json, submission_json
from marketplace.challenges.models import Challenge
from marketplace.challenges.permissions import can_view_challenge, is_admin, is_owner_department
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.core.forms import validate_json
from marketplace.core.timeutil import isoformat
from marketplace.extensions import db
from marketplace.files import operations as file_ops
from marketplace.notices import operations as notice_ops
from marketplace.notices.forms import ObjectionForm, ResolveForm, SubstituteForm
from marketplace.notices.models import Objection
from marketplace.notices.permissions import notice_public
from marketplace.projects import queries as project_queries
from marketplace.review import operations as ops
from marketplace.review import queries
from marketplace.review.forms import ReplaceMemberForm, ReportSignForm, SheetReturnForm
from marketplace.review.states import RoundStatus
from marketplace.submissions.forms import UploadForm


def _int_list(body, name):
    value = body.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) and 0 < v < 2**31
                                              for v in value):
        raise ValidationFailed(fields={name: "应为正整数 id 的列表"})
    return value


def _round(round_id):
    round_ = ops.get_round(round_id)
    user = api_user()
    if not (is_admin(user) or is_owner_department(user, round_.challenge) or ops.membership(user, round_)):
        raise NotFound()
    return round_


def _admin_round(round_id):
    round_ = ops.get_round(round_id)
    return round_


def _progress(round_, viewer=None):
    panel = [{**p, "submitted_at": isoformat(p["submitted_at"]), "report_signed_at": isoformat(p["report_signed_at"])}
             for p in queries.progress(round_)]
    if viewer is not None and not (is_admin(viewer) or is_owner_department(viewer, round_.challenge)):
        # A panel member sees the others' names only: how far a colleague is, or why the admin
        # returned their sheet, must not weigh on anyone's own scoring.
        panel = [p if p["evaluator_id"] == viewer.id else {"evaluator_id": p["evaluator_id"], "name": p["name"]}
                 for p in panel]
    return {**round_json(round_), "challenge_status": round_.challenge.state.value,
            "report_sha256": round_.report_sha256, "panel": panel}


@endpoint("/rounds/<int:round_id>", tag="评审", summary="轮次详情与进度（不含分数；专家只看到自己的进度）")
def get_round(round_id):
    return _progress(_round(round_id), api_user())


@endpoint("/rounds/<int:round_id>/panel", ["POST"], roles=["admin"], tag="评审",
          summary="组建专家组（管理员）{evaluator_ids}；参与揭榜单位的专家 → 409")
def set_panel(round_id):
    round_ = _admin_round(round_id)
    ops.set_panel(api_user(), round_, _int_list(json_body(), "evaluator_ids"))
    return _progress(round_)


@endpoint("/rounds/<int:round_id>/panel/draw", ["POST"], roles=["admin"], tag="评审",
          summary="专家库随机抽取（管理员）{size, seed?, reason?}：size 不少于本轮 min_panel，专家库不足 → 409；"
                  "重新抽取（已抽取过或已有专家组）须填 reason，原抽取结果保留；种子记入审计日志")
def draw_panel(round_id):
    round_ = _admin_round(round_id)
    body = json_body()
    size, seed = body.get("size"), body.get("seed")
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 30:
        raise ValidationFailed(fields={"size": "抽取人数应为 1–30 的整数"})
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**48):
        raise ValidationFailed(fields={"seed": "随机种子应为非负整数"})
    reason = body.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 2000):
        raise ValidationFailed(fields={"reason": "理由应为不超过 2000 个字符的文本"})
    _, seed = ops.draw_panel(api_user(), round_, size=size, seed=seed, reason=reason or "")
    return {**_progress(round_), "seed": seed, "draws": [draw_json(d) for d in ops.panel_draws(round_)]}


def draw_json(d):
    return {"id": d.id, "seed": d.seed, "size": d.size, "members": d.members, "previous_members": d.previous_members,
            "candidates": d.candidates, "reason": d.reason, "drawn_by_id": d.drawn_by_id,
            "drawn_at": isoformat(d.drawn_at)}


@endpoint("/rounds/<int:round_id>/panel/draws", roles=["admin"], tag="评审",
          summary="本轮的随机抽取记录（管理员；审计日志中也有）：每次抽取的种子、候选、抽中成员、被替换的成员与重抽理由")
def list_draws(round_id):
    round_ = _admin_round(round_id)
    items = [draw_json(d) for d in ops.panel_draws(round_)]
    return {"items": items, "total": len(items), "page": 1}


@endpoint("/rounds/<int:round_id>/open", ["POST"], roles=["admin"], tag="评审", summary="开启本轮（管理员）")
def open_round(round_id):
    return _progress(ops.open_round(api_user(), _admin_round(round_id)))


@endpoint("/rounds/<int:round_id>/declaration", ["POST"], roles=["evaluator"], tag="评审",
          summary="签署回避声明（评审专家）{conflict_provider_ids}")
def declaration(round_id):
    round_ = ops.get_round(round_id)
    member = ops.sign_declaration(api_user(), round_, conflict_provider_ids=_int_list(json_body(), "conflict_provider_ids"))
    return {"round_id": round_.id, "declared_at": isoformat(member.declared_at),
            "conflict_provider_ids": sorted(member.conflict_provider_ids)}


def _entry_json(entry, blind, round_=None):
    data = submission_json(entry.submission, hide_provider=blind)
    data["label"] = entry.label
    files = [file_ops.file_json(f) for f in file_ops.live_files("submission", entry.submission_id)]
    data["files"] = [{**f, "name": f"附件-{f['id']}.{f['kind']}"} for f in files] if blind else files
    data["pilot"] = _pilot_json(entry, round_) if round_ is not None else None
    if round_ is not None and ops.round_metric_criteria(round_):
        # Metric criteria: the declared value and the computed score, for the plausibility check.
        declared = ops.declared_values(round_, [entry])
        computed = ops.preview_computed(round_)
        data["metric_values"] = [{"criterion_id": c.id, "value": declared.get((entry.submission_id, c.id)),
                                  "points": str(computed[(entry.submission_id, c.id)])
                                  if (entry.submission_id, c.id) in computed else None}
                                 for c in ops.round_metric_criteria(round_)]
    return data


def _pilot_json(entry, round_):
    """The racer's pilot evidence (rounds after the race started); nothing names the provider."""
    if round_.position == 1 or round_.challenge.race_slots <= 1:
        return None
    evidence = project_queries.pilot_evidence(entry.submission_id)
    if evidence is None:
        return None
    return {
        "status": evidence["status"], "milestones_done": evidence["milestones_done"],
        "milestones_total": evidence["milestones_total"], "paid_yuan": money(evidence["paid_fen"]),
        "approved_yuan": money(evidence["approved_fen"]),
        "milestones": [{"title": m["title"], "due_date": isoformat(m["due_date"]), "evidence": m["evidence"],
                        "status": m["status"].value, "percent": m["percent"],
                        "completed_at": isoformat(m["completed_at"]),
                        "reports": [{**r, "confirmed_at": isoformat(r["confirmed_at"]),
                                     "files": [{**f, "name": f"附件-{f['id']}.{f['kind']}"} if round_.blind else f
                                               for f in r["files"]]} for r in m["reports"]]}
                       for m in evidence["milestones"]],
    }


@endpoint("/rounds/<int:round_id>/entries", roles=["evaluator"], tag="评审",
          summary="本专家可评的方案（须先签署回避声明；盲评时隐藏服务商身份）")
def entries(round_id):
    round_ = ops.get_round(round_id)
    member = ops.require_membership(api_user(), round_)
    if round_.status != RoundStatus.open:
        raise Conflict(f"本轮状态为“{round_.status.label}”")
    ops.require_declared(member)
    items = [_entry_json(e, round_.blind, round_) for e in ops.entries_for(member)]
    return {"items": items, "total": len(items), "page": 1, "blind": round_.blind}


def _sheet_json(member):
    return {
        "round_id": member.round_id, "status": member.sheet_status.value, "return_reason": member.return_reason,
        "submitted_at": isoformat(member.submitted_at),
        "scores": [{"submission_id": s.submission_id, "criterion_id": s.criterion_id,
                    "points": f"{s.points_centi / 100:.2f}", "comment": s.comment}
                   for s in sorted(ops.sheet_scores(member).values(), key=lambda s: (s.submission_id, s.criterion_id))],
        "totals": {str(k): f"{v:.2f}" for k, v in ops.sheet_totals(member).items()},
        "metric_checks": [{"submission_id": c.submission_id, "criterion_id": c.criterion_id, "verdict": c.verdict,
                           "note": c.note} for c in sorted(ops.metric_checks(member).values(),
                                                          key=lambda c: (c.submission_id, c.criterion_id))],
    }


@endpoint("/rounds/<int:round_id>/sheet", roles=["evaluator"], tag="评审", summary="我的评分表")
def get_sheet(round_id):
    round_ = ops.get_round(round_id)
    member = ops.require_membership(api_user(), round_)
    ops.require_declared(member)
    return _sheet_json(member)


@endpoint("/rounds/<int:round_id>/sheet", ["PUT"], roles=["evaluator"], tag="评审",
          summary="保存评分草稿 {scores: [{submission_id, criterion_id, points, comment}], "
                  "metric_checks?: [{submission_id, criterion_id, verdict: plausible|doubtful, note（存疑必填）}]}；越界 → 422")
def put_sheet(round_id):
    round_ = ops.get_round(round_id)
    body = json_body()
    scores, checks = body.get("scores", []), body.get("metric_checks", [])
    if not isinstance(scores, list):
        raise ValidationFailed(fields={"scores": "应为评分列表"})
    if not isinstance(checks, list):
        raise ValidationFailed(fields={"metric_checks": "应为指标核验列表"})
    return _sheet_json(ops.save_sheet(api_user(), round_, scores, checks))


@endpoint("/rounds/<int:round_id>/sheet/submit", ["POST"], roles=["evaluator"], tag="评审",
          summary="提交评分表（锁定）；不完整（含指标申报值未核验）→ 422")
def submit_sheet(round_id):
    return _sheet_json(ops.submit_sheet(api_user(), ops.get_round(round_id)))


@endpoint("/rounds/<int:round_id>/sheets/<int:evaluator_id>/return", ["POST"], roles=["admin"], form=SheetReturnForm,
          tag="评审", summary="退回评分表（管理员）{reason}")
def return_sheet(round_id, evaluator_id):
    form = validate_json(SheetReturnForm, json_body())
    member = ops.return_sheet(api_user(), ops.get_round(round_id), evaluator_id, reason=form.reason.data)
    return {"round_id": round_id, "evaluator_id": evaluator_id, "status": member.sheet_status.value,
            "return_reason": member.return_reason}


@endpoint("/rounds/<int:round_id>/close", ["POST"], roles=["admin"], tag="评审",
          summary="结束评分（管理员）：有未提交评分表 → 409；结果待确认（review），专家签署评审报告后发布")
def close_round(round_id):
    round_ = ops.close_round(api_user(), _admin_round(round_id))
    return {**_progress(round_), "results": _results(round_)}


@endpoint("/rounds/<int:round_id>/panel/replace", ["POST"], roles=["admin"], form=ReplaceMemberForm, tag="评审",
          summary="更换专家（管理员，评审进行中）{old_evaluator_id, new_evaluator_id}；新专家须先签署回避声明")
def replace_member(round_id):
    form = validate_json(ReplaceMemberForm, json_body())
    round_ = _admin_round(round_id)
    ops.replace_member(api_user(), round_, old_evaluator_id=form.old_evaluator_id.data,
                       new_evaluator_id=form.new_evaluator_id.data)
    return _progress(round_)


def _report_json(round_):
    content = round_.report or (ops.report_content(round_) if round_.status == RoundStatus.review else None)
    if content is None:
        raise Conflict(f"本轮状态为“{round_.status.label}”，尚无评审报告")
    return {"round_id": round_.id, "round_status": round_.status.value,
            "status": "signed" if round_.report_sha256 else "signing", "sha256": round_.report_sha256,
            "frozen_at": isoformat(round_.report_frozen_at), "aggregation": content["aggregation"],
            "note": content["note"],
            "entries": [{**{k: e[k] for k in ("submission_id", "label", "score", "rank", "advanced",
                                              "evaluator_totals", "flags")},
                         **({"metric_doubts": e["metric_doubts"]} if e.get("metric_doubts") else {})}
                        for e in content["entries"]],
            "signatures": [{"evaluator_id": m.evaluator_id, "signed_at": isoformat(m.report_signed_at),
                            "dissent": m.report_dissent, "refused": m.report_refused}
                           for m in ops.members(round_)]}


@endpoint("/rounds/<int:round_id>/report", tag="评审",
          summary="评审报告（管理员、发榜单位、本轮专家）：排名、各专家总分、汇总说明、签署与保留意见；全部签署后给出 sha256")
def get_report(round_id):
    return _report_json(_round(round_id))


@endpoint("/rounds/<int:round_id>/report/sign", ["POST"], roles=["evaluator"], form=ReportSignForm, tag="评审",
          summary="签署评审报告（本轮专家，结果待确认时）{dissent?, refuse?}")
def sign_report(round_id):
    form = validate_json(ReportSignForm, json_body())
    round_ = ops.get_round(round_id)
    ops.sign_report(api_user(), round_, dissent=form.dissent.data, refuse=form.refuse.data)
    return _report_json(round_)


@endpoint("/rounds/<int:round_id>/publish", ["POST"], roles=["admin"], tag="评审",
          summary="发布本轮结果（管理员）：全部专家签署评审报告前 → 409；晋级、赛马或公示随之推进")
def publish_round(round_id):
    round_ = ops.publish_round(api_user(), _admin_round(round_id))
    return {**_progress(round_), "results": _results(round_)}


@endpoint("/rounds/<int:round_id>/reminders", ["POST"], roles=["admin"], tag="评审",
          summary="提醒未完成的专家（管理员）{evaluator_ids}：只能提醒尚欠评分表或报告签名的专家；"
                  "同一专家同一轮 12 小时内不重复提醒 → 409")
def remind_evaluators(round_id):
    body = json_body()
    reminded = ops.remind_evaluators(api_user(), _admin_round(round_id), _int_list(body, "evaluator_ids"))
    return {"round_id": round_id, "reminded": [{"evaluator_id": m.evaluator_id, "reminded_at": isoformat(m.reminded_at)}
                                               for m in reminded]}


def _results(round_):
    rows = queries.results_rows(round_)
    return {"round_id": round_.id, "aggregation": round_.aggregation.value, "note": round_.results_note,
            "computed_criteria": ops.computed_explanations(round_),
            "entries": [{k: r[k] for k in ("submission_id", "provider_org_id", "score", "rank", "advanced", "flags",
                                           "evaluator_totals", "spread", "conflicts", "label", "computed",
                                           "normalised")} for r in rows]}


@endpoint("/rounds/<int:round_id>/results", tag="评审",
          summary="本轮结果（管理员、发榜单位；专家与服务商仅在公示后看到与自己相关的部分）")
def results(round_id):
    round_ = ops.get_round(round_id)
    user = api_user()
    challenge = round_.challenge
    if not can_view_challenge(user, challenge):
        raise NotFound()
    if is_admin(user) or is_owner_department(user, challenge):
        if round_.status not in (RoundStatus.review, RoundStatus.closed):
            raise Conflict("本轮评分尚未结束")
        return _results(round_)
    if round_.status != RoundStatus.closed or not notice_public(challenge):
        raise NotFound()
    data = _results(round_)
    member = ops.membership(user, round_)
    if member is not None:  # an evaluator: their own totals only
        own = str(user.id)
        data["entries"] = [{"submission_id": e["submission_id"], "label": e["label"], "score": e["score"],
                            "rank": e["rank"], "my_total": e["evaluator_totals"].get(own)} for e in data["entries"]]
        return data
    if user.role.value == "provider":
        data["entries"] = [{k: e[k] for k in ("submission_id", "provider_org_id", "score", "rank", "advanced")}
                           for e in data["entries"] if e["provider_org_id"] == user.organisation_id]
        if data["entries"]:
            return data
    raise NotFound()


# --- notice ---------------------------------------------------------------------------------

def _challenge(challenge_id):
    challenge = db.session.get(Challenge, challenge_id)
    if challenge is None or not can_view_challenge(api_user(), challenge):
        raise NotFound()
    return challenge


def _notice_json(challenge, notice):
    winner = next(r for r in notice.ranking if r["submission_id"] == notice.winner_submission_id)
    return {
        "id": notice.id, "challenge_id": challenge.id, "status": challenge.state.value,
        "published_at": isoformat(notice.published_at), "ends_at": isoformat(notice.ends_at),
        "open": notice_ops.notice_open(notice), "notice_days": challenge.notice_days,
        "ranking": [{k: r[k] for k in ("rank", "submission_id", "provider_id", "provider_name", "score")}
                    for r in notice.ranking],
        "proposed_winners": [{k: winner[k] for k in ("submission_id", "provider_id", "provider_name", "score")}],
        "winner": winner if challenge.state.value == "awarded" else None,
        # 递补公示: the award it replaces (None on an ordinary notice).
        "substitute": {"replaced_submission_id": notice.replaced_submission_id, "cause": notice.substitute_cause,
                       "reason": notice.substitute_reason} if notice.replaced_submission_id else None,
    }


@endpoint("/challenges/<int:challenge_id>/notice", auth=False, tag="公示", summary="结果公示（公示中起公开）")
def get_notice(challenge_id):
    challenge = _challenge(challenge_id)
    notice = notice_ops.current_notice(challenge)
    if notice is None or not notice_public(challenge):
        raise NotFound()
    return _notice_json(challenge, notice)


def _objection_json(objection):
    return {"id": objection.id, "challenge_id": objection.challenge_id, "provider_id": objection.provider_id,
            "reason": objection.reason, "status": objection.state.value, "note": objection.resolution_note,
            "created_at": isoformat(objection.created_at), "resolved_at": isoformat(objection.resolved_at),
            "attachments": [file_ops.file_json(f) for f in file_ops.live_files("objection", objection.id)]}


@endpoint("/challenges/<int:challenge_id>/objections", ["POST"], roles=["provider"], form=ObjectionForm, tag="公示",
          summary="提出异议（参与揭榜的服务商，公示期内）{reason}", success=201)
def lodge_objection(challenge_id):
    challenge = _challenge(challenge_id)
    form = validate_json(ObjectionForm, json_body())
    return _objection_json(notice_ops.lodge_objection(api_user(), challenge, reason=form.reason.data)), 201


def _objection(objection_id):
    objection = db.session.get(Objection, objection_id)
    user = api_user()
    if objection is None or not (is_admin(user) or user.organisation_id == objection.provider_id):
        raise NotFound()
    return objection


@endpoint("/objections/<int:objection_id>", tag="公示", summary="异议详情（管理员与提出方）")
def get_objection(objection_id):
    return _objection_json(_objection(objection_id))


@endpoint("/objections/<int:objection_id>/attachments", ["POST"], roles=["provider"], form=UploadForm, multipart=True,
          tag="公示", summary="为异议上传证明材料（提出方，处理前）", success=201)
def attach_to_objection(objection_id):
    objection = _objection(objection_id)
    form = UploadForm(meta={"csrf": False})
    if not form.validate():
        raise ValidationFailed(fields={"file": "请用 multipart/form-data 上传字段 file"})
    return file_ops.file_json(notice_ops.attach_to_objection(api_user(), objection, form.file.data)), 201


@endpoint("/objections/<int:objection_id>/resolve", ["POST"], roles=["admin"], form=ResolveForm, tag="公示",
          summary="处理异议（管理员）{decision: dismissed|upheld, note（公开答复）, 支持时 scope: evaluators|round, evaluator_ids?, panel_note（仅专家组）}")
def resolve_objection(objection_id):
    objection = _objection(objection_id)
    form = validate_json(ResolveForm, json_body())
    return _objection_json(notice_ops.resolve_objection(
        api_user(), objection, decision=form.decision.data, note=form.note.data, scope=form.scope.data or None,
        evaluator_ids=form.evaluator_ids.data or [], panel_note=form.panel_note.data))


@endpoint("/challenges/<int:challenge_id>/finalize", ["POST"], roles=["admin"], tag="公示",
          summary="确认挂帅（管理员）：公示期结束且无待处理异议 → awarded，创建项目")
def finalize(challenge_id):
    challenge = _challenge(challenge_id)
    challenge = notice_ops.finalize(api_user(), challenge)
    from marketplace.api.serializers import challenge_json
    from marketplace.projects.queries import challenge_project

    project = challenge_project(challenge)

    return {**challenge_json(challenge), "project_id": project.id}




@endpoint("/challenges/<int:challenge_id>/substitute", ["POST"], roles=["admin"], form=SubstituteForm, tag="公示",
          summary="递补（管理员）：已挂帅、合同签订前（项目未进入建设阶段），挂帅单位主动放弃或被取消资格 "
                  "{reason, cause?: withdrawn|disqualified} → 其项目终止，最终排名下一名有效候选单位递补，"
                  "榜单回到 notice 并发布新的公示；没有候选单位或已签约 409")
def substitute(challenge_id):
    challenge = _challenge(challenge_id)
    form = validate_json(SubstituteForm, json_body())
    notice_ops.withdraw_winner(api_user(), challenge, reason=form.reason.data, cause=form.cause.data or "withdrawn")
    return _notice_json(challenge, notice_ops.current_notice(challenge))
