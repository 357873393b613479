"""Dramatiq actors for accounts: thin wrappers that load by id and delegate."""

import dramatiq

from accounts import emails
from accounts.models import User


# actor_name: the name before the rename, which messages already queued carry.
@dramatiq.actor(actor_name="send_welcome_email", max_retries=5, time_limit=60_000)
def user_welcome_send_task(user_id: int) -> None:
    """Send the welcome e-mail; a user deleted meanwhile is skipped."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is not None:
        emails.send_welcome_email(user)
