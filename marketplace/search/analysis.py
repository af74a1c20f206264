"""Chinese text analysis: jieba with the platform's domain dictionary, as a Whoosh analyzer.

Index time emits every word of jieba's precise cut plus its two- and three-character
sub-words that are dictionary words (jieba's "search" mode), so 养老 finds 智慧养老服务.
Words tagged `whole` in userdict.txt never give sub-words (适老化 does not yield 老化).
Query time emits the precise cut only; `query_words` returns each word with its sub-words
so the query builder can accept either the whole word or all of its parts.

One private jieba.Tokenizer per process, loaded once, with its cache file in a directory the
application owns (never the shared /tmp).
"""

import hashlib
import logging
import os
import re
import threading
from pathlib import Path

from whoosh.analysis import Token, Tokenizer

USERDICT = Path(__file__).with_name("userdict.txt")
# Chinese function words that carry no meaning on their own; English ones are kept short.
STOP_WORDS = frozenset({"的", "了", "和", "与", "及", "或", "在", "是", "等", "对", "为", "之", "其",
                        "a", "an", "and", "of", "the", "to", "in", "on", "for", "with", "by"})
_WORD_CHAR = re.compile(r"[\w\u4e00-\u9fff]")

_lock = threading.Lock()
_tokenizer = None
_whole_words: frozenset = frozenset()
_whole_pattern = None


def _read_userdict():
    entries = []
    for line in USERDICT.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        word = parts[0]
        freq = int(parts[1]) if len(parts) > 1 else None
        tag = parts[2] if len(parts) > 2 else None
        entries.append((word, freq, tag))
    return entries


def dictionary_hash() -> str:
    """Changes whenever the domain dictionary or the analysis rules change: stored with the
    index, a different value makes every process rebuild it."""
    digest = hashlib.sha256(USERDICT.read_bytes())
    digest.update(b"analysis-v1")
    return digest.hexdigest()[:16]


def configure(cache_dir: str | None = None):
    """Load jieba and the domain dictionary once per process (idempotent, thread-safe)."""
    global _tokenizer, _whole_words, _whole_pattern
    if _tokenizer is not None:
        return _tokenizer
    with _lock:
        if _tokenizer is not None:
            return _tokenizer
        import jieba

        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        if cache_dir:
            os.makedirs(cache_dir, mode=0o700, exist_ok=True)
            tokenizer.tmp_dir = cache_dir
        tokenizer.initialize()
        whole = set()
        for word, freq, tag in _read_userdict():
            tokenizer.add_word(word, freq, tag)
            if tag == "whole":
                whole.add(word)
        _LINE_CACHE.clear()
        _whole_words = frozenset(whole)
        _whole_pattern = re.compile("|".join(re.escape(w) for w in sorted(whole, key=len, reverse=True))) if whole else None
        _tokenizer = tokenizer
        return tokenizer


def whole_word_spans(text):
    """(start, end) of every occurrence of a dictionary word kept whole (for the highlighter)."""
    if _whole_pattern is None:
        return []
    return [m.span() for m in _whole_pattern.finditer(text)]


def _tok():
    return _tokenizer or configure()


def _is_word(w: str) -> bool:
    return bool(_WORD_CHAR.search(w))


def subwords(word: str) -> list[tuple[str, int, int]]:
    """Two- and three-character dictionary words inside `word` (offsets relative to it)."""
    if len(word) <= 2 or word in _whole_words or word.isascii():
        return []
    freq = _tok().FREQ
    out = []
    for size in (2, 3):
        if len(word) <= size:
            continue
        for i in range(len(word) - size + 1):
            gram = word[i:i + size]
            if freq.get(gram):
                out.append((gram, i, i + size))
    return out


def cut(text: str) -> list[str]:
    """jieba's precise cut, lower-cased, without punctuation and stop words."""
    out = []
    for w in _tok().cut(text or ""):
        w = w.strip().lower()
        if w and _is_word(w) and w not in STOP_WORDS:
            out.append(w)
    return out


def query_words(text: str) -> list[tuple[str, list[str]]]:
    """[(word, [its sub-words])] of a query string."""
    return [(w, [g for g, _, _ in subwords(w)]) for w in cut(text)]


def index_terms(text: str) -> list[str]:
    """Every term indexed for `text` (for tests and the highlighter)."""
    return [t.text for t in JiebaTokenizer()(text, mode="index")]


# jieba never joins words across a line break (it cuts runs of CJK/alphanumeric characters
# separately), so a text's terms are its lines' terms: each line is cut once and its pieces kept,
# because lines repeat: a title is indexed in `title` and again as the first line of `content`,
# department names and domains recur in every document of theirs. Bounded; emptied when full.
_LINE_CACHE: dict = {}
LINE_CACHE_ENTRIES = 20_000
LINE_CACHE_CHARS = 200  # longer lines (paragraphs of a description) seldom repeat


def _line_pieces(line, indexing):
    """[(term, start, end)] of one line, offsets within it: each word of the precise cut, after
    its sub-words when indexing."""
    key = (line, indexing)
    pieces = _LINE_CACHE.get(key)
    if pieces is not None:
        return pieces
    pieces = []
    offset = 0
    for word in _tok().cut(line):
        begin = offset
        offset += len(word)
        low = word.strip().lower()
        if not low or not _is_word(low) or low in STOP_WORDS:
            continue
        if indexing:
            pieces.extend((g.lower(), begin + s, begin + e) for g, s, e in subwords(word))
        pieces.append((low, begin, begin + len(word)))
    pieces = tuple(pieces)
    if len(line) <= LINE_CACHE_CHARS:
        if len(_LINE_CACHE) >= LINE_CACHE_ENTRIES:
            _LINE_CACHE.clear()
        _LINE_CACHE[key] = pieces
    return pieces


class JiebaTokenizer(Tokenizer):
    """Whoosh tokenizer over jieba: precise cut plus sub-words when indexing."""

    def __eq__(self, other):
        return isinstance(other, JiebaTokenizer)

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = value
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        pos = start_pos
        indexing = mode != "query"
        line_start = 0
        for line in value.split("\n"):
            begin = line_start
            line_start += len(line) + 1
            for text, s, e in _line_pieces(line, indexing):
                s, e = begin + s, begin + e
                token.text = text
                token.boost = 1.0
                token.stopped = False
                if keeporiginal:
                    token.original = value[s:e]
                if positions:
                    token.pos = pos
                    pos += 1
                if chars:
                    token.startchar, token.endchar = start_char + s, start_char + e
                yield token


def analyzer():
    return JiebaTokenizer()
