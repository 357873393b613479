"""Query parameters and response shapes of the analytics API.

Each report has a data serializer (what is computed and cached) and a
response serializer that adds ``computed_at`` and ``cached``: the response
is the data plus those two, and the schema says exactly that.
"""

from datetime import date, timedelta

from django.utils import timezone
from rest_framework import serializers

MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 30
INTERVALS = ("day", "week")
# Far outside these the arithmetic of local days overflows Python's dates.
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)
MAX_ID = 2**63 - 1


# --- query parameters ------------------------------------------------------------


class RefreshQuerySerializer(serializers.Serializer):
    refresh = serializers.BooleanField(
        required=False, default=False, help_text="1 computes the report again instead of using the cache."
    )


class EventQuerySerializer(RefreshQuerySerializer):
    event = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Only this event's ticket types."
    )


class RangeQuerySerializer(RefreshQuerySerializer):
    """``from`` and ``to`` are inclusive local dates (TIME_ZONE); by default the last 30 days."""

    to = serializers.DateField(required=False, help_text="Last day, inclusive (default: today).")
    interval = serializers.ChoiceField(choices=INTERVALS, required=False, default="day")

    def get_fields(self):
        # ``from`` is a Python keyword, so it cannot be declared in the class body.
        return {
            "from": serializers.DateField(
                required=False,
                help_text=f"First day, inclusive (default: {DEFAULT_RANGE_DAYS - 1} days before `to`).",
            ),
            **super().get_fields(),
        }

    def validate(self, attrs):
        for name in ("from", "to"):
            if name in attrs and not EARLIEST <= attrs[name] <= LATEST:
                raise serializers.ValidationError(
                    {name: f"Dates run from {EARLIEST} to {LATEST}."}, code="date_out_of_range"
                )
        end = attrs.get("to") or timezone.localdate(timezone=timezone.get_default_timezone())
        start = attrs.get("from") or max(EARLIEST, end - timedelta(days=DEFAULT_RANGE_DAYS - 1))
        if start > end:
            raise serializers.ValidationError(
                {"from": "`from` must not be after `to`."}, code="invalid_range"
            )
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            raise serializers.ValidationError(
                {"to": f"A range covers at most {MAX_RANGE_DAYS} days."}, code="range_too_long"
            )
        return {**attrs, "from": start, "to": end}


# --- shared pieces ----------------------------------------------------------------


class ReportMetaSerializer(serializers.Serializer):
    computed_at = serializers.DateTimeField(help_text="When the numbers were computed.")
    cached = serializers.BooleanField(help_text="Whether this answer came from the cache.")


class CurrencyRevenueSerializer(serializers.Serializer):
    currency = serializers.CharField()
    gross = serializers.DecimalField(max_digits=14, decimal_places=2)
    refunds = serializers.DecimalField(max_digits=14, decimal_places=2)
    net = serializers.DecimalField(max_digits=14, decimal_places=2)


class RateField(serializers.FloatField):
    """A share between 0 and 1, or null when there is nothing to divide by."""

    def __init__(self, **kwargs):
        super().__init__(allow_null=True, min_value=0, **kwargs)


class EventOccupancySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    starts_at = serializers.DateTimeField()
    capacity = serializers.IntegerField()
    sold = serializers.IntegerField()
    reserved = serializers.IntegerField()
    occupancy = RateField(help_text="(sold + reserved) / capacity")


class RangeDataSerializer(serializers.Serializer):
    interval = serializers.ChoiceField(choices=INTERVALS)
    time_zone = serializers.CharField(
        help_text="Days and weeks are local to this zone; weeks start on Monday."
    )

    def get_fields(self):
        return {"from": serializers.DateField(), "to": serializers.DateField(), **super().get_fields()}


# --- summary ------------------------------------------------------------------------


class EventCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    upcoming = serializers.IntegerField(help_text="Published and not over.")
    draft = serializers.IntegerField()
    published = serializers.IntegerField()
    deactivated = serializers.IntegerField()
    cancelled = serializers.IntegerField()


class UserCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    active = serializers.IntegerField()
    customer = serializers.IntegerField()
    staff = serializers.IntegerField()
    admin = serializers.IntegerField()


class OrderCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    reserved = serializers.IntegerField()
    paid = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    expired = serializers.IntegerField()
    refunded = serializers.IntegerField()


class TicketTotalsSerializer(serializers.Serializer):
    sold = serializers.IntegerField()
    reserved = serializers.IntegerField()


class OccupancyTotalsSerializer(serializers.Serializer):
    capacity = serializers.IntegerField(help_text="Of published events that are not over.")
    sold = serializers.IntegerField()
    reserved = serializers.IntegerField()
    rate = RateField(help_text="(sold + reserved) / capacity")


class CheckInRateSerializer(serializers.Serializer):
    tickets = serializers.IntegerField(help_text="Valid tickets of events that have started.")
    checked_in = serializers.IntegerField()
    rate = RateField(help_text="checked_in / tickets")


