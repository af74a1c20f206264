"""Rate limits on the `limits` library: moving windows kept in Redis when configured (shared by
every worker and server), in process memory otherwise.

Flask-Limiter's decorators count requests before the view runs; the login throttle needs to
count what the view found out (a failed password, for a validated account), so it calls the
`limits` strategy itself. The storage belongs to the app rather than to this object, so two
apps in one process (the tests) keep their own settings.
"""

import logging
import math
import threading
import time
from functools import lru_cache

from flask import current_app
from limits import parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)

RETRY_PRIMARY_AFTER = 30  # seconds on the in-memory fallback before trying Redis again


@lru_cache(maxsize=64)
def _item(limit):
    return parse(limit)


class _Store:
    def __init__(self, uri):
        self.uri = uri
        self.primary = MovingWindowRateLimiter(storage_from_string(uri))
        self.fallback = MovingWindowRateLimiter(MemoryStorage())
        self.dead_until = 0.0
        self.lock = threading.Lock()

    def call(self, method, *args):
        """Run a strategy call on the shared storage; while it is unreachable, on this process's
        memory (logged), so that an outage of Redis weakens throttling but never stops logins."""
        if time.monotonic() >= self.dead_until:
            try:
                return getattr(self.primary, method)(*args)
            except self.primary.storage.base_exceptions:
                log.exception("rate-limit storage %s unreachable; using process memory for %ss",
                              self.uri.split("@")[-1], RETRY_PRIMARY_AFTER)
                with self.lock:
                    self.dead_until = time.monotonic() + RETRY_PRIMARY_AFTER
        return getattr(self.fallback, method)(*args)


class RateLimits:
    def init_app(self, app):
        app.extensions["rate_limits"] = _Store(app.config["RATELIMIT_STORAGE_URI"])

    @staticmethod
    def _store():
        return current_app.extensions["rate_limits"]

    @staticmethod
    def _enabled():
        return current_app.config["RATELIMIT_ENABLED"]

    def hit(self, limit, *key) -> bool:
        """Count one event under `key`; False (and nothing counted) when the limit is reached."""
        return not self._enabled() or self._store().call("hit", _item(limit), *key)

    def test(self, limit, *key) -> bool:
        """Whether one more event under `key` would be allowed, counting nothing."""
        return not self._enabled() or self._store().call("test", _item(limit), *key)

    def clear(self, limit, *key):
        self._store().call("clear", _item(limit), *key)

    def retry_after(self, limit, *key) -> int:
        """Whole seconds until the oldest counted event leaves the window (at least 1)."""
        stats = self._store().call("get_window_stats", _item(limit), *key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    def reset(self):
        """Forget every count (tests; `limits` storages without reset raise NotImplementedError)."""
        store = self._store()
        store.primary.storage.reset()
        store.fallback.storage.reset()
