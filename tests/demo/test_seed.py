"""`flask --app wsgi seed-demo`: challenges in every state reachable today, built through the real
operations (so audit events and notifications exist), idempotent, and never leaking drafts."""

from collections import Counter

import pytest
import sqlalchemy as sa

from marketplace.audit.models import AuditEvent
from marketplace.audit.operations import verify_chain
from marketplace.challenges.models import Challenge, Question
from marketplace.challenges.states import LISTED_STATES, ChallengeState
from marketplace.core.db import utcnow
from marketplace.demo import CHALLENGES
from marketplace.notifications.models import Notification
from marketplace.providers.operations import provider_standing
from marketplace.submissions.models import Submission, SubmissionState, SubmissionVersion

S = ChallengeState
REACHABLE_TODAY = {S.draft, S.pending_review, S.published, S.closed, S.failed, S.cancelled}


def _run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result


def _row_counts(db):
    return {table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


@pytest.fixture
def seeded(app, db):
    _run(app, "seed-demo")
    db.session.expire_all()
    return {c.title: c for c in db.session.scalars(sa.select(Challenge)).all()}


def test_seed_twice_leaves_the_same_rows_and_a_valid_audit_chain(app, db, seeded):
    counts = _row_counts(db)
    assert counts["challenges"] == len(CHALLENGES)
    _run(app, "seed-demo")
    db.session.expire_all()
    assert _row_counts(db) == counts
    result = verify_chain()
    assert result.ok and result.events == counts["audit_events"]
    assert "完整" in _run(app, "audit", "verify").output


def test_every_state_reachable_today_is_present(seeded):
    states = Counter(c.state for c in seeded.values())
    assert set(states) == REACHABLE_TODAY
    assert states[S.published] >= 3
    returned = [c for c in seeded.values() if c.state == S.draft and c.status_reason]
    assert returned and "量化指标" in returned[0].status_reason
    assert any(c.state == S.draft and not c.status_reason for c in seeded.values())
    assert all(c.status_reason for c in seeded.values() if c.state == S.cancelled)


def test_published_challenges_are_open_with_sensible_plans(db, seeded):
    now = utcnow()
    published = [c for c in seeded.values() if c.state == S.published]
    assert all(c.deadline > now and c.published_at is not None for c in published)
    days_ahead = sorted((c.deadline - now).days for c in published)
    assert days_ahead[0] <= 7 and days_ahead[-1] >= 14  # days to weeks ahead
    racing = [c for c in published if c.race_slots > 1]
    assert racing
    for challenge in racing:
        assert [r.name for r in challenge.rounds] == ["方案评审", "中期评估", "终期评审"]
        assert challenge.rounds[0].advance_top == challenge.race_slots
        assert challenge.rounds[-1].advance_top == 1
    for challenge in seeded.values():
        assert challenge.rounds
        for round_ in challenge.rounds:
            assert sum(c.weight for c in round_.criteria) == 100
            assert all(c.max_points > 0 for c in round_.criteria)


def _live_entries(db, challenge):
    return db.session.scalars(sa.select(Submission).where(
        Submission.challenge_id == challenge.id, Submission.state == SubmissionState.submitted)).all()


def test_closed_and_failed_challenges_went_through_the_deadline(db, seeded):
    after = [c for c in seeded.values() if c.state in (S.closed, S.failed)]
    assert {c.state for c in after} == {S.closed, S.failed}
    for challenge in after:
        entries = _live_entries(db, challenge)
        assert entries and all(not provider_standing(e.provider) for e in entries)  # admitted providers
        assert all(e.submitted_at <= challenge.deadline for e in entries)
        if challenge.state == S.closed:
            assert len(entries) >= challenge.min_submissions
        else:
            assert len(entries) < challenge.min_submissions and "少于" in challenge.status_reason
        closes = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
            AuditEvent.action == "challenge.close", AuditEvent.object_id == challenge.id))
        assert closes == 1


def test_clarifications_entries_versions_and_notifications(db, seeded):
    questions = db.session.scalars(sa.select(Question)).all()
    assert any(q.answer for q in questions) and any(q.answer is None for q in questions)
    assert db.session.scalar(sa.select(sa.func.max(Submission.version))) >= 3
    assert db.session.scalar(sa.select(sa.func.count(SubmissionVersion.id))) > \
        db.session.scalar(sa.select(sa.func.count(Submission.id)))
    assert db.session.scalar(sa.select(Submission.id).where(Submission.state == SubmissionState.withdrawn))
    cancelled = next(c for c in seeded.values() if c.state == S.cancelled)
    assert _live_entries(db, cancelled)  # someone had entered, and was told
    kinds = set(db.session.scalars(sa.select(Notification.kind)).all())
    assert {"challenge.pending_review", "challenge.approved", "challenge.returned", "question.answered",
            "challenge.extended", "challenge.cancelled", "challenge.closed", "submission.received"} <= kinds


def _all_listed(api, query=""):
    items, page = [], 1
    while True:
        body = api().get(f"/challenges?per_page=50&page={page}{query}").get_json()
        items += body["items"]
        if len(items) >= body["total"] or not body["items"]:
            return items
        page += 1


def test_public_list_shows_no_drafts(api, client, seeded):
    hidden = {c.title for c in seeded.values() if c.state in (S.draft, S.pending_review)}
    listed = {c.title for c in seeded.values() if c.state in LISTED_STATES}
    assert hidden and listed

    items = _all_listed(api)
    assert {i["title"] for i in items} == listed
    assert {i["status"] for i in items} <= {s.value for s in LISTED_STATES}

    titles, cursor = set(), ""
    for _ in range(20):  # keyset paging, as the busiest page walks it
        body = api().get(f"/challenges?per_page=3&after={cursor}").get_json()
        titles |= {i["title"] for i in body["items"]}
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert titles == listed

    for state in ("draft", "pending_review"):  # a status the public may not ask for is ignored
        items = api().get(f"/challenges?status={state}&per_page=50").get_json()["items"]
        assert not {i["title"] for i in items} & hidden
    html = client.get("/challenges").get_data(as_text=True)
    assert not [t for t in hidden if t in html]
    for challenge in seeded.values():
        if challenge.state in (S.draft, S.pending_review):
            assert api().get(f"/challenges/{challenge.id}").status_code == 404
