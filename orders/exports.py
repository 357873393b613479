"""The transaction log as CSV, one shape for the admin and the API.

Pass payments with ``order``, ``order__user`` and ``order__event`` selected
(``selectors.payment_list`` does), or every row costs three queries.
"""

from collections.abc import Iterable, Iterator

from orders.models import Payment
from tixxety.csv_export import stream_csv, write_csv

PAYMENT_COLUMNS = (
    "created_at",
    "order",
    "user",
    "event",
    "kind",
    "status",
    "amount",
    "currency",
    "provider",
    "reference",
    "failure_reason",
)


def payment_rows(payments: Iterable[Payment]) -> Iterator[list]:
    """Yield the header, then one row per payment in the order given."""
    yield list(PAYMENT_COLUMNS)
    for payment in payments:
        order = payment.order
        yield [
            payment.created_at.isoformat(),
            order.code,
            order.user.email,
            order.event.title,
            payment.kind,
            payment.status,
            payment.amount,
            payment.currency,
            payment.provider,
            payment.reference,
            payment.failure_reason,
        ]


def write_payments_csv(payments: Iterable[Payment], file) -> None:
    """Write the header and one CSV row per payment to ``file`` (anything with ``write``)."""
    write_csv(payment_rows(payments), file)


def stream_payments_csv(payments: Iterable[Payment]) -> Iterator[str]:
    """Yield the CSV line by line, for a StreamingHttpResponse over a long log."""
    return stream_csv(payment_rows(payments))
