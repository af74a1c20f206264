"""Events built through the real operations: an organiser department, providers, and
`make_event(capacity=…, requires_approval=…)` giving a published event two days ahead."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.core.db import utcnow
from marketplace.extensions import db
from marketplace.meetings import operations as ops
from marketplace.meetings.models import Event
from tests import factories


def event_values(**overrides):
    start = utcnow().replace(microsecond=0) + timedelta(days=2)
    values = {"title": "第三季度供需对接会：智慧养老专场", "kind": "matchmaking", "starts_at": start,
              "ends_at": start + timedelta(hours=3), "venue": "区行政服务中心 3 楼报告厅", "capacity": 10,
              "registration_deadline": start - timedelta(hours=12), "requires_approval": False,
              "description": "民政局发布养老场景需求，服务商现场路演。", "challenge_ids": []}
    values.update(overrides)
    return values


@pytest.fixture
def organiser(db):
    org = factories.create_org("department", name="区民政局")
    return factories.create_user("department", org=org, name="民政局经办人")


@pytest.fixture
def make_event(organiser):
    def _make(publish=True, **overrides):
        event = ops.create_event(organiser, event_values(**overrides))
        if publish:
            ops.publish_event(organiser, event)
        db.session.commit()
        return event

    return _make


@pytest.fixture
def providers(db):
    """Five provider users, each of its own organisation (registration does not need admission)."""
    return [factories.create_user("provider", org=factories.create_org("provider", name=f"上海第{i}科技有限公司"))
            for i in range(1, 6)]


def move_event(event, **values):
    """Test set-up only: move an event's times as the passing of time would."""
    db.session.execute(sa.update(Event).where(Event.id == event.id).values(**values))
    db.session.commit()
    db.session.refresh(event)
    return event
