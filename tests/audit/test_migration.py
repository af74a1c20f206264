"""A chain written before the audit chain was keyed still verifies after the migration, and the
events written afterwards are keyed (on a scratch SQLite database, through the real migrations)."""

import hashlib
import json

import sqlalchemy as sa

from config import TestingConfig
from marketplace import create_app
from marketplace.audit.models import GENESIS_HASH, SCHEME_HMAC, SCHEME_SHA256, AuditChainHead, AuditEvent
from marketplace.audit.operations import record, verify_chain
from marketplace.extensions import db as _db

BEFORE_KEYING = "175d60b11cad"


def _old_hash(row):
    """The hash exactly as the code before the keyed chain computed it."""
    canonical = json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_existing_chain_verifies_after_the_migration_and_new_events_are_keyed(tmp_path):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'old.db'}"
        UPLOAD_DIR = str(tmp_path / "uploads")
        SEARCH_INDEX_DIR = str(tmp_path / "search-index")
        AUDIT_CHECKPOINT_FILE = str(tmp_path / "checkpoints.jsonl")

    app = create_app(Config)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(revision=BEFORE_KEYING)
        prev = GENESIS_HASH
        with _db.engine.begin() as conn:
            for seq in (1, 2, 3):
                row = {"seq": seq, "created_at": f"2026-11-0{seq}T08:00:00.000000", "actor_id": None,
                       "actor_label": "system", "action": "platform.old", "object_type": "platform",
                       "object_id": seq, "before": None, "after": {"n": seq}, "source_ip": None, "prev_hash": prev}
                digest = _old_hash(row)
                conn.execute(sa.text(
                    "INSERT INTO audit_events (seq, created_at, actor_id, actor_label, action, object_type, object_id, "
                    "before, after, source_ip, prev_hash, hash) VALUES (:seq, :created_at, NULL, 'system', "
                    "'platform.old', 'platform', :object_id, NULL, :after, NULL, :prev_hash, :hash)"),
                    {**row, "created_at": row["created_at"].replace("T", " "), "after": json.dumps(row["after"]),
                     "hash": digest})
                prev = digest
            conn.execute(sa.text("UPDATE audit_chain_head SET seq = 3, last_hash = :h WHERE id = 1"), {"h": prev})

        upgrade()
        _db.session.remove()
        assert _db.session.get(AuditChainHead, 1).keyed_from_seq == 4
        assert verify_chain().ok, verify_chain().as_dict()

        record(None, "platform.new")
        _db.session.commit()
        schemes = _db.session.scalars(sa.select(AuditEvent.scheme).order_by(AuditEvent.seq)).all()
        assert schemes == [SCHEME_SHA256] * 3 + [SCHEME_HMAC]
        result = verify_chain()
        assert result.ok and result.events == 4
        _db.session.remove()
        _db.engine.dispose()
