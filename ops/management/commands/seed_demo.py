"""Development data: demo accounts, a catalogue of events around the world, and bulk data.

Safe to run again: accounts are found by e-mail, venues by name and city,
events by slug, and "Demo Event" by its primary key 1, so a second run
creates nothing.

Two events come with activity, made through the same services as the API,
each step skipped for a fan who already has it (so a rerun, or a run after
someone refunded or was served, adds nothing): "Sold Out Acoustic Session"
is sold out (paid orders of demo@local.test and fan1) with fan2, fan3 and
fan4 on its waitlist in that order; "Courtside Legends Showcase" (the
queue-mode event) has queued requests, Regular ones sent before VIP ones,
left for the worker or the minute tick, which fulfil VIP first.

``--scale N`` adds N events and 10 x N customers, named ``scale-event-<n>``
and ``scale-user-<n>@local.test`` so a rerun only fills gaps.

With ``DEBUG`` off it refuses to run: it creates an admin whose password is
published in the README. ``--force-in-production`` overrides that, for a
staging copy that is meant to have the demo data.
"""

import random
import time
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from accounts.services import user_create
from events.models import Event, Seat, TicketType, Venue
from events.services import event_create, seats_generate, venue_create
from orders.models import Order, TicketRequest, WaitlistEntry
from orders.services import order_pay, order_reserve
from orders.services.queue import ticket_request_create
from orders.services.waitlist import waitlist_join
from tixxety.exceptions import DomainError

DEMO_PASSWORD = "Passw0rd!"  # noqa: S105  (documented development-only password)
DEMO_ACCOUNTS = [
    ("demo@local.test", "Demo Customer", User.Role.CUSTOMER),
    ("staff@local.test", "Demo Staff", User.Role.STAFF),
    ("admin@local.test", "Demo Admin", User.Role.ADMIN),
]

# Real venues: (name, address, city, latitude, longitude).
VENUES = {
    "msg": ("Madison Square Garden", "4 Pennsylvania Plaza", "New York", 40.7505, -73.9934),
    "brooklyn-steel": ("Brooklyn Steel", "319 Frost Street, Brooklyn", "New York", 40.7193, -73.9387),
    "barclays": ("Barclays Center", "620 Atlantic Avenue, Brooklyn", "New York", 40.6826, -73.9754),
    "o2": ("The O2 Arena", "Peninsula Square", "London", 51.5030, 0.0032),
    "albert-hall": ("Royal Albert Hall", "Kensington Gore", "London", 51.5009, -0.1774),
    "eko": ("Eko Convention Centre", "Eko Hotels, Victoria Island", "Lagos", 6.4253, 3.4209),
    "uber-arena": ("Uber Arena", "Uber-Platz 1", "Berlin", 52.5053, 13.4430),
    "accor": ("Accor Arena", "8 Boulevard de Bercy", "Paris", 48.8386, 2.3786),
    "budokan": ("Nippon Budokan", "2-3 Kitanomarukoen, Chiyoda", "Tokyo", 35.6933, 139.7497),
    "opera-house": ("Sydney Opera House", "Bennelong Point", "Sydney", -33.8568, 151.2153),
    "allianz": ("Allianz Parque", "Avenida Francisco Matarazzo 1705", "São Paulo", -23.5275, -46.6784),
    "kicc": ("Kenyatta International Convention Centre", "Harambee Avenue", "Nairobi", -1.2888, 36.8233),
    "scotiabank": ("Scotiabank Arena", "40 Bay Street", "Toronto", 43.6435, -79.3791),
}

DEMO_EVENT = {
    "title": "Demo Event",
    "venue": "msg",
    "days": 30,
    "ticket_types": [
        {"name": "VIP", "price": Decimal("150.00"), "capacity": 20, "priority": 10, "max_per_order": 4},
        {"name": "Regular", "price": Decimal("45.00"), "capacity": 80, "priority": 0},
    ],
}


def _types(*specs):
    """Ticket types from (name, price, capacity, priority) tuples."""
    return [
        {"name": name, "price": Decimal(price), "capacity": capacity, "priority": priority}
        for name, price, capacity, priority in specs
    ]


