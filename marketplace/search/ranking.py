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


def _lru(cache, name, size):
    store = cache.get(name)
    if store is None:
        store = cache[name] = OrderedDict()
    while len(store) > size:
        store.popitem(last=False)
    return store


def _lengths(searcher, cache, fieldname):
    """Per leaf reader: a list of field lengths by local docnum."""
    key = ("lengths", fieldname)
    if key not in cache:
        out = []
        for leaf, _offset in searcher.reader().leaf_readers():
            count = leaf.doc_count_all()
            column = None
            perdoc = getattr(leaf, "_perdoc", None)
            if perdoc is not None and hasattr(perdoc, "_cached_reader"):
                from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

                column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            if column is not None:
                out.append([_LENGTH[b] for b in column])
            else:  # another codec: the slow, public way
                out.append([leaf.doc_field_length(d, fieldname, 1) for d in range(count)])
        cache[key] = out
    return cache[key]


def _postings(matcher):
    """(docnum, weight) of a leaf matcher, block by block."""
    deleted = frozenset()
    if isinstance(matcher, FilterMatcher) and matcher._exclude:  # a segment with deletions
        deleted = matcher._ids
        matcher = matcher.child
    if hasattr(matcher, "_read_ids") and hasattr(matcher, "_next_block") and hasattr(matcher, "_blocklength"):
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            ids, weights = matcher._ids, matcher._weights
            for i in range(matcher._i, matcher._blocklength):
                if ids[i] not in deleted:
                    yield ids[i], weights[i]
            matcher._next_block()
    else:
        while matcher.is_active():
            if matcher.id() not in deleted:
                yield matcher.id(), matcher.weight()
            matcher.next()


def term_scores(searcher, cache, fieldname, text):
    """{docnum: BM25 score of `text` in `fieldname`} for this searcher (cached)."""
    store = _lru(cache, "term_scores", CACHE_TERMS)
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
        lengths = _lengths(searcher, cache, fieldname)
        for index, (leaf, offset) in enumerate(reader.leaf_readers()):
            if (fieldname, text) not in leaf:
                continue
            local = lengths[index]
            for docnum, tf in _postings(leaf.postings(fieldname, text)):
                scores[docnum + offset] = idf * tf * (K1 + 1) / (tf + k1b + k1bavg * local[docnum])
    store[key] = scores
    return scores


def word_scores(searcher, cache, alternatives):
    """{docnum: score} of one query word: the best of its alternatives (the word itself, or all
    of its sub-words), each scored in content plus TITLE_WEIGHT × title."""
    store = _lru(cache, "clauses", CACHE_CLAUSES)
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
        for docnum, s in (alt_scores or {}).items():
            if s > best.get(docnum, -1.0):
                best[docnum] = s
    ordered = sorted(best.items(), key=lambda item: (-item[1], item[0]))
    store[key] = (best, ordered)
    return store[key]


def top(searcher, cache, clauses, allowed, limit):
    """The best `limit` docnums of `allowed` (a set of matching docnums) for the query words."""
    if not allowed or limit <= 0:
        return []
    per_word = [word_scores(searcher, cache, alts) for alts in clauses]
    if len(per_word) == 1:
        out = []
        for docnum, _score in per_word[0][1]:
            if docnum in allowed:
                out.append(docnum)
                if len(out) == limit:
                    break
        return out
    maps = [scores for scores, _ in per_word]

    def total(docnum):
        return sum(m.get(docnum, 0.0) for m in maps)

    return heapq.nlargest(limit, allowed, key=lambda d: (total(d), -d))
