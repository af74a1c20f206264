"""This process's notice that challenges changed (for its per-process caches: the next
deadline, list totals).

An ORM flush that adds a challenge or changes its state or deadline, or an UPDATE/INSERT
statement on the challenges table (the conditional updates of the operations, bulk changes),
calls every registered callback. Changes made by other processes are not seen here; each cache
bounds that with a short lifetime.
"""

import sqlalchemy as sa

_callbacks = []


def on_change(callback):
    if callback not in _callbacks:
        _callbacks.append(callback)
    return callback


def changed():
    for callback in _callbacks:
        callback()


def _after_flush(session, flush_context):
    from marketplace.challenges.models import Challenge

    for obj in (*session.new, *session.deleted, *session.dirty):
        if isinstance(obj, Challenge):
            attrs = sa.inspect(obj).attrs
            if obj in session.new or obj in session.deleted or any(
                    attrs[name].history.has_changes() for name in ("state", "deadline", "domain", "department_id",
                                                                   "budget_fen", "title", "published_at")):
                changed()
                return


def _orm_execute(state):
    from marketplace.challenges.models import Challenge

    if (state.is_update or state.is_insert or state.is_delete) and state.bind_mapper is not None \
            and state.bind_mapper.class_ is Challenge:
        changed()


def install(db):
    if not sa.event.contains(db.session, "after_flush", _after_flush):
        sa.event.listen(db.session, "after_flush", _after_flush)
        sa.event.listen(db.session, "do_orm_execute", _orm_execute)
