"""The local Whoosh index of one server: opened once per process, caught up from the shared
`search_changes` table, rebuilt from the database when lost, corrupt or out of date.

Whoosh allows one writer per index directory. Writers take the lock with a short timeout and,
if it stays busy, leave the work for the next catch-up: a user never sees a LockError, and
nothing is lost because the change log in the database is the queue.

The high-water mark lives in a `__meta__` document written in the same Whoosh commit as the
documents, so index and mark never disagree. Ids from a sequence may commit out of order
(transaction A takes id 10, B takes 11 and commits first), so the mark is "everything up to
`safe` is applied" plus the ids seen above it; a missing id is waited for GAP_SECONDS and then
taken to be a rolled-back transaction.
"""

import fcntl
import json
import logging
import multiprocessing
import os
import shutil
import threading
import time
from contextlib import contextmanager, suppress
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session
from whoosh import index as whoosh_index
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.index import LockError

from marketplace.core.db import utcnow
from marketplace.search import analysis
from marketplace.search.documents import DOC_TYPES, SOURCES
from marketplace.search.models import SearchChange, SearchPrune

log = logging.getLogger(__name__)

SCHEMA_VERSION = 3  # bump when the fields or the document types change: indexes rebuild themselves
META_KEY = "__meta__"
GAP_SECONDS = 300  # longer than any transaction of ours
BATCH = 500
WRITER_TIMEOUT = 2.0  # background retries and the CLI
AFTER_COMMIT_TIMEOUT = 0.3  # in the request that committed
QUICK_WRITER_TIMEOUT = 0.05  # before a search: never make the reader wait
QUICK_BATCH = 50
RETRIES = 5
# Segments stay separate files instead of one compound file: Whoosh reads a compound segment
# through BytesIO over its memory map, which copies every part of it into each process's own
# memory (105 MB per worker for 100,000 documents); separate files are read through the OS's
# page cache, shared by every process.
WRITER_OPTIONS = {"compound": False}


def build_procs(configured=None):
    """Processes for a rebuild: SEARCH_BUILD_PROCS, else every core; one inside a daemonic
    process (a Celery prefork child), which may not start children."""
    if multiprocessing.current_process().daemon:
        return 1
    return max(1, int(configured or os.cpu_count() or 1))


def make_schema():
    chinese = analysis.analyzer()
    return Schema(
        key=ID(unique=True, stored=True),
        type=ID(stored=True),
        # title is searched on its own to rank title hits first; content holds everything.
        title=TEXT(analyzer=chinese, stored=True, phrase=False),
        content=TEXT(analyzer=chinese, phrase=False),  # not stored: the database has it
        excerpt=STORED,
        subtitle=STORED,
        domain=KEYWORD(stored=True, scorable=False),
        status=ID(stored=True),
        department=ID(stored=True),
        expires=ID,
        meta=STORED,
    )


def _doc_fields(doc_type, doc_id, fields):
    doc = {
        "key": f"{doc_type}:{doc_id}",
        "type": doc_type,
        "title": fields["title"],
        "content": fields["content"],
        "excerpt": fields.get("excerpt", ""),
        "subtitle": fields.get("subtitle", ""),
        "domain": " ".join(fields.get("domain") or []),
    }
    for name in ("status", "department", "expires"):
        if fields.get(name):
            doc[name] = fields[name]
    return doc


class MarkState:
    def __init__(self, safe=0, seen=(), gaps=None, dict_hash=None, schema=None):
        self.safe = safe
        self.seen = set(seen)
        self.gaps = dict(gaps or {})
        self.dict_hash = dict_hash
        self.schema = schema

    @classmethod
    def from_json(cls, text):
        data = json.loads(text) if text else {}
        return cls(data.get("safe", 0), data.get("seen", ()), {int(k): v for k, v in data.get("gaps", {}).items()},
                   data.get("dict_hash"), data.get("schema"))

    def to_json(self):
        return json.dumps({"safe": self.safe, "seen": sorted(self.seen), "gaps": self.gaps,
                           "dict_hash": self.dict_hash, "schema": self.schema})

    def advance(self, applied_ids, now=None):
        now = now or time.time()
        self.seen |= set(applied_ids)
        if not self.seen:
            return
        top = max(self.seen)
        missing = [i for i in range(self.safe + 1, top) if i not in self.seen][:10_000]
        self.gaps = {i: self.gaps.get(i, now) for i in missing if now - self.gaps.get(i, now) < GAP_SECONDS}
        self.safe = (min(self.gaps) - 1) if self.gaps else top
        self.seen = {i for i in self.seen if i > self.safe}


