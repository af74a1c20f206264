"""API: the audit log (admin)."""

from marketplace.api import endpoint, paged
from marketplace.api.serializers import audit_event_json
from marketplace.audit.operations import verify_chain
from marketplace.audit.queries import events_query_from_args


@endpoint("/audit", roles=["admin"], tag="审计", summary="审计日志（可按对象、动作、操作人筛选）",
          query={"object_type": "对象类型（单数名词，如 partner_application）", "object_id": "对象 id",
                 "action": "动作", "actor_id": "操作人 id"})
def list_audit():
    return paged(events_query_from_args(), audit_event_json)


@endpoint("/audit/verify", roles=["admin"], tag="审计", summary="校验审计哈希链")
def verify_audit():
    return verify_chain().as_dict()
