"""What ``orders`` does when apps to its left tell it something (connected in ``OrdersConfig.ready``)."""

from orders.services.waitlist import waitlist_promote


def promote_on_capacity_raised(*, ticket_type, previous_capacity: int, **kwargs) -> None:
    """``events.signals.capacity_changed``, sent in the change's transaction.

    A raised capacity serves the waitlist before any booking can see it.
    """
    if ticket_type.capacity > previous_capacity:
        waitlist_promote(ticket_type_id=ticket_type.pk)
