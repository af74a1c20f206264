"""Uploads: allowed types with matching bytes, size limit, stored outside static/ under a random name,
served as an attachment with its UTF-8 name, nothing left behind when anything fails."""

import hashlib
import io
import os
from urllib.parse import quote

import pytest
from werkzeug.datastructures import FileStorage

from marketplace.challenges import operations as challenge_ops
from marketplace.extensions import db as _db
from marketplace.files import operations as file_ops
from marketplace.files.models import StoredFile
from tests.challenges.conftest import (
    VALID_FILES,
    assert_error,
    exe_bytes,
    jpg_bytes,
    pdf_bytes,
    png_bytes,
    upload,
    zip_bytes,
)


def stored_files(app):
    root = app.config["UPLOAD_DIR"]
    if not os.path.isdir(root):
        return set()
    return {os.path.join(d, f) for d, _, files in os.walk(root) for f in files}


@pytest.fixture
def entry(api, create_challenge, submit_entry, dept, provider):
    _, user, _ = provider
    challenge = create_challenge(dept)
    return submit_entry(user, challenge), api(user)


EXTENSIONS = {"pdf": "pdf", "docx": "docx", "xlsx": "xlsx", "pptx": "pptx", "png": "png", "jpg": "jpg", "jpeg": "jpg",
              "zip": "zip"}


def test_allowed_types_with_real_bytes(app, entry):
    submission, as_user = entry
    for extension in sorted(EXTENSIONS):
        data = VALID_FILES[EXTENSIONS[extension]]()
        name = f"方案附件.{extension.upper() if extension == 'pdf' else extension}"
        response = upload(as_user, f"/submissions/{submission.id}/attachments", data, name)
        assert response.status_code == 201, (extension, response.get_json())
        body = response.get_json()
        assert body["sha256"] == hashlib.sha256(data).hexdigest() and body["size"] == len(data)
        download = as_user.get(f"/files/{body['id']}")
        assert download.status_code == 200 and download.get_data() == data, extension
    assert as_user.get(f"/submissions/{submission.id}").get_json()["version"] == 1 + len(EXTENSIONS)


BAD = [
    ("exe named pdf", "报告.pdf", exe_bytes),
    ("plain zip named docx", "方案.docx", zip_bytes),
    ("plain zip named xlsx", "报价.xlsx", zip_bytes),
    ("docx named pptx", "汇报.pptx", lambda: __import__("tests.challenges.conftest", fromlist=["x"]).ooxml_bytes("docx")),
    ("jpg bytes named png", "图.png", jpg_bytes),
    ("png bytes named jpg", "图.jpg", png_bytes),
    ("pdf named zip", "包.zip", pdf_bytes),
    ("text named pdf", "说明.pdf", lambda: "这不是 PDF".encode()),
    ("unknown extension", "病毒.exe", exe_bytes),
    ("html", "页面.html", lambda: b"<script>alert(1)</script>"),
    ("no extension", "README", pdf_bytes),
    ("double extension", "方案.pdf.exe", pdf_bytes),
    ("empty pdf", "空.pdf", lambda: b""),
    ("truncated zip named docx", "坏.docx", lambda: b"PK\x03\x04" + b"\x00" * 20),
]


def test_bad_files_are_422_on_file_and_leave_nothing(app, entry):
    submission, as_user = entry
    before = stored_files(app)
    for case, name, factory in BAD:
        response = upload(as_user, f"/submissions/{submission.id}/attachments", factory(), name)
        assert response.status_code == 422, case
        assert_error(response, 422, field="file")
        assert stored_files(app) == before, case
    assert _db.session.query(StoredFile).count() == 0
    assert as_user.get(f"/submissions/{submission.id}").get_json()["version"] == 1


def test_missing_file_field_is_422(entry):
    submission, as_user = entry
    response = as_user.post(f"/submissions/{submission.id}/attachments", data={"other": "x"},
                            content_type="multipart/form-data")
    assert_error(response, 422, field="file")
    assert_error(as_user.post(f"/submissions/{submission.id}/attachments", json={"file": "x"}), 422)


def test_over_the_size_limit_is_refused_never_500(app, entry, monkeypatch):
    submission, as_user = entry
    before = stored_files(app)
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 1024)
    big = pdf_bytes() + b"0" * 4096
    response = upload(as_user, f"/submissions/{submission.id}/attachments", big, "大文件.pdf")
    assert response.status_code in (413, 422), response.status_code
    assert_error(response, response.status_code)
    if response.status_code == 422:
        assert "file" in response.get_json()["error"]["fields"]
    assert stored_files(app) == before
    # Exactly at the limit is fine.
    exact = pdf_bytes().ljust(1024, b"\n")
    assert upload(as_user, f"/submissions/{submission.id}/attachments", exact, "刚好.pdf").status_code == 201
    monkeypatch.undo()
    assert app.config["UPLOAD_MAX_BYTES"] == 20 * 1024 * 1024


