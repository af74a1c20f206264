"""Chinese names for the audit log's readers (auditors, 纪检): actions, objects and the fields of
before → after. One place; an action missing here is shown by its code."""

ACTION_LABELS = {
    # accounts
    "organisation.create": "创建单位",
    "organisation.update": "修改单位信息",
    "organisation.sign_up": "服务商注册单位",
    "user.create": "创建账号",
    "user.update": "修改账号",
    "user.activate": "启用账号",
    "user.deactivate": "停用账号",
    "user.change_password": "修改密码",
    "user.sign_up": "服务商注册账号",
    "user.login": "登录",
    "user.logout": "退出登录（结束该用户全部会话）",
    "user.token_issued": "签发接口令牌",
    "user.expert_domains": "设置专家领域",
    # partner list and catalogue
    "partner_application.submit": "申请入库",
    "partner_application.admit": "准予入库",
    "partner_application.reject": "驳回入库申请",
    "partner_application.suspend": "暂停伙伴资格",
    "partner_application.reinstate": "恢复伙伴资格",
    "partner_application.remove": "移出伙伴库",
    "partner_application.expire": "伙伴资格到期",
    "solution.create": "发布解决方案",
    "solution.update": "修改解决方案",
    "solution.withdraw": "下架解决方案",
    # challenges
    "challenge.create": "创建榜单",
    "challenge.update": "修改榜单",
    "challenge.submit_for_review": "提交榜单审核",
    "challenge.approve": "审核通过并发布榜单",
    "challenge.return": "退回榜单修改",
    "challenge.cancel": "撤榜",
    "challenge.close": "榜单截止",
    "challenge.fail": "流标",
    "challenge.start_evaluation": "开始评审",
    "challenge.start_race": "进入赛马",
    "challenge.publish_notice": "发布公示",
    "challenge.uphold_objection": "异议成立，重新评审",
    "challenge.award": "挂帅",
    "challenge.award_result": "确定揭榜结果",
    "challenge.substitute": "挂帅单位退出，递补公示",
    "challenge.extend": "延长截止时间",
    "challenge.entries_counted": "截止时统计有效方案",
    "challenge.attach": "上传榜单附件",
    "challenge.detach": "删除榜单附件",
    "question.ask": "提出澄清问题",
    "question.answer": "答复澄清问题",
    # entries and files
    "submission.submit": "提交揭榜方案",
    "submission.update": "修改揭榜方案",
    "submission.withdraw": "撤回揭榜方案",
    "submission.exclude": "方案不计入（服务商资格暂停或移出）",
    "submission.attach": "上传方案附件",
    "submission.detach": "删除方案附件",
    "file.upload": "上传文件",
    "file.remove": "删除文件",
    # evaluation
    "round.panel": "设置评审专家组",
    "round.panel_draw": "随机抽取评审专家",
    "round.open": "开始评审轮次",
    "round.declaration": "专家申报回避",
    "round.sheet_submit": "提交评分表",
    "round.sheet_return": "退回评分表",
    "round.close": "结束评审轮次",
    "round.reopen": "重新开启评审轮次",
    "round.panel_replace": "更换评审专家",
    "round.report_sign": "专家签署评审报告",
    "round.report_refuse": "专家拒签评审报告",
    "round.report_frozen": "评审报告定稿",
    "round.publish": "发布评审结果",
    "round.remind": "提醒评审专家",
    "entry.metrics": "申报评审指标值",
    "evaluation_template.create": "新建评审方案模板",
    "evaluation_template.edit": "修改评审方案模板（新版本）",
    # notices and objections
    "notice.publish": "发布结果公示",
    "notice.withdraw_winner": "挂帅单位退出或被取消资格（递补）",
    "notice.publish_substitute": "发布递补公示",
    "objection.lodge": "提出异议",
    "objection.dismissed": "驳回异议",
    "objection.upheld": "异议成立",
    "objection.attach": "补充异议材料",
    # projects and cases
    "project.create": "立项",
    "project.start_pilot": "建立赛马试点项目",
    "project.promote": "试点转为正式项目",
    "project.create_from_pilot": "递补：为已结束试点的单位建立正式项目",
    "project.advance": "项目进入下一阶段",
    "project.terminate": "终止项目",
    "project.assign_provider": "确定实施服务商",
    "project.document": "上传项目文档",
    "project.gate_approve": "阶段审批通过",
    "project.gate_reset": "关口审批因退回作废",
    "gate_request.create": "申请进入下一阶段",
    "gate_request.approve": "关口申请通过",
    "gate_request.return": "退回关口申请",
    "payment.void": "作废付款",
    "project.payment": "登记付款",
    "project.rectify": "限期整改",
    "project.case_published": "项目形成案例",
    "milestone.create": "设置里程碑",
    "milestone.overdue": "里程碑逾期",
    "progress_report.submit": "提交进度报告",
    "progress_report.confirm": "确认进度报告",
    "progress_report.return": "退回进度报告",
    "acceptance.convene": "组织验收",
    "acceptance.sign": "验收专家签署",
    "acceptance.refusal": "记录专家拒签",
    "acceptance.conclude": "形成验收结论",
    "case.publish": "发布案例",
    # scenario needs (需求征集)
    "need.submit": "提交场景需求",
    "need.update": "修改场景需求",
    "need.resubmit": "重新提交场景需求",
    "need.accept": "受理场景需求",
    "need.return": "退回场景需求",
    "need.reject": "不予采纳场景需求",
    "need.merge": "合并重复需求",
    "need.publish": "发布场景需求",
    "need.convert": "需求转为榜单",
    "need_batch.create": "编制场景需求清单",
    "need_batch.publish": "发布场景需求清单",
    "subscriptions.update": "修改关注的领域",
    # matching and events (供需对接、活动)
    "invitation.create": "邀请服务商揭榜",
    "invitation.open": "服务商查看邀请",
    "event.create": "创建活动",
    "event.update": "修改活动",
    "event.publish": "发布活动",
    "event.cancel": "取消活动",
    "event_registration.create": "活动报名",
    "event_registration.remind": "活动前一天提醒",
    "event_registration.approve": "通过活动报名",
    "event_registration.reject": "不予通过活动报名",
    "event_registration.promote": "候补转正",
    "event_registration.promote_for_review": "候补转为待审核",
    "event_registration.check_in": "活动签到",
    "event_registration.cancel": "取消活动报名",
    # printed documents
    "document.pdf_issued": "文件出具",
    # the audit log itself
    "platform.tick": "系统定时任务",
}

