"""Entries racing the deadline, and parallel changes to one entry, as real concurrent requests
against a served app on PostgreSQL (werkzeug, threaded, on 127.0.0.1).

Under READ COMMITTED a close that counted committed rows missed entries committing a few ms
later, worst when they waited for the audit head lock: a challenge failed (流标) while entries
with receipts existed. Every entry write and the close now take the challenge row lock first.
"""

import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts.operations import issue_token
from marketplace.audit.models import AuditEvent
from marketplace.challenges.models import Challenge
from marketplace.challenges.states import ChallengeState
from marketplace.core.db import utcnow
from marketplace.extensions import db as _db
from marketplace.submissions.models import Submission, SubmissionVersion
from tests import factories
from tests.challenges.conftest import audit_count, entry_payload, move_deadline, notification_count, pdf_bytes
from tests.served import served as serve

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _postgres_only(db):
    if _db.engine.dialect.name != "postgresql":
        pytest.skip("row locks and READ COMMITTED races need PostgreSQL (TEST_DATABASE_URL)")


@pytest.fixture
def served(app):
    """The test app served with a thread per request; its base URL."""
    with serve(app) as base:
        yield base


def _call(base, method, path, token=None, body=None, files=None):
    """One HTTP request; (status, parsed JSON or None). Never raises for an HTTP status."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if files is not None:
        boundary = uuid.uuid4().hex
        name, content = files
        data = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
                f"Content-Type: application/octet-stream\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(f"{base}/api/v1{path}", data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, None


def _token(user):
    token, _ = issue_token(user)
    _db.session.commit()
    return token


def _providers(admin, n):
    return [factories.create_provider(admin=admin, domains=("医疗",)) for _ in range(n)]


def _run(threads):
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
        assert not t.is_alive(), "a request never finished"


def _at(moment):
    """Sleep until `moment` (UTC); a thread's way to act at a given time around the deadline."""
    time.sleep(max(0.0, (moment - utcnow()).total_seconds()))


def _received(data):
    return datetime.fromisoformat(data["received_at"])


def _close_event(challenge):
    """The count the close made (recorded by the workflow right after the close event)."""
    return _db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "challenge.entries_counted", AuditEvent.object_id == challenge.id)).one()


def _assert_every_receipt_counted(challenge, outcomes, users):
    """Every 201 came before the deadline and is counted; every refusal is a 409 about the
    deadline; every entrant got exactly one close notice, everyone else none."""
    _db.session.expire_all()
    challenge = _db.session.get(Challenge, challenge.id)
    statuses = sorted({status for status, _ in outcomes.values()})
    assert set(statuses) <= {201, 409}, outcomes
    accepted = {i for i, (status, _) in outcomes.items() if status == 201}
    for status, data in outcomes.values():
        if status == 201:
            assert _received(data["receipt"]) < challenge.deadline
        else:
            assert "截止" in data["error"]["message"]
    assert audit_count("challenge.close", challenge.id) == 1
    counted = _close_event(challenge).after["submissions"]
    live = _db.session.scalar(sa.select(sa.func.count(Submission.id)).where(Submission.challenge_id == challenge.id))
    assert counted == live == len(accepted) + sum(1 for i in users if i not in outcomes)
    for i, user in users.items():
        expected = 1 if (i in accepted or i not in outcomes) else 0
        assert notification_count(user, "challenge.closed") == expected, (i, expected)
    return challenge, counted, accepted


def test_entries_posted_across_the_deadline_are_all_counted(served, create_challenge, dept, admin):
    """24 providers post their entries spread over 2 s around the deadline while 3 readers poll
    the challenge (each request closes what is due): receipts = count at the close."""
    n = 24
    providers = _providers(admin, n)
    tokens = {i: _token(user) for i, (_, user, _) in enumerate(providers)}
    challenge = create_challenge(dept, min_submissions=1)
    deadline = move_deadline(challenge, timedelta(seconds=3)).deadline
    outcomes, reads = {}, []

    def post(i):
        _at(deadline - timedelta(seconds=1.6) + timedelta(seconds=2) * i / n)
        outcomes[i] = _call(served, "POST", f"/challenges/{challenge.id}/submissions", tokens[i], entry_payload())

    def read():
        while utcnow() < deadline + timedelta(seconds=0.8):
            reads.append(_call(served, "GET", f"/challenges/{challenge.id}")[0])
            time.sleep(0.02)

    _run([threading.Thread(target=post, args=(i,)) for i in range(n)] + [threading.Thread(target=read) for _ in range(3)])

    assert set(reads) == {200}
    users = {i: user for i, (_, user, _) in enumerate(providers)}
    challenge, counted, accepted = _assert_every_receipt_counted(challenge, outcomes, users)
    assert 0 < len(accepted) < n  # the spread really straddled the deadline
    assert challenge.state == ChallengeState.closed
    print(f"\n{n} entries posted across the deadline: {len(accepted)} receipts, {counted} counted, "
          f"{n - len(accepted)} refused (409); {len(reads)} concurrent reads")


