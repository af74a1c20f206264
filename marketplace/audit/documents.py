"""Printed documents in the audit log: each distinct content of a PDF (notice, receipt, acceptance
certificate, evaluation report) is recorded once as `document.pdf_issued` with its SHA-256, so a
printout can be checked against the chain. The PDF itself is made by `core.pdf.render_pdf`."""

import sqlalchemy as sa

from marketplace.audit.models import AuditEvent
from marketplace.audit.operations import object_type_of, record
from marketplace.core.pdf import PDF_ISSUED, content_sha256
from marketplace.extensions import db


def issue_document(actor, document: str, obj, content: dict) -> str:
    """Record `document.pdf_issued` for (obj, hash) unless already recorded; return the hash.

    Written on a GET, but at most once per distinct content: printing the same notice again adds
    nothing, while a document whose facts changed (a new entry version) gets its own event.
    """
    sha256 = content_sha256(content)
    db.session.flush()
    issued = db.session.scalars(sa.select(AuditEvent.after).where(
        AuditEvent.action == PDF_ISSUED, AuditEvent.object_type == object_type_of(obj),
        AuditEvent.object_id == obj.id)).all()
    if not any((after or {}).get("sha256") == sha256 for after in issued):
        record(actor if getattr(actor, "is_authenticated", False) else None, PDF_ISSUED, obj,
               after={"document": document, "sha256": sha256})
    return sha256
