"""Daily checkpoints of the audit chain: (seq, head hash, time), published where whoever can
write the database cannot take them back.

Each checkpoint is stored in `audit_checkpoints` (shown on the public page `/audit/checkpoints`,
so anyone can archive it), appended to AUDIT_CHECKPOINT_FILE and mailed to AUDIT_CHECKPOINT_EMAILS
after commit. `verify_chain` checks the chain against every checkpoint in the table and in the
file: a chain shorter than a checkpoint (newest events dropped, head reset) or a hash that no
longer matches (chain rewritten) fails. Each checkpoint carries an HMAC under the audit key, so a
database writer cannot forge one to fit a rewritten chain.

What a checkpoint cannot show: events dropped after the latest checkpoint was published; the
daily schedule bounds that window to one day.
"""

import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, render_template

from marketplace.audit.models import GENESIS_HASH, AuditChainHead, AuditCheckpoint
from marketplace.audit.operations import VerifyResult, _stamp, keyed_digest
from marketplace.core.aftercommit import after_commit
from marketplace.core.db import utcnow
from marketplace.core.timeutil import SHANGHAI
from marketplace.extensions import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Anchor:
    """One published checkpoint as read back, from the table or from the file."""

    source: str  # "数据库" or "检查点文件第 n 行"
    day: str
    seq: int
    head_hash: str
    keyed_from_seq: int
    created_at: str
    mac: str

    @property
    def mac_ok(self) -> bool:
        return _mac(self.day, self.seq, self.head_hash, self.keyed_from_seq, self.created_at) == self.mac

    def key(self):
        return (self.day, self.seq, self.head_hash, self.keyed_from_seq, self.created_at, self.mac)


def _mac(day: str, seq: int, head_hash: str, keyed_from_seq: int, created_at: str) -> str:
    return keyed_digest(f"audit-checkpoint|{day}|{seq}|{head_hash}|{keyed_from_seq}|{created_at}")


def _created_text(value: datetime) -> str:
    return _stamp(value) + "Z"


def checkpoint_json(checkpoint: AuditCheckpoint) -> dict:
    """The public form, the same in the file, the mail, the page and the JSON download."""
    return {
        "day": checkpoint.day.isoformat(),
        "seq": checkpoint.seq,
        "head_hash": checkpoint.head_hash,
        "keyed_from_seq": checkpoint.keyed_from_seq,
        "created_at": _created_text(checkpoint.created_at),
        "mac": checkpoint.mac,
    }


def _insert_once(values):
    """INSERT … ON CONFLICT (day) DO NOTHING: a second scheduler, or a second run the same day,
    inserts nothing and publishes nothing."""
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(AuditCheckpoint).values(**values).on_conflict_do_nothing(index_elements=["day"])
    return db.session.execute(stmt.returning(AuditCheckpoint.id)).scalar()


def create_checkpoint(now: datetime | None = None) -> tuple[AuditCheckpoint, bool]:
    """Record today's checkpoint (Beijing day) of the committed chain head, unless the day has
    one. Returns (checkpoint, created). The file append and the emails are queued for after
    commit. Does not commit. Not itself an audit event: an event would move the head it anchors."""
    now = now or utcnow()
    day = now.astimezone(SHANGHAI).date()
    existing = db.session.scalar(sa.select(AuditCheckpoint).where(AuditCheckpoint.day == day))
    if existing is not None:
        return existing, False
    head = db.session.get(AuditChainHead, 1, populate_existing=True)
    seq, head_hash = (head.seq, head.last_hash) if head else (0, GENESIS_HASH)
    keyed_from = head.keyed_from_seq if head else 1
    created_text = _created_text(now)
    new_id = _insert_once({
        "day": day, "seq": seq, "head_hash": head_hash, "event_id": head.last_event_id if head else None,
        "keyed_from_seq": keyed_from, "created_at": now,
        "mac": _mac(day.isoformat(), seq, head_hash, keyed_from, created_text),
    })
    checkpoint = db.session.scalar(
        sa.select(AuditCheckpoint).where(AuditCheckpoint.day == day).execution_options(populate_existing=True)
    )
    if new_id is None:
        return checkpoint, False
    _publish_after_commit(checkpoint_json(checkpoint))
    return checkpoint, True


def publish_checkpoint(now: datetime | None = None) -> AuditCheckpoint:
    """The daily job: record today's checkpoint, commit, then append it to the file and mail it
    to the auditors. Idempotent per Beijing day and safe when two schedulers run it at once
    (the unique day decides; the loser publishes nothing)."""
    checkpoint, _created = create_checkpoint(now)
    db.session.commit()
    return checkpoint


