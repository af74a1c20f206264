"""Read a PDF response back as text (pypdf), so tests check what a printout actually says."""

import io
import re

from pypdf import PdfReader

SHA = re.compile(r"文件校验码（SHA-256）：\s*([0-9a-f]{64})")


def pdf_text(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.get_data()))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    """Line breaks inside wrapped Chinese sentences removed (the PDF wraps where the page ends)."""
    return re.sub(r"\s*\n\s*", "", text)


def printed_sha(text: str) -> str:
    match = SHA.search(text)
    assert match, text
    return match.group(1)