class WaitingCountsSerializer(serializers.Serializer):
    waitlist_entries = serializers.IntegerField(help_text="Waitlist entries still waiting.")
    waitlist_tickets = serializers.IntegerField(help_text="Tickets those entries ask for.")
    queued_requests = serializers.IntegerField(help_text="Priority-queue requests not decided yet.")
    oldest_queued_seconds = serializers.FloatField(
        allow_null=True, help_text="Age of the oldest queued request; null when none is queued."
    )


class SummaryDataSerializer(serializers.Serializer):
    events = EventCountsSerializer()
    users = UserCountsSerializer()
    orders = OrderCountsSerializer()
    tickets = TicketTotalsSerializer()
    occupancy = OccupancyTotalsSerializer()
    check_in = CheckInRateSerializer()
    waiting = WaitingCountsSerializer()
    revenue = CurrencyRevenueSerializer(many=True, help_text="Per currency, from the transaction log.")
    upcoming_events = EventOccupancySerializer(many=True, help_text="The next published events.")
    top_events = EventOccupancySerializer(many=True, help_text="The events with the most tickets sold.")


class SummaryReportSerializer(ReportMetaSerializer, SummaryDataSerializer):
    pass


# --- sales, users ------------------------------------------------------------------


class SalesPeriodSerializer(serializers.Serializer):
    period = serializers.DateField(help_text="First day of the day or week.")
    orders_paid = serializers.IntegerField()
    tickets_sold = serializers.IntegerField(help_text="Tickets in the orders paid in the period.")
    orders_refunded = serializers.IntegerField(help_text="Orders refunded in the period.")


class SalesTotalsSerializer(serializers.Serializer):
    orders_paid = serializers.IntegerField()
    tickets_sold = serializers.IntegerField()
    orders_refunded = serializers.IntegerField()


class SalesDataSerializer(RangeDataSerializer):
    totals = SalesTotalsSerializer()
    series = SalesPeriodSerializer(many=True)


class SalesReportSerializer(ReportMetaSerializer, SalesDataSerializer):
    pass


class SignupPeriodSerializer(serializers.Serializer):
    period = serializers.DateField()
    signups = serializers.IntegerField()


class UserTotalsSerializer(serializers.Serializer):
    users = serializers.IntegerField(help_text="All accounts.")
    customers = serializers.IntegerField()
    signups = serializers.IntegerField(help_text="Accounts created in the range.")
    buyers = serializers.IntegerField(help_text="Users with at least one paid order.")
    repeat_buyers = serializers.IntegerField(help_text="Users with two or more paid orders.")


class UsersDataSerializer(RangeDataSerializer):
    totals = UserTotalsSerializer()
    series = SignupPeriodSerializer(many=True)


class UsersReportSerializer(ReportMetaSerializer, UsersDataSerializer):
    pass


# --- revenue, tickets -----------------------------------------------------------------


class RevenueRowSerializer(serializers.Serializer):
    event_id = serializers.IntegerField(source="order__event_id")
    event = serializers.CharField(source="order__event__title")
    ticket_type_id = serializers.IntegerField()
    ticket_type = serializers.CharField(source="ticket_type__name")
    currency = serializers.CharField(source="ticket_type__currency")
    tickets_sold = serializers.IntegerField(help_text="Tickets of paid orders (refunded ones excluded).")
    gross = serializers.DecimalField(max_digits=14, decimal_places=2)
    refunds = serializers.DecimalField(max_digits=14, decimal_places=2)
    net = serializers.DecimalField(max_digits=14, decimal_places=2)


class RevenueDataSerializer(serializers.Serializer):
    event = serializers.IntegerField(allow_null=True, help_text="The event asked for, or null for all.")
    totals = CurrencyRevenueSerializer(many=True, help_text="Per currency.")
    rows = RevenueRowSerializer(many=True)


class RevenueReportSerializer(ReportMetaSerializer, RevenueDataSerializer):
    pass


class TicketTypeRowSerializer(serializers.Serializer):
    ticket_type_id = serializers.IntegerField(source="id")
    ticket_type = serializers.CharField(source="name")
    event_id = serializers.IntegerField()
    event = serializers.CharField(source="event__title")
    starts_at = serializers.DateTimeField(source="event__starts_at")
    capacity = serializers.IntegerField()
    sold = serializers.IntegerField(source="sold_count")
    reserved = serializers.IntegerField(source="reserved_count")
    available = serializers.IntegerField()
    checked_in = serializers.IntegerField()
    waitlisted = serializers.IntegerField(help_text="Tickets that waiting waitlist entries ask for.")


class TicketsDataSerializer(serializers.Serializer):
    event = serializers.IntegerField(allow_null=True, help_text="The event asked for, or null for all.")
    rows = TicketTypeRowSerializer(many=True)


class TicketsReportSerializer(ReportMetaSerializer, TicketsDataSerializer):
    pass


# --- homepage -----------------------------------------------------------------------------


class HomepageDataSerializer(serializers.Serializer):
    upcoming_events = serializers.IntegerField()
    venues = serializers.IntegerField()
    cities = serializers.IntegerField()
    tickets_sold = serializers.IntegerField()


class HomepageStatsSerializer(ReportMetaSerializer, HomepageDataSerializer):
    pass
