"""What happens to a best-practice case, announced for the notification subscribers
(notifications.py). Sent with the case as sender and `actor=` the user who acted, after the
change is flushed and audited; receivers run inside the same transaction."""

from blinker import Namespace

_signals = Namespace()

case_published = _signals.signal("case.published")  # the project's case is in the public library
