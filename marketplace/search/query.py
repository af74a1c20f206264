"""Running a public search: ranked hits, highlighted snippets, facets with counts, filters,
paging and "did you mean".

Ranking is BM25 over title (weighted) and content, computed from Whoosh's postings and cached
per searcher (ranking.py). Totals and facet counts do not need scores, so they come from
document-number sets kept per searcher (one per term and per facet value) and intersected in
C: a broad query with tens of thousands of hits stays cheap.
"""

import logging
import re
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from marketplace.core.timeutil import today_shanghai
from marketplace.search import analysis, ranking
from marketplace.search.documents import DOC_TYPES, url_for_doc
from marketplace.search.index import QUICK_BATCH, QUICK_WRITER_TIMEOUT, IndexUnavailable, get_index

log = logging.getLogger(__name__)

FACETS = ("type", "domain", "status", "department")
FACET_LABELS = {"type": "类型", "domain": "领域", "status": "状态", "department": "发榜单位"}
MAX_QUERY_CHARS = 100
MAX_WORDS = 12
MAX_PAGE = 50
SNIPPET_CHARS = 120
TERM_CACHE = 512  # bounded: a broad term's doc set holds tens of thousands of ids per worker


@dataclass
class Hit:
    type: str
    id: int
    title: Markup  # highlighted
    snippet: Markup  # highlighted, escaped HTML
    url: str
    subtitle: str
    type_label: str
    plain_title: str

    def as_json(self):
        return {"type": self.type, "id": self.id, "title": self.plain_title, "snippet": str(self.snippet),
                "url": self.url}


