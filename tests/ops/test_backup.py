"""`flask backup` / `restore`: into an empty database the same audit-chain head and the same files."""

import io
import os

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from marketplace.audit.models import AuditEvent
from marketplace.audit.operations import verify_chain
from marketplace.backup import BackupError, audit_head, backup, file_hashes, restore
from marketplace.files.models import StoredFile
from marketplace.files.operations import store_upload
from marketplace.notifications.outbox import queue_email
from tests import factories


@pytest.fixture(autouse=True)
def own_upload_dir(app, tmp_path, monkeypatch):
    """The session's upload directory holds other tests' files; a backup here sees only its own."""
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _world(db):
    admin = factories.create_user("admin", email="office@example.gov.cn", name="区数据局")
    org, user, application = factories.create_provider("admitted", admin=admin, name="上海颐康智慧养老科技有限公司")
    for n in range(2):
        store_upload(user, FileStorage(io.BytesIO(PDF + bytes([n])), filename=f"资质{n}.pdf"),
                     owner_type="organisation", owner_id=org.id)
    queue_email(user.email, "【揭榜挂帅场景平台】测试", "正文")
    db.session.commit()
    return admin, org, user


def _empty(app, db):
    """Drop every row and every upload: a freshly migrated database (its chain head at genesis)."""
    from tests.conftest import _wipe

    db.session.remove()
    _wipe(app)
    root = app.config["UPLOAD_DIR"]
    for folder, _, names in os.walk(root):
        for name in names:
            os.remove(os.path.join(folder, name))


def test_restore_into_an_empty_database_gives_the_same_chain_head_and_files(app, db, tmp_path):
    _world(db)
    head = audit_head()
    assert head["seq"] > 3
    files = file_hashes(app.config["UPLOAD_DIR"])
    assert len(files) == 2
    manifest = backup(str(tmp_path / "b"))
    assert manifest["audit_head"] == head and manifest["files"] == files
    users = db.session.scalar(sa.select(sa.func.count()).select_from(sa.table("users")))

    _empty(app, db)
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 0
    restore(str(tmp_path / "b"))
    db.session.commit()

    assert audit_head() == head
    assert verify_chain().ok and verify_chain().events == head["seq"]
    assert file_hashes(app.config["UPLOAD_DIR"]) == files
    assert db.session.scalar(sa.select(sa.func.count()).select_from(sa.table("users"))) == users
    stored = db.session.scalars(sa.select(StoredFile)).all()
    assert sorted(f.sha256 for f in stored) == sorted(files.values())
    # new rows continue after the restored ids (PostgreSQL sequences were moved on)
    factories.create_user("evaluator", email="after@example.cn")
    db.session.commit()


def test_restore_refuses_a_database_that_is_not_empty(app, db, tmp_path):
    _world(db)
    backup(str(tmp_path / "b"))
    with pytest.raises(BackupError, match="不是空的"):
        restore(str(tmp_path / "b"))


def test_backup_refuses_a_directory_in_use(app, db, tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x").write_text("x")
    with pytest.raises(BackupError):
        backup(str(tmp_path / "b"))