class IndexUnavailable(Exception):
    """The index could not be opened or rebuilt (the search page shows a message)."""


class SearchIndex:
    """One index directory as seen by this process; thread-safe."""

    def __init__(self, path, engine, cache_dir=None):
        self.path = os.path.abspath(path)
        self.engine = engine
        self.cache_dir = cache_dir
        self._ix = None
        self._searcher = None
        self._lock = threading.RLock()
        self._catching_up = threading.Lock()
        self.cache = {}  # per-searcher caches (facet doc sets), dropped on refresh
        self.last_rebuild = None
        self._inode = None

    # --- opening ---------------------------------------------------------------------------

    def _open(self):
        """The open index; never builds one (a web request must not): a missing, out-of-date
        or damaged index raises IndexUnavailable until `rebuild_index()` / `ensure_index()`
        (the CLI or the background worker) has built it."""
        if self._ix is not None:
            return self._ix
        reason = self._unusable_reason()
        if reason:  # before loading jieba: a process without an index never needs it
            raise IndexUnavailable(reason)
        analysis.configure(self.cache_dir)
        self._ix = whoosh_index.open_dir(self.path)
        self._inode = os.stat(self.path).st_ino
        return self._ix

    def _damage_marker(self):
        return os.path.join(os.path.dirname(self.path), "." + os.path.basename(self.path) + ".damaged")

    def mark_damaged(self, reason):
        """Remember for every process (the worker included) that this directory needs a rebuild."""
        log.warning("search index %s needs a rebuild: %s", self.path, reason)
        with suppress(OSError):
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            with open(self._damage_marker(), "w") as fh:
                fh.write(reason)
        self.reset()

    def _unusable_reason(self):
        if os.path.exists(self._damage_marker()):
            return "damaged"
        if not whoosh_index.exists_in(self.path):
            return "missing"
        try:
            ix = whoosh_index.open_dir(self.path)
            try:
                state = self._ix_state(ix)
            finally:
                ix.close()
        except LockError:
            raise
        except Exception as exc:  # empty, corrupt: the database has everything
            return f"unreadable ({exc})"
        if state.schema != SCHEMA_VERSION or state.dict_hash != analysis.dictionary_hash():
            return "out of date"
        return None

    def needs_rebuild(self):
        """Why this directory must be rebuilt (missing, damaged, out of date, missed pruned
        changes), or None."""
        analysis.configure(self.cache_dir)
        reason = self._unusable_reason()
        if reason:
            return reason
        with Session(self.engine) as session:
            pruned = session.scalar(sa.select(SearchPrune.pruned_through)) or 0
        ix = whoosh_index.open_dir(self.path)
        try:
            if self._ix_state(ix).safe < pruned:
                return "missed pruned changes"
        finally:
            ix.close()
        return None

    @staticmethod
    def _read_state(reader):
        try:
            docnum = next(iter(reader.postings("key", META_KEY).all_ids()), None)
        except Exception:  # TermNotFound: an index without a mark yet
            docnum = None
        stored = reader.stored_fields(docnum) if docnum is not None else {}
        return MarkState.from_json(stored.get("meta"))

    @classmethod
    def _ix_state(cls, ix):
        with ix.reader() as reader:
            return cls._read_state(reader)

    def searcher(self):
        """The process's searcher, refreshed only when the index changed."""
        with self._lock:
            if self._ix is not None and self._swapped():
                self.reset()  # a rebuild swapped a new directory in
            ix = self._open()
            if self._searcher is None:
                self._searcher = ix.searcher()
                self.cache = {}
            elif not self._searcher.up_to_date():
                # Not Searcher.refresh(): it reuses segment readers by segment id and so keeps
                # showing documents deleted from an unchanged segment (whoosh 2.7.x).
                # The old one is not closed here: another thread may still be reading it; its
                # files close when it is garbage-collected.
                self._searcher = ix.searcher()
                self.cache = {}
            return self._searcher

    def _swapped(self):
        try:
            return os.stat(self.path).st_ino != self._inode
        except OSError:
            return True

    def state(self):
        return self._read_state(self.searcher().reader())

    def reset(self):
        """Forget open handles (after a failure, or when the directory was replaced)."""
        with self._lock:
            for obj in (self._searcher, self._ix):
                if obj is not None:
                    with suppress(Exception):  # already broken or deleted: nothing to release
                        obj.close()
            self._searcher = self._ix = None
            self.cache = {}

    # --- catching up -----------------------------------------------------------------------

    @contextmanager
    def _writer(self, timeout):
        ix = self._open()
        try:
            writer = ix.writer(timeout=timeout, delay=0.02, **WRITER_OPTIONS)
        except LockError:
            yield None
            return
        try:
            yield writer
        except BaseException:
            writer.cancel()
            raise

    def pending(self, session):
        """Change rows not yet applied to this index (a cheap read; no lock)."""
        state = self.state()
        rows = session.execute(
            sa.select(SearchChange.id, SearchChange.doc_type, SearchChange.object_id)
            .where(SearchChange.id > state.safe).order_by(SearchChange.id).limit(BATCH + len(state.seen))
        ).all()
        return state, [r for r in rows if r.id not in state.seen]

    def caught_up(self):
        """Whether the change log holds nothing this index has not applied: one read of the log's
        highest id against the mark, kept per searcher (no session, no writer, no lock). What
        every search asks before trying to catch up. A log with ids still missing below its top
        (a transaction that may yet commit) or an empty log (everything pruned) says no, so the
        full catch-up decides."""
        try:
            searcher = self.searcher()
        except IndexUnavailable:  # nothing to apply to: the search falls back to the database
            return True
        cache = self.cache  # this searcher's (a refresh by another thread gives a new dict)
        state = cache.get("state")
        if state is None:
            state = cache["state"] = self._read_state(searcher.reader())
        if state.gaps or state.seen:
            return False
        with self.engine.connect() as conn:
            top = conn.execute(sa.select(sa.func.max(SearchChange.id))).scalar()
        return top is not None and top <= state.safe

    def catch_up_soon(self):
        """After a commit: catch up now if the writer lock is free at once, else keep trying in
        a background thread, so the request that committed never waits on another writer."""
        try:
            if self.catch_up(timeout=AFTER_COMMIT_TIMEOUT):
                return
        except Exception:
            log.exception("search catch-up after commit failed; retrying in the background")

        def retry():
            for attempt in range(RETRIES):
                time.sleep(0.2 * (attempt + 1))
                try:
                    if self.catch_up(timeout=WRITER_TIMEOUT):
                        return
                except Exception:
                    log.exception("search catch-up retry failed")
            log.info("search index %s still busy; the next commit or search will catch up", self.path)

        threading.Thread(target=retry, name="search-catch-up", daemon=True).start()

    def catch_up(self, timeout=WRITER_TIMEOUT, budget=5.0, batch=BATCH):
        """Apply pending changes. Returns True when nothing is left; False when the writer lock
        was busy (another process is writing; its catch-up or the next one will do it)."""
        deadline = time.monotonic() + budget
        if not self._catching_up.acquire(timeout=timeout):
            return False
        try:
            return self._catch_up(timeout, deadline, batch)
        except IndexUnavailable:  # missing or damaged: the rebuild reads the database, nothing to apply
            return True
        finally:
            self._catching_up.release()

    def _catch_up(self, timeout, deadline, batch):
        while True:
            with Session(self.engine) as session:
                pruned = session.scalar(sa.select(SearchPrune.pruned_through)) or 0
                state, rows = self.pending(session)
                if state.safe < pruned:
                    self.mark_damaged("missed pruned changes")
                    return True
                if not rows:
                    return True
                with self._writer(timeout) as writer:
                    if writer is None:
                        return False
                    # Another process may have written since our read: decide under the lock.
                    state = self._read_state(writer.reader())
                    rows = session.execute(
                        sa.select(SearchChange.id, SearchChange.doc_type, SearchChange.object_id)
                        .where(SearchChange.id > state.safe).order_by(SearchChange.id)
                        .limit(BATCH + len(state.seen))
                    ).all()
                    rows = [r for r in rows if r.id not in state.seen][:batch]
                    if not rows:
                        writer.cancel()
                        return True
                    self._apply(session, writer, rows)
                    state.advance([r.id for r in rows])
                    self._write_state(writer, state)
                    writer.commit()
            if time.monotonic() > deadline:
                return False

    def _apply(self, session, writer, rows):
        targets = {}
        for row in rows:
            expand = SOURCES.get(row.doc_type)
            if expand is None:
                log.warning("search change of unknown kind %r ignored", row.doc_type)
                continue
            for doc_type, doc_id in expand(session, row.object_id):
                targets.setdefault(doc_type, set()).add(doc_id)
        for doc_type, ids in targets.items():
            ids = sorted(ids)
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                loaded = DOC_TYPES[doc_type].load(session, chunk)
                for doc_id in chunk:
                    if doc_id in loaded:
                        writer.update_document(**_doc_fields(doc_type, doc_id, loaded[doc_id]))
                    else:  # not public (any more), or deleted: gone from results at once
                        writer.delete_by_term("key", f"{doc_type}:{doc_id}")

    @staticmethod
    def _write_state(writer, state):
        state.dict_hash = analysis.dictionary_hash()
        state.schema = SCHEMA_VERSION
        writer.update_document(key=META_KEY, type=META_KEY, meta=state.to_json())

    # --- rebuilding ------------------------------------------------------------------------

    @contextmanager
    def _rebuild_lock(self):
        parent = os.path.dirname(self.path)
        os.makedirs(parent, exist_ok=True)
        lock_path = os.path.join(parent, "." + os.path.basename(self.path) + ".rebuild.lock")
        with open(lock_path, "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _start_mark(self, session):
        """Where a rebuild's catch-up starts: before any change recent enough to still be in
        flight when the rebuild read the database (re-applying a change is harmless)."""
        recent = session.scalar(sa.select(sa.func.min(SearchChange.id)).where(
            SearchChange.created_at > utcnow() - timedelta(seconds=GAP_SECONDS)))
        if recent is not None:
            return recent - 1
        return session.scalar(sa.select(sa.func.max(SearchChange.id))) or self._last_issued_id(session)

    @staticmethod
    def _last_issued_id(session):
        """An empty log (everything pruned) still has used ids behind it: start after them, or
        the first new change would look like it follows hundreds of in-flight gaps."""
        with suppress(Exception), session.begin_nested():
            if session.get_bind().dialect.name == "sqlite":
                value = session.scalar(sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'search_changes'"))
            else:
                value = session.scalar(sa.text(
                    "SELECT pg_sequence_last_value(pg_get_serial_sequence('search_changes', 'id'))"))
            return int(value or 0)
        return 0

    def rebuild(self, procs=None, only_if_needed=False):
        """Build every document from the database into a new directory and swap it in
        (`flask search reindex`, the keeper; never a web request). Searches keep using the old
        directory, or the database fallback when there is none, until the swap. With
        `only_if_needed`, returns None without building when, under the rebuild lock, the
        directory turns out usable (another process has just rebuilt it)."""
        analysis.configure(self.cache_dir)
        started = time.monotonic()
        with self._rebuild_lock():
            if only_if_needed and not self.needs_rebuild():
                return None
            building = f"{self.path}.building"
            shutil.rmtree(building, ignore_errors=True)
            os.makedirs(building)
            ix = whoosh_index.create_in(building, make_schema())
            procs = procs or build_procs()
            # Whoosh's multiprocessing writer: each sub-writer analyses (jieba) its share of the
            # documents into its own segment; multisegment keeps the segments instead of merging.
            options = {"procs": procs, "multisegment": True, "batchsize": 500} if procs > 1 else {}
            writer = ix.writer(limitmb=64, **options, **WRITER_OPTIONS)
            try:
                with Session(self.engine) as session:
                    state = MarkState(safe=self._start_mark(session))
                    count = 0
                    for doc_type, spec in DOC_TYPES.items():
                        batch = []
                        for doc_id in spec.all_ids(session):
                            batch.append(doc_id)
                            if len(batch) >= 1000:
                                count += self._add_all(writer, session, doc_type, batch)
                                batch = []
                                session.expunge_all()
                        count += self._add_all(writer, session, doc_type, batch)
                    self._write_state(writer, state)
                writer.commit()
            except BaseException:
                writer.cancel()
                shutil.rmtree(building, ignore_errors=True)
                raise
            ix.close()
            with self._lock:
                self.reset()
                old = f"{self.path}.old"
                shutil.rmtree(old, ignore_errors=True)
                if os.path.isdir(self.path):
                    os.rename(self.path, old)
                os.rename(building, self.path)
                with suppress(FileNotFoundError):
                    os.remove(self._damage_marker())
                shutil.rmtree(old, ignore_errors=True)  # open readers keep their unlinked files
            seconds = time.monotonic() - started
            log.info("search index %s rebuilt: %d documents in %.1f s (%d procs)", self.path, count, seconds, procs)
            self.last_rebuild = {"documents": count, "seconds": seconds, "procs": procs}
            return count

    @staticmethod
    def _add_all(writer, session, doc_type, ids):
        if not ids:
            return 0
        loaded = DOC_TYPES[doc_type].load(session, ids)
        for doc_id, fields in loaded.items():
            writer.add_document(**_doc_fields(doc_type, doc_id, fields))
        return len(loaded)

    def doc_keys(self):
        """Every document key (tests and checks)."""
        reader = self.searcher().reader()
        return {f["key"] for _, f in reader.iter_docs() if f.get("key") != META_KEY}

    def has(self, doc_type, doc_id):
        searcher = self.searcher()
        return bool(searcher.document_number(key=f"{doc_type}:{doc_id}") is not None)


def jieba_cache_dir(app):
    return app.config.get("SEARCH_JIEBA_CACHE_DIR") or os.path.join(app.instance_path, "jieba-cache")


def preload_for_workers(app):
    """For a pre-forking server's master (gunicorn.conf.py), before its workers fork: load jieba
    and the domain dictionary (~60 MB) once, so every worker shares those pages copy-on-write
    instead of loading its own copy at its first search. Opens no index and no database."""
    analysis.configure(jieba_cache_dir(app))


_indexes: dict = {}
_indexes_lock = threading.Lock()


def get_index(app=None) -> SearchIndex:
    from flask import current_app

    from marketplace.extensions import db

    app = app or current_app._get_current_object()
    path = os.path.abspath(app.config["SEARCH_INDEX_DIR"])
    engine = db.engine
    key = (path, str(engine.url))
    with _indexes_lock:
        index = _indexes.get(key)
        if index is None:
            index = _indexes[key] = SearchIndex(path, engine, jieba_cache_dir(app))
        return index



def prune_changes(days=7):
    """Delete change-log rows older than `days`, remembering how far it went (the caller
    commits). Every index that is up to date has applied them; one that is not rebuilds."""
    from marketplace.extensions import db

    cutoff = utcnow() - timedelta(days=days)
    through = db.session.scalar(sa.select(sa.func.max(SearchChange.id)).where(SearchChange.created_at < cutoff))
    if through is None:
        return 0
    deleted = db.session.execute(sa.delete(SearchChange).where(SearchChange.id <= through)).rowcount
    row = db.session.get(SearchPrune, 1)
    if row is None:
        db.session.add(SearchPrune(id=1, pruned_through=through))
    else:
        row.pruned_through = max(row.pruned_through, through)
    return deleted


def rebuild_index(app=None, only_if_needed=False):
    """Rebuild this server's index from the database, then apply what changed meanwhile.
    For the CLI and the keeper (inside an application context); returns the number of
    documents (None when `only_if_needed` and another process had just rebuilt it)."""
    from flask import current_app

    app = app or current_app._get_current_object()
    index = get_index(app)
    count = index.rebuild(procs=build_procs(app.config.get("SEARCH_BUILD_PROCS")), only_if_needed=only_if_needed)
    index.catch_up(budget=600)
    return count


def ensure_index(app=None):
    """One round of the keeper (search/keeper.py, `flask search ensure`): rebuild when the index
    is missing, damaged, out of date or missed pruned changes, else catch up. Returns the reason
    it rebuilt, or None."""
    index = get_index(app)
    reason = index.needs_rebuild()
    if reason:
        log.info("search index %s: %s; rebuilding", index.path, reason)
        if rebuild_index(app, only_if_needed=True) is not None:
            return reason
        return None
    index.catch_up(budget=600)
    return None