@dataclass
class SearchResult:
    query: str
    items: list = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = 10
    facets: dict = field(default_factory=dict)
    suggestion: str | None = None
    filters: dict = field(default_factory=dict)
    rebuilding: bool = False  # the index is missing or being rebuilt: titles from the database

    @property
    def pages(self):
        return min(MAX_PAGE, max(1, -(-self.total // self.per_page)))

    @property
    def has_next(self):
        return self.page < self.pages


# --- per-searcher doc-number sets ----------------------------------------------------------

def _term_docs(searcher, cache, fieldname, text):
    """The docnums containing a term (the keys of its cached scores)."""
    terms = cache.setdefault("term_docs", OrderedDict())
    key = (fieldname, text)
    docs = terms.get(key)
    if docs is None:
        docs = terms[key] = frozenset(ranking.term_scores(searcher, cache, fieldname, text))
        if len(terms) > TERM_CACHE:
            terms.popitem(last=False)
    else:
        terms.move_to_end(key)
    return docs


def _facet_sets(searcher, cache):
    """{facet: {value: docnums}} for this searcher, built from per-segment sets (kept across
    refreshes) shifted to top-level docnums, without deleted documents."""
    sets = cache.get("facets")
    if sets is None:
        reader = searcher.reader()
        deleted = ranking.deleted_docs(searcher, cache)
        sets = {}
        for name in (*FACETS, "expires"):
            values = {}
            for leaf, offset in reader.leaf_readers():
                if name not in leaf.schema:
                    continue
                for value, docs in ranking.per_segment(leaf, ("facet", name), lambda leaf=leaf, name=name: {
                    v: ranking.raw_ids(leaf, name, v) for v in leaf.field_terms(name) if v != "__meta__"
                }).items():
                    shifted = docs if offset == 0 else frozenset(d + offset for d in docs)
                    values[value] = values[value] | shifted if value in values else shifted
            sets[name] = {v: (d - deleted if deleted else d) for v, d in values.items()}
            sets[name] = {v: d for v, d in sets[name].items() if d}
        cache["facets"] = sets
    return sets


def _facet_owners(searcher, cache, sets):
    """{facet: [its value per docnum, None for none]} for the facets where a document has at
    most one value (type, status, department; a provider's several domains are counted by set
    intersections instead): counting a facet is then one pass over the hits, not one
    intersection per value."""
    owners = cache.get("facet_owners")
    if owners is None:
        size = searcher.reader().doc_count_all()
        owners = {}
        for name in FACETS:
            owner = [None] * size
            for value, docs in sets[name].items():
                if any(owner[d] is not None for d in docs):
                    owner = None
                    break
                for d in docs:
                    owner[d] = value
            owners[name] = owner
        cache["facet_owners"] = owners
    return owners


def _facet_counts(sets, owners, name, base):
    owner = owners.get(name)
    if owner is None:
        return [(value, len(base & docs)) for value, docs in sets[name].items()]
    tally = Counter(map(owner.__getitem__, base))
    tally.pop(None, None)
    return tally.items()


def _expired(sets, cache):
    today = today_shanghai().strftime("%Y%m%d")
    key = ("expired", today)
    if key not in cache:
        out = set()
        for value, docs in sets["expires"].items():
            if value < today:
                out |= docs
        cache[key] = frozenset(out)
    return cache[key]


# --- query building -------------------------------------------------------------------------

def _covering(word, subs):
    """Sub-words that together cover every character of `word` (else they are not a stand-in)."""
    covered = set()
    for sub in subs:
        start = word.find(sub)
        covered.update(range(start, start + len(sub)))
    return len(covered) == len(word)


def _clauses(words):
    """Per query word, its alternatives: [the word] and, when they cover it, [its sub-words]."""
    out = []
    for word, subs in words:
        alts = [[word]]
        if subs and _covering(word, subs):
            alts.append(subs)
        out.append(alts)
    return out


def _match_set(searcher, cache, clauses):
    """Docnums matching every query word: the word itself, or (only where the index has no
    such word) all of its sub-words."""
    result = None
    for alts in clauses:
        docs = frozenset()
        for alt in alts:
            alt_docs = None
            for term in alt:
                t = _term_docs(searcher, cache, "content", term)
                alt_docs = t if alt_docs is None else alt_docs & t
            docs = alt_docs or frozenset()
            if docs:
                break
        result = docs if result is None else result & docs
        if not result:
            break
    return result or frozenset()


# --- snippets -------------------------------------------------------------------------------

def _term_pattern(terms):
    """A regex for the query's terms, longest first, that ignores case (5G, ai)."""
    ordered = sorted({t for t in terms if t}, key=len, reverse=True)
    return re.compile("|".join(re.escape(t) for t in ordered), re.I) if ordered else None


def highlight(text, terms, width=SNIPPET_CHARS):
    """A window of `text` around the first hit, HTML-escaped, hits wrapped in <mark>.

    The terms are found by string search (no second jieba pass per hit), except inside a word
    the dictionary keeps whole: 老化 is not marked inside 适老化."""
    text = (text or "").replace("\n", " ")
    if not text:
        return Markup("")
    pattern = terms if isinstance(terms, re.Pattern) else _term_pattern(terms)
    whole = analysis.whole_word_spans(text)
    spans = []
    for m in pattern.finditer(text) if pattern else ():
        if any(s <= m.start() and m.end() <= e and (s, e) != m.span() for s, e in whole):
            continue
        spans.append(m.span())
    begin = max(0, spans[0][0] - width // 4) if spans else 0
    stop = min(len(text), begin + width)
    out = [Markup("…") if begin else Markup("")]
    pos = begin
    for start, end in spans:
        if start < pos or end > stop:
            continue
        out.append(escape(text[pos:start]))
        out.append(Markup("<mark>") + escape(text[start:end]) + Markup("</mark>"))
        pos = end
    out.append(escape(text[pos:stop]))
    if stop < len(text):
        out.append(Markup("…"))
    return Markup("").join(out)


# --- did you mean ---------------------------------------------------------------------------

def _suggest(searcher, cache, q):
    """A corrected query with hits, from the index's own vocabulary, or None."""
    corrector = searcher.corrector("content")
    changed = False
    chunks = []
    for chunk in q.split():
        words = analysis.cut(chunk)
        if all(_term_docs(searcher, cache, "content", w) for w in words):
            chunks.append(chunk)
            continue
        whole = corrector.suggest(chunk.lower(), limit=1, maxdist=1 if len(chunk) <= 4 else 2, prefix=1)
        if whole:
            chunks.append(whole[0])
            changed = True
            continue
        fixed = []
        for w in words:
            if _term_docs(searcher, cache, "content", w):
                fixed.append(w)
                continue
            found = corrector.suggest(w, limit=1, maxdist=1 if len(w) <= 4 else 2, prefix=1)
            fixed.append(found[0] if found else w)
            changed = changed or bool(found)
        chunks.append("".join(fixed) if all(not x.isascii() for x in fixed) else " ".join(fixed))
    if not changed:
        return None
    suggestion = " ".join(chunks)
    clauses = _clauses(analysis.query_words(suggestion)[:MAX_WORDS])
    return suggestion if clauses and _match_set(searcher, cache, clauses) else None


# --- the search ------------------------------------------------------------------------------

def clean_filters(type=None, domain=None, status=None, department=None):  # noqa: A002 - API names
    filters = {"type": type, "domain": domain, "status": status, "department": department}
    filters = {k: (v or "").strip()[:100] for k, v in filters.items()}
    if filters["type"] not in DOC_TYPES:
        filters["type"] = ""
    return {k: v for k, v in filters.items() if v}


def search(q, *, page=1, per_page=10, catch_up=True, **filters):
    """Public documents matching `q`, best first. Filters: type, domain, status, department."""
    q = " ".join((q or "").split())[:MAX_QUERY_CHARS]
    filters = clean_filters(**filters)
    page = min(max(int(page or 1), 1), MAX_PAGE)
    result = SearchResult(query=q, page=page, per_page=per_page, filters=filters)
    words = analysis.query_words(q)[:MAX_WORDS] if q else []
    if not words:
        return result
    index = get_index()
    if catch_up:
        try:
            if not index.caught_up():
                index.catch_up(timeout=QUICK_WRITER_TIMEOUT, budget=0.2, batch=QUICK_BATCH)
        except Exception:  # searching stale documents beats failing; the next request retries
            log.exception("search catch-up before a query failed")
    try:
        return _remembered(index, result, words, filters)
    except IndexUnavailable:
        return fallback(result, words)
    except Exception:
        # A directory removed or replaced under a running process: reopen it once.
        log.warning("search failed on the open index; reopening", exc_info=True)
        index.reset()
    try:
        return _run(index, result, words, filters)
    except IndexUnavailable:
        return fallback(result, words)
    except Exception as exc:
        # Damaged: never rebuilt here (minutes of work in a web request); the worker or
        # `flask search reindex` rebuilds it, and until then the database answers.
        index.mark_damaged(f"search failed: {exc}")
        return fallback(result, words)


FALLBACK_TYPES = ("challenge",)


def _nudge_keeper():
    """Someone must be rebuilding: start a keeper if none holds this index (never build here)."""
    from flask import current_app

    from marketplace.search import keeper

    try:
        keeper.nudge(current_app._get_current_object())
    except Exception:  # a search answer never fails for this
        log.warning("could not nudge the search index keeper", exc_info=True)


def fallback(result, words):
    """While the index is missing or being rebuilt: challenges whose title contains every
    query word, newest first, from the database, through the index's own loader (so the same
    visibility rules apply: only published-and-later, never cancelled ones). No facets, no
    ranking; `result.rebuilding` tells the page and the API."""
    import sqlalchemy as sa

    from marketplace.challenges.models import Challenge
    from marketplace.extensions import db
    from marketplace.search.documents import SEARCHABLE_CHALLENGE_STATES, load_challenges

    result.rebuilding = True
    _nudge_keeper()
    if result.filters.get("type", "challenge") not in FALLBACK_TYPES:
        return result
    cond = [Challenge.state.in_(SEARCHABLE_CHALLENGE_STATES)]
    cond += [Challenge.title.icontains(word, autoescape=True) for word, _subs in words]
    if result.filters.get("domain"):
        cond.append(Challenge.domain == result.filters["domain"])
    limit = result.per_page
    ids = db.session.scalars(sa.select(Challenge.id).where(*cond).order_by(Challenge.id.desc())
                             .offset((result.page - 1) * limit).limit(limit + 1)).all()
    more = len(ids) > limit
    ids = ids[:limit]
    loaded = load_challenges(db.session, ids)
    terms = _term_pattern(word for word, _subs in words)
    spec = DOC_TYPES["challenge"]
    for doc_id in ids:
        fields = loaded.get(doc_id)
        if fields is None:
            continue
        result.items.append(Hit(
            type="challenge", id=doc_id, title=highlight(fields["title"], terms, width=200),
            snippet=highlight(fields["excerpt"], terms), url=url_for_doc("challenge", doc_id),
            subtitle=fields["subtitle"], type_label=spec.label, plain_title=fields["title"],
        ))
    # No count(*) over the table: "at least what is shown" keeps the pager honest and cheap.
    result.total = (result.page - 1) * limit + len(result.items) + (1 if more else 0)
    return result


RESULT_CACHE = 256


def _remembered(index, result, words, filters):
    """`_run`, its answer kept per searcher and day: a searcher never changes, and a refresh
    (any change to the index) starts a new cache, so a kept answer is never stale. A popular
    query asked again costs a dictionary lookup."""
    index.searcher()  # opens or refreshes: the cache below is this searcher's
    store = ranking.lru(index.cache, "results", RESULT_CACHE)
    # The day is part of the key: listings whose validity ended drop out at midnight.
    key = (result.query, tuple(sorted(filters.items())), result.page, result.per_page, today_shanghai())
    kept = store.get(key)
    if kept is None:
        _run(index, result, words, filters)
        store[key] = kept = (result.total, result.facets, result.items, result.suggestion)
    else:
        store.move_to_end(key)
    result.total, facets, items, result.suggestion = kept
    result.facets = {name: [dict(value) for value in values] for name, values in facets.items()}
    result.items = list(items)
    return result


def _run(index, result, words, filters):
    searcher = index.searcher()
    cache = index.cache
    clauses = _clauses(words)
    matched = _match_set(searcher, cache, clauses)
    sets = _facet_sets(searcher, cache)
    expired = _expired(sets, cache)
    if expired:
        matched = matched - expired

    def restricted(skip=None):
        docs = matched
        for name, value in filters.items():
            if name != skip:
                docs = docs & sets[name].get(value, frozenset())
        return docs

    allowed = restricted()
    result.total = len(allowed)
    owners = _facet_owners(searcher, cache, sets)
    for name in FACETS:
        base = restricted(skip=name)
        counts = _facet_counts(sets, owners, name, base)
        counts = sorted(((v, n) for v, n in counts if n), key=lambda x: (-x[1], x[0]))
        labels = {k: v.label for k, v in DOC_TYPES.items()} if name == "type" else {}
        result.facets[name] = [{"value": v, "label": labels.get(v, v), "count": n} for v, n in counts]
    if not result.total:
        result.suggestion = _suggest(searcher, cache, result.query)
        return result

    limit = result.page * result.per_page
    ranked = ranking.top(searcher, cache, clauses, allowed, limit)
    terms = _term_pattern(t for alts in clauses for alt in alts for t in alt)
    for docnum in ranked[(result.page - 1) * result.per_page:]:
        stored = searcher.stored_fields(docnum)
        doc_type, _, doc_id = stored["key"].partition(":")
        spec = DOC_TYPES.get(doc_type)
        if spec is None:
            continue
        title = stored.get("title", "")
        result.items.append(Hit(
            type=doc_type, id=int(doc_id), title=highlight(title, terms, width=200),
            snippet=highlight(stored.get("excerpt") or "", terms), url=url_for_doc(doc_type, int(doc_id)),
            subtitle=stored.get("subtitle", ""), type_label=spec.label, plain_title=title,
        ))
    return result
