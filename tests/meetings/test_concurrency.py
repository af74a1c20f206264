"""Capacity under concurrent registrations: a served app on PostgreSQL takes parallel requests
from many providers at once; the seats held never exceed the capacity, and the waitlist holds
the rest in arrival order. (SQLite serialises writers by itself; the lock matters on PostgreSQL.)"""

import json
import os
import threading
import urllib.error
import urllib.request

import pytest
import sqlalchemy as sa

from marketplace.accounts.operations import issue_token
from marketplace.extensions import db
from marketplace.meetings.models import Registration
from marketplace.meetings.states import SEATED_STATES, RegistrationState
from tests import factories
from tests.served import served as serve

pytestmark = pytest.mark.skipif(not (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql"),
                                reason="parallel registrations are tested on PostgreSQL")


@pytest.fixture
def served(app):
    with serve(app) as base:
        yield base


def _post(url, token, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _parallel(calls):
    results = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(i, fn):
        barrier.wait()
        results[i] = fn()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_parallel_registrations_never_exceed_capacity(served, make_event):
    event = make_event(capacity=7)
    tokens = []
    for i in range(16):
        user = factories.create_user("provider", org=factories.create_org("provider", name=f"并发{i}号科技有限公司"))
        tokens.append(issue_token(user)[0])
    db.session.commit()
    url = f"{served}/api/v1/events/{event.id}/registrations"
    results = _parallel([lambda t=t, n=i: _post(url, t, {"attendees": 1 + n % 3}) for i, t in enumerate(tokens)])
    assert all(status == 201 for status, _ in results), results
    db.session.expire_all()
    rows = db.session.scalars(sa.select(Registration).where(Registration.event_id == event.id)
                              .order_by(Registration.id)).all()
    seated = sum(r.attendees for r in rows if r.state in SEATED_STATES)
    assert seated <= event.capacity
    assert len(rows) == 16 and any(r.state == RegistrationState.waitlisted for r in rows)
    # Every waitlisted registration arrived when its attendees no longer fitted.
    taken = 0
    for r in rows:
        if r.state in SEATED_STATES:
            taken += r.attendees
        else:
            assert taken + r.attendees > event.capacity


def test_parallel_cancellations_promote_one_each(served, make_event):
    event = make_event(capacity=4)
    users = [factories.create_user("provider", org=factories.create_org("provider", name=f"候补{i}号有限公司"))
             for i in range(8)]
    from marketplace.meetings import operations as ops

    registrations = [ops.register(u, event, attendees=1) for u in users]
    db.session.commit()
    ids = [r.id for r in registrations]
    tokens = [issue_token(u)[0] for u in users[:4]]
    db.session.commit()
    results = _parallel([lambda t=t, i=i: _post(f"{served}/api/v1/registrations/{i}/cancel", t, {})
                         for t, i in zip(tokens, ids[:4], strict=True)])
    assert all(status == 200 for status, _ in results), results
    db.session.expire_all()
    states = [db.session.get(Registration, i).state for i in ids[4:]]
    assert states == [RegistrationState.registered] * 4
