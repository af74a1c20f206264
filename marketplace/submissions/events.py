"""What happens to an entry (揭榜方案), announced for the notification subscribers
(notifications.py). Sent with the submission as sender and `actor=` the user who acted, after the
change is flushed and audited; receivers run inside the same transaction."""

from blinker import Namespace

_signals = Namespace()

entry_submitted = _signals.signal("submission.entry_submitted")  # the first version, with its receipt
