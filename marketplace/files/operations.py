"""Uploads: allowed types only, bytes checked against the type (magic numbers), size-limited,
stored outside static/ under a random name with their SHA-256."""

import contextlib
import hashlib
import logging
import os
import secrets
import zipfile

from flask import current_app

from marketplace.audit.operations import record
from marketplace.core.aftercommit import after_commit, on_rollback
from marketplace.core.db import utcnow
from marketplace.core.errors import Gone, ValidationFailed
from marketplace.extensions import db
from marketplace.files.models import StoredFile

KIND_LABELS = {"pdf": "PDF", "docx": "Word（docx）", "xlsx": "Excel（xlsx）", "pptx": "PowerPoint（pptx）",
               "png": "PNG 图片", "jpg": "JPG 图片", "zip": "ZIP 压缩包"}
EXTENSIONS = {"pdf": "pdf", "docx": "docx", "xlsx": "xlsx", "pptx": "pptx", "png": "png",
              "jpg": "jpg", "jpeg": "jpg", "zip": "zip"}
MIMETYPES = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "zip": "application/zip",
             "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation"}
_OOXML_PART = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
ALLOWED_TEXT = "、".join(sorted(set(EXTENSIONS) - {"jpeg"}))
log = logging.getLogger(__name__)


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")


def kind_from_name(name: str) -> str | None:
    _, dot, ext = (name or "").rpartition(".")
    return EXTENSIONS.get(ext.lower()) if dot else None


def content_matches(kind: str, path: str) -> bool:
    """Whether the bytes really are of `kind` (magic number, and the OOXML structure for Office)."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if kind == "pdf":
        return head.startswith(b"%PDF-")
    if kind == "png":
        return head == b"\x89PNG\r\n\x1a\n"
    if kind == "jpg":
        return head.startswith(b"\xff\xd8\xff")
    if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return False
    if kind == "zip":
        return True
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return "[Content_Types].xml" in names and any(n.startswith(_OOXML_PART[kind]) for n in names)


def _safe_display_name(name: str) -> str:
    name = os.path.basename((name or "").replace("\\", "/")).strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?')
    return name[-200:] or "file"


def store_upload(actor, upload, *, owner_type, owner_id, field="file", room=None, room_message=None) -> StoredFile:
    """Check and store one uploaded file (a werkzeug FileStorage). 422 with a Chinese message
    on the `field` when the type is not allowed, the bytes do not match it, or it is too big:
    bigger than UPLOAD_MAX_BYTES, or than `room` (what a quota leaves; `room_message` says so)."""
    if upload is None or not getattr(upload, "filename", ""):
        raise ValidationFailed(fields={field: "请选择要上传的文件"})
    name = _safe_display_name(upload.filename)
    kind = kind_from_name(name)
    if kind is None:
        raise ValidationFailed(fields={field: f"不支持的文件类型，仅允许：{ALLOWED_TEXT}"})
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    root = current_app.config["UPLOAD_DIR"]
    key = secrets.token_hex(16)
    directory = os.path.join(root, key[:2])
    os.makedirs(directory, mode=0o750, exist_ok=True)
    path = os.path.join(directory, key)
    digest, size = hashlib.sha256(), 0
    try:
        with open(path, "wb") as out:
            while chunk := upload.stream.read(64 * 1024):
                size += len(chunk)
                if size > limit:
                    raise ValidationFailed(fields={field: f"文件过大，单个文件不能超过 {limit // (1024 * 1024)} MB"})
                if room is not None and size > room:
                    raise ValidationFailed(fields={field: room_message or "超出附件总大小限制"})
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise ValidationFailed(fields={field: "文件为空"})
        if not content_matches(kind, path):
            raise ValidationFailed(fields={field: f"文件内容与扩展名不符：“{name}”不是有效的 {KIND_LABELS[kind]} 文件"})
    except BaseException:
        _remove(path)
        raise
    on_rollback(lambda: _remove(path))
    stored = StoredFile(owner_type=owner_type, owner_id=owner_id, name=name, kind=kind, size=size,
                        sha256=digest.hexdigest(), storage_key=key, uploaded_by_id=getattr(actor, "id", None))
    db.session.add(stored)
    record(actor, "file.upload", stored, after={"owner_type": owner_type, "owner_id": owner_id, "name": name,
                                                "size": size, "sha256": stored.sha256})
    return stored


def remove_file(actor, stored: StoredFile):
    """A removed file is gone for everyone, for good: never served again, and its bytes are
    deleted once the removal has committed (the record, name and SHA-256 stay for the history)."""
    stored.removed_at = utcnow()
    record(actor, "file.remove", stored, before={"name": stored.name, "sha256": stored.sha256})
    path = file_path(stored)
    after_commit(lambda: _remove(path))


def open_path(stored: StoredFile) -> str:
    """The path to serve, or Gone (410, and an error in the log) when the bytes are missing."""
    path = file_path(stored)
    if not os.path.isfile(path):
        log.error("stored file %s (%s/%s) is missing on disk: %s", stored.id, stored.owner_type,
                  stored.owner_id, path)
        raise Gone("该文件已无法获取（存储中缺失），请联系平台管理员")
    return path


def file_path(stored: StoredFile) -> str:
    return os.path.join(current_app.config["UPLOAD_DIR"], stored.storage_key[:2], stored.storage_key)


def _remove(path):
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def live_files(owner_type, owner_id):
    import sqlalchemy as sa

    return db.session.scalars(
        sa.select(StoredFile).where(StoredFile.owner_type == owner_type, StoredFile.owner_id == owner_id,
                                    StoredFile.removed_at.is_(None)).order_by(StoredFile.id)
    ).all()


def file_json(stored: StoredFile):
    return {"id": stored.id, "name": stored.name, "size": stored.size, "sha256": stored.sha256,
            "kind": stored.kind}


# Who may read a file is the owning area's rule; files sit below those areas, so each one
# registers its rule here (marketplace/workflow.py wires them at app start).
READERS = {}  # owner_type → can_read(user, stored)
NEUTRAL_NAMES = {}  # owner_type → hides_name(user, stored): a neutral download name (blind rounds)


def register_reader(owner_types, can_read, hides_name=None):
    for owner_type in (owner_types,) if isinstance(owner_types, str) else owner_types:
        READERS[owner_type] = can_read
        if hides_name is not None:
            NEUTRAL_NAMES[owner_type] = hides_name


def can_read_file(user, stored: StoredFile) -> bool:
    """A file follows its owner object's rules (a sealed entry's files stay sealed)."""
    if stored.removed_at is not None:  # removed files are gone for everyone, for good
        return False
    can_read = READERS.get(stored.owner_type)
    return can_read is not None and bool(can_read(user, stored))


def download_name(user, stored: StoredFile) -> str:
    """The original name, except for an evaluator in a blind round: a neutral name then."""
    hides_name = NEUTRAL_NAMES.get(stored.owner_type)
    if hides_name is not None and hides_name(user, stored):
        return f"附件-{stored.id}.{stored.kind}"
    return stored.name
