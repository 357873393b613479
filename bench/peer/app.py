"""The FastAPI + SQLAlchemy peer: the two catalogue reads, written the way such a service usually is.

What Tixxety replaces was FastAPI with SQLAlchemy models over the same kind of
tables. This peer serves, from Tixxety's own tables, the first page of the
event list (20 upcoming published events, each with the per-ticket-type
figures: capacity, booked, available, cheapest price, seated, and the total
count) and one event with its ticket types: one ORM query with joins and
aggregates for the page, a count, pydantic models for the response. No
cache. Synchronous endpoints (FastAPI runs them in its thread pool) with a
pooled psycopg engine, as such services commonly are.

Run it with bench/peer/run.sh (its own venv, uvicorn with 2 workers).
"""

import os
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Query
from pydantic import BaseModel
from sqlalchemy import ForeignKey, create_engine, exists, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, selectinload

DATABASE_URL = os.environ.get("PEER_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/tixxety")
engine = create_engine(DATABASE_URL, pool_size=8, max_overflow=8, pool_pre_ping=False)


class Base(DeclarativeBase):
    pass


class Venue(Base):
    __tablename__ = "events_venue"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    address: Mapped[str]
    city: Mapped[str]
    latitude: Mapped[float]
    longitude: Mapped[float]


class Event(Base):
    __tablename__ = "events_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]
    slug: Mapped[str]
    description: Mapped[str]
    venue_id: Mapped[int] = mapped_column(ForeignKey("events_venue.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[str]
    sale_mode: Mapped[str]
    hold_minutes: Mapped[int | None]
    venue: Mapped[Venue] = relationship(lazy="joined")
    ticket_types: Mapped[list["TicketType"]] = relationship(
        order_by="(TicketType.priority.desc(), TicketType.id)"
    )


class TicketType(Base):
    __tablename__ = "events_tickettype"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events_event.id"))
    name: Mapped[str]
    price: Mapped[Decimal]
    currency: Mapped[str]
    capacity: Mapped[int]
    priority: Mapped[int]
    max_per_order: Mapped[int]
    reserved_count: Mapped[int]
    sold_count: Mapped[int]


class Seat(Base):
    __tablename__ = "events_seat"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events_event.id"))


class VenueOut(BaseModel):
    id: int
    name: str
    address: str
    city: str
    latitude: float
    longitude: float


class EventOut(BaseModel):
    id: int
    title: str
    slug: str
    venue: VenueOut
    starts_at: datetime
    ends_at: datetime
    status: str
    sale_mode: str
    capacity: int
    booked_count: int
    available: int
    min_price: Decimal | None
    seated: bool


class EventPage(BaseModel):
    count: int
    results: list[EventOut]


class TicketTypeOut(BaseModel):
    id: int
    name: str
    price: Decimal
    currency: str
    capacity: int
    available: int
    priority: int
    max_per_order: int


class EventDetailOut(EventOut):
    description: str
    hold_minutes: int | None
    ticket_types: list[TicketTypeOut]


app = FastAPI(title="Catalogue peer")


def get_session():
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def _venue(venue: Venue) -> VenueOut:
    return VenueOut.model_validate(venue, from_attributes=True)


def _upcoming():
    return (Event.status == "published", Event.ends_at >= func.now())


@app.get("/api/events", response_model=EventPage)
def event_list(
    session: SessionDep,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
):
    capacity = func.coalesce(func.sum(TicketType.capacity), 0)
    booked = func.coalesce(func.sum(TicketType.reserved_count + TicketType.sold_count), 0)
    seated = exists().where(Seat.event_id == Event.id)
    rows = session.execute(
        select(Event, capacity, booked, func.min(TicketType.price), seated)
        .outerjoin(TicketType, TicketType.event_id == Event.id)
        .where(*_upcoming())
        .group_by(Event.id)
        .order_by(Event.starts_at, Event.id)
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    total = session.scalar(select(func.count(Event.id)).where(*_upcoming()))
    results = [
        EventOut(
            id=event.id,
            title=event.title,
            slug=event.slug,
            venue=_venue(event.venue),
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            status=event.status,
            sale_mode=event.sale_mode,
            capacity=cap,
            booked_count=bkd,
            available=cap - bkd,
            min_price=min_price,
            seated=is_seated,
        )
        for event, cap, bkd, min_price, is_seated in rows
    ]
    return EventPage(count=total, results=results)


@app.get("/api/events/{event_id}", response_model=EventDetailOut)
def event_detail(event_id: int, session: SessionDep):
    event = session.scalar(
        select(Event)
        .options(selectinload(Event.ticket_types))
        .where(Event.id == event_id, Event.status.in_(("published", "deactivated", "cancelled")))
    )
    if event is None:
        raise HTTPException(status_code=404, detail="Not found.")
    types = event.ticket_types
    capacity = sum(t.capacity for t in types)
    booked = sum(t.reserved_count + t.sold_count for t in types)
    seated = session.scalar(select(exists().where(Seat.event_id == event.id)))
    return EventDetailOut(
        id=event.id,
        title=event.title,
        slug=event.slug,
        venue=_venue(event.venue),
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        status=event.status,
        sale_mode=event.sale_mode,
        capacity=capacity,
        booked_count=booked,
        available=capacity - booked,
        min_price=min((t.price for t in types), default=None),
        seated=seated,
        description=event.description,
        hold_minutes=event.hold_minutes,
        ticket_types=[
            TicketTypeOut(
                id=t.id,
                name=t.name,
                price=t.price,
                currency=t.currency,
                capacity=t.capacity,
                available=t.capacity - t.reserved_count - t.sold_count,
                priority=t.priority,
                max_per_order=t.max_per_order,
            )
            for t in types
        ],
    )
