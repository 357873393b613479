"""Domain errors raised by services.

Services speak in business terms; the API's exception handler
(`tixxety.api.exceptions`) turns each family into an HTTP status and pages
show the same ``detail`` as a message. ``code`` is stable: clients branch on
it, so never change an existing one.
"""


class DomainError(Exception):
    """A business rule refused the operation (HTTP 400)."""

    code = "invalid"
    default_detail = "The request could not be completed."

    def __init__(self, detail: str | None = None, *, code: str | None = None):
        self.detail = detail or self.default_detail
        if code is not None:
            self.code = code
        super().__init__(self.detail)


class NotFound(DomainError):
    """The object named by the request does not exist for this user (HTTP 404)."""

    code = "not_found"
    default_detail = "Not found."


class Conflict(DomainError):
    """The current state forbids the operation (HTTP 409)."""

    code = "conflict"
    default_detail = "The request conflicts with the current state."


class EmailAlreadyRegistered(DomainError):
    code = "email_taken"
    default_detail = "Email already registered"


class SelfLockout(Conflict):
    code = "self_lockout"
    default_detail = "An admin cannot demote or deactivate their own account."


class InvalidTransition(Conflict):
    """The object's status does not allow this operation."""

    code = "invalid_transition"
    default_detail = "This operation is not allowed in the current status."


class CapacityBelowBooked(DomainError):
    """Capacity or seats would drop below what is already reserved and sold."""

    code = "capacity_below_booked"


class CapacityFollowsSeats(DomainError):
    """A seated ticket type's capacity is its number of seats; only generating seats moves it."""

    code = "capacity_follows_seats"


class HasSales(Conflict):
    """Deleting would destroy reservations, sales or their history."""

    code = "has_orders"


class InUse(Conflict):
    """Other objects still refer to this one."""

    code = "in_use"


class LocationNotSet(NotFound):
    code = "location_not_set"
    default_detail = "User location not set"


class SoldOut(Conflict):
    code = "sold_out"
    default_detail = "Event is sold out"


class SeatTaken(Conflict):
    code = "seat_taken"
    default_detail = "Seat is already taken"


class NotOnSale(Conflict):
    code = "not_on_sale"
    default_detail = "Tickets for this event are not on sale."


class OrderExpired(Conflict):
    code = "order_expired"
    default_detail = "The reservation has expired; its tickets are back on sale."


class PaymentDeclined(DomainError):
    """The payment provider refused the charge (HTTP 402); the order stays reserved."""

    code = "payment_declined"
    default_detail = "The payment was declined."


class IdempotencyMismatch(DomainError):
    """The key was used before with a different request (HTTP 422)."""

    code = "idempotency_mismatch"
    default_detail = "This Idempotency-Key was already used with a different request."


class IdempotencyInFlight(Conflict):
    code = "idempotency_in_flight"
    default_detail = "A request with this Idempotency-Key is still being processed."


class TicketNotPaid(Conflict):
    code = "ticket_not_paid"
    default_detail = "This ticket's order is not paid yet, so it has no QR code."


class TicketVoid(Conflict):
    code = "ticket_void"
    default_detail = (
        "This ticket is void (its order was cancelled, expired or refunded), so it has no QR code."
    )
