"""What happens to a partner-list application (伙伴清单), announced for the notification
subscribers (notifications.py). Operations send these after their change is flushed and audited.

Each signal is sent with the application as sender and `actor=` the user who acted (None for the
system); keyword arguments carry the rest. Receivers run inside the same transaction.
"""

from blinker import Namespace

_signals = Namespace()

application_submitted = _signals.signal("partner.application_submitted")
application_admitted = _signals.signal("partner.application_admitted")  # valid_until
application_rejected = _signals.signal("partner.application_rejected")  # reason
listing_expired = _signals.signal("partner.listing_expired")  # the validity date passed
listing_suspended = _signals.signal("partner.listing_suspended")  # reason
listing_reinstated = _signals.signal("partner.listing_reinstated")
listing_removed = _signals.signal("partner.listing_removed")  # reason
