"""The deadline is enforced by the server clock to the second; a published challenge past its
deadline reads as closed (or failed) everywhere without a job, and the close is audited once."""

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.challenges import operations as challenge_ops
from marketplace.challenges.models import Challenge
from marketplace.challenges.states import ChallengeState
from marketplace.core.db import utcnow
from marketplace.core.errors import Conflict
from marketplace.core.timeutil import isoformat
from marketplace.extensions import db as _db
from marketplace.submissions import operations as submission_ops
from tests.challenges.conftest import (
    assert_error,
    audit_count,
    entry_payload,
    entry_values,
    move_deadline,
    notification_count,
    pdf_bytes,
    upload,
)

# --- the operation, with the clock pinned --------------------------------------------------------


@pytest.fixture
def clock(monkeypatch):
    """Pin the clock the submission operations read."""

    def _pin(when):
        monkeypatch.setattr(submission_ops, "utcnow", lambda: when)

    return _pin


def test_submit_is_judged_by_the_server_clock_to_the_second(create_challenge, dept, provider, clock):
    _, user, _ = provider
    for offset, accepted in ((-1, True), (-0.001, True), (0, False), (0.001, False), (1, False)):
        challenge = create_challenge(dept, title=f"截止 {offset}")
        clock(challenge.deadline + timedelta(seconds=offset))
        if accepted:
            submission, version = submission_ops.submit_entry(user, challenge, **entry_values())
            assert version.version == 1 and submission.submitted_at < challenge.deadline
        else:
            with pytest.raises(Conflict) as info:
                submission_ops.submit_entry(user, challenge, **entry_values())
            assert "截止" in info.value.message
            assert challenge.state == ChallengeState.failed  # closed at that moment, with no entries
        _db.session.rollback()


def test_changes_one_second_late_are_refused(create_challenge, submit_entry, dept, provider, clock):
    import io

    from werkzeug.datastructures import FileStorage

    _, user, _ = provider
    challenge = create_challenge(dept)
    submission = submit_entry(user, challenge)
    clock(challenge.deadline + timedelta(seconds=1))
    with pytest.raises(Conflict):
        submission_ops.update_entry(user, submission, **entry_values(summary="晚了"))
    _db.session.rollback()
    with pytest.raises(Conflict):
        submission_ops.withdraw_entry(user, submission)
    _db.session.rollback()
    with pytest.raises(Conflict):
        submission_ops.attach_file(user, submission, FileStorage(io.BytesIO(pdf_bytes()), "late.pdf"))
    _db.session.rollback()
    assert submission.version == 1 and submission.state.value == "submitted"


# --- through the API -----------------------------------------------------------------------------

def test_after_the_deadline_everything_is_409(api, create_challenge, submit_entry, dept, provider, rival, app):
    _, user, _ = provider
    _, rival_user, _ = rival
    challenge = create_challenge(dept)
    submission = submit_entry(user, challenge)
    move_deadline(challenge, -timedelta(seconds=1))
    files_before = _stored_files(app)

    as_user = api(user)
    assert_error(api(rival_user).post(f"/challenges/{challenge.id}/submissions", json=entry_payload()), 409)
    assert_error(as_user.put(f"/submissions/{submission.id}", json={"summary": "截止后修改"}), 409)
    assert_error(as_user.post(f"/submissions/{submission.id}/withdraw"), 409)
    assert_error(upload(as_user, f"/submissions/{submission.id}/attachments", pdf_bytes(), "补充.pdf"), 409)
    # The department cannot add documents to a closed challenge either.
    assert_error(upload(api(dept), f"/challenges/{challenge.id}/attachments", pdf_bytes(), "补充说明.pdf"), 409)
    assert _stored_files(app) == files_before  # the refused uploads left nothing behind

    data = as_user.get(f"/submissions/{submission.id}").get_json()
    assert data["version"] == 1 and data["status"] == "submitted" and data["summary"] == "基于知识图谱的智能分诊"


