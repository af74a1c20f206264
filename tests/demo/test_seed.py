"""`flask --app wsgi seed-demo`: challenges in every state, built through the real operations (so
audit events and notifications exist), idempotent, and never leaking drafts."""

from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import Role, User
from marketplace.audit.models import AuditEvent
from marketplace.audit.operations import verify_chain
from marketplace.challenges.models import Challenge, Question
from marketplace.challenges.states import LISTED_STATES, ChallengeState
from marketplace.core.db import utcnow
from marketplace.demo import CHALLENGES, EXPERTS
from marketplace.needs.demo import NEEDS
from marketplace.notices.models import Notice, Objection, ObjectionState
from marketplace.notices.operations import current_notice
from marketplace.notifications.models import Notification
from marketplace.projects.models import Project, ProjectStage
from marketplace.providers.operations import provider_standing
from marketplace.review import operations as review_ops
from marketplace.review.models import EvaluatorDomain, PanelMember, SheetStatus
from marketplace.review.states import RoundStatus
from marketplace.submissions.models import Submission, SubmissionState, SubmissionVersion

S = ChallengeState


def _run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result


def _row_counts(db):
    return {table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


@pytest.fixture
def seeded(app, db):
    """The demo challenges by title (seeded once for the module, see conftest.py)."""
    db.session.expire_all()
    return {c.title: c for c in db.session.scalars(sa.select(Challenge)).all()}


def test_seed_twice_leaves_the_same_rows_and_a_valid_audit_chain(app, db, seeded):
    counts = _row_counts(db)
    # plus the challenge the demo's converted need became (marketplace/needs/demo.py)
    assert counts["challenges"] == len(CHALLENGES) + sum(1 for spec in NEEDS if spec[11] == "converted")
    _run(app, "seed-demo")
    db.session.expire_all()
    assert _row_counts(db) == counts
    result = verify_chain()
    assert result.ok and result.events == counts["audit_events"]
    assert "完整" in _run(app, "audit", "verify").output


def test_every_challenge_state_is_present(seeded):
    states = Counter(c.state for c in seeded.values())
    assert set(states) == set(ChallengeState)
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

    for state in ("draft", "pending_review"):  # a status the public may not ask for: 422, no list
        response = api().get(f"/challenges?status={state}&per_page=50")
        assert response.status_code == 422 and "status" in response.get_json()["error"]["fields"]
        assert not [t for t in hidden if t in response.get_data(as_text=True)]
    html = client.get("/challenges").get_data(as_text=True)
    assert not [t for t in hidden if t in html]
    for challenge in seeded.values():
        if challenge.state in (S.draft, S.pending_review):
            assert api().get(f"/challenges/{challenge.id}").status_code == 404


def _one(seeded, state):
    found = [c for c in seeded.values() if c.state == state]
    assert len(found) == 1, state
    return found[0]


def _audited(db, action, object_id=None):
    query = sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == action)
    if object_id is not None:
        query = query.where(AuditEvent.object_id == object_id)
    return db.session.scalar(query)


def test_the_expert_pool_lets_the_admin_draw_a_panel_for_each_main_domain(db, seeded):
    evaluators = db.session.scalars(sa.select(User).where(User.role == Role.evaluator)).all()
    assert len(evaluators) == len(EXPERTS) and all("（" in e.name for e in evaluators)  # name and affiliation
    for domain in ("医疗", "养老", "社区", "数字治理"):
        pool = db.session.scalar(sa.select(sa.func.count()).select_from(EvaluatorDomain)
                                 .where(EvaluatorDomain.domain == domain))
        assert pool >= 6, domain  # the proposal round needs 5, so the draw is a real choice
    assert _audited(db, "user.expert_domains") == len(EXPERTS)
    assert _audited(db, "round.panel_draw") >= 4  # the seeded draws, seeds in the audit log


def test_evaluating_round_is_half_way(db, seeded):
    challenge = _one(seeded, S.evaluating)
    round_ = challenge.rounds[0]
    assert round_.status == RoundStatus.open
    panel = review_ops.members(round_)
    assert len(panel) >= round_.min_panel
    statuses = Counter(m.sheet_status for m in panel)
    assert statuses[SheetStatus.submitted] >= 2 and statuses[SheetStatus.pending] >= 1
    returned = [m for m in panel if m.return_reason]
    assert len(returned) == 1 and returned[0].sheet_status == SheetStatus.draft
    assert _audited(db, "round.sheet_return", returned[0].id) == 1
    conflicted = [m for m in panel if m.conflict_provider_ids]
    assert len(conflicted) == 1 and conflicted[0].sheet_status == SheetStatus.submitted
    entries = review_ops.round_entries(round_)
    assert len(review_ops.entries_for(conflicted[0])) == len(entries) - 1  # the conflicted entry is off the sheet
    assert all(e.score_centi is None for e in entries)  # nothing computed before the close


def test_the_demo_evaluator_has_an_open_undeclared_assignment(db, seeded):
    expert1 = db.session.scalar(sa.select(User).where(User.email == "expert1@demo.gov.cn"))
    waiting = [m for m in db.session.scalars(sa.select(PanelMember).where(PanelMember.evaluator_id == expert1.id))
               if m.round.status == RoundStatus.open]
    assert waiting
    assert all(m.declared_at is None and m.sheet_status == SheetStatus.pending for m in waiting)
    assert db.session.scalar(sa.select(Notification.id).where(
        Notification.user_id == expert1.id, Notification.kind == "round.opened"))


