"""API: the caller's own notification inbox."""

from flask import request

from marketplace.api import api_user, endpoint, paged
from marketplace.api.serializers import notification_json
from marketplace.notifications import operations as ops


@endpoint("/notifications", tag="通知", summary="我的通知（?unread=1 仅未读）",
          query={"unread": "1 表示仅未读"})
def list_notifications():
    result = paged(ops.inbox_query(api_user(), unread_only=request.args.get("unread") == "1"),
                   notification_json)
    result["unread"] = ops.unread_count(api_user())
    return result


@endpoint("/notifications/<int:notification_id>/read", ["POST"], tag="通知", summary="标记为已读")
def read_notification(notification_id):
    note = ops.get_own_notification(api_user(), notification_id)
    return notification_json(ops.mark_read(api_user(), note))


@endpoint("/notifications/read-all", ["POST"], tag="通知", summary="全部标记为已读")
def read_all_notifications():
    ops.mark_all_read(api_user())
    return {"unread": 0}