def test_just_before_the_deadline_is_accepted_and_just_after_refused(api, create_challenge, dept, provider, rival):
    _, user, _ = provider
    _, rival_user, _ = rival
    challenge = create_challenge(dept)
    move_deadline(challenge, timedelta(seconds=2))
    as_user = api(user)
    created = as_user.post(f"/challenges/{challenge.id}/submissions", json=entry_payload())
    assert created.status_code == 201, created.get_json()
    submission_id = created.get_json()["id"]
    assert as_user.put(f"/submissions/{submission_id}", json={"summary": "第二版"}).status_code == 200
    assert upload(as_user, f"/submissions/{submission_id}/attachments", pdf_bytes(), "方案.pdf").status_code == 201

    _db.session.refresh(challenge)
    time.sleep(max(0.0, (challenge.deadline - utcnow()).total_seconds()) + 0.05)
    assert_error(as_user.put(f"/submissions/{submission_id}", json={"summary": "第三版"}), 409)
    assert_error(as_user.post(f"/submissions/{submission_id}/withdraw"), 409)
    assert_error(api(rival_user).post(f"/challenges/{challenge.id}/submissions", json=entry_payload()), 409)
    assert as_user.get(f"/submissions/{submission_id}").get_json()["version"] == 3


def test_withdraw_before_the_deadline(api, create_challenge, submit_entry, dept, provider):
    _, user, _ = provider
    challenge = create_challenge(dept)
    submission = submit_entry(user, challenge)
    move_deadline(challenge, timedelta(seconds=30))
    response = api(user).post(f"/submissions/{submission.id}/withdraw")
    assert response.status_code == 200 and response.get_json()["status"] == "withdrawn"


def _stored_files(app):
    import os

    root = app.config["UPLOAD_DIR"]
    return sorted(os.path.join(d, f) for d, _, files in os.walk(root) for f in files) if os.path.isdir(root) else []


# --- closing on read ------------------------------------------------------------------------------

def test_past_deadline_reads_as_closed_everywhere_and_is_audited_once(
        api, browser, create_challenge, submit_entry, dept, provider, admin):
    _, user, _ = provider
    challenge = create_challenge(dept)
    submit_entry(user, challenge)
    move_deadline(challenge, -timedelta(seconds=1))
    assert audit_count("challenge.close", challenge.id) == 0

    detail = api().get(f"/challenges/{challenge.id}").get_json()
    assert detail["status"] == "closed"
    assert detail["submission_count"] == 1  # unsealed: the count is public after the deadline
    for _ in range(5):
        assert api().get(f"/challenges/{challenge.id}").get_json()["status"] == "closed"
    listed = {c["id"]: c["status"] for c in api().get("/challenges").get_json()["items"]}
    assert listed[challenge.id] == "closed"
    assert {c["id"]: c["status"] for c in api().get("/challenges?after=").get_json()["items"]}[challenge.id] == "closed"
    page = browser().get(f"/challenges/{challenge.id}").get_data(as_text=True)
    assert 'data-state="closed"' in page
    assert 'data-state="closed"' in browser().get("/challenges").get_data(as_text=True)
    api(admin).get(f"/challenges/{challenge.id}")
    api(dept).get(f"/challenges/{challenge.id}")

    assert audit_count("challenge.close", challenge.id) == 1
    assert audit_count("challenge.fail", challenge.id) == 0
    _db.session.refresh(challenge)
    assert challenge.state == ChallengeState.closed and challenge.closed_at is not None
    assert notification_count(user, "challenge.closed") == 1


@pytest.mark.parametrize(("entries", "minimum"), [(0, 1), (1, 2)])
def test_below_min_submissions_it_fails(api, browser, create_challenge, submit_entry, dept, provider, entries, minimum):
    _, user, _ = provider
    challenge = create_challenge(dept, min_submissions=minimum)
    if entries:
        submit_entry(user, challenge)
    move_deadline(challenge, -timedelta(seconds=1))
    for _ in range(3):
        assert api().get(f"/challenges/{challenge.id}").get_json()["status"] == "failed"
    assert 'data-state="failed"' in browser().get(f"/challenges/{challenge.id}").get_data(as_text=True)
    assert audit_count("challenge.close", challenge.id) == 1
    assert audit_count("challenge.fail", challenge.id) == 1
    assert api(dept).get(f"/challenges/{challenge.id}").get_json()["reason"]


