"""Public full-text search (issue 6): Whoosh + jieba, every call to either inside this package.

- documents.py  what is searchable (a registry: one loader per document type)
- capture.py    session listener writing the `search_changes` log in the changing transaction
- index.py      the per-process index: catch-up from the log, rebuild, searcher refresh
- query.py      ranked, highlighted, faceted search
- views.py      the /search page; the API is marketplace/api/search.py
- cli.py        `flask search reindex | catch-up`
"""

from flask import Blueprint

bp = Blueprint("search", __name__)


@bp.record_once
def _install(state):
    from marketplace.extensions import db
    from marketplace.search import capture

    capture.install(db)

