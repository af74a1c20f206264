import sqlalchemy as sa
from flask import request

from marketplace.audit.models import AuditEvent
from marketplace.core.timeutil import SHANGHAI


def events_query(*, object_type=None, object_id=None, action=None, actor_id=None,
                 date_from=None, date_to=None):
    query = sa.select(AuditEvent)
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    if object_id:
        query = query.where(AuditEvent.object_id == object_id)
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    if actor_id:
        query = query.where(AuditEvent.actor_id == actor_id)
    if date_from:
        query = query.where(AuditEvent.created_at >= _day_start(date_from))
    if date_to:
        from datetime import timedelta

        query = query.where(AuditEvent.created_at < _day_start(date_to + timedelta(days=1)))
    return query.order_by(AuditEvent.seq.desc())


def _day_start(day):
    from datetime import datetime, time

    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def _int_arg(name):
    value = request.args.get(name, type=int)
    return value if value and 0 < value < 2**31 else None


def _date_arg(name):
    from datetime import date

    try:
        value = date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None
    # Out-of-range days (0001-01-01, 9999-12-31) would overflow when turned into UTC bounds.
    return value if date(1900, 1, 1) <= value <= date(9000, 1, 1) else None


def events_query_from_args():
    return events_query(
        object_type=(request.args.get("object_type") or "")[:40] or None,
        object_id=_int_arg("object_id"),
        action=(request.args.get("action") or "")[:64] or None,
        actor_id=_int_arg("actor_id"),
        date_from=_date_arg("date_from"),
        date_to=_date_arg("date_to"),
    )
