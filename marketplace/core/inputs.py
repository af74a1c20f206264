"""The input boundary: every text a request carries is cleaned once, before any view sees it.

PostgreSQL text cannot hold NUL, and no driver can encode a lone surrogate (`"\\ud800"` is
valid JSON); a value that reached the database with either was a 500 wherever a view read
`request.form` or a JSON body itself instead of going through a form (score-sheet comments,
acceptance notes). So the request class cleans form values and JSON strings (keys too) the
way the shared forms clean their fields, and JSON's non-standard NaN/Infinity are malformed
JSON (400) rather than numbers no column can hold. Query strings keep their own rule (a NUL
in one is a 400, `web.py`).
"""

import json
import re

from flask import Request
from flask.json.provider import DefaultJSONProvider
from werkzeug.datastructures import ImmutableMultiDict

# C0 controls except tab, LF and CR; and UTF-16 surrogates, which are never text on their own.
UNSAFE_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")

# The database's INTEGER: every id column (PostgreSQL int4; SQLite would take 2^63 - 1).
MAX_ID = 2**31 - 1


def clean_value(value):
    """Strings without control characters or lone surrogates, recursively through JSON."""
    if isinstance(value, str):
        return UNSAFE_CHARS.sub("", value)
    if isinstance(value, dict):
        return {clean_value(k): clean_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_value(v) for v in value]
    return value


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


class CleanJSONProvider(DefaultJSONProvider):
    """What request bodies are parsed with (Flask hands `app.json` to every request): standard
    JSON only, strings cleaned."""

    def loads(self, s, **kwargs):
        if isinstance(s, bytes):
            s = s.decode("utf-8")  # UnicodeDecodeError is a ValueError: a 400
        return clean_value(json.loads(s, parse_constant=_refuse_constant, **kwargs))


class CleanRequest(Request):
    def _load_form_data(self):
        super()._load_form_data()
        form = self.__dict__.get("form")
        if form:
            self.__dict__["form"] = ImmutableMultiDict(
                [(clean_value(k), clean_value(v)) for k, v in form.items(multi=True)])


def valid_id(value) -> bool:
    """An id the database can hold: an int (not a bool) in 1 … 2^31 - 1."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID
