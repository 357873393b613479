"""Catalogue reads cached as rendered JSON under one catalogue version.

The public reads (the event list, an event, its availability and seat map)
are cached whole, as the status and bytes of the response, next to the
catalogue version they were computed under: a 404 (no such event, no such
page) too, since a dead link asked for again and again would otherwise cost
a database read each time; the event that appears later bumps the version.
Whatever changes what they show bumps the version on commit: the catalogue
services (``events.signals.catalogue_changed``) and every booking, payment,
expiry, cancellation, refund, queue or waitlist allocation, waitlist join or
leave and counter repair (``orders.signals``, connected in
``OrdersConfig.ready``). A bump is one increment, and every entry is stale
at once.

A read fetches the version and its entry in one round trip (``get_many``),
or only the version when the process keeps a copy of the entry, and serves
the entry only when it was computed under that version and has not expired. The
version is read before the database is, so an entry computed from data a
commit has since changed carries the old version and is never served after
the bump; the bump runs on commit, before the writer's response leaves, so
the next read after a committed change is computed anew.

The cache only saves work: when it is unreachable a read is computed from
the database and a warning is logged; a lost bump is bounded by the
entries' lifetime (``CATALOGUE_CACHE_SECONDS``).
"""

import hashlib
import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache

from tixxety.cache_versions import bump_version, start_version

logger = logging.getLogger(__name__)

VERSION_KEY = "events:catalogue-version"


def bump_catalogue_version() -> None:
    """Make every cached catalogue read stale: one increment of a key that never expires."""
    bump_version(VERSION_KEY)


# A response as the cache keeps it: its status code and its body.
Answer = tuple[int, bytes]


def _entry_key(key: str) -> str:
    return f"events:answer:{hashlib.sha256(key.encode()).hexdigest()[:32]}"


# This process's copies of entries it served: (version, answer, expires at).
# A copy is served only when the version in the cache still matches, so a hit
# fetches the small version instead of the whole body. Bounded: cleared when full.
_copies: dict[str, tuple[int, Answer, float]] = {}
MAX_COPIES = 128


def _current(entry_key: str) -> tuple[int | None, Answer | None]:
    """The version, and the entry's answer if it was computed under it and has not expired.

    Raises whatever the cache client raises when the cache is unreachable.
    """
    copy = _copies.get(entry_key)
    if copy is not None:
        version = cache.get(VERSION_KEY)
        if version is not None and copy[0] == version and time.time() < copy[2]:
            return version, copy[1]
    found = cache.get_many([VERSION_KEY, entry_key])
    version, entry = found.get(VERSION_KEY), found.get(entry_key)
    if version is None or entry is None or entry[0] != version or time.time() >= entry[2]:
        return version, None
    if len(_copies) >= MAX_COPIES:
        _copies.clear()
    _copies[entry_key] = entry
    return version, entry[1]


def current_answer(key: str) -> Answer | None:
    """The answer cached under ``key`` if it is current; None on a miss, a stale entry or the cache down."""
    try:
        return _current(_entry_key(key))[1]
    except Exception:  # the full read (cached_answer) that follows a None logs it
        return None


def cached_answer(
    key: str, compute: Callable[[], Answer], *, lifetime: Callable[[], float | None] | None = None
) -> Answer:
    """The answer cached under ``key`` for the current version, or ``compute()``'d and cached.

    ``key`` names everything the answer depends on besides the version (the
    route, the full URL, the reader's role). ``lifetime()``, asked after a
    miss is computed, may shorten the entry's life below
    ``CATALOGUE_CACHE_SECONDS`` (a list entry ends when its next event
    does); an exception from ``compute`` is not cached.
    """
    entry_key = _entry_key(key)
    try:
        version, answer = _current(entry_key)
    except Exception as error:  # Redis down or timing out: any of its client's errors
        logger.warning("Catalogue cache unavailable (%s); reading the database", error)
        return compute()
    if answer is not None:
        return answer
    if version is None:
        try:
            start_version(VERSION_KEY)
            version = cache.get(VERSION_KEY)
        except Exception as error:
            logger.warning("Catalogue cache unavailable (%s); reading the database", error)
            return compute()
    answer = compute()
    seconds = settings.CATALOGUE_CACHE_SECONDS
    if lifetime is not None and (limit := lifetime()) is not None:
        seconds = min(seconds, limit)
    if version is not None and seconds > 0:
        try:
            cache.set(entry_key, (version, answer, time.time() + seconds), seconds)
        except Exception as error:
            logger.warning("Catalogue cache unavailable (%s); the read was not cached", error)
    return answer
