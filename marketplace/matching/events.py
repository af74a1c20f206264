"""What the matching area announces (sender: the invitation, `actor=` who acted)."""

from blinker import Namespace

_signals = Namespace()

provider_invited = _signals.signal("provider-invited")