CATALOGUE = [
    {
        "title": "Neon Skyline Tour",
        "venue": "msg",
        "days": 21,
        "ticket_types": _types(("VIP", "220.00", 50, 10), ("Regular", "89.00", 400, 0)),
    },
    {
        "title": "Brooklyn Indie Night",
        "venue": "brooklyn-steel",
        "days": 9,
        "ticket_types": _types(("General Admission", "35.00", 300, 0)),
    },
    {
        "title": "Courtside Legends Showcase",
        "venue": "barclays",
        "days": 45,
        "sale_mode": Event.SaleMode.QUEUE,
        "ticket_types": _types(
            ("VIP", "300.00", 30, 10), ("Premium", "140.00", 120, 5), ("Regular", "60.00", 600, 0)
        ),
    },
    {
        "title": "Thames Lights Festival",
        "venue": "o2",
        "days": 60,
        "ticket_types": _types(("VIP", "180.00", 40, 10), ("Regular", "70.00", 500, 0)),
    },
    {
        "title": "Proms Gala Evening",
        "venue": "albert-hall",
        "days": 33,
        # Stalls get a generated 10 x 10 seat map; the capacity follows the seats.
        "seated": ("Stalls", 10, 10),
        "ticket_types": _types(("Stalls", "95.00", 100, 5), ("Gallery Standing", "25.00", 150, 0)),
    },
    {
        "title": "Afrobeats Live Lagos",
        "venue": "eko",
        "days": 75,
        "ticket_types": _types(("VIP", "120.00", 60, 10), ("Regular", "30.00", 800, 0)),
    },
    {
        "title": "Techno Nacht Berlin",
        "venue": "uber-arena",
        "days": 27,
        "ticket_types": _types(("Early Bird", "39.00", 200, 5), ("Regular", "55.00", 900, 0)),
    },
    {
        "title": "Nuit Electro Paris",
        "venue": "accor",
        "days": 52,
        "ticket_types": _types(("Fosse", "65.00", 700, 0), ("Carre Or", "140.00", 150, 10)),
    },
    {
        "title": "Neo Tokyo Beats",
        "venue": "budokan",
        "days": 90,
        "ticket_types": _types(("S Seat", "12000.00", 300, 10), ("A Seat", "8000.00", 700, 0)),
        "currency": "JPY",
    },
    {
        "title": "Harbour Symphony",
        "venue": "opera-house",
        "days": 40,
        "ticket_types": _types(
            ("Premium Reserve", "250.00", 80, 10),
            ("A Reserve", "150.00", 300, 5),
            ("B Reserve", "90.00", 400, 0),
        ),
        "currency": "AUD",
    },
    {
        "title": "Samba Sessions",
        "venue": "allianz",
        "days": 66,
        "ticket_types": _types(("Pista Premium", "480.00", 100, 10), ("Pista", "220.00", 1000, 0)),
        "currency": "BRL",
    },
    {
        "title": "Savannah Sounds Nairobi",
        "venue": "kicc",
        "days": 18,
        "ticket_types": _types(("VVIP", "15000.00", 40, 10), ("Regular", "3500.00", 600, 0)),
        "currency": "KES",
    },
    {
        "title": "Northern Lights Hockey Night",
        "venue": "scotiabank",
        "days": 12,
        "ticket_types": _types(("Platinum", "310.00", 60, 10), ("Upper Bowl", "75.00", 900, 0)),
        "currency": "CAD",
    },
    {
        "title": "Sold Out Acoustic Session",
        "venue": "brooklyn-steel",
        "days": 14,
        "ticket_types": _types(("General Admission", "40.00", 4, 0)),
    },
    {
        "title": "Unannounced Winter Show",
        "venue": "o2",
        "days": 150,
        "status": Event.Status.DRAFT,
        "ticket_types": _types(("Regular", "50.00", 300, 0)),
    },
]

# Customers who buy, wait and queue in the demo data.
DEMO_FANS = [(f"fan{n}@local.test", f"Demo Fan {n}") for n in range(1, 7)]
SOLD_OUT_SLUG = "sold-out-acoustic-session"
SOLD_OUT_BUYERS = [("demo@local.test", 2), ("fan1@local.test", 2)]  # all 4 General Admission tickets
SOLD_OUT_WAITING = [("fan2@local.test", 1), ("fan3@local.test", 2), ("fan4@local.test", 1)]  # FIFO
QUEUE_SLUG = "courtside-legends-showcase"
# (fan, ticket type, quantity) in the order they are sent: Regular first, VIP is still served first.
QUEUE_REQUESTS = [
    ("fan1@local.test", "Regular", 2),
    ("fan2@local.test", "Regular", 1),
    ("fan5@local.test", "VIP", 2),
    ("fan3@local.test", "Regular", 2),
    ("fan6@local.test", "VIP", 1),
]

