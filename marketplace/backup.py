"""Backup and restore: every table as JSON lines (portable: a SQLite backup restores into
PostgreSQL and back), the upload directory, and a manifest with each file's SHA-256 and the
audit-chain head, so a restore can prove it brought back the same history and the same files.

Used by `flask --app wsgi backup PATH` and `restore PATH` (marketplace.cli).
"""

import base64
import hashlib
import json
import os
import shutil
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app

from marketplace.core.db import utcnow
from marketplace.extensions import db

FORMAT = "marketplace-backup/1"
SKIP_TABLES = {"alembic_version"}


class BackupError(Exception):
    pass


def _encode(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _decoder(column):
    try:
        kind = getattr(column.type, "impl_instance", column.type).python_type
    except NotImplementedError:
        return lambda v: v
    if kind is datetime:
        return lambda v: None if v is None else datetime.fromisoformat(v)
    if kind is date:
        return lambda v: None if v is None else date.fromisoformat(v)
    if kind is Decimal:
        return lambda v: None if v is None else Decimal(v)
    if kind is bytes:
        return lambda v: None if v is None else base64.b64decode(v)
    return lambda v: v


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def file_hashes(root):
    hashes = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            hashes[os.path.relpath(path, root)] = sha256_of(path)
    return dict(sorted(hashes.items()))


def audit_head():
    from marketplace.audit.models import AuditChainHead

    head = db.session.get(AuditChainHead, 1)
    return None if head is None else {"seq": head.seq, "last_hash": head.last_hash}


def backup(path):
    """Write a backup into the new directory `path`; returns the manifest."""
    if os.path.exists(path) and os.listdir(path):
        raise BackupError(f"{path} 不是空目录")
    os.makedirs(path, exist_ok=True)
    # One snapshot: every table read in one new transaction (REPEATABLE READ on PostgreSQL).
    db.session.rollback()
    connection = db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"}) \
        if db.engine.dialect.name == "postgresql" else db.session.connection()
    counts = {}
    with open(os.path.join(path, "database.jsonl"), "w", encoding="utf-8") as out:
        for table in db.metadata.sorted_tables:
            if table.name in SKIP_TABLES:
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            counts[table.name] = 0
            for row in connection.execute(sa.select(table).order_by(*order)).mappings():
                out.write(json.dumps({"t": table.name, "r": {k: _encode(v) for k, v in row.items()}},
                                     ensure_ascii=False) + "\n")
                counts[table.name] += 1
        revision = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
        head = audit_head()
    db.session.rollback()
    uploads = current_app.config["UPLOAD_DIR"]
    target = os.path.join(path, "uploads")
    if os.path.isdir(uploads):
        shutil.copytree(uploads, target)
    else:
        os.makedirs(target)
    manifest = {"format": FORMAT, "created_at": utcnow().isoformat(), "alembic_revision": sorted(revision),
                "tables": counts, "audit_head": head, "files": file_hashes(target)}
    with open(os.path.join(path, "manifest.json"), "w", encoding="utf-8") as out:
        json.dump(manifest, out, ensure_ascii=False, indent=1)
    return manifest


def restore(path):
    """Load a backup into an empty, migrated database and an empty upload directory; check the
    audit head and every file's SHA-256 against the manifest. The caller commits."""
    with open(os.path.join(path, "manifest.json"), encoding="utf-8") as stream:
        manifest = json.load(stream)
    if manifest.get("format") != FORMAT:
        raise BackupError("不是本平台的备份目录")
    revision = sorted(db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
    if revision != manifest["alembic_revision"]:
        raise BackupError(f"数据库结构版本 {revision} 与备份 {manifest['alembic_revision']} 不一致，请先 db upgrade")
    tables = {t.name: t for t in db.metadata.sorted_tables}
    for name, table in tables.items():
        if name not in SKIP_TABLES and name != "audit_chain_head" and db.session.execute(
                sa.select(sa.literal(1)).select_from(table).limit(1)).first():
            raise BackupError(f"数据库不是空的（{name} 表有数据），只能恢复到空数据库")
    uploads = current_app.config["UPLOAD_DIR"]
    if os.path.isdir(uploads) and any(files for _, _, files in os.walk(uploads)):
        raise BackupError(f"上传目录 {uploads} 不是空的")

    # The migration seeds the chain head at genesis; the backup's row is written over it (an
    # UPDATE: on PostgreSQL the head row may not be deleted).
    head_rows = []
    decoders = {name: {c.name: _decoder(c) for c in t.columns} for name, t in tables.items()}
    batch, batch_table = [], None

    def flush():
        if batch:
            db.session.execute(sa.insert(tables[batch_table]), batch)
            batch.clear()

    # Rows are in dependency order (the backup wrote them table by table, in sorted_tables order).
    with open(os.path.join(path, "database.jsonl"), encoding="utf-8") as stream:
        for line in stream:
            item = json.loads(line)
            name = item["t"]
            if name not in tables:
                raise BackupError(f"备份中有未知的表 {name}")
            if name == "audit_chain_head":
                head_rows.append({k: decoders[name][k](v) for k, v in item["r"].items()})
                continue
            if name != batch_table or len(batch) >= 500:
                flush()
                batch_table = name
            batch.append({k: decoders[name][k](v) for k, v in item["r"].items()})
        flush()
    head_table = tables["audit_chain_head"]
    for row in head_rows:
        values = {k: v for k, v in row.items() if k != "id"}
        db.session.execute(sa.update(head_table).where(head_table.c.id == row["id"]).values(**values))
    if db.engine.dialect.name == "postgresql":
        for name, table in tables.items():
            if "id" in table.columns and table.columns["id"].primary_key and isinstance(table.columns["id"].type, sa.Integer):
                top = sa.func.max(table.c.id)
                db.session.execute(sa.select(sa.func.setval(sa.func.pg_get_serial_sequence(name, "id"),
                                                            sa.func.coalesce(top, 1), top.is_not(None))))
    if audit_head() != manifest["audit_head"]:
        raise BackupError("恢复后的审计链头与备份不一致")

    source = os.path.join(path, "uploads")
    os.makedirs(uploads, exist_ok=True)
    shutil.copytree(source, uploads, dirs_exist_ok=True)
    restored = file_hashes(uploads)
    if restored != manifest["files"]:
        raise BackupError("恢复后的上传文件与备份的 SHA-256 不一致")
    return manifest
