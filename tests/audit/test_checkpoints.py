"""Daily checkpoints: once per Beijing day whoever calls, published on the public site, in the file
and to the auditors' mail after commit; `verify` (CLI, API) checks the chain against them."""

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from marketplace.audit.checkpoints import create_checkpoint, publish_checkpoint
from marketplace.audit.models import AuditChainHead, AuditCheckpoint, AuditEvent
from marketplace.audit.operations import record, verify_chain
from marketplace.extensions import db as _db


def _chain(db, n=3):
    for i in range(n):
        record(None, "test.step", object_type="platform", object_id=i)
    db.session.commit()


def _file_lines(app):
    with open(app.config["AUDIT_CHECKPOINT_FILE"], encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _count(db):
    return db.session.scalar(sa.select(sa.func.count(AuditCheckpoint.id)))


def test_publish_records_the_committed_head(app, db):
    _chain(db, 4)
    head = db.session.get(AuditChainHead, 1)
    checkpoint = publish_checkpoint()
    assert (checkpoint.seq, checkpoint.head_hash, checkpoint.event_id) == (4, head.last_hash, head.last_event_id)
    assert len(checkpoint.mac) == 64
    [line] = _file_lines(app)
    assert line == {"day": checkpoint.day.isoformat(), "seq": 4, "head_hash": head.last_hash,
                    "keyed_from_seq": 1, "created_at": line["created_at"], "mac": checkpoint.mac}
    assert line["created_at"].endswith("Z")


def test_the_day_is_the_beijing_day(db):
    late_evening_utc = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)  # 01:30 on 1 December in Beijing
    assert publish_checkpoint(late_evening_utc).day.isoformat() == "2026-12-01"


def test_publish_is_idempotent_per_day(app, db):
    _chain(db, 2)
    first = publish_checkpoint()
    _chain(db, 3)  # later events the same day do not move the day's checkpoint
    again = publish_checkpoint()
    assert again.id == first.id and again.seq == 2
    assert _count(db) == 1 and len(_file_lines(app)) == 1
    tomorrow = publish_checkpoint(datetime.now(UTC) + timedelta(days=1))
    assert tomorrow.seq == 5 and _count(db) == 2 and len(_file_lines(app)) == 2
    assert verify_chain().ok


def test_two_schedulers_at_once_publish_one_checkpoint(app, db):
    _chain(db, 3)
    now = datetime.now(UTC)
    barrier = threading.Barrier(2)
    errors, results = [], []

    def scheduler():
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results.append(publish_checkpoint(now).id)
            except Exception as exc:  # reported below
                errors.append(repr(exc))
                _db.session.rollback()
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(set(results)) == 1
    assert _count(db) == 1 and len(_file_lines(app)) == 1


def test_nothing_is_published_when_the_transaction_rolls_back(app, db, monkeypatch):
    sent = []
    monkeypatch.setattr("marketplace.core.mail.send_mail", lambda *a: sent.append(a) or True)
    app.config.update(SMTP_HOST="mail.example.gov.cn", AUDIT_CHECKPOINT_EMAILS="audit@example.gov.cn")
    try:
        _chain(db, 1)
        create_checkpoint()
        db.session.rollback()
    finally:
        app.config.update(SMTP_HOST="", AUDIT_CHECKPOINT_EMAILS="")
    assert _count(db) == 0 and sent == []
    import os

    assert not os.path.exists(app.config["AUDIT_CHECKPOINT_FILE"])


def test_auditors_are_mailed_after_commit(app, db, monkeypatch):
    sent = []
    monkeypatch.setattr("marketplace.core.mail.send_mail",
                        lambda config, to, subject, body: sent.append((to, subject, body)) or True)
    app.config.update(SMTP_HOST="mail.example.gov.cn",
                      AUDIT_CHECKPOINT_EMAILS=" audit@example.gov.cn, jijian@example.gov.cn ,")
    try:
        _chain(db, 2)
        checkpoint = publish_checkpoint()
        publish_checkpoint()  # the second run of the day mails nobody
    finally:
        app.config.update(SMTP_HOST="", AUDIT_CHECKPOINT_EMAILS="")
    assert [to for to, _, _ in sent] == ["audit@example.gov.cn", "jijian@example.gov.cn"]
    _, subject, body = sent[0]
    assert "检查点" in subject and checkpoint.day.isoformat() in subject
    assert checkpoint.head_hash in body and checkpoint.mac in body and "/audit/checkpoints" in body


# --- public page --------------------------------------------------------------------------------------

def test_public_page_lists_checkpoints_for_anyone(client, db):
    _chain(db, 3)
    checkpoint = publish_checkpoint()
    html = client.get("/audit/checkpoints").get_data(as_text=True)
    assert checkpoint.head_hash in html and checkpoint.day.isoformat() in html
    assert "审计链检查点" in html
    for url in ("/audit/checkpoints.json", "/audit/checkpoints?format=json"):
        response = client.get(url)
        assert response.status_code == 200 and response.is_json
        body = response.get_json()
        assert body["total"] == 1
        assert body["items"][0]["seq"] == 3 and body["items"][0]["head_hash"] == checkpoint.head_hash
        assert body["items"][0]["mac"] == checkpoint.mac


def test_public_page_without_checkpoints(client, db):
    assert "尚未发布检查点" in client.get("/audit/checkpoints").get_data(as_text=True)
    assert client.get("/audit/checkpoints.json").get_json() == {"items": [], "total": 0}


def test_footer_links_the_checkpoints(client, db):
    assert 'href="/audit/checkpoints"' in client.get("/").get_data(as_text=True)


# --- CLI and API ----------------------------------------------------------------------------------------

def _run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_cli_checkpoint_then_verify(app, db):
    _chain(db, 3)
    first = _run(app, "audit", "checkpoint")
    assert first.exit_code == 0, first.output
    assert "第 3 号事件" in first.output
    assert _run(app, "audit", "checkpoint").output == first.output  # same day: the same checkpoint
    result = _run(app, "audit", "verify")
    assert result.exit_code == 0 and "1 个已发布检查点" in result.output


def _drop_newest(keep):
    with _db.engine.begin() as conn:
        if _db.engine.dialect.name == "postgresql":
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        kept = conn.execute(sa.select(AuditEvent.id, AuditEvent.hash).where(AuditEvent.seq == keep)).one()
        conn.execute(sa.delete(AuditEvent).where(AuditEvent.seq > keep))
        conn.execute(sa.update(AuditChainHead).values(seq=keep, last_hash=kept.hash, last_event_id=kept.id))


def test_cli_verify_fails_on_a_chain_shorter_than_a_checkpoint(app, db):
    _chain(db, 5)
    publish_checkpoint()
    _drop_newest(keep=2)
    result = _run(app, "audit", "verify")
    assert result.exit_code == 1
    assert "第 3 号事件" in result.output and "短于" in result.output


@pytest.fixture
def api_admin(api, admin):
    return api(admin)


def test_api_verify_reports_checkpoints(api_admin, db):
    _chain(db, 2)
    checkpoint = publish_checkpoint()
    body = api_admin.get("/audit/verify").get_json()
    assert body["ok"] is True and body["checkpoints"] == 1
    assert body["latest_checkpoint"]["head_hash"] == checkpoint.head_hash
    _drop_newest(keep=1)
    body = api_admin.get("/audit/verify").get_json()
    assert body["ok"] is False and body["first_bad_seq"] == 2 and "短于" in body["reason"]