def test_withdrawn_entries_do_not_count(api, create_challenge, submit_entry, dept, provider):
    _, user, _ = provider
    challenge = create_challenge(dept)
    submission = submit_entry(user, challenge)
    submission_ops.withdraw_entry(user, submission)
    _db.session.commit()
    move_deadline(challenge, -timedelta(seconds=1))
    assert api().get(f"/challenges/{challenge.id}").get_json()["status"] == "failed"


def _read_at_once(app, challenge_id, readers=4):
    """`readers` requests in as many threads, released together; each thread has its own app
    context, session and connection, as concurrent requests in production do."""
    barrier = threading.Barrier(readers)
    results, errors = [], []

    def read():
        client = app.test_client()
        try:
            barrier.wait(timeout=10)
            response = client.get(f"/api/v1/challenges/{challenge_id}")
            results.append((response.status_code, response.get_json()["status"]))
        except Exception as exc:  # reported by the caller, not swallowed
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(readers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results, errors


def test_simultaneous_readers_close_it_once(app, create_challenge, submit_entry, dept, provider):
    _, user, _ = provider
    challenges = [create_challenge(dept, title=f"同时读取{i}") for i in range(3)]
    for challenge in challenges:
        submit_entry(user, challenge)
    for challenge in challenges:
        move_deadline(challenge, -timedelta(seconds=1))
        results, errors = _read_at_once(app, challenge.id)
        assert not errors, errors
        assert results == [(200, "closed")] * 4, results
        _db.session.expire_all()
        assert audit_count("challenge.close", challenge.id) == 1
    assert notification_count(user, "challenge.closed") == 3


def test_two_app_contexts_closing_at_once_record_one_close(app, create_challenge, dept):
    challenge = create_challenge(dept)
    move_deadline(challenge, -timedelta(seconds=1))
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def close():
        try:
            with app.app_context():
                mine = _db.session.get(Challenge, challenge.id)
                barrier.wait(timeout=10)
                outcomes.append(challenge_ops.close_if_due(mine))
                _db.session.commit()
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=close) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    assert sorted(outcomes) == [False, True]
    _db.session.expire_all()
    assert audit_count("challenge.close", challenge.id) == 1
    assert _db.session.get(Challenge, challenge.id).state == ChallengeState.failed  # no entries


# --- extension ------------------------------------------------------------------------------------

def test_extend_only_later_and_everyone_concerned_is_told(
        api, create_challenge, submit_entry, dept, provider, rival, create_provider, admin):
    _, entrant, _ = provider
    _, follower, _ = rival
    _, bystander, _ = create_provider(admin=admin)
    challenge = create_challenge(dept)
    submit_entry(entrant, challenge)
    challenge_ops.follow_challenge(follower, challenge)
    _db.session.commit()
    as_dept = api(dept)
    current = challenge.deadline

    earlier = isoformat(current - timedelta(hours=1))
    assert_error(as_dept.post(f"/challenges/{challenge.id}/extend", json={"deadline": earlier}), 422, field="deadline")
    assert_error(as_dept.post(f"/challenges/{challenge.id}/extend", json={"deadline": isoformat(current)}), 422,
                 field="deadline")
    past = isoformat(utcnow() - timedelta(days=1))
    assert_error(as_dept.post(f"/challenges/{challenge.id}/extend", json={"deadline": past}), 422, field="deadline")
    assert_error(as_dept.post(f"/challenges/{challenge.id}/extend", json={"deadline": "延后一周"}), 422,
                 field="deadline")
    assert notification_count(entrant, "challenge.extended") == 0

    later = current + timedelta(days=7)
    response = as_dept.post(f"/challenges/{challenge.id}/extend", json={"deadline": isoformat(later)})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["deadline"] == isoformat(later)
    assert response.get_json()["status"] == "published"
    assert notification_count(entrant, "challenge.extended") == 1
    assert notification_count(follower, "challenge.extended") == 1
    assert notification_count(bystander, "challenge.extended") == 0
    assert audit_count("challenge.extend", challenge.id) == 1


