"""BM25 ranking over Whoosh's postings, with per-searcher caches.

Whoosh's collector scores matches one by one through Python matcher objects (~10–40 µs each);
its block-quality skipping rarely skips on short, similar documents, so a one-word query with
60,000 hits took 100–300 ms at 100,000 documents. Here each term's postings are read block by
block once per searcher into {docnum: score} (Whoosh's BM25F formula and statistics: idf,
average field length, the same B and K1), a clause's scores are kept sorted, and a page is
picked from the sorted list (one clause) or from the candidate set (several clauses). Caches are
dropped whenever the searcher is refreshed, so a score never outlives the index it came from.

This relies on the whoosh3 codec's leaf matcher (block ids/weights); it lives here, with every
other Whoosh call, so that a change of Whoosh distribution is checked in one place.
"""

import heapq
from collections import OrderedDict

from whoosh.matching.wrappers import FilterMatcher
from whoosh.util.numeric import byte_to_length

B = 0.75
K1 = 1.2
TITLE_WEIGHT = 2.0  # a word in the title counts this much more than one in the text
CACHE_TERMS = 512
CACHE_CLAUSES = 256
_LENGTH = [byte_to_length(i) for i in range(256)]


def lru(cache, name, size):
    store = cache.get(name)
    if store is None:
        store = cache[name] = OrderedDict()
    while len(store) > size:
        store.popitem(last=False)
    return store


# Segments never change once written (deletions are kept apart), so what is read from one is
# kept across searcher refreshes, keyed by its id: after a small write only the new small
# segment is read again, not the big one.
_SEGMENT_CACHE: OrderedDict = OrderedDict()
SEGMENT_CACHE_ENTRIES = 256


def segment_key(leaf):
    segment = getattr(leaf, "segment", None)
    segment = segment() if callable(segment) else None
    return segment.segment_id() if segment is not None and hasattr(segment, "segment_id") else None


def per_segment(leaf, what, compute):
    key = segment_key(leaf)
    if key is None:
        return compute()
    key = (key, what)
    if key in _SEGMENT_CACHE:
        _SEGMENT_CACHE.move_to_end(key)
        return _SEGMENT_CACHE[key]
    value = _SEGMENT_CACHE[key] = compute()
    while len(_SEGMENT_CACHE) > SEGMENT_CACHE_ENTRIES:
        _SEGMENT_CACHE.popitem(last=False)
    return value


def raw_ids(leaf, fieldname, text):
    """Docnums of a term in one segment, deleted ones included (the caller removes those)."""
    if (fieldname, text) not in leaf:
        return frozenset()
    matcher = leaf.postings(fieldname, text)
    if isinstance(matcher, FilterMatcher) and matcher._exclude:
        matcher = matcher.child
    return frozenset(matcher.all_ids())


def deleted_docs(searcher, cache):
    """Deleted top-level docnums of this searcher."""
    if "deleted" not in cache:
        out = set()
        for leaf, offset in searcher.reader().leaf_readers():
            if leaf.has_deletions():
                deleted = getattr(leaf, "deleted_docs_set", None)
                if deleted is None:  # another reader type: the public, slower way
                    deleted = set(range(leaf.doc_count_all())) - set(leaf.all_doc_ids())
                out.update(d + offset for d in deleted)
        cache["deleted"] = frozenset(out)
    return cache["deleted"]


def _lengths(searcher, cache, fieldname):
    """Per leaf reader: a list of field lengths by local docnum."""
    key = ("lengths", fieldname)
    if key not in cache:
        cache[key] = [per_segment(leaf, ("lengths", fieldname), lambda leaf=leaf: _leaf_lengths(leaf, fieldname))
                      for leaf, _offset in searcher.reader().leaf_readers()]
    return cache[key]


def _leaf_lengths(leaf, fieldname):
    column = None
    perdoc = getattr(leaf, "_perdoc", None)
    if perdoc is not None and hasattr(perdoc, "_cached_reader"):
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

        column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is not None:
        return [_LENGTH[b] for b in column]
    return [leaf.doc_field_length(d, fieldname, 1) for d in range(leaf.doc_count_all())]  # another codec


def _norms(searcher, cache, fieldname, leaf_index, k1b, k1bavg):
    """BM25's length normalisation K1·((1−B) + B·len/avg) per local docnum of one leaf."""
    key = ("norms", fieldname, leaf_index)
    if key not in cache:
        cache[key] = [k1b + k1bavg * fl for fl in _lengths(searcher, cache, fieldname)[leaf_index]]
    return cache[key]


