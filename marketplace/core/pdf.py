"""Printable documents (公示、回执、验收证书 …) as PDF, each carrying a SHA-256 for verification.

The hash is taken over the document's *canonical content* (a JSON object of the facts the document
states, keys sorted, no whitespace), not over the PDF bytes: the same facts rendered twice give
byte-different PDFs (creation time, font subsetting) but the same hash. The first time a document
with a given hash is issued, an audit event `document.pdf_issued` records that hash, so whoever
holds a printout can look the hash up in the audit log (and the chain vouches for the event).

`render_pdf(template, **ctx)` is the one helper every area uses: a template extending
`pdf/base.html`, rendered with WeasyPrint and the project's print stylesheet `static/css/pdf.css`.
CJK text needs a CJK font on the machine (Debian `fonts-noto-cjk`; `.ci/run` installs it).
"""

import hashlib
import json
from pathlib import Path
from urllib.parse import quote

from flask import Response, current_app, render_template

PDF_ISSUED = "document.pdf_issued"


def canonical_json(content: dict) -> str:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def content_sha256(content: dict) -> str:
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def render_pdf(template: str, **ctx) -> bytes:
    # Imported here: WeasyPrint loads pango through cffi, which only PDF requests should pay for.
    from weasyprint import CSS, HTML

    html = render_template(template, **ctx)
    static = Path(current_app.static_folder)
    stylesheet = CSS(filename=str(static / "css" / "pdf.css"))
    return HTML(string=html, base_url=str(static)).write_pdf(stylesheets=[stylesheet])


def pdf_response(pdf: bytes, filename: str) -> Response:
    """Shown in the browser (inline); the Chinese file name travels as RFC 5987 `filename*`."""
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename=document.pdf; filename*=UTF-8''{quote(filename)}"
    return response