def _publish_after_commit(payload: dict):
    config = dict(current_app.config)
    public_url = config["PUBLIC_BASE_URL"].rstrip("/") + "/audit/checkpoints"

    def publish():
        append_to_file(config.get("AUDIT_CHECKPOINT_FILE"), payload)
        mail_auditors(config, payload, public_url)

    after_commit(publish)


def append_to_file(path, payload: dict):
    if not path:
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(payload, ensure_ascii=False, sort_keys=True) + "\n"
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())


def auditor_emails(config) -> list[str]:
    return [a.strip() for a in (config.get("AUDIT_CHECKPOINT_EMAILS") or "").split(",") if a.strip()]


def mail_auditors(config, payload: dict, public_url: str):
    from marketplace.core.mail import send_mail, smtp_configured

    recipients = auditor_emails(config)
    if not recipients or not smtp_configured(config):
        return
    subject = f"【揭榜挂帅场景平台】审计链检查点 {payload['day']}（第 {payload['seq']} 号事件）"
    body = render_template("emails/audit_checkpoint.txt", cp=payload, public_url=public_url,
                           line=json.dumps(payload, ensure_ascii=False, sort_keys=True))
    for to in recipients:
        send_mail(config, to, subject, body)


# --- reading them back for verify -----------------------------------------------------------------

def published_checkpoints() -> list[AuditCheckpoint]:
    query = sa.select(AuditCheckpoint).order_by(AuditCheckpoint.day.desc())
    return db.session.scalars(query.execution_options(populate_existing=True)).all()


def _file_anchors(path) -> tuple[list[Anchor], VerifyResult | None]:
    if not path or not os.path.exists(path):
        return [], None
    anchors = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            source = f"检查点文件第 {number} 行"
            try:
                row = json.loads(line)
                anchors.append(Anchor(source, str(row["day"]), int(row["seq"]), str(row["head_hash"]),
                                      int(row["keyed_from_seq"]), str(row["created_at"]), str(row["mac"])))
            except (ValueError, KeyError, TypeError):
                return anchors, VerifyResult(False, 0, reason=f"{source}无法解析（文件被改动）")
    return anchors, None


def load_anchors() -> tuple[list[Anchor], list[Anchor], VerifyResult | None]:
    table = [Anchor("数据库", **checkpoint_json(c)) for c in published_checkpoints()]
    from_file, problem = _file_anchors(current_app.config.get("AUDIT_CHECKPOINT_FILE"))
    return table, from_file, problem


def check_against_checkpoints(head, count, anchors_db, anchors_file, hashes, ids, last_seq) -> VerifyResult | None:
    """The chain (already walked and found self-consistent) against every published checkpoint."""
    keyed_from = head.keyed_from_seq if head is not None else 1
    anchors = sorted(anchors_db + anchors_file, key=lambda a: a.seq)

    def fail(reason, seq, event_id=None):
        return VerifyResult(False, count, event_id, reason, seq, checkpoints=len(anchors_db))

    for anchor in anchors:
        if not anchor.mac_ok:
            return fail(f"{anchor.source}中 {anchor.day} 的检查点与其校验码不符（检查点被改动或伪造）", anchor.seq)
    for anchor in anchors:
        if anchor.seq > last_seq:
            return fail(f"审计链只有 {last_seq} 条事件，短于 {anchor.day} 发布的检查点（第 {anchor.seq} 号事件）："
                        f"最新的事件被删除（{anchor.source}）", last_seq + 1)
        if anchor.seq and hashes.get(anchor.seq) != anchor.head_hash:
            return fail(f"第 {anchor.seq} 号事件的哈希与 {anchor.day} 发布的检查点不符：链被改写（{anchor.source}）",
                        anchor.seq, ids.get(anchor.seq))
        if anchor.keyed_from_seq != keyed_from:
            return fail(f"启用密钥的起始序号被改动（{anchor.source}记为第 {anchor.keyed_from_seq} 号，"
                        f"链头记为第 {keyed_from} 号）", min(anchor.keyed_from_seq, keyed_from))
    in_table = {a.key() for a in anchors_db}
    for anchor in anchors_file:
        if anchor.key() not in in_table:
            return fail(f"数据库中缺少 {anchor.day} 的检查点，或与{anchor.source}不符（检查点被删除或改动）", anchor.seq)
    return None


def latest_checkpoint() -> dict | None:
    checkpoint = db.session.scalar(sa.select(AuditCheckpoint).order_by(AuditCheckpoint.day.desc()).limit(1))
    return checkpoint_json(checkpoint) if checkpoint else None