def test_stored_outside_static_under_a_random_name(app, entry, browser):
    submission, as_user = entry
    body = upload(as_user, f"/submissions/{submission.id}/attachments", pdf_bytes(), "技术方案.pdf").get_json()
    stored = _db.session.get(StoredFile, body["id"])
    path = os.path.realpath(file_ops.file_path(stored))
    assert os.path.isfile(path)
    assert not path.startswith(os.path.realpath(app.static_folder))
    assert path.startswith(os.path.realpath(app.config["UPLOAD_DIR"]))
    assert "技术方案" not in path and not path.endswith(".pdf")
    assert stored.sha256 == hashlib.sha256(pdf_bytes()).hexdigest()
    assert browser().get(f"/static/{stored.storage_key}").status_code == 404
    assert browser().get(f"/static/{stored.storage_key[:2]}/{stored.storage_key}").status_code == 404


def test_download_is_an_attachment_with_the_utf8_name(entry, browser, provider):
    submission, as_user = entry
    _, user, _ = provider
    name = "技术方案 v2.pdf"
    body = upload(as_user, f"/submissions/{submission.id}/attachments", pdf_bytes(), name).get_json()
    for response in (as_user.get(f"/files/{body['id']}"), browser(user).get(f"/files/{body['id']}")):
        assert response.status_code == 200
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment")
        assert f"filename*=UTF-8''{quote(name)}" in disposition
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_hostile_names_are_neutralised(entry):
    submission, as_user = entry
    for hostile, expected in (("../../etc/passwd.pdf", "passwd.pdf"), ("../<方案>|*?.pdf", "方案.pdf")):
        body = upload(as_user, f"/submissions/{submission.id}/attachments", pdf_bytes(), hostile).get_json()
        assert body["name"] == expected
        response = as_user.get(f"/files/{body['id']}")
        assert response.status_code == 200 and "/" not in response.headers["Content-Disposition"]


def test_rolled_back_upload_leaves_no_orphan(app, create_challenge, dept):
    challenge = create_challenge(dept, state="draft")
    before = stored_files(app)
    stored = challenge_ops.attach_document(dept, challenge, FileStorage(io.BytesIO(pdf_bytes()), "附件.pdf"))
    path = file_ops.file_path(stored)
    assert os.path.isfile(path)
    _db.session.rollback()
    assert not os.path.exists(path)
    assert stored_files(app) == before


def test_a_failure_after_storing_rolls_the_file_back(app, api, create_challenge, dept, monkeypatch):
    """Anything failing after the bytes were written (here: the audit) leaves no file behind."""
    challenge = create_challenge(dept, state="draft")
    before = stored_files(app)

    def broken(*args, **kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(challenge_ops, "record", broken)
    response = upload(api(dept), f"/challenges/{challenge.id}/attachments", pdf_bytes(), "附件.pdf")
    assert response.status_code == 500
    assert stored_files(app) == before
    assert _db.session.query(StoredFile).count() == 0


def test_challenge_attachments_follow_the_challenge(api, browser, create_challenge, dept, other_dept, admin):
    challenge = create_challenge(dept, state="draft")
    data = png_bytes()
    created = upload(api(dept), f"/challenges/{challenge.id}/attachments", data, "现场照片.png")
    assert created.status_code == 201, created.get_json()
    file_id = created.get_json()["id"]
    assert api(dept).get(f"/files/{file_id}").get_data() == data
    assert api(admin).get(f"/files/{file_id}").status_code == 200
    # A draft's files are as hidden as the draft.
    assert_error(api().get(f"/files/{file_id}"), 404)
    assert_error(api(other_dept).get(f"/files/{file_id}"), 404)
    assert browser().get(f"/files/{file_id}").status_code == 404
    assert_error(upload(api(other_dept), f"/challenges/{challenge.id}/attachments", data, "x.png"), 404)
    challenge_ops.submit_for_review(dept, challenge)
    challenge_ops.approve_challenge(admin, challenge)
    _db.session.commit()
    assert api().get(f"/files/{file_id}").status_code == 200
    assert browser().get(f"/files/{file_id}").get_data() == data
    assert [a["id"] for a in api().get(f"/challenges/{challenge.id}").get_json()["attachments"]] == [file_id]
    assert_error(upload(api(dept), f"/challenges/{challenge.id}/attachments", b"", "空.png"), 422, field="file")
