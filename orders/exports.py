"""The transaction log as CSV, one shape for the admin and the API.

Pass payments with ``order``, ``order__user`` and ``order__event`` selected
(``selectors.payment_list`` does), or every row costs three queries.
"""

import csv
from collections.abc import Iterable, Iterator

from orders.models import Payment

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

# A cell starting with one of these is a formula to Excel and LibreOffice;
# e-mail addresses, references and failure reasons come from outside.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def payment_rows(payments: Iterable[Payment]) -> Iterator[list]:
    """Yield the header, then one row per payment in the order given."""
    yield list(PAYMENT_COLUMNS)
    for payment in payments:
        order = payment.order
        yield [
            _cell(value)
            for value in (
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
            )
        ]


def write_payments_csv(payments: Iterable[Payment], file) -> None:
    """Write the header and one CSV row per payment to ``file`` (anything with ``write``)."""
    csv.writer(file).writerows(payment_rows(payments))


class _Echo:
    """A file whose ``write`` returns the line, so csv.writer can feed a generator."""

    def write(self, value):
        return value


def stream_payments_csv(payments: Iterable[Payment]) -> Iterator[str]:
    """Yield the CSV line by line, for a StreamingHttpResponse over a long log."""
    writer = csv.writer(_Echo())
    for row in payment_rows(payments):
        yield writer.writerow(row)
