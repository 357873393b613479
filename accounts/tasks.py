"""Dramatiq actors for accounts: thin wrappers that load by id and delegate."""

import dramatiq

from accounts import emails
from accounts.models import User


@dramatiq.actor(max_retries=5, time_limit=60_000)
def send_welcome_email(user_id: int) -> None:
    """Send the welcome e-mail; a user deleted meanwhile is skipped."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is not None:
        emails.send_welcome_email(user)