def test_extend_only_while_published(api, create_challenge, dept, other_dept, provider):
    later = isoformat(utcnow() + timedelta(days=60))
    draft = create_challenge(dept, state="draft")
    assert_error(api(dept).post(f"/challenges/{draft.id}/extend", json={"deadline": later}), 409)
    pending = create_challenge(dept, state="pending_review")
    assert_error(api(dept).post(f"/challenges/{pending.id}/extend", json={"deadline": later}), 409)
    published = create_challenge(dept)
    assert_error(api(other_dept).post(f"/challenges/{published.id}/extend", json={"deadline": later}), 403)
    _, user, _ = provider
    assert_error(api(user).post(f"/challenges/{published.id}/extend", json={"deadline": later}), 403)
    cancelled = create_challenge(dept)
    challenge_ops.cancel_challenge(dept, cancelled, reason="需求变更")
    _db.session.commit()
    assert_error(api(dept).post(f"/challenges/{cancelled.id}/extend", json={"deadline": later}), 409)


def test_extending_reopens_nothing_after_the_deadline(api, create_challenge, dept):
    challenge = create_challenge(dept)
    move_deadline(challenge, -timedelta(seconds=1))
    later = isoformat(utcnow() + timedelta(days=3))
    assert_error(api(dept).post(f"/challenges/{challenge.id}/extend", json={"deadline": later}), 409)
    assert api().get(f"/challenges/{challenge.id}").get_json()["status"] == "failed"


# --- notify-due -----------------------------------------------------------------------------------

def _notify_due(app):
    result = app.test_cli_runner().invoke(args=["notify-due"])
    assert result.exit_code == 0, result.output
    _db.session.expire_all()
    return result


def test_notify_due_tells_followers_and_entrants_once(
        app, create_challenge, submit_entry, dept, provider, rival, create_provider, admin):
    _, entrant, _ = provider
    _, follower, _ = rival
    _, bystander, _ = create_provider(admin=admin)
    soon = create_challenge(dept, title="24 小时内截止")
    later = create_challenge(dept, title="下周截止")
    for challenge in (soon, later):
        submit_entry(entrant, challenge)
        challenge_ops.follow_challenge(follower, challenge)
    _db.session.commit()
    move_deadline(soon, timedelta(hours=10))
    move_deadline(later, timedelta(days=3))

    _notify_due(app)
    _notify_due(app)
    kind = "challenge.deadline_soon"
    assert notification_count(entrant, kind) == 1
    assert notification_count(follower, kind) == 1
    assert notification_count(bystander, kind) == 0

    # Extending resets the reminder: the new deadline gets its own.
    challenge_ops.extend_deadline(dept, _db.session.get(Challenge, soon.id), deadline=utcnow() + timedelta(hours=20))
    _db.session.commit()
    _notify_due(app)
    _notify_due(app)
    assert notification_count(entrant, kind) == 2
    assert notification_count(follower, kind) == 2


def test_notify_due_closes_what_is_past(app, create_challenge, submit_entry, dept, provider):
    _, entrant, _ = provider
    challenge = create_challenge(dept)
    submit_entry(entrant, challenge)
    move_deadline(challenge, -timedelta(seconds=1))
    result = _notify_due(app)
    assert "1" in result.output
    state = _db.session.scalar(sa.select(Challenge.state).where(Challenge.id == challenge.id))
    assert state == ChallengeState.closed
    _notify_due(app)
    assert audit_count("challenge.close", challenge.id) == 1
    assert notification_count(entrant, "challenge.deadline_soon") == 0
