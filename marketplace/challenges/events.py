"""What the challenges area announces. Operations send these after their change is flushed and
audited; subscribers in other areas (matching's subscriptions, later workflow.py) listen.

Every signal is sent with the challenge as sender and `actor=` the user who acted.
"""

from blinker import Namespace

_signals = Namespace()

challenge_published = _signals.signal("challenge-published")
