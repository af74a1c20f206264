"""Noticing changes to searchable rows without touching the operations that make them.

A listener on the session's flush writes one `search_changes` row per changed source object
in the same transaction, so the change log commits or rolls back together with the change.
After the commit, this process catches its local index up from the log.
"""

import logging

import sqlalchemy as sa
from sqlalchemy import event

from marketplace.core.aftercommit import after_commit, on_rollback
from marketplace.core.db import utcnow
from marketplace.search.documents import TRACKED
from marketplace.search.models import SearchChange

log = logging.getLogger(__name__)
_QUEUED = "search_catch_up_queued"


def _changed(obj, attributes):
    state = sa.inspect(obj)
    names = attributes or [a.key for a in state.mapper.column_attrs]
    return any(state.attrs[name].history.has_changes() for name in names)


def changes_in(session):
    """{(source kind, object id)} touched by the flush in progress."""
    found = set()
    for obj in list(session.new) + list(session.deleted):
        spec = TRACKED.get(type(obj))
        if spec:
            found.add((spec[0], spec[1](obj)))
    for obj in session.dirty:
        spec = TRACKED.get(type(obj))
        if spec and _changed(obj, spec[2]):
            found.add((spec[0], spec[1](obj)))
    return {(kind, object_id) for kind, object_id in found if object_id is not None}


def _after_flush(session, flush_context):
    found = changes_in(session)
    if not found:
        return
    now = utcnow()
    session.connection().execute(
        sa.insert(SearchChange.__table__),
        [{"doc_type": kind, "object_id": object_id, "created_at": now} for kind, object_id in sorted(found)],
    )
    _queue_catch_up(session)


def _queue_catch_up(session):
    from flask import current_app

    if session.info.get(_QUEUED):
        return
    try:
        app = current_app._get_current_object()
    except RuntimeError:  # outside an application context nobody can catch up; the next search will
        return
    from marketplace.search.index import get_index

    index = get_index(app)
    session.info[_QUEUED] = True

    def catch_up():
        session.info.pop(_QUEUED, None)
        index.catch_up_soon()

    def forget():
        session.info.pop(_QUEUED, None)

    after_commit(catch_up)
    on_rollback(forget)


def install(db):
    if not event.contains(db.session, "after_flush", _after_flush):
        event.listen(db.session, "after_flush", _after_flush)
