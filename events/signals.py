"""Signals the catalogue services send, for apps to the right to react to.

``events`` may not import the apps that care (the waitlist lives in
``orders``); they connect receivers here in their ``AppConfig.ready()``, with
a ``dispatch_uid``.
"""

from django.dispatch import Signal

from tixxety.notifications import Notification

capacity_changed = Signal()
"""A ticket type's capacity moved. Sent *inside* the transaction that moved it.

Sent by ``events.services`` (``ticket_type_update``, ``seats_generate``)
once per real change, never when the capacity stays the same, with
``sender=TicketType`` and:

- ``ticket_type``: the row, already updated and still locked
  (``SELECT … FOR UPDATE``) until the sender's transaction commits;
- ``previous_capacity``: the capacity before the change.

Receivers are part of the same unit of work: they run under the row lock,
so a raised capacity can be handed to the waitlist before any booking sees
it. A receiver that raises rolls the capacity change back and the error
reaches the caller of the service; a receiver that only wants to notify
belongs on commit (``tixxety.jobs.run_after_commit``), not here.
"""

catalogue_changed = Notification("catalogue_changed")
"""A venue, an event, a ticket type or the seats changed: sent on commit.

Sent by every ``events.services`` write (``sender=Event``, no other
arguments) through ``tixxety.notifications``: receivers only bump cache
versions (the catalogue's, ``events.cache``; the home page counts',
``analytics``), and one that fails never fails the write.
"""
