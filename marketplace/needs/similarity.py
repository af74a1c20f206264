"""Similar needs and challenges, ranked with the platform's jieba analyzer and BM25.

Per triage request a small in-memory Whoosh index (RamStorage) is built over the candidates
(every other need and every challenge; the same domain only once there are very many) and
queried with the need's own words. The analyzer is the one the site search uses, so 菜场 and
菜市场, 养老 and 智慧养老服务 meet as they do there. The public list's keyword search uses the
same ranking over published needs only.
"""

import os

import sqlalchemy as sa
from flask import current_app
from whoosh import scoring
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.filedb.filestore import RamStorage
from whoosh.query import Or, Term

from marketplace.challenges.models import Challenge
from marketplace.challenges.states import ChallengeState
from marketplace.extensions import db
from marketplace.needs.models import Need
from marketplace.search import analysis

MAX_CANDIDATES = 2000  # above this, only candidates of the need's own domain are compared
MAX_QUERY_WORDS = 60
TITLE_BOOST = 3.0


def _configure():
    analysis.configure(current_app.config.get("SEARCH_JIEBA_CACHE_DIR")
                       or os.path.join(current_app.instance_path, "jieba-cache"))


def _schema():
    chinese = analysis.analyzer()
    return Schema(key=ID(stored=True, unique=True), title=TEXT(analyzer=chinese, phrase=False),
                  content=TEXT(analyzer=chinese, phrase=False), label=STORED)


def need_text(need):
    return " ".join((need.title, " ".join(need.keyword_list), need.problem, need.scenario,
                     need.beneficiaries, need.expected_outcomes))


def challenge_text(challenge):
    return " ".join((challenge.title, challenge.description, challenge.pain_points, challenge.outcomes))


def _query(text):
    """Every word of `text` and its dictionary sub-words, in the title (boosted) or the body."""
    terms = []
    seen = set()
    for word, subs in analysis.query_words(text):
        for w in (word, *subs):
            if w not in seen and len(seen) < MAX_QUERY_WORDS:
                seen.add(w)
                terms += [Term("title", w, boost=TITLE_BOOST), Term("content", w)]
    return Or(terms) if terms else None


def rank(documents, text, limit=10):
    """documents: [(key, title, content)] → [(key, score)] best first, score > 0 only."""
    _configure()
    query = _query(text)
    if query is None or not documents:
        return []
    index = RamStorage().create_index(_schema())
    writer = index.writer()
    for key, title, content in documents:
        writer.add_document(key=key, title=title, content=content)
    writer.commit()
    with index.searcher(weighting=scoring.BM25F()) as searcher:
        return [(hit["key"], round(hit.score, 3)) for hit in searcher.search(query, limit=limit) if hit.score > 0]


def similar_to(need, limit=8):
    """Earlier needs and challenges that look like `need`:
    [{"type": "need"|"challenge", "id", "title", "score", "object"}], best first."""
    needs_q = sa.select(Need).where(Need.id != need.id)
    challenges_q = sa.select(Challenge).where(
        sa.or_(Challenge.need_id.is_(None), Challenge.need_id != need.id))
    total = db.session.scalar(sa.select(sa.func.count(Need.id))) + db.session.scalar(sa.select(sa.func.count(Challenge.id)))
    if total > MAX_CANDIDATES:
        needs_q = needs_q.where(Need.domain == need.domain)
        challenges_q = challenges_q.where(Challenge.domain == need.domain, Challenge.state != ChallengeState.draft)
    objects = {f"need:{n.id}": n for n in db.session.scalars(needs_q)}
    objects |= {f"challenge:{c.id}": c for c in db.session.scalars(challenges_q)}
    documents = [(key, obj.title, need_text(obj) if isinstance(obj, Need) else challenge_text(obj))
                 for key, obj in objects.items()]
    out = []
    for key, score in rank(documents, need_text(need), limit=limit):
        kind, _, object_id = key.partition(":")
        obj = objects[key]
        out.append({"type": kind, "id": int(object_id), "title": obj.title, "score": score, "object": obj})
    return out


def search_public(needs, q, limit=200):
    """Published needs matching the words of `q`, best first."""
    by_key = {str(n.id): n for n in needs}
    ranked = rank([(key, n.title, need_text(n)) for key, n in by_key.items()], q, limit=limit)
    return [by_key[key] for key, _ in ranked]
