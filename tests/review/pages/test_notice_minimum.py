"""The minimum notice period (NOTICE_MIN_WORKING_DAYS, working days): a shorter fixed period is
refused at the field; with notice_days 0 the award waits until the minimum has passed."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.challenges import operations as challenge_ops
from marketplace.challenges.models import Challenge
from marketplace.core.db import utcnow
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.timeutil import to_shanghai
from marketplace.extensions import db
from marketplace.notices import operations as notice_ops
from marketplace.notices.models import Notice
from marketplace.notices.workdays import add_working_days, parse_dates
from tests import factories
from tests.challenges.pages.conftest import plan_values
from tests.review.pages.conftest import alerts, page, submit, text
from tests.review.pages.test_notice_pages import _state, _to_notice


@pytest.fixture
def minimum(app, monkeypatch):
    monkeypatch.setitem(app.config, "NOTICE_MIN_WORKING_DAYS", 3)
    return 3


def test_a_fixed_period_below_the_minimum_is_refused_at_the_field(db, minimum):
    department = factories.create_user("department")
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        challenge_ops.create_challenge(department, plan_values(notice_days=2))
    assert "不得少于 3 个工作日" in caught.value.fields["notice_days"]
    db.session.rollback()  # as the request edge does
    for days in (0, 3, 10):  # 0 keeps meaning "open until the admin finalizes"
        assert challenge_ops.create_challenge(department, plan_values(notice_days=days)).notice_days == days


def test_the_api_answers_422_on_notice_days(db, minimum, api):
    department = factories.create_user("department")
    db.session.commit()
    body = {"title": "医院智能分诊", "domain": "医疗", "description": "场景描述", "outcomes": "候诊缩短",
            "budget_yuan": "500000", "required_domains": ["医疗"], "race_slots": 1, "min_submissions": 1,
            "deadline": (utcnow() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "rounds": plan_values()["rounds"]}
    client = api(department)
    refused = client.post("/challenges", json={**body, "notice_days": 1})
    assert refused.status_code == 422 and "notice_days" in refused.json["error"]["fields"]
    assert client.post("/challenges", json={**body, "notice_days": 0}).status_code == 201


def test_without_a_minimum_nothing_changes(db):
    department = factories.create_user("department")
    assert challenge_ops.create_challenge(department, plan_values(notice_days=1)).notice_days == 1


def test_no_fixed_period_waits_for_the_minimum_before_the_award(world, flow, client, app, minimum):
    w, f, _ = _to_notice(world, flow, notice_days=0)
    notice = db.session.scalars(sa.select(Notice).where(Notice.challenge_id == w.challenge.id)).one()
    assert notice.ends_at is None
    published = to_shanghai(notice.published_at).date()
    last_day = add_working_days(published, 3, parse_dates(app.config["NOTICE_HOLIDAYS"]),
                                parse_dates(app.config["NOTICE_WORKDAYS"]))
    url = f"/challenges/{w.challenge.id}/notice"
    assert f"不早于 {last_day.isoformat()} 24:00" in page(client, url)

    challenge = db.session.get(Challenge, w.challenge.id)
    with pytest.raises(Conflict) as caught:
        notice_ops.finalize(w.admin, challenge)
    assert f"最早可于 {(last_day + timedelta(days=1)).isoformat()} 确认挂帅" in caught.value.message
    # The button refused: back on the notice page with the reason (not a bare 409 page).
    early = submit(f.admin, f"/challenges/{w.challenge.id}/finalize", page_url=url, follow=False)
    assert early.status_code == 302 and early.headers["Location"].endswith(url)
    back = f.admin.get(url)
    assert any(cat == "warning" and "最短公示期 3 个工作日" in msg for cat, msg in alerts(text(back)))
    assert _state(w) == "notice"

    # Once the minimum has passed (publication moved back two weeks), the award goes through.
    db.session.execute(sa.update(Notice).where(Notice.id == notice.id)
                       .values(published_at=notice.published_at - timedelta(days=14)))
    db.session.commit()
    done = submit(f.admin, f"/challenges/{w.challenge.id}/finalize", page_url=url)
    assert done.status_code == 200 and _state(w) == "awarded"


def test_the_api_refuses_early_finalize_with_409(world, flow, api, minimum):
    w, _, _ = _to_notice(world, flow, notice_days=0)
    response = api(w.admin).post(f"/challenges/{w.challenge.id}/finalize")
    assert response.status_code == 409 and "最早可于" in response.json["error"]["message"]
