"""Signals: how a flow goes right-to-left in the dependency order.

``program_completed(sender, enrollment=..., person=..., program=..., completed_on=..., via=...)``
is sent by training (online learning or a class) in the same transaction that
records the completion; certificates subscribe to it.
"""

from blinker import Namespace

_signals = Namespace()

program_completed = _signals.signal("program-completed")
