"""What the needs area announces. Operations send these after their change is flushed and
audited; notification subscribers (notifications.py) and, later, workflow.py listen.

Every signal is sent with the need (or batch) as sender and `actor=` the user who acted.
"""

from blinker import Namespace

_signals = Namespace()

need_submitted = _signals.signal("need-submitted")  # also after a resubmission: resubmitted=True
need_accepted = _signals.signal("need-accepted")
need_returned = _signals.signal("need-returned")
need_rejected = _signals.signal("need-rejected")
need_merged = _signals.signal("need-merged")  # into=the surviving need
need_converted = _signals.signal("need-converted")  # challenge=the new draft
batch_published = _signals.signal("need-batch-published")  # needs=the needs published
