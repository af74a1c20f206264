from flask import send_file
from flask_login import current_user

from marketplace.core.errors import NotFound
from marketplace.extensions import db
from marketplace.files import bp
from marketplace.files.models import StoredFile
from marketplace.files.operations import MIMETYPES, can_read_file, download_name, open_path


@bp.get("/files/<int:file_id>")
def download(file_id):
    stored = db.session.get(StoredFile, file_id)
    if stored is None or not can_read_file(current_user, stored):
        raise NotFound()
    return send_file(open_path(stored), mimetype=MIMETYPES[stored.kind], as_attachment=True,
                     download_name=download_name(current_user, stored), max_age=0, conditional=True)
