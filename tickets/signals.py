"""What ``tickets`` tells the apps to its right, sent explicitly by its services.

``ticket_checked_in``
    a ticket was admitted at the door, from ``ticket_check_in``
    (``sender=Ticket``, ``ticket``: the ticket as the door shows it). A
    notification sent on commit (``tixxety.notifications``): a receiver may
    only enqueue work or bump a cache version, and one that raises never
    fails the scan. Refused scans send nothing.
"""

from tixxety.notifications import Notification

ticket_checked_in = Notification("ticket_checked_in")
