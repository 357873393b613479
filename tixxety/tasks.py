"""Periodic housekeeping that belongs to no single app, and the outbox's actors."""

from importlib import import_module

import dramatiq
from django.conf import settings
from dramatiq_crontab import cron

from tixxety.outbox import outbox_deliver, outbox_drain, outbox_purge


@cron("17 3 * * *")
@dramatiq.actor(max_retries=3)
def clear_expired_sessions() -> None:
    """Delete page sessions past their expiry date (nightly, like `clearsessions`)."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()


@dramatiq.actor(max_retries=0, time_limit=120_000)
def deliver_outbox_message(message_id: int) -> None:
    """Deliver one outbox message, sent on commit by ``outbox_send`` (no retries: the drain retries)."""
    outbox_deliver(message_id=message_id)


@cron("* * * * *")
@dramatiq.actor(max_retries=0, time_limit=120_000)
def drain_outbox() -> None:
    """Every minute: deliver outbox messages whose on-commit delivery failed or was lost."""
    outbox_drain()


@cron("41 4 * * *")
@dramatiq.actor(max_retries=0)
def purge_sent_outbox_messages() -> None:
    """Nightly: forget outbox messages sent more than a week ago."""
    outbox_purge()
