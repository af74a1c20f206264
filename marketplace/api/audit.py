"""API: the audit log (admin). Sealed entries' events are redacted exactly as on the page."""

from marketplace.api import endpoint
from marketplace.audit.operations import verify_chain
from marketplace.auditlog.queries import event_json, events_query_from_args, present
from marketplace.core.pagination import page_args
from marketplace.extensions import db


@endpoint("/audit", roles=["admin"], tag="审计", summary="审计日志（可按对象、动作、操作人、单位、榜单、日期筛选；密封期内的方案事件只显示动作与时间）",
          query={"object_type": "对象类型（单数名词，如 partner_application）", "object_id": "对象 id",
                 "action": "动作", "actor_id": "操作人 id", "person": "操作人（邮箱或姓名的一部分）",
                 "organisation": "单位名称的一部分", "challenge": "榜单 id 或标题的一部分",
                 "date_from": "起始日期（北京时间，YYYY-MM-DD）", "date_to": "截止日期（含当日）"})
def list_audit():
    page, per_page = page_args(20)
    result = db.paginate(events_query_from_args(), page=page, per_page=per_page, error_out=False, count=True)
    return {"items": [event_json(row) for row in present(result.items)], "total": result.total,
            "page": page, "per_page": per_page}


@endpoint("/audit/verify", roles=["admin"], tag="审计", summary="校验审计哈希链（含每个已发布的检查点）")
def verify_audit():
    return verify_chain().as_dict()