OBJECT_LABELS = {
    "organisation": "单位",
    "user": "账号",
    "partner_application": "入库申请",
    "solution": "解决方案",
    "challenge": "榜单",
    "question": "澄清问题",
    "submission": "揭榜方案",
    "file": "文件",
    "round": "评审轮次",
    "panel_member": "评审专家",
    "evaluation_template": "评审方案模板",
    "notice": "公示",
    "objection": "异议",
    "project": "项目",
    "milestone": "里程碑",
    "progress_report": "进度报告",
    "acceptance": "验收",
    "gate_request": "关口申请",
    "payment": "付款",
    "case": "案例",
    "platform": "平台",
}

FIELD_LABELS = {
    "state": "状态", "status": "状态", "name": "名称", "title": "标题", "kind": "类型", "email": "邮箱",
    "role": "角色", "organisation_id": "所属单位", "is_active": "启用", "credit_code": "统一社会信用代码",
    "domain": "领域", "domains": "领域", "reason": "理由", "note": "说明", "valid_until": "有效期至",
    "deadline": "截止时间", "version": "版本", "price_fen": "报价（分）", "budget_fen": "预算（分）",
    "file": "文件", "file_id": "文件", "sha256": "SHA-256", "size": "大小（字节）", "owner_type": "所属对象",
    "owner_id": "所属对象 id", "challenge_id": "榜单", "submission_id": "方案", "winner_submission_id": "中选方案",
    "panel": "专家组", "stage": "阶段", "percent": "进度（%）", "due_date": "到期日", "paid_fen": "已付（分）",
    "amount_fen": "金额（分）", "conclusion": "结论", "project_id": "项目", "provider_id": "服务商",
    "round_id": "评审轮次", "decision": "处理结果", "summary": "摘要", "description": "说明",
    "paid_on": "付款日期", "voucher_no": "凭证号", "voided": "已作废", "payment_id": "付款", "dissent": "保留意见",
    "to_stage": "申请进入阶段", "approvals": "关口审批", "redraw": "重新抽取", "seed": "随机种子",
    "candidates": "候选专家", "draw_id": "抽取记录", "member": "专家", "confirms_record": "确认已登记的结论",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def object_label(object_type: str) -> str:
    return OBJECT_LABELS.get(object_type, object_type)


def _text(value) -> str:
    if value is None:
        return "（空）"
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, list):
        return "、".join(_text(v) for v in value) or "（空）"
    if isinstance(value, dict):
        return "；".join(f"{FIELD_LABELS.get(k, k)}：{_text(v)}" for k, v in value.items())
    return str(value)


def changes(before: dict | None, after: dict | None) -> list[tuple[str, str | None, str | None]]:
    """before → after as (field, old, new): fields that changed (old and new), fields only set
    (new), fields only removed (old). Unchanged fields are left out."""
    before, after = before or {}, after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [("内容", _text(before) if before else None, _text(after) if after else None)]
    rows = []
    for key in list(before) + [k for k in after if k not in before]:
        label = FIELD_LABELS.get(key, key)
        if key in before and key in after:
            if before[key] != after[key]:
                rows.append((label, _text(before[key]), _text(after[key])))
        elif key in after:
            rows.append((label, None, _text(after[key])))
        else:
            rows.append((label, _text(before[key]), None))
    return rows


def changes_text(before, after) -> str:
    parts = []
    for label, old, new in changes(before, after):
        if old is not None and new is not None:
            parts.append(f"{label}：{old} → {new}")
        elif new is not None:
            parts.append(f"{label}：{new}")
        else:
            parts.append(f"{label}：{old}（已移除）")
    return "；".join(parts)