SCALE_EVENT_SLUG = "scale-event-{}"
SCALE_USER_EMAIL = "scale-user-{}@local.test"
SCALE_GENRES = ["Jazz Night", "Rock Live", "Symphony", "Comedy Special", "Hip-Hop Showcase", "Folk Evening"]
BATCH_SIZE = 1000


def _starts_at(days: int):
    """An evening start ``days`` from now, on the hour."""
    return (timezone.now() + timedelta(days=days)).replace(hour=19, minute=0, second=0, microsecond=0)


class Command(BaseCommand):
    help = "Create the development accounts and demo catalogue (idempotent). Development data only."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=int,
            default=0,
            metavar="N",
            help="Also create N events (2 ticket types each) and 10 x N customers, in bulk.",
        )
        parser.add_argument(
            "--force-in-production",
            action="store_true",
            help="Run even with DEBUG off (creates accounts with the published demo password).",
        )

    def handle(self, *args, scale: int = 0, force_in_production: bool = False, **options):
        if not settings.DEBUG and not force_in_production:
            raise CommandError(
                "seed_demo refuses to run with DEBUG=0: it creates admin@local.test with the published "
                f"password {DEMO_PASSWORD!r}. Create the first admin with `manage.py createsuperuser`; "
                "pass --force-in-production only to put demo data on a server on purpose."
            )
        started = time.monotonic()
        self._seed_accounts()
        venues = self._seed_venues()
        self._seed_demo_event(venues)
        for spec in CATALOGUE:
            self._seed_event(spec, venues)
        self._seed_fans()
        self._seed_sold_out_with_waitlist()
        self._seed_queued_requests()
        if scale > 0:
            self._seed_scale_events(scale, list(venues.values()))
            self._seed_scale_users(scale * 10, list(venues.values()))
        self.stdout.write(f"done in {time.monotonic() - started:.1f}s")

    # --- curated data ---

    @transaction.atomic
    def _seed_accounts(self):
        for email, name, role in DEMO_ACCOUNTS:
            if User.objects.filter(email=email).exists():
                self.stdout.write(f"exists   {email}")
                continue
            user_create(email=email, name=name, password=DEMO_PASSWORD, role=role)
            self.stdout.write(f"created  {email} ({role}) / {DEMO_PASSWORD}")

    @transaction.atomic
    def _seed_venues(self) -> dict[str, Venue]:
        venues = {}
        for key, (name, address, city, latitude, longitude) in VENUES.items():
            venue = Venue.objects.filter(name=name, city=city).first()
            if venue is None:
                venue = venue_create(
                    name=name, address=address, city=city, latitude=latitude, longitude=longitude
                )
            venues[key] = venue
        return venues

    @transaction.atomic
    def _seed_demo_event(self, venues):
        existing = Event.objects.filter(pk=1).first()
        if existing is not None:
            if existing.title != DEMO_EVENT["title"]:
                self.stderr.write(f"event 1 is '{existing.title}', not the demo event: left alone")
            else:
                self.stdout.write(f"exists   event 1 {existing.title}")
            return
        starts_at = _starts_at(DEMO_EVENT["days"])
        event_create(
            id=1,
            title=DEMO_EVENT["title"],
            venue=venues[DEMO_EVENT["venue"]],
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=3),
            status=Event.Status.PUBLISHED,
            description="The event the README and the API examples refer to.",
            ticket_types=DEMO_EVENT["ticket_types"],
        )
        # An explicit id leaves PostgreSQL's sequence behind: without this the
        # next event inserted would be given id 1 again. SQLite returns no SQL.
        statements = connection.ops.sequence_reset_sql(no_style(), [Event, TicketType, Venue, Seat])
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
        self.stdout.write(f"created  event 1 {DEMO_EVENT['title']}")

    @transaction.atomic
    def _seed_event(self, spec, venues):
        slug = slugify(spec["title"])
        if Event.objects.filter(slug=slug).exists():
            self.stdout.write(f"exists   {slug}")
            return
        starts_at = _starts_at(spec["days"])
        currency = spec.get("currency", "USD")
        event = event_create(
            title=spec["title"],
            venue=venues[spec["venue"]],
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=3),
            status=spec.get("status", Event.Status.PUBLISHED),
            sale_mode=spec.get("sale_mode", Event.SaleMode.DIRECT),
            description=f"{spec['title']} at {venues[spec['venue']].name}.",
            ticket_types=[{**ticket_type, "currency": currency} for ticket_type in spec["ticket_types"]],
        )
        if "seated" in spec:
            name, rows, seats_per_row = spec["seated"]
            seats_generate(
                event=event,
                ticket_type=event.ticket_types.get(name=name),
                rows=rows,
                seats_per_row=seats_per_row,
            )
        self.stdout.write(f"created  {event.slug} ({event.status}, {event.sale_mode})")

    # --- activity: a sold-out event's waitlist, a queue with requests ---

    @transaction.atomic
    def _seed_fans(self):
        missing = [
            (email, name) for email, name in DEMO_FANS if not User.objects.filter(email=email).exists()
        ]
        if not missing:
            return
        password = make_password(DEMO_PASSWORD)  # one Argon2 hash for all of them, as for --scale
        User.objects.bulk_create(User(email=email, name=name, password=password) for email, name in missing)
        self.stdout.write(f"created  {len(missing)} demo fans (fanN@local.test) / {DEMO_PASSWORD}")

    def _seed_sold_out_with_waitlist(self):
        """Sell the event out with paid orders, then put fans on its waitlist, each once."""
        event = Event.objects.filter(slug=SOLD_OUT_SLUG).first()
        if event is None:
            return
        ticket_type = event.ticket_types.get()
        for email, quantity in SOLD_OUT_BUYERS:
            buyer = User.objects.get(email=email)
            if Order.objects.filter(user=buyer, event=event).exists():
                continue
            order = order_reserve(user=buyer, event_id=event.pk, items=[(ticket_type.pk, quantity)])
            order_pay(order_id=order.pk, by=buyer, provider="test", token="tok_visa")  # noqa: S106  (test card)
            self.stdout.write(
                f"created  paid order {order.code}: {quantity} x {ticket_type.name} for {email}"
            )
        for email, quantity in SOLD_OUT_WAITING:
            fan = User.objects.get(email=email)
            if WaitlistEntry.objects.filter(user=fan, ticket_type=ticket_type).exists():
                continue
            try:
                waitlist_join(user=fan, ticket_type_id=ticket_type.pk, quantity=quantity)
            except DomainError as refusal:  # tickets freed meanwhile: book them, nothing to wait for
                self.stdout.write(f"skipped  waitlist for {email}: {refusal.detail}")
                continue
            self.stdout.write(f"created  waitlist entry: {email} waits for {quantity} x {ticket_type.name}")

    def _seed_queued_requests(self):
        """Send each fan's request to the queue-mode event once; the worker or the tick decides them."""
        event = Event.objects.filter(slug=QUEUE_SLUG).first()
        if event is None:
            return
        types = {ticket_type.name: ticket_type for ticket_type in event.ticket_types.all()}
        for email, type_name, quantity in QUEUE_REQUESTS:
            fan = User.objects.get(email=email)
            if TicketRequest.objects.filter(user=fan, event=event).exists():
                continue
            try:
                request = ticket_request_create(
                    user=fan, event_id=event.pk, items=[(types[type_name].pk, quantity)]
                )
            except DomainError as refusal:
                self.stdout.write(f"skipped  queued request for {email}: {refusal.detail}")
                continue
            self.stdout.write(
                f"created  queued request {request.pk}: {quantity} x {type_name} for {email} "
                f"(position {request.position})"
            )

    # --- bulk data (--scale) ---

    def _seed_scale_events(self, count: int, venues: list[Venue]):
        """Insert the missing scale-event-1..count, each with a VIP and a Regular type."""
        existing = set(Event.objects.filter(slug__startswith="scale-event-").values_list("slug", flat=True))
        missing = [n for n in range(1, count + 1) if SCALE_EVENT_SLUG.format(n) not in existing]
        now = timezone.now()
        done = count - len(missing)
        self._progress("events", done, count)
        for start in range(0, len(missing), BATCH_SIZE):
            batch = missing[start : start + BATCH_SIZE]
            with transaction.atomic():
                events, types = [], []
                for n in batch:
                    # Seeded per number, so event n looks the same on every machine.
                    rng = random.Random(f"scale-event-{n}")  # noqa: S311  (demo data, not secrets)
                    venue = rng.choice(venues)
                    starts_at = (now + timedelta(days=rng.randint(1, 365))).replace(
                        hour=rng.choice([18, 19, 20, 21]), minute=rng.choice([0, 30]), second=0, microsecond=0
                    )
                    events.append(
                        Event(
                            title=f"{rng.choice(SCALE_GENRES)} in {venue.city} #{n}",
                            slug=SCALE_EVENT_SLUG.format(n),
                            description="Generated by seed_demo --scale.",
                            venue=venue,
                            starts_at=starts_at,
                            ends_at=starts_at + timedelta(hours=rng.choice([2, 3, 4])),
                            status=Event.Status.PUBLISHED,
                            sale_mode=Event.SaleMode.QUEUE if n % 10 == 0 else Event.SaleMode.DIRECT,
                        )
                    )
                    types.append(
                        (
                            {
                                "name": "VIP",
                                "price": Decimal(rng.randrange(8000, 25000, 500)) / 100,
                                "capacity": rng.randrange(20, 101, 10),
                                "priority": 10,
                                "max_per_order": 4,
                            },
                            {
                                "name": "Regular",
                                "price": Decimal(rng.randrange(2000, 8000, 500)) / 100,
                                "capacity": rng.randrange(100, 1001, 50),
                                "priority": 0,
                            },
                        )
                    )
                created = Event.objects.bulk_create(events)
                if any(event.pk is None for event in created):
                    # A backend that cannot return ids from a bulk insert.
                    ids = dict(
                        Event.objects.filter(slug__in=[e.slug for e in events]).values_list("slug", "pk")
                    )
                    for event in created:
                        event.pk = ids[event.slug]
                TicketType.objects.bulk_create(
                    TicketType(event=event, **fields)
                    for event, pair in zip(created, types, strict=True)
                    for fields in pair
                )
            done += len(batch)
            self._progress("events", done, count)
        self.stdout.write(f"\nscale    {len(missing)} events created, {count - len(missing)} existed")

    def _seed_scale_users(self, count: int, venues: list[Venue]):
        """Insert the missing scale-user-1..count customers, all sharing one password hash."""
        existing = set(User.objects.filter(email__startswith="scale-user-").values_list("email", flat=True))
        missing = [n for n in range(1, count + 1) if SCALE_USER_EMAIL.format(n) not in existing]
        # One hash for everyone: Argon2 is slow on purpose, and 10,000 of them
        # would take longer than the rest of the seed put together.
        password = make_password(DEMO_PASSWORD)
        done = count - len(missing)
        self._progress("users", done, count)
        for start in range(0, len(missing), BATCH_SIZE):
            batch = missing[start : start + BATCH_SIZE]
            users = []
            for n in batch:
                rng = random.Random(f"scale-user-{n}")  # noqa: S311  (demo data, not secrets)
                venue = rng.choice(venues)
                users.append(
                    User(
                        email=SCALE_USER_EMAIL.format(n),
                        name=f"Scale User {n}",
                        password=password,
                        # Somewhere in the venue's city, for the nearby-events search.
                        latitude=round(venue.latitude + rng.uniform(-0.05, 0.05), 6),
                        longitude=round(venue.longitude + rng.uniform(-0.05, 0.05), 6),
                        address=venue.city,
                    )
                )
            with transaction.atomic():
                User.objects.bulk_create(users)
            done += len(batch)
            self._progress("users", done, count)
        self.stdout.write(f"\nscale    {len(missing)} users created, {count - len(missing)} existed")

    def _progress(self, label: str, done: int, total: int, width: int = 30):
        filled = width * done // total if total else width
        percent = 100 * done // total if total else 100
        self.stdout.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {percent:3d}% {label} {done}/{total}", ending=""
        )
        self.stdout.flush()
