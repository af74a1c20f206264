"""Issue 9: sealed means sealed, for the admin too. Until the entries are opened, the audit log
(page, API) shows of an entry's events only the action, the time and the challenge; the stored
events are complete and read in full once the challenge has closed."""

import io
import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from marketplace.audit.models import AuditEvent
from marketplace.audit.operations import record, verify_chain
from marketplace.auditlog.queries import present
from marketplace.challenges import operations as challenge_ops
from marketplace.extensions import db as _db
from marketplace.submissions import operations as submission_ops
from tests.challenges.conftest import entry_values, move_deadline, pdf_bytes
from tests.conftest import login

FILE_NAME = "报价明细-密封.pdf"
ENTRY_ACTIONS = ("submission.", "file.")


@pytest.fixture
def sealed(db, admin, dept, provider, create_challenge, submit_entry):
    """A published challenge with one entry: submitted, a file attached, the price changed."""
    org, user, _ = provider
    challenge = create_challenge(dept)
    submission = submit_entry(user, challenge, price_yuan=Decimal("987654.00"))
    stored, _ = submission_ops.attach_file(user, submission, FileStorage(io.BytesIO(pdf_bytes()), FILE_NAME))
    submission_ops.update_entry(user, submission, **entry_values(price_yuan=Decimal("876543.00")))
    _db.session.commit()
    secrets = ["987654", "876543", FILE_NAME, stored.sha256, user.email, org.name]
    return {"challenge": challenge, "submission": submission, "user": user, "org": org, "file": stored,
            "secrets": secrets}


def _entry_items(items):
    return [i for i in items if i["action"].startswith(ENTRY_ACTIONS)]


def test_api_redacts_entry_events_before_the_deadline(api, admin, sealed):
    items = api(admin).get(f"/audit?challenge={sealed['challenge'].id}&per_page=100").get_json()["items"]
    entry = _entry_items(items)
    assert {i["action"] for i in entry} >= {"submission.submit", "submission.attach", "submission.update",
                                             "file.upload"}
    for item in entry:
        assert item["sealed"] is True and item["challenge_id"] == sealed["challenge"].id
        assert item["actor"] is None and item["actor_id"] is None and item["object_id"] is None
        assert item["before"] is None and item["after"] is None and item["source_ip"] is None
        assert item["created_at"] and item["seq"]
    text = json.dumps(entry, ensure_ascii=False)
    for secret in sealed["secrets"]:
        assert secret not in text
    # the challenge's own events are not redacted
    assert any(i["action"] == "challenge.approve" and i["actor"] for i in items)


def test_the_whole_api_listing_never_shows_an_entry_detail(api, admin, sealed):
    body = api(admin).get("/audit?per_page=100").get_json()
    text = json.dumps(body["items"], ensure_ascii=False)
    for secret in ("987654", "876543", FILE_NAME, sealed["file"].sha256):
        assert secret not in text


@pytest.mark.parametrize("query", [
    "person={email}", "actor_id={user_id}", "organisation={org_name}",
    "object_type=submission&object_id={submission_id}", "object_type=file&object_id={file_id}",
])
def test_filters_on_hidden_fields_leave_sealed_events_out(api, admin, sealed, query):
    url = "/audit?per_page=100&" + query.format(
        email=sealed["user"].email, user_id=sealed["user"].id, org_name=sealed["org"].name,
        submission_id=sealed["submission"].id, file_id=sealed["file"].id)
    items = api(admin).get(url).get_json()["items"]
    assert _entry_items(items) == []
    assert all(not i["sealed"] for i in items)


def test_page_shows_only_that_an_entry_event_happened(client, admin, sealed):
    login(client, admin)
    html = client.get("/admin/audit").get_data(as_text=True)
    for secret in ("987654", "876543", FILE_NAME, sealed["file"].sha256):
        assert secret not in html
    rows = [r for r in re.findall(r"<tr>.*?</tr>", html, re.S) if "submission." in r or "file.upload" in r]
    assert rows and all("密封" in r for r in rows)
    for row in rows:
        assert sealed["user"].email not in row and sealed["org"].name not in row
        assert f"#{sealed['challenge'].id}" in row


def test_details_that_name_a_sealed_entry_are_redacted(db, sealed):
    record(None, "test.names_entry", object_type="platform", after={"submission_id": sealed["submission"].id})
    record(None, "test.names_nothing", object_type="platform", after={"submission_id": 10**6})
    db.session.commit()
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.like("test.%"))
                                .order_by(AuditEvent.seq)).all()
    rows = present(events)
    assert [r.sealed for r in rows] == [True, False]
    assert rows[0].after is None and rows[0].challenge_id == sealed["challenge"].id


def test_everything_reads_in_full_once_the_challenge_has_closed(api, admin, sealed):
    move_deadline(sealed["challenge"], -timedelta(minutes=1))
    challenge_ops.close_if_due(sealed["challenge"])
    _db.session.commit()
    items = api(admin).get(f"/audit?challenge={sealed['challenge'].id}&per_page=100").get_json()["items"]
    entry = _entry_items(items)
    assert entry and all(not i["sealed"] for i in entry)
    submit = next(i for i in entry if i["action"] == "submission.submit")
    assert submit["actor"] == sealed["user"].email and submit["object_id"] == sealed["submission"].id
    assert "987654" in json.dumps(submit["after"])
    upload = next(i for i in entry if i["action"] == "file.upload")
    assert upload["after"]["name"] == FILE_NAME
    assert api(admin).get(f"/audit?person={sealed['user'].email}").get_json()["total"] >= len(entry)


def test_sealed_events_are_stored_complete(db, sealed):
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "submission.submit")).one()
    assert event.actor_label == sealed["user"].email and event.after["price_fen"] == 98765400
    assert verify_chain().ok


def test_redaction_is_decided_without_a_query_per_event(app, db, sealed):
    user, submission = sealed["user"], sealed["submission"]
    for i in range(30):
        submission_ops.update_entry(user, submission, **entry_values(summary=f"第 {i} 次修改"))
    db.session.commit()
    events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)).all()
    statements = []

    def count(*args):
        statements.append(args[2])

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        few = present(events[:5])
        n_few = len(statements)
        statements.clear()
        rows = present(events)
        n_all = len(statements)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert n_all == n_few <= 2
    assert sum(r.sealed for r in rows) >= 30 and len(few) == 5
