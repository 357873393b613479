from events.models import Event
from events.tests.factories import EventFactory, TicketTypeFactory


def on_sale_event(**ticket_types):
    """A published event with ticket types given as name=capacity, all at 25.00 USD."""
    event = EventFactory(status=Event.Status.PUBLISHED)
    types = {
        name: TicketTypeFactory(event=event, name=name, capacity=capacity)
        for name, capacity in ticket_types.items()
    }
    return event, types