def test_racing_challenge_has_its_racers_and_a_mid_term_round_in_setup(db, seeded):
    challenge = _one(seeded, S.racing)
    assert 2 <= challenge.race_slots <= 3
    proposal, midterm = challenge.rounds[0], challenge.rounds[1]
    assert proposal.status == RoundStatus.closed and midterm.status == RoundStatus.setup
    entries = review_ops.round_entries(proposal)
    racers = [e for e in entries if e.advanced]
    assert len(racers) == challenge.race_slots and len(entries) > len(racers)
    assert sorted(e.rank for e in entries) == list(range(1, len(entries) + 1))
    assert len(review_ops.members(midterm)) >= midterm.min_panel
    kinds = set(db.session.scalars(sa.select(Notification.kind)))
    assert {"round.advanced", "round.eliminated", "round.closed"} <= kinds
    assert _audited(db, "challenge.start_race", challenge.id) == 1
    # Mid-race: one pilot project per racer, with the unified milestones and confirmed reports.
    from marketplace.projects import operations as project_ops
    from marketplace.projects.states import ReportStatus

    pilots = project_ops.challenge_projects(challenge.id)
    assert sorted(p.submission_id for p in pilots) == sorted(e.submission_id for e in racers)
    assert {p.kind.value for p in pilots} == {"pilot"} and {p.stage.value for p in pilots} == {"application"}
    for pilot in pilots:
        assert [m.title for m in pilot.milestones] == [m.title for m in challenge.race_milestones]
        assert pilot.approved_fen == challenge.pilot_budget_fen and 0 < pilot.paid_fen < pilot.approved_fen
        assert pilot.milestones[0].status.value == "completed"
        assert any(r.status == ReportStatus.confirmed and r.indicators for m in pilot.milestones for r in m.reports)


def test_notice_is_running_with_a_pending_objection_from_a_loser(db, seeded):
    challenge = _one(seeded, S.notice)
    notice = current_notice(challenge)
    assert notice is not None and challenge.notice_days >= 1
    assert notice.ends_at > utcnow() + timedelta(days=challenge.notice_days - 1)  # working days, weekends skipped
    assert len(notice.ranking) >= 2 and notice.ranking[0]["rank"] == 1
    objections = db.session.scalars(sa.select(Objection).where(Objection.challenge_id == challenge.id)).all()
    assert [o.state for o in objections] == [ObjectionState.pending]
    winner = db.session.get(Submission, notice.winner_submission_id)
    assert objections[0].provider_id != winner.provider_id
    assert objections[0].provider_id in {r["provider_id"] for r in notice.ranking}


def test_awarded_challenge_has_the_winners_project(db, seeded):
    challenge = _one(seeded, S.awarded)
    notice = db.session.scalar(sa.select(Notice).where(Notice.challenge_id == challenge.id))
    assert notice.ends_at is None or notice.ends_at <= utcnow()
    project = db.session.scalar(sa.select(Project).where(Project.challenge_id == challenge.id))
    assert project is not None and project.stage == ProjectStage.application
    assert project.submission_id == notice.winner_submission_id
    assert project.approved_fen <= challenge.budget_fen
    states = set(db.session.scalars(sa.select(Objection.state).where(Objection.challenge_id == challenge.id)))
    assert states == {ObjectionState.dismissed}
    assert _audited(db, "challenge.award_result", challenge.id) == 1


def test_the_demo_can_be_tried_through_pages_and_api(app, db, seeded, new_client, api):
    """The printed accounts see the review side: the evaluator's assignment and declaration, the
    admin's evaluation page and results, the public notice and the award."""
    from marketplace.demo import DEMO_PASSWORD
    from tests.conftest import login

    users = {u.email: u for u in db.session.scalars(sa.select(User))}
    evaluating, racing = _one(seeded, S.evaluating), _one(seeded, S.racing)
    notice, awarded = _one(seeded, S.notice), _one(seeded, S.awarded)
    round_id = evaluating.rounds[0].id

    expert = new_client()
    login(expert, "expert1@demo.gov.cn", DEMO_PASSWORD)
    assert evaluating.title in expert.get("/review").get_data(as_text=True)
    assert expert.get(f"/review/rounds/{round_id}").status_code == 200
    client = api(users["expert1@demo.gov.cn"])
    assert client.get(f"/rounds/{round_id}/entries").json["error"]["code"] == "declaration_required"
    assert client.post(f"/rounds/{round_id}/declaration", json={"conflict_provider_ids": []}).status_code == 200
    assert len(client.get(f"/rounds/{round_id}/entries").json["items"]) == 2

    admin = new_client()
    login(admin, "admin@demo.gov.cn", DEMO_PASSWORD)
    for challenge in (evaluating, racing, notice, awarded):
        assert admin.get(f"/admin/challenges/{challenge.id}/evaluation").status_code == 200
    assert admin.get(f"/rounds/{racing.rounds[0].id}/results").status_code == 200
    assert admin.get("/admin/experts").status_code == 200

    public = api()
    body = public.get(f"/challenges/{notice.id}/notice").json
    assert body["proposed_winners"] and body["ends_at"]
    assert public.get(f"/challenges/{awarded.id}/notice").status_code == 200
    assert new_client().get(f"/challenges/{notice.id}/notice").status_code == 200
    assert {i["status"] for i in _all_listed(api)} >= {"evaluating", "racing", "notice", "awarded"}
