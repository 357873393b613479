"""Periodic housekeeping that belongs to no single app."""

from importlib import import_module

import dramatiq
from django.conf import settings
from dramatiq_crontab import cron


@cron("17 3 * * *")
@dramatiq.actor(max_retries=3)
def clear_expired_sessions() -> None:
    """Delete page sessions past their expiry date (nightly, like `clearsessions`)."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