def _blocks(matcher):
    """(docnums, term frequencies) of a leaf matcher, one posting block at a time."""
    deleted = frozenset()
    if isinstance(matcher, FilterMatcher) and matcher._exclude:  # a segment with deletions
        deleted = matcher._ids
        matcher = matcher.child
    if hasattr(matcher, "_read_ids") and hasattr(matcher, "_next_block") and hasattr(matcher, "_blocklength"):
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            ids, tfs = list(matcher._ids[matcher._i:]), list(matcher._weights[matcher._i:])
            if deleted:
                keep = [i for i, d in enumerate(ids) if d not in deleted]
                ids, tfs = [ids[i] for i in keep], [tfs[i] for i in keep]
            yield ids, tfs
            matcher._next_block()
    else:  # another codec: the public, slower way
        ids, tfs = [], []
        while matcher.is_active():
            if matcher.id() not in deleted:
                ids.append(matcher.id())
                tfs.append(matcher.weight())
            matcher.next()
        yield ids, tfs


def term_scores(searcher, cache, fieldname, text):
    """{docnum: BM25 score of `text` in `fieldname`} for this searcher (cached)."""
    store = lru(cache, "term_scores", CACHE_TERMS)
    key = (fieldname, text)
    if key in store:
        store.move_to_end(key)
        return store[key]
    scores = {}
    reader = searcher.reader()
    if (fieldname, text) in reader:
        idf = searcher.idf(fieldname, text)
        avg = searcher.avg_field_length(fieldname) or 1.0
        k1b = K1 * (1 - B)
        k1bavg = K1 * B / avg
        k1 = K1 + 1
        for index, (leaf, offset) in enumerate(reader.leaf_readers()):
            if (fieldname, text) not in leaf:
                continue
            norm = _norms(searcher, cache, fieldname, index, k1b, k1bavg)
            for ids, tfs in _blocks(leaf.postings(fieldname, text)):
                scores.update(zip([d + offset for d in ids],
                                  [idf * tf * k1 / (tf + norm[d]) for d, tf in zip(ids, tfs, strict=True)],
                                  strict=True))
    store[key] = scores
    return scores


def word_scores(searcher, cache, alternatives):
    """{docnum: score} of one query word, in content plus TITLE_WEIGHT × title. The sub-words
    stand in for the word only where the index does not have the word itself."""
    store = lru(cache, "clauses", CACHE_CLAUSES)
    key = tuple(tuple(alt) for alt in alternatives)
    if key in store:
        store.move_to_end(key)
        return store[key]
    best = {}
    for alt in alternatives:
        alt_scores = None
        for term in alt:
            content = term_scores(searcher, cache, "content", term)
            title = term_scores(searcher, cache, "title", term)
            scores = dict(content)
            for docnum, s in title.items():
                scores[docnum] = scores.get(docnum, 0.0) + TITLE_WEIGHT * s
            if alt_scores is None:
                alt_scores = scores
            else:
                alt_scores = {d: s + scores[d] for d, s in alt_scores.items() if d in scores}
        best = alt_scores or {}
        if best:
            break
    store[key] = best
    return best


def _ranked(cache, alternatives, scores):
    """A word's documents, best first (ties by docnum), kept per searcher."""
    store = lru(cache, "ranked", CACHE_CLAUSES)
    key = tuple(tuple(alt) for alt in alternatives)
    order = store.get(key)
    if order is None:
        order = store[key] = sorted(scores, key=lambda d: (-scores[d], d))
    else:
        store.move_to_end(key)
    return order


def top(searcher, cache, clauses, allowed, limit):
    """The best `limit` docnums of `allowed` (a set of matching docnums) for the query words."""
    if not allowed or limit <= 0:
        return []
    maps = [word_scores(searcher, cache, alts) for alts in clauses]
    if len(maps) == 1:
        scores = maps[0]
        if len(allowed) * 4 >= len(scores):
            # Most of the word's documents are allowed (no filter, or a broad one): walk its
            # documents best first (sorted once per searcher) until the page is full.
            out = []
            for docnum in _ranked(cache, clauses[0], scores):
                if docnum in allowed:
                    out.append(docnum)
                    if len(out) == limit:
                        break
            return out
        return heapq.nlargest(limit, allowed, key=scores.__getitem__)

    def total(docnum):
        return sum(m.get(docnum, 0.0) for m in maps)

    return heapq.nlargest(limit, allowed, key=total)
