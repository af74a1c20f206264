"""The test app served over real HTTP: werkzeug in a background thread, one thread per request.

Used where a test needs real parallel requests (the deadline and registration races on
PostgreSQL) and by the browser tests. The port is chosen by the operating system, so any
number of suites and pytest-xdist workers can serve at once on one machine.
"""

import threading
from contextlib import contextmanager

from werkzeug.serving import WSGIRequestHandler, make_server


class QuietHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-"):
        pass


@contextmanager
def served(app, request_handler=QuietHandler):
    """Serve `app` on 127.0.0.1 on a free port; yields the base URL, stops the server after."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=request_handler)
    thread = threading.Thread(target=server.serve_forever, name="served-app", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
