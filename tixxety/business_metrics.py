"""Tixxety's business metrics on /metrics, beside django-prometheus's.

One module for every app, at the bottom of the layering, so any app can
count what it does: ``orders``' API times bookings here, ``analytics``
counts the orders' notifications (``analytics.receivers``) and sets the
gauges from a periodic recount (``analytics.tasks``).

Labels take a few fixed values only (an order's ``source``, an outcome):
never a user id, an email or an event title, which would leak personal data
to the monitoring system and grow a time series per customer.

Gauges carry an explicit ``multiprocess_mode`` (``tixxety.multiprocess_metrics``):
``mostrecent`` for a value set by the periodic recount in a Dramatiq worker,
so the web process's scrape shows the last value set by any process, even one
that has exited since.
"""

from prometheus_client import Counter, Gauge, Histogram

RESERVATIONS = Counter(
    "tixxety_reservations", "Orders reserved (every booking, checkout, queue or waitlist order).", ["source"]
)
PAYMENTS = Counter("tixxety_payments", "Reserved orders paid.", ["source"])
EXPIRIES = Counter("tixxety_expiries", "Reserved orders expired unpaid; their tickets went back on sale.")
CANCELLATIONS = Counter("tixxety_cancellations", "Orders cancelled; their tickets went back on sale.")
REFUNDS = Counter("tixxety_refunds", "Paid orders refunded; their tickets went back on sale.")

# A promotion is counted from ``order_reserved`` (an order of source waitlist);
# queue outcomes by ``orders.services.queue`` per committed batch; check-ins by
# ``tickets.services.ticket_check_in``, once per outcome.
WAITLIST_PROMOTIONS = Counter("tixxety_waitlist_promotions", "Waitlist entries promoted to a reserved order.")
QUEUE_REQUESTS = Counter(
    "tixxety_queue_requests",
    "Priority-queue requests settled, by outcome (fulfilled, rejected).",
    ["outcome"],
)
CHECKINS = Counter(
    "tixxety_checkins", "Check-in attempts, by outcome (admitted, or why refused).", ["outcome"]
)

BOOKING_SECONDS = Histogram(
    "tixxety_booking_seconds",
    "Time to answer a booking request, by endpoint (book, checkout), refusals included.",
    ["endpoint"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
EXPIRY_LAG_SECONDS = Histogram(
    "tixxety_expiry_lag_seconds",
    "How long after its expires_at a reservation was expired.",
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600),
)

INVENTORY_DRIFT = Gauge(
    "tixxety_inventory_drift",
    "Sum over ticket types of |reserved_count - reserved tickets| + |sold_count - valid tickets| "
    "at the last recount: 0 when every counter matches its tickets.",
    multiprocess_mode="mostrecent",
)
INVENTORY_RECOUNT_TIMESTAMP = Gauge(
    "tixxety_inventory_recount_timestamp_seconds",
    "When the inventory drift was last recounted (Unix time).",
    multiprocess_mode="mostrecent",
)

WAITLIST_LENGTH = Gauge(
    "tixxety_waitlist_length",
    "Waitlist entries waiting, at the last recount.",
    multiprocess_mode="mostrecent",
)
QUEUE_DEPTH = Gauge(
    "tixxety_queue_depth",
    "Priority-queue requests not decided yet, at the last recount.",
    multiprocess_mode="mostrecent",
)
QUEUE_OLDEST_SECONDS = Gauge(
    "tixxety_queue_oldest_seconds",
    "Age of the oldest queued request at the last recount (0 when none).",
    multiprocess_mode="mostrecent",
)