def test_an_entry_slowed_by_the_audit_lock_across_the_deadline_is_counted(served, app, create_challenge, dept,
                                                                          admin, submit_entry):
    """Another transaction holds the audit head (audit_chain_head FOR UPDATE) from before the
    deadline to after it. Entries posted meanwhile wait; readers after the deadline try to close.
    Every receipt handed out is in the close count; nothing is accepted after the close."""
    early, late = 4, 4
    providers = _providers(admin, early + late)
    users = {i: user for i, (_, user, _) in enumerate(providers)}
    tokens = {i: _token(users[i]) for i in range(early, early + late)}
    challenge = create_challenge(dept, min_submissions=early + 1)
    for i in range(early):
        submit_entry(users[i], challenge)
    deadline = move_deadline(challenge, timedelta(seconds=2.5)).deadline
    outcomes, reads = {}, []

    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    holder = engine.connect()
    try:
        _at(deadline - timedelta(seconds=1.5))
        transaction = holder.begin()
        holder.execute(sa.text("SELECT seq FROM audit_chain_head FOR UPDATE"))

        def post(i):
            _at(deadline - timedelta(seconds=1))
            outcomes[i] = _call(served, "POST", f"/challenges/{challenge.id}/submissions", tokens[i], entry_payload())

        def read():
            _at(deadline + timedelta(seconds=0.3))
            reads.append(_call(served, "GET", f"/challenges/{challenge.id}"))

        threads = [threading.Thread(target=post, args=(i,)) for i in range(early, early + late)]
        threads += [threading.Thread(target=read) for _ in range(2)]
        for t in threads:
            t.start()
        _at(deadline + timedelta(seconds=1))  # the deadline has passed with the audit head still held
        assert not outcomes and not reads  # every request is waiting
        transaction.rollback()
        for t in threads:
            t.join(timeout=120)
            assert not t.is_alive()
    finally:
        holder.close()
        engine.dispose()

    assert [status for status, _ in reads] == [200, 200]
    challenge, counted, accepted = _assert_every_receipt_counted(challenge, outcomes, users)
    assert len(accepted) >= 1  # the slow entry, accepted before the deadline, is in the count
    assert challenge.state == ChallengeState.closed  # not 流标: min_submissions = early + 1
    assert {data["status"] for _, data in reads} == {"closed"}
    print(f"\naudit head held across the deadline: {early} earlier entries, {late} posted while held: "
          f"{len(accepted)} receipts, {late - len(accepted)} refused; counted {counted}")


def test_parallel_edits_uploads_and_withdrawals_of_one_entry(served, create_challenge, dept, provider, submit_entry):
    """10 edits, then 10 uploads, then 10 withdrawals of one entry at once: versions stay
    unique and consecutive, nothing is a 500, and one withdrawal wins (one audit event)."""
    _, user, _ = provider
    challenge = create_challenge(dept)
    submission = submit_entry(user, challenge)
    token = _token(user)
    n = 10
    barrier = threading.Barrier(n)

    def at_once(results, i, method, path, **kwargs):
        barrier.wait(timeout=30)
        results[i] = _call(served, method, path, token, **kwargs)

    edits = {}
    _run([threading.Thread(target=at_once, args=(edits, i, "PUT", f"/submissions/{submission.id}"),
                           kwargs={"body": {"summary": f"第 {i} 次并发修改"}}) for i in range(n)])
    assert sorted(status for status, _ in edits.values()) == [200] * n, edits
    assert sorted(data["version"] for _, data in edits.values()) == list(range(2, n + 2))

    uploads = {}
    _run([threading.Thread(target=at_once, args=(uploads, i, "POST", f"/submissions/{submission.id}/attachments"),
                           kwargs={"files": (f"附件{i}.pdf", pdf_bytes())}) for i in range(n)])
    assert sorted(status for status, _ in uploads.values()) == [201] * n, uploads
    assert sorted(data["version"] for _, data in uploads.values()) == list(range(n + 2, 2 * n + 2))

    withdrawals = {}
    _run([threading.Thread(target=at_once, args=(withdrawals, i, "POST", f"/submissions/{submission.id}/withdraw"))
          for i in range(n)])
    assert sorted(status for status, _ in withdrawals.values()) == [200] + [409] * (n - 1), withdrawals
    assert audit_count("submission.withdraw", submission.id) == 1

    _db.session.expire_all()
    versions = _db.session.scalars(sa.select(SubmissionVersion.version)
                                   .where(SubmissionVersion.submission_id == submission.id)).all()
    assert sorted(versions) == list(range(1, 2 * n + 2))
    assert _db.session.get(Submission, submission.id).state.value == "withdrawn"
